"""Shared shape of the ``*_in_group`` predicates: some user of the issue is in a group.

Group names compare case-insensitively (Jira treats group names so). The user's groups come
from the evaluation's ``Directory`` and are cached per issue in the Context, so several
group predicates on the same reporter cost one lookup.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

from ...model import User
from ..context import Context, FieldNames
from ..result import ERROR, FALSE, TRUE, Outcome, Result
from ..text import show_list
from ._membership import NameList
from .base import Predicate


class Person:
    """Who a user field points at: account id and a name to show in reasons."""

    __slots__ = ("account_id", "shown")

    def __init__(self, account_id: str, shown: str) -> None:
        self.account_id = account_id
        self.shown = shown


def person(value: Any) -> Person | None:
    """A user as the model, a Jira JSON object, or a bare account id."""
    if value is None:
        return None
    if type(value) is User:  # the usual case first: the gateway's model
        return Person(value.account_id, value.display_name or value.account_id)
    if isinstance(value, str):
        return Person(value, value) if value else None
    if isinstance(value, Mapping):
        acc = value.get("account_id") or value.get("accountId") or value.get("name")
        if not isinstance(acc, str) or not acc:
            return None
        shown = value.get("display_name") or value.get("displayName") or acc
        return Person(acc, str(shown))
    acc = getattr(value, "account_id", None)
    if isinstance(acc, str) and acc:
        return Person(acc, getattr(value, "display_name", "") or acc)
    return None


class InGroup(Predicate):
    """Some user named by ``people(ctx)`` is in at least one of the listed groups."""

    __slots__ = ("allowed", "listed", "shown")
    role: ClassVar[str]  # "reporter", used in reasons
    # The Issue attribute holding the one user ``people`` reads ("reporter"), if it is one:
    # ``test`` then skips building Person objects for the usual value, a ``User``.
    user_attr: ClassVar[str | None] = None

    def __init__(self, groups: list[str]) -> None:
        self.listed = tuple(groups)
        self.allowed = frozenset(g.lower() for g in groups)
        self.shown = show_list(groups)

    def people(self, ctx: Context) -> list[Person] | None:
        """The users to check; ``None`` when the issue does not say (not loaded)."""
        raise NotImplementedError

    # Outcome when people() finds nobody: an error by default (a reporter should be there).
    empty_outcome: ClassVar[Outcome] = ERROR

    def empty_reason(self, ctx: Context) -> str:
        return f"the issue has no {self.role} (not loaded)"

    def test(self, ctx: Context) -> Outcome:
        if self.user_attr is not None:
            user = getattr(ctx.issue, self.user_attr)
            if type(user) is User:  # what people() makes one Person of: decided the same way
                try:
                    groups = ctx.groups(user.account_id)
                except Exception:  # as below: the lookup failed, so undecided
                    return ERROR
                return FALSE if groups.isdisjoint(self.allowed) else TRUE
        people = self.people(ctx)
        if not people:
            return self.empty_outcome
        failed = False
        for p in people:
            try:
                groups = ctx.groups(p.account_id)
            except Exception:  # as in evaluate()
                failed = True
                continue
            if not groups.isdisjoint(self.allowed):
                return TRUE
        return ERROR if failed else FALSE

    def evaluate(self, ctx: Context) -> Result:
        people = self.people(ctx)
        if not people:
            return Result(self.key, self.empty_outcome, self.empty_reason(ctx))
        lookup_failed: list[str] = []
        for p in people:
            try:
                groups = ctx.groups(p.account_id)
            except Exception as exc:  # a directory failure decides nothing about this user
                lookup_failed.append(f"{p.shown} ({type(exc).__name__}: {exc})")
                continue
            hit = groups & self.allowed
            if hit:
                group = next(g for g in self.listed if g.lower() in hit)
                return Result(
                    self.key,
                    TRUE,
                    f"{self.role} {p.shown} is in group {group}",
                    values={"account_id": p.account_id, "group": group},
                )
        if lookup_failed:
            return Result(
                self.key, ERROR, f"could not look up the groups of {', '.join(lookup_failed)}"
            )
        who = ", ".join(p.shown for p in people)
        return Result(
            self.key,
            FALSE,
            f"{self.role} {who} is in none of {self.shown}",
            values={"account_ids": [p.account_id for p in people]},
        )

    def names(self, fields: FieldNames) -> Iterator[tuple[str, str]]:
        for g in self.listed:
            yield "groups", g


def parse_groups(value: Any, at: Any, parser: Any) -> list[str]:
    groups: list[str] = parser.validate(NameList, value, at)
    return groups

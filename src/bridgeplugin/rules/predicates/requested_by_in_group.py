"""``requested_by_in_group: [...]``: a user in the "Requested by" field is in a listed group.

The field is a user picker (single or multi) named in config (``FieldNames.requested_by``,
default "Requested by"); forms and the service desk fill it when someone asks on another's
behalf. Its value may be a ``User``, a Jira user object, an account id, or a list of those.
Field not loaded: ``error``. Field empty: ``false``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from ...model import User
from ..context import Context, FieldNames
from ..result import ERROR, FALSE, TRUE, Outcome
from ._groups import InGroup, Person, parse_groups, person

if TYPE_CHECKING:
    from ..parse import Parser
    from ..source import Loc

KEY = "requested_by_in_group"


class RequestedByInGroup(InGroup):
    __slots__ = ()
    key = KEY
    role = "requester"

    def people(self, ctx: Context) -> list[Person] | None:
        value = ctx.custom(ctx.fields.requested_by)
        values = value if isinstance(value, list | tuple) else [value]
        people = [p for p in map(person, values) if p is not None]
        return people or None

    def test(self, ctx: Context) -> Outcome:
        value = ctx.custom(ctx.fields.requested_by)
        # The usual values, decided as people() + InGroup.test would, without building them
        if value is None:
            return FALSE  # empty: empty_outcome
        if type(value) is User:
            try:
                groups = ctx.groups(value.account_id)
            except Exception:  # the lookup failed: undecided
                return ERROR
            return FALSE if groups.isdisjoint(self.allowed) else TRUE
        return super().test(ctx)

    empty_outcome = FALSE

    def empty_reason(self, ctx: Context) -> str:
        return f"{ctx.fields.requested_by} is empty; wanted someone in {self.shown}"

    def names(self, fields: FieldNames) -> Iterator[tuple[str, str]]:
        yield "fields", fields.requested_by
        yield from super().names(fields)


def parse(value: Any, at: Loc, parser: Parser) -> RequestedByInGroup:
    return RequestedByInGroup(parse_groups(value, at, parser))

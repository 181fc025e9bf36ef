"""Shared shape of the ``*_in`` predicates: a value of the issue against a list of names.

Names compare case-insensitively ("Task" = "task"): people type them from memory, and no
Jira site has two projects, issue types or statuses that differ only in case.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any, ClassVar

from pydantic import Field

from ..context import Context, FieldNames
from ..result import ERROR, FALSE, TRUE, Outcome, Result
from ..schema import NonEmpty
from ..text import show_list
from .base import Predicate

NameList = Annotated[list[NonEmpty], Field(min_length=1)]


class OneValueIn(Predicate):
    """A single-valued attribute (project, issue type, status) is one of the listed names."""

    __slots__ = ("allowed", "listed", "shown")
    noun: ClassVar[str]  # "project", used in reasons
    kind: ClassVar[str | None] = None  # referenced_names() bucket, e.g. "projects"
    # The Issue attribute ``value`` returns, if it is one: ``test`` reads it without a call.
    attr: ClassVar[str | None] = None

    def __init__(self, names: list[str]) -> None:
        self.listed = tuple(names)
        self.allowed = frozenset(n.lower() for n in names)
        self.shown = show_list(names)

    def value(self, ctx: Context) -> str | None:
        raise NotImplementedError

    def test(self, ctx: Context) -> Outcome:
        value = self.value(ctx) if self.attr is None else getattr(ctx.issue, self.attr)
        if value is None:
            return ERROR
        return TRUE if value.lower() in self.allowed else FALSE

    def evaluate(self, ctx: Context) -> Result:
        value = self.value(ctx)
        if value is None:
            return Result(self.key, ERROR, f"the issue has no {self.noun} (not loaded)")
        if value.lower() in self.allowed:
            return Result(
                self.key, TRUE, f"{self.noun} {value} is in {self.shown}", values={self.noun: value}
            )
        return Result(
            self.key,
            FALSE,
            f"{self.noun} {value} is not in {self.shown}",
            values={self.noun: value},
        )

    def names(self, fields: FieldNames) -> Iterator[tuple[str, str]]:
        if self.kind:
            for n in self.listed:
                yield self.kind, n


class AnyValueIn(Predicate):
    """A multi-valued attribute (labels, components) has at least one of the listed names."""

    __slots__ = ("allowed", "listed", "shown")
    noun: ClassVar[str]  # singular, "label"
    plural: ClassVar[str]
    # The Issue attribute ``values_of`` returns, if it is one: ``test`` reads it without a call.
    attr: ClassVar[str | None] = None

    def __init__(self, names: list[str]) -> None:
        self.listed = tuple(names)
        self.allowed = frozenset(n.lower() for n in names)
        self.shown = show_list(names)

    def values_of(self, ctx: Context) -> tuple[str, ...]:
        raise NotImplementedError

    def test(self, ctx: Context) -> Outcome:
        allowed = self.allowed
        values = self.values_of(ctx) if self.attr is None else getattr(ctx.issue, self.attr)
        for v in values:
            if v.lower() in allowed:
                return TRUE
        return FALSE

    def evaluate(self, ctx: Context) -> Result:
        values = self.values_of(ctx)
        hits = [v for v in values if v.lower() in self.allowed]
        if hits:
            which = ", ".join(hits)
            verb = "is" if len(hits) == 1 else "are"
            noun = self.noun if len(hits) == 1 else self.plural
            return Result(
                self.key,
                TRUE,
                f"{noun} {which} {verb} in {self.shown}",
                values={self.plural: list(values)},
            )
        if not values:
            return Result(
                self.key,
                FALSE,
                f"the issue has no {self.plural}; wanted one of {self.shown}",
                values={self.plural: []},
            )
        return Result(
            self.key,
            FALSE,
            f"no {self.noun} in {self.shown}; {self.plural}: {', '.join(values)}",
            values={self.plural: list(values)},
        )


def parse_names(value: Any, at: Any, parser: Any) -> list[str]:
    names: list[str] = parser.validate(NameList, value, at)
    return names


def as_name(value: Any) -> str | None:
    """A field value that names something: a string, or an object with a name."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        for key in ("name", "value"):
            if isinstance(value.get(key), str):
                return value[key]
        inner = value.get("requestType")
        if isinstance(inner, dict) and isinstance(inner.get("name"), str):
            return inner["name"]
    return str(value)

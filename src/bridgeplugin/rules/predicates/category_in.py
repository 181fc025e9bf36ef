"""``category_in: [data, integration]``: the tagging verdict's category is one of the listed.

Only in ``kind: reviews`` files (see ``tagged``). Names compare case-insensitively and, when
the loader knows the categories the tagging rules and the vendor catalog can conclude, an
unknown name is a load error listing them.

Outcomes: a technology request whose category is listed is true; another category, or a
request that is not a technology request, is false. A technology request without a category,
or a verdict the tagging rules could not decide, is an ``error``: "is this a data export?" has
no answer then, and a mandatory review rule must not read that as "no".
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from ..context import Context, FieldNames
from ..result import ERROR, FALSE, TRUE, Outcome, Result
from ..source import suggest
from ..text import show_list
from ._membership import parse_names
from .base import Predicate
from .tagged import NO_VERDICT, undecided_reason, verdict_of

if TYPE_CHECKING:
    from ..parse import Parser
    from ..source import Loc

KEY = "category_in"


class CategoryIn(Predicate):
    __slots__ = ("allowed", "listed", "shown")
    key = KEY

    def __init__(self, names: list[str]) -> None:
        self.listed = tuple(names)
        self.allowed = frozenset(n.lower() for n in names)
        self.shown = show_list(names)

    def test(self, ctx: Context) -> Outcome:
        return self.evaluate(ctx).outcome

    def evaluate(self, ctx: Context) -> Result:
        verdict = verdict_of(ctx)
        if verdict is None:
            return Result(KEY, ERROR, NO_VERDICT)
        category = verdict.category
        if not verdict.tech_request:
            if verdict.undecided:
                return Result(KEY, ERROR, undecided_reason(verdict), values={"category": None})
            return Result(
                KEY,
                FALSE,
                f"not a technology request, so no category; wanted one of {self.shown}",
                values={"category": None},
            )
        if category is None:
            return Result(
                KEY,
                ERROR,
                f"a technology request without a category, so 'category in {self.shown}' "
                "cannot be decided",
                values={"category": None},
            )
        if category.lower() in self.allowed:
            return Result(
                KEY, TRUE, f"category {category} is in {self.shown}", values={"category": category}
            )
        return Result(
            KEY, FALSE, f"category {category} is not in {self.shown}", values={"category": category}
        )

    def names(self, fields: FieldNames) -> Iterator[tuple[str, str]]:
        for name in self.listed:
            yield "categories", name


def parse(value: Any, at: Loc, parser: Parser) -> CategoryIn:
    parser.require_kind("reviews", at, KEY)
    names = parse_names(value, at, parser)
    known = parser.categories
    if known is not None:
        lower = {k.lower() for k in known}
        for i, name in enumerate(names):
            if name.lower() not in lower:
                close = suggest(name, known)
                raise parser.error(
                    (*at, i),
                    f"unknown category {name!r}",
                    hint=(f"did you mean {close!r}? " if close else "")
                    + "categories the tagging rules and the vendor catalog conclude: "
                    + ", ".join(known),
                )
    return CategoryIn(names)

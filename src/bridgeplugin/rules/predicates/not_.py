"""``not: {...}``: the predicate is false. Error stays error (Kleene NOT; see ``result.py``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..context import Context
from ..result import ERROR, FALSE, TRUE, Outcome, Result
from .base import Predicate, failure

if TYPE_CHECKING:
    from ..parse import Parser
    from ..source import Loc

KEY = "not"

_REASON = {
    TRUE: "the condition below is false",
    FALSE: "the condition below is true",
    ERROR: "the condition below could not be decided",
}
_FLIP = {TRUE: FALSE, FALSE: TRUE, ERROR: ERROR}


class Not(Predicate):
    __slots__ = ("item",)
    key = KEY

    def __init__(self, item: Predicate) -> None:
        self.item = item

    def children(self) -> tuple[Predicate, ...]:
        return (self.item,)

    def test(self, ctx: Context) -> Outcome:
        try:
            return _FLIP[self.item.test(ctx)]
        except Exception:  # as in evaluate()
            return ERROR

    def evaluate(self, ctx: Context) -> Result:
        try:
            r = self.item.evaluate(ctx)
        except Exception as exc:  # recorded in the child's node, see base.run
            r = failure(self.item, exc)
        outcome = _FLIP[r.outcome]
        return Result(KEY, outcome, _REASON[outcome], (r,))


def parse(value: Any, at: Loc, parser: Parser) -> Not:
    if isinstance(value, list):
        raise parser.error(
            at,
            "not takes one predicate, not a list",
            hint="wrap several in any: [...] or all: [...] inside the not",
        )
    return Not(parser.predicate(value, at))

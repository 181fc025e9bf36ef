"""``all: [...]``: every predicate in the list is true (Kleene AND; see ``result.py``).

Stops at the first false child (the rest cannot change the answer). Outcome: false if a child
is false; otherwise error if a child is an error; otherwise true.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..context import Context
from ..result import ERROR, FALSE, TRUE, Outcome, Result
from ._composite import parse_items
from .base import Predicate, failure

if TYPE_CHECKING:
    from ..parse import Parser
    from ..source import Loc

KEY = "all"


class All(Predicate):
    __slots__ = ("items",)
    key = KEY

    def __init__(self, items: list[Predicate]) -> None:
        self.items = tuple(items)

    def children(self) -> tuple[Predicate, ...]:
        return self.items

    def test(self, ctx: Context) -> Outcome:
        error = False
        for item in self.items:
            try:
                outcome = item.test(ctx)
            except Exception:  # as in evaluate()
                outcome = ERROR
            if outcome is FALSE:
                return FALSE
            if outcome is ERROR:
                error = True
        return ERROR if error else TRUE

    def evaluate(self, ctx: Context) -> Result:
        results: list[Result] = []
        errors = 0
        n = len(self.items)
        for i, item in enumerate(self.items):
            try:
                r = item.evaluate(ctx)
            except Exception as exc:  # recorded in the child's node, see base.run
                r = failure(item, exc)
            results.append(r)
            if r.outcome is FALSE:
                return Result(KEY, FALSE, f"condition {i + 1} of {n} is false", tuple(results))
            if r.outcome is ERROR:
                errors += 1
        if errors:
            return Result(
                KEY,
                ERROR,
                f"no condition is false, but {errors} of {n} could not be decided",
                tuple(results),
            )
        return Result(KEY, TRUE, f"all {n} conditions are true", tuple(results))


def parse(value: Any, at: Loc, parser: Parser) -> All:
    return All(parse_items(KEY, value, at, parser))

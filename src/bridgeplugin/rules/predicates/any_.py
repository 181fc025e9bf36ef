"""``any: [...]``: at least one predicate in the list is true (Kleene OR; see ``result.py``).

Stops at the first true child. Outcome: true if a child is true; otherwise error if a child
is an error; otherwise false.
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

KEY = "any"


class AnyOf(Predicate):
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
            if outcome is TRUE:
                return TRUE
            if outcome is ERROR:
                error = True
        return ERROR if error else FALSE

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
            if r.outcome is TRUE:
                return Result(KEY, TRUE, f"condition {i + 1} of {n} is true", tuple(results))
            if r.outcome is ERROR:
                errors += 1
        if errors:
            return Result(
                KEY,
                ERROR,
                f"no condition is true, and {errors} of {n} could not be decided",
                tuple(results),
            )
        return Result(KEY, FALSE, f"none of {n} conditions is true", tuple(results))


def parse(value: Any, at: Loc, parser: Parser) -> AnyOf:
    return AnyOf(parse_items(KEY, value, at, parser))

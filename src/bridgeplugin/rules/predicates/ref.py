"""``ref: NAME``: the predicate defined as NAME under the file's top-level ``definitions:``.

Definitions name a condition once ("from_marketing") and let several rules share it; the
result tree shows the name, which reads better than a repeated copy. (Plain YAML anchors and
aliases work too, but leave no name in the tree.) A definition may use other definitions;
cycles are an error at load.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..context import Context
from ..result import ERROR, Outcome, Result
from ..schema import Name
from .base import Predicate, failure

if TYPE_CHECKING:
    from ..parse import Parser
    from ..source import Loc

KEY = "ref"


class Ref(Predicate):
    __slots__ = ("item", "name")
    key = KEY

    def __init__(self, name: str, item: Predicate) -> None:
        self.name = name
        self.item = item

    def children(self) -> tuple[Predicate, ...]:
        return (self.item,)

    def test(self, ctx: Context) -> Outcome:
        # A definition used by several rules is decided once per issue (it is pure).
        outcome = ctx.memo.get(self.item)
        if outcome is None:
            try:
                outcome = self.item.test(ctx)
            except Exception:  # as in evaluate()
                outcome = ERROR
            ctx.memo[self.item] = outcome
        return outcome

    def evaluate(self, ctx: Context) -> Result:
        try:
            r = self.item.evaluate(ctx)
        except Exception as exc:  # recorded in the child's node, see base.run
            r = failure(self.item, exc)
        return Result(
            KEY,
            r.outcome,
            f"{self.name} is {r.outcome}",  # (a StrEnum formats as its value)
            (r,),
            values={"definition": self.name},
        )


def parse(value: Any, at: Loc, parser: Parser) -> Ref:
    name: str = parser.validate(Name, value, at)
    return Ref(name, parser.definition(name, at))

"""``component_in: [...]``: the issue has at least one of the listed components."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..context import Context
from ._membership import AnyValueIn, parse_names

if TYPE_CHECKING:
    from ..parse import Parser
    from ..source import Loc

KEY = "component_in"


class ComponentIn(AnyValueIn):
    __slots__ = ()
    key = KEY
    noun = "component"
    plural = "components"
    attr = "components"

    def values_of(self, ctx: Context) -> tuple[str, ...]:
        return ctx.issue.components


def parse(value: Any, at: Loc, parser: Parser) -> ComponentIn:
    return ComponentIn(parse_names(value, at, parser))

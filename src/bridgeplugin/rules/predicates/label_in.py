"""``label_in: [...]``: the issue has one of the listed labels (case-insensitive)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..context import Context
from ._membership import AnyValueIn, parse_names

if TYPE_CHECKING:
    from ..parse import Parser
    from ..source import Loc

KEY = "label_in"


class LabelIn(AnyValueIn):
    __slots__ = ()
    key = KEY
    noun = "label"
    plural = "labels"
    attr = "labels"

    def values_of(self, ctx: Context) -> tuple[str, ...]:
        return ctx.issue.labels


def parse(value: Any, at: Loc, parser: Parser) -> LabelIn:
    return LabelIn(parse_names(value, at, parser))

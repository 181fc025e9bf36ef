"""``status_in: [...]``: the issue's status is one of the listed names."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..context import Context
from ._membership import OneValueIn, parse_names

if TYPE_CHECKING:
    from ..parse import Parser
    from ..source import Loc

KEY = "status_in"


class StatusIn(OneValueIn):
    __slots__ = ()
    key = KEY
    noun = "status"
    kind = "statuses"
    attr = "status"

    def value(self, ctx: Context) -> str | None:
        return ctx.issue.status


def parse(value: Any, at: Loc, parser: Parser) -> StatusIn:
    return StatusIn(parse_names(value, at, parser))

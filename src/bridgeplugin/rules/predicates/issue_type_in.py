"""``issue_type_in: [...]``: the issue type (Task, Story, ...) is one of the listed names."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..context import Context
from ._membership import OneValueIn, parse_names

if TYPE_CHECKING:
    from ..parse import Parser
    from ..source import Loc

KEY = "issue_type_in"


class IssueTypeIn(OneValueIn):
    __slots__ = ()
    key = KEY
    noun = "issue type"
    kind = "issue_types"
    attr = "issue_type"

    def value(self, ctx: Context) -> str | None:
        return ctx.issue.issue_type


def parse(value: Any, at: Loc, parser: Parser) -> IssueTypeIn:
    return IssueTypeIn(parse_names(value, at, parser))

"""``project_in: [...]``: the issue's project key is one of the listed keys."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..context import Context
from ._membership import OneValueIn, parse_names

if TYPE_CHECKING:
    from ..parse import Parser
    from ..source import Loc

KEY = "project_in"


class ProjectIn(OneValueIn):
    __slots__ = ()
    key = KEY
    noun = "project"
    kind = "projects"
    attr = "project"

    def value(self, ctx: Context) -> str | None:
        return ctx.issue.project


def parse(value: Any, at: Loc, parser: Parser) -> ProjectIn:
    return ProjectIn(parse_names(value, at, parser))

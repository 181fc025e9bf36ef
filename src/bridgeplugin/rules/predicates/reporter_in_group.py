"""``reporter_in_group: [...]``: the reporter is in one of the listed groups.

An issue without a reporter (not loaded, or an anonymous request) is an ``error``: the
reporter is the main evidence of where a request came from, so its absence is not a "no".
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..context import Context
from ._groups import InGroup, Person, parse_groups, person

if TYPE_CHECKING:
    from ..parse import Parser
    from ..source import Loc

KEY = "reporter_in_group"


class ReporterInGroup(InGroup):
    __slots__ = ()
    key = KEY
    role = "reporter"
    user_attr = "reporter"

    def people(self, ctx: Context) -> list[Person] | None:
        p = person(ctx.issue.reporter)
        return [p] if p else None


def parse(value: Any, at: Loc, parser: Parser) -> ReporterInGroup:
    return ReporterInGroup(parse_groups(value, at, parser))

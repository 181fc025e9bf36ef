"""``assignee_in_group: [...]``: the assignee is in one of the listed groups.

Unassigned issues are ``false`` (nobody is assigned, so nobody in the group is), unlike a
missing reporter.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..context import Context
from ..result import FALSE
from ._groups import InGroup, Person, parse_groups, person

if TYPE_CHECKING:
    from ..parse import Parser
    from ..source import Loc

KEY = "assignee_in_group"


class AssigneeInGroup(InGroup):
    __slots__ = ()
    key = KEY
    role = "assignee"
    user_attr = "assignee"

    def people(self, ctx: Context) -> list[Person] | None:
        p = person(ctx.issue.assignee)
        return [p] if p else None

    empty_outcome = FALSE

    def empty_reason(self, ctx: Context) -> str:
        return f"the issue is unassigned; wanted someone in {self.shown}"


def parse(value: Any, at: Loc, parser: Parser) -> AssigneeInGroup:
    return AssigneeInGroup(parse_groups(value, at, parser))

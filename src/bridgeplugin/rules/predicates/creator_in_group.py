"""``creator_in_group: [...]``: the creator (who pressed Create; may differ from the
reporter when someone files on another's behalf) is in one of the listed groups."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..context import Context
from ._groups import InGroup, Person, parse_groups, person

if TYPE_CHECKING:
    from ..parse import Parser
    from ..source import Loc

KEY = "creator_in_group"


class CreatorInGroup(InGroup):
    __slots__ = ()
    key = KEY
    role = "creator"
    user_attr = "creator"

    def people(self, ctx: Context) -> list[Person] | None:
        p = person(ctx.issue.creator)
        return [p] if p else None


def parse(value: Any, at: Loc, parser: Parser) -> CreatorInGroup:
    return CreatorInGroup(parse_groups(value, at, parser))

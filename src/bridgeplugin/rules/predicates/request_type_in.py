"""``request_type_in: [...]``: the service-desk request type is one of the listed names.

The request type is a field value (Jira Service Management's "Request Type" field; the name is
``FieldNames.request_type``, set from config). The gateway may hand it over as the name, as
``{"name": ...}`` or as the raw ``{"requestType": {"name": ...}}``; all three are understood.
A field that was not loaded is an ``error``; an issue without a request type (created outside
the portal) is simply ``false``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from ..context import Context, FieldNames
from ..result import FALSE, TRUE, Outcome, Result
from ._membership import OneValueIn, as_name, parse_names

if TYPE_CHECKING:
    from ..parse import Parser
    from ..source import Loc

KEY = "request_type_in"


class RequestTypeIn(OneValueIn):
    __slots__ = ()
    key = KEY
    noun = "request type"
    kind = "request_types"

    def test(self, ctx: Context) -> Outcome:
        value = as_name(ctx.custom(ctx.fields.request_type))
        return TRUE if value and value.lower() in self.allowed else FALSE

    def evaluate(self, ctx: Context) -> Result:
        field = ctx.fields.request_type
        value = as_name(ctx.custom(field))
        if not value:
            return Result(KEY, FALSE, f"{field} is empty; wanted one of {self.shown}")
        if value.lower() in self.allowed:
            return Result(
                KEY,
                TRUE,
                f"request type {value!r} is in {self.shown}",
                values={"request_type": value},
            )
        return Result(
            KEY,
            FALSE,
            f"request type {value!r} is not in {self.shown}",
            values={"request_type": value},
        )

    def names(self, fields: FieldNames) -> Iterator[tuple[str, str]]:
        yield "fields", fields.request_type
        yield from super().names(fields)


def parse(value: Any, at: Loc, parser: Parser) -> RequestTypeIn:
    return RequestTypeIn(parse_names(value, at, parser))

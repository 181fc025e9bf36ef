"""``tagged: true``: the request is tagged as a marketing-originated technology request.

Only in ``kind: reviews`` files: it reads the tagging verdict, which review rules see through
``ctx.tagging`` (a :class:`~bridgeplugin.governance.context.ReviewContext`). ``tagged: false``
is its negation.

Outcomes: the verdict's ``tag`` decides; a verdict the tagging rules could not decide (a field
that was not loaded, a group lookup that failed) is an ``error``, so a mandatory review rule
requires the review rather than skipping it. A context without a verdict is an ``error`` too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..context import Context
from ..result import ERROR, FALSE, TRUE, Outcome, Result
from .base import Predicate

if TYPE_CHECKING:
    from ...tagging import TagVerdict
    from ..parse import Parser
    from ..source import Loc

KEY = "tagged"

NO_VERDICT = "the tagging verdict is not available (the request was not classified)"


def verdict_of(ctx: Context) -> TagVerdict | None:
    """The tagging verdict a review context carries (None for a plain tagging context)."""
    return getattr(ctx, "tagging", None)


def undecided_reason(verdict: TagVerdict) -> str:
    """Why the tagging rules could not decide, from the verdict's own reasons."""
    why = [r for r in verdict.reasons if "could not decide" in r]
    return "the tagging rules could not decide" + (f": {why[0]}" if why else "")


def describe(verdict: TagVerdict) -> str:
    """``marketing-originated technology request (category data)`` and the like."""
    if verdict.tag:
        cat = f" (category {verdict.category})" if verdict.category else ""
        return f"tagged as a marketing technology request{cat}"
    who = "marketing-originated" if verdict.marketing_originated else "not marketing-originated"
    what = "a technology request" if verdict.tech_request else "not a technology request"
    return f"not tagged: {who}, {what}"


class Tagged(Predicate):
    __slots__ = ("wanted",)
    key = KEY

    def __init__(self, wanted: bool) -> None:
        self.wanted = wanted

    def test(self, ctx: Context) -> Outcome:
        return self.evaluate(ctx).outcome

    def evaluate(self, ctx: Context) -> Result:
        verdict = verdict_of(ctx)
        if verdict is None:
            return Result(KEY, ERROR, NO_VERDICT)
        if not verdict.tag and verdict.undecided:
            return Result(KEY, ERROR, undecided_reason(verdict), values={"tag": None})
        holds = verdict.tag == self.wanted
        return Result(
            KEY,
            TRUE if holds else FALSE,
            describe(verdict),
            values={"tag": verdict.tag, "category": verdict.category},
        )


def parse(value: Any, at: Loc, parser: Parser) -> Tagged:
    parser.require_kind("reviews", at, KEY)
    wanted: bool = parser.validate(bool, value, at)
    return Tagged(wanted)

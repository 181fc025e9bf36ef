"""``signals: NAME`` or ``signals: {name: NAME, threshold: N}``: a weighted signal set scores.

True when the sum of the weights of the signals of set NAME (top-level ``signals:`` of the
same file) that occur in the issue reaches the set's threshold (or the one given here). For
fuzzy decisions where no single word settles it: "pixel" alone may be a tracking request,
"pixel" + "campaign" + a vendor surely is. The reason lists every signal that counted.

A set's score is computed once per issue and shared by every rule that uses it. If a custom
field the set reads is not on the issue and the score stays below the threshold, the outcome
is ``error`` (the missing field might have carried the missing weight).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from ..context import Context, FieldNames
from ..result import ERROR, FALSE, TRUE, Outcome, Result
from ..schema import Name, SignalsRefSpec
from ..text import SignalSet, describe_hit, fmt_num
from .base import Predicate

if TYPE_CHECKING:
    from ..parse import Parser
    from ..source import Loc

KEY = "signals"


class SignalsReach(Predicate):
    __slots__ = ("set", "threshold")
    key = KEY

    def __init__(self, signal_set: SignalSet, threshold: float) -> None:
        self.set = signal_set
        self.threshold = threshold

    def test(self, ctx: Context) -> Outcome:
        scored = ctx.memo.get(self.set)
        if scored is None:
            scored = ctx.memo[self.set] = self.set.score(ctx)
        score, _hits, missing = scored
        return self.decide(score, bool(missing))

    def decide(self, score: float, missing: bool) -> Outcome:
        """The outcome for a score, and whether a field the set reads is not on the issue."""
        if score >= self.threshold and not (missing and self.set.has_negative):
            return TRUE
        return ERROR if missing else FALSE

    def evaluate(self, ctx: Context) -> Result:
        scored = ctx.memo.get(self.set)
        if scored is None:
            scored = ctx.memo[self.set] = self.set.score(ctx)
        score, hits, missing = scored
        values = {"set": self.set.name, "score": score, "threshold": self.threshold, "hits": hits}
        if score >= self.threshold and not (missing and self.set.has_negative):
            outcome = TRUE
        elif missing:
            outcome = ERROR
        else:
            outcome = FALSE
        return Result(KEY, outcome, lambda: self._reason(outcome, score, hits, missing), (), values)

    def _reason(self, outcome: Outcome, score: float, hits: Any, missing: Any) -> str:
        counted = ", ".join(map(describe_hit, hits)) or "no signal matched"
        head = f"signals {self.set.name!r} scored {fmt_num(score)}"
        limit = fmt_num(self.threshold)
        if outcome is TRUE:
            return f"{head}, reaching the threshold {limit}: {counted}"
        if outcome is ERROR:
            gone = ", ".join(repr(m) for m in missing)
            return (
                f"{head} without field {gone}, which is not on the issue; "
                f"the threshold is {limit}: {counted}"
            )
        return f"{head}, below the threshold {limit}: {counted}"

    def names(self, fields: FieldNames) -> Iterator[tuple[str, str]]:
        for f in self.set.fields:
            if f not in ("summary", "description"):
                yield "fields", f


def parse(value: Any, at: Loc, parser: Parser) -> SignalsReach:
    if isinstance(value, dict):
        spec: SignalsRefSpec = parser.validate(SignalsRefSpec, value, at)
        signal_set = parser.signal_set(spec.name, (*at, "name"))
        return SignalsReach(signal_set, spec.threshold)
    name: str = parser.validate(Name, value, at)
    signal_set = parser.signal_set(name, at)
    return SignalsReach(signal_set, signal_set.threshold)

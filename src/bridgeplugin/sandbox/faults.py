"""The fault schedule: make the sandbox fail the way Jira Cloud fails, deterministically.

A schedule (``PUT /_sandbox/faults``) is a seed and a list of rules. Each rule matches calls by
method and path regex and answers some of them with an error status (429 with ``Retry-After``
and ``RateLimit-Reason``, 5xx), added latency, or a dropped connection. ``timing: after`` first
applies the request and then loses the answer — the "create whose response was lost" case.
Which matching calls fail is decided by (seed, rule index, match count), so a run is repeatable
regardless of wall-clock timing.

Three more ways to misbehave, for the fault matrix (``tests/faults``):

* ``per_path: true`` counts ``skip`` and ``times`` per request path, so "the first update of
  every page answers 409" is one rule (``times: 1, per_path: true``).
* ``item_probability`` on ``POST /issue/bulk``: the call succeeds, but each issue in it is
  refused with that probability, as Jira refuses single items (201 with
  ``errors[].failedElementNumber``; 400 when none was created).
* ``search_lag`` (schedule level): JQL search sees an issue's creation or update only after
  that many further searches, as Cloud's index lags its database; ``reconcileIssues`` ids are
  read consistently, as in Jira. Off (0) unless a schedule sets it.
"""

from __future__ import annotations

import random
import re
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = ["Fault", "FaultRule", "FaultSchedule", "Faults"]


class FaultRule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    method: str | None = None  # None matches every method
    path: str = ".*"  # regex, searched in the request path (no query string)
    status: int | None = None  # error status to answer with; None = only latency/drop
    retry_after: float | None = None  # seconds, sent as Retry-After
    reason: str | None = None  # RateLimit-Reason, e.g. jira-burst-based
    latency_ms: int = 0
    timing: Literal["before", "after"] = "before"
    drop: bool = False  # close the connection without answering
    probability: float = Field(default=1.0, ge=0.0, le=1.0)
    skip: int = Field(default=0, ge=0)  # let the first N matching calls through
    times: int | None = Field(default=None, ge=0)  # fail at most N times
    per_path: bool = False  # count skip/times per request path, not over all matches
    # Bulk create only: refuse each item with this probability (the call itself succeeds).
    item_probability: float | None = Field(default=None, ge=0.0, le=1.0)

    @field_validator("path")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"path is not a valid regex: {exc}") from None
        return value


class FaultSchedule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    seed: int = 0
    rules: list[FaultRule] = Field(default_factory=list)
    search_lag: int = Field(default=0, ge=0)  # searches before a write shows in JQL results


@dataclass(frozen=True)
class Fault:
    """What to do to one call."""

    status: int | None
    headers: dict[str, str]
    latency_s: float
    timing: str
    drop: bool
    refuse_items: Callable[[int], bool] | None = None  # bulk create: is item n refused?


class Faults:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._schedule = FaultSchedule()
        self._patterns: list[re.Pattern[str]] = []
        self._matched: list[int] = []
        self._fired: list[int] = []
        self._per_path: list[tuple[Counter[str], Counter[str]]] = []

    @property
    def search_lag(self) -> int:
        return self._schedule.search_lag

    def set(self, schedule: FaultSchedule) -> None:
        with self._lock:
            self._schedule = schedule
            self._patterns = [re.compile(r.path) for r in schedule.rules]
            self._matched = [0] * len(schedule.rules)
            self._fired = [0] * len(schedule.rules)
            self._per_path = [(Counter(), Counter()) for _ in schedule.rules]

    def clear(self) -> None:
        self.set(FaultSchedule())

    def describe(self) -> dict[str, object]:
        with self._lock:
            return {
                "schedule": self._schedule.model_dump(),
                "matched": list(self._matched),
                "fired": list(self._fired),
            }

    def pick(self, method: str, path: str) -> Fault | None:
        """The fault for this call, if a rule fires; the first firing rule wins."""
        with self._lock:
            for index, rule in enumerate(self._schedule.rules):
                if rule.method and rule.method.upper() != method:
                    continue
                if not self._patterns[index].search(path):
                    continue
                n = self._matched[index]
                self._matched[index] += 1
                matched, fired = self._per_path[index]
                if rule.per_path:
                    matched[path] += 1
                seen = matched[path] - 1 if rule.per_path else n
                done = fired[path] if rule.per_path else self._fired[index]
                if seen < rule.skip:
                    continue
                if rule.times is not None and done >= rule.times:
                    continue
                if rule.probability < 1.0:
                    draw = random.Random(f"{self._schedule.seed}:{index}:{n}").random()
                    if draw >= rule.probability:
                        continue
                self._fired[index] += 1
                fired[path] += 1
                headers: dict[str, str] = {}
                if rule.retry_after is not None:
                    headers["Retry-After"] = _seconds(rule.retry_after)
                if rule.reason:
                    headers["RateLimit-Reason"] = rule.reason
                return Fault(
                    status=rule.status,
                    headers=headers,
                    latency_s=rule.latency_ms / 1000.0,
                    timing=rule.timing,
                    drop=rule.drop,
                    refuse_items=_refusals(self._schedule.seed, index, n, rule.item_probability),
                )
        return None


def _refusals(
    seed: int, index: int, n: int, probability: float | None
) -> Callable[[int], bool] | None:
    if probability is None:
        return None
    return lambda item: random.Random(f"{seed}:{index}:{n}:{item}").random() < probability


def _seconds(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)

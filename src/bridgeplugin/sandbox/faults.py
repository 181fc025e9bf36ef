"""The fault schedule: make the sandbox fail the way Jira Cloud fails, deterministically.

A schedule (``PUT /_sandbox/faults``) is a seed and a list of rules. Each rule matches calls by
method and path regex and answers some of them with an error status (429 with ``Retry-After``
and ``RateLimit-Reason``, 5xx), added latency, or a dropped connection. ``timing: after`` first
applies the request and then loses the answer — the "create whose response was lost" case.
Which matching calls fail is decided by (seed, rule index, match count), so a run is repeatable
regardless of wall-clock timing.
"""

from __future__ import annotations

import random
import re
import threading
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


@dataclass(frozen=True)
class Fault:
    """What to do to one call."""

    status: int | None
    headers: dict[str, str]
    latency_s: float
    timing: str
    drop: bool


class Faults:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._schedule = FaultSchedule()
        self._patterns: list[re.Pattern[str]] = []
        self._matched: list[int] = []
        self._fired: list[int] = []

    def set(self, schedule: FaultSchedule) -> None:
        with self._lock:
            self._schedule = schedule
            self._patterns = [re.compile(r.path) for r in schedule.rules]
            self._matched = [0] * len(schedule.rules)
            self._fired = [0] * len(schedule.rules)

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
                if n < rule.skip:
                    continue
                if rule.times is not None and self._fired[index] >= rule.times:
                    continue
                if rule.probability < 1.0:
                    draw = random.Random(f"{self._schedule.seed}:{index}:{n}").random()
                    if draw >= rule.probability:
                        continue
                self._fired[index] += 1
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
                )
        return None


def _seconds(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)

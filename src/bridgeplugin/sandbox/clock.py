"""The sandbox's notion of "now": real time, or frozen/shifted by the control API.

Tests and fault rows move the clock (``PUT /_sandbox/clock``) to make relative JQL dates,
sprint boundaries and "30 minutes late" deliveries deterministic.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

__all__ = ["Clock"]


class Clock:
    def __init__(self, frozen: datetime | None = None) -> None:
        self._lock = threading.Lock()
        self._frozen = _utc(frozen) if frozen is not None else None
        self._offset = timedelta(0)

    def now(self) -> datetime:
        with self._lock:
            if self._frozen is not None:
                return self._frozen
            return datetime.now(UTC) + self._offset

    def set(self, when: datetime, *, frozen: bool = True) -> None:
        """Jump to ``when``: frozen there, or running on from it."""
        with self._lock:
            if frozen:
                self._frozen = _utc(when)
            else:
                self._frozen = None
                self._offset = _utc(when) - datetime.now(UTC)

    def advance(self, seconds: float) -> None:
        with self._lock:
            if self._frozen is not None:
                self._frozen += timedelta(seconds=seconds)
            else:
                self._offset += timedelta(seconds=seconds)

    def real(self) -> None:
        with self._lock:
            self._frozen = None
            self._offset = timedelta(0)

    def describe(self) -> dict[str, object]:
        return {"now": self.now().isoformat(), "frozen": self._frozen is not None}


def _utc(when: datetime) -> datetime:
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)

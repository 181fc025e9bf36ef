"""Keep under Jira Cloud's per-issue write limits instead of running into them.

Jira allows 20 writes per 2 s and 100 per 30 s on one issue and answers 429
(``RateLimit-Reason: jira-per-issue-on-write``) beyond that; retrying early is punished. Most
runs write each issue a few times, but some writes pile onto one issue: every link of an
epic's children touches the epic, a run that comments and transitions many times. The gateway
asks the pacer before each write that names issues; the pacer waits just long enough that the
write stays inside both windows, with a margin for clocks and latency between us and Jira.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterable

__all__ = ["WINDOWS", "IssueWritePacer"]

# (window seconds, writes allowed): Jira's (20 per 2 s, 100 per 30 s) less 10 % as a margin.
WINDOWS: tuple[tuple[float, int], ...] = ((2.0, 18), (30.0, 90))
_SWEEP_EVERY = 1_000  # writes between forgetting issues not written for a whole window


class IssueWritePacer:
    def __init__(
        self,
        windows: tuple[tuple[float, int], ...] = WINDOWS,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._windows = windows
        self._longest = max(w for w, _ in windows)
        self._clock = clock
        self._sleep = sleep
        self._writes: dict[str, deque[float]] = {}
        self._count = 0
        self.waited = 0.0  # seconds slept, for reports

    def before_write(self, keys: Iterable[str]) -> None:
        """Wait until one more write to each of ``keys`` is allowed, then count it."""
        keys = [k.upper() for k in keys]
        if not keys:
            return
        wait = max(self._wait(k, self._clock()) for k in keys)
        if wait > 0:
            self._sleep(wait)
            self.waited += wait
        now = self._clock()
        for key in keys:
            self._writes.setdefault(key, deque()).append(now)
        self._count += 1
        if self._count % _SWEEP_EVERY == 0:
            self._sweep(now)

    def _wait(self, key: str, now: float) -> float:
        times = self._writes.get(key)
        if not times:
            return 0.0
        while times and times[0] <= now - self._longest:
            times.popleft()
        wait = 0.0
        for window, allowed in self._windows:
            recent = [t for t in times if t > now - window]
            if len(recent) >= allowed:
                # Allowed once the allowed-th most recent write has left the window.
                wait = max(wait, recent[len(recent) - allowed] + window - now)
        return wait

    def _sweep(self, now: float) -> None:
        """Forget issues with no write in the longest window: memory stays flat in N."""
        stale = [k for k, t in self._writes.items() if not t or t[-1] <= now - self._longest]
        for key in stale:
            del self._writes[key]

    def __len__(self) -> int:
        return len(self._writes)

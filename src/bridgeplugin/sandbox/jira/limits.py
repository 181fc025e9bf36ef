"""Jira Cloud's per-issue write limits: 20 writes per 2 s and 100 per 30 s on one issue.

A write over either limit answers 429 with ``Retry-After`` and ``RateLimit-Reason:
jira-per-issue-on-write``. Windows run on ``time.monotonic`` (the real-time part of the sandbox
clock): moving the sandbox clock to make dates deterministic must not open or close them.
Rejected writes are not counted, so a client that waits ``Retry-After`` gets through.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable

from ..routing import HttpError

__all__ = ["REASON", "WINDOWS", "IssueWriteLimiter"]

REASON = "jira-per-issue-on-write"
# (window seconds, writes allowed in the window), as Atlassian documents them.
WINDOWS: tuple[tuple[float, int], ...] = ((2.0, 20), (30.0, 100))
_LONGEST = max(w for w, _ in WINDOWS)


class IssueWriteLimiter:
    def __init__(self, *, enabled: bool = True, now: Callable[[], float] = time.monotonic) -> None:
        self.enabled = enabled
        self._now = now
        self._writes: dict[int, deque[float]] = {}

    def check(self, issue_id: int) -> None:
        """Count one write to the issue, or raise the 429 Jira answers when over a limit."""
        if not self.enabled:
            return
        now = self._now()
        times = self._writes.setdefault(issue_id, deque())
        while times and times[0] <= now - _LONGEST:
            times.popleft()
        wait = 0.0
        for window, allowed in WINDOWS:
            in_window = sum(1 for t in times if t > now - window)
            if in_window >= allowed:
                # The write is allowed once the allowed-th most recent write leaves the window.
                oldest_that_matters = times[len(times) - allowed]
                wait = max(wait, oldest_that_matters + window - now)
        if wait > 0:
            retry_after = max(1, math.ceil(wait))
            raise HttpError(
                429,
                "Rate limit exceeded.",
                headers={
                    "Retry-After": str(retry_after),
                    "RateLimit-Reason": REASON,
                    "X-RateLimit-Limit": str(WINDOWS[0][1]),
                    "X-RateLimit-Remaining": "0",
                },
            )
        times.append(now)

    def forget(self, issue_id: int) -> None:
        self._writes.pop(issue_id, None)

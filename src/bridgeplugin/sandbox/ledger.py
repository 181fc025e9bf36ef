"""A record of every call the sandbox answered: what tests and benchmarks count.

Points follow Atlassian's model: every request costs a base of 1 point; reads add a point per
object returned; writes cost the base only. Handlers set ``request.points`` for reads.
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass

__all__ = ["Call", "Ledger"]


# POSTs that only read: Jira takes search and bulk fetches as POST so bodies can be long.
_READ_ONLY_POSTS = ("/search/jql", "/search/approximate-count", "/bulkfetch", "/search")


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    status: int
    points: int
    route: str = ""  # the route template, e.g. /rest/api/{ver}/issue/{key}: groups calls by kind
    # When it was answered (time.monotonic of the sandbox process): per-issue write rates.
    at: float = 0.0

    @property
    def is_write(self) -> bool:
        if self.method == "GET" or self.method == "HEAD":
            return False
        return not (self.method == "POST" and self.path.endswith(_READ_ONLY_POSTS))


class Ledger:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls: list[Call] = []

    def record(self, call: Call) -> None:
        with self._lock:
            self._calls.append(call)

    def calls(self) -> list[Call]:
        with self._lock:
            return list(self._calls)

    def clear(self) -> None:
        with self._lock:
            self._calls.clear()

    def to_json(self) -> dict[str, object]:
        return {"calls": [asdict(c) for c in self.calls()]}

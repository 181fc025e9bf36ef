"""Counters and gauges of ``bridge serve``, rendered in the Prometheus text format (0.0.4).

Each counter is written by one thread only (the event loop: what arrives; the worker: what was
processed), so plain integers under the GIL are enough. The gauges come from the inbox table,
which the worker reads on every round, so ``GET /metrics`` never touches the store itself.
With ``--workers N`` each process counts its own requests; the gauges are the shared inbox's.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

__all__ = ["Metrics"]


@dataclass
class Metrics:
    received: Counter[str] = field(default_factory=Counter)  # by source, new and duplicate
    duplicates: Counter[str] = field(default_factory=Counter)
    rejected: Counter[str] = field(default_factory=Counter)  # by reason
    processed: int = 0  # deliveries whose issues were synced
    failed: int = 0  # deliveries given up on (dead letters)
    retries: int = 0  # deliveries put back for a later attempt
    runs: int = 0  # sync runs the worker made
    deferred: int = 0  # rounds put off because another sync (cron) held the sync lease
    queued: int = 0
    dead: int = 0
    lag: float = 0.0  # age of the oldest queued delivery, seconds

    def render(self) -> str:
        lines: list[str] = []

        def metric(name: str, kind: str, doc: str, samples: dict[str, float]) -> None:
            lines.append(f"# HELP bridge_{name} {doc}")
            lines.append(f"# TYPE bridge_{name} {kind}")
            for labels, value in samples.items():
                lines.append(f"bridge_{name}{labels} {_number(value)}")

        def by(label: str, counts: Counter[str], known: tuple[str, ...]) -> dict[str, float]:
            names = sorted(set(known) | set(counts))
            return {f'{{{label}="{n}"}}': counts[n] for n in names}

        sources = ("automation", "jira")
        metric(
            "received_total",
            "counter",
            "Deliveries stored (new or duplicate).",
            by("source", self.received, sources),
        )
        metric(
            "duplicates_total",
            "counter",
            "Deliveries whose id was already in the inbox.",
            by("source", self.duplicates, sources),
        )
        metric(
            "rejected_total",
            "counter",
            "Requests answered with an error, by reason.",
            by("reason", self.rejected, ()),
        )
        metric("queued", "gauge", "Deliveries waiting in the inbox.", {"": self.queued})
        metric("processed_total", "counter", "Deliveries processed.", {"": self.processed})
        metric(
            "failed_total", "counter", "Deliveries moved to the dead letters.", {"": self.failed}
        )
        metric(
            "retries_total",
            "counter",
            "Delivery attempts that failed and were rescheduled.",
            {"": self.retries},
        )
        metric("dead_letters", "gauge", "Deliveries in the dead letters.", {"": self.dead})
        metric("lag_seconds", "gauge", "Age of the oldest queued delivery.", {"": self.lag})
        metric("sync_runs_total", "counter", "Sync runs made by the worker.", {"": self.runs})
        metric(
            "deferred_total",
            "counter",
            "Rounds put off because another sync held the sync lease.",
            {"": self.deferred},
        )
        return "\n".join(lines) + "\n"


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.3f}"

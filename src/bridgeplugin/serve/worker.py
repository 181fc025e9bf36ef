"""The worker: takes deliveries from the inbox and runs the sync pipeline for their issues.

* **Coalescing.** A round starts once the newest waiting delivery is ``settle`` seconds old
  (the burst is over; the oldest never waits more than ``max_delay``), then takes every due
  delivery and syncs each issue they name once: fifty edits of MKT-1 in a second make one run.
* **Current state.** Processing re-reads the issues from Jira (``SyncOptions.keys``), so a
  late, repeated or out-of-order delivery converges to what Jira says now.
* **Isolation.** A run that fails as a whole is repeated issue by issue, so one poison issue
  only holds back the deliveries that name it.
* **Retries, then dead letters.** A failed delivery is tried again after an exponential,
  jittered backoff; after ``max_attempts`` it moves to the dead letters (``bridge status``,
  ``bridge status --retry``). A run that could not start because another sync holds the
  lease is put off without using an attempt.
* **One worker per inbox.** The worker holds the ``inbox`` lease, so with several processes
  (``--workers N``, or replicas sharing a database later) one of them processes and the others
  stand by. A holder that died on this host (``kill -9``) is recognised by its pid and replaced
  at once instead of after the lease's time to live.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from ..logs import redact
from ..state import Delivery, Lease, LeaseLost, Store, dead_here
from .metrics import Metrics

__all__ = ["LEASE_NAME", "Outcome", "Processor", "Worker", "WorkerSettings", "dead_here"]

log = logging.getLogger(__name__)

LEASE_NAME = "inbox"


# How bridge serve and bridge sync name a lease holder: "... pid 4242 on host-1".
@dataclass(frozen=True)
class WorkerSettings:
    settle: float = 1.0  # seconds of quiet that end a burst
    max_delay: float = 10.0  # ... but the oldest delivery waits no longer than this
    poll: float = 0.5
    batch: int = 1000  # deliveries per round
    keys_per_run: int = 50  # issues per sync run (one JQL query)
    max_attempts: int = 5
    backoff: float = 10.0  # first retry after about this long, doubling after that
    max_backoff: float = 900.0
    defer: float = 15.0  # wait when another sync holds the lease
    lease_seconds: float = 600.0
    retention: float = 7 * 86400.0  # processed ids are remembered (deduplicated) this long


@dataclass
class Outcome:
    """What one sync run did for the issues it was given."""

    error: str | None = None  # the run failed as a whole
    failed: dict[str, str] = field(default_factory=dict)  # issue key -> why
    deferred: str | None = None  # the run could not start (lease held): no attempt used


class Processor(Protocol):
    def sync_keys(self, keys: Sequence[str]) -> Outcome: ...
    def sweep(self) -> Outcome: ...
    def close(self) -> None: ...


class Worker:
    def __init__(
        self,
        open_store: Callable[[], Store],
        processor: Callable[[Store], Processor],
        *,
        metrics: Metrics,
        settings: WorkerSettings,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._open_store = open_store
        self._make_processor = processor
        self._metrics = metrics
        self.settings = settings
        self._clock = clock
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._owner = uuid.uuid4().hex
        self._holder = f"bridge serve pid {os.getpid()} on {socket.gethostname()}"
        self._lease: Lease | None = None
        self._next_purge = 0.0
        self._paused_until = 0.0

    # -- the thread ---------------------------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="inbox-worker", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Stop after the current round (its deliveries are then done or still queued)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        store: Store | None = None
        processor: Processor | None = None
        while not self._stop.is_set():
            try:
                if store is None:
                    store = self._open_store()
                if processor is None:
                    processor = self._make_processor(store)
                self.run_once(store, processor)
            except Exception:
                # The store or the site is unreachable for now: keep the thread, try later.
                log.exception("the inbox worker failed; trying again shortly")
                self._stop.wait(self.settings.defer)
                continue
            self._stop.wait(self.settings.poll)
        if processor is not None:
            processor.close()
        if store is not None:
            if self._lease is not None:
                store.release_lease(self._lease)
            store.close()

    # -- one round ----------------------------------------------------------------------------

    def run_once(self, store: Store, processor: Processor) -> int:
        """One round: deliveries handled (done, rescheduled or buried); 0 when none was ready."""
        now = self._clock()
        self._gauges(store, now)
        if now < self._paused_until or not self._hold(store, now):
            return 0
        if now >= self._next_purge:
            store.purge_inbox(now - self.settings.retention)
            self._next_purge = now + 3600.0
        due = store.due(now, self.settings.batch)
        fresh = [d.received_at for d in due if d.attempts == 0]
        if not due or (
            fresh
            and now - max(fresh) < self.settings.settle
            and now - min(fresh) < self.settings.max_delay
        ):
            return 0
        handled = self._process(store, processor, due, now)
        self._gauges(store, self._clock())
        return handled

    def _process(
        self, store: Store, processor: Processor, due: Sequence[Delivery], now: float
    ) -> int:
        done_keys: set[str] = set()
        errors: dict[str, str] = {}  # issue key, or "*" for the sweep -> why it failed
        deferred = False
        keys = list(dict.fromkeys(k for d in due for k in d.keys))
        for chunk in _chunks(keys, self.settings.keys_per_run):
            outcome = self._call(processor.sync_keys, chunk)
            if outcome.error and len(chunk) > 1:
                # One bad issue must not hold back the others: run them one by one.
                for key in chunk:
                    single = self._call(processor.sync_keys, [key])
                    if single.deferred:
                        deferred = True
                        break
                    errors.update(single.failed)
                    if single.error:
                        errors[key] = single.error
                    done_keys.add(key)
            elif outcome.deferred:
                deferred = True
            else:
                errors.update(outcome.failed)
                if outcome.error:
                    errors[chunk[0]] = outcome.error
                done_keys.update(chunk)
            if deferred:
                break
        if not deferred and any(d.sweep for d in due):
            outcome = self._call(lambda _: processor.sweep(), [])
            if outcome.deferred:
                deferred = True
            else:
                done_keys.add("*")
                error = outcome.error or next(iter(outcome.failed.values()), None)
                if error:
                    errors["*"] = error
        if deferred:
            log.info("inbox processing put off: another sync holds the lease")
            self._metrics.deferred += 1
            self._paused_until = now + self.settings.defer
        return self._settle(store, due, done_keys, errors, now)

    def _settle(
        self,
        store: Store,
        due: Sequence[Delivery],
        done_keys: set[str],
        errors: dict[str, str],
        now: float,
    ) -> int:
        """Record each delivery's result: done, retried later, buried, or untouched (put off)."""
        completed: list[str] = []
        handled = 0
        for d in due:
            needed = [*d.keys, *(["*"] if d.sweep else [])]
            if not all(k in done_keys for k in needed):
                continue
            handled += 1
            failures = [f"{k}: {errors[k]}" for k in needed if k in errors]
            if not failures:
                completed.append(d.id)
                continue
            reason = "; ".join(failures)[:2000]
            if d.attempts + 1 >= self.settings.max_attempts:
                store.bury([d.id], reason)
                self._metrics.failed += 1
                log.warning(
                    "delivery %s gave up after %d attempts: %s", d.id, d.attempts + 1, reason
                )
            else:
                store.retry_later([d.id], reason, now + self._backoff(d.attempts + 1))
                self._metrics.retries += 1
        if completed:
            store.complete(completed)
            self._metrics.processed += len(completed)
        return handled

    def _call(self, run: Callable[[Sequence[str]], Outcome], keys: Sequence[str]) -> Outcome:
        self._metrics.runs += 1
        try:
            return run(keys)
        except Exception as exc:  # a bug or an unexpected failure counts as a failed attempt
            log.warning("sync run for %s failed", ", ".join(keys) or "the sweep", exc_info=True)
            return Outcome(error=redact(f"{type(exc).__name__}: {exc}"))

    def _backoff(self, attempt: int) -> float:
        delay = min(self.settings.max_backoff, self.settings.backoff * 2 ** (attempt - 1))
        return delay / 2 + random.uniform(0, delay / 2)  # jitter: failures don't march in step

    def _gauges(self, store: Store, now: float) -> None:
        stats = store.inbox_stats()
        self._metrics.queued = stats.queued
        self._metrics.dead = stats.dead
        self._metrics.lag = max(0.0, now - stats.oldest_queued) if stats.oldest_queued else 0.0

    # -- the lease ----------------------------------------------------------------------------

    def _hold(self, store: Store, now: float) -> bool:
        ttl = self.settings.lease_seconds
        if self._lease is not None:
            if self._lease.expires_at - now > ttl * 2 / 3:
                return True
            try:
                self._lease = store.renew_lease(self._lease, ttl)
                return True
            except LeaseLost:
                self._lease = None
        lease = store.acquire_lease(LEASE_NAME, self._owner, self._holder, ttl)
        if not lease.held_by(self._owner) and dead_here(lease.holder):
            log.info("taking over the inbox from %s, which is gone", lease.holder)
            store.release_lease(lease)
            lease = store.acquire_lease(LEASE_NAME, self._owner, self._holder, ttl)
        self._lease = lease if lease.held_by(self._owner) else None
        return self._lease is not None


def _chunks(items: Sequence[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])

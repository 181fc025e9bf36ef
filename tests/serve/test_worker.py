"""Processing the inbox: once per delivery, once per burst, retries, dead letters, the lease."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from bridgeplugin.cli import main
from bridgeplugin.serve import WorkerSettings
from bridgeplugin.serve.metrics import Metrics
from bridgeplugin.serve.worker import LEASE_NAME, Worker
from bridgeplugin.state import Delivery, SqliteStore, open_store

from .conftest import FakeProcessor, Served, issue_event, wait_for


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def delivery(ident: str, *keys: str, at: float, sweep: bool = False) -> Delivery:
    return Delivery(
        id=ident,
        received_at=at,
        source="jira",
        event="jira:issue_updated",
        keys=keys,
        sweep=sweep,
        body=b"{}",
    )


def make_worker(store_path: Path, clock: Clock, **settings: float) -> tuple[Worker, Metrics]:
    metrics = Metrics()
    worker = Worker(
        lambda: open_store(store_path),
        lambda store: FakeProcessor(),
        metrics=metrics,
        settings=WorkerSettings(**{"settle": 1.0, "backoff": 10.0, "max_attempts": 3, **settings}),
        clock=clock,
    )
    return worker, metrics


@pytest.fixture
def store(state: Path) -> SqliteStore:
    with open_store(state) as s:
        yield s


def test_a_replayed_delivery_is_200_duplicate_and_processed_once(
    serve_app: Callable[..., Served], state: Path
) -> None:
    processor = FakeProcessor()
    served = serve_app(processor)
    body = issue_event("MKT-1")
    assert served.webhook(body, ident="r-1").status_code == 202
    assert served.webhook(body, ident="r-1").status_code == 200
    wait_for(lambda: processor.processed("MKT-1") == 1)
    assert served.webhook(body, ident="r-1").status_code == 200  # after processing, too
    wait_for(lambda: "bridge_processed_total 1" in served.http.get(f"{served.url}/metrics").text)
    assert processor.processed("MKT-1") == 1


def test_a_burst_for_one_issue_is_processed_once(
    serve_app: Callable[..., Served], state: Path
) -> None:
    processor = FakeProcessor()
    served = serve_app(processor)
    for n in range(25):
        assert served.webhook(issue_event("MKT-2", n=n), ident=f"b-{n}").status_code == 202
    served.automation({"key": "MKT-3"})
    wait_for(lambda: "bridge_processed_total 26" in served.http.get(f"{served.url}/metrics").text)
    assert processor.runs == [("MKT-2", "MKT-3")]  # one run, each issue once


def test_a_poison_delivery_goes_to_the_dead_letters_and_the_others_are_processed(
    state: Path, store: SqliteStore
) -> None:
    clock = Clock()
    worker, metrics = make_worker(state, clock)
    processor = FakeProcessor(poison={"MKT-13"})
    t = clock.now
    store.enqueue(
        [
            delivery("p", "MKT-13", at=t),
            delivery("a", "MKT-14", at=t),
            delivery("b", "MKT-15", "MKT-13", at=t),
            delivery("c", "MKT-16", at=t),
        ]
    )
    clock.now += 1.5
    assert worker.run_once(store, processor) == 4
    # The batch failed as a whole, so each issue ran on its own: only MKT-13 failed.
    first, *singles = processor.runs
    assert sorted(first) == ["MKT-13", "MKT-14", "MKT-15", "MKT-16"]
    assert sorted(singles) == [("MKT-13",), ("MKT-14",), ("MKT-15",), ("MKT-16",)]
    assert metrics.processed == 2 and metrics.retries == 2  # a, c done; p, b retried
    assert worker.run_once(store, processor) == 0  # not due yet: backoff
    for _ in range(2):
        clock.now += 1000
        assert worker.run_once(store, processor) == 2
    assert metrics.failed == 2 and metrics.retries == 4
    letters = store.dead_letters()
    assert [(d.delivery.id, d.delivery.attempts) for d in letters] == [("b", 3), ("p", 3)]
    assert "MKT-13: Jira refused MKT-13" in letters[0].delivery.error
    assert store.inbox_stats().queued == 0 and metrics.dead == 2
    # bridge status shows them and exits 1; --retry queues them again.
    env = {"BRIDGE_STATE": str(state)}
    shown = CliRunner().invoke(main, ["status"], env=env)
    assert shown.exit_code == 1, shown.output
    assert "2 dead letter(s)" in shown.output and "Jira refused MKT-13" in shown.output
    retried = CliRunner().invoke(main, ["status", "--retry", "--format", "json"], env=env)
    assert retried.exit_code == 0, retried.output
    assert '"retried": 2' in retried.output and '"queued": 2' in retried.output
    processor.poison.clear()  # the cause was fixed
    clock.now += 1
    assert worker.run_once(store, processor) == 2
    assert store.inbox_stats().queued == 0 and store.dead_letters() == []
    assert CliRunner().invoke(main, ["status"], env=env).exit_code == 0


def test_a_redelivery_of_a_dead_letter_stays_a_duplicate(store: SqliteStore) -> None:
    store.enqueue([delivery("x", "MKT-1", at=1.0)])
    store.bury(["x"], "boom")
    assert store.enqueue([delivery("x", "MKT-1", at=2.0)]) == [False]


def test_a_burst_waits_until_it_settles_but_never_longer_than_max_delay(
    state: Path, store: SqliteStore
) -> None:
    clock = Clock()
    worker, _ = make_worker(state, clock, settle=1.0, max_delay=3.0)
    processor = FakeProcessor()
    handled = []
    for n in range(5):  # one delivery every 0.8 s: the burst never settles by itself
        store.enqueue([delivery(f"d{n}", "MKT-1", at=clock.now)])
        clock.now += 0.8
        handled.append(worker.run_once(store, processor))
    assert handled == [0, 0, 0, 4, 0]  # the oldest had waited max_delay: go
    clock.now += 1.0  # quiet for the settle time: the rest goes too
    assert worker.run_once(store, processor) == 1
    assert processor.runs == [("MKT-1",), ("MKT-1",)]


def test_a_held_sync_lease_puts_processing_off_without_using_an_attempt(
    state: Path, store: SqliteStore
) -> None:
    clock = Clock()
    worker, metrics = make_worker(state, clock, defer=15.0)
    processor = FakeProcessor(deferred=True)
    store.enqueue([delivery("d", "MKT-1", at=clock.now)])
    clock.now += 2
    assert worker.run_once(store, processor) == 0
    assert store.due(clock.now, 10)[0].attempts == 0 and metrics.retries == 0
    processor.deferred = False
    clock.now += 5
    assert worker.run_once(store, processor) == 0  # still pausing
    clock.now += 15
    assert worker.run_once(store, processor) == 1


def test_sprint_events_sweep_once_and_deleted_issues_need_nothing(
    state: Path, store: SqliteStore
) -> None:
    clock = Clock()
    worker, metrics = make_worker(state, clock)
    processor = FakeProcessor()
    store.enqueue(
        [
            delivery("s1", at=clock.now, sweep=True),
            delivery("s2", at=clock.now, sweep=True),
            delivery("del", at=clock.now),
        ]
    )
    clock.now += 2
    assert worker.run_once(store, processor) == 3
    assert processor.sweeps == 1 and processor.runs == [] and metrics.processed == 3


def test_one_worker_holds_the_inbox_and_a_dead_holder_on_this_host_is_replaced(
    state: Path, store: SqliteStore
) -> None:
    clock = Clock()
    one, _ = make_worker(state, clock)
    two, _ = make_worker(state, clock)
    processor = FakeProcessor()
    store.enqueue([delivery("d", "MKT-1", at=clock.now)])
    clock.now += 2
    assert one.run_once(store, processor) == 1
    store.enqueue([delivery("e", "MKT-2", at=clock.now)])
    clock.now += 2
    assert two.run_once(store, processor) == 0  # stands by: one holds the lease
    # A holder that was kill -9'd: its pid no longer runs on this host.
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    store.release_lease(store.acquire_lease(LEASE_NAME, "x", "x", 1))  # free it ...
    import socket

    holder = f"bridge serve pid {gone.pid} on {socket.gethostname()}"
    lease = store.acquire_lease(LEASE_NAME, "dead-owner", holder, 600)  # ... for the dead one
    assert lease.owner == "dead-owner"
    three, _ = make_worker(state, clock)
    assert three.run_once(store, processor) == 1
    assert os.getpid() != gone.pid

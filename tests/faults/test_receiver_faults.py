"""The receiver rows of the fault matrix (issue 8): ``bridge serve`` receiving HMAC-signed
webhooks over real HTTP from a scenario played on the demo sandbox, under duplicates,
reordering, 30-minute delays, downtime healed by cron, cron racing the worker, and kill -9 in
the middle of a sync run. Each run's final Jira state must equal the fault-free run's.

A few seeds each here; ``benchmarks/fault_matrix_receiver.py`` runs hundreds.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bridgeplugin.state import open_store

from .receiver_rows import ROWS, RowResult, baseline, check, sanity
from .receiver_support import Rig, Snapshot, Zygote

pytestmark = pytest.mark.sandbox


@pytest.fixture(scope="module")
def rig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rig]:
    # First: the zygote must be forked before this module opens any state database.
    zygote = Zygote()
    running = Rig(tmp_path_factory.mktemp("receiver-faults"), zygote=zygote)
    yield running
    running.close()
    zygote.close()


@pytest.fixture(scope="module")
def expected(rig: Rig) -> Snapshot:
    """The fault-free run: every event delivered once, in order."""
    result = baseline(rig)
    assert result.problems == [], result.problems
    assert result.snapshot is not None
    assert sanity(result.snapshot) == []
    assert result.evidence["processed"] == 10
    return result.snapshot


def passes(result: RowResult, expected: Snapshot) -> None:
    problems = check(result, expected)
    assert problems == [], "\n".join(p[:2000] for p in problems)


def test_the_fault_free_run_is_repeatable_and_leaves_nothing_for_a_full_sync(
    rig: Rig, expected: Snapshot
) -> None:
    again = baseline(rig)
    passes(again, expected)
    # Nothing is missing either: a full sync over the final state has nothing to do. (The run's
    # state directory is gone after the run, so sync against a fresh one on the same site.)
    rig.begin()
    try:
        for phase in (1, 2):
            rig.act(phase)
            report = rig.sync()
            assert report.error is None and not report.failures
        assert check(RowResult("cron only", 0, rig.snapshot()), expected) == []
        report = rig.sync(full=True)
        assert report.error is None and report.outcomes == [], report.to_json()
    finally:
        rig.finish()


@pytest.mark.parametrize("seed", [1, 2])
def test_duplicate_deliveries_are_stored_once_and_change_nothing(
    rig: Rig, expected: Snapshot, seed: int
) -> None:
    result = ROWS["duplicates"](rig, seed)
    passes(result, expected)
    assert result.evidence["duplicates"] >= result.evidence["stored"] == 10


@pytest.mark.parametrize("seed", [1, 2])
def test_older_events_after_newer_ones_end_in_what_jira_says_now(
    rig: Rig, expected: Snapshot, seed: int
) -> None:
    result = ROWS["out_of_order"](rig, seed)
    passes(result, expected)


@pytest.mark.parametrize("seed", [1, 2])
def test_events_30_minutes_late_do_not_undo_newer_decisions(
    rig: Rig, expected: Snapshot, seed: int
) -> None:
    result = ROWS["late"](rig, seed)
    passes(result, expected)
    assert result.evidence["late_minutes"] >= 30 and result.evidence["late"] >= 2


@pytest.mark.parametrize("seed", [1, 2])
def test_events_lost_while_the_receiver_was_down_are_healed_by_the_next_cron_sync(
    rig: Rig, expected: Snapshot, seed: int
) -> None:
    result = ROWS["receiver_down"](rig, seed)
    passes(result, expected)
    assert result.evidence["refused"] == 4 * result.evidence["lost"] > 0


def test_cron_racing_the_worker_writes_nothing_twice(rig: Rig, expected: Snapshot) -> None:
    collisions = 0
    for seed in (1, 2, 3):
        result = ROWS["cron_race"](rig, seed)
        passes(result, expected)
        collisions += (
            result.evidence["cron_skipped_worker_held_lease"]
            + result.evidence["worker_deferred_cron_held_lease"]
        )
    assert collisions >= 1, "cron and the worker never met on the lease"


@pytest.mark.parametrize("seed", [1])
def test_a_kill_9_in_the_middle_of_a_sync_run_is_finished_by_the_next_process(
    rig: Rig, expected: Snapshot, seed: int
) -> None:
    result = ROWS["kill9"](rig, seed)
    passes(result, expected)
    assert result.evidence["queued_at_kill"] > 0 and result.evidence["writes_before_kill"] > 0


@pytest.mark.parametrize("seed", [2, 3])
def test_a_kill_9_of_a_forked_receiver_mid_run_is_finished_by_the_next(
    rig: Rig, expected: Snapshot, seed: int
) -> None:
    """The benchmark's variant (no interpreter start-up), other kill points."""
    result = ROWS["kill9_fork"](rig, seed)
    passes(result, expected)
    assert result.evidence["queued_at_kill"] > 0 and result.evidence["writes_before_kill"] > 0


def test_another_process_closing_the_state_file_loses_no_commit_of_bridge_serve(
    tmp_path: Path,
) -> None:
    """bridge serve opens the state file twice (inbox writer, worker). Opening it used to open
    and close a plain descriptor of the file, which dropped the process's POSIX locks, so the
    next process to close the database (bridge status, cron) deleted the WAL file under it:
    every later commit (inbox rows acknowledged with 202, lease releases) was lost."""
    path = tmp_path / "state.db"
    writer = open_store(path)
    writer.set_watermark("before", datetime.now(UTC))
    worker = open_store(path)
    reader = (
        "import sqlite3, sys; db = sqlite3.connect(sys.argv[1]); "
        "print(sorted(r[0] for r in db.execute('SELECT scope FROM watermarks'))); db.close()"
    )
    run = [sys.executable, "-c", reader, str(path)]
    assert subprocess.run(run, capture_output=True, text=True, check=True).stdout.strip() == (
        "['before']"
    )
    writer.set_watermark("after", datetime.now(UTC))
    seen = subprocess.run(run, capture_output=True, text=True, check=True).stdout.strip()
    worker.close()
    writer.close()
    assert seen == "['after', 'before']"


def test_a_revert_whose_comment_a_stopped_run_never_posted_gets_it_once(rig: Rig) -> None:
    """Found by the kill -9 row: a run killed after moving MKT-1 back to In Review but before
    explaining why left a request that no longer violates, so no later run said anything."""
    rig.begin()
    try:
        rig.act(1)
        # What the killed run did: the revert by the plugin's account, and nothing after it.
        admin = rig.as_user("admin")
        back = {t["name"]: t["id"] for t in admin.transitions("MKT-1")}["Back to review"]
        admin.transition_issue("MKT-1", back)
        first = rig.sync()
        posted = [o for o in first.outcomes if o.action.kind == "review_comment"]
        assert [(o.action.key, o.ok) for o in posted] == [("MKT-1", True)]
        last = admin.comments("MKT-1")[-1].body
        assert "moved to Approved by Chloé Martin" in last
        assert rig.record("MKT-1")["governance"]["notices"] == [posted[0].action.ref]
        again = rig.sync()
        assert [o for o in again.outcomes if o.action.key == "MKT-1"] == []
    finally:
        rig.finish()


def test_a_revert_comment_posted_but_not_recorded_is_recorded_not_posted_again(
    rig: Rig,
) -> None:
    rig.begin()
    try:
        rig.act(1)
        first = rig.sync()
        kinds = [o.action.kind for o in first.outcomes if o.action.key == "MKT-1"]
        # The comment and the notice's record go before the revert (a run stopped in between
        # must not leave a revert unexplained); the commit record last.
        assert kinds == ["review_comment", "record_notice", "revert", "set_property"]
        # The run stopped before the commit record: the property lacks the notice.
        value = rig.record("MKT-1")
        ref = value.pop("governance")["notices"]
        rig.as_user("admin").add_issue_property("MKT-1", "bridge", value)
        second = rig.sync()
        assert [(o.action.kind, o.action.key) for o in second.outcomes] == [
            ("set_property", "MKT-1")
        ]
        assert rig.record("MKT-1")["governance"]["notices"] == ref
        bodies = [c.body for c in rig.as_user("admin").comments("MKT-1")]
        assert sum("approval reverted" in b for b in bodies) == 1
    finally:
        rig.finish()

"""The SQLite store: watermarks, the lease and the journal, on a real file."""

from __future__ import annotations

import sqlite3
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bridgeplugin.errors import ConfigError
from bridgeplugin.state import JournalEntry, LeaseLost, SqliteStore, open_store


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(tmp_path: Path, clock: Clock) -> SqliteStore:
    with open_store(tmp_path / "deep" / "state.db", now=clock) as s:
        yield s


def test_the_file_and_its_new_directory_are_private(tmp_path: Path, store: SqliteStore) -> None:
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(store.path.parent.stat().st_mode) == 0o700


def test_an_existing_readable_file_is_made_private(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    path.touch(mode=0o644)
    path.chmod(0o644)
    open_store(path).close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_wal_and_full_synchronous(store: SqliteStore) -> None:
    db = sqlite3.connect(store.path)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store._db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


def test_a_path_that_cannot_be_created_is_a_config_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ConfigError, match="BRIDGE_STATE"):
        open_store(blocker / "state.db")


def test_watermarks_are_kept_per_scope_as_aware_utc(store: SqliteStore) -> None:
    when = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
    assert store.watermark("site project in (MKT, IT)") is None
    store.set_watermark("site project in (MKT, IT)", when)
    store.set_watermark("site project in (MKT)", when - timedelta(days=1))
    store.set_watermark("site project in (MKT, IT)", when + timedelta(hours=1))
    assert store.watermark("site project in (MKT, IT)") == when + timedelta(hours=1)
    assert store.watermark("site project in (MKT)") == when - timedelta(days=1)
    with pytest.raises(ValueError):
        store.set_watermark("x", datetime(2026, 1, 1))


def test_a_second_owner_gets_the_holders_lease_until_it_expires(
    store: SqliteStore, clock: Clock
) -> None:
    mine = store.acquire_lease("sync", "a", "pid 1 on cron-1", ttl=600)
    assert mine.held_by("a")

    theirs = store.acquire_lease("sync", "b", "pid 2 on cron-2", ttl=600)
    assert not theirs.held_by("b")
    assert theirs.holder == "pid 1 on cron-1" and theirs.expires_at == mine.expires_at

    clock.now += 601  # the first holder crashed and never renewed
    assert store.acquire_lease("sync", "b", "pid 2 on cron-2", ttl=600).held_by("b")


def test_renewing_extends_and_a_lost_lease_says_so(store: SqliteStore, clock: Clock) -> None:
    lease = store.acquire_lease("sync", "a", "me", ttl=60)
    clock.now += 50
    lease = store.renew_lease(lease, ttl=60)
    clock.now += 50
    assert not store.acquire_lease("sync", "b", "other", ttl=60).held_by("b")

    clock.now += 61
    store.acquire_lease("sync", "b", "other", ttl=60)
    with pytest.raises(LeaseLost):
        store.renew_lease(lease, ttl=60)


def test_release_frees_the_lease_only_for_its_owner(store: SqliteStore) -> None:
    lease = store.acquire_lease("sync", "a", "me", ttl=600)
    store.release_lease(lease.__class__("sync", "b", "x", 0))  # not b's to release
    assert not store.acquire_lease("sync", "b", "other", ttl=600).held_by("b")
    store.release_lease(lease)
    assert store.acquire_lease("sync", "b", "other", ttl=600).held_by("b")


def test_two_connections_see_one_lease(tmp_path: Path, clock: Clock) -> None:
    with (
        open_store(tmp_path / "s.db", now=clock) as one,
        open_store(tmp_path / "s.db", now=clock) as two,
    ):
        assert one.acquire_lease("sync", "a", "one", ttl=600).held_by("a")
        assert not two.acquire_lease("sync", "b", "two", ttl=600).held_by("b")


def test_the_journal_keeps_every_entry_in_order(store: SqliteStore) -> None:
    at = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    store.record(
        [
            JournalEntry(at, "run1", "add_label", "MKT-1", "marketing-tech-request", "ok"),
            JournalEntry(at, "run1", "add_comment", "MKT-1", "tagged (saas)", "ok"),
            JournalEntry(at, "run1", "add_label", "MKT-2", "marketing-tech-request", "failed: x"),
        ]
    )
    store.record([])

    assert [e.kind for e in store.journal()] == ["add_label", "add_comment", "add_label"]
    assert [e.result for e in store.journal(key="MKT-2")] == ["failed: x"]
    assert store.journal(limit=1)[0].key == "MKT-2"
    assert store.journal()[0].at == at


def test_dead_here_knows_a_killed_process_on_this_host_from_a_live_or_remote_one() -> None:
    import os
    import socket
    import subprocess
    import sys

    from bridgeplugin.state import dead_here

    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()  # reaped: its pid names no process now
    host = socket.gethostname()
    assert dead_here(f"pid {child.pid} on {host}")
    assert dead_here(f"bridge serve pid {child.pid} on {host}")
    assert not dead_here(f"pid {os.getpid()} on {host}")
    assert not dead_here(f"pid {child.pid} on some-other-host")
    assert not dead_here("cron on the old box")

"""Local state: small on purpose, because Jira is the system of record.

Three things live here, behind the narrow ``Store`` interface (SQLite now; a PostgreSQL backend
is planned so that several ``bridge serve`` replicas share one lease, hence plain SQL that both
understand: ``INSERT ... ON CONFLICT ... DO UPDATE``, no SQLite-only functions):

* **watermarks**: per scope (site + JQL scope), the largest ``updated`` a fully successful sync
  saw. Server time, never this machine's clock, so clock skew cannot lose updates.
* **a lease**: one sync at a time. ``acquire_lease`` hands it over only when it is free or has
  expired (a crashed holder does not block for longer than the lease's time to live); the
  holder renews it while it works and releases it at the end, also after errors.
* **an audit journal** of every applied action: when, which run, what, on which issue, result.

The file is created with mode 0600 (its directory 0700 when created here), in WAL mode so a
reader never blocks the writer, with ``synchronous=FULL``: a journal entry that was written
survives a power cut.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from .errors import BridgeError, ConfigError

__all__ = [
    "JournalEntry",
    "Lease",
    "LeaseLost",
    "SqliteStore",
    "Store",
    "open_store",
]

SCHEMA_VERSION = 1

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS watermarks ("
    " scope TEXT PRIMARY KEY, value TEXT NOT NULL, saved_at TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS leases ("
    " name TEXT PRIMARY KEY, owner TEXT NOT NULL, holder TEXT NOT NULL,"
    " expires_at REAL NOT NULL)",
    "CREATE TABLE IF NOT EXISTS journal ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, run TEXT NOT NULL,"
    " kind TEXT NOT NULL, issue_key TEXT NOT NULL, detail TEXT NOT NULL, result TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS journal_issue ON journal (issue_key)",
)


class LeaseLost(BridgeError):
    """Our lease expired and another run took it: stop writing at once."""


@dataclass(frozen=True)
class Lease:
    """Who holds a lease until when. ``holder`` is for people ("pid 4242 on cron-1")."""

    name: str
    owner: str  # a random id per run: only its owner may renew or release the lease
    holder: str
    expires_at: float  # seconds since the epoch

    def held_by(self, owner: str) -> bool:
        return self.owner == owner

    @property
    def until(self) -> str:
        return datetime.fromtimestamp(self.expires_at, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


@dataclass(frozen=True)
class JournalEntry:
    at: datetime
    run: str
    kind: str
    key: str
    detail: str
    result: str


class Store(Protocol):
    """What bridgeplugin keeps locally; every backend implements exactly this."""

    def watermark(self, scope: str) -> datetime | None: ...
    def set_watermark(self, scope: str, value: datetime) -> None: ...
    def acquire_lease(self, name: str, owner: str, holder: str, ttl: float) -> Lease: ...
    def renew_lease(self, lease: Lease, ttl: float) -> Lease: ...
    def release_lease(self, lease: Lease) -> None: ...
    def record(self, entries: Iterable[JournalEntry]) -> None: ...
    def journal(self, *, key: str | None = None, limit: int = 100) -> list[JournalEntry]: ...
    def close(self) -> None: ...


class SqliteStore:
    """``Store`` in one SQLite file. ``now`` (seconds since the epoch) is injectable for tests."""

    def __init__(self, path: Path, *, now: Callable[[], float] = time.time) -> None:
        self.path = path
        self._now = now
        _create_private(path)
        try:
            # isolation_level=None: no implicit transactions; ``_transaction`` says where they go.
            self._db = sqlite3.connect(path, timeout=30.0, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            with self._transaction():
                for statement in _SCHEMA:
                    self._db.execute(statement)
                self._db.execute(
                    "INSERT INTO meta (key, value) VALUES ('schema', ?) "
                    "ON CONFLICT (key) DO NOTHING",
                    (str(SCHEMA_VERSION),),
                )
        except sqlite3.DatabaseError as exc:
            raise ConfigError(
                f"cannot use the state database {path}: {exc}",
                hint="check BRIDGE_STATE; a damaged file can be moved away (it holds only the "
                "watermark, the lease and the journal)",
            ) from None

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> SqliteStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        # IMMEDIATE takes the write lock up front: two runs deciding about the lease at once
        # are serialised here instead of both reading "free".
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # -- watermarks ---------------------------------------------------------------------------

    def watermark(self, scope: str) -> datetime | None:
        row = self._db.execute("SELECT value FROM watermarks WHERE scope = ?", (scope,)).fetchone()
        return datetime.fromisoformat(row[0]) if row else None

    def set_watermark(self, scope: str, value: datetime) -> None:
        if value.tzinfo is None:
            raise ValueError("a watermark must be timezone-aware (server time)")
        with self._transaction() as db:
            db.execute(
                "INSERT INTO watermarks (scope, value, saved_at) VALUES (?, ?, ?) "
                "ON CONFLICT (scope) DO UPDATE SET value = excluded.value, "
                "saved_at = excluded.saved_at",
                (scope, value.astimezone(UTC).isoformat(), self._stamp()),
            )

    # -- the lease ----------------------------------------------------------------------------

    def acquire_lease(self, name: str, owner: str, holder: str, ttl: float) -> Lease:
        """The lease now in force: ours if it was free, expired or already ours, else theirs."""
        now = self._now()
        with self._transaction() as db:
            row = db.execute(
                "SELECT owner, holder, expires_at FROM leases WHERE name = ?", (name,)
            ).fetchone()
            if row is not None and row[0] != owner and row[2] > now:
                return Lease(name, row[0], row[1], row[2])
            lease = Lease(name, owner, holder, now + ttl)
            db.execute(
                "INSERT INTO leases (name, owner, holder, expires_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, "
                "holder = excluded.holder, expires_at = excluded.expires_at",
                (name, owner, holder, lease.expires_at),
            )
        return lease

    def renew_lease(self, lease: Lease, ttl: float) -> Lease:
        """Extend our lease; ``LeaseLost`` when it expired and someone else took it."""
        renewed = Lease(lease.name, lease.owner, lease.holder, self._now() + ttl)
        with self._transaction() as db:
            cursor = db.execute(
                "UPDATE leases SET expires_at = ? WHERE name = ? AND owner = ?",
                (renewed.expires_at, lease.name, lease.owner),
            )
            if cursor.rowcount == 0:
                raise LeaseLost(
                    f"the {lease.name} lease expired and another run took it over",
                    hint="stopped before writing more; raise sync.lease_seconds if runs take "
                    "longer than the lease",
                )
        return renewed

    def release_lease(self, lease: Lease) -> None:
        with self._transaction() as db:
            db.execute("DELETE FROM leases WHERE name = ? AND owner = ?", (lease.name, lease.owner))

    # -- the journal --------------------------------------------------------------------------

    def record(self, entries: Iterable[JournalEntry]) -> None:
        rows = [
            (e.at.astimezone(UTC).isoformat(), e.run, e.kind, e.key, e.detail, e.result)
            for e in entries
        ]
        if not rows:
            return
        with self._transaction() as db:
            db.executemany(
                "INSERT INTO journal (at, run, kind, issue_key, detail, result) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                rows,
            )

    def journal(self, *, key: str | None = None, limit: int = 100) -> list[JournalEntry]:
        """The latest entries (of one issue when ``key`` is given), oldest first."""
        where, args = ("WHERE issue_key = ?", (key,)) if key else ("", ())
        rows = self._db.execute(
            f"SELECT at, run, kind, issue_key, detail, result FROM journal {where} "
            "ORDER BY id DESC LIMIT ?",
            (*args, limit),
        ).fetchall()
        return [_entry(row) for row in reversed(rows)]

    def _stamp(self) -> str:
        return datetime.fromtimestamp(self._now(), UTC).isoformat()


def open_store(path: Path, *, now: Callable[[], float] = time.time) -> SqliteStore:
    """The state database at ``path`` (config ``state``), created if missing."""
    return SqliteStore(path, now=now)


def _entry(row: Sequence[str]) -> JournalEntry:
    at, run, kind, key, detail, result = row
    return JournalEntry(datetime.fromisoformat(at), run, kind, key, detail, result)


def _create_private(path: Path) -> None:
    """Create the database file (and missing directories) readable by its owner only."""
    try:
        if not path.parent.exists():
            path.parent.mkdir(parents=True, mode=0o700)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        os.close(fd)
        if path.stat().st_mode & 0o077:
            path.chmod(0o600)  # an older file, or a permissive umask at creation
    except OSError as exc:
        raise ConfigError(
            f"cannot create the state database {path}: {exc.strerror or exc}",
            hint="set BRIDGE_STATE (or state: in bridge.yaml) to a writable path",
        ) from None

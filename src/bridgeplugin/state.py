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
* **the webhook inbox** of ``bridge serve``: every delivery it acknowledged, keyed by its
  delivery id (``X-Atlassian-Webhook-Identifier``) so a redelivery is recognised, with the
  issue keys to re-read; ``queued`` until a worker processed it, then ``done`` (its body dropped,
  its id kept for deduplication until purged), or ``dead`` after too many failures, with a copy
  in **dead_letters** for ``bridge status`` / ``bridge status --retry``.

The file is created with mode 0600 (its directory 0700 when created here), in WAL mode so a
reader never blocks the writer, with ``synchronous=FULL``: a journal entry that was written
survives a power cut.
"""

from __future__ import annotations

import os
import re
import socket
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from .errors import BridgeError, ConfigError

__all__ = [
    "DeadLetter",
    "Delivery",
    "InboxStats",
    "JournalEntry",
    "Lease",
    "LeaseLost",
    "SqliteStore",
    "Store",
    "StoreUnavailable",
    "dead_here",
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
    # Times are seconds since the epoch (REAL): compared and ordered, never shown raw.
    "CREATE TABLE IF NOT EXISTS inbox ("
    " id TEXT PRIMARY KEY, received_at REAL NOT NULL, source TEXT NOT NULL,"
    " event TEXT NOT NULL, keys TEXT NOT NULL, sweep INTEGER NOT NULL, body BLOB,"
    " state TEXT NOT NULL, attempts INTEGER NOT NULL, next_at REAL NOT NULL, error TEXT,"
    " done_at REAL)",
    "CREATE INDEX IF NOT EXISTS inbox_due ON inbox (state, next_at)",
    "CREATE TABLE IF NOT EXISTS dead_letters ("
    " id TEXT PRIMARY KEY, received_at REAL NOT NULL, source TEXT NOT NULL,"
    " event TEXT NOT NULL, keys TEXT NOT NULL, sweep INTEGER NOT NULL, body BLOB,"
    " attempts INTEGER NOT NULL, error TEXT NOT NULL, buried_at REAL NOT NULL)",
)


class LeaseLost(BridgeError):
    """Our lease expired and another run took it: stop writing at once."""


class StoreUnavailable(BridgeError):
    """The store cannot take a write now (locked past the timeout, disk full, I/O error).

    Retryable by nature: ``bridge serve`` answers 503 so that Jira delivers again later.
    """


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
class Delivery:
    """One webhook or Automation request, as the inbox keeps it.

    ``keys`` are the issues to re-read (never the payload's own view of them); ``sweep`` asks
    for the scope's incremental sync instead (a sprint event touches too many issues to name).
    """

    id: str
    received_at: float
    source: str  # "jira" or "automation"
    event: str
    keys: tuple[str, ...] = ()
    sweep: bool = False
    body: bytes = b""
    attempts: int = 0
    error: str | None = None


@dataclass(frozen=True)
class DeadLetter:
    delivery: Delivery
    buried_at: float


@dataclass(frozen=True)
class InboxStats:
    queued: int
    dead: int
    oldest_queued: float | None  # received_at of the oldest queued delivery


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
    # The inbox. ``enqueue`` says per delivery whether it was new (False: a duplicate id).
    def enqueue(self, deliveries: Sequence[Delivery]) -> list[bool]: ...
    def due(self, now: float, limit: int) -> list[Delivery]: ...
    def complete(self, ids: Sequence[str]) -> None: ...
    def retry_later(self, ids: Sequence[str], error: str, next_at: float) -> None: ...
    def bury(self, ids: Sequence[str], error: str) -> None: ...
    def dead_letters(self, limit: int = 100) -> list[DeadLetter]: ...
    def revive(self, ids: Sequence[str] | None = None) -> int: ...
    def inbox_stats(self) -> InboxStats: ...
    def purge_inbox(self, before: float) -> int: ...
    def ping(self) -> None: ...
    def close(self) -> None: ...


class SqliteStore:
    """``Store`` in one SQLite file. ``now`` (seconds since the epoch) is injectable for tests.

    ``timeout``: how long a write waits for another writer's lock. The webhook receiver uses a
    short one, because Jira gives up on a slow answer and a fast 503 makes it retry sooner.
    """

    def __init__(
        self, path: Path, *, now: Callable[[], float] = time.time, timeout: float = 30.0
    ) -> None:
        self.path = path
        self._now = now
        _create_private(path)
        try:
            # isolation_level=None: no implicit transactions; ``_transaction`` says where they go.
            self._db = sqlite3.connect(path, timeout=timeout, isolation_level=None)
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

    # -- the inbox ----------------------------------------------------------------------------

    def enqueue(self, deliveries: Sequence[Delivery]) -> list[bool]:
        """Store new deliveries in one durable transaction (one fsync for the whole batch:
        the receiver's group commit); True per delivery that was new, False per duplicate id.
        A duplicate inside the batch is caught too, since the transaction sees its own rows."""
        new: list[bool] = []
        with self._unavailable_as_error(), self._transaction() as db:
            for d in deliveries:
                cursor = db.execute(
                    "INSERT INTO inbox (id, received_at, source, event, keys, sweep, body, state,"
                    " attempts, next_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'queued', 0, ?) "
                    "ON CONFLICT (id) DO NOTHING",
                    (
                        d.id,
                        d.received_at,
                        d.source,
                        d.event,
                        " ".join(d.keys),
                        int(d.sweep),
                        d.body,
                        d.received_at,
                    ),
                )
                new.append(cursor.rowcount == 1)
        return new

    def due(self, now: float, limit: int) -> list[Delivery]:
        """Queued deliveries whose (re)try time has come, oldest first."""
        rows = self._db.execute(
            f"SELECT {_DELIVERY_COLUMNS} FROM inbox WHERE state = 'queued' AND next_at <= ? "
            "ORDER BY received_at, id LIMIT ?",
            (now, limit),
        ).fetchall()
        return [_delivery(row) for row in rows]

    def complete(self, ids: Sequence[str]) -> None:
        """Processed: drop the body, keep the id (a late redelivery is still a duplicate)."""
        with self._unavailable_as_error(), self._transaction() as db:
            db.executemany(
                "UPDATE inbox SET state = 'done', body = NULL, error = NULL, done_at = ? "
                "WHERE id = ? AND state = 'queued'",
                [(self._now(), i) for i in ids],
            )

    def retry_later(self, ids: Sequence[str], error: str, next_at: float) -> None:
        with self._unavailable_as_error(), self._transaction() as db:
            db.executemany(
                "UPDATE inbox SET attempts = attempts + 1, error = ?, next_at = ? "
                "WHERE id = ? AND state = 'queued'",
                [(error, next_at, i) for i in ids],
            )

    def bury(self, ids: Sequence[str], error: str) -> None:
        """Give up on deliveries: copy them to dead_letters, mark them dead in the inbox."""
        now = self._now()
        with self._unavailable_as_error(), self._transaction() as db:
            for i in ids:
                db.execute(
                    "INSERT INTO dead_letters (id, received_at, source, event, keys, sweep, body,"
                    " attempts, error, buried_at) SELECT id, received_at, source, event, keys,"
                    " sweep, body, attempts + 1, ?, ? FROM inbox WHERE id = ? AND state = 'queued'"
                    " ON CONFLICT (id) DO UPDATE SET attempts = excluded.attempts,"
                    " error = excluded.error, buried_at = excluded.buried_at",
                    (error, now, i),
                )
                db.execute(
                    "UPDATE inbox SET state = 'dead', attempts = attempts + 1, error = ? "
                    "WHERE id = ? AND state = 'queued'",
                    (error, i),
                )

    def dead_letters(self, limit: int = 100) -> list[DeadLetter]:
        rows = self._db.execute(
            f"SELECT {_DELIVERY_COLUMNS}, buried_at FROM dead_letters "
            "ORDER BY buried_at, id LIMIT ?",
            (limit,),
        ).fetchall()
        return [DeadLetter(_delivery(row[:-1]), row[-1]) for row in rows]

    def revive(self, ids: Sequence[str] | None = None) -> int:
        """Queue dead letters (all, or those ``ids``) again with a fresh count of attempts."""
        now = self._now()
        with self._unavailable_as_error(), self._transaction() as db:
            chosen = [
                row[0]
                for row in db.execute("SELECT id FROM dead_letters ORDER BY buried_at").fetchall()
                if ids is None or row[0] in ids
            ]
            for i in chosen:
                db.execute(
                    "UPDATE inbox SET state = 'queued', attempts = 0, next_at = ?, "
                    "body = (SELECT body FROM dead_letters WHERE id = ?) WHERE id = ?",
                    (now, i, i),
                )
                db.execute("DELETE FROM dead_letters WHERE id = ?", (i,))
        return len(chosen)

    def inbox_stats(self) -> InboxStats:
        queued, oldest = self._db.execute(
            "SELECT COUNT(*), MIN(received_at) FROM inbox WHERE state = 'queued'"
        ).fetchone()
        (dead,) = self._db.execute("SELECT COUNT(*) FROM dead_letters").fetchone()
        return InboxStats(queued=queued, dead=dead, oldest_queued=oldest)

    def purge_inbox(self, before: float) -> int:
        """Forget processed deliveries done before ``before`` (their ids dedupe until then)."""
        with self._unavailable_as_error(), self._transaction() as db:
            cursor = db.execute("DELETE FROM inbox WHERE state = 'done' AND done_at < ?", (before,))
        return cursor.rowcount

    def ping(self) -> None:
        """A real, durable write: what ``GET /healthz`` means by "the store is writable"."""
        with self._unavailable_as_error(), self._transaction() as db:
            db.execute(
                "INSERT INTO meta (key, value) VALUES ('ping', ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (self._stamp(),),
            )

    @contextmanager
    def _unavailable_as_error(self) -> Iterator[None]:
        # Locked past the timeout, disk full, read-only file, I/O error: all retryable for the
        # caller, and none of them a reason to crash a server.
        try:
            yield
        except sqlite3.OperationalError as exc:
            if self._db.in_transaction:  # a failed COMMIT leaves the transaction open
                with suppress(sqlite3.Error):
                    self._db.execute("ROLLBACK")
            raise StoreUnavailable(
                f"the state database {self.path} cannot take a write: {exc}",
                hint="another process may hold it locked, or the disk is full or read-only",
            ) from None

    def _stamp(self) -> str:
        return datetime.fromtimestamp(self._now(), UTC).isoformat()


# Holders name their process: "pid 4242 on cron-1", "bridge serve pid 17 on web-2".
_HOLDER = re.compile(r"(?:^|\s)pid (\d+) on (\S+)$")


def dead_here(holder: str) -> bool:
    """True when ``holder`` names a process on this host that no longer runs: its lease can
    be taken over at once instead of waiting for it to expire (kill -9, OOM killer, reboot).
    A holder on another host, or one that cannot be checked, counts as alive."""
    match = _HOLDER.search(holder)
    if match is None or match[2] != socket.gethostname():
        return False
    try:
        os.kill(int(match[1]), 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False  # it exists, under another user
    return False


def open_store(
    path: Path, *, now: Callable[[], float] = time.time, timeout: float = 30.0
) -> SqliteStore:
    """The state database at ``path`` (config ``state``), created if missing."""
    return SqliteStore(path, now=now, timeout=timeout)


_DELIVERY_COLUMNS = "id, received_at, source, event, keys, sweep, body, attempts, error"


def _delivery(row: Sequence[object]) -> Delivery:
    id_, received_at, source, event, keys, sweep, body, attempts, error = row
    return Delivery(
        id=str(id_),
        received_at=float(received_at),  # type: ignore[arg-type]
        source=str(source),
        event=str(event),
        keys=tuple(str(keys).split()),
        sweep=bool(sweep),
        body=bytes(body) if body is not None else b"",  # type: ignore[arg-type]
        attempts=int(attempts),  # type: ignore[call-overload]
        error=None if error is None else str(error),
    )


def _entry(row: Sequence[str]) -> JournalEntry:
    at, run, kind, key, detail, result = row
    return JournalEntry(datetime.fromisoformat(at), run, kind, key, detail, result)


def _create_private(path: Path) -> None:
    """Create the database file (and missing directories) readable by its owner only."""
    try:
        if not path.parent.exists():
            # exist_ok: two threads of bridge serve (writer, worker) may open it at once.
            path.parent.mkdir(parents=True, mode=0o700, exist_ok=True)
        # Only a missing file is opened here. Closing a descriptor of a file drops every POSIX
        # lock this process holds on it, including those of SQLite connections already open
        # (bridge serve's writer, when the worker opens its store): another process closing
        # the database (bridge status, a cron bridge sync) then believes it is the last one,
        # checkpoints and deletes the WAL file, and this process's later commits go to the
        # deleted file, invisible to others and lost at restart.
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            os.close(fd)
        if path.stat().st_mode & 0o077:
            path.chmod(0o600)  # an older file, or a permissive umask at creation
    except OSError as exc:
        raise ConfigError(
            f"cannot create the state database {path}: {exc.strerror or exc}",
            hint="set BRIDGE_STATE (or state: in bridge.yaml) to a writable path",
        ) from None

"""Store, then acknowledge: the group commit behind every 202.

A delivery is acknowledged only once it is in the inbox table and the transaction that put it
there is committed with ``synchronous=FULL`` (the WAL is fsync'd). One fsync per request would
cap the receiver at the disk's fsync rate; instead one writer thread takes whatever requests
are waiting, inserts them all in one transaction and commits once, and each request's future
resolves when *its* batch is durable. While one batch is being fsync'd the next one fills up,
so the batch size follows the load by itself: one delivery when it is quiet, hundreds under a
burst, and the acknowledge latency stays about one or two fsyncs.

Backpressure: when more than ``max_pending`` deliveries wait for the writer, new ones are
refused at once (``Overloaded`` -> 503 with Retry-After, and Jira delivers again later) instead
of queueing without bound and answering after Jira stopped waiting. A store that cannot write
(locked, full, I/O error) fails the whole batch with ``StoreUnavailable`` -> 503: nothing is
acknowledged that is not stored.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ..state import Delivery, Store, StoreUnavailable

__all__ = ["GroupCommitter", "Overloaded"]

log = logging.getLogger(__name__)


class Overloaded(Exception):
    """Too many deliveries are waiting for the writer: refuse this one (503, retried)."""


@dataclass
class _Job:
    future: asyncio.Future[bool]
    delivery: Delivery | None  # None: a health check's write


_STOP = object()


class GroupCommitter:
    """One writer thread that commits the deliveries of many requests in one transaction."""

    def __init__(
        self,
        open_store: Callable[[], Store],
        *,
        max_pending: int = 1024,
        max_batch: int = 512,
    ) -> None:
        self._open_store = open_store
        self._max_pending = max_pending
        self._max_batch = max_batch
        self._queue: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._pending = 0  # touched on the event loop only
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._opened = threading.Event()

    @property
    def pending(self) -> int:
        return self._pending

    def start(self, timeout: float = 30.0) -> None:
        """Start the writer; call on the event loop that will ``submit``. Returns once the
        writer has opened the store (or failed to), so the schema exists before the first
        request and before anything else opens the file."""
        self._loop = asyncio.get_running_loop()
        self._thread = threading.Thread(target=self._run, name="inbox-writer", daemon=True)
        self._thread.start()
        self._opened.wait(timeout)

    def stop(self, timeout: float = 10.0) -> None:
        """Commit what is queued, then stop the writer."""
        if self._thread is not None:
            self._queue.put(_STOP)
            self._thread.join(timeout)
            self._thread = None

    async def submit(self, delivery: Delivery) -> bool:
        """True once ``delivery`` is durably stored as new, False if its id was known already.

        Raises ``Overloaded`` or ``StoreUnavailable``; either way nothing was acknowledged.
        """
        return await self._enqueue(delivery)

    async def ping(self) -> None:
        """A durable write through the same writer and connection as the deliveries."""
        await self._enqueue(None)

    async def _enqueue(self, delivery: Delivery | None) -> bool:
        if self._thread is None or self._loop is None:
            raise StoreUnavailable("the inbox writer is not running")
        if self._pending >= self._max_pending:
            raise Overloaded(f"{self._pending} deliveries are waiting to be stored")
        future: asyncio.Future[bool] = self._loop.create_future()
        self._pending += 1
        self._queue.put(_Job(future, delivery))
        return await future

    # -- the writer thread -------------------------------------------------------------------

    def _run(self) -> None:
        store: Store | None = None
        try:
            store = self._open_store()  # early, so a broken file shows in the log at start
        except Exception:
            log.exception("the inbox store cannot be opened; answering 503 until it can")
        finally:
            self._opened.set()
        stopping = False
        while not stopping:
            first = self._queue.get()
            if first is _STOP:
                break
            batch: list[_Job] = [first]  # type: ignore[list-item]
            while len(batch) < self._max_batch:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is _STOP:
                    stopping = True  # commit this last batch, then stop
                    break
                batch.append(item)  # type: ignore[arg-type]
            try:
                if store is None:
                    store = self._open_store()
                outcome: list[bool] | BaseException = self._write(store, batch)
            except StoreUnavailable as exc:
                outcome = exc
            except Exception as exc:  # e.g. the file vanished: answer 503, keep serving
                log.exception("the inbox writer failed; answering 503 until it recovers")
                outcome = StoreUnavailable(f"the inbox cannot be written: {type(exc).__name__}")
                store = _close_quietly(store)
            assert self._loop is not None
            try:
                self._loop.call_soon_threadsafe(self._resolve, batch, outcome)
            except RuntimeError:  # the loop is closed: nobody waits any more
                break
        _close_quietly(store)

    @staticmethod
    def _write(store: Store, batch: Sequence[_Job]) -> list[bool]:
        deliveries = [job.delivery for job in batch if job.delivery is not None]
        results = iter(store.enqueue(deliveries) if deliveries else [])
        if len(deliveries) < len(batch):
            store.ping()
        return [next(results) if job.delivery is not None else True for job in batch]

    def _resolve(self, batch: Sequence[_Job], outcome: list[bool] | BaseException) -> None:
        self._pending -= len(batch)
        for index, job in enumerate(batch):
            if job.future.done():  # the client went away; the delivery is stored regardless
                continue
            if isinstance(outcome, BaseException):
                job.future.set_exception(outcome)
            else:
                job.future.set_result(outcome[index])


def _close_quietly(store: Store | None) -> None:
    if store is not None:
        try:
            store.close()
        except Exception:
            log.debug("closing the inbox store failed", exc_info=True)
    return None

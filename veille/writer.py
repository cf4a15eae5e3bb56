"""The collect's one writer: a thread that owns the database during a collect and commits the
sources' writes that are waiting together (group commit).

Each source is still all or nothing: its writes run inside a SAVEPOINT of the shared
``BEGIN IMMEDIATE`` transaction, and a source whose write fails is rolled back to its savepoint
alone while the others of the group commit. Grouping matters because a commit is the expensive
part of a small write: every per-source transaction rewrote the FTS index's new segment and the
pages of the items' indexes (about 1 MB of WAL for 20 items), and the WAL's checkpoints fsync
that volume; 300 sources of 20 items wrote 300 MB of WAL for an 18 MB database. When the writer
keeps up, a group is one source and nothing waits; when it falls behind, the groups grow on
their own.
"""

from __future__ import annotations

import queue
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

from veille.store import Store
from veille.store_write import SourceWrite, WriteOutcome

# A group stays short, so that another writer (the service and a CLI command) and the readers
# waiting for fresh rows do not wait long for its commit.
MAX_SOURCES = 64
MAX_ITEMS = 1000


@dataclass(frozen=True)
class _Call:
    call: Callable[[], object]
    future: Future


@dataclass(frozen=True)
class _Write:
    request: SourceWrite
    future: Future


def group(first: _Write, pending: list[_Write | _Call | None], max_sources: int = MAX_SOURCES, max_items: int = MAX_ITEMS) -> int:
    """How many of ``pending`` (the jobs queued behind ``first``, in order) join its group: the
    writes up to the first other job, within the limits (pure)."""
    items = len(first.request.items or ())
    taken = 0
    for job in pending:
        if not isinstance(job, _Write) or taken + 1 >= max_sources:
            break
        items += len(job.request.items or ())
        if items > max_items:
            break
        taken += 1
    return taken


class Writer:
    """Runs every database call of a collect in one thread, in the order they were asked for."""

    def __init__(self, store: Store):
        self.store = store
        self._queue: queue.SimpleQueue[_Write | _Call | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="veille-writer", daemon=True)
        self._thread.start()
        self.groups: list[int] = []  # sources per committed group, for the curious (and tests)

    def call(self, fn: Callable[..., object], *args: Any, **kwargs: Any) -> Future:
        """Run ``fn(*args, **kwargs)`` in the writer thread (a read, or a write of its own)."""
        future: Future = Future()
        self._queue.put(_Call(lambda: fn(*args, **kwargs), future))
        return future

    def write(self, request: SourceWrite) -> Future:
        """Write one source's fetch; the future gets its WriteOutcome or its exception. Once
        queued, a write is done whole or not at all even if nobody waits for it any more."""
        future: Future = Future()
        self._queue.put(_Write(request, future))
        return future

    def close(self) -> None:
        """Finish what is queued, then stop the thread."""
        self._queue.put(None)
        self._thread.join()

    def _run(self) -> None:
        backlog: deque[_Write | _Call | None] = deque()
        while True:
            job = backlog.popleft() if backlog else self._queue.get()
            if job is None:
                return
            if not job.future.set_running_or_notify_cancel():
                continue  # cancelled before it started (a collect told to stop): never run
            if isinstance(job, _Call):
                _settle(job.future, job.call)
                continue
            while len(backlog) < MAX_SOURCES:  # what else is waiting, without blocking
                try:
                    backlog.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            batch = [job]
            for _ in range(group(job, list(backlog))):
                other = backlog.popleft()
                assert isinstance(other, _Write)
                if other.future.set_running_or_notify_cancel():
                    batch.append(other)
            self._commit(batch)

    def _commit(self, batch: list[_Write]) -> None:
        try:
            outcomes = self.store.write_sources([w.request for w in batch])
        except BaseException as e:  # noqa: BLE001 - the group's transaction failed whole: tell each source
            for w in batch:
                w.future.set_exception(e)
            if not isinstance(e, Exception):
                raise
            return
        self.groups.append(len(batch))
        for w, outcome in zip(batch, outcomes, strict=True):
            if isinstance(outcome, WriteOutcome):
                w.future.set_result(outcome)
            else:
                w.future.set_exception(outcome)


def _settle(future: Future, call: Callable[[], object]) -> None:
    try:
        result = call()
    except BaseException as e:  # noqa: BLE001 - handed to whoever awaits the call
        future.set_exception(e)
        if not isinstance(e, Exception):
            raise
    else:
        future.set_result(result)

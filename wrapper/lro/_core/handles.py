"""What the sync and async handles share (no I/O): which engine tracks an operation,
the bookkeeping of who watches what, and how a final snapshot settles a handle.

``client.track(name)`` returns a handle (:class:`lro.Handle`, a
:class:`concurrent.futures.Future`; :class:`lro.AsyncHandle`, an :class:`asyncio.Future`)
that a per-client tracker settles in the background. The tracker reuses the engines of
``wait_all`` (:mod:`lro._core.wait_many` and the two halves' ``wait_many`` modules):

* operations tracked on the **audited view** (``client.audit.track``) share batchGet
  rounds: a thousand handles cost one request per round, not a thousand pollers;
* operations tracked on the **standard view** (``client.track``) are long-polled (or
  polled) one waiter per operation, at most :data:`TRACK_CONCURRENCY` at once; the others
  queue and start, in the order they were tracked, as waiters free up.

A handle settles like :meth:`lro.Operation.result`: with the response of the done
operation, or with its typed error (:class:`lro.Cancelled`, :class:`lro.NotFound`, ...);
``handle.latest`` is the last snapshot seen (the final one once done). Closing the
client ends every pending handle with :class:`lro.Cancelled` (the operations are not
cancelled) and stops the tracker's threads or tasks.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any, Literal

from .checks import check_callable
from .errors import Cancelled, Error
from .names import validate_name
from .snapshot import Snapshot
from .wait_many import Board, Entry
from .wait_policy import WaitPolicy
from .waits import policy_for

__all__ = [
    "TRACK_CONCURRENCY",
    "Settler",
    "TrackMode",
    "Watchers",
    "check_track",
    "closed",
    "engine_for",
    "settle",
    "tracker_policy",
]

logger = logging.getLogger("lro")

#: Most operations of the standard view long-polled at once by one client's handles.
TRACK_CONCURRENCY = 32

#: How a tracker watches an operation: shared batch rounds, or a waiter of its own.
TrackMode = Literal["batch", "pool"]


def check_track(name: str, on_progress: object) -> None:
    """Check the arguments of ``track`` before anything is started.

    Raises:
        InvalidName: a name that is not an operation name.
        InvalidArgument: an ``on_progress`` that is not callable.
    """
    validate_name(name)
    check_callable(on_progress, "on_progress")


def engine_for(backend: object) -> TrackMode:
    """Batch rounds for the audited view (it has batchGet), a waiter per operation else."""
    audited = getattr(backend, "view", None) == "audited"
    return "batch" if audited and hasattr(backend, "get_many") else "pool"


def tracker_policy(backend: object) -> WaitPolicy:
    """The client's wait policy as a tracker uses it: no cap on requests (a handle has no
    deadline of its own: bound the waiting with ``result(timeout)``)."""
    return policy_for(backend, None).replace(max_polls=None)


def closed(name: str) -> Cancelled:
    """What a pending handle ends with when its client is closed."""
    return Cancelled(
        f"tracking {name} ended: the client was closed; the operation itself was not cancelled",
        operation_name=name,
    )


def settle(final: Snapshot) -> tuple[Any, Error | None]:
    """``(response, None)`` or ``(None, error)`` of a done snapshot, as
    :meth:`lro.Operation.result` gives them."""
    try:
        return final._final_result(None), None
    except Error as error:
        return None, error


class Watchers:
    """Who watches what: one entry per distinct (backend, name), on the board of its engine,
    and the handles that watch it. Not thread-safe: the sync tracker holds its lock around
    every call but :meth:`entry_of`."""

    def __init__(self, batch: Board, pool: Board) -> None:
        self.boards: dict[TrackMode, Board] = {"batch": batch, "pool": pool}
        self.watchers: dict[Entry, list[Any]] = {}
        self.engines: dict[Entry, TrackMode] = {}
        self._by_name: dict[str, Entry] = {}

    def add(self, backend: object, name: str, handle: Any) -> tuple[Entry, bool, TrackMode]:
        """Watch ``name`` on ``backend`` for ``handle``: ``(entry, is it new, engine)``."""
        engine = engine_for(backend)
        entry, new = self.boards[engine].add(name, backend)
        self.watchers.setdefault(entry, []).append(handle)
        self.engines[entry] = engine
        if engine == "batch":
            self._by_name[name] = entry
        return entry, new, engine

    def drop(self, entry: Entry, handle: Any) -> bool:
        """``handle`` no longer watches ``entry``; True when nobody does any more (the entry
        is then forgotten)."""
        watching = self.watchers.get(entry)
        if watching is None:
            return False
        watching[:] = [other for other in watching if other is not handle]
        if watching:
            return False
        self.finish(entry)
        return True

    def finish(self, entry: Entry) -> list[Any]:
        """Forget ``entry``; returns the handles that watched it."""
        engine = self.engines.pop(entry, None)
        if engine is not None:
            self.boards[engine].remove(entry)
        if self._by_name.get(entry.name) is entry:
            del self._by_name[entry.name]
        return self.watchers.pop(entry, [])

    def entry_of(self, snapshot: Snapshot) -> Entry | None:
        """The batch entry a snapshot of a round belongs to: by name, else the entry whose
        latest snapshot it is (a server may spell a name differently, e.g. ``%2F``)."""
        entry = self._by_name.get(snapshot.name)
        if entry is not None and entry.latest is snapshot:
            return entry
        return next((e for e in self.boards["batch"].entries if e.latest is snapshot), entry)

    def handles(self) -> Iterator[Any]:
        """Every handle still watching something."""
        for watching in list(self.watchers.values()):
            yield from list(watching)

    def clear(self) -> list[Any]:
        """Forget everything; returns every handle that was watching."""
        found = list(self.handles())
        for entry in list(self.watchers):
            self.finish(entry)
        return found


class Settler:
    """How a tracker of either half settles its handles from what its waiters report.

    The half's tracker says which handles an entry releases once it is finished
    (:meth:`_release`) and which watch it now (:meth:`_watching`), each under its lock if
    it has one; the rest is the same for threads and tasks.
    """

    _registry: Watchers

    def _release(self, entry: Entry) -> list[Any]:
        """Forget ``entry``; its handles, to settle."""
        raise NotImplementedError

    def _watching(self, entry: Entry) -> list[Any]:
        """The handles that watch ``entry`` now."""
        raise NotImplementedError

    def _entry_of(self, snapshot: Snapshot) -> Entry | None:
        return self._registry.entry_of(snapshot)

    def _finish(self, entry: Entry, final: Snapshot | None, error: BaseException | None) -> None:
        """Settle the handles of ``entry``: with ``final``'s outcome, or with ``error``."""
        for handle in self._release(entry):
            if final is not None:
                value, failure = settle(final)  # a fresh error per handle
                handle._settle(value, failure)
            else:
                handle._settle(None, error)

    def _report(self, item: tuple[str, Entry, Any]) -> None:
        """A single waiter's report: ``(kind, entry, payload)`` (see ``apply_event``)."""
        kind, entry, payload = item
        if kind != "snapshot":  # failed (a permanent error), timeout, crash (a bug)
            if kind == "crash":
                logger.error("tracking %s failed", entry.name, exc_info=payload)
            self._finish(entry, None, payload)
            return
        changed, done = self._registry.boards["pool"].observe(entry, payload)
        if changed:
            for handle in self._watching(entry):
                handle._progress(payload)
        if done:
            self._finish(entry, payload, None)

    def _batch_progress(self, snapshot: Snapshot) -> None:
        """A changed snapshot of the batch rounds, for the handles that watch it."""
        entry = self._entry_of(snapshot)
        if entry is not None:
            for handle in self._watching(entry):
                handle._progress(snapshot)

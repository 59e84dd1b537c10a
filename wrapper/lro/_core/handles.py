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

The tracker itself is written once, in ``lro._async.handles`` (``lro._sync.handles`` is
generated from it); this module holds its I/O-free part: :class:`HandleCore` (a handle
but its future) and :class:`TrackerCore` (the bookkeeping, and the settling).
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import random
from collections import deque
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Literal

from .checks import check_callable
from .clock import Clock
from .deadlines import Deadline
from .errors import Cancelled, Error, FailedPrecondition
from .eta import Eta
from .names import validate_name
from .snapshot import Snapshot
from .wait_many import Board, Entry, batch_policy, single_plan
from .wait_plan import WaitPlan
from .wait_policy import WaitPolicy
from .waits import OnProgress, has_answered, policy_for

__all__ = [
    "JOIN_MARGIN",
    "TRACK_CONCURRENCY",
    "HandleCore",
    "LockedBoard",
    "TrackMode",
    "TrackerCore",
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

#: How long closing a sync client waits for each tracker thread beyond the policy's
#: ``stop_latency`` (the longest long-poll window such a thread asks for).
JOIN_MARGIN = 5.0

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
    and the handles that watch it. Not thread-safe: :class:`TrackerCore` holds its lock
    around every call."""

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


class LockedBoard(Board):
    """A tracker's batch board: read by its batch worker while callers add to it."""

    def __init__(self, lock: contextlib.AbstractContextManager[Any], clock: Clock) -> None:
        super().__init__((), None, clock)
        self._lock = lock

    def pending(self) -> list[Entry]:
        with self._lock:
            return super().pending()


class HandleCore:
    """A handle of either half but its future: the half's class (``lro.Handle``, a
    :class:`concurrent.futures.Future`; ``lro.AsyncHandle``, an :class:`asyncio.Future`)
    puts this first among its bases and adds ``latest``, ``cancel`` and ``_settle``."""

    def __init__(
        self, tracker: Any, backend: Any, name: str, on_progress: OnProgress | None
    ) -> None:
        super().__init__()  # the future's
        self._tracker = tracker
        self._backend = backend
        self._name = name
        self._on_progress = on_progress
        self._entry: Entry | None = None
        self._closed = False  # ended by client.close()
        self._span: Any = None  # its lro.track span (lro._tracing.Parent), when traced

    if TYPE_CHECKING:  # the future's

        def done(self) -> bool: ...

        def cancelled(self) -> bool: ...

    @property
    def name(self) -> str:
        """The operation's name."""
        return self._name

    @property
    def eta(self) -> Eta | None:
        """The estimated time left of the last snapshot seen (see :attr:`lro.Operation.eta`)."""
        latest = None if self._entry is None else self._entry.latest
        return None if latest is None else latest.eta

    def __repr__(self) -> str:
        state = "cancelled" if self.cancelled() else "done" if self.done() else "pending"
        return f"{type(self).__name__}({self._name!r}, {state})"

    def _progress(self, snapshot: Snapshot) -> None:
        """A changed snapshot, for the handle's ``on_progress`` (a coroutine callback's
        coroutine is awaited in a task of the async tracker)."""
        if self._on_progress is None or self.done():
            return
        try:
            outcome = self._on_progress(snapshot)
        except Exception as error:  # a callback's bug must not stop the tracking of others
            self._callback_failed(error)
            return
        self._tracker.later(outcome, self._callback_failed)

    def _callback_failed(self, error: Exception) -> None:
        logger.error("on_progress of the handle of %s raised", self._name, exc_info=error)

    def _cancel_failed(self, error: Exception) -> None:
        logger.warning("cancel(server=True): cancelling %s failed: %s", self._name, error)


class TrackerCore:
    """A tracker of either half but its I/O: which handles watch what, the operations
    queued for a worker, and how what the workers report settles the handles.

    The half's tracker (written once, in ``lro._async.handles``) gives the lock (callers'
    threads and the workers share it; the async half's never waits on it) and the
    ``halt`` event, makes each entry's stop event, and runs the workers.
    """

    def __init__(
        self, lock: contextlib.AbstractContextManager[Any], halt: Any, clock: Clock
    ) -> None:
        self._lock = lock
        self._registry = Watchers(LockedBoard(lock, clock), Board((), None, clock))
        self._halt = halt  # set by close: every worker ends
        self._stops: dict[Entry, Any] = {}  # the stop event of each standard-view entry
        self._jobs: deque[Entry] = deque()  # standard-view entries waiting for a worker
        self._workers: dict[int, Any] = {}  # the live workers of the standard view, by key
        self._keys = itertools.count()
        self._batcher: Any = None  # the batch worker, while it runs
        self._rng = random.Random()
        self._clock = clock
        self._closed = False
        self._latency = 0.0  # the longest stop_latency of the policies in use

    # -- bookkeeping (each under the lock) ----------------------------------------------

    def _add(self, backend: Any, name: str, handle: Any) -> tuple[Entry, bool, TrackMode]:
        """Watch ``name`` on ``backend`` for ``handle``: ``(entry, is it new, engine)``."""
        with self._lock:
            if self._closed:
                raise FailedPrecondition(f"cannot track {name}: the client is closed")
            entry, new, engine = self._registry.add(backend, name, handle)
            handle._entry = entry
            self._latency = max(self._latency, tracker_policy(backend).stop_latency)
            return entry, new, engine

    def forget(self, handle: Any) -> None:
        """``handle`` was cancelled: stop watching its operation if nobody else does (its
        stop event is set: a task abandons the request in flight at once, a thread within
        ``stop_latency``)."""
        entry = handle._entry
        with self._lock:
            if entry is not None and self._registry.drop(entry, handle):
                stop = self._stops.pop(entry, None)
                if stop is not None:
                    stop.set()

    def _next_job(self, key: int) -> tuple[Entry, Any] | None:
        """The next entry for worker ``key`` and its stop event; None: the worker ends
        (closed, or nothing queued) and is forgotten."""
        with self._lock:
            while self._jobs and not self._halt.is_set():
                entry = self._jobs.popleft()
                if entry in self._stops:  # (else nobody watches it any more)
                    return entry, self._stops[entry]
            del self._workers[key]
            return None

    def _batch_backend(self) -> Any:
        """The backend of the batch worker's next rounds; None: it ends (closed, or no
        audited handle pending) and is forgotten."""
        with self._lock:
            pending = self._registry.boards["batch"].pending()
            if self._halt.is_set() or not pending:
                self._batcher = None
                return None
            return pending[0].backend

    def _shut(self) -> list[Any]:
        """Close: end every pending handle with :class:`lro.Cancelled`, set the stop
        events; the workers to stop (none when already closed)."""
        with self._lock:
            if self._closed:
                return []
            self._closed = True
            self._halt.set()
            for stop in self._stops.values():
                stop.set()
            self._stops.clear()
            handles = self._registry.clear()
            batcher = [] if self._batcher is None else [self._batcher]
            workers = [*self._workers.values(), *batcher]
        for handle in handles:
            handle._closed = True
            handle._settle(None, closed(handle.name), quiet=True)
        return workers

    def _watching(self, entry: Entry) -> list[Any]:
        """The handles that watch ``entry`` now."""
        with self._lock:
            return list(self._registry.watchers.get(entry, ()))

    def _release(self, entry: Entry) -> list[Any]:
        """Forget ``entry``; its handles, to settle."""
        with self._lock:
            self._stops.pop(entry, None)
            handles: list[Any] = self._registry.finish(entry)
            return handles

    def _scope(self, entry: Entry) -> contextlib.AbstractContextManager[Any]:
        """Where a worker waits for ``entry``: in its first handle's span, if traced."""
        spans = [handle._span for handle in self._watching(entry) if handle._span is not None]
        return spans[0].scope() if spans else contextlib.nullcontext()

    # -- plans ----------------------------------------------------------------------------

    def _plan(self, entry: Entry, *, stoppable: bool) -> WaitPlan:
        """A worker's plan for ``entry``: no deadline (``result(timeout)`` bounds a
        handle's wait), ``stoppable`` for threads (windows of ``stop_latency``)."""
        watching = any(handle._on_progress is not None for handle in self._watching(entry))
        policy, deadline = tracker_policy(entry.backend), Deadline(None, self._clock.monotonic)
        return single_plan(
            entry, policy, deadline, self._rng, stoppable=stoppable, watching=watching
        )

    def _batch_plan(self, backend: Any) -> WaitPlan:
        """The plan of the batch rounds over the audited handles of ``backend``."""
        return WaitPlan(
            batch_policy(tracker_policy(backend)),
            Deadline(None, self._clock.monotonic),
            answered=has_answered(backend),
            rng=random.Random(self._rng.random()),
        )

    # -- settling -------------------------------------------------------------------------

    def _finish(self, entry: Entry, final: Snapshot | None, error: BaseException | None) -> None:
        """Settle the handles of ``entry``: with ``final``'s outcome, or with ``error``."""
        for handle in self._release(entry):
            if final is not None:
                value, failure = settle(final)  # a fresh error per handle
                handle._settle(value, failure)
            else:
                handle._settle(None, error)

    def put_nowait(self, item: tuple[str, Entry, Any]) -> None:
        """A worker's report: ``(kind, entry, payload)`` (the pool's ``Sink``; see
        ``apply_event``): the handles of the entry settle at once."""
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
        with self._lock:
            entry = self._registry.entry_of(snapshot)
        if entry is not None:
            for handle in self._watching(entry):
                handle._progress(snapshot)

    def _batch_failed(self, error: Exception) -> None:
        """The batch rounds failed: ``error`` (an lro.Error; anything else is a bug, and
        logged) ends every audited handle pending, unless the tracker is closing."""
        if self._halt.is_set():
            return  # closed: close() settles the handles
        if not isinstance(error, Error):
            logger.error("tracking the audited view failed", exc_info=error)
        for entry in self._registry.boards["batch"].pending():
            self._finish(entry, None, error)

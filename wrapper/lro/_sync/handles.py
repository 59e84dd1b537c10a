"""Handles: ``client.track(name)`` returns an :class:`Handle` (a
:class:`concurrent.futures.Future`) that the client's :class:`Tracker` settles from the
background (see :mod:`lro._core.handles` for what is shared with the async half).

The tracker reuses the engines of :func:`lro.wait_all` (:mod:`lro._sync.wait_many`): one thread
runs batchGet rounds for every handle of the audited view while any is pending, and up to
:data:`~lro._core.handles.TRACK_CONCURRENCY` pool threads long-poll the standard view's
operations, one at a time each. Threads start when there is work and end when there is
none; :meth:`Tracker.close` (``client.close()``) ends the pending handles with
:class:`lro.Cancelled` and joins every thread.
"""

from __future__ import annotations

import concurrent.futures
import contextvars
import functools
import logging
import queue
import random
import threading
from typing import Any, cast

from lro._core.clock import Clock
from lro._core.deadlines import Deadline
from lro._core.errors import Error, FailedPrecondition
from lro._core.eta import Eta
from lro._core.handles import TRACK_CONCURRENCY, Settler, Watchers, closed, tracker_policy
from lro._core.snapshot import Snapshot
from lro._core.wait_many import Board, Entry, batch_policy
from lro._core.wait_plan import WaitPlan
from lro._core.waits import OnProgress, has_answered, known_long_poll
from lro._tracing import Counter, Parent, handle_outcome, mode_of, tracing

from .operation import Operation
from .pool import worker
from .wait_many import batch_rounds

__all__ = ["Handle", "Tracker"]

logger = logging.getLogger("lro")

#: How long :meth:`Tracker.close` waits for each thread beyond the policy's
#: ``stop_latency`` (the longest long-poll window a tracker asks for).
JOIN_MARGIN = 5.0

# The stop event of an entry nobody watches any more: already set.
_STOPPED = threading.Event()
_STOPPED.set()


class Handle(concurrent.futures.Future[Any]):
    """A tracked operation: a :class:`concurrent.futures.Future` of its result.

    ``result(timeout)`` blocks until the operation is done and returns its response (as
    :meth:`lro.Operation.result` does), or raises its typed error (:class:`lro.Cancelled`,
    :class:`lro.NotFound`, ...); ``exception()``, ``done()`` and ``add_done_callback``
    behave as for any future (callbacks run in the tracker's thread), and the handle works
    with :func:`concurrent.futures.wait`, :func:`~concurrent.futures.as_completed` and
    :func:`asyncio.wrap_future`. :attr:`latest` is the last snapshot seen.

    Made by :meth:`lro.Client.track` (standard view), :meth:`lro.AuditedView.track`
    (audited view: shared batch rounds) and :meth:`lro.Operation.track`; the operation's
    name is all it takes, so another process rebuilds it with ``client.track(name)``.
    """

    def __init__(
        self, tracker: Tracker, backend: Any, name: str, on_progress: OnProgress | None
    ) -> None:
        super().__init__()
        self._tracker = tracker
        self._backend = backend
        self._name = name
        self._on_progress = on_progress
        self._entry: Entry | None = None
        self._closed = False  # ended by client.close()
        self._span: Parent | None = None
        self._rounds: Counter | None = None
        self._rounds_before = 0

    @property
    def name(self) -> str:
        """The operation's name."""
        return self._name

    @property
    def latest(self) -> Operation | None:
        """The last snapshot seen (the final one once done; None before the first)."""
        return None if self._entry is None else cast("Operation | None", self._entry.latest)

    @property
    def eta(self) -> Eta | None:
        """The estimated time left of the last snapshot seen (see :attr:`lro.Operation.eta`)."""
        latest = self.latest
        return None if latest is None else latest.eta

    def cancel(self, server: bool = False) -> bool:
        """Abandon the wait: the handle is cancelled (``result()`` raises
        :class:`concurrent.futures.CancelledError`) and no longer tracked. With
        ``server=True``, also ask the server to cancel the operation (a failure to do so
        raises its :class:`lro.Error`; the handle is cancelled all the same).

        Returns False, doing nothing, when the handle is already settled.
        """
        if not super().cancel():
            return False
        self._tracker.forget(self)
        if server:
            self._backend.cancel(self._name)
        return True

    def __repr__(self) -> str:
        state = "cancelled" if self.cancelled() else "done" if self.done() else "pending"
        return f"Handle({self._name!r}, {state})"

    # -- what the tracker calls -------------------------------------------------------------

    def _progress(self, snapshot: Snapshot) -> None:
        if self._on_progress is None or self.done():
            return
        try:
            self._on_progress(snapshot)
        except Exception:  # a callback's bug must not stop the tracking of the others
            logger.exception("on_progress of the handle of %s raised", self._name)

    def _traced(self, span: Parent, rounds: Counter | None) -> None:
        """Trace the handle: ``span`` ends when it settles (``rounds`` counts the batch
        requests it shares)."""
        self._span, self._rounds = span, rounds
        self._rounds_before = 0 if rounds is None else rounds.requests
        self.add_done_callback(lambda _: self._end_span())

    def _end_span(self) -> None:
        span = self._span
        assert span is not None
        cancelled = self.cancelled()
        error = None if cancelled else self.exception()
        if self._rounds is not None:
            span.requests = self._rounds.requests - self._rounds_before
        elif span.mode != "batch" and known_long_poll(self._backend, self.name) is False:
            span.mode = "poll"
        span.end(handle_outcome(cancelled, error, self.latest, self._closed), error)

    def _settle(self, value: Any, error: BaseException | None) -> None:
        try:
            if error is not None:
                self.set_exception(error)
            else:
                self.set_result(value)
        except concurrent.futures.InvalidStateError:
            pass  # cancelled meanwhile


class _LockedBoard(Board):
    """The batch board, read by the batch thread while callers add to it."""

    def __init__(self, lock: threading.RLock, clock: Clock) -> None:
        super().__init__((), None, clock)
        self._lock = lock

    def pending(self) -> list[Entry]:
        with self._lock:
            return super().pending()


class Tracker(Settler):
    """The handles of one :class:`lro.Client`: what they watch, and the threads that do."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock  # the client's
        self._lock = threading.RLock()
        self._registry = Watchers(_LockedBoard(self._lock, clock), Board((), None, clock))
        self._halt = threading.Event()
        self._stops: dict[Entry, threading.Event] = {}
        self._jobs: queue.SimpleQueue[Entry] = queue.SimpleQueue()
        self._workers: set[threading.Thread] = set()
        self._batcher: threading.Thread | None = None
        self._rng = random.Random()
        self._closed = False
        self._latency = 0.0  # the longest stop_latency of the policies in use
        self._tracing = tracing()
        self._rounds = Counter()  # the batch thread's requests (lro.track spans count them)

    # -- the handles' side --------------------------------------------------------------

    def track(self, backend: Any, name: str, on_progress: OnProgress | None) -> Handle:
        """A new handle of ``name`` on ``backend`` (the client or its audited view)."""
        handle = Handle(self, backend, name, on_progress)
        with self._lock:
            if self._closed:
                raise FailedPrecondition(f"cannot track {name}: the client is closed")
            entry, new, engine = self._registry.add(backend, name, handle)
            handle._entry = entry
            policy = tracker_policy(backend)
            self._latency = max(self._latency, policy.stop_latency)
            if self._tracing is not None:
                mode = mode_of(engine, "poll" if policy.long_poll is False else "long_poll")
                span = self._tracing.parent("lro.track", {"lro.operation.name": name}, mode)
                handle._traced(span, self._rounds if engine == "batch" else None)
            if not new:
                return handle
            if engine == "batch":
                if self._batcher is None:
                    batches = self._batches
                    if self._tracing is not None:  # the rounds' requests are counted
                        batches = functools.partial(self._rounds.context().run, batches)
                    self._batcher = self._start(batches, "lro-track-batch")
            else:
                self._stops[entry] = threading.Event()
                self._jobs.put(entry)
                if len(self._workers) < TRACK_CONCURRENCY:
                    self._workers.add(self._start(self._work, f"lro-track-{len(self._workers)}"))
        return handle

    def forget(self, handle: Handle) -> None:
        """``handle`` was cancelled: stop watching its operation if nobody else does."""
        entry = handle._entry
        with self._lock:
            if entry is not None and self._registry.drop(entry, handle):
                self._stops.pop(entry, _STOPPED).set()

    def close(self) -> None:
        """End every pending handle with :class:`lro.Cancelled` and join the threads
        (each within the policy's ``stop_latency`` plus a margin). Idempotent."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._halt.set()
            for stop in self._stops.values():
                stop.set()
            self._stops.clear()
            handles = self._registry.clear()
            threads = [*self._workers, *([self._batcher] if self._batcher else [])]
        for handle in handles:
            handle._closed = True
            handle._settle(None, closed(handle.name))
        current = threading.current_thread()
        for thread in threads:
            if thread is not current:  # (close() called from a callback of a handle)
                thread.join(self._latency + JOIN_MARGIN)
                if thread.is_alive():
                    logger.warning("tracker thread %s did not stop in time", thread.name)

    # -- settling -----------------------------------------------------------------------

    def _watching(self, entry: Entry) -> list[Handle]:
        with self._lock:
            return list(self._registry.watchers.get(entry, ()))

    def _entry_of(self, snapshot: Snapshot) -> Entry | None:
        with self._lock:
            return self._registry.entry_of(snapshot)

    def _release(self, entry: Entry) -> list[Handle]:
        with self._lock:
            self._stops.pop(entry, None)
            handles: list[Handle] = self._registry.finish(entry)
            return handles

    def put(self, item: tuple[str, Entry, Any]) -> None:
        """A pool thread's report (the :class:`~lro._sync.pool.Sink` of ``pool.worker``)."""
        self._report(item)

    # -- the threads --------------------------------------------------------------------

    def _start(self, target: Any, name: str) -> threading.Thread:
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        return thread

    def _stop_of(self, entry: Entry) -> threading.Event:
        with self._lock:
            return self._stops.get(entry, _STOPPED)

    def _context_of(self, entry: Entry) -> contextvars.Context | None:
        """Where a pool thread waits for ``entry``: in its first handle's span, if traced."""
        spans = [handle._span for handle in self._watching(entry) if handle._span is not None]
        return spans[0].context() if spans else None

    def _plan(self, entry: Entry) -> WaitPlan:
        watching = any(handle._on_progress is not None for handle in self._watching(entry))
        return WaitPlan(
            tracker_policy(entry.backend),
            Deadline(None, self._clock.monotonic),
            long_poll=known_long_poll(entry.backend, entry.name),
            answered=has_answered(entry.backend),
            rng=random.Random(self._rng.random()),
            stoppable=True,  # windows of stop_latency: cancel and close never wait long
            watching=watching,
        )

    def _work(self) -> None:
        """A pool thread: the pool engine's worker, until no operation is queued."""
        me = threading.current_thread()
        while True:
            worker(
                self._jobs, self, self._plan, self._halt, None,
                self._stop_of, self._context_of,
            )  # fmt: skip
            with self._lock:
                if self._halt.is_set() or self._jobs.empty():
                    self._workers.discard(me)
                    return

    def _batches(self) -> None:
        """The batch thread: the batch engine's rounds while any audited handle is pending."""
        board = self._registry.boards["batch"]
        while True:
            with self._lock:
                pending = board.pending()
                if self._halt.is_set() or not pending:
                    self._batcher = None
                    return
                backend = pending[0].backend
            policy = batch_policy(tracker_policy(backend))
            rng = random.Random(self._rng.random())
            answered = has_answered(backend)
            plan = WaitPlan(
                policy, Deadline(None, self._clock.monotonic), answered=answered, rng=rng
            )
            options = {"stop": self._halt}
            rounds = batch_rounds(board, plan, self._batch_progress, options)
            try:
                for entry in rounds:
                    self._finish(entry, entry.final, None)
            except Exception as error:  # an lro.Error that ends every wait of the batch
                if self._halt.is_set():
                    continue  # closed: close() settles the handles
                if not isinstance(error, Error):
                    logger.error("tracking the audited view failed", exc_info=error)
                for entry in board.pending():
                    self._finish(entry, None, error)

# generated from lro/_async/handles.py by scripts/unasync.py; do not edit
# (edit the async module and run `python scripts/unasync.py`)
"""Handles: ``client.track(name)`` returns a handle (:class:`Handle`), the future of
its result, that the client's tracker (:class:`Tracker`) settles in the background;
its I/O-free part, shared by both halves, is :mod:`lro._core.handles`.

The tracker reuses the engines of :func:`lro.wait_all`: one worker runs batchGet
rounds (:mod:`lro._sync.wait_many`) for every handle of the audited view while any is
pending, and up to :data:`~lro._core.handles.TRACK_CONCURRENCY` workers long-poll the
standard view's operations (:func:`lro._sync.pool.follow`), one at a time each, the
others queued. Workers start when there is work and end when there is none. The async
half's workers are tasks: cancelling a handle cancels its request in flight, and closing
the client cancels every task and awaits it. The sync half's are daemon threads: they
notice a cancel or a close within the policy's ``stop_latency``, and closing the client
joins them. Either way closing ends the pending handles with :class:`lro.Cancelled`.
"""

from __future__ import annotations

import contextvars
import functools
import threading
from collections.abc import Callable
from typing import Any, cast

from lro._core.clock import Clock
from lro._core.handles import (
    JOIN_MARGIN,
    TRACK_CONCURRENCY,
    HandleCore,
    TrackerCore,
    tracker_policy,
)
from lro._core.waits import OnProgress
from lro._tracing import Counter, tracing

from .operation import Operation
from .pool import follow
from .primitives import STOP_BY_SLICES
from .wait_many import batch_rounds
from .workers import (
    Future,
    InvalidStateError,
    RLock,
    Worker,
    background,
    cancel,
    join,
    loop_of,
    spawn,
)

__all__ = ["Handle", "Tracker"]


class Handle(HandleCore, Future[Any]):
    """A tracked operation: the future of its result (an :class:`asyncio.Future` for the
    async client, a :class:`concurrent.futures.Future` for the sync one).

    It settles as :meth:`lro.Operation.result` returns: with the response of the done
    operation, or with its typed error (:class:`lro.Cancelled`, :class:`lro.NotFound`,
    ...); :attr:`latest` is the last snapshot seen. The rest is any future's: the async
    handle is awaited and works with :func:`asyncio.wait`, :func:`asyncio.gather` and
    :func:`asyncio.wait_for` (whose timeout cancels the handle: the wait is abandoned, the
    operation is not); the sync one's ``result(timeout)`` blocks, its callbacks run in a
    tracker thread, and it works with :func:`concurrent.futures.wait`,
    :func:`~concurrent.futures.as_completed` and :func:`asyncio.wrap_future`.

    Made by :meth:`lro.Client.track` (standard view), :meth:`lro.AuditedView.track`
    (audited view: shared batch rounds) and :meth:`lro.Operation.track`; an async
    client makes it on the running event loop. The operation's name is all it takes, so
    another process rebuilds it with ``client.track(name)``.
    """

    @property
    def latest(self) -> Operation | None:
        """The last snapshot seen (the final one once done; None before the first)."""
        return None if self._entry is None else cast("Operation | None", self._entry.latest)

    def cancel(self, server: bool = False) -> bool:
        """Abandon the wait: the handle is cancelled (awaiting it, or ``result()``, raises
        the future's ``CancelledError``) and, unless another handle watches the operation,
        its wait too (a task's at once, with its request in flight; a thread's within
        ``stop_latency``). With ``server=True``, also ask the server to cancel the
        operation: the sync handle at once, raising the :class:`lro.Error` of a failure
        (the handle is cancelled all the same); the async one from a task of the tracker,
        logging a failure (closing the client awaits it).

        Returns False, doing nothing, when the handle is already settled.
        """
        if not super().cancel():
            return False
        self._tracker.forget(self)
        if server:
            self._tracker.later(self._backend.cancel(self._name), self._cancel_failed)
        return True

    def _settle(self, value: Any, error: BaseException | None, *, quiet: bool = False) -> None:
        """Settle with ``value``, or ``error`` (``quiet``: counted as retrieved, so that no
        "exception was never retrieved" is logged), unless cancelled meanwhile."""
        try:
            if error is None:
                self.set_result(value)
            else:
                self.set_exception(error)
        except InvalidStateError:
            return  # cancelled meanwhile
        if quiet and error is not None:
            self.exception()


class Tracker(TrackerCore):
    """The handles of one :class:`lro.Client`, and the workers that watch for them."""

    def __init__(self, clock: Clock) -> None:
        super().__init__(RLock(), threading.Event(), clock)  # the client's clock
        self._loop: Any = None  # the event loop of the async client's handles
        self._background: set[Worker] = set()  # coroutine callbacks, server cancels
        self._tracing = tracing()
        self._rounds = Counter()  # the batch worker's requests (lro.track spans count them)

    def track(self, backend: Any, name: str, on_progress: OnProgress | None) -> Handle:
        """A new handle of ``name`` on ``backend`` (the client or its audited view)."""
        with self._lock:
            self._loop = loop_of(f"track {name}", self._loop)
            handle = Handle(self, backend, name, on_progress)
            entry, new, engine = self._add(backend, name, handle)
            if self._tracing is not None:
                long_poll = tracker_policy(backend).long_poll
                self._tracing.tracked(handle, engine, long_poll, self._rounds)
            if new and engine == "batch" and self._batcher is None:
                # the batch worker counts its requests (lro.track spans share them)
                self._batcher = spawn(self._batches, "lro-track-batch", self._rounds.context())
            elif new and engine == "pool":
                self._stops[entry] = threading.Event()
                self._jobs.append(entry)
                if len(self._workers) < TRACK_CONCURRENCY:
                    key = next(self._keys)
                    work = functools.partial(self._work, key)
                    # in a context of its own: a wait's is its handle's span (_scope)
                    self._workers[key] = spawn(work, f"lro-track-{key}", contextvars.Context())
        return handle

    def later(self, outcome: object, on_error: Callable[[Exception], None]) -> None:
        """Await ``outcome`` if it is awaitable (an async on_progress's, a server cancel's)
        in a task that :meth:`close` awaits; ``on_error`` takes what it raises."""
        background(outcome, self._background, on_error)

    def close(self) -> None:
        """End every pending handle with :class:`lro.Cancelled`, and stop the workers:
        tasks are cancelled and awaited (so are the async handles' server cancels), threads
        joined, each within the policy's ``stop_latency`` plus a margin. Idempotent."""
        workers = self._shut()
        cancel(workers)
        join([*workers, *self._background], self._latency + JOIN_MARGIN)

    def _work(self, key: int) -> None:
        """A worker: the queued operations, one at a time, until none is left."""
        while (job := self._next_job(key)) is not None:
            entry, stop = job
            plan = self._plan(entry, stoppable=STOP_BY_SLICES)  # threads: windows of stop_latency
            with self._scope(entry):
                follow(entry, plan, self, self._halt, stop, self._clock)

    def _batches(self) -> None:
        """The batch worker: the batch engine's rounds while any audited handle is pending."""
        board = self._registry.boards["batch"]
        while (backend := self._batch_backend()) is not None:
            options = {"stop": self._halt}
            rounds = batch_rounds(board, self._batch_plan(backend), self._batch_progress, options)
            try:
                for entry in rounds:
                    self._finish(entry, entry.final, None)
            except Exception as error:  # an lro.Error that ends every wait of the batch
                self._batch_failed(error)

"""Async handles: ``AsyncClient.track(name)`` returns an :class:`AsyncHandle` (an
:class:`asyncio.Future`) that the client's :class:`AsyncTracker` settles from tasks of
its event loop (see :mod:`lro._core.handles` for what is shared with the sync half).

The tracker reuses the engines of :func:`lro.async_wait_all` (:mod:`lro._async.wait_many`):
one task runs batchGet rounds for every handle of the audited view while any is pending,
and one waiter task per operation of the standard view long-polls it, at most
:data:`~lro._core.handles.TRACK_CONCURRENCY` at once (a semaphore). Cancelling a handle
cancels its waiter (and the request in flight); :meth:`AsyncTracker.aclose`
(``await client.close()``) ends the pending handles with :class:`lro.Cancelled`, cancels
every task and awaits them.
"""

from __future__ import annotations

import asyncio
import contextvars
import inspect
import logging
import random
from collections.abc import Awaitable, Coroutine
from typing import Any, cast

from lro._core.clock import Clock
from lro._core.deadlines import Deadline
from lro._core.errors import Error, FailedPrecondition
from lro._core.eta import Eta
from lro._core.handles import TRACK_CONCURRENCY, Settler, Watchers, closed, tracker_policy
from lro._core.snapshot import Snapshot
from lro._core.wait_many import Board, Entry, batch_policy
from lro._core.wait_plan import WaitPlan
from lro._core.waits import OnProgress, has_answered, known_long_poll, log_cancel_failure
from lro._tracing import Counter, Parent, handle_outcome, mode_of, tracing

from .operation import AsyncOperation
from .pool import wait_one
from .wait_many import batch_rounds

__all__ = ["AsyncHandle", "AsyncTracker"]

logger = logging.getLogger("lro")


class AsyncHandle(asyncio.Future[Any]):
    """A tracked operation: an :class:`asyncio.Future` of its result.

    ``await handle`` gives the response of the done operation (as
    :meth:`lro.AsyncOperation.result` does) or raises its typed error; ``done()``,
    ``result()``, ``exception()`` and ``add_done_callback`` are those of any future, and
    the handle works with :func:`asyncio.wait`, :func:`asyncio.gather`,
    :func:`asyncio.as_completed` and :func:`asyncio.wait_for` (whose timeout cancels the
    handle: the wait is abandoned, the operation is not). :attr:`latest` is the last
    snapshot seen.

    Made by :meth:`lro.AsyncClient.track`, :meth:`lro.AsyncAuditedView.track` and
    :meth:`lro.AsyncOperation.track`, on the running event loop; the operation's name is
    all it takes, so another process rebuilds it with ``client.track(name)``.
    """

    def __init__(
        self,
        tracker: AsyncTracker,
        backend: Any,
        name: str,
        on_progress: OnProgress | None,
        loop: asyncio.AbstractEventLoop,
    ) -> None:
        super().__init__(loop=loop)
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
    def latest(self) -> AsyncOperation | None:
        """The last snapshot seen (the final one once done; None before the first)."""
        return None if self._entry is None else cast("AsyncOperation | None", self._entry.latest)

    @property
    def eta(self) -> Eta | None:
        """The estimated time left of the last snapshot seen (see :attr:`lro.Operation.eta`)."""
        latest = self.latest
        return None if latest is None else latest.eta

    def cancel(self, msg: Any | None = None, *, server: bool = False) -> bool:
        """Abandon the wait: the handle is cancelled (awaiting it raises
        :class:`asyncio.CancelledError`), its waiter and request in flight too. With
        ``server=True``, also ask the server to cancel the operation, from a task of the
        tracker (a failure to do so is logged; ``await client.close()`` awaits it).

        Returns False, doing nothing, when the handle is already settled.
        """
        if not super().cancel(msg):
            return False
        self._tracker.forget(self)
        if server:
            self._tracker.cancel_on_server(self._backend, self._name)
        return True

    def __repr__(self) -> str:
        state = "cancelled" if self.cancelled() else "done" if self.done() else "pending"
        return f"AsyncHandle({self._name!r}, {state})"

    # -- what the tracker calls -------------------------------------------------------------

    def _progress(self, snapshot: Snapshot) -> None:
        if self._on_progress is None or self.done():
            return
        try:
            outcome = self._on_progress(snapshot)
        except Exception:  # a callback's bug must not stop the tracking of the others
            logger.exception("on_progress of the handle of %s raised", self._name)
            return
        if inspect.isawaitable(outcome):
            self._tracker.spawn(self._awaited(outcome))

    async def _awaited(self, outcome: Awaitable[Any]) -> None:
        try:
            await outcome
        except Exception:
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

    def _settle(self, value: Any, error: BaseException | None, *, quiet: bool = False) -> None:
        if self.done():
            return  # cancelled meanwhile
        if error is None:
            self.set_result(value)
            return
        self.set_exception(error)
        if quiet:
            self.exception()  # retrieved: no "exception was never retrieved" at collection


def _task(
    loop: asyncio.AbstractEventLoop,
    work: Coroutine[Any, Any, None],
    name: str,
    context: contextvars.Context | None,
) -> asyncio.Task[None]:
    """A task of the tracker, in ``context`` when given (``create_task(context=)`` is
    3.11+: a task copies the context it is created in)."""
    if context is None:
        return loop.create_task(work, name=name)
    return context.run(loop.create_task, work, name=name)


class AsyncTracker(Settler):
    """The handles of one :class:`lro.AsyncClient`, and the tasks that watch for them."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock  # the client's
        self._registry = Watchers(Board((), None, clock), Board((), None, clock))
        self._waiters: dict[Entry, asyncio.Task[None]] = {}
        self._background: set[asyncio.Task[Any]] = set()
        self._batcher: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._gate: asyncio.Semaphore | None = None
        self._halt: asyncio.Event | None = None
        self._rng = random.Random()
        self._closed = False
        self._tracing = tracing()
        self._rounds = Counter()  # the batch task's requests (lro.track spans count them)

    # -- the handles' side --------------------------------------------------------------

    def track(self, backend: Any, name: str, on_progress: OnProgress | None) -> AsyncHandle:
        """A new handle of ``name`` on ``backend`` (the client or its audited view)."""
        if self._closed:
            raise FailedPrecondition(f"cannot track {name}: the client is closed")
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            raise FailedPrecondition(
                f"cannot track {name}: AsyncClient.track needs a running event loop"
            ) from None
        if self._loop is None or self._gate is None or self._halt is None:
            self._loop, self._halt = loop, asyncio.Event()
            self._gate = asyncio.Semaphore(TRACK_CONCURRENCY)
        elif loop is not self._loop:
            raise FailedPrecondition(
                f"cannot track {name}: the client's handles live on another event loop"
            )
        handle = AsyncHandle(self, backend, name, on_progress, loop)
        entry, new, engine = self._registry.add(backend, name, handle)
        handle._entry = entry
        context = None
        if self._tracing is not None:
            policy = tracker_policy(backend)
            mode = mode_of(engine, "poll" if policy.long_poll is False else "long_poll")
            span = self._tracing.parent("lro.track", {"lro.operation.name": name}, mode)
            handle._traced(span, self._rounds if engine == "batch" else None)
            # The tasks run in contexts of their own: the handle's span, or the rounds'
            # counter (whatever span was current for the caller is not theirs).
            context = self._rounds.context() if engine == "batch" else span.context()
        if not new:
            return handle
        if engine == "batch":
            if self._batcher is None or self._batcher.done():
                self._batcher = _task(loop, self._batches(), "lro-track-batch", context)
        else:
            plan = self._plan(entry, watching=on_progress is not None)
            options = {"clock": self._clock}
            waiter = wait_one(entry, plan, self._gate, self, options)
            self._waiters[entry] = _task(loop, waiter, f"lro-track {name}", context)
        return handle

    def forget(self, handle: AsyncHandle) -> None:
        """``handle`` was cancelled: stop watching its operation if nobody else does."""
        entry = handle._entry
        if entry is not None and self._registry.drop(entry, handle):
            waiter = self._waiters.pop(entry, None)
            if waiter is not None:
                waiter.cancel()
                self._keep(waiter)

    def cancel_on_server(self, backend: Any, name: str) -> None:
        """Ask the server to cancel ``name`` from a task (``handle.cancel(server=True)``)."""

        async def cancel() -> None:
            try:
                await backend.cancel(name)
            except Error as error:
                log_cancel_failure(name, error)

        self.spawn(cancel())

    def spawn(self, work: Any) -> None:
        """Run a coroutine as a task of the tracker (awaited by :meth:`aclose`)."""
        loop = self._loop or asyncio.get_running_loop()
        self._keep(loop.create_task(work))

    def _keep(self, task: asyncio.Task[Any]) -> None:
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def aclose(self) -> None:
        """End every pending handle with :class:`lro.Cancelled`, cancel the tracker's
        tasks and await them (and the server cancels asked for). Idempotent."""
        if self._closed:
            return
        self._closed = True
        if self._halt is not None:
            self._halt.set()
        for handle in self._registry.clear():
            handle._closed = True
            handle._settle(None, closed(handle.name), quiet=True)
        tasks = [*self._waiters.values(), *([self._batcher] if self._batcher else [])]
        self._waiters.clear()
        for task in tasks:
            task.cancel()
        tasks += self._background
        if tasks and self._loop is asyncio.get_running_loop():
            await asyncio.gather(*tasks, return_exceptions=True)

    # -- settling -----------------------------------------------------------------------

    def _watching(self, entry: Entry) -> list[AsyncHandle]:
        return list(self._registry.watchers.get(entry, ()))

    def _release(self, entry: Entry) -> list[AsyncHandle]:
        self._waiters.pop(entry, None)
        handles: list[AsyncHandle] = self._registry.finish(entry)
        return handles

    def put_nowait(self, item: tuple[str, Entry, Any]) -> None:
        """A waiter task's report (the :class:`~lro._async.pool.Sink` of ``pool.wait_one``)."""
        self._report(item)

    # -- the tasks ----------------------------------------------------------------------

    def _plan(self, entry: Entry, *, watching: bool) -> WaitPlan:
        return WaitPlan(
            tracker_policy(entry.backend),
            Deadline(None, self._clock.monotonic),
            long_poll=known_long_poll(entry.backend, entry.name),
            answered=has_answered(entry.backend),
            rng=random.Random(self._rng.random()),
            watching=watching,
        )

    async def _batches(self) -> None:
        """The batch task: the batch engine's rounds while any audited handle is pending."""
        board = self._registry.boards["batch"]
        while board.pending() and not self._closed:
            backend = board.pending()[0].backend
            policy = batch_policy(tracker_policy(backend))
            rng = random.Random(self._rng.random())
            answered = has_answered(backend)
            plan = WaitPlan(
                policy, Deadline(None, self._clock.monotonic), answered=answered, rng=rng
            )
            options = {"stop": self._halt}
            try:
                async for entry in batch_rounds(board, plan, self._batch_progress, options):
                    self._finish(entry, entry.final, None)
            except Exception as error:  # an lro.Error that ends every wait of the batch
                if self._closed:
                    return  # closed: aclose() settles the handles
                if not isinstance(error, Error):
                    logger.error("tracking the audited view failed", exc_info=error)
                for entry in board.pending():
                    self._finish(entry, None, error)

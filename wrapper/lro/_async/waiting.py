"""The asyncio waiter: :func:`async_wait` and :func:`async_watch`.

The twin of :mod:`lro._sync.waiting`, driving the same I/O-free
:class:`lro._core.plan.WaitPlan`; a ``stop`` event or task cancellation abandons the
request in flight.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar, cast

from lro._core.errors import Error, WaitTimeout
from lro._core.names import validate_name
from lro._core.plan import DEFAULT, Fetch, GiveUp, SnapshotTracker, WaitPlan, WaitPolicy
from lro._core.retry import call_budget
from lro._core.waits import (
    AsyncWaitBackend,
    OnDone,
    OnProgress,
    abandoned,
    check_wait_options,
    last_of,
    log_cancel_failure,
    make_plan,
    remember_long_poll,
    timed_out,
)
from lro._tracing import outcome_of, tracing

from .operation import AsyncOperation

__all__ = ["AsyncWaitMethods", "async_snapshots", "async_wait", "async_watch", "call_callback"]

T = TypeVar("T")


class _Stopped:
    """Returned by :func:`_race_stop` when the stop event won."""


_STOPPED = _Stopped()


async def _race_stop(work: Awaitable[T], stop: asyncio.Event | None) -> T | _Stopped:
    """Await ``work``, or abandon it (cancelled, so its connection is released) as soon
    as ``stop`` is set."""
    if stop is None:
        return await work
    task = asyncio.ensure_future(work)
    stopper = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({task, stopper}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for pending in (task, stopper):
            pending.cancel()
        await asyncio.gather(task, stopper, return_exceptions=True)
    return _STOPPED if task.cancelled() else task.result()


def _check_async_stop(stop: asyncio.Event | None, name: str) -> None:
    if stop is not None and stop.is_set():
        raise abandoned(name)


async def _fetch_async(
    backend: AsyncWaitBackend, name: str, fetch: Fetch, left: float | None
) -> AsyncOperation:
    # The wait's time left bounds the call's own retries (a server's Retry-After included).
    with call_budget(left):
        if fetch.window is None:
            return cast("AsyncOperation", await backend.get(name))
        return cast("AsyncOperation", await backend.wait_once(name, fetch.window))


async def _default_async_sleep(seconds: float) -> None:
    await asyncio.sleep(seconds)


async def async_snapshots(
    backend: AsyncWaitBackend,
    name: str,
    plan: WaitPlan,
    *,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], Awaitable[None]] | None = None,
    stop: asyncio.Event | None = None,
) -> AsyncGenerator[AsyncOperation, None]:
    """Async :func:`snapshots`: every snapshot fetched, until a done one."""
    do_sleep = sleep or _default_async_sleep
    last: AsyncOperation | None = None
    while True:
        _check_async_stop(stop, name)
        action = plan.next_action()
        if isinstance(action, GiveUp):
            raise timed_out(name, plan, last, action)
        if not isinstance(action, Fetch):
            await _race_stop(do_sleep(action.seconds), stop)
            continue
        started = clock()
        try:
            outcome = await _race_stop(
                _fetch_async(backend, name, action, plan.deadline.remaining()), stop
            )
        except Error as error:
            try:
                plan.on_error(error, action)
            finally:
                remember_long_poll(backend, plan.long_poll)
            continue
        if isinstance(outcome, _Stopped):
            raise abandoned(name)
        plan.on_snapshot(outcome.done, action, clock() - started)
        remember_long_poll(backend, plan.long_poll)
        last = outcome
        yield outcome
        if outcome.done:
            return


async def call_callback(callback: Callable[..., Any] | None, *args: Any) -> None:
    """Call a sync or async callback (None: nothing); shared with :mod:`lro._async.many`."""
    if callback is None:
        return
    result = callback(*args)
    if isinstance(result, Awaitable):
        await result


async def _async_cancel_after_timeout(
    backend: AsyncWaitBackend, name: str, error: Error, wanted: bool
) -> None:
    if not (wanted and isinstance(error, WaitTimeout)):
        return
    try:
        await backend.cancel(name)
    except Error as cancel_error:
        log_cancel_failure(name, cancel_error)


async def async_wait(
    backend: AsyncWaitBackend,
    name: str,
    timeout: float | None = DEFAULT,
    *,
    policy: WaitPolicy | None = None,
    on_progress: OnProgress | None = None,
    on_done: OnDone | None = None,
    stop: asyncio.Event | None = None,
    cancel_on_timeout: bool = False,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], Awaitable[None]] | None = None,
    rng: random.Random | None = None,
) -> AsyncOperation:
    """Async :func:`wait`: same strategy, deadline semantics, defaults and errors.

    Callbacks may be plain functions or coroutine functions. ``stop`` is an
    :class:`asyncio.Event`; cancelling the task (``asyncio.wait_for``, ``task.cancel()``)
    also stops waiting at once and cancels the request in flight.
    """
    plan = make_plan(
        backend,
        timeout,
        policy,
        clock=clock,
        rng=rng,
        stoppable=False,
        watching=on_progress is not None,
    )
    args = (on_progress, on_done, stop, cancel_on_timeout, clock, sleep)
    traced = tracing()
    if traced is None:
        return await _async_wait(backend, name, plan, *args)
    with traced.waiting("lro.wait", {"lro.operation.name": name}, "long_poll") as parent:
        parent.plan = plan
        final = await _async_wait(backend, name, plan, *args)
        parent.end(outcome_of(final, None), final.error)
        return final


async def _async_wait(
    backend: AsyncWaitBackend,
    name: str,
    plan: WaitPlan,
    on_progress: OnProgress | None,
    on_done: OnDone | None,
    stop: asyncio.Event | None,
    cancel_on_timeout: bool,
    clock: Callable[[], float],
    sleep: Callable[[float], Awaitable[None]] | None,
) -> AsyncOperation:
    tracker = SnapshotTracker()
    last: AsyncOperation | None = None
    stream = async_snapshots(backend, name, plan, clock=clock, sleep=sleep, stop=stop)
    try:
        async for snapshot in stream:
            last = snapshot
            if on_progress is not None and tracker.changed(snapshot):
                await call_callback(on_progress, snapshot)
    except Error as error:
        await _async_cancel_after_timeout(backend, name, error, cancel_on_timeout)
        await call_callback(on_done, last_of(error, last), error)
        raise
    finally:
        await stream.aclose()
    assert last is not None and last.done
    await call_callback(on_done, last, None)
    return last


async def async_watch(
    backend: AsyncWaitBackend,
    name: str,
    timeout: float | None = DEFAULT,
    *,
    policy: WaitPolicy | None = None,
    on_done: OnDone | None = None,
    stop: asyncio.Event | None = None,
    cancel_on_timeout: bool = False,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], Awaitable[None]] | None = None,
    rng: random.Random | None = None,
) -> AsyncIterator[AsyncOperation]:
    """Async :func:`watch`: ``async for snapshot in async_watch(client, name): ...``."""
    plan = make_plan(backend, timeout, policy, clock=clock, rng=rng, stoppable=False, watching=True)
    tracker = SnapshotTracker()
    last: AsyncOperation | None = None
    stream = async_snapshots(backend, name, plan, clock=clock, sleep=sleep, stop=stop)
    try:
        async for snapshot in stream:
            last = snapshot
            if tracker.changed(snapshot):
                yield snapshot
    except Error as error:
        await _async_cancel_after_timeout(backend, name, error, cancel_on_timeout)
        await call_callback(on_done, last_of(error, last), error)
        raise
    finally:
        await stream.aclose()
    await call_callback(on_done, last, None)


class AsyncWaitMethods:
    """``wait()`` and ``watch()`` for an :class:`AsyncClient` or its
    :class:`AsyncAuditedView` (see :class:`lro._sync.waiting.WaitMethods`)."""

    def _backend(self) -> AsyncWaitBackend:
        # Both subclasses have get / wait_once / cancel / wait_policy: they are the backend.
        return cast("AsyncWaitBackend", self)

    async def wait(
        self,
        name: str,
        timeout: float | None = DEFAULT,
        *,
        policy: WaitPolicy | None = None,
        on_progress: OnProgress | None = None,
        on_done: OnDone | None = None,
        stop: asyncio.Event | None = None,
        cancel_on_timeout: bool = False,
    ) -> AsyncOperation:
        """Wait until the operation is done and return its final snapshot: the twin of
        :meth:`lro.Client.wait` (same arguments, defaults, semantics and errors).

        Callbacks may be plain functions or coroutine functions. Cancelling the task
        (``asyncio.wait_for``, ``task.cancel()``) also stops waiting at once and cancels
        the request in flight.

        Args:
            name: the operation's name.
            timeout: wall-clock seconds for the whole wait; None waits forever; omitted:
                the policy's ``default_timeout`` (900 s).
            policy: the :class:`lro.WaitPolicy`; default: the client's ``wait_policy``,
                else the default policy.
            on_progress: called (or awaited) with each snapshot that differs from the
                previous one (the first and the final one included).
            on_done: called (or awaited) once at the end, whatever the outcome:
                ``(final, None)``, or ``(last snapshot or None, error)``.
            stop: an :class:`asyncio.Event`; setting it abandons the wait at once with
                :class:`lro.Cancelled`.
            cancel_on_timeout: on :class:`lro.WaitTimeout`, also ask the server to cancel
                the operation (best effort; a failure to cancel is logged, not raised).

        Raises:
            InvalidArgument: an argument of the wrong type or value (nothing was sent).
            WaitTimeout: the deadline passed (``.operation`` is the last snapshot).
            Cancelled: ``stop`` was set.
            Error: a permanent error ended the wait (NotFound, PermissionDenied, ...).
        """
        validate_name(name)
        check_wait_options(
            timeout, policy, on_progress, on_done, stop, cancel_on_timeout, asynchronous=True
        )
        final: AsyncOperation = await async_wait(
            self._backend(),
            name,
            timeout,
            policy=policy,
            on_progress=on_progress,
            on_done=on_done,
            stop=stop,
            cancel_on_timeout=cancel_on_timeout,
        )
        return final

    def watch(
        self,
        name: str,
        timeout: float | None = DEFAULT,
        *,
        policy: WaitPolicy | None = None,
        on_done: OnDone | None = None,
        stop: asyncio.Event | None = None,
        cancel_on_timeout: bool = False,
    ) -> AsyncIterator[AsyncOperation]:
        """``async for snapshot in client.watch(name)``: each changed snapshot until done.

        The twin of :meth:`lro.Client.watch`; the arguments are those of :meth:`wait`,
        checked now, at the call.

        Args:
            name: the operation's name.
            timeout: wall-clock seconds; None waits forever; omitted: the policy's
                ``default_timeout``.
            policy: the :class:`lro.WaitPolicy` (default: the client's, else the default).
            on_done: called (or awaited) once at the end, as for :meth:`wait`.
            stop: an :class:`asyncio.Event` that abandons the watch when set.
            cancel_on_timeout: on :class:`lro.WaitTimeout`, also cancel the operation.

        Raises:
            InvalidArgument: an argument of the wrong type or value (nothing was sent).
        """
        validate_name(name)
        check_wait_options(
            timeout, policy, None, on_done, stop, cancel_on_timeout, asynchronous=True
        )
        return async_watch(
            self._backend(),
            name,
            timeout,
            policy=policy,
            on_done=on_done,
            stop=stop,
            cancel_on_timeout=cancel_on_timeout,
        )

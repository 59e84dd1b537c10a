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
from typing import Any, TypeVar

from lro._core.errors import Error, WaitTimeout
from lro._core.operation import Operation
from lro._core.plan import DEFAULT, Fetch, GiveUp, SnapshotTracker, WaitPlan, WaitPolicy
from lro._core.retry import call_budget
from lro._core.waits import (
    AsyncWaitBackend,
    OnDone,
    OnProgress,
    abandoned,
    last_of,
    log_cancel_failure,
    make_plan,
    remember_long_poll,
    timed_out,
)
from lro._tracing import outcome_of, tracing

__all__ = ["async_snapshots", "async_wait", "async_watch", "call_callback"]

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
) -> Operation:
    # The wait's time left bounds the call's own retries (a server's Retry-After included).
    with call_budget(left):
        if fetch.window is None:
            return await backend.get(name)
        return await backend.wait_once(name, fetch.window)


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
) -> AsyncGenerator[Operation, None]:
    """Async :func:`snapshots`: every snapshot fetched, until a done one."""
    do_sleep = sleep or _default_async_sleep
    last: Operation | None = None
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
) -> Operation:
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
) -> Operation:
    tracker = SnapshotTracker()
    last: Operation | None = None
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
) -> AsyncIterator[Operation]:
    """Async :func:`watch`: ``async for snapshot in async_watch(client, name): ...``."""
    plan = make_plan(backend, timeout, policy, clock=clock, rng=rng, stoppable=False, watching=True)
    tracker = SnapshotTracker()
    last: Operation | None = None
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

"""The waiter: :func:`async_wait` and :func:`async_watch` over an :class:`AsyncWaitBackend`.

The plan (what to fetch, how long to sleep, when to give up) is made by the I/O-free
:class:`lro._core.wait_plan.WaitPlan`; this module only fetches, sleeps and checks ``stop``
(how, each half says in its ``primitives``: the async half races a ``stop`` event
against the request or sleep in flight, the sync one sleeps in short slices). See
:mod:`lro._core.waits` for the strategy.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from contextlib import AbstractContextManager, nullcontext
from typing import cast

from lro._core.clock import Clock
from lro._core.deadlines import DEFAULT
from lro._core.errors import Error, WaitTimeout
from lro._core.names import validate_name
from lro._core.wait_plan import Fetch, GiveUp, SnapshotTracker, WaitPlan
from lro._core.wait_policy import WaitPolicy
from lro._core.waits import (
    AsyncWaitBackend,
    OnDone,
    OnProgress,
    Stopped,
    abandoned,
    check_wait_options,
    clock_of,
    last_of,
    log_cancel_failure,
    make_plan,
    timed_out,
)
from lro._tracing import Parent, outcome_of, tracing

from .operation import AsyncOperation
from .primitives import ASYNCHRONOUS, STOP_BY_SLICES, call_callback, default_sleep, race_stop

__all__ = ["async_snapshots", "async_wait", "async_watch"]


def _check_stop(stop: asyncio.Event | None, name: str) -> None:
    if stop is not None and stop.is_set():
        raise abandoned(name)


#: One read of a wait: ``(name, window, left)``, a GET when ``window`` is None, else a
#: ``:wait`` long-poll of ``window`` seconds; ``left``, the wait's time left, bounds it.
Read = Callable[[str, float | None, float | None], Awaitable[AsyncOperation]]


def _reader(backend: AsyncWaitBackend) -> Read:
    """How a wait on ``backend`` reads, chosen once per wait. A client of this SDK reads
    with ``_poll``, which takes the wait's time left (it bounds the call's own retries, a
    server's Retry-After included, and each request); a backend of another kind (a test
    double) only has the plain calls."""
    poll = getattr(backend, "_poll", None)
    if poll is not None:
        return cast(Read, poll)

    async def read(name: str, window: float | None, left: float | None) -> AsyncOperation:
        if window is None:
            return cast("AsyncOperation", await backend.get(name))
        return cast("AsyncOperation", await backend.wait_once(name, window))

    return read


async def async_snapshots(
    backend: AsyncWaitBackend,
    name: str,
    plan: WaitPlan,
    *,
    clock: Clock | None = None,
    stop: asyncio.Event | None = None,
) -> AsyncGenerator[AsyncOperation, None]:
    """Every snapshot the plan fetches, until a done one (yielded last), sleeping on
    ``clock`` (default: the backend's).

    Raises:
        WaitTimeout: at the deadline (after a last check) or after ``max_polls``.
        Cancelled: when ``stop`` is set.
        Error: a permanent error of a request (NotFound, PermissionDenied, ...).
    """
    read, sleep = _reader(backend), default_sleep(stop, clock_of(backend, clock))
    last: AsyncOperation | None = None
    while True:
        _check_stop(stop, name)
        action = plan.next_action()
        if isinstance(action, GiveUp):
            raise timed_out(name, plan, last, action)
        if not isinstance(action, Fetch):
            await race_stop(sleep(action.seconds), stop)
            continue
        try:
            outcome = await race_stop(read(name, action.window, action.left), stop)
        except Error as error:
            plan.on_error(error, action)
            continue
        if isinstance(outcome, Stopped):
            raise abandoned(name)
        last = plan.on_operation(outcome, action)  # it carries the time-left estimate
        yield last
        if last.done:
            return


async def _ended_by(
    error: Error,
    backend: AsyncWaitBackend,
    name: str,
    last: AsyncOperation | None,
    cancel_on_timeout: bool,
    on_done: OnDone | None,
) -> None:
    """What a wait or a watch does when ``error`` ends it, before it re-raises: at the
    deadline, asks the server to cancel if told to (a failure to is logged), then calls
    ``on_done`` with the last snapshot seen."""
    if cancel_on_timeout and isinstance(error, WaitTimeout):
        try:
            await backend.cancel(name)
        except Error as cancel_error:
            log_cancel_failure(name, cancel_error)
    await call_callback(on_done, last_of(error, last), error)


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
    clock: Clock | None = None,
    rng: random.Random | None = None,
) -> AsyncOperation:
    """Wait until operation ``name`` is done; return its final snapshot.

    A done operation that failed is returned, not raised (read ``.error``, or call
    ``.result()`` to raise its typed error).

    Args:
        backend: the client or ``client.audit`` (``get``, ``wait_once``, ``cancel``).
        name: the operation's name.
        timeout: wall-clock seconds; None waits forever; omitted: the policy's
            ``default_timeout`` (900 s).
        policy: the :class:`WaitPolicy`; default: the client's ``wait_policy``, else
            :data:`DEFAULT_POLICY`.
        on_progress: called (or awaited) with each snapshot that changed (see
            :data:`OnProgress`).
        on_done: called (or awaited) once at the end, whatever the outcome (see
            :data:`OnDone`).
        stop: an :class:`asyncio.Event`; setting it abandons the wait with
            :class:`lro.Cancelled` (the async waiter at once, cancelling the request in
            flight; the sync one, set from any thread, within ``policy.stop_latency``).
        cancel_on_timeout: on :class:`lro.WaitTimeout`, also ask the server to cancel
            the operation (best effort; a failure to cancel is logged, not raised).
        clock: the :class:`lro.Clock` the deadline is measured and the sleeps are slept
            on; default: the client's (``Client(clock=...)``). The sync waiter's sleep is
            interruptible by ``stop`` (and, on the system clock, by Ctrl-C); cancelling
            the async waiter's task stops it at once.
        rng: the random source of the jitter (tests).

    Raises:
        InvalidName, InvalidArgument: a bad argument (checked before anything is sent).
        WaitTimeout: the deadline passed; ``.operation`` is the last snapshot.
        Cancelled: ``stop`` was set.
        Error: a permanent error ended the wait (NotFound, PermissionDenied, ...).
    """
    validate_name(name)
    check_wait_options(
        timeout, policy, on_progress, on_done, stop, cancel_on_timeout, asynchronous=ASYNCHRONOUS
    )
    clock = clock_of(backend, clock)
    plan = make_plan(
        backend,
        name,
        timeout,
        policy,
        clock=clock,
        rng=rng,
        stoppable=STOP_BY_SLICES and stop is not None,
        watching=on_progress is not None,
    )
    traced = tracing()  # a span around the wait (lro._tracing), when OpenTelemetry is on
    span: AbstractContextManager[Parent | None] = nullcontext()
    if traced is not None:
        span = traced.waiting("lro.wait", {"lro.operation.name": name}, "long_poll")
    with span as parent:
        if parent is not None:
            parent.plan = plan
        tracker = SnapshotTracker()
        last: AsyncOperation | None = None
        stream = async_snapshots(backend, name, plan, clock=clock, stop=stop)
        try:
            async for snapshot in stream:
                last = snapshot
                if on_progress is not None and tracker.changed(snapshot):
                    await call_callback(on_progress, snapshot)
        except Error as error:
            await _ended_by(error, backend, name, last, cancel_on_timeout, on_done)
            raise
        finally:
            await stream.aclose()
        assert last is not None and last.done
        await call_callback(on_done, last, None)
        if parent is not None:
            parent.end(outcome_of(last, None), last.error)
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
    clock: Clock | None = None,
    rng: random.Random | None = None,
) -> AsyncIterator[AsyncOperation]:
    """Yield each changed snapshot of ``name`` (the first one, and the done one last).

    Same arguments, deadline and errors as :func:`async_wait`, but the arguments are the
    caller's to check (``AsyncClient.watch`` does, at the call: a generator's body runs
    only when iterated); the iterator raises :class:`lro.WaitTimeout` at the deadline.
    Closing it early stops the waiting.

        async for snapshot in async_watch(client, name, timeout=60):
            print(lro.progress_fraction(snapshot))
    """
    stoppable = STOP_BY_SLICES and stop is not None
    clock = clock_of(backend, clock)
    plan = make_plan(
        backend, name, timeout, policy, clock=clock, rng=rng, stoppable=stoppable, watching=True
    )
    tracker = SnapshotTracker()
    last: AsyncOperation | None = None
    stream = async_snapshots(backend, name, plan, clock=clock, stop=stop)
    try:
        async for snapshot in stream:
            last = snapshot
            if tracker.changed(snapshot):
                yield snapshot
    except Error as error:
        await _ended_by(error, backend, name, last, cancel_on_timeout, on_done)
        raise
    finally:
        await stream.aclose()
    await call_callback(on_done, last, None)

"""Waiting for an operation: long-poll or poll, deadlines, progress, abandoning.

:func:`wait` / :func:`async_wait` return the final snapshot; :func:`watch` /
:func:`async_watch` yield each changed snapshot until done. ``Client.wait``,
``AsyncClient.wait``, ``Operation.wait`` and ``Operation.result`` delegate here.

Strategy (see :class:`~lro.polling.WaitPolicy` for every knob and its default):

* The ``:wait`` long-poll when the server has it: one request per server wait window,
  completion noticed the moment the server answers. When a server lacks it (UNIMPLEMENTED,
  405, or 404 on ``:wait`` while a GET of the name works) the waiter falls back to GET
  polling, and remembers that on the client object so it only asks once.
* GET polling: capped exponential backoff with jitter (0.75 s x1.4 up to 10 s, +/-15 %).
* Deadlines are wall-clock seconds, the same sync and async. The waiter never gives up
  before the deadline: the last sleep or long-poll window is shortened to end there and
  one last check is made. Then it raises :class:`lro.WaitTimeout` carrying the last
  snapshot; the server-side operation keeps running unless ``cancel_on_timeout=True``.
  ``timeout=None`` waits forever; no timeout at all means ``policy.default_timeout``.
* Transient failures (restarts, 503s, dropped or refused connections, Retry-After /
  RetryInfo honoured up to ``max_delay``) are retried until the deadline; a permanent
  error (NotFound, PermissionDenied, ...) ends the wait at once.

The waiter depends on a small interface (:class:`WaitBackend`: ``get``, ``wait_once``,
``cancel``), not on the client, and takes an injectable clock and sleep.
"""

from __future__ import annotations

import contextlib
import logging
import random
import threading
import time
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Iterator
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from .errors import Cancelled, Error, WaitTimeout
from .operation import Operation
from .polling import (
    DEFAULT,
    DEFAULT_POLICY,
    Deadline,
    Fetch,
    GiveUp,
    SnapshotTracker,
    WaitPlan,
    WaitPolicy,
    progress_of,
    resolve_timeout,
)

if TYPE_CHECKING:
    import asyncio

__all__ = [
    "DEFAULT",
    "DEFAULT_POLICY",
    "AsyncWaitBackend",
    "OnDone",
    "OnProgress",
    "WaitBackend",
    "WaitPolicy",
    "async_wait",
    "async_watch",
    "progress_of",
    "wait",
    "watch",
]

logger = logging.getLogger("lro")

T = TypeVar("T")

#: ``on_progress(snapshot)``: called with each snapshot that differs from the previous one
#: (``done``, metadata, error or response changed), the first and the final one included.
OnProgress = Callable[[Operation], Any]

#: ``on_done(snapshot, error)``: called once when the wait ends, whatever the outcome:
#: ``(final, None)`` when the operation is done (successfully or not: see
#: ``final.error``), ``(last_snapshot_or_None, error)`` when the wait itself failed
#: (:class:`lro.WaitTimeout`, a permanent error such as NotFound, or :class:`lro.Cancelled`
#: for an abandoned wait). Not called on KeyboardInterrupt or asyncio cancellation.
OnDone = Callable[[Operation | None, Error | None], Any]

# Sleeps are cut in slices so that Ctrl-C is noticed promptly on every platform.
_SLICE = 0.25
# Attribute of a backend object that caches whether its server has the :wait long-poll.
_CACHE_ATTR = "_lro_long_poll"


class WaitBackend(Protocol):
    """What the sync waiter needs: :class:`lro.Client` (and ``client.audit``) qualify."""

    def get(self, name: str) -> Operation:
        """The latest snapshot (GET)."""
        ...

    def wait_once(self, name: str, timeout: float | None) -> Operation:
        """One ``:wait`` long-poll of at most ``timeout`` seconds."""
        ...

    def cancel(self, name: str) -> Any:
        """Ask the server to cancel the operation (only with ``cancel_on_timeout``)."""
        ...


class AsyncWaitBackend(Protocol):
    """What the async waiter needs: :class:`lro.AsyncClient` qualifies."""

    async def get(self, name: str) -> Operation:
        """The latest snapshot (GET)."""
        ...

    async def wait_once(self, name: str, timeout: float | None) -> Operation:
        """One ``:wait`` long-poll of at most ``timeout`` seconds."""
        ...

    async def cancel(self, name: str) -> Any:
        """Ask the server to cancel the operation (only with ``cancel_on_timeout``)."""
        ...


# ---------------------------------------------------------------------------------------
# Shared helpers


def policy_for(backend: object, policy: WaitPolicy | None) -> WaitPolicy:
    """The policy of a wait: the call's, else the client's ``wait_policy``, else the
    default."""
    if policy is not None:
        return policy
    own = getattr(backend, "wait_policy", None)
    return own if isinstance(own, WaitPolicy) else DEFAULT_POLICY


def known_long_poll(backend: object) -> bool | None:
    """What a backend object has already taught us about ``:wait`` (None: unknown)."""
    value = getattr(backend, _CACHE_ATTR, None)
    return value if isinstance(value, bool) else None


def remember_long_poll(backend: object, value: bool | None) -> None:
    """Cache on the backend whether its server has ``:wait``, so detection happens once
    per client. Objects that refuse attributes simply are not cached."""
    if value is not None and known_long_poll(backend) is not value:
        with contextlib.suppress(AttributeError, TypeError):
            setattr(backend, _CACHE_ATTR, value)


def make_plan(
    backend: object,
    timeout: Any,
    policy: WaitPolicy | None,
    *,
    clock: Callable[[], float],
    rng: random.Random | None,
    stoppable: bool,
    watching: bool = False,
) -> WaitPlan:
    """A :class:`~lro.polling.WaitPlan` for one wait on ``backend``."""
    chosen = policy_for(backend, policy)
    deadline = Deadline(resolve_timeout(timeout, chosen), clock)
    return WaitPlan(
        chosen,
        deadline,
        long_poll=known_long_poll(backend),
        rng=rng,
        stoppable=stoppable,
        watching=watching,
    )


def abandoned(name: str) -> Cancelled:
    """The error of a wait abandoned through its ``stop`` event."""
    return Cancelled(
        f"waiting for {name} was abandoned (stop event set); the operation itself was "
        "not cancelled",
        operation_name=name,
    )


def timed_out(name: str, plan: WaitPlan, last: Operation | None, why: GiveUp) -> WaitTimeout:
    """The :class:`lro.WaitTimeout` of a wait that ran out of time or polls."""
    state = "no snapshot could be fetched" if last is None else "the last snapshot is attached"
    error = WaitTimeout(
        f"operation {name} is not done: {why.reason} ({state})",
        operation=last,
        operation_name=name,
    )
    if plan.last_error is not None:
        error.__cause__ = plan.last_error  # the transient failure that filled the end
    return error


def _log_cancel_failure(name: str, error: Error) -> None:
    logger.warning("cancel_on_timeout: cancelling %s failed: %s", name, error)


# ---------------------------------------------------------------------------------------
# Sync


def _sleeper(stop: threading.Event | None) -> Callable[[float], None]:
    """Default sleep: interruptible by Ctrl-C (short slices) and by ``stop``."""

    def sleep(seconds: float) -> None:
        end = time.monotonic() + seconds
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return
            if stop is not None:
                if stop.wait(min(left, _SLICE)):
                    return  # the caller's loop checks the event and raises
            else:
                time.sleep(min(left, _SLICE))

    return sleep


def _check_stop(stop: threading.Event | None, name: str) -> None:
    if stop is not None and stop.is_set():
        raise abandoned(name)


def _fetch(backend: WaitBackend, name: str, fetch: Fetch) -> Operation:
    if fetch.window is None:
        return backend.get(name)
    return backend.wait_once(name, fetch.window)


def snapshots(
    backend: WaitBackend,
    name: str,
    plan: WaitPlan,
    *,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] | None = None,
    stop: threading.Event | None = None,
) -> Iterator[Operation]:
    """Every snapshot the plan fetches, until a done one (yielded last).

    Raises:
        WaitTimeout: at the deadline (after a last check) or after ``max_polls``.
        Cancelled: when ``stop`` is set.
        Error: a permanent error of a request (NotFound, PermissionDenied, ...).
    """
    do_sleep = sleep or _sleeper(stop)
    last: Operation | None = None
    while True:
        _check_stop(stop, name)
        action = plan.next_action()
        if isinstance(action, GiveUp):
            raise timed_out(name, plan, last, action)
        if not isinstance(action, Fetch):
            do_sleep(action.seconds)
            continue
        started = clock()
        try:
            snapshot = _fetch(backend, name, action)
        except Error as error:
            try:
                plan.on_error(error, action)
            finally:
                remember_long_poll(backend, plan.long_poll)
            continue
        plan.on_snapshot(snapshot.done, action, clock() - started)
        remember_long_poll(backend, plan.long_poll)
        last = snapshot
        yield snapshot
        if snapshot.done:
            return


def _cancel_after_timeout(backend: WaitBackend, name: str, error: Error, wanted: bool) -> None:
    if not (wanted and isinstance(error, WaitTimeout)):
        return
    try:
        backend.cancel(name)
    except Error as cancel_error:
        _log_cancel_failure(name, cancel_error)


def _last_of(error: Error, last: Operation | None) -> Operation | None:
    if isinstance(error, WaitTimeout) and error.operation is not None:
        return error.operation
    return last


def wait(
    backend: WaitBackend,
    name: str,
    timeout: float | None = DEFAULT,
    *,
    policy: WaitPolicy | None = None,
    on_progress: OnProgress | None = None,
    on_done: OnDone | None = None,
    stop: threading.Event | None = None,
    cancel_on_timeout: bool = False,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] | None = None,
    rng: random.Random | None = None,
) -> Operation:
    """Wait until operation ``name`` is done; return its final snapshot.

    A done operation that failed is returned, not raised (read ``.error``, or call
    ``.result()`` to raise its typed error).

    Args:
        backend: a :class:`WaitBackend` (a :class:`lro.Client` or ``client.audit``).
        name: the operation's name.
        timeout: wall-clock seconds; None waits forever; omitted: the policy's
            ``default_timeout`` (900 s).
        policy: the :class:`WaitPolicy`; default: the client's ``wait_policy``, else
            :data:`DEFAULT_POLICY`.
        on_progress: called with each snapshot that changed (see :data:`OnProgress`).
        on_done: called once at the end, whatever the outcome (see :data:`OnDone`).
        stop: a :class:`threading.Event`; setting it (from any thread) abandons the wait
            within ``policy.stop_latency`` seconds with :class:`lro.Cancelled`.
        cancel_on_timeout: on :class:`lro.WaitTimeout`, also ask the server to cancel
            the operation (best effort; a failure to cancel is logged, not raised).
        clock, sleep, rng: injectable monotonic clock, sleep and random source (tests).
            The default sleep is interruptible by Ctrl-C and by ``stop``.

    Raises:
        WaitTimeout: the deadline passed; ``.operation`` is the last snapshot.
        Cancelled: ``stop`` was set.
        Error: a permanent error ended the wait (NotFound, PermissionDenied, ...).
    """
    plan = make_plan(
        backend,
        timeout,
        policy,
        clock=clock,
        rng=rng,
        stoppable=stop is not None,
        watching=on_progress is not None,
    )
    tracker = SnapshotTracker()
    last: Operation | None = None
    try:
        for snapshot in snapshots(backend, name, plan, clock=clock, sleep=sleep, stop=stop):
            last = snapshot
            if on_progress is not None and tracker.changed(snapshot):
                on_progress(snapshot)
    except Error as error:
        _cancel_after_timeout(backend, name, error, cancel_on_timeout)
        if on_done is not None:
            on_done(_last_of(error, last), error)
        raise
    assert last is not None and last.done  # snapshots() only returns after a done one
    if on_done is not None:
        on_done(last, None)
    return last


def watch(
    backend: WaitBackend,
    name: str,
    timeout: float | None = DEFAULT,
    *,
    policy: WaitPolicy | None = None,
    on_done: OnDone | None = None,
    stop: threading.Event | None = None,
    cancel_on_timeout: bool = False,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] | None = None,
    rng: random.Random | None = None,
) -> Iterator[Operation]:
    """Yield each changed snapshot of ``name`` (the first one, and the done one last).

    Same arguments, deadline and errors as :func:`wait`; the generator raises
    :class:`lro.WaitTimeout` at the deadline. Closing it early stops the waiting.

        for snapshot in lro.waiting.watch(client, name, timeout=60):
            print(lro.waiting.progress_of(snapshot))
    """

    plan = make_plan(
        backend, timeout, policy, clock=clock, rng=rng, stoppable=stop is not None, watching=True
    )
    tracker = SnapshotTracker()
    last: Operation | None = None
    try:
        for snapshot in snapshots(backend, name, plan, clock=clock, sleep=sleep, stop=stop):
            last = snapshot
            if tracker.changed(snapshot):
                yield snapshot
    except Error as error:
        _cancel_after_timeout(backend, name, error, cancel_on_timeout)
        if on_done is not None:
            on_done(_last_of(error, last), error)
        raise
    if on_done is not None:
        on_done(last, None)


# ---------------------------------------------------------------------------------------
# Async


class _Stopped:
    """Returned by :func:`_race_stop` when the stop event won."""


_STOPPED = _Stopped()


async def _race_stop(work: Awaitable[T], stop: asyncio.Event | None) -> T | _Stopped:
    """Await ``work``, or abandon it (cancelled, so its connection is released) as soon
    as ``stop`` is set."""
    import asyncio

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


async def _fetch_async(backend: AsyncWaitBackend, name: str, fetch: Fetch) -> Operation:
    if fetch.window is None:
        return await backend.get(name)
    return await backend.wait_once(name, fetch.window)


async def _default_async_sleep(seconds: float) -> None:
    import asyncio

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
            outcome = await _race_stop(_fetch_async(backend, name, action), stop)
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
    """Call a sync or async callback (None: nothing); shared with :mod:`lro.many`."""
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
        _log_cancel_failure(name, cancel_error)


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
        await call_callback(on_done, _last_of(error, last), error)
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
        await call_callback(on_done, _last_of(error, last), error)
        raise
    finally:
        await stream.aclose()
    await call_callback(on_done, last, None)

"""What the asyncio half does its own way, so that the logic both halves share is written
once (in the async modules, from which ``scripts/unasync.py`` makes the sync ones).

Hand-written; its twin is :mod:`lro._sync.primitives`, with the same names: how to sleep,
how a ``stop`` event ends the work in flight, how a callback is called, how the retry
loop pauses, how a token is asked for, and the workers of a pool or a tracker (tasks
here, threads there): how one starts, is cancelled and waited for, what handles are
futures of, the queue workers report to.
"""

from __future__ import annotations

import asyncio
import contextvars
import inspect
import threading
from collections.abc import Awaitable, Callable, Coroutine, Iterable
from typing import Any, TypeVar

from lro._core.auth import Auth
from lro._core.clock import Clock
from lro._core.errors import Error, FailedPrecondition
from lro._core.retry import Retry

__all__ = [
    "ASYNCHRONOUS",
    "STOPPED",
    "STOP_BY_SLICES",
    "Future",
    "InvalidStateError",
    "Lock",
    "Queue",
    "RLock",
    "Stopped",
    "Worker",
    "ask_token",
    "background",
    "call_callback",
    "cancel",
    "default_sleep",
    "get",
    "join",
    "loop_of",
    "pause",
    "race_stop",
    "spawn",
]

T = TypeVar("T")

#: Which half this is, for the core's checks (a stop event's kind, a token callable's).
ASYNCHRONOUS = True

#: Whether a wait must sleep in short slices to notice its ``stop`` event: not here, the
#: event is raced against the request or the sleep in flight (:func:`race_stop`).
STOP_BY_SLICES = False

#: The lock of a client's close/track bookkeeping. A plain lock: its critical sections
#: never await, and a client may be closed from another thread.
Lock = threading.Lock
#: A tracker's lock: re-entrant (its batch board takes it too).
RLock = threading.RLock

#: What a handle is a future of, and what settling a settled (cancelled) one raises.
Future = asyncio.Future
InvalidStateError = asyncio.InvalidStateError

#: What workers report to; read with :func:`get`.
Queue = asyncio.Queue

#: A worker of a pool or a tracker: a task (:func:`spawn`).
Worker = asyncio.Task[None]


class Stopped:
    """What :func:`race_stop` returns when the stop event won."""


STOPPED = Stopped()


async def race_stop(work: Awaitable[T], stop: asyncio.Event | None) -> T | Stopped:
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
    return STOPPED if task.cancelled() else task.result()


async def get(queue: asyncio.Queue[T], stop: asyncio.Event | None) -> T | Stopped:
    """The queue's next item, or :data:`STOPPED` as soon as ``stop`` is set."""
    return await race_stop(queue.get(), stop)


def spawn(
    work: Callable[[], Coroutine[Any, Any, None]],
    name: str,
    context: contextvars.Context | None = None,
) -> Worker:
    """Run ``work()`` as a task of the running loop, in a copy of ``context`` (default:
    the caller's)."""
    create = asyncio.get_running_loop().create_task
    return (contextvars.copy_context() if context is None else context).run(
        create, work(), name=name
    )


def cancel(workers: Iterable[Worker]) -> None:
    """Cancel the tasks, and so the requests they have in flight, at once."""
    for worker in workers:
        worker.cancel()


async def join(workers: Iterable[Worker], seconds: float) -> None:
    """Await the tasks (but the current one, and any of another loop); a task cancelled
    ends at once (``seconds`` bounds the sync half's joins of threads)."""
    loop, current = asyncio.get_running_loop(), asyncio.current_task()
    mine = [worker for worker in workers if worker is not current and worker.get_loop() is loop]
    await asyncio.gather(*mine, return_exceptions=True)


def background(outcome: object, tasks: set[Worker], on_error: Callable[[Exception], None]) -> None:
    """Await ``outcome`` if it is awaitable (a coroutine callback's, a server cancel's) in
    a task kept in ``tasks`` until it ends; ``on_error`` takes what it raises."""
    if not inspect.isawaitable(outcome):
        return

    async def guarded() -> None:
        try:
            await outcome
        except Exception as error:
            on_error(error)

    task = asyncio.get_running_loop().create_task(guarded())
    tasks.add(task)
    task.add_done_callback(tasks.discard)


def loop_of(what: str, bound: asyncio.AbstractEventLoop | None) -> asyncio.AbstractEventLoop:
    """The running event loop, which must be ``bound`` when given (a client's handles
    live on one loop).

    Raises:
        FailedPrecondition: no loop runs, or another one.
    """
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        raise FailedPrecondition(
            f"cannot {what}: AsyncClient.track needs a running event loop"
        ) from None
    if bound is not None and loop is not bound:
        raise FailedPrecondition(f"cannot {what}: the client's handles live on another event loop")
    return loop


def default_sleep(stop: asyncio.Event | None, clock: Clock) -> Callable[[float], Awaitable[None]]:
    """A wait's sleep: the clock's ``async_sleep`` (``stop`` is raced against it)."""
    return clock.async_sleep


async def call_callback(callback: Callable[..., Any] | None, *args: Any) -> None:
    """Call a plain or a coroutine callback (awaited); None: nothing."""
    if callback is None:
        return
    result = callback(*args)
    if isinstance(result, Awaitable):
        await result


async def pause(retry: Retry | None, seconds: float, clock: Clock) -> None:
    """The retry loop's sleep between two attempts: the policy's own ``sleep`` when it has
    one, as in the sync half (awaited if it returns an awaitable); otherwise the client's
    clock's ``async_sleep``, which leaves the loop free."""
    own = None if retry is None else retry.sleep
    if own is None:
        await clock.async_sleep(seconds)
        return
    paused: object = own(seconds)
    if inspect.isawaitable(paused):
        await paused


async def ask_token(auth: Auth) -> str | None:
    """The token to send now: a plain callable is called, an async one awaited, and a
    source with ``async_token()`` (``lro.GoogleAuth``) refreshes off the loop."""
    source = auth.source
    if source is None:
        return auth.token()
    try:
        asked = getattr(source, "async_token", None)
        value = await asked() if callable(asked) else source()
        if inspect.isawaitable(value):
            value = await value
    except Error:
        raise
    except Exception as exc:
        raise auth.failed(exc) from None
    return auth.checked(value)

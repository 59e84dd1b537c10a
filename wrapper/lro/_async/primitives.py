"""What the asyncio half does its own way, so that the logic both halves share is written
once (in the async modules, from which ``scripts/unasync.py`` makes the sync ones).

Hand-written; its twin is :mod:`lro._sync.primitives`, with the same names: how to sleep,
how a ``stop`` event ends the work in flight, how a callback is called, how the retry
loop pauses, how a token is asked for. The workers of pools and trackers (tasks here,
threads there) are :mod:`.workers`'s.
"""

from __future__ import annotations

import asyncio
import inspect
import threading
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from lro._core.auth import Auth
from lro._core.clock import Clock
from lro._core.errors import Error
from lro._core.retry import Retry
from lro._core.waits import STOPPED, Stopped

__all__ = [
    "ASYNCHRONOUS",
    "STOP_BY_SLICES",
    "Lock",
    "ask_token",
    "call_callback",
    "default_sleep",
    "pause",
    "race_stop",
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

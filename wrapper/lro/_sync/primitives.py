"""What the synchronous half does its own way, so that the logic both halves share is
written once (in the async modules, from which ``scripts/unasync.py`` makes the sync ones).

Hand-written; its twin is :mod:`lro._async.primitives`, with the same names: how to sleep,
how a ``stop`` event ends the work in flight, how a callback is called, how the retry
loop pauses, how a token is asked for, and the workers of a pool or a tracker (threads
here, tasks there): how one starts, is cancelled and waited for, what handles are
futures of, the queue workers report to.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future, InvalidStateError
from queue import Empty
from queue import SimpleQueue as Queue
from typing import Any, TypeVar

from lro._core.auth import Auth
from lro._core.clock import SYSTEM_CLOCK, Clock
from lro._core.retry import Retry
from lro._core.waits import SLICE

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
    "interruptible_sleep",
    "join",
    "loop_of",
    "pause",
    "race_stop",
    "spawn",
]

logger = logging.getLogger("lro")

T = TypeVar("T")

#: Which half this is, for the core's checks (a stop event's kind, a token callable's).
ASYNCHRONOUS = False

#: Whether a wait must sleep in short slices to notice its ``stop`` event: yes, a thread
#: cannot be interrupted; the plan caps each sleep and long-poll at ``stop_latency``.
STOP_BY_SLICES = True

#: The lock of a client's close/track bookkeeping (threads may share a client).
Lock = threading.Lock
#: A tracker's lock: re-entrant (its batch board takes it too).
RLock = threading.RLock

#: A worker of a pool or a tracker: a daemon thread (:func:`spawn`).
Worker = threading.Thread

# (Future, InvalidStateError: what a handle is a future of, and what settling a settled,
# cancelled, one raises; Queue: what workers report to, read with :func:`get`.)


class Stopped:
    """What :func:`get` returns once the stop event is set (the async half's
    ``race_stop`` too; never this one's)."""


STOPPED = Stopped()


def race_stop(work: T, stop: threading.Event | None) -> T | Stopped:
    """The work's result: it has already run (a thread cannot abandon it); ``stop`` is
    noticed by the sliced sleeps and checked before each request."""
    return work


def get(queue: Queue[T], stop: threading.Event | None) -> T | Stopped:
    """The queue's next item, or :data:`STOPPED` once ``stop`` is set (looked at every
    :data:`~lro._core.waits.SLICE`, which also lets Ctrl-C in)."""
    while stop is None or not stop.is_set():
        with contextlib.suppress(Empty):
            return queue.get(timeout=SLICE)
    return STOPPED


def spawn(
    work: Callable[[], None], name: str, context: contextvars.Context | None = None
) -> Worker:
    """Run ``work()`` in a daemon thread (it never blocks the interpreter's exit), in
    ``context`` (default: a copy of the caller's)."""
    context = contextvars.copy_context() if context is None else context
    thread = threading.Thread(target=context.run, args=(work,), name=name, daemon=True)
    thread.start()
    return thread


def cancel(workers: Iterable[Worker]) -> None:
    """Nothing: a thread cannot be cancelled; it notices its stop event (set before)
    within the policy's ``stop_latency``."""


def join(workers: Iterable[Worker], seconds: float) -> None:
    """Wait up to ``seconds`` for each thread but the current one (closing the tracker
    from a handle's callback); one still alive then is logged."""
    for worker in workers:
        if worker is not threading.current_thread():
            worker.join(seconds)
            if worker.is_alive():
                logger.warning("%s did not stop in time", worker.name)


def background(outcome: object, tasks: set[Worker], on_error: Callable[[Exception], None]) -> None:
    """Nothing: the callback, or the server cancel, has run (and raised, if it failed)."""


def loop_of(what: str, bound: object) -> object:
    """None: no event loop, handles are tracked from any thread."""
    return None


def interruptible_sleep(stop: threading.Event | None) -> Callable[[float], None]:
    """A sleep interruptible by Ctrl-C (short slices) and by ``stop``."""

    def sleep(seconds: float) -> None:
        end = time.monotonic() + seconds
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return
            if stop is not None:
                if stop.wait(min(left, SLICE)):
                    return  # the caller's loop checks the event and raises
            else:
                time.sleep(min(left, SLICE))

    return sleep


def default_sleep(stop: threading.Event | None, clock: Clock) -> Callable[[float], None]:
    """A wait's sleep on ``clock``: on the system clock, interruptible by Ctrl-C and by
    ``stop``; another clock's time is its own (``stop`` is checked after each sleep)."""
    return interruptible_sleep(stop) if clock is SYSTEM_CLOCK else clock.sleep


def call_callback(callback: Callable[..., Any] | None, *args: Any) -> None:
    """Call a callback; None: nothing."""
    if callback is not None:
        callback(*args)


def pause(retry: Retry | None, seconds: float, clock: Clock) -> None:
    """The retry loop's sleep between two attempts: the policy's own ``sleep`` when it has
    one, otherwise the client's clock's."""
    own = None if retry is None else retry.sleep
    (own or clock.sleep)(seconds)


def ask_token(auth: Auth) -> str | None:
    """The token to send now: the string, or the callable's answer."""
    return auth.token()

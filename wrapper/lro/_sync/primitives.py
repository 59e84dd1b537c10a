"""What the synchronous half does its own way, so that the logic both halves share is
written once (in the async modules, from which ``scripts/unasync.py`` makes the sync ones).

Hand-written; its twin is :mod:`lro._async.primitives`, with the same names: how to sleep,
how a ``stop`` event ends the work in flight, how a callback is called, how the retry
loop pauses, how a token is asked for. The workers of pools and trackers (threads here,
tasks there) are :mod:`.workers`'s.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from lro._core.auth import Auth
from lro._core.clock import SYSTEM_CLOCK, Clock
from lro._core.retry import Retry
from lro._core.waits import SLICE, Stopped

__all__ = [
    "ASYNCHRONOUS",
    "STOP_BY_SLICES",
    "Lock",
    "ask_token",
    "call_callback",
    "default_sleep",
    "interruptible_sleep",
    "pause",
    "race_stop",
]

T = TypeVar("T")

#: Which half this is, for the core's checks (a stop event's kind, a token callable's).
ASYNCHRONOUS = False

#: Whether a wait must sleep in short slices to notice its ``stop`` event: yes, a thread
#: cannot be interrupted; the plan caps each sleep and long-poll at ``stop_latency``.
STOP_BY_SLICES = True

#: The lock of a client's close/track bookkeeping (threads may share a client).
Lock = threading.Lock


def race_stop(work: T, stop: threading.Event | None) -> T | Stopped:
    """The work's result: it has already run (a thread cannot abandon it); ``stop`` is
    noticed by the sliced sleeps and checked before each request."""
    return work


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

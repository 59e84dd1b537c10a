"""The one clock a client reads and waits on: :class:`Clock`.

Every time a client measures or spends goes through its clock (``Client(clock=...)``):
the retry loop's budget and its pauses, a wait's deadline and its sleeps between polls,
the long-poll windows it asks for, the estimated time left, the handles' and
``wait_all``'s rounds, and the deadline of each HTTP request. By default that is the
machine's (:data:`SYSTEM_CLOCK`); a test passes one whose time it moves itself, e.g.
``lro_server.ManualClock``, shared with the reference server so that an operation
simulated to take an hour finishes in no time, as the client's sleeps move the clock.

A clock is anything with these three methods (a structural :class:`~typing.Protocol`:
the reference server's clock needs no import of ``lro``). Sockets still block on real
time: a request's deadline read on the clock only bounds how long the transport waits.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable
from typing import Protocol, runtime_checkable

from .errors import InvalidArgument

__all__ = ["SYSTEM_CLOCK", "Clock", "SystemClock", "check_clock"]


@runtime_checkable
class Clock(Protocol):
    """What a client reads time on and sleeps on."""

    def monotonic(self) -> float:
        """Seconds on a clock that never goes back (only differences matter)."""
        ...

    def sleep(self, seconds: float) -> None:
        """Block the calling thread for ``seconds`` of this clock's time (the sync client)."""
        ...

    def async_sleep(self, seconds: float) -> Awaitable[None]:
        """Sleep ``seconds`` of this clock's time without blocking the loop (the async
        client)."""
        ...


class SystemClock:
    """The machine's time: :func:`time.monotonic`, :func:`time.sleep`, :func:`asyncio.sleep`."""

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)

    def async_sleep(self, seconds: float) -> Awaitable[None]:
        import asyncio  # here: `import lro` does not load asyncio (a sync user's import time)

        return asyncio.sleep(seconds)

    def __repr__(self) -> str:
        return "SYSTEM_CLOCK"


#: The clock of every client not given one.
SYSTEM_CLOCK = SystemClock()


def check_clock(clock: object) -> Clock:
    """``clock``, or :data:`SYSTEM_CLOCK` for None.

    Raises:
        InvalidArgument: it lacks ``monotonic``, ``sleep`` or ``async_sleep``.
    """
    if clock is None:
        return SYSTEM_CLOCK
    if not isinstance(clock, Clock):
        raise InvalidArgument(
            f"clock must have monotonic(), sleep() and async_sleep() (an lro.Clock),"
            f" got {type(clock).__name__}"
        )
    return clock

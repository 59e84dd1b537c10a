"""The server's clock: what simulated time is measured on, real or moved by a test.

Simulations, `:wait` long-poll windows, fault `delay`s and the timestamps the server
writes all read this clock, so a test can run them on a `ManualClock` and move time with
`advance(seconds)` instead of sleeping. Socket-level timeouts (idle, slow headers and
bodies, writes) are defences against real peers and stay on real time.

The server shares no code with the `lro` client (see `lro_server`), so it has its own
clock rather than the client's; but it has the three methods of `lro.Clock`
(`monotonic`, `sleep`, `async_sleep`), so one `ManualClock` can drive a server and the
clients of a test together: `lro.Client(url, clock=clock)` measures its deadlines and
sleeps its polls and retry pauses on it. With `autojump`, the clock moves itself to
the next sleeper's time whenever nothing else moved it for a moment of real time
(trio's `MockClock(autojump_threshold=...)`), so a test of hours-long waits runs in
milliseconds with nobody calling `advance`.

Every timed wait is one primitive, `_timer(ns)`: a future the clock resolves when that
much of its time has passed. The real clock uses the event loop's timers; the
manual one resolves it from `advance()`, on whichever thread calls it.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from .wire import NANOS_PER_SECOND


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


class Clock:
    """Real time: `time.time_ns`, `time.monotonic_ns` and the event loop's timers.

    Durations the server computes are whole nanoseconds (`wait`, `wait_event`), so a
    deadline reached on a `ManualClock` is reached exactly, with no float left over.
    """

    def time_ns(self) -> int:
        """Wall-clock time, ns since the epoch (the server's timestamps)."""
        return time.time_ns()

    def monotonic_ns(self) -> int:
        """ns on a clock that never goes back (deadlines)."""
        return time.monotonic_ns()

    def monotonic(self) -> float:
        """`monotonic_ns()` in seconds."""
        return self.monotonic_ns() / NANOS_PER_SECOND

    def sleep(self, seconds: float) -> None:
        """Block the calling thread for `seconds` (a client's sleep: `lro.Clock`)."""
        time.sleep(max(0.0, seconds))

    def _timer(self, ns: int, drives: bool = True) -> asyncio.Future[None]:
        """A future resolved once `ns` nanoseconds of this clock's time have passed
        (`drives`: see `ManualClock`; real time moves on regardless)."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        handle = loop.call_later(ns / NANOS_PER_SECOND, _resolve, future)
        future.add_done_callback(lambda _: handle.cancel())
        return future

    async def async_sleep(self, seconds: float) -> None:
        """Sleep `seconds` of this clock's time on the running loop (the server's fault
        delays; an async client's sleeps)."""
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        timer = self._timer(round(seconds * NANOS_PER_SECOND))
        try:
            await timer
        finally:
            timer.cancel()

    async def wait(
        self, futures: Iterable[asyncio.Future[Any]], timeout_ns: int, *, drives: bool = True
    ) -> None:
        """Until one of `futures` is done or `timeout_ns` pass; never raises on time.
        `drives=False`: a background wait (a simulation's next step) that alone does not
        make a `ManualClock` jump."""
        timer = self._timer(timeout_ns, drives)
        try:
            await asyncio.wait({*futures, timer}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            timer.cancel()

    async def wait_event(
        self, event: asyncio.Event, timeout_ns: int, *, drives: bool = True
    ) -> bool:
        """Until `event` is set or `timeout_ns` pass; whether it is set (`drives`: as for
        `wait`)."""
        if event.is_set():
            return True
        waiting = asyncio.ensure_future(event.wait())
        try:
            await self.wait({waiting}, timeout_ns, drives=drives)
        finally:
            waiting.cancel()
        return event.is_set()


@dataclass(frozen=True, eq=False)  # each sleeper is itself: compared by identity
class _Sleeper:
    deadline_ns: int
    wake: Callable[[], None]  # called once its time has come, on the advancing thread
    drives: bool = True  # whether it waits for time to move (autojump); see ManualClock
    thread: bool = False  # a blocked thread's (`sleep`): busy from its wake to its resume


def _waker(loop: asyncio.AbstractEventLoop, future: asyncio.Future[None]) -> Callable[[], None]:
    def wake() -> None:
        # A stopped server's loop is closed (RuntimeError): its sleepers went with it.
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(_resolve, future)

    return wake


class ManualClock(Clock):
    """Time that moves only when a test calls `advance(seconds)`, or, with `autojump`,
    by itself whenever every party is waiting on it.

        clock = ManualClock()
        with lro_server.serve(port=0, clock=clock) as srv:
            op = srv.simulate(duration=60)
            clock.advance(60)  # the simulation finishes now, not in a minute

    Safe to use from any thread: the server runs on its own thread, and `advance` wakes
    its sleepers there (`loop.call_soon_threadsafe`). What they do next happens on the
    server's thread, after `advance` returns: observe it through the API (a `:wait`, a
    get). A wait measured from "now" (a `:wait` window, a fault's delay) starts when
    the server reaches it; `wait_for_sleepers()` tells when it has, before advancing.

    It is also an `lro.Clock`: pass it to the clients of the test too
    (`lro.Client(url, clock=clock)`), and their deadlines, poll sleeps and retry pauses
    are on this time. A client's sleep waits for the clock to reach its end: give the
    clock `autojump=seconds` (e.g. 0.005), and whenever no sleeper was added or woken
    and time did not move for that long in real time, it moves itself to the earliest
    sleeper's deadline, as trio's `MockClock(autojump_threshold=...)` does. It jumps only
    while someone waits for time to move: a client's sleep, a held `:wait` window, a
    fault's delay; a simulation's next step alone does not (it waits in the background,
    and a client busy between two requests must not find its operations jumped ahead).
    Without
    `autojump`, only `advance` moves it, and a client's sleep blocks until it does.

    Wall time starts at the real time of creation (or `start_ns`), monotonic time at 0.
    """

    def __init__(self, start_ns: int | None = None, *, autojump: float | None = None) -> None:
        if autojump is not None and not autojump >= 0:
            raise ValueError(f"autojump must be a number of seconds >= 0, got {autojump!r}")
        self._start_ns = time.time_ns() if start_ns is None else start_ns
        self._elapsed_ns = 0
        self._sleepers: list[_Sleeper] = []
        self._changed = threading.Condition()
        self._autojump = autojump
        self._moves = 0  # sleepers added or woken, advances: what keeps autojump still
        self._jumper: threading.Thread | None = None
        # Threads woken from `sleep` that have not resumed yet, and the event loops that
        # have timers here: autojump waits for both to catch up (see `_jump`).
        self._waking = 0
        self._loops: weakref.WeakSet[asyncio.AbstractEventLoop] = weakref.WeakSet()

    def time_ns(self) -> int:
        with self._changed:
            return self._start_ns + self._elapsed_ns

    def monotonic_ns(self) -> int:
        with self._changed:
            return self._elapsed_ns

    @property
    def sleepers(self) -> int:
        """Timed waits in progress on this clock (sleeps, `:wait` windows, ...)."""
        with self._changed:
            return len(self._sleepers)

    def advance(self, seconds: float) -> None:
        """Move time forward and wake every sleeper whose time has come."""
        if not seconds >= 0:
            raise ValueError("time does not go back")
        with self._changed:
            due = self._move_to(self._elapsed_ns + round(seconds * NANOS_PER_SECOND))
        for sleeper in due:
            sleeper.wake()

    def sleep(self, seconds: float) -> None:
        """Block the calling thread until this clock has moved `seconds` on (a sync
        client's sleep): by `advance`, or by itself with `autojump`."""
        woken = threading.Event()
        sleeper = self._add(round(seconds * NANOS_PER_SECOND), woken.set, thread=True)
        if sleeper is None:
            return
        try:
            woken.wait()
        finally:
            with self._changed:
                if sleeper in self._sleepers:  # interrupted before its time
                    self._sleepers.remove(sleeper)
                else:  # woken: resumed now
                    self._waking -= 1
                self._moves += 1
                self._changed.notify_all()

    def wait_for_sleepers(self, count: int = 1, timeout: float = 10.0) -> None:
        """Block (real time, at most `timeout` s) until at least `count` timed waits are
        in progress: the server has reached the waits a test means to cut short."""
        with self._changed:
            if not self._changed.wait_for(lambda: len(self._sleepers) >= count, timeout):
                raise TimeoutError(
                    f"{len(self._sleepers)} sleepers on the clock after {timeout} s,"
                    f" expected {count}"
                )

    def _move_to(self, elapsed_ns: int) -> list[_Sleeper]:
        """Set the time (the lock held); the sleepers now due, to wake once it is released."""
        self._elapsed_ns = elapsed_ns
        due = [s for s in self._sleepers if s.deadline_ns <= elapsed_ns]
        self._sleepers = [s for s in self._sleepers if s.deadline_ns > elapsed_ns]
        self._waking += sum(s.thread for s in due)
        self._moves += 1
        self._changed.notify_all()
        return due

    def _timer(self, ns: int, drives: bool = True) -> asyncio.Future[None]:
        loop = asyncio.get_running_loop()
        self._loops.add(loop)
        future: asyncio.Future[None] = loop.create_future()
        sleeper = self._add(ns, _waker(loop, future), drives)
        if sleeper is None:
            future.set_result(None)
            return future
        future.add_done_callback(lambda _: self._forget(sleeper))
        return future

    def _add(
        self, ns: int, wake: Callable[[], None], drives: bool = True, *, thread: bool = False
    ) -> _Sleeper | None:
        """A sleeper until `ns` from now (None: that time has come already)."""
        if ns <= 0:
            return None
        with self._changed:
            sleeper = _Sleeper(self._elapsed_ns + ns, wake, drives, thread)
            self._sleepers.append(sleeper)
            self._moves += 1
            self._changed.notify_all()
            if self._autojump is not None and self._jumper is None:
                self._jumper = threading.Thread(target=self._jump, name="lro-clock", daemon=True)
                self._jumper.start()
        return sleeper

    def _forget(self, sleeper: _Sleeper) -> None:
        with self._changed:
            if sleeper in self._sleepers:
                self._sleepers.remove(sleeper)
                self._moves += 1
                self._changed.notify_all()

    def _jump(self) -> None:
        """The autojump thread: while anyone waits for time to move, move it to the
        earliest deadline each time nothing happened for `autojump` seconds of real time.

        Quiet alone is not idle on a busy machine: a woken party may not have run yet (a
        thread starved of CPU, a loop behind on its callbacks), and a jump then would
        leave it behind (a simulation's next step not yet scheduled, skipped past). So
        before a jump, every woken thread must have resumed and every loop with timers
        here must have run what it had ready (`_settle`); then it must still be quiet."""
        assert self._autojump is not None
        while True:
            with self._changed:
                if not self._sleepers:
                    self._jumper = None  # (restarted by the next sleeper)
                    return
                if self._waking or not any(s.drives for s in self._sleepers):
                    self._changed.wait()  # until a thread resumes, or something changes
                    continue
                seen = self._moves
                self._changed.wait(self._autojump)
                if self._moves != seen:
                    continue
                loops = list(self._loops)
            _settle(loops)
            due: list[_Sleeper] = []
            with self._changed:
                if self._moves == seen and any(s.drives for s in self._sleepers):
                    due = self._move_to(min(s.deadline_ns for s in self._sleepers))
            for sleeper in due:
                sleeper.wake()


#: Loop iterations a loop is given to act on a wake (a task resumed, it yields once, it
#: sets its next timer) before autojump may move time again.
_SETTLE_HOPS = 3


def _settle(loops: Iterable[asyncio.AbstractEventLoop], timeout: float = 1.0) -> None:
    """Give each running loop `_SETTLE_HOPS` iterations (everything ready before them
    included), waiting at most `timeout` real seconds for each: a loop stuck longer in
    one callback has to catch up after the jump."""
    for loop in loops:
        if not loop.is_running():  # stopped or closed: nothing of it will run
            continue
        done = threading.Event()

        def hop(
            left: int, loop: asyncio.AbstractEventLoop = loop, done: threading.Event = done
        ) -> None:
            if left:
                loop.call_soon(hop, left - 1)
            else:
                done.set()

        with contextlib.suppress(RuntimeError):  # closed meanwhile
            loop.call_soon_threadsafe(hop, _SETTLE_HOPS)
            done.wait(timeout)

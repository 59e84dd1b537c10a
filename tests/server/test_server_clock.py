"""The server's clock: a `ManualClock` moves simulated time only when the test says,
and everything the server times on it (`:wait` windows, fault delays, simulations,
timestamps) follows it. Real time passes too, but decides nothing here."""

from __future__ import annotations

import asyncio
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from server_http import Api

from lro_server import ManualClock, serve
from lro_server.wire import format_timestamp


def test_a_sleeper_wakes_when_its_time_has_been_advanced_past() -> None:
    clock = ManualClock()

    async def sleepers() -> list[str]:
        woke: list[str] = []

        async def sleep(label: str, seconds: float) -> None:
            await clock.async_sleep(seconds)
            woke.append(label)

        tasks = [asyncio.ensure_future(sleep("one", 1.0)), asyncio.ensure_future(sleep("two", 2))]
        await asyncio.sleep(0)
        assert clock.sleepers == 2 and woke == []
        clock.advance(0.999)
        await asyncio.sleep(0.01)  # real time, which this clock ignores
        assert woke == []
        clock.advance(0.001)
        await tasks[0]
        assert woke == ["one"] and clock.sleepers == 1
        clock.advance(5)
        await tasks[1]
        return woke

    assert asyncio.run(sleepers()) == ["one", "two"]
    assert clock.monotonic_ns() == 6_000_000_000 and clock.sleepers == 0


def test_a_cancelled_sleeper_leaves_the_clock_and_an_event_cuts_a_wait_short() -> None:
    clock = ManualClock(start_ns=5)

    async def run() -> bool:
        sleeper = asyncio.ensure_future(clock.async_sleep(10))
        await asyncio.sleep(0)
        sleeper.cancel()
        await asyncio.gather(sleeper, return_exceptions=True)
        assert clock.sleepers == 0
        event = asyncio.Event()
        asyncio.get_running_loop().call_soon(event.set)
        return await clock.wait_event(event, 60 * 1_000_000_000)

    assert asyncio.run(run()) is True
    assert clock.time_ns() == 5  # no time passed on the clock


def test_time_does_not_go_back_and_waiting_for_sleepers_is_bounded() -> None:
    clock = ManualClock()
    with pytest.raises(ValueError, match="time does not go back"):
        clock.advance(-1)
    with pytest.raises(TimeoutError, match=r"0 sleepers on the clock after 0\.05 s, expected 1"):
        clock.wait_for_sleepers(1, timeout=0.05)


def test_a_wait_window_lasts_until_the_clock_passes_it(manual_clock: ManualClock) -> None:
    with serve(port=0, db=":memory:", clock=manual_clock) as srv, ThreadPoolExecutor(1) as pool:
        api = Api(srv.url)
        op = api.create()
        waiting = pool.submit(api.ok, "POST", f"/v1/{op['name']}:wait", {"timeout": "3600s"})
        manual_clock.wait_for_sleepers(1)
        manual_clock.advance(3599)
        assert srv.held_waits == 1 and not waiting.done()
        manual_clock.advance(1)
        assert "done" not in waiting.result(timeout=10)


def test_a_fault_delay_is_measured_on_the_clock(manual_clock: ManualClock) -> None:
    with serve(port=0, db=":memory:", clock=manual_clock) as srv, ThreadPoolExecutor(1) as pool:
        srv.faults.add("delay", delay_seconds=600, path="^/v1/operations$")
        api = Api(srv.url)
        listing = pool.submit(api.ok, "GET", "/v1/operations")
        manual_clock.wait_for_sleepers(1)
        assert not listing.done()
        manual_clock.advance(600)
        assert listing.result(timeout=10) == {}


def test_timestamps_are_the_clock_s(manual_clock: ManualClock) -> None:
    with serve(port=0, db=":memory:", clock=manual_clock) as srv:
        api = Api(srv.url)
        start = manual_clock.time_ns()
        op = api.create()
        assert api.audited(op["name"])["createTime"] == format_timestamp(start)
        manual_clock.advance(86_400)
        api.finish(op["name"])
        assert api.audited(op["name"])["updateTime"] == format_timestamp(
            start + 86_400 * 1_000_000_000
        )


def test_advancing_past_a_stopped_server_s_sleepers_is_harmless(manual_clock: ManualClock) -> None:
    with serve(port=0, db=":memory:", clock=manual_clock) as srv:
        srv.simulate(duration=60)
        manual_clock.wait_for_sleepers(1)
    manual_clock.advance(60)  # the server's loop is closed: nothing to wake, nothing raised
    assert manual_clock.monotonic_ns() == 60 * 1_000_000_000


def test_autojump_does_not_leave_a_busy_loop_behind() -> None:
    # Quiet is not idle: a loop still busy with what a wake made ready (a step that takes
    # 30 ms of real time, six times the autojump's quiet, then yields once before setting
    # its next timer; a CPU-starved server) must not find time jumped past its next step.
    # It did: the clock jumped to the client's deadline, and the steps after the first
    # ran late (seen as wait_all needing three long-polls per operation on a loaded CI).
    clock = ManualClock(autojump=0.005)
    steps: list[int] = []

    async def background() -> None:  # a simulation: steps that alone do not move time
        for _ in range(4):
            await clock.wait([], 100_000_000, drives=False)
            steps.append(clock.monotonic_ns())
            time.sleep(0.03)
            await asyncio.sleep(0)

    loop = asyncio.new_event_loop()
    worker = threading.Thread(target=loop.run_until_complete, args=(background(),), daemon=True)
    worker.start()
    clock.wait_for_sleepers(1)
    clock.sleep(1.0)  # a client waiting for time to move: what makes the clock jump
    for _ in range(40):  # (without the fix, the steps left need moving by hand)
        if not worker.is_alive():
            break
        clock.advance(0.1)
        worker.join(0.05)
    loop.close()
    assert steps == [k * 100_000_000 for k in range(1, 5)]
    assert clock.monotonic_ns() == 1_000_000_000

"""The async waiter on a fake clock: the same decisions as the sync one, request for
request, plus asyncio-specific abandoning (stop event, task cancellation)."""

from __future__ import annotations

import asyncio
import contextlib
import math
import random
from typing import Any

import pytest
from waiting_support import AsyncBackend, Calls, FakeClock, FakeServer, SyncBackend

from lro._async.waiting import async_wait, async_watch
from lro._core.wait_policy import WaitPolicy
from lro._core.waits import known_long_poll
from lro._sync.waiting import wait
from lro.errors import Cancelled, NotFound, Unavailable, WaitTimeout

NAME = "operations/a"

SCENARIOS: dict[str, dict[str, Any]] = {
    "long_poll": {"server": {"max_wait": 3.0}, "duration": 10.0, "timeout": 60},
    "poll_405": {"server": {"long_poll": "405"}, "duration": 40.0, "timeout": 60},
    "poll_404": {"server": {"long_poll": "404"}, "duration": 7.0, "timeout": 60},
    "timeout": {"server": {"long_poll": "405"}, "duration": math.inf, "timeout": 12},
    "transient": {
        "server": {"failures": {1: Unavailable("x", http_status=503)}, "max_wait": 2.0},
        "duration": 5.0,
        "timeout": 60,
    },
}


def _server(spec: dict[str, Any]) -> tuple[FakeClock, FakeServer]:
    clock = FakeClock()
    server = FakeServer(clock, **spec["server"])
    server.add(NAME, spec["duration"])
    return clock, server


def _sync_trace(spec: dict[str, Any]) -> list[tuple[str, float, float | None]]:
    clock, server = _server(spec)
    with contextlib.suppress(WaitTimeout):
        wait(
            SyncBackend(server),
            NAME,
            spec["timeout"],
            clock=clock,
            rng=random.Random(7),
        )
    return [(r.kind, r.at, r.window) for r in server.requests]


def _async_trace(spec: dict[str, Any]) -> list[tuple[str, float, float | None]]:
    clock, server = _server(spec)

    async def main() -> None:
        with contextlib.suppress(WaitTimeout):
            await async_wait(
                AsyncBackend(server),
                NAME,
                spec["timeout"],
                clock=clock,
                rng=random.Random(7),
            )

    asyncio.run(main())
    return [(r.kind, r.at, r.window) for r in server.requests]


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_async_makes_exactly_the_same_requests_as_sync(scenario: str) -> None:
    spec = SCENARIOS[scenario]
    assert _async_trace(spec) == _sync_trace(spec)


def test_async_wait_result_callbacks_and_cache() -> None:
    clock = FakeClock()
    server = FakeServer(clock, long_poll="405")
    server.add(NAME, 6.0)
    backend = AsyncBackend(server)
    progress, done = Calls(), Calls()

    async def on_progress(op: Any) -> None:  # coroutine callbacks are awaited
        progress(op)

    final = asyncio.run(
        async_wait(
            backend,
            NAME,
            60,
            clock=clock,
            on_progress=on_progress,
            on_done=done,
            policy=WaitPolicy(initial_delay=0.5, max_delay=0.5),  # sees every 1.5 s step
        )
    )
    assert final.done and done.calls == [(final, None)]
    assert [op.metadata["step"] for (op,) in progress.calls] == [0, 1, 2, 3, 4]
    assert known_long_poll(backend, NAME) is False


def test_async_timeout_carries_the_snapshot_and_can_cancel() -> None:
    clock = FakeClock()
    server = FakeServer(clock)
    server.add(NAME)

    async def main() -> None:
        await async_wait(
            AsyncBackend(server),
            NAME,
            5,
            clock=clock,
            cancel_on_timeout=True,
        )

    with pytest.raises(WaitTimeout) as info:
        asyncio.run(main())
    assert info.value.operation is not None and clock.elapsed == pytest.approx(5.0)
    assert server.cancelled == [NAME]


def test_async_permanent_error() -> None:
    clock = FakeClock()
    server = FakeServer(clock)
    with pytest.raises(NotFound):
        asyncio.run(async_wait(AsyncBackend(server), "operations/x", 5, clock=clock))


def test_async_watch_yields_changes() -> None:
    clock = FakeClock()
    server = FakeServer(clock, max_wait=0.5)
    server.add(NAME, 8.0)

    async def main() -> list[Any]:
        stream = async_watch(AsyncBackend(server), NAME, 60, clock=clock)
        return [snap async for snap in stream]

    snaps = asyncio.run(main())
    assert [s.metadata["step"] for s in snaps] == [0, 1, 2, 3, 4] and snaps[-1].done


class _Hanging:
    """An async backend whose long-poll never answers (until cancelled)."""

    def __init__(self) -> None:
        self.cancelled_requests = 0

    async def get(self, name: str) -> Any:
        raise AssertionError("not used")

    async def wait_once(self, name: str, timeout: float | None) -> Any:
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            self.cancelled_requests += 1
            raise
        raise AssertionError("unreachable")

    async def cancel(self, name: str) -> None:
        raise AssertionError("not used")


def test_async_stop_event_abandons_a_request_in_flight() -> None:
    backend = _Hanging()

    async def main() -> None:
        stop = asyncio.Event()
        asyncio.get_running_loop().call_later(0.05, stop.set)
        await async_wait(backend, NAME, 60, stop=stop)

    with pytest.raises(Cancelled, match="abandoned"):
        asyncio.run(asyncio.wait_for(main(), 5))
    assert backend.cancelled_requests == 1


def test_async_task_cancellation_stops_promptly() -> None:
    backend = _Hanging()

    async def main() -> None:
        await asyncio.wait_for(async_wait(backend, NAME, 60), 0.05)

    with pytest.raises(asyncio.TimeoutError):
        asyncio.run(main())
    assert backend.cancelled_requests == 1


def test_async_policy_parity_of_defaults() -> None:
    """No separate async defaults: the same policy object drives both."""
    import inspect

    sync_sig = inspect.signature(wait).parameters
    async_sig = inspect.signature(async_wait).parameters
    assert list(sync_sig) == list(async_sig)
    for name in sync_sig:
        if name not in ("backend", "stop", "sleep"):
            assert sync_sig[name].default == async_sig[name].default, name
    assert WaitPolicy() == WaitPolicy()


def test_async_wait_all_stop_event_cancels_every_request_in_flight() -> None:
    from lro import async_wait_all

    backend = _Hanging()

    async def main() -> None:
        stop = asyncio.Event()
        asyncio.get_running_loop().call_later(0.05, stop.set)
        await async_wait_all(
            ["operations/a", "operations/b"], client=backend, timeout=60, stop=stop
        )

    with pytest.raises(Cancelled, match="abandoned"):
        asyncio.run(asyncio.wait_for(main(), 5))
    assert backend.cancelled_requests == 2

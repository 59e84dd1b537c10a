"""Async parity against the reference server: the same semantics and defaults as sync."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import pytest
from suite_support import FAST_RETRY

from lro import WaitAllTimeout, async_as_completed, async_wait_all
from lro._async.waiting import async_wait, async_watch
from lro._core.wait_policy import WaitPolicy
from lro._core.waits import known_long_poll
from lro.aio import AsyncClient
from lro.errors import NotFound, WaitTimeout
from lro_server import ManualClock, RunningServer, serve

T = TypeVar("T")


def _run(
    srv: RunningServer,
    body: Callable[[AsyncClient], Awaitable[T]],
    clock: ManualClock | None = None,
) -> T:
    """Run ``body`` with a client of ``srv`` (on ``clock``, the server's, when given)."""

    async def main() -> T:
        async with AsyncClient(srv.url, retry=FAST_RETRY, timeout=10, clock=clock) as client:
            return await body(client)

    return asyncio.run(main())


def test_async_long_poll_notices_completion_at_once(
    srv: RunningServer, virtual_clock: ManualClock
) -> None:
    # The server's windows and the client's deadline on one (virtual) clock.
    started = virtual_clock.monotonic()
    name = srv.simulate(1, 2.2)[0]["name"]

    async def body(client: AsyncClient) -> tuple[Any, float, bool | None]:
        final = await async_wait(client, name, 10)
        return final, virtual_clock.monotonic() - started, known_long_poll(client, name)

    before = srv.requests
    final, elapsed, cached = _run(srv, body, virtual_clock)
    # Done at 2.2 s by the server's clock; noticed well before a fourth 1 s window would end.
    assert final.done and 2.2 <= elapsed < 3.0 and cached is True
    assert srv.requests - before <= 3  # one :wait per 1 s server window


def test_async_timeout_matches_sync(srv: RunningServer, virtual_clock: ManualClock) -> None:
    # The client's deadline and the server's windows are on one (virtual) clock.
    name = srv.simulate(1, 30.0)[0]["name"]

    async def body(client: AsyncClient) -> float:
        started = virtual_clock.monotonic()
        with pytest.raises(WaitTimeout) as info:
            await async_wait(client, name, 1.5)
        assert info.value.operation is not None and not info.value.operation.done
        return virtual_clock.monotonic() - started

    # Not before the deadline; 1 s of slack for a busy machine, short of another window.
    assert 1.5 <= _run(srv, body, virtual_clock) < 2.5


def test_async_fallback_and_permanent_errors(
    srv: RunningServer, virtual_clock: ManualClock
) -> None:
    # Without :wait the client polls, on the clock it shares with the server.
    srv.faults.add(kind="error", status=405, code=12, path=r":wait$", count=1000)
    name = srv.simulate(1, 0.8)[0]["name"]

    async def body(client: AsyncClient) -> bool | None:
        assert (await async_wait(client, name, 10)).done
        with pytest.raises(NotFound):
            await async_wait(client, "operations/missing", 10)
        return known_long_poll(client, name)

    assert _run(srv, body, virtual_clock) is False


def test_async_watch(srv: RunningServer, virtual_clock: ManualClock) -> None:
    name = srv.simulate(1, 1.2, steps=4)[0]["name"]
    policy = WaitPolicy(long_poll=False, initial_delay=0.1, max_delay=0.1)

    async def body(client: AsyncClient) -> list[Any]:
        # The polls sleep on the server's clock, which moves to their end by itself.
        stream = async_watch(client, name, 10, policy=policy, clock=virtual_clock)
        return [snap async for snap in stream]

    snaps = _run(srv, body)
    assert snaps[-1].done and len(snaps) >= 3


def test_async_wait_all_both_views(srv: RunningServer, virtual_clock: ManualClock) -> None:
    # The audited view polls batchGet on the client's backoff, on the shared clock.
    names = [op["name"] for op in srv.simulate(300, 1.5)]
    mixed = [op["name"] for op in srv.simulate(6, 0.8, "error")] + names[:10]

    async def body(client: AsyncClient) -> tuple[list[Any], int, list[Any]]:
        before = srv.requests
        audited = await async_wait_all(names, client=client.audit, timeout=20)
        batch_requests = srv.requests - before
        standard = await async_wait_all(mixed, client=client, timeout=20)
        return audited, batch_requests, standard

    audited, batch_requests, standard = _run(srv, body, virtual_clock)
    assert [op.name for op in audited] == names and all(op.done for op in audited)
    assert batch_requests <= 8
    assert [op.name for op in standard] == mixed
    assert sum(op.error is not None for op in standard) == 6


def test_async_as_completed_order_and_timeout(
    srv: RunningServer, virtual_clock: ManualClock
) -> None:
    # The client's 1.5 s deadline (virtual, shared) decides which operations make it.
    slow = srv.simulate(1, 30.0)[0]["name"]
    fast = srv.simulate(1, 0.2)[0]["name"]
    middle = srv.simulate(1, 0.7)[0]["name"]

    async def body(client: AsyncClient) -> tuple[list[str], list[str]]:
        got: list[str] = []

        async def consume() -> None:
            async for op in async_as_completed([slow, middle, fast], client=client, timeout=1.5):
                got.append(op.name)

        with pytest.raises(WaitAllTimeout) as info:
            await consume()
        return got, info.value.not_done

    got, not_done = _run(srv, body, virtual_clock)
    assert got == [fast, middle] and not_done == [slow]


def test_task_cancellation_stops_promptly_and_releases_the_connection() -> None:
    # Real time: asyncio's own 0.3 s timeout cancels the task.
    with serve(port=0, db=":memory:", max_wait=30.0) as long_srv:
        name = long_srv.simulate(1, 60.0)[0]["name"]

        async def main() -> float:
            async with AsyncClient(long_srv.url, max_connections=1) as client:
                started = time.monotonic()
                with pytest.raises(asyncio.TimeoutError):
                    await asyncio.wait_for(async_wait(client, name, 20), 0.3)
                elapsed = time.monotonic() - started
                # The one pooled connection is usable again at once.
                assert not (await asyncio.wait_for(client.get(name), 2)).done
                return elapsed

        assert asyncio.run(main()) < 1.0

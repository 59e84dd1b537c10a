"""The ``:wait`` long-poll against servers that do not behave like the reference one
(issue 21): a server that holds a long-poll past the window asked for, a gateway without
``:wait`` for some routes, and a port nobody listens on. Sync and async (``side``)."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from realservices_support import Side
from waitservers import UNBOUND, WaitGateway

import lro
import lro.aio

FAST = lro.Retry(initial=0.01, maximum=0.05, deadline=10.0)
NAME = "operations/1"
SCOPED = "projects/p1/locations/us-central1/operations/2"


@pytest.fixture
def gateway() -> Iterator[Callable[..., WaitGateway]]:
    made: list[WaitGateway] = []

    def make(**options: Any) -> WaitGateway:
        server = WaitGateway(**options)
        made.append(server)
        return server

    yield make
    for server in made:
        server.close()


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- a server that holds :wait longer than asked ----------------------------------------


def test_wait_once_is_cut_off_past_its_window_and_reads_the_operation(
    side: Side, gateway: Callable[..., WaitGateway]
) -> None:
    server = gateway(hold=8.0)
    server.add_operation(NAME)
    client = side.client(server.url, retry=FAST)
    started = time.monotonic()
    op = client.wait_once(NAME, timeout=1)
    took = time.monotonic() - started
    assert (op.name, op.done) == (NAME, False)
    assert server.calls() == [f"POST /v1/{NAME}:wait", f"GET /v1/{NAME}"]
    # Cut off at the 1 s window + 1 s (WAIT_MARGIN), then a GET: nowhere near the 8 s
    # the server would hold (1.5 s of slack for a busy machine).
    assert 2.0 <= took < 3.5, took


def test_wait_timeout_carries_the_last_snapshot_when_long_polls_are_held(
    side: Side, gateway: Callable[..., WaitGateway]
) -> None:
    server = gateway(hold=8.0)
    server.add_operation(NAME)
    client = side.client(server.url, retry=FAST)
    started = time.monotonic()
    with pytest.raises(lro.WaitTimeout, match="the last snapshot is attached") as info:
        client.wait(NAME, timeout=2)
    took = time.monotonic() - started
    assert info.value.operation is not None
    assert (info.value.operation.name, info.value.operation.done) == (NAME, False)
    # The long-poll ends by the deadline (+0.5 s), the GET after it within 0.5 s more;
    # 1.5 s of slack for a busy machine.
    assert 2.0 <= took < 4.5, took
    assert server.calls()[-1] == f"GET /v1/{NAME}"


def test_a_held_long_poll_is_followed_by_a_get_and_the_wait_goes_on(
    side: Side, gateway: Callable[..., WaitGateway]
) -> None:
    server = gateway(hold=8.0)
    server.add_operation(NAME)
    client = side.client(server.url, retry=FAST)
    policy = lro.WaitPolicy(wait_window=0.5)
    with pytest.raises(lro.WaitTimeout):
        client.wait(NAME, timeout=3.5, policy=policy)
    calls = server.calls()
    # Each window of 0.5 s is cut off after 1.5 s and followed by a GET at once.
    assert calls[:4] == [f"POST /v1/{NAME}:wait", f"GET /v1/{NAME}"] * 2, calls


def test_a_held_long_poll_does_not_stretch_a_stop_event(
    side: Side, gateway: Callable[..., WaitGateway]
) -> None:
    server = gateway(hold=8.0)
    server.add_operation(NAME)
    policy = lro.WaitPolicy(stop_latency=1.0)
    client = side.client(server.url, retry=FAST, wait_policy=policy)
    if side.is_async:

        async def stopped() -> Any:
            stop = asyncio.Event()
            asyncio.get_running_loop().call_later(0.3, stop.set)
            return await client.target.wait(NAME, timeout=30, stop=stop)

        wait: Callable[[], Any] = lambda: side.run(stopped())  # noqa: E731
    else:
        event = threading.Event()
        threading.Timer(0.3, event.set).start()
        wait = lambda: client.wait(NAME, timeout=30, stop=event)  # noqa: E731
    started = time.monotonic()
    with pytest.raises(lro.Cancelled, match="abandoned"):
        wait()
    # The sync waiter notices the stop when its 1 s window is cut off (+1 s), the async
    # one at once; 1.5 s of slack for a busy machine.
    assert time.monotonic() - started < 3.5


# --- a gateway without :wait for some routes --------------------------------------------


def test_wait_once_tells_a_missing_route_from_a_missing_operation(
    side: Side, gateway: Callable[..., WaitGateway]
) -> None:
    server = gateway(wait_bound=("projects/",))  # :wait bound for projects/* names only
    server.add_operation(NAME)
    server.add_operation(SCOPED)
    client = side.client(server.url, retry=FAST)
    with pytest.raises(lro.NotFound, match="operation 'operations/nope' not found"):
        client.wait_once("operations/nope", timeout=1)
    assert server.calls() == ["POST /v1/operations/nope:wait", "GET /v1/operations/nope"]
    with pytest.raises(lro.Unimplemented, match="the server has no :wait long-poll") as info:
        client.wait_once(NAME, timeout=1)
    assert info.value.operation_name == NAME
    assert UNBOUND["message"] in str(info.value)
    before = len(server.calls())
    with pytest.raises(lro.Unimplemented, match="no :wait"):
        client.wait_once("operations/3", timeout=1)  # the same route: known, nothing sent
    assert len(server.calls()) == before
    # Another route of the same host still has its long-poll (remembered per route).
    op = client.wait_once(SCOPED, timeout=0.3)
    assert (op.name, op.done) == (SCOPED, False)
    assert server.calls()[before:] == [f"POST /v1/{SCOPED}:wait"]
    server.finish(NAME)
    assert client.wait(NAME, timeout=10).done  # polls with GET


# --- nobody listening ---------------------------------------------------------------------


def test_a_wait_whose_server_never_answered_fails_with_the_connection_error(
    side: Side,
) -> None:
    client = side.client(f"http://127.0.0.1:{closed_port()}/v1", retry=FAST)
    started = time.monotonic()
    with pytest.raises(lro.ConnectError, match="cannot connect"):
        client.wait(NAME, timeout=60)
    with pytest.raises(lro.ConnectError, match="cannot connect"):
        client.wait(SCOPED)  # the default 900 s deadline
    # After the transport's retries (10 s at most, FAST), not at the deadline.
    assert time.monotonic() - started < 10


def test_wait_all_and_handles_whose_server_never_answered_fail_with_it(side: Side) -> None:
    client = side.client(f"http://127.0.0.1:{closed_port()}/v1", retry=FAST)
    started = time.monotonic()
    if side.is_async:

        async def all_of() -> Any:
            return await lro.aio.async_wait_all([NAME, SCOPED], client=client.target, timeout=60)

        async def tracked() -> Any:
            return await client.target.track(NAME)

        wait_all: Callable[[], Any] = lambda: side.run(all_of())  # noqa: E731
        handle: Callable[[], Any] = lambda: side.run(tracked())  # noqa: E731
    else:
        wait_all = lambda: lro.wait_all([NAME, SCOPED], client=client.target, timeout=60)  # noqa: E731
        handle = lambda: client.target.track(NAME).result(timeout=30)  # noqa: E731
    with pytest.raises(lro.ConnectError, match="cannot connect"):
        wait_all()
    with pytest.raises(lro.ConnectError, match="cannot connect"):
        handle()
    assert time.monotonic() - started < 10

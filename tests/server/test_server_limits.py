"""Each limit of `lro_server.limits`, on an in-process server with small values: what
happens at it, and that it is configurable. (test_server_attacks.py runs the attacks
against a server process and measures latency and memory.)"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hostile import PACKAGE_ROOT, close_all, connect, outcome, send_some
from server_http import Api, body_of, raw_exchange, status_of

from lro_server import RunningServer, ServerConfig, serve
from lro_server.limits import Budget, Limits


@pytest.fixture
def short() -> Iterator[RunningServer]:
    """A server whose timeouts are half a second."""
    timeouts = {name: 0.5 for name in ("header_timeout", "body_timeout", "idle_timeout")}
    with serve(port=0, write_timeout=0.5, **timeouts) as srv:
        yield srv


def until(predicate: Any, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out waiting for a condition"
        time.sleep(0.02)


def test_a_slow_head_gets_408_at_the_header_timeout(short: RunningServer) -> None:
    with socket.create_connection(("127.0.0.1", short.port), timeout=5) as sock:
        started = time.monotonic()
        sock.sendall(b"GET /v1/operations HTTP/1.1\r\nHost: x\r\n")  # no blank line, ever
        reply = sock.recv(65536)
        elapsed = time.monotonic() - started
    assert status_of(reply) == 408 and b"Connection: close" in reply
    assert body_of(reply)["details"][0]["reason"] == "REQUEST_TIMEOUT"
    assert 0.4 < elapsed < 3  # 0.5 s, with room for a loaded machine


def test_a_stalled_body_gets_408_at_the_body_timeout(short: RunningServer) -> None:
    with socket.create_connection(("127.0.0.1", short.port), timeout=5) as sock:
        sock.sendall(b"POST /audit/v1/operations HTTP/1.1\r\nHost: x\r\nContent-Length: 9\r\n\r\n{")
        reply = sock.recv(65536)
    assert status_of(reply) == 408 and "body" in body_of(reply)["message"]
    assert Api(short.url).count() == 0


def test_silent_and_idle_connections_are_closed_without_a_word(short: RunningServer) -> None:
    silent = connect(short.port, 3)
    idle = connect(short.port, 3)
    for sock in idle:
        sock.setblocking(True)
        sock.sendall(b"GET /v1/operations HTTP/1.1\r\nHost: x\r\n\r\n")
        assert sock.recv(65536).startswith(b"HTTP/1.1 200 ")
    time.sleep(1.0)
    assert [outcome(sock) for sock in silent + idle] == ["closed"] * 6
    close_all(silent + idle)


def test_keep_alive_connections_live_until_the_idle_timeout(short: RunningServer) -> None:
    api = Api(short.url)
    conn = api.connect()
    for _ in range(3):  # each request well within the 0.5 s idle timeout of the previous
        conn.request("GET", "/v1/operations")
        assert conn.getresponse().read() == b"{}"
        time.sleep(0.2)
    conn.close()


def test_a_client_that_does_not_read_is_cut_off_at_the_write_timeout(
    short: RunningServer,
) -> None:
    for _ in range(40):  # 40 x 100 KB of metadata: a 4 MB list, in pages of at most 1 MiB
        pad = {"@type": "x/y", "pad": "x" * 100_000}
        short.create_operation(f"operations/big-{_}", metadata=pad)
    (sock,) = connect(short.port, 1, rcvbuf=4096)
    send_some(sock, b"GET /audit/v1/operations?pageSize=1000 HTTP/1.1\r\nHost: x\r\n\r\n")
    until(lambda: short.open_connections == 1)
    until(lambda: short.open_connections == 0)  # within the 0.5 s write timeout (and margin)
    sock.close()


def test_list_pages_stop_at_the_byte_budget_and_still_cover_everything() -> None:
    with serve(port=0, max_page_bytes=300_000) as srv:
        metadata = {"@type": "x/y", "p": "x" * 50_000}
        names = [f"operations/p{i:02}" for i in range(30)]
        for name in names:
            srv.create_operation(name, metadata=metadata)
        api = Api(srv.url)
        seen: list[str] = []
        token, pages = "", 0
        while pages < 30:  # bounded: 30 operations cannot need more pages than that
            page = api.ok("GET", f"/v1/operations?pageSize=1000&pageToken={token}")
            pages += 1
            assert len(page["operations"]) <= 6  # 300 KB / 50 KB, whatever pageSize asked
            seen += [op["name"] for op in page["operations"]]
            token = page.get("nextPageToken", "")
            if not token:
                break
        assert seen == names and pages >= 5


def test_a_single_operation_larger_than_the_budget_still_gets_a_page() -> None:
    with serve(port=0, max_page_bytes=1000) as srv:
        srv.create_operation("operations/huge", metadata={"@type": "x/y", "p": "x" * 5000})
        srv.create_operation("operations/next")
        page = Api(srv.url).ok("GET", "/v1/operations")
        assert [op["name"] for op in page["operations"]] == ["operations/huge"]
        assert page["nextPageToken"]


def test_responses_past_the_output_pool_are_503() -> None:
    """Unread responses held past the pool: the next large one is a small 503 instead."""
    with serve(port=0, output_buffer_bytes=2_000_000, max_page_bytes=10_000_000) as srv:
        for i in range(60):  # a page of 6 MB: larger than what the kernel buffers take
            srv.create_operation(f"operations/o{i}", metadata={"@type": "x/y", "p": "x" * 100_000})
        holders = connect(srv.port, 1, rcvbuf=4096)
        send_some(holders[0], b"GET /v1/operations?pageSize=1000 HTTP/1.1\r\nHost: x\r\n\r\n")
        until(lambda: srv.open_connections == 1)
        time.sleep(0.3)  # it is now holding its 6 MB (more than the whole pool: allowed alone)
        reply = raw_exchange(Api(srv.url), b"GET /v1/operations?pageSize=1000 HTTP/1.1\r\n"
                             b"Host: x\r\nConnection: close\r\n\r\n")  # fmt: skip
        assert status_of(reply) == 503, reply[:200]
        assert body_of(reply)["details"][0]["reason"] == "OUTPUT_BUFFERS_FULL"
        assert b"Retry-After: 1" in reply
        srv.create_operation("operations/tiny")
        small = raw_exchange(Api(srv.url), b"GET /v1/operations/tiny HTTP/1.1\r\nHost: x\r\n"
                             b"Connection: close\r\n\r\n")  # fmt: skip
        assert status_of(small) == 200  # small replies need no pool
        close_all(holders)


def test_connection_limit_in_process() -> None:
    with serve(port=0, max_connections=4) as srv:
        holders = connect(srv.port, 4)
        until(lambda: srv.open_connections == 4)
        started = time.monotonic()
        reply = raw_exchange(Api(srv.url), b"GET /v1/operations HTTP/1.1\r\nHost: x\r\n\r\n")
        assert status_of(reply) == 503 and time.monotonic() - started < 1
        assert body_of(reply)["details"][0]["reason"] == "TOO_MANY_CONNECTIONS"
        close_all(holders)
        until(lambda: srv.open_connections == 0)
        assert status_of(raw_exchange(Api(srv.url), b"GET /v1/operations HTTP/1.0\r\n\r\n")) == 200


def test_limits_are_checked() -> None:
    for bad in ({"header_timeout": 0}, {"max_connections": 0}, {"output_buffer_bytes": -1}):
        with pytest.raises(ValueError):
            ServerConfig(**bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        ServerConfig(synchronous="off")
    assert ServerConfig(max_connections=7, idle_timeout=3).limits() == Limits(
        max_connections=7, idle_timeout=3
    )


def test_budget_is_first_come_first_served_and_never_deadlocks() -> None:
    async def scenario() -> list[str]:
        budget = Budget(100)
        order: list[str] = []
        assert budget.try_take(80)

        async def taker(name: str, amount: int) -> None:
            await budget.take(amount, timeout=5)
            order.append(name)

        first = asyncio.create_task(taker("a", 50))
        second = asyncio.create_task(taker("b", 10))  # fits now, but waits behind "a"
        await asyncio.sleep(0.01)
        assert order == [] and not budget.try_take(10)
        budget.give(80)
        await asyncio.gather(first, second)
        budget.give(60)
        assert budget.try_take(500)  # larger than the pool: fine when nothing else is taken
        with pytest.raises(asyncio.TimeoutError):
            await budget.take(1, timeout=0.05)
        budget.give(500)
        assert budget.used == 0
        return order

    assert asyncio.run(scenario()) == ["a", "b"]


@pytest.mark.slow  # a fresh Python process without h11
def test_without_h11_the_server_says_which_extra_to_install(tmp_path: Path) -> None:
    shadow = tmp_path / "shadow" / "h11"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text("raise ImportError('No module named h11')\n")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(shadow.parent), PACKAGE_ROOT])
    result = subprocess.run(
        [sys.executable, "-m", "lro_server", "--port", "0", "--db", ":memory:"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        "lro-server: the reference server needs h11, which is not installed: "
        "pip install 'lro-sdk[server]'"
    )
    assert "Traceback" not in result.stderr and result.stdout == ""

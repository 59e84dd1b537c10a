"""Load: many concurrent long-polls are just futures on one process."""

from __future__ import annotations

import resource
import socket
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from server_http import RESULT, Api, body_of, status_of

from lro_server import RunningServer, serve


def _wait_for_held(srv: RunningServer, count: int) -> None:
    deadline = time.monotonic() + 20
    while srv.held_waits < count:
        assert time.monotonic() < deadline, srv.held_waits
        time.sleep(0.02)


def test_200_concurrent_long_polls_complete_when_their_operations_finish(
    srv: RunningServer, api: Api
) -> None:
    names = [srv.create_operation(f"operations/load-{i}")["name"] for i in range(200)]
    with ThreadPoolExecutor(max_workers=200) as pool:
        waits = [
            pool.submit(api.ok, "POST", f"/v1/{name}:wait", {"timeout": "30s"}, timeout=40)
            for name in names
        ]
        _wait_for_held(srv, 200)
        assert not any(w.done() for w in waits)  # all held, none returned early
        started = time.monotonic()
        for name in names:
            api.finish(name)
        results = [w.result(timeout=20) for w in waits]
    assert time.monotonic() - started < 15
    assert [r["name"] for r in results] == names
    assert all(r["done"] is True and r["response"] == RESULT for r in results)
    assert srv.held_waits == 0


@pytest.fixture
def roomy() -> Iterator[RunningServer]:
    """A server configured to hold 1,000 waits of one principal (the defaults hold at most
    a quarter of --max-connections per principal: see test_server_hardening.py)."""
    with serve(
        port=0, max_connections=2048, max_held_waits=1000, max_held_waits_per_principal=1000
    ) as running:
        yield running


def test_1000_concurrent_long_polls_on_one_process(roomy: RunningServer) -> None:
    srv, api = roomy, Api(roomy.url)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < 2500:  # both ends of 1000 connections live in this process
        if hard != resource.RLIM_INFINITY and hard < 2500:
            pytest.skip(f"needs 2500 file descriptors, the limit is {hard}")
        resource.setrlimit(resource.RLIMIT_NOFILE, (2500, hard))
    names = [srv.create_operation(f"operations/poll-{i}")["name"] for i in range(100)]
    sockets = []
    try:
        for i in range(1000):
            sock = socket.create_connection((api.host, api.port), timeout=30)
            body = b'{"timeout": "60s"}'
            sock.sendall(
                f"POST /v1/{names[i % 100]}:wait HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                f"Content-Length: {len(body)}\r\n\r\n".encode()
                + body
            )
            sockets.append(sock)
        _wait_for_held(srv, 1000)
        for name in names:
            api.finish(name)
        for sock in sockets:
            raw = b""
            while chunk := sock.recv(65536):
                raw += chunk
            assert status_of(raw) == 200
            assert body_of(raw)["done"] is True
    finally:
        for sock in sockets:
            sock.close()


def test_concurrent_writers_never_lose_an_update(srv: RunningServer, api: Api) -> None:
    """Marking seen and deleting the same operations at once: both changes survive."""
    names = [srv.create_operation(f"operations/race-{i}")["name"] for i in range(60)]
    for name in names:
        api.finish(name)

    def mark(name: str) -> None:
        api.ok("POST", f"/audit/v1/{name}:markSeenByCreator")

    def delete(name: str) -> None:
        api.ok("DELETE", f"/v1/{name}")

    with ThreadPoolExecutor(max_workers=16) as pool:
        jobs = [pool.submit(job, name) for name in names for job in (mark, delete)]
        for job in jobs:
            job.result(timeout=20)
    query = "&".join(f"names={name}" for name in names)
    ops = api.ok("GET", f"/audit/v1/operations:batchGet?{query}")["operations"]
    assert all("seenByCreatorTime" in op and "deleteTime" in op for op in ops)
    assert all(op["response"] == RESULT for op in ops)

"""Figures of docs/reliability.md for issue 22's server attacks (not a section of
``bench.run``: it prints its figures). Run: ``python -m bench.server_hardening``.

Against ``python -m lro_server`` in a child process, on loopback:

1. batch amplification: four clients repeat a ``batchGet`` naming one 1 MiB operation
   1,000 times while a fifth times GETs (fresh connection each) and the server's RSS is
   read;
2. one principal fills its held-``:wait`` share (256 of 1,024 connections by default):
   another principal's GET and the admin's stats are timed, and the first principal's
   next wait (answered at once);
3. 256 held waits whose clients hang up: how long until the server holds none.
"""

from __future__ import annotations

import http.client
import json
import socket
import statistics
import threading
import time
import urllib.parse
from collections.abc import Callable
from typing import Any

from .procs import ServerProcess, raise_fd_limit, rss_kib

MiB = 1024 * 1024
TOKENS = ["--token", "t-alice=alice", "--token", "t-bob=bob", "--token", "t-root=root"]


def call(url: str, method: str, path: str, body: object = None, token: str = "") -> Any:
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=60)
    headers = {"Content-Type": "application/json", "Connection": "close"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    try:
        conn.request(method, path, None if body is None else json.dumps(body), headers)
        reply = conn.getresponse()
        data = reply.read()
        if reply.status != 200:
            raise RuntimeError(f"{method} {path[:80]}: {reply.status} {data[:200]!r}")
        return json.loads(data)
    finally:
        conn.close()


def timed(fn: Callable[[], object], count: int) -> str:
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return f"median {statistics.median(samples):.1f} ms, max {max(samples):.1f} ms ({count})"


def hold(url: str, name: str, token: str) -> socket.socket:
    parts = urllib.parse.urlsplit(url)
    sock = socket.create_connection((parts.hostname, parts.port))
    body = b'{"timeout": "30s"}'
    sock.sendall(
        f"POST /v1/{name}:wait HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n"
        f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body
    )
    return sock


def held(srv: ServerProcess) -> int:
    return int(call(srv.url, "GET", "/admin/v1/stats", token="t-root").get("heldWaits", 0))


def until(predicate: Callable[[], bool], timeout: float = 60.0) -> float:
    started = time.monotonic()
    while not predicate():
        if time.monotonic() - started > timeout:
            raise RuntimeError("timed out")
        time.sleep(0.005)
    return time.monotonic() - started


def batch_amplification() -> None:
    with ServerProcess() as srv:
        big = {"@type": "type.googleapis.com/x.Big", "pad": "x" * 1_000_000}
        name = call(srv.url, "POST", "/audit/v1/operations", {"metadata": big})["operation"]["name"]
        call(srv.url, "PATCH", f"/audit/v1/{name}:finalize", {"done": True, "response": big})
        path = "/audit/v1/operations:batchGet?" + "&".join([f"names={name}"] * 1000)
        for _ in range(5):
            call(srv.url, "GET", "/v1/operations?pageSize=1")
        before, peak, done = rss_kib(srv.pid), 0, threading.Event()

        def attack() -> None:
            while not done.is_set():
                call(srv.url, "GET", path)

        attackers = [threading.Thread(target=attack) for _ in range(4)]
        for thread in attackers:
            thread.start()
        try:
            figure = timed(lambda: call(srv.url, "GET", "/v1/operations?pageSize=1"), 50)
            peak = rss_kib(srv.pid)
        finally:
            done.set()
            for thread in attackers:
                thread.join()
        print(f"batch amplification: GET {figure}; RSS +{(peak - before) / 1024:.1f} MiB")


def wait_slots() -> None:
    raise_fd_limit()
    with ServerProcess(options=[*TOKENS, "--admin", "root"]) as srv:
        name = call(srv.url, "POST", "/audit/v1/operations", {}, "t-alice")["operation"]["name"]
        socks = [hold(srv.url, name, "t-alice") for _ in range(256)]
        until(lambda: held(srv) == 256)
        bob = timed(lambda: call(srv.url, "GET", f"/v1/{name}", token="t-bob"), 50)
        root = timed(lambda: call(srv.url, "GET", "/admin/v1/stats", token="t-root"), 50)
        extra = timed(
            lambda: call(srv.url, "POST", f"/v1/{name}:wait", {"timeout": "30s"}, "t-alice"), 20
        )
        print(f"256 waits held by alice: bob's GET {bob}; admin's stats {root}")
        print(f"  alice's next :wait (answered at once): {extra}")
        for sock in socks:
            sock.close()
        freed = until(lambda: held(srv) == 0)
        print(f"256 held waits whose clients hung up: all let go {freed * 1000:.0f} ms later")


if __name__ == "__main__":
    batch_amplification()
    wait_slots()

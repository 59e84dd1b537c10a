"""A hostile loopback client, and the server as a subprocess whose memory can be read.

Everything here talks to 127.0.0.1 only and every loop is bounded (by a count or a
deadline). The attacks are plain sockets so they do exactly what they say: open
and say nothing, drip a head one byte at a time, stall an upload, never read.
"""

from __future__ import annotations

import contextlib
import os
import resource
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

import lro_server

PACKAGE_ROOT = str(Path(lro_server.__file__).resolve().parents[1])


class ServerProcess:
    """``python -m lro_server`` in a child process; ``rss()`` reads its VmRSS."""

    def __init__(self, tmp_path: Path, *args: str) -> None:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [PACKAGE_ROOT, env.get("PYTHONPATH")]))
        self.log_path = tmp_path / f"server-{time.monotonic_ns()}.log"
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "lro_server", "--port", "0", "--log-level", "ERROR", *args],
                stdout=subprocess.PIPE,
                stderr=log,
                env=env,
                cwd=tmp_path,
            )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().decode()
        assert "listening on http://127.0.0.1:" in line, (line, self.log())
        self.url = line.split()[-1]
        self.port = int(self.url.rsplit(":", 1)[1])

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def rss(self) -> int:
        """Resident memory of the server process, in bytes (VmRSS of /proc/PID/status)."""
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        raise AssertionError("no VmRSS")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


@contextlib.contextmanager
def server_process(tmp_path: Path, *args: str) -> Iterator[ServerProcess]:
    if not Path("/proc/self/status").exists():
        pytest.skip("reads memory from /proc")
    server = ServerProcess(tmp_path, *args)
    try:
        yield server
    finally:
        server.stop()


def need_descriptors(count: int) -> None:
    """Raise this process's descriptor limit to `count` (or skip the test)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= count:
        return
    if hard != resource.RLIM_INFINITY and hard < count:
        pytest.skip(f"needs {count} file descriptors, the limit is {hard}")
    resource.setrlimit(resource.RLIMIT_NOFILE, (count, hard))


def connect(port: int, count: int, *, rcvbuf: int | None = None) -> list[socket.socket]:
    """`count` connections that have sent nothing (non-blocking)."""
    sockets = []
    for _ in range(count):
        sock = socket.socket()
        if rcvbuf is not None:  # before connect: a small window makes the server's send block
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        sock.connect(("127.0.0.1", port))
        sock.setblocking(False)
        sockets.append(sock)
    return sockets


def send_some(sock: socket.socket, data: bytes) -> int:
    """Send what the socket takes without blocking; how many bytes went."""
    sent = 0
    with contextlib.suppress(BlockingIOError, InterruptedError, ConnectionError):
        while sent < len(data):
            sent += sock.send(data[sent : sent + 65536])
    return sent


def outcome(sock: socket.socket, timeout: float = 0.5) -> str:
    """What the server did to a connection: "408" (or another status) if it answered,
    "closed" if it closed without a word, "open" if it did neither within `timeout`."""
    sock.settimeout(timeout)
    try:
        data = sock.recv(64)
    except TimeoutError:
        return "open"
    except ConnectionError:
        return "closed"
    if not data:
        return "closed"
    return data.split(b" ", 2)[1].decode() if data.startswith(b"HTTP/1.1 ") else "garbage"


def close_all(sockets: list[socket.socket]) -> None:
    for sock in sockets:
        sock.close()


@dataclass
class Latency:
    """Timings of legitimate requests made during an attack."""

    samples: list[float] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)

    def get(
        self, port: int, path: str = "/v1/operations?pageSize=1", timeout: float = 10.0
    ) -> None:
        """One GET on a fresh connection: connect, send, read the whole reply."""
        started = time.monotonic()
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
            sock.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
            reply = b""
            while chunk := sock.recv(65536):
                reply += chunk
        self.samples.append(time.monotonic() - started)
        self.statuses.append(int(reply.split(b" ", 2)[1]))

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    def summary(self) -> str:
        ms = sorted(round(s * 1000, 1) for s in self.samples)
        return f"{len(ms)} GETs: median {self.median * 1000:.1f} ms, max {ms[-1]} ms, all {ms}"

    def check(self) -> None:
        """Every GET answered 200; typically within 100 ms (the median), and none took
        long. The machine has 2 cores shared with other test runs, so a single sample can
        be descheduled; the old server's failure was a lock-out or seconds per GET."""
        assert set(self.statuses) == {200}, self.statuses
        assert self.median < 0.1, self.summary()
        assert max(self.samples) < 1.0, self.summary()

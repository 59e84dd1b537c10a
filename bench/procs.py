"""Servers and load generators in their own processes, so their CPU is never the client's.

``ServerProcess`` starts the reference server through its command line
(``python -m lro_server --port 0 --db ... --max-wait ...``) and reads the URL it prints;
``BareServerProcess`` starts :mod:`bench.bare_server`, the no-work HTTP floor.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import resource
import subprocess
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from .common import BENCH_DIR, PYTHON, ROOT, NotMeasured
from .jsonhttp import JsonHttp

_LISTENING = re.compile(r"listening on (http://\S+)")
_START_TIMEOUT = 30.0


def raise_fd_limit() -> None:
    """Lifts the soft open-files limit to the hard one (1000 held connections need it)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard != resource.RLIM_INFINITY else 65536
    if soft < target:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


def rss_kib(pid: int) -> int:
    """Resident set size of a process in KiB, from /proc/PID/status."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise NotMeasured("no VmRSS in /proc (not Linux?)")


class _Child:
    """A child process announcing ``listening on URL`` on stdout."""

    def __init__(self, argv: Sequence[str], what: str) -> None:
        self.argv = list(argv)
        self.what = what
        self.url = ""
        self._proc: subprocess.Popen[str] | None = None
        self._lines: list[str] = []

    @property
    def pid(self) -> int:
        assert self._proc is not None
        return self._proc.pid

    def __enter__(self) -> _Child:
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        self._proc = subprocess.Popen(
            self.argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            cwd=ROOT,
            env=env,
            preexec_fn=raise_fd_limit,
        )
        self.url = self._await_url(self._proc)
        return self

    def _await_url(self, proc: subprocess.Popen[str]) -> str:
        assert proc.stdout is not None
        found: list[str] = []
        ready = threading.Event()
        threading.Thread(target=self._drain, args=(proc.stdout, found, ready), daemon=True).start()
        if not ready.wait(_START_TIMEOUT) or not found:
            self.__exit__(None, None, None)
            tail = "".join(self._lines[-15:])
            raise NotMeasured(f"{self.what} did not start ({' '.join(self.argv)}): {tail!r}")
        return found[0].rstrip("/")

    def _drain(self, stream: IO[str], found: list[str], ready: threading.Event) -> None:
        for line in stream:
            self._lines.append(line)
            del self._lines[:-50]
            if not found and (match := _LISTENING.search(line)):
                found.append(match.group(1))
                ready.set()
        ready.set()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


class ServerProcess(_Child):
    """The reference server (CLI) in a child process, plus admin helpers."""

    def __init__(
        self, *, max_wait: float = 30.0, db: str = ":memory:", options: Sequence[str] = ()
    ) -> None:
        """``options``: more command-line flags of the server (its limits)."""
        argv = [PYTHON, "-m", "lro_server", "--port", "0", "--db", db]
        argv += ["--max-wait", f"{max_wait:g}", "--log-level", "WARNING", *options]
        super().__init__(argv, "the reference server")
        self.max_wait = max_wait
        self.http = JsonHttp("")

    def __enter__(self) -> ServerProcess:
        super().__enter__()
        self.http = JsonHttp(self.url)
        return self

    def stats(self) -> dict[str, int]:
        """GET /admin/v1/stats: ``requests`` (admin excluded) and ``heldWaits``."""
        body = self.http.get_json("/admin/v1/stats")
        return {
            "requests": int(body.get("requests", 0)),
            "heldWaits": int(body.get("heldWaits", 0)),
        }

    def requests(self) -> int:
        """Requests the server has handled so far (admin paths excluded)."""
        return self.stats()["requests"]

    def simulate(
        self,
        count: int,
        duration: float,
        outcome: str = "response",
        steps: int | None = None,
        progress: str | None = None,
    ) -> list[dict[str, Any]]:
        """Starts ``count`` simulated operations (batches of at most 10,000); ``progress``:
        the pattern of their progress (``linear``, ``stepwise``, ``irregular``, ``none``)."""
        started: list[dict[str, Any]] = []
        while len(started) < count:
            batch = min(10_000, count - len(started))
            body: dict[str, Any] = {"count": batch, "durationSeconds": duration, "outcome": outcome}
            if steps is not None:
                body["steps"] = steps
            if progress is not None:
                body["progress"] = progress
            started += self.http.post_json("/admin/v1/simulations", body)["operations"]
        return started

    def wait_for_held(self, expected: int, timeout: float) -> int:
        """Polls the stats until ``heldWaits`` reaches ``expected`` (or time runs out)."""
        deadline = time.monotonic() + timeout
        held = 0
        while time.monotonic() < deadline:
            held = self.stats()["heldWaits"]
            if held >= expected:
                break
            time.sleep(0.1)
        return held


class BareServerProcess(_Child):
    """:mod:`bench.bare_server`: canned bodies, no work (the floor a server can reach)."""

    def __init__(self, bodies_file: Path) -> None:
        argv = [PYTHON, str(BENCH_DIR / "bare_server.py"), "--bodies", str(bodies_file)]
        super().__init__(argv, "the bare server")

    def __enter__(self) -> BareServerProcess:
        super().__enter__()
        return self


def run_json_script(argv: Sequence[str], timeout: float) -> dict[str, Any]:
    """Runs a helper script that prints one JSON object as its last stdout line."""
    done = subprocess.run(
        [PYTHON, *argv], capture_output=True, text=True, timeout=timeout, cwd=ROOT, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"{argv[0]} failed ({done.returncode}): {done.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result

"""Shared pieces of the reliability suite: the token, raw HTTP that
bypasses the client (so a client bug cannot hide a server bug, and the other way round),
and a subprocess server for crash tests.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import IO, Any
from urllib.parse import parse_qs, urlsplit

import urllib3

from lro._core.http import Request, Response
from lro._sync.transport import Transport

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "tok-reliability-7f3a9c"
PRINCIPAL = "alice"
TOKENS = {TOKEN: PRINCIPAL}

META = {"@type": "type.googleapis.com/lro.example.Progress", "step": 1}
RESPONSE = {"@type": "type.googleapis.com/lro.example.Result", "value": "42"}


class Raw:
    """Plain urllib3 to the server: no retries, no redirects, the status as sent."""

    def __init__(self, base_url: str, token: str | None = TOKEN) -> None:
        self.base_url = base_url
        self.pool = urllib3.PoolManager(retries=False, timeout=10.0)
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def request(
        self,
        method: str,
        path: str,
        *,
        body: bytes | None = None,
        json_body: Any = None,
        headers: dict[str, str] | None = None,
    ) -> urllib3.BaseHTTPResponse:
        all_headers = dict(self.headers)
        if json_body is not None:
            body = json.dumps(json_body).encode()
            all_headers["Content-Type"] = "application/json"
        all_headers.update(headers or {})
        return self.pool.urlopen(
            method, self.base_url + path, body=body, headers=all_headers, redirect=False
        )

    def json(self, method: str, path: str, **kwargs: Any) -> tuple[int, Any]:
        response = self.request(method, path, **kwargs)
        data = response.data
        return response.status, (json.loads(data) if data else None)

    def snapshot(self) -> list[dict[str, Any]]:
        """Every operation, deleted ones included, as the audited list returns them."""
        ops: list[dict[str, Any]] = []
        token = ""
        while True:
            query = "?showDeleted=true&pageSize=1000" + (f"&pageToken={token}" if token else "")
            status, page = self.json("GET", "/audit/v1/operations" + query)
            assert status == 200, page
            ops.extend(page.get("operations", []))
            token = page.get("nextPageToken", "")
            if not token:
                return ops

    def total_size(self, show_deleted: bool = True) -> int:
        query = "?showDeleted=true" if show_deleted else ""
        status, page = self.json("GET", "/audit/v1/operations" + query)
        assert status == 200, page
        return int(page.get("totalSize", 0))

    def close(self) -> None:
        self.pool.clear()


_LISTENING = re.compile(r"lro-server listening on (http://\S+)")


class ServerProcess:
    """``python -m lro_server`` in a subprocess (stderr to a file, so it never blocks)."""

    def __init__(self, *args: str, stderr_path: Path) -> None:
        self.args = args
        self.stderr_path = stderr_path
        self.proc: subprocess.Popen[str] | None = None
        self.url = ""
        self._stderr: IO[str] | None = None

    def start(self, timeout: float = 15.0) -> str:
        self._stderr = open(self.stderr_path, "a", encoding="utf-8")  # noqa: SIM115
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "lro_server", *self.args],
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
            env=env,
        )
        assert self.proc.stdout is not None
        deadline = time.monotonic() + timeout
        line = ""
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            match = _LISTENING.search(line)
            if match:
                self.url = match.group(1)
                return self.url
            if not line and self.proc.poll() is not None:
                break
        self.kill()
        raise RuntimeError(f"server did not start: {line!r}; stderr: {self.stderr()[-2000:]}")

    def kill(self) -> None:
        """SIGKILL: no cleanup, no flush, no goodbye."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
        self._reap()

    def terminate(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
        self._reap()

    def _reap(self) -> None:
        if self.proc is not None:
            try:
                self.proc.wait(timeout=10)
            finally:
                if self.proc.stdout is not None:
                    self.proc.stdout.close()
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None

    def stderr(self) -> str:
        return self.stderr_path.read_text(encoding="utf-8") if self.stderr_path.exists() else ""


class Recording:
    """A real transport that remembers every request it sends."""

    def __init__(self) -> None:
        self.inner = Transport(timeout=5.0)
        self.sent: list[Request] = []

    def send(self, request: Request) -> Response:
        self.sent.append(request)
        return self.inner.send(request)

    def close(self) -> None:
        self.inner.close()

    def request_ids(self, method: str, path_suffix: str) -> list[str]:
        ids = []
        for request in self.sent:
            parts = urlsplit(request.url)
            if request.method == method and parts.path.endswith(path_suffix):
                ids.extend(parse_qs(parts.query).get("requestId", [""]))
        return ids

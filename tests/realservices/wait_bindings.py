"""Loopback imitations of the two ways real services bind ``google.longrunning``'s
``WaitOperation`` to HTTP, on 127.0.0.1 only, every socket bounded by a timeout:

* ``binding="query"``: ``POST /v1/{name}:wait`` with no body, the wait window in the
  ``timeout`` query parameter (Vertex AI, Google's Operations mixins). The body is read
  and ignored; with no ``timeout`` the server holds its own ``default_hold``.
* ``binding="body"``: ``body: "*"``, the window in the JSON body's ``timeout``; the query
  is ignored.
* ``strict=True`` (either binding): an unknown query parameter is refused with
  ``400 INVALID_ARGUMENT`` ("Cannot bind query parameter"), as Google's frontends do.

Each has one operation that never finishes (``GET /v1/{name}`` answers it too) and
records what every ``:wait`` carried (target, query window, body window) in ``seen``.
"""

from __future__ import annotations

import http.server
import json
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from typing import Any

SOCKET_TIMEOUT = 10.0
NAME = "projects/p/locations/us-central1/operations/0123456789abcdef0123456789abcdef"
RUNNING = {
    "name": NAME,
    "metadata": {"@type": "type.googleapis.com/acme.Meta", "state": "RUNNING"},
}


@dataclass
class WaitSeen:
    """One ``:wait`` request as the server received it."""

    target: str
    query_timeout: str | None
    body_timeout: str | None


@dataclass
class _State:
    binding: str
    strict: bool
    default_hold: float
    seen: list[WaitSeen] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _seconds(duration: str | None) -> float | None:
    if not duration or not duration.endswith("s"):
        return None
    try:
        return max(0.0, float(duration[:-1]))
    except ValueError:
        return None


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = SOCKET_TIMEOUT
    state: _State

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _send(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _error(self, status: int, code: str, message: str) -> None:
        self._send(status, {"error": {"code": status, "status": code, "message": message}})

    def do_GET(self) -> None:
        path = urllib.parse.unquote(urllib.parse.urlsplit(self.path).path)
        if path == f"/v1/{NAME}":
            self._send(200, RUNNING)
        else:
            self._error(404, "NOT_FOUND", f"Operation {path} not found.")

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        split = urllib.parse.urlsplit(self.path)
        if urllib.parse.unquote(split.path) != f"/v1/{NAME}:wait":
            self._error(404, "NOT_FOUND", "Method not found.")
            return
        query = urllib.parse.parse_qs(split.query)
        try:
            body = json.loads(raw) if raw else {}
        except ValueError:
            body = {}
        query_timeout = query.get("timeout", [None])[0]
        body_timeout = body.get("timeout") if isinstance(body, dict) else None
        state = self.state
        with state.lock:
            state.seen.append(WaitSeen(self.path, query_timeout, body_timeout))
        known = {"timeout"} if state.binding == "query" else set()
        unknown = sorted(set(query) - known)
        if state.strict and unknown:
            self._error(
                400,
                "INVALID_ARGUMENT",
                f'Invalid JSON payload received. Unknown name "{unknown[0]}": '
                "Cannot bind query parameter.",
            )
            return
        asked = _seconds(query_timeout if state.binding == "query" else body_timeout)
        time.sleep(state.default_hold if asked is None else min(asked, state.default_hold))
        self._send(200, RUNNING)


class _Threaded(http.server.ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that gave up mid-request is what some tests do


class WaitServer:
    """A ``:wait`` of the given ``binding`` on 127.0.0.1; ``url`` is its ``/v1`` root."""

    def __init__(self, binding: str, *, strict: bool = False, default_hold: float = 8.0) -> None:
        self.state = _State(binding, strict, default_hold)
        handler = type("WaitHandler", (_Handler,), {"state": self.state})
        self.httpd = _Threaded(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self._thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    @property
    def seen(self) -> list[WaitSeen]:
        with self.state.lock:
            return list(self.state.seen)

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self._thread.join(timeout=SOCKET_TIMEOUT)

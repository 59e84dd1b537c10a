"""Loopback imitations of the ``:wait`` long-poll as real deployments serve it (or don't).

:class:`WaitGateway` is a grpc-gateway-style REST front of ``google.longrunning`` under
``/v1``, on 127.0.0.1 only, every socket bounded by a timeout. Two quirks of real
servers are its options:

* ``hold``: its ``:wait`` holds every request this many seconds, whatever window the
  client asked for (a server with its own fixed window, or one that reads the window
  where this client does not send it), unless the operation is done.
* ``wait_bound``: the name prefixes its ``:wait`` is bound for. A path it has no
  binding for gets the gateway's own ``404 {"error": "Not Found", "code": 5, ...}``, while
  a missing operation is ``404 {"code": 5, "message": "operation ... not found"}``: the
  same status for two different things, as grpc-gateway v1 answers.

It records every request (method, path, the window asked for, when it arrived).
"""

from __future__ import annotations

import http.server
import json
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from typing import Any

from loopback import SOCKET_TIMEOUT, _Background, _Threaded

_TYPE = "type.googleapis.com/"
#: What grpc-gateway v1 answers for a path no method is bound to.
UNBOUND = {"error": "Not Found", "code": 5, "message": "Not Found"}


@dataclass
class Asked:
    """One request the gateway received."""

    method: str
    path: str
    window: str | None  # the ``timeout`` of a :wait (body or query), as sent
    at: float  # time.monotonic() on arrival


@dataclass
class GatewayState:
    hold: float | None
    wait_bound: tuple[str, ...]
    operations: dict[str, dict[str, Any]] = field(default_factory=dict)
    seen: list[Asked] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    closing: threading.Event = field(default_factory=threading.Event)


class _GatewayHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    state: GatewayState
    timeout = SOCKET_TIMEOUT

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _send(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _window(self, query: str) -> str | None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        body = json.loads(raw) if raw.strip() else {}
        asked = urllib.parse.parse_qs(query).get("timeout", [None])[0]
        return asked if asked is not None else body.get("timeout")

    def _answer(self) -> None:
        state = self.state
        split = urllib.parse.urlsplit(self.path)
        window = self._window(split.query) if self.command == "POST" else None
        with state.lock:
            state.seen.append(Asked(self.command, split.path, window, time.monotonic()))
        rest = urllib.parse.unquote(split.path)[len("/v1/") :]
        name, _, verb = rest.partition(":")
        if verb == "wait" and not name.startswith(state.wait_bound):
            self._send(404, UNBOUND)
            return
        with state.lock:
            found = state.operations.get(name)
        if found is None or verb not in ("", "wait") or self.command not in ("GET", "POST"):
            message = f"operation {name!r} not found"
            self._send(404, {"code": 5, "message": message, "details": []})
            return
        if verb == "wait":
            self._hold(name, window)
        with state.lock:
            self._send(200, dict(state.operations[name]))

    do_GET = do_POST = _answer

    def _hold(self, name: str, window: str | None) -> None:
        """Hold the long-poll: ``hold`` seconds when set, else the window asked for."""
        state = self.state
        seconds = state.hold if state.hold is not None else float((window or "0s")[:-1])
        end = time.monotonic() + min(seconds, SOCKET_TIMEOUT)
        while time.monotonic() < end and not state.closing.is_set():
            with state.lock:
                if state.operations[name].get("done"):
                    return
            time.sleep(0.02)


class WaitGateway(_Background):
    """A grpc-gateway-style front of google.longrunning (see the module docstring).

    Args:
        hold: seconds every ``:wait`` is held whatever it asked (None: the window asked).
        wait_bound: name prefixes ``:wait`` is bound for (``()``: none, ``("",)``: all).
    """

    def __init__(self, *, hold: float | None = None, wait_bound: tuple[str, ...] = ("",)):
        self.state = GatewayState(hold, wait_bound)
        handler = type("Gateway", (_GatewayHandler,), {"state": self.state})
        self.httpd = _Threaded(("127.0.0.1", 0), handler)
        self._start()
        self.url = f"http://127.0.0.1:{self.port}/v1"

    def add_operation(self, name: str) -> str:
        """A running operation (until :meth:`finish`)."""
        with self.state.lock:
            self.state.operations[name] = {
                "name": name,
                "metadata": {"@type": _TYPE + "google.cloud.common.OperationMetadata"},
            }
        return name

    def finish(self, name: str) -> None:
        with self.state.lock:
            self.state.operations[name].update(
                done=True, response={"@type": _TYPE + "google.protobuf.Empty"}
            )

    def seen(self) -> list[Asked]:
        with self.state.lock:
            return list(self.state.seen)

    def calls(self) -> list[str]:
        """``METHOD path`` of every request, in order."""
        return [f"{asked.method} {asked.path}" for asked in self.seen()]

    def close(self) -> None:
        self.state.closing.set()
        super().close()

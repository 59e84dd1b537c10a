"""A hostile HTTP server on 127.0.0.1 for the client-side attacks (issue 13).

One raw-socket server, one thread per connection, every loop bounded (in bytes sent, in
seconds and by ``SOCKET_TIMEOUT``), so a client that is never cut off fails its test's
own time bound instead of hanging the run. ``mode`` says how it misbehaves:

* ``"drip"``: a 200 whose headers promise a 1,000-byte body, then one byte every
  ``interval`` seconds (0.5 by default);
* ``"continue"``: ``100 Continue`` every ``interval`` seconds (0.2 by default), never a
  final response;
* ``"tokens"``: List pages whose ``nextPageToken`` goes ``A, B, A, B, ...``;
* ``"endless"``: List pages whose ``nextPageToken`` is new every time (``t1``, ``t2``...);
* ``"reply"``: the bytes given as ``reply`` (a whole response) to every request.

``requests`` counts the requests it has read; ``targets`` records their targets and
``heads`` their request lines and headers, as bytes.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from typing import Any

#: Longest any connection is kept busy by the server, whatever the client does.
MAX_ATTACK_SECONDS = 60.0
SOCKET_TIMEOUT = 10.0


class HostilePeer:
    def __init__(self, mode: str, interval: float | None = None, reply: bytes = b"") -> None:
        self.mode = mode
        self.reply = reply
        self.heads: list[bytes] = []
        self.interval = interval or (0.2 if mode == "continue" else 0.5)
        self.requests = 0
        self.targets: list[str] = []
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.1)
        self.port = self._listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._stopping.is_set():
            try:
                conn, _ = self._listener.accept()
            except OSError:
                continue
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        conn.settimeout(SOCKET_TIMEOUT)
        started = time.monotonic()
        buffer = b""
        try:
            while not self._stopping.is_set() and time.monotonic() - started < MAX_ATTACK_SECONDS:
                while b"\r\n\r\n" not in buffer:
                    data = conn.recv(65536)
                    if not data:
                        return
                    buffer += data
                head, _, buffer = buffer.partition(b"\r\n\r\n")
                target = head.split(b"\r\n", 1)[0].split(b" ")[1].decode()
                with self._lock:
                    self.requests += 1
                    self.targets.append(target)
                    self.heads.append(head)
                if not self._answer(conn, target, started):
                    return
        except OSError:
            return  # the client gave up: what the test wants
        finally:
            conn.close()

    def _answer(self, conn: socket.socket, target: str, started: float) -> bool:
        """Misbehave on one request; True to keep the connection for another."""
        if self.mode == "reply":
            conn.sendall(self.reply)
            return True
        if self.mode in ("drip", "continue"):
            if self.mode == "drip":
                conn.sendall(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    b"Content-Length: 1000\r\n\r\n"
                )
            for _ in range(1000):
                if self._stopping.is_set() or time.monotonic() - started > MAX_ATTACK_SECONDS:
                    break
                conn.sendall(b" " if self.mode == "drip" else b"HTTP/1.1 100 Continue\r\n\r\n")
                time.sleep(self.interval)
            return False
        token = ""
        if "pageToken=" in target:
            token = target.split("pageToken=", 1)[1].split("&", 1)[0]
        if self.mode == "tokens":
            following = "B" if token == "A" else "A"
        else:
            following = f"t{int(token[1:]) + 1 if token else 1}"
        page: dict[str, Any] = {
            "operations": [{"name": f"operations/page-{token or 'first'}"}],
            "nextPageToken": following,
        }
        body = json.dumps(page).encode()
        conn.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            + f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
        return True

    def close(self) -> None:
        self._stopping.set()
        self._thread.join(timeout=SOCKET_TIMEOUT)
        self._listener.close()

    def __enter__(self) -> HostilePeer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

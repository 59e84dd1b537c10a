"""The listening socket: accept connections, cap how many are open, close them all.

Each accepted connection runs as one task (`http.HttpConnection`). When
`max_connections` are open, or the process is close to its file-descriptor limit,
a new connection gets a canned 503 and is closed at once; the open ones are not
disturbed. If `accept` itself runs out of descriptors, the loop backs off briefly
instead of spinning.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import socket

from .errors import ApiError, Code
from .http import HttpConnection, require_h11
from .limits import READ_CHUNK, Budget, Limits
from .messages import Admit, Handler, error_response
from .sockio import Expired, SocketIO

try:
    import resource
except ImportError:  # Windows: no RLIMIT_NOFILE to respect
    resource = None  # type: ignore[assignment]

logger = logging.getLogger("lro_server")

LISTEN_BACKLOG = 4096
FD_RESERVE = 64  # descriptors kept free for the store, the log and the listening socket
_ACCEPT_BACKOFF = 0.05
MAX_REFUSING = 256  # refused connections drained at once; past it, closed at once
REFUSAL_DRAIN_SECONDS = 0.2


def _refusal() -> bytes:
    error = ApiError(
        Code.UNAVAILABLE,
        "too many open connections; retry",
        reason="TOO_MANY_CONNECTIONS",
        headers={"Retry-After": "1"},
    )
    response = error_response(error)
    head = [
        "HTTP/1.1 503 Service Unavailable",
        f"Content-Type: {response.content_type}",
        f"Content-Length: {len(response.body)}",
        "Retry-After: 1",
        "Connection: close",
    ]
    return ("\r\n".join(head) + "\r\n\r\n").encode("ascii") + response.body


_REFUSAL = _refusal()


class HttpServer:
    def __init__(self, handler: Handler, *, limits: Limits, admit: Admit | None = None) -> None:
        require_h11()
        self._handler = handler
        self._admit = admit
        self._limits = limits
        self._inputs = Budget(limits.input_buffer_bytes)
        self._outputs = Budget(limits.output_buffer_bytes)
        self._sock: socket.socket | None = None
        self._accepting: asyncio.Task[None] | None = None
        self._connections: set[asyncio.Task[None]] = set()
        self._refusing: set[asyncio.Task[None]] = set()
        self.refused = 0  # connections turned away at the limit

    @property
    def open_connections(self) -> int:
        return len(self._connections)

    async def start(self, host: str, port: int) -> int:
        """Listen and return the bound port (useful when `port` is 0)."""
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.create_server((host, port), family=family, backlog=LISTEN_BACKLOG)
        sock.setblocking(False)
        self._sock = sock
        self._accepting = asyncio.get_running_loop().create_task(self._accept_loop(sock))
        bound: int = sock.getsockname()[1]
        return bound

    async def close(self) -> None:
        """Stop listening and end every connection, including held long-polls."""
        if self._accepting is not None:
            self._accepting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._accepting
        if self._sock is not None:
            self._sock.close()
        tasks = [*self._connections, *self._refusing]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def _capacity(self) -> int:
        limit = self._limits.max_connections
        if resource is not None:
            soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
            if soft != resource.RLIM_INFINITY:
                limit = min(limit, soft - FD_RESERVE)
        return limit

    async def _accept_loop(self, listening: socket.socket) -> None:
        loop = asyncio.get_running_loop()
        while True:
            try:
                sock, _ = await loop.sock_accept(listening)
            except OSError as e:
                if e.errno in (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM):
                    logger.warning("accept: %s; pausing briefly", e.strerror)
                    await asyncio.sleep(_ACCEPT_BACKOFF)
                    continue
                if e.errno not in (errno.ECONNABORTED, errno.EPROTO):
                    logger.exception("accept failed")
                    await asyncio.sleep(_ACCEPT_BACKOFF)
                continue
            sock.setblocking(False)
            if len(self._connections) >= self._capacity():
                self._refuse(sock)
                continue
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            connection = HttpConnection(
                sock,
                handler=self._handler,
                admit=self._admit,
                limits=self._limits,
                inputs=self._inputs,
                outputs=self._outputs,
            )
            task = loop.create_task(connection.run())
            self._connections.add(task)
            task.add_done_callback(self._connections.discard)

    def _refuse(self, sock: socket.socket) -> None:
        """A canned 503, then a short drain of the request so the client can read it (a
        close with its request unread would reset the connection and lose the 503)."""
        self.refused += 1
        with contextlib.suppress(OSError):
            sock.send(_REFUSAL)  # fits any socket buffer: never blocks
            sock.shutdown(socket.SHUT_WR)
        if len(self._refusing) >= MAX_REFUSING:
            sock.close()
            return
        task = asyncio.get_running_loop().create_task(_drain(sock))
        self._refusing.add(task)
        task.add_done_callback(self._refusing.discard)


async def _drain(sock: socket.socket) -> None:
    io = SocketIO(sock)
    deadline = asyncio.get_running_loop().time() + REFUSAL_DRAIN_SECONDS
    try:
        while await io.recv(READ_CHUNK, deadline):
            pass
    except (OSError, Expired):
        pass
    finally:
        sock.close()

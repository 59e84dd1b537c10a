"""Reads and writes on a non-blocking socket with deadlines, and nothing buffered.

`recv(size)` reads at most `size` bytes, only when asked: whatever the client
sends beyond that stays in the kernel, which pushes back on the client (TCP flow
control), so a connection holds no more than its reader took. `send(data)` sends
straight from `data` (no copy) until all of it is taken. Both try the socket
first and wait for readiness only when it would block, with a timer at the
deadline: one event-loop wake-up per wait, no task per call.

Event loops without `add_reader` (Windows' proactor) use `loop.sock_recv` and
`loop.sock_sendall` under `asyncio.wait_for` instead.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")
_FOREVER = 10.0**9  # seconds: a deadline that never comes


class Expired(Exception):
    """A deadline passed before the socket was ready."""


def _wake(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


def _expire(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_exception(Expired())


class SocketIO:
    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self._loop = asyncio.get_running_loop()
        self._fd = sock.fileno()
        self._selector = True  # until the loop says it has no add_reader

    async def recv(self, size: int, deadline: float) -> bytes:
        """At most `size` bytes; b"" at end of stream; `Expired` after `deadline`."""
        while True:
            try:
                return self.sock.recv(size)
            except (BlockingIOError, InterruptedError):
                pass
            if not self._selector:
                return await self._fallback(self._loop.sock_recv(self.sock, size), deadline)
            await self._ready(deadline, write=False)

    async def send(self, data: bytes, deadline: float) -> None:
        """All of `data`; `Expired` if the client has not taken it by `deadline`."""
        view = memoryview(data)
        while view:
            try:
                view = view[self.sock.send(view) :]
                continue
            except (BlockingIOError, InterruptedError):
                pass
            if not self._selector:
                await self._fallback(self._loop.sock_sendall(self.sock, view), deadline)
                return
            await self._ready(deadline, write=True)

    async def readable(self) -> bool:
        """Wait, without a deadline, until the socket has something to read (bytes, end of
        stream or an error); False at once if the event loop cannot watch it."""
        if self._selector:
            await self._ready(self._loop.time() + _FOREVER, write=False)
        return self._selector

    async def _ready(self, deadline: float, *, write: bool) -> None:
        future: asyncio.Future[None] = self._loop.create_future()
        try:
            if write:
                self._loop.add_writer(self._fd, _wake, future)
            else:
                self._loop.add_reader(self._fd, _wake, future)
        except NotImplementedError:
            self._selector = False
            return
        timer = self._loop.call_at(deadline, _expire, future)
        try:
            await future
        finally:
            timer.cancel()
            if write:
                self._loop.remove_writer(self._fd)
            else:
                self._loop.remove_reader(self._fd)

    async def _fallback(self, operation: Coroutine[Any, Any, T], deadline: float) -> T:
        remaining = deadline - self._loop.time()
        if remaining <= 0:
            operation.close()
            raise Expired()
        try:
            return await asyncio.wait_for(operation, remaining)
        except asyncio.TimeoutError:
            raise Expired() from None

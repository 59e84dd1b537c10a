"""What one server lets its clients hold: time, connections and bytes.

`Limits` is the HTTP layer's part of `ServerConfig` (the same field names, so
`ServerConfig` fills it). Every limit is enforced per connection, and the two
byte pools across all connections, so memory stays bounded whatever clients do:

- `header_timeout`: a request's head (request line and headers) must arrive
  within this many seconds of its first byte (of the connection, for the first
  request); slower ones get 408 and are closed (slowloris);
- `body_timeout`: a request body must arrive within this many seconds of its
  head; a stalled upload gets 408 and is closed;
- `idle_timeout`: a keep-alive connection with no request for this long is closed;
- `write_timeout`: a response the client does not take within this long cuts the
  connection (a client that does not read);
- `max_connections`: beyond it, new connections get a canned 503 and are closed at
  once, while the open ones keep being served (also kept below the process's
  file-descriptor limit, so `accept` never starves);
- `max_head_bytes` / `max_body_bytes`: larger request heads get 414/431, larger
  bodies 413, from the headers alone;
- `input_buffer_bytes`: the bytes of partly received requests, beyond
  `FREE_INPUT_BYTES` per connection, that all connections may hold together; a
  connection over it stops reading (TCP pushes back) until others finish or its
  timeout fires, so small requests are never held up by big uploads;
- `output_buffer_bytes`: the bytes of responses not yet taken by their clients,
  beyond `FREE_OUTPUT_BYTES` per connection, held together; a response that does
  not fit is replaced by 503 UNAVAILABLE (with Retry-After) and is freed at once.

So the memory held for clients is at most about `max_connections x (2 x
FREE_INPUT_BYTES + FREE_OUTPUT_BYTES)` plus the two pools (about 200 MiB with the
defaults, most of it only under attack).
"""

from __future__ import annotations

import asyncio
import collections
from dataclasses import dataclass

FREE_INPUT_BYTES = 16 * 1024
FREE_OUTPUT_BYTES = 64 * 1024
READ_CHUNK = 64 * 1024

DEFAULT_MAX_HEAD_BYTES = 512 * 1024
DEFAULT_MAX_BODY_BYTES = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    max_connections: int = 1024
    header_timeout: float = 10.0
    body_timeout: float = 30.0
    idle_timeout: float = 60.0
    write_timeout: float = 30.0
    max_head_bytes: int = DEFAULT_MAX_HEAD_BYTES
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    input_buffer_bytes: int = 32 * 1024 * 1024
    output_buffer_bytes: int = 32 * 1024 * 1024

    def __post_init__(self) -> None:
        for name in ("header_timeout", "body_timeout", "idle_timeout", "write_timeout"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be positive")
        for name in (
            "max_connections",
            "max_head_bytes",
            "max_body_bytes",
            "input_buffer_bytes",
            "output_buffer_bytes",
        ):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1")


class Budget:
    """A pool of bytes shared by all connections, taken and given back in amounts.

    `take` waits (first come, first served) until the amount fits; an amount larger
    than the whole pool fits when nothing else is taken, so it can never deadlock.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0
        self._waiting: collections.deque[tuple[int, asyncio.Future[None]]] = collections.deque()

    def _fits(self, amount: int) -> bool:
        return self.used == 0 or self.used + amount <= self.limit

    def try_take(self, amount: int) -> bool:
        if self._waiting or not self._fits(amount):
            return False
        self.used += amount
        return True

    async def take(self, amount: int, timeout: float) -> None:
        """Take `amount`, waiting at most `timeout` seconds (then asyncio.TimeoutError)."""
        if self.try_take(amount):
            return
        waiter = asyncio.get_running_loop().create_future()
        entry = (amount, waiter)
        self._waiting.append(entry)
        try:
            await asyncio.wait_for(asyncio.shield(waiter), timeout)
        except BaseException:
            if waiter.done() and not waiter.cancelled():
                self.give(amount)  # granted just as we gave up
            else:
                waiter.cancel()
                self._waiting.remove(entry)
                self._grant()
            raise

    def give(self, amount: int) -> None:
        self.used -= amount
        self._grant()

    def _grant(self) -> None:
        while self._waiting:
            amount, waiter = self._waiting[0]
            if not self._fits(amount):
                return
            self._waiting.popleft()
            self.used += amount
            waiter.set_result(None)

"""The asyncio transport: HTTP/1.1 over stdlib streams, with a keep-alive pool.

It behaves like ``lro._sync.transport.Transport`` (same :class:`~lro._core.http.Request` /
:class:`~lro._core.http.Response`, same error mapping, no retries, no redirects, a timeout
on every request, a response size cap) with these specifics:

* ``Content-Length``, chunked and read-until-close bodies; ``gzip``/``deflate`` decoded.
* The timeout bounds connecting, then the whole exchange (write request, read response).
* A connection goes back to the pool only after a complete response that allows reuse.
  If the task is cancelled (or times out) mid-request, that connection is closed at once,
  never reused: a late response can never be read as the answer to another request.
* Connections belong to the event loop that opened them; a pooled connection of another
  (or a closed) loop is discarded.
* Requests are never silently re-sent: if a kept-alive connection turns out to be closed
  by the server, the call fails with :class:`~lro.errors.ConnectionDropped` and the retry
  policy decides.
"""

from __future__ import annotations

import asyncio
import contextlib
import zlib
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar
from urllib.parse import urlsplit

from lro._core.errors import (
    ConnectionDropped,
    Error,
    FailedPrecondition,
    InvalidResponse,
    TransportError,
    TransportTimeout,
)
from lro._core.http import DEFAULT_MAX_RESPONSE_BYTES, Headers, Request, Response, too_large
from lro._net import make_ssl_context, map_os_error

if TYPE_CHECKING:
    import ssl

__all__ = ["AsyncTransport"]

T = TypeVar("T")

_MAX_HEAD_BYTES = 64 * 1024
_MAX_HEADERS = 200
_NO_BODY_STATUSES = frozenset({204, 304})


@dataclass(eq=False)
class _Connection:
    key: tuple[str, str, int]
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    loop: asyncio.AbstractEventLoop = field(default_factory=asyncio.get_running_loop)

    def usable(self) -> bool:
        return (
            not self.loop.is_closed()
            and self.loop is asyncio.get_running_loop()
            and not self.reader.at_eof()
            and not self.writer.is_closing()
        )

    def close(self) -> None:
        with contextlib.suppress(Exception):  # closing a broken transport
            self.writer.close()


async def _within(awaitable: Awaitable[T], timeout: float | None, what: str) -> T:
    try:
        return await asyncio.wait_for(awaitable, timeout)
    except (asyncio.TimeoutError, TimeoutError):
        raise TransportTimeout(f"{what} timeout after {timeout} s") from None


class AsyncTransport:
    """Asynchronous transport (see the module docstring). Arguments as for
    ``lro._sync.transport.Transport``. Not tied to a loop until the first request."""

    def __init__(
        self,
        *,
        timeout: float | None = 30.0,
        verify: bool = True,
        ca_certs: str | None = None,
        max_connections: int = 10,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
    ) -> None:
        self.timeout = timeout
        self.max_connections = max_connections
        self.max_response_bytes = max_response_bytes
        self._verify = verify
        self._ca_certs = ca_certs
        self._ssl: ssl.SSLContext | None = None
        self._idle: dict[tuple[str, str, int], list[_Connection]] = {}
        self._busy: set[_Connection] = set()
        self._closed = False

    # -- pool ---------------------------------------------------------------------------

    def _take(self, key: tuple[str, str, int]) -> _Connection | None:
        idle = self._idle.get(key, [])
        while idle:
            conn = idle.pop()
            if conn.usable():
                return conn
            conn.close()
        return None

    def _give_back(self, conn: _Connection) -> None:
        idle = self._idle.setdefault(conn.key, [])
        if self._closed or len(idle) >= self.max_connections or not conn.usable():
            conn.close()
        else:
            idle.append(conn)

    async def _connect(self, key: tuple[str, str, int], timeout: float | None) -> _Connection:
        scheme, host, port = key
        context = None
        if scheme == "https":
            if self._ssl is None:
                self._ssl = make_ssl_context(self._verify, self._ca_certs)
            context = self._ssl
        try:
            reader, writer = await _within(
                asyncio.open_connection(
                    host, port, ssl=context, server_hostname=host if context else None
                ),
                timeout,
                "connect",
            )
        except TransportError:
            raise
        except Exception as exc:  # OSError, ssl errors
            raise map_os_error(exc, connecting=True) from None
        return _Connection(key, reader, writer)

    # -- exchange -----------------------------------------------------------------------

    async def send(self, request: Request) -> Response:
        """Send one request and read the whole response."""
        if self._closed:
            raise FailedPrecondition("the client is closed")
        parts = urlsplit(request.url)
        scheme = parts.scheme.lower()
        host = parts.hostname or ""
        port = parts.port or (443 if scheme == "https" else 80)
        key = (scheme, host, port)
        timeout = request.timeout if request.timeout is not None else self.timeout
        conn = self._take(key) or await self._connect(key, timeout)
        self._busy.add(conn)
        reusable = False
        try:
            target = parts.path or "/"
            if parts.query:
                target += "?" + parts.query
            response, reusable = await _within(
                self._exchange(conn, request, target, parts.netloc), timeout, "read"
            )
            return response
        except Error:
            raise
        except (asyncio.IncompleteReadError, EOFError) as exc:
            raise ConnectionDropped(f"connection closed mid-response: {exc}") from None
        except ValueError as exc:  # a line over the stream limit, bad framing
            raise InvalidResponse(f"malformed HTTP response: {exc}") from None
        except Exception as exc:
            raise map_os_error(exc, connecting=False) from None
        finally:
            # Also on cancellation: a half-used connection is closed, never pooled.
            self._busy.discard(conn)
            if reusable:
                self._give_back(conn)
            else:
                conn.close()

    async def _exchange(
        self, conn: _Connection, request: Request, target: str, host: str
    ) -> tuple[Response, bool]:
        lines = [f"{request.method} {target} HTTP/1.1", f"Host: {host}"]
        names = {k.lower() for k in request.headers}
        lines.extend(f"{k}: {v}" for k, v in request.headers.items())
        body = request.body
        sends_body = body is not None or request.method in ("POST", "PUT", "PATCH")
        if sends_body and "content-length" not in names:
            lines.append(f"Content-Length: {len(body or b'')}")
        if "accept-encoding" not in names:
            lines.append("Accept-Encoding: identity")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        conn.writer.write(head + body if body else head)
        await conn.writer.drain()

        while True:
            status, version, headers = await self._read_head(conn.reader)
            if not 100 <= status <= 199 or status == 101:
                break
        data, complete = await self._read_body(conn.reader, request.method, status, headers)
        data = self._decode(data, headers.get("content-encoding"))
        connection = headers.get("connection", "").lower()
        keep = "keep-alive" in connection if version == "HTTP/1.0" else "close" not in connection
        return Response(status, headers, data), complete and keep

    async def _read_head(self, reader: asyncio.StreamReader) -> tuple[int, str, Headers]:
        line = await reader.readline()
        if not line:
            raise ConnectionDropped("server closed the connection without a response")
        try:
            version, code, *_ = line.decode("latin-1").split(" ", 2)
            status = int(code)
        except ValueError:
            raise InvalidResponse(
                f"malformed HTTP status line: {line[:100]!r}", raw=line[:200].decode("latin-1")
            ) from None
        if not version.startswith("HTTP/1.") or not 100 <= status <= 599:
            raise InvalidResponse(f"malformed HTTP status line: {line[:100]!r}")
        pairs: list[tuple[str, str]] = []
        size = len(line)
        while True:
            line = await reader.readline()
            size += len(line)
            if not line:
                raise ConnectionDropped("connection closed in the response headers")
            if size > _MAX_HEAD_BYTES or len(pairs) > _MAX_HEADERS:
                raise InvalidResponse("response headers too large")
            if line in (b"\r\n", b"\n"):
                break
            name, sep, value = line.decode("latin-1").partition(":")
            if not sep:
                raise InvalidResponse(f"malformed response header: {line[:100]!r}")
            pairs.append((name.strip(), value.strip()))
        return status, version.strip(), Headers(pairs)

    async def _read_body(
        self, reader: asyncio.StreamReader, method: str, status: int, headers: Headers
    ) -> tuple[bytes, bool]:
        """The body and whether the connection is left at a message boundary."""
        limit = self.max_response_bytes
        if method == "HEAD" or status in _NO_BODY_STATUSES:
            return b"", True
        if "chunked" in headers.get("transfer-encoding", "").lower():
            return await self._read_chunked(reader), True
        length = headers.get("content-length")
        if length is not None:
            if not length.strip().isdigit():
                raise InvalidResponse(f"bad Content-Length: {length[:50]!r}")
            size = int(length)
            if size > limit:
                raise too_large(limit)
            return await reader.readexactly(size), True
        data = bytearray()
        while chunk := await reader.read(256 * 1024):
            data += chunk
            if len(data) > limit:
                raise too_large(limit)
        return bytes(data), False

    async def _read_chunked(self, reader: asyncio.StreamReader) -> bytes:
        limit = self.max_response_bytes
        data = bytearray()
        while True:
            line = await reader.readline()
            if not line:
                raise ConnectionDropped("connection closed in a chunked body")
            try:
                size = int(line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                raise InvalidResponse(f"bad chunk size line: {line[:50]!r}") from None
            if size == 0:
                break
            if len(data) + size > limit:
                raise too_large(limit)
            data += await reader.readexactly(size)
            await reader.readexactly(2)  # CRLF after the chunk
        while (line := await reader.readline()) not in (b"\r\n", b"\n"):  # trailers
            if not line:
                raise ConnectionDropped("connection closed in chunked trailers")
        return bytes(data)

    def _decode(self, data: bytes, encoding: str | None) -> bytes:
        coding = (encoding or "").strip().lower()
        if coding in ("", "identity"):
            return data
        if coding not in ("gzip", "x-gzip", "deflate"):
            raise InvalidResponse(f"unsupported Content-Encoding {coding[:40]!r}")
        wbits = 16 + zlib.MAX_WBITS if "gzip" in coding else zlib.MAX_WBITS
        decompressor = zlib.decompressobj(wbits)
        try:
            out = decompressor.decompress(data, self.max_response_bytes + 1)
        except zlib.error as exc:
            raise InvalidResponse(f"cannot decode {coding} body: {exc}") from None
        if len(out) > self.max_response_bytes:
            raise too_large(self.max_response_bytes)
        return out

    async def close(self) -> None:
        """Close every connection, idle or in use; later sends raise FailedPrecondition."""
        self._closed = True
        for idle in self._idle.values():
            for conn in idle:
                conn.close()
        self._idle.clear()
        for conn in list(self._busy):
            conn.close()

    def __repr__(self) -> str:
        return f"AsyncTransport(timeout={self.timeout!r})"

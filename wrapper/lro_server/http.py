"""A minimal HTTP/1.1 server on asyncio streams: just what a JSON API needs.

- keep-alive by default (HTTP/1.0: only on request), `Connection: close` honoured;
- request bodies by Content-Length or `Transfer-Encoding: chunked`;
- limits checked before anything is buffered: a request line longer than the head
  limit is 414, a longer head 431, a Content-Length above the body limit 413 (the
  body is never read; the connection closes);
- responses always carry Content-Length.

The handler gets a parsed `Request` and returns a `Response`, or None to close the
connection without replying (fault injection uses that). Protocol errors become
google.rpc.Status bodies like every other error of this server.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from http import HTTPStatus

from .errors import ApiError, Code
from .wire import dumps

logger = logging.getLogger("lro_server")

DEFAULT_MAX_HEAD_BYTES = 512 * 1024
DEFAULT_MAX_BODY_BYTES = 1024 * 1024
LISTEN_BACKLOG = 4096
_MAX_HEADERS = 200
# Strict framing numbers: int() alone would also take "+1", "1_0", "0x1f" or "²".
_DECIMAL = re.compile(r"[0-9]{1,18}")
_HEX = re.compile(rb"[0-9A-Fa-f]{1,15}")


@dataclass(frozen=True)
class Request:
    method: str
    target: str  # as sent: path and query, still percent-encoded
    headers: dict[str, str]  # names lower-cased; repeated headers joined with ", "
    body: bytes
    keep_alive: bool

    @property
    def path(self) -> str:
        return self.target.partition("?")[0]

    @property
    def query(self) -> str:
        return self.target.partition("?")[2]


@dataclass
class Response:
    status: int
    body: bytes = b"{}"
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[[Request], Awaitable["Response | None"]]


def json_response(status: int, payload: object, headers: dict[str, str] | None = None) -> Response:
    return Response(status, dumps(payload), headers=dict(headers or {}))


def error_response(error: ApiError) -> Response:
    return json_response(error.http_status, error.status_body(), error.headers)


class _ProtocolError(Exception):
    """The request cannot be read; answer this error and close the connection."""

    def __init__(self, error: ApiError) -> None:
        super().__init__(error.message)
        self.error = error


def _bad_request(
    message: str, *, status: int = 400, reason: str = "MALFORMED_REQUEST"
) -> _ProtocolError:
    return _ProtocolError(
        ApiError(Code.INVALID_ARGUMENT, message, reason=reason, http_status=status)
    )


class HttpServer:
    def __init__(
        self,
        handler: Handler,
        *,
        max_head_bytes: int = DEFAULT_MAX_HEAD_BYTES,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    ) -> None:
        self._handler = handler
        self._max_head = max_head_bytes
        self._max_body = max_body_bytes
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()

    async def start(self, host: str, port: int) -> int:
        """Listen and return the bound port (useful when `port` is 0)."""
        self._server = await asyncio.start_server(
            self._connection, host, port, limit=self._max_head, backlog=LISTEN_BACKLOG
        )
        bound: int = self._server.sockets[0].getsockname()[1]
        return bound

    async def close(self) -> None:
        """Stop listening and end every connection, including held long-polls."""
        if self._server is not None:
            self._server.close()
        for task in list(self._connections):
            task.cancel()
        await asyncio.gather(*self._connections, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        try:
            await self._serve(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass  # the client went away; nothing to answer
        except asyncio.CancelledError:
            # close() cancelled us. End quietly: this is the task's outermost frame, and
            # asyncio (3.10/3.11) would log a cancelled connection task as an error.
            pass
        finally:
            self._connections.discard(task)
            writer.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            try:
                request = await self._read_request(reader, writer)
            except _ProtocolError as e:
                await _send(writer, error_response(e.error), keep_alive=False)
                return
            if request is None:
                return
            try:
                response = await self._handler(request)
            except Exception:
                # A bug, not bad input (handlers turn bad input into ApiError): answer 500
                # without internals and keep serving other connections.
                logger.exception("unhandled error for %s %.200s", request.method, request.path)
                error = ApiError(Code.INTERNAL, "internal server error", reason="INTERNAL")
                response = error_response(error)
            if response is None:
                return  # close without replying
            await _send(
                writer, response, keep_alive=request.keep_alive, head=request.method == "HEAD"
            )
            if not request.keep_alive:
                return

    async def _read_request(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> Request | None:
        line = b"\r\n"
        while line in (b"\r\n", b"\n"):  # RFC 9112 2.2: ignore empty lines before a request
            try:
                line = await reader.readuntil(b"\n")
            except asyncio.LimitOverrunError:
                raise _bad_request(
                    "request line too long", status=414, reason="URI_TOO_LONG"
                ) from None
            except asyncio.IncompleteReadError as e:
                if e.partial.strip():
                    raise _bad_request("incomplete request line") from None
                return None  # the client closed an idle keep-alive connection
        method, target, version = _parse_request_line(line)
        headers = await self._read_headers(reader, budget=self._max_head - len(line))
        body = await self._read_body(reader, writer, headers)
        connection = headers.get("connection", "").lower()
        if version == "HTTP/1.0":
            keep_alive = "keep-alive" in connection
        else:
            keep_alive = "close" not in connection
        return Request(method, target, headers, body, keep_alive)

    async def _read_headers(self, reader: asyncio.StreamReader, budget: int) -> dict[str, str]:
        headers: dict[str, str] = {}
        for _ in range(_MAX_HEADERS + 1):
            try:
                line = await reader.readuntil(b"\n")
            except asyncio.LimitOverrunError:
                raise _headers_too_large() from None
            budget -= len(line)
            if budget < 0:
                raise _headers_too_large()
            if line in (b"\r\n", b"\n"):
                return headers
            name, colon, value = line.decode("latin-1").partition(":")
            if not colon or not name or name != name.strip() or line[:1] in b" \t":
                raise _bad_request("malformed header line")
            key = name.lower()
            value = value.strip()
            headers[key] = f"{headers[key]}, {value}" if key in headers else value
        raise _headers_too_large()

    async def _read_body(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, headers: dict[str, str]
    ) -> bytes:
        encoding = headers.get("transfer-encoding", "").lower()
        length_text = headers.get("content-length")
        if encoding and length_text is not None:
            # Both framings at once is how requests get smuggled; refuse instead of choosing.
            raise _bad_request("both Transfer-Encoding and Content-Length")
        if encoding:
            if encoding != "chunked":
                raise _bad_request(f"unsupported Transfer-Encoding {encoding!r}")
            await _continue(writer, headers)
            return await self._read_chunked(reader)
        if length_text is None:
            return b""
        if not _DECIMAL.fullmatch(length_text):
            raise _bad_request("invalid Content-Length")
        length = int(length_text)
        if length > self._max_body:
            raise _body_too_large(self._max_body)
        await _continue(writer, headers)
        return await reader.readexactly(length)

    async def _read_chunked(self, reader: asyncio.StreamReader) -> bytes:
        body = bytearray()
        while True:
            try:
                size_line = await reader.readuntil(b"\n")
            except asyncio.LimitOverrunError:
                raise _bad_request("chunk size line too long") from None
            size_text = size_line.split(b";", 1)[0].strip()
            if not _HEX.fullmatch(size_text):
                raise _bad_request("invalid chunk size")
            size = int(size_text, 16)
            if size == 0:
                break
            if len(body) + size > self._max_body:
                raise _body_too_large(self._max_body)
            body += await reader.readexactly(size)
            if await reader.readuntil(b"\n") not in (b"\r\n", b"\n"):
                raise _bad_request("chunk not followed by CRLF")
        await self._read_headers(reader, budget=self._max_head)  # trailers, ignored
        return bytes(body)


def _parse_request_line(line: bytes) -> tuple[str, str, str]:
    try:
        text = line.decode("ascii").strip()
    except UnicodeDecodeError:
        raise _bad_request("request line is not ASCII (percent-encode the path)") from None
    parts = text.split(" ")
    if len(parts) != 3 or not parts[0].isalpha() or not parts[1].startswith("/"):
        raise _bad_request("malformed request line")
    method, target, version = parts
    if version not in ("HTTP/1.1", "HTTP/1.0"):
        raise _bad_request(f"unsupported HTTP version {version!r}", status=505)
    return method.upper(), target, version


async def _continue(writer: asyncio.StreamWriter, headers: dict[str, str]) -> None:
    if headers.get("expect", "").lower() == "100-continue":
        writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        await writer.drain()


async def _send(
    writer: asyncio.StreamWriter, response: Response, *, keep_alive: bool, head: bool = False
) -> None:
    reason = _REASONS.get(response.status, "Unknown")
    lines = [
        f"HTTP/1.1 {response.status} {reason}",
        f"Content-Type: {response.content_type}",
        f"Content-Length: {len(response.body)}",
    ]
    lines += [f"{name}: {value}" for name, value in response.headers.items()]
    if not keep_alive:
        lines.append("Connection: close")
    header_block = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    # A reply to HEAD has no body, though its Content-Length is that of the GET reply.
    writer.write(header_block if head else header_block + response.body)
    await writer.drain()


def _headers_too_large() -> _ProtocolError:
    return _bad_request("request headers too large", status=431, reason="HEADERS_TOO_LARGE")


def _body_too_large(limit: int) -> _ProtocolError:
    return _bad_request(
        f"request body larger than {limit} bytes", status=413, reason="BODY_TOO_LARGE"
    )


_REASONS = {status.value: status.phrase for status in HTTPStatus}
_REASONS[499] = "Client Closed Request"

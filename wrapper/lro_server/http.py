"""One HTTP/1.1 connection: h11 parses, this loop owns the socket, the clock and the bytes.

h11 (the `[server]` extra) turns bytes into request events and responses into
bytes; it does no I/O. This loop does all of it on the raw non-blocking socket,
so nothing is buffered that it did not ask for, and fault injection keeps full
control of the TCP connection (close without a reply, reset, stall).

One exchange at a time: read the head (within `header_timeout`, after at most
`idle_timeout` of keep-alive silence), check what h11 leaves to us (`strict`),
ask the admission check (authentication) before any body is read or
`100 Continue` is sent, read the body (within `body_timeout`, at most
`max_body_bytes`; a chunked body's framing checked by `strict.ChunkLines` before h11
gets it), call the handler, send the response (within `write_timeout`). A handler
that holds its request (a `:wait`) can learn that the client hung up (`Request.gone`).
Every request that cannot be read gets a google.rpc.Status answer with
`Connection: close`. Responses always carry Content-Length; HTTP/1.0 clients get
one request per connection, and the reply says `Connection: close`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import socket
import struct
from http import HTTPStatus
from typing import Any

from .errors import ApiError, Code
from .limits import FREE_INPUT_BYTES, FREE_OUTPUT_BYTES, READ_CHUNK, Budget, Limits
from .messages import Admit, Drop, Handler, Request, Response, error_response, json_response
from .sockio import Expired, SocketIO
from .strict import (
    ChunkLines,
    Rejected,
    bad_request,
    body_too_large,
    check_framing,
    check_method,
    check_version,
    origin_form,
)

try:
    import h11
except ImportError:  # the [server] extra is missing: HttpServer says so when created
    h11 = None  # type: ignore[assignment]

logger = logging.getLogger("lro_server")

MISSING_H11 = (
    "the reference server needs h11, which is not installed: pip install 'lro-sdk[server]'"
)
LINGER_SECONDS = 1.0  # after a final reply, how long unread input is drained before closing
_RAW_BYTES = re.compile(r":?\s*(?:bytearray\(|b['\"]).*", re.DOTALL)
_REASONS = {status.value: status.phrase.encode("ascii") for status in HTTPStatus}
_REASONS[499] = b"Client Closed Request"


def require_h11() -> None:
    if h11 is None:
        raise ImportError(MISSING_H11)


class _Timeout(Exception):
    """A deadline of the connection passed."""


class _WriteTimeout(_Timeout):
    """The client did not take its response in time: close without another word."""


class HttpConnection:
    def __init__(
        self,
        sock: socket.socket,
        *,
        handler: Handler,
        admit: Admit | None,
        limits: Limits,
        inputs: Budget,
        outputs: Budget,
    ) -> None:
        self._sock = sock
        self._io = SocketIO(sock)
        self._loop = asyncio.get_running_loop()
        self._handler = handler
        self._admit = admit
        self._limits = limits
        self._inputs = inputs
        self._outputs = outputs
        self._h11 = h11.Connection(h11.SERVER, max_incomplete_event_size=limits.max_head_bytes)
        self._deadline = self._loop.time() + limits.header_timeout
        self._idle = False  # waiting for the first byte of a keep-alive request
        self._fresh = True  # no byte of the current request has arrived yet
        self._raw_head = bytearray()  # the head as received (h11 merges repeated headers)
        self._in_head = True
        self._held = 0  # bytes of the current request held (the head counts twice: the copy)
        self._taken = 0  # of them, bytes taken from the shared input pool
        self._eof = False
        self._chunks: ChunkLines | None = None  # the framing of a chunked body being read

    async def run(self) -> None:
        drop: Drop | None = Drop.CLOSE
        try:
            drop = await self._serve()
            if drop is None:
                await self._linger()
        except (OSError, _Timeout):
            pass  # the client went away, or would not take its response in time
        except asyncio.CancelledError:
            pass  # the server is closing (this is the task's outermost frame)
        except Exception:
            logger.exception("connection failed")
        finally:
            self._release_input()
            if drop is Drop.RESET:
                linger = struct.pack("ii", 1, 0)  # close with a reset, not a FIN
                self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
            self._sock.close()

    async def _serve(self) -> Drop | None:
        """Exchanges until one side is done: how to end (None: gracefully, after a reply)."""
        while True:
            try:
                request = await self._read_head()
                if request is None:
                    return Drop.CLOSE
                refusal = self._call_admit(request)
                if refusal is None:
                    request = await self._read_body(request)
            except _WriteTimeout:
                return Drop.CLOSE
            except _Timeout:
                if self._fresh:
                    return Drop.CLOSE  # not a byte of a request arrived: just close
                return await self._fail(_timed_out(self._in_head, self._limits))
            except Rejected as e:
                return await self._fail(e.error)
            except h11.RemoteProtocolError as e:
                if self._eof:
                    return Drop.CLOSE  # the client hung up mid-request: nobody to answer
                return await self._fail(self._protocol_error(e))
            outcome = refusal if refusal is not None else await self._call_handler(request)
            if not isinstance(outcome, Response):
                return Drop.RESET if outcome is Drop.RESET else Drop.CLOSE
            if not await self._finish(outcome, request):
                return None
            self._h11.start_next_cycle()
            self._release_input()
            self._chunks = None
            # A pipelined request that came with this one: its head is checked too.
            self._raw_head = bytearray(self._h11.trailing_data[0])
            self._held = 2 * len(self._raw_head)
            self._idle = self._fresh = self._in_head = True
            self._deadline = self._loop.time() + self._limits.idle_timeout

    # --- reading ------------------------------------------------------------------------

    async def _next_event(self) -> Any:
        while True:
            event = self._h11.next_event()
            if event is not h11.NEED_DATA:
                return event
            data = await self._recv()
            if self._chunks is not None and not self._in_head:
                self._chunks.feed(data)
            self._h11.receive_data(data)

    async def _read_head(self) -> Request | None:
        try:
            event = await self._next_event()
        except h11.RemoteProtocolError as e:
            if e.error_status_hint == 431 and b"\n" not in self._raw_head:
                raise bad_request("request line too long", status=414, reason="URI_TOO_LONG") from e
            raise
        if not isinstance(event, h11.Request):
            return None  # ConnectionClosed (or PAUSED, which one exchange at a time never sees)
        self._fresh = self._idle = False  # (a pipelined head may have come without a recv)
        method = check_method(event.method.decode("ascii"))
        check_version(event.http_version.decode("ascii"))
        headers: dict[str, str] = {}
        for name, value in event.headers:
            key, text = name.decode("ascii"), value.decode("latin-1")
            headers[key] = f"{headers[key]}, {text}" if key in headers else text
        check_framing(headers, bytes(self._raw_head))
        self._held -= len(self._raw_head)  # the copy is no longer needed
        self._raw_head = bytearray()
        self._in_head = False
        self._settle()
        length = headers.get("content-length")
        if length is not None and int(length) > self._limits.max_body_bytes:
            raise body_too_large(self._limits.max_body_bytes)
        target = origin_form(event.target.decode("ascii"), method)
        options = {option.strip() for option in headers.get("connection", "").lower().split(",")}
        keep_alive = event.http_version == b"1.1" and "close" not in options
        self._deadline = self._loop.time() + self._limits.body_timeout
        return Request(method, target, headers, b"", keep_alive)

    async def _read_body(self, head: Request) -> Request:
        body = bytearray()
        if "transfer-encoding" in head.headers:  # chunked: h11 refuses any other coding
            # Its chunk lines are checked before h11 gets them, from the bytes that came
            # with the head on; a chunk larger than the limit is refused at its line.
            self._chunks = ChunkLines(self._limits.max_body_bytes)
            self._chunks.feed(self._h11.trailing_data[0])
        while True:
            if self._h11.they_are_waiting_for_100_continue:
                informational = h11.InformationalResponse(
                    status_code=100, headers=[], reason=b"Continue"
                )
                await self._write(self._h11.send(informational) or b"")
            event = await self._next_event()
            if isinstance(event, h11.EndOfMessage):
                break
            if isinstance(event, h11.Data):
                if len(body) + len(event.data) > self._limits.max_body_bytes:
                    raise body_too_large(self._limits.max_body_bytes)
                body += event.data
        return Request(
            head.method,
            head.target,
            head.headers,
            bytes(body),
            head.keep_alive,
            gone=self._client_gone,
        )

    async def _client_gone(self) -> None:
        """Return once the client has closed the connection (end of stream, or a reset)
        while its request is being handled. Looks without taking: a byte that arrives is
        the next request's (pipelined), which says nothing about the client leaving, so
        from then on (and where the loop cannot watch the socket) it never returns."""
        if self._eof:
            return
        while True:
            try:
                if not self._sock.recv(1, socket.MSG_PEEK):
                    return
            except (BlockingIOError, InterruptedError):
                if await self._io.readable():
                    continue
            except OSError:
                return  # reset: gone
            await self._loop.create_future()  # cancelled by the caller when it is done

    async def _recv(self) -> bytes:
        """At most one chunk from the socket, within the deadline and the input budget."""
        factor = 2 if self._in_head else 1
        size = min(READ_CHUNK, (FREE_INPUT_BYTES - self._held) // factor)
        if size <= 0:  # beyond the free allowance: the shared pool must cover this read
            size = READ_CHUNK
            need = self._held + size * factor - FREE_INPUT_BYTES - self._taken
            if need > 0:
                try:
                    await self._inputs.take(need, self._remaining())
                except asyncio.TimeoutError:
                    raise _Timeout() from None
                self._taken += need
        while True:
            try:
                data = await self._io.recv(size, self._deadline)
            except Expired:
                raise _Timeout() from None
            if self._fresh and data:
                # RFC 9112 2.2: empty lines before a request line are ignored.
                data = data.lstrip(b"\r\n")
                if not data:
                    continue
                self._fresh = False
                if self._idle:  # the keep-alive wait is over: the head has its own clock
                    self._idle = False
                    self._deadline = self._loop.time() + self._limits.header_timeout
            break
        if not data:
            self._eof = True
        if self._in_head:
            self._raw_head += data
        self._held += len(data) * factor
        self._settle()
        return data

    def _remaining(self) -> float:
        remaining = self._deadline - self._loop.time()
        if remaining <= 0:
            raise _Timeout()
        return remaining

    def _settle(self) -> None:
        """Give back what the pool lent beyond what is held over the free allowance."""
        keep = max(0, self._held - FREE_INPUT_BYTES)
        if self._taken > keep:
            self._inputs.give(self._taken - keep)
            self._taken = keep

    def _release_input(self) -> None:
        self._held = 0
        self._raw_head = bytearray()
        self._settle()

    # --- answering ----------------------------------------------------------------------

    def _call_admit(self, head: Request) -> Response | None:
        if self._admit is None:
            return None
        try:
            return self._admit(head)
        except Exception:
            logger.exception("admission failed for %s %.200s", head.method, head.path)
            return error_response(_internal())

    async def _call_handler(self, request: Request) -> Response | Drop | None:
        try:
            return await self._handler(request)
        except Exception:
            # A bug, not bad input (handlers turn bad input into ApiError): answer 500
            # without internals and keep serving other connections.
            logger.exception("unhandled error for %s %.200s", request.method, request.path)
            return error_response(_internal())

    async def _fail(self, error: ApiError) -> Drop | None:
        """Answer a request that could not be read, then close."""
        if self._h11.our_state not in (h11.IDLE, h11.SEND_RESPONSE):
            return Drop.CLOSE
        response = error_response(error)
        response.headers["Connection"] = "close"
        await self._send(response, head_only=False)
        return None

    async def _finish(self, response: Response, request: Request) -> bool:
        """Send the response; whether the connection can serve another request."""
        if self._h11.their_state is not h11.DONE:
            response.headers["Connection"] = "close"  # its body was never read
        await self._send(response, head_only=request.method == "HEAD")
        return self._h11.our_state is h11.DONE and self._h11.their_state is h11.DONE

    async def _send(self, response: Response, *, head_only: bool) -> None:
        body = b"" if head_only else response.body
        need = max(0, len(body) - FREE_OUTPUT_BYTES)
        if need and not self._outputs.try_take(need):
            logger.warning("output buffers full: answering 503 instead of %d bytes", len(body))
            busy = error_response(_busy())
            busy.headers.update({k: v for k, v in response.headers.items() if k == "Connection"})
            response, body, need = busy, busy.body, 0
        try:
            headers = [
                ("Content-Type", response.content_type),
                ("Content-Length", str(len(response.body))),
                *response.headers.items(),
            ]
            reason = _REASONS.get(response.status, b"Unknown")
            head = self._h11.send(
                h11.Response(status_code=response.status, headers=headers, reason=reason)
            )
            self._deadline = self._loop.time() + self._limits.write_timeout
            if head_only:
                await self._write((head or b"") + (self._h11.send(h11.EndOfMessage()) or b""))
                return
            pieces = self._h11.send_with_data_passthrough(h11.Data(data=body)) or []
            pieces.append(self._h11.send(h11.EndOfMessage()) or b"")
            if len(body) < FREE_OUTPUT_BYTES:
                await self._write(b"".join([head or b"", *pieces]))
            else:
                for piece in [head or b"", *pieces]:
                    await self._write(piece)
        finally:
            if need:
                self._outputs.give(need)

    async def _write(self, data: bytes) -> None:
        try:
            await self._io.send(data, self._deadline)
        except Expired:
            raise _WriteTimeout() from None

    def _protocol_error(self, error: Exception) -> ApiError:
        hint = getattr(error, "error_status_hint", 400)
        if hint == 431 and self._in_head:
            return ApiError(
                Code.INVALID_ARGUMENT,
                "request headers too large",
                reason="HEADERS_TOO_LARGE",
                http_status=431,
            )
        # Everything else h11 refuses is a malformed request: 400, never a 5xx (h11 would
        # say 501 for an unknown transfer coding; bad input never gets a 5xx here).
        # The message without the offending bytes, which may hold a token.
        problem = _RAW_BYTES.sub("", str(error))[:200]
        return ApiError(
            Code.INVALID_ARGUMENT, f"malformed request: {problem}", reason="MALFORMED_REQUEST"
        )

    # --- closing ------------------------------------------------------------------------

    async def _linger(self) -> None:
        """After a final reply, drain what the client still sends for a moment, so the
        kernel does not answer it with a reset that could destroy the reply in flight."""
        self._sock.shutdown(socket.SHUT_WR)
        deadline = self._loop.time() + LINGER_SECONDS
        with contextlib.suppress(Expired):
            while await self._io.recv(READ_CHUNK, deadline):
                pass  # dropped at once: at most one chunk held


def _timed_out(in_head: bool, limits: Limits) -> ApiError:
    what, seconds = ("headers", limits.header_timeout) if in_head else ("body", limits.body_timeout)
    return ApiError(
        Code.DEADLINE_EXCEEDED,
        f"the request {what} did not arrive within {seconds:g} s",
        reason="REQUEST_TIMEOUT",
        http_status=408,
    )


def _internal() -> ApiError:
    return ApiError(Code.INTERNAL, "internal server error", reason="INTERNAL")


def _busy() -> ApiError:
    return ApiError(
        Code.UNAVAILABLE,
        "the server holds too many responses that their clients have not read; retry",
        reason="OUTPUT_BUFFERS_FULL",
        headers={"Retry-After": "1"},
    )


__all__ = ["MISSING_H11", "HttpConnection", "json_response", "require_h11"]

"""HTTP requests and responses, and the synchronous transport (one urllib3 pool).

The generated layer (``lro_api``) *builds* requests; the transports here *send* them. A
transport does exactly one HTTP exchange per :meth:`Transport.send` call: it never retries
(:mod:`lro.retry` decides that), never follows redirects (a redirect could forward the
``Authorization`` header to another host, so a 3xx is returned as a response and becomes an
error) and always applies a timeout. Every failure to get a complete response is mapped to
a :class:`lro.errors.TransportError` subclass:

* :class:`~lro.errors.ConnectError`: refused connection, DNS failure, unreachable proxy; the
  request was never sent.
* :class:`~lro.errors.ConnectionDropped`: reset, protocol error, or the peer closed the
  connection before a complete response.
* :class:`~lro.errors.TransportTimeout`: a connect or read timeout.
* :class:`~lro.errors.TLSError`: the handshake or certificate verification failed.

urllib3 and ssl are imported lazily (``import lro`` stays cheap).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlsplit

from .errors import (
    ConnectError,
    ConnectionDropped,
    FailedPrecondition,
    InvalidResponse,
    TLSError,
    TransportError,
    TransportTimeout,
)

if TYPE_CHECKING:
    import ssl

    import urllib3

__all__ = [
    "DEFAULT_MAX_RESPONSE_BYTES",
    "Headers",
    "Request",
    "Response",
    "SyncTransport",
    "Transport",
    "make_ssl_context",
]

#: Largest response body read (decoded) before giving up with InvalidResponse.
DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024

_CHUNK = 256 * 1024
_REDACTED_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie"})


class Headers(Mapping[str, str]):
    """Case-insensitive, read-only response headers (the last value of a repeated header
    wins, except that repeated values are comma-joined as RFC 9110 allows)."""

    __slots__ = ("_items",)

    def __init__(self, items: Mapping[str, str] | Iterable[tuple[str, str]] = ()) -> None:
        pairs = items.items() if isinstance(items, Mapping) else items
        merged: dict[str, tuple[str, str]] = {}
        for key, value in pairs:
            low = key.lower()
            if low in merged:
                merged[low] = (merged[low][0], f"{merged[low][1]}, {value}")
            else:
                merged[low] = (key, value)
        self._items = merged

    def __getitem__(self, key: str) -> str:
        return self._items[key.lower()][1]

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key.lower() in self._items

    def __iter__(self) -> Iterator[str]:
        return (original for original, _ in self._items.values())

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        shown = {
            k: ("<redacted>" if k.lower() in _REDACTED_HEADERS else v)
            for k, v in self._items.values()
        }
        return f"Headers({shown!r})"


def _redacted(headers: Mapping[str, str]) -> dict[str, str]:
    return {k: ("<redacted>" if k.lower() in _REDACTED_HEADERS else v) for k, v in headers.items()}


@dataclass(frozen=True)
class Request:
    """One HTTP request, fully built (absolute URL, encoded body).

    ``timeout`` (seconds) applies to connecting and to each read; None means the
    transport's default. ``repr()`` never shows credentials.
    """

    method: str
    url: str
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes | None = None
    timeout: float | None = None

    @property
    def path(self) -> str:
        """The URL's path without the query (what is logged)."""
        return urlsplit(self.url).path

    def __repr__(self) -> str:
        size = len(self.body) if self.body is not None else 0
        return (
            f"Request({self.method} {self.url!r}, headers={_redacted(self.headers)!r}, "
            f"body={size} bytes, timeout={self.timeout!r})"
        )


@dataclass(frozen=True)
class Response:
    """One complete HTTP response: status, headers (case-insensitive) and the whole body."""

    status: int
    headers: Mapping[str, str]
    body: bytes

    @property
    def ok(self) -> bool:
        """True for a 2xx status."""
        return 200 <= self.status <= 299

    def __repr__(self) -> str:
        return f"Response({self.status}, {len(self.body)} bytes)"


class SyncTransport(Protocol):
    """What :class:`lro.Client` needs from a transport (tests may plug in a fake)."""

    def send(self, request: Request) -> Response:
        """Do one exchange; raise only :class:`lro.errors.Error` subclasses."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...


def make_ssl_context(verify: bool = True, ca_certs: str | None = None) -> ssl.SSLContext:
    """The TLS context both transports use.

    ``verify=True`` (default) checks certificates and host names against ``ca_certs`` (a PEM
    file or directory) or, when None, the system's default trust store (certifi is not
    used). ``verify=False`` turns checking off; use it only against test servers.
    """
    import os
    import ssl

    if verify:
        if ca_certs is not None and os.path.isdir(ca_certs):
            context = ssl.create_default_context(capath=ca_certs)
        else:
            context = ssl.create_default_context(cafile=ca_certs)
    else:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def too_large(limit: int) -> InvalidResponse:
    """The error for a response body over ``limit`` bytes."""
    return InvalidResponse(f"response body larger than {limit} bytes; not read")


def _describe(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text if len(text) <= 300 else text[:297] + "..."


def map_os_error(exc: BaseException, *, connecting: bool) -> TransportError:
    """Map a socket-level exception (also used by the async transport)."""
    import socket
    import ssl

    if isinstance(exc, TransportError):
        return exc
    message = _describe(exc)
    if isinstance(exc, (ssl.SSLCertVerificationError, ssl.SSLError, ssl.CertificateError)):
        return TLSError(f"TLS error: {message}")
    if isinstance(exc, TimeoutError | socket.timeout):
        phase = "connect" if connecting else "read"
        return TransportTimeout(f"{phase} timeout: {message}")
    if isinstance(exc, socket.gaierror):
        return ConnectError(f"cannot resolve host: {message}")
    if connecting and isinstance(exc, OSError):
        return ConnectError(f"cannot connect: {message}")
    return ConnectionDropped(f"connection dropped: {message}")


def _map_urllib3_error(exc: BaseException) -> TransportError | InvalidResponse:
    import http.client

    from urllib3 import exceptions as ux

    if isinstance(exc, ux.MaxRetryError) and exc.reason is not None:
        exc = exc.reason
    message = _describe(exc)
    if isinstance(exc, ux.SSLError):
        return TLSError(f"TLS error: {message}")
    # NewConnectionError (and NameResolutionError) subclass ConnectTimeoutError: test first.
    if isinstance(exc, ux.NewConnectionError):
        return ConnectError(f"cannot connect: {message}")
    if isinstance(exc, ux.ProxyError):
        return ConnectError(f"proxy error: {message}")
    if isinstance(exc, ux.ConnectTimeoutError):
        return TransportTimeout(f"connect timeout: {message}")
    if isinstance(exc, ux.ReadTimeoutError | ux.TimeoutError):
        return TransportTimeout(f"read timeout: {message}")
    if isinstance(exc, ux.ProtocolError):
        cause = exc.args[1] if len(exc.args) > 1 else exc.__cause__
        if isinstance(cause, http.client.HTTPException) and not isinstance(
            cause, http.client.RemoteDisconnected | http.client.IncompleteRead
        ):  # a garbled status line or header: the peer does not speak HTTP properly
            return InvalidResponse(f"malformed HTTP response: {_describe(cause)}")
        return ConnectionDropped(f"connection dropped: {message}")
    if isinstance(exc, ux.DecodeError | ux.IncompleteRead):
        return ConnectionDropped(f"connection dropped: {message}")
    if isinstance(exc, ux.HTTPError):
        return TransportError(f"HTTP transport error: {message}")
    return map_os_error(exc, connecting=False)


class Transport:
    """Synchronous transport: one thread-safe ``urllib3.PoolManager`` for all requests.

    Args:
        timeout: default per-request timeout in seconds (connect and each read) for
            requests without their own; None waits without limit (not advised).
        verify: check TLS certificates (default True).
        ca_certs: PEM bundle or directory to trust instead of the system store.
        max_connections: kept-alive connections per host; more are opened when needed
            (``block=False``) and closed after use.
        max_response_bytes: larger bodies raise :class:`~lro.errors.InvalidResponse`.
    """

    def __init__(
        self,
        *,
        timeout: float | None = 30.0,
        verify: bool = True,
        ca_certs: str | None = None,
        max_connections: int = 10,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
    ) -> None:
        import urllib3

        self.timeout = timeout
        self.max_response_bytes = max_response_bytes
        self._lock = threading.Lock()
        self._closed = False
        self._verify = verify
        self._ca_certs = ca_certs
        # A Retry object (not False) so urllib3 does not log a conversion on every request.
        self._no_retries = urllib3.Retry(total=False, redirect=False)
        self._options: dict[str, Any] = {
            "num_pools": 10,
            "maxsize": max_connections,
            "block": False,
            "retries": self._no_retries,
        }
        self._pool = urllib3.PoolManager(**self._options)
        # Made on the first https request: loading the trust store costs ~20 ms.
        self._tls_pool: urllib3.PoolManager | None = None

    def _pool_for(self, url: str) -> urllib3.PoolManager:
        if not url[:8].lower().startswith("https://"):
            return self._pool
        if self._tls_pool is not None:
            return self._tls_pool
        with self._lock:
            if self._tls_pool is None:
                import urllib3

                options = dict(self._options)
                if not self._verify:
                    options.update(cert_reqs="CERT_NONE", assert_hostname=False)
                context = make_ssl_context(self._verify, self._ca_certs)
                self._tls_pool = urllib3.PoolManager(ssl_context=context, **options)
            return self._tls_pool

    def send(self, request: Request) -> Response:
        """Send one request and read the whole response; see the module docstring."""
        import urllib3

        if self._closed:
            raise FailedPrecondition("the client is closed")
        seconds = request.timeout if request.timeout is not None else self.timeout
        timeout = urllib3.Timeout(connect=seconds, read=seconds)
        try:
            raw = self._pool_for(request.url).urlopen(
                request.method,
                request.url,
                body=request.body,
                headers=dict(request.headers),
                retries=self._no_retries,
                redirect=False,
                timeout=timeout,
                preload_content=False,
                assert_same_host=False,
            )
        except Exception as exc:  # urllib3 errors, OSError, ssl errors
            raise _map_urllib3_error(exc) from None
        try:
            body = self._read(raw)
        except InvalidResponse:
            raw.close()  # do not return a half-read connection to the pool
            raise
        except Exception as exc:
            raw.close()
            raise _map_urllib3_error(exc) from None
        raw.release_conn()
        return Response(raw.status, Headers(list(raw.headers.items())), body)

    def _read(self, raw: urllib3.BaseHTTPResponse) -> bytes:
        limit = self.max_response_bytes
        length = raw.headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > limit:
            raise too_large(limit)
        chunks: list[bytes] = []
        size = 0
        while True:
            chunk = raw.read(_CHUNK)
            if not chunk:
                break
            size += len(chunk)
            if size > limit:
                raise too_large(limit)
            chunks.append(chunk)
        return b"".join(chunks)

    def close(self) -> None:
        """Close every pooled connection; later sends raise FailedPrecondition."""
        with self._lock:
            self._closed = True
            pools = [self._pool, self._tls_pool]
        for pool in pools:
            if pool is not None:
                pool.clear()

    def __repr__(self) -> str:
        return f"Transport(timeout={self.timeout!r})"

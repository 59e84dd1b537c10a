"""The synchronous transport: one thread-safe urllib3 pool, one exchange per ``send``.

What a transport must do (and never do) is :mod:`lro._core.http`'s contract; this module
maps urllib3's failures onto it. urllib3 is imported on first use.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from lro._core.errors import (
    ConnectError,
    ConnectionDropped,
    FailedPrecondition,
    InvalidResponse,
    TLSError,
    TransportError,
    TransportTimeout,
    chain,
)
from lro._core.http import (
    DEFAULT_MAX_RESPONSE_BYTES,
    Headers,
    Request,
    Response,
    credentials,
    too_large,
)
from lro._net import describe, make_ssl_context, map_os_error

if TYPE_CHECKING:
    import urllib3

__all__ = ["Transport"]

_CHUNK = 256 * 1024


def _map_urllib3_error(exc: BaseException) -> TransportError | InvalidResponse:
    import http.client

    from urllib3 import exceptions as ux

    if isinstance(exc, ux.MaxRetryError) and exc.reason is not None:
        exc = exc.reason
    message = describe(exc)
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
            return InvalidResponse(f"malformed HTTP response: {describe(cause)}")
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
            failure: BaseException = exc
        else:
            try:
                body = self._read(raw)
            except InvalidResponse:
                raw.close()  # do not return a half-read connection to the pool
                raise
            except Exception as exc:
                raw.close()
                failure = exc
            else:
                raw.release_conn()
                return Response(raw.status, Headers(list(raw.headers.items())), body)
        # Raised here, outside the except blocks, so that the cause is chained only when
        # its text shows no credential (see chain()); inside, Python would chain it anyway.
        raise chain(_map_urllib3_error(failure), failure, credentials(request.headers))

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

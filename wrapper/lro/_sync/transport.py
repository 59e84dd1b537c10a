"""The synchronous transport: one thread-safe urllib3 pool, one exchange per ``send``.

What a transport must do (and never do) is :mod:`lro._core.http`'s contract; this module
maps urllib3's failures onto it. urllib3 is imported on first use.

Proxies (:mod:`lro._core.proxies`): ``proxy=`` or, with ``trust_env`` (default), the
``HTTPS_PROXY`` / ``HTTP_PROXY`` / ``ALL_PROXY`` / ``NO_PROXY`` variables read when the
transport is made. ``http://`` requests go to the proxy in absolute form; ``https://``
ones through a ``CONNECT`` tunnel, with the service's certificate verified end to end
(the proxy sees only ciphertext). Proxy credentials are sent as ``Proxy-Authorization``
and never shown.

Deadlines are wall-clock (:meth:`Request.deadline <lro._core.http.Request.deadline>`:
the request's timeout, or the transport's, shortened to its ``time_left``). urllib3 times
each socket operation on its own, so this transport reads every response, the interim
``1xx`` ones and a proxy's ``CONNECT`` answer included, through a reader that gives each
read only the time left before the deadline: a server that drips one byte at a time, or
sends ``100 Continue`` forever, is cut off at the deadline with
:class:`~lro.errors.TransportTimeout`. Connecting (TCP, then the TLS handshake) and
sending are bounded by the whole timeout each.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from lro._core.bodies import BodyReader
from lro._core.errors import (
    ConnectError,
    ConnectionDropped,
    Error,
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
    wire_headers,
)
from lro._net import describe, make_ssl_context, map_os_error, proxy_env

if TYPE_CHECKING:
    import urllib3

    from lro._core.proxies import Proxy

__all__ = ["Transport"]

M = TypeVar("M", bound="urllib3.PoolManager")

_CHUNK = 256 * 1024

# The monotonic deadline of the request this thread is sending (read by _pool_classes's
# response class when urllib3 makes it), or None.
_sending = threading.local()
_CLASSES: dict[str, Any] | None = None


def _pool_classes() -> dict[str, Any]:
    """urllib3's pool classes, with connections whose responses read through a reader
    bounded by the request's deadline (made once: urllib3 is imported on first use)."""
    global _CLASSES
    if _CLASSES is not None:
        return _CLASSES
    import http.client
    import io
    import socket

    from urllib3.connection import HTTPConnection, HTTPSConnection
    from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

    class DeadlineReader(io.RawIOBase):
        """The socket reader of one response: each read gets the time left, then fails."""

        def __init__(self, inner: Any, sock: socket.socket, deadline: float) -> None:
            super().__init__()
            self._inner, self._sock, self._deadline = inner, sock, deadline

        def readable(self) -> bool:
            return True

        def readinto(self, buffer: Any) -> int:
            left = self._deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("the request deadline passed")
            self._sock.settimeout(left)
            read: int = self._inner.readinto(buffer)
            return read

        def close(self) -> None:
            if not self.closed:
                self._inner.close()  # the socket's own reader: releases its reference
            super().close()

    class DeadlineResponse(http.client.HTTPResponse):
        def __init__(self, sock: socket.socket, *args: Any, **kwargs: Any) -> None:
            super().__init__(sock, *args, **kwargs)
            deadline = getattr(_sending, "deadline", None)
            if deadline is not None:
                inner = self.fp.detach()  # detached: dropping the old reader closes nothing
                self.fp = io.BufferedReader(DeadlineReader(inner, sock, deadline))

    class Connection(HTTPConnection):
        response_class = DeadlineResponse

    class TLSConnection(HTTPSConnection):
        response_class = DeadlineResponse

    class Pool(HTTPConnectionPool):
        ConnectionCls = Connection

    class TLSPool(HTTPSConnectionPool):
        ConnectionCls = TLSConnection

    _CLASSES = {"http": Pool, "https": TLSPool}
    return _CLASSES


def _map_urllib3_error(exc: BaseException) -> Error:
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
        if " 407 " in message:  # the tunnel was refused: retrying would not help
            return FailedPrecondition(f"proxy error: {message}", http_status=407)
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
        timeout: default deadline in seconds of a request without its own (the whole
            exchange, wall-clock; see the module docstring); None waits without limit
            (not advised).
        verify: check TLS certificates (default True).
        ca_certs: PEM bundle or directory to trust instead of the system store.
        max_connections: kept-alive connections per host; more are opened when needed
            (``block=False``) and closed after use.
        max_response_bytes: larger bodies raise :class:`~lro.errors.InvalidResponse`.
        proxy: send every request through this proxy (``http://[user:pass@]host:port``),
            whatever the environment says.
        trust_env: read the proxy variables from the environment (see the module
            docstring) when ``proxy`` is None; False ignores them.
    """

    def __init__(
        self,
        *,
        timeout: float | None = 30.0,
        verify: bool = True,
        ca_certs: str | None = None,
        max_connections: int = 10,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        proxy: str | None = None,
        trust_env: bool = True,
    ) -> None:
        import urllib3

        self.proxy: Proxy | None = None
        if proxy is not None:
            from lro._core.proxies import parse_proxy

            self.proxy = parse_proxy(proxy)
        # Read once, as httpx does: a request never depends on a later change of os.environ.
        self._env: Mapping[str, str] = proxy_env() if trust_env and proxy is None else {}
        self._routes: dict[tuple[str, str | None, int | None], Proxy | None] = {}
        self._proxy_pools: dict[tuple[Proxy, bool], urllib3.ProxyManager] = {}
        self._proxy_secrets: list[str] = []
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
        self._pool = self._bounded(urllib3.PoolManager(**self._options))
        # Made on the first https request: loading the trust store costs ~20 ms.
        self._tls_pool: urllib3.PoolManager | None = None

    @staticmethod
    def _bounded(manager: M) -> M:
        """``manager`` with connections that read within the request's deadline."""
        manager.pool_classes_by_scheme = _pool_classes()
        return manager

    def _proxy_of(self, url: str) -> Proxy | None:
        if self.proxy is not None:
            return self.proxy
        if not self._env:
            return None
        from urllib.parse import urlsplit

        parts = urlsplit(url)
        key = (parts.scheme, parts.hostname, parts.port)
        if key not in self._routes:
            from lro._core.proxies import proxy_for

            self._routes[key] = proxy_for(url, self._env)
        return self._routes[key]

    def _pool_for(self, url: str) -> urllib3.PoolManager:
        proxy = self._proxy_of(url)
        tls = url[:8].lower().startswith("https://")
        if proxy is not None:
            return self._proxy_pool(proxy, tls)
        if not tls:
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
                self._tls_pool = self._bounded(urllib3.PoolManager(ssl_context=context, **options))
            return self._tls_pool

    def _proxy_pool(self, proxy: Proxy, tls: bool) -> urllib3.ProxyManager:
        pool = self._proxy_pools.get((proxy, tls))
        if pool is not None:
            return pool
        with self._lock:
            pool = self._proxy_pools.get((proxy, tls))
            if pool is None:
                import urllib3

                options = dict(self._options)
                if tls:  # the service's certificate, verified through the CONNECT tunnel
                    if not self._verify:
                        options.update(cert_reqs="CERT_NONE", assert_hostname=False)
                    options["ssl_context"] = make_ssl_context(self._verify, self._ca_certs)
                if proxy.scheme == "https":  # TLS to the proxy too, verified the same way
                    options["proxy_ssl_context"] = make_ssl_context(self._verify, self._ca_certs)
                authorization = proxy.authorization()
                headers = None
                if authorization:
                    headers = {"Proxy-Authorization": authorization}
                    secrets = (authorization, authorization.split()[-1], proxy.password)
                    self._proxy_secrets += [s for s in secrets if s]
                pool = self._bounded(
                    urllib3.ProxyManager(proxy.url, proxy_headers=headers, **options)
                )
                self._proxy_pools[(proxy, tls)] = pool
            return pool

    def send(self, request: Request) -> Response:
        """Send one request and read the whole response; see the module docstring."""
        import urllib3

        if self._closed:
            raise FailedPrecondition("the client is closed")
        seconds = request.deadline(self.timeout)
        timeout = urllib3.Timeout(connect=seconds, read=seconds)
        pool = self._pool_for(request.url)  # a bad proxy variable: InvalidArgument, here
        deadline = None if seconds is None else time.monotonic() + seconds
        _sending.deadline = deadline
        try:
            raw = pool.urlopen(
                request.method,
                request.url,
                body=request.body,
                headers=wire_headers(request.headers),
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
        finally:
            _sending.deadline = None
        mapped = _map_urllib3_error(failure)
        late = deadline is not None and time.monotonic() >= deadline - 0.001
        if isinstance(mapped, TransportTimeout) and late:  # cut off by the deadline itself
            mapped = TransportTimeout(f"request deadline of {seconds:g} s passed")
        # Raised here, outside the except blocks, so that the cause is chained only when
        # its text shows no credential (see chain()); inside, Python would chain it anyway.
        secrets = credentials(request.headers) + self._proxy_secrets
        raise chain(mapped, failure, secrets)

    def _read(self, raw: urllib3.BaseHTTPResponse) -> bytes:
        headers = raw.headers
        reader = BodyReader(
            headers.get("content-length"), headers.get("content-encoding"), self.max_response_bytes
        )
        while chunk := raw.read(_CHUNK, decode_content=False):  # decoded by the core's reader
            reader.feed(chunk)
        return reader.body()

    def close(self) -> None:
        """Close every pooled connection; later sends raise FailedPrecondition."""
        with self._lock:
            self._closed = True
            pools = [self._pool, self._tls_pool, *self._proxy_pools.values()]
        for pool in pools:
            if pool is not None:
                pool.clear()

    def __repr__(self) -> str:
        proxy = f", proxy={self.proxy!r}" if self.proxy is not None else ""
        return f"Transport(timeout={self.timeout!r}{proxy})"

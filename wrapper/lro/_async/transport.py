"""The asyncio transport: one exchange per ``send`` through ``httpx.AsyncClient``.

httpx comes with the extra ``[async]`` (``pip install 'lro-sdk[async]'``); it is imported when
an :class:`AsyncTransport` is made, never by ``import lro`` or ``import lro.aio``. What a
transport must do (and never do) is :mod:`lro._core.http`'s contract; this module maps
httpx's behaviour and failures onto it, as ``lro._sync.transport`` does for urllib3:

* Redirects are never followed: a 3xx is returned as a response (the client makes it an
  error), so ``Authorization`` never goes to another host.
* Proxies as in the sync transport (:mod:`lro._core.proxies`, the same rules): ``proxy=``,
  or with ``trust_env`` (default) ``HTTPS_PROXY`` / ``HTTP_PROXY`` / ``ALL_PROXY`` /
  ``NO_PROXY`` read when the transport is made; ``https://`` goes through ``CONNECT`` with
  the service's certificate verified end to end; proxy credentials are sent as
  ``Proxy-Authorization`` and never shown. Nothing else is read from the environment
  (httpx's own ``trust_env`` stays False: no netrc, no ``SSL_CERT_FILE``); TLS uses
  :func:`lro._net.make_ssl_context`, like the sync transport.
* Deadlines are wall-clock: the whole exchange (connect, send, the headers, interim ``1xx``
  responses, the whole body) ends by the request's deadline (:meth:`Request.deadline
  <lro._core.http.Request.deadline>`: its timeout, or the transport's, shortened to its
  ``time_left``), so a server trickling bytes cannot hold a request past it; then
  :class:`~lro.errors.TransportTimeout`.
* The body is streamed: a ``Content-Length`` over ``max_response_bytes`` is refused before
  reading, any other body as soon as it passes the cap. ``Accept-Encoding: identity`` is
  asked for; ``gzip`` (every member) and ``deflate`` bodies are decoded by the core's
  :class:`~lro._core.bodies.BodyReader`, as in the sync transport, the cap applying to the
  decoded size too; any other coding, or a body that does not decode, is InvalidResponse.
* Cookies are neither stored nor sent. No request is ever re-sent (httpx ``retries=0``).
* A connection whose response was not read to the end (an error, a timeout, a cancelled
  task) is closed, never pooled: a late answer is never read as another request's.
* Connections belong to the event loop that opened them: used from another loop, the
  transport opens new ones.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any, TypeVar

from lro._core.bodies import BodyReader
from lro._core.errors import (
    ConnectError,
    ConnectionDropped,
    Error,
    FailedPrecondition,
    InvalidArgument,
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
from lro._core.proxies import Proxy, parse_proxy, proxy_for
from lro._net import describe, make_ssl_context, map_os_error, proxy_env

if TYPE_CHECKING:
    import httpx

__all__ = ["INSTALL_HINT", "AsyncTransport", "import_httpx"]

T = TypeVar("T")

#: What to run when httpx is missing.
INSTALL_HINT = "pip install 'lro-sdk[async]'"
# What h11 / httpcore say when the server closed the connection before a whole response.
_DROPPED_MARKERS = ("disconnected", "closed connection")


def import_httpx() -> None:
    """Import httpx, or raise a ModuleNotFoundError that names the extra bringing it."""
    try:
        import httpx  # noqa: F401
    except ImportError as exc:
        raise ModuleNotFoundError(
            f"lro.AsyncClient sends through httpx, which is not installed: {INSTALL_HINT}",
            name="httpx",
        ) from exc


async def _within(seconds: float, work: Coroutine[Any, Any, T]) -> T:
    """``await work``, cancelled with TimeoutError once ``seconds`` have passed."""
    if sys.version_info >= (3, 11):
        async with asyncio.timeout(seconds):
            return await work
    return await asyncio.wait_for(work, seconds)  # pragma: no cover - Python 3.10


class AsyncTransport:
    """Asynchronous transport over ``httpx.AsyncClient`` (see the module docstring).

    Args:
        timeout: default deadline in seconds of a request without its own (the whole
            exchange, wall-clock); None waits without limit (not advised).
        verify: check TLS certificates (default True).
        ca_certs: PEM bundle or directory to trust instead of the system store.
        max_connections: kept-alive connections per host; more are opened when needed
            and closed after use.
        max_response_bytes: larger bodies raise :class:`~lro.errors.InvalidResponse`.
        proxy: send every request through this proxy (``http://[user:pass@]host:port``),
            whatever the environment says.
        trust_env: read the proxy variables from the environment when ``proxy`` is None
            (see the module docstring); False ignores them.

    Raises:
        ModuleNotFoundError: httpx is missing (``pip install 'lro-sdk[async]'``).

    Not tied to an event loop until the first request.
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
        import_httpx()
        self.proxy: Proxy | None = parse_proxy(proxy) if proxy is not None else None
        # Read once, as httpx does: a request never depends on a later change of os.environ.
        self._env = proxy_env() if trust_env and proxy is None else {}
        self._routes: dict[tuple[str, str | None, int | None], Proxy | None] = {}
        self._proxy_secrets: list[str] = []
        self.timeout = timeout
        self.max_connections = max_connections
        self.max_response_bytes = max_response_bytes
        self._verify = verify
        self._ca_certs = ca_certs
        self._loop: asyncio.AbstractEventLoop | None = None
        # One httpx client per scheme (and proxy), made on first use: plain http never
        # loads the trust store (about 20 ms), as in the sync transport.
        self._clients: dict[tuple[bool, Proxy | None], httpx.AsyncClient] = {}
        self._closed = False

    def _proxy_of(self, url: str) -> Proxy | None:
        if self.proxy is not None or not self._env:
            return self.proxy
        from urllib.parse import urlsplit

        parts = urlsplit(url)
        key = (parts.scheme, parts.hostname, parts.port)
        if key not in self._routes:
            self._routes[key] = proxy_for(url, self._env)
        return self._routes[key]

    def _client(self, url: str) -> httpx.AsyncClient:
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            # Another (or a closed) loop's connections cannot be used here: start afresh.
            self._clients = {}
            self._loop = loop
        key = (url[:8].lower() == "https://", self._proxy_of(url))
        client = self._clients.get(key)
        if client is None:
            client = self._clients[key] = self._new_client(*key)
        return client

    def _new_client(self, tls: bool, proxy: Proxy | None = None) -> httpx.AsyncClient:
        import http.cookiejar

        import httpx

        limits = httpx.Limits(max_connections=None, max_keepalive_connections=self.max_connections)
        # Plain http never does TLS, so that client gets httpx's cheap no-verify context.
        verify = make_ssl_context(self._verify, self._ca_certs) if tls else False
        via: httpx.Proxy | None = None
        if proxy is not None:
            # Our own rules chose this proxy (lro._core.proxies); httpx reads no variable.
            authorization = proxy.authorization()
            headers = {"Proxy-Authorization": authorization} if authorization else None
            if authorization:
                secrets = (authorization, authorization.split()[-1], proxy.password)
                self._proxy_secrets += [s for s in secrets if s]
            context = None
            if proxy.scheme == "https":  # TLS to the proxy too, verified the same way
                context = make_ssl_context(self._verify, self._ca_certs)
            via = httpx.Proxy(proxy.url, headers=headers, ssl_context=context)
        transport = httpx.AsyncHTTPTransport(
            verify=verify, limits=limits, trust_env=False, retries=0, proxy=via
        )
        no_cookies = http.cookiejar.CookieJar(
            http.cookiejar.DefaultCookiePolicy(allowed_domains=[])
        )
        client: httpx.AsyncClient = httpx.AsyncClient(
            transport=transport, follow_redirects=False, trust_env=False, cookies=no_cookies
        )
        return client

    # -- exchange -----------------------------------------------------------------------

    async def send(self, request: Request) -> Response:
        """Send one request and read the whole response; see the module docstring."""
        if self._closed:
            raise FailedPrecondition("the client is closed")
        seconds = request.deadline(self.timeout)
        client = self._client(request.url)  # a bad proxy variable: InvalidArgument, here
        if seconds is None:
            return await self._exchange(client, request, None)
        try:
            return await _within(seconds, self._exchange(client, request, seconds))
        except (TimeoutError, asyncio.TimeoutError):
            raise TransportTimeout(f"request deadline of {seconds:g} s passed") from None

    async def _exchange(
        self, client: httpx.AsyncClient, request: Request, seconds: float | None
    ) -> Response:
        import httpx

        headers = wire_headers(request.headers)  # Latin-1, as the sync transport sends
        if not any(key.lower() == "accept-encoding" for key in headers):
            headers["Accept-Encoding"] = b"identity"
        try:
            outgoing = httpx.Request(
                request.method,
                request.url,
                headers=[(name.encode("ascii"), value) for name, value in headers.items()],
                content=request.body,
                extensions={"timeout": httpx.Timeout(seconds).as_dict()},
            )
            answer = await client.send(outgoing, stream=True)
            try:
                body = await self._read(answer)
            finally:
                await answer.aclose()  # pools the connection only after a complete body
        except Error:
            raise
        except (httpx.HTTPError, httpx.InvalidURL, OSError) as exc:
            failure: BaseException = exc
        else:
            pairs = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in answer.headers.raw]
            return Response(answer.status_code, Headers(pairs), body)
        # Raised here, outside the except block, so that the cause is chained only when its
        # text shows no credential (see chain()); inside, Python would chain it anyway.
        secrets = credentials(request.headers) + self._proxy_secrets
        raise chain(_map_error(failure, seconds), failure, secrets)

    async def _read(self, answer: httpx.Response) -> bytes:
        headers = answer.headers
        reader = BodyReader(
            headers.get("content-length"), headers.get("content-encoding"), self.max_response_bytes
        )
        async for raw in answer.aiter_raw():  # decoded by the core's reader, as in sync
            reader.feed(raw)
        return reader.body()

    async def close(self) -> None:
        """Close every connection, idle or in use; later sends raise FailedPrecondition."""
        self._closed = True
        clients, self._clients = self._clients, {}
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is not None and running is self._loop:
            for client in clients.values():
                await client.aclose()
        # Clients of another (closed) loop cannot be closed from here: dropped.

    def __repr__(self) -> str:
        proxy = f", proxy={self.proxy!r}" if self.proxy is not None else ""
        return f"AsyncTransport(timeout={self.timeout!r}{proxy})"


def _chain(exc: BaseException) -> list[BaseException]:
    """``exc`` and the exceptions it was raised from, in order."""
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def _map_error(exc: BaseException, seconds: float | None) -> Error:
    """The SDK's error for an httpx (or socket) failure (chain() cuts any credential)."""
    import socket
    import ssl

    import httpx

    message = describe(exc)
    if isinstance(exc, httpx.TimeoutException):
        phase = {
            httpx.ConnectTimeout: "connect",
            httpx.WriteTimeout: "write",
            httpx.PoolTimeout: "connection pool",
        }.get(type(exc), "read")
        return TransportTimeout(f"{phase} timeout after {seconds} s")
    if isinstance(exc, httpx.ConnectError):
        causes = _chain(exc)
        if any(isinstance(cause, ssl.SSLError) for cause in causes):
            return TLSError(f"TLS error: {message}")
        if any(isinstance(cause, socket.gaierror) for cause in causes):
            return ConnectError(f"cannot resolve host: {message}")
        return ConnectError(f"cannot connect: {message}")
    if isinstance(exc, httpx.ProxyError):
        if "407" in message:  # the tunnel was refused: retrying would not help
            return FailedPrecondition(f"proxy error: {message}", http_status=407)
        return ConnectError(f"proxy error: {message}")
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL):
        return InvalidArgument(f"cannot send to this URL: {message}")
    if isinstance(exc, httpx.LocalProtocolError):
        return InvalidArgument(f"the request is not valid HTTP: {message}")
    if isinstance(exc, httpx.RemoteProtocolError):
        if any(marker in message for marker in _DROPPED_MARKERS):
            return ConnectionDropped(f"connection dropped: {message}")
        return InvalidResponse(f"malformed HTTP response: {message}")
    if isinstance(exc, httpx.ReadError | httpx.WriteError | httpx.CloseError):
        return ConnectionDropped(f"connection dropped: {message}")
    if isinstance(exc, httpx.DecodingError | httpx.TooManyRedirects):
        return InvalidResponse(f"bad HTTP response: {message}")
    if isinstance(exc, httpx.HTTPError):
        return TransportError(f"HTTP transport error: {message}")
    return map_os_error(exc, connecting=False)

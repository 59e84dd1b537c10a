"""HTTP requests and responses as plain values, and the transport Protocols.

The request recipes (:mod:`lro._core.recipes`) build a :class:`Request`; a transport
(``lro._sync.transport.Transport`` over urllib3, ``lro._async.transport.AsyncTransport``
for asyncio, or the user's own) sends it and returns a :class:`Response`. A transport does
exactly one HTTP exchange per ``send``: it never retries (the core decides that), never
follows redirects (a redirect could forward the ``Authorization`` header to another host,
so a 3xx is returned as a response and becomes an error) and always applies a timeout.
Every failure to get a complete response is a :class:`lro.errors.TransportError`:

* :class:`~lro.errors.ConnectError`: refused connection, DNS failure, unreachable proxy; the
  request was never sent.
* :class:`~lro.errors.ConnectionDropped`: reset, protocol error, or the peer closed the
  connection before a complete response.
* :class:`~lro.errors.TransportTimeout`: the request's deadline passed.

A request's deadline is wall-clock: ``Request.timeout`` (or the transport's default)
bounds the whole exchange, from connecting to the last byte of the body, whatever the
server sends meanwhile (a byte at a time, interim ``1xx`` responses), and
``Request.time_left`` (the time left of the wait the request is part of) shortens it.
* :class:`~lro.errors.TLSError`: the handshake or certificate verification failed.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Protocol
from urllib.parse import urlsplit

from .errors import InvalidArgument, InvalidResponse

__all__ = [
    "DEFAULT_MAX_RESPONSE_BYTES",
    "AsyncTransportLike",
    "Headers",
    "Request",
    "Response",
    "SyncTransport",
    "credentials",
    "is_secret_header",
    "too_large",
    "wire_headers",
]

#: Largest response body read (decoded) before giving up with InvalidResponse.
DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024

_REDACTED_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie"})
# Names that carry credentials by convention: x-goog-api-key, x-api-key, x-auth-token...
_SECRET_SUFFIXES = ("-key", "-token", "-secret", "-password", "-credential", "-credentials")


def is_secret_header(name: str) -> bool:
    """Whether a header's value is a credential, never to be shown (``Authorization``,
    ``Proxy-Authorization``, ``Cookie``, and names like ``*-key``, ``*-token``,
    ``*-secret``, ``*-password``)."""
    low = name.lower()
    return low in _REDACTED_HEADERS or low.endswith(_SECRET_SUFFIXES) or low in ("key", "token")


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
        shown = {k: ("<redacted>" if is_secret_header(k) else v) for k, v in self._items.values()}
        return f"Headers({shown!r})"


def _redacted(headers: Mapping[str, str]) -> dict[str, str]:
    return {k: ("<redacted>" if is_secret_header(k) else v) for k, v in headers.items()}


def credentials(headers: Mapping[str, str]) -> list[str]:
    """The credentials in ``headers`` (what ``repr()`` redacts), what no error may show:
    each whole value and its credential proper (``"Bearer t0k"`` gives ``"Bearer t0k"`` and
    ``"t0k"``: the first word after the scheme, which any rendering of the value shows)."""
    found = []
    for key, value in headers.items():
        if is_secret_header(key) and value:
            words = value.split()
            found += [value, *words[1:2]]
    return found


def wire_headers(headers: Mapping[str, str]) -> dict[str, bytes]:
    """``headers`` as both transports put them on the wire: each value as Latin-1 bytes
    (RFC 9110 5.5: field values are octets; ``lro._core.auth`` admits printable Latin-1).

    urllib3 (http.client) would encode Latin-1 by itself and httpx ASCII, failing with a
    bare ``UnicodeEncodeError``: encoding here makes both halves send the same bytes.

    Raises:
        InvalidArgument: a value Latin-1 cannot encode (the value is never quoted).
    """
    try:
        return {name: value.encode("latin-1") for name, value in headers.items()}
    except UnicodeEncodeError:
        bad = [name for name, value in headers.items() if not _latin1(value)]
        raise InvalidArgument(f"the value of header {bad[0]} is not Latin-1 text") from None


def _latin1(value: str) -> bool:
    try:
        value.encode("latin-1")
    except UnicodeEncodeError:
        return False
    return True


@dataclass(frozen=True)
class Request:
    """One HTTP request, fully built (absolute URL, encoded body).

    ``timeout`` (seconds) bounds the whole exchange (connect, send, every read of
    headers and body); None means the transport's default. ``time_left`` (seconds), when
    set, is what is left of the wait (or other deadline) the request is part of: the
    exchange then ends by ``min(timeout, time_left)``. ``repr()`` never shows credentials.
    """

    method: str
    url: str
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes | None = None
    timeout: float | None = None
    time_left: float | None = None

    def deadline(self, default: float | None) -> float | None:
        """Seconds the whole exchange may take: ``timeout`` (else ``default``, the
        transport's), shortened to ``time_left``; None: no limit."""
        seconds = self.timeout if self.timeout is not None else default
        if self.time_left is None:
            return seconds
        return self.time_left if seconds is None else min(seconds, self.time_left)

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
    """What :class:`lro.Client` needs from a transport (users may plug in their own)."""

    def send(self, request: Request) -> Response:
        """Do one exchange; raise only :class:`lro.errors.Error` subclasses."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...


def too_large(limit: int) -> InvalidResponse:
    """The error for a response body over ``limit`` bytes."""
    return InvalidResponse(f"response body larger than {limit} bytes; not read")


class AsyncTransportLike(Protocol):
    """What :class:`AsyncClient` needs from a transport (users may plug in their own)."""

    async def send(self, request: Request) -> Response:
        """Do one exchange; raise only :class:`lro.errors.Error` subclasses."""
        ...

    async def close(self) -> None:
        """Release connections."""
        ...

"""Credentials: what every request of a client carries, configured once on the client.

:class:`Auth` holds a client's ``token=`` (a string, or a callable returning the current
token: asked for each request), its ``api_key=`` (sent as ``x-goog-api-key``) and its
``headers=`` (added to every request, e.g. ``x-goog-user-project``). The I/O halves apply
it to each request just before sending (:meth:`Auth.sign`), so the requests a waiter, a
pager or a bound operation makes in the background carry the same credentials, and on a
401 they send the request once more with a freshly asked token (:meth:`Auth.invalidate`
first tells the source that its token was refused). That loop lives in one place per half:
``lro._sync.client.Client._exchange`` and ``lro._async.client.AsyncClient._exchange``.

A token source may be any callable; it may also have:

* ``invalidate()``: called after a 401, before the token is asked again (a cache drops
  its token; :class:`lro.GoogleAuth` refreshes its credentials);
* ``async_token()``: a coroutine the async client awaits instead of calling the source
  (:class:`lro.GoogleAuth` refreshes in a worker thread there, off the event loop);
* ``extra_headers``: a mapping of headers to add besides ``Authorization`` (what
  google-auth credentials apply: ``x-goog-user-project``...); the client's own
  ``headers=`` win over it.

Credential values are never shown: not in ``repr()``, logs or errors. Header values whose
names look like credentials (:func:`lro._core.http.is_secret_header`) are redacted
wherever headers are shown.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from .errors import InvalidArgument, Unauthenticated
from .http import Request

__all__ = ["API_KEY_HEADER", "Auth", "TokenArgument", "check_header_value"]

#: Where an API key goes (Google's frontends read it there, as from ``?key=``).
API_KEY_HEADER = "x-goog-api-key"

#: What ``token=`` accepts: a string, a callable returning one (or an awaitable of one, for
#: the async client), or None.
TokenArgument = str | Callable[[], Any] | None

# RFC 9110 field names.
_TOKEN_CHARS = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
# Framing and routing headers the transports own: a user value would break the exchange.
_RESERVED = frozenset({"host", "content-length", "transfer-encoding", "connection", "te"})


def _printable(value: str) -> bool:
    return not any(ord(c) < 32 or 127 <= ord(c) < 160 or ord(c) > 255 for c in value)


def check_header_value(value: Any, label: str) -> str:
    """``value`` if it is a string an HTTP header can carry; InvalidArgument otherwise.

    The value itself is never quoted: it may be a credential.
    """
    if not isinstance(value, str) or not _printable(value):
        raise InvalidArgument(
            f"{label} must be a string of printable Latin-1 characters (an HTTP header)"
        )
    return value


def _check_headers(headers: Mapping[str, str] | None) -> dict[str, str]:
    if headers is None:
        return {}
    if not isinstance(headers, Mapping):
        raise InvalidArgument(
            f"headers must be a mapping of names to values, got {type(headers).__name__}"
        )
    checked: dict[str, str] = {}
    seen: set[str] = set()
    for name, value in headers.items():
        if not isinstance(name, str) or not _TOKEN_CHARS.fullmatch(name):
            raise InvalidArgument(f"headers: {name!r} is not a valid HTTP header name")
        low = name.lower()
        if low in _RESERVED:
            raise InvalidArgument(f"headers: {name} is set by the transport; it cannot be given")
        if low == "user-agent":
            raise InvalidArgument("headers: use user_agent= to add to the User-Agent")
        if low in seen:
            raise InvalidArgument(f"headers: {name} is given twice (names are case-insensitive)")
        seen.add(low)
        checked[name] = check_header_value(value, f"the value of header {name}")
    return checked


class Auth:
    """The credentials of one client (see the module docstring).

    Args:
        token: a string, a callable returning the current token, or None.
        api_key: sent as ``x-goog-api-key`` on every request, or None.
        headers: added to every request (names checked; values never shown).
        asynchronous: the client is an AsyncClient (async token callables allowed).
    """

    def __init__(
        self,
        token: TokenArgument,
        api_key: str | None = None,
        headers: Mapping[str, str] | None = None,
        *,
        asynchronous: bool = False,
    ) -> None:
        extra = _check_headers(headers)
        lowered = {name.lower() for name in extra}
        self.source: Callable[[], Any] | None = None
        self._static_token: str | None = None
        if callable(token):
            if not asynchronous and _is_async(token):
                raise InvalidArgument(
                    "token is an async callable: use it with lro.AsyncClient, or pass a "
                    "plain callable returning the token"
                )
            self.source = token
        elif token is not None:
            self._static_token = check_header_value(token, "token") or None
        if (self.source is not None or self._static_token) and "authorization" in lowered:
            raise InvalidArgument("give the bearer token as token= or in headers=, not both")
        if api_key is not None:
            check_header_value(api_key, "api_key")
            if API_KEY_HEADER in lowered:
                raise InvalidArgument("give the API key as api_key= or in headers=, not both")
            if api_key:
                extra[API_KEY_HEADER] = api_key
        #: Headers added to every request as they are (user headers, the API key).
        self.headers: dict[str, str] = extra
        self.has_api_key = bool(api_key)
        self.header_names = tuple(name for name in extra if name != API_KEY_HEADER)

    # -- asking for the token -----------------------------------------------------------

    @property
    def refreshable(self) -> bool:
        """Whether asking again may give another token (a 401 is then retried once)."""
        return self.source is not None

    def token(self) -> str | None:
        """The token to send now (the sync half): the string, or the callable's answer."""
        if self.source is None:
            return self._static_token
        try:
            value = self.source()
        except Exception as exc:
            raise self.failed(exc) from None
        if inspect.isawaitable(value):
            close = getattr(value, "close", None)
            if close is not None:
                close()  # never awaited: do not leave a "never awaited" warning behind
            raise InvalidArgument("the token callable returned an awaitable: use lro.AsyncClient")
        return self.checked(value)

    def checked(self, value: Any) -> str | None:
        """A token a source returned, checked (None or "" means: send no token)."""
        if value is None or value == "":
            return None
        return check_header_value(value, "the token callable's result")

    @staticmethod
    def failed(exc: BaseException) -> Unauthenticated:
        """The error for a token source that raised (not chained: it may quote secrets)."""
        text = str(exc)
        text = text if len(text) <= 200 else text[:197] + "..."
        detail = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
        return Unauthenticated(f"could not get a token from the token callable ({detail})")

    def invalidate(self) -> None:
        """Tell the source that the server refused its token (before asking again)."""
        hook = getattr(self.source, "invalidate", None)
        if callable(hook):
            try:
                hook()
            except Exception as exc:
                raise self.failed(exc) from None

    # -- applying -----------------------------------------------------------------------

    def sign(self, request: Request, token: str | None) -> Request:
        """``request`` with the client's headers and ``Authorization: Bearer <token>``."""
        extra = getattr(self.source, "extra_headers", None)  # lro.GoogleAuth's
        if not self.headers and not token and not extra:
            return request
        headers = (
            {**extra, **self.headers, **request.headers}
            if extra
            else {**self.headers, **request.headers}
        )
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return replace(request, headers=headers)

    def describe(self) -> str:
        """What ``repr()`` shows: which credentials are set, never their values."""
        token = "callable" if self.source is not None else "set" if self._static_token else "none"
        text = f"token={token}"
        if self.has_api_key:
            text += ", api_key=set"
        if self.header_names:
            text += f", headers={list(self.header_names)!r}"
        return text


def _is_async(token: Callable[[], Any]) -> bool:
    if inspect.iscoroutinefunction(token):
        return True
    return inspect.iscoroutinefunction(type(token).__call__)

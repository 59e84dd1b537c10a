"""``lro.GoogleAuth``: google-auth credentials as a client's token (extra ``[google]``).

``pip install 'lro-sdk[google]'`` brings google-auth; it is imported when a
:class:`GoogleAuth` is made, never by ``import lro``. The adapter does what Google's own
transports (``google.auth.transport.requests.AuthorizedSession``) do:

* before each request, ``credentials.before_request(...)``: refresh when the token is no
  longer valid (google-auth's own clock-skew rule), then take the ``authorization``
  header and the others it applies (``x-goog-user-project`` for credentials with a quota
  project, google-auth's metrics header);
* after a 401, refresh at once and send again (once): the client calls
  :meth:`GoogleAuth.invalidate`, then asks for the token again.

Refreshing (an HTTP request to Google's token endpoint) goes through an
:class:`lro.Transport` of its own, so it honours the same proxy variables as the client
and never follows a redirect. In an :class:`lro.AsyncClient` a refresh runs in a worker
thread, off the event loop.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from typing import Any

from lro._core.errors import Error
from lro._core.http import Request

__all__ = ["CLOUD_PLATFORM", "INSTALL_HINT", "GoogleAuth"]

#: The scope :class:`GoogleAuth` asks ``google.auth.default()`` for when given none.
CLOUD_PLATFORM = "https://www.googleapis.com/auth/cloud-platform"
#: What to run when google-auth is missing.
INSTALL_HINT = "pip install 'lro-sdk[google]'"


def _import_google_auth() -> Any:
    try:
        import google.auth
        import google.auth.transport
    except ImportError as exc:
        raise ModuleNotFoundError(
            f"lro.GoogleAuth needs google-auth, which is not installed: {INSTALL_HINT}",
            name="google.auth",
        ) from exc
    return google.auth


class _Refresher:
    """A ``google.auth.transport.Request`` over :class:`lro.Transport` (made lazily)."""

    def __init__(self, proxy: str | None, trust_env: bool, timeout: float) -> None:
        from lro._sync.transport import Transport

        self._transport = Transport(timeout=timeout, proxy=proxy, trust_env=trust_env)
        self._timeout = timeout

    def __call__(
        self,
        url: str,
        method: str = "GET",
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
        **kwargs: Any,
    ) -> Any:
        from google.auth import exceptions
        from google.auth.transport import Response as GoogleResponse

        if isinstance(body, str):
            body = body.encode()
        try:
            answer = self._transport.send(
                Request(method, url, dict(headers or {}), body, timeout or self._timeout)
            )
        except Error as exc:
            raise exceptions.TransportError(str(exc)) from None  # type: ignore[no-untyped-call]

        class _Answer(GoogleResponse):
            status = answer.status
            headers = dict(answer.headers)
            data = answer.body

        return _Answer()


class GoogleAuth:
    """A token source for ``token=`` made of google-auth credentials (extra ``[google]``).

    Args:
        credentials: ``google.auth.credentials.Credentials``, e.g. the first value of
            ``google.auth.default()``. None: ``google.auth.default(scopes=scopes)``.
        scopes: the scopes to ask ``google.auth.default()`` for (default:
            ``cloud-platform``); only used when ``credentials`` is None.
        request: the ``google.auth.transport.Request`` refreshes go through; default:
            one over :class:`lro.Transport` (with ``proxy`` / ``trust_env``).
        proxy, trust_env: the proxy settings of that default request, as for the client.
        timeout: seconds a refresh request may take.

    Thread-safe: one instance may serve a client used by many threads, or several
    clients. ``repr()`` never shows a token.

        credentials, project = google.auth.default()
        client = lro.Client(
            "https://aiplatform.googleapis.com/v1beta1", token=lro.GoogleAuth(credentials)
        )
    """

    def __init__(
        self,
        credentials: Any = None,
        *,
        scopes: Sequence[str] | None = None,
        request: Any = None,
        proxy: str | None = None,
        trust_env: bool = True,
        timeout: float = 60.0,
    ) -> None:
        google_auth = _import_google_auth()
        if credentials is None:
            credentials, _ = google_auth.default(scopes=list(scopes or [CLOUD_PLATFORM]))
        if not callable(getattr(credentials, "before_request", None)):
            raise TypeError("credentials must be google.auth credentials (with before_request)")
        self.credentials = credentials
        self._request = request
        self._proxy = proxy
        self._trust_env = trust_env
        self._timeout = timeout
        self._lock = threading.Lock()
        self._refused = False
        #: The headers besides ``authorization`` the credentials applied to the last
        #: request (``x-goog-user-project``...); the client adds them to each request.
        self.extra_headers: dict[str, str] = {}

    def _transport_request(self) -> Any:
        if self._request is None:
            self._request = _Refresher(self._proxy, self._trust_env, self._timeout)
        return self._request

    def __call__(self) -> str:
        """The current access token, refreshed first when it is no longer valid."""
        with self._lock:
            request = self._transport_request()
            if self._refused:  # the server refused the token: refresh whatever its expiry
                self.credentials.refresh(request)
                self._refused = False
            headers: dict[str, str] = {}
            self.credentials.before_request(request, "GET", "", headers)
        found = {key.lower(): value for key, value in headers.items()}
        value = found.pop("authorization", "")
        self.extra_headers = found
        return value[len("Bearer ") :] if value.startswith("Bearer ") else value

    async def async_token(self) -> str:
        """The token for an :class:`lro.AsyncClient`: a refresh runs in a worker thread."""
        if not self._refused and self.credentials.valid:
            return self()  # nothing to refresh: no I/O
        import asyncio

        return await asyncio.to_thread(self)

    def invalidate(self) -> None:
        """The server refused the token (401): refresh before the next request."""
        self._refused = True

    def __repr__(self) -> str:
        return f"GoogleAuth({type(self.credentials).__name__})"

"""Noticing, during ``lro wait``, that the server stopped answering and answers again.

The SDK's waiters retry a lost connection until the deadline without telling their
caller, so a display fed only with snapshots would keep showing RUNNING through an
outage. The CLI hands its client a transport that wraps the SDK's own and reports each
change between "answering" and "not answering" to a listener (the progress display):
an exchange that ended without an HTTP response (refused, dropped, timed out:
:class:`lro.TransportError`) means not answering; any response, an error status
included, means answering again. A server that never answered is not "reconnecting":
nothing is reported before its first answer. The waiting itself is left to the SDK.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from lro import Request, Response, SyncTransport, TransportError

__all__ = ["WatchedTransport"]


class WatchedTransport:
    """A :class:`lro.SyncTransport` that tells ``listener(lost)`` when answers stop or resume.

    Thread-safe: ``wait_all`` sends from several threads; the listener is called under a
    lock, so the changes it sees are in the order they happened and never repeat.
    """

    def __init__(self, inner: SyncTransport) -> None:
        """Send every request through ``inner``."""
        self._inner = inner
        self._lock = threading.Lock()
        self._lost = False
        self._answered = False  # nothing to reconnect to before the first answer
        #: Called with True when an exchange got no answer, False when answers resume.
        self.listener: Callable[[bool], Any] | None = None

    def send(self, request: Request) -> Response:
        """Send ``request`` through the wrapped transport, noting whether it was answered."""
        try:
            response = self._inner.send(request)
        except TransportError:
            self._note(lost=True)
            raise
        self._note(lost=False)
        return response

    def close(self) -> None:
        """Close the wrapped transport."""
        self._inner.close()

    def _note(self, *, lost: bool) -> None:
        with self._lock:
            self._answered = self._answered or not lost
            if lost is self._lost or not self._answered:
                return
            self._lost = lost
            if self.listener is not None:
                self.listener(lost)

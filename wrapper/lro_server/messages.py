"""The values the HTTP layer hands to the application and gets back.

The handler gets a parsed `Request` and returns a `Response`, or a `Drop` to end
the connection without replying (fault injection uses that: `CLOSE` sends a FIN,
`RESET` a TCP reset); None means `CLOSE`. Before a request's body is read, the
admission check gets its head (`Request` with an empty body) and may answer at
once, so nobody uploads a body only to hear 401.
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from .errors import ApiError
from .wire import dumps


@dataclass(frozen=True)
class Request:
    method: str
    target: str  # origin-form: path and query, still percent-encoded
    headers: dict[str, str]  # names lower-cased; repeated headers joined with ", "
    body: bytes
    keep_alive: bool
    # Returns once the client has closed its connection (never, if that cannot be seen):
    # a handler that holds a request (a long-poll) races it to let go of a gone client.
    gone: Gone | None = field(default=None, compare=False, repr=False)

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


class Drop(enum.Enum):
    """End the connection without a reply."""

    CLOSE = "close"  # an orderly close (FIN)
    RESET = "reset"  # a TCP reset (RST)


Gone = Callable[[], Awaitable[None]]
Handler = Callable[[Request], Awaitable["Response | Drop | None"]]
# The head of a request (body not read yet) -> a Response to answer instead, or None.
Admit = Callable[[Request], "Response | None"]


def json_response(status: int, payload: object, headers: dict[str, str] | None = None) -> Response:
    return Response(status, dumps(payload), headers=dict(headers or {}))


def error_response(error: ApiError) -> Response:
    return json_response(error.http_status, error.status_body(), error.headers)

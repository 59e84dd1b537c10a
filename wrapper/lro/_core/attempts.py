"""One call and its retries, without I/O: :class:`Call` and :func:`attempts`.

A :class:`Call` is one request recipe (made by :class:`lro._core.recipes.Recipes`): how to
build a fresh request per attempt, how to parse the response, whether it is idempotent.
:func:`attempts` is the retry loop as a generator: it yields what to do (send a request,
sleep) and is sent what happened, so the sync and async clients share every decision and
differ only in how they send and sleep.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Generic, TypeVar

from .clock import SYSTEM_CLOCK, Clock
from .errors import (
    ConnectError,
    ConnectionDropped,
    Error,
    InvalidResponse,
    TransportError,
    TransportTimeout,
)
from .http import Request, Response
from .paging import Page
from .retry import Retry, RetryState
from .snapshot import Snapshot

__all__ = ["Call", "PageFetch", "Step", "attempts", "reached"]

R = TypeVar("R")
S = TypeVar("S", bound=Snapshot)


@dataclass(frozen=True)
class Call(Generic[R]):
    """One API call: builds a fresh :class:`Request` per attempt and parses the response.

    ``parse`` raises the typed error of a non-2xx response. ``budget`` (seconds from the
    first attempt) bounds retries in addition to the retry policy's own deadline.
    """

    method: str
    path: str
    build: Callable[[], Request]
    parse: Callable[[Response], R]
    idempotent: bool = True
    budget: float | None = None
    #: After an attempt whose fate is unknown (dropped connection, read timeout), the error
    #: of a later attempt may prove that the first one succeeded (a DELETE retried into a
    #: 404): ``settle(error)`` then returns the call's result, or re-raises.
    settle: Callable[[Error], R] | None = None
    #: The route's path template on the host (``/v1/{name}:wait``): OpenTelemetry's
    #: ``url.template`` of the call's requests (low-cardinality: no name, no query).
    template: str = ""
    #: ``fallback(error)`` True: the request recipe has changed in answer to ``error`` (a
    #: server refused a query parameter it does not know): send again at once, uncounted.
    fallback: Callable[[Error], bool] | None = None
    #: Seconds left of the wait this call is part of (None: not part of one): no retry
    #: starts after it, and each request must be answered by then (``Request.time_left``).
    outer: float | None = None


#: Builds the Call of one page of a List, given the page token (None for the first).
PageFetch = Callable[[str | None], "Call[Page[S]]"]

Step = Request | float  # what attempts() asks the I/O loop to do: send, or sleep seconds


def reached(outcome: Response | Error | None) -> bool:
    """Whether an attempt's outcome shows that its server is there: an answer (any HTTP
    status), or a failure after a connection was made (dropped, timed out, TLS); not a
    :class:`~lro.errors.ConnectError` (nobody listening, no such host)."""
    if isinstance(outcome, Response):
        return True
    return isinstance(outcome, TransportError) and not isinstance(outcome, ConnectError)


def attempts(
    call: Call[R], policy: Retry | None, clock: Clock = SYSTEM_CLOCK
) -> Generator[Step, Response | Error | None, R]:
    """The retry loop of one call, without I/O (shared by the sync and async clients).

    Yields a :class:`Request` to send (the loop sends back the :class:`Response`, or the
    :class:`~lro.errors.Error` the transport raised) or a float: seconds to sleep (the
    loop sends back None). Returns the parsed result or raises the last error.
    """
    state = RetryState(
        policy, idempotent=call.idempotent, method=call.method, path=call.path,
        budget=call.budget, outer=call.outer, clock=clock,
    )  # fmt: skip
    unknown_fate = False  # an earlier attempt may have been processed
    while True:
        state.begin()
        request = call.build()
        left = state.time_left()
        if left is not None:  # inside a wait: the request ends by the wait's deadline
            request = dataclasses.replace(request, time_left=left)
        outcome = yield request
        try:
            if isinstance(outcome, Error):
                raise outcome
            if outcome is None:  # pragma: no cover - protocol misuse
                raise InvalidResponse("no response")
            result = call.parse(outcome)
        except Error as error:
            if error.request is None:  # "GET /v1beta1/...": what was asked, and where
                error.request = f"{request.method} {request.path}"
            if call.fallback is not None and call.fallback(error):
                continue
            if unknown_fate and call.settle is not None:
                with contextlib.suppress(Error):
                    settled = call.settle(error)
                    state.settled(error)
                    return settled
            unknown_fate = unknown_fate or isinstance(error, ConnectionDropped | TransportTimeout)
            delay = state.next_delay(error)
            if delay is None:
                raise
            yield delay
            continue
        state.succeeded(outcome.status)
        return result

"""OpenTelemetry tracing (extra ``[otel]``): a client span per HTTP request, a parent span
per wait, ``wait_all`` and handle, and the W3C ``traceparent`` header sent along.

Nothing here imports ``opentelemetry``: tracing is on once the application has loaded
it (``opentelemetry.trace`` is in ``sys.modules`` when a client is made, as it is after
setting a tracer provider; see :func:`tracing`). Until then a client keeps None, and a
request costs one ``is None`` check more than it would without this module.

With ``opentelemetry-api`` installed, spans go to the tracer provider the application
set (none set: the API's no-op provider, and nothing is recorded). Each HTTP request is
a ``SpanKind.CLIENT`` span named ``"{method} {url.template}"`` with the stable HTTP
client conventions: ``http.request.method``, ``url.template`` (the route's path template
from the generated route table), ``url.full`` (without the query), ``server.address``,
``server.port``, ``http.response.status_code``, ``http.request.resend_count`` on a
retry and ``error.type`` on a failure. Never a header value, the token or the query.

A wait (``client.wait``, ``op.wait``, ``op.result``), ``wait_all`` and a handle are
``SpanKind.INTERNAL`` spans (``lro.wait``, ``lro.wait_all``, ``lro.track``) that parent
their requests, with ``lro.operation.name`` (``lro.operation.count`` for ``wait_all``),
``lro.wait.mode`` (``long_poll``, ``poll`` or ``batch``), ``lro.wait.requests`` (the HTTP
requests made for it) and ``lro.wait.outcome``: ``response`` or ``error`` (the operation
finished with one), ``timeout``, ``failed`` (the wait itself failed: NotFound, ...) or
``abandoned`` (a stop event, a cancelled handle or task, a closed client).
"""

from __future__ import annotations

import contextlib
import contextvars
import sys
import threading
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

from lro._core.errors import Cancelled, Error, WaitAllTimeout, WaitTimeout
from lro._core.http import Request, Response
from lro._core.snapshot import Snapshot
from lro._core.wait_plan import WaitPlan
from lro._core.waits import known_long_poll

__all__ = ["Counter", "Parent", "Tracing", "handle_outcome", "mode_of", "outcome_of", "tracing"]

#: The instrumentation scope's name: the SDK's import package.
SCOPE = "lro"
#: The semantic conventions the spans follow (stable HTTP client spans).
SCHEMA_URL = "https://opentelemetry.io/schemas/1.26.0"

_UNCHECKED = object()
_state: Any = _UNCHECKED
_state_lock = threading.Lock()

# What counts the requests made in this thread or task: the parent span, or a counter.
_PARENT: contextvars.ContextVar[Counter | None] = contextvars.ContextVar("lro_parent", default=None)

_DEFAULT_PORTS = {"http": 80, "https": 443}


def tracing() -> Tracing | None:
    """The process's tracing; None until the application has loaded OpenTelemetry.

    An application that traces has imported ``opentelemetry.trace`` (to set a tracer
    provider, or through an instrumentation) before it makes a client; one that has not
    would only pay the ~20 ms import of the API to produce no span. So the API is never
    imported here: it is used once it is in ``sys.modules`` (checked per new client, a
    dict lookup), and the :class:`Tracing` built then is kept for the process.
    """
    global _state
    state = _state
    if state is _UNCHECKED:
        if "opentelemetry.trace" not in sys.modules:
            return None
        with _state_lock:
            if _state is _UNCHECKED:
                try:
                    from opentelemetry import propagate, trace
                except ImportError:  # pragma: no cover - a half-installed API
                    _state = None
                else:
                    _state = Tracing(trace, propagate)
            state = _state
    return state  # type: ignore[no-any-return]


def mode_of(engine: str, via: str) -> str:
    """The ``lro.wait.mode`` of a multi-wait (or handle): ``batch``, ``poll`` or
    ``long_poll``."""
    return "batch" if engine == "batch" else "poll" if via == "poll" else "long_poll"


def outcome_of(final: Snapshot | None, error: BaseException | None) -> str:
    """The ``lro.wait.outcome`` of a wait that ended with ``final`` or ``error``."""
    if error is None:
        if final is None:
            return "response"
        return "error" if final.error is not None else "response"
    if isinstance(error, WaitTimeout | WaitAllTimeout):
        return "timeout"
    if isinstance(error, Cancelled):  # a wait raises it only when abandoned (stop event)
        return "abandoned"
    if isinstance(error, Error):
        return "failed"
    return "abandoned"  # KeyboardInterrupt, asyncio.CancelledError, a cancelled future


def handle_outcome(
    cancelled: bool, error: BaseException | None, latest: Snapshot | None, closed: bool
) -> str:
    """The ``lro.wait.outcome`` of a settled handle."""
    if cancelled or closed:
        return "abandoned"
    if error is None:
        return "response"
    return "error" if latest is not None and latest.error is not None else "failed"


class Counter:
    """Counts the HTTP requests made in the contexts it is current in (from any thread)."""

    __slots__ = ("_lock", "requests")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests = 0

    def count(self) -> None:
        """One more HTTP request."""
        with self._lock:
            self.requests += 1

    def context(self) -> contextvars.Context:
        """A fresh context (not the caller's: no span of its) counting into this one."""
        context = contextvars.Context()
        context.run(_PARENT.set, self)
        return context


class Parent(Counter):
    """A wait's (or wait_all's, or a handle's) span, and the count of its requests."""

    __slots__ = ("_ended", "_span", "_tracing", "mode", "plan")

    def __init__(self, tracing: Tracing, span: Any, mode: str) -> None:
        super().__init__()
        self._tracing = tracing
        self._span = span
        self._ended = False
        self.mode = mode
        #: The plan of a single wait: its mode is what it learnt (long-poll, or polling).
        self.plan: WaitPlan | None = None

    def context(self) -> contextvars.Context:
        """A fresh context in which this span is the current one (and counts requests):
        for a handle's waiter, in the tracker's thread or task."""
        context = super().context()
        context.run(self._tracing.attach, self._span)
        return context

    @contextlib.contextmanager
    def scope(self) -> Iterator[Parent]:
        """Make this span the current one (and count the requests) in this thread or task."""
        token = _PARENT.set(self)
        try:
            with self._tracing.trace.use_span(self._span, end_on_exit=False):
                yield self
        finally:
            _PARENT.reset(token)

    def end(self, outcome: str, error: BaseException | None = None) -> None:
        """Set the outcome, the mode and the request count, and end the span. Once."""
        with self._lock:
            if self._ended:
                return
            self._ended = True
        span = self._span
        if self.plan is not None:
            self.mode = "poll" if self.plan.long_poll is False else "long_poll"
        span.set_attributes(
            {
                "lro.wait.mode": self.mode,
                "lro.wait.requests": self.requests,
                "lro.wait.outcome": outcome,
            }
        )
        if outcome in ("error", "timeout", "failed"):
            span.set_attribute("error.type", type(error).__qualname__ if error else outcome)
            span.set_status(self._tracing.error_status(str(error) if error else outcome))
        span.end()


class Tracing:
    """The spans of the SDK, over the ``opentelemetry`` API modules it was given."""

    def __init__(self, trace: Any, propagate: Any) -> None:
        from opentelemetry import context

        from lro._core.routes import API_VERSION

        self.trace = trace
        self._context = context
        self._inject = propagate.inject
        self._tracer = trace.get_tracer(SCOPE, API_VERSION, schema_url=SCHEMA_URL)
        self._client = trace.SpanKind.CLIENT
        self._internal = trace.SpanKind.INTERNAL
        self._status = trace.Status
        self._error = trace.StatusCode.ERROR
        self._provider = trace.get_tracer_provider
        self._proxy_provider = trace.ProxyTracerProvider
        self._live = False
        trace.get_tracer_provider()  # (sets up a provider the environment names, if any)

    def error_status(self, description: str) -> Any:
        return self._status(self._error, description)

    def attach(self, span: Any) -> None:
        """Make ``span`` current in the running context, for good (a context of its own)."""
        self._context.attach(self.trace.set_span_in_context(span))

    # -- parents ------------------------------------------------------------------------

    def parent(self, what: str, attributes: Mapping[str, Any], mode: str) -> Parent:
        """Start the span of a wait (``what``: ``lro.wait``, ``lro.wait_all``, ``lro.track``)
        as a child of the current span."""
        span = self._tracer.start_span(what, kind=self._internal, attributes=dict(attributes))
        return Parent(self, span, mode)

    def tracked(self, handle: Any, engine: str, long_poll: object, rounds: Counter) -> None:
        """Start the ``lro.track`` span of a new handle (``handle._span``), ended when the
        handle settles; a handle of the batch ``engine`` counts its share of the requests
        of the ``rounds``."""
        mode = mode_of(engine, "poll" if long_poll is False else "long_poll")
        span = handle._span = self.parent("lro.track", {"lro.operation.name": handle.name}, mode)
        shared = rounds if engine == "batch" else None
        before = 0 if shared is None else shared.requests

        def end(_: Any) -> None:
            cancelled = handle.cancelled()
            error = None if cancelled else handle.exception()
            if shared is not None:
                span.requests = shared.requests - before
            elif known_long_poll(handle._backend, handle.name) is False:
                span.mode = "poll"
            span.end(handle_outcome(cancelled, error, handle.latest, handle._closed), error)

        handle.add_done_callback(end)

    @contextlib.contextmanager
    def waiting(self, what: str, attributes: Mapping[str, Any], mode: str) -> Iterator[Parent]:
        """A parent span around a wait: current while it runs; ended with the outcome of
        the exception that ends the wait, else by the body (``parent.end(...)``) or, if
        the body did not, as ``response``."""
        parent = self.parent(what, attributes, mode)
        try:
            with parent.scope():
                yield parent
        except BaseException as error:
            parent.end(outcome_of(None, error), error)
            raise
        parent.end("response")

    # -- requests -----------------------------------------------------------------------

    def _idle(self) -> bool:
        """Whether no tracer provider is set (the API's no-op one: nothing is recorded, so
        a request makes no span; this keeps an installed but unused API nearly free).

        A provider once set stays set (the API allows one), so that is remembered; until
        then the API's global is read directly (``get_tracer_provider()`` reads the
        environment on every call), falling back to the public call if it moved."""
        if self._live:
            return False
        provider = getattr(self.trace, "_TRACER_PROVIDER", self._provider)
        if provider is self._provider:
            provider = self._provider()
        self._live = provider is not None and not isinstance(provider, self._proxy_provider)
        return not self._live

    def _propagated(self, request: Request) -> Request:
        """``request`` with the current context's ``traceparent``, if there is one (a
        context extracted from an incoming request, with no provider set)."""
        if not self.trace.get_current_span().get_span_context().is_valid:
            return request
        headers = dict(request.headers)
        self._inject(headers)
        return replace(request, headers=headers)

    def _start(self, request: Request, template: str, attempt: int) -> tuple[Any, Request]:
        parts = urlsplit(request.url)
        host = parts.hostname or ""
        port = parts.port or _DEFAULT_PORTS.get(parts.scheme, 0)
        attributes: dict[str, Any] = {
            "http.request.method": request.method,
            "server.address": host,
            "server.port": port,
            "url.full": f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}{parts.path}",
        }
        if template:
            attributes["url.template"] = template
        if attempt:
            attributes["http.request.resend_count"] = attempt
        name = f"{request.method} {template}" if template else request.method
        span = self._tracer.start_span(name, kind=self._client, attributes=attributes)
        parent = _PARENT.get()
        if parent is not None:
            parent.count()
        if span.get_span_context().is_valid:
            headers = dict(request.headers)
            self._inject(headers, context=self.trace.set_span_in_context(span))
            request = replace(request, headers=headers)
        return span, request

    def _finish(self, span: Any, response: Response | None, error: BaseException | None) -> None:
        if response is not None:
            span.set_attribute("http.response.status_code", response.status)
            if response.status >= 400:
                span.set_attribute("error.type", str(response.status))
                span.set_status(self._status(self._error))
        elif error is not None:
            span.set_attribute("error.type", type(error).__qualname__)
            span.set_status(self._status(self._error, str(error)))
        span.end()

    def send(
        self,
        exchange: Callable[[Request], Response],
        request: Request,
        template: str,
        attempt: int,
    ) -> Response:
        """``exchange(request)`` inside a client span (``attempt`` 0 is the first)."""
        if self._idle():
            return exchange(self._propagated(request))
        span, request = self._start(request, template, attempt)
        try:
            response = exchange(request)
        except BaseException as error:
            self._finish(span, None, error)
            raise
        self._finish(span, response, None)
        return response

    async def send_async(
        self,
        exchange: Callable[[Request], Awaitable[Response]],
        request: Request,
        template: str,
        attempt: int,
    ) -> Response:
        """Async :meth:`send`."""
        if self._idle():
            return await exchange(self._propagated(request))
        span, request = self._start(request, template, attempt)
        try:
            response = await exchange(request)
        except BaseException as error:
            self._finish(span, None, error)
            raise
        self._finish(span, response, None)
        return response

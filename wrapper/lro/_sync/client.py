# generated from lro/_async/client.py by scripts/unasync.py; do not edit
# (edit the async module and run `python scripts/unasync.py`)
"""``Client``: the client of both views of the Operations API.

* The **standard view** (``google.longrunning.Operations``): :meth:`Client.get`,
  :meth:`Client.list_operations`, :meth:`Client.cancel`,
  :meth:`Client.delete`, :meth:`Client.wait_once`, plus
  :meth:`Client.wait` (see :mod:`lro._sync.waiting`). Any Google-style service
  speaks it; the audited view is not needed.
* The **audited view** (``/audit/v1/...``): :attr:`Client.audit` (an
  :class:`AuditedView`); its worker and seen-by-creator calls are also methods of
  the client itself (:meth:`Client.create`, :meth:`Client.update`, ...).

Requests are *built* by the I/O-free recipes (:mod:`lro._core.recipes`), their attempts
driven by :func:`lro._core.attempts.attempts`, and *sent* by the half's transport
(``lro._sync.transport.Transport``: httpx in the async half, urllib3 in the sync
one); responses are decoded with ``json.loads`` and wrapped as
:class:`lro.Operation` snapshots bound to the client (audited-view snapshots are
bound to :attr:`Client.audit`, so ``op.refresh()`` stays in their view). Each call
is retried per :mod:`lro._core.retry`. List calls return a pager (:class:`Pager`).

    with lro.Client(url) as client:
        op = client.create({"@type": "type.googleapis.com/demo.Job"})
        for done in client.unseen():
            ...
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, TypeVar, overload

from lro._core.attempts import Call, PageFetch, attempts, reached
from lro._core.clock import Clock
from lro._core.config import ClientBase
from lro._core.deadlines import DEFAULT
from lro._core.errors import Error, FailedPrecondition, InvalidArgument
from lro._core.http import Request, Response, SyncTransport
from lro._core.names import validate_name
from lro._core.paging import DEFAULT_MAX_PAGES
from lro._core.recipes import WAIT_MARGIN
from lro._core.retry import DEFAULT_RETRY, Retry
from lro._core.waits import (
    check_wait_options,
    known_long_poll,
    no_long_poll,
    read_failed_long_poll,
    remember_long_poll,
)
from lro._tracing import tracing

from .audit import AuditedView
from .operation import Operation
from .paging import Pager
from .primitives import ASYNCHRONOUS, Lock, ask_token, pause
from .transport import Transport
from .waiting import wait, watch

if TYPE_CHECKING:
    from lro._core.wait_policy import WaitPolicy
    from lro._core.waits import OnDone, OnProgress

    from .handles import Handle, Tracker

__all__ = ["AuditedView", "Client"]

R = TypeVar("R")


class Client(ClientBase[Operation]):
    """Client of the Operations API (both views). One instance may be shared: by threads
    (the sync client is thread-safe) or by the tasks of one event loop (the async one).

    Args:
        base_url: the service's base URL: ``http(s)://host[:port][/prefix][/version]``.
            A last segment like ``v1``, ``v2``, ``v1beta1`` or ``v2beta3`` is the standard
            view's API version; without one the version is ``v1``. The audited view is
            at ``{base URL without its version}{audit_prefix}/v1``.
        token: the bearer token sent as ``Authorization``: a string, or a callable
            returning the current token (for the async client also an async callable,
            awaited), asked for each request (e.g. :class:`lro.GoogleAuth`); a 401 is
            retried once with a freshly asked token. Never shown in ``repr()``, logs or
            errors.
        api_key: an API key, sent as ``x-goog-api-key`` (never shown).
        headers: headers added to every request (e.g. ``{"x-goog-user-project": "p"}``);
            values of names like credentials (``*-key``, ``*-token``, ``cookie``) are
            never shown.
        timeout: per-HTTP-request deadline in seconds, wall-clock: connecting, sending and
            every read of the response (interim ``1xx`` included) end by then.
        retry: the :class:`~lro._core.retry.Retry` policy; None disables retries.
        user_agent: prepended to the SDK's own ``User-Agent``.
        audit_prefix: where the audited view is mounted (``"/audit"``; ``""`` for a service
            that serves it at its root).
        verify: verify TLS certificates (on by default, against the system trust store).
        ca_certs: a CA bundle file to verify against instead of the system trust store.
        max_connections: pooled keep-alive connections per host.
        proxy: send every request through this proxy (``http://[user:pass@]host:port``;
            credentials are sent as ``Proxy-Authorization`` and never shown), whatever
            the environment says.
        trust_env: honour ``HTTPS_PROXY``, ``HTTP_PROXY``, ``ALL_PROXY`` and ``NO_PROXY``
            (either case) as curl and httpx do (default True); False ignores them.
        wait_policy: default policy for :meth:`wait` (see :mod:`lro._sync.waiting`).
        max_pages: most pages one listing (a :class:`lro.Pager`) fetches; one more
            raises :class:`lro.InvalidResponse`, as does a page token the listing already
            sent (default 10,000).
        transport: a custom transport (tests, another HTTP stack); by default a
            :class:`lro._sync.transport.Transport`.
        clock: the :class:`lro.Clock` every wait, retry pause, long-poll window and
            deadline of this client is measured and slept on (default: the machine's).
            Tests pass one they move themselves, e.g. ``lro_server.ManualClock``, shared
            with the reference server. Each HTTP request still spends its budget on real
            time: sockets block on real time.

    Use it as a context manager (``with client``, or ``client.close()``) to release
    connections. Operations it returns are :class:`lro.Operation` snapshots bound to
    it: ``op.wait()``, ``op.result()``.
    """

    _operation_class = Operation

    def __init__(
        self,
        base_url: str = "http://127.0.0.1:8080",
        *,
        token: str | Callable[[], str] | None = None,
        api_key: str | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float = 30.0,
        retry: Retry | None = DEFAULT_RETRY,
        user_agent: str | None = None,
        audit_prefix: str = "/audit",
        verify: bool = True,
        ca_certs: str | None = None,
        max_connections: int = 10,
        proxy: str | None = None,
        trust_env: bool = True,
        wait_policy: WaitPolicy | None = None,
        max_pages: int = DEFAULT_MAX_PAGES,
        transport: SyncTransport | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.audit = AuditedView(self)
        self._setup(
            base_url, token, timeout, retry, user_agent, audit_prefix, wait_policy, self.audit,
            api_key=api_key, headers=headers, asynchronous=ASYNCHRONOUS, max_pages=max_pages,
            clock=clock,
        )  # fmt: skip
        self._transport: SyncTransport = transport or Transport(
            timeout=timeout,
            verify=verify,
            ca_certs=ca_certs,
            max_connections=max_connections,
            proxy=proxy,
            trust_env=trust_env,
        )
        self._close_lock = Lock()
        self._closed = False
        self._tracker: Tracker | None = None
        # OpenTelemetry, when installed (looked for once per process); None: no tracing.
        self._tracing = tracing()

    # -- plumbing -----------------------------------------------------------------------

    def _run(self, call: Call[R]) -> R:
        """Drive one call's attempts: send, sleep, retry (see :func:`attempts`)."""
        retry, traced = self.retry, self._tracing
        steps = attempts(call, retry, self.clock)
        sent = 0
        try:
            step = next(steps)
            while True:
                outcome: Response | Error | None = None
                if isinstance(step, Request):
                    try:
                        if traced is None:
                            outcome = self._exchange(step)
                        else:  # a client span around the attempt (lro._tracing)
                            sent += 1
                            send = traced.send
                            outcome = send(self._exchange, step, call.template, sent - 1)
                    except Error as error:
                        outcome = error
                else:
                    pause(retry, step, self.clock)
                if reached(outcome):
                    self._calls.answered = True  # its server is there (see WaitPlan)
                step = steps.send(outcome)
        except StopIteration as stop:
            result: R = stop.value
            return result

    def _exchange(self, request: Request) -> Response:
        """Send one request with the client's credentials, asking for the token now; a 401
        is sent once more with a freshly asked token when the token comes from a callable
        (see :mod:`lro._core.auth`)."""
        auth = self._auth
        response = self._transport.send(auth.sign(request, ask_token(auth)))
        if response.status == 401 and auth.refreshable:
            auth.invalidate()
            response = self._transport.send(auth.sign(request, ask_token(auth)))
        return response

    def _poll(self, name: str, window: float | None, left: float | None) -> Operation:
        """One read of a wait: a GET (``window`` None) or a ``:wait`` long-poll of
        ``window`` seconds, its retries and requests bounded by the wait's time left."""
        call = self._calls.get(name) if window is None else self._calls.wait_once(name, window)
        return self._run(dataclasses.replace(call, outer=left))

    def _read_many(self, names: list[str], left: float | None) -> list[Operation]:
        """A batch round's read (audited snapshots), bounded by the wait's time left."""
        return self.audit._read_many(names, left)

    def _pager(self, fetch: PageFetch[Operation]) -> Pager[Operation]:
        return Pager(lambda token: self._run(fetch(token)), max_pages=self.max_pages)

    def close(self) -> None:
        """Close the pooled connections. Idempotent.

        Pending handles (:meth:`track`) end with :class:`lro.Cancelled` first, and the
        threads or tasks that tracked them are joined or cancelled and awaited.
        """
        with self._close_lock:
            if self._closed:
                return
            self._closed = True
            tracker = self._tracker
        if tracker is not None:
            tracker.close()
        self._transport.close()

    def _tracking(self) -> Tracker:
        """The client's tracker of handles, made on first use."""
        with self._close_lock:
            if self._closed:
                raise FailedPrecondition("cannot track operations: the client is closed")
            if self._tracker is None:
                from .handles import Tracker

                self._tracker = Tracker(self.clock)
            return self._tracker

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- standard view ------------------------------------------------------------------

    def get(self, name: str) -> Operation:
        """The latest snapshot of an operation (standard view)."""
        return self._run(self._calls.get(name))

    def list_operations(
        self,
        parent: str | None = None,
        *,
        filter: str | None = None,
        page_size: int | None = None,
    ) -> Pager[Operation]:
        """All operations (of ``parent`` when given), lazily, page by page.

        ``filter`` follows AIP-160 (the server documents its subset, e.g. ``done = true``).
        """
        return self._pager(self._calls.list_fetch(parent, filter, page_size))

    def cancel(self, name: str) -> None:
        """Ask the server to cancel the operation (best effort; see operations.proto)."""
        self._run(self._calls.cancel(name))

    def delete(self, name: str) -> None:
        """Delete the operation (the caller is no longer interested; it is not cancelled)."""
        self._run(self._calls.delete(name))

    def wait_once(self, name: str, timeout: float | None = None) -> Operation:
        """One ``:wait`` long-poll: the operation when it finishes or after ``timeout``
        seconds (the client's timeout when None; the server may cap it), whichever is
        first. The result may still be running; see :meth:`wait` for waiting until done.

        A server that holds the request past ``timeout`` is cut off 1 s later
        (:data:`~lro._core.recipes.WAIT_MARGIN`) and the operation read with a GET.

        Raises:
            Unimplemented: the server has no ``:wait`` for this operation's route: it said
                so (UNIMPLEMENTED, 405, 501), or answered 404 while a GET found the
                operation (a missing operation is :class:`lro.NotFound`). Remembered
                for the route (host and path template): the next call raises at once.
        """
        call = self._calls.wait_once(name, timeout)
        if known_long_poll(self, name) is False:
            raise no_long_poll(self, name, None)
        try:
            found = self._run(call)
        except Error as error:
            cut_off = read_failed_long_poll(self, name, error)
            get = dataclasses.replace(self._calls.get(name), outer=WAIT_MARGIN)
            found = self._run(get)  # NotFound: it is the operation that is missing
            if not cut_off:
                remember_long_poll(self, name, False)
                raise no_long_poll(self, name, error) from error
            return found
        remember_long_poll(self, name, True)
        return found

    # -- audited view (shortcuts to self.audit) -----------------------------------------

    def create(
        self,
        metadata: Mapping[str, Any] | None = None,
        *,
        parent: str | None = None,
        request_id: str | None = None,
    ) -> Operation:
        """Create an operation (worker side); see :meth:`AuditedView.create`."""
        return self.audit.create(metadata, parent=parent, request_id=request_id)

    def update(self, name: str, metadata: Mapping[str, Any]) -> Operation:
        """Report progress: replace the metadata; see :meth:`AuditedView.update`."""
        return self.audit.update(name, metadata)

    def finalize(
        self,
        name: str,
        *,
        response: Mapping[str, Any] | None = None,
        error: Error | Mapping[str, Any] | None = None,
        request_id: str | None = None,
    ) -> Operation:
        """Finish an operation with a response or an error; see
        :meth:`AuditedView.finalize`."""
        return self.audit.finalize(name, response=response, error=error, request_id=request_id)

    def abort(self, name: str, *, request_id: str | None = None) -> Operation:
        """Abort a running operation (it ends with ABORTED); see
        :meth:`AuditedView.abort`."""
        return self.audit.abort(name, request_id=request_id)

    def get_many(self, names: Iterable[str]) -> list[Operation]:
        """Audited snapshots of many operations, in input order; see
        :meth:`AuditedView.get_many`."""
        return self.audit.get_many(names)

    @overload
    def mark_seen(self, name: str, /) -> Operation: ...
    @overload
    def mark_seen(self, name: str, second: str, /, *names: str) -> list[Operation]: ...

    def mark_seen(self, *names: str) -> list[Operation] | Operation:
        """Mark results seen by their creator: one name gives an operation, several a list
        (batched, atomic per batch). Idempotent: the time never changes once set."""
        if len(names) == 1:
            return self.audit.mark_seen(names[0])
        if not names:
            raise InvalidArgument("mark_seen needs at least one name")
        return self.audit.mark_seen_many(names)

    def unseen(self, *, page_size: int | None = None, view: str | None = None) -> Pager[Operation]:
        """The caller's done operations not yet marked seen; see
        :meth:`AuditedView.unseen`."""
        return self.audit.unseen(page_size=page_size, view=view)

    # -- waiting ------------------------------------------------------------------------

    def wait(
        self,
        name: str,
        timeout: float | None = DEFAULT,
        *,
        policy: WaitPolicy | None = None,
        on_progress: OnProgress | None = None,
        on_done: OnDone | None = None,
        stop: threading.Event | None = None,
        cancel_on_timeout: bool = False,
    ) -> Operation:
        """Wait until the operation is done and return its final snapshot.

        A done operation that failed is returned, not raised: ``.result()`` raises its
        error. The strategy (long-poll first, polling fallback, deadlines) is described
        in :mod:`lro._core.waits`; every argument is checked before the first request.
        Cancelling the task of an async wait (``asyncio.wait_for``, ``task.cancel()``)
        also stops it at once and cancels the request in flight.

        Args:
            name: the operation's name.
            timeout: wall-clock seconds for the whole wait; None waits forever; omitted:
                the policy's ``default_timeout`` (900 s).
            policy: the :class:`lro.WaitPolicy`; default: the client's ``wait_policy``,
                else the default policy.
            on_progress: called with each snapshot that differs from the
                previous one (the first and the final one included).
            on_done: called once at the end, whatever the outcome:
                ``(final, None)``, or ``(last snapshot or None, error)`` when the wait
                itself failed.
            stop: a :class:`threading.Event`; setting it abandons the wait with
                :class:`lro.Cancelled` (the sync client's, set from any thread, within
                ``policy.stop_latency`` seconds; the async one's at once).
            cancel_on_timeout: on :class:`lro.WaitTimeout`, also ask the server to cancel
                the operation (best effort; a failure to cancel is logged, not raised).

        Raises:
            InvalidArgument: an argument of the wrong type or value (nothing was sent).
            WaitTimeout: the deadline passed (``.operation`` is the last snapshot).
            Cancelled: ``stop`` was set.
            Error: a permanent error ended the wait (NotFound, PermissionDenied, ...).
        """
        final: Operation = wait(
            self,
            name,
            timeout,
            policy=policy,
            on_progress=on_progress,
            on_done=on_done,
            stop=stop,
            cancel_on_timeout=cancel_on_timeout,
        )
        return final

    def watch(
        self,
        name: str,
        timeout: float | None = DEFAULT,
        *,
        policy: WaitPolicy | None = None,
        on_done: OnDone | None = None,
        stop: threading.Event | None = None,
        cancel_on_timeout: bool = False,
    ) -> Iterator[Operation]:
        """Yield each changed snapshot until the operation is done (the done one last).

        The arguments are those of :meth:`wait` (checked now, at the call); the iterator
        raises :class:`lro.WaitTimeout` at the deadline, and closing it early stops the
        waiting: ``for snapshot in client.watch(name): ...``.

        Args:
            name: the operation's name.
            timeout: wall-clock seconds; None waits forever; omitted: the policy's
                ``default_timeout``.
            policy: the :class:`lro.WaitPolicy` (default: the client's, else the default).
            on_done: called once at the end, as for :meth:`wait`.
            stop: a :class:`threading.Event` that abandons the watch when set.
            cancel_on_timeout: on :class:`lro.WaitTimeout`, also cancel the operation.

        Raises:
            InvalidArgument: an argument of the wrong type or value (nothing was sent).
        """
        validate_name(name)
        check_wait_options(
            timeout, policy, None, on_done, stop, cancel_on_timeout, asynchronous=ASYNCHRONOUS
        )
        return watch(
            self,
            name,
            timeout,
            policy=policy,
            on_done=on_done,
            stop=stop,
            cancel_on_timeout=cancel_on_timeout,
        )

    def operation(self, name: str) -> Operation:
        """A snapshot (fetched once) bound to this client: ``.wait()``, ``.result()``..."""
        return self.get(name)

    def adopt(self, value: Any) -> Operation:
        """An operation you already have, from another client or a file, as a snapshot
        bound to this client (``.wait()``, ``.result()``...). Sends nothing.

        Args:
            value: a dict in proto3 JSON form, JSON text, an object with ``to_dict()``
                (openapi-generator models) or ``model_dump()`` (pydantic), a protobuf
                message (a GAPIC ``operations_pb2.Operation``; needs protobuf
                installed), or an :class:`lro.Operation`.

        Raises:
            InvalidArgument: ``value`` is none of these, is not an operation (no valid
                name, fields of the wrong type), or is too large or too deeply nested.
        """
        return self._calls.adopt(value)

    def track(self, name: str, *, on_progress: OnProgress | None = None) -> Handle:
        """Track an operation in the background: an :class:`lro.Handle`, the future
        of its result, returned at once (the async client's, an awaitable
        :class:`asyncio.Future`, is made on the running event loop; the sync client's is a
        :class:`concurrent.futures.Future`).

        The client's tracker long-polls it (standard view; at most 32 operations at once,
        the others queued); :meth:`AuditedView.track` shares batch rounds instead.
        The name is all a handle needs: another process rebuilds it with ``track(name)``.

        Args:
            name: the operation's name.
            on_progress: called with each snapshot that changed (by the sync client in
                its tracker's thread; by the async one in the loop, a coroutine function's
                coroutine then running as a task).

        Raises:
            InvalidName: ``name`` is not an operation name (nothing was sent).
            InvalidArgument: ``on_progress`` is not callable.
            FailedPrecondition: the client is closed (or, async, no event loop runs).
        """
        from lro._core.handles import check_track  # handles load on first use

        check_track(name, on_progress)
        return self._tracking().track(self, name, on_progress)

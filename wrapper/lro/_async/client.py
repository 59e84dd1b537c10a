"""``AsyncClient``: the asyncio twin of :class:`lro.Client`.

Same methods, as coroutines, over :class:`lro._async.transport.AsyncTransport` (httpx,
extra ``[async]``). Requests are built, responses parsed and retries
decided by exactly the same code as the sync client (:class:`lro._core.calls.Calls` and
:func:`lro._core.attempts.attempts`); only the I/O and the sleeping are asynchronous.

List calls return an :class:`AsyncPager` (``async for op in client.list_operations()``).

    async with lro.AsyncClient(url) as client:
        op = await client.create({"@type": "type.googleapis.com/demo.Job"})
        async for done in client.unseen():
            ...
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar, overload

from lro._core.attempts import Call, PageFetch, attempts
from lro._core.calls import Calls, View, chunked
from lro._core.config import ClientBase
from lro._core.errors import Error, FailedPrecondition, InvalidArgument
from lro._core.http import AsyncTransportLike, Request, Response
from lro._core.paging import DEFAULT_MAX_PAGES
from lro._core.retry import DEFAULT_RETRY, Retry
from lro._tracing import tracing

from .operation import AsyncOperation
from .paging import AsyncPager
from .transport import AsyncTransport
from .waiting import AsyncWaitMethods

if TYPE_CHECKING:
    from lro._core.plan import WaitPolicy
    from lro._core.waits import OnProgress

    from .handles import AsyncHandle, AsyncTracker

__all__ = ["AsyncAuditedView", "AsyncClient"]

R = TypeVar("R")


class AsyncClient(ClientBase[AsyncOperation], AsyncWaitMethods):
    """Asynchronous client of the Operations API; arguments as for :class:`lro.Client`,
    except that ``token`` may also be an async callable (awaited for each request).

    Use ``async with`` (or ``await client.close()``). One instance may serve many
    concurrent tasks on one event loop. Operations it returns are
    :class:`lro.AsyncOperation`s: ``await op.wait()``, ``await op.result()``.
    """

    _operation_class = AsyncOperation

    def __init__(
        self,
        base_url: str = "http://127.0.0.1:8080",
        *,
        token: str | Callable[[], str] | Callable[[], Awaitable[str]] | None = None,
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
        transport: AsyncTransportLike | None = None,
    ) -> None:
        self.audit = AsyncAuditedView(self)
        self._setup(
            base_url, token, timeout, retry, user_agent, audit_prefix, wait_policy, self.audit,
            api_key=api_key, headers=headers, asynchronous=True, max_pages=max_pages,
        )  # fmt: skip
        self._transport: AsyncTransportLike = transport or AsyncTransport(
            timeout=timeout,
            verify=verify,
            ca_certs=ca_certs,
            max_connections=max_connections,
            proxy=proxy,
            trust_env=trust_env,
        )
        self._tracker: AsyncTracker | None = None
        self._closed = False
        # OpenTelemetry, when installed (looked for once per process); None: no tracing.
        self._tracing = tracing()

    # -- plumbing -----------------------------------------------------------------------

    async def _run(self, call: Call[R]) -> R:
        """Drive one call's attempts: send, sleep, retry (see
        :func:`lro._core.attempts.attempts`)."""
        steps = attempts(call, self.retry)
        traced = self._tracing
        sent = 0
        try:
            step = next(steps)
            while True:
                outcome: Response | Error | None = None
                if isinstance(step, Request):
                    try:
                        if traced is None:
                            outcome = await self._exchange(step)
                        else:  # a client span around the attempt (lro._tracing)
                            sent += 1
                            send = traced.send_async
                            outcome = await send(self._exchange, step, call.template, sent - 1)
                    except Error as error:
                        outcome = error
                else:
                    await asyncio.sleep(step)
                step = steps.send(outcome)
        except StopIteration as stop:
            result: R = stop.value
            return result

    async def _exchange(self, request: Request) -> Response:
        """Send one request with the client's credentials, asking for the token now; a 401
        is sent once more with a freshly asked token when the token comes from a callable
        (the twin of ``Client._exchange``; see :mod:`lro._core.auth`)."""
        auth = self._auth
        response = await self._transport.send(auth.sign(request, await self._token()))
        if response.status == 401 and auth.refreshable:
            auth.invalidate()
            response = await self._transport.send(auth.sign(request, await self._token()))
        return response

    async def _token(self) -> str | None:
        """The token to send now: a plain callable is called, an async one awaited, and a
        source with ``async_token()`` (``lro.GoogleAuth``) refreshes off the loop."""
        auth = self._auth
        source = auth.source
        if source is None:
            return auth.token()
        try:
            asked = getattr(source, "async_token", None)
            value = await asked() if callable(asked) else source()
            if inspect.isawaitable(value):
                value = await value
        except Error:
            raise
        except Exception as exc:
            raise auth.failed(exc) from None
        return auth.checked(value)

    def _pager(self, fetch: PageFetch[AsyncOperation]) -> AsyncPager[AsyncOperation]:
        return AsyncPager(lambda token: self._run(fetch(token)), max_pages=self.max_pages)

    async def close(self) -> None:
        """Close every connection. Idempotent.

        Pending handles (:meth:`track`) end with :class:`lro.Cancelled` first, and the
        tasks that tracked them are cancelled and awaited.
        """
        self._closed = True
        tracker = self._tracker
        if tracker is not None:
            await tracker.aclose()
        await self._transport.close()

    def _tracking(self) -> AsyncTracker:
        """The client's tracker of handles, made on first use."""
        if self._closed:
            raise FailedPrecondition("cannot track operations: the client is closed")
        if self._tracker is None:
            from .handles import AsyncTracker

            self._tracker = AsyncTracker()
        return self._tracker

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # -- standard view ------------------------------------------------------------------

    async def get(self, name: str) -> AsyncOperation:
        """The latest snapshot of an operation (standard view)."""
        return await self._run(self._calls.get(name))

    def list_operations(
        self,
        parent: str | None = None,
        *,
        filter: str | None = None,
        page_size: int | None = None,
    ) -> AsyncPager[AsyncOperation]:
        """All operations (of ``parent`` when given), lazily: ``async for op in ...``."""
        return self._pager(self._calls.list_fetch(parent, filter, page_size))

    async def cancel(self, name: str) -> None:
        """Ask the server to cancel the operation (best effort)."""
        await self._run(self._calls.cancel(name))

    async def delete(self, name: str) -> None:
        """Delete the operation (it is not cancelled)."""
        await self._run(self._calls.delete(name))

    async def wait_once(self, name: str, timeout: float | None = None) -> AsyncOperation:
        """One ``:wait`` long-poll; see :meth:`lro.Client.wait_once`."""
        return await self._run(self._calls.wait_once(name, timeout))

    # -- audited view (shortcuts to self.audit) -----------------------------------------

    async def create(
        self,
        metadata: Mapping[str, Any] | None = None,
        *,
        parent: str | None = None,
        request_id: str | None = None,
    ) -> AsyncOperation:
        """Create an operation; see :meth:`lro.AuditedView.create`."""
        return await self.audit.create(metadata, parent=parent, request_id=request_id)

    async def update(self, name: str, metadata: Mapping[str, Any]) -> AsyncOperation:
        """Replace a running operation's metadata (progress)."""
        return await self.audit.update(name, metadata)

    async def finalize(
        self,
        name: str,
        *,
        response: Mapping[str, Any] | None = None,
        error: Error | Mapping[str, Any] | None = None,
        request_id: str | None = None,
    ) -> AsyncOperation:
        """Finish an operation with a response or an error."""
        return await self.audit.finalize(
            name, response=response, error=error, request_id=request_id
        )

    async def abort(self, name: str, *, request_id: str | None = None) -> AsyncOperation:
        """Abort a running operation (it ends with ABORTED)."""
        return await self.audit.abort(name, request_id=request_id)

    async def get_many(self, names: Iterable[str]) -> list[AsyncOperation]:
        """Audited snapshots of many operations, in input order (batches of <= 1000)."""
        return await self.audit.get_many(names)

    @overload
    async def mark_seen(self, name: str, /) -> AsyncOperation: ...
    @overload
    async def mark_seen(self, name: str, second: str, /, *names: str) -> list[AsyncOperation]: ...

    async def mark_seen(self, *names: str) -> list[AsyncOperation] | AsyncOperation:
        """Mark results seen by their creator: one name gives an Operation, several a list."""
        if len(names) == 1:
            return await self.audit.mark_seen(names[0])
        if not names:
            raise InvalidArgument("mark_seen needs at least one name")
        return await self.audit.mark_seen_many(names)

    def unseen(
        self, *, page_size: int | None = None, view: str | None = None
    ) -> AsyncPager[AsyncOperation]:
        """The caller's done operations not yet marked seen (``async for``)."""
        return self.audit.unseen(page_size=page_size, view=view)

    # -- waiting ------------------------------------------------------------------------

    async def operation(self, name: str) -> AsyncOperation:
        """A snapshot (fetched once) bound to this client."""
        return await self.get(name)

    def track(self, name: str, *, on_progress: OnProgress | None = None) -> AsyncHandle:
        """Track an operation in the background: an :class:`lro.AsyncHandle`, an
        awaitable :class:`asyncio.Future` of its result, returned at once (call it from
        the running event loop). See :meth:`lro.Client.track`.

        Args:
            name: the operation's name.
            on_progress: called with each snapshot that changed (it may be a coroutine
                function: its coroutine then runs as a task).

        Raises:
            InvalidName: ``name`` is not an operation name (nothing was sent).
            InvalidArgument: ``on_progress`` is not callable.
            FailedPrecondition: the client is closed, or no event loop is running.
        """
        from lro._core.handles import check_track  # handles load on first use

        check_track(name, on_progress)
        return self._tracking().track(self, name, on_progress)


class AsyncAuditedView(AsyncWaitMethods):
    """The audited view of an :class:`AsyncClient` (``client.audit``); see
    :class:`lro.AuditedView` for each method."""

    view: View = "audited"
    _operation_class = AsyncOperation

    def __init__(self, client: AsyncClient) -> None:
        self.client = client

    def __repr__(self) -> str:
        return f"AsyncAuditedView({self.client!r})"

    async def _run(self, call: Call[R]) -> R:
        return await self.client._run(call)

    @property
    def _calls(self) -> Calls[AsyncOperation]:
        return self.client._calls

    async def get(self, name: str) -> AsyncOperation:
        """The audited snapshot (also of a deleted operation)."""
        return await self._run(self._calls.audit_get(name))

    def list_operations(
        self,
        *,
        filter: str | None = None,
        page_size: int | None = None,
        show_deleted: bool | None = None,
    ) -> AsyncPager[AsyncOperation]:
        """All operations (deleted ones only with ``show_deleted=True``), lazily."""
        return self.client._pager(self._calls.audit_list_fetch(filter, page_size, show_deleted))

    async def _batched(
        self, names: Iterable[str], call: Callable[[list[str]], Call[list[AsyncOperation]]]
    ) -> list[AsyncOperation]:
        result: list[AsyncOperation] = []
        for chunk in chunked(names):
            batch: list[AsyncOperation] = await self._run(call(chunk))
            result.extend(batch)
        return result

    async def get_many(self, names: Iterable[str]) -> list[AsyncOperation]:
        """Audited snapshots of ``names`` in input order (NotFound names a missing one)."""
        return await self._batched(names, self._calls.batch_get)

    def unseen(
        self, *, page_size: int | None = None, view: str | None = None
    ) -> AsyncPager[AsyncOperation]:
        """The caller's done operations not yet marked seen, lazily."""
        return self.client._pager(self._calls.unseen_fetch(page_size, view))

    async def mark_seen(self, name: str) -> AsyncOperation:
        """Mark one result seen by its creator (idempotent)."""
        return await self._run(self._calls.mark_seen(name))

    async def mark_seen_many(self, names: Iterable[str]) -> list[AsyncOperation]:
        """Mark many results seen (batches of <= 1000, each atomic), in input order."""
        return await self._batched(names, self._calls.batch_mark_seen)

    async def create(
        self,
        metadata: Mapping[str, Any] | None = None,
        *,
        parent: str | None = None,
        request_id: str | None = None,
    ) -> AsyncOperation:
        """Create a running operation (``request_id`` defaults to a uuid4)."""
        return await self._run(self._calls.create(metadata, parent, request_id))

    async def update(self, name: str, metadata: Mapping[str, Any]) -> AsyncOperation:
        """Replace a running operation's metadata (progress)."""
        return await self._run(self._calls.update(name, metadata))

    async def finalize(
        self,
        name: str,
        *,
        response: Mapping[str, Any] | None = None,
        error: Error | Mapping[str, Any] | None = None,
        request_id: str | None = None,
    ) -> AsyncOperation:
        """Finish a running operation with exactly one of ``response`` or ``error``."""
        return await self._run(self._calls.finalize(name, response, error, request_id))

    async def abort(self, name: str, *, request_id: str | None = None) -> AsyncOperation:
        """Abort a running operation: it finishes with ABORTED."""
        return await self._run(self._calls.abort(name, request_id))

    async def cancel(self, name: str) -> None:
        """Cancel (standard call)."""
        await self.client.cancel(name)

    async def delete(self, name: str) -> None:
        """Delete (standard call)."""
        await self.client.delete(name)

    async def wait_once(self, name: str, timeout: float | None = None) -> AsyncOperation:
        """One standard ``:wait`` long-poll, answered with the audited snapshot."""
        await self.client.wait_once(name, timeout)
        return await self.get(name)

    def track(self, name: str, *, on_progress: OnProgress | None = None) -> AsyncHandle:
        """Track an operation in the background with audited snapshots, sharing the
        client's batchGet rounds (see :meth:`lro.AuditedView.track`).

        Raises:
            InvalidName: ``name`` is not an operation name (nothing was sent).
            InvalidArgument: ``on_progress`` is not callable.
            FailedPrecondition: the client is closed, or no event loop is running.
        """
        from lro._core.handles import check_track  # handles load on first use

        check_track(name, on_progress)
        return self.client._tracking().track(self, name, on_progress)

    @property
    def wait_policy(self) -> WaitPolicy | None:
        """The client's default wait policy."""
        return self.client.wait_policy

"""``AsyncAuditedView``: the audited view (``/audit/v1/...``) of an :class:`AsyncClient`.

``client.audit``: the worker calls (create, update, finalize, abort), the audited reads
(get, list, batchGet), the seen-by-creator calls, and waits and handles with audited
snapshots. Every request goes through the client's own send loop (``client._run``).
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from lro._core.attempts import Call
from lro._core.deadlines import DEFAULT
from lro._core.errors import Error, InvalidArgument
from lro._core.names import validate_name
from lro._core.recipes import BATCH_TOO_LARGE, Recipes, View, chunked
from lro._core.waits import check_wait_options

from .operation import AsyncOperation
from .paging import AsyncPager
from .primitives import ASYNCHRONOUS
from .waiting import async_wait, async_watch

if TYPE_CHECKING:
    from lro._core.wait_policy import WaitPolicy
    from lro._core.waits import OnDone, OnProgress

    from .client import AsyncClient
    from .handles import AsyncHandle

__all__ = ["AsyncAuditedView"]

R = TypeVar("R")


class AsyncAuditedView:
    """The audited view (``/audit/v1/...``) of an :class:`AsyncClient`: ``client.audit``.

    Operations it returns are bound to it, so ``op.refresh()`` stays in the audited view;
    ``op.cancel()``, ``op.delete()`` and ``op.wait()`` use the standard calls.
    """

    view: View = "audited"
    _operation_class = AsyncOperation

    def __init__(self, client: AsyncClient) -> None:
        self.client = client

    def __repr__(self) -> str:
        return f"AsyncAuditedView({self.client!r})"

    async def _run(self, call: Call[R]) -> R:
        return await self.client._run(call)

    @property
    def _calls(self) -> Recipes[AsyncOperation]:
        return self.client._calls

    async def _batched(
        self,
        names: Iterable[str],
        call: Callable[[list[str]], Call[list[AsyncOperation]]],
        left: float | None = None,
    ) -> list[AsyncOperation]:
        result: list[AsyncOperation] = []
        for chunk in chunked(names):
            result.extend(await self._batch(chunk, call, left))
        return result

    async def _batch(
        self,
        names: list[str],
        call: Callable[[list[str]], Call[list[AsyncOperation]]],
        left: float | None,
    ) -> list[AsyncOperation]:
        made = call(names) if left is None else dataclasses.replace(call(names), outer=left)
        try:
            batch: list[AsyncOperation] = await self._run(made)
            return batch
        except InvalidArgument as error:
            # A server that bounds a batch's reply by size refuses the whole batch (and
            # marks nothing): ask for each half in turn. One name alone is its answer.
            if error.reason != BATCH_TOO_LARGE or len(names) == 1:
                raise
        half = len(names) // 2
        first = await self._batch(names[:half], call, left)
        return first + await self._batch(names[half:], call, left)

    async def _poll(self, name: str, window: float | None, left: float | None) -> AsyncOperation:
        """One read of a wait with the audited snapshot: after the standard ``:wait``
        long-poll when ``window`` is given; bounded by the wait's time left."""
        if window is not None:
            await self.client._poll(name, window, left)
        return await self._run(dataclasses.replace(self._calls.audit_get(name), outer=left))

    async def _read_many(self, names: list[str], left: float | None) -> list[AsyncOperation]:
        """A batch round's read, bounded by the wait's time left."""
        return await self._batched(names, self._calls.batch_get, left)

    async def get(self, name: str) -> AsyncOperation:
        """The audited snapshot (with creator, times...; also of a deleted operation)."""
        return await self._run(self._calls.audit_get(name))

    def list_operations(
        self,
        *,
        filter: str | None = None,
        page_size: int | None = None,
        show_deleted: bool | None = None,
    ) -> AsyncPager[AsyncOperation]:
        """All operations (deleted ones only with ``show_deleted=True``), lazily;
        ``pager.total_size`` counts every match."""
        return self.client._pager(self._calls.audit_list_fetch(filter, page_size, show_deleted))

    async def get_many(self, names: Iterable[str]) -> list[AsyncOperation]:
        """Audited snapshots of ``names`` in input order (batchGet, <= 1000 per request).

        Raises:
            NotFound: naming the missing name (each batch is atomic).
        """
        return await self._batched(names, self._calls.batch_get)

    def unseen(
        self, *, page_size: int | None = None, view: str | None = None
    ) -> AsyncPager[AsyncOperation]:
        """The caller's done, not deleted operations not yet marked seen, lazily.

        ``view``: ``"basic"`` (no response), ``"full"`` or an ``OPERATION_VIEW_*`` name.
        """
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
        """Create a running operation with ``metadata`` (an Any, ``@type`` included).

        ``request_id`` (AIP-155) defaults to a fresh uuid4, so a retried create never
        makes two operations.
        """
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
        """Finish a running operation with exactly one of ``response`` (an Any) or
        ``error`` (an :class:`lro.Error` or google.rpc.Status JSON)."""
        return await self._run(self._calls.finalize(name, response, error, request_id))

    async def abort(self, name: str, *, request_id: str | None = None) -> AsyncOperation:
        """Abort a running operation: it finishes with ABORTED."""
        return await self._run(self._calls.abort(name, request_id))

    # -- what bound operations delegate to ----------------------------------------------

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

    async def wait(
        self,
        name: str,
        timeout: float | None = DEFAULT,
        *,
        policy: WaitPolicy | None = None,
        on_progress: OnProgress | None = None,
        on_done: OnDone | None = None,
        stop: asyncio.Event | None = None,
        cancel_on_timeout: bool = False,
    ) -> AsyncOperation:
        """Wait until the operation is done, with audited snapshots (creator, times...);
        the arguments, defaults and errors are those of :meth:`AsyncClient.wait`."""
        final: AsyncOperation = await async_wait(
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
        stop: asyncio.Event | None = None,
        cancel_on_timeout: bool = False,
    ) -> AsyncIterator[AsyncOperation]:
        """Each changed audited snapshot until the operation is done; the arguments are
        those of :meth:`AsyncClient.watch`, checked now, at the call."""
        validate_name(name)
        check_wait_options(
            timeout, policy, None, on_done, stop, cancel_on_timeout, asynchronous=ASYNCHRONOUS
        )
        return async_watch(
            self,
            name,
            timeout,
            policy=policy,
            on_done=on_done,
            stop=stop,
            cancel_on_timeout=cancel_on_timeout,
        )

    def track(self, name: str, *, on_progress: OnProgress | None = None) -> AsyncHandle:
        """Track an operation in the background (see :meth:`AsyncClient.track`), with
        audited snapshots: every handle of the audited view shares the client's batchGet
        rounds (one request per round for up to 1000 operations), however many there are.

        Raises:
            InvalidName: ``name`` is not an operation name (nothing was sent).
            InvalidArgument: ``on_progress`` is not callable.
            FailedPrecondition: the client is closed (or, async, no event loop runs).
        """
        from lro._core.handles import check_track  # handles load on first use

        check_track(name, on_progress)
        return self.client._tracking().track(self, name, on_progress)

    @property
    def wait_policy(self) -> WaitPolicy | None:
        """The client's default wait policy."""
        return self.client.wait_policy

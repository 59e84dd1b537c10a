"""``AsyncOperation``: an :class:`lro.Operation` bound to an :class:`lro.AsyncClient`.

The same immutable snapshot; the calls that talk to the server are coroutines.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any, TypeVar, cast, overload

from lro._core.bound import checked_wait_kwargs, expect_operation
from lro._core.defaults import DEFAULT
from lro._core.operation import Operation

if TYPE_CHECKING:
    from lro._core.handles import AsyncTracked
    from lro._core.plan import WaitPolicy
    from lro._core.waits import AsyncStopEvent, OnDone, OnProgress

__all__ = ["AsyncOperation"]

T = TypeVar("T")


class AsyncOperation(Operation):
    """An :class:`Operation` bound to an :class:`lro.AsyncClient`: the same snapshot, but
    the calls that talk to the server are coroutines (``await op.wait()``,
    ``await op.result()``, ``async for snap in op.watch()``)."""

    async def wait(  # type: ignore[override]
        self,
        timeout: float | None = DEFAULT,
        *,
        policy: WaitPolicy | None = None,
        on_progress: OnProgress | None = None,
        on_done: OnDone | None = None,
        stop: AsyncStopEvent | None = None,
        cancel_on_timeout: bool = False,
    ) -> Operation:
        """Async :meth:`Operation.wait`: the same arguments, but ``stop`` is an
        :class:`asyncio.Event` and the callbacks may be coroutine functions.

        Args:
            timeout: wall-clock seconds; None waits forever; omitted: the wait policy's
                ``default_timeout``.
            policy: the :class:`lro.WaitPolicy` (default: the client's, else the default).
            on_progress: called (or awaited) with each snapshot that changed.
            on_done: called (or awaited) once when the wait ends.
            stop: an :class:`asyncio.Event` that abandons the wait when set.
            cancel_on_timeout: on :class:`lro.WaitTimeout`, also cancel the operation.

        Raises:
            InvalidArgument: an argument of the wrong type or value (nothing was sent).
        """
        wait_kwargs = checked_wait_kwargs(
            timeout, policy, on_progress, on_done, stop, cancel_on_timeout, asynchronous=True
        )
        if self.done:
            return self
        client = self._require_client("wait for")
        final = await client.wait(self.name, **wait_kwargs)
        return expect_operation(final, client, "wait")

    def watch(  # type: ignore[override]
        self,
        timeout: float | None = DEFAULT,
        *,
        policy: WaitPolicy | None = None,
        on_done: OnDone | None = None,
        stop: AsyncStopEvent | None = None,
        cancel_on_timeout: bool = False,
    ) -> AsyncIterator[Operation]:
        """Async :meth:`Operation.watch`: ``async for snapshot in op.watch(): ...``.

        Args:
            timeout: wall-clock seconds; None waits forever; omitted: the wait policy's
                ``default_timeout``.
            policy: the :class:`lro.WaitPolicy` (default: the client's, else the default).
            on_done: called (or awaited) once when the watch ends.
            stop: an :class:`asyncio.Event` that abandons the watch when set.
            cancel_on_timeout: on :class:`lro.WaitTimeout`, also cancel the operation.

        Raises:
            InvalidArgument: an argument of the wrong type or value (checked at the call).
        """
        wait_kwargs = checked_wait_kwargs(
            timeout, policy, None, on_done, stop, cancel_on_timeout, asynchronous=True
        )
        if self.done:  # as Operation.watch: a done snapshot yields itself, no request
            return only(self)
        client = self._require_client("watch")
        return cast("AsyncIterator[Operation]", client.watch(self.name, **wait_kwargs))

    @overload  # type: ignore[override]
    async def result(
        self,
        timeout: float | None = ...,
        *,
        as_type: type[T],
        policy: WaitPolicy | None = ...,
        on_progress: OnProgress | None = ...,
        on_done: OnDone | None = ...,
        stop: AsyncStopEvent | None = ...,
        cancel_on_timeout: bool = ...,
    ) -> T: ...

    @overload
    async def result(
        self,
        timeout: float | None = ...,
        *,
        as_type: None = None,
        policy: WaitPolicy | None = ...,
        on_progress: OnProgress | None = ...,
        on_done: OnDone | None = ...,
        stop: AsyncStopEvent | None = ...,
        cancel_on_timeout: bool = ...,
    ) -> Any: ...  # a dict, or an instance of the type registered for the response's @type

    async def result(
        self,
        timeout: float | None = DEFAULT,
        *,
        as_type: Any = None,
        policy: WaitPolicy | None = None,
        on_progress: OnProgress | None = None,
        on_done: OnDone | None = None,
        stop: AsyncStopEvent | None = None,
        cancel_on_timeout: bool = False,
    ) -> Any:
        """Async :meth:`Operation.result`: the same arguments, as for :meth:`wait`.

        Args:
            timeout: wall-clock seconds to wait; None waits forever; omitted: the wait
                policy's ``default_timeout``.
            as_type: a type to unpack the response into (see :meth:`response_as`).
            policy: the :class:`lro.WaitPolicy` of the wait (default: the client's).
            on_progress: called (or awaited) with each changed snapshot while waiting.
            on_done: called (or awaited) once when the wait ends.
            stop: an :class:`asyncio.Event` that abandons the wait when set.
            cancel_on_timeout: on :class:`lro.WaitTimeout`, also cancel the operation.

        Raises:
            InvalidArgument: a wait argument of the wrong type or value.
            NotDone: the snapshot is running and not bound to a client.
            Error: the operation's own error, or what ended the wait.
        """
        wait_kwargs = checked_wait_kwargs(
            timeout, policy, on_progress, on_done, stop, cancel_on_timeout, asynchronous=True
        )
        if self.done or self._client is None:
            return Operation.result(self, as_type=as_type)
        client = self._client
        final = expect_operation(await client.wait(self.name, **wait_kwargs), client, "wait")
        return Operation.result(final, as_type=as_type)

    async def refresh(self) -> Operation:  # type: ignore[override]
        """Async :meth:`Operation.refresh`."""
        client = self._require_client("refresh")
        return expect_operation(await client.get(self.name), client, "get")

    async def cancel(self) -> Operation | None:  # type: ignore[override]
        """Async :meth:`Operation.cancel`."""
        return cast("Operation | None", await self._require_client("cancel").cancel(self.name))

    async def delete(self) -> Operation | None:  # type: ignore[override]
        """Async :meth:`Operation.delete`."""
        return cast("Operation | None", await self._require_client("delete").delete(self.name))

    async def mark_seen(self) -> Operation:  # type: ignore[override]
        """Async :meth:`Operation.mark_seen`."""
        client = self._require_client("mark seen")
        return expect_operation(await client.mark_seen(self.name), client, "mark_seen")

    def track(  # type: ignore[override]
        self, *, on_progress: OnProgress | None = None
    ) -> AsyncTracked:
        """Async :meth:`Operation.track`: an :class:`lro.AsyncHandle` (awaitable), made on
        the running event loop."""
        client = self._require_client("track")
        return cast("AsyncTracked", client.track(self.name, on_progress=on_progress))


async def only(snapshot: Operation) -> AsyncIterator[Operation]:
    """An async iterator over one snapshot (what watching a done operation yields)."""
    yield snapshot

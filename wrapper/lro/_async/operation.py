"""``AsyncOperation``: a snapshot bound to an :class:`lro.AsyncClient` (or its audited view).

The value (every field, typed unpacking, progress, lossless output) is the I/O-free
:class:`lro._core.snapshot.Snapshot`; this class adds the calls that go through the
client the snapshot is bound to (``await op.wait()``, ``await op.result()``,
``async for snapshot in op.watch()``, ...). Each half has its own class over the value,
knowing only its own kind of client, and neither subclasses the other: what
``AsyncClient`` returns is an ``lro.aio.AsyncOperation``; ``Snapshot`` is either kind.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any, TypeVar, cast, overload

from lro._core.defaults import DEFAULT
from lro._core.snapshot import Snapshot, expect_snapshot, not_done
from lro._core.waits import checked_wait_kwargs

from .primitives import ASYNCHRONOUS

if TYPE_CHECKING:
    from lro._core.wait_policy import WaitPolicy
    from lro._core.waits import AsyncStopEvent, OnDone, OnProgress

    from .handles import AsyncHandle

__all__ = ["AsyncOperation"]

T = TypeVar("T")


class AsyncOperation(Snapshot):
    """An immutable, lossless snapshot of one long-running operation, bound to an
    :class:`lro.AsyncClient` (or its audited view) for the calls that talk to the server:
    ``await op.wait()``, ``await op.result()``, ``async for snapshot in op.watch()``.

    Build one with :meth:`from_dict` or :meth:`from_json` (a client does it for you and
    binds it). Reading a field whose JSON has the wrong type raises
    :class:`~lro.errors.InvalidResponse` naming the field. Two snapshots are equal when
    their raw JSON is equal. Setting an attribute raises :class:`AttributeError`.
    """

    async def wait(
        self,
        timeout: float | None = DEFAULT,
        *,
        policy: WaitPolicy | None = None,
        on_progress: OnProgress | None = None,
        on_done: OnDone | None = None,
        stop: AsyncStopEvent | None = None,
        cancel_on_timeout: bool = False,
    ) -> AsyncOperation:
        """Wait until done via the bound client and return the final snapshot.

        A snapshot that is already done is returned as is, without a request (its
        arguments are checked all the same).

        Args:
            timeout: wall-clock seconds; None waits forever; omitted: the wait policy's
                ``default_timeout``.
            policy: the :class:`lro.WaitPolicy` (default: the client's, else the default).
            on_progress: called (or awaited) with each snapshot that changed.
            on_done: called (or awaited) once when the wait ends (see
                :meth:`lro.AsyncClient.wait`).
            stop: an :class:`asyncio.Event` that abandons the wait when set.
            cancel_on_timeout: on :class:`lro.WaitTimeout`, also cancel the operation.

        Raises:
            InvalidArgument: an argument of the wrong type or value (nothing was sent).
            FailedPrecondition: the snapshot is running and not bound to a client.
            WaitTimeout: the deadline passed; see :meth:`lro.AsyncClient.wait` for the rest.
        """
        wait_kwargs = checked_wait_kwargs(
            timeout,
            policy,
            on_progress,
            on_done,
            stop,
            cancel_on_timeout,
            asynchronous=ASYNCHRONOUS,
        )
        if self.done:
            return self
        client = self._require_client("wait for")
        return _expect(await client.wait(self.name, **wait_kwargs), client, "wait")

    def watch(
        self,
        timeout: float | None = DEFAULT,
        *,
        policy: WaitPolicy | None = None,
        on_done: OnDone | None = None,
        stop: AsyncStopEvent | None = None,
        cancel_on_timeout: bool = False,
    ) -> AsyncIterator[AsyncOperation]:
        """Yield each changed snapshot until done (the done one last), via the bound client.

        A snapshot that is already done yields itself, without a request.

        Args:
            timeout: wall-clock seconds; None waits forever; omitted: the wait policy's
                ``default_timeout``.
            policy: the :class:`lro.WaitPolicy` (default: the client's, else the default).
            on_done: called (or awaited) once when the watch ends (see
                :meth:`lro.AsyncClient.wait`).
            stop: an :class:`asyncio.Event` that abandons the watch when set.
            cancel_on_timeout: on :class:`lro.WaitTimeout`, also cancel the operation.

        Raises:
            InvalidArgument: an argument of the wrong type or value (nothing was sent).
        """
        wait_kwargs = checked_wait_kwargs(
            timeout, policy, None, on_done, stop, cancel_on_timeout, asynchronous=ASYNCHRONOUS
        )
        if self.done:
            return _only(self)
        client = self._require_client("watch")
        return cast("AsyncIterator[AsyncOperation]", client.watch(self.name, **wait_kwargs))

    @overload
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
        """The response of a done operation, or raise its error.

        A done operation returns its response: unpacked into ``as_type`` when given, else
        into the type registered for its ``@type`` (:func:`lro.register_type`) when there
        is one, else a copy of the ``response`` dict. A failed one raises its typed error
        (:class:`~lro.errors.Cancelled`, ...); one done with neither raises
        :class:`~lro.errors.UnexpectedState`.

        An operation still running is waited for through the bound client (its
        ``wait(name, ...)`` with the arguments given); unbound, it raises
        :class:`~lro.errors.NotDone`.

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
            InvalidArgument: a wait argument of the wrong type or value (checked even
                when the snapshot is done).
            NotDone: the snapshot is running and not bound to a client.
            Error: the operation's own error, or what ended the wait.
        """
        wait_kwargs = checked_wait_kwargs(
            timeout,
            policy,
            on_progress,
            on_done,
            stop,
            cancel_on_timeout,
            asynchronous=ASYNCHRONOUS,
        )
        if self.done:
            return self._final_result(as_type)
        client = self._client
        if client is None:
            raise not_done(self)
        final = _expect(await client.wait(self.name, **wait_kwargs), client, "wait")
        return final._final_result(as_type)

    async def refresh(self) -> AsyncOperation:
        """Fetch the latest snapshot through the bound client."""
        client = self._require_client("refresh")
        return _expect(await client.get(self.name), client, "get")

    async def cancel(self) -> AsyncOperation | None:
        """Ask the server to cancel the operation (best effort), via the bound client."""
        client = self._require_client("cancel")
        return cast("AsyncOperation | None", await client.cancel(self.name))

    async def delete(self) -> AsyncOperation | None:
        """Delete the operation (it is not cancelled) via the bound client."""
        client = self._require_client("delete")
        return cast("AsyncOperation | None", await client.delete(self.name))

    async def mark_seen(self) -> AsyncOperation:
        """Mark the result seen by its creator (audited view) via the bound client."""
        client = self._require_client("mark seen")
        return _expect(await client.mark_seen(self.name), client, "mark_seen")

    def track(self, *, on_progress: OnProgress | None = None) -> AsyncHandle:
        """Track the operation in the background via the bound client: an
        :class:`lro.AsyncHandle` (see :meth:`lro.AsyncClient.track`; a snapshot of the
        audited view shares its batch rounds)."""
        client = self._require_client("track")
        return cast("AsyncHandle", client.track(self.name, on_progress=on_progress))


def _expect(value: Any, client: Any, method: str) -> AsyncOperation:
    return cast("AsyncOperation", expect_snapshot(value, client, method))


async def _only(snapshot: AsyncOperation) -> AsyncIterator[AsyncOperation]:
    """An iterator over one snapshot (what watching a done operation yields)."""
    yield snapshot

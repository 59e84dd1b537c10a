"""What a snapshot does through the client it is bound to: wait, watch, refresh, ...

:class:`BoundCalls` is the half of :class:`lro.Operation` that talks to a server, always
through ``snapshot.client`` (a :class:`lro.Client` or its audited view), never by itself;
the async twin is ``lro._async.operation.AsyncOperation``. The helpers check a bound
wait's arguments once for both.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, cast

from .defaults import DEFAULT
from .errors import FailedPrecondition

if TYPE_CHECKING:
    from .handles import Tracked
    from .operation import Operation
    from .plan import WaitPolicy
    from .waits import OnDone, OnProgress, StopEvent

__all__ = ["BoundCalls", "checked_wait_kwargs", "expect_operation", "timeout_kwargs"]


def timeout_kwargs(timeout: Any, wait_kwargs: dict[str, Any]) -> dict[str, Any]:
    return wait_kwargs if timeout is DEFAULT else {**wait_kwargs, "timeout": timeout}


def checked_wait_kwargs(
    timeout: Any,
    policy: Any,
    on_progress: Any,
    on_done: Any,
    stop: Any,
    cancel_on_timeout: Any,
    *,
    asynchronous: bool,
) -> dict[str, Any]:
    """Check a bound wait's arguments (even when no wait is needed: the snapshot is done)
    and return the ones given, for the bound client's ``wait`` / ``watch``."""
    from .waits import check_wait_options  # waits imports this module

    check_wait_options(
        timeout, policy, on_progress, on_done, stop, cancel_on_timeout, asynchronous=asynchronous
    )
    given = {
        "policy": policy,
        "on_progress": on_progress,
        "on_done": on_done,
        "stop": stop,
        "cancel_on_timeout": cancel_on_timeout or None,
    }
    return timeout_kwargs(timeout, {key: v for key, v in given.items() if v is not None})


def expect_operation(value: Any, client: Any, method: str) -> Operation:
    """Check what a bound client returned (an async client bound here would return a
    coroutine, which deserves a clear message rather than an AttributeError later)."""
    from .operation import Operation  # operation imports this module

    if not isinstance(value, Operation):
        raise TypeError(
            f"{type(client).__name__}.{method}() returned {type(value).__name__}, not an Operation"
        )
    return value


class BoundCalls:
    """The calls of :class:`lro.Operation` that go through its bound client."""

    if TYPE_CHECKING:  # provided by Operation
        _client: Any

        @property
        def name(self) -> str: ...

        @property
        def done(self) -> bool: ...

        def _safe_name(self) -> str | None: ...

    def _require_client(self, action: str) -> Any:
        if self._client is None:
            raise FailedPrecondition(
                f"cannot {action} operation {self.name or '(unnamed)'}: the snapshot is not "
                "bound to a client (use a Client method, or Operation.bind(client))",
                operation_name=self._safe_name(),
            )
        return self._client

    def wait(
        self,
        timeout: float | None = DEFAULT,
        *,
        policy: WaitPolicy | None = None,
        on_progress: OnProgress | None = None,
        on_done: OnDone | None = None,
        stop: StopEvent | None = None,
        cancel_on_timeout: bool = False,
    ) -> Operation:
        """Wait until done via the bound client and return the final snapshot.

        A snapshot that is already done is returned as is, without a request (its
        arguments are checked all the same).

        Args:
            timeout: wall-clock seconds; None waits forever; omitted: the wait policy's
                ``default_timeout``.
            policy: the :class:`lro.WaitPolicy` (default: the client's, else the default).
            on_progress: called with each snapshot that changed.
            on_done: called once when the wait ends (see :meth:`lro.Client.wait`).
            stop: a :class:`threading.Event` that abandons the wait when set.
            cancel_on_timeout: on :class:`lro.WaitTimeout`, also cancel the operation.

        Raises:
            InvalidArgument: an argument of the wrong type or value (nothing was sent).
            FailedPrecondition: the snapshot is running and not bound to a client.
            WaitTimeout: the deadline passed; see :meth:`lro.Client.wait` for the rest.
        """
        wait_kwargs = checked_wait_kwargs(
            timeout, policy, on_progress, on_done, stop, cancel_on_timeout, asynchronous=False
        )
        if self.done:
            return cast("Operation", self)
        client = self._require_client("wait for")
        final = client.wait(self.name, **wait_kwargs)
        return expect_operation(final, client, "wait")

    def watch(
        self,
        timeout: float | None = DEFAULT,
        *,
        policy: WaitPolicy | None = None,
        on_done: OnDone | None = None,
        stop: StopEvent | None = None,
        cancel_on_timeout: bool = False,
    ) -> Iterator[Operation]:
        """Yield each changed snapshot until done (the done one last), via the bound client.

        A snapshot that is already done yields itself, without a request.

        Args:
            timeout: wall-clock seconds; None waits forever; omitted: the wait policy's
                ``default_timeout``.
            policy: the :class:`lro.WaitPolicy` (default: the client's, else the default).
            on_done: called once when the watch ends (see :meth:`lro.Client.wait`).
            stop: a :class:`threading.Event` that abandons the watch when set.
            cancel_on_timeout: on :class:`lro.WaitTimeout`, also cancel the operation.

        Raises:
            InvalidArgument: an argument of the wrong type or value (nothing was sent).
        """
        wait_kwargs = checked_wait_kwargs(
            timeout, policy, None, on_done, stop, cancel_on_timeout, asynchronous=False
        )
        if self.done:
            return iter((cast("Operation", self),))
        client = self._require_client("watch")
        return cast("Iterator[Operation]", client.watch(self.name, **wait_kwargs))

    def refresh(self) -> Operation:
        """Fetch the latest snapshot through the bound client."""
        client = self._require_client("refresh")
        return expect_operation(client.get(self.name), client, "get")

    def cancel(self) -> Operation | None:
        """Ask the server to cancel the operation (best effort), via the bound client."""
        return cast("Operation | None", self._require_client("cancel").cancel(self.name))

    def delete(self) -> Operation | None:
        """Delete the operation (it is not cancelled) via the bound client."""
        return cast("Operation | None", self._require_client("delete").delete(self.name))

    def mark_seen(self) -> Operation:
        """Mark the result seen by its creator (audited view) via the bound client."""
        client = self._require_client("mark seen")
        return expect_operation(client.mark_seen(self.name), client, "mark_seen")

    def track(self, *, on_progress: OnProgress | None = None) -> Tracked:
        """Track the operation in the background via the bound client: an
        :class:`lro.Handle` (see :meth:`lro.Client.track`; a snapshot of the audited view
        shares its batch rounds)."""
        client = self._require_client("track")
        return cast("Tracked", client.track(self.name, on_progress=on_progress))

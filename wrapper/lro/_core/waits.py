"""What the sync and async waiters share (no I/O): backends, callbacks, plans, errors.

Waiting for an operation: long-poll or poll, deadlines, progress, abandoning.

``wait`` / ``async_wait`` return the final snapshot; ``watch`` / ``async_watch`` yield
each changed snapshot until done (in ``lro._sync.waiting`` and ``lro._async.waiting``).
``Client.wait``, ``AsyncClient.wait``, ``Operation.wait`` and ``Operation.result``
delegate there.

Strategy (see :class:`lro.WaitPolicy` for every knob and its default):

* The ``:wait`` long-poll when the server has it: one request per server wait window,
  completion noticed the moment the server answers. When a server lacks it (UNIMPLEMENTED,
  405, or 404 on ``:wait`` while a GET of the name works) the waiter falls back to GET
  polling, and remembers that for the route (``Recipes.available``) so it only asks once.
* GET polling: capped exponential backoff with jitter (0.75 s x1.4 up to 10 s, +/-15 %);
  a poll is brought forward to the expected finish when progress gives one (lro._core.eta).
* Deadlines are wall-clock seconds, the same sync and async. The waiter never gives up
  before the deadline: the last sleep or long-poll window is shortened to end there and
  one last check is made. Then it raises :class:`lro.WaitTimeout` carrying the last
  snapshot; the server-side operation keeps running unless ``cancel_on_timeout=True``.
  ``timeout=None`` waits forever; no timeout at all means ``policy.default_timeout``.
* Transient failures (restarts, 503s, dropped or refused connections) are retried until
  the deadline; a server's Retry-After / RetryInfo is honoured, even beyond ``max_delay``,
  while it fits the time left (otherwise the wait fails at once with the server's error);
  a permanent error (NotFound, PermissionDenied, ...) ends the wait at once.

The waiter depends on a small interface (:class:`WaitBackend`: ``get``, ``wait_once``,
``cancel``), not on the client, and takes an injectable clock and sleep.
"""

from __future__ import annotations

import contextlib
import logging
import random
from collections.abc import Callable
from typing import Any, Protocol

from .checks import check_bool, check_callable, check_instance, check_stop, check_timeout
from .clock import SYSTEM_CLOCK, Clock, check_clock
from .deadlines import DEFAULT, Deadline, resolve_timeout
from .errors import Cancelled, Error, TransportTimeout, Unimplemented, WaitTimeout
from .recipes import Recipes
from .snapshot import Snapshot
from .wait_plan import GiveUp, WaitPlan, is_no_long_poll
from .wait_policy import DEFAULT_POLICY, WaitPolicy

__all__ = [
    "SLICE",
    "STOPPED",
    "AsyncStopEvent",
    "AsyncWaitBackend",
    "OnDone",
    "OnProgress",
    "StopEvent",
    "Stopped",
    "WaitBackend",
    "abandoned",
    "check_wait_options",
    "checked_wait_kwargs",
    "clock_of",
    "has_answered",
    "known_long_poll",
    "last_of",
    "log_cancel_failure",
    "make_plan",
    "no_long_poll",
    "policy_for",
    "read_failed_long_poll",
    "remember_long_poll",
    "route_memory",
    "timed_out",
]

logger = logging.getLogger("lro")

#: ``on_progress(snapshot)``: called with each snapshot that differs from the previous one
#: (``done``, metadata, error or response changed), the first and the final one included.
#: (The snapshot is the waiting half's own kind: lro.Operation or lro.AsyncOperation.)
OnProgress = Callable[[Any], Any]

#: ``on_done(snapshot, error)``: called once when the wait ends, whatever the outcome:
#: ``(final, None)`` when the operation is done (successfully or not: see
#: ``final.error``), ``(last_snapshot_or_None, error)`` when the wait itself failed
#: (:class:`lro.WaitTimeout`, a permanent error such as NotFound, or :class:`lro.Cancelled`
#: for an abandoned wait). Not called on KeyboardInterrupt or asyncio cancellation.
OnDone = Callable[[Any, Error | None], Any]


class StopEvent(Protocol):
    """A sync wait's ``stop=``: a :class:`threading.Event` (set from any thread)."""

    def is_set(self) -> bool:
        """Whether the event is set."""
        ...

    def wait(self, timeout: float | None = None) -> bool:
        """Block until set or ``timeout`` seconds passed; whether it is set."""
        ...


class AsyncStopEvent(Protocol):
    """An async wait's ``stop=``: an :class:`asyncio.Event` (of the waiting loop)."""

    def is_set(self) -> bool:
        """Whether the event is set."""
        ...

    async def wait(self) -> Any:
        """Return once the event is set."""
        ...


# Sleeps are cut in slices so that Ctrl-C is noticed promptly on every platform.
SLICE = 0.25


class Stopped:
    """What a half's ``race_stop`` or ``workers.get`` returns when the stop event won."""


STOPPED = Stopped()

# Where a backend that is not a client of this SDK (a test double implementing
# WaitBackend) keeps whether its server has the :wait long-poll.
_CACHE_ATTR = "_lro_long_poll"


class WaitBackend(Protocol):
    """What the sync waiter needs: :class:`lro.Client` (and ``client.audit``) qualify."""

    def get(self, name: str) -> Snapshot:
        """The latest snapshot (GET)."""
        ...

    def wait_once(self, name: str, timeout: float | None) -> Snapshot:
        """One ``:wait`` long-poll of at most ``timeout`` seconds."""
        ...

    def cancel(self, name: str) -> Any:
        """Ask the server to cancel the operation (only with ``cancel_on_timeout``)."""
        ...


class AsyncWaitBackend(Protocol):
    """What the async waiter needs: :class:`lro.AsyncClient` qualifies."""

    async def get(self, name: str) -> Snapshot:
        """The latest snapshot (GET)."""
        ...

    async def wait_once(self, name: str, timeout: float | None) -> Snapshot:
        """One ``:wait`` long-poll of at most ``timeout`` seconds."""
        ...

    async def cancel(self, name: str) -> Any:
        """Ask the server to cancel the operation (only with ``cancel_on_timeout``)."""
        ...


# ---------------------------------------------------------------------------------------
# Shared helpers


def policy_for(backend: object, policy: WaitPolicy | None) -> WaitPolicy:
    """The policy of a wait: the call's, else the client's ``wait_policy``, else the
    default."""
    if policy is not None:
        return policy
    own = getattr(backend, "wait_policy", None)
    return own if isinstance(own, WaitPolicy) else DEFAULT_POLICY


def _recipes(backend: object) -> Recipes[Any] | None:
    """The recipes of a client (or of its audited view, which shares them)."""
    calls = getattr(backend, "_calls", None)
    return calls if isinstance(calls, Recipes) else None


def known_long_poll(backend: object, name: str) -> bool | None:
    """Whether the ``:wait`` route of ``name`` on the backend's server has the long-poll,
    as far as its client has learnt (None: not known yet). Kept per route (host and
    path template, :meth:`Recipes.long_poll_route`), not per client."""
    calls = _recipes(backend)
    if calls is None:
        value = getattr(backend, _CACHE_ATTR, None)
    else:
        value = calls.available.get(calls.long_poll_route(name))
    return value if isinstance(value, bool) else None


def remember_long_poll(backend: object, name: str, value: bool | None) -> None:
    """Record whether the ``:wait`` route of ``name`` has the long-poll (in its client's
    per-route knowledge), so detection happens once per route. A foreign backend that
    refuses attributes simply is not remembered."""
    if value is None or known_long_poll(backend, name) is value:
        return
    calls = _recipes(backend)
    if calls is not None:
        calls.available[calls.long_poll_route(name)] = value
        return
    with contextlib.suppress(AttributeError, TypeError):
        setattr(backend, _CACHE_ATTR, value)


def route_memory(backend: object, name: str) -> Callable[[bool], None]:
    """What a :class:`WaitPlan` tells (its ``learn``): whether the ``:wait`` route of
    ``name`` has the long-poll, kept by :func:`remember_long_poll`."""
    return lambda value: remember_long_poll(backend, name, value)


def no_long_poll(backend: object, name: str, cause: Error | None) -> Unimplemented:
    """The error of ``wait_once`` on a route without the ``:wait`` long-poll."""
    calls = _recipes(backend)
    route = f" ({calls.long_poll_route(name)})" if calls is not None else ""
    why = "" if cause is None else f": {cause.code.name} {cause.message}"[:300]
    error = Unimplemented(
        f"the server has no :wait long-poll for {name}{route}{why}; wait() polls it with "
        "GET instead",
        operation_name=name,
    )
    error.__cause__ = cause
    return error


def read_failed_long_poll(backend: object, name: str, error: Error) -> bool:
    """How ``wait_once`` reads its failed long-poll (as the waiters do): True when a GET
    of the operation is its answer (the long-poll was cut off, its server holding it
    past its window), False when a GET must tell a missing route from a missing
    operation (a 404). Raises :class:`lro.Unimplemented` when the server said it has no
    ``:wait`` (remembered for the route), else ``error`` itself."""
    if isinstance(error, TransportTimeout):
        return True
    if is_no_long_poll(error):
        remember_long_poll(backend, name, False)
        raise no_long_poll(backend, name, error)
    if error.http_status == 404:
        return False
    raise error


def clock_of(backend: object, given: Clock | None = None) -> Clock:
    """The clock a wait on ``backend`` runs on: ``given``, else its client's
    (``Client(clock=...)``), else :data:`~lro._core.clock.SYSTEM_CLOCK` (a test double)."""
    if given is not None:
        return check_clock(given)
    calls = _recipes(backend)
    return SYSTEM_CLOCK if calls is None else calls.clock


def has_answered(backend: object) -> Callable[[], bool]:
    """Asks whether the backend's server has answered its client once (a foreign
    backend, a test double, is taken to have: its waits retry as they always did)."""
    calls = _recipes(backend)
    if calls is None:
        return lambda: True
    return lambda: calls.answered


def check_wait_options(
    timeout: object,
    policy: object,
    on_progress: object,
    on_done: object,
    stop: object,
    cancel_on_timeout: object,
    *,
    asynchronous: bool,
) -> None:
    """Check the arguments of one wait (``wait``, ``watch``, ``result``; sync or async)
    before anything is sent. ``timeout`` may be :data:`~lro._core.deadlines.DEFAULT`.

    Raises:
        InvalidArgument: naming the first argument of the wrong type or value.
    """
    if timeout is not DEFAULT:
        check_timeout(timeout)
    check_instance(policy, WaitPolicy, "policy", "an lro.WaitPolicy")
    check_callable(on_progress, "on_progress")
    check_callable(on_done, "on_done")
    check_stop(stop, asynchronous=asynchronous)
    check_bool(cancel_on_timeout, "cancel_on_timeout")


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
    wait_kwargs = {key: value for key, value in given.items() if value is not None}
    return wait_kwargs if timeout is DEFAULT else {**wait_kwargs, "timeout": timeout}


def make_plan(
    backend: object,
    name: str,
    timeout: Any,
    policy: WaitPolicy | None,
    *,
    clock: Clock,
    rng: random.Random | None,
    stoppable: bool,
    watching: bool = False,
) -> WaitPlan:
    """A :class:`~lro._core.wait_plan.WaitPlan` for one wait on ``backend``, its
    deadline on ``clock``."""
    chosen = policy_for(backend, policy)
    deadline = Deadline(resolve_timeout(timeout, chosen), clock.monotonic)
    return WaitPlan(
        chosen,
        deadline,
        long_poll=known_long_poll(backend, name),
        answered=has_answered(backend),
        learn=route_memory(backend, name),
        rng=rng,
        stoppable=stoppable,
        watching=watching,
    )


def abandoned(name: str) -> Cancelled:
    """The error of a wait abandoned through its ``stop`` event."""
    return Cancelled(
        f"waiting for {name} was abandoned (stop event set); the operation itself was "
        "not cancelled",
        operation_name=name,
    )


def timed_out(name: str, plan: WaitPlan, last: Snapshot | None, why: GiveUp) -> WaitTimeout:
    """The :class:`lro.WaitTimeout` of a wait that ran out of time or polls."""
    state = "no snapshot could be fetched" if last is None else "the last snapshot is attached"
    error = WaitTimeout(
        f"operation {name} is not done: {why.reason} ({state})",
        operation=last,
        operation_name=name,
    )
    if plan.last_error is not None:
        error.__cause__ = plan.last_error  # the transient failure that filled the end
    return error


def log_cancel_failure(name: str, error: Error) -> None:
    logger.warning("cancel_on_timeout: cancelling %s failed: %s", name, error)


def last_of(error: Error, last: Snapshot | None) -> Snapshot | None:
    if isinstance(error, WaitTimeout) and error.operation is not None:
        return error.operation
    return last

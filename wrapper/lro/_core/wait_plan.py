"""The plan of one wait, without I/O: :class:`WaitPlan` says what to do next (fetch with
a long-poll, fetch with a GET, sleep, give up) and is told what happened (a snapshot, an
error), so the sync and async waiters drive the same decisions and tests run it on a
fake clock. Also which errors end a wait, and what counts as a changed snapshot.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from .deadlines import Deadline
from .errors import (
    Code,
    ConnectError,
    Error,
    InvalidResponse,
    TLSError,
    TransportError,
    TransportTimeout,
    WaitTimeout,
)
from .eta import Pace
from .progress import fraction
from .retry import is_retryable
from .snapshot import Snapshot
from .wait_policy import Backoff, WaitPolicy

S = TypeVar("S", bound=Snapshot)

__all__ = [
    "Action",
    "Fetch",
    "GiveUp",
    "Sleep",
    "SnapshotTracker",
    "WaitPlan",
    "is_no_long_poll",
    "is_transient",
    "progress_of",
    "snapshot_key",
]
# ---------------------------------------------------------------------------------------
# Errors: which end the wait, which mean "no long-poll here"


def is_no_long_poll(error: Error) -> bool:
    """Whether a ``:wait`` error says the server has no long-poll (UNIMPLEMENTED, HTTP
    405 or 501). A 404 is ambiguous (no route, or no operation): :class:`WaitPlan` asks a
    GET to tell them apart."""
    return error.code == Code.UNIMPLEMENTED or error.http_status in (405, 501)


def is_transient(error: Error) -> bool:
    """Whether a failed read while waiting is worth retrying inside the wait's deadline.

    Everything :func:`lro._core.retry.is_retryable` retries for an idempotent call, plus what a
    waiter in particular outlives: any transport failure but TLS (a server restarting
    refuses or drops connections), a proxy's 502/503/504, a malformed body (a response cut
    short), and RESOURCE_EXHAUSTED / ABORTED even without a server delay (the waiter backs
    off anyway). Never :class:`lro.WaitTimeout` (a nested wait's own deadline).
    """
    if isinstance(error, WaitTimeout | TLSError):
        return False
    if is_retryable(error, True) or isinstance(error, TransportError | InvalidResponse):
        return True
    if error.http_status in (502, 503, 504):
        return True
    return error.code in (Code.UNAVAILABLE, Code.RESOURCE_EXHAUSTED, Code.ABORTED)


# ---------------------------------------------------------------------------------------
# Progress


def snapshot_key(operation: Snapshot) -> tuple[Any, ...]:
    """What makes two snapshots of one operation differ for progress purposes: ``done``,
    the raw ``metadata``, ``error`` and ``response`` JSON (not timestamps or identity)."""
    raw = operation.to_dict()
    return (
        bool(raw.get("done")),
        raw.get("metadata"),
        raw.get("error"),
        raw.get("response"),
    )


class SnapshotTracker:
    """Remembers the last snapshot's :func:`snapshot_key` and says when a new one differs."""

    def __init__(self, baseline: Snapshot | None = None) -> None:
        self._key = None if baseline is None else snapshot_key(baseline)

    def changed(self, operation: Snapshot) -> bool:
        """Whether ``operation`` differs from the previous one (and remember it)."""
        key = snapshot_key(operation)
        if key == self._key:
            return False
        self._key = key
        return True


def progress_of(snapshot: Snapshot | Mapping[str, Any] | None) -> float | None:
    """The progress fraction in ``[0, 1]`` of a snapshot (or of its metadata JSON) read
    from the common metadata shapes (see :func:`lro.progress_fraction`): 1.0 for a done
    operation that reports none, else None when unknown."""
    if isinstance(snapshot, Snapshot):
        found = fraction(snapshot.to_dict().get("metadata"))
        return 1.0 if found is None and snapshot.done else found
    return fraction(snapshot)


# ---------------------------------------------------------------------------------------
# The plan


# The three actions are plain classes: as dataclasses they cost ~1.5 ms of `import lro`.


class Fetch:
    """Make one request: a ``:wait`` with this ``window`` (seconds), or a GET if None;
    ``left``: the wait's time left (None: no deadline), which bounds the request and its
    retries."""

    __slots__ = ("left", "window")

    def __init__(self, window: float | None, left: float | None) -> None:
        self.window, self.left = window, left

    def __repr__(self) -> str:
        return f"Fetch(window={self.window!r}, left={self.left!r})"


class Sleep:
    """Sleep this many seconds (already clamped to the deadline)."""

    __slots__ = ("seconds",)

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def __repr__(self) -> str:
        return f"Sleep({self.seconds!r})"


class GiveUp:
    """Stop: the deadline passed (or ``max_polls`` was reached) after a last check."""

    __slots__ = ("reason",)

    def __init__(self, reason: str) -> None:
        self.reason = reason

    def __repr__(self) -> str:
        return f"GiveUp({self.reason!r})"


#: What :meth:`WaitPlan.next_action` asks for.
Action = Fetch | Sleep | GiveUp


def _never() -> bool:
    return False


# A long-poll that comes back faster than this share of its window, unchanged, behaved
# like a GET (a server may return early: operations.proto allows it); pace the next one.
_EARLY = 0.5


class WaitPlan:
    """What one wait does next, given what happened so far. Pure: no I/O, no sleeping.

    Args:
        policy: the :class:`WaitPolicy`.
        deadline: the wait's :class:`Deadline`.
        long_poll: what is known about the server: True (has ``:wait``), False (does not)
            or None (unknown; try it). Ignored when ``policy.long_poll`` is False.
        answered: asks whether the server has answered the client once (None: no
            client knows; only this plan's own requests tell). Until it has, a
            connection error (nobody listening, no such host: after the call's own
            retries) ends the wait at once instead of being retried until the deadline.
        learn: told what the server's answers taught about its ``:wait`` long-poll
            (True: it answered one; False: it has none), once per change, so the
            client keeps it for the route. A policy's choice (``long_poll=False``)
            teaches nothing.
        rng: random source for jitter.
        stoppable: a stop event is watched; caps windows at ``policy.stop_latency``.
        watching: progress is watched; caps windows at ``policy.progress_interval``.

    Use: ``action = plan.next_action()``; run it; report with :meth:`on_operation` (or
    :meth:`on_snapshot` for a batch round) or :meth:`on_error` (which re-raises permanent
    errors).
    """

    def __init__(
        self,
        policy: WaitPolicy,
        deadline: Deadline,
        *,
        long_poll: bool | None = None,
        answered: Callable[[], bool] | None = None,
        learn: Callable[[bool], None] | None = None,
        rng: random.Random | None = None,
        stoppable: bool = False,
        watching: bool = False,
    ) -> None:
        self.policy = policy
        self.deadline = deadline
        self.long_poll: bool | None = False if policy.long_poll is False else long_poll
        if policy.long_poll is True:
            self.long_poll = True
        self._learn = learn
        self._learnt = long_poll  # what the client knew, or was last told
        self.requests = 0
        self.last_error: Error | None = None
        self._backoff = Backoff(policy, rng or random.Random())
        self._stoppable = stoppable
        self._watching = watching
        # Watching progress starts with a plain GET, so the current state shows at once
        # instead of after the first long-poll window.
        self._initial_get = watching and self.long_poll is not False
        self._sleep = 0.0
        self._confirming = False  # a :wait got 404: does a GET of the name work?
        self._answered = False  # by this plan's own requests
        self._client_answered = answered
        # A long-poll was cut off (its server held it past its window): a GET, at once.
        self._cut_off = False
        self._checked_at_deadline = False
        self._fetched_at = 0.0  # when the last Fetch was handed out
        # The time-left estimate (lro._core.eta): drivers pass it each snapshot; it may
        # bring a GET poll forward to the expected finish.
        self.pace = Pace(policy, deadline.clock)

    # -- deciding -----------------------------------------------------------------------

    def next_action(self) -> Action:
        """The next step: :class:`Sleep`, :class:`Fetch` or :class:`GiveUp`."""
        if self._checked_at_deadline:
            return GiveUp(f"the {self.deadline.timeout} s deadline passed")
        if self.policy.max_polls is not None and self.requests >= self.policy.max_polls:
            return GiveUp(f"max_polls={self.policy.max_polls} requests were made")
        if self._sleep > 0:
            # Clamped: the sleep ends at the deadline at the latest, and the fetch after
            # it is the last check (the waiter never gives up before its deadline).
            seconds = self.deadline.clamp(self._sleep)
            self._sleep = 0.0
            if seconds > 0:
                return Sleep(seconds)
        self._fetched_at = self.deadline.clock()
        return Fetch(self._window(), self.deadline.remaining())

    def _window(self) -> float | None:
        if self._confirming or self._cut_off or self._initial_get or self.long_poll is False:
            return None
        window = self.policy.wait_window
        if self._stoppable:
            window = min(window, self.policy.stop_latency)
        if self._watching:
            window = min(window, self.policy.progress_interval)
        return self.deadline.clamp(window)

    # -- learning -----------------------------------------------------------------------

    def on_operation(self, snapshot: S, fetch: Fetch) -> S:
        """Report the snapshot a ``fetch`` read; returns it carrying the time-left estimate
        (:attr:`lro.Operation.eta`, from :attr:`pace`)."""
        seen = self.pace.see(snapshot)
        self.on_snapshot(seen.done, fetch)
        return seen

    def on_snapshot(self, done: bool, fetch: Fetch) -> None:
        """Report a successful ``fetch``; ``done``: whether it saw the operation (for a
        batch round, every operation) done."""
        elapsed = self.deadline.clock() - self._fetched_at
        self.requests += 1
        self.last_error = None
        self._answered = True
        if self._confirming:
            self._confirming = False
            self._learnt_that(False)  # :wait is 404 but the operation exists: no long-poll
        elif fetch.window is not None:
            self._learnt_that(True)  # a :wait answered
        if done:
            return
        self._mark_deadline_check()
        if self._initial_get or self._cut_off:
            # Straight on to the long-poll, no sleep (after a cut-off one, it paces itself).
            self._initial_get = self._cut_off = False
            return
        if fetch.window is None:
            self._sleep = self.pace.sleep(self._backoff.next())
            return
        if elapsed < _EARLY * min(fetch.window, self.policy.initial_delay):
            self._sleep = max(0.0, self._backoff.next() - elapsed)
        else:
            self._backoff.reset()

    def on_error(self, error: Error, fetch: Fetch) -> None:
        """Report a failed request; re-raises ``error`` when it ends the wait."""
        self.requests += 1
        self.last_error = error
        if not isinstance(error, ConnectError):
            self._answered = True  # an answer, or at least a connection
        elif not (self._answered or (self._client_answered or _never)()):
            raise error  # nobody has ever answered: not an outage to sit out
        if fetch.window is not None and isinstance(error, TransportTimeout):
            # Cut off by the client (the server held it past its window + WAIT_MARGIN):
            # read the operation with a GET at once, the last check if at the deadline.
            self._cut_off = True
            return
        if fetch.window is not None and self.policy.long_poll == "auto":
            # Not a check of the operation: the next action is a GET, at once (even at
            # the deadline, where it becomes the last check).
            if is_no_long_poll(error):
                self._learnt_that(False)
                return
            if error.http_status == 404:
                self._confirming = True
                return
        if not is_transient(error):
            raise error
        self._mark_deadline_check()
        self._sleep = self._retry_delay(error)
        left = self.deadline.remaining()
        hint = error.retry_delay
        if hint is not None and left is not None and hint > max(0.0, left):
            # The server's own pace does not fit the wait: its error, now, not a retry that
            # it asked us not to make (nor a sleep to the deadline and a doomed last check).
            raise error

    def _learnt_that(self, long_poll: bool) -> None:
        """The server's answer says whether it has the long-poll: use it, and tell
        ``learn`` when that is news."""
        self.long_poll = long_poll
        if long_poll is not self._learnt and self._learn is not None:
            self._learn(long_poll)
        self._learnt = long_poll

    def _mark_deadline_check(self) -> None:
        left = self.deadline.remaining()
        if left is not None and left <= 0:
            self._checked_at_deadline = True

    def _retry_delay(self, error: Error) -> float:
        """Backoff, or the server's delay (Retry-After / RetryInfo) when longer: it wins
        over ``max_delay`` (the caller checks that it fits the deadline), but a shorter one
        (``Retry-After: 0``) never makes the wait poll faster than its own backoff, which
        grows on every failure in a row."""
        computed = self._backoff.next()
        hint = error.retry_delay
        if hint is None:
            return computed
        return max(hint, computed)

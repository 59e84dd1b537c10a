"""Retry policy: what is retryable (AIP-194), capped exponential backoff with jitter,
``Retry-After`` / ``RetryInfo``, and a total deadline.

The clients run every HTTP call through a :class:`RetryState` (one per call): after a
failure it answers how long to sleep before the next attempt, or None to give up and raise.
It is shared by the sync and async clients; only the sleeping differs.

What is retried (:func:`is_retryable`):

* a refused connection, DNS failure or connect error (the request was never sent): always;
* UNAVAILABLE (503, or the server's own code), HTTP 502 and 504 from a gateway, a dropped
  connection or a timeout: for idempotent calls only. Every call the clients make is
  idempotent: reads, cancel, delete, wait, mark-seen and update are by nature, and create,
  finalize and abort always carry a ``requestId`` (filled with a uuid4 when the caller
  gives none) so the server deduplicates them (AIP-155);
* RESOURCE_EXHAUSTED (and ABORTED) only when the server says when (``Retry-After`` or a
  ``RetryInfo`` detail);
* never CANCELLED, DEADLINE_EXCEEDED (from a service), INVALID_ARGUMENT, DATA_LOSS, or any
  other code.

Without a server delay the sleep before retry *n* is ``min(maximum, initial *
multiplier**(n-1))`` with jitter. A server's delay (``Retry-After`` or ``RetryInfo``) is
honoured, and wins over the policy's ``maximum`` as long as it fits the time left for the
call (its ``deadline``, and the time left of the wait it is part of: ``Call.outer``).
When it does not fit, the call fails at once with the server's own error
(``retry_delay`` set) instead of retrying early. A server delay shorter than the policy's
own pace (``Retry-After: 0``, ``RetryInfo 0s``) is raised to it: at least half of the
backoff cap of that retry, with jitter (:meth:`Retry.floor`), so a server cannot make a
client retry in a tight loop. No retry starts when its sleep would end past the call's
deadline.

Every attempt is logged at DEBUG on the ``lro`` logger: method, path, attempt, outcome and
the delay before the next one. Headers, query strings and bodies are never logged.
"""

from __future__ import annotations

import dataclasses
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from .checks import check_numbers
from .clock import SYSTEM_CLOCK, Clock
from .errors import (
    Code,
    ConnectError,
    Error,
    InvalidArgument,
    InvalidResponse,
    TLSError,
    TransportError,
)

__all__ = [
    "DEFAULT_RETRY",
    "LAST_CHECK_SECONDS",
    "NO_RETRY",
    "Retry",
    "RetryState",
    "is_retryable",
    "logger",
]

logger = logging.getLogger("lro")

Jitter = Literal["full", "equal", "none"]

_NEVER = frozenset({Code.CANCELLED, Code.INVALID_ARGUMENT, Code.DATA_LOSS})

#: How long past the end of the wait a call is part of (``Call.outer``) a request may still
#: be answered: a long-poll whose window ends at the wait's deadline is answered right
#: then, and the wait's last check at its deadline needs a moment too. A wait so overruns
#: its ``timeout`` by at most this much (plus scheduling noise).
LAST_CHECK_SECONDS = 0.5


class _Uniform:
    """``random.random``, shown by name: a bound method's repr carries an address, which
    would otherwise show in every signature with a default Retry (``help(lro.Client)``)."""

    __slots__ = ()

    def __call__(self) -> float:
        return random.random()

    def __repr__(self) -> str:
        return "random.random"

    def __reduce__(self) -> str:
        return "_UNIFORM"


_UNIFORM = _Uniform()


@dataclass(frozen=True)
class Retry:
    """How a call is retried. Immutable; derive variants with :meth:`replace`.

    Attributes:
        initial: the first backoff cap, seconds.
        multiplier: growth of the cap per attempt.
        maximum: largest backoff sleep, seconds. A server's ``Retry-After`` /
            ``RetryInfo`` may be longer: it is honoured while it fits the deadline.
        deadline: seconds from the first attempt after which no new attempt starts
            (None: no limit). It does not cut a request in flight: each HTTP request has
            the client's ``timeout``.
        max_attempts: attempts in all, the first included (1 disables retrying).
        jitter: ``"full"`` (sleep uniform in ``[0, cap]``), ``"equal"`` (``cap/2`` plus
            uniform in ``[0, cap/2]``) or ``"none"``.
        clock, sleep, random: injectable for tests. ``clock`` (a monotonic reading)
            and ``sleep`` (the pause between two attempts; the async client awaits what
            it returns when that is awaitable) default to the client's clock
            (``Client(clock=...)``, :class:`lro.Clock`); set them to time one policy
            apart from the rest of the client.
    """

    initial: float = 0.1
    multiplier: float = 2.0
    maximum: float = 5.0
    deadline: float | None = 30.0
    max_attempts: int = 5
    jitter: Jitter = "full"
    # Injectables: left out of repr (and so of help(lro.Client)), which shows the policy.
    clock: Callable[[], float] | None = dataclasses.field(default=None, compare=False, repr=False)
    sleep: Callable[[float], object] | None = dataclasses.field(
        default=None, compare=False, repr=False
    )
    random: Callable[[], float] = dataclasses.field(default=_UNIFORM, compare=False, repr=False)

    def __post_init__(self) -> None:
        check_numbers(
            self,
            "Retry",
            ("initial", "maximum", "multiplier", "max_attempts"),
            optional=("deadline",),
        )
        if self.initial < 0 or self.maximum < 0 or self.multiplier < 1:
            raise InvalidArgument("initial and maximum must be >= 0 and multiplier >= 1")
        if self.max_attempts < 1:
            raise InvalidArgument("max_attempts must be >= 1")
        if self.deadline is not None and self.deadline < 0:
            raise InvalidArgument("deadline must be >= 0 or None")
        if self.jitter not in ("full", "equal", "none"):
            raise InvalidArgument("jitter must be 'full', 'equal' or 'none'")

    def replace(self, **changes: object) -> Retry:
        """A copy with some fields changed."""
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]

    def backoff(self, retry_number: int) -> float:
        """The jittered sleep before retry number ``retry_number`` (1 = the first retry)."""
        cap = min(self.maximum, self.initial * self.multiplier ** max(0, retry_number - 1))
        if self.jitter == "full":
            return cap * self.random()
        if self.jitter == "equal":
            return cap / 2 + cap / 2 * self.random()
        return cap

    def floor(self, retry_number: int) -> float:
        """The shortest sleep before retry ``retry_number`` after a server's delay: the
        backoff cap of that retry with equal jitter (``cap/2`` to ``cap``; the cap itself
        with ``jitter="none"``), growing as the backoff does."""
        cap = min(self.maximum, self.initial * self.multiplier ** max(0, retry_number - 1))
        if self.jitter == "none":
            return cap
        return cap / 2 + cap / 2 * self.random()

    def delay_for(self, error: Error, retry_number: int) -> float:
        """The sleep before retry ``retry_number`` after ``error``: the server's delay
        (``Retry-After`` / ``RetryInfo``; not capped by ``maximum``: :class:`RetryState`
        gives up when it does not fit the deadline) but at least :meth:`floor`, else
        :meth:`backoff`."""
        server = error.retry_delay
        if server is not None:
            return max(server, self.floor(retry_number))
        return self.backoff(retry_number)


#: The default policy: 0.1 s doubling up to 5 s, full jitter, 5 attempts, 30 s in all.
DEFAULT_RETRY = Retry()

#: A policy that never retries (same as passing ``retry=None`` to a client).
NO_RETRY = Retry(max_attempts=1)


def is_retryable(error: BaseException, idempotent: bool) -> bool:
    """Whether ``error`` may be retried (AIP-194); see the module docstring."""
    if not isinstance(error, Error):
        return False
    if isinstance(error, ConnectError):
        return True  # never sent
    if isinstance(error, TLSError | InvalidResponse):
        return False
    if isinstance(error, TransportError):
        return idempotent
    if not idempotent:
        return False
    code = error.code
    if code in _NEVER:
        return False
    if code in (Code.RESOURCE_EXHAUSTED, Code.ABORTED):
        return error.retry_delay is not None
    if code == Code.UNAVAILABLE:
        return True
    # A gateway's 502 (a proxy page) or 504 without a service status of its own (no
    # details): the request may not have reached the service. A service's own
    # DEADLINE_EXCEEDED (with details) is never retried.
    if error.http_status == 502:
        return code in (Code.INTERNAL, Code.UNKNOWN)
    return error.http_status == 504 and code == Code.DEADLINE_EXCEEDED and not error.details


class RetryState:
    """The retry bookkeeping of one call (not thread-safe; one per call).

    Args:
        policy: the :class:`Retry`, or None for a single attempt.
        idempotent: whether the call may be repeated safely.
        method, path: for the log lines only.
        budget: seconds from now after which no retry starts; combined (the earlier
            wins) with ``policy.deadline`` and ``outer``.
        outer: seconds left of the wait the call is part of (None: not part of one):
            no retry starts after it, and every request must be answered by then.
        clock: the client's clock (the policy's own ``clock``, when set, wins).
    """

    def __init__(
        self,
        policy: Retry | None,
        *,
        idempotent: bool,
        method: str,
        path: str,
        budget: float | None = None,
        outer: float | None = None,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self.policy = policy
        self.idempotent = idempotent
        self.method = method
        self.path = path
        self.attempt = 0
        own = policy.clock if policy is not None else None
        self._clock = own or clock.monotonic  # the policy's own, else the client's
        start = self._clock()
        self.start = start
        given = (budget, policy.deadline if policy else None, outer)
        limits = [max(0.0, b) for b in given if b is not None]
        self.deadline: float | None = start + min(limits) if limits else None
        # When the enclosing wait ends: every request must be answered by then.
        self.outer: float | None = None if outer is None else start + outer

    def time_left(self) -> float | None:
        """The ``time_left`` of the next request: what is left of the enclosing
        wait (``outer``) plus :data:`LAST_CHECK_SECONDS`, or None outside one."""
        if self.outer is None:
            return None
        return max(0.0, self.outer - self._clock()) + LAST_CHECK_SECONDS

    def begin(self) -> int:
        """Count a new attempt; returns its number (1-based)."""
        self.attempt += 1
        return self.attempt

    def remaining(self) -> float | None:
        """Seconds left before the deadline (None: no deadline)."""
        if self.deadline is None:
            return None
        return self.deadline - self._clock()

    def succeeded(self, status: int) -> None:
        """Log a completed exchange (any HTTP status that is not retried)."""
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug(
                "%s %s attempt %d: HTTP %d after %.1f ms",
                self.method,
                self.path,
                self.attempt,
                status,
                (self._clock() - self.start) * 1000,
            )

    def settled(self, error: Error) -> None:
        """Log an error that proved an earlier, unanswered attempt succeeded."""
        logger.debug(
            "%s %s attempt %d: %s after an unanswered attempt: treated as success",
            self.method,
            self.path,
            self.attempt,
            error.code.name,
        )

    def next_delay(self, error: Error) -> float | None:
        """After a failed attempt: seconds to sleep before the next one, or None to give up."""
        delay = self._decide(error)
        if logger.isEnabledFor(logging.DEBUG):
            what = f"HTTP {error.http_status}" if error.http_status is not None else "no response"
            outcome = "giving up" if delay is None else f"retrying in {delay:.3f} s"
            logger.debug(
                "%s %s attempt %d: %s %s (%s): %s",
                self.method,
                self.path,
                self.attempt,
                what,
                error.code.name,
                type(error).__name__,
                outcome,
            )
        return delay

    def _decide(self, error: Error) -> float | None:
        policy = self.policy
        if policy is None or self.attempt >= policy.max_attempts:
            return None
        if not is_retryable(error, self.idempotent):
            return None
        delay = policy.delay_for(error, self.attempt)
        remaining = self.remaining()
        if remaining is not None and delay >= remaining:
            return None
        return delay

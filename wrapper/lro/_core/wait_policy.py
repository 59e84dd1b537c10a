"""How to wait: :class:`WaitPolicy` (every knob and its default) and the polling schedule.

Nothing here does I/O or sleeps: the plan of each wait (:mod:`lro._core.wait_plan`)
follows the policy, and the waiters (``lro._async.waiting`` and its generated sync twin)
follow the plan.

The default GET-polling cadence (0.75 s, x1.4, up to 10 s, +/-15 % jitter) was chosen with
:func:`simulate_schedule`: it needs no more requests than google-api-core's default (1 s
x1.5 up to 20 s, full jitter) and notices completion sooner. Mean requests / mean seconds
late over 100,000 simulated runs (``tests/waiting/test_waiting_schedule.py``):

==========  =================  ==================
operation   lro default        google-api-core
==========  =================  ==================
3 s         4.06 / 0.39 s      5.01 / 1.33 s
10 s        7.00 / 2.24 s      7.51 / 3.64 s
30 s        10.00 / 5.80 s     10.20 / 6.58 s
600 s       66.93 / 5.03 s     67.22 / 6.67 s
==========  =================  ==================

Start short and grow slowly, then cap lower: the cadence is dense while most operations
finish, and the equal jitter (unlike full jitter) never wastes a poll a few milliseconds
after the previous one. With the ``:wait`` long-poll none of this applies: one request
per server window, and completion noticed at once.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

from .checks import check_numbers
from .errors import (
    InvalidArgument,
)

__all__ = [
    "DEFAULT_POLICY",
    "Backoff",
    "WaitPolicy",
    "api_core_delays",
    "expected_cost",
    "simulate_schedule",
]

#: ``WaitPolicy.long_poll``: True, False or ``"auto"``.
LongPoll = bool | Literal["auto"]


@dataclass(frozen=True)
class WaitPolicy:
    """How a waiter waits. Immutable; derive variants with :meth:`replace`.

    Attributes:
        long_poll: ``"auto"`` (default): use the ``:wait`` long-poll, and fall back to GET
            polling for good (remembered per route: host and name pattern) when the
            server answers UNIMPLEMENTED, 405, or 404 for ``:wait`` while a GET of the
            same name works. ``True``: always
            long-poll (a server without ``:wait`` is then an error). ``False``: only poll.
        wait_window: seconds asked of each ``:wait`` request (default 30). The server may
            cap it (the reference server at its ``--max-wait``); the last window before
            a deadline is shortened to end at the deadline.
        initial_delay: first sleep between GET polls, seconds (default 0.75).
        multiplier: growth of the sleep after each poll (default 1.4).
        max_delay: largest sleep between polls, seconds (default 10). A server's
            ``Retry-After`` / ``RetryInfo`` after a transient error may be longer: it is
            honoured while it fits the time left for the wait; when it does not, the wait
            fails at once with the server's error (its ``retry_delay`` set). A shorter
            one (``Retry-After: 0``) never makes the wait retry faster than this backoff.
        jitter: each sleep is multiplied by a uniform factor in
            ``[1 - jitter, 1 + jitter]`` (default 0.15), so many waiters do not poll in
            lockstep. 0 disables it.
        max_polls: most requests one wait may make (polls, long-polls and failed attempts
            alike); reaching it raises :class:`lro.WaitTimeout`. None (default): no cap.
        default_timeout: seconds a wait lasts when the caller passes no ``timeout``
            (default 900, google-api-core's). Passing ``timeout=None`` explicitly waits
            forever.
        stop_latency: when a ``stop`` event is given (and inside the thread pool of
            :func:`lro.wait_all`), long-poll windows are capped at this many seconds so
            that a request in flight never delays abandoning the wait by more than this
            (default 5; plus 1 s when a server holds a long-poll past its window: it is
            cut off then). Polling sleeps end at once when the event is set.
        progress_interval: when progress is being watched (``on_progress`` given, or
            ``watch()``), long-poll windows are capped at this many seconds (default 1),
            because a ``:wait`` returns only when the operation is done: shorter windows
            let metadata progress show. Completion is still noticed at once.
        batch_max_delay: the largest sleep between the batch rounds of
            :func:`lro.wait_all` / :func:`lro.as_completed` on the audited view (default 1).
            A round costs one request per 1000 operations, so the last completion of a
            large set is noticed within about a second.
    """

    long_poll: LongPoll = "auto"
    wait_window: float = 30.0
    initial_delay: float = 0.75
    multiplier: float = 1.4
    max_delay: float = 10.0
    jitter: float = 0.15
    max_polls: int | None = None
    default_timeout: float | None = 900.0
    stop_latency: float = 5.0
    progress_interval: float = 1.0
    batch_max_delay: float = 1.0

    def __post_init__(self) -> None:
        check_numbers(
            self,
            "WaitPolicy",
            ("wait_window", "initial_delay", "multiplier", "max_delay", "jitter", "stop_latency"),
            ("progress_interval", "batch_max_delay"),
            optional=("max_polls", "default_timeout"),
        )
        if self.long_poll not in (True, False, "auto"):
            raise InvalidArgument("long_poll must be True, False or 'auto'")
        if min(self.wait_window, self.stop_latency, self.progress_interval) <= 0:
            raise InvalidArgument("wait_window, stop_latency and progress_interval must be > 0")
        if self.batch_max_delay <= 0:
            raise InvalidArgument("batch_max_delay must be > 0")
        if not 0 < self.initial_delay <= self.max_delay:
            raise InvalidArgument("need 0 < initial_delay <= max_delay")
        if self.multiplier < 1:
            raise InvalidArgument("multiplier must be >= 1")
        if not 0 <= self.jitter < 1:
            raise InvalidArgument("jitter must be in [0, 1)")
        if self.max_polls is not None and self.max_polls < 1:
            raise InvalidArgument("max_polls must be >= 1 or None")
        if self.default_timeout is not None and self.default_timeout < 0:
            raise InvalidArgument("default_timeout must be >= 0 or None")

    def replace(self, **changes: Any) -> WaitPolicy:
        """A copy with some fields changed."""
        return dataclasses.replace(self, **changes)


#: The policy used when neither the call nor the client gives one.
DEFAULT_POLICY = WaitPolicy()


# DEFAULT (re-exported: the clients' signatures import it from here) is defaults.py's.


# ---------------------------------------------------------------------------------------
# Schedule


class Backoff:
    """Capped exponential delays with equal-ratio jitter: ``initial * multiplier**k``
    capped at ``max_delay``, times a uniform factor in ``[1 - jitter, 1 + jitter]``."""

    def __init__(self, policy: WaitPolicy, rng: random.Random) -> None:
        self._policy = policy
        self._rng = rng
        self._base = policy.initial_delay

    def next(self) -> float:
        """The next delay (and grow the following one)."""
        policy = self._policy
        delay = self._base * self._rng.uniform(1 - policy.jitter, 1 + policy.jitter)
        self._base = min(self._base * policy.multiplier, policy.max_delay)
        return delay

    def reset(self) -> None:
        """Start again from ``initial_delay`` (after a long-poll that behaved)."""
        self._base = self._policy.initial_delay


def api_core_delays(rng: random.Random) -> Iterator[float]:
    """google-api-core's default polling sleeps (1 s x1.5 up to 20 s, full jitter: each
    sleep uniform in ``[0, cap]``), for comparisons and benchmarks."""
    cap = 1.0
    while True:
        yield rng.uniform(0.0, cap)
        cap = min(cap * 1.5, 20.0)


def _policy_delays(policy: WaitPolicy, rng: random.Random) -> Iterator[float]:
    backoff = Backoff(policy, rng)
    while True:
        yield backoff.next()


#: A polling cadence for :func:`simulate_schedule`: a policy, or a sleeps generator factory.
Schedule = WaitPolicy | Callable[[random.Random], Iterator[float]]


def simulate_schedule(policy: Schedule, duration_s: float, rng: random.Random) -> tuple[int, float]:
    """Simulate GET polling of an operation that finishes ``duration_s`` seconds after the
    first poll: returns ``(requests, lateness)``, the GETs made (the first, at time 0,
    included) and how many seconds after completion the last one noticed it.

    ``policy`` is a :class:`WaitPolicy` (its polling cadence) or a function of the random
    generator yielding sleeps (e.g. :func:`api_core_delays`).
    """
    delays = _policy_delays(policy, rng) if isinstance(policy, WaitPolicy) else policy(rng)
    now, requests = 0.0, 1
    while now < duration_s:
        now += next(delays)
        requests += 1
    return requests, now - duration_s


def expected_cost(
    policy: Schedule, duration_s: float, *, runs: int = 2000, seed: int = 0
) -> tuple[float, float]:
    """Mean ``(requests, lateness)`` of :func:`simulate_schedule` over ``runs`` runs."""
    rng = random.Random(seed)
    total_requests, total_lateness = 0, 0.0
    for _ in range(runs):
        requests, lateness = simulate_schedule(policy, duration_s, rng)
        total_requests += requests
        total_lateness += lateness
    return total_requests / runs, total_lateness / runs

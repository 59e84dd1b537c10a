"""The time left of an operation, estimated from the progress its snapshots report.

No I/O: times come from the waiter's (injectable) monotonic clock.

**Method.** Each snapshot one wait, watch or handle fetches is a sample: the clock time
it arrived and the progress fraction its metadata reports (read by
:mod:`lro._core.progress`, the shapes of :func:`lro.progress_fraction`). Over the last
:data:`WINDOW` samples the rate is the Theil-Sen slope: the median of the slopes between
every pair of samples, which one noisy or outlying sample cannot drag (up to about 29 %
of them). The fitted line (through the median intercept) is followed to 100 %: that is
the expected finish, and the seconds left are counted from the last sample.

**Limits.** It assumes the rest of the work goes at the recent rate: an operation that
slows down, pauses or reports progress in a few big steps finishes later (or earlier)
than estimated; progress reported in steps is read at the step's value, so the estimate
is late by about half a step. There is no estimate (None), and a waiter polls exactly as
its :class:`lro.WaitPolicy` says, while:

* fewer than two samples were seen, or progress has not moved across them;
* progress is missing, non-numeric, NaN, negative or above 100 % in the last snapshot
  (the samples before it are forgotten);
* progress went backwards (the estimate starts again from that sample);
* the latest progress is already 100 % but the operation is not done;
* the rate is absurd (the whole operation in less than :data:`MIN_TOTAL` seconds) or
  the finish further than :data:`MAX_SECONDS` away;
* the operation is done.

**Polling with it** (:class:`Pace`, driven by :class:`lro._core.wait_plan.WaitPlan`): when
GET polling, the next poll is made at the expected finish plus a small margin
(:data:`MARGIN` s + :data:`SHARE` of the time left) if that comes before the poll the
policy would make; never later than the policy's, and never sooner than the policy's
shortest sleep (``initial_delay * (1 - jitter)``). A poll so aimed that finds the
operation still running is a miss: each miss doubles the margin and multiplies that
shortest sleep by the policy's ``multiplier``, so a wrong estimate can cost a few extra
requests but never makes the waiter spin. ``:wait`` long-polls are not changed (they
notice completion at once).
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, TypeVar

from .progress import reading

if TYPE_CHECKING:
    from .snapshot import Snapshot
    from .wait_policy import WaitPolicy

S = TypeVar("S", bound="Snapshot")

__all__ = [
    "MARGIN",
    "MAX_SECONDS",
    "MIN_TOTAL",
    "SHARE",
    "WINDOW",
    "Estimates",
    "Estimator",
    "Eta",
    "Fit",
    "Pace",
    "Pending",
    "fit_of",
    "theil_sen",
    "to_eta",
]

#: How many recent samples the rate is fitted over.
WINDOW = 8
#: A rate that would do the whole operation faster than this (seconds) is not believed.
MIN_TOTAL = 0.01
#: A finish further away than this (seconds, ~3 years) is not an estimate.
MAX_SECONDS = 1e8
#: The margin after the expected finish at which an aimed poll is made: seconds, plus a
#: share of the time left (the further the finish, the less certain it is).
MARGIN = 0.1
SHARE = 0.05
# Misses widen the margin and the floor exponentially, so a few put every aimed poll past
# the policy's own; the cap only keeps the arithmetic finite whatever happens.
_MOST_MISSES = 30


class Eta:
    """An estimate of the time left (``Operation.eta``, ``Handle.eta``). Immutable.

    Attributes:
        seconds: seconds left when the snapshot carrying it arrived (>= 0).
        finish: the expected finish, a timezone-aware UTC datetime (this machine's clock).
        rate: the progress rate, fraction of the whole per second.
        samples: how many snapshots the estimate is made from (>= 2).
    """

    __slots__ = ("finish", "rate", "samples", "seconds")

    seconds: float
    finish: datetime
    rate: float
    samples: int

    def __init__(self, seconds: float, finish: datetime, rate: float, samples: int) -> None:
        for name, value in (
            ("seconds", seconds),
            ("finish", finish),
            ("rate", rate),
            ("samples", samples),
        ):
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("Eta is immutable")

    def __repr__(self) -> str:
        return (
            f"Eta(seconds={self.seconds:.3f}, finish={self.finish.isoformat()}, "
            f"rate={self.rate:.6g}, samples={self.samples})"
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Eta):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def _key(self) -> tuple[float, datetime, float, int]:
        return (self.seconds, self.finish, self.rate, self.samples)

    def remaining(self, now: datetime | None = None) -> float:
        """Seconds left from ``now`` (default: the current time) to :attr:`finish`,
        0 once it has passed."""
        now = datetime.now(timezone.utc) if now is None else now
        return max(0.0, (self.finish - now).total_seconds())


class Fit:
    """The estimate on the waiter's clock: ``finish_at`` and ``last_at`` (the last
    sample's time) are clock readings."""

    # (plain classes here: a NamedTuple or dataclass costs milliseconds at `import lro`)
    __slots__ = ("finish_at", "last_at", "rate", "samples")

    def __init__(self, finish_at: float, rate: float, samples: int, last_at: float) -> None:
        self.finish_at, self.rate, self.samples, self.last_at = finish_at, rate, samples, last_at

    @property
    def seconds(self) -> float:
        """Seconds left as of the last sample."""
        return self.finish_at - self.last_at


def _valid(value: float | None) -> bool:
    return value is not None and math.isfinite(value) and 0.0 <= value <= 1.0


def _median(values: list[float]) -> float:
    # (not statistics.median: importing statistics costs ~5 ms at `import lro`)
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def theil_sen(samples: list[tuple[float, float]]) -> tuple[float, float]:
    """``(slope, intercept)`` of the Theil-Sen line through ``samples`` (``(t, p)`` with
    strictly increasing ``t``, at least two of them)."""
    slopes = [
        (p2 - p1) / (t2 - t1) for i, (t1, p1) in enumerate(samples) for t2, p2 in samples[i + 1 :]
    ]
    slope = _median(slopes)
    intercept = _median([p - slope * t for t, p in samples])
    return slope, intercept


class Estimator:
    """The samples of one wait and the estimate they give (see the module docs)."""

    def __init__(self, window: int = WINDOW) -> None:
        self._samples: deque[tuple[float, float]] = deque(maxlen=window)

    def add(self, at: float, value: float | None) -> None:
        """Record progress ``value`` (a fraction, as reported: not clamped; None when
        missing) seen at clock time ``at``."""
        if value is None or not _valid(value):
            self._samples.clear()  # nothing trustworthy to fit across
            return
        if self._samples:
            last_at, last = self._samples[-1]
            if not math.isfinite(at) or at <= last_at:
                return  # the same instant (or a clock that went back): nothing new
            if value < last:
                self._samples.clear()  # backwards: a new phase, start again from here
        self._samples.append((at, value))

    @property
    def samples(self) -> tuple[tuple[float, float], ...]:
        """The samples kept, oldest first."""
        return tuple(self._samples)

    def fit(self) -> Fit | None:
        """The estimate, or None (see the module docs for when)."""
        return fit_of(self._samples)


def fit_of(samples: Sequence[tuple[float, float]]) -> Fit | None:
    """The estimate ``samples`` give (as kept by :class:`Estimator`), or None."""
    if len(samples) < 2 or samples[-1][1] >= 1.0:
        return None
    slope, intercept = theil_sen(list(samples))
    if not slope > 0 or slope > 1 / MIN_TOTAL:
        return None
    last_at, last = samples[-1]
    # Where the fitted line is now; the last reading itself if the fit is past 100 %.
    level = intercept + slope * last_at
    if not 0.0 <= level < 1.0:
        level = last
    seconds = (1.0 - level) / slope
    if not 0.0 <= seconds <= MAX_SECONDS:
        return None
    return Fit(last_at + seconds, slope, len(samples), last_at)


def to_eta(fit: Fit | None, wall: float | None = None) -> Eta | None:
    """The public :class:`Eta` of a fit; its finish on this machine's wall clock, counted
    from ``wall`` (``time.time()`` when the last sample arrived; default: now)."""
    if fit is None:
        return None
    since = time.time() if wall is None else wall
    finish = datetime.fromtimestamp(since + fit.seconds, timezone.utc)
    return Eta(fit.seconds, finish, fit.rate, fit.samples)


class Pending:
    """An estimate not made yet: the samples it is made from, fitted when first read
    (``Operation.eta``), so that batch rounds over thousands of operations pay for the
    estimates someone looks at only."""

    __slots__ = ("samples", "wall")

    def __init__(self, samples: tuple[tuple[float, float], ...], wall: float) -> None:
        self.samples, self.wall = samples, wall

    def resolve(self) -> Eta | None:
        """The estimate."""
        return to_eta(fit_of(self.samples), self.wall)


def _metadata(snapshot: Snapshot) -> Any:
    # The raw JSON, read only: to_dict() would deep-copy it for every sample.
    return snapshot._raw.get("metadata")


class Estimates:
    """The estimate of one watched operation on ``clock`` (a batch round's): :meth:`see`
    each snapshot as it arrives; it comes back carrying its estimate (made when read)."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._estimator = Estimator()

    def see(self, snapshot: S) -> S:
        """Record a snapshot that just arrived; returns it carrying the estimate."""
        if snapshot.done:
            return snapshot
        self._estimator.add(self._clock(), reading(_metadata(snapshot)))
        samples = self._estimator.samples
        return snapshot._with_eta(Pending(samples, time.time()) if len(samples) > 1 else None)


class Pace:
    """The estimate of one wait, and when it moves the next GET poll.

    :meth:`see` takes each snapshot (and returns it carrying its :class:`Eta`);
    :meth:`sleep` turns the sleep the policy chose into the one to make.
    """

    def __init__(self, policy: WaitPolicy, clock: Callable[[], float]) -> None:
        self._policy = policy
        self._clock = clock
        self._estimator = Estimator()
        self._fit: Fit | None = None
        self._aimed = False
        self.misses = 0

    @property
    def floor(self) -> float:
        """The shortest sleep allowed now: the policy's shortest, grown by each miss."""
        policy = self._policy
        grown = policy.multiplier ** min(self.misses, _MOST_MISSES)
        return policy.initial_delay * (1 - policy.jitter) * grown

    def see(self, snapshot: S) -> S:
        """Record a snapshot that just arrived; returns it carrying the estimate."""
        if self._aimed and not snapshot.done:
            self.misses += 1  # polled at the expected finish and it was not done
        self._aimed = False
        if snapshot.done:
            self._fit = None
            return snapshot
        self._estimator.add(self._clock(), reading(_metadata(snapshot)))
        self._fit = self._estimator.fit()
        return snapshot._with_eta(to_eta(self._fit))

    def sleep(self, planned: float) -> float:
        """The sleep before the next GET poll, given the one the policy ``planned``."""
        fit = self._fit
        if fit is None:
            return planned
        widen = 2.0 ** min(self.misses, _MOST_MISSES)
        left = max(0.0, fit.finish_at - self._clock())
        aimed = max(left + (MARGIN + SHARE * left) * widen, self.floor)
        if aimed >= planned:
            return planned
        self._aimed = True
        return aimed

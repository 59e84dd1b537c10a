"""Wall-clock deadlines: :class:`Deadline` (the time left of a wait) and how a caller's
``timeout`` (seconds, None for none, or :data:`DEFAULT` for the policy's) becomes one."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .checks import check_timeout
from .defaults import DEFAULT
from .wait_policy import WaitPolicy

__all__ = [
    "DEFAULT",
    "Deadline",
    "resolve_timeout",
]
# ---------------------------------------------------------------------------------------
# Deadline


class Deadline:
    """A wall-clock budget: ``timeout`` seconds from ``start`` on ``clock`` (None: none)."""

    def __init__(self, timeout: float | None, clock: Callable[[], float]) -> None:
        self.timeout = check_timeout(timeout)
        self.clock = clock
        self.start = clock()
        self.at = None if timeout is None else self.start + timeout

    def remaining(self) -> float | None:
        """Seconds left (<= 0 once passed), or None without a deadline."""
        return None if self.at is None else self.at - self.clock()

    def expired(self) -> bool:
        """Whether the deadline has passed."""
        left = self.remaining()
        return left is not None and left <= 0

    def clamp(self, seconds: float) -> float:
        """``seconds`` shortened so as not to run past the deadline (never negative)."""
        left = self.remaining()
        return max(0.0, seconds if left is None else min(seconds, left))


def resolve_timeout(timeout: Any, policy: WaitPolicy) -> float | None:
    """A caller's ``timeout``: a number of seconds, None (forever), or :data:`DEFAULT`
    for ``policy.default_timeout``.

    Raises:
        InvalidArgument: anything else (``"5"``, ``True``, a negative number, NaN).
    """
    if timeout is DEFAULT:
        return policy.default_timeout
    return check_timeout(timeout)

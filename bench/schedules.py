"""Polling schedules simulated on a virtual clock (no sleeping, no server).

An operation of "about T seconds" finishes at a time drawn uniformly from [T/2, 3T/2]
(the same model as the peer table in docs/reference: a fixed 30 s poll of a 30 s
operation then costs 2.5 requests and is 15 s late on average). A client polls at t=0
and after every sleep; the first poll at or after the finish notices it.

``api_core`` re-implements google-api-core's default ``Operation.result()`` polling
exactly: ``DEFAULT_POLLING = Retry(initial=1.0, maximum=20.0, multiplier=1.5,
timeout=900)``, ``exponential_sleep_generator`` (each sleep ``uniform(0, cap)``, the cap
growing x1.5 up to 20 s) and ``retry_target``'s rule of giving up instead of sleeping past
the deadline.
"""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class Outcome:
    """One simulated wait: requests sent, seconds late, and whether it gave up."""

    requests: int
    late: float
    gave_up: bool = False


def finish_time(about: float, rng: random.Random) -> float:
    """When an operation of about ``about`` seconds finishes."""
    return rng.uniform(about / 2, about * 3 / 2)


def api_core(
    finish: float,
    rng: random.Random,
    *,
    initial: float = 1.0,
    maximum: float = 20.0,
    multiplier: float = 1.5,
    timeout: float | None = 900.0,
) -> Outcome:
    """google-api-core's default LRO polling, on a virtual clock."""
    now, requests, cap = 0.0, 0, min(initial, maximum)
    while True:
        requests += 1
        if now >= finish:
            return Outcome(requests, now - finish)
        sleep = rng.uniform(0.0, cap)
        cap = min(cap * multiplier, maximum)
        if timeout is not None and now + sleep > timeout:
            return Outcome(requests, float("nan"), gave_up=True)
        now += sleep


def fixed(finish: float, interval: float = 1.0) -> Outcome:
    """Poll, then sleep ``interval``, until done (eval-studio-client's 1 s loop)."""
    now, requests = 0.0, 0
    while True:
        requests += 1
        if now >= finish:
            return Outcome(requests, now - finish)
        now += interval

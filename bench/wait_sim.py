"""4c. Waiting economy for long operations (30 s, 600 s), simulated: real waits that long
do not fit the run's budget.

Schedules on a virtual clock (:mod:`bench.schedules`): lro's GET polling through its own
``lro._core.wait_policy.simulate_schedule(policy, duration_s, rng)``; google-api-core's default
polling re-implemented exactly (deadline give-up included); the fixed 1 s loop; and lro's
long-poll, which costs one request per server window (30 s, lro's default and the
reference server's) and notices completion when the server answers. Each "run" is a
batch of simulated operations of about T seconds (drawn from [T/2, 3T/2]); the table
shows the median over batches of the batch means, with min-max.
"""

from __future__ import annotations

import math
import random
import statistics
from collections.abc import Callable

from .common import INFO, Context, NotMeasured, Row, Stat, count, ratios, secs, times, verdict
from .schedules import api_core, finish_time, fixed

SECTION = "4 waiting"
WINDOW = 30.0

# (requests, seconds late) of one simulated wait for an operation finishing at `finish`.
Strategy = Callable[[float, random.Random], tuple[float, float]]


def _lro_polling() -> Strategy:
    try:
        from lro._core.wait_policy import DEFAULT_POLICY, WaitPolicy, simulate_schedule
    except ImportError as exc:
        raise NotMeasured(f"lro._core.wait_policy.simulate_schedule unavailable: {exc}") from exc
    policy = DEFAULT_POLICY.replace(long_poll=False)
    assert isinstance(policy, WaitPolicy)

    def strategy(finish: float, rng: random.Random) -> tuple[float, float]:
        requests, late = simulate_schedule(policy, finish, rng)
        return float(requests), late

    return strategy


def _long_poll(finish: float, rng: random.Random) -> tuple[float, float]:
    return float(max(1, math.ceil(finish / WINDOW))), 0.0


def _api_core(finish: float, rng: random.Random) -> tuple[float, float]:
    outcome = api_core(finish, rng)
    return float(outcome.requests), outcome.late


def _fixed(finish: float, rng: random.Random) -> tuple[float, float]:
    outcome = fixed(finish)
    return float(outcome.requests), outcome.late


def _batch_means(
    strategy: Strategy, about: float, batches: int, size: int, seed: int
) -> tuple[list[float], list[float], int]:
    finish_rng, rng = random.Random(seed), random.Random(seed + 1)
    requests, lates, gave_up = [], [], 0
    for _ in range(batches):
        reqs, late = [], []
        for _ in range(size):
            r, l_ = strategy(finish_time(about, finish_rng), rng)
            reqs.append(r)
            if math.isnan(l_):
                gave_up += 1
            else:
                late.append(l_)
        requests.append(statistics.fmean(reqs))
        lates.append(statistics.fmean(late))
    return requests, lates, gave_up


def run(ctx: Context) -> list[Row]:
    batches, size = ctx.pick(5, 7), ctx.pick(200, 1000)
    strategies: dict[str, Strategy] = {
        "lro polling": _lro_polling(),
        "lro long-poll": _long_poll,
        "fixed 1 s": _fixed,
    }
    rows = []
    for about in (30.0, 600.0):
        base_req, base_late, base_gave_up = _batch_means(_api_core, about, batches, size, 3)
        baseline = (
            f"api-core default: {count(Stat.of(base_req).median)} req, "
            f"{secs(Stat.of(base_late).median)} late"
            + (f", gave up {base_gave_up}/{batches * size}" if base_gave_up else "")
        )
        workload = f"simulated: ops of {about / 2:g}-{about * 1.5:g} s, {batches} batches x {size}"
        for name, strategy in strategies.items():
            req, late, _ = _batch_means(strategy, about, batches, size, 3)
            req_ratio = Stat.of(ratios(req, base_req))
            late_ratio = Stat.of(ratios(late, base_late))
            if name == "lro polling":
                target = "req ≤ api-core's and less late (medians)"
                ok = Stat.of(req).median <= Stat.of(base_req).median
                met = verdict(ok and Stat.of(late).median < Stat.of(base_late).median)
            else:
                note = f"{WINDOW:g} s window" if name == "lro long-poll" else "eval-studio"
                target, met = f"— ({note}, for reference)", INFO
            rows.append(
                Row(
                    SECTION,
                    f"{name}, {about:g} s op (simulated)",
                    workload,
                    f"{Stat.of(req).show(count)} req; {Stat.of(late).show(secs)} late",
                    baseline,
                    f"req {req_ratio.show(times)}; late {late_ratio.show(times)}",
                    target,
                    met,
                )
            )
    return rows

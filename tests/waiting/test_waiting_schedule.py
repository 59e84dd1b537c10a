"""The default polling schedule against google-api-core's, by simulation (no sleeping).

An operation of T seconds is polled from time 0; we count GETs (the first included) and
how late the completion is noticed, averaged over seeded runs. The defaults must need no
more requests than api-core's 1 s x1.5 <= 20 s full-jitter schedule and notice completion
sooner, for 3, 10 and 30 s operations (and, as it happens, for 600 s ones too).
"""

from __future__ import annotations

import random

import pytest

from lro._core.wait_policy import (
    DEFAULT_POLICY,
    Backoff,
    WaitPolicy,
    api_core_delays,
    expected_cost,
    simulate_schedule,
)

RUNS = 5000
SEED = 1


@pytest.mark.parametrize("duration", [3.0, 10.0, 30.0, 600.0])
def test_default_schedule_beats_api_core(duration: float) -> None:
    ours_requests, ours_late = expected_cost(DEFAULT_POLICY, duration, runs=RUNS, seed=SEED)
    core_requests, core_late = expected_cost(api_core_delays, duration, runs=RUNS, seed=SEED)
    assert ours_requests <= core_requests
    assert ours_late < core_late


def test_comparison_numbers_are_stable() -> None:
    """The figures quoted in the docs: (mean requests, mean lateness in seconds), from
    100,000 runs; 5,000 runs land within the tolerance."""
    expected = {
        3.0: ((4.06, 0.39), (5.01, 1.33)),
        10.0: ((7.00, 2.24), (7.51, 3.64)),
        30.0: ((10.00, 5.80), (10.20, 6.58)),
        600.0: ((66.93, 5.03), (67.22, 6.67)),
    }
    for duration, (ours, core) in expected.items():
        got_ours = expected_cost(DEFAULT_POLICY, duration, runs=RUNS, seed=SEED)
        got_core = expected_cost(api_core_delays, duration, runs=RUNS, seed=SEED)
        assert got_ours == pytest.approx(ours, abs=0.25), duration
        assert got_core == pytest.approx(core, abs=0.25), duration


def test_wins_across_operation_lengths() -> None:
    """Not just at the quoted points: operations of about 3-60 s (+/-10 %)."""
    for duration in [3.0 + 1.5 * k for k in range(39)]:
        rng_ours, rng_core = random.Random(5), random.Random(5)
        ours = [_about(DEFAULT_POLICY, duration, rng_ours) for _ in range(600)]
        core = [_about(api_core_delays, duration, rng_core) for _ in range(600)]
        assert _mean(r for r, _ in ours) <= _mean(r for r, _ in core) + 0.05, duration


def _about(schedule: object, duration: float, rng: random.Random) -> tuple[int, float]:
    return simulate_schedule(schedule, duration * rng.uniform(0.9, 1.1), rng)  # type: ignore[arg-type]


def _mean(values: object) -> float:
    items = list(values)  # type: ignore[call-overload]
    return sum(items) / len(items)


def test_simulation_of_an_instant_operation_is_one_request() -> None:
    assert simulate_schedule(DEFAULT_POLICY, 0.0, random.Random(0)) == (1, 0.0)


def test_backoff_shape() -> None:
    policy = WaitPolicy(initial_delay=1.0, multiplier=2.0, max_delay=5.0, jitter=0.0)
    backoff = Backoff(policy, random.Random(0))
    assert [backoff.next() for _ in range(5)] == [1.0, 2.0, 4.0, 5.0, 5.0]
    backoff.reset()
    assert backoff.next() == 1.0


def test_api_core_schedule_is_full_jitter_capped_at_20() -> None:
    delays = api_core_delays(random.Random(3))
    caps = [min(1.5**k, 20.0) for k in range(20)]
    for cap in caps:
        assert 0.0 <= next(delays) <= cap

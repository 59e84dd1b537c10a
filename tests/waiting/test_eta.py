"""The time-left estimate (lro._core.eta) and the polling that uses it, on a fake clock.

Nothing sleeps for real: the fake server reports the progress a test scripts and the
waiter's sleeps move the clock.
"""

from __future__ import annotations

import asyncio
import math
import queue
import random
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from waiting_support import AsyncBackend, Calls, FakeClock, FakeServer, SyncBackend

from lro._async.wait_many import async_wait_all
from lro._async.waiting import async_wait
from lro._core.eta import Estimator, Pace, theil_sen
from lro._core.wait_policy import WaitPolicy
from lro._sync.client import Client
from lro._sync.operation import Operation
from lro._sync.wait_many import wait_all
from lro._sync.waiting import wait, watch
from lro_server import RunningServer

NAME = "operations/a"
POLL = WaitPolicy(long_poll=False)
FLOOR = POLL.initial_delay * (1 - POLL.jitter)


def percent_of(duration: float) -> Callable[[float], dict[str, Any]]:
    """Steady progress, reported as a percentage with two decimals."""
    return lambda t: {"progressPercent": round(min(100.0, 100 * t / duration), 2)}


def no_progress(t: float) -> dict[str, Any]:
    return {}


def fixed(value: Any) -> Callable[[float], dict[str, Any]]:
    return lambda t: {"progressPercent": value}


def poll(
    duration: float,
    progress: Callable[[float], dict[str, Any]] | None,
    *,
    seed: int = 1,
    policy: WaitPolicy = POLL,
    **kw: Any,
) -> tuple[FakeClock, FakeServer, Operation]:
    clock = FakeClock()
    server = FakeServer(clock, long_poll="unimplemented")
    server.add(NAME, duration, progress=progress)
    backend = SyncBackend(server)
    final = wait(
        backend,
        NAME,
        timeout=600,
        policy=policy,
        clock=clock,
        rng=random.Random(seed),
        **kw,
    )
    return clock, server, final


# -- the estimator --------------------------------------------------------------------------


def test_steady_progress_gives_the_time_left() -> None:
    estimator = Estimator()
    for t in (0.0, 1.0, 2.0, 4.0):
        estimator.add(t, t / 10)
    fit = estimator.fit()
    assert fit is not None
    assert fit.seconds == pytest.approx(6.0)
    assert fit.finish_at == pytest.approx(10.0)
    assert fit.rate == pytest.approx(0.1)
    assert fit.samples == 4


def test_one_outlier_does_not_move_the_estimate() -> None:
    estimator = Estimator()
    # Steady 10 %/s but for one sample read high (0.35 at 3 s, still not backwards):
    # the median of the pairwise slopes ignores it (a least-squares line would not).
    for t, p in [(0, 0.0), (1, 0.1), (2, 0.2), (3, 0.35), (4, 0.4), (5, 0.5)]:
        estimator.add(float(t), p)
    fit = estimator.fit()
    assert fit is not None and fit.finish_at == pytest.approx(10.0)


@pytest.mark.parametrize(
    "samples",
    [
        [(0.0, 0.2)],  # a single sample
        [(0.0, 0.2), (1.0, 0.2), (2.0, 0.2)],  # not moved
        [(0.0, 0.2), (1.0, 0.4), (2.0, 0.1)],  # backwards: starts again from 0.1
        [(0.0, 0.2), (1.0, 0.4), (2.0, None)],  # missing
        [(0.0, 0.2), (1.0, 0.4), (2.0, math.nan)],
        [(0.0, 0.2), (1.0, 0.4), (2.0, -0.1)],
        [(0.0, 0.2), (1.0, 0.4), (2.0, 1.5)],  # above 100 %
        [(0.0, 0.2), (1.0, 0.4), (2.0, 1.0)],  # 100 % but not done
        [(0.0, 0.0), (0.001, 0.5)],  # absurdly fast: the whole in 2 ms
        [(0.0, 0.0), (1.0, 1e-12)],  # absurdly slow: 31,000 years
        [(1.0, 0.2), (1.0, 0.4)],  # one instant
    ],
)
def test_no_estimate(samples: list[tuple[float, float | None]]) -> None:
    estimator = Estimator()
    for at, value in samples:
        estimator.add(at, value)
    assert estimator.fit() is None


def test_backwards_starts_again_from_there() -> None:
    estimator = Estimator()
    for t, p in [(0.0, 0.5), (1.0, 0.6), (2.0, 0.1), (3.0, 0.2)]:
        estimator.add(t, p)
    fit = estimator.fit()
    assert fit is not None and fit.samples == 2 and fit.finish_at == pytest.approx(11.0)


def test_theil_sen_is_the_median_of_pairwise_slopes() -> None:
    samples = [(0.0, 0.0), (1.0, 0.1), (2.0, 0.2), (3.0, 0.3), (4.0, 0.9)]
    slope, intercept = theil_sen(samples)
    assert slope == pytest.approx(0.1) and intercept == pytest.approx(0.0)


values = st.one_of(
    st.none(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(min_value=0, max_value=1),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.floats(min_value=-1, max_value=1e6), values), max_size=20))
def test_any_samples_never_raise_and_give_a_sane_estimate(
    samples: list[tuple[float, float | None]],
) -> None:
    estimator = Estimator()
    at = 0.0
    for step, value in samples:
        at += step
        estimator.add(at, value)
        fit = estimator.fit()
        if fit is not None:
            assert math.isfinite(fit.finish_at) and 0 <= fit.seconds <= 1e8
            assert 0 < fit.rate <= 100


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(min_value=0, max_value=100), values, st.floats(0.01, 100)),
        min_size=1,
        max_size=15,
    )
)
def test_pace_never_polls_later_than_the_policy_nor_under_its_floor(
    steps: list[tuple[float, float | None, float]],
) -> None:
    clock = FakeClock()
    pace = Pace(POLL, clock)
    for advance, value, planned in steps:
        clock.now += advance
        metadata = {} if value is None else {"progress": value}
        pace.see(Operation.from_dict({"name": NAME, "metadata": metadata}))
        sleep = pace.sleep(planned)
        assert sleep <= planned  # never later than the policy
        assert sleep == planned or sleep >= pace.floor >= FLOOR  # never under its floor


junk = st.one_of(
    st.none(),
    st.booleans(),
    st.text(max_size=8),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)


@settings(max_examples=100, deadline=None)
@given(st.lists(junk, min_size=1, max_size=12))
def test_any_progress_never_makes_the_waiter_spin(reported: list[Any]) -> None:
    """Whatever the metadata says, no sleep is below the policy's floor and the wait
    ends when the operation does."""

    def progress(t: float) -> dict[str, Any]:
        return {"progressPercent": reported[min(int(t), len(reported) - 1)]}

    clock, server, final = poll(12.0, progress)
    assert final.done
    assert all(seconds >= FLOOR for seconds in clock.sleeps)
    assert len(server.requests) <= 1 + 12 / FLOOR


# -- the waiter ---------------------------------------------------------------------------


def test_steady_progress_is_noticed_at_its_end_with_no_more_requests() -> None:
    _, blind_server, _ = poll(10.0, no_progress)  # today's schedule: no progress to go by
    clock, server, final = poll(10.0, percent_of(10.0))
    assert final.done
    lateness = clock.elapsed - 10.0
    assert 0 <= lateness < 0.5
    assert len(server.requests) <= len(blind_server.requests)
    assert clock.elapsed < blind_server.clock.elapsed - 1  # the policy alone is ~2 s late


@pytest.mark.parametrize(
    "progress",
    [
        no_progress,
        fixed("forty"),
        fixed(-5),
        fixed(150),
        fixed(math.nan),
        fixed(True),
        fixed([1]),
        lambda t: {"progressPercent": max(0.0, 90 - 10 * t)},  # decreasing
        lambda t: {"progress": 0.0 if t < 10 else 1.0},  # 0 % then 100 %
    ],
    ids=["missing", "text", "negative", "above100", "nan", "bool", "list", "down", "step"],
)
def test_bad_or_flat_progress_leaves_the_policy_in_charge(
    progress: Callable[[float], dict[str, Any]] | None,
) -> None:
    blind_clock, blind_server, _ = poll(10.0, no_progress)
    clock, server, final = poll(10.0, progress)
    assert final.done and final.eta is None
    assert clock.sleeps == blind_clock.sleeps  # exactly today's schedule
    assert len(server.requests) == len(blind_server.requests)


def test_absurdly_fast_progress_costs_few_polls_and_never_spins() -> None:
    blind_clock, blind_server, _ = poll(10.0, no_progress)
    # Progress jumps to 99 % by the second poll, then holds there until 10 s: the
    # estimate ("done any moment") is wrong, each aimed poll waits longer than the last.
    clock, server, _ = poll(10.0, lambda t: {"progress": min(0.99, t * 200)})
    assert all(seconds >= FLOOR for seconds in clock.sleeps)
    assert len(server.requests) <= len(blind_server.requests) + 2
    assert clock.elapsed <= blind_clock.elapsed


def test_a_wrong_estimate_widens_and_never_spins() -> None:
    """Progress says 10 s, but the job stalls at 90 % and ends at 30 s: polls aimed at
    the expected finish miss, each one further apart, never under the policy's floor."""
    blind_clock, blind_server, _ = poll(30.0, no_progress)
    clock, server, final = poll(30.0, lambda t: {"progress": min(0.9, t / 10)})
    assert final.done
    assert all(seconds >= FLOOR for seconds in clock.sleeps)
    assert len(server.requests) <= len(blind_server.requests) + 2
    assert clock.elapsed <= blind_clock.elapsed


def test_pace_miss_grows_the_floor_and_the_margin() -> None:
    clock = FakeClock()
    pace = Pace(POLL, clock)
    running = Operation.from_dict({"name": NAME, "metadata": {"progress": 0.0}})
    pace.see(running)
    clock.now += 1.0
    pace.see(Operation.from_dict({"name": NAME, "metadata": {"progress": 0.5}}))
    first = pace.sleep(10.0)
    assert first == pytest.approx(1.0 + 0.1 + 0.05)  # 1 s left, plus the margin
    clock.now += first
    still = Operation.from_dict({"name": NAME, "metadata": {"progress": 0.55}})
    pace.see(still)  # not done at the expected finish: a miss
    assert pace.misses == 1
    assert pace.floor == pytest.approx(FLOOR * POLL.multiplier)
    assert pace.sleep(0.5) == 0.5  # never later than the policy's own poll


def test_snapshots_carry_the_estimate_and_on_progress_sees_it() -> None:
    seen = Calls()
    _, _, final = poll(10.0, percent_of(10.0), on_progress=seen)
    assert final.eta is None  # done: nothing left to estimate
    etas = [op.eta for (op,) in seen.calls[:-1]]
    assert etas[0] is None  # a single sample
    known = [eta for eta in etas[1:] if eta is not None]
    assert known and len(known) == len(etas) - 1
    for eta in known:
        assert eta.seconds > 0 and eta.rate == pytest.approx(0.1, rel=0.01)
        assert 0 <= eta.remaining() <= eta.seconds + 1


def test_watch_yields_estimates() -> None:
    clock = FakeClock()
    server = FakeServer(clock, max_wait=1.0)
    server.add(NAME, 5.0, progress=percent_of(5.0))
    stream = watch(SyncBackend(server), NAME, timeout=60, clock=clock)
    lefts = [op.eta.seconds for op in stream if op.eta is not None]
    assert lefts and lefts == sorted(lefts, reverse=True)
    assert lefts[0] == pytest.approx(5.0 - 1.0, abs=0.1)  # samples at 0 s and 1 s


def test_a_get_snapshot_has_no_estimate() -> None:
    assert Operation.from_dict({"name": NAME, "metadata": {"progress": 0.5}}).eta is None


def test_async_wait_polls_at_the_expected_finish() -> None:
    clock = FakeClock()
    server = FakeServer(clock, long_poll="unimplemented")
    server.add(NAME, 10.0, progress=percent_of(10.0))
    seen: list[Operation] = []
    final = asyncio.run(
        async_wait(
            AsyncBackend(server),
            NAME,
            timeout=60,
            policy=POLL,
            on_progress=seen.append,
            clock=clock,
            rng=random.Random(1),
        )
    )
    assert final.done and 0 <= clock.elapsed - 10.0 < 0.5
    assert any(op.eta is not None for op in seen)


@pytest.mark.parametrize("asynchronous", [False, True])
def test_wait_all_polling_uses_the_estimate(asynchronous: bool) -> None:
    clock = FakeClock()
    server = FakeServer(clock, long_poll="unimplemented")
    server.add(NAME, 10.0, progress=percent_of(10.0))
    kw: dict[str, Any] = {"timeout": 60, "via": "poll", "policy": POLL, "clock": clock}
    kw["rng"] = random.Random(1)
    if asynchronous:
        backend: Any = AsyncBackend(server)
        (final,) = asyncio.run(async_wait_all([NAME], client=backend, **kw))
    else:
        (final,) = wait_all([NAME], client=SyncBackend(server), **kw)
    assert final.done
    assert 0 <= server.requests[-1].at - 10.0 < 0.5  # the poll that saw it done


def test_batch_rounds_carry_estimates() -> None:
    clock = FakeClock()
    server = FakeServer(clock)
    server.add(NAME, 10.0, progress=percent_of(10.0))
    seen: list[Operation] = []
    (final,) = wait_all(
        [NAME],
        client=SyncBackend(server, view="audited"),
        via="batch",
        timeout=60,
        on_progress=seen.append,
        clock=clock,
        rng=random.Random(1),
    )
    assert final.done and final.eta is None
    assert seen[0].eta is None  # the first round: one sample
    estimates = [op.eta for op in seen[1:-1]]
    assert estimates and all(eta is not None for eta in estimates)
    first = estimates[0]
    assert first is not None and first.seconds == pytest.approx(10.0 - clock.sleeps[0], abs=0.05)


def test_eta_is_an_immutable_value() -> None:
    from datetime import datetime, timedelta, timezone

    import lro

    finish = datetime(2030, 1, 1, tzinfo=timezone.utc)
    eta = lro.Eta(5.0, finish, 0.1, 3)
    assert eta == lro.Eta(5.0, finish, 0.1, 3) and hash(eta) == hash(lro.Eta(5.0, finish, 0.1, 3))
    assert eta != lro.Eta(6.0, finish, 0.1, 3) and eta != "5 s"
    assert repr(eta) == "Eta(seconds=5.000, finish=2030-01-01T00:00:00+00:00, rate=0.1, samples=3)"
    assert eta.remaining(finish - timedelta(seconds=2)) == 2.0
    assert eta.remaining(finish + timedelta(seconds=2)) == 0.0  # passed: nothing left
    with pytest.raises(AttributeError, match="immutable"):
        eta.seconds = 1.0  # type: ignore[misc]
    running = Operation.from_dict({"name": NAME, "metadata": {"progress": 0.5}})
    assert running._with_eta(eta).eta is eta and running.eta is None  # a copy carries it
    assert running._with_eta(eta) == running  # equality is the server's JSON's


def test_bad_progress_from_the_reference_server_gives_no_estimate_and_no_spin(
    srv: RunningServer, client: Client
) -> None:
    job = "type.googleapis.com/test.Job"
    op = client.create({"@type": job, "progressPercent": 150})
    policy = WaitPolicy(long_poll=False, initial_delay=0.05, max_delay=0.05, jitter=0)
    seen: queue.SimpleQueue[Operation] = queue.SimpleQueue()
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["final"] = client.wait(op.name, timeout=30, policy=policy, on_progress=seen.put)
        except BaseException as error:  # asserted below
            outcome["error"] = error

    waiter = threading.Thread(target=run)
    started, before = time.monotonic(), srv.requests
    waiter.start()
    got = [seen.get(timeout=10)]
    # Above 100 %, negative, not a number, missing, then 40 % and 20 % (backwards):
    for value in (-5, "forty", None, 40, 20):
        client.update(
            op.name, {"@type": job} | ({} if value is None else {"progressPercent": value})
        )
        got.append(seen.get(timeout=10))  # the waiter saw it (each one is a change)
    client.finalize(op.name, response={"@type": job})
    waiter.join(10)
    elapsed, requests = time.monotonic() - started, srv.requests - before
    assert "error" not in outcome and outcome["final"].done
    assert [snapshot.eta for snapshot in got] == [None] * 6
    # 6 calls are the test's own (updates, finalize); the waiter polls every 0.05 s at most.
    assert requests - 6 <= elapsed / 0.05 + 2

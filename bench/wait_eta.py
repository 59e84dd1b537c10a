"""4d. Progress-aware polling: GET polling only (no ``:wait``), lro with the time-left
estimate against lro without it and google-api-core's schedule.

Real server: operations of about 3 s, 10 s and 30 s (durations drawn from [T/2, 3T/2],
the same set for every strategy) reporting steady progress (1000 steps). "lro with the
estimate" is ``Client.wait`` with ``WaitPolicy(long_poll=False)`` on such an operation;
"lro without" is the same call on an operation of the same duration that reports no
progress (``progress=none``: nothing to estimate from, so exactly the policy's
schedule, as tested in tests/waiting/test_eta.py); google-api-core is its own
``PollingFuture`` (:mod:`bench.contenders`). Progress that gives no usable rate
(step-wise: 0, 25, 50, 75 %; 0 % then done; an irregular rate) is compared with "lro
without" on the same durations: it must cost no more requests and no more lateness.
Lateness and requests are measured as in :mod:`bench.wait_real`.

Simulated (virtual clock, no sleeping): 1,000 operations of about 10 s whose progress
rate jitters (a new rate every second, x0.5-x1.5), each waited for by lro's own waiter
(``lro._sync.waiting.wait`` over a scripted backend), with and without the progress
shown to it, and by google-api-core's schedule (:func:`bench.schedules.api_core`).
"""

from __future__ import annotations

import importlib
import random
import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .common import INFO, Context, NotMeasured, Row, Stat, count, ms, ratios, secs, times, verdict
from .contenders import TIMEOUT, api_core, available
from .jsonhttp import RequestCounter
from .procs import ServerProcess
from .timestamps import epoch

SECTION = "4 waiting"
STEADY_STEPS = 1000
LATE_TARGET = 0.5  # seconds, median, steady progress of about 10 s
NOISE = 0.1  # seconds of lateness "within noise" for the no-estimate patterns

#: Progress patterns of the reference server's simulations: (label, progress, steps).
PATTERNS = {
    "steady": ("linear", STEADY_STEPS),
    "none": ("none", 1),
    "step-wise (quarters)": ("stepwise", STEADY_STEPS),
    "0 % then done": ("linear", 1),
    "irregular": ("irregular", 50),
}


@dataclass
class Outcome:
    requests: int
    late: float


@dataclass(frozen=True)
class Job:
    label: str  # unique, for the request counter
    key: tuple[str, str, float]  # (strategy, pattern, about)
    waiter: Callable[[str, dict[str, Any]], dict[str, Any]]
    op: dict[str, Any]


def lro_polling(seed: int) -> Callable[[str, dict[str, Any]], dict[str, Any]]:
    """``Client.wait`` restricted to GET polling, its jitter drawn from ``random.Random(seed)``:
    repeat i of every lro series draws the same jitter, so they differ only by progress."""

    # Imported here, in the thread building the jobs: a hundred waiter threads importing
    # lro for the first time at once can deadlock on the import locks.
    from lro._core.wait_policy import WaitPolicy
    from lro._sync.client import Client
    from lro._sync.waiting import wait

    def waiter(url: str, op: dict[str, Any]) -> dict[str, Any]:
        with Client(url) as client:
            policy, rng = WaitPolicy(long_poll=False), random.Random(seed)
            final = wait(client, op["name"], TIMEOUT, policy=policy, rng=rng)
        done: dict[str, Any] = final.to_dict()
        return done

    return waiter


def _plan(ctx: Context, has_api_core: bool) -> list[tuple[str, str, float]]:
    """(strategy, pattern, about) of every series to measure."""
    abouts = [3.0] if ctx.quick else [3.0, 10.0, 30.0]
    series = [("lro", "steady", t) for t in abouts] + [("lro", "none", t) for t in abouts]
    if has_api_core:
        series += [("api-core", "steady", t) for t in abouts]
    pattern_about = abouts[0] if ctx.quick else 10.0
    series += [("lro", p, pattern_about) for p in PATTERNS if p not in ("steady", "none")]
    return series


def measure(ctx: Context, repeats: int) -> dict[tuple[str, str, float], list[Outcome]]:
    """Every series ``repeats`` times, all waits at once, each in its own thread."""
    waiters = available()
    if "api-core" in waiters:  # imported once here, not by many threads at once
        importlib.import_module("google.api_core.operation")
        importlib.import_module("google.longrunning.operations_pb2")
        importlib.import_module("google.protobuf.json_format")
    series = _plan(ctx, "api-core" in waiters)
    rng = random.Random(23)
    abouts = sorted({about for _, _, about in series})
    durations = {a: [rng.uniform(a / 2, a * 1.5) for _ in range(repeats)] for a in abouts}
    results: dict[tuple[str, str, float], list[Outcome]] = {}
    errors: list[BaseException] = []
    with ServerProcess(max_wait=4.0) as srv, RequestCounter() as counter:
        jobs: list[Job] = []
        for strategy, pattern, about in series:
            progress, steps = PATTERNS[pattern]
            for i, duration in enumerate(durations[about]):
                waiter = lro_polling(i) if strategy == "lro" else api_core
                (op,) = srv.simulate(1, duration, steps=steps, progress=progress)
                label = f"{strategy}|{pattern}|{about}|{i}"
                jobs.append(Job(label, (strategy, pattern, about), waiter, op))
        noticed: dict[str, float] = {}

        def work(job: Job) -> None:
            try:
                with counter.label(job.label):
                    final = job.waiter(srv.url, job.op)
                noticed[job.label] = time.time()
                if not final.get("done"):
                    raise RuntimeError(f"{job.label}: the wait returned a running operation")
            except BaseException as exc:  # reported after the join
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(job,), daemon=True) for job in jobs]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(600)
        if errors:
            raise RuntimeError(f"{len(errors)} waits failed; first: {errors[0]!r}") from errors[0]
        for job in jobs:
            final = srv.http.get_json("/audit/v1/" + job.op["name"])["operation"]
            late = noticed[job.label] - epoch(final["updateTime"])
            results.setdefault(job.key, []).append(Outcome(counter.counts[job.label], late))
    return results


def _late(seconds: float) -> str:
    return ms(seconds) if abs(seconds) < 1 else secs(seconds)


def _value(outcomes: list[Outcome]) -> tuple[Stat, Stat, str]:
    req, late = Stat.of([o.requests for o in outcomes]), Stat.of([o.late for o in outcomes])
    return (
        req,
        late,
        f"{req.show(count)} req; late median {_late(late.median)}, max {_late(late.hi)}",
    )


def _ratio(mine: list[Outcome], base: list[Outcome]) -> str:
    req = Stat.of(ratios([o.requests for o in mine], [o.requests for o in base]))
    late = Stat.of(ratios([max(o.late, 1e-3) for o in mine], [max(o.late, 1e-3) for o in base]))
    return f"req {req.show(times)}; late {late.show(times)}"


def _steady_rows(
    about: float, results: dict[tuple[str, str, float], list[Outcome]], repeats: int
) -> list[Row]:
    workload = (
        f"ops of {about / 2:g}-{about * 1.5:g} s, real server, GET polling only, "
        f"{repeats} waits each, all in parallel"
    )
    without = results[("lro", "none", about)]
    core = results.get(("api-core", "steady", about))
    _, _, without_text = _value(without)
    rows = []
    steady = results[("lro", "steady", about)]
    req, late, value = _value(steady)
    without_req, without_late, _ = _value(without)
    baseline = f"lro without: {without_text}"
    ratio = _ratio(steady, without) + " of without"
    if core is not None:
        core_req, _, core_text = _value(core)
        baseline += f"; api-core PollingFuture: {core_text}"
        ratio += f"; req {_ratio(steady, core).split(';')[0][4:]} of api-core"
    if about == 10.0:
        target = "late < 0.5 s median at req ≤ api-core's (medians)"
        met = verdict(
            late.median < LATE_TARGET and core is not None and req.median <= core_req.median
        )
    else:
        target = "req ≤ without's and less late (medians, same durations and jitter)"
        met = verdict(req.median <= without_req.median and late.median < without_late.median)
    rows.append(
        Row(
            SECTION,
            f"lro polling + estimate, steady progress, {about:g} s op",
            workload,
            value,
            baseline,
            ratio,
            target,
            met,
        )
    )
    base_text = "—" if core is None else f"api-core PollingFuture: {_value(core)[2]}"
    rows.append(
        Row(
            SECTION,
            f"lro polling without estimate, {about:g} s op",
            workload + " (ops report no progress)",
            without_text,
            base_text,
            _ratio(without, core) if core is not None else "—",
            "— (today's schedule, for reference)",
            INFO,
        )
    )
    return rows


def _pattern_rows(
    about: float, results: dict[tuple[str, str, float], list[Outcome]], repeats: int
) -> list[Row]:
    without = results[("lro", "none", about)]
    base_req, base_late, base_text = _value(without)
    rows = []
    for pattern in PATTERNS:
        if pattern in ("steady", "none"):
            continue
        mine = results[("lro", pattern, about)]
        req, late, value = _value(mine)
        ok = req.median <= base_req.median and late.median <= base_late.median + NOISE
        rows.append(
            Row(
                SECTION,
                f"lro polling + estimate, {pattern} progress, {about:g} s op",
                f"ops of {about / 2:g}-{about * 1.5:g} s, real server, GET polling only, "
                f"{repeats} waits each",
                value,
                f"lro without (no progress, same durations): {base_text}",
                _ratio(mine, without),
                f"req ≤ without's, late ≤ without's + {NOISE * 1000:.0f} ms (medians)",
                verdict(ok),
            )
        )
    return rows


# ---------------------------------------------------------------------------------------
# Simulated: 1,000 operations with jittered progress rates, on a virtual clock


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds

    async def async_sleep(self, seconds: float) -> None:
        self.sleep(seconds)


class _Jittered:
    """An operation finishing at ``duration`` whose progress rate changes every second
    (x0.5-x1.5 of the mean), read through GETs on a virtual clock."""

    def __init__(self, duration: float, rng: random.Random, clock: _Clock, shown: bool) -> None:
        self.duration, self.clock, self.shown = duration, clock, shown
        seconds = max(1, int(duration) + 1)
        weights = [rng.uniform(0.5, 1.5) for _ in range(seconds)]
        total = sum(min(1.0, duration - k) * w for k, w in enumerate(weights) if duration > k)
        self.knots, done = [0.0], 0.0
        for k, w in enumerate(weights):
            done += max(0.0, min(1.0, duration - k)) * w / total
            self.knots.append(min(1.0, done))
        self.requests = 0

    def progress(self, t: float) -> float:
        k = min(int(t), len(self.knots) - 2)
        return self.knots[k] + (self.knots[k + 1] - self.knots[k]) * min(1.0, t - k)

    def get(self, name: str) -> Any:
        from lro._sync.operation import Operation

        self.requests += 1
        t = self.clock()
        raw: dict[str, Any] = {"name": name, "metadata": {"@type": "type.googleapis.com/t.M"}}
        if self.shown:
            raw["metadata"]["progressPercent"] = round(100 * min(1.0, self.progress(t)), 1)
        if t >= self.duration:
            raw.update(done=True, response={"@type": "type.googleapis.com/t.R"})
        return Operation.from_dict(raw)

    def wait_once(self, name: str, timeout: float | None) -> Any:
        raise AssertionError("polling only")

    def cancel(self, name: str) -> None:
        raise AssertionError("not cancelled")


def durations_about(n: int, about: float, seed: int) -> list[float]:
    rng = random.Random(seed)
    return [rng.uniform(about / 2, about * 1.5) for _ in range(n)]


def simulate(durations: list[float], shown: bool, seed: int) -> list[Outcome]:
    """lro's waiter over each operation (rates jittered by ``seed``), polling only."""
    try:
        from lro._core.wait_policy import WaitPolicy
        from lro._sync.waiting import wait
    except ImportError as exc:
        raise NotMeasured(f"lro's waiter unavailable: {exc}") from exc
    rates, wait_rng = random.Random(seed), random.Random(seed + 1)
    policy = WaitPolicy(long_poll=False)
    outcomes = []
    for duration in durations:
        clock = _Clock()
        op = _Jittered(duration, rates, clock, shown)
        wait(
            op,
            "operations/sim",
            timeout=900,
            policy=policy,
            clock=clock,
            rng=wait_rng,
        )
        outcomes.append(Outcome(op.requests, clock.now - op.duration))
    return outcomes


def _simulated_rows(ctx: Context) -> list[Row]:
    from .schedules import api_core as api_core_schedule

    n, about = ctx.pick(200, 1000), 10.0
    durations = durations_about(n, about, 5)
    mine, without = simulate(durations, True, 7), simulate(durations, False, 7)
    rng = random.Random(9)
    core = []
    for duration in durations:
        outcome = api_core_schedule(duration, rng)
        core.append(Outcome(outcome.requests, outcome.late))
    workload = (
        f"simulated: {n} ops of {about / 2:g}-{about * 1.5:g} s, "
        "progress rate jittered x0.5-x1.5 each second"
    )

    def show(outcomes: list[Outcome]) -> str:
        reqs, lates = [o.requests for o in outcomes], [o.late for o in outcomes]
        median, worst = _late(statistics.median(lates)), _late(max(lates))
        return f"{statistics.fmean(reqs):.2f} req (mean), late median {median}, max {worst}"

    mean_req = statistics.fmean(o.requests for o in mine)
    late_median = statistics.median(o.late for o in mine)
    core_req = statistics.fmean(o.requests for o in core)
    return [
        Row(
            SECTION,
            "lro polling + estimate, jittered progress, 10 s op (simulated)",
            workload,
            show(mine),
            f"lro without: {show(without)}; api-core default: {show(core)}",
            f"req {mean_req / statistics.fmean(o.requests for o in without):.2f}x of without, "
            f"{mean_req / core_req:.2f}x of api-core",
            "late < 0.5 s median at req ≤ api-core's (mean)",
            verdict(late_median < LATE_TARGET and mean_req <= core_req),
        )
    ]


def run(ctx: Context) -> list[Row]:
    repeats = ctx.pick(3, 12)
    results = measure(ctx, repeats)
    abouts = sorted({about for _, _, about in results})
    rows = [row for about in abouts for row in _steady_rows(about, results, repeats)]
    pattern_about = abouts[0] if ctx.quick else 10.0
    rows += _pattern_rows(pattern_about, results, repeats)
    return rows + _simulated_rows(ctx)

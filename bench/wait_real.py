"""4a. Waiting economy on the reference server: requests sent and how late completion is
noticed, for operations of about 3 s (and 10 s in the full run).

Every strategy of :mod:`bench.contenders` waits on its own operations, all started at
once and run in parallel threads against one server. "About T" means durations drawn
from [T/2, 3T/2] (as in the simulations); every strategy gets the same set of durations,
so repeat i of lro and repeat i of api-core wait on equally long operations. The server
runs (started with ``--max-wait`` =
:data:`WINDOW`, so the 10 s operations span several long-poll windows). Requests are
counted per thread with :class:`bench.jsonhttp.RequestCounter` and checked against the
server's own counter. Lateness = when the waiter returned minus the operation's
``updateTime`` (the server's finish time, read afterwards from the audited view).
"""

from __future__ import annotations

import math
import random
import threading
import time
from dataclasses import dataclass
from typing import Any

from .common import (
    INFO,
    NA,
    Context,
    NotMeasured,
    Row,
    Stat,
    count,
    ms,
    ratios,
    secs,
    times,
    verdict,
)
from .contenders import Waiter, available
from .jsonhttp import RequestCounter
from .procs import ServerProcess
from .timestamps import epoch

SECTION = "4 waiting"
WINDOW = 4.0  # the server's long-poll cap (seconds)
LATE_TARGET = 0.050
BASELINE = "api-core"


@dataclass
class Outcome:
    requests: int
    late: float
    ran: float  # seconds from creation to finish


def allowed_long_polls(ran: float) -> int:
    """The long-poll target: one request per server window, plus one."""
    return math.ceil(ran / WINDOW) + 1


def _late_text(seconds: float) -> str:
    return ms(seconds) if abs(seconds) < 1 else secs(seconds)


def _run_one(
    counter: RequestCounter, label: str, waiter: Waiter, url: str, op: dict[str, Any]
) -> tuple[float, dict[str, Any]]:
    with counter.label(label):
        final = waiter(url, op)
    noticed = time.time()
    if not final.get("done"):
        raise RuntimeError(f"{label}: the wait returned a running operation")
    return noticed, final


def measure(
    ctx: Context, durations: list[float], repeats: int
) -> dict[tuple[str, float], list[Outcome]]:
    """Runs every strategy ``repeats`` times per duration, all at once."""
    results: dict[tuple[str, float], list[Outcome]] = {}
    errors: list[BaseException] = []
    waiters = available()
    with ServerProcess(max_wait=WINDOW) as srv, RequestCounter() as counter:
        jobs: list[tuple[str, str, float, Waiter, dict[str, Any]]] = []
        rng = random.Random(11)
        for duration in durations:
            for i in range(repeats):
                ops = srv.simulate(len(waiters), rng.uniform(duration / 2, duration * 3 / 2))
                for (strategy, waiter), op in zip(waiters.items(), ops, strict=True):
                    jobs.append((f"{strategy}|{duration}|{i}", strategy, duration, waiter, op))
        noticed: dict[str, tuple[float, dict[str, Any]]] = {}
        before = srv.requests()

        def work(label: str, waiter: Waiter, op: dict[str, Any]) -> None:
            try:
                noticed[label] = _run_one(counter, label, waiter, srv.url, op)
            except BaseException as exc:  # reported after the join
                errors.append(exc)

        threads = [
            threading.Thread(target=work, args=(label, waiter, op), daemon=True)
            for label, _, _, waiter, op in jobs
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(600)
        served = srv.requests() - before
        if errors:
            if isinstance(errors[0], NotMeasured):
                raise errors[0]
            raise RuntimeError(f"{len(errors)} waits failed; first: {errors[0]!r}") from errors[0]
        counted = sum(counter.counts.values())
        if counted != served:
            ctx.note(f"4: client-side counts ({counted}) differ from the server's ({served}).")
        for label, strategy, duration, _, op in jobs:
            final = srv.http.get_json("/audit/v1/" + op["name"])["operation"]
            finished = epoch(final["updateTime"])
            results.setdefault((strategy, duration), []).append(
                Outcome(
                    counter.counts[label],
                    noticed[label][0] - finished,
                    finished - epoch(final["createTime"]),
                )
            )
    return results


def _cells(outcomes: list[Outcome]) -> tuple[Stat, Stat]:
    return Stat.of([o.requests for o in outcomes]), Stat.of([o.late for o in outcomes])


def rows_for(
    duration: float, results: dict[tuple[str, float], list[Outcome]], repeats: int
) -> list[Row]:
    """The rows of one duration: lro long-poll, lro polling, fixed 1 s, each vs api-core."""
    base = results.get((BASELINE, duration))
    if base is None:
        base_req = base_late = None
        baseline = "n/a: google-api-core not installed (`pip install -e '.[bench]'`)"
    else:
        base_req, base_late = _cells(base)
        baseline = (
            f"api-core PollingFuture: {count(base_req.median)} req, "
            f"{_late_text(base_late.median)} late"
        )
    workload = (
        f"ops of {duration / 2:g}-{duration * 1.5:g} s, real server, {WINDOW:g} s wait window, "
        f"{repeats} waits per strategy, all in parallel"
    )
    rows = []
    for strategy in ("lro long-poll", "lro polling", "fixed 1 s"):
        mine = results[(strategy, duration)]
        req, late = _cells(mine)
        ratio = "—"
        if base is not None:
            req_ratio = Stat.of(ratios([o.requests for o in mine], [o.requests for o in base]))
            late_ratio = Stat.of(
                ratios([max(o.late, 1e-4) for o in mine], [max(o.late, 1e-4) for o in base])
            )
            ratio = f"req {req_ratio.show(times)}; late {late_ratio.show(times)}"
        if strategy == "lro long-poll":
            within = all(o.requests <= allowed_long_polls(o.ran) for o in mine)
            target = "late ≤ 50 ms median; req ≤ 1 per window + 1 (each op)"
            met = verdict(late.median <= LATE_TARGET and within)
        elif strategy == "lro polling":
            target = "req ≤ api-core's and less late (medians)"
            met = NA
            if base_req is not None and base_late is not None:
                met = verdict(req.median <= base_req.median and late.median < base_late.median)
        else:
            target, met = "— (eval-studio default, for reference)", INFO
        rows.append(
            Row(
                SECTION,
                f"{strategy}, {duration:g} s op",
                workload,
                f"{req.show(count)} req; {late.show(_late_text)} late",
                baseline,
                ratio,
                target,
                met,
            )
        )
    return rows


def run(ctx: Context) -> list[Row]:
    durations = [3.0] if ctx.quick else [3.0, 10.0]
    repeats = ctx.pick(4, 12)
    results = measure(ctx, durations, repeats)
    return [row for duration in durations for row in rows_for(duration, results, repeats)]

"""5c. Store growth: GetOperation and one list page as the store grows from 1k to 100k
operations (1k and 10k in --quick), each against the same call at 1k.

Operations are bulk-inserted through the admin simulation endpoint with durations of a
day, so they stay put while measured; the store is SQLite ``:memory:`` (inserting 100k
rows into a file costs a minute of fsyncs and says nothing about lookups). Latency is the
client's wall time per call with a keep-alive urllib3 pool (its constant cost included).
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable

from .common import Context, Row, Stat, ms, ratios, times, verdict
from .jsonhttp import JsonHttp
from .procs import ServerProcess, rss_kib

SECTION = "5 server"
BASE_SIZE = 1000
TARGET = 2.0  # logarithmic growth from 1k to 100k would be log(1e5)/log(1e3) = 1.67x


def _latency(call: Callable[[], object], n: int) -> float:
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        call()
        samples.append(time.perf_counter() - start)
    return Stat.of(samples).median


def _measure(
    http: JsonHttp, names: list[str], rng: random.Random, rounds: int
) -> dict[str, list[float]]:
    picks = [rng.choice(names) for _ in range(200)]
    calls: dict[str, tuple[Callable[[], object], int]] = {
        "get": (lambda: http.get_raw("/v1/" + rng.choice(picks)), 200),
        "list": (lambda: http.get_raw("/v1/operations?pageSize=100"), 30),
        "audit": (lambda: http.get_raw("/audit/v1/operations?pageSize=100"), 30),
    }
    for call, _ in calls.values():
        call()
    return {key: [_latency(call, n) for _ in range(rounds)] for key, (call, n) in calls.items()}


LABELS = {
    "get": "GetOperation latency",
    "list": "ListOperations page (standard, pageSize=100)",
    "audit": "audited list page (pageSize=100, totalSize)",
}


def run(ctx: Context) -> list[Row]:
    sizes = [BASE_SIZE, 10_000] if ctx.quick else [BASE_SIZE, 10_000, 100_000]
    rounds = ctx.pick(2, 5)
    rng = random.Random(5)
    results: dict[int, dict[str, list[float]]] = {}
    memory: dict[int, int] = {}
    with ServerProcess(max_wait=30, db=":memory:") as srv:
        names: list[str] = []
        for size in sizes:
            names += [op["name"] for op in srv.simulate(size - len(names), 86_000, steps=1)]
            time.sleep(0.5 + size / 20_000)  # let the new simulation tasks start and sleep
            results[size] = _measure(srv.http, names, rng, rounds)
            memory[size] = rss_kib(srv.pid)
    rows = []
    for key, label in LABELS.items():
        base = results[BASE_SIZE][key]
        for size in sizes[1:]:
            ratio = Stat.of(ratios(results[size][key], base))
            log_growth = math.log(size) / math.log(BASE_SIZE)
            rows.append(
                Row(
                    SECTION,
                    f"{label} at {size // 1000}k stored",
                    f"{rounds} rounds, median per round; log growth would be {log_growth:.2f}x; "
                    f"server RSS {memory[size] // 1024} MiB",
                    ms(Stat.of(results[size][key]).median),
                    f"same at 1k: {ms(Stat.of(base).median)}",
                    ratio.show(times),
                    f"≤ {TARGET:g}x (flat or log)",
                    verdict(ratio.median <= TARGET),
                )
            )
    return rows

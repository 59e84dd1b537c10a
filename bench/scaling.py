"""6. Scaling of ``wait_all`` on the audited view: requests sent and client CPU for 100,
1,000 and 10,000 operations (100 and 1,000 in --quick), against the 100-operation run.

Operations last about 3 s (1 s in --quick), spread evenly over [T/2, 3T/2]. The target is
growth no worse than linear: requests at most N/100 times the 100-operation run's, and
CPU per operation at most 1.5x the 100-operation run's (each snapshot has to be decoded
once, so CPU grows linearly at best; 1.5x leaves room for noise).
"""

from __future__ import annotations

from .common import Context, Row, Stat, count, ms, ratios, secs, times, verdict
from .many import ManyOutcome, start, wait_all
from .procs import ServerProcess

SECTION = "6 scaling"
BASE = 100


def run(ctx: Context) -> list[Row]:
    sizes = [BASE, 1000] if ctx.quick else [BASE, 1000, 10_000]
    about = 1.0 if ctx.quick else 3.0
    repeats = ctx.pick(1, 2)
    runs: dict[int, list[ManyOutcome]] = {size: [] for size in sizes}
    with ServerProcess(max_wait=30) as srv:
        for _ in range(repeats):
            for size in sizes:
                runs[size].append(wait_all(srv, start(srv, size, about), audited=True, via="batch"))
    base = runs[BASE]
    rows = []
    for size in sizes:
        mine = runs[size]
        req = Stat.of([o.requests for o in mine])
        cpu = Stat.of([o.cpu for o in mine])
        late = Stat.of([o.last_late for o in mine])
        cpu_ratio = Stat.of(ratios([o.cpu for o in mine], [o.cpu for o in base]))
        req_ratio = Stat.of(ratios([o.requests for o in mine], [o.requests for o in base]))
        linear = size / BASE
        is_base = size == BASE
        rows.append(
            Row(
                SECTION,
                f"wait_all over {size:,} ops",
                f"audited view (batchGet), ops of {about / 2:g}-{about * 1.5:g} s, {repeats} "
                f"run(s); last noticed {late.show(ms)} late; "
                f"CPU/op {cpu.median / size * 1e6:.0f} µs",
                f"{req.show(count)} req; CPU {cpu.show(secs)}",
                "itself"
                if is_base
                else f"{BASE} ops: {count(Stat.of([o.requests for o in base]).median)} "
                f"req, CPU {secs(Stat.of([o.cpu for o in base]).median)}",
                f"req {req_ratio.show(times)}; CPU {cpu_ratio.show(times)}",
                "—" if is_base else f"req ≤ {linear:g}x (linear); CPU/op ≤ 1.5x",
                "—"
                if is_base
                else verdict(req_ratio.median <= linear and cpu_ratio.median <= 1.5 * linear),
            )
        )
    return rows

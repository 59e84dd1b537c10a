"""4b. ``wait_all`` over 1,000 operations on the audited view (batchGet rounds) against
per-operation polling of the same kind of set (``wait_all(via="poll")`` with one waiter
thread per operation, i.e. 1,000 independent lro polling loops), on the reference server.

Operations last 1.5-4.5 s (0.5-1.5 s in --quick; 20 groups spread evenly). Requests are
the server's own count (``/admin/v1/stats`` delta; nothing else talks to that server
meanwhile). Lateness is when ``wait_all`` returned minus the last operation's finish
(``updateTime``).
"""

from __future__ import annotations

from .common import Context, Row, Stat, count, ms, ratios, secs, times, verdict
from .many import start, wait_all
from .procs import ServerProcess

SECTION = "4 waiting"
COUNT = 1000
ABOUT = 3.0  # 2 s in --quick
REQUEST_TARGET = 0.01
LATE_TARGET = 1.0


def run(ctx: Context) -> list[Row]:
    repeats = ctx.pick(1, 3)
    about = 1.0 if ctx.quick else ABOUT
    batch, per_op = [], []
    with ServerProcess(max_wait=30) as srv:
        for _ in range(repeats):
            batch.append(wait_all(srv, start(srv, COUNT, about), audited=True, via="batch"))
            names = start(srv, COUNT, about)
            per_op.append(wait_all(srv, names, audited=False, via="poll", concurrency=COUNT))
    req, base_req = [o.requests for o in batch], [o.requests for o in per_op]
    late = Stat.of([o.last_late for o in batch])
    base_late = Stat.of([o.last_late for o in per_op])
    req_ratio = Stat.of(ratios(req, base_req))
    cpu_ratio = Stat.of(ratios([o.cpu for o in batch], [o.cpu for o in per_op]))
    return [
        Row(
            SECTION,
            f"wait_all, {COUNT} ops, audited view (batchGet)",
            f"ops of {about / 2:g}-{about * 1.5:g} s, real server, {repeats} run(s); client "
            f"CPU {secs(Stat.of([o.cpu for o in batch]).median)} ({cpu_ratio.show(times)} of "
            "per-op)",
            f"{Stat.of(req).show(count)} req; last noticed {late.show(ms)} late",
            f"per-op polling (1000 lro pollers): {count(Stat.of(base_req).median)} req, "
            f"last {ms(base_late.median)} late",
            f"req {req_ratio.show(times)}",
            "req ≤ 1/100 of per-op; last noticed ≤ 1 s late",
            verdict(req_ratio.median <= REQUEST_TARGET and late.median <= LATE_TARGET),
        )
    ]

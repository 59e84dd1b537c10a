"""5b. Held long-polls: 1,000 concurrent ``:wait`` calls held by one server process, and
the memory each costs (RSS delta of the server process from /proc/PID/status, divided by
the number held), against a bare asyncio server holding as many requests.

Each wait is on its own running operation (created beforehand, so storage is not counted).
"""

from __future__ import annotations

import json
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from .common import BENCH_DIR, INFO, PYTHON, ROOT, Context, Row, Stat, ratios, times, verdict
from .jsonhttp import JsonHttp
from .procs import BareServerProcess, ServerProcess, rss_kib

SECTION = "5 server"
HELD = 1000
WARM_UP = 20


def _hold(
    url: str, targets: list[str], count: int, pid: int, held: Callable[[], int]
) -> tuple[int, float]:
    """Holds ``count`` waits; returns (how many the server reports held, KiB per held)."""
    argv = [PYTHON, str(BENCH_DIR / "loadgen.py"), "hold", "--url", url, "--count", str(count)]
    argv += ["--body", '{"timeout":"120s"}']
    for target in targets:
        argv += ["--target", target]
    before = rss_kib(pid)
    proc = subprocess.Popen(
        argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT
    )
    assert proc.stdin is not None and proc.stdout is not None
    try:
        line = proc.stdout.readline()
        if not line.startswith("holding"):
            raise RuntimeError(f"load generator did not hold the waits: {line!r}")
        deadline = time.monotonic() + 60
        reached = held()
        while reached < count and time.monotonic() < deadline:
            time.sleep(0.1)
            reached = held()
        time.sleep(0.3)
        after = rss_kib(pid)
    finally:
        proc.stdin.close()
        proc.wait(60)
    return reached, (after - before) / count


def _lro_run(count: int) -> tuple[int, float]:
    # Room for all of them (by default one principal holds at most a quarter of the
    # connection limit: the others must still be served).
    room = ["--max-connections", "4096", "--max-held-waits", "2048"]
    room += ["--max-held-waits-per-principal", "2048"]
    with ServerProcess(max_wait=120, options=room) as srv:
        ops = srv.simulate(count + WARM_UP, 86_000, steps=1)
        targets = ["/v1/" + op["name"] for op in ops]
        for target in targets[:WARM_UP]:  # warm the wait path
            srv.http.post_json(target + ":wait", {"timeout": "0s"})
        return _hold(srv.url, targets[WARM_UP:], count, srv.pid, lambda: srv.stats()["heldWaits"])


def _bare_run(count: int) -> tuple[int, float]:
    with tempfile.TemporaryDirectory() as tmp:
        bodies = Path(tmp) / "bodies.json"
        bodies.write_text(json.dumps({"/v1/operations/x": '{"name":"operations/x"}'}))
        with BareServerProcess(bodies) as bare:
            http = JsonHttp(bare.url)
            for _ in range(WARM_UP):
                http.get_raw("/v1/operations/x")
            targets = [f"/v1/operations/{k}" for k in range(count)]
            return _hold(
                bare.url, targets, count, bare.pid, lambda: http.get_json("/__held")["held"]
            )


def run(ctx: Context) -> list[Row]:
    repeats = ctx.pick(1, 3)
    held: list[int] = []
    lro_kib: list[float] = []
    bare_kib: list[float] = []
    for _ in range(repeats):
        reached, kib = _lro_run(HELD)
        held.append(reached)
        lro_kib.append(kib)
        bare_kib.append(_bare_run(HELD)[1])
    workload = f"{HELD} concurrent POST :wait on {HELD} running ops, {repeats} fresh server(s)"
    return [
        Row(
            SECTION,
            "concurrent long-polls held",
            workload + " (heldWaits from /admin/v1/stats)",
            f"{min(held)} held",
            f"{HELD} requested",
            Stat.of([h / HELD for h in held]).show(times),
            f"{HELD} held",
            verdict(min(held) >= HELD),
        ),
        Row(
            SECTION,
            "server memory per held wait",
            workload + "; RSS delta / held",
            f"{Stat.of(lro_kib).median:.1f} KiB",
            f"bare asyncio server: {Stat.of(bare_kib).median:.1f} KiB per held request",
            Stat.of(ratios(lro_kib, bare_kib)).show(times),
            "— (no target)",
            INFO,
        ),
    ]

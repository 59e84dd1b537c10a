"""5a. Server throughput: requests per second for GetOperation and one ListOperations page
on one server process, against a bare asyncio server answering the same bytes.

The load generator (:mod:`bench.loadgen`) is another process: keep-alive connections,
loopback only, bounded in time and count. On a 2-core machine the server and the load
generator get a core each, so the bare floor is bounded by the generator as well.
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

from .common import BENCH_DIR, INFO, Context, Row, Stat, ratios, times
from .procs import BareServerProcess, ServerProcess, run_json_script

SECTION = "5 server"
STORED = 1000
CONNECTIONS = 16


def _load(url: str, targets: list[str], seconds: float) -> float:
    argv = [str(BENCH_DIR / "loadgen.py"), "rps", "--url", url]
    argv += ["--connections", str(CONNECTIONS), "--seconds", str(seconds)]
    for target in targets:
        argv += ["--target", target]
    result = run_json_script(argv, timeout=seconds + 60)
    if result["errors"] or not result["requests"]:
        raise RuntimeError(f"load generator saw errors against {url}: {result}")
    return float(result["rps"])


def run(ctx: Context) -> list[Row]:
    seconds, repeats = (0.5, 1) if ctx.quick else (2.0, 3)
    with ServerProcess(max_wait=30) as srv, tempfile.TemporaryDirectory() as tmp:
        names = [op["name"] for op in srv.simulate(STORED, 86_000, steps=1)]
        time.sleep(0.5)  # let the simulation tasks start and go to sleep
        workloads = {
            "get": ["/v1/" + name for name in names[:200]],
            "list": ["/v1/operations?pageSize=50"],
        }
        bodies = {t: srv.http.get_raw(t).decode() for ts in workloads.values() for t in ts}
        bodies_file = Path(tmp) / "bodies.json"
        bodies_file.write_text(json.dumps(bodies))
        measured: dict[str, dict[str, list[float]]] = {
            kind: {"lro": [], "bare": []} for kind in workloads
        }
        with BareServerProcess(bodies_file) as bare:
            for _ in range(repeats):
                for kind, targets in workloads.items():
                    measured[kind]["lro"].append(_load(srv.url, targets, seconds))
                    measured[kind]["bare"].append(_load(bare.url, targets, seconds))
    labels = {
        "get": ("GetOperation req/s", f"GET /v1/{{name}} over 200 names, {STORED} stored"),
        "list": ("ListOperations page req/s", f"GET /v1/operations?pageSize=50, {STORED} stored"),
    }
    rows = []
    for kind, (measurement, workload) in labels.items():
        lro, base = measured[kind]["lro"], measured[kind]["bare"]
        rows.append(
            Row(
                SECTION,
                measurement,
                f"{workload}; {CONNECTIONS} keep-alive conns, {repeats}x{seconds:g} s",
                f"{Stat.of(lro).median:,.0f} req/s",
                f"bare asyncio server, same bytes: {Stat.of(base).median:,.0f} req/s",
                Stat.of(ratios(lro, base)).show(times),
                "— (no target)",
                INFO,
            )
        )
    return rows

"""Simulated operations: progress through the write path, outcomes, resumption."""

from __future__ import annotations

import itertools
import time
from pathlib import Path

from server_http import Api

from lro_server import RunningServer, serve
from lro_server.simulation import Plan

PROGRESS_TYPE = "type.googleapis.com/lro.example.ProgressMetadata"


def test_simulation_reports_progress_then_responds(srv: RunningServer, api: Api) -> None:
    started = api.ok(
        "POST", "/admin/v1/simulations", {"count": 2, "durationSeconds": 0.8, "steps": 4}
    )["operations"]
    assert len(started) == 2
    first = started[0]
    assert first["metadata"]["@type"] == PROGRESS_TYPE
    assert first["metadata"]["step"] == 0 and first["metadata"]["stepsTotal"] == 4
    assert "done" not in first

    seen_steps = set()
    deadline = time.monotonic() + 5
    op = first
    while not op.get("done") and time.monotonic() < deadline:
        op = api.audited(first["name"])
        seen_steps.add(op["metadata"]["step"])
        time.sleep(0.05)
    assert op["done"] is True
    assert op["response"]["@type"] == "type.googleapis.com/lro.example.SimulationResult"
    assert op["metadata"]["progressPercent"] == 100 and op["metadata"]["progress"] == 1.0
    assert op["updater"] == "simulator"
    assert len(seen_steps) >= 3  # intermediate progress was visible


def reported(api: Api, name: str) -> list[dict[str, object]]:
    """Every distinct metadata of operation `name`, polled until it is done."""
    seen: list[dict[str, object]] = []
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        op = api.audited(name)
        if not seen or seen[-1] != op["metadata"]:
            seen.append(op["metadata"])
        if op.get("done"):
            return seen
        time.sleep(0.02)
    raise AssertionError(f"{name} did not finish in 5 s: {seen}")


def test_progress_patterns(srv: RunningServer, api: Api) -> None:
    body = {"durationSeconds": 0.8, "steps": 8}
    (stepwise,) = api.ok("POST", "/admin/v1/simulations", {**body, "progress": "stepwise"})[
        "operations"
    ]
    (silent,) = srv.simulate(duration=0.4, steps=4, progress="none")
    steps = reported(api, stepwise["name"])
    values = [meta["progress"] for meta in steps]
    assert set(values) <= {0.0, 0.25, 0.5, 0.75, 1.0} and len(set(values)) >= 3
    assert values == sorted(values) and values[-1] == 1.0
    assert [meta["progressPercent"] for meta in steps] == [int(v * 100) for v in values]  # type: ignore[operator]
    assert all("step" not in meta for meta in steps)  # it would contradict `progress`
    for meta in reported(api, silent["name"]):
        assert set(meta) == {"@type", "startTime"}  # no progress at all


def test_irregular_progress_rises_unevenly_the_same_on_every_run() -> None:
    plan = Plan("operations/x", 0, 10**9, 20, "response", "irregular")
    curve = [float(plan.fraction(step) or 0.0) for step in range(21)]
    assert curve[0] == 0.0 and curve[-1] == 1.0
    assert all(a < b for a, b in itertools.pairwise(curve))
    jumps = {round(b - a, 6) for a, b in itertools.pairwise(curve)}
    assert len(jumps) >= 3  # not linear: the rate changes
    again = Plan("operations/x", 5, 10**9, 20, "response", "irregular")
    assert [again.fraction(step) for step in range(21)] == curve
    other = Plan("operations/y", 0, 10**9, 20, "response", "irregular")
    assert [other.fraction(step) for step in range(21)] != curve
    meta = plan.metadata(3)
    assert meta["progress"] == curve[3] and meta["progressPercent"] == int(curve[3] * 100)  # type: ignore[operator]


def test_waiter_wakes_when_a_simulation_finishes(srv: RunningServer, api: Api) -> None:
    (op,) = srv.simulate(count=1, duration=0.5, steps=2)
    started = time.monotonic()
    done = api.ok("POST", f"/v1/{op['name']}:wait", {"timeout": "10s"})
    assert done["done"] is True and 0.4 <= time.monotonic() - started < 3


def test_error_and_cancelled_outcomes(srv: RunningServer, api: Api) -> None:
    (failing,) = srv.simulate(duration=0.1, outcome="error", steps=1)
    (cancelled,) = srv.simulate(duration=0.1, outcome="cancelled", parent="projects/sim", steps=1)
    assert cancelled["name"].startswith("projects/sim/operations/")
    failed = api.ok("POST", f"/v1/{failing['name']}:wait", {"timeout": "5s"})
    assert failed["error"]["code"] == 13
    assert failed["error"]["details"][0]["reason"] == "SIMULATED_FAILURE"
    stopped = api.ok("POST", f"/v1/{cancelled['name']}:wait", {"timeout": "5s"})
    assert stopped["error"]["code"] == 1


def test_cancelling_a_simulated_operation_stops_it(srv: RunningServer, api: Api) -> None:
    (op,) = srv.simulate(duration=0.4, steps=4)
    api.ok("POST", f"/v1/{op['name']}:cancel")
    time.sleep(0.6)
    final = api.audited(op["name"])
    assert final["error"]["code"] == 1 and "response" not in final
    assert final["updater"] == "anonymous"  # the simulation did not write after the cancel


def test_bad_simulation_requests(api: Api) -> None:
    for body in (
        {"count": 0},
        {"count": 10_001},
        {"outcome": "explode"},
        {"durationSeconds": -1},
        {"durationSeconds": "long"},
        {"steps": 0},
        {"parent": "a/../b"},
        {"progress": "zigzag"},
        {"progress": 3},
    ):
        reply = api.post("/admin/v1/simulations", body)
        assert (reply.status, reply.code) == (400, 3), body
    assert api.count() == 0


def test_unfinished_simulations_resume_after_restart(tmp_path: Path) -> None:
    db = str(tmp_path / "sim.sqlite3")
    with serve(db=db) as first:
        (op,) = first.simulate(duration=1.0, steps=5)
        time.sleep(0.1)
    # The first server is gone mid-simulation; a new one on the same file finishes the job.
    with serve(db=db) as second:
        done = Api(second.url).ok("POST", f"/v1/{op['name']}:wait", {"timeout": "10s"})
        assert done["done"] is True and done["response"]["items"] == 5

"""Simulated operations: progress through the write path, outcomes, resumption.

The servers here run on a `ManualClock` (the tests ask for `manual_clock`): simulated
time passes when a test advances it.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from server_http import Api

from lro_server import ManualClock, RunningServer, serve

PROGRESS_TYPE = "type.googleapis.com/lro.example.ProgressMetadata"


def test_simulation_reports_progress_then_responds(
    srv: RunningServer, api: Api, manual_clock: ManualClock
) -> None:
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
        manual_clock.advance(0.05)
    assert op["done"] is True
    assert op["response"]["@type"] == "type.googleapis.com/lro.example.SimulationResult"
    assert op["metadata"]["progressPercent"] == 100 and op["metadata"]["progress"] == 1.0
    assert op["updater"] == "simulator"
    assert len(seen_steps) >= 3  # intermediate progress was visible


def test_waiter_wakes_when_a_simulation_finishes(
    srv: RunningServer, api: Api, manual_clock: ManualClock
) -> None:
    (op,) = srv.simulate(count=1, duration=0.5, steps=2)
    started = manual_clock.monotonic_ns()
    with ThreadPoolExecutor(1) as pool:
        waiting = pool.submit(api.ok, "POST", f"/v1/{op['name']}:wait", {"timeout": "10s"})
        manual_clock.wait_for_sleepers(2)  # the simulation's next step and the held :wait
        manual_clock.advance(0.5)
        done = waiting.result(timeout=10)
    assert done["done"] is True and 0.4 <= (manual_clock.monotonic_ns() - started) / 1e9 < 3


def test_error_and_cancelled_outcomes(
    srv: RunningServer, api: Api, manual_clock: ManualClock
) -> None:
    (failing,) = srv.simulate(duration=0.1, outcome="error", steps=1)
    (cancelled,) = srv.simulate(duration=0.1, outcome="cancelled", parent="projects/sim", steps=1)
    manual_clock.advance(0.1)
    assert cancelled["name"].startswith("projects/sim/operations/")
    failed = api.ok("POST", f"/v1/{failing['name']}:wait", {"timeout": "5s"})
    assert failed["error"]["code"] == 13
    assert failed["error"]["details"][0]["reason"] == "SIMULATED_FAILURE"
    stopped = api.ok("POST", f"/v1/{cancelled['name']}:wait", {"timeout": "5s"})
    assert stopped["error"]["code"] == 1


def test_cancelling_a_simulated_operation_stops_it(
    srv: RunningServer, api: Api, manual_clock: ManualClock
) -> None:
    (op,) = srv.simulate(duration=0.4, steps=4)
    api.ok("POST", f"/v1/{op['name']}:cancel")
    # Steps are applied in time order: once this one finishes, every step due by 0.6 s
    # (the cancelled operation's included) has been through the simulator.
    (marker,) = srv.simulate(duration=0.6, steps=1)
    manual_clock.advance(0.6)
    assert api.ok("POST", f"/v1/{marker['name']}:wait", {"timeout": "10s"})["done"] is True
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
    ):
        reply = api.post("/admin/v1/simulations", body)
        assert (reply.status, reply.code) == (400, 3), body
    assert api.count() == 0


def test_unfinished_simulations_resume_after_restart(
    tmp_path: Path, manual_clock: ManualClock
) -> None:
    db = str(tmp_path / "sim.sqlite3")
    with serve(db=db, clock=manual_clock) as first:
        (op,) = first.simulate(duration=1.0, steps=5)
        manual_clock.advance(0.1)
    # The first server is gone mid-simulation; a new one on the same file finishes the job.
    with serve(db=db, clock=manual_clock) as second:
        manual_clock.advance(0.9)
        done = Api(second.url).ok("POST", f"/v1/{op['name']}:wait", {"timeout": "10s"})
        assert done["done"] is True and done["response"]["items"] == 5

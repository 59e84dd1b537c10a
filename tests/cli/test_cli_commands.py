"""get, list, cancel, delete and the worker commands against a live server.

These run the CLI in-process (same argv, environment, streams and exit codes as the
`lro` process) so that covering every command and option stays fast, like every CLI test
but the few marked ``slow``, where the process itself is the point.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from lro_cli_helpers import Runner, make_runner

from lro_server import RunningServer

JOB = "type.googleapis.com/test.Job"


@pytest.fixture(scope="module")
def lro(srv: RunningServer) -> Runner:
    """Run the CLI in-process against the module's server."""
    return make_runner(srv.url)


def ok(result: Any) -> str:
    """stdout of a run that must have succeeded."""
    assert result.returncode == 0, (result.returncode, result.stdout, result.stderr)
    return str(result.stdout)


def as_json(result: Any) -> Any:
    return json.loads(ok(result))


def test_worker_flow_create_update_finish(lro: Runner) -> None:
    name = ok(lro("create", "--metadata", json.dumps({"@type": JOB, "step": 0}))).strip()
    assert name.startswith("operations/")
    assert ok(lro("update", name, "--percent", "40")) == f"{name}: RUNNING 40%\n"
    shown = ok(lro("get", name))
    assert f"name:     {name}" in shown
    assert "state:    RUNNING" in shown
    assert "progress: 40%" in shown
    assert "eta:      time left unknown (from one snapshot)" in shown  # a rate needs two
    finished = as_json(
        lro("finish", name, "--response", json.dumps({"@type": JOB, "rows": 42}), "--json")
    )
    assert finished["done"] is True
    assert finished["response"] == {"@type": JOB, "rows": 42}
    assert finished["creator"] == "anonymous"
    standard = as_json(lro("get", name, "--json"))
    assert set(standard) == {"name", "metadata", "done", "response"}


def test_create_with_parent_request_id_and_metadata_from_stdin(lro: Runner) -> None:
    args = ["create", "--parent", "projects/p", "--request-id", "req-1", "--metadata", "-"]
    first = as_json(lro(*args, "--json", input=json.dumps({"@type": JOB})))
    again = as_json(lro(*args, "--json", input=json.dumps({"@type": JOB})))
    assert first["name"].startswith("projects/p/operations/")
    assert again["name"] == first["name"]
    assert first["metadata"] == {"@type": JOB}


def test_finish_with_error_and_abort(lro: Runner) -> None:
    failing = ok(lro("create")).strip()
    out = ok(lro("finish", failing, "--error", "internal", "--message", "disk full"))
    assert out == f"{failing}: FAILED(INTERNAL)\n"
    assert as_json(lro("get", failing, "--json"))["error"] == {"code": 13, "message": "disk full"}
    aborted = ok(lro("create")).strip()
    assert as_json(lro("finish", aborted, "--abort", "--json"))["error"]["code"] == 10


def test_get_audited_shows_audit_fields(lro: Runner) -> None:
    name = ok(lro("create")).strip()
    shown = ok(lro("get", name, "--audited"))
    assert "\ncreated: " in shown and "by anonymous" in shown
    assert "createTime" in as_json(lro("get", name, "--audited", "--json"))
    assert "createTime" in as_json(lro("--audited", "get", name, "--json"))
    assert "createTime" not in as_json(lro("--audited", "get", name, "--standard", "--json"))


def test_cancel_then_get_shows_cancelled(lro: Runner, srv: RunningServer) -> None:
    (op,) = srv.simulate(count=1, duration=60)
    assert ok(lro("cancel", op["name"])) == f"{op['name']}: cancel requested\n"
    shown = as_json(lro("get", op["name"], "--json"))
    assert shown["done"] is True and shown["error"]["code"] == 1
    assert "state:    CANCELLED" in ok(lro("get", op["name"]))


def test_delete_hides_from_standard_view_not_audited(lro: Runner) -> None:
    name = ok(lro("create")).strip()
    assert json.loads(ok(lro("delete", name, "--json"))) == {"name": name, "deleted": True}
    assert lro("get", name).returncode == 4
    audited = as_json(lro("get", name, "--audited", "--json"))
    assert "deleteTime" in audited
    listed = as_json(lro("list", "--show-deleted", "--all", "--json"))
    assert name in {op["name"] for op in listed["operations"]}
    assert name not in {op["name"] for op in as_json(lro("list", "--all", "--json"))["operations"]}


def test_list_pages_filter_and_parent(lro: Runner, srv: RunningServer) -> None:
    names = {op["name"] for op in srv.simulate(count=5, duration=60, parent="projects/list")}
    first = as_json(lro("list", "projects/list", "--page-size", "2", "--json"))
    assert len(first["operations"]) == 2 and first["nextPageToken"]
    every = as_json(lro("list", "projects/list", "--page-size", "2", "--all", "--json"))
    assert {op["name"] for op in every["operations"]} == names
    assert "nextPageToken" not in every
    running = as_json(lro("list", "--filter", "done = false", "--all", "--json"))
    assert names <= {op["name"] for op in running["operations"]}
    assert all(not op.get("done") for op in running["operations"])


def test_list_text_is_a_table_with_a_hint_for_more_pages(lro: Runner, srv: RunningServer) -> None:
    srv.simulate(count=3, duration=60, parent="projects/table")
    result = lro("list", "projects/table", "--page-size", "2")
    lines = ok(result).splitlines()
    assert lines[0].split() == ["NAME", "STATE", "PROGRESS"]
    assert len(lines) == 3 and all("RUNNING" in line for line in lines[1:])
    assert "--all" in result.stderr
    audited = ok(lro("list", "--audited", "--page-size", "1")).splitlines()
    assert audited[0].split() == ["NAME", "STATE", "PROGRESS", "CREATOR", "CREATED"]


def test_list_audited_json_has_total_size(lro: Runner) -> None:
    listed = as_json(lro("list", "--audited", "--page-size", "1", "--json"))
    assert listed["totalSize"] >= 1 and len(listed["operations"]) == 1


def test_seen_and_unseen(lro: Runner, srv: RunningServer) -> None:
    done = [op["name"] for op in srv.simulate(count=2, duration=0.01)]
    for name in done:
        assert lro("wait", name, "--progress", "none", "--json").returncode == 0
    unseen = {op["name"] for op in as_json(lro("unseen", "--all", "--json"))["operations"]}
    assert set(done) <= unseen
    marked = as_json(lro("seen", *done, "--json"))["operations"]
    assert [op["name"] for op in marked] == done
    assert all("seenByCreatorTime" in op for op in marked)
    assert f"{done[0]}: seen at " in ok(lro("seen", done[0]))
    after = {op["name"] for op in as_json(lro("unseen", "--all", "--json"))["operations"]}
    assert not set(done) & after


def test_unseen_basic_view_leaves_out_responses(lro: Runner, srv: RunningServer) -> None:
    (op,) = srv.simulate(count=1, duration=0.01)
    assert lro("wait", op["name"], "--progress", "none").returncode == 0
    full = as_json(lro("unseen", "--all", "--json"))["operations"]
    basic = as_json(lro("unseen", "--all", "--basic", "--json"))["operations"]
    assert any("response" in item for item in full)
    assert not any("response" in item for item in basic)


def test_metadata_without_type_is_the_servers_invalid_argument(lro: Runner) -> None:
    result = lro("create", "--metadata", '{"step": 1}')
    assert result.returncode == 6
    assert result.stderr.startswith("lro: INVALID_ARGUMENT (400): ") and "@type" in result.stderr


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [
        (0.2, "~1s left"),
        (45.0, "~45s left"),
        (125.0, "~2m05s left"),
        (11_220.0, "~3h07m left"),
        (187_200.0, "~2d04h left"),
    ],
)
def test_time_left_is_shown_in_two_units_at_most(seconds: float, shown: str) -> None:
    from datetime import datetime, timezone

    import lro
    from lro.cli._render import summary_line, time_left

    running = lro.Operation.from_dict({"name": "operations/a", "metadata": {"progress": 0.5}})
    estimate = lro.Eta(seconds, datetime.now(timezone.utc), 0.01, 2)
    assert time_left(running) == ""  # no estimate (one snapshot)
    assert time_left(running._with_eta(estimate)) == shown
    assert (
        summary_line(running._with_eta(estimate), 1.0) == f"1.0s operations/a RUNNING 50% {shown}"
    )

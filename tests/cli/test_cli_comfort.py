"""`lro get` on a terminal and with --json, `lro wait` of several operations, `lro watch`.

All against the real reference server: in-process with pipes for its streams (as
scripts and CI logs see it); as a real process where the point is what a person sees (a
pseudo-terminal) or that lines stream through a pipe while it runs.
"""

from __future__ import annotations

import json
import re
import subprocess
from typing import Any

import pytest
from lro_cli_helpers import PtyRun, Runner, clean_env, lro_command

from lro._sync.client import Client
from lro_server import ManualClock, RunningServer

JOB = "type.googleapis.com/test.Job"
SUMMARY = re.compile(
    r"^\d+\.\ds (\S+) (RUNNING|SUCCEEDED|FAILED\(\w+\)|CANCELLED) (\d+%|-)(?: ~\w+ left)?$"
)


def progress(percent: int) -> dict[str, Any]:
    return {"@type": JOB, "progressPercent": percent}


def json_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines()]


def spawn(srv: RunningServer, *args: str) -> Any:
    """``lro ARGS`` running, its stdout a pipe read line by line."""
    child = subprocess.Popen(
        lro_command(*args), env=clean_env(LRO_BASE_URL=srv.url), stdout=subprocess.PIPE, text=True
    )
    assert child.stdout is not None
    return child


def summary(line: str) -> tuple[str, ...]:
    """(name, STATE, percent) of a summary line."""
    match = SUMMARY.match(line.rstrip("\n"))
    assert match, line
    return match.groups()


def finished(srv: RunningServer, **response: Any) -> str:
    """The name of an operation that succeeded with ``response``."""
    with Client(srv.url) as client:
        name = client.create(progress(100)).name
        client.finalize(name, response={"@type": JOB, **response})
    return name


# -- get ----------------------------------------------------------------------------------


@pytest.mark.slow  # a real terminal (pty): only a process gets one
def test_get_on_a_terminal_indents_metadata_and_response(srv: RunningServer) -> None:
    name = finished(srv, rows=42, files=["a.csv", "b.csv"])
    code, screen = PtyRun(srv.url, "get", name).close()
    assert code == 0, screen
    lines = screen.replace("\n\n", "\n").strip().splitlines()
    assert lines[0] == f"name:     {name}"
    assert lines[1] == "state:    SUCCEEDED"
    start = lines.index("metadata: {")
    assert lines[start + 1] == f'            "@type": "{JOB}",'  # under the value column
    assert lines[start + 2] == '            "progressPercent": 100'
    assert lines[start + 3] == "          }"
    response = screen[screen.index("response: {") + len("response: ") :]
    assert json.loads(response) == {"@type": JOB, "rows": 42, "files": ["a.csv", "b.csv"]}


def test_get_off_a_terminal_keeps_one_line_per_field(lro: Runner, srv: RunningServer) -> None:
    name = finished(srv, rows=42)
    result = lro("get", name)
    assert result.returncode == 0, result.stderr
    assert f'response: {{"@type":"{JOB}","rows":42}}' in result.stdout.splitlines()


def test_get_json_is_one_compact_line(lro: Runner, srv: RunningServer) -> None:
    name = finished(srv, rows=7)
    result = lro("get", name, "--json")
    assert result.returncode == 0, result.stderr
    (line,) = result.stdout.splitlines()
    assert ": " not in line and ", " not in line  # compact separators
    with Client(srv.url) as client:
        assert json.loads(line) == client.get(name).to_dict()


# -- wait NAME... -------------------------------------------------------------------------


def test_wait_several_off_a_terminal_prints_a_line_each(lro: Runner, srv: RunningServer) -> None:
    ops = srv.simulate(count=3, duration=0.3, steps=3)
    names = [op["name"] for op in ops]
    result = lro("wait", *names, "--interval", "0.2")
    assert result.returncode == 0, result.stderr
    matches = [SUMMARY.match(line) for line in result.stdout.splitlines()]
    assert all(matches), result.stdout
    assert sorted(m.group(1) for m in matches if m) == sorted(names)  # one line each
    assert {m.group(2) for m in matches if m} == {"SUCCEEDED"}
    assert "\x1b" not in result.stdout


def test_wait_several_json_is_one_line_each_in_order(lro: Runner, srv: RunningServer) -> None:
    names = [op["name"] for op in srv.simulate(count=3, duration=0.2)]
    result = lro("wait", *reversed(names), "--json", "--interval", "0.2")
    assert result.returncode == 0, result.stderr
    shown = json_lines(result.stdout)
    assert [op["name"] for op in shown] == list(reversed(names))
    assert all(op["done"] and "response" in op for op in shown)
    assert len(result.stderr.splitlines()) == 3  # the progress went to stderr


@pytest.mark.slow  # a real pipe read while lro runs: each line must be flushed as it happens
def test_wait_several_with_plain_progress_shows_every_change(srv: RunningServer) -> None:
    with Client(srv.url) as client:
        names = [client.create(progress(0)).name for _ in range(2)]
        child = spawn(srv, "wait", *names, "--progress", "plain", "--interval", "0.1")
        first = {summary(child.stdout.readline())[0] for _ in names}  # each one, running
        client.update(names[0], progress(50))
        assert summary(child.stdout.readline()) == (names[0], "RUNNING", "50%")
        for name in names:
            client.finalize(name, response={"@type": JOB})
        rest, _ = child.communicate(timeout=20)
    assert child.returncode == 0
    assert first == set(names)
    assert sorted(summary(line) for line in rest.splitlines()) == sorted(
        [(names[0], "SUCCEEDED", "50%"), (names[1], "SUCCEEDED", "0%")]
    )


def test_wait_several_without_progress_prints_a_table(lro: Runner, srv: RunningServer) -> None:
    names = [op["name"] for op in srv.simulate(count=2, duration=0.1)]
    result = lro("wait", *names, "--progress", "none")
    assert result.returncode == 0, result.stderr
    header, *rows = result.stdout.splitlines()
    assert header.split() == ["NAME", "STATE", "PROGRESS"]
    assert [row.split()[:2] for row in rows] == [[name, "SUCCEEDED"] for name in names]


def test_wait_several_exits_1_when_one_fails(lro: Runner, srv: RunningServer) -> None:
    (good,) = srv.simulate(count=1, duration=0.2)
    (bad,) = srv.simulate(count=1, duration=0.2, outcome="error")
    result = lro("wait", good["name"], bad["name"], "--json")
    assert result.returncode == 1
    shown = {op["name"]: op for op in json_lines(result.stdout)}
    assert "response" in shown[good["name"]] and shown[bad["name"]]["error"]["code"] == 13
    assert json.loads(result.stderr.splitlines()[-1])["exitCode"] == 1


def test_wait_several_timeout_exits_3_showing_where_they_are(
    lro: Runner, srv: RunningServer, virtual_clock: ManualClock
) -> None:
    (quick,) = srv.simulate(count=1, duration=0.1)
    (slow,) = srv.simulate(count=1, duration=60, steps=60)
    started = virtual_clock.monotonic()  # the command's client and the server share it
    result = lro("wait", quick["name"], slow["name"], "--timeout", "1.5", "--json")
    assert result.returncode == 3, result.stderr
    assert virtual_clock.monotonic() - started < 15
    shown = {op["name"]: op for op in json_lines(result.stdout)}
    assert shown[quick["name"]]["done"] is True
    assert "done" not in shown[slow["name"]]
    assert json.loads(result.stderr.splitlines()[-1])["exitCode"] == 3


@pytest.mark.slow  # a real terminal (pty): only a process gets one
def test_wait_several_on_a_terminal_draws_a_bar_each(srv: RunningServer) -> None:
    with Client(srv.url) as client:
        names = [client.create(progress(0)).name for _ in range(3)]
        run = PtyRun(srv.url, "wait", *names, "--interval", "0.2")
        run.expect(r" 0%")
        for percent, name in zip((30, 60, 90), names, strict=True):
            client.update(name, progress(percent))
            run.expect(rf" {percent}%")
        for name in names:
            client.finalize(name, response={"@type": JOB})
        code, screen = run.close()
    assert code == 0, screen
    for name in names:
        assert f"{name} SUCCEEDED" in screen
    last_frame = screen[screen.rindex(names[0]) - 200 :]
    assert last_frame.count("100%") >= 3 and "━" in last_frame


# -- watch --------------------------------------------------------------------------------


@pytest.mark.slow  # a real pipe read while lro runs: each line must be flushed as it happens
def test_watch_streams_each_change_as_a_json_line(srv: RunningServer) -> None:
    with Client(srv.url) as client:
        name = client.create(progress(0)).name
        child = subprocess.Popen(
            lro_command("watch", name, "--interval", "0.2"),
            env=clean_env(LRO_BASE_URL=srv.url),
            stdout=subprocess.PIPE,
            text=True,
        )
        assert child.stdout is not None
        first = json.loads(child.stdout.readline())  # before anything changes: streamed
        assert first["name"] == name and first["metadata"]["progressPercent"] == 0
        for percent in (50, 90):
            client.update(name, progress(percent))
            assert json.loads(child.stdout.readline())["metadata"]["progressPercent"] == percent
        client.finalize(name, response={"@type": JOB, "rows": 3})
        rest, _ = child.communicate(timeout=20)
    assert child.returncode == 0
    (last,) = json_lines(rest)
    assert last["done"] is True and last["response"]["rows"] == 3


def test_watch_of_a_failing_operation_exits_1(lro: Runner, srv: RunningServer) -> None:
    (op,) = srv.simulate(count=1, duration=0.3, steps=2, outcome="error")
    result = lro("watch", op["name"], "--interval", "0.1")
    assert result.returncode == 1
    lines = json_lines(result.stdout)
    assert lines[-1]["done"] is True and lines[-1]["error"]["code"] == 13
    assert all(not line.get("done") for line in lines[:-1])
    error = json.loads(result.stderr)
    assert error["exitCode"] == 1 and error["name"] == op["name"]


@pytest.mark.slow  # a real pipe read while lro runs: each line must be flushed as it happens
def test_watch_several_interleaves_their_snapshots(srv: RunningServer) -> None:
    with Client(srv.url) as client:
        names = [client.create(progress(0)).name for _ in range(2)]
        child = spawn(srv, "watch", *names, "--interval", "0.1")
        firsts = [json.loads(child.stdout.readline()) for _ in names]  # each one's state now
        client.update(names[1], progress(70))
        assert json.loads(child.stdout.readline())["metadata"]["progressPercent"] == 70
        for name in names:
            client.finalize(name, response={"@type": JOB})
        rest, _ = child.communicate(timeout=20)
    assert child.returncode == 0
    assert [line["name"] for line in firsts] == names
    assert not any(line.get("done") for line in firsts)
    last = json_lines(rest)
    assert sorted(line["name"] for line in last) == sorted(names)
    assert all(line["done"] for line in last)


def test_watch_timeout_exits_3_with_a_json_error(lro: Runner, srv: RunningServer) -> None:
    (op,) = srv.simulate(count=1, duration=60, steps=60)
    result = lro("watch", op["name"], "--timeout", "1", "--interval", "0.2")
    assert result.returncode == 3
    assert json_lines(result.stdout)[0]["name"] == op["name"]
    assert json.loads(result.stderr)["exitCode"] == 3


def test_watch_audited_shows_audit_fields(lro: Runner, srv: RunningServer) -> None:
    name = finished(srv)
    result = lro("watch", name, "--audited")
    assert result.returncode == 0, result.stderr
    (line,) = json_lines(result.stdout)
    assert "createTime" in line and line["done"] is True

"""`lro wait`: the live bar on a terminal, plain lines elsewhere, and its exit codes."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import time

import pytest
from lro_cli_helpers import PtyRun, Runner, clean_env, lro_command, make_runner

from lro._sync.client import Client
from lro_server import ManualClock, RunningServer

JOB = "type.googleapis.com/test.Job"
SPINNER = re.compile("[\u2800-\u28ff]")  # rich's "dots" spinner frames (braille)
PLAIN_LINE = re.compile(
    r"^\d+\.\ds (\S+) (RUNNING|SUCCEEDED|FAILED\(\w+\)|CANCELLED) (\d+%|-)( ~\w+ left)?$"
)


def progress(percent: int) -> dict[str, object]:
    return {"@type": JOB, "progressPercent": percent}


@pytest.mark.slow  # a real terminal (pty): only a process gets one
def test_terminal_shows_a_live_bar_advancing_to_100(srv: RunningServer) -> None:
    with Client(srv.url) as client:
        name = client.create(progress(0)).name
        run = PtyRun(srv.url, "wait", name, "--interval", "0.2")
        run.expect(r" 0%")
        for percent in (25, 50, 75):
            client.update(name, progress(percent))
            run.expect(rf" {percent}%")
        client.finalize(name, response={"@type": JOB})
        code, screen = run.close()
    assert code == 0, screen
    bar = screen[: screen.index(f"name:     {name}")]  # the live part, before the summary
    percents = [int(p) for p in re.findall(r"(?<![\d.])(\d{1,3})%", bar)]
    assert {0, 25, 50, 75, 100} <= set(percents), screen
    assert percents == sorted(percents), "the bar never goes backwards"
    assert percents[-1] == 100
    assert "━" in bar  # rich's bar
    assert re.search(r"\d:\d\d:\d\d", bar)  # elapsed time
    assert f"{name} SUCCEEDED" in bar
    assert screen.rstrip().endswith("}")  # then the summary block (its response line)


@pytest.mark.slow  # a real terminal (pty): only a process gets one
def test_terminal_without_progress_metadata_shows_spinner_and_elapsed(
    srv: RunningServer,
) -> None:
    with Client(srv.url) as client:
        name = client.create().name
        run = PtyRun(srv.url, "wait", name, "--interval", "0.2")
        run.expect(r"0:00:01")
        client.finalize(name, response={"@type": JOB})
        code, screen = run.close()
    assert code == 0, screen
    running = screen[: screen.index("SUCCEEDED")]
    assert "%" not in running  # no percentage while the metadata reports none
    assert len(set(SPINNER.findall(running))) >= 3  # the spinner turns
    assert f"{name} SUCCEEDED" in screen and "100%" in screen


@pytest.mark.slow  # a real pipe read while lro runs: each line must be flushed as it happens
def test_pipe_gets_one_plain_line_per_change(srv: RunningServer) -> None:
    with Client(srv.url) as client:
        name = client.create(progress(0)).name
        child = subprocess.Popen(
            lro_command("wait", name, "--interval", "0.2"),
            env=clean_env(LRO_BASE_URL=srv.url),
            stdout=subprocess.PIPE,
            text=True,
        )
        assert child.stdout is not None
        lines = [child.stdout.readline()]
        for percent in (30, 60):
            time.sleep(0.5)  # several polls see each state: still one line each
            client.update(name, progress(percent))
            lines.append(child.stdout.readline())
        client.finalize(name, response={"@type": JOB})
        rest, _ = child.communicate(timeout=20)
    assert child.returncode == 0
    matches = [PLAIN_LINE.match(line.rstrip("\n")) for line in lines + rest.splitlines()[:1]]
    shown = [(m.group(1), m.group(2), m.group(3)) for m in matches if m]
    assert shown == [
        (name, "RUNNING", "0%"),
        (name, "RUNNING", "30%"),
        (name, "RUNNING", "60%"),
        (name, "SUCCEEDED", "60%"),
    ]
    assert rest.splitlines()[1] == f"name:     {name}"  # then the summary block
    assert "\x1b" not in "".join(lines) + rest  # no terminal control codes in a pipe


@pytest.mark.slow  # the bar half needs a real terminal (pty): only a process gets one
def test_plain_lines_and_bar_show_the_time_left(lro: Runner, srv: RunningServer) -> None:
    # 3 s of steady progress (60 steps): from the second sample on, a rate is known.
    (op,) = srv.simulate(count=1, duration=3.0, steps=60)
    result = lro("wait", op["name"], "--progress", "plain", "--interval", "0.5")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    matches = [PLAIN_LINE.match(line) for line in lines[: lines.index(f"name:     {op['name']}")]]
    assert all(matches), lines
    running = [m for m in matches if m and m.group(2) == "RUNNING"]
    assert running[0].group(4) is None  # one snapshot: no estimate
    lefts = [int(m.group(4)[2:-6]) for m in running[1:] if m.group(4)]
    assert lefts and all(1 <= left <= 3 for left in lefts), lines  # "~2s left"
    assert matches[-1] is not None and matches[-1].group(4) is None  # done: nothing left

    (op,) = srv.simulate(count=1, duration=3.0, steps=60)
    run = PtyRun(srv.url, "wait", op["name"], "--interval", "0.5")
    run.expect(r"~\ds left")  # the bar's own column, beside the percentage
    code, screen = run.close()
    assert code == 0, screen


def test_wait_json_keeps_stdout_one_document(lro: Runner, srv: RunningServer) -> None:
    (op,) = srv.simulate(count=1, duration=0.5, steps=5)
    result = lro("wait", op["name"], "--json", "--interval", "0.2")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["done"] is True and "response" in document
    assert "SUCCEEDED" in result.stderr  # the plain progress lines went to stderr


def test_wait_failed_operation_exits_1(lro: Runner, srv: RunningServer) -> None:
    (op,) = srv.simulate(count=1, duration=0.3, outcome="error")
    result = lro("wait", op["name"], "--progress", "none")
    assert result.returncode == 1
    assert result.stderr == (
        f"lro: operation {op['name']} failed: INTERNAL: simulated failure "
        "[reason=SIMULATED_FAILURE]\n"
    )
    assert "state:    FAILED(INTERNAL)" in result.stdout
    as_json = lro("wait", op["name"], "--json")
    assert as_json.returncode == 1
    assert json.loads(as_json.stdout)["error"]["code"] == 13
    assert json.loads(as_json.stderr.splitlines()[-1])["exitCode"] == 1


def test_wait_cancelled_operation_exits_1(lro: Runner, srv: RunningServer) -> None:
    (op,) = srv.simulate(count=1, duration=0.2, outcome="cancelled")
    result = lro("wait", op["name"], "--progress", "none")
    assert result.returncode == 1
    assert "CANCELLED" in result.stderr


def test_wait_timeout_exits_3_with_last_progress(
    lro: Runner, srv: RunningServer, virtual_clock: ManualClock
) -> None:
    (op,) = srv.simulate(count=1, duration=60, steps=100)
    started = virtual_clock.monotonic()  # the command's client and the server share it
    result = lro("wait", op["name"], "--timeout", "1.5", "--progress", "plain")
    assert result.returncode == 3
    assert virtual_clock.monotonic() - started < 10
    (line,) = result.stderr.splitlines()
    assert line.startswith("lro: DEADLINE_EXCEEDED: operation ")
    assert "last progress" in line
    assert "RUNNING" in result.stdout


def test_wait_audited_shows_the_audit_fields(lro: Runner, srv: RunningServer) -> None:
    (op,) = srv.simulate(count=1, duration=0.2)
    result = lro("wait", op["name"], "--audited", "--json", "--progress", "none")
    assert result.returncode == 0
    assert json.loads(result.stdout)["updater"] == "simulator"


def test_wait_on_a_server_nobody_listens_on_exits_7_with_the_connection_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again: nobody listens there
    run = make_runner(f"http://127.0.0.1:{port}")
    started = time.monotonic()
    done = run("wait", "operations/1", "--progress", "plain", timeout=60)
    took = time.monotonic() - started
    assert done.returncode == 7, (done.stdout, done.stderr)
    assert "cannot connect" in done.stderr
    # The transport's retries (about 1.5 s), not the wait's (unlimited) deadline; the
    # rest is the interpreter starting, with wide slack for a busy machine.
    assert took < 10, took

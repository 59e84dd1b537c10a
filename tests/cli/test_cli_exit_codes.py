"""One documented exit code per failure class, one line on stderr, and the token kept secret."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import time

import pytest
from lro_cli_helpers import (
    SECRET,
    Runner,
    clean_env,
    lro_command,
    make_process_runner,
    make_runner,
)

from lro._sync.client import Client
from lro_server import RunningServer


def one_line(result: subprocess.CompletedProcess[str]) -> str:
    """The single stderr line of a failed run (never a traceback)."""
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_not_found_exits_4(lro: Runner) -> None:
    result = lro("get", "operations/does-not-exist")
    assert result.returncode == 4
    assert one_line(result) == (
        "lro: NOT_FOUND (404): operation 'operations/does-not-exist' not found "
        "[reason=OPERATION_NOT_FOUND, request=GET /v1/operations/does-not-exist]"
    )
    assert result.stdout == ""
    assert lro("wait", "operations/does-not-exist").returncode == 4


def test_json_errors_are_one_json_line_on_stderr(lro: Runner) -> None:
    result = lro("get", "operations/does-not-exist", "--json")
    assert result.returncode == 4
    error = json.loads(one_line(result))
    assert error["exitCode"] == 4
    assert error["error"]["status"] == "NOT_FOUND" and error["error"]["code"] == 5
    assert error["error"]["details"][0]["reason"] == "OPERATION_NOT_FOUND"


def test_other_server_errors_exit_6(lro: Runner, srv: RunningServer) -> None:
    with Client(srv.url) as client:
        name = client.abort(client.create().name).name
    again = lro("finish", name, "--abort")
    assert again.returncode == 6
    assert one_line(again).startswith("lro: FAILED_PRECONDITION (400): ")
    bad_filter = lro("list", "--filter", "colour = 'blue'")
    assert bad_filter.returncode == 6
    assert one_line(bad_filter).startswith("lro: INVALID_ARGUMENT (400): ")


def test_a_server_answering_garbage_exits_6(lro: Runner, srv: RunningServer) -> None:
    srv.faults.add("malformed", count=50, path="/v1/operations$")
    try:
        result = lro("list")
    finally:
        srv.faults.clear()
    assert result.returncode == 6
    one_line(result)


def free_port() -> int:
    """A local port with nothing listening on it."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_connection_refused_exits_7() -> None:
    base_url = f"http://127.0.0.1:{free_port()}"
    result = make_runner(base_url)("list")
    assert result.returncode == 7
    line = one_line(result)
    assert line.startswith("lro: UNAVAILABLE: ") and "LRO_BASE_URL" in line


@pytest.mark.slow  # the exit status of a real process, not only what run() returns
@pytest.mark.parametrize(
    ("args", "code"),
    [(["--version"], 0), (["frobnicate"], 2), (["get", "operations/does-not-exist"], 4)],
)
def test_the_process_exits_with_the_documented_code(
    srv: RunningServer, args: list[str], code: int
) -> None:
    result = make_process_runner(srv.url)(*args)
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("how", ["flag", "env", "group-flag"])
def test_wrong_token_exits_5_and_is_never_printed(lro_authed: Runner, how: str) -> None:
    wrong = SECRET + "-but-wrong"
    args, env = {
        "flag": (["list", "--token", wrong], {}),
        "env": (["list"], {"LRO_TOKEN": wrong}),
        "group-flag": (["--token", wrong, "list", "--json"], {}),
    }[how]
    result = lro_authed(*args, env=env)
    assert result.returncode == 5
    line = one_line(result)
    assert "UNAUTHENTICATED" in line
    assert "SECRET" not in result.stdout + result.stderr


def test_missing_token_exits_5(lro_authed: Runner) -> None:
    result = lro_authed("get", "operations/x")
    assert result.returncode == 5
    assert "UNAUTHENTICATED" in one_line(result)


def test_right_token_works_and_is_not_printed(lro_authed: Runner) -> None:
    created = lro_authed("create", "--json", env={"LRO_TOKEN": SECRET})
    assert created.returncode == 0
    assert json.loads(created.stdout)["creator"] == "alice"
    assert "SECRET" not in created.stdout + created.stderr
    failed = lro_authed("get", "operations/missing", "--token", SECRET)
    assert failed.returncode == 4
    assert "SECRET" not in failed.stdout + failed.stderr


def test_permission_denied_exits_5(lro_authed: Runner, authed: RunningServer) -> None:
    (op,) = authed.simulate(count=1, duration=0.01, creator="alice")
    with Client(authed.url, token=SECRET) as client:
        client.wait(op["name"], timeout=10)
    result = lro_authed("seen", op["name"], "--token", "bob-token")
    assert result.returncode == 5
    assert one_line(result).startswith("lro: PERMISSION_DENIED (403): ")


@pytest.mark.slow  # SIGINT to a real process: its handler and exit status
def test_ctrl_c_exits_130(srv: RunningServer) -> None:
    (op,) = srv.simulate(count=1, duration=60)
    child = subprocess.Popen(
        lro_command("wait", op["name"], "--progress", "plain"),
        env=clean_env(LRO_BASE_URL=srv.url),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    child.stdout.readline()  # the first progress line: it is waiting now
    time.sleep(0.3)
    child.send_signal(signal.SIGINT)
    _, stderr = child.communicate(timeout=20)
    assert child.returncode == 130
    assert "Traceback" not in stderr
    assert stderr.strip() == "lro: interrupted"

"""The ``lro`` command line against the loopback Google frontend: --header / LRO_HEADERS,
--api-key / LRO_API_KEY, --token-command (run again after a 401), partial lists, the
core install without click, and the WaitTimeout hint. In-process through click's runner
(tests/cli/lro_cli_helpers.py), with the environment a user's shell would give it; the
core install, which is about what a fresh interpreter can import, in a process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from loopback import GoogleFrontend

NAME = "projects/p1/locations/us-central1/operations/7"
KEY = "AIzaSyLoopback-CLI-key-0123"


def _cli_helpers() -> Any:
    """tests/cli/lro_cli_helpers.py, the in-process runner of the CLI tests."""
    folder = str(Path(__file__).resolve().parents[1] / "cli")
    if folder not in sys.path:
        sys.path.append(folder)
    import lro_cli_helpers

    return lro_cli_helpers


run_lro = _cli_helpers().run_lro


def lro(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("LRO_")}
    return run_lro(args, {**base, **(env or {})})


def token_script(tmp_path: Path, server: GoogleFrontend) -> Path:
    """A stand-in for ``gcloud auth print-access-token``: a fresh token from the frontend."""
    script = tmp_path / "print-token.py"
    script.write_text(
        "import json, sys, urllib.request\n"
        f"answer = urllib.request.urlopen(urllib.request.Request({server.token_uri!r}, "
        "data=b'', method='POST'), timeout=10)\n"
        "open(sys.argv[1], 'a').write('ran\\n')\n"
        "print(json.load(answer)['access_token'])\n",
        encoding="utf-8",
    )
    return script


def test_headers_api_key_and_list_warnings(frontend: Callable[..., GoogleFrontend]) -> None:
    server = frontend(project="p1", api_keys={KEY})
    server.add_operation(NAME)
    server.set_unreachable(["projects/p1/locations/europe-west4"])
    base = ["--base-url", server.url]
    denied = lro(*base, "--api-key", KEY, "get", NAME)
    assert denied.returncode == 5 and "USER_PROJECT_DENIED" in denied.stderr
    got = lro(*base, "--api-key", KEY, "--header", "x-goog-user-project:p1", "get", NAME)
    assert got.returncode == 0, got.stderr
    env = {"LRO_API_KEY": KEY, "LRO_HEADERS": "x-goog-user-project: p1\nx-extra: 1"}
    listed = lro(*base, "list", "projects/p1/locations/-", env=env)
    assert listed.returncode == 0, listed.stderr
    assert "warning" in listed.stderr and "europe-west4" in listed.stderr
    as_json = lro(*base, "list", "projects/p1/locations/-", "--json", env=env)
    assert json.loads(as_json.stdout)["unreachable"] == ["projects/p1/locations/europe-west4"]
    last = server.api_requests()[-1]
    assert last.header("x-extra") == "1" and last.header("x-goog-api-key") == KEY
    for result in (denied, got, listed, as_json):
        assert KEY not in result.stdout + result.stderr


@pytest.mark.slow  # --token-command runs its command as a process, by design
def test_token_command_runs_again_after_a_401(
    frontend: Callable[..., GoogleFrontend], tmp_path: Path
) -> None:
    server = frontend(token_lifetime=0.3)
    # This frontend has no :wait, so lro polls with GET, sleeping 0.75 s x1.4 (+/-15 %, so
    # at least 0.64 s): every poll after a sleep finds the 0.3 s token expired. 4 polls show
    # it refreshed twice; 12 polls took 47 s of that backoff and showed nothing more.
    server.add_operation(NAME, polls_to_finish=4)
    ran = tmp_path / "ran.txt"
    command = f"{sys.executable} {token_script(tmp_path, server)} {ran}"
    waited = lro("--base-url", server.url, "--token-command", command, "wait", NAME, "--json")
    assert waited.returncode == 0, waited.stderr
    assert json.loads(waited.stdout)["done"] is True
    runs = ran.read_text().count("ran")
    assert runs >= 2  # the first token, then one after each 401
    assert runs < len(server.api_requests())  # not once per request
    for token in server.state.tokens:
        assert token not in waited.stdout + waited.stderr
    both = lro("--base-url", server.url, "--token", "t", "--token-command", command, "get", NAME)
    assert both.returncode == 2
    failing = lro("--base-url", server.url, "--token-command", "false", "get", NAME)
    assert failing.returncode == 5 and "exited with 1" in failing.stderr


def test_a_wrong_base_url_names_the_request(frontend: Callable[..., GoogleFrontend]) -> None:
    server = frontend()
    server.add_operation(NAME)
    token = server.issue_token()
    result = lro("--base-url", server.host + "/v1", "--token", token, "get", NAME)
    assert result.returncode == 4
    assert f"GET /v1/{NAME}" in result.stderr and token not in result.stderr


def test_a_wait_timeout_says_how_to_see_the_last_snapshot(
    frontend: Callable[..., GoogleFrontend],
) -> None:
    server = frontend()
    server.add_operation(NAME)
    result = lro(
        "--base-url", server.url, "--token", server.issue_token(), "wait", NAME, "--timeout", "0.5"
    )
    assert result.returncode == 3, result.stderr
    assert f"lro get {NAME}" in result.stderr and "attached" not in result.stderr


@pytest.mark.slow  # a fresh interpreter without click: only a new process can be one
@pytest.mark.parametrize("args", [["--help"], [], ["get", "operations/x"]])
def test_the_core_install_explains_itself_in_one_line(args: list[str]) -> None:
    # No click: as after `pip install lro-sdk` without the [cli] extra.
    code = (
        "import sys; sys.modules['click'] = None; sys.argv = ['lro', *sys.argv[1:]]\n"
        "from lro.cli import main; main()\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert lines == ["lro: the command line is not installed: pip install 'lro-sdk[cli]'"]

"""`lro --help` and every command's help; usage errors; what importing the CLI costs."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from lro_cli_helpers import Runner, clean_env, lro_command, make_runner

from lro_server import RunningServer

COMMANDS = [
    "get", "list", "wait", "cancel", "delete", "create", "update", "finish", "seen", "unseen",
    "serve",
]  # fmt: skip
EXIT_TABLE_ROWS = ["0 ", "1 ", "2 ", "3 ", "4 ", "5 ", "6 ", "7 ", "130"]


def test_top_level_help_lists_commands_env_and_exit_codes(lro: Runner) -> None:
    result = lro("--help")
    assert result.returncode == 0, result.stderr
    text = result.stdout
    for command in COMMANDS:
        assert f"\n  {command} " in text
    for variable in ("LRO_BASE_URL", "LRO_TOKEN", "LRO_TIMEOUT"):
        assert variable in text
    table = text[text.index("Exit codes:") :]
    for row in EXIT_TABLE_ROWS:
        assert f"\n    {row}" in table
    for phrase in ("wait timed out", "NOT_FOUND", "PERMISSION_DENIED", "connection", "Ctrl-C"):
        assert phrase in table


def test_top_level_help_fits_80_columns_and_its_examples_are_clean(lro: Runner) -> None:
    result = lro("--help", env={"COLUMNS": "80"})
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert [line for line in lines if len(line) > 80] == []  # nothing wraps on a terminal
    after = lines[lines.index("  Examples:") + 1 :]
    examples = after[: after.index("")]
    assert [line for line in examples if re.search(r"\S {2,}", line)] == []  # no stray run
    vertex = [line for line in examples if "aiplatform" in line]
    *continued, last = examples[examples.index(vertex[0]) :]
    assert continued and all(line.endswith(" \\") for line in continued), continued
    assert last == "        get projects/p/locations/us-central1/operations/1"


@pytest.fixture(scope="module")
def lro_inproc(srv: RunningServer) -> Runner:
    """The CLI run in-process: for the many quick checks that need no separate process."""
    return make_runner(srv.url)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_examples(lro_inproc: Runner, command: str) -> None:
    result = lro_inproc(command, "--help")
    assert result.returncode == 0, result.stderr
    assert f"Usage: lro {command}" in result.stdout
    assert "Examples:" in result.stdout
    assert f"lro {command}" in result.stdout.split("Examples:")[1]


def test_serve_help_shows_the_server_options(lro: Runner) -> None:
    result = lro("serve", "--help")
    assert result.returncode == 0
    for option in ("--port", "--db", "--token", "--simulate"):
        assert option in result.stdout


def test_version(lro: Runner) -> None:
    result = lro("--version")
    assert result.returncode == 0
    assert result.stdout.startswith("lro, version ")


@pytest.mark.parametrize(
    "args",
    [
        ["frobnicate"],
        ["get"],
        ["get", "operations/x", "--no-such-option"],
        ["list", "--page-size", "0"],
        ["wait", "operations/x", "--timeout", "-1"],
        ["create", "--metadata", "{not json"],
        ["create", "--metadata", "[1, 2]"],
        ["finish", "operations/x"],
        ["finish", "operations/x", "--abort", "--error", "INTERNAL"],
        ["finish", "operations/x", "--error", "NOT_A_CODE"],
        ["update", "operations/x"],
        ["list", "projects/p", "--audited"],
        ["--base-url", "ftp://example.com", "list"],
    ],
)
def test_usage_errors_exit_2_without_traceback(lro_inproc: Runner, args: list[str]) -> None:
    result = lro_inproc(*args)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    assert "Error" in result.stderr or "error" in result.stderr


def test_a_name_the_client_rejects_is_a_usage_error(lro: Runner) -> None:
    result = lro("get", "operations/../etc")
    assert result.returncode == 2
    assert result.stderr.startswith("lro: INVALID_ARGUMENT")
    assert result.stderr.count("\n") == 1


def _modules_after(code: str) -> set[str]:
    """The modules loaded by a fresh interpreter after running ``code``."""
    program = f"{code}\nimport sys\nprint('\\n'.join(sorted(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", program],
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return set(result.stdout.split())


def _heavy(modules: set[str], *roots: str) -> set[str]:
    return {m for m in modules if m.split(".")[0] in roots}


@pytest.mark.slow  # what a fresh interpreter imports: only a new process shows it
def test_help_imports_neither_the_client_nor_rich() -> None:
    modules = _modules_after(
        "from lro.cli import run\nimport contextlib, io\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n    run(['--help'])\n"
        "    run(['wait', '--help'])"
    )
    assert "click" in modules
    assert not _heavy(modules, "lro_api", "pydantic", "rich")


@pytest.mark.slow  # what a fresh interpreter imports: only a new process shows it
def test_import_lro_never_imports_click_or_rich() -> None:
    modules = _modules_after("import lro")
    assert not _heavy(modules, "click", "rich")


@pytest.mark.slow  # the installed console script itself, run as a user runs it
def test_console_script_runs_the_same_cli() -> None:
    script = (sys.executable.rsplit("/", 1)[0]) + "/lro"
    try:
        result = subprocess.run([script, "--help"], capture_output=True, text=True, timeout=30)
    except FileNotFoundError:
        pytest.skip("the lro console script is not installed in this environment")
    assert result.returncode == 0
    assert (
        result.stdout
        == subprocess.run(
            lro_command("--help"), capture_output=True, text=True, timeout=30, env=clean_env()
        ).stdout
    )

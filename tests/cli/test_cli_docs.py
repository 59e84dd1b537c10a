"""Every `sh` example of docs/cli.md runs, in order, in one shell, against `lro serve`."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from lro_cli_helpers import clean_env
from test_cli_serve import Served

PAGE = Path(__file__).resolve().parents[2] / "docs" / "cli.md"
BLOCK = re.compile(r"(<!-- not-run -->\s*)?```sh\n(.*?)```", re.S)
EXIT_TABLE = re.compile(r"^\| (\d+) \| (.+) \|$", re.M)


def blocks() -> list[tuple[bool, str]]:
    """(runs, code) of every sh block of the page, in order."""
    return [(not skip, code) for skip, code in BLOCK.findall(PAGE.read_text(encoding="utf-8"))]


def serve_args() -> list[str]:
    """The page's own `lro serve ... &` command, on a free port instead of 8080."""
    first = next(code for runs, code in blocks() if not runs).splitlines()[0]
    args = shlex.split(first.rstrip("& "))
    assert args[:2] == ["lro", "serve"]
    return [arg if arg != "8080" else "0" for arg in args[2:]]


def lro_shim(directory: Path) -> Path:
    """A directory with an `lro` executable that runs this interpreter's lro.cli."""
    directory.mkdir()
    shim = directory / "lro"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m lro.cli "$@"\n', encoding="utf-8")
    shim.chmod(0o755)
    return directory


@pytest.mark.slow  # the page's examples as a shell runs them: the lro processes, pipes, $?
@pytest.mark.skipif(shutil.which("jq") is None, reason="the examples use jq")
def test_cli_page_examples_run_against_lro_serve(tmp_path: Path) -> None:
    script = "set -euo pipefail\n" + "\n".join(code for runs, code in blocks() if runs)
    server = Served(*serve_args(), "--log-level", "ERROR")
    try:
        path = f"{lro_shim(tmp_path / 'bin')}{os.pathsep}{os.environ.get('PATH', '')}"
        result = subprocess.run(
            ["bash", "-c", script],
            cwd=tmp_path,
            env=clean_env(LRO_BASE_URL=server.url, PATH=path),
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        server.stop()
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    codes = re.findall(r"^exit code (\d+)$", result.stdout, re.M)
    assert codes == ["1", "3", "1", "4", "4", "7"]
    assert "rolled out: " in result.stdout


def test_cli_page_exit_code_table_matches_lro_help() -> None:
    from lro.cli import EXIT_CODE_TABLE, ExitCode

    documented = {int(code) for code, _ in EXIT_TABLE.findall(PAGE.read_text(encoding="utf-8"))}
    in_help = {int(line.split()[0]) for line in EXIT_CODE_TABLE.splitlines()}
    assert documented == in_help == {int(code) for code in ExitCode}


def test_cli_page_covers_every_command() -> None:
    from lro.cli import cli

    text = PAGE.read_text(encoding="utf-8")
    for command in cli.list_commands(None):  # type: ignore[arg-type]
        assert f"`lro {command}" in text

"""Helpers of the CLI tests: run the real `lro` process against a live server.

Every test runs `lro` the way a user does: a separate process (``python -m lro.cli``, the
same code as the console script), talking HTTP to a reference server started in-process.
"""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
from collections.abc import Callable
from typing import Any
from unittest import mock

SECRET = "SECRET-7f3a9c1e-do-not-print"
TOKENS = {SECRET: "alice", "bob-token": "bob"}

Runner = Callable[..., subprocess.CompletedProcess[str]]


def clean_env(**extra: str) -> dict[str, str]:
    """The environment without any LRO_* or terminal-forcing variables, plus ``extra``."""
    skip = ("LRO_", "FORCE_COLOR", "NO_COLOR", "TTY_", "COLUMNS", "LINES")
    env = {key: value for key, value in os.environ.items() if not key.startswith(skip)}
    env.update(extra)
    return env


def lro_command(*args: str) -> list[str]:
    """The argv that runs ``lro ARGS`` with this interpreter."""
    return [sys.executable, "-m", "lro.cli", *args]


def make_runner(base_url: str) -> Runner:
    """A function running ``lro`` against ``base_url`` and returning the finished process."""

    def run(*args: str, timeout: float = 30, env: dict[str, str] | None = None, **kw: Any) -> Any:
        return subprocess.run(
            lro_command(*args),
            env=clean_env(LRO_BASE_URL=base_url, **(env or {})),
            capture_output=True,
            text=True,
            timeout=timeout,
            **kw,
        )

    return run


def make_inprocess_runner(base_url: str) -> Runner:
    """Like :func:`make_runner`, but runs the CLI in this process (same argv, environment,
    streams and exit code; no interpreter start-up), for tests that cover many commands."""

    def run(*args: str, env: dict[str, str] | None = None, input: str = "", **_: Any) -> Any:
        from lro.cli import run as run_cli

        stdout, stderr = io.StringIO(), io.StringIO()
        environ = clean_env(LRO_BASE_URL=base_url, **(env or {}))
        with (
            mock.patch.dict(os.environ, environ, clear=True),
            mock.patch.object(sys, "stdin", io.StringIO(input)),
            contextlib.redirect_stdout(stdout),
            contextlib.redirect_stderr(stderr),
        ):
            code = run_cli(list(args))
        return subprocess.CompletedProcess(args, code, stdout.getvalue(), stderr.getvalue())

    return run

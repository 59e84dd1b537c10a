"""Helpers of the CLI tests: run the real `lro` process against a live server.

Every test runs `lro` the way a user does: a separate process (``python -m lro.cli``, the
same code as the console script), talking HTTP to a reference server started in-process.
"""

from __future__ import annotations

import contextlib
import fcntl
import io
import os
import re
import struct
import subprocess
import sys
import termios
import time
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


#: Terminal control sequences (and carriage returns), replaced by newlines on a screen.
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07|\r")


class PtyRun:
    """``lro ARGS`` with stdin, stdout and stderr on a 120x40 pseudo-terminal."""

    def __init__(self, base_url: str, *args: str) -> None:
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
        env = clean_env(LRO_BASE_URL=base_url, TERM="xterm-256color")
        self.child = subprocess.Popen(
            lro_command(*args), stdin=slave, stdout=slave, stderr=slave, env=env
        )
        os.close(slave)
        self.master = master
        self.raw = b""

    @property
    def screen(self) -> str:
        """Everything written so far, control sequences replaced by newlines."""
        return ANSI.sub("\n", self.raw.decode("utf-8", "replace"))

    def _read(self) -> bool:
        """Read one chunk; False once the child has closed the terminal."""
        try:
            chunk = os.read(self.master, 65536)
        except OSError:  # EIO: the child is gone
            return False
        self.raw += chunk
        return bool(chunk)

    def expect(self, pattern: str, timeout: float = 20) -> None:
        """Read until ``pattern`` shows up on the screen."""
        deadline = time.monotonic() + timeout
        while not re.search(pattern, self.screen):
            assert time.monotonic() < deadline and self._read(), (pattern, self.screen)

    def close(self) -> tuple[int, str]:
        """Read to the end; the exit code and the whole screen."""
        while self._read():
            pass
        os.close(self.master)
        return self.child.wait(timeout=20), self.screen

"""Helpers of the CLI tests: run `lro` against a live server, in this process or as a process.

Behaviour is tested in-process (:func:`make_runner`, :func:`run_lro`): click's ``CliRunner``
gives the command pipes for stdin, stdout and stderr and the environment asked for, and
``lro.cli.run`` (the console script's own entry point) returns the exit code. A few tests
need the real process and run ``python -m lro.cli`` (the same code as the console script):
the console script itself, exit codes of a real process, Ctrl-C, a pseudo-terminal
(:class:`PtyRun`), a pipe read while the command runs, the core install without click.
They are marked ``slow`` and say why in one line.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import re
import struct
import subprocess
import sys
import termios
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any
from unittest import mock

from lro._core.clock import Clock

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


def run_lro(
    args: Sequence[str], env: Mapping[str, str], *, input: str = "", clock: Clock | None = None
) -> subprocess.CompletedProcess[str]:
    """``lro ARGS`` run in this process with exactly the environment ``env`` (and, given
    ``clock``, the command's client reading time and sleeping on it: the test's
    ``virtual_clock``, no CLI option needed).

    What a fresh process would start with is reset: the tokens earlier runs' --token-command
    printed (which every later error line would otherwise redact too). What the process
    would print besides is printed too: it configures no logging, so a warning the SDK logs
    reaches its stderr through logging's last resort (here pytest's handlers would take it).
    """
    from click.testing import CliRunner

    from lro.cli import _options, run

    changes: dict[str, str | None] = {key: None for key in os.environ if key not in env}
    changes.update(env)
    with (
        CliRunner().isolation(input=input, env=changes) as (stdout, stderr, _),
        mock.patch.object(_options, "_PRODUCED", []),
        _clocked_clients(clock),
        _last_resort_logging(),
    ):
        try:
            code = int(run(list(args)))  # an ExitCode: a process has a plain int
        except SystemExit as exc:  # as the process would exit; nothing in lro.cli does
            code = exc.code if isinstance(exc.code, int) else 1
        sys.stdout.flush()
        sys.stderr.flush()
        out, err = stdout.getvalue().decode(), stderr.getvalue().decode()
    return subprocess.CompletedProcess(list(args), code, out, err)


@contextlib.contextmanager
def _last_resort_logging() -> Iterator[None]:
    """Log records of WARNING and above on ``sys.stderr`` as the ``lro`` process shows them
    (``logging.lastResort``), if they come from the command: from this thread or one it
    starts, never from a test server running in this process (in life, another process)."""
    before = {thread.ident for thread in threading.enumerate()} - {threading.get_ident()}

    def from_the_command(record: logging.LogRecord) -> bool:
        return record.thread not in before and not record.name.startswith("lro_server")

    handler = logging.StreamHandler()
    handler.setLevel(logging.WARNING)
    handler.addFilter(from_the_command)
    handler.setStream(sys.stderr)  # the runner's stderr, swapped in before this runs
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield
    finally:
        root.removeHandler(handler)


@contextlib.contextmanager
def _clocked_clients(clock: Clock | None) -> Iterator[None]:
    """While inside, the clients the CLI makes (``lro.Client``) use ``clock`` (if given)."""
    if clock is None:
        yield
        return
    import lro

    class ClockedClient(lro.Client):
        def __init__(self, *args: Any, **options: Any) -> None:
            super().__init__(*args, clock=clock, **options)

    with mock.patch.object(lro, "Client", ClockedClient):
        yield


def make_runner(base_url: str, clock: Clock | None = None) -> Runner:
    """A function running ``lro`` in-process against ``base_url`` (its client on ``clock``
    when given); it returns the finished "process" (``returncode``, ``stdout``,
    ``stderr``). ``timeout`` is accepted for the process runner's sake: here
    pytest-timeout bounds a run that hangs."""

    def run(*args: str, env: dict[str, str] | None = None, input: str = "", **_: Any) -> Any:
        env = clean_env(LRO_BASE_URL=base_url, **(env or {}))
        return run_lro(args, env, input=input, clock=clock)

    return run


#: The name the in-process runner had when most CLI tests still started a process.
make_inprocess_runner = make_runner


def make_process_runner(base_url: str) -> Runner:
    """A function running the real ``lro`` process (``python -m lro.cli``) against
    ``base_url`` and returning the finished process, for the tests where the process is
    the point."""

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


#: Terminal control sequences (and carriage returns), replaced by newlines on a screen.
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07|\r")


#: What :class:`Terminal` understands: a control sequence (CSI, OSC) or one character.
_TOKEN = re.compile(r"\x1b\[([0-9;?]*)([A-Za-z])|\x1b\][^\x07]*\x07|.", re.S)


class Terminal:
    """The screen a terminal ``columns`` wide shows for some output: the few controls rich
    uses (CR, LF, cursor up and down, erase line; colours ignored) and the terminal's own
    line wrapping, so a line too long for the width shows as two. Never scrolls away."""

    def __init__(self, columns: int) -> None:
        self.columns = columns
        self.rows: list[list[str]] = [[]]
        self.row = self.col = 0

    def feed(self, text: str) -> None:
        for match in _TOKEN.finditer(text):
            params, command = match.group(1), match.group(2)
            if command is not None:
                self._control(int(params) if params.isdigit() else 1, params, command)
            elif match.group() == "\r":
                self.col = 0
            elif match.group() == "\n":
                self._move(self.row + 1)
            elif not match.group().startswith("\x1b"):
                self._put(match.group())

    def _control(self, count: int, params: str, command: str) -> None:
        if command == "A":
            self.row = max(0, self.row - count)
        elif command == "B":
            self._move(self.row + count)
        elif command == "K" and params == "2":
            self.rows[self.row] = []
        elif command == "K":  # to the end of the line
            del self.rows[self.row][self.col :]

    def _move(self, row: int) -> None:
        self.row = row
        while len(self.rows) <= row:
            self.rows.append([])

    def _put(self, char: str) -> None:
        if self.col >= self.columns:  # auto-wrap, as a terminal does
            self._move(self.row + 1)
            self.col = 0
        line = self.rows[self.row]
        line.extend(" " * (self.col - len(line)))
        line[self.col : self.col + 1] = [char]
        self.col += 1

    @property
    def lines(self) -> list[str]:
        """The screen's lines, trailing spaces dropped."""
        return ["".join(row).rstrip() for row in self.rows]


class PtyRun:
    """``lro ARGS`` with stdin, stdout and stderr on a pseudo-terminal ``columns`` wide
    (120 unless told: the window size and COLUMNS) and 40 lines high."""

    def __init__(self, base_url: str, *args: str, columns: int = 120) -> None:
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, columns, 0, 0))
        self.columns = columns
        env = clean_env(LRO_BASE_URL=base_url, TERM="xterm-256color", COLUMNS=str(columns))
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

    @property
    def lines(self) -> list[str]:
        """What the terminal shows now, line by line (see :class:`Terminal`)."""
        terminal = Terminal(self.columns)
        terminal.feed(self.raw.decode("utf-8", "replace"))
        return terminal.lines

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
            assert time.monotonic() < deadline and self._read(), (pattern, self.screen[-3000:])

    def expect_line(self, pattern: str, timeout: float = 20) -> str:
        """Read until a line the terminal shows now matches ``pattern``; that line."""
        deadline = time.monotonic() + timeout
        while True:
            found = [line for line in self.lines if re.search(pattern, line)]
            if found:
                return found[-1]
            assert time.monotonic() < deadline and self._read(), (pattern, self.lines[-10:])

    def close(self) -> tuple[int, str]:
        """Read to the end; the exit code and the whole screen."""
        while self._read():
            pass
        os.close(self.master)
        return self.child.wait(timeout=20), self.screen

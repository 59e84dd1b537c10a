"""`lro serve` runs the reference server (lro_server's own command line) in the foreground."""

from __future__ import annotations

import json
import signal
import subprocess
from collections.abc import Iterator

import pytest
from lro_cli_helpers import clean_env, lro_command, make_runner, run_lro

PREFIX = "lro-server listening on "


class Served:
    """A running ``lro serve`` process and the URL it printed."""

    def __init__(self, *args: str) -> None:
        self.process = subprocess.Popen(
            lro_command("serve", *args),
            env=clean_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        first = self.process.stdout.readline()
        assert first.startswith(PREFIX), first
        self.url = first[len(PREFIX) :].strip()

    def stop(self) -> int:
        """Ctrl-C it, as a user would; its exit code."""
        self.process.send_signal(signal.SIGINT)
        self.process.communicate(timeout=20)
        return self.process.returncode


@pytest.fixture
def served() -> Iterator[Served]:
    server = Served("--port", "0", "--db", ":memory:", "--simulate", "2", "--log-level", "ERROR")
    yield server
    if server.process.poll() is None:
        server.process.kill()
        server.process.wait()


@pytest.mark.slow  # a real server process, stopped by SIGINT as a user stops it
def test_serve_runs_the_reference_server_until_ctrl_c(served: Served) -> None:
    listed = make_runner(served.url)("list", "--json")
    assert listed.returncode == 0, listed.stderr
    assert len(json.loads(listed.stdout)["operations"]) == 2
    assert served.stop() == 0


def test_serve_usage_errors_exit_2() -> None:
    result = run_lro(["serve", "--port", "not-a-port"], clean_env())
    assert result.returncode == 2
    assert "--port" in result.stderr

"""A wait survives the server being SIGKILLed and restarted on the same port.

The server runs as a subprocess (``python -m lro_server``) on a temporary SQLite file;
the simulation of the operation resumes after the restart. While the server is down the
waiter sees refused connections and dropped long-polls; it must keep going.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

import lro
from lro import Operation
from lro._core.retry import Retry
from lro._core.wait_policy import WaitPolicy
from lro._sync.client import Client

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")


def _spawn(port: int, db: Path) -> tuple[subprocess.Popen[str], str]:
    env = dict(os.environ)
    paths = [str(Path(lro.__file__).resolve().parents[1]), env.get("PYTHONPATH", "")]
    env["PYTHONPATH"] = os.pathsep.join(p for p in paths if p)
    args = [sys.executable, "-m", "lro_server", "--port", str(port), "--db", str(db)]
    proc = subprocess.Popen(
        [*args, "--max-wait", "1", "--log-level", "WARNING"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert "listening on" in line, line
    return proc, line.rsplit(" ", 1)[-1].strip()


def _simulate(url: str, seconds: float) -> str:
    body = json.dumps({"count": 1, "durationSeconds": seconds}).encode()
    request = urllib.request.Request(
        f"{url}/admin/v1/simulations", data=body, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        return str(json.load(response)["operations"][0]["name"])


@pytest.mark.slow  # the server process is SIGKILLed and restarted
def test_wait_survives_sigkill_and_restart(tmp_path: Path) -> None:
    db = tmp_path / "ops.sqlite3"
    proc, url = _spawn(0, db)
    port = int(url.rsplit(":", 1)[-1])
    try:
        name = _simulate(url, 2.5)
        outcome: dict[str, Any] = {}
        policy = WaitPolicy(initial_delay=0.1, max_delay=0.3)
        # Its own policy: the client gives up within the outage (2 attempts, 1 s), so the
        # waiter's own retrying is what carries the wait through it.
        retry = Retry(initial=0.01, maximum=0.05, max_attempts=2, deadline=1.0)
        with Client(url, retry=retry, timeout=5) as client:

            def waiter() -> None:
                try:
                    outcome["op"] = client.wait(name, timeout=20, policy=policy)
                except BaseException as error:  # reported below
                    outcome["error"] = error

            thread = threading.Thread(target=waiter)
            thread.start()
            time.sleep(0.6)  # a long-poll is in flight
            proc.kill()
            proc.wait(timeout=5)
            time.sleep(0.8)  # refused connections meanwhile
            proc, _ = _spawn(port, db)
            thread.join(timeout=20)
        assert not thread.is_alive()
        assert "error" not in outcome, outcome.get("error")
        final: Operation = outcome["op"]
        assert final.done and final.response is not None
    finally:
        proc.kill()
        proc.wait(timeout=5)

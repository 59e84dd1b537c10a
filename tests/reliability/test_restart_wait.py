"""A waiter survives SIGKILL and restart of the durable server mid-wait.

The server runs as a subprocess on a temp SQLite file. Waiters hold ``:wait`` long-polls
when the server is killed with SIGKILL (no shutdown, no flush); it is restarted on the
same port and file; the operations are then finished (by a worker, by abort, and by the
server's own resumed simulation) and every waiter returns the right final state. Writes
acknowledged before the kill are all still there.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import urllib3
from reliability_support import META, RESPONSE, ServerProcess

from lro._core.retry import Retry
from lro._core.wait_policy import WaitPolicy
from lro._sync.client import Client
from lro.errors import Code

POLICY = WaitPolicy(wait_window=2.0, initial_delay=0.05, max_delay=0.2, jitter=0.0)
RETRY = Retry(initial=0.02, maximum=0.1, deadline=20.0, max_attempts=10)


def held_waits(url: str) -> int:
    pool = urllib3.PoolManager(retries=False, timeout=2.0)
    try:
        response = pool.request("GET", url + "/admin/v1/stats")
        return int(json.loads(response.data).get("heldWaits", 0))
    finally:
        pool.clear()


def until(predicate: Any, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out waiting for a condition"
        time.sleep(0.02)


@pytest.mark.slow
def test_waiters_survive_sigkill_and_restart(tmp_path: Path) -> None:
    db = str(tmp_path / "ops.sqlite3")
    first = ServerProcess("--port", "0", "--db", db, stderr_path=tmp_path / "stderr-1.txt")
    url = first.start()
    port = url.rsplit(":", 1)[1]
    second = ServerProcess("--port", port, "--db", db, stderr_path=tmp_path / "stderr-2.txt")
    results: dict[str, Any] = {}
    threads = []
    try:
        with Client(url, retry=RETRY, timeout=5.0, wait_policy=POLICY) as worker:
            finalized = worker.create(META).name
            aborted = worker.create(META).name
            acknowledged = worker.create(META)
            worker.finalize(acknowledged.name, response=RESPONSE)  # acknowledged: must survive
            pool = urllib3.PoolManager(retries=False)
            sim = json.loads(
                pool.request(
                    "POST",
                    url + "/admin/v1/simulations",
                    body=json.dumps({"count": 1, "durationSeconds": 2.0, "steps": 4}),
                    headers={"Content-Type": "application/json"},
                ).data
            )["operations"][0]["name"]
            pool.clear()

        def waiter(name: str) -> None:
            with Client(url, retry=RETRY, timeout=5.0, wait_policy=POLICY) as client:
                try:
                    results[name] = client.wait(name, timeout=30.0)
                except Exception as exc:  # reported by the assertions below
                    results[name] = exc

        for name in (finalized, aborted, sim):
            thread = threading.Thread(target=waiter, args=(name,), daemon=True)
            thread.start()
            threads.append(thread)
        until(lambda: held_waits(url) >= 3)

        first.kill()  # SIGKILL while three long-polls are held
        time.sleep(0.3)  # the waiters now see dropped and refused connections
        assert all(t.is_alive() for t in threads), results
        assert second.start() == url

        with Client(url, retry=RETRY, timeout=5.0) as worker:
            stored = worker.audit.get(acknowledged.name)
            assert stored.done and stored.response == RESPONSE, "an acknowledged write was lost"
            worker.finalize(finalized, response=RESPONSE)
            worker.abort(aborted)
            for thread in threads:
                thread.join(timeout=30)
            assert not any(t.is_alive() for t in threads), "a waiter hung"

            for name in (finalized, aborted, sim):
                assert not isinstance(results[name], BaseException), (name, results[name])
                assert results[name].done and results[name].name == name
                assert results[name].to_dict() == worker.get(name).to_dict()
            assert results[finalized].response == RESPONSE
            assert results[aborted].error is not None
            assert results[aborted].error.code == Code.ABORTED
            assert results[sim].response is not None  # the resumed simulation finished
            assert worker.audit.list_operations().total_size == 4
    finally:
        first.kill()
        second.terminate()
    assert "Traceback" not in second.stderr(), second.stderr()[-3000:]

"""The server as a separate process: CLI flags, and durability across SIGKILL."""

from __future__ import annotations

import json
import os
import queue
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from server_http import RESULT, Api

import lro_server

PACKAGE_ROOT = str(Path(lro_server.__file__).resolve().parents[2])


class ServerProcess:
    def __init__(self, tmp_path: Path, *args: str) -> None:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [PACKAGE_ROOT, env.get("PYTHONPATH")]))
        self.log_path = tmp_path / f"server-{time.monotonic_ns()}.log"
        with open(self.log_path, "wb") as log:  # the child keeps its own descriptor
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "lro_server", "--port", "0", *args],
                stdout=subprocess.PIPE,
                stderr=log,
                env=env,
                cwd=tmp_path,
            )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().decode()
        prefix = "lro-server listening on http://127.0.0.1:"
        assert line.startswith(prefix), (line, self.log())
        self.url = line.split()[-1]

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(10)


@pytest.fixture
def processes(tmp_path: Path) -> Iterator[list[ServerProcess]]:
    started: list[ServerProcess] = []
    yield started
    for process in started:
        if process.proc.poll() is None:
            process.proc.kill()
            process.proc.wait(10)


@pytest.mark.slow  # the lro-server process: SIGKILL and its command line
def test_acknowledged_writes_survive_sigkill(
    tmp_path: Path, processes: list[ServerProcess]
) -> None:
    db = str(tmp_path / "ops.sqlite3")
    first = ServerProcess(tmp_path, "--db", db, "--log-level", "WARNING")
    processes.append(first)
    api = Api(first.url)

    updated, finalized, cancelled, deleted, seen, awaited = (api.create() for _ in range(6))
    metadata = {"@type": "type.googleapis.com/test.Progress", "percent": 99}
    api.ok("PATCH", f"/audit/v1/{updated['name']}", {"metadata": metadata})
    api.finish(finalized["name"])
    api.ok("POST", f"/v1/{cancelled['name']}:cancel")
    api.ok("DELETE", f"/v1/{deleted['name']}")
    api.finish(seen["name"])
    marked = api.ok("POST", f"/audit/v1/{seen['name']}:markSeenByCreator")["operation"]

    # A waiter held in :wait when the server dies reconnects to the new one.
    new_url: queue.Queue[str] = queue.Queue()
    outcome: dict[str, Any] = {}

    def waiter() -> None:
        path = f"/v1/{awaited['name']}:wait"
        try:
            api.post(path, {"timeout": "60s"}, timeout=60)
            outcome["first"] = "answered"
        except (ConnectionError, OSError) as e:
            outcome["first"] = type(e).__name__
        outcome["op"] = Api(new_url.get(timeout=30)).ok("POST", path, {"timeout": "60s"})

    waiting = threading.Thread(target=waiter)
    waiting.start()

    # Traffic while the kill lands: every create that was answered must survive. Each
    # writer stops at its first failure and reports it: before the kill nothing may fail;
    # after it, only the connection may (a reply that arrives must still be a 200).
    acknowledged: list[str] = []
    failures: list[str] = []
    killing = threading.Event()
    stop_traffic = threading.Event()

    def traffic() -> None:
        while not stop_traffic.is_set():
            try:
                reply = api.post("/audit/v1/operations", {"metadata": metadata})
            except (ConnectionError, OSError) as error:
                if not killing.is_set():
                    failures.append(f"before the kill: {type(error).__name__}: {error}")
                return
            if reply.status != 200:
                failures.append(f"a reply of {reply.status}: {reply.body[:200]!r}")
                return
            acknowledged.append(reply.json["operation"]["name"])

    writers = [threading.Thread(target=traffic) for _ in range(4)]
    for writer in writers:
        writer.start()
    deadline = time.monotonic() + 10  # at least a few acknowledged writes before the kill
    while len(acknowledged) < 20 and not failures and time.monotonic() < deadline:
        time.sleep(0.01)
    killing.set()
    first.kill()
    stop_traffic.set()
    for writer in writers:
        writer.join(10)
    assert not any(writer.is_alive() for writer in writers), "a writer is stuck"
    assert failures == [], failures
    assert len(acknowledged) >= 20, acknowledged

    second = ServerProcess(tmp_path, "--db", db, "--log-level", "WARNING")
    processes.append(second)
    api2 = Api(second.url)
    new_url.put(second.url)

    assert api2.audited(updated["name"])["metadata"] == metadata
    assert api2.audited(finalized["name"])["response"] == RESULT
    assert api2.audited(cancelled["name"])["error"]["code"] == 1
    assert api2.get(f"/v1/{deleted['name']}").status == 404
    assert "deleteTime" in api2.audited(deleted["name"])
    assert api2.audited(seen["name"]) == marked
    for start in range(0, len(acknowledged), 500):
        chunk = acknowledged[start : start + 500]
        query = "&".join(f"names={name}" for name in chunk)
        assert len(api2.ok("GET", f"/audit/v1/operations:batchGet?{query}")["operations"]) == len(
            chunk
        )

    deadline = time.monotonic() + 10
    while api2.ok("GET", "/admin/v1/stats").get("heldWaits") != 1:
        assert time.monotonic() < deadline, outcome
        time.sleep(0.02)
    api2.finish(awaited["name"])
    waiting.join(10)
    assert outcome["first"] != "answered"
    assert outcome["op"]["done"] is True and outcome["op"]["response"] == RESULT

    assert second.stop() == 0  # SIGTERM: a clean shutdown
    with sqlite3.connect(db) as check:  # the file runs in WAL mode, as documented
        assert check.execute("PRAGMA journal_mode").fetchone() == ("wal",)


@pytest.mark.slow  # the lro-server process: SIGKILL and its command line
def test_cli_flags(tmp_path: Path, processes: list[ServerProcess]) -> None:
    tokens = tmp_path / "tokens.json"
    tokens.write_text(json.dumps({"file-token": "carol"}))
    server = ServerProcess(
        tmp_path,
        "--db", ":memory:", "--token", "cli-token=dave", "--tokens-file", str(tokens),
        "--max-wait", "0.3", "--simulate", "2", "--simulate-duration", "0.2",
    )  # fmt: skip
    processes.append(server)
    assert Api(server.url).get("/v1/operations").status == 401
    assert Api(server.url, token="cli-token").create()["creator"] == "dave"
    carol = Api(server.url, token="file-token")
    simulated = carol.ok("GET", "/audit/v1/operations?filter=creator%20%3D%20%22anonymous%22")
    assert len(simulated["operations"]) == 2
    time.sleep(0.3)
    assert carol.ok("GET", "/v1/operations?filter=done%20%3D%20true")["operations"]
    (running,) = carol.ok("GET", "/v1/operations?filter=done%20%3D%20false")["operations"]
    started = time.monotonic()
    carol.ok("POST", f"/v1/{running['name']}:wait", {"timeout": "10s"})
    assert time.monotonic() - started < 2  # capped by --max-wait
    assert server.stop() == 0
    log = server.log()
    assert "principal=dave" in log and "principal=carol" in log  # INFO access lines exist...
    assert "file-token" not in log and "cli-token" not in log  # ...without the tokens
    assert not (tmp_path / "lro-operations.sqlite3").exists()  # :memory: wrote no file


@pytest.mark.slow  # the lro-server process: SIGKILL and its command line
def test_default_db_file_in_cwd(tmp_path: Path, processes: list[ServerProcess]) -> None:
    server = ServerProcess(tmp_path)
    processes.append(server)
    Api(server.url).create()
    assert server.stop() == 0
    assert (tmp_path / "lro-operations.sqlite3").exists()


@pytest.mark.slow  # the lro-server process: SIGKILL and its command line
def test_bad_cli_arguments_exit_with_usage(tmp_path: Path) -> None:
    env = dict(os.environ, PYTHONPATH=PACKAGE_ROOT)
    for args in (["--token", "no-principal"], ["--tokens-file", str(tmp_path / "missing.json")]):
        done = subprocess.run(
            [sys.executable, "-m", "lro_server", *args], env=env, capture_output=True, timeout=30
        )
        assert done.returncode == 2 and b"usage: lro-server" in done.stderr


@pytest.mark.slow  # the lro-server command line, as a process
def test_start_up_says_where_the_store_is(processes: list[ServerProcess], tmp_path: Path) -> None:
    on_disk = ServerProcess(tmp_path, "--db", "ops.sqlite3", "--log-level", "ERROR")
    in_memory = ServerProcess(tmp_path, "--db", ":memory:", "--log-level", "ERROR")
    processes += [on_disk, in_memory]
    assert on_disk.proc.stdout is not None and in_memory.proc.stdout is not None
    stored = on_disk.proc.stdout.readline().decode()
    assert stored.startswith(f"lro-server store: {tmp_path / 'ops.sqlite3'} (SQLite;"), stored
    memory = in_memory.proc.stdout.readline().decode()
    assert memory.startswith("lro-server store: in memory (nothing is kept"), memory


@pytest.mark.slow  # the lro-server command line, as a process
def test_help_shows_the_in_memory_store() -> None:
    shown = subprocess.run(
        [sys.executable, "-m", "lro_server", "--help"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    ).stdout
    assert "--db :memory:" in " ".join(shown.split())

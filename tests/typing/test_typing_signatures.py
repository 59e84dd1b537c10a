"""mypy --strict sees every waiting knob: a wrong-typed argument is an error before the
code runs (``wait(timeout="5")`` used to type-check, hidden in ``**options: Any``).

Each line of the snippet marked ``# error`` must be reported by mypy, and no other line.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

mypy_api = pytest.importorskip("mypy.api")

ROOT = Path(__file__).resolve().parents[2]

SNIPPET = """
import asyncio
import threading

import lro
import lro.aio


def sync(client: lro.Client, op: lro.Operation) -> None:
    client.wait("operations/x", timeout="5")  # error
    client.wait("operations/x", stop=asyncio.Event())  # error
    client.audit.wait("operations/x", policy=3)  # error
    client.watch("operations/x", on_progress=print)  # error
    op.wait(stop=asyncio.Event())  # error
    op.result(policy=3)  # error
    lro.wait_all(["operations/x"], client=client, max_concurrency="3")  # error
    client.wait("operations/x", 5, stop=threading.Event(), policy=lro.WaitPolicy())
    rows: int = op.result(30, as_type=int, cancel_on_timeout=True)
    for _ in op.watch(1.5, on_done=lambda last, error: None):
        pass


async def asynchronous(client: lro.aio.AsyncClient, op: lro.aio.AsyncOperation) -> None:
    await client.wait("operations/x", timeout="5")  # error
    await client.wait("operations/x", stop=threading.Event())  # error
    await op.wait(stop=threading.Event())  # error
    await op.wait(stop=asyncio.Event(), on_progress=print)
    rows: int = await op.result(as_type=int)
    async for _ in client.watch("operations/x", None, stop=asyncio.Event()):
        pass
"""


def test_mypy_rejects_wrong_typed_arguments(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)  # the config's mypy_path is relative to the working directory
    # A module name of its own per run: the shared cache keeps an earlier run's snippet
    # (in another tmp_path), whose errors mypy would replay under that other path.
    source = tmp_path / f"snippet_{uuid.uuid4().hex}.py"
    source.write_text(SNIPPET, encoding="utf-8")
    wanted = {n for n, line in enumerate(SNIPPET.splitlines(), 1) if line.endswith("# error")}
    stdout, stderr, _status = mypy_api.run(
        [
            "--strict",
            "--follow-imports=silent",
            "--no-error-summary",
            "--hide-error-context",
            "--cache-dir",
            str(ROOT / ".mypy_cache"),
            "--config-file",
            str(ROOT / "pyproject.toml"),
            str(source),
        ]
    )
    assert stderr == ""
    reported = {
        int(line.split(":")[1])
        for line in stdout.splitlines()
        # By file name: mypy's cache (shared with make lint) may report the unchanged
        # snippet under the temporary path of an earlier run (another xdist worker's).
        if Path(line.split(":")[0]).name == source.name and ": error:" in line
    }
    assert reported == wanted, stdout

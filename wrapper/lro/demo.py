"""A two-minute tour of the SDK on the embedded reference server.

Run it with ``make demo`` or ``python -m lro.demo``. It starts the reference
server in-process on a free loopback port (an in-memory store), then walks
through what users of an LRO SDK do: start operations, watch their progress,
wait for a typed result, handle a typed error, cancel, list, and mark results
as seen. Each step shows its code (and where it lives) before what it prints.
"""

from __future__ import annotations

import inspect
import os
import sys
import textwrap
from collections.abc import Callable
from typing import Any

import lro
from lro_server import serve

Step = Callable[[lro.Client, Any], None]


def _line(text: str = "") -> None:
    print(text, flush=True)


def _show(number: int, step: Step) -> None:
    """The step's title, where it is, and its code (the body, without the docstring)."""
    code = step.__code__
    try:
        path = os.path.relpath(code.co_filename)
    except ValueError:  # another drive (Windows)
        path = code.co_filename
    _line(f"{number}. {inspect.getdoc(step)}  [{path}:{code.co_firstlineno}]")
    try:
        lines, _ = inspect.getsourcelines(step)
    except OSError:  # installed without its source: the file and line say where it is
        return
    body = textwrap.dedent("".join(lines[1:]))
    doc_end = body.find('"""', 3) + 3 if body.startswith('"""') else 0
    for line in body[doc_end:].strip("\n").splitlines():
        _line(f"   | {line}")


def worker_lifecycle(client: lro.Client, server: Any) -> None:
    """A worker creates an operation, reports progress and finishes it."""
    op = client.create({"@type": "type.googleapis.com/demo.Job", "progressPercent": 0})
    client.update(op.name, {"@type": "type.googleapis.com/demo.Job", "progressPercent": 50})
    client.finalize(op.name, response={"@type": "type.googleapis.com/demo.Out", "rows": 42})
    done = client.audit.wait(op.name, timeout=10)  # audited view: who and when
    _line(f"   {done.name}: done={done.done} result={done.result()}")
    _line(f"   created by {done.creator} at {done.create_time}, took {done.duration}")


def watch_progress(client: lro.Client, server: Any) -> None:
    """Watch a simulated 3-second operation report progress (1 s long-poll windows)."""
    (simulated,) = server.simulate(count=1, duration=3.0, outcome="response")
    for snapshot in client.operation(simulated["name"]).watch(timeout=30):
        percent = "?" if snapshot.progress is None else f"{snapshot.progress:.0%}"
        _line(f"   progress {percent:>4}  done={snapshot.done}")


def typed_error(client: lro.Client, server: Any) -> None:
    """A failed operation raises a typed error with its details."""
    (failing,) = server.simulate(count=1, duration=0.3, outcome="error")
    try:
        client.operation(failing["name"]).result(timeout=30)
    except lro.Error as error:
        _line(f"   {type(error).__name__}: {error}")
        if error.error_info is not None:
            _line(f"   reason={error.error_info.reason} domain={error.error_info.domain}")


def cancel(client: lro.Client, server: Any) -> None:
    """Cancel a running operation; waiting on it raises lro.Cancelled."""
    (slow,) = server.simulate(count=1, duration=60.0)
    client.cancel(slow["name"])
    try:
        client.operation(slow["name"]).result(timeout=10)
    except lro.Cancelled as error:
        _line(f"   {type(error).__name__}: {error}")


def wait_for_many(client: lro.Client, server: Any) -> None:
    """Wait for many at once (one batch request per round on the audited view)."""
    batch = server.simulate(count=20, duration=1.0)
    finished = lro.wait_all([item["name"] for item in batch], client=client, timeout=30)
    _line(f"   {sum(o.done for o in finished)}/{len(finished)} done")


def list_and_mark_seen(client: lro.Client, server: Any) -> None:
    """List, then mark results as seen by their creator."""
    _line(f"   {sum(1 for _ in client.list_operations(filter='done = true'))} done operations")
    unseen = list(client.unseen())
    _line(f"   {len(unseen)} unseen results; marking them seen")
    if unseen:
        client.mark_seen(*(o.name for o in unseen))
    _line(f"   {sum(1 for _ in client.unseen())} unseen now")


STEPS: list[Step] = [
    worker_lifecycle,
    watch_progress,
    typed_error,
    cancel,
    wait_for_many,
    list_and_mark_seen,
]


def main() -> None:
    """Run the tour: each step prints its code ("|" lines), then what a user would see."""
    with serve(port=0, db=":memory:") as server, lro.Client(server.url) as client:
        _line(f"reference server on {server.url} (Python {sys.version.split()[0]})")
        for number, step in enumerate(STEPS, 1):
            _line()
            _show(number, step)
            _line("   ->")
            step(client, server)


if __name__ == "__main__":
    main()

"""A two-minute tour of the SDK on the embedded reference server.

Run it with ``make demo`` or ``python -m lro.demo``. It starts the reference
server in-process on a free loopback port (an in-memory store), then walks
through what users of an LRO SDK do: start operations, watch their progress,
wait for a typed result, handle a typed error, cancel, list, and mark results
as seen.
"""

from __future__ import annotations

import lro
from lro_server import serve


def _line(text: str) -> None:
    print(text, flush=True)


def main() -> None:
    """Run the tour; every step prints what a user would see."""
    with serve(port=0, db=":memory:") as server, lro.Client(server.url) as client:
        _line(f"reference server on {server.url}\n")

        _line("1. A worker creates an operation, reports progress and finishes it.")
        op = client.create({"@type": "type.googleapis.com/demo.Job", "progressPercent": 0})
        client.update(op.name, {"@type": "type.googleapis.com/demo.Job", "progressPercent": 50})
        client.finalize(op.name, response={"@type": "type.googleapis.com/demo.Out", "rows": 42})
        done = client.audit.wait(op.name, timeout=10)  # audited view: who and when
        _line(f"   {done.name}: done={done.done} result={done.result()}")
        _line(f"   created by {done.creator} at {done.create_time}, took {done.duration}\n")

        _line("2. Watch a simulated 3-second operation report progress (1 s long-poll windows).")
        (simulated,) = server.simulate(count=1, duration=3.0, outcome="response")
        for snapshot in client.operation(simulated["name"]).watch(timeout=30):
            percent = "?" if snapshot.progress is None else f"{snapshot.progress:.0%}"
            _line(f"   progress {percent:>4}  done={snapshot.done}")
        _line("")

        _line("3. A failed operation raises a typed error with its details.")
        (failing,) = server.simulate(count=1, duration=0.3, outcome="error")
        try:
            client.operation(failing["name"]).result(timeout=30)
        except lro.Error as error:
            _line(f"   {type(error).__name__}: {error}")
            if error.error_info is not None:
                _line(f"   reason={error.error_info.reason} domain={error.error_info.domain}\n")

        _line("4. Cancel a running operation; waiting on it raises lro.Cancelled.")
        (slow,) = server.simulate(count=1, duration=60.0)
        client.cancel(slow["name"])
        try:
            client.operation(slow["name"]).result(timeout=10)
        except lro.Cancelled as error:
            _line(f"   {type(error).__name__}: {error}\n")

        _line("5. Wait for many at once (one batch request per round on the audited view).")
        batch = server.simulate(count=20, duration=1.0)
        finished = lro.wait_all([item["name"] for item in batch], client=client, timeout=30)
        _line(f"   {sum(o.done for o in finished)}/{len(finished)} done\n")

        _line("6. List, then mark results as seen by their creator.")
        _line(f"   {sum(1 for _ in client.list_operations(filter='done = true'))} done operations")
        unseen = list(client.unseen())
        _line(f"   {len(unseen)} unseen results; marking them seen")
        if unseen:
            client.mark_seen(*(o.name for o in unseen))
        _line(f"   {sum(1 for _ in client.unseen())} unseen now")


if __name__ == "__main__":
    main()

# generated from lro/_async/pool.py by scripts/unasync.py; do not edit
# (edit the async module and run `python scripts/unasync.py`)
"""A bounded pool of single-operation waiters: workers (tasks in the async half, daemon
threads in the sync one, see ``primitives``) taking entries from a queue, reporting to a
queue (:func:`lro.wait_all`) or to a tracker (:mod:`lro._sync.handles`).
"""

from __future__ import annotations

import collections
import random
import threading
from collections.abc import Iterator
from typing import Any, Protocol

from lro._core.clock import Clock
from lro._core.deadlines import Deadline
from lro._core.errors import Error, WaitTimeout
from lro._core.wait_many import Board, Entry, apply_event, single_plan
from lro._core.wait_plan import WaitPlan
from lro._core.wait_policy import WaitPolicy
from lro._core.waits import OnProgress, Stopped

from .primitives import STOP_BY_SLICES, call_callback
from .waiting import snapshots
from .workers import Queue, cancel, get, spawn

__all__ = ["Sink", "follow", "pool"]


class Sink(Protocol):
    """Where a worker reports: a queue (:func:`pool`'s collector reads it) or a tracker
    that settles its handles at once (:mod:`lro._sync.handles`)."""

    def put_nowait(self, item: tuple[str, Entry, Any]) -> None:
        """Take one report: ``(kind, entry, payload)`` (see :func:`apply_event`)."""
        ...


def follow(
    entry: Entry,
    plan: WaitPlan,
    events: Sink,
    halt: threading.Event,
    stop: threading.Event | None,
    clock: Clock,
) -> None:
    """A worker's wait for one entry, reporting each snapshot and how the wait ended;
    ``stop`` abandons it, ``halt`` every wait of the pool or tracker (unreported)."""
    try:
        stream = snapshots(entry.backend, entry.name, plan, clock=clock, stop=stop)
        for snapshot in stream:
            events.put_nowait(("snapshot", entry, snapshot))
    except WaitTimeout as error:
        events.put_nowait(("timeout", entry, error))
    except Error as error:
        if not (halt.is_set() or (stop is not None and stop.is_set())):
            events.put_nowait(("failed", entry, error))
    except Exception as error:  # a bug must not hang the collector
        events.put_nowait(("crash", entry, error))


def pool(
    board: Board,
    policy: WaitPolicy,
    deadline: Deadline,
    max_concurrency: int,
    on_progress: OnProgress | None,
    options: dict[str, Any],
) -> Iterator[Entry]:
    """Bounded concurrent single waits; yields entries as they finish."""
    pending = board.pending()
    jobs = collections.deque(pending)
    events: Queue[tuple[str, Entry, Any]] = Queue()
    halt = threading.Event()
    rng: random.Random = options["rng"] or random.Random()
    # Threads stop by slices: their windows are capped so that halting never waits for a
    # long-poll. Tasks are cancelled instead, their requests with them.
    stop = halt if STOP_BY_SLICES else None

    def work() -> None:
        while not halt.is_set():
            try:
                entry = jobs.popleft()
            except IndexError:  # none left
                return
            plan = single_plan(entry, policy, deadline, rng, stoppable=STOP_BY_SLICES)
            follow(entry, plan, events, halt, stop, board.clock)

    # each in a copy of the caller's context: its span parents their requests
    workers = [spawn(work, f"lro-wait-{i}") for i in range(min(max_concurrency, len(pending)))]
    try:
        collected = _collect(board, events, len(pending), on_progress, options["stop"])
        yield from collected
    finally:
        halt.set()  # threads stop at their next step (daemons never block the exit)
        cancel(workers)


def _collect(
    board: Board,
    events: Queue[tuple[str, Entry, Any]],
    outstanding: int,
    on_progress: OnProgress | None,
    stop: threading.Event | None,
) -> Iterator[Entry]:
    """Turn the workers' reports into completions, in the caller's task or thread."""
    timeouts: list[WaitTimeout] = []
    while outstanding:
        event = get(events, stop)
        if isinstance(event, Stopped):
            raise board.abandoned()
        report, finished = apply_event(board, event, timeouts)
        if report is not None:
            call_callback(on_progress, report)
        if finished:
            outstanding -= 1
            if event[1].final is not None:
                yield event[1]
    if board.pending():
        raise board.timeout(timeouts[0].message if timeouts else "deadline passed")

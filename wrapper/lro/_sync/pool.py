"""A bounded pool of single-operation waiters for the synchronous half: daemon threads
taking entries from a queue, reporting to a queue (:func:`lro.wait_all`) or to a tracker
(:mod:`lro._sync.handles`).

Hand-written: how the halves run many waits at once is where they truly differ (its twin,
:mod:`lro._async.pool`, runs tasks). What the waits share is :mod:`lro._sync.wait_many`.
"""

from __future__ import annotations

import contextvars
import queue
import random
import threading
from collections.abc import Callable, Iterator
from typing import Any, Protocol

from lro._core.clock import Clock
from lro._core.deadlines import Deadline
from lro._core.errors import Error, WaitTimeout
from lro._core.wait_many import Board, Entry, apply_event
from lro._core.wait_plan import WaitPlan
from lro._core.wait_policy import WaitPolicy
from lro._core.waits import SLICE, OnProgress, has_answered, known_long_poll

from .waiting import snapshots

__all__ = ["Sink", "pool", "worker"]


class Sink(Protocol):
    """Where a pool thread reports: a queue (:func:`pool`'s collector reads it) or a
    tracker that settles its handles at once (:mod:`lro._sync.handles`)."""

    def put(self, item: tuple[str, Entry, Any]) -> None:
        """Take one report: ``(kind, entry, payload)`` (see :func:`apply_event`)."""
        ...


def worker(
    jobs: queue.SimpleQueue[Entry],
    events: Sink,
    make_plan: Callable[[Entry], WaitPlan],
    halt: threading.Event,
    clock: Clock | None,
    stop_of: Callable[[Entry], threading.Event] | None = None,
    context_of: Callable[[Entry], contextvars.Context | None] | None = None,
) -> None:
    """A pool thread: waits for one entry at a time and reports what it sees, until the
    queue is empty or ``halt`` is set. ``stop_of(entry)``, when given, is the event that
    abandons that one entry (it must also be set with ``halt``); the thread then goes on
    with the next. ``context_of(entry)``, when given, is the context to wait for that
    entry in (a handle's span: lro._tracing), or None."""
    while not halt.is_set():
        try:
            entry = jobs.get_nowait()
        except queue.Empty:
            return
        stop = halt if stop_of is None else stop_of(entry)
        context = None if context_of is None else context_of(entry)
        args = (entry, events, make_plan, halt, stop, clock)
        going_on = _follow(*args) if context is None else context.run(_follow, *args)
        if not going_on:
            return


def _follow(
    entry: Entry,
    events: Sink,
    make_plan: Callable[[Entry], WaitPlan],
    halt: threading.Event,
    stop: threading.Event,
    clock: Clock | None,
) -> bool:
    """Wait for one entry of a pool thread, reporting; False when the thread must end."""
    try:
        stream = snapshots(entry.backend, entry.name, make_plan(entry), clock=clock, stop=stop)
        for snapshot in stream:
            events.put(("snapshot", entry, snapshot))
    except WaitTimeout as error:
        events.put(("timeout", entry, error))
    except Error as error:
        if halt.is_set():
            return False  # abandoned: nobody is listening any more
        if not stop.is_set():  # (a stopped entry was abandoned on purpose)
            events.put(("failed", entry, error))
    except BaseException as error:  # a bug must not hang the collector
        events.put(("crash", entry, error))
        return False
    return True


def pool(
    board: Board,
    policy: WaitPolicy,
    deadline: Deadline,
    max_concurrency: int,
    on_progress: OnProgress | None,
    options: dict[str, Any],
) -> Iterator[Entry]:
    """Bounded concurrent single waits (daemon threads); yields entries as they finish."""
    pending = board.pending()
    jobs: queue.SimpleQueue[Entry] = queue.SimpleQueue()
    events: queue.SimpleQueue[tuple[str, Entry, Any]] = queue.SimpleQueue()
    for entry in pending:
        jobs.put(entry)
    halt = threading.Event()
    rng: random.Random = options["rng"] or random.Random()

    def make_plan(entry: Entry) -> WaitPlan:
        return WaitPlan(
            policy,
            deadline,
            long_poll=known_long_poll(entry.backend, entry.name),
            answered=has_answered(entry.backend),
            rng=random.Random(rng.random()),
            stoppable=True,  # caps windows so that halting never waits for a long-poll
        )

    args = (jobs, events, make_plan, halt, options["clock"])
    threads = [  # each in a copy of the caller's context: its span parents their requests
        threading.Thread(
            target=contextvars.copy_context().run,
            args=(worker, *args),
            name=f"lro-wait-{i}",
            daemon=True,
        )
        for i in range(min(max_concurrency, len(pending)))
    ]
    for thread in threads:
        thread.start()
    try:
        yield from _collect(board, events, len(pending), on_progress, options["stop"])
    finally:
        halt.set()  # workers stop at their next step; daemon threads never block exit


def _collect(
    board: Board,
    events: queue.SimpleQueue[tuple[str, Entry, Any]],
    outstanding: int,
    on_progress: OnProgress | None,
    stop: threading.Event | None,
) -> Iterator[Entry]:
    """Turn the workers' reports into completions, in the caller's thread."""
    timeouts: list[WaitTimeout] = []
    while outstanding:
        if stop is not None and stop.is_set():
            raise board.abandoned()
        try:
            event = events.get(timeout=SLICE)
        except queue.Empty:
            continue
        report, finished = apply_event(board, event, timeouts)
        if report is not None and on_progress is not None:
            on_progress(report)
        if finished:
            outstanding -= 1
            if event[1].final is not None:
                yield event[1]
    if board.pending():
        raise board.timeout(timeouts[0].message if timeouts else "deadline passed")

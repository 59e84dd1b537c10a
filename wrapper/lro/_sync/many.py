"""Waiting for many operations from threads: :func:`wait_all` and :func:`as_completed`.

The bookkeeping (which entries are done, batch rounds, the deadline) is the I/O-free
:mod:`lro._core.board`; this module runs batchGet rounds or a bounded pool of
single-operation waiter threads over it.
"""

from __future__ import annotations

import contextvars
import queue
import random
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Protocol, cast

from lro._core.board import (
    Board,
    Entry,
    Item,
    Round,
    Via,
    apply_event,
    batch_policy,
    culprit,
    groups,
    pool_policy,
    start,
    without,
)
from lro._core.errors import Error, WaitTimeout
from lro._core.plan import DEFAULT, Deadline, Fetch, GiveUp, WaitPlan, WaitPolicy
from lro._core.retry import call_budget
from lro._core.waits import SLICE, OnProgress, known_long_poll
from lro._tracing import mode_of, tracing

from .operation import Operation
from .primitives import interruptible_sleep
from .waiting import snapshots

__all__ = ["as_completed", "wait_all"]


def _sync_round(board: Board) -> Round:
    """One batchGet round over every entry not done (stops at the first failure)."""
    seen = Round()
    for chunk in groups(board.pending()):
        while chunk:
            try:
                answers = chunk[0].backend.get_many([entry.name for entry in chunk])
            except Error as error:
                named = culprit(error, chunk)
                if named is None:
                    seen.error = error
                    return seen
                seen.failed(board, named, error)
                chunk = without(chunk, named)
                continue
            seen.apply(board, chunk, answers)
            break
    return seen


def _sync_batch(
    board: Board,
    plan: WaitPlan,
    on_progress: OnProgress | None,
    clock: Callable[[], float],
    sleep: Callable[[float], None],
    stop: threading.Event | None,
) -> Iterator[Entry]:
    """Batch rounds until every entry is done; yields entries as they finish."""
    while board.pending():
        if stop is not None and stop.is_set():
            raise board.abandoned()
        action = plan.next_action()
        if isinstance(action, GiveUp):
            raise board.timeout(action.reason, plan.last_error)
        if not isinstance(action, Fetch):
            sleep(action.seconds)
            continue
        started = clock()
        with call_budget(plan.deadline.remaining()):  # each request ends by the deadline
            seen = _sync_round(board)
        for snapshot in seen.changed:
            if on_progress is not None:
                on_progress(snapshot)
        yield from seen.done
        if seen.error is not None:
            plan.on_error(seen.error, action)
        else:
            plan.on_snapshot(not board.pending(), action, clock() - started)


class Sink(Protocol):
    """Where a pool thread reports: a queue (:func:`wait_all`'s collector reads it) or a
    tracker that settles its handles at once (:mod:`lro._sync.handles`)."""

    def put(self, item: tuple[str, Entry, Any]) -> None:
        """Take one report: ``(kind, entry, payload)`` (see :func:`apply_event`)."""
        ...


def _worker(
    jobs: queue.SimpleQueue[Entry],
    events: Sink,
    make_plan: Callable[[Entry], WaitPlan],
    halt: threading.Event,
    clock: Callable[[], float],
    sleep: Callable[[float], None] | None,
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
        args = (entry, events, make_plan, halt, stop, clock, sleep)
        going_on = _follow(*args) if context is None else context.run(_follow, *args)
        if not going_on:
            return


def _follow(
    entry: Entry,
    events: Sink,
    make_plan: Callable[[Entry], WaitPlan],
    halt: threading.Event,
    stop: threading.Event,
    clock: Callable[[], float],
    sleep: Callable[[float], None] | None,
) -> bool:
    """Wait for one entry of a pool thread, reporting; False when the thread must end."""
    try:
        stream = snapshots(
            entry.backend, entry.name, make_plan(entry), clock=clock, sleep=sleep, stop=stop
        )
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


def _sync_pool(
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
            long_poll=known_long_poll(entry.backend),
            rng=random.Random(rng.random()),
            stoppable=True,  # caps windows so that halting never waits for a long-poll
        )

    args = (jobs, events, make_plan, halt, options["clock"], options["sleep"])
    threads = [  # each in a copy of the caller's context: its span parents their requests
        threading.Thread(
            target=contextvars.copy_context().run,
            args=(_worker, *args),
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


def _sync_completions(
    board: Board,
    engine: str,
    via: str,
    policy: WaitPolicy,
    deadline: Deadline,
    max_concurrency: int,
    on_progress: OnProgress | None,
    options: dict[str, Any],
) -> Iterator[Entry]:
    if engine == "batch":
        plan = WaitPlan(batch_policy(policy), deadline, rng=options["rng"], stoppable=False)
        sleep = options["sleep"] or interruptible_sleep(options["stop"])
        return _sync_batch(board, plan, on_progress, options["clock"], sleep, options["stop"])
    return _sync_pool(
        board, pool_policy(via, policy), deadline, max_concurrency, on_progress, options
    )


def wait_all(
    items: Iterable[Item],
    *,
    client: Any = None,
    timeout: float | None = DEFAULT,
    via: Via = "auto",
    max_concurrency: int = 32,
    policy: WaitPolicy | None = None,
    on_progress: OnProgress | None = None,
    stop: threading.Event | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] | None = None,
    rng: random.Random | None = None,
) -> list[Operation]:
    """Wait until every operation is done; return their final snapshots in input order.

    Failed operations are returned too (their ``.error`` is set). Duplicate inputs are
    waited for once.

    Args:
        items: operation names (with ``client=``) or snapshots bound to a client
            (``client=`` overrides their binding). Done snapshots cost no request.
        client: the :class:`lro.Client` (or ``client.audit``) for names.
        timeout: one deadline for the whole set, wall-clock seconds; None: forever;
            omitted: the policy's ``default_timeout``.
        via: ``"auto"`` (batch on the audited view, long-poll otherwise), ``"batch"``,
            ``"long_poll"`` or ``"poll"`` (see the module documentation).
        max_concurrency: most single waits in flight at once (long_poll / poll).
        policy: the :class:`~lro._core.plan.WaitPolicy` (schedule between batch rounds, and
            of each single wait); default: the client's, else the default policy.
        on_progress: called in the caller's thread with each changed snapshot.
        stop: a :class:`threading.Event` that abandons the wait (:class:`lro.Cancelled`).
        clock: test seam: the monotonic clock the deadline is measured on.
        sleep: test seam: the sleep between rounds (default: interruptible by Ctrl-C
            and by ``stop``).
        rng: test seam: the random source of the jitter.

    Raises:
        InvalidArgument: an argument of the wrong type or value (nothing was sent).
        WaitAllTimeout: the deadline passed; carries the partial results.
        Cancelled: ``stop`` was set.
        Error: a batch request failed permanently without naming an operation.
    """
    board, engine, chosen, deadline = start(
        items,
        client,
        timeout,
        policy,
        via,
        max_concurrency,
        clock,
        on_progress=on_progress,
        stop=stop,
        sleep=sleep,
        rng=rng,
        asynchronous=False,
    )
    options = {"clock": clock, "sleep": sleep, "rng": rng, "stop": stop}
    completions = (board, engine, via, chosen, deadline, max_concurrency, on_progress, options)
    traced = tracing()
    if traced is None:
        for _ in _sync_completions(*completions):
            pass
        return cast("list[Operation]", board.results())
    count = {"lro.operation.count": len(board.order)}
    with traced.waiting("lro.wait_all", count, mode_of(engine, via)) as parent:
        for _ in _sync_completions(*completions):
            pass
        results = board.results()
        parent.end("error" if any(op.error for op in results) else "response")
    return cast("list[Operation]", results)


def as_completed(
    items: Iterable[Item],
    *,
    client: Any = None,
    timeout: float | None = DEFAULT,
    via: Via = "auto",
    max_concurrency: int = 32,
    policy: WaitPolicy | None = None,
    on_progress: OnProgress | None = None,
    stop: threading.Event | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] | None = None,
    rng: random.Random | None = None,
) -> Iterator[Operation]:
    """Yield each operation's final snapshot as soon as it is done (done inputs first).

    Same arguments as :func:`wait_all`, checked at the call (:class:`lro.InvalidArgument`
    before anything is sent); after yielding every operation done in time it raises
    :class:`WaitAllTimeout` at the deadline. Closing the iterator early stops the waiting
    (worker threads end within ``policy.stop_latency``).
    """
    board, engine, chosen, deadline = start(
        items,
        client,
        timeout,
        policy,
        via,
        max_concurrency,
        clock,
        on_progress=on_progress,
        stop=stop,
        sleep=sleep,
        rng=rng,
        asynchronous=False,
    )
    options = {"clock": clock, "sleep": sleep, "rng": rng, "stop": stop}
    already = [entry for entry in board.entries if entry.final is not None]
    stream = _sync_completions(
        board, engine, via, chosen, deadline, max_concurrency, on_progress, options
    )
    return _finals(already, stream)


def _finals(already: list[Entry], stream: Iterator[Entry]) -> Iterator[Operation]:
    for entry in already:
        assert entry.final is not None
        yield cast("Operation", entry.final)
    for entry in stream:
        assert entry.final is not None
        yield cast("Operation", entry.final)

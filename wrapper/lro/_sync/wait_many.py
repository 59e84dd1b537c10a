# generated from lro/_async/wait_many.py by scripts/unasync.py; do not edit
# (edit the async module and run `python scripts/unasync.py`)
"""Waiting for many operations at once: :func:`wait_all` and :func:`as_completed`.

The bookkeeping (which entries are done, batch rounds, the deadline) is the I/O-free
:mod:`lro._core.wait_many`; this module runs batchGet rounds over it, or hands the entries to
the half's bounded pool of single-operation waiters (:mod:`lro._sync.pool`: tasks in the
async half, threads in the sync one).
"""

from __future__ import annotations

import random
import threading
from collections.abc import Iterable, Iterator
from typing import Any, cast

from lro._core.clock import Clock
from lro._core.deadlines import DEFAULT, Deadline
from lro._core.errors import Error
from lro._core.wait_many import (
    Board,
    Entry,
    Item,
    Round,
    Via,
    batch_policy,
    culprit,
    groups,
    pool_policy,
    start,
    without,
)
from lro._core.wait_plan import Fetch, GiveUp, WaitPlan
from lro._core.wait_policy import WaitPolicy
from lro._core.waits import OnProgress, has_answered
from lro._tracing import mode_of, tracing

from .operation import Operation
from .pool import pool
from .primitives import ASYNCHRONOUS, call_callback, default_sleep

__all__ = ["as_completed", "batch_rounds", "wait_all"]


def _round(board: Board, left: float | None) -> Round:
    """One batchGet round over every entry not done (stops at the first failure); each
    request ends by the wait's deadline (``left`` seconds), when the backend is a client of
    this SDK (``_read_many``; a test double only has ``get_many``)."""
    seen = Round()
    for chunk in groups(board.pending()):
        while chunk:
            names = [entry.name for entry in chunk]
            read = getattr(chunk[0].backend, "_read_many", None)
            try:
                answers = chunk[0].backend.get_many(names) if read is None else read(names, left)
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


def batch_rounds(
    board: Board,
    plan: WaitPlan,
    on_progress: OnProgress | None,
    options: dict[str, Any],
) -> Iterator[Entry]:
    """Batch rounds until every entry is done; yields entries as they finish."""
    clock, stop = board.clock, options["stop"]
    sleep = default_sleep(stop, clock)
    while board.pending():
        if stop is not None and stop.is_set():
            raise board.abandoned()
        action = plan.next_action()
        if isinstance(action, GiveUp):
            raise board.timeout(action.reason, plan.last_error)
        if not isinstance(action, Fetch):
            sleep(action.seconds)
            continue
        seen = _round(board, action.left)
        for snapshot in seen.changed:
            call_callback(on_progress, snapshot)
        yield from seen.done
        if seen.error is not None:
            plan.on_error(seen.error, action)
        else:
            plan.on_snapshot(not board.pending(), action)


def _completions(
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
        asks = [has_answered(entry.backend) for entry in board.entries]

        def answered() -> bool:
            return all(ask() for ask in asks)

        plan = WaitPlan(batch_policy(policy), deadline, answered=answered, rng=options["rng"])
        return batch_rounds(board, plan, on_progress, options)
    return pool(board, pool_policy(via, policy), deadline, max_concurrency, on_progress, options)


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
    clock: Clock | None = None,
    rng: random.Random | None = None,
) -> list[Operation]:
    """Wait until every operation is done; return their final snapshots in input order.

    Failed operations are returned too (their ``.error`` is set). Duplicate inputs are
    waited for once. Cancelling the task of an async wait cancels every request in
    flight.

    Args:
        items: operation names (with ``client=``) or snapshots bound to a client
            (``client=`` overrides their binding). Done snapshots cost no request.
        client: the :class:`lro.Client` (or ``client.audit``) for names.
        timeout: one deadline for the whole set, wall-clock seconds; None: forever;
            omitted: the policy's ``default_timeout``.
        via: ``"auto"`` (batch on the audited view, long-poll otherwise), ``"batch"``,
            ``"long_poll"`` or ``"poll"`` (see the module documentation).
        max_concurrency: most single waits in flight at once (long_poll / poll).
        policy: the :class:`~lro._core.wait_policy.WaitPolicy` (schedule between batch rounds, and
            of each single wait); default: the client's, else the default policy.
        on_progress: called with each changed snapshot (by the sync
            function in the caller's thread).
        stop: a :class:`threading.Event` that abandons the wait (:class:`lro.Cancelled`).
        clock: the :class:`lro.Clock` the deadline is measured and the rounds slept on;
            default: the client's (``Client(clock=...)``). The sync function's sleeps
            are interruptible by ``stop`` (and, on the system clock, by Ctrl-C).
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
        rng=rng,
        asynchronous=ASYNCHRONOUS,
    )
    options = {"clock": board.clock, "rng": rng, "stop": stop}
    completions = (board, engine, via, chosen, deadline, max_concurrency, on_progress, options)
    traced = tracing()
    if traced is None:
        for _ in _completions(*completions):
            pass
        return cast("list[Operation]", board.results())
    count = {"lro.operation.count": len(board.order)}
    with traced.waiting("lro.wait_all", count, mode_of(engine, via)) as parent:
        for _ in _completions(*completions):
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
    clock: Clock | None = None,
    rng: random.Random | None = None,
) -> Iterator[Operation]:
    """Yield each operation's final snapshot as soon as it is done (done inputs first):
    ``for op in as_completed(names, client=client): ...``.

    Same arguments as :func:`wait_all`, checked at the call
    (:class:`lro.InvalidArgument` before anything is sent); after yielding every operation
    done in time it raises :class:`lro.WaitAllTimeout` at the deadline. Closing the
    iterator early stops the waiting (the sync function's worker threads end within
    ``policy.stop_latency``).
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
        rng=rng,
        asynchronous=ASYNCHRONOUS,
    )
    options = {"clock": board.clock, "rng": rng, "stop": stop}
    already = [entry for entry in board.entries if entry.final is not None]
    stream = _completions(
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

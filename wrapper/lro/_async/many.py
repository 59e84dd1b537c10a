"""Waiting for many operations from asyncio: :func:`async_wait_all` and
:func:`async_as_completed`, the twins of :mod:`lro._sync.many` over the same
:mod:`lro._core.board`, with tasks instead of threads.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
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
from lro._core.waits import OnProgress, known_long_poll
from lro._tracing import mode_of, tracing

from .operation import AsyncOperation
from .primitives import call_callback
from .waiting import async_snapshots

__all__ = ["async_as_completed", "async_wait_all"]


async def _async_round(board: Board) -> Round:
    """Async :func:`_sync_round`."""
    seen = Round()
    for chunk in groups(board.pending()):
        while chunk:
            try:
                answers = await chunk[0].backend.get_many([entry.name for entry in chunk])
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


async def _async_batch(
    board: Board,
    plan: WaitPlan,
    on_progress: OnProgress | None,
    options: dict[str, Any],
) -> AsyncIterator[Entry]:
    import asyncio

    clock, stop = options["clock"], options["stop"]
    sleep = options["sleep"] or asyncio.sleep
    while board.pending():
        if stop is not None and stop.is_set():
            raise board.abandoned()
        action = plan.next_action()
        if isinstance(action, GiveUp):
            raise board.timeout(action.reason, plan.last_error)
        if not isinstance(action, Fetch):
            await sleep(action.seconds)
            continue
        started = clock()
        with call_budget(plan.deadline.remaining()):  # each request ends by the deadline
            seen = await _async_round(board)
        for snapshot in seen.changed:
            await call_callback(on_progress, snapshot)
        for entry in seen.done:
            yield entry
        if seen.error is not None:
            plan.on_error(seen.error, action)
        else:
            plan.on_snapshot(not board.pending(), action, clock() - started)


class Sink(Protocol):
    """Where a waiter task reports: a queue (:func:`async_wait_all`'s collector reads it)
    or a tracker that settles its handles at once (:mod:`lro._async.handles`)."""

    def put_nowait(self, item: tuple[str, Entry, Any]) -> None:
        """Take one report: ``(kind, entry, payload)`` (see :func:`apply_event`)."""
        ...


async def _async_one(
    entry: Entry,
    plan: WaitPlan,
    gate: asyncio.Semaphore,
    events: Sink,
    options: dict[str, Any],
) -> None:
    async with gate:
        try:
            stream = async_snapshots(
                entry.backend, entry.name, plan, clock=options["clock"], sleep=options["sleep"]
            )
            async for snapshot in stream:
                events.put_nowait(("snapshot", entry, snapshot))
        except WaitTimeout as error:
            events.put_nowait(("timeout", entry, error))
        except Error as error:
            events.put_nowait(("failed", entry, error))
        except Exception as error:  # a bug must not hang the collector
            events.put_nowait(("crash", entry, error))


async def _async_pool(
    board: Board,
    policy: WaitPolicy,
    deadline: Deadline,
    max_concurrency: int,
    on_progress: OnProgress | None,
    options: dict[str, Any],
) -> AsyncIterator[Entry]:
    """Bounded concurrent async waits; yields entries as they finish."""
    import asyncio

    gate = asyncio.Semaphore(max_concurrency)
    events: asyncio.Queue[tuple[str, Entry, Any]] = asyncio.Queue()
    rng: random.Random = options["rng"] or random.Random()
    pending = board.pending()
    tasks = [
        asyncio.ensure_future(
            _async_one(
                entry,
                WaitPlan(
                    policy,
                    deadline,
                    long_poll=known_long_poll(entry.backend),
                    rng=random.Random(rng.random()),
                ),
                gate,
                events,
                options,
            )
        )
        for entry in pending
    ]
    try:
        async for entry in _async_collect(board, events, len(pending), on_progress, options):
            yield entry
    finally:
        for task in tasks:
            task.cancel()  # cancels the requests in flight too
        await asyncio.gather(*tasks, return_exceptions=True)


async def _next_event(
    events: asyncio.Queue[tuple[str, Entry, Any]], stop: asyncio.Event | None
) -> tuple[str, Entry, Any] | None:
    """The next report, or None when ``stop`` was set first."""
    import asyncio

    if stop is None:
        return await events.get()
    getter = asyncio.ensure_future(events.get())
    stopper = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({getter, stopper}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopper.cancel()
        if not getter.done():
            getter.cancel()
        await asyncio.gather(getter, stopper, return_exceptions=True)
    return None if getter.cancelled() else getter.result()


async def _async_collect(
    board: Board,
    events: asyncio.Queue[tuple[str, Entry, Any]],
    outstanding: int,
    on_progress: OnProgress | None,
    options: dict[str, Any],
) -> AsyncIterator[Entry]:
    timeouts: list[WaitTimeout] = []
    while outstanding:
        event = await _next_event(events, options["stop"])
        if event is None:
            raise board.abandoned()
        report, finished = apply_event(board, event, timeouts)
        if report is not None:
            await call_callback(on_progress, report)
        if finished:
            outstanding -= 1
            if event[1].final is not None:
                yield event[1]
    if board.pending():
        raise board.timeout(timeouts[0].message if timeouts else "deadline passed")


def _async_completions(
    board: Board,
    engine: str,
    via: str,
    policy: WaitPolicy,
    deadline: Deadline,
    max_concurrency: int,
    on_progress: OnProgress | None,
    options: dict[str, Any],
) -> AsyncIterator[Entry]:
    if engine == "batch":
        plan = WaitPlan(batch_policy(policy), deadline, rng=options["rng"])
        return _async_batch(board, plan, on_progress, options)
    return _async_pool(
        board, pool_policy(via, policy), deadline, max_concurrency, on_progress, options
    )


async def async_wait_all(
    items: Iterable[Item],
    *,
    client: Any = None,
    timeout: float | None = DEFAULT,
    via: Via = "auto",
    max_concurrency: int = 32,
    policy: WaitPolicy | None = None,
    on_progress: OnProgress | None = None,
    stop: asyncio.Event | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], Awaitable[None]] | None = None,
    rng: random.Random | None = None,
) -> list[AsyncOperation]:
    """Async :func:`lro.wait_all` (an :class:`lro.AsyncClient`): same arguments,
    semantics and defaults. Cancelling the task cancels every request in flight.

    Args:
        items: operation names (with ``client=``) or snapshots bound to a client.
        client: the :class:`lro.AsyncClient` (or ``client.audit``) for names.
        timeout: one deadline for the whole set, wall-clock seconds; None: forever;
            omitted: the policy's ``default_timeout``.
        via: ``"auto"``, ``"batch"``, ``"long_poll"`` or ``"poll"``.
        max_concurrency: most single waits in flight at once (long_poll / poll).
        policy: the :class:`lro.WaitPolicy`; default: the client's, else the default.
        on_progress: called (or awaited: it may be a coroutine function) with each
            changed snapshot.
        stop: an :class:`asyncio.Event` that abandons the wait (:class:`lro.Cancelled`).
        clock: test seam: the monotonic clock the deadline is measured on.
        sleep: test seam: the (awaitable) sleep between rounds.
        rng: test seam: the random source of the jitter.

    Raises:
        InvalidArgument: an argument of the wrong type or value (nothing was sent).
        WaitAllTimeout: the deadline passed; carries the partial results.
        Cancelled: ``stop`` was set.
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
        asynchronous=True,
    )
    options = {"clock": clock, "sleep": sleep, "rng": rng, "stop": stop}
    completions = (board, engine, via, chosen, deadline, max_concurrency, on_progress, options)
    traced = tracing()
    if traced is None:
        async for _ in _async_completions(*completions):
            pass
        return cast("list[AsyncOperation]", board.results())
    count = {"lro.operation.count": len(board.order)}
    with traced.waiting("lro.wait_all", count, mode_of(engine, via)) as parent:
        async for _ in _async_completions(*completions):
            pass
        results = board.results()
        parent.end("error" if any(op.error for op in results) else "response")
    return cast("list[AsyncOperation]", results)


def async_as_completed(
    items: Iterable[Item],
    *,
    client: Any = None,
    timeout: float | None = DEFAULT,
    via: Via = "auto",
    max_concurrency: int = 32,
    policy: WaitPolicy | None = None,
    on_progress: OnProgress | None = None,
    stop: asyncio.Event | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], Awaitable[None]] | None = None,
    rng: random.Random | None = None,
) -> AsyncIterator[AsyncOperation]:
    """Async :func:`lro.as_completed`: ``async for op in async_as_completed(names,
    client=client): ...``. The arguments are those of :func:`async_wait_all`, checked at
    the call (:class:`lro.InvalidArgument` before anything is sent)."""
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
        asynchronous=True,
    )
    options = {"clock": clock, "sleep": sleep, "rng": rng, "stop": stop}
    already = [entry for entry in board.entries if entry.final is not None]
    stream = _async_completions(
        board, engine, via, chosen, deadline, max_concurrency, on_progress, options
    )
    return _async_finals(already, stream)


async def _async_finals(
    already: list[Entry], stream: AsyncIterator[Entry]
) -> AsyncIterator[AsyncOperation]:
    for entry in already:
        assert entry.final is not None
        yield cast("AsyncOperation", entry.final)
    async for entry in stream:
        assert entry.final is not None
        yield cast("AsyncOperation", entry.final)

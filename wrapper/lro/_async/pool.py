"""A bounded pool of single-operation waiters for the asyncio half: tasks under a
semaphore, reporting to a queue (:func:`lro.async_wait_all`) or to a tracker
(:mod:`lro._async.handles`).

Hand-written: how the halves run many waits at once is where they truly differ (its twin,
:mod:`lro._sync.pool`, runs threads). What the waits share is :mod:`lro._async.wait_many`.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from typing import Any, Protocol

from lro._core.deadlines import Deadline
from lro._core.errors import Error, WaitTimeout
from lro._core.wait_many import Board, Entry, apply_event
from lro._core.wait_plan import WaitPlan
from lro._core.wait_policy import WaitPolicy
from lro._core.waits import OnProgress, has_answered, known_long_poll

from .primitives import call_callback
from .waiting import async_snapshots

__all__ = ["Sink", "pool", "wait_one"]


class Sink(Protocol):
    """Where a waiter task reports: a queue (:func:`pool`'s collector reads it) or a
    tracker that settles its handles at once (:mod:`lro._async.handles`)."""

    def put_nowait(self, item: tuple[str, Entry, Any]) -> None:
        """Take one report: ``(kind, entry, payload)`` (see :func:`apply_event`)."""
        ...


async def wait_one(
    entry: Entry,
    plan: WaitPlan,
    gate: asyncio.Semaphore,
    events: Sink,
    options: dict[str, Any],
) -> None:
    """A waiter task: wait for one entry (once ``gate`` lets it), reporting each snapshot
    and how the wait ended."""
    async with gate:
        try:
            stream = async_snapshots(entry.backend, entry.name, plan, clock=options["clock"])
            async for snapshot in stream:
                events.put_nowait(("snapshot", entry, snapshot))
        except WaitTimeout as error:
            events.put_nowait(("timeout", entry, error))
        except Error as error:
            events.put_nowait(("failed", entry, error))
        except Exception as error:  # a bug must not hang the collector
            events.put_nowait(("crash", entry, error))


async def pool(
    board: Board,
    policy: WaitPolicy,
    deadline: Deadline,
    max_concurrency: int,
    on_progress: OnProgress | None,
    options: dict[str, Any],
) -> AsyncIterator[Entry]:
    """Bounded concurrent async waits; yields entries as they finish."""
    gate = asyncio.Semaphore(max_concurrency)
    events: asyncio.Queue[tuple[str, Entry, Any]] = asyncio.Queue()
    rng: random.Random = options["rng"] or random.Random()
    pending = board.pending()
    tasks = [
        asyncio.ensure_future(
            wait_one(
                entry,
                WaitPlan(
                    policy,
                    deadline,
                    long_poll=known_long_poll(entry.backend, entry.name),
                    answered=has_answered(entry.backend),
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
        async for entry in _collect(board, events, len(pending), on_progress, options):
            yield entry
    finally:
        for task in tasks:
            task.cancel()  # cancels the requests in flight too
        await asyncio.gather(*tasks, return_exceptions=True)


async def _next_event(
    events: asyncio.Queue[tuple[str, Entry, Any]], stop: asyncio.Event | None
) -> tuple[str, Entry, Any] | None:
    """The next report, or None when ``stop`` was set first."""
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


async def _collect(
    board: Board,
    events: asyncio.Queue[tuple[str, Entry, Any]],
    outstanding: int,
    on_progress: OnProgress | None,
    options: dict[str, Any],
) -> AsyncIterator[Entry]:
    """Turn the waiter tasks' reports into completions."""
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

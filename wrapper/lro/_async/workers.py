"""The workers of a pool or a tracker in the asyncio half: tasks. How one starts, is
cancelled and waited for, what a handle is a future of, the queue workers report to.

Hand-written; its twin is :mod:`lro._sync.workers` (daemon threads), with the same names.
"""

from __future__ import annotations

import asyncio
import contextvars
import inspect
import threading
from collections.abc import Callable, Coroutine, Iterable
from typing import Any, TypeVar

from lro._core.errors import FailedPrecondition
from lro._core.waits import Stopped

from .primitives import race_stop

__all__ = [
    "Future",
    "InvalidStateError",
    "Queue",
    "RLock",
    "Worker",
    "background",
    "cancel",
    "get",
    "join",
    "loop_of",
    "spawn",
]

T = TypeVar("T")

#: A tracker's lock: re-entrant (its batch board takes it too).
RLock = threading.RLock

#: What a handle is a future of, and what settling a settled (cancelled) one raises.
Future = asyncio.Future
InvalidStateError = asyncio.InvalidStateError

#: What workers report to; read with :func:`get`.
Queue = asyncio.Queue

#: A worker of a pool or a tracker: a task (:func:`spawn`).
Worker = asyncio.Task[None]


async def get(queue: asyncio.Queue[T], stop: asyncio.Event | None) -> T | Stopped:
    """The queue's next item, or :data:`~lro._core.waits.STOPPED` as soon as ``stop`` is set."""
    return await race_stop(queue.get(), stop)


def spawn(
    work: Callable[[], Coroutine[Any, Any, None]],
    name: str,
    context: contextvars.Context | None = None,
) -> Worker:
    """Run ``work()`` as a task of the running loop, in a copy of ``context`` (default:
    the caller's)."""
    create = asyncio.get_running_loop().create_task
    return (contextvars.copy_context() if context is None else context).run(
        create, work(), name=name
    )


def cancel(workers: Iterable[Worker]) -> None:
    """Cancel the tasks, and so the requests they have in flight, at once."""
    for worker in workers:
        worker.cancel()


async def join(workers: Iterable[Worker], seconds: float) -> None:
    """Await the tasks (but the current one, and any of another loop); a task cancelled
    ends at once (``seconds`` bounds the sync half's joins of threads)."""
    loop, current = asyncio.get_running_loop(), asyncio.current_task()
    mine = [worker for worker in workers if worker is not current and worker.get_loop() is loop]
    await asyncio.gather(*mine, return_exceptions=True)


def background(outcome: object, tasks: set[Worker], on_error: Callable[[Exception], None]) -> None:
    """Await ``outcome`` if it is awaitable (a coroutine callback's, a server cancel's) in
    a task kept in ``tasks`` until it ends; ``on_error`` takes what it raises."""
    if not inspect.isawaitable(outcome):
        return

    async def guarded() -> None:
        try:
            await outcome
        except Exception as error:
            on_error(error)

    task = asyncio.get_running_loop().create_task(guarded())
    tasks.add(task)
    task.add_done_callback(tasks.discard)


def loop_of(what: str, bound: asyncio.AbstractEventLoop | None) -> asyncio.AbstractEventLoop:
    """The running event loop, which must be ``bound`` when given (a client's handles
    live on one loop).

    Raises:
        FailedPrecondition: no loop runs, or another one.
    """
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        raise FailedPrecondition(
            f"cannot {what}: AsyncClient.track needs a running event loop"
        ) from None
    if bound is not None and loop is not bound:
        raise FailedPrecondition(f"cannot {what}: the client's handles live on another event loop")
    return loop

"""The workers of a pool or a tracker in the synchronous half: daemon threads. How one
starts, is cancelled and waited for, what a handle is a future of, the queue workers
report to.

Hand-written; its twin is :mod:`lro._async.workers` (tasks), with the same names. Its own
module because ``concurrent.futures`` costs a millisecond at ``import lro``, and only
handles and pools need it.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Future, InvalidStateError
from queue import Empty
from queue import SimpleQueue as Queue
from typing import TypeVar

from lro._core.waits import SLICE, STOPPED, Stopped

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

logger = logging.getLogger("lro")

T = TypeVar("T")

#: A tracker's lock: re-entrant (its batch board takes it too).
RLock = threading.RLock

#: A worker of a pool or a tracker: a daemon thread (:func:`spawn`).
Worker = threading.Thread

# (Future, InvalidStateError: what a handle is a future of, and what settling a settled,
# cancelled, one raises; Queue: what workers report to, read with :func:`get`.)


def get(queue: Queue[T], stop: threading.Event | None) -> T | Stopped:
    """The queue's next item, or :data:`~lro._core.waits.STOPPED` once ``stop`` is set
    (looked at every :data:`~lro._core.waits.SLICE`, which also lets Ctrl-C in)."""
    while stop is None or not stop.is_set():
        with contextlib.suppress(Empty):
            return queue.get(timeout=SLICE)
    return STOPPED


def spawn(
    work: Callable[[], None], name: str, context: contextvars.Context | None = None
) -> Worker:
    """Run ``work()`` in a daemon thread (it never blocks the interpreter's exit), in
    ``context`` (default: a copy of the caller's)."""
    context = contextvars.copy_context() if context is None else context
    thread = threading.Thread(target=context.run, args=(work,), name=name, daemon=True)
    thread.start()
    return thread


def cancel(workers: Iterable[Worker]) -> None:
    """Nothing: a thread cannot be cancelled; it notices its stop event (set before)
    within the policy's ``stop_latency``."""


def join(workers: Iterable[Worker], seconds: float) -> None:
    """Wait up to ``seconds`` for each thread but the current one (closing the tracker
    from a handle's callback); one still alive then is logged."""
    for worker in workers:
        if worker is not threading.current_thread():
            worker.join(seconds)
            if worker.is_alive():
                logger.warning("%s did not stop in time", worker.name)


def background(outcome: object, tasks: set[Worker], on_error: Callable[[Exception], None]) -> None:
    """Nothing: the callback, or the server cancel, has run (and raised, if it failed)."""


def loop_of(what: str, bound: object) -> object:
    """None: no event loop, handles are tracked from any thread."""
    return None

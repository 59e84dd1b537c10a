"""Waiting for many operations at once: :func:`wait_all` and :func:`as_completed`
(and :func:`async_wait_all`, :func:`async_as_completed`), with one deadline for all.

Two ways to watch a set, picked by ``via``:

* ``"batch"`` (the default on the audited view): rounds of ``batchGet`` (at most 1000
  names per request), asking only for the operations not yet done, paced by the policy's
  polling schedule. A thousand operations cost a handful of requests per round.
* ``"long_poll"`` (the default on the standard view, which has no batch call): up to
  ``max_concurrency`` single-operation waiters at a time, each using the ``:wait``
  long-poll (falling back to polling like :func:`lro.waiting.wait`). ``"poll"`` is the
  same with GET polling only.

The batch engine needs ``get_many(names) -> list[Operation]`` on the client (at most 1000
names, answers in request order, atomic: an unknown name fails the call with a NOT_FOUND
naming it), which :attr:`lro.Client.audit` has; ``"auto"`` picks it when every client's
``view`` is ``"audited"``.

Results keep input order. An operation that fails is a result like any other (its
``.error`` is set); so is one that cannot be waited for (NOT_FOUND naming it, or a
permanent error of its own request): it is reported as a done snapshot whose ``error``
is that error. Only the deadline raises: :class:`WaitAllTimeout` lists the operations not
done and carries the latest snapshot of each.
"""

from __future__ import annotations

import queue
import random
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from .errors import Cancelled, Error, InvalidArgument, NotFound, WaitTimeout
from .operation import Operation
from .polling import (
    DEFAULT,
    Deadline,
    Fetch,
    GiveUp,
    SnapshotTracker,
    WaitPlan,
    WaitPolicy,
    resolve_timeout,
)
from .waiting import (
    OnProgress,
    async_snapshots,
    call_callback,
    known_long_poll,
    policy_for,
    snapshots,
)

if TYPE_CHECKING:
    import asyncio  # imported lazily at run time: `import lro` stays cheap

__all__ = [
    "MAX_BATCH",
    "Item",
    "Via",
    "WaitAllTimeout",
    "as_completed",
    "async_as_completed",
    "async_wait_all",
    "wait_all",
]

#: Most names in one batchGet request (the API's limit).
MAX_BATCH = 1000

#: An operation to wait for: its name (with ``client=``) or a snapshot bound to a client.
Item = str | Operation

#: How :func:`wait_all` watches the set; see the module documentation.
Via = Literal["auto", "batch", "long_poll", "poll"]

_SLICE = 0.25  # how often the collecting thread looks at Ctrl-C and the stop event


class WaitAllTimeout(WaitTimeout):
    """The deadline of :func:`wait_all` / :func:`as_completed` passed with operations
    still running (code DEADLINE_EXCEEDED; a :class:`lro.WaitTimeout`).

    Attributes:
        operations: in input order, the final snapshot of each done operation and the
            latest snapshot of each other one (None if none could be fetched).
        not_done: names of the operations not done, in input order.
    """

    def __init__(
        self,
        message: str = "",
        *,
        operations: Sequence[Operation | None] = (),
        not_done: Sequence[str] = (),
        **kwargs: Any,
    ) -> None:
        """Build the error; other keywords as for :class:`lro.WaitTimeout`."""
        super().__init__(message, **kwargs)
        self.operations: list[Operation | None] = list(operations)
        self.not_done: list[str] = list(not_done)


# ---------------------------------------------------------------------------------------
# Bookkeeping shared by every engine


@dataclass(eq=False)
class _Entry:
    """One distinct (backend, name) to watch; several inputs may share it."""

    name: str
    backend: Any
    latest: Operation | None = None
    final: Operation | None = None
    tracker: SnapshotTracker = field(default_factory=SnapshotTracker)


class _Board:
    """The state of a multi-wait: entries, input order, what is done."""

    def __init__(self, items: Iterable[Item], client: Any) -> None:
        self.entries: list[_Entry] = []
        self.order: list[_Entry] = []
        seen: dict[tuple[int, str], _Entry] = {}
        for item in items:
            name, backend, snapshot = _resolve(item, client)
            entry = seen.get((id(backend), name))
            if entry is None:
                entry = seen[(id(backend), name)] = _Entry(name, backend)
                self.entries.append(entry)
            if snapshot is not None:
                self.observe(entry, snapshot)
            self.order.append(entry)

    def pending(self) -> list[_Entry]:
        """Entries not done yet."""
        return [entry for entry in self.entries if entry.final is None]

    def observe(self, entry: _Entry, snapshot: Operation) -> tuple[bool, bool]:
        """Record a snapshot; returns ``(changed, newly_done)``."""
        if entry.final is not None:
            return False, False
        entry.latest = snapshot
        changed = entry.tracker.changed(snapshot)
        if snapshot.done:
            entry.final = snapshot
        return changed, snapshot.done

    def fail(self, entry: _Entry, error: Error) -> Operation:
        """Finish ``entry`` with a done snapshot carrying ``error`` (it cannot be waited
        for: NOT_FOUND, PERMISSION_DENIED, ...)."""
        status = {"name": entry.name, "done": True, "error": error.status_dict()}
        entry.final = entry.latest = Operation.from_dict(status, client=entry.backend)
        return entry.final

    def results(self) -> list[Operation]:
        """Final snapshots in input order (all entries must be done)."""
        return [entry.final for entry in self.order if entry.final is not None]

    def abandoned(self) -> Cancelled:
        """The error of a multi-wait abandoned through its ``stop`` event."""
        return Cancelled(
            f"waiting for {len(self.order)} operations was abandoned (stop event set) with "
            f"{len(self.pending())} not done; the operations themselves were not cancelled"
        )

    def timeout(self, reason: str, cause: BaseException | None = None) -> WaitAllTimeout:
        """The error for a deadline that passed with entries still running."""
        not_done = [entry.name for entry in self.order if entry.final is None]
        error = WaitAllTimeout(
            f"{len(not_done)} of {len(self.order)} operations are not done: {reason}",
            operations=[entry.final or entry.latest for entry in self.order],
            not_done=not_done,
        )
        error.__cause__ = cause
        return error


def _resolve(item: Item, client: Any) -> tuple[str, Any, Operation | None]:
    """``(name, backend, known snapshot)`` of one input."""
    if isinstance(item, Operation):
        backend = client if client is not None else item.client
        if backend is None:
            raise InvalidArgument(
                f"operation {item.name or '(unnamed)'} is not bound to a client; pass client="
            )
        return item.name, backend, item
    if isinstance(item, str):
        if client is None:
            raise InvalidArgument(f"waiting for {item!r} by name needs client=")
        return item, client, None
    raise InvalidArgument(f"expected an operation name or an lro.Operation, got {item!r}")


def _choose(via: str, board: _Board) -> str:
    """The engine: ``"batch"`` or ``"pool"`` (long-poll or poll)."""
    if via not in ("auto", "batch", "long_poll", "poll"):
        raise InvalidArgument(f"via must be 'auto', 'batch', 'long_poll' or 'poll', got {via!r}")
    batchable = all(hasattr(entry.backend, "get_many") for entry in board.entries)
    if via == "batch" and not batchable:
        raise InvalidArgument("via='batch' needs clients with get_many (the audited view)")
    if via == "auto":
        audited = all(getattr(e.backend, "view", None) == "audited" for e in board.entries)
        return "batch" if batchable and audited and board.entries else "pool"
    return "batch" if via == "batch" else "pool"


def _pool_policy(via: str, policy: WaitPolicy) -> WaitPolicy:
    return policy.replace(long_poll=False) if via == "poll" else policy


def _groups(entries: list[_Entry]) -> list[list[_Entry]]:
    """Entries grouped by backend, then in chunks of :data:`MAX_BATCH`."""
    by_backend: dict[int, list[_Entry]] = {}
    for entry in entries:
        by_backend.setdefault(id(entry.backend), []).append(entry)
    return [
        group[start : start + MAX_BATCH]
        for group in by_backend.values()
        for start in range(0, len(group), MAX_BATCH)
    ]


def _culprit(error: Error, chunk: list[_Entry]) -> _Entry | None:
    """The entry a batchGet NOT_FOUND names (batchGet is atomic), if it is one of ours."""
    if not isinstance(error, NotFound):
        return None
    info = error.error_info
    named = {error.operation_name, info.metadata.get("name") if info else None}
    return next((entry for entry in chunk if entry.name in named), None)


@dataclass
class _Round:
    """What one batch round saw: changed snapshots, newly done entries, an error."""

    changed: list[Operation] = field(default_factory=list)
    done: list[_Entry] = field(default_factory=list)
    error: Error | None = None

    def apply(self, board: _Board, chunk: list[_Entry], snapshots: list[Operation]) -> None:
        """Record a batch answer: in request order (the API's contract), so positions
        match even when the server spells a name differently (``%2F``)."""
        pairs: Iterable[tuple[_Entry, Operation]] = zip(chunk, snapshots, strict=False)
        if len(snapshots) != len(chunk):  # not the contract: match what matches by name
            by_name = {snapshot.name: snapshot for snapshot in snapshots}
            pairs = [(entry, by_name[entry.name]) for entry in chunk if entry.name in by_name]
        for entry, snapshot in pairs:
            changed, done = board.observe(entry, snapshot)
            if changed:
                self.changed.append(snapshot)
            if done:
                self.done.append(entry)

    def failed(self, board: _Board, entry: _Entry, error: Error) -> None:
        """Record an entry that cannot be waited for (named by a NOT_FOUND)."""
        self.changed.append(board.fail(entry, error))
        self.done.append(entry)


def _without(chunk: list[_Entry], entry: _Entry) -> list[_Entry]:
    return [other for other in chunk if other is not entry]


def _start(
    items: Iterable[Item],
    client: Any,
    timeout: Any,
    policy: WaitPolicy | None,
    via: str,
    max_concurrency: int,
    clock: Callable[[], float],
) -> tuple[_Board, str, WaitPolicy, Deadline]:
    """Validate the arguments of a multi-wait and set it up."""
    if max_concurrency < 1:
        raise InvalidArgument(f"max_concurrency must be >= 1, got {max_concurrency!r}")
    board = _Board(items, client)
    first = board.entries[0].backend if board.entries else client
    chosen = policy_for(first, policy)
    deadline = Deadline(resolve_timeout(timeout, chosen), clock)
    return board, _choose(via, board), chosen, deadline


# ---------------------------------------------------------------------------------------
# Sync engines


def _sync_round(board: _Board) -> _Round:
    """One batchGet round over every entry not done (stops at the first failure)."""
    seen = _Round()
    for chunk in _groups(board.pending()):
        while chunk:
            try:
                snapshots = chunk[0].backend.get_many([entry.name for entry in chunk])
            except Error as error:
                culprit = _culprit(error, chunk)
                if culprit is None:
                    seen.error = error
                    return seen
                seen.failed(board, culprit, error)
                chunk = _without(chunk, culprit)
                continue
            seen.apply(board, chunk, snapshots)
            break
    return seen


def _sync_batch(
    board: _Board,
    plan: WaitPlan,
    on_progress: OnProgress | None,
    clock: Callable[[], float],
    sleep: Callable[[float], None],
    stop: threading.Event | None,
) -> Iterator[_Entry]:
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
        seen = _sync_round(board)
        for snapshot in seen.changed:
            if on_progress is not None:
                on_progress(snapshot)
        yield from seen.done
        if seen.error is not None:
            plan.on_error(seen.error, action)
        else:
            plan.on_snapshot(not board.pending(), action, clock() - started)


def _worker(
    jobs: queue.SimpleQueue[_Entry],
    events: queue.SimpleQueue[tuple[str, _Entry, Any]],
    make_plan: Callable[[_Entry], WaitPlan],
    halt: threading.Event,
    clock: Callable[[], float],
    sleep: Callable[[float], None] | None,
) -> None:
    """A pool thread: waits for one entry at a time and reports what it sees."""
    while not halt.is_set():
        try:
            entry = jobs.get_nowait()
        except queue.Empty:
            return
        try:
            stream = snapshots(
                entry.backend, entry.name, make_plan(entry), clock=clock, sleep=sleep, stop=halt
            )
            for snapshot in stream:
                events.put(("snapshot", entry, snapshot))
        except WaitTimeout as error:
            events.put(("timeout", entry, error))
        except Error as error:
            if halt.is_set():
                return  # abandoned: nobody is listening any more
            events.put(("failed", entry, error))
        except BaseException as error:  # a bug must not hang the collector
            events.put(("crash", entry, error))
            return


def _sync_pool(
    board: _Board,
    policy: WaitPolicy,
    deadline: Deadline,
    max_concurrency: int,
    on_progress: OnProgress | None,
    options: dict[str, Any],
) -> Iterator[_Entry]:
    """Bounded concurrent single waits (daemon threads); yields entries as they finish."""
    pending = board.pending()
    jobs: queue.SimpleQueue[_Entry] = queue.SimpleQueue()
    events: queue.SimpleQueue[tuple[str, _Entry, Any]] = queue.SimpleQueue()
    for entry in pending:
        jobs.put(entry)
    halt = threading.Event()
    rng: random.Random = options["rng"] or random.Random()

    def make_plan(entry: _Entry) -> WaitPlan:
        return WaitPlan(
            policy,
            deadline,
            long_poll=known_long_poll(entry.backend),
            rng=random.Random(rng.random()),
            stoppable=True,  # caps windows so that halting never waits for a long-poll
        )

    args = (jobs, events, make_plan, halt, options["clock"], options["sleep"])
    threads = [
        threading.Thread(target=_worker, args=args, name=f"lro-wait-{i}", daemon=True)
        for i in range(min(max_concurrency, len(pending)))
    ]
    for thread in threads:
        thread.start()
    try:
        yield from _collect(board, events, len(pending), on_progress, options["stop"])
    finally:
        halt.set()  # workers stop at their next step; daemon threads never block exit


def _collect(
    board: _Board,
    events: queue.SimpleQueue[tuple[str, _Entry, Any]],
    outstanding: int,
    on_progress: OnProgress | None,
    stop: threading.Event | None,
) -> Iterator[_Entry]:
    """Turn the workers' reports into completions, in the caller's thread."""
    timeouts: list[WaitTimeout] = []
    while outstanding:
        if stop is not None and stop.is_set():
            raise board.abandoned()
        try:
            event = events.get(timeout=_SLICE)
        except queue.Empty:
            continue
        report, finished = _apply_event(board, event, timeouts)
        if report is not None and on_progress is not None:
            on_progress(report)
        if finished:
            outstanding -= 1
            if event[1].final is not None:
                yield event[1]
    if board.pending():
        raise board.timeout(timeouts[0].message if timeouts else "deadline passed")


def _apply_event(
    board: _Board, event: tuple[str, _Entry, Any], timeouts: list[WaitTimeout]
) -> tuple[Operation | None, bool]:
    """Apply a worker's report: returns the snapshot to pass to ``on_progress`` (None if
    nothing changed) and whether the entry is finished (done, failed or out of time)."""
    kind, entry, payload = event
    if kind == "crash":
        raise payload
    if kind == "timeout":
        entry.latest = payload.operation or entry.latest
        timeouts.append(payload)
        return None, True
    if kind == "failed":
        return board.fail(entry, payload), True
    changed, done = board.observe(entry, payload)
    return (payload if changed else None), done


def _batch_policy(policy: WaitPolicy) -> WaitPolicy:
    """The schedule of batch rounds: polling, with sleeps capped at ``batch_max_delay``
    (one round costs one request per 1000 operations, so it can afford to be brisk)."""
    cap = policy.batch_max_delay
    return policy.replace(
        long_poll=False,
        initial_delay=min(policy.initial_delay, cap),
        max_delay=min(policy.max_delay, cap),
    )


def _sync_completions(
    board: _Board,
    engine: str,
    via: str,
    policy: WaitPolicy,
    deadline: Deadline,
    max_concurrency: int,
    on_progress: OnProgress | None,
    options: dict[str, Any],
) -> Iterator[_Entry]:
    if engine == "batch":
        plan = WaitPlan(_batch_policy(policy), deadline, rng=options["rng"], stoppable=False)
        sleep = options["sleep"] or _interruptible_sleep(options["stop"])
        return _sync_batch(board, plan, on_progress, options["clock"], sleep, options["stop"])
    return _sync_pool(
        board, _pool_policy(via, policy), deadline, max_concurrency, on_progress, options
    )


def _interruptible_sleep(stop: threading.Event | None) -> Callable[[float], None]:
    event = stop or threading.Event()

    def sleep(seconds: float) -> None:
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0 and not event.wait(min(left, _SLICE)):
            pass

    return sleep


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
        policy: the :class:`~lro.polling.WaitPolicy` (schedule between batch rounds, and
            of each single wait); default: the client's, else the default policy.
        on_progress: called in the caller's thread with each changed snapshot.
        stop: a :class:`threading.Event` that abandons the wait (:class:`lro.Cancelled`).
        clock: injectable monotonic clock (tests).
        sleep: injectable sleep (tests).
        rng: injectable random source for jitter (tests).

    Raises:
        WaitAllTimeout: the deadline passed; carries the partial results.
        Cancelled: ``stop`` was set.
        Error: a batch request failed permanently without naming an operation.
    """
    board, engine, chosen, deadline = _start(
        items, client, timeout, policy, via, max_concurrency, clock
    )
    options = {"clock": clock, "sleep": sleep, "rng": rng, "stop": stop}
    for _ in _sync_completions(
        board, engine, via, chosen, deadline, max_concurrency, on_progress, options
    ):
        pass
    return board.results()


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

    Same arguments as :func:`wait_all`; after yielding every operation done in time it
    raises :class:`WaitAllTimeout` at the deadline. Closing the iterator early stops
    the waiting (worker threads end within ``policy.stop_latency``).
    """
    board, engine, chosen, deadline = _start(
        items, client, timeout, policy, via, max_concurrency, clock
    )
    options = {"clock": clock, "sleep": sleep, "rng": rng, "stop": stop}
    already = [entry for entry in board.entries if entry.final is not None]
    stream = _sync_completions(
        board, engine, via, chosen, deadline, max_concurrency, on_progress, options
    )
    return _finals(already, stream)


def _finals(already: list[_Entry], stream: Iterator[_Entry]) -> Iterator[Operation]:
    for entry in already:
        assert entry.final is not None
        yield entry.final
    for entry in stream:
        assert entry.final is not None
        yield entry.final


# ---------------------------------------------------------------------------------------
# Async engines


async def _async_round(board: _Board) -> _Round:
    """Async :func:`_sync_round`."""
    seen = _Round()
    for chunk in _groups(board.pending()):
        while chunk:
            try:
                snapshots = await chunk[0].backend.get_many([entry.name for entry in chunk])
            except Error as error:
                culprit = _culprit(error, chunk)
                if culprit is None:
                    seen.error = error
                    return seen
                seen.failed(board, culprit, error)
                chunk = _without(chunk, culprit)
                continue
            seen.apply(board, chunk, snapshots)
            break
    return seen


async def _async_batch(
    board: _Board,
    plan: WaitPlan,
    on_progress: OnProgress | None,
    options: dict[str, Any],
) -> AsyncIterator[_Entry]:
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
        seen = await _async_round(board)
        for snapshot in seen.changed:
            await call_callback(on_progress, snapshot)
        for entry in seen.done:
            yield entry
        if seen.error is not None:
            plan.on_error(seen.error, action)
        else:
            plan.on_snapshot(not board.pending(), action, clock() - started)


async def _async_one(
    entry: _Entry,
    plan: WaitPlan,
    gate: asyncio.Semaphore,
    events: asyncio.Queue[tuple[str, _Entry, Any]],
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
    board: _Board,
    policy: WaitPolicy,
    deadline: Deadline,
    max_concurrency: int,
    on_progress: OnProgress | None,
    options: dict[str, Any],
) -> AsyncIterator[_Entry]:
    """Bounded concurrent async waits; yields entries as they finish."""
    import asyncio

    gate = asyncio.Semaphore(max_concurrency)
    events: asyncio.Queue[tuple[str, _Entry, Any]] = asyncio.Queue()
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
    events: asyncio.Queue[tuple[str, _Entry, Any]], stop: asyncio.Event | None
) -> tuple[str, _Entry, Any] | None:
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
    board: _Board,
    events: asyncio.Queue[tuple[str, _Entry, Any]],
    outstanding: int,
    on_progress: OnProgress | None,
    options: dict[str, Any],
) -> AsyncIterator[_Entry]:
    timeouts: list[WaitTimeout] = []
    while outstanding:
        event = await _next_event(events, options["stop"])
        if event is None:
            raise board.abandoned()
        report, finished = _apply_event(board, event, timeouts)
        if report is not None:
            await call_callback(on_progress, report)
        if finished:
            outstanding -= 1
            if event[1].final is not None:
                yield event[1]
    if board.pending():
        raise board.timeout(timeouts[0].message if timeouts else "deadline passed")


def _async_completions(
    board: _Board,
    engine: str,
    via: str,
    policy: WaitPolicy,
    deadline: Deadline,
    max_concurrency: int,
    on_progress: OnProgress | None,
    options: dict[str, Any],
) -> AsyncIterator[_Entry]:
    if engine == "batch":
        plan = WaitPlan(_batch_policy(policy), deadline, rng=options["rng"])
        return _async_batch(board, plan, on_progress, options)
    return _async_pool(
        board, _pool_policy(via, policy), deadline, max_concurrency, on_progress, options
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
) -> list[Operation]:
    """Async :func:`wait_all` (an :class:`lro.AsyncClient`): same semantics and
    defaults. ``on_progress`` may be a coroutine function; ``stop`` an
    :class:`asyncio.Event`; cancelling the task cancels every request in flight."""
    board, engine, chosen, deadline = _start(
        items, client, timeout, policy, via, max_concurrency, clock
    )
    options = {"clock": clock, "sleep": sleep, "rng": rng, "stop": stop}
    stream = _async_completions(
        board, engine, via, chosen, deadline, max_concurrency, on_progress, options
    )
    async for _ in stream:
        pass
    return board.results()


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
) -> AsyncIterator[Operation]:
    """Async :func:`as_completed`: ``async for op in async_as_completed(names,
    client=client): ...``. Arguments are checked at the call."""
    board, engine, chosen, deadline = _start(
        items, client, timeout, policy, via, max_concurrency, clock
    )
    options = {"clock": clock, "sleep": sleep, "rng": rng, "stop": stop}
    already = [entry for entry in board.entries if entry.final is not None]
    stream = _async_completions(
        board, engine, via, chosen, deadline, max_concurrency, on_progress, options
    )
    return _async_finals(already, stream)


async def _async_finals(
    already: list[_Entry], stream: AsyncIterator[_Entry]
) -> AsyncIterator[Operation]:
    for entry in already:
        assert entry.final is not None
        yield entry.final
    async for entry in stream:
        assert entry.final is not None
        yield entry.final

"""The bookkeeping of waiting for many operations at once (no I/O), shared by
``lro.wait_all`` / ``lro.as_completed`` and their async twins, with one deadline for all.

Two ways to watch a set, picked by ``via``:

* ``"batch"`` (the default on the audited view): rounds of ``batchGet`` (at most 1000
  names per request), asking only for the operations not yet done, paced by the policy's
  polling schedule. A thousand operations cost a handful of requests per round.
* ``"long_poll"`` (the default on the standard view, which has no batch call): up to
  ``max_concurrency`` single-operation waiters at a time, each using the ``:wait``
  long-poll (falling back to polling like :func:`lro._sync.waiting.wait`). ``"poll"`` is the
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

import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from .checks import check_callable, check_instance, check_positive_int, check_stop, shown
from .clock import SYSTEM_CLOCK, Clock, check_clock
from .deadlines import Deadline, resolve_timeout
from .errors import (
    Cancelled,
    ConnectError,
    Error,
    InvalidArgument,
    NotFound,
    WaitAllTimeout,
    WaitTimeout,
)
from .eta import Estimates
from .recipes import MAX_BATCH
from .snapshot import Snapshot
from .wait_plan import SnapshotTracker, WaitPlan
from .wait_policy import WaitPolicy
from .waits import clock_of, has_answered, known_long_poll, policy_for, route_memory

__all__ = [
    "Board",
    "Entry",
    "Item",
    "Round",
    "Via",
    "apply_event",
    "batch_policy",
    "culprit",
    "groups",
    "pool_policy",
    "single_plan",
    "start",
    "without",
]

#: An operation to wait for: its name (with ``client=``) or a snapshot bound to a client.
Item = str | Snapshot

#: How :func:`wait_all` watches the set; see the module documentation.
Via = Literal["auto", "batch", "long_poll", "poll"]

# ---------------------------------------------------------------------------------------
# Bookkeeping shared by every engine


@dataclass(eq=False)
class Entry:
    """One distinct (backend, name) to watch; several inputs may share it."""

    name: str
    backend: Any
    latest: Snapshot | None = None
    final: Snapshot | None = None
    tracker: SnapshotTracker = field(default_factory=SnapshotTracker)
    estimates: Estimates | None = None  # batch rounds' time-left estimate (lro._core.eta)


class Board:
    """The state of a multi-wait: entries, input order, what is done."""

    def __init__(self, items: Iterable[Item], client: Any, clock: Clock = SYSTEM_CLOCK) -> None:
        self.clock = clock  # what the time-left estimates of batch rounds are read on
        self.entries: list[Entry] = []
        self.order: list[Entry] = []
        self._index: dict[tuple[int, str], Entry] = {}
        for item in items:
            self.add(item, client)

    def add(self, item: Item, client: Any) -> tuple[Entry, bool]:
        """Add one input (also after the wait started: a tracker's board grows); returns
        its entry and whether that entry is new (an input already there shares it)."""
        name, backend, snapshot = resolve(item, client)
        entry = self._index.get((id(backend), name))
        new = entry is None
        if entry is None:
            entry = self._index[(id(backend), name)] = Entry(name, backend)
            self.entries.append(entry)
        if snapshot is not None:
            self.observe(entry, snapshot)
        self.order.append(entry)
        return entry, new

    def remove(self, entry: Entry) -> None:
        """Forget ``entry`` and its inputs (a tracker's finished or abandoned entry)."""
        if self._index.get((id(entry.backend), entry.name)) is entry:
            del self._index[(id(entry.backend), entry.name)]
        self.entries = [other for other in self.entries if other is not entry]
        self.order = [other for other in self.order if other is not entry]

    def stamp(self, entry: Entry, snapshot: Snapshot) -> Snapshot:
        """``snapshot`` of a batch round, carrying ``entry``'s time-left estimate (a single
        waiter's snapshots carry its own: lro._core.eta.Pace)."""
        if entry.estimates is None:
            entry.estimates = Estimates(self.clock.monotonic)
        return entry.estimates.see(snapshot)

    def pending(self) -> list[Entry]:
        """Entries not done yet."""
        return [entry for entry in self.entries if entry.final is None]

    def observe(self, entry: Entry, snapshot: Snapshot) -> tuple[bool, bool]:
        """Record a snapshot; returns ``(changed, newly_done)``."""
        if entry.final is not None:
            return False, False
        entry.latest = snapshot
        changed = entry.tracker.changed(snapshot)
        if snapshot.done:
            entry.final = snapshot
        return changed, snapshot.done

    def fail(self, entry: Entry, error: Error) -> Snapshot:
        """Finish ``entry`` with a done snapshot carrying ``error`` (it cannot be waited
        for: NOT_FOUND, PERMISSION_DENIED, ...)."""
        status = {"name": entry.name, "done": True, "error": error.status_dict()}
        # The backend's own kind of snapshot (lro.Operation or lro.AsyncOperation).
        make = getattr(entry.backend, "_operation_class", Snapshot)
        entry.final = entry.latest = make.from_dict(status, client=entry.backend)
        return entry.final

    def results(self) -> list[Snapshot]:
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


def resolve(item: Item, client: Any) -> tuple[str, Any, Snapshot | None]:
    """``(name, backend, known snapshot)`` of one input."""
    if isinstance(item, Snapshot):
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


def choose(via: str, board: Board) -> str:
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


def pool_policy(via: str, policy: WaitPolicy) -> WaitPolicy:
    return policy.replace(long_poll=False) if via == "poll" else policy


def groups(entries: list[Entry]) -> list[list[Entry]]:
    """Entries grouped by backend, then in chunks of :data:`MAX_BATCH`."""
    by_backend: dict[int, list[Entry]] = {}
    for entry in entries:
        by_backend.setdefault(id(entry.backend), []).append(entry)
    return [
        group[start : start + MAX_BATCH]
        for group in by_backend.values()
        for start in range(0, len(group), MAX_BATCH)
    ]


def culprit(error: Error, chunk: list[Entry]) -> Entry | None:
    """The entry a batchGet NOT_FOUND names (batchGet is atomic), if it is one of ours."""
    if not isinstance(error, NotFound):
        return None
    info = error.error_info
    named = {error.operation_name, info.metadata.get("name") if info else None}
    return next((entry for entry in chunk if entry.name in named), None)


@dataclass
class Round:
    """What one batch round saw: changed snapshots, newly done entries, an error."""

    changed: list[Snapshot] = field(default_factory=list)
    done: list[Entry] = field(default_factory=list)
    error: Error | None = None

    def apply(self, board: Board, chunk: list[Entry], snapshots: list[Snapshot]) -> None:
        """Record a batch answer: in request order (the API's contract), so positions
        match even when the server spells a name differently (``%2F``)."""
        pairs: Iterable[tuple[Entry, Snapshot]] = zip(chunk, snapshots, strict=False)
        if len(snapshots) != len(chunk):  # not the contract: match what matches by name
            by_name = {snapshot.name: snapshot for snapshot in snapshots}
            pairs = [(entry, by_name[entry.name]) for entry in chunk if entry.name in by_name]
        for entry, answer in pairs:
            snapshot = board.stamp(entry, answer)
            changed, done = board.observe(entry, snapshot)
            if changed:
                self.changed.append(snapshot)
            if done:
                self.done.append(entry)

    def failed(self, board: Board, entry: Entry, error: Error) -> None:
        """Record an entry that cannot be waited for (named by a NOT_FOUND)."""
        self.changed.append(board.fail(entry, error))
        self.done.append(entry)


def without(chunk: list[Entry], entry: Entry) -> list[Entry]:
    return [other for other in chunk if other is not entry]


def start(
    items: Iterable[Item],
    client: Any,
    timeout: Any,
    policy: WaitPolicy | None,
    via: str,
    max_concurrency: int,
    clock: Clock | None,
    *,
    on_progress: object = None,
    stop: object = None,
    rng: object = None,
    asynchronous: bool = False,
) -> tuple[Board, str, WaitPolicy, Deadline]:
    """Check the arguments of a multi-wait (before any request) and set it up.

    Raises:
        InvalidArgument: naming the first argument of the wrong type or value.
    """
    if isinstance(items, str | Snapshot) or not isinstance(items, Iterable):
        raise InvalidArgument(
            f"items must be an iterable of operation names or lro.Operations, got {shown(items)}"
        )
    check_positive_int(max_concurrency, "max_concurrency")
    check_instance(policy, WaitPolicy, "policy", "an lro.WaitPolicy")
    check_callable(on_progress, "on_progress")
    check_stop(stop, asynchronous=asynchronous)
    given = None if clock is None else check_clock(clock)
    check_instance(rng, random.Random, "rng", "a random.Random")
    board = Board(items, client)
    first = board.entries[0].backend if board.entries else client
    board.clock = clock_of(first, given)
    chosen = policy_for(first, policy)
    deadline = Deadline(resolve_timeout(timeout, chosen), board.clock.monotonic)
    return board, choose(via, board), chosen, deadline


def apply_event(
    board: Board, event: tuple[str, Entry, Any], timeouts: list[WaitTimeout]
) -> tuple[Snapshot | None, bool]:
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
        if isinstance(payload, ConnectError):
            raise payload  # its server never answered (WaitPlan): the wait fails with it
        return board.fail(entry, payload), True
    changed, done = board.observe(entry, payload)
    return (payload if changed else None), done


def single_plan(
    entry: Entry, policy: WaitPolicy, deadline: Deadline, rng: random.Random, **flags: bool
) -> WaitPlan:
    """The plan of a pool worker's wait for one entry: what its client learnt of the route
    (long-poll or not, whether its server ever answered), a jitter source of its own, and
    ``flags`` (``stoppable``, ``watching``: see :class:`WaitPlan`)."""
    return WaitPlan(
        policy,
        deadline,
        long_poll=known_long_poll(entry.backend, entry.name),
        answered=has_answered(entry.backend),
        learn=route_memory(entry.backend, entry.name),
        rng=random.Random(rng.random()),
        **flags,
    )


def batch_policy(policy: WaitPolicy) -> WaitPolicy:
    """The schedule of batch rounds: polling, with sleeps capped at ``batch_max_delay``
    (one round costs one request per 1000 operations, so it can afford to be brisk)."""
    cap = policy.batch_max_delay
    return policy.replace(
        long_poll=False,
        initial_delay=min(policy.initial_delay, cap),
        max_delay=min(policy.max_delay, cap),
    )

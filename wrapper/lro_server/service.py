"""What the operations mean: both views' semantics over one store, and waiting.

Operations are handled as their audited JSON (`V1Operation`); the standard view
is a projection of it. Every change goes through `_write`, which commits to the
store and then wakes the `:wait` calls held on the changed operations, so a
waiter answers the moment its operation finishes and no one polls.

All methods run on the event-loop thread. None of them awaits between reading an
operation and writing it back, so each read-modify-write is atomic.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from .errors import ApiError, Code, client_gone, error_info, invalid_argument, not_found
from .filters import parse_filter
from .messages import Gone
from .names import new_name, validate_name
from .paging import PageTokens, fingerprint, page_size
from .store import RequestKey, Selection, Store, TooLarge
from .wire import NANOS_PER_SECOND, JsonObject, format_timestamp

MAX_BATCH = 1000
MAX_REQUEST_ID_LENGTH = 256
# A list page stops early (with a nextPageToken) before its operations' JSON passes this.
DEFAULT_MAX_PAGE_BYTES = 1024 * 1024
# A batch (batchGet, batchMarkSeenByCreator) whose operations' JSON passes this is refused:
# batches are atomic (AIP-231), so there is no partial answer to give instead.
DEFAULT_MAX_BATCH_BYTES = 16 * 1024 * 1024
# Held `:wait`s when the caller does not say (a server derives its own from its connections).
DEFAULT_MAX_HELD_WAITS = 256

# Field order of a V1Operation on the wire; the standard view is its first-class subset.
_AUDITED_FIELDS = (
    "name",
    "createTime",
    "creator",
    "updateTime",
    "updater",
    "deleteTime",
    "deleter",
    "metadata",
    "done",
    "error",
    "response",
    "seenByCreatorTime",
)
_STANDARD_FIELDS = ("name", "metadata", "done", "error", "response")


def standard_view(op: JsonObject) -> JsonObject:
    return {key: op[key] for key in _STANDARD_FIELDS if key in op}


def basic_view(op: JsonObject) -> JsonObject:
    """OPERATION_VIEW_BASIC: everything but the (possibly large) response."""
    return {key: value for key, value in op.items() if key != "response"}


def status(code: Code, message: str, reason: str, name: str) -> JsonObject:
    """A google.rpc.Status for Operation.error, with only an ErrorInfo detail."""
    return {"code": int(code), "message": message, "details": [error_info(reason, {"name": name})]}


class WaitSlots:
    """How many `:wait`s may be held at once: in all (`limit`) and per principal
    (`per_principal`; in open mode everyone is `anonymous`, one principal). Both are kept
    below the connection limit, so ordinary requests always have connections left."""

    def __init__(self, limit: int, per_principal: int) -> None:
        self.limit = limit
        self.per_principal = per_principal
        self.held = 0
        self._by_principal: dict[str, int] = {}

    def take(self, principal: str) -> bool:
        mine = self._by_principal.get(principal, 0)
        if self.held >= self.limit or mine >= self.per_principal:
            return False
        self.held += 1
        self._by_principal[principal] = mine + 1
        return True

    def give(self, principal: str) -> None:
        self.held -= 1
        left = self._by_principal[principal] - 1
        if left:
            self._by_principal[principal] = left
        else:
            del self._by_principal[principal]


@dataclass(frozen=True)
class Page:
    operations: list[JsonObject]
    next_page_token: str
    total_size: int


@dataclass(frozen=True)
class Step:
    """A change a simulation makes: new metadata (if any), or the end (error or response)."""

    name: str
    metadata: JsonObject | None = None
    error: JsonObject | None = None
    response: JsonObject | None = None


class Operations:
    def __init__(
        self,
        store: Store,
        *,
        max_wait_seconds: float,
        max_page_bytes: int = DEFAULT_MAX_PAGE_BYTES,
        max_batch_bytes: int = DEFAULT_MAX_BATCH_BYTES,
        slots: WaitSlots | None = None,
    ) -> None:
        self._store = store
        self._max_wait_ns = int(max_wait_seconds * NANOS_PER_SECOND)
        self._max_page_bytes = max_page_bytes
        self._max_batch_bytes = max_batch_bytes
        self._tokens = PageTokens(store.secret("page-tokens"))
        self._waiters: dict[str, set[asyncio.Future[None]]] = {}
        self._slots = slots or WaitSlots(DEFAULT_MAX_HELD_WAITS, DEFAULT_MAX_HELD_WAITS)
        self._last_ns = 0

    # --- reads ----------------------------------------------------------------------------

    def get(self, name: str, *, include_deleted: bool) -> JsonObject:
        """The operation; the standard view (include_deleted=False) never sees deleted ones."""
        op = self._store.get(name)
        if op is None or ("deleteTime" in op and not include_deleted):
            raise not_found(name)
        return op

    def batch_get(self, names: Sequence[str]) -> list[JsonObject]:
        return self._get_all(names)

    def list_standard(self, parent: str | None, filter_text: str, size: int, token: str) -> Page:
        """Every visible operation, or only those of `parent` ("" is the root's)."""
        flt = parse_filter(filter_text)
        where, params = ["deleted = 0"], []
        if parent is not None:
            where.append("parent = ?")
            params.append(parent)
        query = fingerprint("standard", parent, flt.canonical)
        selection = _selection(where, params, flt.sql, flt.params)
        return self._page(selection, query, size, token, with_total=False)

    def list_audited(self, filter_text: str, show_deleted: bool, size: int, token: str) -> Page:
        flt = parse_filter(filter_text)
        where = [] if show_deleted else ["deleted = 0"]
        query = fingerprint("audited", show_deleted, flt.canonical)
        return self._page(_selection(where, [], flt.sql, flt.params), query, size, token)

    def list_unseen(self, principal: str, size: int, token: str) -> Page:
        """The caller's own finished, not deleted operations they have not marked seen."""
        where = ["creator = ?", "done = 1", "deleted = 0", "seen = 0"]
        query = fingerprint("unseen", principal)
        return self._page(_selection(where, [principal], "", ()), query, size, token)

    def _page(
        self,
        selection: Selection,
        query: str,
        requested: int,
        token: str,
        *,
        with_total: bool = True,
    ) -> Page:
        """One page; ``with_total``: count every match (the standard view never shows it)."""
        after = self._tokens.resume_after(token, query)
        rows, more = self._store.page(selection, after, page_size(requested), self._max_page_bytes)
        next_token = self._tokens.issue(rows[-1][0], query) if more else ""
        total = self._store.count(selection) if with_total else 0
        return Page([op for _, op in rows], next_token, total)

    # --- waiting --------------------------------------------------------------------------

    async def wait(
        self,
        name: str,
        timeout_ns: int | None,
        *,
        principal: str = "",
        gone: Gone | None = None,
    ) -> JsonObject:
        """Hold until the operation is done or the (capped) timeout passes; never fail on time.

        Held waits are capped overall and per principal (`WaitSlots`): past a cap the
        operation is returned at once, as operations.proto allows ("best effort"; the
        client polls). `gone` returning (the client closed its connection) lets go at once.
        """
        if timeout_ns is not None and timeout_ns < 0:
            raise invalid_argument("timeout must not be negative", field="timeout")
        if timeout_ns is None or timeout_ns > self._max_wait_ns:
            timeout_ns = self._max_wait_ns
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_ns / NANOS_PER_SECOND
        watching: asyncio.Future[None] | None = None
        try:
            while True:
                op = self.get(name, include_deleted=False)  # deleted while waiting: NOT_FOUND
                remaining = deadline - loop.time()
                if op.get("done") or remaining <= 0 or not self._slots.take(principal):
                    return standard_view(op)
                if watching is None and gone is not None:
                    watching = asyncio.ensure_future(gone())
                try:
                    await self._hold(name, remaining, watching)
                finally:
                    self._slots.give(principal)
        finally:
            if watching is not None:
                # Wholly stopped before the connection reads its socket again: the watcher
                # stops watching the socket as it ends, which must not undo the next read's.
                watching.cancel()
                await asyncio.wait({watching})

    async def _hold(self, name: str, seconds: float, watching: asyncio.Future[None] | None) -> None:
        """Until `name` changes or `seconds` pass; CANCELLED (499) if the client leaves."""
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        waiters = self._waiters.setdefault(name, set())
        waiters.add(waiter)
        try:
            racing = {waiter} if watching is None else {waiter, watching}
            await asyncio.wait(racing, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
            if watching is not None and watching.done():
                raise client_gone()
        finally:
            waiters.discard(waiter)
            if not waiters and self._waiters.get(name) is waiters:
                del self._waiters[name]

    @property
    def held_waits(self) -> int:
        return self._slots.held

    def _wake(self, names: Iterable[str]) -> None:
        for name in names:
            for waiter in self._waiters.pop(name, ()):
                if not waiter.done():
                    waiter.set_result(None)

    # --- writes ---------------------------------------------------------------------------

    def create(
        self,
        principal: str,
        *,
        parent: str = "",
        metadata: JsonObject | None = None,
        request_id: str = "",
        name: str = "",
    ) -> JsonObject:
        """A new running operation; `name` is for seeding exact names from Python only."""
        key = self._request_key(principal, "create", request_id)
        if (earlier := self._replay(key)) is not None:
            return earlier
        if name:
            validate_name(name)
            if self._store.get(name) is not None:
                raise ApiError(
                    Code.ALREADY_EXISTS,
                    f"operation {name!r} already exists",
                    reason="OPERATION_EXISTS",
                    metadata={"name": name},
                )
        else:
            name = validate_name(new_name(_check_parent(parent)))
        op = self._new(principal, name, metadata)
        self._store.insert(op, key)
        return op

    def create_many(
        self,
        principal: str,
        metadatas: Sequence[JsonObject],
        *,
        parent: str = "",
        plan: Callable[[JsonObject], JsonObject],
    ) -> list[JsonObject]:
        """New running operations and their simulation plans, in one transaction."""
        validate_name(new_name(_check_parent(parent)))  # ids have one length: one check will do
        ops = [self._new(principal, new_name(parent), metadata) for metadata in metadatas]
        self._store.insert_many(ops, [(op["name"], plan(op)) for op in ops])
        return ops

    def _new(self, principal: str, name: str, metadata: JsonObject | None) -> JsonObject:
        op: JsonObject = {"name": name, "createTime": self._now(), "creator": principal}
        if metadata is not None:
            op["metadata"] = metadata
        return _ordered(op)

    def update(self, principal: str, name: str, metadata: JsonObject) -> JsonObject:
        op = self._running(name, "update")
        op["metadata"] = metadata
        self._touch(op, principal)
        return self._write([op])[0]

    def finalize(
        self,
        principal: str,
        name: str,
        *,
        error: JsonObject | None = None,
        response: JsonObject | None = None,
        request_id: str = "",
    ) -> JsonObject:
        if (error is None) == (response is None):
            raise invalid_argument("finalize needs exactly one of error and response")
        # The name is part of the key: a requestId reused for another operation is a new request.
        key = self._request_key(principal, f"finalize {name}", request_id)
        if (earlier := self._replay(key)) is not None:
            return earlier
        op = self._running(name, "finalize")
        self._finish(op, principal, error=error, response=response)
        return self._write([op], key)[0]

    def abort(self, principal: str, name: str, *, request_id: str = "") -> JsonObject:
        key = self._request_key(principal, f"abort {name}", request_id)
        if (earlier := self._replay(key)) is not None:
            return earlier
        op = self._running(name, "abort")
        aborted = status(
            Code.ABORTED, f"operation aborted by {principal}", "OPERATION_ABORTED", name
        )
        self._finish(op, principal, error=aborted)
        return self._write([op], key)[0]

    def cancel(self, principal: str, name: str) -> None:
        """Best effort, as operations.proto says: a finished operation stays as it is."""
        op = self.get(name, include_deleted=False)
        if not op.get("done"):
            self._finish(op, principal, error=cancelled_status(name, principal))
            self._write([op])

    def delete(self, principal: str, name: str) -> None:
        """Hide it from the standard view ("no longer interested"); it does not cancel."""
        op = self.get(name, include_deleted=False)
        now = self._now()
        op["deleteTime"], op["deleter"] = now, principal
        self._touch(op, principal, now)
        self._write([op])

    def mark_seen(self, principal: str, name: str) -> JsonObject:
        return self.batch_mark_seen(principal, [name])[0]

    def batch_mark_seen(self, principal: str, names: Sequence[str]) -> list[JsonObject]:
        """All or nothing: every name is checked before any is marked."""
        ops = self._get_all(names)
        for op in ops:
            if op.get("creator") != principal:
                raise ApiError(
                    Code.PERMISSION_DENIED,
                    f"only the creator of {op['name']!r} may mark it seen",
                    reason="NOT_CREATOR",
                    metadata={"name": op["name"]},
                )
            if not op.get("done"):
                raise _failed_precondition(
                    op["name"], "is still running and cannot be marked seen", "OPERATION_RUNNING"
                )
        now = self._now()
        changed = [op for op in ops if "seenByCreatorTime" not in op]
        for op in changed:
            op["seenByCreatorTime"] = now
            self._touch(op, principal, now)
        if changed:
            self._write(changed)
        return [_ordered(op) for op in ops]

    def advance(self, principal: str, steps: Sequence[Step]) -> list[str]:
        """Apply simulation steps in one transaction, skipping operations no longer running
        (finished by someone else); returns the names skipped."""
        found = self._store.get_many([step.name for step in steps])
        changed: list[JsonObject] = []
        skipped: list[str] = []
        for step in steps:
            op = found.get(step.name)
            if op is None or op.get("done"):
                skipped.append(step.name)
                continue
            if step.metadata is not None:
                op["metadata"] = step.metadata
            if step.error is not None or step.response is not None:
                self._finish(op, principal, error=step.error, response=step.response)
            else:
                self._touch(op, principal)
            changed.append(op)
        if changed:
            self._write(changed)
        return skipped

    # --- helpers --------------------------------------------------------------------------

    def _get_all(self, names: Sequence[str]) -> list[JsonObject]:
        """The audited operations in request order, each once (a name given again is
        answered at its first place); atomic like AIP-231's batch methods."""
        if not 1 <= len(names) <= MAX_BATCH:
            raise invalid_argument(f"names must hold 1 to {MAX_BATCH} names, got {len(names)}")
        unique = list(dict.fromkeys(names))
        for name in unique:
            validate_name(name)
        try:
            found = self._store.get_many(unique, self._max_batch_bytes)
        except TooLarge:
            raise ApiError(
                Code.INVALID_ARGUMENT,
                f"the operations named hold more than {self._max_batch_bytes} bytes of JSON;"
                " ask for fewer at a time",
                reason="BATCH_TOO_LARGE",
                metadata={"maxBytes": str(self._max_batch_bytes)},
            ) from None
        for name in unique:
            if name not in found:
                raise not_found(name)
        return [found[name] for name in unique]

    def _running(self, name: str, verb: str) -> JsonObject:
        op = self.get(name, include_deleted=True)
        if op.get("done"):
            raise _failed_precondition(name, f"is already done; cannot {verb} it", "OPERATION_DONE")
        return op

    def _finish(
        self,
        op: JsonObject,
        principal: str,
        *,
        error: JsonObject | None = None,
        response: JsonObject | None = None,
    ) -> None:
        op["done"] = True
        if error is not None:
            op["error"] = error
        if response is not None:
            op["response"] = response
        self._touch(op, principal)

    def _touch(self, op: JsonObject, principal: str, now: str | None = None) -> None:
        op["updateTime"] = now or self._now()
        op["updater"] = principal

    def _write(self, ops: list[JsonObject], key: RequestKey | None = None) -> list[JsonObject]:
        """Commit changed operations (and the request id that caused it), then wake waiters."""
        ordered = [_ordered(op) for op in ops]
        self._store.update(ordered, key)
        self._wake(op["name"] for op in ordered)
        return ordered

    def _replay(self, key: RequestKey | None) -> JsonObject | None:
        """The operation a request with this id already produced (AIP-155), if any."""
        earlier = None if key is None else self._store.recall(key)
        return None if earlier is None else self.get(earlier, include_deleted=True)

    def _request_key(self, principal: str, method: str, request_id: str) -> RequestKey | None:
        if not request_id:
            return None
        if len(request_id) > MAX_REQUEST_ID_LENGTH:
            raise invalid_argument(f"requestId is longer than {MAX_REQUEST_ID_LENGTH} characters")
        return (principal, method, request_id)

    def _now(self) -> str:
        # Strictly increasing, so updateTime never equals or precedes createTime.
        self._last_ns = max(time.time_ns(), self._last_ns + 1)
        return format_timestamp(self._last_ns)


def _check_parent(parent: str) -> str:
    if parent:
        validate_name(parent, field="parent")
        if "operations" in parent.split("/"):
            raise invalid_argument("parent must not contain an 'operations' segment")
    return parent


def cancelled_status(name: str, principal: str) -> JsonObject:
    return status(
        Code.CANCELLED, f"operation cancelled by {principal}", "OPERATION_CANCELLED", name
    )


def _failed_precondition(name: str, problem: str, reason: str) -> ApiError:
    return ApiError(
        Code.FAILED_PRECONDITION,
        f"operation {name!r} {problem}",
        reason=reason,
        metadata={"name": name},
    )


def _selection(
    where: list[str], params: list[str], filter_sql: str, filter_params: tuple[str | int, ...]
) -> Selection:
    if filter_sql:
        where = [*where, filter_sql]
    return Selection(" AND ".join(where) or "1 = 1", (*params, *filter_params))


def _ordered(op: JsonObject) -> JsonObject:
    return {key: op[key] for key in _AUDITED_FIELDS if key in op}

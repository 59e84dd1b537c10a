"""Sync/async parity by construction: every test body here runs twice, once through
:class:`lro.Client` and once through :class:`lro.AsyncClient` (see ``conftest.py``),
against a real reference server over 127.0.0.1.

Each test declares the public members it exercises (``@pytest.mark.parity``); the
fixture checks they were used, and :func:`test_every_public_member_has_a_parity_test`
fails when a public method or property of ``Client``/``AsyncClient``,
``AuditedView``/``AsyncAuditedView``, ``Operation``/``AsyncOperation`` or
``Pager``/``AsyncPager`` is missing here, or exists in one half only.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import inspect
import logging
import re
import sys
import types
import uuid
from typing import Any

import pytest
from parity_support import BOUND_SECONDS, HandleCancelled, Side, surfaces, unwrap
from suite_support import FAST_RETRY

import lro
from lro_server import ManualClock

parity = pytest.mark.parity

META = {"@type": "type.googleapis.com/test.Job", "step": 0}
PROGRESS = {"@type": "type.googleapis.com/test.Job", "step": 5, "progressPercent": 50}
RESULT = {"@type": "type.googleapis.com/test.Out", "rows": 3}


def names_of(ops: Any) -> list[str]:
    return [op.name for op in ops]


# -- the worker side: create, update, finalize, abort -------------------------------------


@parity(
    "client.create", "client.update", "client.finalize", "client.get",
    "audit.create", "audit.update", "audit.finalize", "audit.get",
)  # fmt: skip
def test_worker_calls_write_what_they_say(side: Side) -> None:
    c = side.client()
    op = c.create(META)
    assert op.name.startswith("operations/") and not op.done
    assert op.creator == "alice" and op.metadata == META
    updated = c.update(op.name, PROGRESS)
    assert updated.metadata == PROGRESS and updated.progress == 0.5
    done = c.finalize(op.name, response=RESULT)
    assert done.done and done.response == RESULT and done.error is None
    standard = c.get(op.name)
    assert standard.done and standard.response == RESULT
    assert standard.creator is None  # the standard view carries no audit fields

    view = c.audit
    other = view.create(META, parent="projects/p")
    assert other.name.startswith("projects/p/operations/")
    assert view.update(other.name, PROGRESS).metadata == PROGRESS
    failed = view.finalize(other.name, error={"code": 5, "message": "no such input"})
    assert isinstance(failed.error, lro.NotFound)
    audited = view.get(other.name)
    assert audited.creator == audited.updater == "alice" and audited.error is not None
    assert audited.update_time is not None and audited.create_time is not None
    assert audited.update_time > audited.create_time


@parity("client.create", "audit.create")
def test_create_is_deduplicated_by_request_id(side: Side) -> None:
    c = side.client()
    rid = str(uuid.uuid4())
    first = c.create(META, request_id=rid)
    assert c.create(META, request_id=rid).name == first.name
    assert c.audit.create(META, request_id=rid).name == first.name
    assert c.audit.list_operations().total_size == 1


@parity("client.abort", "audit.abort", "operation.result", "operation.exception")
def test_abort_ends_with_aborted(side: Side) -> None:
    c = side.client()
    first, second = c.create(META), c.create(META)
    aborted = c.abort(first.name)
    assert aborted.done and aborted.error is not None
    assert aborted.error.code is lro.Code.ABORTED
    assert isinstance(aborted.exception(), lro.Aborted)
    with pytest.raises(lro.Aborted):
        aborted.result()
    assert c.audit.abort(second.name).error.code is lro.Code.ABORTED
    with pytest.raises(lro.FailedPrecondition):
        c.abort(first.name)  # already done: a new abort is refused, not a silent success


# -- the standard calls: cancel, delete -----------------------------------------------------


@parity("client.cancel", "client.delete", "audit.cancel", "audit.delete")
def test_cancel_cancels_and_delete_deletes(side: Side) -> None:
    c = side.client()
    cancelled, deleted, a, b = (c.create(META) for _ in range(4))
    assert c.cancel(cancelled.name) is None
    snapshot = c.get(cancelled.name)
    assert snapshot.done and snapshot.error.code is lro.Code.CANCELLED

    assert c.delete(deleted.name) is None
    with pytest.raises(lro.NotFound):
        c.get(deleted.name)
    gone = c.audit.get(deleted.name)
    assert gone.deleted and gone.deleter == "alice"
    assert not gone.done and gone.error is None  # deleting does not cancel

    c.audit.cancel(a.name)
    c.audit.delete(b.name)
    assert c.audit.get(a.name).error.code is lro.Code.CANCELLED
    assert c.audit.get(b.name).deleted and not c.audit.get(b.name).done


# -- an operation's bound calls ---------------------------------------------------------------


@parity(
    "operation.refresh", "operation.cancel", "operation.delete", "operation.mark_seen",
    "operation.client",
)  # fmt: skip
def test_bound_operation_calls_do_what_they_say(side: Side) -> None:
    c = side.client()
    to_delete, to_cancel, to_refresh = (c.create(META) for _ in range(3))
    assert unwrap(to_delete.client) is unwrap(c.audit)  # created in the audited view

    to_delete.delete()
    after = c.audit.get(to_delete.name)
    assert after.deleted, "Operation.delete() did not delete"
    assert not after.done and after.error is None, "Operation.delete() cancelled instead"
    with pytest.raises(lro.NotFound):
        c.get(to_delete.name)

    to_cancel.cancel()
    cancelled = c.audit.get(to_cancel.name)
    assert cancelled.error.code is lro.Code.CANCELLED and not cancelled.deleted

    c.update(to_refresh.name, PROGRESS)
    refreshed = to_refresh.refresh()
    assert refreshed.metadata == PROGRESS and refreshed.creator == "alice"
    assert unwrap(refreshed.client) is unwrap(c.audit)  # stays in its view

    finished = c.finalize(to_refresh.name, response=RESULT)
    seen = finished.mark_seen()
    assert seen.seen and seen.seen_by_creator_time is not None
    assert c.audit.get(finished.name).seen


@parity("operation.wait", "operation.result", "operation.watch", "client.operation")
def test_bound_operation_waits(side: Side) -> None:
    c = side.client()
    (started,) = side.server.simulate(1, 0.4, creator="alice")
    op = c.operation(started["name"])
    assert op.name == started["name"] and not op.done
    final = side.within(BOUND_SECONDS, lambda: op.wait(timeout=10), "Operation.wait")
    assert final.done and final.response["@type"].endswith("SimulationResult")
    result = side.within(BOUND_SECONDS, lambda: op.result(timeout=10), "Operation.result")
    assert result == final.response
    assert final.wait() == final  # already done: returned as is

    (watched,) = side.server.simulate(1, 0.4, steps=4, creator="alice")
    snapshots = side.within(
        BOUND_SECONDS, lambda: list(c.operation(watched["name"]).watch(timeout=10)), "watch"
    )
    assert snapshots[-1].done and not any(s.done for s in snapshots[:-1])
    progress = [s.progress for s in snapshots if s.progress is not None]
    assert progress == sorted(progress)


@parity("client.adopt")
def test_adopted_operations_are_bound_whatever_their_form(side: Side) -> None:
    import json

    import pydantic
    from google.longrunning import operations_pb2

    from lro_api.models import Operation as GeneratedOperation

    class Held(pydantic.BaseModel):  # what a user's own pydantic model of it looks like
        name: str
        done: bool = False

    c = side.client()
    (started,) = side.server.simulate(1, 0.4, creator="alice")
    name = started["name"]
    forms = {
        "dict": {"name": name},
        "json": json.dumps({"name": name, "metadata": META}),
        "bytes": json.dumps({"name": name}).encode(),
        "to_dict": GeneratedOperation.from_dict({"name": name, "metadata": META}),
        "model_dump": Held(name=name),
        "protobuf": operations_pb2.Operation(name=name),
        "lro": c.get(name),
    }
    for form, value in forms.items():
        adopted = c.adopt(value)
        assert isinstance(unwrap(adopted), lro.AsyncOperation if side.is_async else lro.Operation)
        assert adopted.name == name and unwrap(adopted.client) is unwrap(c), form
    final = side.within(BOUND_SECONDS, lambda: c.adopt({"name": name}).wait(timeout=10), "wait")
    assert final.done and final.response["@type"].endswith("SimulationResult")
    with pytest.raises(lro.InvalidArgument):
        c.adopt({"metadata": META})  # no name: nothing to bind
    with pytest.raises(lro.InvalidName):
        c.adopt({"name": "operations/../x"})


@parity("operation.eta", "operation.watch", "audit.track", "handle.eta")
def test_watching_and_tracking_estimate_the_time_left(
    side: Side, virtual_clock: ManualClock
) -> None:
    c = side.client(clock=virtual_clock)
    # 3 s in 30 steps: each 1 s progress window of the watch sees progress move.
    (started,) = side.server.simulate(1, 3.0, steps=30, creator="alice")
    assert c.get(started["name"]).eta is None  # one snapshot: unknown
    seen: list[Any] = []
    handle = c.audit.track(started["name"], on_progress=seen.append)
    snapshots = side.within(
        BOUND_SECONDS, lambda: list(c.operation(started["name"]).watch(timeout=10)), "watch"
    )
    assert snapshots[0].eta is None  # a single sample
    assert snapshots[-1].done and snapshots[-1].eta is None  # nothing left
    estimates = [s.eta for s in snapshots[1:-1]]
    assert estimates and all(eta is not None for eta in estimates)
    assert all(0 < eta.seconds < 10 and eta.rate > 0 for eta in estimates)
    side.outcome(handle, BOUND_SECONDS)
    assert handle.eta is None  # done
    assert any(unwrap(s).eta is not None for s in seen)  # the batch rounds' estimates


@parity("operation.watch")
def test_watching_a_done_snapshot_makes_no_request(side: Side) -> None:
    c = side.client()
    done = c.finalize(c.create(META).name, response=RESULT)
    before = side.server.requests
    assert list(done.watch()) == [done]
    assert side.server.requests == before


@parity("operation.result", "operation.exception")
def test_results_and_errors_of_done_operations(side: Side) -> None:
    c = side.client()
    ok = c.finalize(c.create(META).name, response=RESULT)
    bad = c.finalize(c.create(META).name, error={"code": 8, "message": "quota"})
    running = c.create(META)
    assert ok.result() == RESULT and ok.exception() is None
    with pytest.raises(lro.ResourceExhausted, match="quota"):
        bad.result()
    assert isinstance(bad.exception(), lro.ResourceExhausted)
    assert running.exception() is None  # not done: no error yet
    with pytest.raises(lro.WaitTimeout) as info:
        side.within(BOUND_SECONDS, lambda: running.result(timeout=0.3), "result(timeout)")
    assert info.value.operation is not None and not info.value.operation.done
    unbound = lro.Operation.from_dict(unwrap(running).to_dict())
    with pytest.raises(lro.NotDone):
        unbound.result()


# -- waiting on the client and its view ---------------------------------------------------------


@parity("client.wait", "client.wait_once", "audit.wait", "audit.wait_once")
def test_wait_and_wait_once(side: Side) -> None:
    c = side.client()
    (a, b) = side.server.simulate(2, 0.5, creator="alice")
    final = side.within(BOUND_SECONDS, lambda: c.wait(a["name"], timeout=10), "wait")
    assert final.done and final.creator is None  # standard snapshot
    audited = side.within(BOUND_SECONDS, lambda: c.audit.wait(b["name"], timeout=10), "wait")
    assert audited.done and audited.creator == "alice"

    running = c.create(META)
    before = side.server.requests
    once = side.within(BOUND_SECONDS, lambda: c.wait_once(running.name, timeout=0.2), "wait_once")
    assert not once.done and side.server.requests - before == 1
    c.finalize(running.name, response=RESULT)
    assert c.audit.wait_once(running.name, timeout=5).done
    assert c.audit.wait_once(running.name).creator == "alice"


@parity("client.wait", "audit.wait", "audit.wait_policy")
def test_both_views_wait_by_the_client_s_policy(side: Side) -> None:
    policy = lro.WaitPolicy(long_poll=False, max_polls=2, initial_delay=0.01, jitter=0)
    c = side.client(wait_policy=policy)
    assert c.audit.wait_policy == policy
    running = c.create(META)
    for view in (c, c.audit):
        before = side.server.requests
        with pytest.raises(lro.WaitTimeout):
            side.within(BOUND_SECONDS, lambda v=view: v.wait(running.name, timeout=30), "wait")
        assert side.server.requests - before == 2, f"{view!r} did not use max_polls=2"


@parity("client.wait", "audit.wait")
def test_wait_stops_at_its_deadline(side: Side) -> None:
    c = side.client()
    running = c.create(META)
    for view in (c, c.audit):
        with pytest.raises(lro.WaitTimeout) as info:
            side.within(BOUND_SECONDS, lambda v=view: v.wait(running.name, timeout=0.5), "wait")
        assert info.value.operation is not None and info.value.operation.name == running.name
    assert not c.get(running.name).done  # a timed-out wait leaves the operation running


@parity("client.watch", "audit.watch")
def test_watch_yields_each_change_until_done(side: Side, virtual_clock: ManualClock) -> None:
    c = side.client(clock=virtual_clock)
    for view, creator in ((c, None), (c.audit, "alice")):
        (started,) = side.server.simulate(1, 0.6, steps=3, creator="alice")
        snapshots = side.within(
            BOUND_SECONDS, lambda v=view, s=started: list(v.watch(s["name"], timeout=10)), "watch"
        )
        assert snapshots[-1].done and [s.done for s in snapshots].count(True) == 1
        assert len(snapshots) >= 2  # the running one first, then changes
        assert len({s.progress for s in snapshots}) == len(snapshots)  # only changes
        assert snapshots[-1].creator == creator  # each view's own snapshots


# -- batches and the seen-by-creator calls ------------------------------------------------------


@parity(
    "client.get_many", "audit.get_many", "client.mark_seen", "audit.mark_seen",
    "audit.mark_seen_many", "client.unseen", "audit.unseen",
)  # fmt: skip
def test_batches_and_seen_by_creator(side: Side) -> None:
    c = side.client()
    ops = [c.finalize(c.create(META).name, response=RESULT) for _ in range(5)]
    names = names_of(ops)
    assert names_of(c.get_many(reversed(names))) == names[::-1]
    assert names_of(c.audit.get_many(names)) == names
    with pytest.raises(lro.NotFound, match="never-existed"):
        c.get_many([names[0], "operations/never-existed"])

    assert sorted(names_of(c.unseen())) == sorted(names)
    one = c.mark_seen(names[0])
    assert one.name == names[0] and one.seen
    two = c.mark_seen(names[1], names[2])
    assert names_of(two) == names[1:3] and all(op.seen for op in two)
    assert c.audit.mark_seen(names[3]).seen
    assert names_of(c.audit.mark_seen_many([names[4]])) == names[4:]
    assert list(c.unseen()) == [] and list(c.audit.unseen(page_size=2)) == []
    with pytest.raises(lro.InvalidArgument):
        c.mark_seen()

    bob = side.client(token="other-token")
    with pytest.raises(lro.PermissionDenied):
        bob.mark_seen(names[0])


@parity("client.unseen", "audit.unseen")
def test_unseen_views(side: Side) -> None:
    c = side.client()
    done = c.finalize(c.create(META).name, response=RESULT)
    c.create(META)  # running: never in unseen
    (basic,) = list(c.unseen(view="basic"))
    assert basic.name == done.name and basic.response is None  # basic: no response
    (full,) = list(c.audit.unseen(view="full"))
    assert full.response == RESULT


# -- lists and pagers --------------------------------------------------------------------------


@parity(
    "client.list_operations", "audit.list_operations", "pager.first_page", "pager.pages",
    "pager.total_size", "pager.unreachable", "pager.__iter__",
)  # fmt: skip
def test_lists_page_lazily_and_completely(side: Side) -> None:
    c = side.client()
    ops = [c.create(META) for _ in range(5)]
    c.finalize(ops[0].name, response=RESULT)
    c.delete(ops[4].name)
    live = names_of(ops[:4])

    before = side.server.requests
    pager = c.list_operations(page_size=2)
    assert side.server.requests == before  # nothing fetched yet
    kind = "AsyncPager" if side.is_async else "Pager"
    assert repr(pager) == f"{kind}(not fetched)"
    first = pager.first_page()
    assert repr(pager) == f"{kind}(first page fetched)"
    assert len(first.items) == 2 and first.next_page_token
    assert pager.unreachable == [] and side.server.requests == before + 1  # cached
    pages = list(pager.pages())
    assert [len(p.items) for p in pages] == [2, 2] and pages[-1].next_page_token == ""
    assert sorted(names_of(pager)) == sorted(live)
    assert names_of(c.list_operations(filter="done = true")) == [ops[0].name]

    audited = c.audit.list_operations(page_size=3, show_deleted=True)
    assert audited.total_size == 5
    assert sorted(names_of(audited)) == sorted(names_of(ops))
    assert c.audit.list_operations().total_size == 4  # deleted ones hidden by default
    every = list(c.audit.list_operations(page_size=2))
    assert all(op.creator == "alice" for op in every)


@parity("pager.pages", "pager.__iter__", "pager.first_page")
def test_pager_stops_when_the_server_repeats_a_page_token(side: Side) -> None:
    """A server that hands back the token it was given would loop forever; the pager
    must notice. The fetch below fails the test itself after a few pages, so a pager that
    does not notice fails with a message rather than hanging until pytest's timeout."""
    tokens: list[str | None] = []

    def fetch(token: str | None) -> lro.Page[int]:
        tokens.append(token)
        assert len(tokens) <= 5, f"the pager kept fetching {tokens}: the loop was not noticed"
        return lro.Page([len(tokens)], next_page_token="t1" if token is None else "same")

    with pytest.raises(lro.InvalidResponse) as info:
        list(side.pager(fetch))
    assert tokens == [None, "t1", "same"]
    assert info.value.message == (
        "the server returned the same nextPageToken again (a page token this listing "
        "already sent, after 3 pages); stopping to avoid a loop"
    )
    assert info.value.raw == "same"  # what the server sent, for the bug report

    tokens.clear()
    pager = side.pager(fetch)
    assert pager.first_page().items == [1]
    seen = []

    def consume() -> None:
        for page in pager.pages():
            assert len(page) == 1
            seen.append(list(page))  # a Page iterates over its items

    with pytest.raises(lro.InvalidResponse, match="same nextPageToken"):
        consume()
    assert seen == [[1], [2], [3]] and tokens == [None, "t1", "same"]

    long = "t" * 300
    looping = side.pager(lambda token: lro.Page([], next_page_token=long))
    with pytest.raises(lro.InvalidResponse) as info:
        list(looping)
    assert info.value.raw == long[:200]  # an excerpt, however long the token


@parity("client.list_operations", "pager.__iter__")
def test_list_through_the_client_stops_on_a_repeated_token(side: Side) -> None:
    """The same, end to end through a client whose transport answers every List with the
    same nextPageToken (the reference server never does that)."""
    sends: list[str] = []
    body = b'{"operations": [], "nextPageToken": "same"}'

    def answer(request: Any) -> lro.Response:
        sends.append(request.url)
        assert len(sends) <= 5, f"the client kept listing: {sends}"
        return lro.Response(200, {"Content-Type": "application/json"}, body)

    class SyncFake:
        def send(self, request: Any) -> lro.Response:
            return answer(request)

        def close(self) -> None:
            pass

    class AsyncFake:
        async def send(self, request: Any) -> lro.Response:
            return answer(request)

        async def close(self) -> None:
            pass

    c = side.client(transport=AsyncFake() if side.is_async else SyncFake())
    with pytest.raises(lro.InvalidResponse, match="same nextPageToken"):
        side.within(BOUND_SECONDS, lambda: list(c.list_operations()), "list_operations")
    assert len(sends) == 2 and "pageToken=same" in sends[1]


# -- errors, retries, closing --------------------------------------------------------------------


@parity("client.get", "audit.get", "client.cancel", "client.delete", "client.update")
def test_errors_are_the_same_typed_errors(side: Side) -> None:
    c = side.client()
    before = side.server.requests
    for call in (c.get, c.audit.get, c.cancel, c.delete):
        with pytest.raises(lro.InvalidName):
            call("operations/../admin")
    with pytest.raises(lro.InvalidName):
        c.update("", META)
    assert side.server.requests == before  # refused before anything was sent
    with pytest.raises(lro.NotFound) as info:
        c.get("operations/never-existed")
    assert info.value.code is lro.Code.NOT_FOUND and "never-existed" in str(info.value)
    anonymous = side.client(token="wrong")
    with pytest.raises(lro.Unauthenticated):
        anonymous.get("operations/never-existed")


@parity("client.get", "client.create")
def test_retries_stop_after_max_attempts(side: Side) -> None:
    c = side.client()
    op = c.create(META)
    side.server.faults.add(kind="unavailable", count=1000)
    before = side.server.requests
    with pytest.raises(lro.Unavailable):
        side.within(BOUND_SECONDS, lambda: c.get(op.name), "a retried get")
    assert side.server.requests - before == FAST_RETRY.max_attempts
    side.server.faults.clear()
    side.server.faults.add(kind="unavailable", count=2)
    before = side.server.requests
    assert c.create(META).name  # a create survives two 503s: same requestId, one op
    assert side.server.requests - before == 3
    assert c.audit.list_operations().total_size == 2


@parity("client.get", "client.delete")
def test_debug_log_tells_each_attempt(side: Side, caplog: pytest.LogCaptureFixture) -> None:
    """With DEBUG logging on, each attempt is one line: what came back and what the
    client does next, in both clients (one log format, in the core)."""
    policy = lro.Retry(initial=0.01, maximum=0.01, jitter="none", max_attempts=2)
    c = side.client(retry=policy)
    op = c.create(META)
    path = f"/v1/{op.name}"
    caplog.set_level(logging.DEBUG, logger="lro")

    side.server.faults.add(kind="unavailable", count=1)
    c.get(op.name)
    side.server.faults.add(kind="drop_before", count=2)
    with pytest.raises(lro.ConnectionDropped):
        c.get(op.name)
    side.server.faults.add(kind="drop_after", method="DELETE")
    c.delete(op.name)  # the retry's 404 proves the lost attempt deleted it
    lines = [r.getMessage() for r in caplog.records if r.name == "lro" and path in r.getMessage()]
    assert (
        lines[0] == f"GET {path} attempt 1: HTTP 503 UNAVAILABLE (Unavailable): retrying in 0.010 s"
    )
    took = re.fullmatch(rf"GET {re.escape(path)} attempt 2: HTTP 200 after (\d+\.\d) ms", lines[1])
    assert took is not None, lines[1]
    assert 0 <= float(took.group(1)) < BOUND_SECONDS * 1000  # the time this call took
    assert lines[2:4] == [
        f"GET {path} attempt 1: no response UNAVAILABLE (ConnectionDropped): retrying in 0.010 s",
        f"GET {path} attempt 2: no response UNAVAILABLE (ConnectionDropped): giving up",
    ]
    assert lines[-1] == (
        f"DELETE {path} attempt 2: NOT_FOUND after an unanswered attempt: treated as success"
    )


@parity("client.close", "client.get")
def test_close_is_idempotent(side: Side) -> None:
    c = side.client()
    op = c.create(META)
    assert c.get(op.name).name == op.name
    c.close()
    c.close()


# -- snapshots: the same object in both halves --------------------------------------------------


SNAPSHOT_PROPERTIES = (
    "age", "client", "create_time", "creator", "delete_time", "deleted", "deleter", "done",
    "duration", "error", "metadata", "metadata_type", "name", "progress", "response",
    "response_type", "result_case", "seen", "seen_by_creator_time", "update_time", "updater",
)  # fmt: skip


@parity(*(f"operation.{name}" for name in SNAPSHOT_PROPERTIES))
def test_snapshot_fields(side: Side) -> None:
    c = side.client()
    op = c.create(PROGRESS)
    done = c.finalize(op.name, response=RESULT)
    values = {name: getattr(done, name) for name in SNAPSHOT_PROPERTIES}
    assert values["name"] == op.name and values["done"] is True
    assert values["creator"] == values["updater"] == "alice" and values["deleter"] is None
    assert values["metadata"] == PROGRESS and values["metadata_type"] == "test.Job"
    assert values["response"] == RESULT and values["response_type"] == "test.Out"
    assert values["result_case"] is lro.ResultCase.RESPONSE and values["error"] is None
    assert values["progress"] == 0.5 and not values["deleted"] and not values["seen"]
    assert values["delete_time"] is None and values["seen_by_creator_time"] is None
    assert values["duration"] == values["update_time"] - values["create_time"]
    assert values["age"] is not None and values["age"] >= values["duration"]
    assert unwrap(values["client"]) is unwrap(c.audit)


@parity(
    "operation.from_dict", "operation.from_json", "operation.bind", "operation.to_dict",
    "operation.to_json", "operation.metadata_as", "operation.response_as",
)  # fmt: skip
def test_snapshot_methods(side: Side) -> None:
    c = side.client()
    op = c.finalize(c.create(PROGRESS).name, response=RESULT)
    cls = side.wrap(unwrap(op)).from_dict  # the class of this flavour's snapshots
    copy = cls(op.to_dict())
    assert copy == op and copy.client is None
    again = side.wrap(unwrap(op)).from_json(op.to_json())
    assert again == op and again.to_json() == op.to_json()
    assert op.to_json(indent=2).startswith("{\n")
    bound = again.bind(c)
    assert unwrap(bound.client) is unwrap(c) and bound.refresh().creator is None  # standard
    assert unwrap(op.bind(None).client) is None
    assert op.metadata_as(dict) == {k: v for k, v in PROGRESS.items() if k != "@type"}
    assert op.response_as(dict) == {"rows": 3}


# -- handles: tracking without blocking ----------------------------------------------------------


@parity("client.track", "audit.track", "operation.track", "handle.name", "handle.latest")
def test_a_handle_settles_with_the_result(side: Side) -> None:
    c = side.client()
    first, second, third = c.create(META), c.create(META), c.create(META)
    seen: list[Any] = []
    standard = c.track(first.name, on_progress=seen.append)
    audited = c.audit.track(second.name)
    bound = c.audit.get(third.name).track()
    assert standard.name == first.name and audited.name == second.name
    with pytest.raises(TimeoutError):
        side.outcome(standard, 0.3)  # still running: the handle is pending
    assert not standard.done()
    for op in (first, second, third):
        c.finalize(op.name, response=RESULT)
    for handle in (standard, audited, bound):
        assert side.outcome(handle, BOUND_SECONDS) == RESULT
        assert handle.done() and handle.latest.done and handle.latest.response == RESULT
    assert standard.latest.creator is None  # a standard-view snapshot
    assert audited.latest.creator == bound.latest.creator == "alice"  # audited ones
    assert [unwrap(s).done for s in seen][-1] is True and len(seen) >= 1


@parity("client.track", "audit.track", "handle.latest")
def test_a_handle_raises_the_operation_error(side: Side) -> None:
    c = side.client()
    failed = c.create(META)
    c.finalize(failed.name, error={"code": 5, "message": "no such input"})
    with pytest.raises(lro.NotFound, match="no such input"):
        side.outcome(c.track(failed.name), BOUND_SECONDS)
    with pytest.raises(lro.NotFound, match="no such input"):
        side.outcome(c.audit.track(failed.name), BOUND_SECONDS)
    missing = c.track("operations/never-made")
    with pytest.raises(lro.NotFound):
        side.outcome(missing, BOUND_SECONDS)
    assert missing.latest is None  # nothing was ever seen
    with pytest.raises(lro.InvalidName):
        c.track("operations/../x")
    with pytest.raises(lro.InvalidArgument, match="on_progress"):
        c.track(failed.name, on_progress=3)


@parity("client.track", "audit.track", "handle.cancel")
def test_cancelling_a_handle_abandons_the_wait(side: Side, virtual_clock: ManualClock) -> None:
    c = side.client(clock=virtual_clock)
    kept, abandoned, doomed = c.create(META), c.create(META), c.create(META)
    handle = c.track(abandoned.name)
    assert handle.cancel() is True
    with pytest.raises(HandleCancelled):
        side.outcome(handle, BOUND_SECONDS)
    assert not c.get(abandoned.name).done  # the operation itself goes on
    both = c.track(doomed.name), c.audit.track(doomed.name)
    assert both[0].cancel(server=True) is True  # also asks the server to cancel
    with pytest.raises(lro.Cancelled):
        side.outcome(both[1], BOUND_SECONDS)  # ... which the other handle sees
    assert c.wait(doomed.name, timeout=BOUND_SECONDS).error.code is lro.Code.CANCELLED
    finished = c.audit.track(kept.name)
    c.finalize(kept.name, response=RESULT)
    assert side.outcome(finished, BOUND_SECONDS) == RESULT
    assert finished.cancel() is False and not finished.cancelled()  # settled: no-op


@parity("client.track", "audit.track", "client.close")
def test_closing_the_client_ends_its_handles(side: Side) -> None:
    c = side.client(wait_policy=lro.WaitPolicy(stop_latency=0.5))
    running = [c.create(META) for _ in range(3)]
    handles = [c.track(running[0].name), c.track(running[1].name)]
    handles.append(c.audit.track(running[2].name))
    with pytest.raises(TimeoutError):
        side.outcome(handles[0], 0.3)
    assert side.tracker_threads_and_tasks()  # the tracker is at work
    side.within(BOUND_SECONDS, c.close, "closing a client with pending handles")
    for handle in handles:
        with pytest.raises(lro.Cancelled, match="client was closed"):
            side.outcome(handle, 1.0)
    assert side.tracker_threads_and_tasks() == []  # no thread or task left behind
    with pytest.raises(lro.FailedPrecondition, match="closed"):
        c.track(running[0].name)
    assert not any(c2.done for c2 in (side.client().get(op.name) for op in running))


# -- the table: every public member has a test ------------------------------------------------


#: Bases whose members are the standard library's, the same for every future: a handle's
#: own members are what must match.
FUTURE_BASES = (object, concurrent.futures.Future, asyncio.Future)


def public_members(cls: type) -> set[str]:
    """Public methods and properties of ``cls`` (inherited ones included)."""
    kinds = (types.FunctionType, classmethod, staticmethod, property, functools.cached_property)
    return {
        name
        for klass in cls.__mro__
        if klass not in FUTURE_BASES
        for name, member in vars(klass).items()
        # (mutmut adds non-ASCII names of its own to the classes it mutates)
        if not name.startswith("_") and name.isascii() and isinstance(member, kinds)
    }


def declared_members() -> dict[str, list[str]]:
    """``surface.member`` -> the tests of this module that declare it."""
    table: dict[str, list[str]] = {}
    module = sys.modules[__name__]
    for name, test in vars(module).items():
        if name.startswith("test_") and inspect.isfunction(test):
            for mark in getattr(test, "pytestmark", []):
                if mark.name == "parity":
                    for member in mark.args:
                        table.setdefault(member, []).append(name)
    return table


def test_every_public_member_has_a_parity_test() -> None:
    table = declared_members()
    missing, one_sided = [], []
    for surface, (sync_cls, async_cls) in surfaces().items():
        sync_names, async_names = public_members(sync_cls), public_members(async_cls)
        one_sided += [f"{sync_cls.__name__}.{n}" for n in sorted(sync_names - async_names)]
        one_sided += [f"{async_cls.__name__}.{n}" for n in sorted(async_names - sync_names)]
        missing += [f"{surface}.{n}" for n in sorted(sync_names | async_names)]
    missing = [member for member in missing if member not in table]
    assert not one_sided, f"public in one half of the SDK only: {one_sided}"
    assert not missing, f"public members without a parity test: {missing}"
    assert "pager.__iter__" in table  # iteration: __iter__ / __aiter__


def test_the_table_names_only_real_members() -> None:
    known = {
        f"{surface}.{name}"
        for surface, pair in surfaces().items()
        for cls in pair
        for name in public_members(cls)
    }
    stale = sorted(set(declared_members()) - known - {"pager.__iter__"})
    assert not stale, f"@parity names members that do not exist: {stale}"

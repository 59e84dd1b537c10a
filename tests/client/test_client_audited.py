"""The audited view (worker side, batch get, seen-by-creator) through lro.Client."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from client_support import job, out
from suite_support import FAST_RETRY

import lro
import lro._core.recipes
from lro import Operation
from lro.errors import (
    Aborted,
    Code,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    error_from_status,
)


def test_create_update_finalize_response(client: lro.Client) -> None:
    op = client.create(job(progressPercent=0))
    assert op.name.startswith("operations/")
    assert op.client is client.audit  # audited snapshots stay in their view
    assert op.creator == "anonymous" and op.create_time is not None
    assert not op.done
    updated = client.update(op.name, job(progressPercent=50))
    assert updated.metadata == job(progressPercent=50)
    assert updated.progress == pytest.approx(0.5)
    assert updated.update_time is not None and updated.update_time >= op.create_time
    final = client.finalize(op.name, response=out(rows=42))
    assert final.done and final.response == out(rows=42)
    assert final.result() == out(rows=42)
    assert final.refresh().creator == "anonymous"  # refreshed through the audited view
    with pytest.raises(FailedPrecondition):
        client.update(op.name, job(progressPercent=60))
    with pytest.raises(FailedPrecondition):
        client.finalize(op.name, response=out())


def test_create_with_parent(client: lro.Client) -> None:
    scope = f"projects/x{uuid.uuid4().hex[:6]}/locations/eu"
    op = client.create(job(), parent=scope)
    assert op.name.startswith(scope + "/operations/")
    assert client.get(op.name).name == op.name


def test_create_without_metadata(client: lro.Client) -> None:
    op = client.create()
    assert op.metadata is None and not op.done


@pytest.mark.parametrize("as_object", [True, False])
def test_finalize_with_error(client: lro.Client, as_object: bool) -> None:
    op = client.create(job())
    status = {"code": 9, "message": "disk full"}
    error = error_from_status(status) if as_object else status
    final = client.finalize(op.name, error=error)
    assert final.done and isinstance(final.error, FailedPrecondition)
    assert final.error.message == "disk full"
    with pytest.raises(FailedPrecondition):
        final.result()


def test_finalize_needs_exactly_one(client: lro.Client, srv: Any) -> None:
    before = srv.requests
    with pytest.raises(InvalidArgument):
        client.finalize("operations/x")
    with pytest.raises(InvalidArgument):
        client.finalize("operations/x", response=out(), error={"code": 2})
    assert srv.requests == before


def test_request_id_makes_create_idempotent(client: lro.Client) -> None:
    rid = str(uuid.uuid4())
    a = client.create(job(), request_id=rid)
    b = client.create(job(), request_id=rid)
    assert a.name == b.name
    assert client.create(job()).name != client.create(job()).name  # fresh ids by default


def test_abort(client: lro.Client) -> None:
    op = client.create(job())
    aborted = client.abort(op.name)
    assert aborted.done and isinstance(aborted.error, Aborted)
    with pytest.raises(FailedPrecondition):
        client.abort(op.name)
    other = client.create(job())
    rid = str(uuid.uuid4())
    first = client.abort(other.name, request_id=rid)
    assert client.abort(other.name, request_id=rid) == first  # deduplicated (AIP-155)


def test_audit_get_and_list(client: lro.Client) -> None:
    op, kept = client.create(job()), client.create(job())
    got = client.audit.get(op.name)
    assert got.name == op.name and got.creator == "anonymous"
    client.delete(op.name)
    pager = client.audit.list_operations(page_size=1000)
    assert isinstance(pager.total_size, int) and pager.total_size >= 1  # kept, at least
    listed = {o.name for o in pager}
    assert op.name not in listed and kept.name in listed
    shown = client.audit.list_operations(page_size=1000, show_deleted=True)
    assert op.name in {o.name for o in shown}
    assert client.audit.get(op.name).delete_time is not None


def test_audit_list_filter_and_pages(client: lro.Client) -> None:
    pager = client.audit.list_operations(filter="done = true", page_size=2)
    pages = list(pager.pages())
    assert all(o.done for p in pages for o in p.items)
    assert pages[0].total_size == pager.total_size
    assert sum(len(p) for p in pages) == pager.total_size


def test_get_many_in_input_order(client: lro.Client, srv: Any) -> None:
    names = [client.create(job(i=i)).name for i in range(5)]
    wanted = [names[3], names[0], names[4], names[0]]
    before = srv.requests
    got = client.get_many(wanted)
    assert [o.name for o in got] == wanted
    assert srv.requests == before + 1
    assert all(o.client is client.audit for o in got)
    assert client.get_many([]) == []


def test_get_many_chunks_of_1000(client: lro.Client, srv: Any) -> None:
    sims = srv.simulate(count=1005, duration=3600, steps=1)
    names = [s["name"] for s in sims][::-1]
    before = srv.requests
    got = client.audit.get_many(iter(names))
    assert srv.requests == before + 2
    assert [o.name for o in got] == names


def test_get_many_missing_name_is_reported(client: lro.Client) -> None:
    real = client.create(job()).name
    missing = f"operations/missing-{uuid.uuid4().hex}"
    with pytest.raises(NotFound) as info:
        client.get_many([real, missing])
    assert missing in str(info.value)
    assert "audit_prefix" not in str(info.value)  # not mistaken for a missing route


def test_get_many_rejects_bad_input(client: lro.Client) -> None:
    with pytest.raises(InvalidArgument):
        client.get_many("operations/abc")  # a string, not a list of names
    with pytest.raises(InvalidArgument):
        client.get_many(["operations/ok", "operations/../x"])


def test_get_many_reorders_and_reports_a_short_answer() -> None:
    """A server that answers out of order, or leaves a name out, is handled."""
    names = ["operations/a", "operations/b"]
    ops = [Operation.from_dict({"name": n}) for n in reversed(names)]
    assert [o.name for o in lro._core.recipes._in_order(names, ops)] == names
    with pytest.raises(NotFound, match="operations/b"):
        lro._core.recipes._in_order(names, ops[1:])


def test_mark_seen_and_unseen(authed: Any) -> None:
    with (
        lro.Client(authed.url, token="tok-a", retry=FAST_RETRY) as alice,
        lro.Client(authed.url, token="tok-b", retry=FAST_RETRY) as bob,
    ):
        ops = [alice.create(job(i=i)) for i in range(4)]
        running = alice.create(job())
        for op in ops:
            alice.finalize(op.name, response=out(i=1))
        bob_op = bob.create(job())
        bob.finalize(bob_op.name, response=out())

        unseen = alice.unseen(page_size=3)
        assert unseen.total_size == 4
        assert sorted(o.name for o in unseen) == sorted(o.name for o in ops)
        basic = list(alice.unseen(view="basic"))
        assert basic and all(o.response is None for o in basic)
        full = list(alice.unseen(view="OPERATION_VIEW_FULL"))
        assert all(o.response is not None for o in full)
        with pytest.raises(InvalidArgument):
            alice.unseen(view="everything")

        first = alice.mark_seen(ops[0].name)
        assert isinstance(first, Operation) and first.seen
        stamp = first.seen_by_creator_time
        again = ops[0].bind(alice.audit).mark_seen()  # op.mark_seen(): idempotent
        assert again.seen_by_creator_time == stamp
        many = alice.mark_seen(ops[2].name, ops[1].name, ops[0].name)
        assert isinstance(many, list)
        assert [o.name for o in many] == [ops[2].name, ops[1].name, ops[0].name]
        assert many[2].seen_by_creator_time == stamp
        assert [o.name for o in alice.unseen()] == [ops[3].name]
        assert alice.audit.mark_seen_many([ops[3].name])[0].seen
        assert list(alice.unseen()) == []
        assert alice.unseen().total_size == 0

        with pytest.raises(PermissionDenied):
            bob.mark_seen(ops[0].name)
        with pytest.raises(FailedPrecondition):
            alice.mark_seen(running.name)
        with pytest.raises(InvalidArgument):
            alice.mark_seen()
        with pytest.raises(NotFound):
            alice.mark_seen(ops[0].name, "operations/nope")
        assert [o.name for o in bob.unseen()] == [bob_op.name]


def test_audited_ops_delegate_to_standard_calls(client: lro.Client) -> None:
    op = client.create(job())
    op.cancel()
    after = op.refresh()
    assert after.done and after.error is not None and after.error.code == Code.CANCELLED
    assert after.creator == "anonymous"
    waited = client.audit.wait_once(op.name, timeout=1)
    assert waited.done and waited.creator == "anonymous"
    op.delete()
    assert client.audit.get(op.name).deleted

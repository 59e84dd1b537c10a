"""The standard view (google.longrunning) through lro.Client, over real HTTP."""

from __future__ import annotations

import threading
import time
import uuid
from typing import Any

import pytest
from client_support import job, out

import lro
from lro import Pager
from lro.errors import Cancelled, FailedPrecondition, InvalidArgument, NotFound


def parent() -> str:
    return f"projects/p-{uuid.uuid4().hex[:8]}/locations/us"


def test_get_returns_bound_standard_snapshot(client: lro.Client) -> None:
    created = client.create(job(step=1))
    op = client.get(created.name)
    assert op.name == created.name
    assert op.done is False
    assert op.metadata == job(step=1)
    assert op.client is client
    assert op.create_time is None  # the standard view has no audit fields
    assert op.refresh() == op


def test_get_unknown_is_not_found_with_name(client: lro.Client) -> None:
    with pytest.raises(NotFound) as info:
        client.get("operations/does-not-exist")
    assert info.value.http_status == 404
    assert info.value.operation_name == "operations/does-not-exist"
    assert info.value.reason


def test_list_parent_pages_lazily(client: lro.Client, srv: Any) -> None:
    scope = parent()
    names = [client.create(job(i=i), parent=scope).name for i in range(7)]
    before = srv.requests
    pager = client.list_operations(scope, page_size=3)
    assert isinstance(pager, Pager)
    assert srv.requests == before  # nothing fetched yet
    iterator = iter(pager)
    first = next(iterator)
    assert srv.requests == before + 1  # only the first page
    rest = list(iterator)
    assert srv.requests == before + 3  # 3 + 3 + 1
    assert sorted([first.name, *(o.name for o in rest)]) == sorted(names)
    pages = list(client.list_operations(scope, page_size=3).pages())
    assert [len(p) for p in pages] == [3, 3, 1]
    assert pages[-1].next_page_token == ""
    assert all(p.next_page_token for p in pages[:-1])
    assert pager.unreachable == []
    assert pager.total_size is None  # the standard view does not count


def test_list_filter_done(client: lro.Client) -> None:
    scope = parent()
    a = client.create(job(), parent=scope)
    b = client.create(job(), parent=scope)
    client.finalize(b.name, response=out(v=1))
    done = [o.name for o in client.list_operations(scope, filter="done = true")]
    running = [o.name for o in client.list_operations(scope, filter="done = false")]
    assert done == [b.name]
    assert running == [a.name]


def test_list_bad_filter_and_page_size(client: lro.Client) -> None:
    with pytest.raises(InvalidArgument):
        list(client.list_operations(filter="name ~ 'x'"))
    with pytest.raises(InvalidArgument):
        list(client.list_operations(page_size=-1))


def test_list_all_operations_includes_created(client: lro.Client) -> None:
    op = client.create(job())
    assert op.name in {o.name for o in client.list_operations(page_size=500)}


def test_cancel_then_cancelled(client: lro.Client) -> None:
    op = client.create(job())
    assert client.cancel(op.name) is None
    after = client.get(op.name)
    assert after.done
    assert isinstance(after.error, Cancelled)
    client.cancel(op.name)  # cancelling a finished operation changes nothing
    assert client.get(op.name) == after
    with pytest.raises(Cancelled):
        after.result()


def test_delete_hides_from_standard_view(client: lro.Client) -> None:
    op = client.create(job())
    assert client.delete(op.name) is None
    with pytest.raises(NotFound):
        client.get(op.name)
    assert client.audit.get(op.name).deleted  # the audited view still has it
    with pytest.raises(NotFound):
        client.delete(op.name)


def test_wait_once_returns_when_done(client: lro.Client) -> None:
    op = client.create(job())

    def finish() -> None:
        time.sleep(0.2)
        with lro.Client(client.base_url) as other:
            other.finalize(op.name, response=out(v=2))

    thread = threading.Thread(target=finish)
    started = time.monotonic()
    thread.start()
    final = client.wait_once(op.name, timeout=5)
    thread.join()
    assert final.done and final.response == out(v=2)
    assert time.monotonic() - started < 3


def test_wait_once_times_out_running(client: lro.Client) -> None:
    op = client.create(job())
    started = time.monotonic()
    still = client.wait_once(op.name, timeout=0.3)
    elapsed = time.monotonic() - started
    assert not still.done
    assert 0.25 <= elapsed < 2.5


def test_wait_once_negative_timeout(client: lro.Client) -> None:
    with pytest.raises(InvalidArgument):
        client.wait_once("operations/x", timeout=-1)


def test_scoped_simulated_operation_names(client: lro.Client, srv: Any) -> None:
    scope = parent()
    [sim] = srv.simulate(count=1, duration=0.05, outcome="response", parent=scope, steps=1)
    assert sim["name"].startswith(scope + "/operations/")
    final = client.wait_once(sim["name"], timeout=5)
    assert final.done and final.response is not None


def test_concurrent_threads_share_one_client(client: lro.Client) -> None:
    op = client.create(job())
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(20):
                assert client.get(op.name).name == op.name
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


def test_operation_handle_and_close(srv: Any) -> None:
    with lro.Client(srv.url) as c:
        op = c.create(job())
        handle = c.operation(op.name)
        assert handle.name == op.name and handle.client is c
    c.close()  # idempotent
    with pytest.raises(FailedPrecondition, match="closed"):
        c.get(op.name)


def test_repr_and_base_url_normalised(srv: Any) -> None:
    with lro.Client(srv.url + "/") as c:
        assert c.base_url == srv.url
        assert repr(c) == f"Client(base_url={srv.url!r}, token=none)"
        assert c.get(c.create(job()).name)


@pytest.mark.parametrize(
    "url", ["ftp://x", "127.0.0.1:8080", "http://u:p@h:1", "http://h/?q=1", "http://h/#f"]
)
def test_bad_base_url(url: str) -> None:
    with pytest.raises(InvalidArgument):
        lro.Client(url)


def test_bad_settings() -> None:
    with pytest.raises(InvalidArgument):
        lro.Client(timeout=0)
    for no_limit in (None, "30", True):  # every request has a timeout: no way to turn it off
        with pytest.raises(InvalidArgument, match="wait\\(timeout="):
            lro.Client(timeout=no_limit)  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument):
        lro.Client(audit_prefix="nope")
    with pytest.raises(InvalidArgument):
        lro.Client(user_agent="x\r\nX-Evil: 1")
    with pytest.raises(InvalidArgument):
        lro.Client(user_agent="snow\u2603man")
    assert lro.Client(user_agent="caf\u00e9/1.0")
    with pytest.raises(InvalidArgument) as info:
        lro.Client(token="zq-secret\nzq")
    assert "zq" not in str(info.value) and "zq" not in repr(info.value)

"""lro.aio.AsyncClient over real sockets: every public method and the error paths."""

from __future__ import annotations

import asyncio
import logging
import re
import time
import uuid
from collections.abc import Awaitable
from typing import Any, TypeVar

import pytest
from client_support import TOKEN, job, out
from suite_support import FAST_RETRY

from lro._async.transport import AsyncTransport
from lro.aio import AsyncClient, AsyncOperation, AsyncPager
from lro.errors import (
    Aborted,
    Cancelled,
    ConnectError,
    ConnectionDropped,
    FailedPrecondition,
    Internal,
    InvalidArgument,
    InvalidName,
    InvalidResponse,
    NotFound,
    PermissionDenied,
    ResourceExhausted,
    TransportTimeout,
    Unauthenticated,
    Unavailable,
)
from lro_server import serve

T = TypeVar("T")


def run(coro: Awaitable[T]) -> T:
    async def main() -> T:
        return await coro

    return asyncio.run(main())


def path_of(name: str) -> str:
    return re.escape(name) + "$"


def aclient(url: str, **options: Any) -> AsyncClient:
    options.setdefault("retry", FAST_RETRY)
    options.setdefault("timeout", 10)
    return AsyncClient(url, **options)


def test_standard_and_worker_calls(srv: Any) -> None:
    async def main() -> None:
        async with aclient(srv.url) as c:
            op = await c.create(job(progressPercent=0))
            assert op.client is c.audit and op.creator == "anonymous"
            got = await c.get(op.name)
            assert got.name == op.name and got.client is c and not got.done
            updated = await c.update(op.name, job(progressPercent=40))
            assert updated.progress == pytest.approx(0.4)
            final = await c.finalize(op.name, response=out(rows=1))
            assert final.done and await final.result() == out(rows=1)
            assert (await c.wait_once(op.name, timeout=1)).done
            assert (await c.operation(op.name)).done
            waited = await c.wait(op.name, timeout=5)
            assert waited.done and waited.client is c
            audited = await c.audit.wait(op.name, timeout=5)
            assert audited.creator == "anonymous"

            other = await c.create(job())
            await c.cancel(other.name)
            assert isinstance((await c.get(other.name)).error, Cancelled)
            await c.delete(other.name)
            with pytest.raises(NotFound):
                await c.get(other.name)
            assert (await c.audit.get(other.name)).deleted

            third = await c.create(job())
            aborted = await c.abort(third.name)
            assert isinstance(aborted.error, Aborted)
            with pytest.raises(FailedPrecondition):
                await c.finalize(third.name, error={"code": 2, "message": "x"})
            with pytest.raises(InvalidArgument):
                await c.finalize(third.name)

    run(main())


def test_wait_until_done(srv: Any) -> None:
    async def main() -> None:
        async with aclient(srv.url) as c:
            op = await c.create(job())

            async def finish() -> None:
                await asyncio.sleep(0.2)
                await c.finalize(op.name, response=out(v=3))

            task = asyncio.ensure_future(finish())
            final = await c.wait(op.name, timeout=5)
            await task
            assert final.response == out(v=3)
            assert (await c.wait_once(op.name)).done

    run(main())


def test_lists_and_pages(srv: Any) -> None:
    scope = f"projects/a{uuid.uuid4().hex[:6]}/locations/l"

    async def main() -> None:
        async with aclient(srv.url) as c:
            names = [(await c.create(job(), parent=scope)).name for _ in range(5)]
            before = srv.requests
            pager = c.list_operations(scope, page_size=2)
            assert isinstance(pager, AsyncPager) and srv.requests == before
            assert sorted([o.name async for o in pager]) == sorted(names)
            assert srv.requests == before + 3
            assert [len(p) async for p in pager.pages()] == [2, 2, 1]
            assert await pager.total_size is None
            assert await pager.unreachable == []
            assert [o.name async for o in c.list_operations(scope, filter="done = true")] == []
            audited = c.audit.list_operations(page_size=1000, show_deleted=True)
            total = await audited.total_size
            assert total is not None and total >= 5
            assert "first page fetched" in repr(audited)
            everything = {o.name async for o in c.list_operations(page_size=1000)}
            assert set(names) <= everything

    run(main())


def test_get_many_and_seen() -> None:
    async def main(url: str) -> None:
        async with aclient(url, token="a") as alice, aclient(url, token="b") as bob:
            ops = [await alice.create(job(i=i)) for i in range(3)]
            for op in ops:
                await alice.finalize(op.name, response=out())
            wanted = [ops[2].name, ops[0].name]
            assert [o.name for o in await alice.get_many(wanted)] == wanted
            with pytest.raises(NotFound, match="operations/nope"):
                await alice.get_many([ops[0].name, "operations/nope"])
            unseen = alice.unseen(page_size=2)
            assert await unseen.total_size == 3
            assert sorted([o.name async for o in unseen]) == sorted(o.name for o in ops)
            assert all([o.response is None async for o in alice.unseen(view="basic")])
            one = await alice.mark_seen(ops[0].name)
            assert isinstance(one, AsyncOperation) and one.seen
            many = await alice.mark_seen(ops[1].name, ops[0].name)
            assert (
                isinstance(many, list) and many[1].seen_by_creator_time == one.seen_by_creator_time
            )
            assert [o.name for o in await alice.audit.mark_seen_many([ops[2].name])] == [
                ops[2].name
            ]
            assert [o async for o in alice.unseen()] == []
            assert await alice.unseen().total_size == 0
            with pytest.raises(PermissionDenied):
                await bob.mark_seen(ops[0].name)
            with pytest.raises(InvalidArgument):
                await alice.mark_seen()
            with pytest.raises(InvalidArgument):
                alice.unseen(view="nope")

    with serve(port=0, db=":memory:", tokens={"a": "alice", "b": "bob"}) as s:
        run(main(s.url))


def test_get_many_chunks(srv: Any) -> None:
    names = [s["name"] for s in srv.simulate(count=1001, duration=3600, steps=1)]

    async def main() -> None:
        async with aclient(srv.url) as c:
            before = srv.requests
            got = await c.audit.get_many(reversed(names))
            assert [o.name for o in got] == names[::-1]
            assert srv.requests == before + 2

    run(main())


def test_names_validated_and_encoded(srv: Any) -> None:
    weird = "operations/a b&c=d?e#f:g%2Fh"
    srv.create_operation(weird, metadata=job())

    async def main() -> None:
        async with aclient(srv.url) as c:
            assert (await c.get(weird)).name == weird
            assert [o.name for o in await c.get_many([weird])] == [weird]
            before = srv.requests
            for bad in ("operations/../admin/v1/faults", "operations", "", "operations/a\r\nb"):
                with pytest.raises(InvalidName):
                    await c.get(bad)
            assert srv.requests == before

    run(main())


# -- errors -------------------------------------------------------------------------------


@pytest.mark.parametrize("form", [1, 2, 3])
def test_error_forms(srv: Any, form: int) -> None:
    async def main() -> None:
        async with aclient(srv.url, retry=None) as c:
            op = await c.create(job())
            srv.faults.add(kind="error", code=7, error_form=form, path=path_of(op.name))
            with pytest.raises(PermissionDenied) as info:
                await c.get(op.name)
            assert info.value.http_status == 403 and info.value.reason == "FAULT_INJECTED"
            srv.faults.add(kind="html_502", path=path_of(op.name))
            with pytest.raises(Internal, match="502 Bad Gateway"):
                await c.get(op.name)

    run(main())


def test_bad_bodies(srv: Any) -> None:
    async def main() -> None:
        async with aclient(srv.url) as c:
            op = await c.create(job())
            srv.faults.add(kind="malformed", count=2, path=path_of(op.name))
            with pytest.raises(InvalidResponse) as info:
                await c.get(op.name)
            assert info.value.raw is not None and len(srv.faults.hits) == 1
        srv.faults.clear()
        small = AsyncTransport(max_response_bytes=4096)
        async with aclient(srv.url, transport=small) as c:
            srv.faults.add(kind="oversized", size_bytes=100_000, path=path_of(op.name))
            with pytest.raises(InvalidResponse, match="larger than 4096"):
                await c.get(op.name)
            assert (await c.get(op.name)).name == op.name

    run(main())


def test_drops_and_retries(srv: Any) -> None:
    async def main() -> None:
        async with aclient(srv.url, retry=None) as bare, aclient(srv.url) as c:
            op = await c.create(job())
            srv.faults.add(kind="drop_before", path=path_of(op.name))
            with pytest.raises(ConnectionDropped):
                await bare.get(op.name)
            srv.faults.add(kind="drop_before", count=2, path=path_of(op.name))
            assert (await c.get(op.name)).name == op.name
            srv.faults.clear()

            total = await c.audit.list_operations(page_size=1).total_size
            srv.faults.add(kind="drop_after", method="POST", path=r"^/audit/v1/operations$")
            await c.create(job())
            assert await c.audit.list_operations(page_size=1).total_size == (total or 0) + 1
            srv.faults.clear()

            srv.faults.add(kind="unavailable", count=3, path=path_of(op.name))
            before = srv.requests
            assert (await c.get(op.name)).name == op.name
            assert srv.requests - before == 4
            srv.faults.add(kind="unavailable", count=9, path=path_of(op.name))
            with pytest.raises(Unavailable):
                await c.get(op.name)
            srv.faults.clear()

            srv.faults.add(kind="rate_limit", retry_after_seconds=0, path=path_of(op.name))
            srv.faults.add(kind="retry_info", retry_delay="0.05s", path=path_of(op.name))
            started = time.monotonic()
            async with aclient(srv.url, retry=FAST_RETRY.replace(maximum=1.0)) as patient:
                assert (await patient.get(op.name)).name == op.name
                assert (await patient.get(op.name)).name == op.name
            assert 0.04 < time.monotonic() - started < 2  # slept RetryInfo's 0.05 s
            srv.faults.add(kind="error", code=8, count=2, path=path_of(op.name))
            with pytest.raises(ResourceExhausted):
                await c.get(op.name)
            assert len(srv.faults.hits) == 3

    run(main())


def test_timeouts_and_refused(srv: Any, closed_port: int) -> None:
    async def main() -> None:
        async with aclient(srv.url, retry=None, timeout=0.3) as c:
            op = await c.create(job())
            srv.faults.add(kind="delay", delay_seconds=1.5, path=path_of(op.name))
            started = time.monotonic()
            with pytest.raises(TransportTimeout):
                await c.get(op.name)
            assert time.monotonic() - started < 1.2
            assert (await c.get(op.name)).name == op.name
        async with aclient(f"http://127.0.0.1:{closed_port}") as c:
            with pytest.raises(ConnectError):
                await c.get("operations/x")
        async with aclient(srv.url, audit_prefix="/nope") as c:
            with pytest.raises(NotFound, match="audit_prefix"):
                await c.create(job())
            assert (await c.get(op.name)).name == op.name

    run(main())


def test_keep_alive_and_concurrency(srv: Any) -> None:
    # Connection reuse is counted at the server in test_client_httpx.py.
    async def main() -> None:
        transport = AsyncTransport()
        async with aclient(srv.url, transport=transport) as c:
            op = await c.create(job())
            for _ in range(5):
                await c.get(op.name)
            results = await asyncio.gather(*(c.get(op.name) for _ in range(20)))
            assert {r.name for r in results} == {op.name}
        with pytest.raises(FailedPrecondition, match="closed"):
            await c.get(op.name)

    run(main())


def test_cancellation_closes_the_connection(srv: Any) -> None:
    # That a cancelled request's late answer is never read by the next request (its
    # connection is closed, not pooled) is checked in test_client_httpx.py.
    async def main() -> None:
        transport = AsyncTransport()
        async with aclient(srv.url, transport=transport) as c:
            op = await c.create(job())
            task = asyncio.ensure_future(c.wait_once(op.name, timeout=5))
            await asyncio.sleep(0.2)
            started = time.monotonic()
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            assert time.monotonic() - started < 0.5
            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(c.wait_once(op.name, timeout=5), 0.2)
            assert (await c.get(op.name)).name == op.name  # a fresh connection works

    run(main())


def test_client_survives_event_loops(srv: Any) -> None:
    c = aclient(srv.url)
    op = run(c.create(job()))
    assert run(c.get(op.name)).name == op.name  # the first loop's connection is dropped
    run(c.close())


def test_token_never_leaks_async(authed: Any, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)

    async def main() -> list[str]:
        texts: list[str] = []
        async with aclient(authed.url, token=TOKEN) as c:
            texts += [repr(c), repr(c.audit)]
            op = await c.create(job())
            assert op.creator == "alice"
            authed.faults.add(kind="unavailable", count=2)
            await c.get(op.name)
            authed.faults.add(kind="drop_before", count=9)
            with pytest.raises(ConnectionDropped) as dropped:
                await c.get(op.name)
            authed.faults.clear()
            texts += [str(dropped.value), repr(dropped.value)]
        async with aclient(authed.url, token="nope") as c:
            with pytest.raises(Unauthenticated) as denied:
                await c.get(op.name)
            texts += [str(denied.value), repr(denied.value)]
        return texts

    texts = run(main())
    assert "attempt 2" in caplog.text
    for text in [*texts, caplog.text]:
        # "Bearer" alone may show: httpcore logs the server's challenge at DEBUG
        # (WWW-Authenticate: Bearer realm="lro"), never a request's headers.
        assert TOKEN not in text and not re.search(r"Bearer (?!realm=)", text)

"""Handles (``client.track``) against the reference server: what the parity suite does
not show. One client's handles share its batching (a thousand handles of the audited view
cost a batchGet per round), the standard view's are bounded, a handle is a real future
(``concurrent.futures.wait``, ``asyncio.wrap_future``, ``asyncio.gather``), another
process rebuilds one from the name alone, and closing the client leaves no thread or
task behind."""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import subprocess
import sys
import textwrap
import threading
import time
from typing import Any

import pytest
from suite_support import FAST_RETRY

import lro
from lro._core.handles import TRACK_CONCURRENCY
from lro_server import RunningServer

OUT = {"@type": "type.googleapis.com/test.Out", "rows": 1}
QUICK = lro.WaitPolicy(stop_latency=0.5)


def _tracker_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("lro-track")]


def _first_round(srv: RunningServer, before: int) -> None:
    deadline = time.monotonic() + 10
    while srv.requests == before:
        assert time.monotonic() < deadline, "the tracker sent no first request"
        time.sleep(0.005)


def test_a_thousand_audited_handles_cost_a_batch_get_per_round(srv: RunningServer) -> None:
    names = [op["name"] for op in srv.simulate(1000, 3600.0)]
    with lro.Client(srv.url, retry=FAST_RETRY) as client:
        before = srv.requests
        handles = [client.audit.track(name) for name in names]
        _first_round(srv, before)
        assert len(_tracker_threads()) == 1  # one batch thread for all of them
        started = time.monotonic()
        with lro.Client(srv.url, retry=None) as worker:
            for name in names:
                worker.finalize(name, response=OUT)
        finishing = time.monotonic() - started
        _, not_done = concurrent.futures.wait(handles, timeout=30)
        assert not not_done
        rounds = srv.requests - before - len(names)  # the finalize calls are not the tracker's
        assert 2 <= rounds <= 3 + finishing / 0.6, (rounds, finishing)
        assert all(handle.result() == OUT for handle in handles)
        assert handles[0].latest is not None and handles[0].latest.creator == "anonymous"
    assert _tracker_threads() == []


def test_standard_handles_are_bounded_and_threads_end_with_the_work(srv: RunningServer) -> None:
    names = [op["name"] for op in srv.simulate(TRACK_CONCURRENCY + 8, 1.0)]
    with lro.Client(srv.url, retry=FAST_RETRY, wait_policy=QUICK) as client:
        handles = [client.track(name) for name in names]
        assert len(_tracker_threads()) == TRACK_CONCURRENCY  # the rest are queued
        _, not_done = concurrent.futures.wait(handles, timeout=30)
        assert not not_done and all(h.exception() is None for h in handles)
        deadline = time.monotonic() + 5
        while _tracker_threads():  # no work left: the pool threads end by themselves
            assert time.monotonic() < deadline, _tracker_threads()
            time.sleep(0.01)
        again = client.track(srv.simulate(1, 0.2)[0]["name"])  # new work, a new thread
        assert again.result(10) is not None


def test_a_handle_is_a_future(srv: RunningServer) -> None:
    (fast,), (slow,) = srv.simulate(1, 0.2), srv.simulate(1, 1.0)
    called: list[Any] = []
    with lro.Client(srv.url, retry=FAST_RETRY) as client:
        slow_handle, fast_handle = client.track(slow["name"]), client.track(fast["name"])
        slow_handle.add_done_callback(called.append)
        order = list(concurrent.futures.as_completed([slow_handle, fast_handle], timeout=20))
        assert order == [fast_handle, slow_handle]
        assert called == [slow_handle]
        assert isinstance(slow_handle, concurrent.futures.Future)
        assert repr(fast_handle) == f"Handle({fast['name']!r}, done)"
        (job,) = srv.simulate(1, 0.3)

        async def bridged() -> Any:
            return await asyncio.wrap_future(client.track(job["name"]))

        assert asyncio.run(bridged())["@type"].endswith("SimulationResult")


def test_a_broken_progress_callback_is_logged_not_fatal(
    srv: RunningServer, caplog: pytest.LogCaptureFixture
) -> None:
    (job,) = srv.simulate(1, 0.5, steps=3)

    def broken(snapshot: lro.Operation) -> None:
        raise RuntimeError("callback bug")

    with lro.Client(srv.url, retry=FAST_RETRY) as client, caplog.at_level(logging.ERROR, "lro"):
        assert client.track(job["name"], on_progress=broken).result(10) is not None
        assert client.audit.track(job["name"], on_progress=broken).result(10) is not None
    assert "on_progress of the handle" in caplog.text and "callback bug" in caplog.text


def test_closing_from_a_done_callback_does_not_deadlock(srv: RunningServer) -> None:
    (fast,), (slow,) = srv.simulate(1, 0.2), srv.simulate(1, 60)
    client = lro.Client(srv.url, retry=FAST_RETRY, wait_policy=QUICK)
    pending = client.track(slow["name"])
    closer = client.track(fast["name"])
    closer.add_done_callback(lambda _: client.close())  # runs in a tracker thread
    assert closer.result(10) is not None
    with pytest.raises(lro.Cancelled, match="closed"):
        pending.result(10)
    deadline = time.monotonic() + 5
    while _tracker_threads():
        assert time.monotonic() < deadline, _tracker_threads()
        time.sleep(0.01)


def test_a_batch_error_ends_every_audited_handle(srv: RunningServer) -> None:
    names = [op["name"] for op in srv.simulate(2, 60)]
    with lro.Client(srv.url, retry=FAST_RETRY, audit_prefix="/nowhere") as client:
        handles = [client.audit.track(name) for name in names]
        for handle in handles:
            with pytest.raises(lro.NotFound, match="audited view"):
                handle.result(10)


@pytest.mark.slow  # another process rebuilds the handle
def test_another_process_rebuilds_a_handle_from_the_name(srv: RunningServer) -> None:
    with lro.Client(srv.url, retry=FAST_RETRY) as client:
        op = client.create()
        program = textwrap.dedent(
            f"""
            import asyncio, sys, lro
            name = sys.argv[1]
            with lro.Client({srv.url!r}) as client:
                print("sync", client.track(name).result(30)["rows"], flush=True)

            async def main():
                async with lro.AsyncClient({srv.url!r}) as client:
                    print("async", (await client.audit.track(name))["rows"], flush=True)

            asyncio.run(main())
            """
        )
        child = subprocess.Popen(
            [sys.executable, "-c", program, op.name], stdout=subprocess.PIPE, text=True
        )
        time.sleep(0.5)  # the child is tracking a running operation
        client.finalize(op.name, response=OUT)
        out, _ = child.communicate(timeout=60)
    assert child.returncode == 0
    assert out.split("\n")[:2] == ["sync 1", "async 1"]


def test_async_handles_share_a_batch_task_and_close_cleanly(srv: RunningServer) -> None:
    names = [op["name"] for op in srv.simulate(300, 3600.0)]
    (slow,) = srv.simulate(1, 60)

    async def main() -> None:
        client = lro.AsyncClient(srv.url, retry=FAST_RETRY)
        before = srv.requests
        handles = [client.audit.track(name) for name in names]
        pending = client.track(slow["name"])
        await asyncio.sleep(0.3)
        named = {t.get_name() for t in asyncio.all_tasks() if t.get_name().startswith("lro-")}
        assert named == {"lro-track-batch", "lro-track-0"}
        # main, the batch worker, the one standard worker, and that worker's long-poll in
        # flight raced against its stop event (two tasks, the request and the stop: the
        # worker waits nowhere else)
        assert len(asyncio.all_tasks()) == 5
        async with lro.AsyncClient(srv.url) as worker:
            for name in names:
                await worker.finalize(name, response=OUT)
        results = await asyncio.wait_for(asyncio.gather(*handles), 30)
        assert results == [OUT] * len(names)
        assert srv.requests - before - len(names) <= 20  # rounds, not 300 pollers
        await client.close()
        with pytest.raises(lro.Cancelled, match="closed"):
            await pending
        assert asyncio.all_tasks() == {asyncio.current_task()}
        with pytest.raises(lro.FailedPrecondition):
            client.track(slow["name"])

    asyncio.run(main())


def test_async_track_needs_a_running_loop(srv: RunningServer) -> None:
    client = lro.AsyncClient(srv.url)
    with pytest.raises(lro.FailedPrecondition, match="running event loop"):
        client.track("operations/x")

    async def other_loop() -> None:
        client.track("operations/x")

    (job,) = srv.simulate(1, 0.2)

    async def first_loop() -> Any:
        return await client.track(job["name"])

    assert asyncio.run(first_loop()) is not None
    with pytest.raises(lro.FailedPrecondition, match="another event loop"):
        asyncio.run(other_loop())


def test_async_progress_callbacks_may_be_coroutines(srv: RunningServer) -> None:
    (job,) = srv.simulate(1, 0.6, steps=3)
    seen: list[float | None] = []

    async def show(snapshot: lro.Operation) -> None:
        await asyncio.sleep(0)
        seen.append(snapshot.progress)

    async def broken(snapshot: lro.Operation) -> None:
        raise RuntimeError("async callback bug")

    async def main() -> None:
        async with lro.AsyncClient(srv.url, retry=FAST_RETRY) as client:
            await client.track(job["name"], on_progress=show)
            await client.audit.track(job["name"], on_progress=broken)
            await client.audit.track(job["name"], on_progress=lambda s: 1 / 0)

    asyncio.run(main())
    assert seen and seen[-1] == 1.0


def test_handles_of_one_name_share_its_waiter(srv: RunningServer) -> None:
    (job,) = srv.simulate(1, 0.5)
    with lro.Client(srv.url, retry=FAST_RETRY) as client:
        kept, dropped = client.track(job["name"]), client.track(job["name"])
        audited, other = client.audit.track(job["name"]), client.audit.track(job["name"])
        assert dropped.cancel() and other.cancel()  # the others still watch the operation
        assert kept.result(10) == audited.result(10) is not None
        assert kept.latest is not None and kept.latest.done
        assert len(_tracker_threads()) <= 2  # one waiter for the name, one batch thread


def test_a_bug_in_the_backend_fails_the_handle_and_is_logged(
    srv: RunningServer, caplog: pytest.LogCaptureFixture
) -> None:
    (job,) = srv.simulate(1, 5)

    def broken(*args: Any) -> Any:
        raise ZeroDivisionError("backend bug")

    with lro.Client(srv.url, retry=FAST_RETRY) as client, caplog.at_level(logging.ERROR, "lro"):
        client._poll = broken  # type: ignore[method-assign]  # what a wait reads through
        with pytest.raises(ZeroDivisionError):
            client.track(job["name"]).result(10)
        client.audit._read_many = broken  # type: ignore[method-assign]  # a batch round's read
        with pytest.raises(ZeroDivisionError):
            client.audit.track(job["name"]).result(10)
    assert "tracking " in caplog.text and "backend bug" in caplog.text


def test_async_failures_end_the_handles_they_concern(
    srv: RunningServer, caplog: pytest.LogCaptureFixture
) -> None:
    names = [op["name"] for op in srv.simulate(2, 60)]

    def broken(*args: Any) -> Any:
        raise ZeroDivisionError("backend bug")

    async def main() -> None:
        async with lro.AsyncClient(srv.url, retry=FAST_RETRY, audit_prefix="/nowhere") as client:
            for handle in [client.audit.track(name) for name in names]:
                with pytest.raises(lro.NotFound, match="audited view"):
                    await asyncio.wait_for(handle, 10)
            shared = client.track(names[0]), client.track(names[0])
            assert shared[1].cancel()
            assert not shared[0].done()
            gone = client.track("operations/never-made")
            with pytest.raises(lro.NotFound):
                await asyncio.wait_for(gone, 10)
            assert client.track(names[1]).cancel(server=True)  # fine: cancelled
            assert client.track(names[0] + "-x").cancel(server=True)  # NotFound: logged
            client._poll = broken  # type: ignore[method-assign]  # what a wait reads through
            with pytest.raises(ZeroDivisionError):
                await asyncio.wait_for(client.track(names[1]), 10)
            client.audit._read_many = broken  # type: ignore[method-assign]  # a batch round's read
            with pytest.raises(ZeroDivisionError):
                await asyncio.wait_for(client.audit.track(names[1]), 10)
        with pytest.raises(lro.Cancelled, match="closed"):
            await shared[0]

    with caplog.at_level(logging.WARNING, "lro"):
        asyncio.run(main())
    assert "cancelling" in caplog.text and "backend bug" in caplog.text

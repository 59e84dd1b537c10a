"""wait_all / as_completed on a fake clock (the batch engine) and argument handling."""

from __future__ import annotations

import asyncio
import random
from typing import Any

import pytest
from waiting_support import AsyncBackend, Calls, FakeClock, FakeServer, SyncBackend

from lro import (
    Operation,
    WaitAllTimeout,
    as_completed,
    async_as_completed,
    async_wait_all,
    wait_all,
)
from lro.errors import InvalidArgument, PermissionDenied, Unavailable, WaitTimeout


def _setup(count: int, **server_options: Any) -> tuple[FakeClock, FakeServer, SyncBackend]:
    clock = FakeClock()
    server = FakeServer(clock, **server_options)
    for i in range(count):
        server.add(f"operations/{i}", 1.0 + (i % 7), outcome="error" if i % 5 == 0 else "response")
    return clock, server, SyncBackend(server, view="audited")


def _names(count: int) -> list[str]:
    return [f"operations/{i}" for i in range(count)]


def test_batch_rounds_ask_only_for_what_is_not_done() -> None:
    clock, server, backend = _setup(2500)
    results = wait_all(
        _names(2500),
        client=backend,
        timeout=60,
        clock=clock,
        rng=random.Random(3),
    )
    assert [op.name for op in results] == _names(2500)  # input order
    assert all(op.done for op in results)
    failed = [op for op in results if op.error is not None]
    assert len(failed) == 500  # failures are results, not exceptions
    assert set(server.kinds()) == {"batch"}
    assert all(len(r.names) <= 1000 for r in server.requests)
    assert len(server.requests[0].names) == 1000  # chunks of 1000 ...
    # ... then only the unfinished: a name asked for in a round was still running at the
    # round before (done operations are never asked for again).
    round_times = sorted({r.at for r in server.requests})
    previous = dict(zip(round_times[1:], round_times, strict=False))
    for request in server.requests:
        if request.at in previous:
            assert all(server.jobs[n].duration > previous[request.at] for n in request.names)
    assert len(round_times) <= 10  # ops of 1-7 s, rounds at most ~1 s apart
    assert len(server.requests) < 40


def test_batch_timeout_lists_what_is_not_done_with_partial_results() -> None:
    clock = FakeClock()
    server = FakeServer(clock)
    server.add("operations/fast", 1.0)
    server.add("operations/slow")
    backend = SyncBackend(server, view="audited")
    with pytest.raises(WaitAllTimeout) as info:
        wait_all(
            ["operations/fast", "operations/slow"],
            client=backend,
            timeout=5,
            clock=clock,
        )
    error = info.value
    assert isinstance(error, WaitTimeout)
    assert error.not_done == ["operations/slow"]
    fast, slow = error.operations
    assert fast is not None and fast.done and slow is not None and not slow.done
    assert clock.elapsed == pytest.approx(5.0) and server.requests[-1].at == pytest.approx(5.0)


def test_batch_not_found_names_one_operation_and_the_others_continue() -> None:
    clock, _server, backend = _setup(3)
    names = ["operations/0", "operations/gone", "operations/1", "operations/2"]
    results = wait_all(names, client=backend, timeout=60, clock=clock)
    assert [op.name for op in results] == names
    gone = results[1]
    assert gone.done and gone.error is not None and gone.error.code.name == "NOT_FOUND"
    assert all(op.done for op in results)


def test_batch_transient_errors_are_retried_permanent_ones_raise() -> None:
    clock, server, backend = _setup(10, failures={0: Unavailable("x", http_status=503)})
    results = wait_all(_names(10), client=backend, timeout=60, clock=clock)
    assert len(results) == 10 and len(server.requests) > 1
    clock, _server, backend = _setup(10, failures={1: PermissionDenied("no", http_status=403)})
    with pytest.raises(PermissionDenied):
        wait_all(_names(10), client=backend, timeout=60, clock=clock)


def test_as_completed_yields_in_completion_order_and_progress_is_reported() -> None:
    clock = FakeClock()
    server = FakeServer(clock)
    for name, duration in [("operations/c", 9.0), ("operations/a", 2.0), ("operations/b", 5.0)]:
        server.add(name, duration)
    backend = SyncBackend(server, view="audited")
    progress = Calls()
    stream = as_completed(
        ["operations/c", "operations/a", "operations/b"],
        client=backend,
        timeout=60,
        clock=clock,
        on_progress=progress,
    )
    assert [op.name for op in stream] == ["operations/a", "operations/b", "operations/c"]
    assert len(progress.calls) > 3


def test_done_inputs_cost_nothing_and_duplicates_are_waited_once() -> None:
    clock, server, backend = _setup(2)
    done = Operation.from_dict({"name": "operations/x", "done": True, "response": {}}, backend)
    results = wait_all(
        [done, "operations/0", "operations/0"],
        client=backend,
        timeout=60,
        clock=clock,
    )
    assert [op.name for op in results] == ["operations/x", "operations/0", "operations/0"]
    assert all(r.names == ("operations/0",) for r in server.requests)
    assert wait_all([done]) == [done] and server.requests  # bound: no client= needed


def test_bound_operations_carry_their_client() -> None:
    clock, server, _backend = _setup(2)
    ops = [server.snapshot("operations/0"), server.snapshot("operations/1")]
    results = wait_all(ops, timeout=60, clock=clock)
    assert [op.done for op in results] == [True, True]


def test_arguments_are_checked_at_the_call() -> None:
    _clock, _server, backend = _setup(1)
    with pytest.raises(InvalidArgument, match="client="):
        wait_all(["operations/0"])
    with pytest.raises(InvalidArgument, match="client="):
        as_completed([Operation.from_dict({"name": "operations/0"})])
    with pytest.raises(InvalidArgument, match="via"):
        wait_all(["operations/0"], client=backend, via="carrier-pigeon")  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument, match="max_concurrency"):
        as_completed(["operations/0"], client=backend, max_concurrency=0)
    with pytest.raises(InvalidArgument, match="batch"):
        wait_all(["operations/0"], client=_NoBatch(), via="batch")
    with pytest.raises(InvalidArgument):
        wait_all([42], client=backend)  # type: ignore[list-item]
    assert wait_all([], client=backend) == []


class _NoBatch:
    def get(self, name: str) -> Any: ...
    def wait_once(self, name: str, timeout: float | None) -> Any: ...
    def cancel(self, name: str) -> None: ...


def test_async_batch_matches_sync() -> None:
    def trace(use_async: bool) -> list[tuple[float, int]]:
        clock = FakeClock()
        server = FakeServer(clock)
        for i in range(1200):
            server.add(f"operations/{i}", 1.0 + (i % 4))
        if use_async:
            backend: Any = AsyncBackend(server, view="audited")
            asyncio.run(
                async_wait_all(
                    _names(1200),
                    client=backend,
                    timeout=60,
                    clock=clock,
                    rng=random.Random(2),
                )
            )
        else:
            wait_all(
                _names(1200),
                client=SyncBackend(server, view="audited"),
                timeout=60,
                clock=clock,
                rng=random.Random(2),
            )
        return [(r.at, len(r.names)) for r in server.requests]

    assert trace(True) == trace(False)


def test_async_as_completed_and_timeout() -> None:
    clock = FakeClock()
    server = FakeServer(clock)
    server.add("operations/slow")
    server.add("operations/fast", 1.0)
    backend = AsyncBackend(server, view="audited")

    async def main() -> list[str]:
        got = []
        stream = async_as_completed(
            ["operations/slow", "operations/fast"],
            client=backend,
            timeout=4,
            clock=clock,
        )

        async def consume() -> None:
            async for op in stream:
                got.append(op.name)

        with pytest.raises(WaitAllTimeout) as info:
            await consume()
        assert info.value.not_done == ["operations/slow"]
        return got

    assert asyncio.run(main()) == ["operations/fast"]

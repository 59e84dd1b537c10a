"""Concurrency: threads sharing one client, many clients writing the same operations, and
asyncio tasks sharing an AsyncClient lose no write; a bounded soak leaks no thread, socket
or file descriptor.

Update *replaces* metadata, so lost writes are detected from what the server returns:
every acknowledged update carries the server's ``updateTime`` (strictly increasing per
server), so for each operation the final metadata must be the one of its latest
acknowledged update, no two acknowledged updates may share an ``updateTime``, and the
server must have seen exactly as many requests as were acknowledged.
"""

from __future__ import annotations

import asyncio
import gc
import os
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from reliability_support import META, RESPONSE, TOKEN
from suite_support import FAST_RETRY

from lro import Operation
from lro._sync.client import Client
from lro.aio import AsyncClient
from lro.errors import Code
from lro_server import RunningServer

TYPE = "type.googleapis.com/lro.example.Progress"
#: The soak's faults hit the first requests of 16 threads at once: allow many attempts.
SOAK_RETRY = FAST_RETRY.replace(max_attempts=12)


def meta(writer: int, counter: int) -> dict[str, Any]:
    return {"@type": TYPE, "writer": writer, "counter": counter}


def check_no_lost_update(acks: list[Operation], final: dict[str, dict[str, Any]]) -> None:
    """Every acknowledged update is distinct, ordered, and the last one is what stayed."""
    by_op: dict[str, list[Operation]] = defaultdict(list)
    for op in acks:
        by_op[op.name].append(op)
    for name, ops in by_op.items():
        times = [op.update_time for op in ops]
        assert len(set(times)) == len(times), f"{name}: two updates with one updateTime"
        latest = max(ops, key=lambda op: op.update_time)
        assert final[name]["metadata"] == latest.metadata, f"{name}: the last write was lost"
        assert final[name]["updateTime"] == latest.to_dict()["updateTime"]


def final_state(client: Client, names: list[str]) -> dict[str, dict[str, Any]]:
    return {op.name: op.to_dict() for op in client.audit.get_many(names)}


def test_threads_sharing_one_client_lose_no_update(srv: RunningServer, client: Client) -> None:
    threads, updates = 16, 50
    names = [client.create(META).name for _ in range(threads)]
    before = srv.requests

    def work(t: int) -> list[Operation]:
        acks = []
        for i in range(updates):
            op = client.update(names[t], meta(t, i))
            assert op.metadata == meta(t, i), "the response is not this write's result"
            acks.append(op)
        return acks

    with ThreadPoolExecutor(threads) as pool:
        acks = [op for ops in pool.map(work, range(threads)) for op in ops]

    assert len(acks) == threads * updates
    assert srv.requests - before == threads * updates, "requests lost or duplicated"
    final = final_state(client, names)
    for t, name in enumerate(names):
        assert final[name]["metadata"] == meta(t, updates - 1)
    check_no_lost_update(acks, final)


def test_many_clients_updating_the_same_operations(
    srv: RunningServer, make_client: Callable[..., Client]
) -> None:
    writers, updates, shared = 8, 25, 4
    setup = make_client()
    names = [setup.create(META).name for _ in range(shared)]
    clients = [make_client() for _ in range(writers)]
    start = threading.Barrier(writers)
    before = srv.requests

    def work(w: int) -> list[Operation]:
        start.wait()
        return [clients[w].update(names[i % shared], meta(w, i)) for i in range(updates)]

    with ThreadPoolExecutor(writers) as pool:
        acks = [op for ops in pool.map(work, range(writers)) for op in ops]

    assert len(acks) == srv.requests - before == writers * updates
    check_no_lost_update(acks, final_state(setup, names))


def test_many_clients_cancelling_and_marking_the_same_operations(
    srv: RunningServer, make_client: Callable[..., Client]
) -> None:
    workers, count = 8, 20
    setup = make_client()
    names = [setup.create(META).name for _ in range(count)]
    clients = [make_client() for _ in range(workers)]
    start = threading.Barrier(workers)

    def work(w: int) -> list[Operation]:
        start.wait()
        order = names[w:] + names[:w]  # everyone collides, in a different order
        for name in order:
            clients[w].cancel(name)
        return [clients[w].mark_seen(name) for name in order]

    with ThreadPoolExecutor(workers) as pool:
        marks = [op for ops in pool.map(work, range(workers)) for op in ops]

    final = final_state(setup, names)
    seen_at = defaultdict(set)
    for op in marks:
        seen_at[op.name].add(op.to_dict()["seenByCreatorTime"])
    for name in names:
        op = final[name]
        assert op["done"] is True and op["error"]["code"] == Code.CANCELLED
        assert seen_at[name] == {op["seenByCreatorTime"]}, "seenByCreatorTime changed"
    assert not list(setup.unseen())


def test_async_tasks_sharing_one_client_lose_no_update(srv: RunningServer) -> None:
    tasks, updates = 50, 10

    async def run() -> tuple[list[str], list[Operation], dict[str, dict[str, Any]]]:
        async with AsyncClient(srv.url, token=TOKEN, retry=FAST_RETRY, timeout=10) as client:
            names = [(await client.create(META)).name for _ in range(5)]

            async def work(t: int) -> list[Operation]:
                return [await client.update(names[t % 5], meta(t, i)) for i in range(updates)]

            acks = [op for ops in await asyncio.gather(*map(work, range(tasks))) for op in ops]
            final = {op.name: op.to_dict() for op in await client.audit.get_many(names)}
            return names, acks, final

    before = srv.requests
    _, acks, final = asyncio.run(run())
    assert len(acks) == tasks * updates
    assert srv.requests - before == 5 + tasks * updates + 1
    check_no_lost_update(acks, final)


# --- soak -----------------------------------------------------------------------------------


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def settle(baseline: tuple[int, int], timeout: float = 5.0) -> tuple[int, int]:
    """Thread and fd counts, polled until back at ``baseline`` (servers close lazily)."""
    deadline = time.monotonic() + timeout
    while True:
        gc.collect()
        now = (threading.active_count(), open_fds())
        if now <= baseline or time.monotonic() > deadline:
            return now
        time.sleep(0.05)


@pytest.mark.slow
@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc/self/fd")
def test_soak_leaks_no_thread_socket_or_fd(
    srv: RunningServer, record_property: Callable[[str, object], None]
) -> None:
    """2,000 requests from sync threads, separate clients, faults and an AsyncClient; then
    every client is closed and the counts return to where they were."""
    with Client(srv.url, token=TOKEN, retry=SOAK_RETRY) as warm:  # lazy imports, pools
        warm.get(warm.create(META).name)
    asyncio.run(_async_soak(srv, 2))
    baseline = settle((10**6, 10**6))
    before = srv.requests

    shared = Client(srv.url, token=TOKEN, retry=SOAK_RETRY, timeout=5.0)
    names = [shared.create(META).name for _ in range(8)]

    def sync_work(t: int) -> None:
        own = Client(srv.url, token=TOKEN, retry=SOAK_RETRY, timeout=5.0)
        try:
            for i in range(100):
                client = shared if i % 2 else own
                name = names[(t + i) % len(names)]
                if i % 10 == 0:
                    list(client.list_operations(page_size=3))  # 3 pages of 8
                elif i % 3 == 0:
                    client.update(name, meta(t, i))
                else:
                    client.get(name)
        finally:
            own.close()

    srv.faults.add(kind="drop_before", count=10)
    srv.faults.add(kind="unavailable", count=10)
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(sync_work, range(16)))
    srv.faults.clear()
    asyncio.run(_async_soak(srv, 4 * 50))
    done = shared.create(META).name
    shared.finalize(done, response=RESPONSE)
    shared.wait(done, timeout=5)
    shared.close()

    sent = srv.requests - before
    record_property("requests", sent)
    assert sent >= 2000, f"only {sent} requests"
    after = settle(baseline)
    assert after[0] <= baseline[0], f"threads: {baseline[0]} before, {after[0]} after"
    assert after[1] <= baseline[1], f"fds: {baseline[1]} before, {after[1]} after"


async def _async_soak(srv: RunningServer, n: int) -> None:
    async with AsyncClient(srv.url, token=TOKEN, retry=SOAK_RETRY, timeout=5.0) as client:
        name = (await client.create(META)).name
        await asyncio.gather(*(client.get(name) for _ in range(n)))

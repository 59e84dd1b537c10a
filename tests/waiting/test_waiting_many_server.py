"""wait_all / as_completed against the reference server (both views)."""

from __future__ import annotations

import threading
import time

import pytest

from lro import Operation, WaitAllTimeout, as_completed, wait_all
from lro._core.wait_policy import WaitPolicy
from lro._sync.client import Client
from lro_server import ManualClock, RunningServer


def test_wait_all_of_1000_on_the_audited_view_is_a_handful_of_batch_gets(
    srv: RunningServer, client: Client
) -> None:
    """Rounds of one batchGet each (1000 names fit in one), not 1000s of GETs.

    The operations run until the test finishes them, after the first round has seen them
    all running: however long creating 1000 of them took on this machine, the waiter
    needs a second round, and the count of rounds depends only on how long finishing
    them took (rounds are at least 0.75 s x 0.85 jitter apart)."""
    # Real time: the rounds are paced by the client's (real) backoff.
    names = [op["name"] for op in srv.simulate(1000, 3600.0)]
    before = srv.requests
    outcome: dict[str, list[Operation]] = {}

    def waiter() -> None:
        outcome["results"] = wait_all(names, client=client.audit, timeout=60)

    waiting = threading.Thread(target=waiter)
    waiting.start()
    deadline = time.monotonic() + 10
    while srv.requests == before:  # the first round: every operation still running
        assert time.monotonic() < deadline, "wait_all sent no first batchGet"
        time.sleep(0.005)
    started = time.monotonic()
    with Client(srv.url, retry=None) as worker:
        for name in names:
            worker.finalize(name, response={"@type": "type.googleapis.com/test.Out"})
    finishing = time.monotonic() - started
    waiting.join(30)
    assert not waiting.is_alive(), "wait_all did not return after every operation finished"
    results = outcome["results"]
    requests = srv.requests - before - len(names)  # the finalize calls are not the waiter's
    assert [op.name for op in results] == names and all(op.done for op in results)
    assert 2 <= requests <= 3 + finishing / 0.6, (requests, finishing)
    assert results[0].creator == "anonymous"  # audited snapshots


def test_wait_all_on_the_standard_view_long_polls_and_keeps_failures(
    srv: RunningServer, vclient: Client
) -> None:
    client = vclient  # its windows and backoff are on the clock it shares with the server
    ok = [op["name"] for op in srv.simulate(20, 1.2)]
    bad = [op["name"] for op in srv.simulate(5, 0.6, "error")]
    names = [*bad[:2], *ok, *bad[2:]]
    before = srv.requests
    results = wait_all(names, client=client, timeout=20)
    assert [op.name for op in results] == names
    assert sum(op.error is not None for op in results) == 5
    assert srv.requests - before <= 2 * len(names)  # a long-poll or two each
    assert _waiters() == []  # the pool's threads are gone


def test_a_missing_name_does_not_hide_the_others(srv: RunningServer, vclient: Client) -> None:
    client = vclient  # batchGet rounds paced on the clock it shares with the server
    names = [op["name"] for op in srv.simulate(3, 0.3)]
    names.insert(1, "operations/never-existed")
    for view in (client.audit, client):
        results = wait_all(names, client=view, timeout=10)
        assert [op.name for op in results] == names
        missing = results[1]
        assert missing.done and missing.error is not None
        assert missing.error.code.name == "NOT_FOUND"
        assert all(op.response is not None for op in results[:1] + results[2:])


def test_as_completed_yields_in_completion_order(srv: RunningServer, vclient: Client) -> None:
    client = vclient  # windows and backoff on the clock it shares with the server
    slow = srv.simulate(1, 1.5)[0]["name"]
    fast = srv.simulate(1, 0.3)[0]["name"]
    middle = srv.simulate(1, 0.9)[0]["name"]
    order = [op.name for op in as_completed([slow, fast, middle], client=client, timeout=10)]
    assert order == [fast, middle, slow]


def test_wait_all_timeout_carries_partial_results(
    srv: RunningServer, vclient: Client, virtual_clock: ManualClock
) -> None:
    # The client's 1.2 s deadline and the server's windows are on one (virtual) clock.
    client = vclient
    done_fast = srv.simulate(1, 0.2)[0]["name"]
    slow = srv.simulate(2, 30.0)
    names = [done_fast, *[op["name"] for op in slow]]
    started = virtual_clock.monotonic()
    with pytest.raises(WaitAllTimeout) as info:
        wait_all(names, client=client, timeout=1.2)
    # Not before the deadline; the slack is under one batch round.
    assert 1.2 <= virtual_clock.monotonic() - started < 2.2
    error = info.value
    assert error.not_done == names[1:]
    assert error.operations[0] is not None and error.operations[0].done
    assert all(op is not None and not op.done for op in error.operations[1:])


def test_polling_view_and_bound_operations(srv: RunningServer, vclient: Client) -> None:
    client = vclient  # via="poll" sleeps between GETs on the clock it shares with the server
    ops = [client.get(op["name"]) for op in srv.simulate(3, 0.5)]
    policy = WaitPolicy(initial_delay=0.1)
    results = wait_all(ops, via="poll", timeout=10, policy=policy)  # bound: no client=
    assert all(op.done for op in results)


def test_abandoning_as_completed_ends_its_threads(srv: RunningServer, client: Client) -> None:
    # Real time: the client's stop latency is measured on its (real) clock.
    names = [op["name"] for op in srv.simulate(5, 30.0)]
    fast = srv.simulate(1, 0.2)[0]["name"]
    policy = WaitPolicy(stop_latency=0.3)
    stream = as_completed([*names, fast], client=client, timeout=20, policy=policy)
    assert next(stream).name == fast
    stream.close()
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline and _waiters():
        time.sleep(0.05)
    assert _waiters() == []


def test_stop_event_abandons_wait_all(srv: RunningServer, client: Client) -> None:
    # Real time: the stop is measured on the client's clock, which is wall-clock.
    names = [op["name"] for op in srv.simulate(3, 30.0)]
    stop = threading.Event()
    threading.Timer(0.3, stop.set).start()
    started = time.monotonic()
    with pytest.raises(Exception, match="abandoned"):
        wait_all(names, client=client, timeout=20, stop=stop, policy=WaitPolicy(stop_latency=0.3))
    assert time.monotonic() - started < 1.0


def _waiters() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("lro-wait-")]

"""Waiting against the reference server over real sockets (server wait cap: 1 s)."""

from __future__ import annotations

import signal
import threading
import time
from typing import Any

import pytest
from waiting_support import advance_while

from lro._core.wait_plan import progress_of
from lro._core.wait_policy import WaitPolicy
from lro._core.waits import known_long_poll
from lro._sync.client import Client
from lro._sync.waiting import wait, watch
from lro.errors import Cancelled, Internal, NotFound, WaitTimeout
from lro_server import ManualClock, RunningServer, serve


def _start(srv: RunningServer, duration: float, outcome: str = "response") -> str:
    return str(srv.simulate(1, duration, outcome)[0]["name"])


def test_long_poll_notices_completion_at_once(srv: RunningServer, client: Client) -> None:
    """One :wait per server window (1 s here), and completion noticed inside the window
    that is held when it happens. The test finishes the operation once the waiter holds
    its third window, so the count does not depend on how fast this machine is."""
    # Real time: a window cut short on the server's clock looks to the client like an
    # early return, after which it backs off on its own (real) clock: nothing is saved.
    name = client.create({"@type": "type.googleapis.com/test.Job"}).name  # runs until told
    before = srv.requests
    outcome: dict[str, Any] = {}

    def waiter() -> None:
        outcome["final"] = client.wait(name, timeout=20)
        outcome["returned"] = time.monotonic()

    waiting = threading.Thread(target=waiter)
    waiting.start()
    deadline = time.monotonic() + 10
    while not (srv.requests - before == 3 and srv.held_waits == 1):
        assert time.monotonic() < deadline, ("no third :wait held", srv.requests - before)
        time.sleep(0.002)
    client.finalize(name, response={"@type": "type.googleapis.com/test.Out"})
    finalized = time.monotonic()
    waiting.join(10)
    assert not waiting.is_alive(), "the waiter did not return after the operation finished"
    final = outcome["final"]
    assert final.done and final.response is not None
    assert srv.requests - before == 3 + 1  # three :wait windows, and the finalize
    # The held window had about 1 s left: a waiter that was not woken would return at its
    # end. 0.75 s leaves a wide margin for a busy machine.
    assert outcome["returned"] - finalized < 0.75
    assert known_long_poll(client, name) is True


def test_result_and_typed_errors(
    srv: RunningServer, client: Client, manual_clock: ManualClock
) -> None:
    ok, bad, cancelled = _start(srv, 0.3), _start(srv, 0.3, "error"), _start(srv, 0.3, "cancelled")
    response = advance_while(manual_clock, 0.3, lambda: client.operation(ok).result(timeout=10))
    assert response["@type"].endswith("SimulationResult") or "items" in response
    with pytest.raises(Internal) as info:
        client.operation(bad).result(timeout=10)
    assert info.value.error_info is not None  # details attached
    with pytest.raises(Cancelled):
        client.operation(cancelled).result(timeout=10)
    assert client.wait(bad, timeout=10).error is not None  # wait returns, never raises it


def test_audited_view_waits_and_answers_audited_snapshots(
    srv: RunningServer, client: Client, manual_clock: ManualClock
) -> None:
    name = _start(srv, 0.5)
    final = advance_while(manual_clock, 0.5, lambda: client.audit.wait(name, timeout=10))
    assert final.done and final.creator == "anonymous"


def test_resume_from_a_name_in_another_client(
    srv: RunningServer, manual_clock: ManualClock
) -> None:
    name = _start(srv, 0.5)
    with Client(srv.url) as fresh:  # as another process would: only the name is kept
        assert advance_while(manual_clock, 0.5, lambda: fresh.operation(name).wait(timeout=10)).done


def test_fallback_to_polling_when_wait_is_missing(
    srv: RunningServer, vclient: Client, virtual_clock: ManualClock
) -> None:
    # Virtual time: the client's polling schedule is what is timed, on the shared clock.
    client = vclient
    srv.faults.add(kind="error", status=405, code=12, path=r":wait$", count=1000)
    name = _start(srv, 1.0)
    started = virtual_clock.monotonic()
    assert client.wait(name, timeout=10).done
    assert virtual_clock.monotonic() - started < 2.5  # polls at ~0, 0.75 and 1.8 s
    assert known_long_poll(client, name) is False
    hits = len(srv.faults.hits)
    assert hits == 1
    assert client.wait(_start(srv, 0.2), timeout=10).done
    assert len(srv.faults.hits) == hits  # detected once per client: no second :wait


def test_fallback_on_404_for_the_wait_route(srv: RunningServer, vclient: Client) -> None:
    client = vclient  # after the 404 it polls, on the clock it shares with the server
    srv.faults.add(kind="error", status=404, code=5, path=r":wait$", count=1000)
    name = _start(srv, 0.5)
    assert client.wait(name, timeout=10).done
    assert known_long_poll(client, name) is False


def test_a_wait_that_polls_by_choice_teaches_nothing_about_the_route(
    srv: RunningServer, vclient: Client
) -> None:
    # A policy's long_poll=False is the caller's choice, not the server's answer: the
    # route keeps its :wait for the next wait and for wait_once.
    polling = WaitPolicy(long_poll=False, initial_delay=0.1, max_delay=0.1)
    name = _start(srv, 0.3)
    assert vclient.wait(name, timeout=10, policy=polling).done
    assert known_long_poll(vclient, name) is None
    assert vclient.wait_once(_start(srv, 0.1), 5).done  # a long-poll, not Unimplemented
    assert known_long_poll(vclient, name) is True


def test_a_long_poll_that_answers_done_at_once_is_learnt(
    srv: RunningServer, vclient: Client
) -> None:
    name = _start(srv, 0.0)
    assert vclient.wait(name, timeout=10).done
    assert known_long_poll(vclient, name) is True


def test_timeout_keeps_the_operation_running(
    srv: RunningServer, vclient: Client, virtual_clock: ManualClock
) -> None:
    # The client's deadline and the server's windows are on one (virtual) clock.
    client = vclient
    name = _start(srv, 2.0)
    started = virtual_clock.monotonic()
    with pytest.raises(WaitTimeout) as info:
        client.wait(name, timeout=1.2)
    elapsed = virtual_clock.monotonic() - started
    # Not before the deadline, and not much after: the last window is shortened to end at
    # it; 1 s of slack covers a busy machine and is still short of another 1 s window.
    assert 1.2 <= elapsed < 2.2
    assert info.value.operation is not None and not info.value.operation.done
    assert info.value.operation_name == name
    final = client.wait(name, timeout=10)
    assert final.response is not None  # it was not cancelled


def test_cancel_on_timeout(srv: RunningServer, vclient: Client) -> None:
    # The client's 0.5 s deadline ends the wait, and the window must end with it.
    client = vclient
    name = _start(srv, 30.0)
    with pytest.raises(WaitTimeout):
        client.wait(name, timeout=0.5, cancel_on_timeout=True)
    final = client.get(name)
    assert final.done and isinstance(final.error, Cancelled)


def test_transient_faults_mid_wait_do_not_end_it(
    srv: RunningServer, virtual_clock: ManualClock
) -> None:
    # The faults meet a running operation; the client backs off on the shared clock.
    name = _start(srv, 2.0)
    srv.faults.add(kind="unavailable", count=3, path=r":wait$")
    srv.faults.add(kind="drop_before", count=2, path=r":wait$")
    srv.faults.add(kind="html_502", count=2)
    srv.faults.add(kind="rate_limit", count=1, retry_after_seconds=0.2)
    fast = WaitPolicy(initial_delay=0.05, max_delay=0.2)  # eight failures in a row
    # only the waiter retries
    with Client(srv.url, retry=None, timeout=10, clock=virtual_clock) as bare:
        started = virtual_clock.monotonic()
        assert bare.wait(name, timeout=15, policy=fast).done
        assert virtual_clock.monotonic() - started < 3.0
    assert srv.faults.rules == []  # every fault was hit


def test_permanent_errors_end_the_wait_at_once(srv: RunningServer, client: Client) -> None:
    started = time.monotonic()
    with pytest.raises(NotFound):
        client.wait("operations/does-not-exist", timeout=10)
    name = _start(srv, 10.0)
    client.delete(name)
    with pytest.raises(NotFound):
        client.wait(name, timeout=10)
    assert time.monotonic() - started < 1.0


def test_watch_and_progress(srv: RunningServer, vclient: Client) -> None:
    client = vclient  # its polls and the simulations' steps are on one (virtual) clock
    name = str(srv.simulate(1, 1.0, steps=5)[0]["name"])
    policy = WaitPolicy(long_poll=False, initial_delay=0.1, max_delay=0.1)
    snaps = list(watch(client, name, timeout=10, policy=policy))
    fractions = [progress_of(s) for s in snaps]
    assert snaps[-1].done and fractions[-1] == 1.0
    assert fractions == sorted(fractions) and len(set(fractions)) >= 3
    progress: list[float | None] = []
    client.wait(
        str(srv.simulate(1, 0.8, steps=4)[0]["name"]),
        timeout=10,
        policy=policy,
        on_progress=lambda op: progress.append(op.progress),
    )
    assert progress[-1] == 1.0 and len(progress) >= 3


def test_stop_event_from_another_thread(srv: RunningServer, client: Client) -> None:
    # Real time: the stop is measured on the client's clock, which is wall-clock.
    name = _start(srv, 30.0)
    stop = threading.Event()
    threading.Timer(0.3, stop.set).start()
    started = time.monotonic()
    with pytest.raises(Cancelled, match="abandoned"):
        wait(client, name, timeout=20, stop=stop, policy=WaitPolicy(stop_latency=0.25))
    assert time.monotonic() - started < 0.9
    assert not client.get(name).done  # abandoning a wait does not cancel the operation


def test_ctrl_c_interrupts_a_long_poll_in_flight_and_leaves_no_thread() -> None:
    # Real time: a real SIGINT must interrupt a real socket read.
    with serve(port=0, db=":memory:", max_wait=30.0) as long_srv, Client(long_srv.url) as c:
        name = _start(long_srv, 60.0)
        threads_before = threading.active_count()
        main = threading.main_thread().ident
        assert main == threading.get_ident()
        timer = threading.Timer(0.4, lambda: signal.pthread_kill(main, signal.SIGINT))
        started = time.monotonic()
        timer.start()
        with pytest.raises(KeyboardInterrupt):
            c.wait(name, timeout=20)
        assert time.monotonic() - started < 1.5  # not the 30 s window
        timer.join()
        assert threading.active_count() == threads_before
        assert c.get(name).done is False  # the client still works

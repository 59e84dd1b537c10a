"""The single-operation waiter on a fake clock: strategy, deadlines, errors, callbacks.

Nothing here sleeps for real: the fake server "blocks" a long-poll by moving the clock.
"""

from __future__ import annotations

import random
import threading

import pytest
from waiting_support import Calls, FakeClock, FakeServer, SyncBackend, fake

from lro._core.deadlines import DEFAULT
from lro._core.wait_plan import progress_of
from lro._core.wait_policy import WaitPolicy
from lro._core.waits import known_long_poll
from lro._sync.waiting import wait, watch
from lro.errors import (
    Cancelled,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    ResourceExhausted,
    Unavailable,
    Unimplemented,
    WaitTimeout,
)

NAME = "operations/a"


def run(backend: SyncBackend, clock: FakeClock, **kw: object):  # type: ignore[no-untyped-def]
    kw.setdefault("rng", random.Random(1))
    return wait(backend, NAME, clock=clock, **kw)  # type: ignore[arg-type]


# -- strategy ----------------------------------------------------------------------------


def test_long_poll_notices_completion_at_once_one_request_per_window() -> None:
    clock, server, backend = fake(10.0, max_wait=3.0)
    final = run(backend, clock, timeout=60)
    assert final.done and final.response == {"@type": "type.googleapis.com/t.R", "ok": True}
    assert clock.elapsed == 10.0  # no lateness at all
    assert server.kinds() == ["wait"] * 4  # windows end at 3, 6, 9, then 10 (done)
    assert clock.sleeps == []
    assert known_long_poll(backend, NAME) is True


def test_window_asked_is_the_policy_window() -> None:
    clock, server, backend = fake(5.0)
    run(backend, clock, timeout=60, policy=WaitPolicy(wait_window=2.5))
    assert [r.window for r in server.requests] == [2.5, 2.5]


@pytest.mark.parametrize("lacking", ["unimplemented", "405", "404"])
def test_falls_back_to_polling_and_remembers_it(lacking: str) -> None:
    clock, server, backend = fake(10.0, long_poll=lacking)
    final = run(backend, clock, timeout=60)
    assert final.done
    kinds = server.kinds()
    assert kinds[0] == "wait" and set(kinds[1:]) == {"get"}
    assert known_long_poll(backend, NAME) is False
    # Detected once per client: the next wait goes straight to polling.
    server.add("operations/b", 15.0)
    server.requests.clear()
    wait(backend, "operations/b", timeout=60, clock=clock)
    assert set(server.kinds()) == {"get"}


def test_404_on_wait_and_on_get_is_not_found() -> None:
    clock, server, backend = fake(10.0)
    with pytest.raises(NotFound):
        wait(backend, "operations/missing", timeout=60, clock=clock)
    assert server.kinds() == ["wait", "get"]
    assert known_long_poll(backend, NAME) is None  # nothing learnt


def test_forced_long_poll_does_not_fall_back() -> None:
    clock, _server, backend = fake(10.0, long_poll="unimplemented")
    with pytest.raises(Unimplemented):
        run(backend, clock, timeout=60, policy=WaitPolicy(long_poll=True))


def test_polling_only_policy_never_long_polls() -> None:
    clock, server, backend = fake(3.0)
    run(backend, clock, timeout=60, policy=WaitPolicy(long_poll=False))
    assert set(server.kinds()) == {"get"}


def test_polling_schedule_grows_with_jitter_and_caps() -> None:
    clock, _server, backend = fake(200.0, long_poll="405")
    run(backend, clock, timeout=None)
    sleeps = clock.sleeps
    assert 0.75 * 0.85 <= sleeps[0] <= 0.75 * 1.15
    assert sleeps[1] > sleeps[0]
    assert max(sleeps) <= 10.0 * 1.15
    assert len({round(s, 6) for s in sleeps[-5:]}) == 5  # jittered, not lockstep


def test_early_returning_long_poll_is_paced() -> None:
    clock, server, backend = fake(20.0, early=True)
    run(backend, clock, timeout=60)
    assert clock.sleeps and len(server.requests) < 30  # not a hot loop


def test_server_capping_the_window_is_not_paced() -> None:
    clock, server, backend = fake(20.0, max_wait=2.0)
    run(backend, clock, timeout=60)
    assert clock.sleeps == [] and len(server.requests) == 10


# -- deadlines ---------------------------------------------------------------------------


def test_timeout_raises_with_last_snapshot_after_a_check_at_the_deadline() -> None:
    clock, server, backend = fake(long_poll="405")
    with pytest.raises(WaitTimeout) as info:
        run(backend, clock, timeout=10)
    error = info.value
    assert error.operation is not None and not error.operation.done
    assert error.operation_name == NAME and NAME in str(error)
    times = [r.at for r in server.requests]
    assert times[-1] == pytest.approx(10.0) and times[-2] < 10.0  # last check at deadline
    assert clock.elapsed == pytest.approx(10.0)  # and no later
    assert server.cancelled == []  # not cancelled unless asked


def test_long_poll_window_is_shortened_to_fit_the_deadline() -> None:
    clock, server, backend = fake(max_wait=3.0)
    with pytest.raises(WaitTimeout):
        run(backend, clock, timeout=10)
    assert [r.window for r in server.requests] == [10.0, 7.0, 4.0, 1.0]
    assert clock.elapsed == pytest.approx(10.0)


@pytest.mark.parametrize("mode", ["yes", "405"])
def test_operation_finishing_just_before_the_deadline_is_seen(mode: str) -> None:
    clock, _server, backend = fake(9.99, long_poll=mode)
    assert run(backend, clock, timeout=10).done


@pytest.mark.parametrize("mode", ["yes", "405"])
def test_operation_finishing_exactly_at_the_deadline_is_seen(mode: str) -> None:
    clock, _server, backend = fake(10.0, long_poll=mode)
    assert run(backend, clock, timeout=10).done


@pytest.mark.parametrize("mode", ["yes", "405"])
def test_operation_finishing_just_after_the_deadline_times_out(mode: str) -> None:
    clock, _server, backend = fake(10.01, long_poll=mode)
    with pytest.raises(WaitTimeout):
        run(backend, clock, timeout=10)
    assert clock.elapsed == pytest.approx(10.0)


def test_timeout_zero_makes_exactly_one_check() -> None:
    clock, server, backend = fake()
    with pytest.raises(WaitTimeout):
        run(backend, clock, timeout=0)
    assert len(server.requests) == 1 and server.requests[0].window == 0


def test_timeout_none_waits_indefinitely() -> None:
    clock, _server, backend = fake(100_000.0, long_poll="405")
    assert run(backend, clock, timeout=None).done
    assert clock.elapsed >= 100_000


def test_default_timeout_comes_from_the_policy_and_the_client() -> None:
    clock, _server, backend = fake()
    with pytest.raises(WaitTimeout):
        run(backend, clock, timeout=DEFAULT)
    assert clock.elapsed == pytest.approx(900.0)
    clock2, _, backend2 = fake()
    backend2.wait_policy = WaitPolicy(default_timeout=42.0)  # type: ignore[attr-defined]
    with pytest.raises(WaitTimeout):
        run(backend2, clock2)
    assert clock2.elapsed == pytest.approx(42.0)


def test_negative_timeout_is_rejected() -> None:
    clock, _server, backend = fake()
    with pytest.raises(InvalidArgument):
        run(backend, clock, timeout=-1)


def test_max_polls_caps_requests() -> None:
    clock, server, backend = fake(long_poll="405")
    with pytest.raises(WaitTimeout, match="max_polls=5"):
        run(backend, clock, timeout=None, policy=WaitPolicy(max_polls=5))
    assert len(server.requests) == 5


def test_cancel_on_timeout_cancels_only_when_asked() -> None:
    clock, server, backend = fake()
    with pytest.raises(WaitTimeout):
        run(backend, clock, timeout=5, cancel_on_timeout=True)
    assert server.cancelled == [NAME]


# -- errors ------------------------------------------------------------------------------


def test_transient_errors_never_end_the_wait_early() -> None:
    clock = FakeClock()
    errors = {i: Unavailable("restarting", http_status=503) for i in range(1, 6)}
    server = FakeServer(clock, failures=dict(errors), max_wait=2.0)
    server.add(NAME, 12.0)
    final = run(SyncBackend(server), clock, timeout=60)
    assert final.done and len(server.requests) > 6


def test_retry_after_beyond_max_delay_is_honoured_while_it_fits_the_wait() -> None:
    clock = FakeClock()
    failures = {
        0: Unavailable("busy", http_status=503, retry_delay=3.0),
        1: ResourceExhausted("slow down", http_status=429, retry_delay=20.0),
    }
    server = FakeServer(clock, failures=failures)
    server.add(NAME, 0.0)
    run(SyncBackend(server), clock, timeout=60, policy=WaitPolicy(max_delay=8.0))
    assert clock.sleeps == [3.0, 20.0]  # the server's word, not max_delay's


def test_retry_after_that_does_not_fit_the_wait_fails_at_once_with_the_server_s_error() -> None:
    clock = FakeClock()
    failures = {1: ResourceExhausted("slow down", http_status=429, retry_delay=60.0)}
    server = FakeServer(clock, failures=failures)
    server.add(NAME)
    with pytest.raises(ResourceExhausted) as info:
        run(SyncBackend(server), clock, timeout=30, policy=WaitPolicy(wait_window=1.0))
    assert info.value.retry_delay == 60.0
    assert len(server.requests) == 2 and clock.elapsed < 5  # no early retry, no sleep


def test_transient_errors_until_the_deadline_give_a_timeout_caused_by_them() -> None:
    clock = FakeClock()
    server = FakeServer(clock, fail_from=2.0, fail_with=Unavailable("down", http_status=503))
    server.add(NAME)
    with pytest.raises(WaitTimeout) as info:
        run(SyncBackend(server), clock, timeout=20, policy=WaitPolicy(wait_window=1.0))
    assert isinstance(info.value.__cause__, Unavailable)
    assert info.value.operation is not None  # the snapshot from before the outage
    assert server.requests[-1].at == pytest.approx(20.0)


def test_permanent_error_ends_the_wait_at_once() -> None:
    clock = FakeClock()
    server = FakeServer(clock, failures={2: PermissionDenied("no", http_status=403)})
    server.add(NAME)
    done = Calls()
    with pytest.raises(PermissionDenied):
        run(SyncBackend(server), clock, timeout=60, on_done=done, policy=WaitPolicy(wait_window=1))
    assert len(server.requests) == 3
    ((snapshot, error),) = done.calls
    assert isinstance(error, PermissionDenied) and snapshot is not None


# -- progress, callbacks, watch -----------------------------------------------------------


def test_on_progress_fires_only_when_the_snapshot_changes() -> None:
    clock, server, backend = fake(8.0, max_wait=0.5)
    seen = Calls()
    run(backend, clock, timeout=60, on_progress=seen)
    steps = [op.metadata["step"] for (op,) in seen.calls]
    assert steps == [0, 1, 2, 3, 4]  # 16 requests, five distinct snapshots
    assert len(server.requests) == 17
    assert seen.calls[-1][0].done


def test_on_done_fires_on_success_failure_and_timeout() -> None:
    clock, server, backend = fake(3.0)
    server.add("operations/bad", 2.0, outcome="error")
    done = Calls()
    final = run(backend, clock, timeout=60, on_done=done)
    assert done.calls == [(final, None)]
    failed = wait(backend, "operations/bad", timeout=60, on_done=done, clock=clock)
    assert failed.error is not None and done.calls[-1] == (failed, None)
    server.add("operations/slow")
    with pytest.raises(WaitTimeout) as info:
        wait(backend, "operations/slow", timeout=5, on_done=done, clock=clock)
    assert done.calls[-1] == (info.value.operation, info.value)


def test_watch_yields_each_change_until_done() -> None:
    clock, _server, backend = fake(8.0, max_wait=0.5)
    snaps = list(watch(backend, NAME, timeout=60, clock=clock))
    assert [s.metadata["step"] for s in snaps] == [0, 1, 2, 3, 4]
    assert snaps[-1].done and not any(s.done for s in snaps[:-1])


def test_watch_raises_timeout_after_yielding() -> None:
    clock, _server, backend = fake(max_wait=1.0)
    got = []

    def consume() -> None:
        for snap in watch(backend, NAME, timeout=3, clock=clock):
            got.append(snap)

    with pytest.raises(WaitTimeout):
        consume()
    assert len(got) == 1


def test_progress_helper() -> None:
    clock, server, _backend = fake(8.0)
    clock.now += 4.0
    assert progress_of(server.snapshot(NAME)) == 0.5
    assert progress_of({"progressPercent": 25}) == 0.25
    assert progress_of({"something": 1}) is None and progress_of(None) is None
    clock.now += 10
    assert progress_of(server.snapshot(NAME)) == 1.0


# -- abandoning --------------------------------------------------------------------------


def test_stop_event_set_before_abandons_without_a_request() -> None:
    clock, server, backend = fake()
    stop = threading.Event()
    stop.set()
    with pytest.raises(Cancelled, match="abandoned"):
        run(backend, clock, timeout=60, stop=stop)
    assert server.requests == []


def test_stop_event_set_while_sleeping_abandons() -> None:
    _, server, backend = fake(long_poll="405")
    stop = threading.Event()

    class StoppingClock(FakeClock):
        def sleep(self, seconds: float) -> None:
            super().sleep(seconds)
            if len(self.sleeps) == 3:
                stop.set()

    done = Calls()
    with pytest.raises(Cancelled):
        wait(backend, NAME, timeout=60, stop=stop, clock=StoppingClock(), on_done=done)
    assert len(server.requests) == 4 and isinstance(done.calls[0][1], Cancelled)


def test_stop_event_caps_long_poll_windows() -> None:
    clock, server, backend = fake(12.0)
    run(backend, clock, timeout=60, stop=threading.Event(), policy=WaitPolicy(stop_latency=4))
    assert [r.window for r in server.requests] == [4.0, 4.0, 4.0]


def test_policy_validation() -> None:
    for bad in (
        {"long_poll": "sometimes"},
        {"wait_window": 0},
        {"initial_delay": 5, "max_delay": 1},
        {"multiplier": 0.5},
        {"jitter": 1.0},
        {"max_polls": 0},
        {"initial_delay": "1"},
        {"default_timeout": True},
    ):
        with pytest.raises(InvalidArgument):  # never a bare ValueError or TypeError
            WaitPolicy(**bad)  # type: ignore[arg-type]
    assert WaitPolicy().replace(max_polls=3).max_polls == 3

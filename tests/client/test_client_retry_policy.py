"""Unit tests of lro._core.retry (policy, AIP-194 classification, RetryState) and the pagers."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

import lro
import lro._core.attempts
import lro._core.decode
from lro import Page, Pager
from lro._core.http import Headers, Request, Response
from lro._core.retry import DEFAULT_RETRY, NO_RETRY, Retry, RetryState, is_retryable
from lro.errors import (
    Aborted,
    Cancelled,
    ConnectError,
    ConnectionDropped,
    DataLoss,
    DeadlineExceeded,
    Error,
    FailedPrecondition,
    Internal,
    InvalidArgument,
    InvalidResponse,
    NotFound,
    ResourceExhausted,
    TLSError,
    TransportError,
    TransportTimeout,
    Unavailable,
    error_from_http,
)


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_defaults() -> None:
    assert DEFAULT_RETRY.initial == 0.1
    assert DEFAULT_RETRY.multiplier == 2.0
    assert DEFAULT_RETRY.maximum == 5.0
    assert DEFAULT_RETRY.deadline == 30.0
    assert DEFAULT_RETRY.max_attempts == 5
    assert DEFAULT_RETRY.jitter == "full"
    assert NO_RETRY.max_attempts == 1


def test_backoff_caps_and_jitter() -> None:
    none = Retry(initial=1, multiplier=2, maximum=5, jitter="none")
    assert [none.backoff(n) for n in range(1, 6)] == [1, 2, 4, 5, 5]
    full = Retry(initial=1, maximum=5, jitter="full", random=lambda: 0.5)
    assert [full.backoff(n) for n in (1, 2, 3, 4)] == [0.5, 1, 2, 2.5]
    equal = Retry(initial=1, maximum=5, jitter="equal", random=lambda: 0.0)
    assert [equal.backoff(n) for n in (1, 2, 3)] == [0.5, 1, 2]
    for _ in range(50):
        assert 0 <= DEFAULT_RETRY.backoff(3) <= 0.4


@pytest.mark.parametrize(
    "changes",
    [{"initial": -1}, {"multiplier": 0.5}, {"max_attempts": 0}, {"deadline": -1}, {"jitter": "x"}],
)
def test_invalid_policy(changes: dict[str, Any]) -> None:
    with pytest.raises(lro.InvalidArgument):
        Retry().replace(**changes)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"maximum": -0.5}, "initial and maximum must be >= 0 and multiplier >= 1"),
        ({"max_attempts": 0}, "max_attempts must be >= 1"),
        ({"deadline": -0.5}, "deadline must be >= 0 or None"),
        ({"jitter": "half"}, "jitter must be 'full', 'equal' or 'none'"),
    ],
)
def test_invalid_policy_says_which_rule(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(lro.InvalidArgument) as info:
        Retry().replace(**changes)
    assert info.value.message == message


def test_the_edges_of_a_valid_policy() -> None:
    """Zero sleeps, no growth, a single attempt and a zero deadline are all valid."""
    edge = Retry(initial=0, maximum=0, multiplier=1, max_attempts=1, deadline=0)
    assert (edge.maximum, edge.multiplier, edge.max_attempts, edge.deadline) == (0, 1, 1, 0)
    assert edge.backoff(3) == 0
    assert Retry(deadline=0.5).deadline == 0.5 and Retry(max_attempts=1).max_attempts == 1


def test_equal_jitter_spans_half_the_cap_to_the_cap() -> None:
    for draw, expected in [(0.0, [0.5, 1, 2]), (1.0, [1, 2, 4]), (0.5, [0.75, 1.5, 3])]:
        equal = Retry(initial=1, maximum=5, jitter="equal", random=lambda d=draw: d)
        assert [equal.backoff(n) for n in (1, 2, 3)] == expected


def test_server_delay_wins_over_the_maximum_while_it_fits_the_deadline() -> None:
    policy = Retry(maximum=2.0, deadline=30.0)
    assert 0.05 <= policy.delay_for(ResourceExhausted(retry_delay=0.0), 1) <= 0.1  # floor
    assert policy.delay_for(ResourceExhausted(retry_delay=1.5), 1) == 1.5
    assert policy.delay_for(ResourceExhausted(retry_delay=20), 1) == 20.0
    assert 0.05 <= policy.delay_for(ResourceExhausted(retry_delay=-3), 1) <= 0.1

    def state(outer: float | None = None) -> RetryState:
        made = RetryState(policy, idempotent=True, method="GET", path="/x", outer=outer)
        made.begin()
        return made

    assert state().next_delay(ResourceExhausted(retry_delay=20)) == 20.0  # fits 30 s
    assert state().next_delay(ResourceExhausted(retry_delay=45)) is None  # fails at once
    # inside a wait with 10 s left: 20 s no longer fits
    assert state(10.0).next_delay(ResourceExhausted(retry_delay=20)) is None
    assert state(10.0).next_delay(ResourceExhausted(retry_delay=5)) == 5.0


def test_a_server_delay_of_zero_is_raised_to_a_floor_that_grows() -> None:
    """Retry-After: 0 (or RetryInfo 0s) must not make a tight loop: the sleep is at least
    half the backoff cap of that retry (equal jitter), doubling like the backoff."""
    zero = ResourceExhausted(retry_delay=0.0)
    low, high = Retry(random=lambda: 0.0), Retry(random=lambda: 1.0 - 1e-12)
    assert [low.delay_for(zero, n) for n in (1, 2, 3, 4)] == [0.05, 0.1, 0.2, 0.4]
    assert [round(high.delay_for(zero, n), 6) for n in (1, 2, 3, 4)] == [0.1, 0.2, 0.4, 0.8]
    assert Retry(jitter="none").delay_for(zero, 3) == 0.4
    assert Retry(maximum=0.3, random=lambda: 0.0).delay_for(zero, 9) == 0.15  # capped too
    # A server delay above the floor is honoured as it is.
    assert low.delay_for(ResourceExhausted(retry_delay=0.3), 1) == 0.3


def _http(status: int, body: bytes = b"", **headers: str) -> Error:
    return error_from_http(status, body, headers)


@pytest.mark.parametrize(
    ("error", "idempotent", "expected"),
    [
        (Unavailable(), True, True),
        (Unavailable(), False, False),
        (ConnectError(), False, True),
        (ConnectError(), True, True),
        (ConnectionDropped(), True, True),
        (ConnectionDropped(), False, False),
        (TransportTimeout(), True, True),
        (TransportTimeout(), False, False),
        (TransportError(), True, True),
        (TLSError(), True, False),
        (InvalidResponse(), True, False),
        (ResourceExhausted(), True, False),
        (ResourceExhausted(retry_delay=0), True, True),
        (ResourceExhausted(retry_delay=1), False, False),
        (Aborted(retry_delay=1), True, True),
        (Aborted(), True, False),
        (Cancelled(retry_delay=1), True, False),
        (DeadlineExceeded(), True, False),
        (InvalidArgument(retry_delay=1), True, False),
        (DataLoss(), True, False),
        (NotFound(), True, False),
        (FailedPrecondition(), True, False),
        (Internal(), True, False),
        (_http(502, b"<html>bad gateway</html>"), True, True),
        (_http(502, b"<html>bad gateway</html>"), False, False),
        (_http(503, b""), True, True),
        (_http(504, b"<html>gateway timeout</html>"), True, True),
        (_http(429, b"", **{"Retry-After": "0"}), True, True),
        (_http(429, b""), True, False),
        (_http(500, b""), True, False),
        (
            _http(
                504,
                json.dumps(
                    {
                        "code": 4,
                        "message": "slow",
                        "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo"}],
                    }
                ).encode(),
            ),
            True,
            False,
        ),
        (ValueError("x"), True, False),
    ],
)
def test_is_retryable(error: BaseException, idempotent: bool, expected: bool) -> None:
    assert is_retryable(error, idempotent) is expected


def test_retry_state_attempts_and_deadline(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="lro")
    clock = FakeClock()
    policy = Retry(initial=1, maximum=4, deadline=6, max_attempts=10, jitter="none", clock=clock)
    state = RetryState(policy, idempotent=True, method="GET", path="/v1/operations/x")
    delays = []
    while True:
        state.begin()
        delay = state.next_delay(Unavailable("down"))
        if delay is None:
            break
        delays.append(delay)
        clock.sleep(delay)
    # 1 + 2 = 3 s slept; the next 4 s sleep would end at 7 s > deadline 6 s.
    assert delays == [1, 2]
    assert state.attempt == 3
    assert "attempt 1: " in caplog.text and "retrying in 1.000 s" in caplog.text
    assert "attempt 3: " in caplog.text and "giving up" in caplog.text


def test_retry_state_budget_and_max_attempts() -> None:
    clock = FakeClock()
    policy = Retry(initial=1, jitter="none", deadline=None, max_attempts=3, clock=clock)
    state = RetryState(policy, idempotent=True, method="GET", path="/", budget=1.5)
    state.begin()
    assert state.next_delay(Unavailable()) == 1
    clock.sleep(1)
    state.begin()
    assert state.next_delay(Unavailable()) is None  # 2 s more would pass the 1.5 s budget
    unlimited = RetryState(policy.replace(initial=0.0), idempotent=True, method="GET", path="/")
    results = []
    for _ in range(4):
        unlimited.begin()
        results.append(unlimited.next_delay(Unavailable()))
    assert results == [0.0, 0.0, None, None]
    assert RetryState(None, idempotent=True, method="GET", path="/").remaining() is None


def test_no_policy_never_retries() -> None:
    state = RetryState(None, idempotent=True, method="GET", path="/")
    state.begin()
    assert state.next_delay(Unavailable()) is None


def test_attempts_generator_drives_retries() -> None:
    responses = [Unavailable("a"), Response(503, {}, b""), Response(200, {}, b'{"x": 1}')]
    policy = Retry(initial=0.5, jitter="none")
    call = lro._core.attempts.Call(
        "GET",
        "/x",
        lambda: Request("GET", "http://h/x"),
        lambda r: lro._core.decode.load(r, None),
    )
    steps = lro._core.attempts.attempts(call, policy)
    trace: list[Any] = [next(steps)]
    try:
        for outcome in responses:
            trace.append(steps.send(outcome))
            if isinstance(trace[-1], float):
                trace.append(steps.send(None))
    except StopIteration as stop:
        result = stop.value
    assert result == {"x": 1}
    kinds = [type(t).__name__ for t in trace]
    assert kinds == ["Request", "float", "Request", "float", "Request"]
    assert trace[1] == 0.5 and trace[3] == 1.0


# -- paging -------------------------------------------------------------------------------


def _pages(*pages: Page[int]) -> tuple[Pager[int], list[str | None]]:
    fetched: list[str | None] = []
    by_token = {None: pages[0], **{f"t{i}": p for i, p in enumerate(pages[1:], 1)}}

    def fetch(token: str | None) -> Page[int]:
        fetched.append(token)
        return by_token[token]

    return Pager(fetch), fetched


def test_pager_is_lazy_and_caches_first_page() -> None:
    pager, fetched = _pages(
        Page([1, 2], "t1", total_size=5, unreachable=["r"]),
        Page([3, 4], "t2"),
        Page([5], ""),
    )
    assert fetched == []
    assert pager.total_size == 5 and pager.unreachable == ["r"]
    assert fetched == [None]
    iterator = iter(pager)
    assert [next(iterator), next(iterator)] == [1, 2]
    assert fetched == [None]
    assert next(iterator) == 3
    assert fetched == [None, "t1"]
    assert list(iterator) == [4, 5]
    assert [len(p) for p in pager.pages()] == [2, 2, 1]
    assert list(pager) == [1, 2, 3, 4, 5]
    assert "first page fetched" in repr(pager)


def test_pager_empty_and_looping_token() -> None:
    pager, _ = _pages(Page([], ""))
    assert list(pager) == [] and pager.total_size is None
    fetched: list[str | None] = []

    def same_token(token: str | None) -> Page[int]:
        fetched.append(token)  # a bound of its own: a pager that loops fails here, at once
        assert len(fetched) <= 5, f"the pager kept fetching {fetched}: loop not noticed"
        return Page([1], "same")

    with pytest.raises(InvalidResponse, match="same nextPageToken"):
        list(Pager(same_token))
    assert fetched == [None, "same"]


# -- transport pieces ---------------------------------------------------------------------


def test_headers_case_insensitive_and_redacted() -> None:
    headers = Headers([("Retry-After", "1"), ("X-A", "1"), ("x-a", "2")])
    assert headers["retry-after"] == "1" and "RETRY-AFTER" in headers
    assert headers["X-A"] == "1, 2" and len(headers) == 2
    assert list(headers) == ["Retry-After", "X-A"]
    secret = Headers({"Authorization": "Bearer zz-secret"})
    assert "zz-secret" not in repr(secret)
    request = Request("GET", "http://h/v1/x?q=1", {"Authorization": "Bearer zz-secret"})
    assert "zz-secret" not in repr(request) and request.path == "/v1/x"
    assert repr(Response(200, {}, b"abc")) == "Response(200, 3 bytes)"

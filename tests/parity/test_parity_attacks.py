"""Hostile servers against both clients (issue 13, the client half), over real sockets.

Each attack runs through :class:`lro.Client` and :class:`lro.AsyncClient` (the ``side``
fixture), against the reference server's own faults or a hostile loopback server
(``hostile_peer.py``), and asserts its outcome: the error, the elapsed time, the number of
requests. The machine running the suite may be slow and shared (two cores), so time
bounds are upper bounds with wide margins, never speed assertions: each one only has to
tell "cut off at the deadline" from "never cut off" (the attacks below ran for 40 s and
more before).
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from hostile_peer import HostilePeer
from parity_support import BOUND_SECONDS, Side, unwrap

import lro
import lro.aio

parity = pytest.mark.parity

#: Slack above a deadline before a test calls it overrun: a deadline that works ends
#: within milliseconds of it; one that does not runs to the hostile server's 60 s limit.
SLACK = 3.0


@pytest.fixture
def drip() -> Iterator[HostilePeer]:
    with HostilePeer("drip") as peer:
        yield peer


def _timed(side: Side, action: object, what: str) -> tuple[BaseException, float]:
    started = time.monotonic()
    with pytest.raises(lro.Error) as info:
        side.within(BOUND_SECONDS, action, what)  # type: ignore[arg-type]
    return info.value, time.monotonic() - started


# -- 1. a request's deadline is wall-clock ---------------------------------------------


@parity("client.get")
@pytest.mark.parametrize("mode", ["drip", "continue"])
def test_a_request_is_cut_off_at_its_timeout_however_the_server_trickles(
    side: Side, mode: str
) -> None:
    """One byte every 0.5 s, or ``100 Continue`` every 0.2 s: each read is quick, but the
    request as a whole must end at the client's 2 s timeout (it used to never end)."""
    with HostilePeer(mode) as peer:
        c = side.client(peer.url, timeout=2.0, retry=None)
        error, elapsed = _timed(side, lambda: c.get("operations/x"), f"get from a {mode} peer")
    assert isinstance(error, lro.TransportTimeout)
    assert "request deadline of 2 s passed" in str(error)
    assert 1.9 <= elapsed < 2.0 + SLACK
    assert peer.requests == 1


@parity("client.wait")
@pytest.mark.parametrize("long_poll", [True, False], ids=["long-poll", "get-polling"])
def test_wait_ends_at_its_timeout_when_every_request_trickles(
    side: Side, drip: HostilePeer, long_poll: bool
) -> None:
    """``wait(timeout=3)`` hands the time left to each request it makes (a long-poll, whose
    own read allowance is its window plus 5 s; GETs and their retries): it ends at 3 s,
    not 42 s, give or take the 0.5 s a request may run past it (``LAST_CHECK_SECONDS``)."""
    c = side.client(drip.url, timeout=2.0)
    policy = lro.WaitPolicy(long_poll=long_poll)
    error, elapsed = _timed(
        side, lambda: c.wait("operations/x", timeout=3.0, policy=policy), "wait on a drip"
    )
    assert isinstance(error, lro.WaitTimeout)
    assert isinstance(error.__cause__ or error.__context__ or error, lro.Error)
    assert 2.9 <= elapsed < 3.0 + 0.5 + SLACK  # 3.5 s when the last request is cut off
    assert 1 <= drip.requests <= 4  # cut-off requests, not a loop


# -- 2. pacing has a floor -------------------------------------------------------------

#: The documented bound (docs/guide.md, "Retries"): with the default Retry and WaitPolicy,
#: one wait sends at most 10 requests in its first 2 s whatever the server's delay (five
#: attempts 0.05, 0.1, 0.2 and 0.4 s apart at least, a wait sleep of at least 0.64 s, four
#: more, and the last check at the deadline). Before: 3,000 sync, 6,800 async.
BOUND_IN_2_S = 10

ZERO_DELAYS = {
    "503 + Retry-After: 0": ("unavailable", {"retry_after_seconds": 0}),
    "429 + Retry-After: 0": ("rate_limit", {"retry_after_seconds": 0}),
    "503 + RetryInfo 0s": ("retry_info", {"retry_delay": "0s"}),
}


@parity("client.wait")
@pytest.mark.parametrize("fault", list(ZERO_DELAYS))
def test_a_server_delay_of_zero_cannot_make_a_wait_loop(side: Side, fault: str) -> None:
    kind, options = ZERO_DELAYS[fault]
    (started,) = side.server.simulate(count=1, duration=60)
    name = started["name"]
    side.server.faults.add(kind, count=100_000, path="^/v1/operations/", **options)
    c = side.client(retry=lro.DEFAULT_RETRY)  # the documented bound is the defaults'
    error, elapsed = _timed(side, lambda: c.wait(name, timeout=2.0), f"wait under {fault}")
    assert isinstance(error, lro.WaitTimeout)
    assert elapsed < 2.0 + 0.5 + SLACK
    sent = len(side.server.faults.hits)
    assert 3 <= sent <= BOUND_IN_2_S, f"{sent} requests in 2 s under {fault}"


# -- 3. pagination ends ----------------------------------------------------------------


@parity("client.list_operations", "pager.__iter__")
def test_a_server_alternating_page_tokens_is_not_followed_forever(side: Side) -> None:
    """Pages answer ``A``, then ``B``, then ``A`` again: the third token was sent before,
    so the listing stops there (it used to yield the same pages forever)."""
    with HostilePeer("tokens") as peer:
        c = side.client(peer.url)
        seen: list[str] = []

        def listing() -> None:
            for op in c.list_operations():
                seen.append(op.name)

        error, _ = _timed(side, listing, "an A, B, A listing")
    assert isinstance(error, lro.InvalidResponse)
    assert "same nextPageToken" in str(error) and "already sent" in str(error)
    assert error.raw == "A"
    assert peer.requests == 3
    assert seen == ["operations/page-first", "operations/page-A", "operations/page-B"]


@parity("client.list_operations", "pager.pages")
def test_a_listing_stops_at_the_page_cap(side: Side) -> None:
    with HostilePeer("endless") as peer:
        c = side.client(peer.url, max_pages=5)
        error, _ = _timed(side, lambda: list(c.list_operations().pages()), "endless pages")
    assert isinstance(error, lro.InvalidResponse)
    assert "max_pages=5" in str(error)
    assert peer.requests == 5


@parity()
@pytest.mark.parametrize("value", [0, -1, 2.5, True, "10"])
def test_max_pages_is_checked(side: Side, value: object) -> None:
    with pytest.raises(lro.InvalidArgument, match="max_pages"):
        side.client(max_pages=value)


@parity()
def test_wait_all_batch_rounds_end_at_the_timeout(side: Side, drip: HostilePeer) -> None:
    """``wait_all`` over batchGet rounds hands each round's requests the time left too."""
    # Real time: a dripping loopback peer's socket, not the reference server, is waited on.
    target = unwrap(side.client(drip.url, timeout=2.0))
    names = ["operations/a", "operations/b"]

    def action() -> object:
        if side.is_async:
            waiting = lro.aio.async_wait_all(names, client=target, timeout=3.0, via="batch")
            return side._run(waiting)
        return lro.wait_all(names, client=target, timeout=3.0, via="batch")

    error, elapsed = _timed(side, action, "wait_all on a drip")
    assert isinstance(error, lro.WaitTimeout)
    assert 2.9 <= elapsed < 3.0 + 0.5 + SLACK
    assert 1 <= drip.requests <= 4

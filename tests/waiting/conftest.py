"""Fixtures of the waiting tests: a reference server on 127.0.0.1 with a short wait cap
(so the window logic is exercised) and clients of it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from waiting_support import FAST_RETRY, MAX_WAIT

from lro._sync.client import Client
from lro_server import Clock, ManualClock, RunningServer, serve


@pytest.fixture
def manual_clock() -> ManualClock:
    """Server time that moves only when the test says; a test that asks for it gets
    `srv` on it. The client's own waiting stays on real time."""
    return ManualClock()


@pytest.fixture
def srv(request: pytest.FixtureRequest) -> Iterator[RunningServer]:
    clock: Clock = (
        request.getfixturevalue("manual_clock")
        if "manual_clock" in request.fixturenames
        else Clock()
    )
    with serve(port=0, db=":memory:", max_wait=MAX_WAIT, clock=clock) as running:
        yield running


@pytest.fixture
def client(srv: RunningServer) -> Iterator[Client]:
    with Client(srv.url, retry=FAST_RETRY, timeout=10) as c:
        yield c

"""Fixtures of the server tests: a fresh in-memory server per test, and raw HTTP to it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from server_http import Api

from lro_server import Clock, ManualClock, RunningServer, serve

TOKENS = {"token-alice": "alice", "token-bob": "bob"}


@pytest.fixture
def manual_clock() -> ManualClock:
    """Server time that moves only when the test says; a test that asks for it gets
    `srv` on it (or passes it to `serve(..., clock=...)`)."""
    return ManualClock()


def clock_of(request: pytest.FixtureRequest) -> Clock:
    """The test's `manual_clock` if it asks for one, else real time."""
    if "manual_clock" in request.fixturenames:
        clock: Clock = request.getfixturevalue("manual_clock")
        return clock
    return Clock()


@pytest.fixture
def srv(request: pytest.FixtureRequest) -> Iterator[RunningServer]:
    with serve(port=0, db=":memory:", clock=clock_of(request)) as running:
        yield running


@pytest.fixture
def api(srv: RunningServer) -> Api:
    return Api(srv.url)


@pytest.fixture
def authed() -> Iterator[RunningServer]:
    """A server with tokens: alice and bob."""
    with serve(port=0, db=":memory:", tokens=TOKENS) as running:
        yield running


@pytest.fixture
def alice(authed: RunningServer) -> Api:
    return Api(authed.url, token="token-alice")


@pytest.fixture
def bob(authed: RunningServer) -> Api:
    return Api(authed.url, token="token-bob")

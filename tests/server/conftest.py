"""Fixtures of the server tests: a fresh in-memory server per test, and raw HTTP to it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from server_http import Api

from lro_server import ManualClock, RunningServer, serve

TOKENS = {"token-alice": "alice", "token-bob": "bob"}


@pytest.fixture
def srv() -> Iterator[RunningServer]:
    with serve(port=0, db=":memory:") as running:
        yield running


@pytest.fixture
def manual_clock() -> ManualClock:
    """Time for a server that moves only when the test says (`serve(..., clock=...)`)."""
    return ManualClock()


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

"""Fixtures for the client tests: a real reference server on 127.0.0.1 and clients of it."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest
from client_support import FAST_RETRY, TOKEN

import lro
from lro_server import serve


@pytest.fixture(scope="session")
def server() -> Iterator[Any]:
    with serve(port=0, db=":memory:", max_wait=5.0) as srv:
        yield srv


@pytest.fixture()
def srv(server: Any) -> Iterator[Any]:
    """The shared server, with no fault armed before or after the test."""
    server.faults.clear()
    yield server
    server.faults.clear()


@pytest.fixture(scope="session")
def token_server() -> Iterator[Any]:
    with serve(port=0, db=":memory:", tokens={TOKEN: "alice", "other-token": "bob"}) as srv:
        yield srv


@pytest.fixture()
def client(srv: Any) -> Iterator[lro.Client]:
    with lro.Client(srv.url, retry=FAST_RETRY, timeout=10) as c:
        yield c


@pytest.fixture()
def bare(srv: Any) -> Iterator[lro.Client]:
    """A client that never retries."""
    with lro.Client(srv.url, retry=None, timeout=10) as c:
        yield c


@pytest.fixture()
def closed_port() -> int:
    """A loopback port nobody listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])

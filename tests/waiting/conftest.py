"""Fixtures of the waiting tests: ``srv`` (tests/conftest.py) with a short wait cap (so
the window logic is exercised) and clients of it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from suite_support import FAST_RETRY
from waiting_support import MAX_WAIT

from lro._sync.client import Client
from lro_server import ManualClock, RunningServer


@pytest.fixture
def server_options() -> dict[str, Any]:
    return {"max_wait": MAX_WAIT}


@pytest.fixture
def client(srv: RunningServer) -> Iterator[Client]:
    with Client(srv.url, retry=FAST_RETRY, timeout=10) as c:
        yield c


@pytest.fixture
def vclient(srv: RunningServer, virtual_clock: ManualClock) -> Iterator[Client]:
    """A client of ``srv`` on the test's ``virtual_clock`` (so is ``srv``): its polls,
    backoff and deadlines are virtual seconds, and the server's simulations move with them."""
    with Client(srv.url, retry=FAST_RETRY, timeout=10, clock=virtual_clock) as c:
        yield c

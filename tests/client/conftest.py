"""Fixtures for the client tests: clients of ``srv``, the fresh reference server of each
test (tests/conftest.py), here with a 5 s wait cap; ``authed`` knows the tokens below."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from client_support import TOKEN
from suite_support import FAST_RETRY

import lro


@pytest.fixture
def server_options() -> dict[str, Any]:
    return {"max_wait": 5.0}


@pytest.fixture
def authed_tokens() -> dict[str, str]:
    """TOKEN is alice; tok-a and tok-b are the two callers of the unseen-list test."""
    return {TOKEN: "alice", "other-token": "bob", "tok-a": "alice", "tok-b": "bob"}


@pytest.fixture()
def client(srv: Any) -> Iterator[lro.Client]:
    with lro.Client(srv.url, retry=FAST_RETRY, timeout=10) as c:
        yield c


@pytest.fixture()
def bare(srv: Any) -> Iterator[lro.Client]:
    """A client that never retries."""
    with lro.Client(srv.url, retry=None, timeout=10) as c:
        yield c

"""Fixtures of the reliability suite: ``srv`` (tests/conftest.py) with a token, and
fast-retrying clients of it (helpers live in ``reliability_support.py``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from reliability_support import TOKEN, TOKENS, Raw
from suite_support import FAST_RETRY

from lro._sync.client import Client
from lro_server import RunningServer


@pytest.fixture
def server_options() -> dict[str, Any]:
    """One token (principal ``alice``)."""
    return {"tokens": TOKENS}


@pytest.fixture
def make_client(srv: RunningServer) -> Iterator[Callable[..., Client]]:
    """Build clients of ``srv`` (fast retries, the token); all are closed afterwards."""
    made: list[Client] = []

    def make(**options: Any) -> Client:
        options.setdefault("token", TOKEN)
        options.setdefault("retry", FAST_RETRY)
        options.setdefault("timeout", 5.0)
        client = Client(srv.url, **options)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


@pytest.fixture
def client(make_client: Callable[..., Client]) -> Client:
    return make_client()


@pytest.fixture
def raw(srv: RunningServer) -> Iterator[Raw]:
    api = Raw(srv.url)
    yield api
    api.close()

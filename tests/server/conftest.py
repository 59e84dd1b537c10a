"""Fixtures of the server tests: raw HTTP to the fresh in-memory server of each test
(``srv``, and ``authed`` with alice's and bob's tokens: both from tests/conftest.py)."""

from __future__ import annotations

import pytest
from server_http import Api

from lro_server import RunningServer


@pytest.fixture
def api(srv: RunningServer) -> Api:
    return Api(srv.url)


@pytest.fixture
def alice(authed: RunningServer) -> Api:
    return Api(authed.url, token="token-alice")


@pytest.fixture
def bob(authed: RunningServer) -> Api:
    return Api(authed.url, token="token-bob")

"""Fixtures of the real-services suite: loopback imitations of a Google frontend and of a
corporate forward proxy (``loopback.py``), and ``side``: the sync or the async client,
driven synchronously, so each test body runs against both halves of the SDK."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from loopback import ForwardProxy, GoogleFrontend
from realservices_support import Side


@pytest.fixture(autouse=True)
def no_proxy_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test starts with no proxy variable set (the machine's own are not ours)."""
    for name in ("http_proxy", "https_proxy", "all_proxy", "no_proxy", "REQUEST_METHOD"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)


@pytest.fixture
def frontend() -> Iterator[Callable[..., GoogleFrontend]]:
    made: list[GoogleFrontend] = []

    def make(**options: Any) -> GoogleFrontend:
        server = GoogleFrontend(**options)
        made.append(server)
        return server

    yield make
    for server in made:
        server.close()


@pytest.fixture
def tls_frontend(
    frontend: Callable[..., GoogleFrontend], tmp_path: Path
) -> Callable[..., GoogleFrontend]:
    def make(**options: Any) -> GoogleFrontend:
        return frontend(tls=tmp_path, **options)

    return make


@pytest.fixture
def proxy() -> Iterator[Callable[..., ForwardProxy]]:
    made: list[ForwardProxy] = []

    def make(**options: Any) -> ForwardProxy:
        server = ForwardProxy(**options)
        made.append(server)
        return server

    yield make
    for server in made:
        server.close()


@pytest.fixture(params=["sync", "async"])
def side(request: pytest.FixtureRequest) -> Iterator[Side]:
    made = Side(request.param)
    try:
        yield made
    finally:
        made.close()

"""Fixtures of the CLI tests: live reference servers and a runner for the real `lro` process.

Every test runs `lro` the way a user does: a separate process (``python -m lro.cli``, the
same code as the console script), talking HTTP to a reference server started in-process.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from lro_cli_helpers import TOKENS, Runner, make_runner

from lro_server import RunningServer, serve


@pytest.fixture(scope="module")
def srv() -> Iterator[RunningServer]:
    """An open (no tokens) in-memory server shared by a module's tests."""
    with serve(port=0, db=":memory:") as running:
        yield running


@pytest.fixture(scope="module")
def lro(srv: RunningServer) -> Runner:
    """Run ``lro`` against :func:`srv`."""
    return make_runner(srv.url)


@pytest.fixture(scope="module")
def authed() -> Iterator[RunningServer]:
    """A server with tokens configured: SECRET is alice, bob-token is bob."""
    with serve(port=0, db=":memory:", tokens=TOKENS) as running:
        yield running


@pytest.fixture(scope="module")
def lro_authed(authed: RunningServer) -> Runner:
    """Run ``lro`` against :func:`authed` (no token unless the test passes one)."""
    return make_runner(authed.url)

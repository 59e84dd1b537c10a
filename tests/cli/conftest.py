"""Fixtures of the CLI tests: live reference servers and a runner of `lro` against them.

``lro`` runs the command in this process (``lro_cli_helpers.make_runner``: click's runner,
pipes for its streams, the console script's entry point), talking HTTP to a reference
server started in-process. Tests where the process itself is the point start one
(``make_process_runner``, ``PtyRun``) and are marked ``slow``.
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

"""Fixtures of the CLI tests: runners of `lro` against the fresh reference servers of
each test (``srv`` and ``authed``: tests/conftest.py).

``lro`` runs the command in this process (``lro_cli_helpers.make_runner``: click's runner,
pipes for its streams, the console script's entry point), talking HTTP to a reference
server started in-process. Tests where the process itself is the point start one
(``make_process_runner``, ``PtyRun``) and are marked ``slow``.
"""

from __future__ import annotations

import pytest
from lro_cli_helpers import TOKENS, Runner, make_runner

from lro_server import RunningServer


@pytest.fixture
def authed_tokens() -> dict[str, str]:
    """SECRET is alice, bob-token is bob."""
    return dict(TOKENS)


@pytest.fixture
def lro(srv: RunningServer, request: pytest.FixtureRequest) -> Runner:
    """Run ``lro`` against :func:`srv` (its client on the test's ``virtual_clock``, the
    server's, when the test asks for one)."""
    clock = (
        request.getfixturevalue("virtual_clock")
        if "virtual_clock" in request.fixturenames
        else None
    )
    return make_runner(srv.url, clock)


@pytest.fixture
def lro_authed(authed: RunningServer) -> Runner:
    """Run ``lro`` against :func:`authed` (no token unless the test passes one)."""
    return make_runner(authed.url)

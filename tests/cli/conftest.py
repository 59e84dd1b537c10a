"""Fixtures of the CLI tests: runners for the real `lro` process against the fresh
reference servers of each test (``srv`` and ``authed``: tests/conftest.py).

Every test runs `lro` the way a user does: a separate process (``python -m lro.cli``, the
same code as the console script), talking HTTP to a reference server started in-process.
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
def lro(srv: RunningServer) -> Runner:
    """Run ``lro`` against :func:`srv`."""
    return make_runner(srv.url)


@pytest.fixture
def lro_authed(authed: RunningServer) -> Runner:
    """Run ``lro`` against :func:`authed` (no token unless the test passes one)."""
    return make_runner(authed.url)

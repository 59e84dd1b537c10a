"""Fixtures of the parity suite: the options of ``srv`` (tests/conftest.py: a fresh
reference server per test) and the ``side`` fixture, parametrised over ``"sync"`` and
``"async"`` (see ``parity_support.py``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from parity_support import FLAVOURS, TOKENS, Side

from lro_server import RunningServer


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "parity(*members): the 'surface.member' names a parity test exercises"
    )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.when == "call":
        item.stash[CALL_PASSED] = report.passed
    return report


CALL_PASSED = pytest.StashKey[bool]()


@pytest.fixture
def server_options() -> dict[str, Any]:
    """The parity tokens and a short wait cap."""
    return {"tokens": TOKENS, "max_wait": 1.0}


@pytest.fixture(params=FLAVOURS)
def side(request: pytest.FixtureRequest, srv: RunningServer) -> Iterator[Side]:
    made = Side(request.param, srv)
    try:
        yield made
    finally:
        made.close()
    if not request.node.stash.get(CALL_PASSED, False):
        return  # the test failed or was skipped: its own report says why
    declared = {member for mark in request.node.iter_markers("parity") for member in mark.args}
    used = {f"{surface}.{name}" for surface, name in made.used}
    unused = sorted(declared - used)
    assert not unused, f"declared by @parity but never used ({made.flavour}): {unused}"

"""Rules of the whole suite (fixtures shared by several directories live here too).

The tiers: ``make check`` runs every test not marked ``slow``, in seconds, after each edit;
``make test`` runs them all. A test that starts a process (a CLI process, a build, the
generator, a browser, another Python) is slow by nature and must say so with
``@pytest.mark.slow``: outside that marker, starting one fails the test at once, so the
fast tier can never quietly grow a subprocess (docs/testing.md).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from typing import Any, NoReturn

import pytest


def _refuse(what: str) -> Callable[..., NoReturn]:
    def refused(*args: Any, **kwargs: Any) -> NoReturn:
        pytest.fail(
            f"this test starts a process ({what}: {str(args[:2])[:200]}); mark it "
            "@pytest.mark.slow, or test in-process (docs/testing.md, 'The two tiers')",
            pytrace=False,
        )

    return refused


@pytest.fixture(autouse=True)
def _processes_belong_to_the_slow_tier(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    if request.node.get_closest_marker("slow") is not None:
        return
    monkeypatch.setattr(subprocess.Popen, "_execute_child", _refuse("subprocess"))
    for name in ("fork", "forkpty", "posix_spawn", "posix_spawnp"):
        if hasattr(os, name):
            monkeypatch.setattr(os, name, _refuse(f"os.{name}"))

"""Rules and fixtures of the whole suite, each defined once (docs/testing.md has the map).

The tiers: ``make check`` runs every test not marked ``slow``, in seconds, after each edit;
``make test`` runs them all. A test that starts a process (a CLI process, a build, the
generator, a browser, another Python) is slow by nature and must say so with
``@pytest.mark.slow``: outside that marker, starting one fails the test at once, so the
fast tier can never quietly grow a subprocess (docs/testing.md).

``srv`` is a fresh in-memory reference server per test (starting one costs about a
millisecond): tests stay independent of each other and of the order pytest-xdist runs
them in. A directory that needs other server options does not redefine ``srv``; it
overrides the plain-data fixture ``server_options`` in its own conftest.py::

    @pytest.fixture
    def server_options() -> dict[str, Any]:
        return {"max_wait": 1.0}

``authed`` is the same server with tokens (``authed_tokens``, overridable the same way);
``make_server(**options)`` starts any other server a test needs and closes it afterwards.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from collections.abc import Callable, Iterator
from typing import Any, NoReturn

import pytest
from suite_support import TOKENS, free_port

from lro_server import ManualClock, RunningServer, serve

# A shell starts a background job (``make test &``) with SIGINT ignored, and an ignored
# signal stays ignored in every process started from it: a CLI process the tests of
# Ctrl-C interrupt (exit 130, no spinner left) would ignore it. Python's own handler is
# put back in each worker, so a process it starts gets the default disposition again.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


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


@pytest.fixture
def server_options() -> dict[str, Any]:
    """Keyword arguments of ``lro_server.serve`` for ``srv`` and ``authed`` (``tokens``,
    ``max_wait``, any ``ServerConfig`` field); override it in a directory's conftest.py."""
    return {}


@pytest.fixture
def authed_tokens() -> dict[str, str]:
    """The tokens of ``authed`` (token to principal); override it to use others."""
    return dict(TOKENS)


@pytest.fixture
def make_server() -> Iterator[Callable[..., RunningServer]]:
    """Start in-memory servers on a free port with the given options; all are closed
    when the test ends."""
    with contextlib.ExitStack() as stack:

        def make(**options: Any) -> RunningServer:
            return stack.enter_context(serve(port=0, db=":memory:", **options))

        yield make


@pytest.fixture
def manual_clock() -> ManualClock:
    """Server time that moves only when the test says (``advance``); a test that asks for
    it gets ``srv`` on it. Clients wait on real time unless given it too (``clock=``)."""
    return ManualClock()


#: Real seconds of quiet after which ``virtual_clock`` moves itself to its next sleeper.
AUTOJUMP = 0.005


@pytest.fixture
def virtual_clock() -> ManualClock:
    """Time shared by ``srv`` and the test's clients (``Client(srv.url, clock=...)``) that
    moves itself to the next sleeper's deadline whenever everyone waits on it
    (``autojump``): an hour-long simulated wait takes milliseconds of real time."""
    return ManualClock(autojump=AUTOJUMP)


@pytest.fixture
def srv(
    make_server: Callable[..., RunningServer],
    server_options: dict[str, Any],
    request: pytest.FixtureRequest,
) -> RunningServer:
    """A fresh in-memory reference server for this test, started with ``server_options``
    (on the test's ``manual_clock`` or ``virtual_clock`` when it asks for one)."""
    options = dict(server_options)
    for clock in ("manual_clock", "virtual_clock"):
        if clock in request.fixturenames:
            options["clock"] = request.getfixturevalue(clock)
    return make_server(**options)


@pytest.fixture
def authed(
    make_server: Callable[..., RunningServer],
    server_options: dict[str, Any],
    authed_tokens: dict[str, str],
) -> RunningServer:
    """A fresh server like ``srv`` that requires a token: ``authed_tokens``."""
    return make_server(**{**server_options, "tokens": authed_tokens})


@pytest.fixture
def closed_port() -> int:
    """A loopback port nobody listens on."""
    return free_port()

"""The pytest plugin of ``lro.testing`` (entry point ``pytest11``: ``lro``).

pytest imports this module at start-up in every project where lro-sdk is installed, so
it imports nothing but pytest and the standard library: the reference server is imported
by the first fixture that needs it, and a missing server dependency fails that test with
the command that installs it, never the whole run.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from lro import AsyncClient, Client
    from lro_server import RunningServer

__all__ = [
    "INSTALL_HINT",
    "lro_async_client",
    "lro_client",
    "lro_server",
    "lro_server_factory",
    "pytest_configure",
]

#: What to run when the reference server cannot be imported.
INSTALL_HINT = "pip install 'lro-sdk[server]'"

#: What a server of these fixtures defaults to: a free loopback port, an in-memory store.
SERVER_DEFAULTS: dict[str, Any] = {"port": 0, "db": ":memory:"}

#: What the clients of these fixtures default to: straight to the loopback server, even
#: when the environment names a proxy.
CLIENT_DEFAULTS: dict[str, Any] = {"trust_env": False}


def pytest_configure(config: pytest.Config) -> None:
    """Register the two markers that configure the fixtures."""
    config.addinivalue_line(
        "markers",
        "lro_server(**options): keyword arguments of lro_server.serve() for the lro_server "
        "fixture (tokens=..., max_wait=..., admins=..., ...)",
    )
    config.addinivalue_line(
        "markers",
        "lro_client(**options): keyword arguments of lro.Client / lro.AsyncClient for the "
        "lro_client and lro_async_client fixtures (token=..., retry=..., wait_policy=...)",
    )


def _serve() -> Callable[..., RunningServer]:
    """``lro_server.serve``, or a failed test naming the command that installs it."""
    try:
        from lro_server import serve
    except ImportError as exc:
        problem = exc
    else:
        return serve
    # Outside the except block: the report is this one line, not a chain of tracebacks.
    pytest.fail(
        f"lro.testing: the reference server cannot be imported ({problem}). "
        f"Install it with: {INSTALL_HINT}",
        pytrace=False,
    )


def _marker_options(request: pytest.FixtureRequest, marker: str) -> dict[str, Any]:
    """The keyword arguments of the closest ``@pytest.mark.<marker>(...)``, if any."""
    found = request.node.get_closest_marker(marker)
    if found is None:
        return {}
    if found.args:
        raise pytest.UsageError(f"@pytest.mark.{marker} takes keyword arguments only")
    return dict(found.kwargs)


@pytest.fixture
def lro_server_factory() -> Iterator[Callable[..., RunningServer]]:
    """Start reference servers on demand: ``lro_server_factory(**options)``.

    Each call starts one server with ``lro_server.serve(**options)`` (default: a free
    loopback port and an in-memory store) and returns it; every server it started is
    stopped when the test ends. For tests that need two servers, or options decided
    inside the test.
    """
    started: list[RunningServer] = []

    def start(**options: Any) -> RunningServer:
        server = _serve()(**{**SERVER_DEFAULTS, **options})
        started.append(server)
        return server

    yield start
    for server in reversed(started):
        server.stop()


@pytest.fixture
def lro_server(
    request: pytest.FixtureRequest, lro_server_factory: Callable[..., RunningServer]
) -> RunningServer:
    """A fresh in-memory reference server for this test.

    It has ``.url``, ``.faults`` (inject 503s, drops, delays, errors), ``.simulate()``
    (start operations that report progress and finish on their own) and ``.requests``
    (requests handled so far). ``@pytest.mark.lro_server(tokens={"t": "alice"})`` passes
    options to ``lro_server.serve()``.
    """
    return lro_server_factory(**_marker_options(request, "lro_server"))


@pytest.fixture
def lro_client(request: pytest.FixtureRequest, lro_server: RunningServer) -> Iterator[Client]:
    """An `lro.Client` of this test's `lro_server`, closed after the test.

    ``@pytest.mark.lro_client(token="t", retry=None)`` passes options to the client.
    """
    from lro import Client

    options = {**CLIENT_DEFAULTS, **_marker_options(request, "lro_client")}
    with Client(lro_server.url, **options) as client:
        yield client


@pytest.fixture
def lro_async_client(
    request: pytest.FixtureRequest, lro_server: RunningServer
) -> Iterator[AsyncClient]:
    """An `lro.AsyncClient` of this test's `lro_server`, closed after the test.

    A plain (not async) fixture, so it works with ``asyncio.run`` in a test as well as
    with pytest-asyncio or anyio: the client binds to the event loop of its first request.
    It keeps no idle connection between requests (``max_connections=0``; each belongs to
    the loop that opened it). Options come from ``@pytest.mark.lro_client(...)``; it
    needs httpx (``pip install 'lro-sdk[async]'``).
    """
    from lro import AsyncClient

    # No kept-alive connections (unless the marker asks for them): they would belong to
    # the test's event loop, which is gone by the teardown, and could not be closed.
    options = {**CLIENT_DEFAULTS, "max_connections": 0, **_marker_options(request, "lro_client")}
    client = AsyncClient(lro_server.url, **options)
    yield client
    _close_async(client)


def _close_async(client: AsyncClient) -> None:
    """Close ``client`` after its test. Its connections belong to the test's event loop,
    which has ended (fixtures' teardown runs outside any loop, with pytest-asyncio and
    anyio too): closing it on a loop of its own marks it closed and lets them go."""
    asyncio.run(client.close())

"""``:wait`` under both HTTP bindings real services use: the window in the ``timeout`` query
parameter (Vertex AI, Google's Operations mixins: no body) and in the body (``body: "*"``).
The client sends it in both places, so either server holds only for the window asked."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest
from realservices_support import Side
from wait_bindings import NAME, WaitServer

import lro

# The servers' own default hold is far longer than the window asked: a server that did not
# see the window would hold the client for it.
DEFAULT_HOLD = 8.0


@pytest.fixture
def wait_server() -> Iterator[Callable[..., WaitServer]]:
    made: list[WaitServer] = []

    def make(binding: str, **options: object) -> WaitServer:
        server = WaitServer(binding, default_hold=DEFAULT_HOLD, **options)  # type: ignore[arg-type]
        made.append(server)
        return server

    yield make
    for server in made:
        server.close()


@pytest.mark.parametrize("binding", ["query", "body"])
def test_wait_once_returns_the_running_operation_after_the_window(
    side: Side, wait_server: Callable[..., WaitServer], binding: str
) -> None:
    server = wait_server(binding)
    client = side.client(server.url, timeout=30)
    started = time.monotonic()
    op = client.wait_once(NAME, timeout=1)
    elapsed = time.monotonic() - started
    assert isinstance(op, lro.AsyncOperation if side.is_async else lro.Operation)
    assert op.name == NAME
    assert not op.done
    assert elapsed < DEFAULT_HOLD / 2, f"the server held its default: {elapsed:.1f}s"
    [seen] = server.seen
    assert seen.query_timeout is not None
    assert seen.body_timeout == seen.query_timeout
    assert 0.5 < float(seen.query_timeout.removesuffix("s")) <= 1.0


def test_the_query_parameter_is_a_proto_duration(
    side: Side, wait_server: Callable[..., WaitServer]
) -> None:
    server = wait_server("query")
    client = side.client(server.url)
    client.wait_once(NAME, timeout=0.25)
    [seen] = server.seen
    assert seen.target.startswith(f"/v1/{NAME}:wait?timeout=")
    assert seen.query_timeout is not None
    assert seen.query_timeout.endswith("s")


@pytest.mark.parametrize("binding", ["body", "query"])
def test_a_strict_server_refusing_the_query_parameter_gets_the_body_alone(
    side: Side, wait_server: Callable[..., WaitServer], binding: str
) -> None:
    # Google's frontends refuse a query parameter the binding does not have (400
    # "Cannot bind query parameter"): the client asks again with the body alone, and
    # remembers it for the route. A query-bound strict server accepts `timeout`.
    server = wait_server(binding, strict=True)
    client = side.client(server.url)
    first = client.wait_once(NAME, timeout=0.5)
    second = client.wait_once(NAME, timeout=0.5)
    assert first.name == second.name == NAME
    windows = [(s.query_timeout is not None, s.body_timeout is not None) for s in server.seen]
    if binding == "body":
        assert windows == [(True, True), (False, True), (False, True)]
    else:
        assert windows == [(True, True), (True, True)]


def test_wait_until_done_sends_the_window_both_ways(
    side: Side, wait_server: Callable[..., WaitServer]
) -> None:
    server = wait_server("query")
    client = side.client(server.url)
    policy = lro.WaitPolicy(long_poll=True, wait_window=0.3)
    with pytest.raises(lro.WaitTimeout):
        client.wait(NAME, timeout=1, policy=policy)
    assert server.seen
    assert all(s.query_timeout and s.query_timeout == s.body_timeout for s in server.seen)

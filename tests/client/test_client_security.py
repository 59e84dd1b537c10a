"""Names that cannot escape their path, query encoding, and tokens that never leak."""

from __future__ import annotations

import logging
import subprocess
import sys
from typing import Any

import pytest
from client_support import FAST_RETRY, TOKEN, job

import lro
from lro._core.http import Request, Response
from lro.errors import ConnectionDropped, InvalidName, NotFound, Unauthenticated, Unavailable

WEIRD_NAMES = [
    "operations/a b&c=d?e#f:g%2Fh+i",
    "operations/x/y/z",
    "operations/\u00e9\u2603",
    "operations/a;b,c@d!$'()*",
    "operations/x:cancel",
    "projects/p/locations/l/operations/q%3Fx",
]


class Recorder:
    """A transport that records requests and answers with one canned operation."""

    def __init__(self) -> None:
        self.requests: list[Request] = []

    def send(self, request: Request) -> Response:
        self.requests.append(request)
        body = b'{"name": "operations/x", "operation": {"name": "operations/x"}}'
        return Response(200, {}, body)

    def close(self) -> None:
        pass


@pytest.mark.parametrize("name", WEIRD_NAMES)
def test_weird_names_round_trip(client: lro.Client, srv: Any, name: str) -> None:
    srv.create_operation(name, metadata=job())
    assert client.get(name).name == name
    assert client.audit.get(name).name == name
    assert [o.name for o in client.get_many([name, name])] == [name, name]
    assert client.update(name, job(step=2)).metadata == job(step=2)


def test_path_encoding_keeps_slashes_only() -> None:
    recorder = Recorder()
    with lro.Client("http://h:1", transport=recorder, user_agent="app/2") as c:
        c.get("projects/p/operations/a b?c#d:e%f")
        c.cancel("operations/x:y")
        with pytest.raises(NotFound):  # the canned answer holds no operations
            c.get_many(["operations/a b&names=c", "operations/x"])
    urls = [r.url for r in recorder.requests]
    agent = recorder.requests[0].headers["User-Agent"]
    assert agent.startswith("app/2 lro-sdk/") and "python/" in agent
    assert "Authorization" not in recorder.requests[0].headers  # no token configured
    assert recorder.requests[1].body == b"{}"
    assert recorder.requests[1].headers["Content-Type"] == "application/json"
    assert recorder.requests[0].body is None and "Content-Type" not in recorder.requests[0].headers
    assert urls[0] == "http://h:1/v1/projects/p/operations/a%20b%3Fc%23d%3Ae%25f"
    assert urls[1] == "http://h:1/v1/operations/x%3Ay:cancel"
    assert urls[2] == (
        "http://h:1/audit/v1/operations:batchGet"
        "?names=operations/a%20b%26names%3Dc&names=operations/x"
    )


def test_query_values_are_encoded() -> None:
    recorder = Recorder()
    with lro.Client("http://h:1", transport=recorder) as c:
        list(c.list_operations(filter="done = true&pageSize=1#x", page_size=5))
        c.create(job(), parent="projects/a b&x=1", request_id="id&evil=1")
    assert recorder.requests[0].url == (
        "http://h:1/v1/operations?filter=done%20%3D%20true%26pageSize%3D1%23x&pageSize=5"
    )
    assert recorder.requests[1].url == (
        "http://h:1/audit/v1/operations?parent=projects/a%20b%26x%3D1&requestId=id%26evil%3D1"
    )


@pytest.mark.parametrize(
    "name",
    [
        "",
        "operations/../admin/v1/faults",
        "operations/%2e%2e/admin",
        "operations//x",
        "operations/x/",
        "operations/\n",
        "operations",
        "projects/p/operations",
        "x" * 2000,
    ],
)
def test_hostile_names_never_sent(srv: Any, name: str) -> None:
    before = srv.requests
    with lro.Client(srv.url, retry=None) as c:
        for call in (c.get, c.cancel, c.delete, c.audit.get, c.mark_seen, c.abort):
            with pytest.raises(InvalidName):
                call(name)
        with pytest.raises(InvalidName):
            c.get_many([name])
        with pytest.raises(InvalidName):
            c.update(name, job())
    assert srv.requests == before


def test_bad_parent_rejected() -> None:
    recorder = Recorder()
    with lro.Client("http://h:1", transport=recorder) as c:
        with pytest.raises(InvalidName):
            c.list_operations("projects/../x")
        with pytest.raises(InvalidName):
            c.create(job(), parent="projects/p/operations")
    assert recorder.requests == []


# -- tokens -------------------------------------------------------------------------------


def test_token_identifies_the_caller(token_server: Any) -> None:
    with lro.Client(token_server.url, token=TOKEN) as c:
        op = c.create(job())
        assert op.creator == "alice"
    with (
        lro.Client(token_server.url, token="wrong", retry=FAST_RETRY) as c,
        pytest.raises(Unauthenticated),
    ):
        c.get(op.name)
    with lro.Client(token_server.url, retry=FAST_RETRY) as c, pytest.raises(Unauthenticated):
        c.get(op.name)


def test_token_never_leaks(token_server: Any, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    texts: list[str] = []
    with lro.Client(token_server.url, token=TOKEN, retry=FAST_RETRY) as c:
        texts += [repr(c), str(c), repr(c.audit)]
        op = c.create(job())
        texts.append(repr(op))
        token_server.faults.add(kind="unavailable", count=2)
        c.get(op.name)
        token_server.faults.add(kind="drop_before", count=9)
        with pytest.raises(ConnectionDropped) as dropped:
            c.get(op.name)
        token_server.faults.clear()
        token_server.faults.add(kind="unavailable", count=9)
        with pytest.raises(Unavailable) as unavailable:
            c.get(op.name)
        token_server.faults.clear()
        request = c._auth.sign(c._calls.get(op.name).build(), c._auth.token())
        assert request.headers["Authorization"] == f"Bearer {TOKEN}"
        texts.append(repr(request))
    for info in (dropped, unavailable):
        texts += [str(info.value), repr(info.value), repr(info.value.__dict__)]
    with (
        lro.Client(token_server.url, token=TOKEN + "x", retry=FAST_RETRY) as c,
        pytest.raises(Unauthenticated) as denied,
    ):
        c.get(op.name)
    texts += [str(denied.value), repr(denied.value), repr(denied.value.__dict__)]
    assert "attempt 2" in caplog.text  # DEBUG logging was on
    texts.append(caplog.text)
    for text in texts:
        assert TOKEN not in text
        assert "Bearer" not in text


@pytest.mark.slow  # a fresh Python process: what importing lro loads
def test_import_is_cheap() -> None:
    code = (
        "import sys, lro, lro.aio;"
        "bad = [m for m in ('lro_api', 'pydantic', 'urllib3') if m in sys.modules];"
        "print(','.join(bad))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""

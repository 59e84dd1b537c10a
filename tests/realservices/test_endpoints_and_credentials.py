"""Versioned endpoints, refreshable credentials, API keys and headers against a loopback
Google-style frontend (and the reference server where it can show the behaviour), through
the sync and the async client alike."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from loopback import GoogleFrontend
from realservices_support import Side
from suite_support import FAST_RETRY

import lro
from lro_server import serve

PARENT = "projects/p1/locations/us-central1"
NAME = f"{PARENT}/operations/456"
POLL = lro.WaitPolicy(long_poll=False, initial_delay=0.05, max_delay=0.1, jitter=0.0)
AUTO = POLL.replace(long_poll="auto")  # tries :wait first (404 at Google: then GET polls)


class CachingToken:
    """What a token callable typically is: a cache that asks for a new token only when
    told that the old one was refused (it does not know when tokens expire)."""

    def __init__(self, server: GoogleFrontend) -> None:
        self.server = server
        self.current: str | None = None
        self.asked = 0
        self.invalidated = 0

    def __call__(self) -> str:
        self.asked += 1
        if self.current is None:
            self.current = self.server.issue_token()
        return self.current

    def invalidate(self) -> None:
        self.invalidated += 1
        self.current = None


# --- versioned endpoints --------------------------------------------------------------


@pytest.mark.parametrize("version", ["v1beta1", "v1", "v2", "v1alpha", "v2beta3"])
def test_every_call_goes_under_the_base_url_s_version(
    side: Side, frontend: Callable[..., GoogleFrontend], version: str
) -> None:
    server = frontend(version=version)
    server.add_operation(NAME, polls_to_finish=3)
    other = server.add_operation(f"{PARENT}/operations/789")
    client = side.client(server.url, token=server.issue_token(), retry=FAST_RETRY)
    assert client.get(NAME).name == NAME
    assert {op.name for op in client.list_all(PARENT)} == {NAME, other}
    final = client.wait(NAME, timeout=10, policy=AUTO)  # :wait is 404 here: GET polling
    assert final.done
    client.cancel(other)
    client.delete(other)
    targets = [(s.method, s.target.split("?")[0]) for s in server.api_requests()]
    assert targets[:2] == [
        ("GET", f"/{version}/{NAME}"),
        ("GET", f"/{version}/{PARENT}/operations"),
    ]
    assert ("POST", f"/{version}/{NAME}:wait") in targets
    assert targets[-2:] == [
        ("POST", f"/{version}/{other}:cancel"),
        ("DELETE", f"/{version}/{other}"),
    ]
    assert all(t.startswith(f"/{version}/") for _, t in targets)


def test_a_wrong_base_url_reads_as_what_it_is(
    side: Side, frontend: Callable[..., GoogleFrontend]
) -> None:
    server = frontend(version="v1beta1")
    server.add_operation(NAME)
    for base in (server.host + "/v1", server.host):
        client = side.client(base, token=server.issue_token(), retry=None)
        with pytest.raises(lro.NotFound) as info:
            client.get(NAME)
        assert f"request=GET /v1/{NAME}" in str(info.value)  # not /v1beta1/v1/...
        assert info.value.request == f"GET /v1/{NAME}"
        assert "token" not in str(info.value).lower()
    # .../v1beta1/v1: the last segment is the version, the rest the service's root.
    doubled = side.client(server.url + "/v1", token=server.issue_token(), retry=None)
    with pytest.raises(lro.NotFound) as twice:
        doubled.get(NAME)
    assert twice.value.request == f"GET /v1beta1/v1/{NAME}"


def test_the_reference_server_with_and_without_the_version(side: Side) -> None:
    with serve(port=0, db=":memory:") as srv:
        plain = side.client(srv.url, retry=FAST_RETRY)
        versioned = side.client(srv.url + "/v1", retry=FAST_RETRY)
        op = plain.create({"@type": "type.googleapis.com/lro.example.Job"})
        assert versioned.get(op.name).name == op.name
        assert plain.get(op.name).name == op.name
        # The audited view's root rule: {base URL without its version}{audit_prefix}/v1.
        assert versioned.audit.get(op.name).name == op.name
        assert versioned.target._calls.audit_root == srv.url + "/audit"
        assert versioned.target._calls.standard_root == srv.url + "/v1"
        versioned.cancel(op.name)
        assert plain.wait(op.name, timeout=5).done


# --- credentials ----------------------------------------------------------------------


def test_a_static_token_dies_with_its_lifetime(
    side: Side, frontend: Callable[..., GoogleFrontend]
) -> None:
    server = frontend(token_lifetime=0.4)
    server.add_operation(NAME)
    client = side.client(server.url, token=server.issue_token(), retry=FAST_RETRY)
    with pytest.raises(lro.Unauthenticated) as info:
        client.wait(NAME, timeout=10, policy=POLL)
    assert info.value.reason == "ACCESS_TOKEN_EXPIRED"


def test_a_wait_many_token_lifetimes_long_completes(
    side: Side, frontend: Callable[..., GoogleFrontend]
) -> None:
    # A two-hour wait on one-hour tokens, scaled: 0.4 s tokens, a wait of about 2 s.
    server = frontend(token_lifetime=0.4)
    server.add_operation(NAME, polls_to_finish=25)
    token = CachingToken(server)
    client = side.client(server.url, token=token, retry=FAST_RETRY)
    started = time.monotonic()
    assert client.wait(NAME, timeout=30, policy=POLL).done
    lifetimes = (time.monotonic() - started) / 0.4
    assert lifetimes >= 3, lifetimes
    assert token.invalidated >= 2  # each refused token replaced once, on its 401
    assert server.state.issued == token.invalidated + 1
    refused = [s for s in server.api_requests() if s.header("Authorization") is None]
    assert refused == []


def test_an_async_callable_token(frontend: Callable[..., GoogleFrontend]) -> None:
    import asyncio

    server = frontend(token_lifetime=0.3)
    server.add_operation(NAME, polls_to_finish=12)
    asked: list[str] = []

    async def token() -> str:
        await asyncio.sleep(0)
        asked.append(server.issue_token())
        return asked[-1]

    async def main() -> Any:
        async with lro.AsyncClient(server.url, token=token, retry=FAST_RETRY) as client:
            return await client.wait(NAME, timeout=20, policy=POLL)

    assert asyncio.run(main()).done
    assert len(asked) >= 12  # asked for each request
    with pytest.raises(lro.InvalidArgument, match="AsyncClient"):
        lro.Client(server.url, token=token)


def test_the_401_is_retried_once_only(side: Side, frontend: Callable[..., GoogleFrontend]) -> None:
    server = frontend()
    server.add_operation(NAME)
    calls = []

    def bad() -> str:
        calls.append(1)
        return "not-a-token-of-this-server"

    client = side.client(server.url, token=bad, retry=FAST_RETRY)
    with pytest.raises(lro.Unauthenticated):
        client.get(NAME)
    assert len(calls) == 2 and len(server.api_requests()) == 2


def test_a_failing_token_callable_is_unauthenticated(
    side: Side, frontend: Callable[..., GoogleFrontend]
) -> None:
    server = frontend()

    def broken() -> str:
        raise RuntimeError("gcloud: not logged in")

    client = side.client(server.url, token=broken, retry=FAST_RETRY)
    with pytest.raises(lro.Unauthenticated, match="not logged in") as info:
        client.get(NAME)
    assert info.value.__cause__ is None
    assert server.api_requests() == []


def test_api_key_and_the_quota_project_header(
    side: Side, frontend: Callable[..., GoogleFrontend]
) -> None:
    server = frontend(project="p1", api_keys={"AIzaSyLoopbackKey"})
    server.add_operation(NAME)
    keyed = side.client(server.url, api_key="AIzaSyLoopbackKey", retry=FAST_RETRY)
    with pytest.raises(lro.PermissionDenied) as denied:
        keyed.get(NAME)
    assert denied.value.reason == "USER_PROJECT_DENIED"
    billed = side.client(
        server.url,
        api_key="AIzaSyLoopbackKey",
        headers={"x-goog-user-project": "p1"},
        retry=FAST_RETRY,
    )
    assert billed.get(NAME).name == NAME
    last = server.api_requests()[-1]
    assert last.header("x-goog-api-key") == "AIzaSyLoopbackKey"
    assert last.header("x-goog-user-project") == "p1"
    assert last.header("Authorization") is None
    assert "AIzaSyLoopbackKey" not in repr(billed)
    assert "api_key=set" in repr(billed) and "x-goog-user-project" in repr(billed)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"headers": {"Host": "x"}}, "set by the transport"),
        ({"headers": {"bad name": "x"}}, "not a valid HTTP header name"),
        ({"headers": {"x-a": "1\r\nX-Evil: 1"}}, "printable"),
        ({"headers": {"Authorization": "Bearer x"}, "token": "t"}, "not both"),
        ({"headers": {"X-Goog-Api-Key": "k"}, "api_key": "k"}, "not both"),
        ({"headers": {"x-a": "1", "X-A": "2"}}, "twice"),
        ({"api_key": "k\n"}, "printable"),
        ({"headers": ["x"]}, "mapping"),
    ],
)
def test_bad_credential_options_are_refused(options: dict[str, Any], message: str) -> None:
    for cls in (lro.Client, lro.AsyncClient):
        with pytest.raises(lro.InvalidArgument, match=message) as info:
            cls("http://127.0.0.1:9", **options)
        assert "1\r\nX-Evil" not in str(info.value)


# --- google-auth ----------------------------------------------------------------------


def test_google_auth_refreshes_oauth2_credentials_like_google_s_transports(
    side: Side, frontend: Callable[..., GoogleFrontend]
) -> None:
    from google.oauth2.credentials import Credentials

    server = frontend(token_lifetime=0.5, project="p1")
    server.add_operation(NAME, polls_to_finish=8)
    credentials = Credentials(
        token=None,
        refresh_token="1//loopback-refresh",
        token_uri=server.token_uri,
        client_id="loopback.apps.googleusercontent.com",
        client_secret="loopback-secret",
        quota_project_id="p1",
    )
    auth = lro.GoogleAuth(credentials)
    client = side.client(server.url, token=auth, retry=FAST_RETRY)
    assert client.wait(NAME, timeout=20, policy=POLL).done
    token_requests = [s for s in server.seen if s.target == "/token"]
    assert token_requests and token_requests[0].method == "POST"
    api = server.api_requests()
    assert all(s.header("x-goog-user-project") == "p1" for s in api)  # from the credentials
    assert all((s.header("Authorization") or "").startswith("Bearer ya29.") for s in api)
    assert "ya29" not in repr(auth) and "loopback-secret" not in repr(auth)


def test_google_auth_refreshes_after_a_401_when_expiry_is_unknown(
    side: Side, frontend: Callable[..., GoogleFrontend]
) -> None:
    from google.auth import credentials as ga_credentials

    server = frontend(token_lifetime=0.4)
    server.add_operation(NAME, polls_to_finish=20)

    class LoopbackCredentials(ga_credentials.Credentials):  # type: ignore[misc]
        """Credentials whose refresh asks the loopback token endpoint (no expiry known)."""

        refreshes = 0

        def refresh(self, request: Any) -> None:
            import json

            answer = request(server.token_uri, method="POST", body=b"grant_type=x")
            self.token = json.loads(answer.data)["access_token"]
            LoopbackCredentials.refreshes += 1

    client = side.client(server.url, token=lro.GoogleAuth(LoopbackCredentials()), retry=FAST_RETRY)
    started = time.monotonic()
    assert client.wait(NAME, timeout=20, policy=POLL).done
    assert time.monotonic() - started > 0.8  # outlived at least two tokens
    # The first refresh (no token yet), then one per refused token: never one per request.
    assert 2 <= LoopbackCredentials.refreshes < len(server.api_requests())

"""Identity: bearer tokens to principals, 401/403, open mode, tokens never logged."""

from __future__ import annotations

import logging

import pytest
from server_http import Api

from lro_server import RunningServer
from lro_server.identity import Identity, parse_token_arg


def test_open_mode_everyone_is_anonymous(api: Api) -> None:
    assert api.create()["creator"] == "anonymous"
    assert api.with_token("whatever").create()["creator"] == "anonymous"


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer nope", "Bearer ", "Basic dG9rZW4tYWxpY2U=", "token-alice", "Bearer token-alic"],
)
def test_missing_or_unknown_token_is_unauthenticated(
    authed: RunningServer, authorization: str | None
) -> None:
    api = Api(authed.url)
    headers = {} if authorization is None else {"Authorization": authorization}
    calls = [("GET", "/v1/operations"), ("POST", "/audit/v1/operations")]
    calls += [("GET", "/nowhere"), ("GET", "/admin/v1/stats")]
    for method, path in calls:
        reply = api.call(method, path, {} if method == "POST" else None, headers=headers)
        assert (reply.status, reply.code, reply.reason) == (401, 16, "UNAUTHENTICATED")
        assert reply.headers["www-authenticate"].startswith("Bearer")


def test_tokens_map_to_principals(alice: Api, bob: Api) -> None:
    op = alice.create()
    assert op["creator"] == "alice"
    bob.ok("POST", f"/v1/{op['name']}:cancel")
    assert alice.audited(op["name"])["updater"] == "bob"
    assert alice.with_token(None).ok(
        "GET", "/v1/operations", headers={"Authorization": "bearer token-bob"}
    )


def test_request_ids_are_per_principal(alice: Api, bob: Api) -> None:
    mine = alice.create(query="?requestId=same")
    theirs = bob.create(query="?requestId=same")
    assert mine["name"] != theirs["name"] and theirs["creator"] == "bob"
    assert alice.create(query="?requestId=same") == mine


def test_tokens_never_reach_the_log(alice: Api, bob: Api, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="lro_server"):
        op = alice.create()
        bob.post(f"/audit/v1/{op['name']}:markSeenByCreator")
        alice.with_token("token-mallory").get("/v1/operations")
    assert "principal=alice" in caplog.text and "principal=bob" in caplog.text
    assert "token-" not in caplog.text


def test_identity_unit() -> None:
    identity = Identity({"t1": "p1", "t2": "p2"})
    assert identity.principal("Bearer t2") == "p2"
    assert Identity().principal(None) == "anonymous"
    assert parse_token_arg("abc==:x=alice") == ("abc==:x", "alice")
    with pytest.raises(ValueError):
        parse_token_arg("no-principal")

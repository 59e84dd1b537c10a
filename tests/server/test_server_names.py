"""Operation names in paths: encodings, nested ids and hostile names."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from server_http import PROGRESS, Api, body_of, raw_exchange, status_of

from lro_server import RunningServer
from lro_server.errors import ApiError


def test_percent_encoded_slashes_work_everywhere(api: Api) -> None:
    op = api.create(query="?parent=projects/p")
    encoded = op["name"].replace("/", "%2F")
    assert api.ok("GET", f"/v1/{encoded}")["name"] == op["name"]
    assert api.ok("GET", f"/audit/v1/{encoded}")["operation"]["name"] == op["name"]
    assert api.ok("GET", "/v1/projects%2Fp%2Foperations")["operations"][0]["name"] == op["name"]
    api.ok("POST", f"/v1/{encoded}:cancel")
    assert api.audited(op["name"])["error"]["code"] == 1


def test_nested_ids_of_other_services_are_served(srv: RunningServer, api: Api) -> None:
    nested = srv.create_operation("operations/a/b", metadata=PROGRESS)
    assert nested["name"] == "operations/a/b"
    assert api.ok("GET", "/v1/operations/a/b") == {"name": "operations/a/b", "metadata": PROGRESS}
    assert api.ok("GET", "/v1/operations%2Fa%2Fb")["name"] == "operations/a/b"
    api.ok("POST", "/v1/operations/a/b:cancel")
    assert api.ok("POST", "/v1/operations/a/b:wait", {"timeout": "1s"})["done"] is True
    listed = api.ok("GET", "/v1/operations")["operations"]
    assert [op["name"] for op in listed] == ["operations/a/b"]
    srv.create_operation("projects/x/operations/deep/er")
    scoped = api.ok("GET", "/v1/projects/x/operations")["operations"]
    assert [op["name"] for op in scoped] == ["projects/x/operations/deep/er"]


def test_a_literal_colon_in_a_name_still_resolves(srv: RunningServer, api: Api) -> None:
    srv.create_operation("operations/job:7")
    assert api.ok("GET", "/v1/operations/job:7")["name"] == "operations/job:7"
    assert api.ok("GET", "/v1/operations/job%3A7")["name"] == "operations/job:7"
    api.ok("POST", "/v1/operations/job:7:cancel")
    assert api.audited("operations/job:7")["done"] is True


@pytest.mark.parametrize(
    "path",
    [
        "/v1/operations/../secret",
        "/v1/operations/%2e%2e/secret",
        "/v1/operations/%2E%2E",
        "/v1/operations/./x",
        "/v1/operations//x",
        "/v1/operations/x/",
        "/v1/operations%2F..%2Fx",
        "/v1/operations/a%00b",
        "/v1/operations/a%0Ab",
        "/v1/operations/a%7Fb",
        "/v1/operations/a%C2%85b",
        "/v1/operations/%ff",
        "/v1/a//operations",
        "/audit/v1/operations/../x",
        "/audit/v1/operations/%2e%2e:abort",
        "/v1/operations/" + "x" * 1100,
        "/v1/operations/" + "%C3%A9" * 600,  # 600 characters, 1200 bytes
    ],
)
def test_hostile_names_are_invalid_argument(srv: RunningServer, api: Api, path: str) -> None:
    method = "POST" if path.endswith(":abort") else "GET"
    # Raw bytes on a socket: a client library might normalise '..' away before sending.
    raw = raw_exchange(
        api, f"{method} {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode()
    )
    assert status_of(raw) == 400, raw[:300]
    body = body_of(raw)
    assert body["code"] == 3 and body["details"][0]["reason"] == "INVALID_NAME"


def test_ten_kilobyte_name_is_rejected_not_crashing(api: Api) -> None:
    reply = api.get("/v1/operations/" + "n" * 10_000)
    assert (reply.status, reply.code) == (400, 3)
    assert len(reply.body) < 1000  # the message quotes a shortened name


@pytest.mark.parametrize(
    ("path", "missing"),
    [
        ("/v1/operations/a%3Fb", "operations/a?b"),
        ("/v1/operations/a%23b", "operations/a#b"),
        ("/v1/operations/a?b=c", "operations/a"),  # a raw '?' starts the query
        ("/v1/operations/%252e%252e", "operations/%2e%2e"),  # decoded once, never twice
        ("/v1/operations/x:frobnicate", "operations/x:frobnicate"),  # not a verb: part of the name
    ],
)
def test_reserved_characters_are_name_characters(api: Api, path: str, missing: str) -> None:
    reply = api.get(path)
    assert reply.status == 404
    assert reply.json["details"][0]["metadata"] == {"name": missing}


def test_raw_hash_and_non_ascii_in_request_line(api: Api) -> None:
    raw = raw_exchange(
        api, b"GET /v1/operations/a#b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    assert status_of(raw) == 404
    raw = raw_exchange(api, "GET /v1/operations/é HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    assert status_of(raw) == 400


def test_unknown_paths_and_wrong_methods(api: Api) -> None:
    for path in ("/", "/v2/operations", "/v1", "/audit/v1/projects/p/operations", "/admin/v1/nope"):
        reply = api.get(path)
        assert (reply.status, reply.code, reply.reason) == (404, 5, "PATH_NOT_FOUND"), path
    op = api.create()
    for method, path, allow in (
        ("PUT", f"/v1/{op['name']}", "GET, DELETE"),
        ("GET", f"/v1/{op['name']}:cancel", "POST"),
        ("DELETE", "/v1/operations", "GET"),
        ("POST", f"/audit/v1/{op['name']}:finalize", "PATCH"),
        ("PUT", "/admin/v1/faults", "GET, POST, DELETE"),
    ):
        reply = api.call(method, path)
        assert (reply.status, reply.code) == (405, 12), (method, path)
        assert reply.headers["allow"] == allow
    assert "done" not in api.audited(op["name"])


# Characters that reorder or hide text: a name holding one could pass for another in a
# listing (issue 22.1). Every one, in a path, in batch data and in a seeded name.
INVISIBLE = {
    "LRE U+202A": "\u202a",
    "RLO U+202E": "\u202e",
    "LRI U+2066": "\u2066",
    "PDI U+2069": "\u2069",
    "LRM U+200E": "\u200e",
    "RLM U+200F": "\u200f",
    "ALM U+061C": "\u061c",
    "ZWSP U+200B": "\u200b",
    "ZWJ U+200D": "\u200d",
    "WJ U+2060": "\u2060",
    "BOM U+FEFF": "\ufeff",
}


@pytest.mark.parametrize("char", list(INVISIBLE.values()), ids=list(INVISIBLE))
def test_bidi_zero_width_and_bom_in_names_are_invalid_argument(
    srv: RunningServer, api: Api, char: str
) -> None:
    name = f"operations/ab{char}cd"
    encoded = quote(name, safe="/")
    for method, path in (
        ("GET", f"/v1/{encoded}"),
        ("POST", f"/v1/{encoded}:wait"),
        ("GET", f"/audit/v1/{encoded}"),
        ("GET", f"/audit/v1/operations:batchGet?names={quote(name)}"),
        ("GET", f"/v1/{quote('projects/p' + char, safe='/')}/operations"),
        ("POST", f"/audit/v1/operations?parent={quote('projects/p' + char)}"),
    ):
        reply = api.call(method, path, {} if method == "POST" else None)
        assert (reply.status, reply.code, reply.reason) == (400, 3, "INVALID_NAME"), path
        assert char not in reply.json["message"]  # shown escaped
    reply = api.post("/audit/v1/operations:batchMarkSeenByCreator", {"names": [name]})
    assert (reply.status, reply.code, reply.reason) == (400, 3, "INVALID_NAME")
    with pytest.raises(ApiError, match="bidi control, zero-width character or BOM"):
        srv.create_operation(name)
    assert api.count() == 0


def test_visible_unicode_in_names_is_still_fine(srv: RunningServer, api: Api) -> None:
    name = "operations/caf\u00e9-\u05d0\u05d1-\u4e2d"  # accents, Hebrew, CJK: shown as is
    srv.create_operation(name)
    assert api.ok("GET", f"/v1/{quote(name, safe='/')}")["name"] == name

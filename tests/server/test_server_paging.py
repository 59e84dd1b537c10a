"""Paging (keyset, opaque tokens, totalSize) and the documented filter subset."""

from __future__ import annotations

from typing import Any

import pytest
from server_http import Api

from lro_server import RunningServer


def _all_pages(api: Api, path: str, page_size: int) -> tuple[list[dict[str, Any]], list[Any]]:
    ops: list[dict[str, Any]] = []
    pages: list[Any] = []
    token = ""
    sep = "&" if "?" in path else "?"
    while True:
        page = api.ok("GET", f"{path}{sep}pageSize={page_size}&pageToken={token}")
        pages.append(page)
        ops += page.get("operations", [])
        token = page.get("nextPageToken", "")
        if not token:
            return ops, pages


def test_pages_cover_everything_once_in_creation_order(srv: RunningServer, api: Api) -> None:
    created = [op["name"] for op in srv.simulate(count=25, duration=3600)]
    for path in ("/v1/operations", "/audit/v1/operations"):
        ops, pages = _all_pages(api, path, 10)
        assert [op["name"] for op in ops] == created
        assert [len(p["operations"]) for p in pages] == [10, 10, 5]
    _, pages = _all_pages(api, "/audit/v1/operations", 10)
    assert [p["totalSize"] for p in pages] == [25, 25, 25]


def test_keyset_pages_do_not_skip_or_repeat_while_the_store_changes(
    srv: RunningServer, api: Api
) -> None:
    first = [op["name"] for op in srv.simulate(count=6, duration=3600)]
    page = api.ok("GET", "/v1/operations?pageSize=3")
    api.ok("DELETE", f"/v1/{first[0]}")  # an already-read one disappears
    later = api.create()
    rest = api.ok("GET", f"/v1/operations?pageSize=10&pageToken={page['nextPageToken']}")
    assert [op["name"] for op in rest["operations"]] == [*first[3:], later["name"]]


def test_page_size_default_and_coercion(srv: RunningServer, api: Api) -> None:
    srv.simulate(count=1005, duration=3600)
    assert len(api.ok("GET", "/v1/operations")["operations"]) == 50
    assert len(api.ok("GET", "/v1/operations?pageSize=0")["operations"]) == 50
    huge = api.ok("GET", "/audit/v1/operations?pageSize=2000000000")
    assert len(huge["operations"]) == 1000 and huge["totalSize"] == 1005
    assert len(api.ok("GET", "/v1/operations?page_size=7")["operations"]) == 7


@pytest.mark.parametrize("size", ["-1", "abc", "1.5", "99999999999", ""])
def test_bad_page_sizes(api: Api, size: str) -> None:
    reply = api.get(f"/v1/operations?pageSize={size}")
    if size == "":
        assert reply.status == 200  # empty means unset
    else:
        assert (reply.status, reply.code) == (400, 3), size


def test_forged_garbled_and_foreign_tokens_are_invalid(srv: RunningServer, api: Api) -> None:
    srv.simulate(count=5, duration=3600)
    token = api.ok("GET", "/audit/v1/operations?pageSize=2")["nextPageToken"]
    payload, _, signature = token.partition(".")
    forged_payload = payload[:-2] + ("AA" if payload[-2:] != "AA" else "BB")
    for bad in (
        "garbage",
        "x.y",
        f"{forged_payload}.{signature}",
        f"{payload}.{signature[:-1]}",
        token + "x",
        "%C3%A9",
        "." * 3,
    ):
        reply = api.get(f"/audit/v1/operations?pageSize=2&pageToken={bad}")
        assert (reply.status, reply.code, reply.reason) == (400, 3, "INVALID_PAGE_TOKEN"), bad
    # Valid, but issued for another query: another filter, view or list.
    for path in (
        "/audit/v1/operations?filter=done%20%3D%20false&pageToken=",
        "/audit/v1/operations?showDeleted=true&pageToken=",
        "/v1/operations?pageToken=",
        "/audit/v1/operations:unseen?pageToken=",
    ):
        reply = api.get(path + token)
        assert (reply.status, reply.reason) == (400, "INVALID_PAGE_TOKEN"), path
    assert api.count() == 5  # nothing changed
    # The genuine token still works, with any page size (AIP-158 allows changing it).
    assert (
        len(api.ok("GET", f"/audit/v1/operations?pageSize=9&pageToken={token}")["operations"]) == 3
    )


def test_tokens_survive_a_restart(tmp_path: Any) -> None:
    from lro_server import serve

    db = str(tmp_path / "ops.sqlite3")
    with serve(db=db) as srv:
        srv.simulate(count=3, duration=3600)
        token = Api(srv.url).ok("GET", "/v1/operations?pageSize=1")["nextPageToken"]
    with serve(db=db) as srv:
        page = Api(srv.url).ok("GET", f"/v1/operations?pageSize=5&pageToken={token}")
        assert len(page["operations"]) == 2


def _names(api: Api, flt: str, path: str = "/audit/v1/operations") -> list[str]:
    from urllib.parse import quote

    return [op["name"] for op in api.ok("GET", f"{path}?filter={quote(flt)}").get("operations", [])]


def test_filters(alice: Api, bob: Api) -> None:
    a_running, a_done, b_done = alice.create(), alice.create(), bob.create()
    alice.finish(a_done["name"])
    bob.finish(b_done["name"])
    assert _names(alice, "done = true") == [a_done["name"], b_done["name"]]
    assert _names(alice, "done = false") == [a_running["name"]]
    assert _names(alice, "done != true") == [a_running["name"]]
    assert _names(alice, 'creator = "bob"') == [b_done["name"]]
    assert _names(alice, 'creator != "bob"') == [a_running["name"], a_done["name"]]
    assert _names(alice, f'name = "{a_done["name"]}"') == [a_done["name"]]
    assert _names(alice, 'done = true AND creator = "alice"') == [a_done["name"]]
    assert _names(alice, '  done=true   AND   creator="alice"  ') == [a_done["name"]]
    assert _names(alice, "") == [a_running["name"], a_done["name"], b_done["name"]]
    assert _names(alice, "done = true", "/v1/operations") == [a_done["name"], b_done["name"]]
    page = alice.ok("GET", "/audit/v1/operations?filter=done%20%3D%20true&pageSize=1")
    assert page["totalSize"] == 2 and len(page["operations"]) == 1


def test_filter_with_escaped_quotes(srv: RunningServer, api: Api) -> None:
    srv.create_operation('operations/say-"hi"')
    assert _names(api, r'name = "operations/say-\"hi\""') == ['operations/say-"hi"']


@pytest.mark.parametrize(
    "flt",
    [
        "done = true OR done = false",
        "NOT done = true",
        "(done = true)",
        "done : true",
        "done < true",
        "done = yes",
        'done = "true"',
        "creator = alice",
        'metadata.progress = "1"',
        "done = true AND",
        'done = true and creator = "a"',
        'creator = "unterminated',
        "done",
        "=",
    ],
)
def test_unsupported_filters_are_invalid_argument(api: Api, flt: str) -> None:
    from urllib.parse import quote

    reply = api.get(f"/audit/v1/operations?filter={quote(flt)}")
    assert (reply.status, reply.code, reply.reason) == (400, 3, "INVALID_FILTER"), flt
    assert "supported: done = true|false" in reply.json["message"]

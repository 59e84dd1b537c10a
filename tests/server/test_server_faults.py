"""Fault injection: every kind, counts, matching, hits, admin endpoints, request counter."""

from __future__ import annotations

import http.client
import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from server_http import Api

from lro_server import ApiError, RunningServer


def test_unavailable(srv: RunningServer, api: Api) -> None:
    srv.faults.add("unavailable", count=2)
    for _ in range(2):
        reply = api.get("/v1/operations")
        assert (reply.status, reply.code, reply.reason) == (503, 14, "FAULT_INJECTED")
    assert api.get("/v1/operations").status == 200  # disarmed after count
    assert srv.faults.rules == []


def test_rate_limit_has_retry_after(srv: RunningServer, api: Api) -> None:
    srv.faults.add("rate_limit", retry_after_seconds=1.5)
    reply = api.get("/v1/operations")
    assert (reply.status, reply.code) == (429, 8)
    assert reply.headers["retry-after"] == "2"  # whole seconds, rounded up


def test_retry_info(srv: RunningServer, api: Api) -> None:
    srv.faults.add("retry_info", retry_delay="1.5s")
    srv.faults.add("retry_info", code=8)
    reply = api.get("/v1/operations")
    assert (reply.status, reply.code) == (503, 14)
    assert reply.json["details"][1] == {
        "@type": "type.googleapis.com/google.rpc.RetryInfo",
        "retryDelay": "1.500s",
    }
    reply = api.get("/v1/operations")
    assert (reply.status, reply.code) == (429, 8)
    assert reply.json["details"][1]["retryDelay"] == "1s"


def test_delay_then_normal_answer(srv: RunningServer, api: Api) -> None:
    srv.faults.add("delay", delay_seconds=0.3)
    started = time.monotonic()
    assert api.create()["name"]
    assert time.monotonic() - started >= 0.3
    assert api.count() == 1


def test_drop_before_handles_nothing(srv: RunningServer, api: Api) -> None:
    srv.faults.add("drop_before", method="POST")
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
        api.post("/audit/v1/operations", {})
    assert api.count() == 0


def test_drop_after_commits_and_request_id_makes_the_retry_safe(
    srv: RunningServer, api: Api
) -> None:
    srv.faults.add("drop_after", path=r"^/audit/v1/operations$")
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
        api.post("/audit/v1/operations?requestId=create-1", {})
    assert api.count() == 1  # the write happened although no reply came
    retried = api.create(query="?requestId=create-1")
    assert api.count() == 1  # the retry did not create a second one
    assert api.ok("GET", "/audit/v1/operations")["operations"][0]["name"] == retried["name"]
    assert srv.requests == 5  # dropped POST, count, retried POST, count, list


def test_malformed_html_and_oversized_bodies(srv: RunningServer, api: Api) -> None:
    srv.faults.add("malformed")
    srv.faults.add("html_502")
    srv.faults.add("oversized", size_bytes=3_000_000)

    reply = api.get("/v1/operations")
    assert reply.status == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(reply.body)

    reply = api.get("/v1/operations")
    assert reply.status == 502 and reply.headers["content-type"] == "text/html"
    assert b"502 Bad Gateway" in reply.body

    reply = api.get("/v1/operations")
    assert reply.status == 200 and len(reply.body) == 3_000_000
    assert reply.json["name"] == "operations/oversized"


@pytest.mark.parametrize(
    ("options", "status", "body_check"),
    [
        ({}, 500, lambda b: b["code"] == 13 and "details" in b),
        ({"code": 5}, 404, lambda b: b["code"] == 5),
        ({"status": 418}, 418, lambda b: b["code"] == 9),
        ({"code": 10, "status": 400, "error_form": 2}, 400, lambda b: b["code"] == 10),
        (
            {"code": 5, "error_form": 1},
            404,
            lambda b: b["error"]["code"] == 404 and b["error"]["status"] == "NOT_FOUND",
        ),
        (
            {"code": 14, "error_form": 3},
            503,
            lambda b: isinstance(b["error"], str) and b["code"] == 14 and b["message"],
        ),
    ],
)
def test_error_kind_in_each_form(
    srv: RunningServer,
    api: Api,
    options: dict[str, int],
    status: int,
    body_check: Callable[[Any], bool],
) -> None:
    srv.faults.add("error", **options)
    reply = api.get("/v1/operations")
    assert reply.status == status
    assert body_check(reply.json), reply.json


def test_method_and_path_matching(srv: RunningServer, api: Api) -> None:
    op = api.create()
    srv.faults.add("unavailable", count=5, method="post", path=r":wait$")
    assert api.get(f"/v1/{op['name']}").status == 200
    assert api.post(f"/v1/{op['name']}:cancel").status == 200
    assert api.post(f"/v1/{op['name']}:wait", {"timeout": "0s"}).status == 503
    hits = srv.faults.hits
    assert [(h["kind"], h["method"], h["path"]) for h in hits] == [
        ("unavailable", "POST", f"/v1/{op['name']}:wait")
    ]
    assert srv.faults.rules[0].count == 4


def test_admin_paths_are_never_faulted(srv: RunningServer, api: Api) -> None:
    srv.faults.add("unavailable", count=100)
    assert api.get("/admin/v1/faults").status == 200
    assert api.get("/admin/v1/stats").json == {}
    assert api.get("/v1/operations").status == 503
    assert srv.requests == 1


def test_admin_endpoints(srv: RunningServer, api: Api) -> None:
    rule = api.ok("POST", "/admin/v1/faults", {"kind": "error", "code": 7, "count": 2, "path": "x"})
    assert rule["id"] and rule["kind"] == "error" and rule["count"] == 2 and rule["code"] == 7
    assert api.ok("GET", "/admin/v1/faults") == {"faults": [rule]}
    assert api.ok("DELETE", "/admin/v1/faults") == {}
    assert api.ok("GET", "/admin/v1/faults") == {}
    for bad in (
        {},
        {"kind": "explode"},
        {"kind": "error", "path": "("},
        {"kind": "error", "code": 99},
        {"kind": "error", "count": 0},
        {"kind": "error", "errorForm": 4},
        {"kind": "retry_info", "retryDelay": "soon"},
        {"kind": "oversized", "sizeBytes": 10},
    ):
        reply = api.post("/admin/v1/faults", bad)
        assert (reply.status, reply.code) == (400, 3), bad
    with pytest.raises(ApiError):
        srv.faults.add("explode")


def test_requests_counter_and_stats(srv: RunningServer, api: Api) -> None:
    srv.faults.add("drop_before")
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
        api.get("/v1/operations")
    api.get("/v1/operations")
    api.get("/nowhere")
    assert srv.requests == 3  # attempts, faulted ones included; admin calls excluded
    assert api.ok("GET", "/admin/v1/stats") == {"requests": 3}
    srv.faults.clear()
    assert srv.faults.hits == []

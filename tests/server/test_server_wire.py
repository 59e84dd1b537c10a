"""Wire format (proto3 JSON, errors) and the HTTP/1.1 layer (limits, framing, keep-alive)."""

from __future__ import annotations

import json
import socket

import pytest
from server_http import PROGRESS, RESULT, TIMESTAMP, Api, body_of, raw_exchange, status_of

from lro_server import RunningServer, serve
from lro_server.wire import format_duration, format_timestamp, parse_duration


@pytest.mark.parametrize(
    ("ns", "text"),
    [
        (0, "1970-01-01T00:00:00Z"),
        (1_700_000_000_000_000_000, "2023-11-14T22:13:20Z"),
        (1_700_000_000_120_000_000, "2023-11-14T22:13:20.120Z"),
        (1_700_000_000_000_001_000, "2023-11-14T22:13:20.000001Z"),
        (1_700_000_000_000_000_001, "2023-11-14T22:13:20.000000001Z"),
        (1_700_000_000_123_456_789, "2023-11-14T22:13:20.123456789Z"),
    ],
)
def test_timestamps_print_0_3_6_or_9_digits(ns: int, text: str) -> None:
    assert format_timestamp(ns) == text


@pytest.mark.parametrize(
    ("text", "ns"),
    [("3s", 3 * 10**9), ("3.5s", 3_500_000_000), ("-1.500s", -1_500_000_000), ("0.000000001s", 1)],
)
def test_durations(text: str, ns: int) -> None:
    assert parse_duration(text, "timeout") == ns
    assert parse_duration(format_duration(ns), "timeout") == ns


def test_server_timestamps_keep_nanoseconds(api: Api) -> None:
    stamps = [api.create()["createTime"] for _ in range(20)]
    assert all(TIMESTAMP.fullmatch(s) for s in stamps)
    # time.time_ns() is rarely a multiple of 1000: nine digits show up, not microseconds only.
    assert any(len(s) == len("2023-11-14T22:13:20.123456789Z") for s in stamps)


def test_snake_case_input_and_null_as_unset(api: Api) -> None:
    op = api.create()
    body = {"done": True, "response": RESULT, "error": None, "unknown_field": {"x": 1}}
    assert api.ok("PATCH", f"/audit/v1/{op['name']}:finalize", body)["operation"]["done"]
    created = api.ok("POST", "/admin/v1/faults", {"kind": "delay", "delay_seconds": 0.01})
    assert created["delaySeconds"] == 0.01  # camelCase out


def test_any_is_kept_verbatim(api: Api) -> None:
    weird = {"@type": "example.com/x.Y", "value": "1.5s", "deep": [{"k": None}, 1e300, "é"]}
    op = api.create(weird)
    assert api.ok("GET", f"/v1/{op['name']}")["metadata"] == weird


@pytest.mark.parametrize(
    "raw",
    [
        b"{not json",
        b"[1, 2]",
        b'"text"',
        b"null",
        b'{"metadata": NaN}',
        b'{"metadata": {"@type": "a/b", "x": 1e999}}',
        b'{"metadata": {"@type": "a/b", "x": ' + b"9" * 5000 + b"}}",
        b"\xff\xfe{}",
        b'{"metadata": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
        b'{"metadata": ' + b'{"a":' * 50_000 + b"1" + b"}" * 50_000 + b"}",
    ],
)
def test_bad_bodies_are_invalid_argument(api: Api, raw: bytes) -> None:
    reply = api.post("/audit/v1/operations", raw=raw)
    assert (reply.status, reply.code) == (400, 3), raw[:40]
    assert api.count() == 0


def test_wrong_types_are_invalid_argument(api: Api) -> None:
    op = api.create()
    for method, path, body in (
        ("POST", "/audit/v1/operations", {"metadata": 5}),
        ("PATCH", f"/audit/v1/{op['name']}", {"metadata": "x"}),
        ("PATCH", f"/audit/v1/{op['name']}:finalize", {"done": True, "error": "bad"}),
        ("POST", "/admin/v1/simulations", {"count": "many"}),
        ("POST", "/admin/v1/faults", {"kind": "delay", "count": 1.5}),
        ("GET", "/v1/operations?pageSize=abc", None),
        ("GET", "/v1/operations?pageSize=1&pageSize=2", None),
        ("GET", "/v1/operations?filter=%FF", None),
    ):
        reply = api.call(method, path, body)
        assert (reply.status, reply.code) == (400, 3), (method, path, body)
        assert reply.headers["content-type"] == "application/json"


def test_error_bodies_are_bare_status_with_error_info(api: Api) -> None:
    reply = api.get("/v1/operations/missing")
    assert reply.headers["content-type"] == "application/json"
    assert reply.reason == "OPERATION_NOT_FOUND"  # asserts the {code, message, details} shape
    assert isinstance(reply.json["message"], str) and reply.json["message"]


def test_body_over_limit_is_413_before_the_body_is_read(api: Api) -> None:
    with socket.create_connection((api.host, api.port), timeout=5) as sock:
        sock.sendall(
            b"POST /audit/v1/operations HTTP/1.1\r\nHost: x\r\n"
            b"Content-Type: application/json\r\nContent-Length: 5000000\r\n\r\n"
        )
        # No body sent: the answer can only come from the Content-Length header.
        raw = sock.recv(65536)
    assert status_of(raw) == 413
    assert body_of(raw)["code"] == 3
    assert b"Connection: close" in raw


def test_body_limit_is_configurable() -> None:
    with serve(port=0, max_body_bytes=100) as srv:
        api = Api(srv.url)
        big = {"metadata": {"@type": "a/b", "pad": "x" * 200}}
        assert api.post("/audit/v1/operations", big).status == 413
        assert api.post("/audit/v1/operations", {"metadata": PROGRESS}).status == 200


def test_chunked_request_bodies(api: Api) -> None:
    conn = api.connect()
    chunks = iter([b'{"metadata": ', json.dumps(PROGRESS).encode(), b"}"])
    headers = {"Content-Type": "application/json"}
    conn.request("POST", "/audit/v1/operations", chunks, headers, encode_chunked=True)
    response = conn.getresponse()
    assert response.status == 200
    assert json.loads(response.read())["operation"]["metadata"] == PROGRESS
    conn.close()


def test_chunked_body_over_limit_is_413() -> None:
    with serve(port=0, max_body_bytes=1000) as srv:
        api = Api(srv.url)
        chunk = b"a" * 600
        data = (
            b"POST /audit/v1/operations HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        )
        data += b"258\r\n" + chunk + b"\r\n" + b"258\r\n" + chunk + b"\r\n0\r\n\r\n"
        assert status_of(raw_exchange(api, data)) == 413


@pytest.mark.parametrize(
    "head",
    [
        b"GARBAGE\r\n\r\n",
        b"GET /v1/operations HTTP/2.0\r\n\r\n",
        b"GET /v1/operations HTTP/1.1\r\nno-colon-header\r\n\r\n",
        b"POST /audit/v1/operations HTTP/1.1\r\nContent-Length: abc\r\n\r\n",
        b"POST /audit/v1/operations HTTP/1.1\r\nContent-Length: +5\r\n\r\n",
        b"POST /audit/v1/operations HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n",
        b"POST /audit/v1/operations HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        b"POST /audit/v1/operations HTTP/1.1\r\nTransfer-Encoding: chunked\r\n"
        b"Content-Length: 2\r\n\r\n{}",
    ],
)
def test_malformed_http_is_a_4xx_status(api: Api, head: bytes) -> None:
    raw = raw_exchange(api, head)
    assert 400 <= status_of(raw) < 600 and status_of(raw) != 500, raw[:200]
    assert body_of(raw)["code"] == 3
    assert api.count() == 0


def test_large_request_head_is_supported(srv: RunningServer, api: Api) -> None:
    parent = "projects/" + "p" * 250
    names = [op["name"] for op in srv.simulate(count=1000, duration=3600, parent=parent)]
    query = "&".join(f"names={name}" for name in names)
    assert len(query) > 256 * 1024
    got = api.ok("GET", f"/audit/v1/operations:batchGet?{query}")["operations"]
    assert [op["name"] for op in got] == names


def test_too_large_request_line_and_headers_are_rejected(api: Api) -> None:
    line = b"GET /v1/operations?filter=" + b"x" * (600 * 1024) + b" HTTP/1.1\r\n\r\n"
    assert status_of(raw_exchange(api, line)) == 414
    headers = b"".join(b"X-Pad-%d: %s\r\n" % (i, b"y" * 8000) for i in range(80))
    assert (
        status_of(raw_exchange(api, b"GET /v1/operations HTTP/1.1\r\n" + headers + b"\r\n")) == 431
    )


def test_keep_alive_and_connection_close(api: Api) -> None:
    conn = api.connect()
    for _ in range(3):  # several requests on one connection
        conn.request("GET", "/v1/operations")
        response = conn.getresponse()
        assert response.status == 200 and response.getheader("Connection") is None
        assert response.getheader("Content-Length") == str(len(response.read()))
    conn.request("GET", "/v1/operations", headers={"Connection": "close"})
    response = conn.getresponse()
    response.read()
    assert response.getheader("Connection") == "close"
    assert response.will_close
    conn.close()

    raw = raw_exchange(api, b"GET /v1/operations HTTP/1.0\r\n\r\n")  # 1.0: closes by default
    assert status_of(raw) == 200 and raw.endswith(b"{}")


def test_head_replies_have_no_body(api: Api) -> None:
    raw = raw_exchange(api, b"HEAD /v1/operations HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert status_of(raw) == 405 and raw.endswith(b"\r\n\r\n")
    assert b"Allow: GET" in raw


def test_pipelined_requests_are_answered_in_order(api: Api) -> None:
    op = api.create()
    data = (
        f"GET /v1/{op['name']} HTTP/1.1\r\nHost: x\r\n\r\n"
        "GET /v1/operations/missing HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    ).encode()
    raw = raw_exchange(api, data)
    assert raw.count(b"HTTP/1.1 ") == 2
    assert raw.index(b"HTTP/1.1 200") < raw.index(b"HTTP/1.1 404")


def test_expect_100_continue(api: Api) -> None:
    body = json.dumps({"metadata": PROGRESS}).encode()
    with socket.create_connection((api.host, api.port), timeout=5) as sock:
        sock.sendall(
            b"POST /audit/v1/operations HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
            b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body)
        )
        assert sock.recv(100).startswith(b"HTTP/1.1 100 Continue")
        sock.sendall(body)
        rest = b""
        while chunk := sock.recv(65536):
            rest += chunk
    assert status_of(rest) == 200


def test_client_disconnect_mid_request_is_harmless(api: Api) -> None:
    with socket.create_connection((api.host, api.port), timeout=5) as sock:
        sock.sendall(b"POST /audit/v1/operations HTTP/1.1\r\nContent-Length: 100\r\n\r\n{")
    assert api.ok("GET", "/v1/operations") == {}  # nothing half-created, server still serving

"""HTTP/1.1 as RFC 9112 has it (h11 plus the checks it leaves to us), and bad input that
once got a 5xx or no reply at all: every request gets a status, never a 5xx for bad input.
"""

from __future__ import annotations

import json
import socket
import time
from urllib.parse import quote

import pytest
from server_http import Api, body_of, raw_exchange, status_of

from lro_server import RunningServer, serve


def headers_of(raw: bytes) -> dict[str, str]:
    head = raw.partition(b"\r\n\r\n")[0].decode("latin-1").split("\r\n")[1:]
    return {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in head)}


REJECTED = {
    "bare CR in a value": b"GET /v1/operations HTTP/1.1\r\nHost: x\r\nX-A: a\rb\r\n\r\n",
    "NUL in a value": b"GET /v1/operations HTTP/1.1\r\nHost: x\r\nX-A: a\x00b\r\n\r\n",
    "NUL in a name": b"GET /v1/operations HTTP/1.1\r\nHost: x\r\nX\x00A: b\r\n\r\n",
    "space in a name": b"GET /v1/operations HTTP/1.1\r\nHost: x\r\nX A: b\r\n\r\n",
    "space before the colon": b"GET /v1/operations HTTP/1.1\r\nHost: x\r\nX-A : b\r\n\r\n",
    "HTTP/1.1 without Host": b"GET /v1/operations HTTP/1.1\r\nX-A: b\r\n\r\n",
    "two Hosts": b"GET /v1/operations HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n",
    "lower-case method": b"get /v1/operations HTTP/1.1\r\nHost: x\r\n\r\n",
    "mixed-case method": b"Get /v1/operations HTTP/1.1\r\nHost: x\r\n\r\n",
    "target neither /path nor absolute": b"GET v1/operations HTTP/1.1\r\nHost: x\r\n\r\n",
    "authority-form without CONNECT": b"GET 127.0.0.1:80 HTTP/1.1\r\nHost: x\r\n\r\n",
    "Content-Length twice, equal": b"POST /audit/v1/operations HTTP/1.1\r\nHost: x\r\n"
    b"Content-Length: 2\r\nContent-Length: 2\r\n\r\n{}",
    "Content-Length list": b"POST /audit/v1/operations HTTP/1.1\r\nHost: x\r\n"
    b"Content-Length: 2, 2\r\n\r\n{}",
    "Content-Length and chunked": b"POST /audit/v1/operations HTTP/1.1\r\nHost: x\r\n"
    b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    "unknown transfer coding": b"POST /audit/v1/operations HTTP/1.1\r\nHost: x\r\n"
    b"Transfer-Encoding: gzip\r\n\r\n",
    "chunk not followed by CRLF": b"POST /audit/v1/operations HTTP/1.1\r\nHost: x\r\n"
    b"Transfer-Encoding: chunked\r\n\r\n2\r\n{}XX0\r\n\r\n",
    "HTTP/0.9 request line": b"GET /v1/operations\r\n\r\n",
    # Issue 22.7: h11 unfolds obs-fold (so a folded Transfer-Encoding was honoured) and
    # takes chunk lines RFC 9112 does not allow; an overflowing size got no reply at all.
    "obs-fold of a header": b"GET /v1/operations HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n",
    "obs-fold with a tab": b"GET /v1/operations HTTP/1.1\r\nHost: x\r\nX-A: a\r\n\tb\r\n\r\n",
    "obs-fold of Transfer-Encoding": b"POST /audit/v1/operations HTTP/1.1\r\nHost: x\r\n"
    b"Transfer-Encoding:\r\n chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
    "chunk size overflowing 64 bits": b"POST /audit/v1/operations HTTP/1.1\r\nHost: x\r\n"
    b"Transfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\n{}\r\n0\r\n\r\n",
    "chunk size with a space": b"POST /audit/v1/operations HTTP/1.1\r\nHost: x\r\n"
    b"Transfer-Encoding: chunked\r\n\r\n2 \r\n{}\r\n0\r\n\r\n",
    "NUL in a chunk extension": b"POST /audit/v1/operations HTTP/1.1\r\nHost: x\r\n"
    b"Transfer-Encoding: chunked\r\n\r\n2;a\x00b\r\n{}\r\n0\r\n\r\n",
    "chunk extension without a name": b"POST /audit/v1/operations HTTP/1.1\r\nHost: x\r\n"
    b"Transfer-Encoding: chunked\r\n\r\n2;\r\n{}\r\n0\r\n\r\n",
    "chunk size not hex": b"POST /audit/v1/operations HTTP/1.1\r\nHost: x\r\n"
    b"Transfer-Encoding: chunked\r\n\r\n0x2\r\n{}\r\n0\r\n\r\n",
    "obs-fold in a trailer": b"POST /audit/v1/operations HTTP/1.1\r\nHost: x\r\n"
    b"Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\nX-T: a\r\n b\r\n\r\n",
}


@pytest.mark.parametrize("raw", list(REJECTED.values()), ids=list(REJECTED))
def test_rfc9112_rejections_are_400_with_connection_close(srv: RunningServer, raw: bytes) -> None:
    api = Api(srv.url)
    reply = raw_exchange(api, raw)
    assert status_of(reply) == 400, reply[:300]
    assert headers_of(reply)["connection"] == "close"
    body = body_of(reply)
    assert body["code"] == 3 and body["details"][0]["reason"] == "MALFORMED_REQUEST", body
    assert api.count() == 0


def test_rejections_do_not_echo_the_offending_bytes(api: Api) -> None:
    raw = b"GET /v1/operations HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer s3cret\x00\r\n\r\n"
    reply = raw_exchange(api, raw)
    assert status_of(reply) == 400 and b"s3cret" not in reply


def test_other_http_versions_are_505(api: Api) -> None:
    reply = raw_exchange(api, b"GET /v1/operations HTTP/2.0\r\nHost: x\r\n\r\n")
    assert status_of(reply) == 505 and headers_of(reply)["connection"] == "close"


@pytest.mark.parametrize(
    "target",
    [
        "http://127.0.0.1/v1/operations",
        "HTTP://example.com:8080/v1/operations?pageSize=1",
        "https://x/v1/operations",
    ],
)
def test_absolute_form_targets_are_accepted(api: Api, target: str) -> None:
    api.create()
    raw = f"GET {target} HTTP/1.1\r\nHost: elsewhere\r\nConnection: close\r\n\r\n".encode()
    reply = raw_exchange(api, raw)
    assert status_of(reply) == 200, reply[:300]
    assert len(body_of(reply)["operations"]) == 1


def test_absolute_form_without_a_path_is_the_root(api: Api) -> None:
    reply = raw_exchange(api, b"GET http://x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert status_of(reply) == 404 and body_of(reply)["code"] == 5


def test_http10_keep_alive_is_answered_with_close_and_closed(api: Api) -> None:
    """HTTP/1.0 gets one request per connection, and the reply says so (the old server kept
    the connection open without saying `Connection: keep-alive`)."""
    with socket.create_connection((api.host, api.port), timeout=5) as sock:
        sock.sendall(b"GET /v1/operations HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        reply = b""
        while chunk := sock.recv(65536):  # returns b"" only because the server closes
            reply += chunk
    assert status_of(reply) == 200 and headers_of(reply)["connection"] == "close"


def test_empty_lines_before_a_request_are_ignored(api: Api) -> None:
    raw = b"\r\n\r\nGET /v1/operations HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    reply = raw_exchange(api, raw)
    assert status_of(reply) == 200


def test_obsolete_line_folding_is_refused_even_in_a_pipelined_request(api: Api) -> None:
    """Once unfolded and honoured (issue 22.7): a proxy that does not unfold sees other
    requests than we do. The second head, which came with the first, is checked too."""
    # After empty lines h11 refuses a pipelined request anyway ("no request line").
    for gap in (b"", b"\r\n\r\n"):
        raw = (
            b"GET /v1/operations HTTP/1.1\r\nHost: x\r\n\r\n" + gap + b"GET /v1/operations "
            b"HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n"
        )
        reply = raw_exchange(api, raw)
        assert reply.startswith(b"HTTP/1.1 200 OK\r\n"), reply[:200]
        second = reply[reply.index(b"HTTP/1.1 ", 9) :]
        assert status_of(second) == 400 and headers_of(second)["connection"] == "close"
        assert body_of(second)["details"][0]["reason"] == "MALFORMED_REQUEST"
        assert gap or "folded" in body_of(second)["message"]


def test_a_chunk_size_overflowing_is_answered_even_when_the_client_stops_sending(
    api: Api,
) -> None:
    """It closed without a word when the client half-closed after the chunk line."""
    with socket.create_connection((api.host, api.port), timeout=5) as sock:
        sock.sendall(
            b"POST /audit/v1/operations HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
            b"\r\nffffffffffffffffff\r\n"
        )
        sock.shutdown(socket.SHUT_WR)
        reply = b""
        while chunk := sock.recv(65536):
            reply += chunk
    assert status_of(reply) == 400 and headers_of(reply)["connection"] == "close"
    assert "64 bits" in body_of(reply)["message"]


def test_well_formed_chunk_lines_are_still_accepted(api: Api) -> None:
    body = b'{"metadata": {"@type": "a/b"}}'
    raw = (
        b"POST /audit/v1/operations HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
        b"Connection: close\r\n\r\n"
        b'0000000000000000000a;name=value ; q="a b";flag\r\n' + body[:10] + b"\r\n"
        b"%x\r\n" % (len(body) - 10) + body[10:] + b"\r\n0\r\nX-Trailer: t\r\n\r\n"
    )
    reply = raw_exchange(api, raw)
    assert status_of(reply) == 200, reply[:300]
    assert api.count() == 1


def test_a_chunk_announced_past_the_body_limit_is_413_at_its_line(api: Api) -> None:
    with socket.create_connection((api.host, api.port), timeout=5) as sock:
        sock.sendall(
            b"POST /audit/v1/operations HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
            b"\r\n10;a=b\r\n" + b"x" * 16 + b"\r\n200000\r\n"  # 16 bytes, then 2 MiB
        )
        reply = sock.recv(65536)
    assert status_of(reply) == 413 and headers_of(reply)["connection"] == "close"


def test_chunked_body_then_half_a_megabyte_without_crlf_is_answered(api: Api) -> None:
    """The old server never replied to this: it waited for a line end that never came."""
    with socket.create_connection((api.host, api.port), timeout=10) as sock:
        sock.sendall(
            b"POST /audit/v1/operations HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"2\r\n{}\r\n"
        )
        started = time.monotonic()
        try:
            for _ in range(9):  # 576 KiB of chunk-size line: over the 512 KiB line limit
                sock.sendall(b"1" * 65536)
        except ConnectionError:
            pass  # the server answered and closed while we were still sending
        reply = b""
        try:
            while chunk := sock.recv(65536):
                reply += chunk
        except ConnectionError:
            pass
    assert status_of(reply) == 400, reply[:200]
    assert time.monotonic() - started < 5


def test_request_line_and_header_limits(api: Api) -> None:
    line = b"GET /v1/operations?filter=" + b"x" * (600 * 1024) + b" HTTP/1.1\r\n\r\n"
    reply = raw_exchange(api, line)
    assert status_of(reply) == 414 and headers_of(reply)["connection"] == "close"
    pads = b"".join(b"X-Pad-%d: %s\r\n" % (i, b"y" * 8000) for i in range(80))
    reply = raw_exchange(api, b"GET /v1/operations HTTP/1.1\r\nHost: x\r\n" + pads + b"\r\n")
    assert status_of(reply) == 431


# --- bad input that answered 500 ---------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/audit/v1/operations:batchMarkSeenByCreator",
         '{"names": ["operations/\\udcff"]}'),
        ("POST", "/admin/v1/simulations", '{"parent": "projects/\\ud800"}'),
        ("POST", "/audit/v1/operations", '{"metadata": {"@type": "a/b", "x": "\\udfff\\ud800"}}'),
        ("POST", "/audit/v1/operations", '{"metadata": {"@type": "a/b", "\\udc00": 1}}'),
        ("PATCH", "/audit/v1/operations/x:finalize", '{"done": true, "error": {"code": 2, '
         '"message": "\\ud83d"}}'),
    ],
)  # fmt: skip
def test_lone_surrogates_in_json_bodies_are_invalid_argument(
    api: Api, method: str, path: str, body: str
) -> None:
    reply = api.call(method, path, raw=body.encode("ascii"))
    assert (reply.status, reply.code) == (400, 3), reply.body[:300]
    assert "surrogate" in reply.json["message"]
    assert api.count() == 0


def test_surrogate_pairs_are_characters(api: Api) -> None:
    raw = b'{"metadata": {"@type": "a/b", "face": "\\ud83d\\ude00"}}'
    op = api.post("/audit/v1/operations", raw=raw).json["operation"]
    assert api.audited(op["name"])["metadata"]["face"] == "\U0001f600"


def test_filters_have_a_length_and_term_budget(api: Api) -> None:
    api.create()
    huge = 'creator = "' + "a" * 480_000 + '"'  # 480 KB: the old tokenizer took 4.4 s
    started = time.monotonic()
    reply = api.get("/v1/operations?filter=" + quote(huge))
    assert (reply.status, reply.code) == (400, 3) and "longer than 4096" in reply.json["message"]
    assert time.monotonic() - started < 2  # refused before parsing (generous: loaded machine)

    terms = " AND ".join(["done = false"] * 998)  # SQLite: "Expression tree is too large"
    reply = api.get("/audit/v1/operations?filter=" + quote(terms))
    assert (reply.status, reply.code) == (400, 3), reply.body[:200]
    fifty = " AND ".join(["done = false"] * 50)
    assert api.ok("GET", "/audit/v1/operations?filter=" + quote(fifty))["totalSize"] == 1
    reply = api.get("/v1/operations?filter=" + quote(fifty + " AND done = false"))
    assert (reply.status, reply.code) == (400, 3) and "more than 50" in reply.json["message"]


def test_filter_parsing_is_linear() -> None:
    """The largest filters allowed parse in about the time of a small one times their size
    (the old tokenizer copied the rest of the text at every token: quadratic)."""
    from lro_server.filters import MAX_FILTER_LENGTH, parse_filter

    def seconds(text: str) -> float:
        started = time.perf_counter()
        for _ in range(20):
            with pytest.raises(Exception, match="filter"):
                parse_filter(text)
        return time.perf_counter() - started

    small, large = "= " * 100, "= " * (MAX_FILTER_LENGTH // 2)  # 200 and 4096 characters
    # 20x the text, at most ~20x the time (40x allowed for timing noise; quadratic is 400x).
    assert seconds(large) < 40 * seconds(small) + 0.05


def test_expect_100_continue_comes_after_authentication() -> None:
    """An unauthenticated upload hears 401 at once, without `100 Continue`: it never sends
    the body (the old server said 100 first, so the caller uploaded 1 MiB for its 401)."""
    with serve(port=0, tokens={"t-alice": "alice"}) as srv:
        api = Api(srv.url)
        head = (
            b"POST /audit/v1/operations HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
            b"Content-Type: application/json\r\nContent-Length: 1000000\r\n"
        )
        with socket.create_connection((api.host, api.port), timeout=5) as sock:
            sock.sendall(head + b"\r\n")
            first = sock.recv(65536)
        assert status_of(first) == 401 and headers_of(first)["connection"] == "close"
        with socket.create_connection((api.host, api.port), timeout=5) as sock:
            sock.sendall(head + b"Authorization: Bearer t-alice\r\n\r\n")
            assert sock.recv(65536).startswith(b"HTTP/1.1 100 Continue\r\n")
        assert srv.requests == 1  # the refused one is counted; the other never finished


def test_unauthenticated_body_is_not_waited_for() -> None:
    with serve(port=0, tokens={"t-alice": "alice"}) as srv:
        api = Api(srv.url)
        started = time.monotonic()
        with socket.create_connection((api.host, api.port), timeout=5) as sock:
            sock.sendall(
                b"POST /audit/v1/operations HTTP/1.1\r\nHost: x\r\n"
                b"Content-Length: 1000000\r\n\r\n" + b"x" * 1000
            )
            reply = sock.recv(65536)
        assert status_of(reply) == 401 and time.monotonic() - started < 1
        assert json.loads(reply.partition(b"\r\n\r\n")[2])["code"] == 16


def test_a_pipelined_body_is_not_mistaken_for_empty_lines(api: Api) -> None:
    """The second request's head arrives with the first; its body, starting with CRLF
    (JSON allows it), comes later and is read whole, under the body's own clock."""
    body = b'\r\n{"metadata": {"@type": "a/b"}}'
    with socket.create_connection((api.host, api.port), timeout=5) as sock:
        sock.sendall(
            b"GET /v1/operations HTTP/1.1\r\nHost: x\r\n\r\n"
            b"POST /audit/v1/operations HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
            b"Content-Length: %d\r\n\r\n" % len(body)
        )
        time.sleep(0.2)
        sock.sendall(body)
        reply = b""
        while chunk := sock.recv(65536):
            reply += chunk
    assert reply.count(b"HTTP/1.1 200 OK\r\n") == 2, reply[:300]
    assert api.count() == 1

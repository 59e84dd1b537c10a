"""Hostile input to the server over raw sockets and urllib3: every request gets a clear
4xx (a google.rpc.Status body whose code matches the HTTP status) and leaves the store
exactly as it was (the audited list, deleted operations included, is compared before and
after). Oversized bodies are refused from their headers, without reading them.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from reliability_support import META, RESPONSE, TOKEN, TOKENS, Raw

from lro_server import RunningServer, serve

#: The HTTP status of each google.rpc code the server may answer bad input with.
HTTP_OF_CODE = {3: 400, 5: 404, 9: 400, 12: 405, 16: 401}
MAX_BODY = 64 * 1024  # a small limit for this module's server, to keep the tests quick


class Store:
    """The server of this module, its seeded operations, and raw HTTP to it."""

    def __init__(self, srv: RunningServer) -> None:
        self.srv = srv
        self.raw = Raw(srv.url)
        self.host, self.port = "127.0.0.1", srv.port
        self.running = [self._create() for _ in range(3)]
        self.done = [self._create() for _ in range(2)]
        for name in self.done:
            body = {"done": True, "response": RESPONSE}
            assert self.raw.json("PATCH", f"/audit/v1/{name}:finalize", json_body=body)[0] == 200

    def _create(self) -> str:
        status, body = self.raw.json("POST", "/audit/v1/operations", json_body={"metadata": META})
        assert status == 200
        name: str = body["operation"]["name"]
        return name


@pytest.fixture(scope="module")
def store() -> Iterator[Store]:
    with serve(port=0, db=":memory:", tokens=TOKENS, max_wait=0.1, max_body_bytes=MAX_BODY) as srv:
        state = Store(srv)
        yield state
        state.raw.close()


def assert_clear_4xx(status: int, body: bytes, what: str) -> dict[str, Any]:
    assert 400 <= status <= 499, f"{what}: HTTP {status} {body[:200]!r}"
    error = json.loads(body)
    assert isinstance(error, dict), what
    assert isinstance(error.get("code"), int) and error["code"] != 0, f"{what}: {error}"
    assert isinstance(error.get("message"), str) and error["message"], f"{what}: {error}"
    expected = HTTP_OF_CODE.get(error["code"])
    if status not in (413, 414, 431):  # framing errors are INVALID_ARGUMENT with their own status
        assert expected == status, f"{what}: code {error['code']} with HTTP {status}"
    assert error.get("details", [{}])[0].get("@type", "").endswith("google.rpc.ErrorInfo")
    return error


# --- raw sockets ----------------------------------------------------------------------------


def exchange(
    store: Store, data: bytes, *, timeout: float = 5.0, token: bool = True
) -> tuple[int, dict[str, str], bytes, float]:
    """Send raw bytes (the Authorization header is added after the request line) and read
    one response. Returns (status, headers, body, seconds until the status line)."""
    if token:
        line, sep, rest = data.partition(b"\r\n")
        data = line + sep + f"Authorization: Bearer {TOKEN}\r\n".encode() + rest
    with socket.create_connection((store.host, store.port), timeout=timeout) as sock:
        started = time.monotonic()
        sock.sendall(data)
        buffer = b""
        while b"\r\n\r\n" not in buffer:
            chunk = sock.recv(65536)
            if not chunk:
                raise AssertionError(f"connection closed without a response: {buffer!r}")
            buffer += chunk
        elapsed = time.monotonic() - started
        head, _, body = buffer.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ")[1])
        headers = {k.lower(): v.strip() for k, _, v in (h.partition(":") for h in lines[1:])}
        length = int(headers.get("content-length", "0"))
        while len(body) < length:
            chunk = sock.recv(65536)
            if not chunk:
                break
            body += chunk
        return status, headers, body[:length], elapsed


# --- hostile names --------------------------------------------------------------------------

# {op} is an existing running operation's id: a traversal must never resolve to it.
HOSTILE_NAMES = {
    "dotdot": "operations/{op}/..",
    "dotdot-first": "operations/../operations/{op}",
    "dot": "operations/./{op}",
    "pct-dotdot": "operations/{op}/%2e%2e",
    "pct-dotdot-upper": "operations/%2E%2E/{op}",
    "pct-slash-dotdot": "operations/{op}%2F..",
    "double-encoded": "operations/{op}/%252e%252e",
    "empty-segment": "operations//{op}",
    "trailing-slash": "operations/{op}/",
    "question": "operations/{op}%3F",
    "raw-question": "operations/nope?x=../operations/{op}",
    "hash": "operations/{op}%23frag",
    "raw-hash": "operations/nope#/../{op}",
    "nul": "operations/{op}%00",
    "newline": "operations/{op}%0d%0aX-Injected:%201",
    "del": "operations/%7f{op}",
    "c1-control": "operations/{op}%C2%85",
    "bad-utf8": "operations/{op}%ff",
    "lone-surrogate": "operations/{op}%ed%a0%80",
    "10kb": "operations/" + "a" * 10 * 1024,
    "10kb-encoded-slashes": "operations/" + "%2F" * 3500,
}

# (method, path template, body): every route that takes a name.
NAME_ROUTES = [
    ("GET", "/v1/{n}", None),
    ("DELETE", "/v1/{n}", None),
    ("POST", "/v1/{n}:cancel", b"{}"),
    ("POST", "/v1/{n}:wait", b'{"timeout":"0s"}'),
    ("GET", "/audit/v1/{n}", None),
    ("PATCH", "/audit/v1/{n}", json.dumps({"metadata": META}).encode()),
    ("POST", "/audit/v1/{n}:abort", b"{}"),
    ("PATCH", "/audit/v1/{n}:finalize", json.dumps({"done": True, "response": RESPONSE}).encode()),
    ("POST", "/audit/v1/{n}:markSeenByCreator", b"{}"),
    ("GET", "/v1/{n}/operations", None),  # as a parent
]


@pytest.mark.parametrize("kind", list(HOSTILE_NAMES))
def test_hostile_names_are_4xx_and_change_nothing(store: Store, kind: str) -> None:
    before = store.raw.snapshot()
    op_id = store.running[0].rpartition("/")[2]
    name = HOSTILE_NAMES[kind].format(op=op_id)
    for method, template, body in NAME_ROUTES:
        target = template.format(n=name)
        request = f"{method} {target} HTTP/1.1\r\nHost: x\r\n".encode()
        if body is not None:
            request += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n".encode()
        request += b"\r\n" + (body or b"")
        status, _, payload, _ = exchange(store, request)
        if template.endswith("/operations") and status == 200:
            # A strange but valid parent (say `operations/x?`, decoded from %3F) lists
            # nothing: that is the right answer, and it cannot change anything.
            assert json.loads(payload) == {}, payload[:200]
            continue
        assert_clear_4xx(status, payload, f"{method} {target[:80]}")
    assert store.raw.snapshot() == before


@pytest.mark.parametrize(
    "char", [b"\x00", b"\x01", b"\x7f", b"\x1b[31m", b"\xff", b"\xc2\x85"], ids=repr
)
def test_raw_control_bytes_in_the_request_line(store: Store, char: bytes) -> None:
    before = store.raw.snapshot()
    name = store.running[0].encode()
    for method, path in ((b"GET", b"/v1/"), (b"DELETE", b"/v1/"), (b"POST", b"/audit/v1/")):
        suffix = b":abort" if method == b"POST" else b""
        request = method + b" " + path + name + char + suffix + b" HTTP/1.1\r\nHost: x\r\n\r\n"
        status, _, payload, _ = exchange(store, request)
        assert_clear_4xx(status, payload, repr(request[:60]))
    assert store.raw.snapshot() == before


def test_names_in_queries_and_bodies(store: Store) -> None:
    """Hostile names where names travel as data: batchGet, batch mark-seen, create's parent."""
    before = store.raw.snapshot()
    op_id = store.running[0].rpartition("/")[2]
    for kind, template in HOSTILE_NAMES.items():
        if kind.startswith("raw-"):
            continue
        name = template.format(op=op_id)
        decoded = name.replace("%252e", "%2e")  # as data, a name is not percent-decoded again
        checks = [
            ("GET", "/audit/v1/operations:batchGet?names=" + quote(decoded, safe=""), None),
            ("POST", "/audit/v1/operations:batchMarkSeenByCreator", {"names": [decoded]}),
            ("POST", "/audit/v1/operations?parent=" + quote(decoded, safe=""), {}),
        ]
        for method, path, body in checks:
            response = store.raw.request(method, path, json_body=body)
            assert_clear_4xx(response.status, response.data, f"{kind}: {method} {path[:60]}")
    assert store.raw.snapshot() == before


# --- bodies ---------------------------------------------------------------------------------


@pytest.mark.parametrize("declared", [MAX_BODY + 1, 10**9, 10**17])
def test_oversized_body_is_refused_from_its_headers(store: Store, declared: int) -> None:
    """Only the headers and 16 bytes are sent; a server that tried to read the declared
    body would wait for the rest (the socket stays open) and time out instead."""
    before = store.raw.snapshot()
    head = (
        "POST /audit/v1/operations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        f"Content-Length: {declared}\r\n\r\n"
    ).encode()
    status, headers, payload, elapsed = exchange(store, head + b'{"metadata": {"@', timeout=5.0)
    assert status == 413
    assert elapsed < 1.0, f"413 took {elapsed:.2f} s: the server waited for the body"
    assert headers.get("connection", "").lower() == "close"
    assert_clear_4xx(status, payload, "oversized body")
    assert store.raw.snapshot() == before


def test_oversized_chunked_body_is_refused_at_the_chunk_header(store: Store) -> None:
    before = store.raw.snapshot()
    head = (
        "PATCH /audit/v1/operations/x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        f"{MAX_BODY * 4:x}\r\n"
    ).encode()
    status, _, payload, elapsed = exchange(store, head + b'{"meta', timeout=5.0)
    assert status == 413 and elapsed < 1.0
    assert_clear_4xx(status, payload, "oversized chunk")
    assert store.raw.snapshot() == before


def test_body_just_over_the_limit_sent_whole(store: Store) -> None:
    before = store.raw.snapshot()
    body = b'{"metadata": {"@type": "type.googleapis.com/x.Y", "pad": "' + b"x" * MAX_BODY + b'"}}'
    response = store.raw.request("POST", "/audit/v1/operations", body=body)
    assert response.status == 413
    assert store.raw.snapshot() == before


@pytest.mark.parametrize(
    "framing",
    [
        b"Content-Length: 2\r\nContent-Length: 2\r\n",
        b"Content-Length: 2\r\nTransfer-Encoding: chunked\r\n",
        b"Content-Length: +2\r\n",
        b"Content-Length: 0x2\r\n",
        b"Content-Length: -1\r\n",
        b"Transfer-Encoding: gzip\r\n",
    ],
    ids=lambda f: f.decode().strip().replace("\r\n", " / "),
)
def test_ambiguous_framing_is_refused(store: Store, framing: bytes) -> None:
    before = store.raw.snapshot()
    request = b"POST /audit/v1/operations HTTP/1.1\r\nHost: x\r\n" + framing + b"\r\n{}"
    status, _, payload, _ = exchange(store, request)
    assert_clear_4xx(status, payload, framing.decode())
    assert store.raw.snapshot() == before


def nested(depth: int, open_: str = "[", close: str = "]") -> str:
    return open_ * depth + close * depth


@pytest.mark.parametrize("depth", [2_000, 100_000, 500_000])
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/audit/v1/operations"),
        ("PATCH", "/audit/v1/{op}"),
        ("PATCH", "/audit/v1/{op}:finalize"),
        ("POST", "/v1/{op}:wait"),
        ("POST", "/audit/v1/operations:batchMarkSeenByCreator"),
    ],
)
def test_deeply_nested_json(store: Store, method: str, path: str, depth: int) -> None:
    before = store.raw.snapshot()
    inner = nested(depth) if depth % 2 else nested(depth // 2, '{"a":', "}")
    body = ('{"metadata": {"@type": "type.googleapis.com/x.Y", "v": ' + inner + "}}").encode()
    if len(body) > MAX_BODY:
        body = body[: MAX_BODY - 1]  # still deep; truncated JSON is just as hostile
    path = path.format(op=store.running[1])
    response = store.raw.request(method, path, body=body)
    assert_clear_4xx(response.status, response.data, f"{method} {path} depth {depth}")
    assert store.raw.snapshot() == before


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/audit/v1/operations", b"[]"),
        ("POST", "/audit/v1/operations", b'"x"'),
        ("POST", "/audit/v1/operations", b'{"metadata": "x"}'),
        ("POST", "/audit/v1/operations", b'{"metadata": {"@type": 5}}'),
        ("POST", "/audit/v1/operations", b'{"metadata": {"v": NaN}}'),
        ("POST", "/audit/v1/operations", b'{"metadata": {"v": 1e999}}'),
        ("POST", "/audit/v1/operations", b"\xff\xfe{}"),
        ("POST", "/audit/v1/operations", b'{"metadata": {"@type": "t/x"'),
        ("PATCH", "/audit/v1/{op}", b"{}"),
        ("PATCH", "/audit/v1/{op}", b'{"metadata": [1]}'),
        ("PATCH", "/audit/v1/{op}:finalize", b'{"done": "yes", "response": {}}'),
        ("PATCH", "/audit/v1/{op}:finalize", b'{"done": true}'),
        ("PATCH", "/audit/v1/{op}:finalize", b'{"done": true, "response": {}, "error": {}}'),
        ("PATCH", "/audit/v1/{op}:finalize", b'{"done": true, "error": {"code": "x"}}'),
        ("PATCH", "/audit/v1/{op}:finalize", b'{"done": true, "error": {"code": 1e30}}'),
        ("POST", "/v1/{op}:wait", b'{"timeout": "-1s"}'),
        ("POST", "/v1/{op}:wait", b'{"timeout": "1e999s"}'),
        ("POST", "/v1/{op}:wait", b'{"timeout": 5}'),
        ("POST", "/v1/{op}:cancel", b"[1]"),
        ("POST", "/audit/v1/operations:batchMarkSeenByCreator", b'{"names": "x"}'),
        ("POST", "/audit/v1/operations:batchMarkSeenByCreator", b'{"names": [1, 2]}'),
        ("POST", "/audit/v1/operations:batchMarkSeenByCreator", b'{"names": []}'),
    ],
)
def test_wrong_shapes_and_types(store: Store, method: str, path: str, body: bytes) -> None:
    before = store.raw.snapshot()
    path = path.format(op=store.running[2])
    response = store.raw.request(method, path, body=body)
    assert_clear_4xx(response.status, response.data, f"{method} {path} {body[:40]!r}")
    assert store.raw.snapshot() == before


# --- batches --------------------------------------------------------------------------------


@pytest.mark.parametrize("count", [1001, 5000])
def test_batches_over_1000_names(store: Store, count: int) -> None:
    before = store.raw.snapshot()
    names = (store.done * count)[:count]  # all real, done, own operations: only the size is wrong
    query = "&".join("names=" + quote(n, safe="") for n in names)
    response = store.raw.request("GET", "/audit/v1/operations:batchGet?" + query)
    error = assert_clear_4xx(response.status, response.data, "batchGet")
    assert error["code"] == 3
    response = store.raw.request(
        "POST", "/audit/v1/operations:batchMarkSeenByCreator", json_body={"names": names}
    )
    error = assert_clear_4xx(response.status, response.data, "batchMarkSeen")
    assert error["code"] == 3
    assert store.raw.snapshot() == before


# --- paging ---------------------------------------------------------------------------------

LISTS = ["/v1/operations", "/audit/v1/operations", "/audit/v1/operations:unseen"]


@pytest.mark.parametrize("path", LISTS)
@pytest.mark.parametrize(
    "size", ["-1", "-2147483648", "2147483648", "99999999999999999999", "1.5", "1e3", "x", "0x10"]
)
def test_bad_page_sizes(store: Store, path: str, size: str) -> None:
    response = store.raw.request("GET", f"{path}?pageSize={quote(size)}")
    error = assert_clear_4xx(response.status, response.data, f"{path} pageSize={size}")
    assert error["code"] == 3


@pytest.mark.parametrize("path", LISTS)
def test_huge_valid_page_size_is_capped(store: Store, path: str) -> None:
    status, page = store.raw.json("GET", f"{path}?pageSize=2147483647")
    assert status == 200 and len(page.get("operations", [])) <= 1000


def real_token(store: Store, path: str, extra: str = "") -> str:
    status, page = store.raw.json("GET", f"{path}?pageSize=1{extra}")
    assert status == 200
    token: str = page["nextPageToken"]
    return token


@pytest.mark.parametrize("path", ["/v1/operations", "/audit/v1/operations"])
def test_forged_page_tokens(store: Store, path: str) -> None:
    import base64

    token = real_token(store, path)
    payload, _, signature = token.partition(".")
    decoded = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    forged_payload = (
        base64.urlsafe_b64encode(json.dumps({**decoded, "after": 0}).encode()).rstrip(b"=").decode()
    )
    forgeries = {
        "random": "abc",
        "empty-signature": payload + ".",
        "payload-swapped": forged_payload + "." + signature,
        "signature-flipped": payload + "." + signature[::-1],
        "non-ascii": token + "\u00e9",
        "nul": token + "\x00",
        "huge": "A" * 100_000,
        "other-query": real_token(store, "/audit/v1/operations", "&showDeleted=true")
        if path == "/audit/v1/operations"
        else token + "x",
        "json": json.dumps({"after": 0}),
    }
    for kind, forged in forgeries.items():
        response = store.raw.request("GET", f"{path}?pageSize=1&pageToken={quote(forged)}")
        error = assert_clear_4xx(response.status, response.data, f"{kind} token")
        assert error["code"] == 3, kind


def test_store_survived_everything(store: Store) -> None:
    """After the whole module the seeded operations are exactly as created."""
    ops = {op["name"]: op for op in store.raw.snapshot()}
    assert set(ops) == set(store.running + store.done)
    assert all(not ops[n].get("done") and ops[n]["metadata"] == META for n in store.running)
    assert all(ops[n]["response"] == RESPONSE for n in store.done)
    assert not any("deleteTime" in op or "seenByCreatorTime" in op for op in ops.values())

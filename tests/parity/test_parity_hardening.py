"""Issue 22, the client half: both halves fail alike, one test body each (sync and async).

Nested ``Any`` (22.4), Latin-1 credentials, multi-member and garbled gzip bodies (22.5)
and numbers JSON cannot hold as floats (22.6), against the reference server or, for what
it cannot show, a hostile loopback server (``hostile_peer.py``).
"""

from __future__ import annotations

import decimal
import gzip
import itertools
import json
import math
import pickle
import time
from typing import Any

import pydantic
import pytest
from hostile_peer import HostilePeer
from parity_support import BOUND_SECONDS, TOKENS, Side

import lro
from lro._core.anys import MAX_ANY_DEPTH

parity = pytest.mark.parity

JOB = "type.googleapis.com/test.Job"
ANY = "type.googleapis.com/google.protobuf.Any"


class Job(pydantic.BaseModel):
    step: int


def nested_any(depth: int) -> dict[str, Any]:
    """A ``test.Job`` Any wrapped in ``depth`` google.protobuf.Any wrappers."""
    value: dict[str, Any] = {"@type": JOB, "step": 7}
    for _ in range(depth):
        value = {"@type": ANY, "value": value}
    return value


# -- 22.4: an Any wrapping an Any, 300 deep ------------------------------------------------


@parity(
    "client.create",
    "client.finalize",
    "client.get",
    "operation.response_as",
    "operation.metadata_as",
    "operation.result",
    "operation.response",
)
def test_anys_nested_300_deep_are_refused_with_an_lro_error(side: Side) -> None:
    """It was a bare RecursionError: unpack recursed four frames per wrapper."""
    c = side.client()
    deep = nested_any(300)
    op = c.finalize(c.create(deep).name, response=deep)
    got = c.get(op.name)
    assert got.response == deep  # the data itself is kept, whole
    attempts = [
        lambda: got.response_as(Job),
        lambda: got.metadata_as(Job),
        lambda: got.result(as_type=Job),
        lambda: lro.unpack(got.response),
        lambda: lro.unpack(got.response, Job),
    ]
    for attempt in attempts:
        with pytest.raises(lro.AnyTypeError, match=r"more than 100 deep"):
            attempt()


@parity("client.create", "client.finalize", "operation.response_as", "operation.result")
def test_anys_nested_up_to_the_limit_unpack_to_the_innermost(side: Side) -> None:
    c = side.client()
    op = c.finalize(c.create(nested_any(3)).name, response=nested_any(MAX_ANY_DEPTH))
    assert op.response_as(Job) == Job(step=7)
    assert op.result(as_type=Job) == Job(step=7)
    with pytest.raises(lro.AnyTypeError, match=r"more than 100 deep"):
        lro.unpack(nested_any(MAX_ANY_DEPTH + 1))


# -- 22.5: the two halves fail alike -------------------------------------------------------


def _response(body: bytes, *headers: str) -> bytes:
    head = ["HTTP/1.1 200 OK", "Content-Type: application/json", *headers]
    head.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


OPERATION = {"name": "operations/x", "done": True, "response": {"@type": JOB, "step": 7}}


@parity("client.get")
def test_latin1_credentials_and_headers_are_sent_as_latin1_bytes(side: Side) -> None:
    """Sync sent them; async raised a bare UnicodeEncodeError. Both send the same bytes."""
    reply = _response(json.dumps(OPERATION).encode())
    with HostilePeer("reply", reply=reply) as peer:
        c = side.client(
            peer.url, token="t\u00f6k\u00e9n", api_key="cl\u00e9", headers={"x-note": "caf\u00e9"}
        )
        assert c.get("operations/x").name == "operations/x"
        callable_token = side.client(peer.url, token=lambda: "j\u00e9ton")
        assert callable_token.get("operations/x").name == "operations/x"
    first, second = peer.heads
    assert b"\r\nAuthorization: Bearer t\xf6k\xe9n" in first
    assert b"\r\nx-goog-api-key: cl\xe9" in first
    assert b"\r\nx-note: caf\xe9" in first
    assert b"\r\nAuthorization: Bearer j\xe9ton" in second
    for beyond in ({"token": "\u20ac"}, {"api_key": "\u20ac"}, {"headers": {"x-note": "\u20ac"}}):
        with pytest.raises(lro.InvalidArgument, match="Latin-1"):
            side.client(peer.url, **beyond)


def _gzip_members(text: bytes, *cuts: int) -> bytes:
    """``text`` as consecutive gzip members, split at ``cuts`` (RFC 1952 2.2)."""
    bounds = [0, *cuts, len(text)]
    return b"".join(gzip.compress(text[a:b], mtime=0) for a, b in itertools.pairwise(bounds))


@parity("client.get")
def test_a_multi_member_gzip_body_decodes_whole(side: Side) -> None:
    """Async decoded the first member only (and dropped the rest without a word)."""
    text = json.dumps(OPERATION).encode()
    reply = _response(_gzip_members(text, 10, 30), "Content-Encoding: gzip")
    with HostilePeer("reply", reply=reply) as peer:
        got = side.client(peer.url).get("operations/x")
    assert got.to_dict() == OPERATION
    assert peer.requests == 1


@parity("client.get")
@pytest.mark.parametrize(
    ("body", "why"),
    [
        (b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xffgarbled-deflate-data", "cannot decode"),
        (gzip.compress(json.dumps(OPERATION).encode(), mtime=0)[:-12], "truncated"),
        (gzip.compress(json.dumps(OPERATION).encode(), mtime=0) + b"trailing", "cannot decode"),
    ],
    ids=["garbled", "cut-short", "trailing-garbage"],
)
def test_a_2xx_body_that_does_not_decode_is_invalid_response_after_one_request(
    side: Side, body: bytes, why: str
) -> None:
    """Sync retried a garbled body three times as ConnectionDropped; the same answer again
    would not decode either: InvalidResponse at once, in both halves."""
    reply = _response(body, "Content-Encoding: gzip")
    with HostilePeer("reply", reply=reply) as peer:
        c = side.client(peer.url)
        with pytest.raises(lro.InvalidResponse, match=why):
            side.within(BOUND_SECONDS, lambda: c.get("operations/x"), "get a garbled body")
    assert peer.requests == 1


# -- 22.6: JSON out is JSON ------------------------------------------------------------------

#: Numbers a float cannot hold (the reference server refuses 1e400 and rounds the long
#: fraction, so a hostile peer serves them), in canonical compact form.
NUMBERS = (
    b'{"name":"operations/n","done":true,"metadata":{"@type":"type.googleapis.com/test.Job",'
    b'"huge":1e400,"tiny":-2.5e-400,"long":123456789012345678901234567890,'
    b'"precise":0.1000000000000000000001,"plain":1.5},"response":{"@type":"t/x"}}'
)


def _strict(text: str) -> Any:
    """Parse as RFC 8259 JSON: NaN/Infinity refused, numbers read as exact decimals."""

    def refuse(word: str) -> Any:
        raise AssertionError(f"{word} is not JSON")

    return json.loads(text, parse_constant=refuse, parse_float=decimal.Decimal)


@parity("client.get", "operation.to_json", "operation.metadata")
def test_to_json_is_strict_json_keeping_every_number_the_server_sent(side: Side) -> None:
    """``to_json()`` wrote ``1e400`` as ``Infinity`` (and the long fraction as ``0.1``)."""
    with HostilePeer("reply", reply=_response(NUMBERS)) as peer:
        got = side.client(peer.url).get("operations/n")
    assert got.to_json() == NUMBERS.decode()  # byte for byte
    assert _strict(got.to_json(indent=2)) == _strict(NUMBERS.decode())
    metadata = got.metadata
    assert metadata["huge"] == math.inf and metadata["tiny"] == 0.0  # floats, nearest value
    assert metadata["long"] == 123456789012345678901234567890 and metadata["plain"] == 1.5
    again = lro.Operation.from_json(got.to_json())
    assert again.to_json() == NUMBERS.decode()
    assert pickle.loads(pickle.dumps(again)).to_json() == NUMBERS.decode()


@parity("client.get")
@pytest.mark.parametrize("word", ["NaN", "Infinity", "-Infinity"])
def test_a_body_with_nan_or_infinity_is_invalid_response(side: Side, word: str) -> None:
    """Not JSON (RFC 8259 has neither): refused once, not stored to be written back."""
    body = b'{"name":"operations/n","metadata":{"x":' + word.encode() + b"}}"
    with HostilePeer("reply", reply=_response(body)) as peer:
        c = side.client(peer.url)
        with pytest.raises(lro.InvalidResponse, match="not valid JSON"):
            c.get("operations/n")
    assert peer.requests == 1


@parity("client.get_many", "client.mark_seen")
def test_a_batch_the_server_finds_too_large_is_asked_for_in_halves(
    side: Side, make_server: Any
) -> None:
    # Each operation holds ~40 KB of JSON; the server answers at most 100 KB a batch, so
    # five names need three requests (the server refuses a batch whole: BATCH_TOO_LARGE).
    srv = make_server(tokens=TOKENS, max_batch_bytes=100_000)
    c = side.client(srv.url)
    big = {"@type": "type.googleapis.com/test.Big", "blob": "x" * 40_000}
    names = [c.create(big).name for _ in range(5)]
    for name in names:
        c.finalize(name, response=big)
    before = srv.requests
    got = c.get_many([*names, names[0]])
    assert [op.name for op in got] == [*names, names[0]]
    assert srv.requests - before > 2  # refused whole, then asked for in parts
    seen = c.mark_seen(*names)
    assert [op.name for op in seen] == names and all(op.seen for op in seen)
    tiny = make_server(tokens=TOKENS, max_batch_bytes=10_000)  # one operation is too much
    t = side.client(tiny.url)
    alone = t.create(big).name
    with pytest.raises(lro.InvalidArgument) as refused:
        t.get_many([alone])
    assert refused.value.reason == "BATCH_TOO_LARGE"  # the server's own answer, not split


@parity("client.get")
def test_both_halves_pause_between_attempts_with_the_policy_s_sleep(side: Side) -> None:
    # Retry(sleep=) is the pause between attempts in both halves (the async one used to
    # await asyncio.sleep whatever the policy said): a server's Retry-After reaches it.
    slept: list[float] = []
    retry = lro.Retry(initial=0.001, maximum=0.01, deadline=30.0, sleep=slept.append)
    c = side.client(retry=retry)
    name = c.create().name
    side.server.faults.add(kind="rate_limit", retry_after_seconds=5, count=1)
    started = time.monotonic()
    assert c.get(name).name == name
    assert slept == [5.0]  # the server's delay, through the injected sleep
    assert time.monotonic() - started < 4  # not also slept for real

"""The JSON reader and writer that keep every number (issue 22.6) and the shared body
reader both transports decode with (issue 22.5): the cases no server needs to show."""

from __future__ import annotations

import gzip
import json
import math
import zlib
from typing import Any

import pytest

from lro._core.bodies import BodyReader
from lro._core.errors import InvalidResponse
from lro._core.jsonvalues import JsonNumber, dumps, loads


@pytest.mark.parametrize(
    "literal",
    ["1e400", "-1E+400", "2.5e-400", "0.1000000000000000000001", "123456789.123456789123"],
)
def test_a_number_a_float_cannot_hold_keeps_its_literal(literal: str) -> None:
    value = loads(f"[{literal}]")[0]
    assert isinstance(value, JsonNumber) and value.literal == literal
    assert value == float(literal)  # still the nearest float for arithmetic
    assert dumps([value]) == f"[{literal}]"
    assert dumps({"a": [value]}, indent=2) == f'{{\n  "a": [\n    {literal}\n  ]\n}}'


@pytest.mark.parametrize("literal", ["1.5", "1.50", "1E2", "0.1", "-0.0", "1e-5"])
def test_a_number_a_float_holds_stays_a_plain_float(literal: str) -> None:
    value = loads(literal)
    assert type(value) is float and value == float(literal)


def test_integers_of_any_length_are_exact() -> None:
    assert loads("123456789012345678901234567890") == 123456789012345678901234567890


@pytest.mark.parametrize("word", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_not_json(word: str) -> None:
    with pytest.raises(ValueError, match="not JSON"):
        loads(f'{{"x": {word}}}')


def test_dumps_refuses_what_json_cannot_hold() -> None:
    with pytest.raises(ValueError):
        dumps({"x": math.inf})
    cyclic: dict[str, Any] = {"n": loads("1e400")}
    cyclic["self"] = cyclic
    with pytest.raises(ValueError):
        dumps(cyclic)


def test_text_that_looks_like_a_marker_stays_text() -> None:
    value = loads('{"a": 1e400, "b": "\\u0000lro-number-0-0", "c": "1e400"}')
    assert json.loads(dumps(value), parse_constant=str) == {
        "a": math.inf,
        "b": "\x00lro-number-0-0",
        "c": "1e400",
    }
    assert dumps(value) == '{"a":1e400,"b":"\\u0000lro-number-0-0","c":"1e400"}'


def _read(body: bytes, coding: str | None, limit: int = 1000, chunk: int = 7) -> bytes:
    reader = BodyReader(str(len(body)), coding, limit)
    for start in range(0, len(body), chunk):
        reader.feed(body[start : start + chunk])
    return reader.body()


def test_every_gzip_member_is_decoded_whatever_the_chunks() -> None:
    members = gzip.compress(b"one ") + gzip.compress(b"two ") + gzip.compress(b"three")
    for chunk in (1, 5, 64, 4096):
        assert _read(members, "gzip", chunk=chunk) == b"one two three"


def test_deflate_and_identity_and_other_codings() -> None:
    assert _read(zlib.compress(b"deflated"), "deflate") == b"deflated"
    assert _read(b"plain", None) == _read(b"plain", "identity") == b"plain"
    with pytest.raises(InvalidResponse, match="after its deflate end"):
        _read(zlib.compress(b"x") + zlib.compress(b"y"), "deflate")
    with pytest.raises(InvalidResponse, match="unsupported Content-Encoding 'br'"):
        BodyReader(None, "br", 1000)


def test_the_cap_applies_to_the_decoded_size() -> None:
    bomb = gzip.compress(b"0" * 100_000)
    assert len(bomb) < 1000
    with pytest.raises(InvalidResponse, match="larger than 1000 bytes"):
        _read(bomb, "gzip", limit=1000)
    with pytest.raises(InvalidResponse, match="larger than 10 bytes"):
        BodyReader("11", None, 10)
    assert _read(gzip.compress(b"0" * 1000), "gzip", limit=1000) == b"0" * 1000

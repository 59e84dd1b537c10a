"""Operation names: validation rules and path encoding, with hostile inputs."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

import pytest

from lro._core.names import MAX_NAME_BYTES, encode_path, is_list_path, validate_name
from lro.errors import InvalidArgument, InvalidName


@pytest.mark.parametrize(
    "name",
    [
        "operations/abc",
        "operations/a1b2-c3_d4.e5~f6",
        "projects/p/locations/l/operations/123",
        "operations/with/extra/slashes",
        "operations/ünïcødé/日本",
        "operations/a b?c#d",
        "operations/a:cancel",
        "operations/%41",
        "operations/100%",
        "operations/...",
        "operations/.hidden",
        "x",
        "o" * MAX_NAME_BYTES,
        "é" * (MAX_NAME_BYTES // 2),
    ],
)
def test_valid_names(name: str) -> None:
    assert validate_name(name) is name


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        ("", "empty"),
        ("/operations/x", "empty segment"),
        ("operations/x/", "empty segment"),
        ("operations//x", "empty segment"),
        ("operations/.", "'.' segment"),
        ("operations/..", "'..' segment"),
        ("operations/../admin", "'..' segment"),
        ("./operations/x", "'.' segment"),
        ("operations/%2e%2e", "after percent-decoding"),
        ("operations/%2E%2E/admin", "after percent-decoding"),
        ("operations/.%2e", "after percent-decoding"),
        ("operations/a%2F..%2Fb", "after percent-decoding"),
        ("operations/a%2f%2fb", "after percent-decoding"),
        ("operations/a%00", "control character after percent-decoding"),
        ("operations/a%0Ab", "control character after percent-decoding"),
        ("operations/x\x00", "control character"),
        ("operations/x\n", "control character"),
        ("operations/x\r\nHost: evil", "control character"),
        ("operations/\x1b[31m", "control character"),
        ("operations/x\x7f", "control character"),
        ("operations/x\x85", "control character"),
        ("operations/x\t", "control character"),
        ("o" * (MAX_NAME_BYTES + 1), "1025 bytes"),
        ("é" * (MAX_NAME_BYTES // 2 + 1), "1026 bytes"),
        ("operations/\ud800", "not valid Unicode"),
    ],
)
def test_invalid_names(name: str, fragment: str) -> None:
    with pytest.raises(InvalidName, match=fragment.replace(".", r"\.").replace("'", "'")) as info:
        validate_name(name)
    assert isinstance(info.value, InvalidArgument)
    message = str(info.value)
    assert "\x00" not in message and "\n" not in message and "\x1b" not in message
    assert len(message) < 300


@pytest.mark.parametrize("value", [None, 5, b"operations/x", ["operations/x"]])
def test_non_string_names(value: Any) -> None:
    with pytest.raises(InvalidName, match="must be a string"):
        validate_name(value)


@pytest.mark.parametrize(
    ("name", "path"),
    [
        ("operations/abc", "operations/abc"),
        ("projects/p/operations/1", "projects/p/operations/1"),
        ("operations/a b", "operations/a%20b"),
        ("operations/a?b=c&d", "operations/a%3Fb%3Dc%26d"),
        ("operations/a#frag", "operations/a%23frag"),
        ("operations/100%", "operations/100%25"),
        ("operations/a%2Fb", "operations/a%252Fb"),
        ("operations/x:cancel", "operations/x%3Acancel"),
        ("operations/a+b;c,d@e$f!g'h(i)*j", "operations/a%2Bb%3Bc%2Cd%40e%24f%21g%27h%28i%29%2Aj"),
        ("operations/ü", "operations/%C3%BC"),
        ("operations/日本", "operations/%E6%97%A5%E6%9C%AC"),
        ("operations/-._~", "operations/-._~"),
        ("operations/a\\b", "operations/a%5Cb"),
        ("operations/<script>", "operations/%3Cscript%3E"),
    ],
)
def test_encode_path(name: str, path: str) -> None:
    assert encode_path(name) == path
    assert unquote(path) == name


def test_encode_path_validates() -> None:
    with pytest.raises(InvalidName):
        encode_path("operations/../admin")
    with pytest.raises(InvalidName):
        encode_path("operations/\ud800")


@pytest.mark.parametrize(
    ("name", "listing"),
    [
        ("operations", True),
        ("projects/p/operations", True),
        ("operations/x", False),
        ("operations/x/operationsx", False),
        ("myoperations", False),
        ("operations/operations", True),
    ],
)
def test_is_list_path(name: str, listing: bool) -> None:
    assert is_list_path(name) is listing


def test_a_long_name_is_shown_shortened_in_the_error() -> None:
    """The message quotes the name (repr, so control characters stay escaped), cut to
    80 characters: 77 and an ellipsis."""
    long = "operations/" + "a" * 100 + "/"
    with pytest.raises(InvalidName) as info:
        validate_name(long)
    shown = repr(long)[:77] + "..."
    assert str(info.value).startswith(f"INVALID_ARGUMENT: operation name {shown} has an empty")
    exact = "operations//" + "b" * 66  # its repr is exactly 80 characters
    assert len(repr(exact)) == 80
    with pytest.raises(InvalidName) as info:
        validate_name(exact)
    assert f"operation name {exact!r} has an empty segment" in str(info.value)
    with pytest.raises(InvalidName) as info:
        validate_name(exact + "c")  # 81 characters: shortened
    assert f"operation name {repr(exact + 'c')[:77]}... has an empty" in str(info.value)

"""What RFC 9112 asks of a server that h11 leaves to us, on a parsed request head.

h11 itself rejects (and the connection answers 400 and closes): header names that
are not tokens (NUL, space), values with NUL, bare CR or LF, HTTP/1.1 without a
Host header or with two, request lines that are not `method SP target SP version`,
malformed Content-Length, transfer codings other than chunked. On top of that:

- a method is case-sensitive (RFC 9110 9.1): `get` is not `GET`, it is refused;
- only HTTP/1.x is spoken: another major version is 505;
- a body framed twice (Content-Length and Transfer-Encoding, or Content-Length
  repeated, even with equal values) is refused: that is how requests are smuggled;
- the target must be origin-form (`/path?query`), absolute-form
  (`http://host/path?query`, RFC 9112 3.2.2: a server MUST accept it; the Host
  header is then ignored) or `*` for OPTIONS; it is returned in origin-form.
"""

from __future__ import annotations

import re

from .errors import ApiError, Code

# A header line naming Content-Length, in the raw head (h11 merges equal repeats).
_CONTENT_LENGTH_LINE = re.compile(rb"\ncontent-length[ \t]*:([^\r\n]*)", re.IGNORECASE)
_BLANK_LINE = re.compile(rb"\n\r?\n")
_ABSOLUTE = re.compile(r"(?i)(?:https?)://[^/?#]*")


class Rejected(Exception):
    """A request that cannot be served: answer `error` with `Connection: close`."""

    def __init__(self, error: ApiError) -> None:
        super().__init__(error.message)
        self.error = error


def bad_request(
    message: str,
    *,
    status: int = 400,
    reason: str = "MALFORMED_REQUEST",
    code: Code = Code.INVALID_ARGUMENT,
) -> Rejected:
    return Rejected(ApiError(code, message, reason=reason, http_status=status))


def check_method(method: str) -> str:
    if method != method.upper():
        raise bad_request(f"method {method[:20]!r} is not upper case (methods are case-sensitive)")
    return method


def check_version(version: str) -> None:
    if not version.startswith("1."):
        raise bad_request(
            f"HTTP/{version} is not supported; use HTTP/1.1",
            status=505,
            reason="HTTP_VERSION_NOT_SUPPORTED",
        )


def check_framing(headers: dict[str, str], raw_head: bytes) -> None:
    """Refuse double framing; `raw_head` is the bytes received up to the blank line."""
    if "content-length" in headers and "transfer-encoding" in headers:
        raise bad_request("both Transfer-Encoding and Content-Length")
    if "content-length" in headers:
        end = _BLANK_LINE.search(raw_head)
        head = raw_head[: end.start() + 1] if end else raw_head
        values = _CONTENT_LENGTH_LINE.findall(head)
        if len(values) > 1 or any(b"," in value for value in values):
            raise bad_request("Content-Length given more than once")


def origin_form(target: str, method: str) -> str:
    """The target as `/path?query`, still percent-encoded."""
    if target.startswith("/"):
        return target
    if target == "*" and method == "OPTIONS":
        return target
    absolute = _ABSOLUTE.match(target)
    if absolute is None:
        raise bad_request(f"request target {target[:80]!r} is not /path, http://host/path or *")
    rest = target[absolute.end() :].partition("#")[0]
    return rest if rest.startswith("/") else "/" + rest

"""What RFC 9112 asks of a server that h11 leaves to us, on a parsed request head.

h11 itself rejects (and the connection answers 400 and closes): header names that
are not tokens (NUL, space), values with NUL, bare CR or LF, HTTP/1.1 without a
Host header or with two, request lines that are not `method SP target SP version`,
malformed Content-Length, transfer codings other than chunked. On top of that:

- a method is case-sensitive (RFC 9110 9.1): `get` is not `GET`, it is refused;
- only HTTP/1.x is spoken: another major version is 505;
- a body framed twice (Content-Length and Transfer-Encoding, or Content-Length
  repeated, even with equal values) is refused: that is how requests are smuggled;
- a header line folded onto the next (obs-fold: a line starting with a space or tab)
  is refused, in the head and in a chunked body's trailer: h11 would unfold it, and a
  proxy in front may not, so one connection could carry two requests (RFC 9112 5.2);
- a chunked body's chunk lines are checked as they arrive (`ChunkLines`): a size of
  hex digits that fits 64 bits, extensions of tokens or quoted strings, nothing else
  (h11 takes trailing whitespace, NULs in extensions and sizes it cannot hold); a chunk
  announced past the body limit is refused at its line, before its bytes;
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
_FOLDED = re.compile(rb"\n[ \t]")
# RFC 9112 7.1.1: chunk-size [ chunk-ext ] CRLF; chunk-ext = *( BWS ";" BWS name [ BWS "="
# BWS value ] ), name a token, value a token or a quoted-string.
_TOKEN = rb"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
_QUOTED = rb'"(?:[\t !#-\[\]-~\x80-\xff]|\\[\t -~\x80-\xff])*"'
_CHUNK_LINE = re.compile(
    rb"([0-9A-Fa-f]+)(?:[ \t]*;[ \t]*%s(?:[ \t]*=[ \t]*(?:%s|%s))?)*" % (_TOKEN, _TOKEN, _QUOTED)
)
MAX_CHUNK_LINE = 4096  # bytes of a chunk line or a trailer line


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


def body_too_large(limit: int) -> Rejected:
    return bad_request(
        f"request body larger than {limit} bytes", status=413, reason="BODY_TOO_LARGE"
    )


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
    """Refuse double framing and folded lines; `raw_head` is the bytes received from the
    request line on (the head, and maybe more after its blank line)."""
    raw_head = raw_head.lstrip(b"\r\n")  # empty lines before a request line are ignored
    end = _BLANK_LINE.search(raw_head)
    head = raw_head[: end.start() + 1] if end else raw_head
    if _FOLDED.search(head):
        raise bad_request("a header line is folded (obs-fold: starts with a space or tab)")
    if "content-length" in headers and "transfer-encoding" in headers:
        raise bad_request("both Transfer-Encoding and Content-Length")
    if "content-length" in headers:
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


class ChunkLines:
    """Follows a chunked body's framing in the bytes h11 is about to get, and refuses
    (`Rejected`) a chunk line or trailer line that RFC 9112 does not allow. Bytes after
    the body's end (a pipelined request) are not looked at."""

    def __init__(self, max_body_bytes: int) -> None:
        self._max_body = max_body_bytes
        self._announced = 0  # bytes the chunk lines so far said would come
        self._line = bytearray()  # the chunk or trailer line being received
        self._skip = 0  # chunk data and its CRLF still to pass
        self._trailer = False
        self._done = False

    def feed(self, data: bytes) -> None:
        view = memoryview(data)
        while view and not self._done:
            if self._skip:
                step = min(self._skip, len(view))
                self._skip -= step
                view = view[step:]
                continue
            end = bytes(view[:MAX_CHUNK_LINE]).find(b"\n")
            if end < 0:
                self._line += view
                view = view[len(view) :]
                if len(self._line) > MAX_CHUNK_LINE:
                    raise bad_request(f"a chunk line is longer than {MAX_CHUNK_LINE} bytes")
                return
            self._line += view[: end + 1]
            view = view[end + 1 :]
            line, self._line = bytes(self._line), bytearray()
            if len(line) > MAX_CHUNK_LINE:
                raise bad_request(f"a chunk line is longer than {MAX_CHUNK_LINE} bytes")
            self._end_line(line)

    def _end_line(self, line: bytes) -> None:
        if not line.endswith(b"\r\n"):
            raise bad_request("a chunk line does not end with CRLF")
        text = line[:-2]
        if self._trailer:
            if not text:
                self._done = True
            elif text[:1] in (b" ", b"\t"):
                raise bad_request("a trailer line is folded (obs-fold)")
            return
        match = _CHUNK_LINE.fullmatch(text)
        if match is None:
            raise bad_request(f"malformed chunk line {text[:40]!r}")
        digits = match.group(1).lstrip(b"0")
        if len(digits) > 16:
            raise bad_request("chunk size does not fit in 64 bits")
        size = int(digits or b"0", 16)
        self._announced += size
        if self._announced > self._max_body:
            raise body_too_large(self._max_body)
        if size == 0:
            self._trailer = True
        else:
            self._skip = size + 2  # the data, then its CRLF (h11 checks those two bytes)

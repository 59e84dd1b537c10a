"""Fault injection, switchable at runtime, so tests can prove how clients cope.

A `FaultRule` applies to the next `count` requests whose method equals `method`
(if given) and whose raw path (percent-encoded, without the query) matches the
pattern `path` (if given): a regular expression of the subset `pattern` accepts
(`^`, `$`, `.*`, `.`, sets, escapes), matched in time linear in the path's length.
The first armed rule that matches wins; a rule is disarmed when its count is used
up. Admin paths are never faulted. At most `MAX_RULES` rules are armed at once.

Kinds:
- `unavailable`: 503 UNAVAILABLE (with Retry-After if `retryAfterSeconds` is set);
- `rate_limit`: 429 RESOURCE_EXHAUSTED and `Retry-After` (`retryAfterSeconds`,
  default 1, rounded up to whole seconds as HTTP defines the header);
- `retry_info`: an error with a google.rpc.RetryInfo detail (`retryDelay`, default
  "1s"); `code` defaults to 14 UNAVAILABLE, `status` to the code's HTTP status;
- `delay`: sleep `delaySeconds` (default 1), then handle the request normally;
- `drop_before`: close the connection without handling the request;
- `drop_after`: handle the request and commit it, then close without replying;
- `reset`: reset the connection (TCP RST) without handling the request;
- `malformed`: 200 with a truncated JSON body (the request is not handled);
- `html_502`: a proxy's 502 HTML page (not handled);
- `oversized`: 200 with a valid JSON body of `sizeBytes` (default 8 MiB, at most
  16 MiB; not handled);
- `error`: `status` and `code` of choice (default 500 / 13 INTERNAL; either one
  alone implies the other) with the body in `errorForm` 1 (Google REST
  `{"error": {...}}`), 2 (bare Status, the default) or 3 (grpc-gateway v1).

The registry is shared between the event-loop thread (matching requests) and the
test's thread (`srv.faults.add(...)`), so it is guarded by a lock.
"""

from __future__ import annotations

import itertools
import math
import threading
from dataclasses import dataclass, field
from typing import Any

from .errors import (
    HTTP_STATUS,
    RETRY_INFO_TYPE,
    ApiError,
    Code,
    code_for_http_status,
    error_info,
)
from .errors import invalid_argument as _invalid
from .messages import Response, json_response
from .pattern import PathPattern
from .wire import (
    JsonObject,
    as_int32,
    as_number,
    as_string,
    format_duration,
    parse_duration,
    read_field,
)

KINDS = (
    "unavailable",
    "rate_limit",
    "retry_info",
    "delay",
    "drop_before",
    "drop_after",
    "reset",
    "malformed",
    "html_502",
    "oversized",
    "error",
)
_CODES = frozenset(int(code) for code in Code)
DEFAULT_OVERSIZED_BYTES = 8 * 1024 * 1024
MAX_OVERSIZED_BYTES = 16 * 1024 * 1024
MAX_RULES = 256

_HTML_502 = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
    b"</body>\r\n</html>\r\n"
)
_TRUNCATED = b'{"name":"operations/0f2c9a","metadata":{"@type":"type.googleapis.com/lro.ex'


@dataclass
class FaultRule:
    kind: str
    count: int = 1  # requests still to fault
    method: str | None = None
    path: str | None = None
    status: int | None = None
    code: int | None = None
    retry_after_seconds: float | None = None
    retry_delay: str | None = None
    delay_seconds: float | None = None
    error_form: int | None = None
    size_bytes: int | None = None
    id: str = ""
    _pattern: PathPattern | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        """Check every field, so a bad rule fails when armed rather than when it fires."""
        if self.kind not in KINDS:
            raise _invalid(f"unknown fault kind {self.kind!r}; kinds: {', '.join(KINDS)}")
        if self.count < 1:
            raise _invalid("count must be at least 1")
        if self.method is not None:
            self.method = self.method.upper()
        if self.path is not None:
            self._pattern = PathPattern(self.path)
        if self.code is not None and self.code not in _CODES:
            raise _invalid(f"code {self.code} is not a google.rpc.Code")
        if self.status is not None and not 100 <= self.status <= 599:
            raise _invalid(f"status {self.status} is not an HTTP status")
        if self.error_form not in (None, 1, 2, 3):
            raise _invalid("errorForm must be 1, 2 or 3")
        for name in ("retry_after_seconds", "delay_seconds"):
            value = getattr(self, name)
            if value is not None and not 0 <= value <= 3600:
                raise _invalid(f"{name} must be between 0 and 3600")
        if self.retry_delay is not None:  # kept in canonical form: "1.5s" -> "1.500s"
            self.retry_delay = format_duration(parse_duration(self.retry_delay, "retryDelay"))
        if self.size_bytes is not None and not 64 <= self.size_bytes <= MAX_OVERSIZED_BYTES:
            raise _invalid(f"sizeBytes must be between 64 and {MAX_OVERSIZED_BYTES}")

    @classmethod
    def from_json(cls, body: JsonObject) -> FaultRule:
        kind = read_field(body, "kind", as_string, None)
        if kind is None:
            raise _invalid(f"kind is required; kinds: {', '.join(KINDS)}")
        return cls(
            kind=kind,
            count=read_field(body, "count", as_int32, 1),
            method=read_field(body, "method", as_string, None),
            path=read_field(body, "path", as_string, None),
            status=read_field(body, "status", as_int32, None),
            code=read_field(body, "code", as_int32, None),
            retry_after_seconds=read_field(body, "retryAfterSeconds", as_number, None),
            retry_delay=read_field(body, "retryDelay", as_string, None),
            delay_seconds=read_field(body, "delaySeconds", as_number, None),
            error_form=read_field(body, "errorForm", as_int32, None),
            size_bytes=read_field(body, "sizeBytes", as_int32, None),
        )

    def to_json(self) -> JsonObject:
        fields = {
            "id": self.id,
            "kind": self.kind,
            "count": self.count,
            "method": self.method,
            "path": self.path,
            "status": self.status,
            "code": self.code,
            "retryAfterSeconds": self.retry_after_seconds,
            "retryDelay": self.retry_delay,
            "delaySeconds": self.delay_seconds,
            "errorForm": self.error_form,
            "sizeBytes": self.size_bytes,
        }
        return {key: value for key, value in fields.items() if value is not None}

    def matches(self, method: str, path: str) -> bool:
        if self.method is not None and method != self.method:
            return False
        return self._pattern is None or self._pattern.search(path)

    def response(self) -> Response:
        """The canned reply of the kinds that answer instead of handling the request."""
        if self.kind == "unavailable":
            headers = (
                {} if self.retry_after_seconds is None else _retry_after(self.retry_after_seconds)
            )
            return _status_response(Code.UNAVAILABLE, 503, "injected fault: unavailable", headers)
        if self.kind == "rate_limit":
            seconds = 1.0 if self.retry_after_seconds is None else self.retry_after_seconds
            return _status_response(
                Code.RESOURCE_EXHAUSTED, 429, "injected fault: rate limited", _retry_after(seconds)
            )
        if self.kind == "retry_info":
            code = Code(self.code) if self.code is not None else Code.UNAVAILABLE
            body = _status_body(code, "injected fault: retry later")
            body["details"].append({"@type": RETRY_INFO_TYPE, "retryDelay": self._retry_delay()})
            return json_response(self.status or HTTP_STATUS[code], body)
        if self.kind == "malformed":
            return Response(200, _TRUNCATED)
        if self.kind == "html_502":
            return Response(502, _HTML_502, content_type="text/html")
        if self.kind == "oversized":
            return Response(200, _oversized_body(self.size_bytes or DEFAULT_OVERSIZED_BYTES))
        if self.kind == "error":
            return self._error_response()
        raise ValueError(f"fault kind {self.kind!r} has no canned response")

    def _retry_delay(self) -> str:
        if self.retry_delay is not None:
            return self.retry_delay
        seconds = 1.0 if self.retry_after_seconds is None else self.retry_after_seconds
        return format_duration(round(seconds * 1e9))

    def _error_response(self) -> Response:
        if self.code is None and self.status is None:
            code, status = Code.INTERNAL, 500
        elif self.code is None:
            status = self.status or 500
            code = code_for_http_status(status)
        else:
            code = Code(self.code)
            status = self.status or HTTP_STATUS[code]
        body = _status_body(code, f"injected fault: {code.name}")
        form = self.error_form or 2
        if form == 1:
            # Google REST (AIP-193): the HTTP status as code, the enum name as status.
            return json_response(status, {"error": {**body, "code": status, "status": code.name}})
        if form == 3:
            return json_response(status, {"error": body["message"], **body})
        return json_response(status, body)


class Faults:
    """The armed rules and the requests they hit; safe to use from any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[FaultRule] = []
        self._hits: list[JsonObject] = []
        self._ids = itertools.count(1)

    def add(
        self,
        kind: str,
        count: int = 1,
        method: str | None = None,
        path: str | None = None,
        **options: Any,
    ) -> FaultRule:
        """Arm a rule; options are FaultRule's fields in snake_case (status, code, ...)."""
        return self.add_rule(FaultRule(kind=kind, count=count, method=method, path=path, **options))

    def add_rule(self, rule: FaultRule) -> FaultRule:
        with self._lock:
            if len(self._rules) >= MAX_RULES:
                raise ApiError(
                    Code.RESOURCE_EXHAUSTED,
                    f"{MAX_RULES} fault rules are armed already; clear some first",
                    reason="TOO_MANY_FAULTS",
                )
            rule.id = f"fault-{next(self._ids)}"
            self._rules.append(rule)
        return rule

    def clear(self) -> None:
        """Disarm every rule and forget the hits."""
        with self._lock:
            self._rules.clear()
            self._hits.clear()

    @property
    def rules(self) -> list[FaultRule]:
        with self._lock:
            return list(self._rules)

    @property
    def hits(self) -> list[JsonObject]:
        """One entry per faulted request: {"id", "kind", "method", "path"}."""
        with self._lock:
            return [dict(hit) for hit in self._hits]

    def take(self, method: str, path: str) -> FaultRule | None:
        """The rule that applies to this request, if any, using up one of its count."""
        with self._lock:
            for rule in self._rules:
                if rule.matches(method, path):
                    rule.count -= 1
                    if rule.count == 0:
                        self._rules.remove(rule)
                    self._hits.append(
                        {"id": rule.id, "kind": rule.kind, "method": method, "path": path}
                    )
                    return rule
        return None


def _status_body(code: Code, message: str) -> JsonObject:
    return {"code": int(code), "message": message, "details": [error_info("FAULT_INJECTED")]}


def _status_response(
    code: Code, status: int, message: str, headers: dict[str, str] | None = None
) -> Response:
    return json_response(status, _status_body(code, message), headers)


def _retry_after(seconds: float) -> dict[str, str]:
    return {"Retry-After": str(math.ceil(seconds))}


def _oversized_body(size: int) -> bytes:
    head, tail = b'{"name":"operations/oversized","padding":"', b'"}'
    return head + b"x" * max(0, size - len(head) - len(tail)) + tail

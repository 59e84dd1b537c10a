"""Reading errors off the wire: google.rpc.Status objects, HTTP error responses and
``Retry-After``.

The parsers (:func:`error_from_status`, :func:`error_from_http`) accept anything: the
three error-body forms in use, wrong JSON types in any field, HTML from a proxy, empty or
binary bodies. They always *return* an :class:`~lro.errors.Error` and never raise.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import time
from collections.abc import Mapping
from typing import Any

from ..jsonvalues import integer, loads
from .codes import Code, code_from_http
from .exceptions import Error, exception_class_for

__all__ = ["error_from_http", "error_from_status", "parse_retry_after"]

# How much of a non-JSON body (an HTML page from a proxy) goes into a message.
_EXCERPT_CHARS = 200


def parse_retry_after(value: str, *, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header value, or None if unusable.

    Accepts delta-seconds (``"120"``, also ``"1.5"``) and an HTTP-date (a date in the
    past gives 0). ``now`` (epoch seconds) is for tests.
    """
    if not isinstance(value, str):
        return None
    text = value.strip()
    if re.fullmatch(r"[0-9]{1,12}(\.[0-9]{1,9})?", text):
        return float(text)
    import email.utils  # only for HTTP-dates, which are rare; keeps `import lro` cheap

    try:
        when = email.utils.parsedate_to_datetime(text)
        if when.tzinfo is None:  # "-0000" means UTC without saying so
            when = when.replace(tzinfo=dt.timezone.utc)
        stamp = when.timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    delay = stamp - (time.time() if now is None else now)
    return max(0.0, delay) if math.isfinite(delay) else None


def _header(headers: Mapping[str, str] | None, name: str) -> str | None:
    """Case-insensitive header lookup over any mapping."""
    if not isinstance(headers, Mapping):
        return None
    for key, value in headers.items():
        if isinstance(key, str) and key.lower() == name and isinstance(value, str):
            return value
    return None


def _code_value(value: Any) -> int | str | None:
    """A ``code`` field as an int, or an upper-case name; None if neither."""
    text = value.strip() if isinstance(value, str) else value
    number = integer(text)
    if number is not None:
        return number
    return text.upper() if isinstance(text, str) else None


def _resolve_code(status: Mapping[str, Any], http_status: int | None, code_is_http: bool) -> Code:
    """Pick the code: the ``status`` name, else ``code``, else the HTTP status."""
    name = status.get("status")
    if isinstance(name, str) and name.strip().upper() in Code.__members__:
        return Code[name.strip().upper()]
    raw = _code_value(status.get("code"))
    if isinstance(raw, str) and raw in Code.__members__:
        return Code[raw]
    if isinstance(raw, int):
        if not code_is_http and 0 < raw <= 16:
            return Code(raw)
        # Google REST bodies (form 1) put the HTTP status in `code`.
        if 100 <= raw <= 599 and http_status is None:
            return code_from_http(raw)
    if http_status is not None and (http_status >= 400 or raw is None):
        return code_from_http(http_status)
    return Code.OK if raw == 0 else Code.UNKNOWN


def _message_of(value: Any) -> str:
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    try:
        return json.dumps(value, ensure_ascii=False)[:1000]
    except (TypeError, ValueError, RecursionError):
        return ""


def _build(
    status: Mapping[str, Any],
    *,
    http_status: int | None,
    operation_name: str | None,
    headers: Mapping[str, str] | None,
    code_is_http: bool,
    fallback_message: str = "",
) -> Error:
    code = _resolve_code(status, http_status, code_is_http)
    message = _message_of(status.get("message")) or fallback_message
    listed = status.get("details")
    items = listed if isinstance(listed, list) else []
    raw_details = [dict(d) for d in items if isinstance(d, Mapping)]
    retry_after = _header(headers, "retry-after")
    error = exception_class_for(code)(
        message,
        code=code,
        http_status=http_status,
        details=_parse_details(raw_details),
        operation_name=operation_name,
        retry_delay=parse_retry_after(retry_after) if retry_after is not None else None,
    )
    error._raw_details = raw_details
    return error


def error_from_status(
    status: Mapping[str, Any],
    *,
    http_status: int | None = None,
    operation_name: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> Error:
    """Build the typed error for a google.rpc.Status JSON object (e.g. ``Operation.error``).

    The class follows ``status["code"]`` (a number or a code name; a Google REST
    ``"status"`` name wins when present). ``headers`` may carry ``Retry-After``. Never
    raises: a status of the wrong shape gives :class:`Unknown` (or the HTTP status's class).
    """
    if not isinstance(status, Mapping):
        code = code_from_http(http_status) if http_status is not None else Code.UNKNOWN
        message = f"error status is not a JSON object: {_message_of(status)[:_EXCERPT_CHARS]}"
        return exception_class_for(code)(
            message, code=code, http_status=http_status, operation_name=operation_name
        )
    return _build(
        status,
        http_status=_http_or_none(http_status),
        operation_name=operation_name,
        headers=headers,
        code_is_http=False,
    )


def _http_or_none(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value


def _http_summary(http_status: int | None) -> str:
    if http_status is None:
        return "HTTP error"
    import http  # imported on first error, not at `import lro`

    try:
        phrase = http.HTTPStatus(http_status).phrase
    except ValueError:
        phrase = ""
    return f"HTTP {http_status} {phrase}".rstrip()


_TITLE_RE = re.compile(r"<title[^>]*>(.*?)</title", re.IGNORECASE | re.DOTALL)
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f-\x9f]+")


def _excerpt(text: str) -> str:
    """A short, single-line, printable excerpt: an HTML page's title, else the start."""
    head = text[:65536]
    match = _TITLE_RE.search(head)
    if match:
        import html  # only for HTML error pages

        excerpt = html.unescape(match.group(1))
    else:
        excerpt = head[: _EXCERPT_CHARS * 4]
    # Control characters (ANSI escapes, NULs) and newlines never reach a message.
    excerpt = " ".join(_CONTROL_RE.sub(" ", excerpt).split())
    if len(excerpt) > _EXCERPT_CHARS:
        excerpt = excerpt[: _EXCERPT_CHARS - 3] + "..."
    return excerpt


def _decode_body(body: Any) -> str:
    if isinstance(body, str):
        return body
    if isinstance(body, (bytes, bytearray, memoryview)):
        return bytes(body).decode("utf-8", errors="replace").removeprefix("\ufeff")
    return ""


def _load_json(text: str) -> Any:
    try:
        return loads(text)
    except (ValueError, RecursionError):
        return None


def _status_of(document: Any) -> tuple[Mapping[str, Any] | None, bool]:
    """Find the Status in a JSON error body and say whether its ``code`` is an HTTP status.

    Form 1 (Google REST) nests it under an ``error`` object; forms 2 and 3 (grpc-gateway)
    are the Status itself, form 3 adding ``error`` as a string.
    """
    if isinstance(document, list) and document:
        # Some Google endpoints wrap the form-1 body in a one-element list.
        document = document[0]
    if not isinstance(document, Mapping):
        return None, False
    inner = document.get("error")
    if isinstance(inner, Mapping):
        return inner, True
    if any(key in document for key in ("code", "message", "details", "error")):
        return document, False
    return None, False


def error_from_http(
    http_status: int,
    body: bytes,
    headers: Mapping[str, str] | None = None,
    operation_name: str | None = None,
) -> Error:
    """Build the typed error for an HTTP error response. Never raises.

    Reads the three JSON body forms of protocol.md. A body that is not JSON (an HTML
    page from a proxy), empty, or JSON of another shape maps by HTTP status, with a short
    printable excerpt of the body in the message. ``Retry-After`` (seconds or an
    HTTP-date) and a ``RetryInfo`` detail set ``retry_delay`` (the larger wins).
    """
    status_code = _http_or_none(http_status)
    text = _decode_body(body)
    summary = _http_summary(status_code)
    status, code_is_http = _status_of(_load_json(text)) if text.strip() else (None, False)
    if status is None:
        excerpt = _excerpt(text)
        status = {}
        summary = f"{summary}: {excerpt}" if excerpt else summary
    elif not isinstance(status.get("message"), str) and isinstance(status.get("error"), str):
        # grpc-gateway v1 (form 3) may carry the text only in `error`.
        status = {**status, "message": status["error"]}
    return _build(
        status,
        http_status=status_code,
        operation_name=operation_name,
        headers=headers,
        code_is_http=code_is_http,
        fallback_message=summary,
    )


def _parse_details(raw: list[dict[str, Any]]) -> list[Any]:
    """The parsed details; the detail classes load only for an error that has some."""
    if not raw:
        return []
    from .details import parse_detail

    return [parse_detail(d) for d in raw]

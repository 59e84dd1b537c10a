"""Canonical proto3 JSON on the wire: bodies, timestamps, durations, Any and Status.

Input is read leniently the way proto3 JSON parsers read it (camelCase or
snake_case keys, `null` means unset, unknown keys ignored) but strictly about
types: a wrong type is INVALID_ARGUMENT naming the field, never a crash.
Output is canonical: camelCase, defaults omitted, timestamps in `Z` with
nanoseconds kept.
"""

from __future__ import annotations

import datetime
import json
import math
import re
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from .errors import ApiError, invalid_argument

JsonObject = dict[str, Any]
T = TypeVar("T")
D = TypeVar("D")

NANOS_PER_SECOND = 1_000_000_000
INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
# proto Duration's range: +-10,000 years.
MAX_DURATION_SECONDS = 315_576_000_000
# How deep objects and arrays may nest in a request body (the body itself is level 1).
# Deeper bodies are INVALID_ARGUMENT at every method, whatever the depth: the JSON parser
# alone would accept up to about 970 levels, which then broke later steps (a 500).
MAX_JSON_DEPTH = 512

_DURATION = re.compile(r"(-)?([0-9]+)(?:\.([0-9]{1,9}))?s")
# A \uD800-\uDFFF escape: the only way a surrogate gets into JSON that is valid UTF-8.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
_SURROGATE = re.compile("[\ud800-\udfff]")
_CAMEL_BOUNDARY = re.compile(r"_([a-z0-9])")


# --- JSON documents -------------------------------------------------------------------------


def dumps(value: Any) -> bytes:
    # ensure_ascii: a lone surrogate smuggled in through a "\udc00" escape stays an escape
    # instead of making the UTF-8 encoder (or SQLite) fail later.
    return json.dumps(value, separators=(",", ":"), ensure_ascii=True).encode("ascii")


def _reject_constant(token: str) -> Any:
    raise ValueError(f"{token} is not valid JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"number {text} is out of range")
    return value


def loads(text: str) -> Any:
    """json.loads that refuses NaN/Infinity, which proto3 JSON and our output cannot carry."""
    return json.loads(text, parse_constant=_reject_constant, parse_float=_finite_float)


def parse_body(body: bytes) -> JsonObject:
    """The request body as a JSON object; an empty body is `{}`."""
    if not body.strip():
        return {}
    try:
        value = loads(body.decode("utf-8"))
    except UnicodeDecodeError:
        raise invalid_argument("request body is not UTF-8", reason="MALFORMED_BODY") from None
    except RecursionError:
        raise _nested_too_deeply() from None
    except ValueError as e:  # JSONDecodeError is a ValueError, as are the refusals above
        raise invalid_argument(
            f"request body is not valid JSON: {e}", reason="MALFORMED_BODY"
        ) from None
    if not isinstance(value, dict):
        raise invalid_argument("request body must be a JSON object", reason="MALFORMED_BODY")
    # Fewer brackets than levels allowed (almost every body): it cannot be too deep.
    if body.count(b"{") + body.count(b"[") > MAX_JSON_DEPTH and _too_deep(value):
        raise _nested_too_deeply()
    if _SURROGATE_ESCAPE.search(body) and _has_lone_surrogate(value):
        # Pairs were joined by the parser; what is left cannot be encoded (SQLite, UTF-8).
        raise invalid_argument(
            "request body has a lone surrogate (a \\uD800-\\uDFFF escape not in a pair)",
            reason="MALFORMED_BODY",
        )
    return value


def _nested_too_deeply() -> ApiError:
    return invalid_argument(
        f"request body is nested more than {MAX_JSON_DEPTH} levels deep", reason="MALFORMED_BODY"
    )


def _too_deep(value: Any) -> bool:
    """Whether objects and arrays nest more than MAX_JSON_DEPTH levels (iteratively)."""
    pending: list[tuple[Any, int]] = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if depth > MAX_JSON_DEPTH:
            return True
        children = item.values() if isinstance(item, dict) else item
        pending.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


def _has_lone_surrogate(value: Any) -> bool:
    """Whether any string (key or value) in the document holds a lone surrogate."""
    pending = [value]  # iterative: the parser allows nesting deeper than we may recurse
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if not item.isascii() and _SURROGATE.search(item):
                return True
        elif isinstance(item, dict):
            pending.extend(item)
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False


# --- field access ---------------------------------------------------------------------------


def camel_case(name: str) -> str:
    return _CAMEL_BOUNDARY.sub(lambda m: m.group(1).upper(), name)


def snake_case(name: str) -> str:
    return re.sub(r"([A-Z])", lambda m: "_" + m.group(1).lower(), name)


def get_field(obj: Mapping[str, Any], name: str) -> Any:
    """The value of field `name` (given in camelCase), also found under its snake_case name.

    `null` reads as absent, as proto3 JSON defines it.
    """
    value = obj.get(name)
    if value is None:
        value = obj.get(snake_case(name))
    return value


def read_field(
    obj: Mapping[str, Any], name: str, convert: Callable[[Any, str], T], default: D
) -> T | D:
    """Field `name` converted (and type-checked) by `convert`, or `default` when unset."""
    value = get_field(obj, name)
    return default if value is None else convert(value, name)


def as_bool(value: Any, field: str) -> bool:
    if not isinstance(value, bool):
        raise invalid_argument(f"{field} must be a boolean", field=field)
    return value


def as_string(value: Any, field: str) -> str:
    if not isinstance(value, str):
        raise invalid_argument(f"{field} must be a string", field=field)
    return value


def as_string_list(value: Any, field: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise invalid_argument(f"{field} must be a list of strings", field=field)
    return value


def as_number(value: Any, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise invalid_argument(f"{field} must be a number", field=field)
    return float(value)


def as_int32(value: Any, field: str) -> int:
    """An int32 as proto3 JSON reads it: a JSON number without fraction, or a decimal string."""
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif (isinstance(value, float) and value.is_integer()) or (
        isinstance(value, str) and re.fullmatch(r"-?[0-9]{1,10}", value.strip())
    ):
        number = int(value)
    if number is None:
        raise invalid_argument(f"{field} must be an integer, got {_describe(value)}", field=field)
    if not INT32_MIN <= number <= INT32_MAX:
        raise invalid_argument(f"{field} is out of the int32 range", field=field)
    return number


def as_any(value: Any, field: str) -> JsonObject:
    """A google.protobuf.Any: an object with a non-empty `@type`, kept verbatim."""
    if not isinstance(value, dict):
        raise invalid_argument(
            f"{field} must be a JSON object (a google.protobuf.Any)", field=field
        )
    type_url = value.get("@type")
    if not isinstance(type_url, str) or not type_url:
        raise invalid_argument(
            f'{field} must be a google.protobuf.Any: an object with a non-empty "@type"',
            field=field,
        )
    return value


def as_status(value: Any, field: str) -> JsonObject:
    """A google.rpc.Status in canonical form: a non-zero code, message and details if set."""
    if not isinstance(value, dict):
        raise invalid_argument(f"{field} must be a JSON object (a google.rpc.Status)", field=field)
    raw_code = get_field(value, "code")
    code = 0 if raw_code is None else as_int32(raw_code, f"{field}.code")
    if code == 0:
        # An error with code OK would read as success to every client.
        raise invalid_argument(f"{field}.code must be a non-zero google.rpc.Code", field=field)
    status: JsonObject = {"code": code}
    message = get_field(value, "message")
    if message is not None and as_string(message, f"{field}.message"):
        status["message"] = message
    details = get_field(value, "details")
    if details is not None:
        if not isinstance(details, list):
            raise invalid_argument(f"{field}.details must be a list of Any", field=field)
        if details:
            status["details"] = [as_any(d, f"{field}.details[{i}]") for i, d in enumerate(details)]
    return status


def _describe(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=True) if value is not None else "null"
    return text if len(text) <= 40 else text[:37] + "..."


# --- timestamps and durations ---------------------------------------------------------------


def format_timestamp(ns: int) -> str:
    """RFC 3339 in UTC with 0, 3, 6 or 9 fractional digits, as proto3 JSON prints a Timestamp."""
    seconds, nanos = divmod(ns, NANOS_PER_SECOND)
    epoch = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
    text = (epoch + datetime.timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%S")
    return text + _fraction(nanos) + "Z"


def format_duration(ns: int) -> str:
    """A proto Duration as proto3 JSON prints it: "1s", "1.500s", "-0.000001s"."""
    sign = "-" if ns < 0 else ""
    seconds, nanos = divmod(abs(ns), NANOS_PER_SECOND)
    return f"{sign}{seconds}{_fraction(nanos)}s"


def _fraction(nanos: int) -> str:
    if nanos == 0:
        return ""
    if nanos % 1_000_000 == 0:
        return f".{nanos // 1_000_000:03d}"
    if nanos % 1_000 == 0:
        return f".{nanos // 1_000:06d}"
    return f".{nanos:09d}"


def parse_duration(value: Any, field: str) -> int:
    """A proto Duration string ("3.5s", "-1.500s") as integer nanoseconds."""
    text = as_string(value, field)
    match = _DURATION.fullmatch(text.strip())
    if match is None:
        raise invalid_argument(
            f'{field} must be a Duration such as "30s" or "2.5s", got {_describe(value)}',
            field=field,
        )
    sign, whole, fraction = match.groups()
    # Counted before converted: int() refuses more than 4,300 digits (a ValueError).
    digits = whole.lstrip("0") or "0"
    if len(digits) > len(str(MAX_DURATION_SECONDS)) or int(digits) > MAX_DURATION_SECONDS:
        raise invalid_argument(f"{field} is out of the Duration range", field=field)
    seconds = int(digits)
    ns = seconds * NANOS_PER_SECOND + int((fraction or "").ljust(9, "0") or 0)
    return -ns if sign else ns

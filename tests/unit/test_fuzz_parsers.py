"""Property tests: the parsers accept anything and only ever raise the SDK's own errors."""

from __future__ import annotations

import contextlib
import json
import math
import pickle
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

import pydantic
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lro import Operation, ResultCase, errors
from lro._core.anys import WELL_KNOWN_TYPES, unpack, unpack_well_known
from lro._core.names import encode_path, validate_name
from lro._core.progress import fraction
from lro._core.timestamps import Duration, DurationError, Timestamp, TimestampError
from lro.errors import Error, error_from_http, error_from_status

FUZZ = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
# For the strategies that build whole operations: each example costs more to generate.
FUZZ_HEAVY = settings(FUZZ, max_examples=150)

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=30)
)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=8,
)
# Cheaper values for the many fields of an operation, so the suite stays fast.
small_json = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=2) | st.dictionaries(st.text(max_size=4), children, max_size=2)
    ),
    max_leaves=3,
)

TYPE_URLS = st.sampled_from(
    [f"type.googleapis.com/{name}" for name in sorted(WELL_KNOWN_TYPES)]
    + ["type.googleapis.com/google.rpc.ErrorInfo", "type.googleapis.com/acme.Unknown", "", "/"]
)
any_values = st.one_of(
    small_json,
    st.fixed_dictionaries(
        {"@type": TYPE_URLS | small_json},
        optional={"value": small_json, "extra": small_json},
    ),
)

TIMESTAMPS = st.one_of(
    st.text(max_size=40),
    st.just("2024-01-01T00:00:00Z"),
    st.from_regex(
        r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,10})?([Zz]|[+-][0-9]{2}:[0-9]{2})",
        fullmatch=True,
    ),
)
RPC_DETAIL_TYPES = st.sampled_from(
    [
        f"type.googleapis.com/google.rpc.{name}"
        for name in (
            "ErrorInfo",
            "RetryInfo",
            "DebugInfo",
            "QuotaFailure",
            "PreconditionFailure",
            "BadRequest",
            "RequestInfo",
            "ResourceInfo",
            "Help",
            "LocalizedMessage",
        )
    ]
)
details = st.lists(
    st.one_of(
        small_json,
        st.fixed_dictionaries(
            {"@type": RPC_DETAIL_TYPES},
            optional={
                key: small_json
                | st.lists(
                    small_json | st.dictionaries(st.text(max_size=8), small_json, max_size=3),
                    max_size=3,
                )
                for key in (
                    "reason",
                    "domain",
                    "metadata",
                    "retryDelay",
                    "stackEntries",
                    "violations",
                    "fieldViolations",
                    "links",
                    "requestId",
                    "locale",
                    "message",
                )
            },
        ),
    ),
    max_size=4,
)
codes = st.one_of(
    st.integers(min_value=-5, max_value=600), st.sampled_from(["5", "NOT_FOUND", "x"]), small_json
)
statuses = st.fixed_dictionaries(
    {},
    optional={
        "code": codes,
        "message": small_json,
        "details": details | small_json,
        "status": st.sampled_from(["NOT_FOUND", "UNAVAILABLE", "nope"]) | small_json,
    },
)
error_fields = statuses | small_json

OPERATION_KEYS = {
    "name": st.text(max_size=20) | small_json,
    "done": st.booleans() | small_json,
    "metadata": any_values,
    "response": any_values,
    "error": error_fields,
}
AUDIT_KEYS = {
    key: TIMESTAMPS | small_json
    for key in (
        "createTime",
        "create_time",
        "updateTime",
        "update_time",
        "deleteTime",
        "delete_time",
        "seenByCreatorTime",
        "seen_by_creator_time",
    )
}
AUDIT_KEYS.update(
    {key: st.text(max_size=10) | small_json for key in ("creator", "updater", "deleter")}
)
operations = st.fixed_dictionaries(
    {}, optional={**OPERATION_KEYS, **AUDIT_KEYS, "extra": small_json}
)


class Model(pydantic.BaseModel):
    a: int = 0


ACCESSORS = (
    "name",
    "done",
    "metadata",
    "response",
    "error",
    "result_case",
    "metadata_type",
    "response_type",
    "progress",
    "create_time",
    "update_time",
    "delete_time",
    "seen_by_creator_time",
    "creator",
    "updater",
    "deleter",
    "deleted",
    "seen",
    "age",
    "duration",
)


def only_lro_errors(fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Call fn; an lro Error is fine (returned), anything else fails the test."""
    try:
        return fn(*args, **kwargs)
    except Error as exc:
        return exc


# -- Operation / V1Operation ---------------------------------------------------------------


@FUZZ_HEAVY
@given(operations)
def test_operation_accessors_only_raise_lro_errors(raw: dict[str, Any]) -> None:
    op = Operation.from_dict(raw)
    for accessor in ACCESSORS:
        only_lro_errors(getattr, op, accessor)
    only_lro_errors(op.exception)
    only_lro_errors(op.result)
    only_lro_errors(op.metadata_as, Model)
    only_lro_errors(op.response_as, Model)
    only_lro_errors(op.response_as, Duration)
    only_lro_errors(op.wait)
    assert isinstance(repr(op), str)
    hash(op)
    assert op == Operation.from_dict(raw)
    progress = op.progress
    assert progress is None or 0.0 <= progress <= 1.0
    case = only_lro_errors(lambda: op.result_case)
    done = only_lro_errors(lambda: op.done)
    if done is True and case is ResultCase.ERROR:
        assert isinstance(op.exception(), Error)


@FUZZ_HEAVY
@given(operations)
def test_operation_json_round_trip(raw: dict[str, Any]) -> None:
    op = Operation.from_dict(raw)
    text = only_lro_errors(op.to_json)
    if isinstance(text, Error):
        return
    again = Operation.from_json(text)
    assert again.to_json() == text
    assert pickle.loads(pickle.dumps(op)).to_json() == text


@FUZZ
@given(json_values)
def test_operation_of_any_json_value(value: Any) -> None:
    op = only_lro_errors(Operation.from_dict, value)
    if isinstance(op, Operation):
        for accessor in ACCESSORS:
            only_lro_errors(getattr, op, accessor)
    only_lro_errors(Operation.from_json, json.dumps(value))


@FUZZ
@given(st.binary(max_size=200) | st.text(max_size=200))
def test_operation_from_arbitrary_text(text: bytes | str) -> None:
    only_lro_errors(Operation.from_json, text)


# -- error bodies ---------------------------------------------------------------------------

http_statuses = st.integers(min_value=100, max_value=599) | st.sampled_from([0, -1, 999])
headers = st.dictionaries(
    st.sampled_from(["Retry-After", "retry-after", "Content-Type", "X"]) | st.text(max_size=5),
    st.text(max_size=40) | st.sampled_from(["5", "1.5", "Wed, 21 Oct 2015 07:28:00 GMT"]),
    max_size=3,
)
bodies = st.one_of(
    statuses.map(lambda s: {"error": s}),  # form 1
    statuses,  # form 2
    statuses.map(lambda s: {**s, "error": "gateway text"}),  # form 3
    json_values,
)


def check_error(error: Any) -> None:
    assert isinstance(error, Error)
    assert isinstance(str(error), str) and isinstance(repr(error), str)
    json.dumps(error.status_dict(), allow_nan=True)
    assert error.retry_delay is None or (
        error.retry_delay >= 0 and math.isfinite(error.retry_delay)
    )
    clone = pickle.loads(pickle.dumps(error))
    assert type(clone) is type(error) and str(clone) == str(error)


@FUZZ_HEAVY
@given(http_statuses, bodies, headers)
def test_error_from_http_json_bodies(status: int, body: Any, hdrs: dict[str, str]) -> None:
    data = json.dumps(body).encode()
    error = error_from_http(status, data, hdrs, operation_name="operations/f")
    check_error(error)
    assert error.http_status == status
    if status in (404, 503) and isinstance(body, dict) and "error" in body:
        assert error.code is not errors.Code.OK


@FUZZ
@given(http_statuses, st.binary(max_size=300), headers)
def test_error_from_http_arbitrary_bytes(status: int, body: bytes, hdrs: dict[str, str]) -> None:
    error = error_from_http(status, body, hdrs)
    check_error(error)
    try:
        json.loads(body)
    except ValueError:
        # Not JSON: the message is an excerpt, which never carries control characters.
        assert not any(ord(ch) < 32 or 0x7F <= ord(ch) <= 0x9F for ch in error.message)


@FUZZ
@given(error_fields, st.none() | http_statuses, headers)
def test_error_from_status_anything(status: Any, http_status: int | None, hdrs: Any) -> None:
    check_error(error_from_status(status, http_status=http_status, headers=hdrs))


# -- Any and well-known types ------------------------------------------------------------------


@FUZZ
@given(any_values)
def test_unpack_only_raises_any_type_error(value: Any) -> None:
    calls: list[Callable[[], Any]] = [
        lambda: unpack(value),
        lambda: unpack(value, Model),
        lambda: unpack(value, Duration),
        lambda: unpack(value, Timestamp),
        lambda: unpack(value, int),
        lambda: unpack_well_known(value),
    ]
    for call in calls:
        with contextlib.suppress(errors.AnyTypeError):
            call()


# -- Duration / Timestamp ----------------------------------------------------------------------

MAX_TS = 253_402_300_799
MIN_TS = -62_135_596_800
nanos = st.integers(min_value=0, max_value=999_999_999)


@FUZZ
@given(st.integers(min_value=MIN_TS, max_value=MAX_TS), nanos)
def test_timestamp_canonical_round_trip(seconds: int, n: int) -> None:
    text = Timestamp(seconds, n).to_json()
    parsed = Timestamp.parse(text)
    assert parsed == Timestamp(seconds, n)
    assert parsed.to_json() == text and str(parsed) == text
    assert len(text.split(".")[-1]) in (4, 7, 10) or "." not in text


@FUZZ
@given(st.integers(min_value=-315_576_000_000, max_value=315_576_000_000), nanos, st.booleans())
def test_duration_canonical_round_trip(seconds: int, n: int, negative: bool) -> None:
    total = seconds * 1_000_000_000 + (-n if seconds < 0 or negative else n)
    value = Duration.from_nanoseconds(total) if abs(total) < 315_576_000_001 * 10**9 else Duration()
    text = value.to_json()
    assert Duration.parse(text) == value and Duration.parse(text).to_json() == text


@FUZZ
@given(TIMESTAMPS)
def test_timestamp_parse_only_raises_timestamp_error(text: str) -> None:
    try:
        ts = Timestamp.parse(text)
    except TimestampError:
        return
    assert Timestamp.parse(ts.to_json()) == ts
    assert ts.datetime.tzinfo is not None


@FUZZ
@given(st.text(max_size=30) | st.from_regex(r"-?[0-9]{1,13}(\.[0-9]{0,10})?s?", fullmatch=True))
def test_duration_parse_only_raises_duration_error(text: str) -> None:
    try:
        value = Duration.parse(text)
    except DurationError:
        return
    assert Duration.parse(value.to_json()) == value


@FUZZ
@given(st.floats(min_value=-1e10, max_value=1e10))
def test_duration_from_seconds_is_close(seconds: float) -> None:
    assert abs(Duration.from_seconds(seconds).total_seconds() - seconds) <= 1e-9 + 1e-15 * abs(
        seconds
    )


# -- names and progress --------------------------------------------------------------------


@FUZZ
@given(st.text(max_size=60) | st.from_regex(r"operations/[a-z%./?#: ]{0,20}", fullmatch=True))
def test_names(name: str) -> None:
    try:
        validate_name(name)
    except errors.InvalidName:
        return
    path = encode_path(name)
    assert path.isascii()
    assert not any(ch in path for ch in "?#: \\")
    assert unquote(path) == name
    assert path.split("/") == [
        segment for segment in path.split("/") if segment not in ("", ".", "..")
    ]


@FUZZ
@given(json_values)
def test_progress_is_a_fraction_or_none(metadata: Any) -> None:
    value = fraction(metadata)
    assert value is None or 0.0 <= value <= 1.0

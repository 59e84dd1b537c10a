"""Timestamp and Duration: exact nanoseconds, proto3 JSON forms, strict parsing."""

from __future__ import annotations

import datetime as dt
import pickle
import time
from typing import Any

import pytest

from lro._core.timestamps import (
    MAX_DURATION_SECONDS,
    Duration,
    DurationError,
    Timestamp,
    TimestampError,
)

UTC = dt.timezone.utc


# -- Timestamp parsing -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "seconds", "nanos"),
    [
        ("1970-01-01T00:00:00Z", 0, 0),
        ("1970-01-01T00:00:01.5Z", 1, 500_000_000),
        ("2024-01-01T00:00:00.123456789Z", 1_704_067_200, 123_456_789),
        ("2024-01-01T00:00:00.000000001Z", 1_704_067_200, 1),
        ("1969-12-31T23:59:59.999999999Z", -1, 999_999_999),
        ("2024-02-29T12:00:00Z", 1_709_208_000, 0),
        ("0001-01-01T00:00:00Z", -62_135_596_800, 0),
        ("9999-12-31T23:59:59.999999999Z", 253_402_300_799, 999_999_999),
    ],
)
def test_parse_exact(text: str, seconds: int, nanos: int) -> None:
    ts = Timestamp.parse(text)
    assert (ts.seconds, ts.nanos) == (seconds, nanos)
    assert ts.nanoseconds_since_epoch == seconds * 1_000_000_000 + nanos


@pytest.mark.parametrize(
    "text",
    [
        "2024-01-01T00:00:00Z",
        "2024-01-01T00:00:00.100Z",
        "2024-01-01T00:00:00.120Z",
        "2024-01-01T00:00:00.123456Z",
        "2024-01-01T00:00:00.123450Z",
        "2024-01-01T00:00:00.123456789Z",
        "2024-01-01T00:00:00.100000001Z",
        "0001-01-01T00:00:00Z",
        "9999-12-31T23:59:59.999999999Z",
    ],
)
def test_canonical_round_trip(text: str) -> None:
    ts = Timestamp.parse(text)
    assert ts.to_json() == text
    assert str(ts) == text


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("2024-01-01T00:00:00.1Z", "2024-01-01T00:00:00.100Z"),
        ("2024-01-01T00:00:00.1234Z", "2024-01-01T00:00:00.123400Z"),
        ("2024-01-01T00:00:00.12345678Z", "2024-01-01T00:00:00.123456780Z"),
        ("2024-01-01T00:00:00.000Z", "2024-01-01T00:00:00Z"),
        ("2024-01-01t00:00:00z", "2024-01-01T00:00:00Z"),
        ("2024-01-01T02:30:00+02:30", "2024-01-01T00:00:00Z"),
        ("2023-12-31T19:00:00.5-05:00", "2024-01-01T00:00:00.500Z"),
        ("2024-01-01T00:00:00+00:00", "2024-01-01T00:00:00Z"),
        ("2024-01-01T00:00:00-00:00", "2024-01-01T00:00:00Z"),
    ],
)
def test_non_canonical_inputs(text: str, canonical: str) -> None:
    ts = Timestamp.parse(text)
    assert ts.to_json() == canonical
    assert str(ts) == text  # the original text is kept
    assert ts.text == text
    assert ts == Timestamp.parse(canonical)
    assert hash(ts) == hash(Timestamp.parse(canonical))


@pytest.mark.parametrize(
    "text",
    [
        "",
        "2024-01-01",
        "2024-01-01T00:00:00",
        "2024-01-01 00:00:00Z",
        "2024-01-01T00:00Z",
        "2024-1-01T00:00:00Z",
        "2024-13-01T00:00:00Z",
        "2024-00-01T00:00:00Z",
        "2024-02-30T00:00:00Z",
        "2023-02-29T00:00:00Z",
        "2024-01-01T24:00:00Z",
        "2024-01-01T23:60:00Z",
        "2024-12-31T23:59:60Z",
        "2024-01-01T00:00:00.Z",
        "2024-01-01T00:00:00.1234567890Z",
        "2024-01-01T00:00:00+24:00",
        "2024-01-01T00:00:00+01:60",
        "2024-01-01T00:00:00+0100",
        "2024-01-01T00:00:00UTC",
        "0000-12-31T00:00:00Z",
        "10000-01-01T00:00:00Z",
        "0001-01-01T00:00:00+00:01",
        "9999-12-31T23:59:59-00:01",
        "\uff12\uff10\uff12\uff14-01-01T00:00:00Z",  # fullwidth digits
        " 2024-01-01T00:00:00Z",
        "2024-01-01T00:00:00Z\n",
        "2024-01-01T00:00:00\u0660Z",
    ],
)
def test_parse_rejects(text: str) -> None:
    with pytest.raises(TimestampError):
        Timestamp.parse(text)


@pytest.mark.parametrize("value", [None, 0, 1.5, b"2024-01-01T00:00:00Z", ["x"]])
def test_parse_rejects_non_strings(value: object) -> None:
    with pytest.raises(TimestampError):
        Timestamp.parse(value)  # type: ignore[arg-type]


def test_errors_are_value_errors_and_short() -> None:
    with pytest.raises(ValueError, match="not an RFC 3339") as info:
        Timestamp.parse("x" * 10_000)
    assert len(str(info.value)) < 200


# -- Timestamp construction and views ----------------------------------------------------


def test_constructor_validates() -> None:
    assert Timestamp(5, 7).nanos == 7
    for seconds, nanos in [(0, -1), (0, 1_000_000_000), (-62_135_596_801, 0), (253_402_300_800, 0)]:
        with pytest.raises(TimestampError):
            Timestamp(seconds, nanos)
    with pytest.raises(TimestampError):
        Timestamp(1.5)  # type: ignore[arg-type]
    with pytest.raises(TimestampError):
        Timestamp(True)


def test_datetime_is_aware_utc_and_truncated() -> None:
    ts = Timestamp.parse("2024-05-06T07:08:09.123456789Z")
    assert ts.datetime == dt.datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)
    assert ts.datetime.tzinfo is UTC
    assert Timestamp.parse("1969-12-31T23:59:59.999999999Z").datetime == dt.datetime(
        1969, 12, 31, 23, 59, 59, 999999, tzinfo=UTC
    )
    assert Timestamp.parse("0001-01-01T00:00:00Z").datetime.year == 1


def test_from_datetime() -> None:
    aware = dt.datetime(2024, 1, 1, 2, 0, 0, 250000, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    assert Timestamp.from_datetime(aware).to_json() == "2024-01-01T00:00:00.250Z"
    naive = dt.datetime(2024, 1, 1, 0, 0, 0, 1)
    assert Timestamp.from_datetime(naive).to_json() == "2024-01-01T00:00:00.000001Z"
    assert Timestamp.from_datetime(dt.datetime(1, 1, 1, tzinfo=UTC)).seconds == -62_135_596_800
    with pytest.raises(TimestampError):
        Timestamp.from_datetime("2024-01-01")  # type: ignore[arg-type]


def test_from_nanoseconds_and_now() -> None:
    assert Timestamp.from_nanoseconds(-1) == Timestamp(-1, 999_999_999)
    before = time.time_ns()
    now = Timestamp.now()
    after = time.time_ns()
    assert before <= now.nanoseconds_since_epoch <= after
    with pytest.raises(TimestampError):
        Timestamp.from_nanoseconds(1.0)  # type: ignore[arg-type]


def test_ordering_hash_and_equality() -> None:
    a = Timestamp.parse("2024-01-01T00:00:00.000000001Z")
    b = Timestamp.parse("2024-01-01T00:00:00.000000002Z")
    assert a < b <= b and b > a >= a
    assert sorted([b, a]) == [a, b]
    assert len({a, Timestamp.parse("2024-01-01T01:00:00.000000001+01:00")}) == 1
    assert a != "2024-01-01T00:00:00.000000001Z"
    with pytest.raises(TypeError):
        _ = a < 5  # type: ignore[operator]


def test_arithmetic_is_exact() -> None:
    a = Timestamp.parse("2024-01-01T00:00:00.000000001Z")
    b = Timestamp.parse("2024-01-01T00:00:01Z")
    assert b - a == Duration(0, 999_999_999)
    assert a - b == Duration(0, -999_999_999)
    assert a + Duration(0, 999_999_999) == b
    assert Duration(0, 999_999_999) + a == b
    assert b - Duration(0, 999_999_999) == a
    with pytest.raises(TimestampError):
        _ = Timestamp.parse("9999-12-31T23:59:59Z") + Duration(1)


def test_immutable_and_pickles_with_text() -> None:
    ts = Timestamp.parse("2024-01-01T02:00:00+02:00")
    with pytest.raises(AttributeError):
        ts.seconds = 1  # type: ignore[misc]
    with pytest.raises(AttributeError):
        ts._seconds = 1
    with pytest.raises(AttributeError):
        del ts._nanos
    copy = pickle.loads(pickle.dumps(ts))
    assert copy == ts and str(copy) == "2024-01-01T02:00:00+02:00"
    assert repr(ts) == "Timestamp('2024-01-01T00:00:00Z')"


# -- Duration ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "nanoseconds"),
    [
        ("0s", 0),
        ("3s", 3_000_000_000),
        ("3.5s", 3_500_000_000),
        ("-1.500s", -1_500_000_000),
        ("-0.5s", -500_000_000),
        ("0.000000001s", 1),
        ("-0s", 0),
        ("00010s", 10_000_000_000),
        ("315576000000s", 315_576_000_000_000_000_000),
        ("-315576000000.999999999s", -315_576_000_000_999_999_999),
    ],
)
def test_duration_parse(text: str, nanoseconds: int) -> None:
    assert Duration.parse(text).nanoseconds == nanoseconds


@pytest.mark.parametrize(
    "text",
    [
        "0s",
        "1s",
        "3.500s",
        "-1.500s",
        "-0.500s",
        "0.000001s",
        "0.000000001s",
        "-0.000000001s",
        "1.100000001s",
        "315576000000s",
        "-315576000000.999999999s",
    ],
)
def test_duration_canonical_round_trip(text: str) -> None:
    assert Duration.parse(text).to_json() == text
    assert str(Duration.parse(text)) == text


@pytest.mark.parametrize(
    "text",
    [
        "",
        "s",
        "3",
        "3.s",
        ".5s",
        "+1s",
        "1 s",
        " 1s",
        "1S",
        "1ms",
        "1e3s",
        "1.0000000001s",
        "--1s",
        "315576000001s",
        "1234567890123s",
        "PT3S",
        "P1D",
        "-PT1S",
        "NaNs",
        "\u0661s",  # an Arabic-Indic digit
    ],
)
def test_duration_rejects(text: str) -> None:
    with pytest.raises(DurationError):
        Duration.parse(text)


def test_duration_error_messages() -> None:
    with pytest.raises(DurationError, match="ISO 8601"):
        Duration.parse("PT3S")
    with pytest.raises(DurationError, match=r"like '3\.5s'"):
        Duration.parse("garbage")
    with pytest.raises(DurationError):
        Duration.parse(3.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        Duration.parse("x")


def test_duration_constructor_normalizes_sign() -> None:
    d = Duration(1, -500_000_000)
    assert (d.seconds, d.nanos) == (0, 500_000_000)
    d = Duration(-1, 500_000_000)
    assert (d.seconds, d.nanos) == (0, -500_000_000)
    d = Duration(0, -1_500_000_000)
    assert (d.seconds, d.nanos) == (-1, -500_000_000)
    assert Duration(MAX_DURATION_SECONDS).seconds == MAX_DURATION_SECONDS
    with pytest.raises(DurationError):
        Duration(MAX_DURATION_SECONDS + 1)
    with pytest.raises(DurationError):
        Duration(1.5)  # type: ignore[arg-type]


def test_duration_from_seconds() -> None:
    assert Duration.from_seconds(1.5) == Duration(1, 500_000_000)
    assert Duration.from_seconds(0.1).nanoseconds == 100_000_000
    assert Duration.from_seconds(-2.25).to_json() == "-2.250s"
    assert Duration.from_seconds(7) == Duration(7)
    assert Duration.from_seconds(1e-10) == Duration()
    for bad in (float("nan"), float("inf"), 1e300, True, "1"):
        with pytest.raises(DurationError):
            Duration.from_seconds(bad)  # type: ignore[arg-type]


def test_duration_timedelta_round_trip() -> None:
    td = dt.timedelta(days=-3, seconds=5, microseconds=7)
    assert Duration.from_timedelta(td).timedelta == td
    assert Duration.parse("1.000001999s").timedelta == dt.timedelta(seconds=1, microseconds=1)
    # Truncation is toward zero, for negative spans too.
    assert Duration.parse("-1.000001999s").timedelta == -dt.timedelta(seconds=1, microseconds=1)
    assert Duration.parse("-0.000000999s").timedelta == dt.timedelta(0)
    assert Duration.parse("2.5s").total_seconds() == 2.5
    with pytest.raises(DurationError):
        Duration.from_timedelta(5)  # type: ignore[arg-type]


def test_duration_operators() -> None:
    a, b = Duration.parse("1.5s"), Duration.parse("0.5s")
    assert a + b == Duration(2) and a - b == Duration(1)
    assert -a == Duration.parse("-1.5s") and abs(-a) == a
    assert b < a and a > b and a >= a and b <= b
    assert not Duration() and bool(a)
    assert hash(Duration.parse("1.500s")) == hash(Duration(1, 500_000_000))
    assert a != 1.5
    assert repr(a) == "Duration('1.500s')"
    assert pickle.loads(pickle.dumps(a)) == a
    with pytest.raises(AttributeError):
        a.seconds = 3  # type: ignore[misc]
    with pytest.raises(TypeError):
        _ = a + 1  # type: ignore[operator]


@pytest.mark.parametrize(
    ("compare", "mixed_is_valid"),
    [
        (lambda a, b: a < b, False),
        (lambda a, b: a <= b, False),
        (lambda a, b: a > b, False),
        (lambda a, b: a >= b, False),
        (lambda a, b: a + b, True),  # duration + timestamp is a timestamp
        (lambda a, b: a - b, False),
    ],
    ids=["<", "<=", ">", ">=", "+", "-"],
)
def test_other_types_are_refused_not_misread(compare: Any, mixed_is_valid: bool) -> None:
    """A Timestamp or Duration beside a plain number (or a duration beside a timestamp,
    where that means nothing) is a TypeError, as for datetime: never a silent answer."""
    stamp = Timestamp.parse("2024-01-01T00:00:00.5Z")
    span = Duration.parse("1.5s")
    pairs = [(stamp, 1), (span, 1)] + ([] if mixed_is_valid else [(span, stamp)])
    for left, right in pairs:
        with pytest.raises(TypeError):
            compare(left, right)


def test_duration_attributes_cannot_be_deleted() -> None:
    span = Duration.parse("1.5s")
    with pytest.raises(AttributeError, match="immutable"):
        del span.seconds  # type: ignore[misc]
    assert span == Duration.parse("1.5s")

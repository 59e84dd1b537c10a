"""Exact protobuf ``Timestamp`` and ``Duration`` values and their proto3 JSON forms.

Python's :class:`datetime.datetime` holds microseconds, but the wire format (and the
reference server) carries nanoseconds. :class:`Timestamp` and :class:`Duration` keep whole
seconds and nanoseconds as integers, so nothing is lost between parsing and printing.

Both types are immutable, hashable and ordered. Parsing errors raise :class:`TimestampError`
or :class:`DurationError` (both :class:`ValueError`); code that parses server responses
converts them into :class:`lro.errors.InvalidResponse`.

This module depends on the standard library only, so ``import lro`` stays cheap.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import time
from typing import Any, overload

__all__ = [
    "MAX_DURATION_SECONDS",
    "Duration",
    "DurationError",
    "Timestamp",
    "TimestampError",
]

_NANOS_PER_SECOND = 1_000_000_000
_SECONDS_PER_DAY = 86_400
_EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()
_UTC_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)

#: Smallest and largest seconds a Timestamp may hold: 0001-01-01T00:00:00Z and
#: 9999-12-31T23:59:59.999999999Z, the range google.protobuf.Timestamp allows.
_MIN_TIMESTAMP_SECONDS = -62_135_596_800
_MAX_TIMESTAMP_SECONDS = 253_402_300_799

#: google.protobuf.Duration allows about +-10,000 years.
MAX_DURATION_SECONDS = 315_576_000_000

# ASCII digits only: `\d` would also accept other scripts' digits.
_TIMESTAMP_RE = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt]([0-9]{2}):([0-9]{2}):([0-9]{2})"
    r"(?:\.([0-9]{1,9}))?([Zz]|[+-][0-9]{2}:[0-9]{2})"
)
_DURATION_RE = re.compile(r"(-)?([0-9]{1,12})(?:\.([0-9]{1,9}))?s")


class TimestampError(ValueError):
    """A timestamp text or value outside what google.protobuf.Timestamp allows."""


class DurationError(ValueError):
    """A duration text or value outside what google.protobuf.Duration allows."""


def _is_int(value: object) -> bool:
    # bool is an int subclass; True seconds is almost certainly a bug.
    return isinstance(value, int) and not isinstance(value, bool)


def _fraction_digits(nanos: int) -> str:
    """Format 0 <= nanos < 1e9 with 0, 3, 6 or 9 digits, as proto3 JSON printers do."""
    if nanos == 0:
        return ""
    if nanos % 1_000_000 == 0:
        return f".{nanos // 1_000_000:03d}"
    if nanos % 1000 == 0:
        return f".{nanos // 1000:06d}"
    return f".{nanos:09d}"


def _parse_fraction(digits: str | None) -> int:
    """Turn up to nine fractional digits into nanoseconds."""
    if not digits:
        return 0
    return int(digits.ljust(9, "0"))


def _short(text: object) -> str:
    """Quote a bad input for an error message without echoing megabytes."""
    shown = repr(text)
    return shown if len(shown) <= 80 else shown[:77] + "..."


class Timestamp:
    """An instant in UTC with nanosecond precision (google.protobuf.Timestamp).

    ``seconds`` counts from the Unix epoch; ``nanos`` is always in ``[0, 1e9)``. Equality,
    ordering and hashing use the instant only, so ``2024-01-01T01:00:00+01:00`` equals
    ``2024-01-01T00:00:00Z``. ``str()`` returns the text the value was parsed from (for
    values the server printed, that is already canonical); :meth:`to_json` always returns
    the canonical proto3 form.
    """

    __slots__ = ("_nanos", "_seconds", "_text")

    _seconds: int
    _nanos: int
    _text: str | None

    def __init__(self, seconds: int, nanos: int = 0) -> None:
        """Build from seconds since the epoch and nanoseconds in ``[0, 1e9)``.

        Raises:
            TimestampError: if either part is not an int or is out of range.
        """
        if not (_is_int(seconds) and _is_int(nanos)):
            raise TimestampError("Timestamp seconds and nanos must be ints")
        if not 0 <= nanos < _NANOS_PER_SECOND:
            raise TimestampError(f"Timestamp nanos out of range: {nanos}")
        if not _MIN_TIMESTAMP_SECONDS <= seconds <= _MAX_TIMESTAMP_SECONDS:
            raise TimestampError("Timestamp outside years 0001-9999")
        object.__setattr__(self, "_seconds", seconds)
        object.__setattr__(self, "_nanos", nanos)
        object.__setattr__(self, "_text", None)

    # -- construction -------------------------------------------------------------------

    @classmethod
    def parse(cls, text: str) -> Timestamp:
        """Parse an RFC 3339 timestamp as proto3 JSON allows it.

        Accepts 0 to 9 fractional digits, ``Z`` or a ``+hh:mm``/``-hh:mm`` offset, and a
        lowercase ``t``/``z``. The original text is kept for ``str()``.

        Raises:
            TimestampError: on anything else, or a date outside years 0001-9999.
        """
        if not isinstance(text, str):
            raise TimestampError(f"expected an RFC 3339 string, got {type(text).__name__}")
        match = _TIMESTAMP_RE.fullmatch(text)
        if match is None:
            raise TimestampError(f"not an RFC 3339 timestamp: {_short(text)}")
        year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
        if hour > 23 or minute > 59 or second > 59:
            raise TimestampError(f"time of day out of range: {_short(text)}")
        try:
            ordinal = dt.date(year, month, day).toordinal()
        except ValueError as exc:
            raise TimestampError(f"no such date: {_short(text)}") from exc
        seconds = (ordinal - _EPOCH_ORDINAL) * _SECONDS_PER_DAY
        seconds += hour * 3600 + minute * 60 + second - _offset_seconds(match.group(8), text)
        value = cls(seconds, _parse_fraction(match.group(7)))
        object.__setattr__(value, "_text", text)
        return value

    @classmethod
    def from_datetime(cls, value: dt.datetime) -> Timestamp:
        """Convert a datetime; a naive one is taken as UTC (as protobuf's FromDatetime does).

        Raises:
            TimestampError: if ``value`` is not a datetime.
        """
        if not isinstance(value, dt.datetime):
            raise TimestampError(f"expected a datetime, got {type(value).__name__}")
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.timezone.utc)
        delta = value - _UTC_EPOCH
        seconds = delta.days * _SECONDS_PER_DAY + delta.seconds
        return cls(seconds, delta.microseconds * 1000)

    @classmethod
    def from_nanoseconds(cls, nanoseconds: int) -> Timestamp:
        """Build from integer nanoseconds since the Unix epoch."""
        if not _is_int(nanoseconds):
            raise TimestampError("nanoseconds must be an int")
        seconds, nanos = divmod(nanoseconds, _NANOS_PER_SECOND)
        return cls(seconds, nanos)

    @classmethod
    def now(cls) -> Timestamp:
        """The current time, from :func:`time.time_ns`."""
        return cls.from_nanoseconds(time.time_ns())

    # -- views --------------------------------------------------------------------------

    @property
    def seconds(self) -> int:
        """Whole seconds since 1970-01-01T00:00:00Z (negative before it)."""
        return self._seconds

    @property
    def nanos(self) -> int:
        """Nanoseconds past ``seconds``, in ``[0, 1e9)``."""
        return self._nanos

    @property
    def nanoseconds_since_epoch(self) -> int:
        """The instant as one exact integer of nanoseconds since the epoch."""
        return self._seconds * _NANOS_PER_SECOND + self._nanos

    @property
    def datetime(self) -> dt.datetime:
        """An aware UTC datetime; nanoseconds are truncated to microseconds."""
        delta = dt.timedelta(seconds=self._seconds, microseconds=self._nanos // 1000)
        return _UTC_EPOCH + delta

    @property
    def text(self) -> str:
        """The text this value was parsed from, else its canonical JSON form."""
        return self._text if self._text is not None else self.to_json()

    def to_json(self) -> str:
        """The canonical proto3 JSON form: UTC, ``Z``, 0/3/6/9 fractional digits."""
        days, rest = divmod(self._seconds, _SECONDS_PER_DAY)
        date = dt.date.fromordinal(_EPOCH_ORDINAL + days)
        hour, rest = divmod(rest, 3600)
        minute, second = divmod(rest, 60)
        return (
            f"{date.year:04d}-{date.month:02d}-{date.day:02d}"
            f"T{hour:02d}:{minute:02d}:{second:02d}{_fraction_digits(self._nanos)}Z"
        )

    # -- protocol -----------------------------------------------------------------------

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"Timestamp({self.to_json()!r})"

    def _key(self) -> tuple[int, int]:
        return (self._seconds, self._nanos)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Timestamp):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __lt__(self, other: Timestamp) -> bool:
        if not isinstance(other, Timestamp):
            return NotImplemented
        return self._key() < other._key()

    def __le__(self, other: Timestamp) -> bool:
        if not isinstance(other, Timestamp):
            return NotImplemented
        return self._key() <= other._key()

    def __gt__(self, other: Timestamp) -> bool:
        if not isinstance(other, Timestamp):
            return NotImplemented
        return self._key() > other._key()

    def __ge__(self, other: Timestamp) -> bool:
        if not isinstance(other, Timestamp):
            return NotImplemented
        return self._key() >= other._key()

    def __add__(self, other: Duration) -> Timestamp:
        if not isinstance(other, Duration):
            return NotImplemented
        return Timestamp.from_nanoseconds(self.nanoseconds_since_epoch + other.nanoseconds)

    __radd__ = __add__

    @overload
    def __sub__(self, other: Timestamp) -> Duration: ...

    @overload
    def __sub__(self, other: Duration) -> Timestamp: ...

    def __sub__(self, other: object) -> Any:
        """``Timestamp - Timestamp`` is an exact :class:`Duration`; ``- Duration`` shifts."""
        if isinstance(other, Timestamp):
            return Duration.from_nanoseconds(
                self.nanoseconds_since_epoch - other.nanoseconds_since_epoch
            )
        if isinstance(other, Duration):
            return Timestamp.from_nanoseconds(self.nanoseconds_since_epoch - other.nanoseconds)
        return NotImplemented

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("Timestamp is immutable")

    def __delattr__(self, name: str) -> None:
        raise AttributeError("Timestamp is immutable")

    def __reduce__(self) -> tuple[Any, ...]:
        return (_restore_timestamp, (self._seconds, self._nanos, self._text))


def _restore_timestamp(seconds: int, nanos: int, text: str | None) -> Timestamp:
    value = Timestamp(seconds, nanos)
    object.__setattr__(value, "_text", text)
    return value


def _offset_seconds(offset: str, text: str) -> int:
    """Seconds east of UTC for ``Z`` or ``+hh:mm``/``-hh:mm``."""
    if offset in ("Z", "z"):
        return 0
    hours, minutes = int(offset[1:3]), int(offset[4:6])
    if hours > 23 or minutes > 59:
        raise TimestampError(f"UTC offset out of range: {_short(text)}")
    value = hours * 3600 + minutes * 60
    return -value if offset[0] == "-" else value


class Duration:
    """A signed span of time with nanosecond precision (google.protobuf.Duration).

    ``seconds`` and ``nanos`` always share a sign (``-1.5s`` is seconds=-1,
    nanos=-500000000), as the proto requires. The range is about +-10,000 years.
    ``str()`` and :meth:`to_json` give the proto3 JSON form, e.g. ``"1.500s"``.
    """

    __slots__ = ("_nanos", "_seconds")

    _seconds: int
    _nanos: int

    def __init__(self, seconds: int = 0, nanos: int = 0) -> None:
        """Build from any ints; the total is normalized so both parts share a sign.

        Raises:
            DurationError: if a part is not an int or the total is out of range.
        """
        if not (_is_int(seconds) and _is_int(nanos)):
            raise DurationError("Duration seconds and nanos must be ints")
        total = seconds * _NANOS_PER_SECOND + nanos
        # Truncate toward zero so both parts carry the sign of the total.
        whole, frac = divmod(abs(total), _NANOS_PER_SECOND)
        sign = -1 if total < 0 else 1
        if whole > MAX_DURATION_SECONDS:
            raise DurationError("Duration out of range (more than 315,576,000,000 seconds)")
        object.__setattr__(self, "_seconds", sign * whole)
        object.__setattr__(self, "_nanos", sign * frac)

    # -- construction -------------------------------------------------------------------

    @classmethod
    def parse(cls, text: str) -> Duration:
        """Parse a proto3 JSON duration: ``"3s"``, ``"3.5s"``, ``"-1.500s"``, ``"0s"``.

        Raises:
            DurationError: for anything else, including ISO 8601 (``"PT3S"``) and numbers.
        """
        if not isinstance(text, str):
            raise DurationError(
                f"expected a duration string like '3.5s', got {type(text).__name__}"
            )
        match = _DURATION_RE.fullmatch(text)
        if match is None:
            iso = text.lstrip("-+")[:1] in ("P", "p")
            hint = " (ISO 8601 durations are not proto3 JSON)" if iso else ""
            raise DurationError(f"not a proto3 JSON duration like '3.5s': {_short(text)}{hint}")
        sign, whole, digits = match.groups()
        total = int(whole) * _NANOS_PER_SECOND + _parse_fraction(digits)
        return cls.from_nanoseconds(-total if sign else total)

    @classmethod
    def from_nanoseconds(cls, nanoseconds: int) -> Duration:
        """Build from a total count of nanoseconds."""
        return cls(0, nanoseconds)

    @classmethod
    def from_seconds(cls, seconds: float) -> Duration:
        """Build from (float) seconds, rounded to the nearest nanosecond.

        Raises:
            DurationError: for NaN, infinities, non-numbers and out-of-range values.
        """
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
            raise DurationError(f"expected a number of seconds, got {type(seconds).__name__}")
        if isinstance(seconds, float) and not math.isfinite(seconds):
            raise DurationError(f"not a finite number of seconds: {seconds}")
        from decimal import Decimal  # lazily: most callers never need it

        # Decimal holds the float's exact binary value, so nothing rounds twice.
        return cls.from_nanoseconds(round(Decimal(seconds) * _NANOS_PER_SECOND))

    @classmethod
    def from_timedelta(cls, value: dt.timedelta) -> Duration:
        """Convert a :class:`datetime.timedelta` exactly (it has microsecond precision)."""
        if not isinstance(value, dt.timedelta):
            raise DurationError(f"expected a timedelta, got {type(value).__name__}")
        micros = (value.days * _SECONDS_PER_DAY + value.seconds) * 1_000_000 + value.microseconds
        return cls.from_nanoseconds(micros * 1000)

    # -- views --------------------------------------------------------------------------

    @property
    def seconds(self) -> int:
        """Whole seconds, truncated toward zero."""
        return self._seconds

    @property
    def nanos(self) -> int:
        """Nanoseconds beyond ``seconds``, in ``(-1e9, 1e9)`` with the same sign."""
        return self._nanos

    @property
    def nanoseconds(self) -> int:
        """The whole span as one exact integer of nanoseconds."""
        return self._seconds * _NANOS_PER_SECOND + self._nanos

    def total_seconds(self) -> float:
        """The span in seconds as a float (may round beyond about 104 days)."""
        return self._seconds + self._nanos / _NANOS_PER_SECOND

    @property
    def timedelta(self) -> dt.timedelta:
        """A :class:`datetime.timedelta`, truncated toward zero to microseconds."""
        micros = int(self._nanos / 1000) if self._nanos >= 0 else -((-self._nanos) // 1000)
        return dt.timedelta(seconds=self._seconds, microseconds=micros)

    def to_json(self) -> str:
        """The canonical proto3 JSON form: ``"0s"``, ``"1.500s"``, ``"-0.000000001s"``."""
        sign = "-" if self._seconds < 0 or self._nanos < 0 else ""
        return f"{sign}{abs(self._seconds)}{_fraction_digits(abs(self._nanos))}s"

    # -- protocol -----------------------------------------------------------------------

    def __str__(self) -> str:
        return self.to_json()

    def __repr__(self) -> str:
        return f"Duration({self.to_json()!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Duration):
            return NotImplemented
        return self.nanoseconds == other.nanoseconds

    def __hash__(self) -> int:
        return hash(("Duration", self.nanoseconds))

    def __lt__(self, other: Duration) -> bool:
        if not isinstance(other, Duration):
            return NotImplemented
        return self.nanoseconds < other.nanoseconds

    def __le__(self, other: Duration) -> bool:
        if not isinstance(other, Duration):
            return NotImplemented
        return self.nanoseconds <= other.nanoseconds

    def __gt__(self, other: Duration) -> bool:
        if not isinstance(other, Duration):
            return NotImplemented
        return self.nanoseconds > other.nanoseconds

    def __ge__(self, other: Duration) -> bool:
        if not isinstance(other, Duration):
            return NotImplemented
        return self.nanoseconds >= other.nanoseconds

    def __bool__(self) -> bool:
        return self.nanoseconds != 0

    def __neg__(self) -> Duration:
        return Duration.from_nanoseconds(-self.nanoseconds)

    def __abs__(self) -> Duration:
        return Duration.from_nanoseconds(abs(self.nanoseconds))

    def __add__(self, other: Duration) -> Duration:
        if not isinstance(other, Duration):
            return NotImplemented
        return Duration.from_nanoseconds(self.nanoseconds + other.nanoseconds)

    def __sub__(self, other: Duration) -> Duration:
        if not isinstance(other, Duration):
            return NotImplemented
        return Duration.from_nanoseconds(self.nanoseconds - other.nanoseconds)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("Duration is immutable")

    def __delattr__(self, name: str) -> None:
        raise AttributeError("Duration is immutable")

    def __reduce__(self) -> tuple[Any, ...]:
        return (Duration.from_nanoseconds, (self.nanoseconds,))

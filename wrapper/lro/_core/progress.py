"""Reading progress out of operation metadata.

There is no standard progress field (AIP-151), so :func:`fraction` recognises the shapes in
common use. It looks at the metadata object, then at a few well-known nested objects, and
returns the first match as a fraction in ``[0, 1]``:

1. a fraction 0-1: ``progress``, ``fraction``, ``progressFraction``, ``fractionComplete``,
   ``fractionDone``;
2. a percentage 0-100: ``progressPercent`` (Spanner, Speech), ``progressPercentage``,
   ``percentComplete``, ``percentDone``, ``percentage``, ``percent``;
3. a count pair (done/total): ``completedSteps``/``totalSteps``,
   ``stepsCompleted``/``stepsTotal``, ``step``/``stepsTotal``, ``step``/``totalSteps``,
   ``currentStep``/``totalSteps``, ``completedWork``/``estimatedWork`` (Firestore),
   ``completed``/``total``, ``processed``/``total``;
4. the same inside a nested object: ``progress`` (Spanner's ``OperationProgress``),
   ``progressInfo``, ``operationProgress``, ``progressDocuments`` (Firestore),
   ``genericMetadata``, ``commonMetadata``, ``metadata``.

Every key is also accepted in snake_case (``progress_percent``). Numbers may be JSON
strings (``"42.5"``, ``"42%"``). Results are clamped to ``[0, 1]``; NaN, infinities,
booleans, a total of zero or anything unrecognised give None.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Mapping
from typing import Any

__all__ = ["fraction", "reading"]

_FRACTION_KEYS = ("progress", "fraction", "progressFraction", "fractionComplete", "fractionDone")
_PERCENT_KEYS = (
    "progressPercent",
    "progressPercentage",
    "percentComplete",
    "percentDone",
    "percentage",
    "percent",
)
_PAIRS = (
    ("completedSteps", "totalSteps"),
    ("stepsCompleted", "stepsTotal"),
    ("step", "stepsTotal"),
    ("step", "totalSteps"),
    ("currentStep", "totalSteps"),
    ("completedWork", "estimatedWork"),
    ("completed", "total"),
    ("processed", "total"),
)
_NESTED_KEYS = (
    "progress",
    "progressInfo",
    "operationProgress",
    "progressDocuments",
    "genericMetadata",
    "commonMetadata",
    "metadata",
)
# Nesting deeper than this is not progress metadata; it also bounds the work on hostile input.
_MAX_DEPTH = 3
_NUMERIC_RE = re.compile(r"\s*-?[0-9]{1,15}(\.[0-9]{1,15})?\s*%?\s*")


@functools.cache
def _snake(key: str) -> str:
    return re.sub(r"([A-Z])", lambda m: "_" + m.group(1).lower(), key)


def _lookup(data: Mapping[str, Any], key: str) -> Any:
    value = data.get(key)
    return data.get(_snake(key)) if value is None else value


def _number(value: Any) -> float | None:
    """A finite number from a JSON number or numeric string ("42", "42.5%"), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        number = float(value) if abs(value) < 1e300 else math.inf
    elif isinstance(value, str) and _NUMERIC_RE.fullmatch(value):
        number = float(value.strip().rstrip("%"))
    else:
        return None
    return number if math.isfinite(number) else None


def _clamp(value: float) -> float:
    return min(1.0, max(0.0, value))


def _direct(data: Mapping[str, Any]) -> float | None:
    """Progress from the fields of ``data`` itself (not clamped), or None."""
    for key in _FRACTION_KEYS:
        number = _number(_lookup(data, key))
        if number is not None:
            return number
    for key in _PERCENT_KEYS:
        number = _number(_lookup(data, key))
        if number is not None:
            return number / 100
    for done_key, total_key in _PAIRS:
        done, total = _number(_lookup(data, done_key)), _number(_lookup(data, total_key))
        if done is not None and total is not None and total > 0:
            return done / total
    return None


def _search(data: Mapping[str, Any], depth: int) -> float | None:
    found = _direct(data)
    if found is not None or depth >= _MAX_DEPTH:
        return found
    for key in _NESTED_KEYS:
        nested = _lookup(data, key)
        if isinstance(nested, Mapping):
            found = _search(nested, depth + 1)
            if found is not None:
                return found
    return None


def fraction(metadata: Any) -> float | None:
    """The progress an operation's metadata reports, as a fraction in ``[0, 1]``.

    ``metadata`` is the metadata JSON object (an Any, ``@type`` included) or anything
    else; see the module documentation for the shapes recognised. Returns None when no
    progress is found. Never raises.
    """
    found = reading(metadata)
    return None if found is None else _clamp(found)


def reading(metadata: Any) -> float | None:
    """The progress fraction exactly as reported, NOT clamped (-0.2, 1.5 stay so), or None.

    For the time-left estimate (:mod:`lro._core.eta`), which distrusts a value out of
    ``[0, 1]`` instead of reading it as 0 % or 100 %. Never raises.
    """
    if not isinstance(metadata, Mapping):
        return None
    return _search(metadata, 0)

"""Plain JSON values: the one proto3 integer reader, the one deep copy of JSON data, and
the one reader and writer of JSON text that keep every number the server sent.

JSON numbers are decimal literals of any size; a float holds few of them exactly. The
SDK reads JSON with :func:`loads`: a number whose float would change it (``1e400``
becomes infinity; ``0.1000000000000000000001`` becomes ``0.1``) is a :class:`JsonNumber`,
a float of the nearest value that keeps its literal, and :func:`dumps` writes that
literal back. So ``Operation.to_json()``, ``lro get --json`` and ``lro watch`` are strict
RFC 8259 JSON carrying the server's numbers unchanged, never ``Infinity`` or ``NaN``
(integers are Python ints: exact already). ``NaN`` and ``Infinity`` tokens are not JSON:
:func:`loads` refuses them.

Nothing here imports the rest of the SDK, so every module (the error details included)
can use it. The readers never raise: a value of the wrong form reads as None, and the
caller decides whether that is "absent" (error details) or a typed error (a page's
``totalSize`` raises :class:`lro.errors.InvalidResponse`).
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

__all__ = [
    "INT64_MAX",
    "INT64_MIN",
    "JsonNumber",
    "copy_json",
    "dumps",
    "int64",
    "integer",
    "loads",
]

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1

# A decimal integer with an optional sign. 20 digits hold every uint64, and the bound
# keeps int() far from its digit limit on hostile input.
_DECIMAL = re.compile(r"[-+]?[0-9]{1,20}")


def integer(value: Any) -> int | None:
    """A proto3 JSON integer, unbounded: a JSON number without a fraction, or a decimal
    string (optional sign, no spaces, no exponent). None for anything else (booleans,
    ``1.5``, ``"1e5"``, ``"--5"``, ``" 5"``, null).

    Callers check the range of their type; :func:`int64` checks int64's.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None  # inf and nan are not integers
    if isinstance(value, str) and _DECIMAL.fullmatch(value):
        return int(value)
    return None


def int64(value: Any) -> int | None:
    """An int64 field as proto3 JSON writes it (a decimal string; numbers accepted), or
    None when ``value`` is absent, not an integer, or outside int64's range."""
    number = integer(value)
    if number is None or not INT64_MIN <= number <= INT64_MAX:
        return None
    return number


def copy_json(value: Any) -> Any:
    """Deep-copy JSON data: dicts and lists are copied, everything else is shared.

    Recursive first (fastest; several times faster than copy.deepcopy); data nested too
    deeply for that (json.loads accepts about twice the depth) or cyclic data goes through
    the iterative copy instead.
    """
    try:
        return _copy_recursive(value)
    except RecursionError:
        return _copy_iterative(value)


def _copy_recursive(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy_recursive(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy_recursive(v) for v in value]
    return value


def _copy_iterative(value: Any) -> Any:
    """Copy without recursion; shared and cyclic containers are copied once (as deepcopy)."""
    if not isinstance(value, (dict, list)):
        return value
    memo: dict[int, Any] = {}
    root = _shell(value, memo)
    pending = [value]
    while pending:
        source = pending.pop()
        target = memo[id(source)]
        items = source.items() if isinstance(source, dict) else enumerate(source)
        for key, item in items:
            if isinstance(item, (dict, list)):
                known = memo.get(id(item))
                if known is None:
                    known = _shell(item, memo)
                    pending.append(item)
                item = known
            if isinstance(target, dict):
                target[key] = item
            else:
                target.append(item)
    return root


def _shell(container: dict[Any, Any] | list[Any], memo: dict[int, Any]) -> Any:
    """An empty container of the same kind, remembered as the copy of ``container``."""
    shell: dict[Any, Any] | list[Any] = {} if isinstance(container, dict) else []
    memo[id(container)] = shell
    return shell


# ---------------------------------------------------------------------------------------
# JSON text, numbers kept


class JsonNumber(float):
    """A JSON number a float cannot hold: the nearest float (``inf`` for ``1e400``), with
    the literal the server sent in :attr:`literal`, which :func:`dumps` writes back."""

    __slots__ = ("literal",)
    literal: str

    @classmethod
    def of(cls, literal: str, value: float) -> JsonNumber:
        number = cls(value)
        number.literal = literal
        return number

    def __reduce__(self) -> tuple[Any, ...]:
        return (JsonNumber.of, (self.literal, float(self)))


def _number(literal: str) -> float:
    """``json.loads``'s ``parse_float``: a float, or a JsonNumber when the float's shortest
    text denotes another number than ``literal``."""
    value = float(literal)
    if math.isfinite(value):
        shortest = repr(value)
        if shortest == literal:
            return value
        from decimal import Decimal, InvalidOperation  # rarely needed: imported then

        try:
            if Decimal(shortest) == Decimal(literal):
                return value  # the same number spelled otherwise ("1.50", "1E2")
        except InvalidOperation:  # pragma: no cover - json only passes decimal literals
            pass
    return JsonNumber.of(literal, value)


def _no_constant(word: str) -> Any:
    raise ValueError(f"{word} is not JSON (RFC 8259 has no NaN or Infinity)")


def loads(text: str | bytes) -> Any:
    """``json.loads`` keeping every number's value (see the module docstring).

    Raises:
        ValueError: not JSON (``NaN`` and ``Infinity`` included).
        RecursionError: nested too deeply.
    """
    return json.loads(text, parse_float=_number, parse_constant=_no_constant)


def dumps(value: Any, *, indent: int | None = None) -> str:
    """Strict JSON text of ``value`` (compact unless ``indent``; non-ASCII kept), every
    :class:`JsonNumber` written as its literal.

    Raises:
        ValueError: a plain float that is infinite or NaN (not JSON), or a cycle.
        TypeError: a value that is not JSON data.
        RecursionError: nested too deeply.
    """
    separators = (",", ":") if indent is None else (",", ": ")
    if not _has_literal(value):
        return json.dumps(
            value, separators=separators, indent=indent, ensure_ascii=False, allow_nan=False
        )
    # Each JsonNumber goes through json.dumps as a marker string (with a random nonce no
    # server text can guess), then its literal replaces the quoted marker.
    import secrets

    nonce = secrets.token_hex(8)
    literals: list[str] = []
    marked = _marked(value, literals, f"\0lro-number-{nonce}-")
    text = json.dumps(
        marked, separators=separators, indent=indent, ensure_ascii=False, allow_nan=False
    )
    found = re.compile(rf'"\\u0000lro-number-{nonce}-([0-9]+)"')
    return found.sub(lambda m: literals[int(m.group(1))], text)


def _has_literal(value: Any) -> bool:
    """Whether ``value`` holds a JsonNumber (iterative: any depth json.loads accepts;
    each container looked into once, so a cycle ends, and json.dumps then refuses it)."""
    pending = [value]
    seen: set[int] = set()
    while pending:
        item = pending.pop()
        if isinstance(item, (dict, list)):
            if id(item) not in seen:
                seen.add(id(item))
                pending.extend(item.values() if isinstance(item, dict) else item)
        elif isinstance(item, JsonNumber):
            return True
    return False


def _marked(
    value: Any, literals: list[str], prefix: str, path: frozenset[int] = frozenset()
) -> Any:
    """A copy of ``value`` with each JsonNumber a marker string (its literal appended to
    ``literals``); ``path``: the containers above, so that a cycle is refused as by json."""
    if isinstance(value, JsonNumber):
        literals.append(value.literal)
        return f"{prefix}{len(literals) - 1}"
    if not isinstance(value, (dict, list)):
        return value
    if id(value) in path:
        raise ValueError("Circular reference detected")
    inner = path | {id(value)}
    if isinstance(value, dict):
        return {k: _marked(v, literals, prefix, inner) for k, v in value.items()}
    return [_marked(v, literals, prefix, inner) for v in value]

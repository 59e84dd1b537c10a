"""Plain JSON values: the one proto3 integer reader and the one deep copy of JSON data.

Nothing here imports the rest of the SDK, so every module (the error details included)
can use it. The readers never raise: a value of the wrong form reads as None, and the
caller decides whether that is "absent" (error details) or a typed error (a page's
``totalSize`` raises :class:`lro.errors.InvalidResponse`).
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["INT64_MAX", "INT64_MIN", "copy_json", "int64", "integer"]

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

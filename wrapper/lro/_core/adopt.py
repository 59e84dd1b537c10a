"""Operations another client returned, as the JSON of an :class:`lro.Operation`.

``Client.adopt(x)`` and ``AsyncClient.adopt(x)`` bind what :func:`operation_json` makes of
``x``, which may be:

* a dict (or any mapping) in proto3 JSON form, or JSON text (``str`` / ``bytes``);
* an object with ``model_dump()`` (pydantic models, openapi-generator's included: read
  by alias, so under their JSON names) or ``to_dict()``;
* a protobuf message, ``google.longrunning.operations_pb2.Operation`` (GAPIC clients),
  through ``google.protobuf.json_format`` when protobuf is installed (never required), or
  an object holding one as ``.operation`` (``google.api_core.operation.Operation``);
* an :class:`lro.Operation` (rebound as it is).

Whatever comes in is copied into plain JSON values (datetimes as RFC 3339 text, enums as
their values), bounded in size and depth, and checked as an operation: a valid ``name``,
``done`` a boolean, ``metadata`` / ``response`` / ``error`` objects, not both of the last
two. Anything else raises :class:`~lro.errors.InvalidArgument`, never a bare exception.
"""

from __future__ import annotations

import datetime as dt
import enum
import importlib
import json
import math
from collections.abc import Mapping
from typing import Any

from .errors import Error, InvalidArgument
from .names import is_list_path, validate_name
from .timestamps import Timestamp

__all__ = ["MAX_ADOPT_DEPTH", "MAX_ADOPT_TEXT", "MAX_ADOPT_VALUES", "operation_json"]

#: Largest JSON text adopted (bytes), as the largest response a client reads by default.
MAX_ADOPT_TEXT = 64 * 1024 * 1024
#: Deepest nesting of objects and arrays adopted.
MAX_ADOPT_DEPTH = 100
#: Most JSON values (objects, arrays, scalars) in one adopted operation.
MAX_ADOPT_VALUES = 1_000_000

_EXPECTED = "a dict, JSON text, an object with to_dict() or model_dump(), or a protobuf message"


def operation_json(value: Any) -> dict[str, Any]:
    """``value`` (see the module docstring) as the plain JSON object of an operation.

    Raises:
        InvalidArgument: ``value`` is none of the accepted forms, cannot be converted,
            is too large or too deeply nested, or is not an operation (no valid name,
            fields of the wrong type). :class:`~lro.errors.InvalidName` for a bad name.
    """
    decoded = _decoded(value)
    try:
        data = _Plain().copy(decoded, "operation", 0)
    except Error:
        raise
    except Exception as exc:  # a hostile mapping or value: items(), __index__, ... raised
        raise InvalidArgument(f"cannot adopt: reading it failed ({type(exc).__name__})") from exc
    if not isinstance(data, dict):
        raise InvalidArgument(f"an operation must be a JSON object, got {_kind(data)}")
    _check_operation(data)
    return data


def _decoded(value: Any) -> Any:
    """The dict-like form of ``value``, before it is copied and checked."""
    from .snapshot import Snapshot

    if isinstance(value, Snapshot):
        return value.to_dict()
    if isinstance(value, str | bytes | bytearray):
        return _parsed(value)
    if isinstance(value, Mapping):
        return value
    if _is_protobuf(value):
        return _from_protobuf(value)
    held = _attribute(value, "operation")
    if _is_protobuf(held):  # google.api_core.operation.Operation and its kin
        return _from_protobuf(held)
    # model_dump first: openapi-generator's models are pydantic ones whose to_dict() drops
    # readOnly fields (an audited operation's name among them); by alias = the JSON names.
    for method, kwargs in (
        ("model_dump", {"mode": "json", "by_alias": True, "exclude_none": True}),
        ("to_dict", {}),
    ):
        convert = _attribute(value, method)
        if callable(convert):
            return _called(convert, kwargs, f"{type(value).__name__}.{method}()")
    raise InvalidArgument(f"cannot adopt a {type(value).__name__}: expected {_EXPECTED}")


def _attribute(value: Any, name: str) -> Any:
    try:
        return getattr(value, name, None)
    except Exception:  # a hostile __getattr__ / property: the value is simply not that form
        return None


def _called(convert: Any, kwargs: dict[str, Any], what: str) -> Any:
    try:
        try:
            return convert(**kwargs)
        except TypeError:
            if not kwargs:
                raise
            return convert()  # a model_dump() that takes no pydantic arguments
    except Exception as exc:
        raise InvalidArgument(f"cannot adopt: {what} failed ({type(exc).__name__})") from exc


def _parsed(text: str | bytes | bytearray) -> Any:
    if len(text) > MAX_ADOPT_TEXT:
        raise InvalidArgument(
            f"cannot adopt JSON text of {len(text)} characters; the limit is {MAX_ADOPT_TEXT}"
        )
    try:
        return json.loads(text)
    except (ValueError, TypeError, RecursionError) as exc:
        raise InvalidArgument(f"cannot adopt: the text is not JSON ({exc})"[:300]) from None


def _is_protobuf(value: Any) -> bool:
    return (
        value is not None
        and not isinstance(value, type)
        and _attribute(value, "DESCRIPTOR") is not None
        and callable(_attribute(value, "SerializeToString"))
    )


def _from_protobuf(message: Any) -> Any:
    try:
        json_format = importlib.import_module("google.protobuf.json_format")
    except ImportError:
        raise InvalidArgument(
            f"cannot adopt a {type(message).__name__}: reading protobuf messages needs the "
            "protobuf package (pip install protobuf)"
        ) from None
    try:
        return json_format.MessageToDict(message)
    except Exception as exc:  # e.g. an Any whose type is not in the descriptor pool
        raise InvalidArgument(f"cannot adopt a {type(message).__name__}: {exc}"[:300]) from exc


class _Plain:
    """A bounded copy into plain JSON values (dict, list, str, int, float, bool, None)."""

    def __init__(self) -> None:
        self.values = 0

    def copy(self, value: Any, where: str, depth: int) -> Any:
        self.values += 1
        if self.values > MAX_ADOPT_VALUES:
            raise InvalidArgument(f"cannot adopt: more than {MAX_ADOPT_VALUES} values")
        if value is None or isinstance(value, bool | str):
            return value
        if isinstance(value, enum.Enum):
            return self.copy(value.value, where, depth + 1)
        if isinstance(value, int):
            return int(value)
        if isinstance(value, float):
            if not math.isfinite(value):
                raise InvalidArgument(f"cannot adopt: {where} is {value} (not JSON)")
            return value
        if isinstance(value, dt.datetime):
            return Timestamp.from_datetime(value).to_json()
        if depth >= MAX_ADOPT_DEPTH:
            raise InvalidArgument(f"cannot adopt: nested deeper than {MAX_ADOPT_DEPTH} levels")
        if isinstance(value, Mapping):
            copied: dict[str, Any] = {}
            for key, item in value.items():
                if not isinstance(key, str):
                    raise InvalidArgument(
                        f"cannot adopt: {where} has a key that is not a string ({_kind(key)})"
                    )
                copied[key] = self.copy(item, f"{where}.{key[:40]}", depth + 1)
            return copied
        if isinstance(value, list | tuple):
            return [self.copy(item, f"{where}[{i}]", depth + 1) for i, item in enumerate(value)]
        raise InvalidArgument(f"cannot adopt: {where} is a {_kind(value)}, not a JSON value")


def _check_operation(data: dict[str, Any]) -> None:
    name = data.get("name")
    if name is None or name == "":
        raise InvalidArgument("cannot adopt an operation without a name")
    validate_name(name)
    if is_list_path(name):
        raise InvalidArgument(f"cannot adopt {name!r}: it is a collection, not an operation")
    if data.get("done") is not None and not isinstance(data["done"], bool):
        raise InvalidArgument(f"done must be true or false, got {_kind(data['done'])}")
    for field in ("metadata", "response", "error"):
        if data.get(field) is not None and not isinstance(data[field], dict):
            raise InvalidArgument(f"{field} must be a JSON object, got {_kind(data[field])}")
    if data.get("response") is not None and data.get("error") is not None:
        raise InvalidArgument("an operation has a response or an error, not both")


def _kind(value: Any) -> str:
    return "null" if value is None else type(value).__name__

"""``google.protobuf.Any`` in proto3 JSON: type URLs, a type registry, unpacking.

An Any is a JSON object with an ``@type`` URL (``type.googleapis.com/<full.Name>``) and
the packed message's own fields beside it. Well-known types with a special JSON form
(Duration, Timestamp, Struct, Value, wrappers, FieldMask) put that form under ``value``.

* :func:`unpack` turns an Any into a pydantic model (or any type pydantic can validate),
  checking ``@type`` against the model's declared type name when one is known.
* :func:`unpack_well_known` turns a well-known type into a plain Python value.
* Anys of unknown types are data: :func:`unpack` without a model returns them as dicts and
  never fails on them.
* Keys are matched as protobuf's JSON parser does: a field may be sent under its JSON name
  (``outputUri``) or its original one (``output_uri``), so a model may spell its fields
  either way (:func:`_proto_keys`, recursively through nested models, lists and dicts).

pydantic is imported only when a model is actually validated, so ``import lro`` stays cheap.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from collections.abc import Callable, Mapping
from typing import Any, TypeVar, cast, overload

from .errors import AnyTypeError
from .jsonvalues import copy_json as _json_copy
from .jsonvalues import integer
from .timestamps import Duration, DurationError, Timestamp, TimestampError

__all__ = [
    "MAX_ANY_DEPTH",
    "TYPE_URL_PREFIX",
    "WELL_KNOWN_TYPES",
    "declared_type_name",
    "is_well_known",
    "register_type",
    "registered_type",
    "type_name",
    "type_url",
    "unpack",
    "unpack_well_known",
]

T = TypeVar("T")
_TypeT = TypeVar("_TypeT", bound=type)

#: The prefix protobuf uses for type URLs.
TYPE_URL_PREFIX = "type.googleapis.com/"

#: How many ``google.protobuf.Any`` wrappers one Any may nest (an Any whose value is an
#: Any, ...), as protobuf's own parsers limit nesting to 100: deeper is an AnyTypeError,
#: never a RecursionError.
MAX_ANY_DEPTH = 100

_REGISTRY: dict[str, type] = {}


def type_name(url: str) -> str:
    """The full message name of a type URL: everything after the last ``/``.

    ``type_name("type.googleapis.com/google.protobuf.Duration")`` is
    ``"google.protobuf.Duration"``; a bare name is returned unchanged.
    """
    return url.rsplit("/", 1)[-1]


def type_url(name: str) -> str:
    """The type URL for a message name (a value that already has a ``/`` is kept)."""
    return name if "/" in name else TYPE_URL_PREFIX + name


@overload
def register_type(name: str, model: None = None) -> Callable[[_TypeT], _TypeT]: ...


@overload
def register_type(name: str, model: _TypeT) -> _TypeT: ...


def register_type(name: str, model: type | None = None) -> Any:
    """Register ``model`` as the Python type of the message ``name`` (a name or type URL).

    :func:`unpack` then validates Anys of that type into ``model`` by default, and checks
    ``@type`` when asked for ``model`` explicitly. Usable as a decorator::

        @lro.register_type("example.v1.ExportMetadata")
        class ExportMetadata(pydantic.BaseModel): ...

    Registering a name again replaces the earlier model.
    """
    if not isinstance(name, str) or not type_name(name):
        raise TypeError("register_type needs a message name or type URL")

    def decorate(cls: _TypeT) -> _TypeT:
        _REGISTRY[type_name(name)] = cls
        return cls

    return decorate if model is None else decorate(model)


def registered_type(name: str) -> type | None:
    """The model registered for a message name or type URL, or None."""
    return _REGISTRY.get(type_name(name)) if isinstance(name, str) else None


def declared_type_name(model: Any) -> str | None:
    """The message name a model stands for, or None when it declares none.

    A model declares it with a ``__lro_type__ = "pkg.Msg"`` class attribute, or by being
    registered with :func:`register_type`; the Python types that well-known types unpack
    to (:class:`lro.Duration`, :class:`lro.Timestamp`) declare theirs.
    """
    declared = getattr(model, "__lro_type__", None)
    if isinstance(declared, str) and declared:
        return type_name(declared)
    if model is Duration:
        return _PROTOBUF + "Duration"
    if model is Timestamp:
        return _PROTOBUF + "Timestamp"
    for name, registered in _REGISTRY.items():
        if registered is model:
            return name
    return None


# ---------------------------------------------------------------------------------------
# Well-known types

_PROTOBUF = "google.protobuf."
_INT_RANGES = {
    "Int32Value": (-(2**31), 2**31 - 1),
    "UInt32Value": (0, 2**32 - 1),
    "Int64Value": (-(2**63), 2**63 - 1),
    "UInt64Value": (0, 2**64 - 1),
}


def _bad(name: str, detail: str) -> AnyTypeError:
    return AnyTypeError(f"invalid {name} value: {detail}")


def _duration(value: Any) -> Duration:
    try:
        return Duration.parse(value)
    except DurationError as exc:
        raise _bad("google.protobuf.Duration", str(exc)) from exc


def _timestamp(value: Any) -> Timestamp:
    try:
        return Timestamp.parse(value)
    except TimestampError as exc:
        raise _bad("google.protobuf.Timestamp", str(exc)) from exc


def _struct(value: Any) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise _bad("google.protobuf.Struct", "expected a JSON object")
    copied: dict[str, Any] = _json_copy(dict(value))
    return copied


def _list_value(value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise _bad("google.protobuf.ListValue", "expected a JSON array")
    copied: list[Any] = _json_copy(value)
    return copied


_FLOAT_WORDS = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


def _float(value: Any, name: str = "DoubleValue") -> float:
    # proto3 JSON writes non-finite floats as strings and accepts numeric strings.
    if isinstance(value, bool):
        raise _bad(_PROTOBUF + name, "expected a number, got a boolean")
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        if value in _FLOAT_WORDS:
            return _FLOAT_WORDS[value]
        if re.fullmatch(r"-?[0-9]+(\.[0-9]*)?([eE][+-]?[0-9]+)?", value.strip()):
            return float(value)
    raise _bad(_PROTOBUF + name, f"expected a number, got {_kind(value)}")


def _integer(value: Any, name: str) -> int:
    number = integer(value)
    if number is None:
        raise _bad(_PROTOBUF + name, f"expected an integer, got {_kind(value)}")
    low, high = _INT_RANGES[name]
    if not low <= number <= high:
        raise _bad(_PROTOBUF + name, f"{number} is out of range")
    return number


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise _bad("google.protobuf.BoolValue", f"expected true or false, got {_kind(value)}")
    return value


def _string(value: Any) -> str:
    if not isinstance(value, str):
        raise _bad("google.protobuf.StringValue", f"expected a string, got {_kind(value)}")
    return value


def _bytes(value: Any) -> bytes:
    # proto3 JSON writes standard base64 and accepts URL-safe, with or without padding.
    if not isinstance(value, str):
        raise _bad("google.protobuf.BytesValue", f"expected base64 text, got {_kind(value)}")
    text = value.strip().replace("-", "+").replace("_", "/")
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise _bad("google.protobuf.BytesValue", "not base64") from exc


_CAMEL_HUMP = re.compile(r"([A-Z])")


def _field_mask(value: Any) -> list[str]:
    # JSON carries "a.fooBar,b"; proto paths are snake_case ("a.foo_bar", "b").
    if not isinstance(value, str):
        raise _bad("google.protobuf.FieldMask", f"expected a string, got {_kind(value)}")
    paths = [p.strip() for p in value.split(",") if p.strip()]
    return [_CAMEL_HUMP.sub(lambda m: "_" + m.group(1).lower(), p) for p in paths]


def _kind(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def _empty(value: Any) -> None:
    return None


# Default values when "value" is absent (proto3 omits defaults).
_DEFAULTS: dict[str, Any] = {
    "DoubleValue": 0,
    "FloatValue": 0,
    "Int64Value": 0,
    "UInt64Value": 0,
    "Int32Value": 0,
    "UInt32Value": 0,
    "BoolValue": False,
    "StringValue": "",
    "BytesValue": "",
    "Struct": {},
    "ListValue": [],
    "FieldMask": "",
}

_UNPACKERS: dict[str, Callable[[Any], Any]] = {
    "Duration": _duration,
    "Timestamp": _timestamp,
    "Struct": _struct,
    "Value": _json_copy,
    "ListValue": _list_value,
    "DoubleValue": _float,
    "FloatValue": lambda v: _float(v, "FloatValue"),
    "Int64Value": lambda v: _integer(v, "Int64Value"),
    "UInt64Value": lambda v: _integer(v, "UInt64Value"),
    "Int32Value": lambda v: _integer(v, "Int32Value"),
    "UInt32Value": lambda v: _integer(v, "UInt32Value"),
    "BoolValue": _bool,
    "StringValue": _string,
    "BytesValue": _bytes,
    "Empty": _empty,
    "FieldMask": _field_mask,
}

#: Full names of the well-known types :func:`unpack_well_known` understands.
WELL_KNOWN_TYPES = frozenset(_PROTOBUF + short for short in (*_UNPACKERS, "Any"))


def is_well_known(name: str) -> bool:
    """Whether a message name or type URL is a well-known type with a special JSON form."""
    return isinstance(name, str) and type_name(name) in WELL_KNOWN_TYPES


def _type_of(value: Any) -> str | None:
    if not isinstance(value, Mapping):
        raise AnyTypeError(f"an Any must be a JSON object, got {_kind(value)}")
    url = value.get("@type")
    if url is None:
        return None
    if not isinstance(url, str):
        raise AnyTypeError(f"an Any's @type must be a string, got {_kind(url)}")
    return type_name(url)


def unpack_well_known(value: Mapping[str, Any]) -> Any:
    """Unpack an Any of a well-known type into a plain Python value.

    ============================  ============================================
    ``google.protobuf.``          Python value
    ============================  ============================================
    Duration                      :class:`lro.Duration`
    Timestamp                     :class:`lro.Timestamp`
    Struct / Value / ListValue    ``dict`` / any JSON value / ``list`` (copies)
    DoubleValue, FloatValue       ``float`` (``"NaN"``, ``"Infinity"`` accepted)
    (U)Int32Value, (U)Int64Value  ``int`` (range-checked; int64 from strings)
    BoolValue / StringValue       ``bool`` / ``str``
    BytesValue                    ``bytes`` (from base64)
    Empty                         ``None``
    FieldMask                     ``list[str]`` of snake_case paths
    Any                           the inner Any, unpacked by :func:`unpack` (at
                                  most :data:`MAX_ANY_DEPTH` Anys deep)
    ============================  ============================================

    Raises:
        AnyTypeError: if ``@type`` is missing or not a well-known type, or the value
            does not fit the type.
    """
    name = _type_of(value)
    if name is None or name not in WELL_KNOWN_TYPES:
        raise AnyTypeError(f"not a well-known type: {name or 'no @type'}")
    return _well_known(name, value)


def _well_known(name: str, value: Mapping[str, Any]) -> Any:
    short = name[len(_PROTOBUF) :]
    if short == "Any":
        return unpack(_unwrapped(value))
    inner = value.get("value", _DEFAULTS.get(short))
    if inner is None and short not in ("Value", "Empty"):
        raise _bad(name, "no value")
    return _UNPACKERS[short](inner)


def _unwrapped(value: Mapping[str, Any]) -> Mapping[str, Any]:
    """The innermost Any of a ``google.protobuf.Any`` wrapping Anys, peeled in a loop.

    Raises:
        AnyTypeError: a value that is not an Any, or more than :data:`MAX_ANY_DEPTH`
            wrappers.
    """
    for _ in range(MAX_ANY_DEPTH):
        inner = cast("Mapping[str, Any]", value.get("value"))  # _type_of checks it is one
        if _type_of(inner) != _PROTOBUF + "Any":
            return inner
        value = inner
    raise AnyTypeError(f"an Any nests google.protobuf.Any more than {MAX_ANY_DEPTH} deep")


def unpack(value: Mapping[str, Any], model: Any = None) -> Any:
    """Unpack an Any, into ``model`` when given.

    Without ``model``: a well-known type gives its Python value (see
    :func:`unpack_well_known`), a registered type gives an instance of its model, and
    any other type gives a copy of the dict (``@type`` included). Unknown types never fail.

    With ``model`` (a pydantic model, or anything pydantic's ``TypeAdapter`` validates):
    if both the Any's ``@type`` and the model's declared name (``__lro_type__`` or the
    registry) are known they must match; then the fields other than ``@type`` (or a
    well-known type's value) are validated into the model. As protobuf's JSON parser
    does, a field is read under its JSON name (``outputUri``) or its original one
    (``output_uri``), whichever the model spells (pydantic models and dataclasses,
    nested ones, lists and dicts of them included).

    Raises:
        AnyTypeError: on a type mismatch, a malformed Any, Anys nested more than
            :data:`MAX_ANY_DEPTH` deep, or data that fails validation (the message names
            the model, the first problems and the keys it saw).
    """
    name = _type_of(value)
    if model is None:
        return _unpack_default(value, name)
    expected = declared_type_name(model)
    if name is not None and expected is not None and name != expected:
        raise AnyTypeError(f"expected an Any of type {expected}, got {name}")
    if model in (Duration, Timestamp):
        # Our own time types are not pydantic-validatable; they come from the WKT form.
        return _well_known(expected or "", value)
    if name is not None and name in WELL_KNOWN_TYPES:
        return _validate(model, _well_known(name, value), name)
    fields = {k: v for k, v in value.items() if k != "@type"}
    return _validate(model, fields, name)


def _unpack_default(value: Mapping[str, Any], name: str | None) -> Any:
    if name is not None and name in WELL_KNOWN_TYPES:
        return unpack_well_known(value)
    model = _REGISTRY.get(name) if name is not None else None
    if model is not None:
        return _validate(model, {k: v for k, v in value.items() if k != "@type"}, name)
    return _json_copy(dict(value))


def _validate(model: Any, data: Any, name: str | None) -> Any:
    """Validate ``data`` into ``model`` with pydantic, turning failures into AnyTypeError."""
    from pydantic import BaseModel, ValidationError

    label = getattr(model, "__name__", None) or repr(model)
    matched = _proto_keys(model, data, _KEY_DEPTH)
    try:
        if isinstance(model, type) and issubclass(model, BaseModel):
            return model.model_validate(matched)
        return _adapter(model).validate_python(matched)
    except ValidationError as exc:
        # Not chained: pydantic's text echoes the input values, which may be sensitive.
        raise AnyTypeError(_validation_message(exc, label, name) + _keys_seen(data)) from None


# ---------------------------------------------------------------------------------------
# Field names as protobuf's JSON parser reads them: JSON name or original name

#: Nesting depth to which keys are matched to a model's fields (deeper data is left as is).
_KEY_DEPTH = 32
_SHOWN_KEYS = 12


def _camel(name: str) -> str:
    """protobuf's JSON name of a field: ``output_uri`` -> ``outputUri``."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _snake(name: str) -> str:
    """The original (snake_case) name of a JSON name: ``outputUri`` -> ``output_uri``."""
    return _CAMEL_HUMP.sub(lambda m: "_" + m.group(1).lower(), name)


def _fields(model: Any) -> dict[str, tuple[str, Any]] | None:
    """Each spelling a model's field may arrive under -> (the key the model reads, the
    field's type); None when ``model`` is not a pydantic model or a dataclass."""
    import dataclasses

    found: list[tuple[list[str], str, Any]] = []
    if isinstance(model, type) and dataclasses.is_dataclass(model):
        import typing

        try:
            hints = typing.get_type_hints(model)
        except Exception:  # unresolvable annotations: match the names, not the nesting
            hints = {}
        for f in dataclasses.fields(model):
            found.append(([f.name], f.name, hints.get(f.name)))
    else:
        from pydantic import BaseModel

        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return None
        for field_name, info in model.model_fields.items():
            alias = info.validation_alias if isinstance(info.validation_alias, str) else None
            key = alias or info.alias or field_name
            found.append(([field_name, key], key, info.annotation))
    spellings: dict[str, tuple[str, Any]] = {}
    for names, key, annotation in found:
        for known in names:
            for spelling in (_camel(known), _snake(known)):
                spellings.setdefault(spelling, (key, annotation))
    for names, key, annotation in found:  # the exact names win over derived spellings
        for known in names:
            spellings[known] = (key, annotation)
    return spellings


def _proto_keys(model: Any, data: Any, depth: int) -> Any:
    """``data`` with each key renamed to the one ``model`` reads when it arrived under the
    other spelling (camelCase / snake_case), through nested models, lists and dicts."""
    import typing

    if depth <= 0 or model is None:
        return data
    origin = typing.get_origin(model)
    if origin is typing.Annotated:
        return _proto_keys(typing.get_args(model)[0], data, depth - 1)
    if origin is not None:
        args = [a for a in typing.get_args(model) if a is not type(None)]
        if isinstance(data, list) and origin in (list, tuple, set, frozenset):
            inner = args[0] if args else None
            return [_proto_keys(inner, item, depth - 1) for item in data]
        if isinstance(data, Mapping) and origin is dict and len(args) == 2:
            return {k: _proto_keys(args[1], v, depth - 1) for k, v in data.items()}
        if len(args) == 1:  # Optional[X]
            return _proto_keys(args[0], data, depth - 1)
        return data
    if not isinstance(data, Mapping):
        return data
    fields = _fields(model)
    if fields is None:
        return data
    renamed: dict[Any, Any] = {}
    for key, value in data.items():
        target = fields.get(key) if isinstance(key, str) else None
        if target is None or (target[0] != key and target[0] in data):
            renamed[key] = value  # unknown, or the model's own spelling is there as well
        else:
            renamed[target[0]] = _proto_keys(target[1], value, depth - 1)
    return renamed


def _keys_seen(data: Any) -> str:
    """`` (keys seen: 'a', 'b')``: what the data had, so a naming mismatch shows."""
    if not isinstance(data, Mapping):
        return ""
    keys = [repr(str(k)[:40]) for k in list(data)[:_SHOWN_KEYS]]
    more = f" (+{len(data) - _SHOWN_KEYS} more)" if len(data) > _SHOWN_KEYS else ""
    return f" (keys seen: {', '.join(keys) or 'none'}{more})"


_ADAPTERS: dict[Any, Any] = {}


def _adapter(model: Any) -> Any:
    """A cached pydantic TypeAdapter: building one costs far more than validating."""
    from pydantic import TypeAdapter

    try:
        adapter = _ADAPTERS.get(model)
    except TypeError:  # an unhashable type expression: build one each time
        return TypeAdapter(model)
    if adapter is None:
        adapter = _ADAPTERS[model] = TypeAdapter(model)
    return adapter


def _validation_message(exc: Any, label: str, name: str | None) -> str:
    """Name the model and the first few problems, without echoing the input values."""
    problems = exc.errors(include_url=False, include_input=False)
    shown = []
    for problem in problems[:3]:
        where = ".".join(str(part) for part in problem.get("loc", ())) or "(root)"
        shown.append(f"{where}: {problem.get('msg', 'invalid')}")
    more = f" (+{len(problems) - 3} more)" if len(problems) > 3 else ""
    source = f" from {name}" if name else ""
    return f"cannot unpack {label}{source}: {'; '.join(shown)}{more}"

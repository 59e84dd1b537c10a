"""Any: type URLs, the registry, unpacking into models, well-known types."""

from __future__ import annotations

import dataclasses
import math
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pydantic
import pytest
from typing_extensions import TypedDict

from lro._core import anys
from lro._core.anys import (
    declared_type_name,
    is_well_known,
    register_type,
    registered_type,
    type_name,
    type_url,
    unpack,
    unpack_well_known,
)
from lro._core.timestamps import Duration, Timestamp
from lro.errors import AnyTypeError, Code, Error

PB = "type.googleapis.com/google.protobuf."
WRAPPER = Path(__file__).resolve().parents[2] / "wrapper"


class ExportMetadata(pydantic.BaseModel):
    __lro_type__ = "example.v1.ExportMetadata"

    progress_percent: int = pydantic.Field(alias="progressPercent")
    target: str = ""


class Untyped(pydantic.BaseModel):
    count: int


class Point(TypedDict):
    x: int
    y: int


@pytest.fixture(autouse=True)
def clean_registry() -> Iterator[None]:
    saved = dict(anys._REGISTRY)
    yield
    anys._REGISTRY.clear()
    anys._REGISTRY.update(saved)


# -- type URLs and the registry -----------------------------------------------------------


def test_type_name_and_url() -> None:
    assert type_name("type.googleapis.com/google.protobuf.Duration") == "google.protobuf.Duration"
    assert type_name("example.com/a/b/pkg.Msg") == "pkg.Msg"
    assert type_name("pkg.Msg") == "pkg.Msg"
    assert type_name("trailing/") == ""
    assert type_url("pkg.Msg") == "type.googleapis.com/pkg.Msg"
    assert type_url("example.com/pkg.Msg") == "example.com/pkg.Msg"


def test_register_and_lookup() -> None:
    assert registered_type("acme.Thing") is None
    assert register_type("type.googleapis.com/acme.Thing", Untyped) is Untyped
    assert registered_type("acme.Thing") is Untyped
    assert registered_type("other.host/acme.Thing") is Untyped
    assert declared_type_name(Untyped) == "acme.Thing"
    assert registered_type(5) is None  # type: ignore[arg-type]


def test_register_as_decorator() -> None:
    @register_type("acme.Decorated")
    class Decorated(pydantic.BaseModel):
        a: int

    assert registered_type("acme.Decorated") is Decorated
    with pytest.raises(TypeError):
        register_type("", Decorated)


def test_declared_type_name() -> None:
    assert declared_type_name(ExportMetadata) == "example.v1.ExportMetadata"
    assert declared_type_name(Duration) == "google.protobuf.Duration"
    assert declared_type_name(Timestamp) == "google.protobuf.Timestamp"
    assert declared_type_name(Untyped) is None
    assert declared_type_name(int) is None


# -- unpacking into models ----------------------------------------------------------------


def test_unpack_into_declared_model() -> None:
    value = {"@type": "type.googleapis.com/example.v1.ExportMetadata", "progressPercent": 40}
    meta = unpack(value, ExportMetadata)
    assert isinstance(meta, ExportMetadata) and meta.progress_percent == 40


def test_unpack_type_mismatch() -> None:
    value = {"@type": "type.googleapis.com/example.v1.Other", "progressPercent": 40}
    with pytest.raises(AnyTypeError, match=r"expected an Any of type example\.v1\.ExportMetadata"):
        unpack(value, ExportMetadata)
    with pytest.raises(AnyTypeError):
        unpack({"@type": PB + "Timestamp", "value": "2024-01-01T00:00:00Z"}, Duration)


def test_unpack_without_declared_name_or_type_url() -> None:
    assert unpack({"@type": "type.googleapis.com/any.Thing", "count": "3"}, Untyped).count == 3
    assert unpack({"progressPercent": 1}, ExportMetadata).progress_percent == 1


def test_unpack_uses_registered_model_by_default() -> None:
    register_type("acme.Counter", Untyped)
    result = unpack({"@type": "type.googleapis.com/acme.Counter", "count": 2})
    assert isinstance(result, Untyped) and result.count == 2


def test_validation_error_is_converted() -> None:
    value = {"@type": "type.googleapis.com/acme.X", "count": "not-a-number-secret"}
    with pytest.raises(AnyTypeError) as info:
        unpack(value, Untyped)
    message = str(info.value)
    assert "Untyped" in message and "acme.X" in message and "count" in message
    assert "not-a-number-secret" not in message  # inputs are not echoed
    assert info.value.code is Code.INVALID_ARGUMENT
    assert info.value.__cause__ is None and info.value.__suppress_context__


def test_validation_error_lists_first_three_problems() -> None:
    class Many(pydantic.BaseModel):
        a: int
        b: int
        c: int
        d: int
        e: int

    with pytest.raises(AnyTypeError, match=r"\(\+2 more\)"):
        unpack({}, Many)


def test_unpack_with_type_adapter_targets() -> None:
    assert unpack({"x": 1, "y": "2"}, Point) == {"x": 1, "y": 2}
    listed = {"@type": PB + "ListValue", "value": [1, "2"]}
    assert unpack(listed, list[int]) == [1, 2]
    wrapped = {"@type": PB + "Int64Value", "value": "9007199254740993"}
    assert unpack(wrapped, int) == 9007199254740993
    with pytest.raises(AnyTypeError):
        unpack({"@type": PB + "StringValue", "value": "x"}, int)


def test_unpack_duration_and_timestamp_models() -> None:
    assert unpack({"@type": PB + "Duration", "value": "1.5s"}, Duration) == Duration.parse("1.5s")
    assert unpack({"value": "1.5s"}, Duration) == Duration.parse("1.5s")
    stamp = unpack({"@type": PB + "Timestamp", "value": "2024-01-01T00:00:00Z"}, Timestamp)
    assert stamp == Timestamp.parse("2024-01-01T00:00:00Z")


def test_unknown_types_stay_dicts() -> None:
    value: dict[str, Any] = {"@type": "type.googleapis.com/acme.Unknown", "nested": {"a": [1]}}
    result = unpack(value)
    assert result == value and result is not value
    result["nested"]["a"].append(2)
    assert value["nested"]["a"] == [1]  # a deep copy
    assert unpack({"no": "type"}) == {"no": "type"}


@pytest.mark.parametrize("value", [None, "x", 5, [1], {"@type": 5}])
def test_malformed_any(value: Any) -> None:
    with pytest.raises(AnyTypeError):
        unpack(value)


@pytest.mark.slow  # a fresh Python process: what importing lro loads
def test_pydantic_is_not_imported_by_lro_anys() -> None:
    code = "import sys, lro._core.anys, lro._core.snapshot; print('pydantic' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(WRAPPER)},
        check=True,
    )
    assert out.stdout.strip() == "False"


# -- well-known types ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("short", "value", "expected"),
    [
        ("Duration", "1.5s", Duration(1, 500_000_000)),
        ("Timestamp", "2024-01-01T00:00:00.5Z", Timestamp(1_704_067_200, 500_000_000)),
        ("Struct", {"a": {"b": [1, None]}}, {"a": {"b": [1, None]}}),
        ("Value", [1, "x", None, {"k": True}], [1, "x", None, {"k": True}]),
        ("Value", None, None),
        ("Value", 3.5, 3.5),
        ("ListValue", [1, [2]], [1, [2]]),
        ("DoubleValue", 1.25, 1.25),
        ("DoubleValue", 3, 3.0),
        ("DoubleValue", "1e3", 1000.0),
        ("DoubleValue", "Infinity", math.inf),
        ("DoubleValue", "-Infinity", -math.inf),
        ("FloatValue", "2.5", 2.5),
        ("Int64Value", "-9223372036854775808", -(2**63)),
        ("Int64Value", 42, 42),
        ("UInt64Value", "18446744073709551615", 2**64 - 1),
        ("Int32Value", -5, -5),
        ("Int32Value", 7.0, 7),
        ("Int32Value", "12", 12),
        ("UInt32Value", 4294967295, 2**32 - 1),
        ("BoolValue", True, True),
        ("StringValue", "héllo", "héllo"),
        ("StringValue", "", ""),
        ("BytesValue", "aGk=", b"hi"),
        ("BytesValue", "aGk", b"hi"),
        ("BytesValue", "-_8=", b"\xfb\xff"),
        ("BytesValue", "+/8=", b"\xfb\xff"),
        ("FieldMask", "a.fooBar,bazQux", ["a.foo_bar", "baz_qux"]),
        ("FieldMask", "", []),
    ],
)
def test_unpack_well_known(short: str, value: Any, expected: Any) -> None:
    packed = {"@type": PB + short, "value": value}
    assert unpack_well_known(packed) == expected
    assert unpack(packed) == expected
    assert is_well_known(PB + short) and is_well_known("google.protobuf." + short)


def test_nan_double() -> None:
    assert math.isnan(unpack_well_known({"@type": PB + "DoubleValue", "value": "NaN"}))


@pytest.mark.parametrize(
    ("short", "default"),
    [
        ("Int64Value", 0),
        ("BoolValue", False),
        ("StringValue", ""),
        ("BytesValue", b""),
        ("DoubleValue", 0.0),
        ("Struct", {}),
        ("ListValue", []),
        ("FieldMask", []),
    ],
)
def test_absent_value_is_the_default(short: str, default: Any) -> None:
    assert unpack_well_known({"@type": PB + short}) == default


def test_empty_is_none() -> None:
    assert unpack_well_known({"@type": PB + "Empty"}) is None
    assert unpack({"@type": PB + "Empty"}) is None


def test_nested_any() -> None:
    inner = {"@type": PB + "StringValue", "value": "deep"}
    assert unpack_well_known({"@type": PB + "Any", "value": inner}) == "deep"


@pytest.mark.parametrize(
    ("short", "value"),
    [
        ("Duration", "PT1S"),
        ("Duration", 1.5),
        ("Duration", None),
        ("Timestamp", "yesterday"),
        ("Struct", [1]),
        ("ListValue", {"a": 1}),
        ("DoubleValue", True),
        ("DoubleValue", "fast"),
        ("DoubleValue", [1.0]),
        ("Int32Value", 2**31),
        ("UInt32Value", -1),
        ("Int64Value", "1.5"),
        ("Int64Value", 1.5),
        ("Int64Value", "9223372036854775808"),
        ("UInt64Value", "-1"),
        ("Int64Value", True),
        ("BoolValue", "true"),
        ("BoolValue", 1),
        ("StringValue", 5),
        ("BytesValue", "not base64!"),
        ("BytesValue", 12),
        ("FieldMask", ["a"]),
        ("Any", "x"),
    ],
)
def test_well_known_rejects(short: str, value: Any) -> None:
    with pytest.raises(AnyTypeError) as info:
        unpack_well_known({"@type": PB + short, "value": value})
    assert isinstance(info.value, Error)


def test_unpack_well_known_needs_a_well_known_type() -> None:
    with pytest.raises(AnyTypeError, match=r"not a well-known type: acme\.X"):
        unpack_well_known({"@type": "type.googleapis.com/acme.X"})
    with pytest.raises(AnyTypeError, match="no @type"):
        unpack_well_known({"value": 1})
    assert not is_well_known("acme.X") and not is_well_known(5)  # type: ignore[arg-type]


def test_struct_results_are_copies() -> None:
    struct = {"a": [1]}
    out = unpack_well_known({"@type": PB + "Struct", "value": struct})
    out["a"].append(2)
    assert struct == {"a": [1]}


# -- proto3 JSON names: lowerCamelCase or original snake_case, as protobuf reads them ------


class Output(pydantic.BaseModel):
    output_uri: str
    row_count: int = 0


class Report(pydantic.BaseModel):
    main_output: Output
    extra_outputs: list[Output] = []
    by_region: dict[str, Output] = {}
    maybe_output: Output | None = None


class CamelFields(pydantic.BaseModel):
    outputUri: str  # a model written with the JSON names


@dataclasses.dataclass
class OutputRecord:
    output_uri: str
    row_count: int = 0


@dataclasses.dataclass
class ReportRecord:
    main_output: OutputRecord
    extra_outputs: list[OutputRecord] = dataclasses.field(default_factory=list)


CAMEL = {"@type": "type.googleapis.com/acme.Report", "outputUri": "gs://b/o", "rowCount": "7"}


@pytest.mark.parametrize("model", [Output, OutputRecord])
def test_snake_case_models_read_the_json_names(model: Any) -> None:
    got = unpack(CAMEL, model)
    assert (got.output_uri, got.row_count) == ("gs://b/o", 7)


@pytest.mark.parametrize("model", [Output, OutputRecord])
def test_snake_case_models_read_the_original_names(model: Any) -> None:
    got = unpack({"output_uri": "gs://b/o", "row_count": 3}, model)
    assert (got.output_uri, got.row_count) == ("gs://b/o", 3)


def test_camel_case_models_read_both_names() -> None:
    assert unpack({"outputUri": "a"}, CamelFields).outputUri == "a"
    assert unpack({"output_uri": "b"}, CamelFields).outputUri == "b"


def test_names_are_matched_through_nested_models_lists_dicts_and_optionals() -> None:
    nested = {"outputUri": "n", "rowCount": 1}
    got = unpack(
        {
            "mainOutput": nested,
            "extraOutputs": [nested, {"output_uri": "s"}],
            "byRegion": {"eu": nested},
            "maybeOutput": nested,
        },
        Report,
    )
    assert got.main_output.output_uri == "n"
    assert [o.output_uri for o in got.extra_outputs] == ["n", "s"]
    assert got.by_region["eu"].row_count == 1
    assert got.maybe_output is not None and got.maybe_output.output_uri == "n"
    record = unpack({"mainOutput": nested, "extraOutputs": [nested]}, ReportRecord)
    assert record.main_output == OutputRecord("n", 1)
    assert record.extra_outputs == [OutputRecord("n", 1)]


def test_an_alias_keeps_its_meaning_and_both_spellings_of_it_are_read() -> None:
    assert unpack({"progressPercent": 5}, ExportMetadata).progress_percent == 5
    assert unpack({"progress_percent": 6}, ExportMetadata).progress_percent == 6


def test_the_model_s_own_spelling_wins_when_both_are_sent() -> None:
    got = unpack({"output_uri": "own", "outputUri": "other"}, Output)
    assert got.output_uri == "own"


def test_an_unpacking_error_names_the_keys_it_saw() -> None:
    with pytest.raises(AnyTypeError) as caught:
        unpack({"@type": "type.googleapis.com/acme.X", "uri": "x", "count": 1}, Output)
    message = str(caught.value)
    assert "output_uri: Field required" in message
    assert "(keys seen: 'uri', 'count')" in message


def test_keys_seen_are_escaped_and_capped() -> None:
    data = {f"k{i}": i for i in range(40)} | {"\x1b[31mred": 1}
    with pytest.raises(AnyTypeError) as caught:
        unpack(data, Output)
    message = str(caught.value)
    assert "\x1b" not in message
    assert "(+29 more)" in message


def test_deep_data_is_matched_to_a_bound_and_never_recurses_without_end() -> None:
    class Node(pydantic.BaseModel):
        child_node: Node | None = None

    data: dict[str, Any] = {}
    for _ in range(200):
        data = {"childNode": data}
    got = unpack(data, Node)  # matched to a depth, the rest left as sent (ignored extras)
    depth = 0
    while got.child_node is not None:
        got, depth = got.child_node, depth + 1
    assert 16 <= depth < 200

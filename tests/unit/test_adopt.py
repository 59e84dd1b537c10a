"""Client.adopt's one conversion (lro._core.adopt.operation_json): every accepted form, and
hostile values, which raise lro.InvalidArgument, never a bare exception. No I/O here: the
parity suite adopts against the reference server through both clients."""

from __future__ import annotations

import datetime as dt
import enum
import json
from collections.abc import Iterator, Mapping
from typing import Any

import pydantic
import pytest
from google.longrunning import operations_pb2
from google.protobuf import any_pb2, struct_pb2
from google.rpc import status_pb2

import lro
from lro._core import adopt
from lro._core.adopt import operation_json
from lro_api.models import V1Operation

NAME = "projects/p/locations/us-central1/operations/0123456789abcdef"
META = {"@type": "type.googleapis.com/acme.Meta", "step": 2}


def test_a_dict_is_copied_not_shared() -> None:
    given = {"name": NAME, "metadata": dict(META), "futureField": [1, {"a": None}]}
    got = operation_json(given)
    assert got == given
    got["metadata"]["step"] = 99
    assert given["metadata"]["step"] == 2


def test_json_text_and_bytes() -> None:
    text = json.dumps({"name": NAME, "done": True, "response": META})
    assert operation_json(text)["response"] == META
    assert operation_json(text.encode())["done"] is True


def test_an_openapi_generator_model_keeps_its_json_names_and_timestamps() -> None:
    model = V1Operation.from_dict(
        {"name": NAME, "createTime": "2026-01-02T03:04:05.123456Z", "creator": "alice"}
    )
    got = operation_json(model)
    assert got["createTime"] == "2026-01-02T03:04:05.123456Z" and got["creator"] == "alice"
    assert lro.Operation.from_dict(got).create_time == lro.Timestamp.parse(got["createTime"])


def test_a_pydantic_model_is_dumped_by_its_aliases_with_enums_as_values() -> None:
    class State(enum.Enum):
        RUNNING = "RUNNING"

    class Held(pydantic.BaseModel):
        name: str
        done: bool = False
        metadata: dict[str, Any] | None = None
        state: State = State.RUNNING

    got = operation_json(Held(name=NAME, metadata={"x": 1}))
    assert got == {"name": NAME, "done": False, "metadata": {"x": 1}, "state": "RUNNING"}


def test_a_plain_object_with_to_dict_and_datetimes() -> None:
    class Legacy:
        def to_dict(self) -> dict[str, Any]:
            when = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)
            return {"name": NAME, "updateTime": when, "tags": ("a", "b"), "view": View.BASIC}

    class View(enum.Enum):
        BASIC = "OPERATION_VIEW_BASIC"

    assert operation_json(Legacy()) == {
        "name": NAME,
        "updateTime": "2026-01-02T03:04:05Z",
        "tags": ["a", "b"],
        "view": "OPERATION_VIEW_BASIC",
    }


def test_a_gapic_protobuf_operation_reads_as_proto3_json() -> None:
    metadata = any_pb2.Any()
    metadata.Pack(struct_pb2.Struct(fields={"step": struct_pb2.Value(number_value=2)}))
    message = operations_pb2.Operation(
        name=NAME, done=True, metadata=metadata, error=status_pb2.Status(code=5, message="gone")
    )
    got = operation_json(message)
    assert got["name"] == NAME and got["done"] is True
    assert got["metadata"] == {
        "@type": "type.googleapis.com/google.protobuf.Struct",
        "value": {"step": 2.0},
    }
    op = lro.Operation.from_dict(got)
    with pytest.raises(lro.NotFound, match="gone"):
        op.result()


def test_an_object_holding_a_protobuf_operation() -> None:
    class Future:  # google.api_core.operation.Operation keeps the message here
        operation = operations_pb2.Operation(name=NAME)

    assert operation_json(Future()) == {"name": NAME}


def test_a_protobuf_any_of_an_unknown_type_is_refused_clearly() -> None:
    metadata = any_pb2.Any(type_url="type.googleapis.com/acme.Unknown", value=b"\x08\x01")
    with pytest.raises(lro.InvalidArgument, match="cannot adopt a Operation"):
        operation_json(operations_pb2.Operation(name=NAME, metadata=metadata))


def test_an_lro_operation_is_taken_as_it_is() -> None:
    op = lro.Operation.from_dict({"name": NAME, "metadata": META})
    assert operation_json(op) == op.to_dict()


# -- hostile values --------------------------------------------------------------------------


class Boom(Exception):
    pass


class Raises:
    def to_dict(self) -> dict[str, Any]:
        raise Boom("no")


class HostileAttributes:
    def __getattr__(self, name: str) -> Any:
        raise Boom(name)


class DumpsAList:
    def model_dump(self) -> list[Any]:
        return [1, 2]


class HostileMapping(Mapping[str, Any]):
    def __getitem__(self, key: str) -> Any:
        raise Boom(key)

    def __iter__(self) -> Iterator[str]:
        return iter(["name"])

    def __len__(self) -> int:
        return 1


class HostileInt(int):
    def __int__(self) -> int:
        raise Boom("int")


def _deep(levels: int) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for _ in range(levels):
        data = {"x": data}
    return data


def _cycle() -> dict[str, Any]:
    data: dict[str, Any] = {"name": NAME}
    data["self"] = data
    return data


@pytest.mark.parametrize(
    ("value", "says"),
    [
        (None, "cannot adopt a NoneType"),
        (5, "cannot adopt a int"),
        (object(), "cannot adopt a object"),
        (HostileAttributes(), "cannot adopt a HostileAttributes"),
        (Raises(), r"Raises.to_dict\(\) failed \(Boom\)"),
        (DumpsAList(), "must be a JSON object, got list"),
        ("not json", "not JSON"),
        ("[" * 100_000, "not JSON"),
        ("[1]", "must be a JSON object, got list"),
        ({}, "without a name"),
        ({"name": ""}, "without a name"),
        ({"name": 5}, "must be a string"),
        ({"name": "operations"}, "a collection"),
        ({"name": NAME, "done": "yes"}, "done must be true or false"),
        ({"name": NAME, "metadata": [1]}, "metadata must be a JSON object"),
        ({"name": NAME, "error": "bad"}, "error must be a JSON object"),
        ({"name": NAME, "response": {}, "error": {"code": 2}}, "not both"),
        ({"name": NAME, 1: "x"}, "key that is not a string"),
        ({"name": NAME, "x": float("nan")}, "not JSON"),
        ({"name": NAME, "x": {1, 2}}, "is a set"),
        ({"name": NAME, "deep": _deep(500)}, "nested deeper than 100"),
        (_cycle(), "nested deeper than 100"),
        (HostileMapping(), r"reading it failed \(Boom\)"),
        ({"name": NAME, "n": HostileInt(3)}, r"reading it failed \(Boom\)"),
        (json.dumps({"name": NAME, "deep": _deep(500)}), "nested deeper than 100"),
    ],
    ids=lambda v: type(v).__name__,
)
def test_hostile_values_raise_invalid_argument(value: Any, says: str) -> None:
    with pytest.raises(lro.InvalidArgument, match=says):
        operation_json(value)


def test_huge_text_and_too_many_values_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(adopt, "MAX_ADOPT_TEXT", 1000)
    monkeypatch.setattr(adopt, "MAX_ADOPT_VALUES", 500)
    with pytest.raises(lro.InvalidArgument, match="the limit is 1000"):
        operation_json(json.dumps({"name": NAME, "pad": "x" * 2000}))
    with pytest.raises(lro.InvalidArgument, match="more than 500 values"):
        operation_json({"name": NAME, "items": list(range(1000))})


def test_a_fake_protobuf_message_is_refused_as_an_lro_error() -> None:
    class Fake:
        DESCRIPTOR = object()

        def SerializeToString(self) -> bytes:
            return b""

    with pytest.raises(lro.InvalidArgument, match="cannot adopt a Fake"):
        operation_json(Fake())


def test_without_protobuf_a_message_is_refused_saying_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import importlib

    real = importlib.import_module

    def no_protobuf(name: str, package: str | None = None) -> Any:
        if name.startswith("google.protobuf"):
            raise ImportError(name)
        return real(name, package)

    monkeypatch.setattr(adopt.importlib, "import_module", no_protobuf)
    with pytest.raises(lro.InvalidArgument, match="needs the protobuf package"):
        operation_json(operations_pb2.Operation(name=NAME))


def test_a_to_dict_that_takes_arguments_is_refused_clearly() -> None:
    class Needy:
        def to_dict(self, required: str) -> dict[str, Any]:
            return {"name": NAME}

    with pytest.raises(lro.InvalidArgument, match=r"Needy.to_dict\(\) failed \(TypeError\)"):
        operation_json(Needy())

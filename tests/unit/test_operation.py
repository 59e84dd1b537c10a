"""Operation snapshots: fields, both views, lossless output, results, delegation."""

from __future__ import annotations

import asyncio
import copy
import json
import pickle
import threading
from typing import Any

import pydantic
import pytest

from lro import Operation, ResultCase, errors
from lro._core.timestamps import Duration, Timestamp
from lro._core.wait_policy import WaitPolicy
from lro.aio import AsyncOperation
from lro.errors import Code, InvalidResponse

PB = "type.googleapis.com/google.protobuf."
META = {"@type": "type.googleapis.com/example.v1.ExportMetadata", "progressPercent": 40}
RESPONSE = {"@type": "type.googleapis.com/example.v1.ExportResponse", "rows": "12"}
ERROR = {
    "code": 1,
    "message": "operation cancelled by alice",
    "details": [
        {
            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
            "reason": "OPERATION_CANCELLED",
            "domain": "lro.example",
            "metadata": {"name": "operations/c"},
        }
    ],
}
AUDITED = {
    "name": "operations/a",
    "metadata": META,
    "done": True,
    "response": RESPONSE,
    "createTime": "2024-01-01T00:00:00.123456789Z",
    "creator": "alice",
    "updateTime": "2024-01-01T00:00:10.500Z",
    "updater": "bob",
    "deleteTime": "2024-01-02T00:00:00Z",
    "deleter": "carol",
    "seenByCreatorTime": "2024-01-01T00:01:00Z",
    "futureField": {"kept": [1, 2.5, None]},
}


class ExportResponse(pydantic.BaseModel):
    __lro_type__ = "example.v1.ExportResponse"
    rows: int


class ExportMetadata(pydantic.BaseModel):
    __lro_type__ = "example.v1.ExportMetadata"
    progressPercent: int  # the wire name, as is


class FakeClient:
    """Records calls; returns what it is told to."""

    def __init__(self, final: Operation | None = None) -> None:
        self.calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []
        self.final = final

    def _record(self, method: str, *args: Any, **kwargs: Any) -> Any:
        self.calls.append((method, args, kwargs))
        return self.final

    def wait(self, name: str, **kwargs: Any) -> Any:
        return self._record("wait", name, **kwargs)

    def get(self, name: str) -> Any:
        return self._record("get", name)

    def cancel(self, name: str) -> Any:
        return self._record("cancel", name)

    def delete(self, name: str) -> Any:
        return self._record("delete", name)

    def mark_seen(self, name: str) -> Any:
        return self._record("mark_seen", name)

    def watch(self, name: str, **kwargs: Any) -> Any:
        self._record("watch", name, **kwargs)
        return iter(())


# -- construction -------------------------------------------------------------------------


def test_from_dict_keeps_the_dict() -> None:
    raw = {"name": "operations/x"}
    op = Operation.from_dict(raw)
    assert op._raw is raw  # no copy on the hot path
    assert op.to_dict() == raw and op.to_dict() is not raw
    assert Operation({"name": "operations/x"}) == op


def test_from_dict_accepts_mappings_and_rejects_others() -> None:
    from types import MappingProxyType

    assert Operation.from_dict(MappingProxyType({"name": "operations/m"})).name == "operations/m"
    bad_values: list[Any] = [None, [], "x", 5]
    for bad in bad_values:
        with pytest.raises(InvalidResponse, match="must be a JSON object"):
            Operation.from_dict(bad)


def test_from_json() -> None:
    op = Operation.from_json('{"name":"operations/j","done":true}')
    assert op.name == "operations/j" and op.done
    assert Operation.from_json(b'{"name":"operations/b"}').name == "operations/b"
    with pytest.raises(InvalidResponse, match="not valid JSON") as info:
        Operation.from_json('{"name": "operations/j"')
    assert info.value.raw == '{"name": "operations/j"'
    with pytest.raises(InvalidResponse):
        Operation.from_json("[1]")
    with pytest.raises(InvalidResponse):
        Operation.from_json(b"\xff")


# -- fields --------------------------------------------------------------------------------


def test_running_operation_defaults() -> None:
    op = Operation.from_dict({"name": "operations/r", "metadata": META})
    assert op.done is False
    assert op.error is None and op.response is None
    assert op.result_case is ResultCase.NONE
    assert op.exception() is None
    assert op.metadata == META and op.metadata_type == "example.v1.ExportMetadata"
    assert op.response_type is None
    assert op.progress == 0.4
    assert op.create_time is None and op.creator is None
    assert op.deleted is False and op.seen is False
    assert op.age is None and op.duration is None


def test_grpc_gateway_emits_every_field() -> None:
    raw = {"name": "operations/g", "metadata": None, "done": False, "error": None, "response": None}
    op = Operation.from_dict(raw)
    assert op.done is False and op.metadata is None and op.error is None
    assert op.result_case is ResultCase.NONE
    assert op.metadata_type is None


def test_empty_operation() -> None:
    op = Operation.from_dict({})
    assert op.name == "" and op.done is False
    assert repr(op) == "Operation(name='', done=False)"


def test_audited_fields() -> None:
    op = Operation.from_dict(AUDITED)
    assert op.create_time == Timestamp(1_704_067_200, 123_456_789)
    assert op.update_time == Timestamp(1_704_067_210, 500_000_000)
    assert op.delete_time is not None and op.deleted
    assert op.seen_by_creator_time is not None and op.seen
    assert (op.creator, op.updater, op.deleter) == ("alice", "bob", "carol")
    assert op.duration == Duration(10, 376_543_211)
    age = op.age
    assert age is not None and age > Duration(3600)


def test_snake_case_input() -> None:
    raw = {
        "name": "operations/s",
        "done": True,
        "response": RESPONSE,
        "create_time": "2024-01-01T00:00:00Z",
        "update_time": "2024-01-01T00:00:02Z",
        "delete_time": "2024-01-01T00:00:03Z",
        "seen_by_creator_time": "2024-01-01T00:00:04Z",
    }
    op = Operation.from_dict(raw)
    assert op.duration == Duration(2)
    assert op.deleted and op.seen


def test_duration_needs_done() -> None:
    op = Operation.from_dict({**AUDITED, "done": False})
    assert op.duration is None


def test_metadata_and_response_are_fresh_copies() -> None:
    op = Operation.from_dict(AUDITED)
    meta = op.metadata
    assert meta is not None
    meta["progressPercent"] = 99
    assert op.metadata == META
    response = op.response
    assert response is not None
    response["rows"] = "0"
    assert op.to_dict()["response"]["rows"] == "12"


def test_typed_access() -> None:
    op = Operation.from_dict(AUDITED)
    assert op.response_as(ExportResponse) == ExportResponse(rows=12)
    assert op.metadata_as(ExportMetadata) == ExportMetadata(progressPercent=40)
    with pytest.raises(errors.AnyTypeError):
        op.metadata_as(ExportResponse)
    running = Operation.from_dict({"name": "operations/r"})
    assert running.metadata_as(ExportMetadata) is None
    assert running.response_as(ExportResponse) is None


def test_error_is_typed() -> None:
    op = Operation.from_dict({"name": "operations/c", "done": True, "error": ERROR})
    error = op.error
    assert isinstance(error, errors.Cancelled)
    assert error.operation_name == "operations/c" and error.reason == "OPERATION_CANCELLED"
    assert op.exception() is error
    assert op.result_case is ResultCase.ERROR
    assert str(error) == "CANCELLED: operation cancelled by alice [reason=OPERATION_CANCELLED, " + (
        "name=operations/c]"
    )


def test_well_known_response() -> None:
    raw = {"name": "operations/w", "done": True, "response": {"@type": PB + "Empty"}}
    op = Operation.from_dict(raw)
    assert op.response_type == "google.protobuf.Empty"
    assert op.result() == {"@type": PB + "Empty"}
    duration = {"@type": PB + "Duration", "value": "2.5s"}
    op = Operation.from_dict({"name": "operations/d", "done": True, "response": duration})
    assert op.result(as_type=Duration) == Duration.parse("2.5s")
    with pytest.raises(errors.AnyTypeError, match="cannot unpack float"):
        op.response_as(float)


# -- result() -----------------------------------------------------------------------------


def test_result_of_success() -> None:
    op = Operation.from_dict(AUDITED)
    assert op.result() == RESPONSE
    assert op.result(as_type=ExportResponse).rows == 12


def test_result_raises_a_fresh_typed_error_each_time() -> None:
    op = Operation.from_dict({"name": "operations/c", "done": True, "error": ERROR})
    raised = []
    for _ in range(2):
        with pytest.raises(errors.Cancelled) as info:
            op.result()
        raised.append(info.value)
    assert raised[0] is not raised[1]
    assert raised[0].code is Code.CANCELLED


def test_result_unexpected_state() -> None:
    op = Operation.from_dict({"name": "operations/u", "done": True})
    assert op.result_case is ResultCase.NONE
    with pytest.raises(errors.UnexpectedState, match="neither error nor response"):
        op.result()


def test_result_not_done_unbound() -> None:
    op = Operation.from_dict({"name": "operations/n"})
    with pytest.raises(errors.NotDone, match="operations/n is not done") as info:
        op.result()
    assert info.value.code is Code.FAILED_PRECONDITION
    assert info.value.operation_name == "operations/n"


def test_result_not_done_waits_through_the_client() -> None:
    final = Operation.from_dict({"name": "operations/n", "done": True, "response": RESPONSE})
    client = FakeClient(final)
    op = Operation.from_dict({"name": "operations/n"}, client=client)
    policy = WaitPolicy(max_polls=3)
    assert op.result(30, as_type=ExportResponse, policy=policy).rows == 12
    assert client.calls == [("wait", ("operations/n",), {"timeout": 30, "policy": policy})]


def test_result_when_the_client_returns_a_running_snapshot() -> None:
    client = FakeClient(Operation.from_dict({"name": "operations/n"}, client=None))
    op = Operation.from_dict({"name": "operations/n"}, client=client)
    with pytest.raises(errors.NotDone, match="still not done"):
        op.result()


def test_both_error_and_response_is_invalid() -> None:
    op = Operation.from_dict({"name": "operations/b", "done": True, "error": ERROR, "response": {}})
    with pytest.raises(InvalidResponse, match="only one of error and response"):
        _ = op.result_case
    with pytest.raises(InvalidResponse):
        op.result()
    assert "invalid=" in repr(op)


# -- delegation -----------------------------------------------------------------------------


def test_delegation_to_the_bound_client() -> None:
    final = Operation.from_dict({"name": "operations/d", "done": True, "response": RESPONSE})
    client = FakeClient(final)
    op = Operation.from_dict({"name": "operations/d"}).bind(client)
    assert op.client is client
    assert op.wait(5, cancel_on_timeout=True) is final
    assert op.refresh() is final
    assert op.cancel() is final
    assert op.delete() is final
    assert op.mark_seen() is final
    assert [c[0] for c in client.calls] == ["wait", "get", "cancel", "delete", "mark_seen"]
    assert client.calls[0] == ("wait", ("operations/d",), {"timeout": 5, "cancel_on_timeout": True})
    assert all(c[1] == ("operations/d",) for c in client.calls)


def test_each_half_takes_the_stop_event_of_its_own_kind() -> None:
    """A sync snapshot's calls take a threading.Event and refuse an asyncio.Event (before
    asking the client); an AsyncOperation's the other way round."""
    final = Operation.from_dict({"name": "operations/e", "done": True, "response": RESPONSE})
    client = FakeClient(final)
    op = Operation.from_dict({"name": "operations/e"}, client=client)
    stop = threading.Event()
    assert op.wait(stop=stop) is final
    assert op.result(stop=stop) == RESPONSE
    assert next(iter(op.watch(stop=stop)), None) is None  # FakeClient.watch: nothing
    for call in (op.wait, op.result, op.watch):
        with pytest.raises(errors.InvalidArgument, match=r"stop must be a threading\.Event"):
            call(stop=asyncio.Event())
    assert [c[2]["stop"] for c in client.calls] == [stop, stop, stop]

    async_op = AsyncOperation.from_dict({"name": "operations/e"}, client=AsyncFakeClient(final))
    waited = asyncio.run(async_op.wait(stop=asyncio.Event()))
    assert isinstance(waited, AsyncOperation) and waited.done
    with pytest.raises(errors.InvalidArgument, match=r"stop must be an asyncio\.Event"):
        asyncio.run(async_op.wait(stop=threading.Event()))


class AsyncFakeClient:
    """An async client's shape: ``wait`` is a coroutine returning an AsyncOperation."""

    def __init__(self, final: Operation) -> None:
        self.final = AsyncOperation.from_dict(final.to_dict(), client=self)

    async def wait(self, name: str, **kwargs: Any) -> AsyncOperation:
        return self.final


def test_wait_on_a_done_snapshot_needs_no_client() -> None:
    op = Operation.from_dict(AUDITED)
    assert op.wait() is op


@pytest.mark.parametrize("method", ["wait", "refresh", "cancel", "delete", "mark_seen"])
def test_unbound_delegation_fails_clearly(method: str) -> None:
    op = Operation.from_dict({"name": "operations/u"})
    with pytest.raises(errors.FailedPrecondition, match="not bound to a client"):
        getattr(op, method)()


def test_bind_shares_the_raw_dict() -> None:
    op = Operation.from_dict(AUDITED)
    _ = op.create_time  # cached values carry over too
    bound = op.bind(FakeClient())
    assert bound._raw is op._raw and bound == op
    assert op.client is None
    assert bound.bind(None).client is None


# -- output -------------------------------------------------------------------------------


def test_to_json_is_byte_identical_for_compact_input() -> None:
    text = json.dumps(AUDITED, separators=(",", ":"), ensure_ascii=False)
    assert Operation.from_json(text).to_json() == text
    odd = (
        '{"name":"operations/ü","done":true,"response":{"@type":"x/y.Z","n":1.5e-7},'
        '"createTime":"2024-01-01T02:00:00.1+02:00","extra":[null,true,{}]}'
    )
    op = Operation.from_json(odd)
    assert op.to_json() == odd.replace("1.5e-7", "1.5e-07")  # Python's float repr
    assert op.to_dict()["createTime"] == "2024-01-01T02:00:00.1+02:00"
    assert op.create_time == Timestamp.parse("2024-01-01T00:00:00.100Z")
    assert json.loads(op.to_json(indent=2)) == json.loads(odd)


def test_to_dict_is_a_deep_copy() -> None:
    op = Operation.from_dict(json.loads(json.dumps(AUDITED)))
    out = op.to_dict()
    out["futureField"]["kept"].append("mutated")
    out["metadata"]["progressPercent"] = 0
    assert op.to_dict() == AUDITED


def test_to_json_of_unserialisable_raw() -> None:
    op = Operation.from_dict({"name": "operations/x", "bad": object()})
    with pytest.raises(InvalidResponse, match="not JSON-serialisable"):
        op.to_json()


# -- protocol -----------------------------------------------------------------------------


def test_repr() -> None:
    assert repr(Operation.from_dict(AUDITED)) == (
        "Operation(name='operations/a', done=True, result=response)"
    )
    failed = Operation.from_dict({"name": "operations/c", "done": True, "error": ERROR})
    assert repr(failed) == "Operation(name='operations/c', done=True, result=error(CANCELLED))"
    assert repr(Operation.from_dict({"name": "operations/r"})) == (
        "Operation(name='operations/r', done=False)"
    )
    assert repr(Operation.from_dict({"name": "operations/x", "done": True})) == (
        "Operation(name='operations/x', done=True, result=none)"
    )
    broken = Operation.from_dict({"name": "operations/x", "done": "yes"})
    assert repr(broken).startswith("Operation(name='operations/x', invalid=")


def test_equality_and_hash() -> None:
    a = Operation.from_dict({"name": "operations/e", "done": True})
    b = Operation.from_dict({"name": "operations/e", "done": True})
    c = Operation.from_dict({"name": "operations/e"})
    assert a == b and hash(a) == hash(b) and a != c
    assert len({a, b, c}) == 2
    assert a != {"name": "operations/e", "done": True}
    one = Operation.from_dict({"name": "operations/n", "x": 1})
    assert one == Operation.from_dict({"name": "operations/n", "x": 1.0})
    assert hash(one) == hash(Operation.from_dict({"name": "operations/n", "x": 1.0}))
    assert hash(Operation.from_dict({"name": ["unhashable"]})) is not None


def test_immutable() -> None:
    op = Operation.from_dict(AUDITED)
    with pytest.raises(AttributeError):
        op.name = "operations/other"
    with pytest.raises(AttributeError):
        op.done = False
    with pytest.raises(AttributeError):
        op.anything = 1
    with pytest.raises(AttributeError):
        del op.name
    _ = op.name
    with pytest.raises(AttributeError):
        op.name = "x"


def test_copy_and_pickle() -> None:
    op = Operation.from_dict(AUDITED, client=FakeClient())
    assert copy.copy(op) is op and copy.deepcopy(op) is op
    clone = pickle.loads(pickle.dumps(op))
    assert clone == op and clone.client is None
    assert clone.to_json() == op.to_json()


# -- invalid shapes ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "accessor", "field"),
    [
        ({"name": 5}, "name", "name"),
        ({"name": ["a"]}, "name", "name"),
        ({"done": "true"}, "done", "done"),
        ({"done": 1}, "done", "done"),
        ({"metadata": "x"}, "metadata", "metadata"),
        ({"metadata": [1]}, "metadata_type", "metadata"),
        ({"metadata": {"@type": 5}}, "metadata_type", "metadata.@type"),
        ({"response": 5}, "response", "response"),
        ({"response": {"@type": []}}, "response_type", "response.@type"),
        ({"error": "boom"}, "error", "error"),
        ({"error": [1]}, "result_case", "error"),
        ({"createTime": "yesterday"}, "create_time", "createTime"),
        ({"createTime": 1704067200}, "create_time", "createTime"),
        ({"update_time": "2024-13-01T00:00:00Z"}, "update_time", "updateTime"),
        ({"deleteTime": {}}, "deleted", "deleteTime"),
        ({"seenByCreatorTime": True}, "seen", "seenByCreatorTime"),
        ({"creator": 5}, "creator", "creator"),
        ({"updater": {}}, "updater", "updater"),
        ({"deleter": []}, "deleter", "deleter"),
        ({"createTime": "x"}, "age", "createTime"),
        ({"done": True, "createTime": "x", "updateTime": "x"}, "duration", "createTime"),
    ],
)
def test_invalid_shapes_raise_invalid_response(
    raw: dict[str, Any], accessor: str, field: str
) -> None:
    op = Operation.from_dict({"name": "operations/bad", **raw} if "name" not in raw else raw)
    with pytest.raises(InvalidResponse) as info:
        getattr(op, accessor)
    assert info.value.field == field
    assert repr(field) in str(info.value)


def test_invalid_timestamp_message() -> None:
    op = Operation.from_dict({"name": "operations/t", "createTime": "2024-02-30T00:00:00Z"})
    with pytest.raises(InvalidResponse) as info:
        _ = op.create_time
    message = str(info.value)
    assert "createTime" in message and "operations/t" in message and "no such date" in message
    assert info.value.raw == '"2024-02-30T00:00:00Z"'
    assert info.value.operation_name == "operations/t"


def test_invalid_typed_access() -> None:
    op = Operation.from_dict({"name": "operations/x", "done": True, "response": "text"})
    with pytest.raises(InvalidResponse):
        op.response_as(ExportResponse)
    with pytest.raises(InvalidResponse):
        op.result()
    op = Operation.from_dict({"name": "operations/x", "done": "yes"})
    with pytest.raises(InvalidResponse):
        op.result()
    with pytest.raises(InvalidResponse):
        op.exception()


def test_progress_never_raises() -> None:
    assert Operation.from_dict({"metadata": "junk"}).progress is None
    assert Operation.from_dict({"metadata": {"progress": "x"}}).progress is None


def test_deeply_nested_json_is_copied_without_recursion_errors() -> None:
    depth = 900  # json.loads accepts this; a recursive copy would not
    text = '{"name":"operations/d","metadata":{"@type":"x/y.Z","v":' + "[" * depth
    op = Operation.from_json(text + "]" * depth + "}}")
    meta = op.metadata
    assert meta is not None and meta["@type"] == "x/y.Z"
    assert op.to_dict()["name"] == "operations/d"
    assert op.progress is None


def test_cyclic_raw_dicts_fail_cleanly() -> None:
    raw: dict[str, Any] = {"name": "operations/c", "metadata": {}}
    raw["metadata"]["self"] = raw
    op = Operation.from_dict(raw)
    copied = op.to_dict()
    assert copied["metadata"]["self"] is copied
    with pytest.raises(InvalidResponse, match="not JSON-serialisable"):
        op.to_json()


def test_client_returning_something_else() -> None:
    class AsyncishClient(FakeClient):
        def wait(self, name: str, **kwargs: Any) -> Any:
            return "a coroutine, say"

    op = Operation.from_dict({"name": "operations/x"}, client=AsyncishClient())
    with pytest.raises(TypeError, match=r"AsyncishClient.wait\(\) returned str"):
        op.result()
    with pytest.raises(TypeError):
        op.refresh()  # FakeClient.get returns None here


class Snapshot(Operation):
    """A subclass (e.g. an async flavour) keeps its class through bind and pickle."""


def test_subclasses_survive_bind_and_pickle() -> None:
    op = Snapshot.from_dict({"name": "operations/s"})
    assert type(op.bind(FakeClient())) is Snapshot
    assert type(pickle.loads(pickle.dumps(op))) is Snapshot

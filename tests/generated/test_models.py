"""The generated models read the JSON shapes of the seed documents.

These pin down what the generated layer does on its own, including the two
known generator behaviours that `lro.Operation` exists to repair (dropped
read-only fields, truncated nanoseconds).
"""

from __future__ import annotations

import json

from lro_api.models import Operation, ProtobufAny, RpcStatus, V1Operation

RUNNING = {
    "name": "operations/abc",
    "metadata": {
        "@type": "type.googleapis.com/lro.example.ProgressMetadata",
        "progressPercent": 40,
        "stage": {"name": "copy", "attempt": 2},
    },
}

FAILED = {
    "name": "projects/p/locations/l/operations/x1",
    "done": True,
    "error": {
        "code": 10,
        "message": "aborted by worker",
        "details": [
            {
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": "ABORTED_BY_WORKER",
                "domain": "lro.example",
                "metadata": {"worker": "w-7"},
            }
        ],
    },
}

AUDITED = {
    "name": "operations/n1",
    "createTime": "2026-11-21T10:00:00.123456789Z",
    "creator": "alice",
    "updateTime": "2026-11-21T10:00:05.5Z",
    "updater": "worker",
    "done": True,
    "response": {"@type": "type.googleapis.com/google.protobuf.Duration", "value": "1.5s"},
    "seenByCreatorTime": "2026-11-21T10:01:00Z",
}


def test_operation_round_trips_any_payloads() -> None:
    op = Operation.from_json(json.dumps(RUNNING))
    assert op is not None
    assert op.name == "operations/abc"
    assert op.done is None  # the generated model cannot tell "missing" from False
    assert op.metadata is not None
    assert op.metadata.type == "type.googleapis.com/lro.example.ProgressMetadata"
    assert op.metadata.additional_properties["stage"] == {"name": "copy", "attempt": 2}
    assert op.to_dict() == RUNNING
    assert Operation.from_dict(op.to_dict()).to_dict() == RUNNING  # type: ignore[union-attr]


def test_error_status_keeps_detail_fields() -> None:
    op = Operation.from_dict(FAILED)
    assert op is not None and op.error is not None
    assert op.error.code == 10
    detail = op.error.details[0]
    assert detail.type == "type.googleapis.com/google.rpc.ErrorInfo"
    assert detail.additional_properties["reason"] == "ABORTED_BY_WORKER"
    assert op.to_dict() == FAILED


def test_rpc_status_and_any_from_json() -> None:
    status = RpcStatus.from_json('{"code": 5, "message": "gone", "details": []}')
    assert status is not None and status.code == 5 and status.message == "gone"
    any_ = ProtobufAny.from_dict({"@type": "t/x.Y", "a": 1, "b": [1, 2]})
    assert any_ is not None
    assert any_.to_dict() == {"@type": "t/x.Y", "a": 1, "b": [1, 2]}


def test_v1_operation_parses_nanoseconds_but_drops_read_only_fields() -> None:
    op = V1Operation.from_dict(AUDITED)
    assert op is not None
    assert op.creator == "alice"
    assert op.create_time is not None
    # Python datetimes hold microseconds: the generated model truncates nanoseconds...
    assert op.create_time.microsecond == 123456
    # ...and its to_dict() drops every readOnly field (openapi-generator#23407).
    dumped = op.to_dict()
    assert "createTime" not in dumped and "name" not in dumped
    assert dumped["response"] == AUDITED["response"]


def test_lro_operation_repairs_what_the_generated_model_loses() -> None:
    import lro._core.snapshot

    op = lro.Operation.from_dict(dict(RUNNING))
    assert op.done is False  # a missing `done` reads as not done
    audited = lro.Operation.from_dict(json.loads(json.dumps(AUDITED)))
    assert audited.to_dict() == AUDITED  # read-only fields and nanoseconds survive
    assert audited.create_time is not None
    assert audited.create_time.nanos == 123456789

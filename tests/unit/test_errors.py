"""The code table, the exception tree, details, and parsing every error-body form."""

from __future__ import annotations

import email.utils
import json
import pickle
import time
from typing import Any

import pytest

from lro import Operation, errors
from lro._core.timestamps import Duration
from lro.errors import (
    BadRequest,
    Code,
    DebugInfo,
    Error,
    ErrorInfo,
    FieldViolation,
    Help,
    HelpLink,
    LocalizedMessage,
    PreconditionFailure,
    PreconditionViolation,
    QuotaFailure,
    QuotaViolation,
    RequestInfo,
    ResourceInfo,
    RetryInfo,
    code_from_http,
    error_from_http,
    error_from_status,
    exception_class_for,
    parse_detail,
    parse_retry_after,
)

RPC = "type.googleapis.com/google.rpc."


def body(value: Any) -> bytes:
    return json.dumps(value).encode()


def error_info(reason: str = "OPERATION_NOT_FOUND", **metadata: str) -> dict[str, Any]:
    return {
        "@type": RPC + "ErrorInfo",
        "reason": reason,
        "domain": "lro.example",
        "metadata": metadata,
    }


# -- codes -------------------------------------------------------------------------------


def test_code_numbers_and_http() -> None:
    assert [c.value for c in Code] == list(range(17))
    assert Code.NOT_FOUND.http_status == 404
    assert Code.CANCELLED.http_status == 499
    assert Code.FAILED_PRECONDITION.http_status == 400
    assert Code.UNAUTHENTICATED.http_status == 401
    assert Code.DATA_LOSS.http_status == 500


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (400, Code.INVALID_ARGUMENT),
        (401, Code.UNAUTHENTICATED),
        (403, Code.PERMISSION_DENIED),
        (404, Code.NOT_FOUND),
        (409, Code.ABORTED),
        (416, Code.OUT_OF_RANGE),
        (429, Code.RESOURCE_EXHAUSTED),
        (499, Code.CANCELLED),
        (501, Code.UNIMPLEMENTED),
        (503, Code.UNAVAILABLE),
        (504, Code.DEADLINE_EXCEEDED),
        (405, Code.FAILED_PRECONDITION),
        (418, Code.FAILED_PRECONDITION),
        (500, Code.INTERNAL),
        (502, Code.INTERNAL),
        (599, Code.INTERNAL),
        (200, Code.UNKNOWN),
        (302, Code.UNKNOWN),
        (600, Code.UNKNOWN),
        (-1, Code.UNKNOWN),
    ],
)
def test_code_from_http(status: int, code: Code) -> None:
    assert code_from_http(status) is code


def test_class_per_code() -> None:
    names = {
        "CANCELLED": "Cancelled",
        "UNKNOWN": "Unknown",
        "INVALID_ARGUMENT": "InvalidArgument",
        "DEADLINE_EXCEEDED": "DeadlineExceeded",
        "NOT_FOUND": "NotFound",
        "ALREADY_EXISTS": "AlreadyExists",
        "PERMISSION_DENIED": "PermissionDenied",
        "RESOURCE_EXHAUSTED": "ResourceExhausted",
        "FAILED_PRECONDITION": "FailedPrecondition",
        "ABORTED": "Aborted",
        "OUT_OF_RANGE": "OutOfRange",
        "UNIMPLEMENTED": "Unimplemented",
        "INTERNAL": "Internal",
        "UNAVAILABLE": "Unavailable",
        "DATA_LOSS": "DataLoss",
        "UNAUTHENTICATED": "Unauthenticated",
    }
    for code_name, class_name in names.items():
        cls = getattr(errors, class_name)
        assert exception_class_for(Code[code_name]) is cls
        assert cls.code is Code[code_name]
        assert cls("x").code is Code[code_name]
        assert issubclass(cls, Error)
    assert exception_class_for(99) is errors.Unknown
    assert exception_class_for(0) is Error


def test_sdk_errors() -> None:
    for cls in (
        errors.TransportError,
        errors.ConnectError,
        errors.ConnectionDropped,
        errors.TransportTimeout,
        errors.TLSError,
    ):
        assert cls().code is Code.UNAVAILABLE
        assert issubclass(cls, errors.TransportError)
    assert errors.InvalidResponse("x", raw="{", field="done").raw == "{"
    assert errors.InvalidResponse().code is Code.UNKNOWN
    assert issubclass(errors.InvalidName, errors.InvalidArgument)
    assert errors.UnexpectedState().code is Code.UNKNOWN
    assert isinstance(errors.NotDone(), errors.FailedPrecondition)
    assert errors.AnyTypeError().code is Code.INVALID_ARGUMENT
    op = Operation.from_dict({"name": "operations/w"})
    timeout = errors.WaitTimeout("gave up", operation=op)
    assert timeout.code is Code.DEADLINE_EXCEEDED
    assert timeout.operation is op and timeout.operation_name == "operations/w"
    bad = Operation.from_dict({"name": 5})
    assert errors.WaitTimeout(operation=bad).operation_name is None


def test_code_override_and_unknown_numbers() -> None:
    assert Error("x", code=Code.NOT_FOUND).code is Code.NOT_FOUND
    assert Error("x", code=5).code is Code.NOT_FOUND
    assert Error("x", code=77).code is Code.UNKNOWN
    assert Error().code is Code.UNKNOWN


# -- str / repr / status_dict / pickle ----------------------------------------------------


def test_str_formats() -> None:
    e = errors.NotFound(
        "operation not found: operations/x",
        http_status=404,
        details=[ErrorInfo("OPERATION_NOT_FOUND", "lro.example")],
        operation_name="operations/x",
    )
    assert (
        str(e) == "NOT_FOUND (404): operation not found: operations/x [reason=OPERATION_NOT_FOUND]"
    )
    cancelled = errors.Cancelled("cancelled by bob", operation_name="operations/y")
    assert str(cancelled) == "CANCELLED: cancelled by bob [name=operations/y]"
    assert str(errors.Unavailable()) == "UNAVAILABLE"
    assert str(errors.Unavailable(http_status=503)) == "UNAVAILABLE (503)"
    assert repr(cancelled) == "Cancelled('cancelled by bob', code=CANCELLED)"
    assert repr(errors.NotFound("m", http_status=404)) == (
        "NotFound('m', code=NOT_FOUND, http_status=404)"
    )
    assert cancelled.args == ("cancelled by bob",)


def test_status_dict_from_objects() -> None:
    e = errors.Aborted(
        "conflict",
        details=[ErrorInfo("R", "d", {"k": "v"}), RetryInfo(Duration.parse("2s")), {"x": 1}],
    )
    assert e.status_dict() == {
        "code": 10,
        "message": "conflict",
        "details": [
            {"@type": RPC + "ErrorInfo", "reason": "R", "domain": "d", "metadata": {"k": "v"}},
            {"@type": RPC + "RetryInfo", "retryDelay": "2s"},
            {"x": 1},
        ],
    }
    assert errors.Internal().status_dict() == {"code": 13, "message": ""}


def test_status_dict_is_lossless_for_wire_errors() -> None:
    detail = {**error_info(), "futureField": [1, 2]}
    status = {"code": 5, "message": "gone", "details": [detail, {"@type": "x/y.Z", "a": 1}]}
    e = error_from_status(status)
    assert e.status_dict() == status
    e.status_dict()["details"][0]["reason"] = "mutated"
    assert e.status_dict() == status


def test_every_error_pickles() -> None:
    e = error_from_http(
        429,
        body({"code": 8, "message": "slow down", "details": [error_info("RATE")]}),
        {"Retry-After": "3"},
        operation_name="operations/p",
    )
    copy = pickle.loads(pickle.dumps(e))
    assert type(copy) is errors.ResourceExhausted
    assert str(copy) == str(e) and copy.retry_delay == 3.0 and copy.reason == "RATE"
    assert copy.status_dict() == e.status_dict()
    op = Operation.from_dict({"name": "operations/w", "done": False})
    samples: list[Error] = [
        errors.WaitTimeout("late", operation=op, http_status=None),
        errors.InvalidResponse("bad", raw="<html>", field="done"),
        errors.InvalidName("bad name"),
        errors.ConnectError("refused"),
        errors.UnexpectedState("odd", operation_name="operations/z"),
        errors.NotDone("not yet"),
        errors.AnyTypeError("mismatch"),
    ]
    for sample in samples:
        clone = pickle.loads(pickle.dumps(sample))
        assert type(clone) is type(sample)
        assert str(clone) == str(sample)
        assert clone.__dict__.keys() == sample.__dict__.keys()
    timeout = pickle.loads(pickle.dumps(samples[0]))
    assert isinstance(timeout, errors.WaitTimeout) and timeout.operation == op
    invalid = pickle.loads(pickle.dumps(samples[1]))
    assert isinstance(invalid, errors.InvalidResponse)
    assert invalid.raw == "<html>" and invalid.field == "done"


# -- details ------------------------------------------------------------------------------


def test_parse_every_detail_type() -> None:
    details = [
        error_info("R", a="1"),
        {"@type": RPC + "RetryInfo", "retryDelay": "1.500s"},
        {"@type": RPC + "DebugInfo", "stackEntries": ["a", "b"], "detail": "boom"},
        {
            "@type": RPC + "QuotaFailure",
            "violations": [
                {
                    "subject": "project:1",
                    "description": "too many",
                    "apiService": "svc",
                    "quotaMetric": "m",
                    "quotaId": "q",
                    "quotaDimensions": {"region": "eu"},
                    "quotaValue": "100",
                    "futureQuotaValue": 200,
                }
            ],
        },
        {
            "@type": RPC + "PreconditionFailure",
            "violations": [{"type": "TOS", "subject": "s", "description": "d"}],
        },
        {
            "@type": RPC + "BadRequest",
            "fieldViolations": [
                {
                    "field": "pageSize",
                    "description": "negative",
                    "reason": "NEG",
                    "localizedMessage": {"locale": "en", "message": "no"},
                }
            ],
        },
        {"@type": RPC + "RequestInfo", "requestId": "r1", "servingData": "sd"},
        {
            "@type": RPC + "ResourceInfo",
            "resourceType": "Operation",
            "resourceName": "operations/x",
            "owner": "me",
            "description": "d",
        },
        {"@type": RPC + "Help", "links": [{"description": "docs", "url": "https://x"}]},
        {"@type": RPC + "LocalizedMessage", "locale": "fr", "message": "introuvable"},
        {"@type": "type.googleapis.com/acme.Custom", "x": 1},
    ]
    e = error_from_status({"code": 3, "message": "bad", "details": details})
    assert e.error_info == ErrorInfo("R", "lro.example", {"a": "1"})
    assert e.reason == "R" and e.domain == "lro.example"
    assert e.retry_info == RetryInfo(Duration(1, 500_000_000))
    assert e.retry_delay == 1.5
    assert e.debug_info == DebugInfo(("a", "b"), "boom")
    assert e.quota_failure == QuotaFailure(
        (QuotaViolation("project:1", "too many", "svc", "m", "q", {"region": "eu"}, 100, 200),)
    )
    assert e.precondition_failure == PreconditionFailure((PreconditionViolation("TOS", "s", "d"),))
    assert e.bad_request == BadRequest(
        (FieldViolation("pageSize", "negative", "NEG", LocalizedMessage("en", "no")),)
    )
    assert e.request_info == RequestInfo("r1", "sd")
    assert e.resource_info == ResourceInfo("Operation", "operations/x", "me", "d")
    assert e.help == Help((HelpLink("docs", "https://x"),))
    assert e.localized_message == LocalizedMessage("fr", "introuvable")
    assert e.details[-1] == {"@type": "type.googleapis.com/acme.Custom", "x": 1}
    # to_dict gives the proto3 JSON back for every parsed type.
    for raw, parsed in zip(details[:-1], e.details[:-1], strict=True):
        assert not isinstance(parsed, dict)
        expected = json.loads(json.dumps(raw))
        if raw["@type"].endswith("QuotaFailure"):
            expected["violations"][0]["futureQuotaValue"] = "200"  # int64 prints as a string
        assert parsed.to_dict() == expected
    quota = e.quota_failure
    assert quota is not None
    assert quota.to_dict()["violations"][0]["quotaValue"] == "100"
    assert quota.to_dict()["violations"][0]["futureQuotaValue"] == "200"
    assert QuotaFailure.Violation is QuotaViolation
    assert PreconditionFailure.Violation is PreconditionViolation
    assert Help.Link is HelpLink


def test_details_accept_snake_case() -> None:
    detail = {"@type": RPC + "ResourceInfo", "resource_type": "T", "resource_name": "n"}
    assert parse_detail(detail) == ResourceInfo("T", "n")
    retry = {"@type": RPC + "RetryInfo", "retry_delay": "2s"}
    assert parse_detail(retry) == RetryInfo(Duration(2))


def test_details_with_wrong_types_never_fail() -> None:
    details: list[Any] = [
        {"@type": RPC + "ErrorInfo", "reason": 5, "domain": None, "metadata": ["x"]},
        {"@type": RPC + "ErrorInfo", "metadata": {"a": 1, "b": "ok"}},
        {"@type": RPC + "RetryInfo", "retryDelay": "PT1S"},
        {"@type": RPC + "RetryInfo", "retryDelay": 5},
        {"@type": RPC + "DebugInfo", "stackEntries": "not a list"},
        {"@type": RPC + "QuotaFailure", "violations": [1, "x", {"quotaValue": "1e5"}]},
        {"@type": RPC + "BadRequest", "fieldViolations": {"not": "list"}},
        {"@type": RPC + "Help", "links": [None]},
        {"@type": 42, "reason": "x"},
        {"no": "type"},
        "a string",
        17,
        None,
    ]
    e = error_from_status({"code": 9, "details": details})
    assert e.error_info == ErrorInfo("", "", {})
    assert e.details[1] == ErrorInfo("", "", {"b": "ok"})
    assert e.retry_info == RetryInfo(None) and e.retry_delay is None
    assert e.debug_info == DebugInfo((), "")
    assert e.quota_failure == QuotaFailure((QuotaViolation(quota_value=None),))
    assert e.bad_request == BadRequest(())
    assert e.help == Help(())
    assert e.details[-2:] == [{"@type": 42, "reason": "x"}, {"no": "type"}]
    assert len(e.details) == 10  # non-objects are dropped
    assert parse_detail("x") == {}  # type: ignore[arg-type]


def test_details_are_frozen_and_hashable() -> None:
    info = ErrorInfo("R", "d", {"k": "v"})
    with pytest.raises(AttributeError):
        info.reason = "x"  # type: ignore[misc]
    assert hash(info) == hash(ErrorInfo("R", "d", {"other": "v"}))
    assert hash(BadRequest((FieldViolation("f"),))) == hash(BadRequest((FieldViolation("f"),)))
    assert RetryInfo(Duration(-5)).seconds == 0.0
    assert RetryInfo().seconds is None


# -- error_from_status ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "kwargs", "code"),
    [
        ({"code": 5, "message": "m"}, {}, Code.NOT_FOUND),
        ({"code": "5"}, {}, Code.NOT_FOUND),
        ({"code": 5.0}, {}, Code.NOT_FOUND),
        ({"code": "NOT_FOUND"}, {}, Code.NOT_FOUND),
        ({"code": "not_found"}, {}, Code.NOT_FOUND),
        ({"code": 404, "status": "NOT_FOUND"}, {}, Code.NOT_FOUND),
        ({"code": 409, "status": "ALREADY_EXISTS"}, {"http_status": 409}, Code.ALREADY_EXISTS),
        ({"code": 404}, {}, Code.NOT_FOUND),
        ({"code": 77}, {}, Code.UNKNOWN),
        ({"code": -3}, {}, Code.UNKNOWN),
        ({"code": True}, {}, Code.UNKNOWN),
        ({"code": [1]}, {}, Code.UNKNOWN),
        ({"code": "banana"}, {}, Code.UNKNOWN),
        ({}, {}, Code.UNKNOWN),
        ({}, {"http_status": 404}, Code.NOT_FOUND),
        ({"code": 0}, {}, Code.OK),
        ({"code": 0}, {"http_status": 503}, Code.UNAVAILABLE),
        ({"code": 14}, {"http_status": 500}, Code.UNAVAILABLE),
        ({"code": -1}, {"http_status": 404}, Code.NOT_FOUND),
        ({"status": "bogus", "code": 10}, {}, Code.ABORTED),
    ],
)
def test_status_codes(status: dict[str, Any], kwargs: dict[str, Any], code: Code) -> None:
    e = error_from_status(status, **kwargs)
    assert e.code is code
    assert type(e) is exception_class_for(code)


def test_status_message_and_name() -> None:
    e = error_from_status({"code": 1, "message": "stop"}, operation_name="operations/a")
    assert isinstance(e, errors.Cancelled)
    assert e.message == "stop" and e.operation_name == "operations/a" and e.http_status is None
    assert error_from_status({"code": 2, "message": 42}).message == "42"
    assert error_from_status({"code": 2, "message": {"a": 1}}).message == '{"a": 1}'
    assert error_from_status({"code": 2, "message": None}).message == ""


@pytest.mark.parametrize("status", [None, "text", 5, [1, 2], True])
def test_status_of_wrong_type(status: Any) -> None:
    e = error_from_status(status)
    assert isinstance(e, errors.Unknown)
    assert "not a JSON object" in e.message
    assert isinstance(error_from_status(status, http_status=404), errors.NotFound)


def test_status_headers_retry_after() -> None:
    e = error_from_status({"code": 8}, headers={"RETRY-AFTER": "4"})
    assert e.retry_delay == 4.0


# -- error_from_http: the three forms -------------------------------------------------------


def test_form_1_google_rest() -> None:
    payload = {
        "error": {
            "code": 404,
            "message": "operation not found: operations/x",
            "status": "NOT_FOUND",
            "details": [error_info()],
        }
    }
    e = error_from_http(404, body(payload), {}, operation_name="operations/x")
    assert isinstance(e, errors.NotFound)
    assert e.http_status == 404 and e.reason == "OPERATION_NOT_FOUND"
    assert str(e) == (
        "NOT_FOUND (404): operation not found: operations/x [reason=OPERATION_NOT_FOUND]"
    )
    assert e.status_dict()["code"] == 5


def test_form_1_maps_by_status_name_then_http() -> None:
    payload = {"error": {"code": 400, "message": "m", "status": "FAILED_PRECONDITION"}}
    assert isinstance(error_from_http(400, body(payload), {}), errors.FailedPrecondition)
    payload = {"error": {"code": 409, "message": "m"}}
    assert isinstance(error_from_http(409, body(payload), {}), errors.Aborted)
    payload = {"error": {"code": 3, "message": "m"}}  # an rpc code where HTTP belongs
    assert isinstance(error_from_http(400, body(payload), {}), errors.InvalidArgument)
    payload = {"error": {"message": "no code at all"}}
    assert isinstance(error_from_http(503, body(payload), {}), errors.Unavailable)


def test_form_2_bare_status() -> None:
    payload = {"code": 9, "message": "still running", "details": [error_info("NOT_DONE")]}
    e = error_from_http(400, body(payload), {})
    assert isinstance(e, errors.FailedPrecondition)
    assert e.message == "still running" and e.reason == "NOT_DONE"


def test_form_3_grpc_gateway_v1() -> None:
    payload = {"error": "permission denied", "code": 7, "message": "you may not", "details": []}
    e = error_from_http(403, body(payload), {})
    assert isinstance(e, errors.PermissionDenied) and e.message == "you may not"
    e = error_from_http(403, body({"error": "only here", "code": 7}), {})
    assert e.message == "only here"


def test_json_of_other_shapes_maps_by_http() -> None:
    for payload in ({}, {"foo": 1}, [], [1], "text", 5, None, True):
        e = error_from_http(503, body(payload), {})
        assert isinstance(e, errors.Unavailable), payload
        assert e.message.startswith("HTTP 503 Service Unavailable")


def test_list_wrapped_form_1() -> None:
    payload = [{"error": {"code": 404, "message": "m", "status": "NOT_FOUND"}}]
    assert isinstance(error_from_http(404, body(payload), {}), errors.NotFound)


def test_json_without_message_uses_http_summary() -> None:
    e = error_from_http(404, body({"code": 5}), {})
    assert e.message == "HTTP 404 Not Found"
    e = error_from_http(599, body({"code": 13}), {})
    assert e.message == "HTTP 599"


def test_html_proxy_page() -> None:
    page = (
        b"<!DOCTYPE html><html><head><title>502 Bad &amp; Gateway</title></head>"
        b"<body><h1>Bad Gateway</h1>" + b"x" * 5000 + b"</body></html>"
    )
    e = error_from_http(502, page, {"Content-Type": "text/html"})
    assert isinstance(e, errors.Internal)
    assert e.http_status == 502
    assert e.message == "HTTP 502 Bad Gateway: 502 Bad & Gateway"


def test_non_json_excerpt_is_short_and_printable() -> None:
    text = ("line one\n\x1b[31mred\x00 " + "y" * 1000).encode()
    e = error_from_http(500, text, {})
    assert isinstance(e, errors.Internal)
    assert "\x1b" not in e.message and "\n" not in e.message and "\x00" not in e.message
    assert e.message.startswith("HTTP 500 Internal Server Error: line one [31mred y")
    assert len(e.message) < 260 and e.message.endswith("...")


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"", "HTTP 503 Service Unavailable"),
        (b"   \n", "HTTP 503 Service Unavailable"),
        (b"\xff\xfe\x00garbage", "HTTP 503 Service Unavailable: \ufffd\ufffd garbage"),
        (b'{"code": 14, "message": "trunc', 'HTTP 503 Service Unavailable: {"code": 14'),
        (b"[" * 100_000, "HTTP 503 Service Unavailable: " + "[" * 197 + "..."),
    ],
)
def test_empty_binary_truncated_and_deep_bodies(payload: bytes, message: str) -> None:
    e = error_from_http(503, payload, {})
    assert isinstance(e, errors.Unavailable)
    assert e.message.startswith(message)


def test_utf8_bom_and_str_bodies() -> None:
    e = error_from_http(404, b"\xef\xbb\xbf" + body({"code": 5, "message": "m"}), {})
    assert isinstance(e, errors.NotFound) and e.message == "m"
    e = error_from_http(404, json.dumps({"code": 5, "message": "s"}), {})  # type: ignore[arg-type]
    assert e.message == "s"


def test_weird_arguments_never_raise() -> None:
    assert isinstance(error_from_http("404", b"", {}), Error)  # type: ignore[arg-type]
    assert isinstance(error_from_http(404, None, None), errors.NotFound)  # type: ignore[arg-type]
    assert isinstance(error_from_http(404, b"", {1: 2}), errors.NotFound)  # type: ignore[dict-item]
    assert isinstance(error_from_http(404, b"", "headers"), errors.NotFound)  # type: ignore[arg-type]


def test_wrong_types_everywhere() -> None:
    payload = {"code": "14", "message": ["a"], "details": {"not": "a list"}, "status": 5}
    e = error_from_http(503, body(payload), {})
    assert isinstance(e, errors.Unavailable)
    assert e.message == '["a"]' and e.details == []
    payload2 = {"error": {"code": "x", "status": ["NOT_FOUND"], "message": 3.5, "details": "d"}}
    e = error_from_http(404, body(payload2), {})
    assert isinstance(e, errors.NotFound) and e.message == "3.5"


def test_no_secrets_from_headers_in_messages() -> None:
    headers = {"Authorization": "Bearer s3cret", "WWW-Authenticate": "Bearer s3cret"}
    e = error_from_http(401, b"", headers)
    assert isinstance(e, errors.Unauthenticated)
    assert "s3cret" not in str(e) and "s3cret" not in repr(e)
    assert "s3cret" not in json.dumps(e.status_dict())


# -- retry delays ------------------------------------------------------------------------


def test_retry_after_seconds_and_case() -> None:
    e = error_from_http(429, b"", {"retry-after": "7"})
    assert isinstance(e, errors.ResourceExhausted) and e.retry_delay == 7.0
    assert error_from_http(503, b"", {"Retry-After": " 0 "}).retry_delay == 0.0
    assert error_from_http(503, b"", {"Retry-After": "1.5"}).retry_delay == 1.5
    assert error_from_http(503, b"", {"Retry-After": "-1"}).retry_delay is None
    assert error_from_http(503, b"", {"Retry-After": "soon"}).retry_delay is None
    assert error_from_http(503, b"", {"Retry-After": "9" * 5000}).retry_delay is None
    assert error_from_http(503, b"", {}).retry_delay is None


def test_retry_after_http_date() -> None:
    future = email.utils.formatdate(time.time() + 30, usegmt=True)
    delay = error_from_http(503, b"", {"Retry-After": future}).retry_delay
    assert delay is not None and 25 <= delay <= 31
    past = email.utils.formatdate(time.time() - 3600, usegmt=True)
    assert error_from_http(503, b"", {"Retry-After": past}).retry_delay == 0.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412470.0) == 10.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 -0000", now=1445412470.0) == 10.0
    assert parse_retry_after("Wed, 99 Foo 2015 07:28:00 GMT") is None
    assert parse_retry_after(5) is None  # type: ignore[arg-type]


def test_retry_info_and_header_take_the_larger() -> None:
    detail = {"@type": RPC + "RetryInfo", "retryDelay": "12.5s"}
    payload = {"error": {"code": 503, "status": "UNAVAILABLE", "details": [detail]}}
    e = error_from_http(503, body(payload), {"Retry-After": "3"})
    assert e.retry_delay == 12.5
    e = error_from_http(503, body(payload), {"Retry-After": "30"})
    assert e.retry_delay == 30.0
    e = error_from_http(503, body({"code": 14, "details": [detail]}), {})
    assert e.retry_delay == 12.5
    negative = {"@type": RPC + "RetryInfo", "retryDelay": "-4s"}
    assert error_from_status({"code": 14, "details": [negative]}).retry_delay == 0.0
    assert Error("x", retry_delay=2.0, details=[RetryInfo(Duration(1))]).retry_delay == 2.0


def test_deeply_nested_details_round_trip() -> None:
    depth = 900
    detail = '{"@type":"x/y.Z","v":' + "[" * depth + "]" * depth + "}"
    e = error_from_http(404, ('{"code":5,"details":[' + detail + "]}").encode(), {})
    assert isinstance(e, errors.NotFound)
    assert e.status_dict()["details"][0]["@type"] == "x/y.Z"


# -- the field tables, the code registry, the int64 reader, chaining -------------------------


def test_every_detail_field_table_matches_its_dataclass() -> None:
    import dataclasses

    from lro._core.errors.details import Message

    types = [
        ErrorInfo,
        RetryInfo,
        DebugInfo,
        QuotaFailure,
        QuotaViolation,
        PreconditionFailure,
        PreconditionViolation,
        BadRequest,
        FieldViolation,
        RequestInfo,
        ResourceInfo,
        Help,
        HelpLink,
        LocalizedMessage,
    ]
    for cls in types:
        assert issubclass(cls, Message)
        table = [wire.attr for wire in cls.FIELDS]
        assert table == [f.name for f in dataclasses.fields(cls)], cls.__name__
        # Every field reads its default from an empty object and writes nothing back.
        assert cls.from_json({}) == cls()
        assert {k: v for k, v in cls().to_dict().items() if k != "@type"} == {}


def test_details_round_trip_snake_case_and_int64_range() -> None:
    violation = {"quota_value": "9223372036854775807", "futureQuotaValue": "9223372036854775808"}
    parsed = QuotaViolation.from_json(violation)
    assert parsed.quota_value == 2**63 - 1 and parsed.future_quota_value is None
    assert parsed.to_dict() == {"quotaValue": "9223372036854775807"}
    assert QuotaViolation.from_json({"quotaValue": "--5"}).quota_value is None
    assert QuotaViolation.from_json({"quotaValue": 7.0}).quota_value == 7
    assert RetryInfo(Duration(0)).to_dict() == {"@type": RPC + "RetryInfo", "retryDelay": "0s"}
    nested = FieldViolation.from_json({"field": "f", "localized_message": {"locale": "de"}})
    assert nested.localized_message == LocalizedMessage("de", "")
    assert nested.to_dict() == {"field": "f", "localizedMessage": {"locale": "de"}}


def test_each_code_class_registers_itself_once() -> None:
    registry = {code: exception_class_for(code) for code in Code}
    assert registry[Code.OK] is Error
    assert len(set(registry.values())) == len(Code)
    # The SDK's own errors share a code without taking it over.
    assert exception_class_for(Code.UNAVAILABLE) is errors.Unavailable
    assert exception_class_for(Code.DEADLINE_EXCEEDED) is errors.DeadlineExceeded
    with pytest.raises(TypeError, match="already has code NOT_FOUND"):
        type("Again", (Error,), {}, code=Code.NOT_FOUND)
    assert exception_class_for(Code.NOT_FOUND) is errors.NotFound


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("5", 5),
        ("-5", -5),
        ("+5", 5),
        (5, 5),
        (5.0, 5),
        ("9223372036854775807", 2**63 - 1),
        ("-9223372036854775808", -(2**63)),
        ("9223372036854775808", None),
        (2**63, None),
        (1e19, None),
        ("--5", None),
        ("5.0", None),
        ("1e5", None),
        (" 5", None),
        ("", None),
        ("\u0665", None),  # a non-ASCII digit (ARABIC-INDIC FIVE)
        ("9" * 5000, None),
        (1.5, None),
        (float("inf"), None),
        (float("nan"), None),
        (True, None),
        (None, None),
        ([5], None),
    ],
)
def test_the_one_int64_reader(value: Any, expected: int | None) -> None:
    from lro._core.jsonvalues import int64

    assert int64(value) == expected


def test_chain_keeps_the_cause_unless_it_shows_a_secret() -> None:
    from lro._core.errors import chain

    cause = ValueError("connection reset")
    error = chain(errors.ConnectionDropped("dropped: connection reset"), cause, ["tok"])
    assert error.__cause__ is cause and error.__suppress_context__
    leaky = ValueError("Invalid header value b'Bearer tok-123'")
    leaky.__context__ = KeyError("inner")
    error = chain(
        errors.TransportError("bad header: Invalid header value b'Bearer tok-123'"),
        leaky,
        [None, "Bearer tok-123", "tok-123"],
    )
    assert error.__cause__ is None and error.__suppress_context__
    assert "tok-123" not in str(error) and "tok-123" not in repr(error)
    assert error.args == (error.message,) and "<redacted>" in error.message
    hidden = ValueError("outer")
    hidden.__context__ = ValueError("tok-123 deep inside")
    assert chain(errors.Unknown("x"), hidden, ["tok-123"]).__cause__ is None

"""The exit code and the one-line report of every kind of SDK error (no server needed)."""

from __future__ import annotations

import json

import pytest

from lro import Operation, errors
from lro.cli import ExitCode
from lro.cli._exit import error_json, error_line, exit_code_for, redact


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (errors.NotFound("gone"), ExitCode.NOT_FOUND),
        (errors.PermissionDenied("no"), ExitCode.DENIED),
        (errors.Unauthenticated("who?"), ExitCode.DENIED),
        (errors.InvalidArgument("bad"), ExitCode.SERVER_ERROR),
        (errors.FailedPrecondition("done"), ExitCode.SERVER_ERROR),
        (errors.AlreadyExists("twice"), ExitCode.SERVER_ERROR),
        (errors.Internal("boom"), ExitCode.SERVER_ERROR),
        (errors.Unavailable("503 from the server"), ExitCode.SERVER_ERROR),
        (errors.ResourceExhausted("slow down"), ExitCode.SERVER_ERROR),
        (errors.InvalidResponse("not JSON"), ExitCode.SERVER_ERROR),
        (errors.ConnectError("refused"), ExitCode.CONNECTION),
        (errors.ConnectionDropped("reset"), ExitCode.CONNECTION),
        (errors.TransportTimeout("read timeout"), ExitCode.CONNECTION),
        (errors.TLSError("bad certificate"), ExitCode.CONNECTION),
        (errors.WaitTimeout("still running"), ExitCode.WAIT_TIMEOUT),
        (errors.InvalidName("operations/../x"), ExitCode.USAGE),
    ],
)
def test_exit_code_per_error_class(error: errors.Error, code: ExitCode) -> None:
    assert exit_code_for(error) == code


def test_error_line_adds_the_most_useful_detail() -> None:
    bad = errors.error_from_status(
        {
            "code": 3,
            "message": "invalid request",
            "details": [
                {
                    "@type": "type.googleapis.com/google.rpc.BadRequest",
                    "fieldViolations": [{"field": "pageSize", "description": "must be >= 0"}],
                }
            ],
        },
        http_status=400,
    )
    assert (
        error_line(bad) == "lro: INVALID_ARGUMENT (400): invalid request (pageSize: must be >= 0)"
    )
    limited = errors.ResourceExhausted("quota", retry_delay=2.5)
    assert error_line(limited) == "lro: RESOURCE_EXHAUSTED: quota (retry after 2.5s)"
    last = Operation.from_dict({"name": "operations/a", "metadata": {"progressPercent": 40}})
    timeout = errors.WaitTimeout("operation operations/a is not done", operation=last)
    assert error_line(timeout) == (
        "lro: DEADLINE_EXCEEDED: operation operations/a is not done"
        " (see the last snapshot with: lro get operations/a) (last progress 40%)"
    )


def test_error_line_is_one_line_and_names_the_server_on_connection_errors() -> None:
    error = errors.ConnectError("cannot connect:\nrefused")
    line = error_line(error, base_url="http://ops.example:1")
    assert "\n" not in line
    assert line.endswith("(server http://ops.example:1; set --base-url or LRO_BASE_URL)")


def test_error_json() -> None:
    error = errors.NotFound("operation 'operations/a' not found", operation_name="operations/a")
    assert json.loads(error_json(error, 4)) == {
        "error": {
            "code": 5,
            "status": "NOT_FOUND",
            "message": "operation 'operations/a' not found",
        },
        "exitCode": 4,
        "name": "operations/a",
    }


def test_redact() -> None:
    assert redact("token abc123 in abc123", ["abc123", None, ""]) == "token *** in ***"

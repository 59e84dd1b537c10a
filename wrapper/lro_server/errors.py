"""google.rpc error codes and the one exception every handler raises.

Every failure the server reports, from a forged page token to a body that is too
large, becomes an `ApiError`; `status_body` turns it into the bare
`google.rpc.Status` this API answers with (grpc-gateway v2's form), always with
one `ErrorInfo` detail so clients can branch on `reason` instead of parsing text.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any

DOMAIN = "lro.example"
ERROR_INFO_TYPE = "type.googleapis.com/google.rpc.ErrorInfo"
RETRY_INFO_TYPE = "type.googleapis.com/google.rpc.RetryInfo"


class Code(enum.IntEnum):
    """google.rpc.Code (google/rpc/code.proto)."""

    OK = 0
    CANCELLED = 1
    UNKNOWN = 2
    INVALID_ARGUMENT = 3
    DEADLINE_EXCEEDED = 4
    NOT_FOUND = 5
    ALREADY_EXISTS = 6
    PERMISSION_DENIED = 7
    RESOURCE_EXHAUSTED = 8
    FAILED_PRECONDITION = 9
    ABORTED = 10
    OUT_OF_RANGE = 11
    UNIMPLEMENTED = 12
    INTERNAL = 13
    UNAVAILABLE = 14
    DATA_LOSS = 15
    UNAUTHENTICATED = 16


# The HTTP status of each code, as grpc-gateway and Google's REST APIs map them.
HTTP_STATUS: Mapping[Code, int] = {
    Code.OK: 200,
    Code.CANCELLED: 499,
    Code.UNKNOWN: 500,
    Code.INVALID_ARGUMENT: 400,
    Code.DEADLINE_EXCEEDED: 504,
    Code.NOT_FOUND: 404,
    Code.ALREADY_EXISTS: 409,
    Code.PERMISSION_DENIED: 403,
    Code.RESOURCE_EXHAUSTED: 429,
    Code.FAILED_PRECONDITION: 400,
    Code.ABORTED: 409,
    Code.OUT_OF_RANGE: 400,
    Code.UNIMPLEMENTED: 501,
    Code.INTERNAL: 500,
    Code.UNAVAILABLE: 503,
    Code.DATA_LOSS: 500,
    Code.UNAUTHENTICATED: 401,
}


def code_for_http_status(status: int) -> Code:
    """The code a client infers from a bare HTTP status (protocol.md's fallback table)."""
    exact = {
        400: Code.INVALID_ARGUMENT,
        401: Code.UNAUTHENTICATED,
        403: Code.PERMISSION_DENIED,
        404: Code.NOT_FOUND,
        409: Code.ABORTED,
        416: Code.OUT_OF_RANGE,
        429: Code.RESOURCE_EXHAUSTED,
        499: Code.CANCELLED,
        501: Code.UNIMPLEMENTED,
        503: Code.UNAVAILABLE,
        504: Code.DEADLINE_EXCEEDED,
    }
    if status in exact:
        return exact[status]
    if 400 <= status < 500:
        return Code.FAILED_PRECONDITION
    if 500 <= status < 600:
        return Code.INTERNAL
    return Code.UNKNOWN


def error_info(reason: str, metadata: Mapping[str, str] | None = None) -> dict[str, Any]:
    """A google.rpc.ErrorInfo packed as an Any."""
    detail: dict[str, Any] = {"@type": ERROR_INFO_TYPE, "reason": reason, "domain": DOMAIN}
    if metadata:
        detail["metadata"] = dict(metadata)
    return detail


class ApiError(Exception):
    """A failure reported to the caller as a google.rpc.Status.

    `http_status` overrides the code's usual status where HTTP has a more precise
    one (413, 414, 431, 405); `headers` are extra response headers (e.g. `Allow`).
    """

    def __init__(
        self,
        code: Code,
        message: str,
        *,
        reason: str,
        metadata: Mapping[str, str] | None = None,
        http_status: int | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.reason = reason
        self.metadata = dict(metadata or {})
        self.http_status = http_status if http_status is not None else HTTP_STATUS[code]
        self.headers = dict(headers or {})

    def status_body(self) -> dict[str, Any]:
        return {
            "code": int(self.code),
            "message": self.message,
            "details": [error_info(self.reason, self.metadata)],
        }


def invalid_argument(
    message: str, *, reason: str = "INVALID_ARGUMENT", **metadata: str
) -> ApiError:
    return ApiError(Code.INVALID_ARGUMENT, message, reason=reason, metadata=metadata)


def not_found(name: str) -> ApiError:
    return ApiError(
        Code.NOT_FOUND,
        f"operation {name!r} not found",
        reason="OPERATION_NOT_FOUND",
        metadata={"name": name},
    )


def client_gone() -> ApiError:
    """The client closed its connection while its request was held (nginx's 499)."""
    return ApiError(Code.CANCELLED, "the client closed the connection", reason="CLIENT_CLOSED")

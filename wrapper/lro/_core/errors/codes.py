"""google.rpc codes and the HTTP status tables of protocol.md, both directions."""

from __future__ import annotations

import enum

__all__ = ["Code", "code_from_http", "coerce_code"]


class Code(enum.IntEnum):
    """google.rpc.Code: the canonical status codes of gRPC and Google APIs."""

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

    @property
    def http_status(self) -> int:
        """The HTTP status this code maps to (google.rpc's table; CANCELLED is 499)."""
        return _CODE_TO_HTTP[self]


_CODE_TO_HTTP = {
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

# The reverse direction differs (400 is INVALID_ARGUMENT, 409 is ABORTED), so it is its own
# table, as in protocol.md.
_HTTP_TO_CODE = {
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


def code_from_http(status: int) -> Code:
    """The code for an HTTP status whose body carries none (protocol.md's table).

    Other 4xx are FAILED_PRECONDITION, other 5xx INTERNAL, anything else UNKNOWN.
    """
    if isinstance(status, bool) or not isinstance(status, int):
        return Code.UNKNOWN
    if status in _HTTP_TO_CODE:
        return _HTTP_TO_CODE[status]
    if 400 <= status < 500:
        return Code.FAILED_PRECONDITION
    if 500 <= status < 600:
        return Code.INTERNAL
    return Code.UNKNOWN


def coerce_code(code: Code | int) -> Code:
    """``code`` as a :class:`Code`; numbers outside the table give UNKNOWN."""
    try:
        return Code(code)
    except ValueError:
        return Code.UNKNOWN

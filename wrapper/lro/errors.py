"""The google.rpc code table, the SDK's exception tree and error-body parsing.

Every exception the SDK raises is an :class:`Error`. Errors that come from a server (an
HTTP error response or an ``Operation.error``) are instances of the class for their
``google.rpc.Code`` (:class:`NotFound`, :class:`Unavailable`, ...); the SDK adds a few of its
own (:class:`TransportError`, :class:`InvalidResponse`, :class:`WaitTimeout`, ...).

The parsers here (:func:`error_from_status`, :func:`error_from_http`) accept anything: the
three error-body forms in use, wrong JSON types in any field, HTML from a proxy, empty or
binary bodies. They always *return* an :class:`Error` and never raise.

Details (``google.rpc.ErrorInfo``, ``RetryInfo``, ``BadRequest``, ...) are parsed into small
frozen dataclasses; details of other types stay raw JSON dicts.
"""

from __future__ import annotations

from lro._core.errors import (
    RPC_TYPE_PREFIX,
    BadRequest,
    Code,
    DebugInfo,
    Detail,
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
from lro._core.errors import exceptions as _exceptions
from lro._core.errors.exceptions import *  # noqa: F403 (the tree: its one list below)

__all__ = [
    "RPC_TYPE_PREFIX",
    "BadRequest",
    "Code",
    "DebugInfo",
    "Detail",
    "ErrorInfo",
    "FieldViolation",
    "Help",
    "HelpLink",
    "LocalizedMessage",
    "PreconditionFailure",
    "PreconditionViolation",
    "QuotaFailure",
    "QuotaViolation",
    "RequestInfo",
    "ResourceInfo",
    "RetryInfo",
    "code_from_http",
    "error_from_http",
    "error_from_status",
    "exception_class_for",
    "parse_detail",
    "parse_retry_after",
]
__all__ += _exceptions.__all__

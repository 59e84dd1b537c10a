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

The modules: ``codes`` (the code and HTTP tables), ``details`` (the detail dataclasses and
their one field-table reader), ``exceptions`` (the tree; each class registers its own
code), ``parsing`` (statuses, HTTP error bodies, ``Retry-After``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import exceptions
from .codes import Code, code_from_http
from .exceptions import *  # noqa: F403 (the tree, listed once: exceptions.__all__)
from .exceptions import chain, exception_class_for
from .parsing import error_from_http, error_from_status, parse_retry_after

if TYPE_CHECKING:
    from .details import (
        RPC_TYPE_PREFIX,
        BadRequest,
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
        parse_detail,
    )

# The detail classes load on first use (defining them is most of what a one-shot
# `import lro; Client(url).get(name)` would otherwise pay for errors it never sees).
_DETAILS = frozenset(
    {
        "RPC_TYPE_PREFIX",
        "BadRequest",
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
        "parse_detail",
    }
)


def __getattr__(name: str) -> Any:
    if name in _DETAILS:
        from . import details

        return getattr(details, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
    "chain",
    "code_from_http",
    "error_from_http",
    "error_from_status",
    "exception_class_for",
    "parse_detail",
    "parse_retry_after",
]
__all__ += exceptions.__all__

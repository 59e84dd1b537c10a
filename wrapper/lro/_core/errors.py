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

import datetime as dt
import enum
import json
import math
import re
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from .timestamps import Duration, DurationError

if TYPE_CHECKING:
    from .operation import Operation

__all__ = [
    "RPC_TYPE_PREFIX",
    "Aborted",
    "AlreadyExists",
    "AnyTypeError",
    "BadRequest",
    "Cancelled",
    "Code",
    "ConnectError",
    "ConnectionDropped",
    "DataLoss",
    "DeadlineExceeded",
    "DebugInfo",
    "Detail",
    "Error",
    "ErrorInfo",
    "FailedPrecondition",
    "FieldViolation",
    "Help",
    "HelpLink",
    "Internal",
    "InvalidArgument",
    "InvalidName",
    "InvalidResponse",
    "LocalizedMessage",
    "NotDone",
    "NotFound",
    "OutOfRange",
    "PermissionDenied",
    "PreconditionFailure",
    "PreconditionViolation",
    "QuotaFailure",
    "QuotaViolation",
    "RequestInfo",
    "ResourceExhausted",
    "ResourceInfo",
    "RetryInfo",
    "TLSError",
    "TransportError",
    "TransportTimeout",
    "Unauthenticated",
    "Unavailable",
    "UnexpectedState",
    "Unimplemented",
    "Unknown",
    "WaitAllTimeout",
    "WaitTimeout",
    "code_from_http",
    "error_from_http",
    "error_from_status",
    "exception_class_for",
    "parse_detail",
    "parse_retry_after",
]

#: Type-URL prefix of the google.rpc error details.
RPC_TYPE_PREFIX = "type.googleapis.com/google.rpc."

# How much of a non-JSON body (an HTML page from a proxy) goes into a message.
_EXCERPT_CHARS = 200


# ---------------------------------------------------------------------------------------
# Codes


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


# ---------------------------------------------------------------------------------------
# Small JSON readers that never raise: wrong types read as "absent".


def _get(data: Mapping[str, Any], camel: str, snake: str | None = None) -> Any:
    """A field by its camelCase name, else its snake_case name (proto3 JSON accepts both)."""
    value = data.get(camel)
    if value is None and snake is not None:
        value = data.get(snake)
    return value


def _text(data: Mapping[str, Any], camel: str, snake: str | None = None) -> str:
    value = _get(data, camel, snake)
    return value if isinstance(value, str) else ""


def _texts(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        return ()
    return tuple(item for item in value if isinstance(item, str))


def _text_map(value: Any) -> dict[str, str]:
    if not isinstance(value, Mapping):
        return {}
    return {k: v for k, v in value.items() if isinstance(k, str) and isinstance(v, str)}


def _objects(value: Any) -> list[Mapping[str, Any]]:
    if not isinstance(value, list):
        return []
    return [item for item in value if isinstance(item, Mapping)]


def _int64(value: Any) -> int | None:
    """An int64 field: a JSON string in proto3, a number accepted on input."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"-?[0-9]{1,20}", value):
        return int(value)
    return None


def _drop_empty(data: dict[str, Any]) -> dict[str, Any]:
    """Omit default values, as proto3 JSON printers do."""
    return {k: v for k, v in data.items() if v not in ("", None, [], {})}


# ---------------------------------------------------------------------------------------
# Details (google/rpc/error_details.proto)


@dataclass(frozen=True)
class ErrorInfo:
    """Why an error happened: a machine-readable ``reason`` within a ``domain``."""

    TYPE_NAME: ClassVar[str] = "google.rpc.ErrorInfo"
    reason: str = ""
    domain: str = ""
    metadata: dict[str, str] = field(default_factory=dict, hash=False)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ErrorInfo:
        """Read the proto3 JSON form (unknown or mistyped fields are ignored)."""
        return cls(_text(data, "reason"), _text(data, "domain"), _text_map(data.get("metadata")))

    def to_dict(self) -> dict[str, Any]:
        """The proto3 JSON form, as an Any (with ``@type``)."""
        body = {"reason": self.reason, "domain": self.domain, "metadata": dict(self.metadata)}
        return {"@type": _type_url(self), **_drop_empty(body)}


@dataclass(frozen=True)
class RetryInfo:
    """When to retry: the client should wait at least ``retry_delay``."""

    TYPE_NAME: ClassVar[str] = "google.rpc.RetryInfo"
    retry_delay: Duration | None = None

    @property
    def seconds(self) -> float | None:
        """``retry_delay`` in seconds (never negative), or None when absent."""
        if self.retry_delay is None:
            return None
        return max(0.0, self.retry_delay.total_seconds())

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RetryInfo:
        """Read the proto3 JSON form; an unparsable ``retryDelay`` reads as absent."""
        raw = _get(data, "retryDelay", "retry_delay")
        try:
            return cls(Duration.parse(raw) if isinstance(raw, str) else None)
        except DurationError:
            return cls(None)

    def to_dict(self) -> dict[str, Any]:
        """The proto3 JSON form, as an Any (with ``@type``)."""
        body = {"retryDelay": self.retry_delay.to_json() if self.retry_delay else None}
        return {"@type": _type_url(self), **_drop_empty(body)}


@dataclass(frozen=True)
class DebugInfo:
    """Server-side debugging information (a stack trace and a free-form detail)."""

    TYPE_NAME: ClassVar[str] = "google.rpc.DebugInfo"
    stack_entries: tuple[str, ...] = ()
    detail: str = ""

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> DebugInfo:
        """Read the proto3 JSON form (unknown or mistyped fields are ignored)."""
        entries = _texts(_get(data, "stackEntries", "stack_entries"))
        return cls(entries, _text(data, "detail"))

    def to_dict(self) -> dict[str, Any]:
        """The proto3 JSON form, as an Any (with ``@type``)."""
        body = {"stackEntries": list(self.stack_entries), "detail": self.detail}
        return {"@type": _type_url(self), **_drop_empty(body)}


@dataclass(frozen=True)
class QuotaViolation:
    """One quota check that failed (``QuotaFailure.Violation``)."""

    subject: str = ""
    description: str = ""
    api_service: str = ""
    quota_metric: str = ""
    quota_id: str = ""
    quota_dimensions: dict[str, str] = field(default_factory=dict, hash=False)
    quota_value: int | None = None
    future_quota_value: int | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> QuotaViolation:
        """Read the proto3 JSON form (unknown or mistyped fields are ignored)."""
        return cls(
            subject=_text(data, "subject"),
            description=_text(data, "description"),
            api_service=_text(data, "apiService", "api_service"),
            quota_metric=_text(data, "quotaMetric", "quota_metric"),
            quota_id=_text(data, "quotaId", "quota_id"),
            quota_dimensions=_text_map(_get(data, "quotaDimensions", "quota_dimensions")),
            quota_value=_int64(_get(data, "quotaValue", "quota_value")),
            future_quota_value=_int64(_get(data, "futureQuotaValue", "future_quota_value")),
        )

    def to_dict(self) -> dict[str, Any]:
        """The proto3 JSON form (int64 values as strings)."""
        future = self.future_quota_value
        return _drop_empty(
            {
                "subject": self.subject,
                "description": self.description,
                "apiService": self.api_service,
                "quotaMetric": self.quota_metric,
                "quotaId": self.quota_id,
                "quotaDimensions": dict(self.quota_dimensions),
                "quotaValue": str(self.quota_value) if self.quota_value is not None else None,
                "futureQuotaValue": str(future) if future is not None else None,
            }
        )


@dataclass(frozen=True)
class QuotaFailure:
    """Which quota checks failed."""

    TYPE_NAME: ClassVar[str] = "google.rpc.QuotaFailure"
    Violation: ClassVar[type[QuotaViolation]] = QuotaViolation
    violations: tuple[QuotaViolation, ...] = ()

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> QuotaFailure:
        """Read the proto3 JSON form (unknown or mistyped fields are ignored)."""
        return cls(tuple(QuotaViolation.from_json(v) for v in _objects(data.get("violations"))))

    def to_dict(self) -> dict[str, Any]:
        """The proto3 JSON form, as an Any (with ``@type``)."""
        body = {"violations": [v.to_dict() for v in self.violations]}
        return {"@type": _type_url(self), **_drop_empty(body)}


@dataclass(frozen=True)
class PreconditionViolation:
    """One failed precondition (``PreconditionFailure.Violation``)."""

    type: str = ""
    subject: str = ""
    description: str = ""

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PreconditionViolation:
        """Read the proto3 JSON form (unknown or mistyped fields are ignored)."""
        return cls(_text(data, "type"), _text(data, "subject"), _text(data, "description"))

    def to_dict(self) -> dict[str, Any]:
        """The proto3 JSON form."""
        return _drop_empty(
            {"type": self.type, "subject": self.subject, "description": self.description}
        )


@dataclass(frozen=True)
class PreconditionFailure:
    """Which preconditions failed (e.g. terms of service not accepted)."""

    TYPE_NAME: ClassVar[str] = "google.rpc.PreconditionFailure"
    Violation: ClassVar[type[PreconditionViolation]] = PreconditionViolation
    violations: tuple[PreconditionViolation, ...] = ()

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PreconditionFailure:
        """Read the proto3 JSON form (unknown or mistyped fields are ignored)."""
        items = _objects(data.get("violations"))
        return cls(tuple(PreconditionViolation.from_json(v) for v in items))

    def to_dict(self) -> dict[str, Any]:
        """The proto3 JSON form, as an Any (with ``@type``)."""
        body = {"violations": [v.to_dict() for v in self.violations]}
        return {"@type": _type_url(self), **_drop_empty(body)}


@dataclass(frozen=True)
class LocalizedMessage:
    """An error message in a user's language."""

    TYPE_NAME: ClassVar[str] = "google.rpc.LocalizedMessage"
    locale: str = ""
    message: str = ""

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> LocalizedMessage:
        """Read the proto3 JSON form (unknown or mistyped fields are ignored)."""
        return cls(_text(data, "locale"), _text(data, "message"))

    def to_dict(self) -> dict[str, Any]:
        """The proto3 JSON form, as an Any (with ``@type``)."""
        body = {"locale": self.locale, "message": self.message}
        return {"@type": _type_url(self), **_drop_empty(body)}


@dataclass(frozen=True)
class FieldViolation:
    """One bad field in a request (``BadRequest.FieldViolation``)."""

    field: str = ""
    description: str = ""
    reason: str = ""
    localized_message: LocalizedMessage | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> FieldViolation:
        """Read the proto3 JSON form (unknown or mistyped fields are ignored)."""
        localized = _get(data, "localizedMessage", "localized_message")
        return cls(
            _text(data, "field"),
            _text(data, "description"),
            _text(data, "reason"),
            LocalizedMessage.from_json(localized) if isinstance(localized, Mapping) else None,
        )

    def to_dict(self) -> dict[str, Any]:
        """The proto3 JSON form."""
        localized = self.localized_message
        body = {
            "field": self.field,
            "description": self.description,
            "reason": self.reason,
            "localizedMessage": _drop_empty(
                {"locale": localized.locale, "message": localized.message}
            )
            if localized
            else None,
        }
        return _drop_empty(body)


@dataclass(frozen=True)
class BadRequest:
    """Which request fields were invalid."""

    TYPE_NAME: ClassVar[str] = "google.rpc.BadRequest"
    field_violations: tuple[FieldViolation, ...] = ()

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> BadRequest:
        """Read the proto3 JSON form (unknown or mistyped fields are ignored)."""
        items = _objects(_get(data, "fieldViolations", "field_violations"))
        return cls(tuple(FieldViolation.from_json(v) for v in items))

    def to_dict(self) -> dict[str, Any]:
        """The proto3 JSON form, as an Any (with ``@type``)."""
        body = {"fieldViolations": [v.to_dict() for v in self.field_violations]}
        return {"@type": _type_url(self), **_drop_empty(body)}


@dataclass(frozen=True)
class RequestInfo:
    """Which request failed, for a support ticket or the server's logs."""

    TYPE_NAME: ClassVar[str] = "google.rpc.RequestInfo"
    request_id: str = ""
    serving_data: str = ""

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RequestInfo:
        """Read the proto3 JSON form (unknown or mistyped fields are ignored)."""
        return cls(
            _text(data, "requestId", "request_id"), _text(data, "servingData", "serving_data")
        )

    def to_dict(self) -> dict[str, Any]:
        """The proto3 JSON form, as an Any (with ``@type``)."""
        body = {"requestId": self.request_id, "servingData": self.serving_data}
        return {"@type": _type_url(self), **_drop_empty(body)}


@dataclass(frozen=True)
class ResourceInfo:
    """The resource the error is about."""

    TYPE_NAME: ClassVar[str] = "google.rpc.ResourceInfo"
    resource_type: str = ""
    resource_name: str = ""
    owner: str = ""
    description: str = ""

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ResourceInfo:
        """Read the proto3 JSON form (unknown or mistyped fields are ignored)."""
        return cls(
            _text(data, "resourceType", "resource_type"),
            _text(data, "resourceName", "resource_name"),
            _text(data, "owner"),
            _text(data, "description"),
        )

    def to_dict(self) -> dict[str, Any]:
        """The proto3 JSON form, as an Any (with ``@type``)."""
        body = {
            "resourceType": self.resource_type,
            "resourceName": self.resource_name,
            "owner": self.owner,
            "description": self.description,
        }
        return {"@type": _type_url(self), **_drop_empty(body)}


@dataclass(frozen=True)
class HelpLink:
    """One documentation link (``Help.Link``)."""

    description: str = ""
    url: str = ""

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> HelpLink:
        """Read the proto3 JSON form (unknown or mistyped fields are ignored)."""
        return cls(_text(data, "description"), _text(data, "url"))

    def to_dict(self) -> dict[str, Any]:
        """The proto3 JSON form."""
        return _drop_empty({"description": self.description, "url": self.url})


@dataclass(frozen=True)
class Help:
    """Links to documentation about the error."""

    TYPE_NAME: ClassVar[str] = "google.rpc.Help"
    Link: ClassVar[type[HelpLink]] = HelpLink
    links: tuple[HelpLink, ...] = ()

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Help:
        """Read the proto3 JSON form (unknown or mistyped fields are ignored)."""
        return cls(tuple(HelpLink.from_json(v) for v in _objects(data.get("links"))))

    def to_dict(self) -> dict[str, Any]:
        """The proto3 JSON form, as an Any (with ``@type``)."""
        body = {"links": [link.to_dict() for link in self.links]}
        return {"@type": _type_url(self), **_drop_empty(body)}


#: Any parsed error detail. Details of other types are kept as raw JSON dicts.
Detail = (
    ErrorInfo
    | RetryInfo
    | DebugInfo
    | QuotaFailure
    | PreconditionFailure
    | BadRequest
    | RequestInfo
    | ResourceInfo
    | Help
    | LocalizedMessage
)

_DETAIL_TYPES: dict[str, Any] = {
    cls.TYPE_NAME: cls
    for cls in (
        ErrorInfo,
        RetryInfo,
        DebugInfo,
        QuotaFailure,
        PreconditionFailure,
        BadRequest,
        RequestInfo,
        ResourceInfo,
        Help,
        LocalizedMessage,
    )
}


def _type_url(detail: Detail) -> str:
    return "type.googleapis.com/" + detail.TYPE_NAME


def parse_detail(data: Mapping[str, Any]) -> Detail | dict[str, Any]:
    """Parse one ``details[]`` entry (an Any) into its dataclass.

    Details of unknown types, or without a string ``@type``, come back as a copy of the
    raw dict. Never raises.
    """
    type_url = data.get("@type") if isinstance(data, Mapping) else None
    if not isinstance(type_url, str):
        return dict(data) if isinstance(data, Mapping) else {}
    cls = _DETAIL_TYPES.get(type_url.rsplit("/", 1)[-1])
    if cls is None:
        return dict(data)
    parsed: Detail = cls.from_json(data)
    return parsed


def _detail_json(detail: Detail | Mapping[str, Any]) -> dict[str, Any]:
    if isinstance(detail, Mapping):
        copied: dict[str, Any] = _copy_json(detail)
        return copied
    return detail.to_dict()


def _copy_json(value: Any) -> Any:
    """Deep-copy JSON data: dicts and lists are copied, everything else is shared.

    Recursive first (fastest; several times faster than copy.deepcopy); data nested too
    deeply for that (json.loads accepts about twice the depth) or cyclic data goes through
    the iterative copy instead.
    """
    try:
        return _copy_recursive(value)
    except RecursionError:
        return _copy_iterative(value)


def _copy_recursive(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy_recursive(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy_recursive(v) for v in value]
    return value


def _copy_iterative(value: Any) -> Any:
    """Copy without recursion; shared and cyclic containers are copied once (as deepcopy)."""
    if not isinstance(value, (dict, list)):
        return value
    memo: dict[int, Any] = {}
    root = _shell(value, memo)
    pending = [value]
    while pending:
        source = pending.pop()
        target = memo[id(source)]
        items = source.items() if isinstance(source, dict) else enumerate(source)
        for key, item in items:
            if isinstance(item, (dict, list)):
                known = memo.get(id(item))
                if known is None:
                    known = _shell(item, memo)
                    pending.append(item)
                item = known
            if isinstance(target, dict):
                target[key] = item
            else:
                target.append(item)
    return root


def _shell(container: dict[Any, Any] | list[Any], memo: dict[int, Any]) -> Any:
    """An empty container of the same kind, remembered as the copy of ``container``."""
    shell: dict[Any, Any] | list[Any] = {} if isinstance(container, dict) else []
    memo[id(container)] = shell
    return shell


# ---------------------------------------------------------------------------------------
# The exception tree


def _restore_error(cls: type[Error], args: tuple[Any, ...], state: dict[str, Any]) -> Error:
    """Rebuild a pickled error without calling ``__init__`` (subclasses vary in signature)."""
    error = cls.__new__(cls)
    error.args = args
    error.__dict__.update(state)
    return error


#: A detail class (ErrorInfo, RetryInfo, ...), for typed lookups among the details.
_D = TypeVar("_D")


class Error(Exception):
    """Base class of every exception the SDK raises.

    Attributes:
        code: the :class:`Code` (a class default for each subclass).
        message: the server's (or the SDK's) message, possibly empty.
        http_status: the HTTP status of the response, when there was one.
        details: parsed details (:data:`Detail` dataclasses) or raw dicts for unknown types.
        operation_name: the operation concerned, when known.
        retry_delay: seconds to wait before retrying, from a ``RetryInfo`` detail or a
            ``Retry-After`` header (the larger when both), else None.
    """

    code: Code = Code.UNKNOWN

    def __init__(
        self,
        message: str = "",
        *,
        code: Code | int | None = None,
        http_status: int | None = None,
        details: Iterable[Detail | dict[str, Any]] = (),
        operation_name: str | None = None,
        retry_delay: float | None = None,
    ) -> None:
        """Build an error; ``code`` defaults to the class's code."""
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = _coerce_code(code)
        self.http_status = http_status
        self.details: list[Detail | dict[str, Any]] = list(details)
        self.operation_name = operation_name
        self.retry_delay = _larger(retry_delay, self._retry_info_seconds())
        # The details exactly as received, so status_dict() is lossless for wire errors.
        self._raw_details: list[dict[str, Any]] | None = None

    # -- details ------------------------------------------------------------------------

    def _first(self, cls: type[_D]) -> _D | None:
        return next((d for d in self.details if isinstance(d, cls)), None)

    def _retry_info_seconds(self) -> float | None:
        info = self._first(RetryInfo)
        return info.seconds if info is not None else None

    @property
    def error_info(self) -> ErrorInfo | None:
        """The first ``ErrorInfo`` detail, if any."""
        return self._first(ErrorInfo)

    @property
    def reason(self) -> str | None:
        """``ErrorInfo.reason`` (e.g. ``"OPERATION_NOT_FOUND"``), or None."""
        info = self.error_info
        return info.reason or None if info is not None else None

    @property
    def domain(self) -> str | None:
        """``ErrorInfo.domain``, or None."""
        info = self.error_info
        return info.domain or None if info is not None else None

    @property
    def retry_info(self) -> RetryInfo | None:
        """The first ``RetryInfo`` detail, if any."""
        return self._first(RetryInfo)

    @property
    def debug_info(self) -> DebugInfo | None:
        """The first ``DebugInfo`` detail, if any."""
        return self._first(DebugInfo)

    @property
    def quota_failure(self) -> QuotaFailure | None:
        """The first ``QuotaFailure`` detail, if any."""
        return self._first(QuotaFailure)

    @property
    def precondition_failure(self) -> PreconditionFailure | None:
        """The first ``PreconditionFailure`` detail, if any."""
        return self._first(PreconditionFailure)

    @property
    def bad_request(self) -> BadRequest | None:
        """The first ``BadRequest`` detail, if any."""
        return self._first(BadRequest)

    @property
    def request_info(self) -> RequestInfo | None:
        """The first ``RequestInfo`` detail, if any."""
        return self._first(RequestInfo)

    @property
    def resource_info(self) -> ResourceInfo | None:
        """The first ``ResourceInfo`` detail, if any."""
        return self._first(ResourceInfo)

    @property
    def help(self) -> Help | None:
        """The first ``Help`` detail, if any."""
        return self._first(Help)

    @property
    def localized_message(self) -> LocalizedMessage | None:
        """The first ``LocalizedMessage`` detail, if any."""
        return self._first(LocalizedMessage)

    # -- output -------------------------------------------------------------------------

    def status_dict(self) -> dict[str, Any]:
        """This error as google.rpc.Status JSON: ``{"code", "message", "details"}``.

        Details received from a server are returned exactly as received.
        """
        if self._raw_details is not None:
            details = _copy_json(self._raw_details)
        else:
            details = [_detail_json(d) for d in self.details]
        status: dict[str, Any] = {"code": int(self.code), "message": self.message}
        if details:
            status["details"] = details
        return status

    def __str__(self) -> str:
        head = self.code.name
        if self.http_status is not None:
            head += f" ({self.http_status})"
        text = f"{head}: {self.message}" if self.message else head
        extras = []
        if self.reason:
            extras.append(f"reason={self.reason}")
        if self.operation_name and self.operation_name not in self.message:
            extras.append(f"name={self.operation_name}")
        return f"{text} [{', '.join(extras)}]" if extras else text

    def __repr__(self) -> str:
        extra = f", http_status={self.http_status}" if self.http_status is not None else ""
        return f"{type(self).__name__}({self.message!r}, code={self.code.name}{extra})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (_restore_error, (type(self), self.args, dict(self.__dict__)))


def _coerce_code(code: Code | int) -> Code:
    try:
        return Code(code)
    except ValueError:
        return Code.UNKNOWN


def _larger(a: float | None, b: float | None) -> float | None:
    if a is None:
        return b
    return a if b is None else max(a, b)


class Cancelled(Error):
    """CANCELLED (1): the operation was cancelled, typically by the caller."""

    code = Code.CANCELLED


class Unknown(Error):
    """UNKNOWN (2): an error the server could not classify."""

    code = Code.UNKNOWN


class InvalidArgument(Error):
    """INVALID_ARGUMENT (3): the request is invalid whatever the system's state."""

    code = Code.INVALID_ARGUMENT


class DeadlineExceeded(Error):
    """DEADLINE_EXCEEDED (4): the deadline expired before the call completed."""

    code = Code.DEADLINE_EXCEEDED


class NotFound(Error):
    """NOT_FOUND (5): the operation (or other resource) does not exist."""

    code = Code.NOT_FOUND


class AlreadyExists(Error):
    """ALREADY_EXISTS (6): the resource being created already exists."""

    code = Code.ALREADY_EXISTS


class PermissionDenied(Error):
    """PERMISSION_DENIED (7): the caller may not do this."""

    code = Code.PERMISSION_DENIED


class ResourceExhausted(Error):
    """RESOURCE_EXHAUSTED (8): a quota or rate limit was hit; see ``retry_delay``."""

    code = Code.RESOURCE_EXHAUSTED


class FailedPrecondition(Error):
    """FAILED_PRECONDITION (9): the system is not in a state that allows the call."""

    code = Code.FAILED_PRECONDITION


class Aborted(Error):
    """ABORTED (10): the call was aborted (a concurrency conflict, or an aborted operation)."""

    code = Code.ABORTED


class OutOfRange(Error):
    """OUT_OF_RANGE (11): the request went past the valid range."""

    code = Code.OUT_OF_RANGE


class Unimplemented(Error):
    """UNIMPLEMENTED (12): the server does not support this call."""

    code = Code.UNIMPLEMENTED


class Internal(Error):
    """INTERNAL (13): the server broke an invariant."""

    code = Code.INTERNAL


class Unavailable(Error):
    """UNAVAILABLE (14): the service is unavailable for now; usually safe to retry."""

    code = Code.UNAVAILABLE


class DataLoss(Error):
    """DATA_LOSS (15): unrecoverable data loss or corruption."""

    code = Code.DATA_LOSS


class Unauthenticated(Error):
    """UNAUTHENTICATED (16): missing or invalid credentials."""

    code = Code.UNAUTHENTICATED


class TransportError(Error):
    """The request did not get a complete HTTP response (code UNAVAILABLE)."""

    code = Code.UNAVAILABLE


class ConnectError(TransportError):
    """Could not connect to the server."""


class ConnectionDropped(TransportError):
    """The connection closed before a complete response arrived."""


class TransportTimeout(TransportError):
    """A connect or read timeout passed."""


class TLSError(TransportError):
    """The TLS handshake or certificate verification failed."""


class InvalidResponse(Error):
    """A response (or a field of one) that does not match the protocol (code UNKNOWN).

    Attributes:
        raw: the offending text, when there is one.
        field: the JSON field that was wrong (e.g. ``"createTime"``), when known.
    """

    code = Code.UNKNOWN

    def __init__(
        self,
        message: str = "",
        *,
        raw: str | None = None,
        field: str | None = None,
        **kwargs: Any,
    ) -> None:
        """Build the error; other keywords as for :class:`Error`."""
        super().__init__(message, **kwargs)
        self.raw = raw
        self.field = field


class AnyTypeError(Error):
    """An ``Any`` could not be unpacked as asked: wrong ``@type`` or invalid fields.

    Code INVALID_ARGUMENT: the caller asked for a type the data does not have.
    """

    code = Code.INVALID_ARGUMENT


class WaitTimeout(DeadlineExceeded):
    """Waiting for an operation ran out of time (code DEADLINE_EXCEEDED).

    A :class:`DeadlineExceeded`, so ``except lro.DeadlineExceeded`` catches both a
    server's deadline error and the client's own wait deadline. The operation itself
    keeps running on the server (unless the wait was told ``cancel_on_timeout=True``).

    Attributes:
        operation: the last snapshot seen before giving up, if any.
    """

    code = Code.DEADLINE_EXCEEDED

    def __init__(
        self, message: str = "", *, operation: Operation | None = None, **kwargs: Any
    ) -> None:
        """Build the error; ``operation_name`` defaults to ``operation.name``."""
        if kwargs.get("operation_name") is None and operation is not None:
            kwargs["operation_name"] = _name_of(operation)
        super().__init__(message, **kwargs)
        self.operation = operation


class WaitAllTimeout(WaitTimeout):
    """The deadline of :func:`wait_all` / :func:`as_completed` passed with operations
    still running (code DEADLINE_EXCEEDED; a :class:`lro.WaitTimeout`).

    Attributes:
        operations: in input order, the final snapshot of each done operation and the
            latest snapshot of each other one (None if none could be fetched).
        not_done: names of the operations not done, in input order.
    """

    def __init__(
        self,
        message: str = "",
        *,
        operations: Sequence[Operation | None] = (),
        not_done: Sequence[str] = (),
        **kwargs: Any,
    ) -> None:
        """Build the error; other keywords as for :class:`lro.WaitTimeout`."""
        super().__init__(message, **kwargs)
        self.operations: list[Operation | None] = list(operations)
        self.not_done: list[str] = list(not_done)


def _name_of(operation: Operation) -> str | None:
    try:
        return operation.name or None
    except Error:
        return None


class InvalidName(InvalidArgument):
    """An operation name rejected on the client, before any request was sent."""


class UnexpectedState(Error):
    """An operation is done but has neither ``error`` nor ``response`` (code UNKNOWN)."""

    code = Code.UNKNOWN


class NotDone(FailedPrecondition):
    """A result was asked of an operation that is not done (code FAILED_PRECONDITION)."""


_CLASS_FOR_CODE: dict[Code, type[Error]] = {
    Code.OK: Error,
    Code.CANCELLED: Cancelled,
    Code.UNKNOWN: Unknown,
    Code.INVALID_ARGUMENT: InvalidArgument,
    Code.DEADLINE_EXCEEDED: DeadlineExceeded,
    Code.NOT_FOUND: NotFound,
    Code.ALREADY_EXISTS: AlreadyExists,
    Code.PERMISSION_DENIED: PermissionDenied,
    Code.RESOURCE_EXHAUSTED: ResourceExhausted,
    Code.FAILED_PRECONDITION: FailedPrecondition,
    Code.ABORTED: Aborted,
    Code.OUT_OF_RANGE: OutOfRange,
    Code.UNIMPLEMENTED: Unimplemented,
    Code.INTERNAL: Internal,
    Code.UNAVAILABLE: Unavailable,
    Code.DATA_LOSS: DataLoss,
    Code.UNAUTHENTICATED: Unauthenticated,
}


def exception_class_for(code: Code | int) -> type[Error]:
    """The exception class for a code (unknown numbers give :class:`Unknown`)."""
    return _CLASS_FOR_CODE[_coerce_code(code)]


# ---------------------------------------------------------------------------------------
# Parsing statuses and HTTP error responses


def parse_retry_after(value: str, *, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header value, or None if unusable.

    Accepts delta-seconds (``"120"``, also ``"1.5"``) and an HTTP-date (a date in the
    past gives 0). ``now`` (epoch seconds) is for tests.
    """
    if not isinstance(value, str):
        return None
    text = value.strip()
    if re.fullmatch(r"[0-9]{1,12}(\.[0-9]{1,9})?", text):
        return float(text)
    import email.utils  # only for HTTP-dates, which are rare; keeps `import lro` cheap

    try:
        when = email.utils.parsedate_to_datetime(text)
        if when.tzinfo is None:  # "-0000" means UTC without saying so
            when = when.replace(tzinfo=dt.timezone.utc)
        stamp = when.timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    delay = stamp - (time.time() if now is None else now)
    return max(0.0, delay) if math.isfinite(delay) else None


def _header(headers: Mapping[str, str] | None, name: str) -> str | None:
    """Case-insensitive header lookup over any mapping."""
    if not isinstance(headers, Mapping):
        return None
    for key, value in headers.items():
        if isinstance(key, str) and key.lower() == name and isinstance(value, str):
            return value
    return None


def _code_value(value: Any) -> int | str | None:
    """A ``code`` field as an int, or an upper-case name; None if neither."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        text = value.strip()
        if re.fullmatch(r"-?[0-9]{1,9}", text):
            return int(text)
        return text.upper()
    return None


def _resolve_code(status: Mapping[str, Any], http_status: int | None, code_is_http: bool) -> Code:
    """Pick the code: the ``status`` name, else ``code``, else the HTTP status."""
    name = status.get("status")
    if isinstance(name, str) and name.strip().upper() in Code.__members__:
        return Code[name.strip().upper()]
    raw = _code_value(status.get("code"))
    if isinstance(raw, str) and raw in Code.__members__:
        return Code[raw]
    if isinstance(raw, int):
        if not code_is_http and 0 < raw <= 16:
            return Code(raw)
        # Google REST bodies (form 1) put the HTTP status in `code`.
        if 100 <= raw <= 599 and http_status is None:
            return code_from_http(raw)
    if http_status is not None and (http_status >= 400 or raw is None):
        return code_from_http(http_status)
    return Code.OK if raw == 0 else Code.UNKNOWN


def _message_of(value: Any) -> str:
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    try:
        return json.dumps(value, ensure_ascii=False)[:1000]
    except (TypeError, ValueError, RecursionError):
        return ""


def _build(
    status: Mapping[str, Any],
    *,
    http_status: int | None,
    operation_name: str | None,
    headers: Mapping[str, str] | None,
    code_is_http: bool,
    fallback_message: str = "",
) -> Error:
    code = _resolve_code(status, http_status, code_is_http)
    message = _message_of(status.get("message")) or fallback_message
    raw_details = [dict(d) for d in _objects(status.get("details"))]
    retry_after = _header(headers, "retry-after")
    error = exception_class_for(code)(
        message,
        code=code,
        http_status=http_status,
        details=[parse_detail(d) for d in raw_details],
        operation_name=operation_name,
        retry_delay=parse_retry_after(retry_after) if retry_after is not None else None,
    )
    error._raw_details = raw_details
    return error


def error_from_status(
    status: Mapping[str, Any],
    *,
    http_status: int | None = None,
    operation_name: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> Error:
    """Build the typed error for a google.rpc.Status JSON object (e.g. ``Operation.error``).

    The class follows ``status["code"]`` (a number or a code name; a Google REST
    ``"status"`` name wins when present). ``headers`` may carry ``Retry-After``. Never
    raises: a status of the wrong shape gives :class:`Unknown` (or the HTTP status's class).
    """
    if not isinstance(status, Mapping):
        code = code_from_http(http_status) if http_status is not None else Code.UNKNOWN
        message = f"error status is not a JSON object: {_message_of(status)[:_EXCERPT_CHARS]}"
        return exception_class_for(code)(
            message, code=code, http_status=http_status, operation_name=operation_name
        )
    return _build(
        status,
        http_status=_http_or_none(http_status),
        operation_name=operation_name,
        headers=headers,
        code_is_http=False,
    )


def _http_or_none(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value


def _http_summary(http_status: int | None) -> str:
    if http_status is None:
        return "HTTP error"
    import http  # imported on first error, not at `import lro`

    try:
        phrase = http.HTTPStatus(http_status).phrase
    except ValueError:
        phrase = ""
    return f"HTTP {http_status} {phrase}".rstrip()


_TITLE_RE = re.compile(r"<title[^>]*>(.*?)</title", re.IGNORECASE | re.DOTALL)
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f-\x9f]+")


def _excerpt(text: str) -> str:
    """A short, single-line, printable excerpt: an HTML page's title, else the start."""
    head = text[:65536]
    match = _TITLE_RE.search(head)
    if match:
        import html  # only for HTML error pages

        excerpt = html.unescape(match.group(1))
    else:
        excerpt = head[: _EXCERPT_CHARS * 4]
    # Control characters (ANSI escapes, NULs) and newlines never reach a message.
    excerpt = " ".join(_CONTROL_RE.sub(" ", excerpt).split())
    if len(excerpt) > _EXCERPT_CHARS:
        excerpt = excerpt[: _EXCERPT_CHARS - 3] + "..."
    return excerpt


def _decode_body(body: Any) -> str:
    if isinstance(body, str):
        return body
    if isinstance(body, (bytes, bytearray, memoryview)):
        return bytes(body).decode("utf-8", errors="replace").removeprefix("\ufeff")
    return ""


def _load_json(text: str) -> Any:
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return None


def _status_of(document: Any) -> tuple[Mapping[str, Any] | None, bool]:
    """Find the Status in a JSON error body and say whether its ``code`` is an HTTP status.

    Form 1 (Google REST) nests it under an ``error`` object; forms 2 and 3 (grpc-gateway)
    are the Status itself, form 3 adding ``error`` as a string.
    """
    if isinstance(document, list) and document:
        # Some Google endpoints wrap the form-1 body in a one-element list.
        document = document[0]
    if not isinstance(document, Mapping):
        return None, False
    inner = document.get("error")
    if isinstance(inner, Mapping):
        return inner, True
    if any(key in document for key in ("code", "message", "details", "error")):
        return document, False
    return None, False


def error_from_http(
    http_status: int,
    body: bytes,
    headers: Mapping[str, str] | None = None,
    operation_name: str | None = None,
) -> Error:
    """Build the typed error for an HTTP error response. Never raises.

    Reads the three JSON body forms of protocol.md. A body that is not JSON (an HTML
    page from a proxy), empty, or JSON of another shape maps by HTTP status, with a short
    printable excerpt of the body in the message. ``Retry-After`` (seconds or an
    HTTP-date) and a ``RetryInfo`` detail set ``retry_delay`` (the larger wins).
    """
    status_code = _http_or_none(http_status)
    text = _decode_body(body)
    summary = _http_summary(status_code)
    status, code_is_http = _status_of(_load_json(text)) if text.strip() else (None, False)
    if status is None:
        excerpt = _excerpt(text)
        status = {}
        summary = f"{summary}: {excerpt}" if excerpt else summary
    elif not isinstance(status.get("message"), str) and isinstance(status.get("error"), str):
        # grpc-gateway v1 (form 3) may carry the text only in `error`.
        status = {**status, "message": status["error"]}
    return _build(
        status,
        http_status=status_code,
        operation_name=operation_name,
        headers=headers,
        code_is_http=code_is_http,
        fallback_message=summary,
    )

"""Error details (google/rpc/error_details.proto) as small frozen dataclasses.

Each message type declares one field table, ``FIELDS``: for each field its wire
(camelCase) name and its :class:`Kind`. One generic reader (:meth:`Message.from_json`)
and one generic writer (:meth:`Message.to_dict`) follow the table, so a new detail type
is a dataclass and a table, nothing more. The reader never raises: a field of the wrong
JSON type reads as its default, as proto3 JSON parsers that ignore unknown data do.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar

from ..jsonvalues import copy_json, int64
from ..timestamps import Duration, DurationError

__all__ = [
    "RPC_TYPE_PREFIX",
    "BadRequest",
    "DebugInfo",
    "Detail",
    "ErrorInfo",
    "FieldViolation",
    "Help",
    "HelpLink",
    "Kind",
    "LocalizedMessage",
    "Message",
    "PreconditionFailure",
    "PreconditionViolation",
    "QuotaFailure",
    "QuotaViolation",
    "RequestInfo",
    "ResourceInfo",
    "RetryInfo",
    "Wire",
    "detail_json",
    "parse_detail",
]

#: Type-URL prefix of the google.rpc error details.
RPC_TYPE_PREFIX = "type.googleapis.com/google.rpc."


# ---------------------------------------------------------------------------------------
# The field table and the one reader / writer


class Kind(enum.Enum):
    """The JSON shape of one field (and the Python value it reads as)."""

    TEXT = "text"  # string -> str ("" when absent)
    TEXTS = "texts"  # array of strings -> tuple[str, ...]
    TEXT_MAP = "text_map"  # map<string, string> -> dict[str, str]
    INT64 = "int64"  # decimal string (or number) -> int | None
    DURATION = "duration"  # "1.5s" -> Duration | None
    MESSAGE = "message"  # one nested message -> instance | None
    MESSAGES = "messages"  # repeated nested message -> tuple of instances


_HUMP = re.compile(r"(?<!^)(?=[A-Z])")
_M = TypeVar("_M", bound="Message")


@dataclass(frozen=True)
class Wire:
    """One row of a field table: the wire name, the kind, the nested type if any.

    The Python attribute is the wire name in snake_case (``apiService`` is
    ``api_service``); proto3 JSON parsers accept that spelling on input too.
    """

    name: str
    kind: Kind = Kind.TEXT
    message: type[Message] | None = None
    #: The dataclass attribute this field is stored in.
    attr: str = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "attr", _HUMP.sub("_", self.name).lower())

    def read(self, data: Mapping[str, Any]) -> Any:
        """This field's value in ``data``, or the kind's default when absent or mistyped."""
        value = data.get(self.name)
        if value is None and self.attr != self.name:
            value = data.get(self.attr)
        kind = self.kind
        if kind is Kind.TEXT:
            return value if isinstance(value, str) else ""
        if kind is Kind.TEXTS:
            items = value if isinstance(value, list) else []
            return tuple(item for item in items if isinstance(item, str))
        if kind is Kind.TEXT_MAP:
            pairs = value.items() if isinstance(value, Mapping) else ()
            return {k: v for k, v in pairs if isinstance(k, str) and isinstance(v, str)}
        if kind is Kind.INT64:
            return int64(value)
        if kind is Kind.DURATION:
            try:
                return Duration.parse(value) if isinstance(value, str) else None
            except DurationError:
                return None
        assert self.message is not None, f"{self.name}: a message field needs its type"
        if kind is Kind.MESSAGE:
            return self.message.from_json(value) if isinstance(value, Mapping) else None
        items = value if isinstance(value, list) else []
        return tuple(self.message.from_json(v) for v in items if isinstance(v, Mapping))

    def write(self, value: Any) -> Any:
        """``value`` in proto3 JSON form (int64 as a string; nested messages as bodies)."""
        kind = self.kind
        if value is None:
            return None
        if kind is Kind.TEXTS:
            return list(value)
        if kind is Kind.TEXT_MAP:
            return dict(value)
        if kind is Kind.INT64:
            return str(value)
        if kind is Kind.DURATION:
            return value.to_json()
        if kind is Kind.MESSAGE:
            return value.body()
        if kind is Kind.MESSAGES:
            return [item.body() for item in value]
        return value


def _drop_empty(data: dict[str, Any]) -> dict[str, Any]:
    """Omit default values, as proto3 JSON printers do."""
    return {k: v for k, v in data.items() if v not in ("", None, [], {})}


class Message:
    """What every detail dataclass shares: the generic reader and writer of its table."""

    #: The field table: one :class:`Wire` per dataclass field, in order.
    FIELDS: ClassVar[tuple[Wire, ...]] = ()

    @classmethod
    def from_json(cls: type[_M], data: Mapping[str, Any]) -> _M:
        """Read the proto3 JSON form (unknown or mistyped fields are ignored)."""
        values: dict[str, Any] = {f.attr: f.read(data) for f in cls.FIELDS}
        return cls(**values)

    def body(self) -> dict[str, Any]:
        """The proto3 JSON fields without ``@type``, default values omitted."""
        return _drop_empty({f.name: f.write(getattr(self, f.attr)) for f in self.FIELDS})

    def to_dict(self) -> dict[str, Any]:
        """The proto3 JSON form (int64 values as strings)."""
        return self.body()


class _Detail(Message):
    """A detail type of its own (it travels in ``details[]`` as an Any)."""

    TYPE_NAME: ClassVar[str]

    def to_dict(self) -> dict[str, Any]:
        """The proto3 JSON form, as an Any (with ``@type``)."""
        return {"@type": "type.googleapis.com/" + self.TYPE_NAME, **self.body()}


# ---------------------------------------------------------------------------------------
# The detail types


@dataclass(frozen=True)
class ErrorInfo(_Detail):
    """Why an error happened: a machine-readable ``reason`` within a ``domain``."""

    TYPE_NAME: ClassVar[str] = "google.rpc.ErrorInfo"
    FIELDS = (Wire("reason"), Wire("domain"), Wire("metadata", Kind.TEXT_MAP))
    reason: str = ""
    domain: str = ""
    metadata: dict[str, str] = field(default_factory=dict, hash=False)


@dataclass(frozen=True)
class RetryInfo(_Detail):
    """When to retry: the client should wait at least ``retry_delay``."""

    TYPE_NAME: ClassVar[str] = "google.rpc.RetryInfo"
    FIELDS = (Wire("retryDelay", Kind.DURATION),)
    retry_delay: Duration | None = None

    @property
    def seconds(self) -> float | None:
        """``retry_delay`` in seconds (never negative), or None when absent."""
        if self.retry_delay is None:
            return None
        return max(0.0, self.retry_delay.total_seconds())


@dataclass(frozen=True)
class DebugInfo(_Detail):
    """Server-side debugging information (a stack trace and a free-form detail)."""

    TYPE_NAME: ClassVar[str] = "google.rpc.DebugInfo"
    FIELDS = (Wire("stackEntries", Kind.TEXTS), Wire("detail"))
    stack_entries: tuple[str, ...] = ()
    detail: str = ""


@dataclass(frozen=True)
class QuotaViolation(Message):
    """One quota check that failed (``QuotaFailure.Violation``)."""

    FIELDS = (
        Wire("subject"),
        Wire("description"),
        Wire("apiService"),
        Wire("quotaMetric"),
        Wire("quotaId"),
        Wire("quotaDimensions", Kind.TEXT_MAP),
        Wire("quotaValue", Kind.INT64),
        Wire("futureQuotaValue", Kind.INT64),
    )
    subject: str = ""
    description: str = ""
    api_service: str = ""
    quota_metric: str = ""
    quota_id: str = ""
    quota_dimensions: dict[str, str] = field(default_factory=dict, hash=False)
    quota_value: int | None = None
    future_quota_value: int | None = None


@dataclass(frozen=True)
class QuotaFailure(_Detail):
    """Which quota checks failed."""

    TYPE_NAME: ClassVar[str] = "google.rpc.QuotaFailure"
    Violation: ClassVar[type[QuotaViolation]] = QuotaViolation
    FIELDS = (Wire("violations", Kind.MESSAGES, QuotaViolation),)
    violations: tuple[QuotaViolation, ...] = ()


@dataclass(frozen=True)
class PreconditionViolation(Message):
    """One failed precondition (``PreconditionFailure.Violation``)."""

    FIELDS = (Wire("type"), Wire("subject"), Wire("description"))
    type: str = ""
    subject: str = ""
    description: str = ""


@dataclass(frozen=True)
class PreconditionFailure(_Detail):
    """Which preconditions failed (e.g. terms of service not accepted)."""

    TYPE_NAME: ClassVar[str] = "google.rpc.PreconditionFailure"
    Violation: ClassVar[type[PreconditionViolation]] = PreconditionViolation
    FIELDS = (Wire("violations", Kind.MESSAGES, PreconditionViolation),)
    violations: tuple[PreconditionViolation, ...] = ()


@dataclass(frozen=True)
class LocalizedMessage(_Detail):
    """An error message in a user's language."""

    TYPE_NAME: ClassVar[str] = "google.rpc.LocalizedMessage"
    FIELDS = (Wire("locale"), Wire("message"))
    locale: str = ""
    message: str = ""


@dataclass(frozen=True)
class FieldViolation(Message):
    """One bad field in a request (``BadRequest.FieldViolation``)."""

    FIELDS = (
        Wire("field"),
        Wire("description"),
        Wire("reason"),
        Wire("localizedMessage", Kind.MESSAGE, LocalizedMessage),
    )
    field: str = ""
    description: str = ""
    reason: str = ""
    localized_message: LocalizedMessage | None = None


@dataclass(frozen=True)
class BadRequest(_Detail):
    """Which request fields were invalid."""

    TYPE_NAME: ClassVar[str] = "google.rpc.BadRequest"
    FIELDS = (Wire("fieldViolations", Kind.MESSAGES, FieldViolation),)
    field_violations: tuple[FieldViolation, ...] = ()


@dataclass(frozen=True)
class RequestInfo(_Detail):
    """Which request failed, for a support ticket or the server's logs."""

    TYPE_NAME: ClassVar[str] = "google.rpc.RequestInfo"
    FIELDS = (Wire("requestId"), Wire("servingData"))
    request_id: str = ""
    serving_data: str = ""


@dataclass(frozen=True)
class ResourceInfo(_Detail):
    """The resource the error is about."""

    TYPE_NAME: ClassVar[str] = "google.rpc.ResourceInfo"
    FIELDS = (Wire("resourceType"), Wire("resourceName"), Wire("owner"), Wire("description"))
    resource_type: str = ""
    resource_name: str = ""
    owner: str = ""
    description: str = ""


@dataclass(frozen=True)
class HelpLink(Message):
    """One documentation link (``Help.Link``)."""

    FIELDS = (Wire("description"), Wire("url"))
    description: str = ""
    url: str = ""


@dataclass(frozen=True)
class Help(_Detail):
    """Links to documentation about the error."""

    TYPE_NAME: ClassVar[str] = "google.rpc.Help"
    Link: ClassVar[type[HelpLink]] = HelpLink
    FIELDS = (Wire("links", Kind.MESSAGES, HelpLink),)
    links: tuple[HelpLink, ...] = ()


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

# The parsed detail types by full message name.
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


def detail_json(detail: Detail | Mapping[str, Any]) -> dict[str, Any]:
    """One detail as JSON: a dataclass's ``to_dict()``, a copy of a raw dict."""
    if isinstance(detail, Mapping):
        copied: dict[str, Any] = copy_json(detail)
        return copied
    return detail.to_dict()

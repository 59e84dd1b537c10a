"""The exception tree: :class:`Error`, one class per google.rpc code, the SDK's own.

A per-code class registers itself for its code where it is defined
(``class NotFound(Error, code=Code.NOT_FOUND)``); :func:`exception_class_for` reads that
registry. The SDK's own errors (:class:`TransportError`, :class:`InvalidResponse`,
:class:`WaitTimeout`, ...) subclass one of them or set ``code`` without registering.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar, overload

from ..jsonvalues import copy_json
from .codes import Code, coerce_code

if TYPE_CHECKING:
    from ..snapshot import Snapshot
    from .details import (
        BadRequest,
        DebugInfo,
        Detail,
        ErrorInfo,
        Help,
        LocalizedMessage,
        PreconditionFailure,
        QuotaFailure,
        RequestInfo,
        ResourceInfo,
        RetryInfo,
    )

#: The exception tree: the one list every public module re-exports it from.
__all__ = [
    "Aborted",
    "AlreadyExists",
    "AnyTypeError",
    "Cancelled",
    "ConnectError",
    "ConnectionDropped",
    "DataLoss",
    "DeadlineExceeded",
    "Error",
    "FailedPrecondition",
    "Internal",
    "InvalidArgument",
    "InvalidName",
    "InvalidResponse",
    "NotDone",
    "NotFound",
    "OutOfRange",
    "PermissionDenied",
    "ResourceExhausted",
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
]

#: A detail class (ErrorInfo, RetryInfo, ...), for typed lookups among the details.
_D = TypeVar("_D")

# What replaces a credential in a message that would otherwise quote it.
_REDACTED = "<redacted>"


class _FirstDetail(Generic[_D]):
    """A read-only attribute of :class:`Error`: its first detail of one type, or None.

    The type is named, not imported: the detail classes load with the first error that
    has details, so a process that never sees one never pays for defining them.
    """

    def __init__(self, type_name: str) -> None:
        self.type_name = type_name
        self.__doc__ = f"The first ``{type_name}`` detail, if any."

    @overload
    def __get__(self, error: None, owner: type[Any]) -> _FirstDetail[_D]: ...

    @overload
    def __get__(self, error: Error, owner: type[Any]) -> _D | None: ...

    def __get__(self, error: Error | None, owner: type[Any]) -> _D | _FirstDetail[_D] | None:
        if error is None:
            return self
        from . import details

        cls: type[_D] = getattr(details, self.type_name)
        return next((d for d in error.details if isinstance(d, cls)), None)


def _restore_error(cls: type[Error], args: tuple[Any, ...], state: dict[str, Any]) -> Error:
    """Rebuild a pickled error without calling ``__init__`` (subclasses vary in signature)."""
    error = cls.__new__(cls)
    error.args = args
    error.__dict__.update(state)
    return error


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
        request: the request that failed, as ``"METHOD /path"`` (the URL's path: no
            host, query or credentials), when the client sent one; shown by ``str()``, so
            a wrong base URL reads as what it is.
    """

    code: Code = Code.UNKNOWN
    request: str | None = None

    # The class of each code, filled in by the classes themselves (``code=`` below).
    _by_code: ClassVar[dict[Code, type[Error]]] = {}

    def __init_subclass__(cls, *, code: Code | None = None, **kwargs: Any) -> None:
        """``class NotFound(Error, code=Code.NOT_FOUND)``: the class of a code."""
        super().__init_subclass__(**kwargs)
        if code is None:
            return
        if code in Error._by_code:
            raise TypeError(f"{Error._by_code[code].__name__} already has code {code.name}")
        cls.code = code
        Error._by_code[code] = cls

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
            self.code = coerce_code(code)
        self.http_status = http_status
        self.details: list[Detail | dict[str, Any]] = list(details)
        self.operation_name = operation_name
        retry_info = self.retry_info
        self.retry_delay = _larger(retry_delay, retry_info.seconds if retry_info else None)
        # The details exactly as received, so status_dict() is lossless for wire errors.
        self._raw_details: list[dict[str, Any]] | None = None

    # -- details: the first of each type ------------------------------------------------

    error_info: _FirstDetail[ErrorInfo] = _FirstDetail("ErrorInfo")
    retry_info: _FirstDetail[RetryInfo] = _FirstDetail("RetryInfo")
    debug_info: _FirstDetail[DebugInfo] = _FirstDetail("DebugInfo")
    quota_failure: _FirstDetail[QuotaFailure] = _FirstDetail("QuotaFailure")
    precondition_failure: _FirstDetail[PreconditionFailure] = _FirstDetail("PreconditionFailure")
    bad_request: _FirstDetail[BadRequest] = _FirstDetail("BadRequest")
    request_info: _FirstDetail[RequestInfo] = _FirstDetail("RequestInfo")
    resource_info: _FirstDetail[ResourceInfo] = _FirstDetail("ResourceInfo")
    help: _FirstDetail[Help] = _FirstDetail("Help")
    localized_message: _FirstDetail[LocalizedMessage] = _FirstDetail("LocalizedMessage")

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

    # -- output -------------------------------------------------------------------------

    def status_dict(self) -> dict[str, Any]:
        """This error as google.rpc.Status JSON: ``{"code", "message", "details"}``.

        Details received from a server are returned exactly as received.
        """
        if self._raw_details is not None:
            details = copy_json(self._raw_details)
        else:
            from .details import detail_json

            details = [detail_json(d) for d in self.details]
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
        if self.request:
            extras.append(f"request={self.request}")
        return f"{text} [{', '.join(extras)}]" if extras else text

    def __repr__(self) -> str:
        extra = f", http_status={self.http_status}" if self.http_status is not None else ""
        return f"{type(self).__name__}({self.message!r}, code={self.code.name}{extra})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (_restore_error, (type(self), self.args, dict(self.__dict__)))


def _larger(a: float | None, b: float | None) -> float | None:
    if a is None:
        return b
    return a if b is None else max(a, b)


class Cancelled(Error, code=Code.CANCELLED):
    """CANCELLED (1): the operation was cancelled, typically by the caller."""


class Unknown(Error, code=Code.UNKNOWN):
    """UNKNOWN (2): an error the server could not classify."""


class InvalidArgument(Error, code=Code.INVALID_ARGUMENT):
    """INVALID_ARGUMENT (3): the request is invalid whatever the system's state."""


class DeadlineExceeded(Error, code=Code.DEADLINE_EXCEEDED):
    """DEADLINE_EXCEEDED (4): the deadline expired before the call completed."""


class NotFound(Error, code=Code.NOT_FOUND):
    """NOT_FOUND (5): the operation (or other resource) does not exist."""


class AlreadyExists(Error, code=Code.ALREADY_EXISTS):
    """ALREADY_EXISTS (6): the resource being created already exists."""


class PermissionDenied(Error, code=Code.PERMISSION_DENIED):
    """PERMISSION_DENIED (7): the caller may not do this."""


class ResourceExhausted(Error, code=Code.RESOURCE_EXHAUSTED):
    """RESOURCE_EXHAUSTED (8): a quota or rate limit was hit; see ``retry_delay``."""


class FailedPrecondition(Error, code=Code.FAILED_PRECONDITION):
    """FAILED_PRECONDITION (9): the system is not in a state that allows the call."""


class Aborted(Error, code=Code.ABORTED):
    """ABORTED (10): the call was aborted (a concurrency conflict, or an aborted operation)."""


class OutOfRange(Error, code=Code.OUT_OF_RANGE):
    """OUT_OF_RANGE (11): the request went past the valid range."""


class Unimplemented(Error, code=Code.UNIMPLEMENTED):
    """UNIMPLEMENTED (12): the server does not support this call."""


class Internal(Error, code=Code.INTERNAL):
    """INTERNAL (13): the server broke an invariant."""


class Unavailable(Error, code=Code.UNAVAILABLE):
    """UNAVAILABLE (14): the service is unavailable for now; usually safe to retry."""


class DataLoss(Error, code=Code.DATA_LOSS):
    """DATA_LOSS (15): unrecoverable data loss or corruption."""


class Unauthenticated(Error, code=Code.UNAUTHENTICATED):
    """UNAUTHENTICATED (16): missing or invalid credentials."""


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
        self, message: str = "", *, operation: Snapshot | None = None, **kwargs: Any
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
        operations: Sequence[Snapshot | None] = (),
        not_done: Sequence[str] = (),
        **kwargs: Any,
    ) -> None:
        """Build the error; other keywords as for :class:`lro.WaitTimeout`."""
        super().__init__(message, **kwargs)
        self.operations: list[Snapshot | None] = list(operations)
        self.not_done: list[str] = list(not_done)


def _name_of(operation: Snapshot) -> str | None:
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


def exception_class_for(code: Code | int) -> type[Error]:
    """The exception class for a code (unknown numbers give :class:`Unknown`; OK gives
    :class:`Error`)."""
    return Error._by_code.get(coerce_code(code), Error)


# ---------------------------------------------------------------------------------------
# Chaining a cause without showing a credential


def _texts(exc: BaseException) -> Iterable[str]:
    """str() and repr() of ``exc`` and of every exception chained to it."""
    seen: set[int] = set()
    pending: list[BaseException | None] = [exc]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        for show in (str, repr):
            try:
                yield show(current)
            except Exception:  # a broken __str__ shows nothing
                continue
        pending += [current.__cause__, current.__context__]


def chain(error: Error, cause: BaseException, secrets: Iterable[str | None] = ()) -> Error:
    """``error`` with ``cause`` as its ``__cause__`` (what ``raise error from cause`` does).

    When the text of ``cause`` (or of anything chained to it) shows one of ``secrets``
    (a token, an ``Authorization`` value), the cause is dropped instead and the secret is
    cut from ``error``'s message: a credential never reaches a message or a traceback.
    Raise the result outside the ``except`` block, else Python chains the cause anyway
    as ``__context__``.
    """
    if cause is error:  # already an SDK error: nothing to chain
        return error
    shown = [s for s in secrets if s]
    if not any(s in text for text in _texts(cause) for s in shown):
        error.__cause__ = cause
        return error
    for secret in shown:
        error.message = error.message.replace(secret, _REDACTED)
    error.args = (error.message, *error.args[1:])
    error.__cause__ = None
    error.__suppress_context__ = True
    return error

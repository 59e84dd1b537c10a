"""``Snapshot``: the immutable, lossless value of one long-running operation (no I/O).

A :class:`Snapshot` wraps the raw JSON object a server returned, in either view (the
standard ``google.longrunning.Operation`` or the audited ``V1Operation``). Building one
only stores the dict, so decoding a page of a thousand operations costs little more than
``json.loads``; every field is read on first access and then cached.

Output is lossless: :meth:`Snapshot.to_dict` and :meth:`Snapshot.to_json` give back
exactly what the server sent (unknown fields, every ``@type``, timestamps digit for digit).

It knows no client kind: :class:`lro.Operation` (``lro._sync.operation``) and
:class:`lro.AsyncOperation` (``lro._async.operation``) are two classes over it, each
adding the calls that go through the client it is bound to (``wait``, ``result``,
``refresh``, ...), blocking or as coroutines. Neither subclasses the other.

Fields of the wrong JSON type raise :class:`lro.errors.InvalidResponse` naming the field
when they are read, never ``KeyError``/``TypeError``/``ValueError``.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Mapping
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypeVar, cast, overload

from . import anys, progress
from .errors import (
    Error,
    FailedPrecondition,
    InvalidResponse,
    NotDone,
    UnexpectedState,
    error_from_status,
)
from .eta import Eta
from .jsonvalues import copy_json, dumps, loads
from .timestamps import Duration, Timestamp, TimestampError

if TYPE_CHECKING:
    from .eta import Pending

__all__ = ["ResultCase", "Snapshot", "expect_snapshot", "not_done"]

T = TypeVar("T")
S = TypeVar("S", bound="Snapshot")


class ResultCase(enum.Enum):
    """Which member of the ``result`` oneof is set: none, ``error`` or ``response``."""

    NONE = "none"
    ERROR = "error"
    RESPONSE = "response"


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object" if isinstance(value, Mapping) else type(value).__name__


def _excerpt(value: Any) -> str | None:
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError, RecursionError):
        return None
    return text if len(text) <= 200 else text[:197] + "..."


def _restore_operation(cls: type[S], raw: dict[str, Any]) -> S:
    return cls.from_dict(raw)


def expect_snapshot(value: Any, client: Any, method: str) -> Snapshot:
    """Check what a bound client returned: a client of the other kind bound by hand
    (``Operation.bind(async_client)``) returns a coroutine, which deserves a clear
    message rather than an AttributeError later."""
    if not isinstance(value, Snapshot):
        raise TypeError(
            f"{type(client).__name__}.{method}() returned {type(value).__name__}, not an Operation"
        )
    return value


def not_done(snapshot: Snapshot) -> NotDone:
    """The error of ``result()`` on a running snapshot bound to no client."""
    return NotDone(
        f"operation {snapshot.name or '(unnamed)'} is not done; wait for it with a "
        "client (client.wait(name) or Operation.bind(client).result())",
        operation_name=snapshot._safe_name(),
    )


class Snapshot:
    """The immutable, lossless value of one long-running operation: every field, typed
    unpacking, progress, the audit helpers, lossless output. No I/O.

    It wraps the JSON of either view (``google.longrunning.Operation`` or ``V1Operation``).
    Keys may be camelCase or snake_case; ``null`` means unset. ``client`` is whatever the
    snapshot is bound to, kept as is: the calls through it are :class:`lro.Operation`'s
    and :class:`lro.AsyncOperation`'s.

    Reading a field whose JSON has the wrong type raises
    :class:`~lro.errors.InvalidResponse` naming the field. Two snapshots are equal when
    their raw JSON is equal. Setting an attribute raises :class:`AttributeError`.
    """

    _raw: dict[str, Any]
    _client: Any

    def __init__(self, data: Mapping[str, Any], client: Any = None) -> None:
        """Same as :meth:`from_dict`."""
        if not isinstance(data, dict):
            if not isinstance(data, Mapping):
                raise InvalidResponse(
                    f"an operation must be a JSON object, got {_kind(data)}", field="operation"
                )
            data = dict(data)
        self.__dict__["_raw"] = data
        self.__dict__["_client"] = client

    # -- construction -------------------------------------------------------------------

    @classmethod
    def from_dict(cls: type[S], data: Mapping[str, Any], client: Any = None) -> S:
        """Wrap a decoded JSON object. The dict is kept, not copied or validated: do not
        mutate it afterwards. ``client`` binds the snapshot for :meth:`wait` and friends.

        Raises:
            InvalidResponse: if ``data`` is not a JSON object.
        """
        return cls(data, client)

    @classmethod
    def from_json(cls: type[S], text: str | bytes, client: Any = None) -> S:
        """Decode JSON text (e.g. a saved :meth:`to_json`) into a snapshot.

        Raises:
            InvalidResponse: if the text is not JSON or not a JSON object.
        """
        try:
            data = loads(text)
        except (ValueError, TypeError, RecursionError) as exc:
            raw = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
            raise InvalidResponse(f"operation is not valid JSON: {exc}", raw=raw[:1000]) from exc
        return cls(data, client)

    def bind(self: S, client: Any) -> S:
        """A copy bound to ``client`` (sharing the raw JSON); ``None`` unbinds."""
        return self._copy_with("_client", client)

    def _with_eta(self: S, eta: Eta | Pending | None) -> S:
        """A copy carrying ``eta`` (what the wait that fetched it estimated)."""
        return self._copy_with("_eta", eta)

    def _copy_with(self: S, key: str, value: Any) -> S:
        copy = type(self).__new__(type(self))
        copy.__dict__.update(self.__dict__, **{key: value})
        return copy

    @property
    def client(self) -> Any:
        """The client this snapshot is bound to, or None."""
        return self._client

    # -- raw access helpers -------------------------------------------------------------

    def _field(self, camel: str, snake: str | None = None) -> Any:
        value = self._raw.get(camel)
        if value is None and snake is not None:
            value = self._raw.get(snake)
        return value

    def _require_client(self, action: str) -> Any:
        if self._client is None:
            raise FailedPrecondition(
                f"cannot {action} operation {self.name or '(unnamed)'}: the snapshot is not "
                "bound to a client (use a Client method, or Operation.bind(client))",
                operation_name=self._safe_name(),
            )
        return self._client

    def _safe_name(self) -> str | None:
        name = self._raw.get("name")
        return name if isinstance(name, str) and name else None

    def _invalid(self, field: str, expected: str, value: Any, why: str = "") -> InvalidResponse:
        name = self._safe_name()
        where = f" of {name}" if name else ""
        because = f" ({why})" if why else ""
        return InvalidResponse(
            f"operation field {field!r}{where} must be {expected}, got {_kind(value)}{because}",
            raw=_excerpt(value),
            field=field,
            operation_name=name,
        )

    def _any(self, field: str) -> Mapping[str, Any] | None:
        value = self._field(field)
        if value is not None and not isinstance(value, Mapping):
            raise self._invalid(field, "a JSON object (an Any)", value)
        return value

    def _text(self, camel: str, snake: str) -> str | None:
        value = self._field(camel, snake)
        if value is not None and not isinstance(value, str):
            raise self._invalid(camel, "a string", value)
        return value

    def _timestamp(self, camel: str, snake: str) -> Timestamp | None:
        value = self._field(camel, snake)
        if value is None:
            return None
        try:
            return Timestamp.parse(value)
        except TimestampError as exc:
            raise self._invalid(camel, "an RFC 3339 timestamp", value, str(exc)) from exc

    # -- fields -------------------------------------------------------------------------

    @cached_property
    def name(self) -> str:
        """The operation's name, e.g. ``operations/abc`` (``""`` if the server sent none)."""
        return self._text("name", "name") or ""

    @cached_property
    def done(self) -> bool:
        """Whether the operation has finished (a missing ``done`` means False)."""
        value = self._field("done")
        if value is None:
            return False
        if not isinstance(value, bool):
            raise self._invalid("done", "a boolean", value)
        return value

    @property
    def metadata(self) -> dict[str, Any] | None:
        """A copy of the metadata Any (``@type`` included), or None. See :meth:`metadata_as`."""
        value = self._any("metadata")
        return None if value is None else cast("dict[str, Any]", copy_json(value))

    @property
    def response(self) -> dict[str, Any] | None:
        """A copy of the response Any (``@type`` included), or None. See :meth:`response_as`."""
        value = self._any("response")
        return None if value is None else cast("dict[str, Any]", copy_json(value))

    @cached_property
    def error(self) -> Error | None:
        """The typed error (e.g. :class:`~lro.errors.Cancelled`) if the operation failed."""
        value = self._any("error")
        if value is None:
            return None
        return error_from_status(value, operation_name=self._safe_name())

    @cached_property
    def result_case(self) -> ResultCase:
        """Which of ``error`` and ``response`` is set.

        Raises:
            InvalidResponse: if both are set (they are a oneof).
        """
        has_error = self._any("error") is not None
        has_response = self._any("response") is not None
        if has_error and has_response:
            raise self._invalid("result", "only one of error and response", "both")
        if has_error:
            return ResultCase.ERROR
        return ResultCase.RESPONSE if has_response else ResultCase.NONE

    @property
    def metadata_type(self) -> str | None:
        """The metadata's message name (its ``@type`` without the URL prefix), or None."""
        return self._type_name("metadata")

    @property
    def response_type(self) -> str | None:
        """The response's message name (its ``@type`` without the URL prefix), or None."""
        return self._type_name("response")

    def _type_name(self, field: str) -> str | None:
        value = self._any(field)
        url = None if value is None else value.get("@type")
        if url is not None and not isinstance(url, str):
            raise self._invalid(f"{field}.@type", "a string", url)
        return anys.type_name(url) if url else None

    @property
    def progress(self) -> float | None:
        """Progress in ``[0, 1]`` read from the metadata, or None (see
        :func:`lro.progress_fraction`).

        Never raises, even when the metadata is malformed.
        """
        return progress.fraction(self._raw.get("metadata"))

    @property
    def eta(self) -> Eta | None:
        """The estimated time left (:class:`lro.Eta`: ``seconds``, ``finish``), or None.

        Made by the wait, watch or handle that fetched this snapshot from the progress
        it saw (guide: "Time left"); None when unknown (from ``get``, a single sample,
        progress not moved, backwards or not in ``[0, 1]``) and once done.
        """
        found: Eta | Pending | None = self.__dict__.get("_eta")
        if found is not None and not isinstance(found, Eta):  # a batch round's: made now
            found = self.__dict__["_eta"] = found.resolve()
        return found

    # -- audited view (V1Operation) fields ------------------------------------------------

    @cached_property
    def create_time(self) -> Timestamp | None:
        """When the operation was created (audited view), or None."""
        return self._timestamp("createTime", "create_time")

    @cached_property
    def update_time(self) -> Timestamp | None:
        """When the operation last changed (audited view), or None."""
        return self._timestamp("updateTime", "update_time")

    @cached_property
    def delete_time(self) -> Timestamp | None:
        """When the operation was deleted through the standard view, or None."""
        return self._timestamp("deleteTime", "delete_time")

    @cached_property
    def seen_by_creator_time(self) -> Timestamp | None:
        """When the creator marked the result seen (audited view), or None."""
        return self._timestamp("seenByCreatorTime", "seen_by_creator_time")

    @cached_property
    def creator(self) -> str | None:
        """The principal that created the operation (audited view), or None."""
        return self._text("creator", "creator")

    @cached_property
    def updater(self) -> str | None:
        """The principal behind the last change (audited view), or None."""
        return self._text("updater", "updater")

    @cached_property
    def deleter(self) -> str | None:
        """The principal that deleted the operation (audited view), or None."""
        return self._text("deleter", "deleter")

    @property
    def deleted(self) -> bool:
        """Whether ``deleteTime`` is set."""
        return self.delete_time is not None

    @property
    def seen(self) -> bool:
        """Whether ``seenByCreatorTime`` is set."""
        return self.seen_by_creator_time is not None

    @property
    def age(self) -> Duration | None:
        """Time since ``createTime`` by this machine's clock (a :class:`Duration`), or None.

        Computed on each access; negative if the server's clock is ahead of ours.
        """
        created = self.create_time
        return None if created is None else Timestamp.now() - created

    @property
    def duration(self) -> Duration | None:
        """For a done operation, ``updateTime - createTime`` (exact), else None.

        The standard view carries no timestamps, so this is None there.
        """
        created, updated = self.create_time, self.update_time
        if not self.done or created is None or updated is None:
            return None
        return updated - created

    # -- typed access -------------------------------------------------------------------

    @overload
    def metadata_as(self, model: type[T]) -> T | None: ...

    @overload
    def metadata_as(self, model: Any) -> Any: ...

    def metadata_as(self, model: Any) -> Any:
        """The metadata unpacked into ``model`` (see :func:`lro.unpack`), or None.

        Raises:
            AnyTypeError: if ``@type`` does not match the model or validation fails.
        """
        value = self._any("metadata")
        return None if value is None else anys.unpack(value, model)

    @overload
    def response_as(self, model: type[T]) -> T | None: ...

    @overload
    def response_as(self, model: Any) -> Any: ...

    def response_as(self, model: Any) -> Any:
        """The response unpacked into ``model`` (see :func:`lro.unpack`), or None.

        Raises:
            AnyTypeError: if ``@type`` does not match the model or validation fails.
        """
        value = self._any("response")
        return None if value is None else anys.unpack(value, model)

    def exception(self) -> Error | None:
        """The error if the operation is done and failed, else None. Never waits."""
        return self.error if self.done else None

    def _final_result(self, as_type: Any) -> Any:
        if not self.done:
            raise NotDone(
                f"operation {self.name or '(unnamed)'} is still not done",
                operation_name=self._safe_name(),
            )
        case = self.result_case
        if case is ResultCase.ERROR:
            # A fresh exception per raise, so tracebacks do not pile up on one object.
            raise error_from_status(
                cast("Mapping[str, Any]", self._any("error")), operation_name=self._safe_name()
            )
        if case is ResultCase.NONE:
            raise UnexpectedState(
                f"operation {self.name or '(unnamed)'} is done but has neither error nor response",
                operation_name=self._safe_name(),
            )
        if as_type is None:
            as_type = anys.registered_type(self.response_type or "")
        return self.response if as_type is None else self.response_as(as_type)

    # -- output -------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """A deep copy of the raw JSON object, exactly as received."""
        copied: dict[str, Any] = copy_json(self._raw)
        return copied

    def to_json(self, *, indent: int | None = None) -> str:
        """The raw JSON as strict RFC 8259 text (compact unless ``indent``; non-ASCII kept
        as is). A number a float cannot hold (``1e400``, ``0.1000000000000000000001``) is
        written as the literal the server sent, never ``Infinity`` or ``NaN``.

        Compact input whose keys and numbers are canonical (e.g. the server's own output)
        round-trips byte for byte.

        Raises:
            InvalidResponse: the raw data is not JSON (e.g. a NaN put in with from_dict).
        """
        try:
            return dumps(self._raw, indent=indent)
        except (TypeError, ValueError, RecursionError) as exc:
            raise InvalidResponse(
                f"operation is not JSON-serialisable: {exc}", operation_name=self._safe_name()
            ) from exc

    # -- protocol -----------------------------------------------------------------------

    def __repr__(self) -> str:
        try:
            parts = [f"name={self.name!r}", f"done={self.done}"]
            if self.done:
                parts.append(f"result={self._result_label()}")
        except Error as exc:
            return f"Operation(name={self._safe_name()!r}, invalid={exc.message!r})"
        return f"Operation({', '.join(parts)})"

    def _result_label(self) -> str:
        case = self.result_case
        if case is ResultCase.ERROR and self.error is not None:
            return f"error({self.error.code.name})"
        return case.value

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Snapshot):
            return NotImplemented
        return self._raw == other._raw

    def __hash__(self) -> int:
        # Equal raw dicts have equal names, so hashing the name alone is consistent with
        # __eq__ (hashing the JSON text would not be: 1 == 1.0 but "1" != "1.0").
        return hash(("Operation", self._safe_name()))

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("Operation is immutable")

    def __delattr__(self, name: str) -> None:
        raise AttributeError("Operation is immutable")

    def __copy__(self: S) -> S:
        return self

    def __deepcopy__(self: S, memo: dict[int, Any]) -> S:
        return self

    def __reduce__(self) -> tuple[Any, ...]:
        # The client (sockets, pools) is not picklable; an unpickled snapshot is unbound.
        return (_restore_operation, (type(self), self._raw))

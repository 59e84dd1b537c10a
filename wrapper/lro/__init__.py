"""lro: long-running operations done right.

The public surface of the SDK, re-exported from the modules that own each
idea. ``import lro`` stays cheap: the generated layer (and pydantic) load on
the first request, and the asyncio client loads on first use of
``lro.AsyncClient``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lro.anys import register_type, type_name, unpack
from lro.client import AuditedView, Client
from lro.errors import (
    Aborted,
    AlreadyExists,
    AnyTypeError,
    Cancelled,
    Code,
    ConnectError,
    ConnectionDropped,
    DataLoss,
    DeadlineExceeded,
    Error,
    FailedPrecondition,
    Internal,
    InvalidArgument,
    InvalidName,
    InvalidResponse,
    NotDone,
    NotFound,
    OutOfRange,
    PermissionDenied,
    ResourceExhausted,
    TLSError,
    TransportError,
    TransportTimeout,
    Unauthenticated,
    Unavailable,
    UnexpectedState,
    Unimplemented,
    Unknown,
    WaitTimeout,
)
from lro.many import WaitAllTimeout, as_completed, wait_all
from lro.operation import Operation, ResultCase
from lro.paging import Page, Pager
from lro.polling import WaitPolicy
from lro.progress import fraction as progress_fraction
from lro.retry import DEFAULT_RETRY, NO_RETRY, Retry
from lro.timestamps import Duration, Timestamp

if TYPE_CHECKING:
    from lro.aio import AsyncAuditedView, AsyncClient, AsyncPager
    from lro.many import async_as_completed, async_wait_all

# asyncio costs ~30 ms to import: load the async names on first use only.
_LAZY = {
    "AsyncClient": "lro.aio",
    "AsyncAuditedView": "lro.aio",
    "AsyncPager": "lro.aio",
    "async_wait_all": "lro.many",
    "async_as_completed": "lro.many",
}


def _version() -> str:
    """The installed distribution's version (the spec's info.version)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("lro-sdk")
    except PackageNotFoundError:  # running from a source tree without an install
        return "0+unknown"


def __getattr__(name: str) -> Any:
    if name == "__version__":  # importlib.metadata costs ~25 ms: only when asked
        return _version()
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'lro' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "DEFAULT_RETRY",
    "NO_RETRY",
    "Aborted",
    "AlreadyExists",
    "AnyTypeError",
    "AsyncAuditedView",
    "AsyncClient",
    "AsyncPager",
    "AuditedView",
    "Cancelled",
    "Client",
    "Code",
    "ConnectError",
    "ConnectionDropped",
    "DataLoss",
    "DeadlineExceeded",
    "Duration",
    "Error",
    "FailedPrecondition",
    "Internal",
    "InvalidArgument",
    "InvalidName",
    "InvalidResponse",
    "NotDone",
    "NotFound",
    "Operation",
    "OutOfRange",
    "Page",
    "Pager",
    "PermissionDenied",
    "ResourceExhausted",
    "ResultCase",
    "Retry",
    "TLSError",
    "Timestamp",
    "TransportError",
    "TransportTimeout",
    "Unauthenticated",
    "Unavailable",
    "UnexpectedState",
    "Unimplemented",
    "Unknown",
    "WaitAllTimeout",
    "WaitPolicy",
    "WaitTimeout",
    "__version__",
    "as_completed",
    "async_as_completed",
    "async_wait_all",
    "progress_fraction",
    "register_type",
    "type_name",
    "unpack",
    "wait_all",
]

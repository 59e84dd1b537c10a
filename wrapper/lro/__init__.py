"""lro: Google-style long-running operations (google.longrunning over HTTP/JSON).

Get, wait for, cancel and list operations, and read their typed results::

    import lro

    client = lro.Client("https://service.example/v1", token=...)
    op = client.get("operations/123")            # an lro.Operation snapshot
    done = client.wait(op.name, timeout=600)     # long-polls :wait, or polls GET
    result = done.result()                       # the response, or raises lro.<Code>
    for op in client.list_operations(filter="done = false"):
        print(op.name, op.progress)

``lro.AsyncClient`` is the same for asyncio; ``lro.wait_all`` / ``lro.as_completed``
wait for many; ``client.track(name)`` gives a future (``lro.Handle``);
``client.adopt(x)`` binds an operation you already have (dict, JSON, model, protobuf).
Every failure is an ``lro.Error`` subclass (``lro.errors``): ``lro.NotFound``,
``lro.WaitTimeout``, ... See ``help(lro.Client)`` and the user guide.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lro._core.anys import register_type, type_name, unpack
from lro._core.clock import SYSTEM_CLOCK, Clock
from lro._core.errors import Code
from lro._core.errors import exceptions as _exceptions
from lro._core.errors.exceptions import *  # noqa: F403 (the tree: its one list below)
from lro._core.eta import Eta
from lro._core.http import Headers, Request, Response, SyncTransport
from lro._core.paging import Page
from lro._core.progress import fraction as progress_fraction
from lro._core.retry import DEFAULT_RETRY, NO_RETRY, Retry
from lro._core.snapshot import ResultCase
from lro._core.timestamps import Duration, Timestamp
from lro._core.wait_policy import WaitPolicy
from lro._google import GoogleAuth
from lro._sync.client import AuditedView, Client
from lro._sync.operation import Operation
from lro._sync.paging import Pager
from lro._sync.transport import Transport

if TYPE_CHECKING:
    from lro import errors as errors
    from lro._sync.handles import Handle
    from lro._sync.wait_many import as_completed, wait_all
    from lro.aio import (
        AsyncAuditedView,
        AsyncClient,
        AsyncHandle,
        AsyncOperation,
        AsyncPager,
        AsyncTransport,
        async_as_completed,
        async_wait_all,
    )

# Names whose modules load on first use: asyncio costs ~30 ms to import (the async half),
# the error-detail dataclasses ~5 ms (a process that meets no error never reads one), and
# waiting for many operations or in the background is not every process's business.
_LAZY = {
    "AsyncAuditedView": "lro.aio",
    "AsyncClient": "lro.aio",
    "AsyncHandle": "lro.aio",
    "AsyncOperation": "lro.aio",
    "AsyncPager": "lro.aio",
    "AsyncTransport": "lro.aio",
    "async_as_completed": "lro.aio",
    "async_wait_all": "lro.aio",
    "Handle": "lro._sync.handles",
    "aio": "lro.aio",
    "errors": "lro.errors",
    "as_completed": "lro._sync.wait_many",
    "wait_all": "lro._sync.wait_many",
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

    loaded = importlib.import_module(module)
    value = loaded if name == module.rpartition(".")[2] else getattr(loaded, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """Every public name, the lazily loaded ones included (tab completion finds them)."""
    return sorted({*globals(), *__all__, *_LAZY})


__all__ = [
    "DEFAULT_RETRY",
    "NO_RETRY",
    "SYSTEM_CLOCK",
    "AsyncAuditedView",
    "AsyncClient",
    "AsyncHandle",
    "AsyncOperation",
    "AsyncPager",
    "AsyncTransport",
    "AuditedView",
    "Client",
    "Clock",
    "Code",
    "Duration",
    "Eta",
    "GoogleAuth",
    "Handle",
    "Headers",
    "Operation",
    "Page",
    "Pager",
    "Request",
    "Response",
    "ResultCase",
    "Retry",
    "SyncTransport",
    "Timestamp",
    "Transport",
    "WaitPolicy",
    "__version__",  # noqa: F405 (made on first use by __getattr__)
    "as_completed",
    "async_as_completed",
    "async_wait_all",
    "progress_fraction",
    "register_type",
    "type_name",
    "unpack",
    "wait_all",
]
__all__ += _exceptions.__all__

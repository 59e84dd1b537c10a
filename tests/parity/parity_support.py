"""The parity suite's bridge: one test body drives the sync or the async SDK.

The ``side`` fixture is parametrised over ``"sync"`` and ``"async"``. ``side.client()``
gives an :class:`lro.Client` or an :class:`lro.AsyncClient` of a fresh reference server,
wrapped in a :class:`Proxy` that makes both look synchronous: a method's coroutine is
run to completion on the test's own event loop, an async iterator is driven item by item
(lazily, as ``async for`` would), and every SDK object that comes back (an operation,
the audited view, a pager) is wrapped the same way. So a test body is written once and
a behaviour cannot exist in one half of the SDK and silently differ in the other.

A handle (``client.track(name)``: an :class:`lro.Handle` or an awaitable
:class:`lro.AsyncHandle`) is wrapped too but never awaited by the proxy: a test settles it
with :meth:`Side.outcome`, which blocks on the sync one and runs the loop for the async one.

The proxy records every public member it is asked for. A test declares what it covers
with ``@pytest.mark.parity("client.get", "operation.delete", ...)``; after the test the
fixture checks that each declared member was really used, in this flavour.
``test_parity.py::test_every_public_member_has_a_parity_test`` then checks that every
public member of the four pairs of classes is declared by some test.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import inspect
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest
from suite_support import FAST_RETRY

import lro

TOKEN = "parity-token"
TOKENS = {TOKEN: "alice", "other-token": "bob"}

#: How long a call that must return may take before the test says so (well under
#: pytest-timeout's 120 s, so a loop that never stops fails with a message, not a hang).
BOUND_SECONDS = 20.0

FLAVOURS = ("sync", "async")


def surfaces() -> dict[str, tuple[type, type]]:
    """The pairs of classes that must behave alike: surface name -> (sync, async)."""
    return {
        "client": (lro.Client, lro.AsyncClient),
        "audit": (lro.AuditedView, lro.AsyncAuditedView),
        "operation": (lro.Operation, lro.AsyncOperation),
        "pager": (lro.Pager, lro.AsyncPager),
        "handle": (lro.Handle, lro.AsyncHandle),
    }


def surface_of(value: Any) -> str | None:
    for surface, (sync_cls, async_cls) in surfaces().items():
        if isinstance(value, (sync_cls, async_cls)):
            return surface
    return None


def unwrap(value: Any) -> Any:
    """The SDK object behind a proxy (lists and tuples element-wise)."""
    if isinstance(value, Proxy):
        return object.__getattribute__(value, "_target")
    if isinstance(value, list):
        return [unwrap(item) for item in value]
    if isinstance(value, tuple):
        return tuple(unwrap(item) for item in value)
    return value


class Side:
    """One flavour of the SDK, driven synchronously (see the module docstring)."""

    def __init__(self, flavour: str, server: Any) -> None:
        self.flavour = flavour
        self.server = server
        self.used: set[tuple[str, str]] = set()
        self.loop = asyncio.new_event_loop() if flavour == "async" else None
        self._clients: list[Any] = []
        self._bound: tuple[float, str] | None = None

    @property
    def is_async(self) -> bool:
        return self.loop is not None

    # -- building -------------------------------------------------------------------------

    def client(self, base_url: str | None = None, **options: Any) -> Any:
        """A client of the server, or of ``base_url`` (fast retries, alice's token unless
        told otherwise)."""
        options.setdefault("token", TOKEN)
        options.setdefault("retry", FAST_RETRY)
        options.setdefault("timeout", 10.0)
        cls = lro.AsyncClient if self.is_async else lro.Client
        made = cls(base_url or self.server.url, **options)
        self._clients.append(made)
        return self.wrap(made)

    def pager(self, fetch: Callable[[str | None], lro.Page[Any]]) -> Any:
        """A pager over ``fetch`` (made a coroutine for the async pager)."""
        if not self.is_async:
            return self.wrap(lro.Pager(fetch))

        async def async_fetch(token: str | None) -> lro.Page[Any]:
            await asyncio.sleep(0)
            return fetch(token)

        return self.wrap(lro.AsyncPager(async_fetch))

    def close(self) -> None:
        for made in self._clients:
            self.resolve(made.close())
        if self.loop is not None:
            self.loop.run_until_complete(self.loop.shutdown_asyncgens())
            self.loop.close()

    # -- driving --------------------------------------------------------------------------

    def wrap(self, value: Any) -> Any:
        surface = surface_of(value)
        if surface is not None:
            if surface == "operation" and value.client is not None:
                # An operation bound to an async client must have coroutine methods.
                is_async_op = isinstance(value, lro.AsyncOperation)
                assert is_async_op == self.is_async, (
                    f"a {self.flavour} client returned a {type(value).__name__}"
                )
            return Proxy(self, value, surface)
        if isinstance(value, list):
            return [self.wrap(item) for item in value]
        if isinstance(value, AsyncIterator):
            return self._drive(value)
        if isinstance(value, Iterator) and not isinstance(value, (str, bytes)):
            return (self.wrap(item) for item in value)
        return value

    def resolve(self, value: Any) -> Any:
        """Await ``value`` if it is awaitable (on the test's loop), then wrap it (a handle
        is awaitable but is not awaited: see :meth:`outcome`)."""
        if inspect.isawaitable(value) and surface_of(value) != "handle":
            value = self._run(value)
        return self.wrap(value)

    def _run(self, awaitable: Any) -> Any:
        assert self.loop is not None, f"the sync SDK returned an awaitable: {awaitable!r}"
        if self._bound is None:
            return self.loop.run_until_complete(_awaited(awaitable))
        seconds, what = self._bound
        try:
            return self.loop.run_until_complete(asyncio.wait_for(_awaited(awaitable), seconds))
        except asyncio.TimeoutError:
            pytest.fail(f"{what} did not stop within {seconds} s (async)")

    def invoke(self, function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Call an SDK method; async flavour: a plain (not coroutine) method is called
        from inside the running loop, as async code calls it (``track`` needs one)."""
        if self.loop is None or inspect.iscoroutinefunction(function):
            return function(*args, **kwargs)

        async def inside() -> Any:
            return function(*args, **kwargs)

        return self.loop.run_until_complete(inside())

    def outcome(self, handle: Any, timeout: float) -> Any:
        """What a handle settles with: its result, or raise its error (or
        :class:`TimeoutError` after ``timeout`` seconds, the handle left pending;
        :class:`HandleCancelled` for a cancelled handle), in either flavour."""
        target = unwrap(handle)
        try:
            if self.loop is None:
                return target.result(timeout)
            return self._run(asyncio.wait_for(asyncio.shield(target), timeout))
        except (concurrent.futures.TimeoutError, asyncio.TimeoutError):
            raise TimeoutError(f"{target!r} not settled in {timeout} s") from None
        except (concurrent.futures.CancelledError, asyncio.CancelledError):
            raise HandleCancelled(repr(target)) from None

    def tracker_threads_and_tasks(self) -> list[str]:
        """The names of the tracker threads (sync) or of the loop's tasks (async) alive."""
        if self.loop is None:
            return [t.name for t in threading.enumerate() if t.name.startswith("lro-track")]
        return [task.get_name() for task in asyncio.all_tasks(self.loop)]

    def _drive(self, iterator: AsyncIterator[Any]) -> Iterator[Any]:
        while True:
            try:
                item = self._run(iterator.__anext__())
            except StopAsyncIteration:
                return
            yield self.wrap(item)

    def within(self, seconds: float, action: Callable[[], Any], what: str) -> Any:
        """Run ``action`` (calls through proxies) and fail clearly if it has not returned
        after ``seconds``: for the loops the SDK must stop (waits, retries, paging), so
        that one that does not stop fails with a message instead of pytest's timeout.

        Sync: the action runs on a thread the test waits for. Async: each coroutine the
        action awaits runs under ``asyncio.wait_for``.
        """
        if self.loop is not None:
            self._bound = (seconds, what)
            try:
                return action()
            finally:
                self._bound = None
        outcome: dict[str, Any] = {}

        def run() -> None:
            try:
                outcome["value"] = action()
            except BaseException as error:
                outcome["error"] = error

        worker = threading.Thread(target=run, daemon=True)
        worker.start()
        worker.join(seconds)
        if worker.is_alive():
            pytest.fail(f"{what} did not stop within {seconds} s (sync)")
        if "error" in outcome:
            raise outcome["error"]
        return outcome["value"]


async def _awaited(value: Any) -> Any:
    return await value


class HandleCancelled(Exception):
    """:meth:`Side.outcome` of a cancelled handle (either flavour's CancelledError)."""


class Proxy:
    """An SDK object seen through a :class:`Side`: calls return plain values."""

    __slots__ = ("_side", "_surface", "_target")

    def __init__(self, side: Side, target: Any, surface: str) -> None:
        object.__setattr__(self, "_side", side)
        object.__setattr__(self, "_target", target)
        object.__setattr__(self, "_surface", surface)

    def __getattr__(self, name: str) -> Any:
        side: Side = object.__getattribute__(self, "_side")
        target = object.__getattribute__(self, "_target")
        if not name.startswith("_"):
            side.used.add((object.__getattribute__(self, "_surface"), name))
        value = getattr(target, name)
        if callable(value) and not isinstance(value, (type, BaseException)):

            def call(*args: Any, **kwargs: Any) -> Any:
                args = unwrap(args)
                kwargs = {key: unwrap(item) for key, item in kwargs.items()}
                return side.resolve(side.invoke(value, *args, **kwargs))

            return call
        return side.resolve(value)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(object.__getattribute__(self, "_target"), name, value)

    def __iter__(self) -> Iterator[Any]:
        side: Side = object.__getattribute__(self, "_side")
        target = object.__getattribute__(self, "_target")
        side.used.add((object.__getattribute__(self, "_surface"), "__iter__"))
        if hasattr(target, "__aiter__"):
            return side._drive(target.__aiter__())
        return (side.wrap(item) for item in target)

    def __eq__(self, other: object) -> bool:
        return bool(unwrap(self) == unwrap(other))

    def __hash__(self) -> int:
        return hash(unwrap(self))

    def __repr__(self) -> str:
        return repr(object.__getattribute__(self, "_target"))

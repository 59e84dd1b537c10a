"""The real-services suite's bridge: ``Side`` drives lro.Client or lro.AsyncClient behind
one synchronous face, so one test body runs against both halves of the SDK."""

from __future__ import annotations

import asyncio
import inspect
from typing import Any

import lro


class Side:
    """``lro.Client`` or ``lro.AsyncClient`` behind one synchronous face."""

    def __init__(self, flavour: str) -> None:
        self.flavour = flavour
        self.loop = asyncio.new_event_loop() if flavour == "async" else None
        self._clients: list[Any] = []

    @property
    def is_async(self) -> bool:
        return self.loop is not None

    def client(self, url: str, **options: Any) -> Any:
        cls = lro.AsyncClient if self.is_async else lro.Client
        made = cls(url, **options)
        self._clients.append(made)
        return Driven(self, made)

    def run(self, value: Any) -> Any:
        if self.loop is not None and inspect.isawaitable(value):
            return self.loop.run_until_complete(value)
        return value

    def collect(self, pager: Any) -> list[Any]:
        if self.loop is None:
            return list(pager)

        async def drain() -> list[Any]:
            return [item async for item in pager]

        return self.loop.run_until_complete(drain())

    def close(self) -> None:
        for made in self._clients:
            self.run(made.close())
        if self.loop is not None:
            self.loop.close()


class Driven:
    """A client whose coroutine methods are run to completion on the side's loop."""

    def __init__(self, side: Side, target: Any) -> None:
        self._side = side
        self.target = target

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self.target, name)
        if isinstance(attr, lro.AuditedView | lro.AsyncAuditedView):
            return Driven(self._side, attr)
        if not callable(attr):
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            return self._side.run(attr(*args, **kwargs))

        return call

    def list_all(self, parent: str | None = None) -> list[Any]:
        return self._side.collect(self.target.list_operations(parent))

    def __repr__(self) -> str:
        return repr(self.target)

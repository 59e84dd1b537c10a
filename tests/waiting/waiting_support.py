"""Fakes for the waiting tests: a fake clock and scripted backends (sync and async).

A :class:`FakeServer` models one or more operations on a fake clock: each finishes at a
given time, reports progress in steps, and can lack ``:wait``, cap its window, return
early, or fail chosen requests. :class:`SyncBackend` / :class:`AsyncBackend` expose it
through the waiter's interface; a long-poll "blocks" by advancing the clock.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

from suite_support import FakeClock

from lro import Operation
from lro.errors import Error, ErrorInfo, NotFound, Unimplemented
from lro_server import ManualClock

T = TypeVar("T")

#: Server cap of a :wait window in the server tests: small, so waits span several windows.
MAX_WAIT = 1.0


def advance_while(clock: ManualClock, seconds: float, call: Callable[[], T], held: int = 2) -> T:
    """Run `call` (a wait) on another thread and, once the server holds it (`held` timed
    waits on its clock: by default a simulation's next step and the `:wait` window), move
    the server's clock by `seconds`; return what `call` returns."""
    with ThreadPoolExecutor(1) as pool:
        waiting = pool.submit(call)
        clock.wait_for_sleepers(held)
        clock.advance(seconds)
        return waiting.result(timeout=30)


@dataclass
class Job:
    """One fake operation: done ``duration`` seconds after the clock's start."""

    name: str
    duration: float = math.inf
    outcome: str = "response"  # or "error"
    steps: int = 4
    #: When given: the metadata fields reported at ``t`` seconds (instead of the steps).
    progress: Callable[[float], dict[str, Any]] | None = None


@dataclass
class Req:
    kind: str  # "get", "wait", "cancel", "batch"
    at: float  # seconds since the clock's start, when it was sent
    window: float | None = None
    names: tuple[str, ...] = ()


@dataclass
class FakeServer:
    """Scripted server state on a :class:`FakeClock`.

    Args:
        long_poll: "yes", "unimplemented" (code 12, HTTP 501), "405" (code 12, HTTP 405),
            or "404" (the :wait route is missing: 404 while GET works).
        max_wait: server cap of a :wait window (None: no cap).
        early: a :wait returns at once (as a GET would), like a server allowed to.
        failures: request number (0-based) -> error to raise instead of answering.
        fail_from: from this time on, every request fails with ``fail_with``.
    """

    clock: FakeClock
    jobs: dict[str, Job] = field(default_factory=dict)
    long_poll: str = "yes"
    max_wait: float | None = None
    early: bool = False
    failures: dict[int, Error] = field(default_factory=dict)
    fail_from: float | None = None
    fail_with: Error | None = None
    requests: list[Req] = field(default_factory=list)
    cancelled: list[str] = field(default_factory=list)
    client: Any = None

    def add(self, name: str, duration: float = math.inf, **kw: Any) -> Job:
        job = Job(name, duration, **kw)
        self.jobs[name] = job
        return job

    # -- state ----------------------------------------------------------------------------

    def snapshot(self, name: str) -> Operation:
        job = self.jobs.get(name)
        if job is None:
            raise NotFound(f"operation {name!r} not found", http_status=404)
        t = self.clock.elapsed
        data: dict[str, Any] = {"name": name}
        if name in self.cancelled:
            data.update(done=True, error={"code": 1, "message": "cancelled"})
            return Operation.from_dict(data, client=self.client)
        done = t >= job.duration
        step = job.steps if done else int(job.steps * t / job.duration)
        fields = {"step": step, "stepsTotal": job.steps}
        if job.progress is not None:
            fields = job.progress(t)
        data["metadata"] = {"@type": "type.googleapis.com/t.M", **fields}
        if done:
            data["done"] = True
            if job.outcome == "error":
                data["error"] = {"code": 10, "message": "aborted"}
            else:
                data["response"] = {"@type": "type.googleapis.com/t.R", "ok": True}
        return Operation.from_dict(data, client=self.client)

    def _record(self, req: Req) -> None:
        number = len(self.requests)
        self.requests.append(req)
        if number in self.failures:
            raise self.failures[number]
        if self.fail_from is not None and self.clock.elapsed >= self.fail_from:
            assert self.fail_with is not None
            raise self.fail_with

    # -- the interface ------------------------------------------------------------------

    def get(self, name: str) -> Operation:
        self._record(Req("get", self.clock.elapsed))
        return self.snapshot(name)

    def wait_once(self, name: str, timeout: float | None) -> Operation:
        self._record(Req("wait", self.clock.elapsed, timeout))
        self._check_wait(name)
        window = 30.0 if timeout is None else timeout
        if self.max_wait is not None:
            window = min(window, self.max_wait)
        job = self.jobs[name]
        if not self.early:
            end = self.clock.elapsed + window
            target = min(end, max(job.duration, self.clock.elapsed))
            self.clock.now = self.clock.start + target
        return self.snapshot(name)

    def _check_wait(self, name: str) -> None:
        if self.long_poll == "unimplemented":
            raise Unimplemented("no :wait", http_status=501)
        if self.long_poll == "405":
            raise Unimplemented("method not allowed", http_status=405)
        if self.long_poll == "404" or name not in self.jobs:
            raise NotFound("no such path", http_status=404)

    def cancel(self, name: str) -> None:
        self._record(Req("cancel", self.clock.elapsed))
        self.cancelled.append(name)

    def get_many(self, names: list[str]) -> list[Operation]:
        self._record(Req("batch", self.clock.elapsed, names=tuple(names)))
        assert 1 <= len(names) <= 1000
        for name in names:
            if name not in self.jobs:  # atomic, naming the culprit like the real server
                info = ErrorInfo(reason="OPERATION_NOT_FOUND", domain="t", metadata={"name": name})
                raise NotFound(f"operation {name!r} not found", http_status=404, details=[info])
        return [self.snapshot(name) for name in names]

    def kinds(self) -> list[str]:
        return [r.kind for r in self.requests]


class SyncBackend:
    """The sync waiter's view of a :class:`FakeServer`."""

    def __init__(self, server: FakeServer, view: str = "standard") -> None:
        self.server = server
        self.view = view
        server.client = self

    def get(self, name: str) -> Operation:
        return self.server.get(name)

    def wait_once(self, name: str, timeout: float | None = None) -> Operation:
        return self.server.wait_once(name, timeout)

    def cancel(self, name: str) -> None:
        self.server.cancel(name)

    def get_many(self, names: list[str]) -> list[Operation]:
        return self.server.get_many(names)


class AsyncBackend:
    """The async waiter's view of a :class:`FakeServer`."""

    def __init__(self, server: FakeServer, view: str = "standard") -> None:
        self.server = server
        self.view = view
        server.client = self

    async def get(self, name: str) -> Operation:
        return self.server.get(name)

    async def wait_once(self, name: str, timeout: float | None = None) -> Operation:
        return self.server.wait_once(name, timeout)

    async def cancel(self, name: str) -> None:
        self.server.cancel(name)

    async def get_many(self, names: list[str]) -> list[Operation]:
        return self.server.get_many(names)


def fake(
    duration: float = math.inf, *, name: str = "operations/a", **server_options: Any
) -> tuple[FakeClock, FakeServer, SyncBackend]:
    """A clock, a server with one job, and a sync backend."""
    clock = FakeClock()
    server = FakeServer(clock, **server_options)
    server.add(name, duration)
    return clock, server, SyncBackend(server)


Recorder = Callable[..., None]


class Calls:
    """Records callback invocations."""

    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []

    def __call__(self, *args: Any) -> None:
        self.calls.append(args)

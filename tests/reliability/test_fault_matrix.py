"""Every public client call x every fault the server injects: the outcome documented in
``fault_table.py`` (success or the typed error), the number of attempts the server saw,
and the call's effect applied exactly once (or not at all when the call failed).
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from fault_table import (
    DELAY_SECONDS,
    DOC,
    MAX_ATTEMPTS,
    TIMEOUT,
    CallSpec,
    Fault,
    Outcome,
    cases,
    splice,
)
from reliability_support import META, RESPONSE, TOKEN, Raw
from suite_support import FakeClock

from lro import errors
from lro._async.transport import AsyncTransport
from lro._core.http import DEFAULT_MAX_RESPONSE_BYTES, Request, Response
from lro._core.retry import Retry
from lro._sync.client import Client
from lro._sync.transport import Transport
from lro.aio import AsyncClient, AsyncPager
from lro_server import RunningServer

NEW_META = {"@type": "type.googleapis.com/lro.example.Progress", "step": 7}


#: Its own policy, not the suite's FAST_RETRY: the table's attempt counts are this budget.
#: Its retries wait on a fake clock: a server's ``Retry-After: 1`` is honoured (the retry
#: comes after it, on that clock) without a second of real time per case. Requests and
#: the ``delay`` fault's stall stay on real time (real sockets).
MATRIX_TIME = FakeClock()
MATRIX_RETRY = Retry(
    initial=0.01,
    maximum=0.05,
    deadline=10.0,
    max_attempts=MAX_ATTEMPTS,
    clock=MATRIX_TIME,
    sleep=MATRIX_TIME.sleep,
)


@dataclass
class Ctx:
    """What a call's setup made: operation names, and the store before the call."""

    names: list[str] = field(default_factory=list)
    before: list[dict[str, Any]] = field(default_factory=list)


def running(client: Client, n: int = 1) -> list[str]:
    return [client.create(META).name for _ in range(n)]


def finished(client: Client, n: int = 1) -> list[str]:
    names = running(client, n)
    for name in names:
        client.finalize(name, response=RESPONSE)
    return names


SETUP: dict[str, Callable[[Client], list[str]]] = {
    "get": running,
    "list_operations": lambda c: running(c, 2),
    "cancel": running,
    "delete": running,
    "wait_once": finished,
    "create": lambda c: [],
    "update": running,
    "finalize": running,
    "abort": running,
    "get_many": lambda c: running(c, 2),
    "mark_seen": finished,
    "unseen": lambda c: finished(c, 2),
    "audit.get": running,
    "audit.list_operations": lambda c: running(c, 2),
}

INVOKE: dict[str, Callable[[Client, list[str]], Any]] = {
    "get": lambda c, n: c.get(n[0]),
    "list_operations": lambda c, n: list(c.list_operations()),
    "cancel": lambda c, n: c.cancel(n[0]),
    "delete": lambda c, n: c.delete(n[0]),
    "wait_once": lambda c, n: c.wait_once(n[0], 2.0),
    "create": lambda c, n: c.create(NEW_META),
    "update": lambda c, n: c.update(n[0], NEW_META),
    "finalize": lambda c, n: c.finalize(n[0], response=RESPONSE),
    "abort": lambda c, n: c.abort(n[0]),
    "get_many": lambda c, n: c.get_many(n),
    "mark_seen": lambda c, n: c.mark_seen(n[0]),
    "unseen": lambda c, n: list(c.unseen()),
    "audit.get": lambda c, n: c.audit.get(n[0]),
    "audit.list_operations": lambda c, n: list(c.audit.list_operations()),
}


def by_name(ops: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {op["name"]: op for op in ops}


def check_effect(call_id: str, ctx: Ctx, result: Any, after: list[dict[str, Any]]) -> None:
    """The call's effect on the store, applied exactly once; and its result."""
    old, new = by_name(ctx.before), by_name(after)
    if call_id == "create":
        assert len(after) == 1, f"expected exactly one operation, got {len(after)}"
        assert result.name == after[0]["name"]
        assert after[0]["metadata"] == NEW_META
        return
    assert set(new) == set(old), "operations appeared or vanished"
    name = ctx.names[0] if ctx.names else ""
    unchanged = [n for n in old if n != name or call_id not in WRITES]
    for n in unchanged:
        assert new[n] == old[n], f"{call_id} changed {n}"
    op = new.get(name, {})
    if call_id == "cancel":
        assert op["done"] is True and op["error"]["code"] == 1
    elif call_id == "delete":
        assert "deleteTime" in op and not op.get("done")
    elif call_id == "update":
        assert op["metadata"] == NEW_META and not op.get("done")
    elif call_id == "finalize":
        assert op["done"] is True and op["response"] == RESPONSE
        assert result.response == RESPONSE
    elif call_id == "abort":
        assert op["done"] is True and op["error"]["code"] == 10
        assert result.error is not None and result.error.code == errors.Code.ABORTED
    elif call_id == "mark_seen":
        assert "seenByCreatorTime" in op and result.seen
    elif call_id in ("get", "audit.get"):
        assert result.name == name
    elif call_id == "wait_once":
        assert result.name == name and result.done
    elif call_id in ("list_operations", "get_many", "unseen", "audit.list_operations"):
        assert [o.name for o in result] == ctx.names


WRITES = {"cancel", "delete", "update", "finalize", "abort", "mark_seen"}


class SharedTransport:
    """One pooled transport per option set, shared by the matrix's short-lived clients
    (building a TLS context per client would dominate the run time). ``close()`` only
    drops the pooled connections, so the next case starts with none."""

    def __init__(self, timeout: float, max_response_bytes: int) -> None:
        self.inner = Transport(timeout=timeout, max_response_bytes=max_response_bytes)

    def send(self, request: Request) -> Response:
        return self.inner.send(request)

    def close(self) -> None:
        self.inner._pool.clear()


_TRANSPORTS: dict[tuple[float, int], SharedTransport] = {}


def make_matrix_client(srv: RunningServer, fault: Fault) -> Client:
    timeout = fault.options.get("timeout", TIMEOUT)
    limit = fault.options.get("max_response_bytes", DEFAULT_MAX_RESPONSE_BYTES)
    transport = _TRANSPORTS.get((timeout, limit))
    if transport is None:
        transport = _TRANSPORTS[(timeout, limit)] = SharedTransport(timeout, limit)
    return Client(srv.url, token=TOKEN, retry=MATRIX_RETRY, timeout=timeout, transport=transport)


class SyncOverAsync:
    """Drives an :class:`AsyncClient` (or its audited view) from the matrix's sync
    lambdas: coroutines run on ``loop``, async pagers are drained into lists."""

    def __init__(self, target: Any, loop: asyncio.AbstractEventLoop) -> None:
        self._target = target
        self._loop = loop

    @property
    def audit(self) -> SyncOverAsync:
        return SyncOverAsync(self._target.audit, self._loop)

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._target, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            result = method(*args, **kwargs)
            if isinstance(result, AsyncPager):
                return self._loop.run_until_complete(_drain(result))
            if inspect.isawaitable(result):
                return self._loop.run_until_complete(result)
            return result

        return call


async def _drain(pager: AsyncPager[Any]) -> list[Any]:
    return [item async for item in pager]


def make_async_client(srv: RunningServer, fault: Fault) -> AsyncClient:
    timeout = fault.options.get("timeout", TIMEOUT)
    limit = fault.options.get("max_response_bytes", DEFAULT_MAX_RESPONSE_BYTES)
    transport = AsyncTransport(timeout=timeout, max_response_bytes=limit)
    return AsyncClient(
        srv.url, token=TOKEN, retry=MATRIX_RETRY, timeout=timeout, transport=transport
    )


def params() -> list[Any]:
    out = []
    for call, fault, expected in cases():
        marks = [pytest.mark.xfail(strict=True, reason=expected.bug)] if expected.bug else []
        for flavour in ("sync", "async"):
            case_id = f"{flavour}-{call.id}-{fault.id}"
            out.append(pytest.param(flavour, call, fault, expected, id=case_id, marks=marks))
    return out


@pytest.mark.parametrize(("flavour", "call", "fault", "expected"), params())
def test_fault_matrix(
    srv: RunningServer, raw: Raw, flavour: str, call: CallSpec, fault: Fault, expected: Outcome
) -> None:
    client = make_matrix_client(srv, fault)
    loop = asyncio.new_event_loop()
    aclient = make_async_client(srv, fault) if flavour == "async" else None
    subject: Any = client if aclient is None else SyncOverAsync(aclient, loop)
    try:
        ctx = Ctx(names=SETUP[call.id](client))
        ctx.before = raw.snapshot()
        requests_before = srv.requests
        srv.faults.clear()
        srv.faults.add(**fault.rule)
        started = time.monotonic()
        result: Any = None
        raised: BaseException | None = None
        try:
            result = INVOKE[call.id](subject, ctx.names)
        except Exception as exc:
            raised = exc
        attempts = srv.requests - requests_before
        hits = len(srv.faults.hits)
        srv.faults.clear()
        if fault.handled and call.request_id and fault.id == "delay":
            # Let the stalled original reach the store (it must be deduplicated) first.
            # Real time: the client's read timeout is a real socket's, and a moved server
            # clock gives no sign of when the stalled original has landed.
            time.sleep(max(0.0, DELAY_SECONDS + 0.15 - (time.monotonic() - started)))
        after = raw.snapshot()
    finally:
        client.close()
        if aclient is not None:
            loop.run_until_complete(aclient.close())
        loop.close()

    if expected.ok:
        assert raised is None, f"expected success, got {raised!r}"
        check_effect(call.id, ctx, result, after)
    else:
        assert isinstance(raised, errors.Error), f"expected {expected.result}, got {raised!r}"
        assert isinstance(raised, getattr(errors, expected.result)), repr(raised)
        if fault.id == "malformed":
            assert raised.raw, "InvalidResponse keeps an excerpt of the garbled body"
        assert by_name(after) == by_name(ctx.before), "a failed call changed the store"
    assert attempts == expected.attempts, f"server saw {attempts} attempts"
    assert hits == min(fault.count, expected.attempts)


def test_docs_show_the_current_fault_table() -> None:
    """docs/reliability.md carries the table rendered from fault_table.py (regenerate with
    ``python tests/reliability/fault_table.py``)."""
    text = DOC.read_text(encoding="utf-8")
    assert splice(text) == text, "docs/reliability.md is stale: run fault_table.py"

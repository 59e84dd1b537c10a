"""Shared by the wait_all measurements: a set of operations of about T seconds on the
reference server, waited for with ``lro.wait_all``, counted on the server's side."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Literal

from .common import NotMeasured
from .procs import ServerProcess
from .timestamps import epoch

GROUPS = 20  # durations spread evenly over [T/2, 3T/2], one simulation call per group


@dataclass(frozen=True)
class ManyOutcome:
    """One wait_all: requests the server saw, client CPU, how late the last was noticed."""

    requests: int
    cpu: float
    last_late: float


def start(srv: ServerProcess, count: int, about: float) -> list[str]:
    """``count`` running operations whose durations spread over [T/2, 3T/2]."""
    names: list[str] = []
    for g in range(GROUPS):
        size = count // GROUPS + (1 if g < count % GROUPS else 0)
        if size:
            duration = about / 2 + about * g / max(1, GROUPS - 1)
            names += [op["name"] for op in srv.simulate(size, duration, steps=1)]
    return names


def wait_all(
    srv: ServerProcess,
    names: list[str],
    *,
    audited: bool,
    via: Literal["batch", "poll"],
    concurrency: int = 32,
) -> ManyOutcome:
    """Runs ``lro.wait_all`` over ``names`` and measures it (server-side request count)."""
    try:
        from lro import wait_all as lro_wait_all
        from lro._sync.client import Client
    except ImportError as exc:
        raise NotMeasured(f"lro.wait_all unavailable: {exc}") from exc
    with Client(srv.url, max_connections=max(10, concurrency)) as client:
        backend: Any = client.audit if audited else client
        before = srv.requests()
        cpu0 = time.process_time()
        try:
            finals = lro_wait_all(
                names, client=backend, via=via, max_concurrency=concurrency, timeout=300
            )
        except Exception as exc:
            raise NotMeasured(f"lro.wait_all(via={via!r}) raised {exc!r}") from exc
        noticed = time.time()
        cpu = time.process_time() - cpu0
        requests = srv.requests() - before
    if not all(op.done for op in finals):
        raise RuntimeError("wait_all returned operations that are not done")
    last = max(
        epoch(srv.http.get_json("/audit/v1/" + name)["operation"]["updateTime"]) for name in names
    )
    return ManyOutcome(requests, cpu, noticed - last)

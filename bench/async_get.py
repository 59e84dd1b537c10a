"""2b. asyncio throughput: ``lro.AsyncClient.get`` with 100 requests in flight against raw
``httpx.AsyncClient`` doing the same requests with ``json.loads``.

The answers come from :mod:`bench.bare_server` (another process, canned bytes: a running
operation with a Struct metadata, as the reference server writes it), so the client is what
is measured. Both contenders run in this process with the same pool:
``AsyncClient(url, max_connections=100)`` and ``httpx.AsyncClient(limits=Limits(
max_connections=100, max_keepalive_connections=100))`` (a connection per task in flight,
all kept alive). A round is a fresh event loop and client, warmed up, then 100 tasks
sending its requests, each task one after another; its throughput is requests over wall
time. Rounds come in pairs, one of each contender (the order rotating), and the ratio is
per pair (lro's round i over httpx's round i). Each reads ``name`` and ``done``.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from .common import Context, NotMeasured, Row, Stat, installed, ratios, times, us, verdict
from .procs import BareServerProcess

SECTION = "2 per-call"
TARGET = 0.8
IN_FLIGHT = 100
#: A running operation as the reference server's standard view writes it.
NAME = "projects/bench/locations/loopback/operations/4f1c2a9b8e7d6c5b4a39281706f5e4d3"
METADATA = {
    "@type": "type.googleapis.com/google.protobuf.Struct",
    "value": {"progress": 0.42, "stage": "copying", "items": [1, 2, 3], "target": "projects/p/x"},
}

Get = Callable[[], Awaitable[tuple[str, bool]]]
#: Builds a contender on the running loop: (its one-request coroutine, its close).
Build = Callable[[str, str], Awaitable[tuple[Get, Callable[[], Awaitable[None]]]]]


async def _lro(url: str, name: str) -> tuple[Get, Callable[[], Awaitable[None]]]:
    from lro.aio import AsyncClient

    client = AsyncClient(url, max_connections=IN_FLIGHT)

    async def get() -> tuple[str, bool]:
        op = await client.get(name)
        return op.name, op.done

    return get, client.close


async def _httpx(url: str, name: str) -> tuple[Get, Callable[[], Awaitable[None]]]:
    import httpx

    limits = httpx.Limits(max_connections=IN_FLIGHT, max_keepalive_connections=IN_FLIGHT)
    client = httpx.AsyncClient(limits=limits, timeout=30.0, trust_env=False)
    target = f"{url}/v1/{name}"

    async def get() -> tuple[str, bool]:
        response = await client.get(target)
        op = json.loads(response.content)
        return op["name"], op.get("done", False)

    return get, client.aclose


async def _round(get: Get, total: int) -> tuple[float, float]:
    """Wall and CPU seconds for ``total`` requests, ``IN_FLIGHT`` at a time."""
    share = total // IN_FLIGHT

    async def worker() -> None:
        for _ in range(share):
            await get()

    wall0, cpu0 = time.perf_counter(), time.process_time()
    await asyncio.gather(*(worker() for _ in range(IN_FLIGHT)))
    return time.perf_counter() - wall0, time.process_time() - cpu0


async def _measure(build: Build, url: str, size: int) -> tuple[float, float]:
    """One round on a fresh loop: a new client, warmed up, then ``size`` requests."""
    get, close = await build(url, NAME)
    try:
        result = await get()
        if result != (NAME, False):
            raise RuntimeError(f"returned {result!r}, not ({NAME!r}, False)")
        await _round(get, IN_FLIGHT * 2)  # warm-up: open the connections, lazy imports
        return await _round(get, size)
    finally:
        await close()


def run(ctx: Context) -> list[Row]:
    if not installed("httpx"):
        raise NotMeasured("httpx is not installed (`pip install 'lro-sdk[async]'`)")
    pairs, size = ctx.pick(1, 20), ctx.pick(200, 300)
    contenders: list[tuple[str, Build]] = [("lro", _lro), ("httpx", _httpx)]
    samples: dict[str, list[tuple[float, float]]] = {key: [] for key, _ in contenders}
    with tempfile.TemporaryDirectory() as tmp:
        body = json.dumps({"name": NAME, "metadata": METADATA}, separators=(",", ":"))
        bodies = Path(tmp) / "bodies.json"
        bodies.write_text(json.dumps({"/v1/" + NAME: body}))
        with BareServerProcess(bodies) as bare:
            for i in range(pairs):
                for key, build in contenders[i % 2 :] + contenders[: i % 2]:
                    samples[key].append(asyncio.run(_measure(build, bare.url, size)))
    rps = {key: [size / wall for wall, _ in runs] for key, runs in samples.items()}
    cpu = {key: [used / size for _, used in runs] for key, runs in samples.items()}
    ratio = Stat.of(ratios(rps["lro"], rps["httpx"]))
    cpu_ratio = Stat.of(ratios(cpu["httpx"], cpu["lro"]))
    if not installed("sniffio"):
        ctx.note(
            "asyncio throughput: sniffio is not installed, so httpcore pays failed imports on "
            "every request (both contenders); the [async] extra installs it"
        )
    workload = (
        f"GET one operation ({len(body)} B), {IN_FLIGHT} in flight, {pairs} pairs of rounds "
        f"of {size} requests, bare server; client CPU/request lro "
        f"{Stat.of(cpu['lro']).show(us)}, httpx {Stat.of(cpu['httpx']).show(us)} "
        f"(requests per CPU second {cpu_ratio.show(times)})"
    )
    return [
        Row(
            SECTION,
            "`lro.AsyncClient.get`, 100 in flight (throughput)",
            workload,
            f"{Stat.of(rps['lro']).median:,.0f} req/s",
            f"raw httpx.AsyncClient + json.loads {Stat.of(rps['httpx']).median:,.0f} req/s",
            ratio.show(times),
            f"≥ {TARGET}x httpx",
            verdict(ratio.median >= TARGET),
        )
    ]

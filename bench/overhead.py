"""2. Per-call overhead: client CPU per GetOperation on loopback with keep-alive.

The server runs in another process (its CLI), so ``time.process_time()`` in this process
is the client's CPU alone. Contenders, each fetching the same operation body:

* floor: urllib3 GET + ``json.loads`` (what any client must at least do);
* ``lro.Client.get(name)``;
* the generated ``lro_api`` call alone (``OperationsApi.get_operation``);
* google-api-core's REST operations client (``AbstractOperationsClient`` over
  ``OperationsRestTransport``, ``host="http://127.0.0.1:PORT"``, anonymous credentials).
  It needs grpcio to import, and Cloud-style names (its binding is
  ``/v1/{name=**/operations/*}``), so the measured operation has a parent.

Each reads ``name`` and ``done`` of the result. Rounds rotate the order of contenders.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .common import INFO, Context, NotMeasured, Row, Stat, installed, ratios, times, us, verdict
from .jsonhttp import JsonHttp
from .procs import ServerProcess

SECTION = "2 per-call"
TARGET = 1.3
# A Struct-typed Any: well-known, so api-core's protobuf parser can read it too.
METADATA = {
    "@type": "type.googleapis.com/google.protobuf.Struct",
    "value": {"progress": 0.42, "stage": "copying", "items": [1, 2, 3], "target": "projects/p/x"},
}

PARENT = "projects/bench/locations/loopback"

Call = Callable[[], object]


@dataclass
class Contender:
    key: str
    label: str
    call: Call


def _floor(url: str, name: str) -> Call:
    http = JsonHttp(url)
    path = "/v1/" + name

    def call() -> object:
        op = json.loads(http.pool.request("GET", url + path).data)
        return (op["name"], op.get("done", False))

    return call


def _lro(url: str, name: str) -> Call:
    try:
        from lro._sync.client import Client

        client = Client(url)
    except ImportError as exc:
        raise NotMeasured(f"lro.Client unavailable: {exc}") from exc

    def call() -> object:
        op = client.get(name)
        return (op.name, op.done)

    return call


def _lro_tracing(mode: str) -> Callable[[str, str], Call]:
    """``lro.Client.get`` with tracing (lro._tracing) off as without the ``[otel]`` extra,
    with opentelemetry-api but no tracer provider (non-recording spans), or recording
    every span into the SDK's in-memory exporter (a provider of its own, not the global
    one: the other sections must not record)."""

    def build(url: str, name: str) -> Call:
        from lro._sync.client import Client
        from lro._tracing import Tracing

        client = Client(url)
        exporter: Any = None
        if mode == "off":
            client._tracing = None  # what a process without opentelemetry-api has
        else:
            try:
                from opentelemetry import propagate, trace
            except ImportError as exc:
                raise NotMeasured("opentelemetry-api is not installed (extra [otel])") from exc
            tracing = Tracing(trace, propagate)
            if mode == "recorded":
                try:
                    from opentelemetry.sdk.trace import TracerProvider
                    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
                    from opentelemetry.sdk.trace.export.in_memory_span_exporter import (
                        InMemorySpanExporter,
                    )
                except ImportError as exc:
                    raise NotMeasured("opentelemetry-sdk is not installed (extra [dev])") from exc
                exporter = InMemorySpanExporter()
                provider = TracerProvider()
                provider.add_span_processor(SimpleSpanProcessor(exporter))
                tracing._tracer = provider.get_tracer("lro")
            client._tracing = tracing

        def call() -> object:
            op = client.get(name)
            if exporter is not None:
                exporter.clear()  # (memory stays flat)
            return (op.name, op.done)

        return call

    return build


def _generated(url: str, name: str) -> Call:
    from lro_api import ApiClient, Configuration, OperationsApi

    # The spec's server for the standard view is versioned (http://HOST/{version}); the
    # generated paths are relative to it.
    config = Configuration(host=url + "/v1")
    config.safe_chars_for_path_param = "/"
    api = OperationsApi(ApiClient(config))

    def call() -> object:
        op = api.get_operation(name=name)
        return (op.name, op.done)

    return call


def _api_core(url: str, name: str) -> Call:
    if not installed("google.api_core"):
        raise NotMeasured("google-api-core is not installed (`pip install -e '.[bench]'`)")
    try:
        from google.api_core.operations_v1 import AbstractOperationsClient, OperationsRestTransport
        from google.auth.credentials import AnonymousCredentials
        from google.protobuf import struct_pb2
    except ImportError as exc:
        raise NotMeasured(
            f"not measured: google.api_core.operations_v1 imports grpc ({exc}), which the "
            "bench extra lacks; with google-api-core[grpc] it reaches plain http only with "
            "the scheme inside host= (its url_scheme argument is ignored)"
        ) from exc
    # The scheme goes in `host`: OperationsRestTransport accepts url_scheme="http" but does
    # not pass it on to its base class (google-api-core 2.44), so alone it still means https.
    anonymous: Any = AnonymousCredentials
    transport = OperationsRestTransport(host=url, credentials=anonymous(), url_scheme="http")
    client = AbstractOperationsClient(transport=transport)
    assert struct_pb2.Struct  # imported so that the metadata Any's type can be parsed

    def call() -> object:
        op = client.get_operation(name)
        return (op.name, op.done)

    return call


BUILDERS: list[tuple[str, str, Callable[[str, str], Call]]] = [
    ("floor", "urllib3 GET + json.loads", _floor),
    ("lro", "`lro.Client.get`", _lro),
    ("lro-off", "`lro.Client.get`, tracing off (no opentelemetry-api)", _lro_tracing("off")),
    ("lro-api", "`lro.Client.get`, opentelemetry-api, no tracer provider", _lro_tracing("api")),
    ("lro-rec", "`lro.Client.get`, every span recorded (SDK)", _lro_tracing("recorded")),
    ("gen", "generated `lro_api` `get_operation`", _generated),
    ("core", "google-api-core `AbstractOperationsClient.get_operation` (REST)", _api_core),
]


def _cpu_per_call(call: Call, n: int) -> tuple[float, float]:
    wall0, cpu0 = time.perf_counter(), time.process_time()
    for _ in range(n):
        call()
    return (time.process_time() - cpu0) / n, (time.perf_counter() - wall0) / n


def _seed(srv: ServerProcess) -> str:
    # Cloud-style name: api-core's default binding is /v1/{name=**/operations/*}, which
    # a top-level "operations/x" does not match.
    created = srv.http.post_json(f"/audit/v1/operations?parent={PARENT}", {"metadata": METADATA})
    name: str = created["operation"]["name"]
    return name


def run(ctx: Context) -> list[Row]:
    rounds, calls = ctx.pick(2, 7), ctx.pick(100, 1000)
    with ServerProcess(max_wait=5) as srv:
        name = _seed(srv)
        contenders: list[Contender] = []
        missing: dict[str, str] = {}
        for key, label, build in BUILDERS:
            try:
                call = build(srv.url, name)
                result = call()
                if not isinstance(result, tuple) or result[0] != name or result[1]:
                    raise NotMeasured(f"returned {result!r}, not ({name!r}, not done)")
                contenders.append(Contender(key, label, call))
            except NotMeasured as exc:
                missing[key] = str(exc)
            except Exception as exc:  # a baseline failing against this server is a finding
                missing[key] = f"failed against the server: {type(exc).__name__}: {exc}"
        if "floor" in missing:
            raise RuntimeError(f"the floor itself failed: {missing['floor']}")
        for contender in contenders:  # warm-up: connections, caches, lazy imports
            _cpu_per_call(contender.call, 50)
        cpu: dict[str, list[float]] = {c.key: [] for c in contenders}
        wall: dict[str, list[float]] = {c.key: [] for c in contenders}
        for r in range(rounds):
            order = contenders[r % len(contenders) :] + contenders[: r % len(contenders)]
            for contender in order:
                c, w = _cpu_per_call(contender.call, calls)
                cpu[contender.key].append(c)
                wall[contender.key].append(w)
    floor = cpu["floor"]
    floor_text = f"urllib3+json.loads {us(Stat.of(floor).median)}"
    workload = f"GET one operation, keep-alive, {rounds}x{calls} calls, client CPU/call"
    rows = [
        Row(
            SECTION,
            "floor: urllib3 GET + json.loads",
            f"{workload}; wall/call {Stat.of(wall['floor']).show(us)}",
            "—",
            us(Stat.of(floor).median),
            "1x",
            "—",
            INFO,
        )
    ]
    for key, label, _ in BUILDERS[1:]:
        if key in missing:
            rows.append(Row.not_measured(SECTION, label, missing[key]))
            continue
        ratio = Stat.of(ratios(cpu[key], floor))
        is_lro = key == "lro"
        rows.append(
            Row(
                SECTION,
                label,
                f"{workload}; wall/call {Stat.of(wall[key]).show(us)}",
                us(Stat.of(cpu[key]).median),
                floor_text,
                ratio.show(times),
                f"≤ {TARGET:g}x floor" if is_lro else "— (comparison)",
                verdict(ratio.median <= TARGET) if is_lro else INFO,
            )
        )
    return rows

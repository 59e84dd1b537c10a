"""OpenTelemetry tracing (extra ``[otel]``), checked with the SDK's in-memory exporter
against the real reference server: a client span per HTTP request with the HTTP
semantic conventions (never the token or the query), a parent span per wait, wait_all
and handle, ``traceparent`` sent to the server, and nothing at all without the extra."""

from __future__ import annotations

import asyncio
import http.server
import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode
from suite_support import FAST_RETRY

import lro
from lro_server import ManualClock, RunningServer

TOKEN = "secret-token"
OUT = {"@type": "type.googleapis.com/test.Out", "rows": 1}


def client_spans(exporter: InMemorySpanExporter) -> list[Any]:
    return [s for s in exporter.get_finished_spans() if s.kind is SpanKind.CLIENT]


def named(exporter: InMemorySpanExporter, name: str) -> list[Any]:
    return [s for s in exporter.get_finished_spans() if s.name == name]


def children(exporter: InMemorySpanExporter, parent: Any) -> list[Any]:
    return [
        s
        for s in exporter.get_finished_spans()
        if s.parent is not None and s.parent.span_id == parent.context.span_id
    ]


def no_secrets(exporter: InMemorySpanExporter) -> None:
    for span in exporter.get_finished_spans():
        for value in span.attributes.values():
            assert TOKEN not in str(value) and "?" not in str(value), (span.name, value)


# -- one span per HTTP request ----------------------------------------------------------------


def test_each_request_is_a_client_span(spans: InMemorySpanExporter, srv: RunningServer) -> None:
    with lro.Client(srv.url, token=TOKEN, retry=FAST_RETRY) as client:
        op = client.create()
        client.get(op.name)
        list(client.list_operations(filter="done = false", page_size=5))
        client.get_many([op.name])
        with pytest.raises(lro.NotFound):
            client.get("operations/never-made")
    create, get, listing, batch, missing = client_spans(spans)
    port = int(srv.url.rsplit(":", 1)[1])
    assert get.name == "GET /v1/{name}"
    assert dict(get.attributes) == {
        "http.request.method": "GET",
        "server.address": "127.0.0.1",
        "server.port": port,
        "url.full": f"{srv.url}/v1/{op.name}",
        "url.template": "/v1/{name}",
        "http.response.status_code": 200,
    }
    assert get.status.status_code is StatusCode.UNSET
    assert create.name == "POST /audit/v1/operations"
    assert listing.name == "GET /v1/operations"
    assert listing.attributes["url.full"] == f"{srv.url}/v1/operations"  # no query
    assert batch.attributes["url.template"] == "/audit/v1/operations:batchGet"
    assert missing.attributes["http.response.status_code"] == 404
    assert missing.attributes["error.type"] == "404"
    assert missing.status.status_code is StatusCode.ERROR
    no_secrets(spans)


def test_retries_count_resends_and_failures_name_their_type(
    spans: InMemorySpanExporter, srv: RunningServer, closed_port: int
) -> None:
    with lro.Client(srv.url, token=TOKEN, retry=FAST_RETRY) as client:
        op = client.create()
        spans.clear()
        srv.faults.add("unavailable", count=2, method="GET")
        client.get(op.name)
    first, second, third = client_spans(spans)
    assert "http.request.resend_count" not in first.attributes
    assert second.attributes["http.request.resend_count"] == 1
    assert third.attributes["http.request.resend_count"] == 2
    assert [s.attributes["http.response.status_code"] for s in (first, second, third)] == [
        503,
        503,
        200,
    ]
    spans.clear()
    nowhere = lro.Client(f"http://127.0.0.1:{closed_port}", retry=None)
    with pytest.raises(lro.ConnectError):
        nowhere.get("operations/x")
    nowhere.close()
    (failed,) = client_spans(spans)
    assert failed.attributes["error.type"] == "ConnectError"
    assert "http.response.status_code" not in failed.attributes
    assert failed.status.status_code is StatusCode.ERROR


# -- parent spans: wait, wait_all, handles ----------------------------------------------------


def test_a_wait_parents_its_requests(
    spans: InMemorySpanExporter, srv: RunningServer, virtual_clock: ManualClock
) -> None:
    # Two 1 s :wait windows to span, in virtual time (the server's clock is the client's).
    (job,) = srv.simulate(1, 1.5)
    with lro.Client(srv.url, token=TOKEN, retry=FAST_RETRY, clock=virtual_clock) as client:
        client.wait(job["name"], timeout=30)
        (wait,) = named(spans, "lro.wait")
        assert wait.kind is SpanKind.INTERNAL
        requests = children(spans, wait)
        assert len(requests) >= 2 and {s.name for s in requests} == {"POST /v1/{name}:wait"}
        assert dict(wait.attributes) == {
            "lro.operation.name": job["name"],
            "lro.wait.mode": "long_poll",
            "lro.wait.requests": len(requests),
            "lro.wait.outcome": "response",
        }
        spans.clear()
        (failing,) = srv.simulate(1, 0.2, "error")
        polling = lro.WaitPolicy(long_poll=False, initial_delay=0.05, max_delay=0.1)
        client.wait(failing["name"], timeout=30, policy=polling)
        (wait,) = named(spans, "lro.wait")
        assert wait.attributes["lro.wait.mode"] == "poll"
        assert wait.attributes["lro.wait.outcome"] == "error"
        assert wait.status.status_code is StatusCode.ERROR
        assert {s.name for s in children(spans, wait)} == {"GET /v1/{name}"}
        spans.clear()
        (slow,) = srv.simulate(1, 60)
        with pytest.raises(lro.WaitTimeout):
            client.operation(slow["name"]).result(timeout=0.3)
        (wait,) = named(spans, "lro.wait")
        assert wait.attributes["lro.wait.outcome"] == "timeout"
        assert wait.attributes["error.type"] == "WaitTimeout"
        spans.clear()
        with pytest.raises(lro.NotFound):
            client.wait("operations/never-made", timeout=5)
        (wait,) = named(spans, "lro.wait")
        assert wait.attributes["lro.wait.outcome"] == "failed"
        stop = threading.Event()
        stop.set()
        with pytest.raises(lro.Cancelled):
            client.wait(slow["name"], timeout=5, stop=stop)
        assert named(spans, "lro.wait")[-1].attributes["lro.wait.outcome"] == "abandoned"
    no_secrets(spans)


def test_wait_all_parents_its_requests_from_every_thread(
    spans: InMemorySpanExporter, srv: RunningServer
) -> None:
    names = [op["name"] for op in srv.simulate(4, 0.5)]
    with lro.Client(srv.url, token=TOKEN, retry=FAST_RETRY) as client:
        lro.wait_all(names, client=client, timeout=30, max_concurrency=2)
        (pooled,) = named(spans, "lro.wait_all")
        requests = children(spans, pooled)
        assert len(requests) >= 4  # made in the pool's threads, parented all the same
        assert dict(pooled.attributes) == {
            "lro.operation.count": 4,
            "lro.wait.mode": "long_poll",
            "lro.wait.requests": len(requests),
            "lro.wait.outcome": "response",
        }
        spans.clear()
        lro.wait_all([*names, "operations/never-made"], client=client.audit, timeout=30)
        (batched,) = named(spans, "lro.wait_all")
        assert batched.attributes["lro.wait.mode"] == "batch"
        assert batched.attributes["lro.wait.outcome"] == "error"  # one cannot be waited for
        assert {s.name for s in children(spans, batched)} == {"GET /audit/v1/operations:batchGet"}


def test_a_handle_is_a_span_until_it_settles(
    spans: InMemorySpanExporter, srv: RunningServer
) -> None:
    (job,), (other,) = srv.simulate(1, 0.5), srv.simulate(1, 60)
    tracer = pytest.importorskip("opentelemetry.trace").get_tracer("test")
    with lro.Client(
        srv.url, token=TOKEN, retry=FAST_RETRY, wait_policy=lro.WaitPolicy(stop_latency=0.5)
    ) as client:
        with tracer.start_as_current_span("caller") as caller:
            handle = client.track(job["name"])
            audited = client.audit.track(job["name"])
            abandoned = client.track(other["name"])
        assert handle.result(10) == audited.result(10)
        abandoned.cancel()
        standard, shared, gone = named(spans, "lro.track")
    assert {s.parent.span_id for s in (standard, shared, gone)} == {caller.context.span_id}
    assert standard.attributes["lro.wait.mode"] == "long_poll"
    assert standard.attributes["lro.wait.outcome"] == "response"
    assert standard.attributes["lro.wait.requests"] == len(children(spans, standard)) >= 1
    assert shared.attributes["lro.wait.mode"] == "batch"
    assert shared.attributes["lro.wait.requests"] >= 1  # batch rounds it was part of
    assert children(spans, shared) == []  # the shared batchGet spans are their own
    assert gone.attributes["lro.wait.outcome"] == "abandoned"


def test_async_spans_are_the_same(
    spans: InMemorySpanExporter, srv: RunningServer, virtual_clock: ManualClock
) -> None:
    (job,), (failing,) = srv.simulate(1, 1.2), srv.simulate(1, 0.3, "error")
    names = [op["name"] for op in srv.simulate(3, 0.3)]

    async def main() -> None:
        async with lro.AsyncClient(
            srv.url, token=TOKEN, retry=FAST_RETRY, clock=virtual_clock
        ) as client:
            await client.wait(job["name"], timeout=30)
            await lro.async_wait_all(names, client=client, timeout=30)
            with pytest.raises(lro.Internal, match="simulated failure"):
                await client.track(failing["name"])
            await client.audit.track(names[0])

    asyncio.run(main())
    (wait,) = named(spans, "lro.wait")
    assert wait.attributes["lro.wait.requests"] == len(children(spans, wait)) >= 1
    assert wait.attributes["lro.wait.outcome"] == "response"
    (many,) = named(spans, "lro.wait_all")
    assert many.attributes["lro.wait.requests"] == len(children(spans, many)) >= 3
    failed, shared = named(spans, "lro.track")
    assert failed.attributes["lro.wait.outcome"] == "error"
    assert failed.attributes["error.type"] == "Internal"
    assert shared.attributes["lro.wait.mode"] == "batch"
    assert client_spans(spans)[0].attributes["url.template"] == "/v1/{name}:wait"
    no_secrets(spans)


# -- traceparent reaches the server -----------------------------------------------------------


class Recorder(http.server.BaseHTTPRequestHandler):
    """Answers every GET (and ``:wait``) with a done operation and records the headers."""

    seen: list[dict[str, str]] = []

    def do_GET(self) -> None:
        Recorder.seen.append(dict(self.headers.items()))
        name = self.path.split("?", 1)[0].split("/v1/", 1)[1].removesuffix(":wait")
        body = json.dumps({"name": name, "done": True, "response": OUT}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.do_GET()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def recorder() -> Iterator[str]:
    Recorder.seen = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_traceparent_is_sent_to_the_server(spans: InMemorySpanExporter, recorder: str) -> None:
    with lro.Client(recorder, token=TOKEN, retry=None) as client:
        client.get("operations/a")

    async def main() -> None:
        async with lro.AsyncClient(recorder, retry=None) as aclient:
            await aclient.get("operations/b")

    asyncio.run(main())
    for headers, span in zip(Recorder.seen, client_spans(spans), strict=True):
        context = span.context
        flags = f"{int(context.trace_flags):02x}"
        assert (
            headers["traceparent"] == f"00-{context.trace_id:032x}-{context.span_id:016x}-{flags}"
        )
    assert Recorder.seen[0]["Authorization"] == f"Bearer {TOKEN}"  # sent, never recorded
    no_secrets(spans)


def test_traceparent_continues_the_callers_trace(
    spans: InMemorySpanExporter, recorder: str
) -> None:
    tracer = pytest.importorskip("opentelemetry.trace").get_tracer("test")
    with lro.Client(recorder, retry=None) as client, tracer.start_as_current_span("job") as job:
        client.wait("operations/c", timeout=5)
    (request,) = client_spans(spans)
    (wait,) = named(spans, "lro.wait")
    assert wait.parent.span_id == job.context.span_id
    assert request.parent.span_id == wait.context.span_id
    assert Recorder.seen[0]["traceparent"].split("-")[1] == f"{job.context.trace_id:032x}"


# -- without the extra ---------------------------------------------------------------------


def _run(code: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    return result.stdout.strip()


@pytest.mark.slow  # a fresh Python process: what importing lro loads
def test_without_opentelemetry_nothing_is_imported_or_traced(srv: RunningServer) -> None:
    code = f"""
import sys
sys.modules["opentelemetry"] = None  # as if the extra were not installed
import lro, lro._tracing
client = lro.Client({srv.url!r}, token={TOKEN!r})
op = client.finalize(client.create().name, response={{"@type": "type.googleapis.com/t.O"}})
assert client.wait(op.name, timeout=5).done and client.track(op.name).result(5)
print(client.get(op.name).name == op.name, client._tracing, lro._tracing.tracing(),
      sorted(m for m in sys.modules if m.startswith("opentelemetry") and sys.modules[m]))
"""
    assert _run(code) == "True None None []"


@pytest.mark.slow  # a fresh Python process: what importing lro loads
def test_import_lro_does_not_import_opentelemetry() -> None:
    code = (
        "import sys, lro, lro.aio, lro.errors\n"
        "print(any(m.startswith('opentelemetry') for m in sys.modules), end=' ')\n"
        "print(lro.Client('http://127.0.0.1:9')._tracing, 'opentelemetry.trace' in sys.modules)\n"
        "import opentelemetry.trace\n"  # what an application that traces has done
        "print(lro.Client('http://127.0.0.1:9')._tracing is not None)"
    )
    # A client leaves the API alone until the application has loaded it, then uses it.
    assert _run(code) == "False None False\nTrue"


@pytest.mark.slow  # a fresh Python process: what importing lro loads
def test_without_a_provider_no_span_is_made_but_the_context_is_propagated(
    recorder: str,
) -> None:
    code = f"""
from opentelemetry import trace
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags
import lro, lro._tracing
client = lro.Client({recorder!r}, retry=None)
client.get("operations/plain")  # no provider, no current span: nothing added
remote = SpanContext(0xABC, 0xDEF, is_remote=True, trace_flags=TraceFlags(1))
with trace.use_span(NonRecordingSpan(remote)):  # e.g. extracted from an incoming request
    client.get("operations/continued")
print(lro._tracing.tracing()._idle())
"""
    assert _run(code) == "True"
    plain, continued = Recorder.seen
    assert "traceparent" not in {key.lower() for key in plain}
    assert continued["traceparent"] == f"00-{0xABC:032x}-{0xDEF:016x}-01"

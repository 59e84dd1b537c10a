"""Fixtures of the tracing tests: the OpenTelemetry SDK's in-memory exporter behind a
tracer provider set once for the process, recording only while a test asks for it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

trace = pytest.importorskip("opentelemetry.trace")
sdk_trace = pytest.importorskip("opentelemetry.sdk.trace")
from opentelemetry.sdk.trace.export import SimpleSpanProcessor  # noqa: E402
from opentelemetry.sdk.trace.export.in_memory_span_exporter import (  # noqa: E402
    InMemorySpanExporter,
)
from opentelemetry.sdk.trace.sampling import (  # noqa: E402
    ALWAYS_OFF,
    ALWAYS_ON,
    Sampler,
    SamplingResult,
)


class Switch(Sampler):
    """Samples everything while on, nothing while off: the provider is the process's
    (OpenTelemetry sets one once), and the rest of the suite must not record spans."""

    on = False

    def should_sample(self, *args: Any, **kwargs: Any) -> SamplingResult:
        return (ALWAYS_ON if self.on else ALWAYS_OFF).should_sample(*args, **kwargs)

    def get_description(self) -> str:
        return "lro-tests-switch"


EXPORTER = InMemorySpanExporter()
SWITCH = Switch()


def _provider() -> None:
    if getattr(_provider, "done", False):
        return
    provider = sdk_trace.TracerProvider(sampler=SWITCH)
    provider.add_span_processor(SimpleSpanProcessor(EXPORTER))
    trace.set_tracer_provider(provider)
    _provider.done = True  # type: ignore[attr-defined]


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    """The exporter of the spans recorded during the test."""
    _provider()
    EXPORTER.clear()
    SWITCH.on = True
    try:
        yield EXPORTER
    finally:
        SWITCH.on = False
        EXPORTER.clear()


@pytest.fixture
def server_options() -> dict[str, Any]:
    """``srv`` (tests/conftest.py) with a token and a short wait cap."""
    return {"max_wait": 1.0, "tokens": {"secret-token": "alice"}}

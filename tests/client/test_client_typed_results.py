"""Typed results over real HTTP: proto3 JSON names read as protobuf reads them, and
``result()`` returning the type registered for the response's ``@type`` (sync and async)."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import Iterator
from typing import Any

import pydantic
import pytest

import lro
from lro._core import anys
from lro.aio import AsyncClient


class ExportResult(pydantic.BaseModel):
    output_uri: str
    row_count: int


@dataclasses.dataclass
class ExportProgress:
    percent_done: int


@pytest.fixture
def type_name() -> Iterator[str]:
    """A message name of this test alone, unregistered afterwards."""
    name = f"acme.test{uuid.uuid4().hex[:8]}.ExportResult"
    yield name
    anys._REGISTRY.pop(name, None)


def _finished(client: lro.Client, type_name: str) -> lro.Operation:
    op = client.create({"@type": f"type.googleapis.com/{type_name}Meta", "percentDone": 40})
    response = {
        "@type": f"type.googleapis.com/{type_name}",
        "outputUri": "gs://b/o",
        "rowCount": "12",
    }
    return client.finalize(op.name, response=response)


def test_snake_case_models_read_the_server_s_camel_case(client: lro.Client, type_name: str) -> None:
    op = client.get(_finished(client, type_name).name)
    assert op.response_as(ExportResult) == ExportResult(output_uri="gs://b/o", row_count=12)
    assert op.metadata_as(ExportProgress) == ExportProgress(percent_done=40)
    assert op.result(as_type=ExportResult).row_count == 12


def test_result_returns_the_registered_type(client: lro.Client, type_name: str) -> None:
    name = _finished(client, type_name).name
    assert isinstance(client.get(name).result(), dict)  # nothing registered: the JSON
    lro.register_type(type_name, ExportResult)
    got = client.get(name).result()
    assert got == ExportResult(output_uri="gs://b/o", row_count=12)
    assert client.operation(name).result(timeout=5) == got


def test_async_result_returns_the_registered_type(
    srv: Any, client: lro.Client, type_name: str
) -> None:
    name = _finished(client, type_name).name
    lro.register_type(type_name, ExportResult)

    async def main() -> Any:
        async with AsyncClient(srv.url, timeout=10) as aclient:
            return await (await aclient.get(name)).result()

    assert asyncio.run(main()) == ExportResult(output_uri="gs://b/o", row_count=12)


def test_a_mismatch_names_the_keys_the_server_sent(client: lro.Client, type_name: str) -> None:
    class Elsewhere(pydantic.BaseModel):
        destination: str

    op = client.get(_finished(client, type_name).name)
    with pytest.raises(lro.AnyTypeError) as caught:
        op.response_as(Elsewhere)
    assert "destination: Field required" in str(caught.value)
    assert "keys seen: 'outputUri', 'rowCount'" in str(caught.value)

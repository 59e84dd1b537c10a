"""The generated route table (``lro_api.routes``) says what ``openapi.yaml`` says.

Every operationId of the spec has a route with its method, path template and parameters
under their wire names, in the spec's order; arrays are marked repeated, enums carry their
values. The table is plain data: importing it loads no pydantic.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from lro_api.routes import ROUTES

SPEC = yaml.safe_load((Path(__file__).parents[2] / "openapi.yaml").read_text(encoding="utf-8"))
METHODS = ("get", "put", "post", "delete", "patch", "head", "options")
TYPES = {"string": "string", "integer": "integer", "number": "number", "boolean": "boolean"}


def _resolve(node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = SPEC
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part]
        node = target
    return node


def _operations() -> list[tuple[str, str, dict[str, Any]]]:
    found = []
    for path, item in SPEC["paths"].items():
        for method in METHODS:
            if method in item:
                found.append((path, method, item[method]))
    return found


OPERATIONS = _operations()


def test_every_operation_has_a_route_and_nothing_else() -> None:
    assert sorted(op["operationId"] for _, _, op in OPERATIONS) == sorted(ROUTES)
    assert len(ROUTES) == 21


@pytest.mark.parametrize(
    ("path", "method", "op"), OPERATIONS, ids=[op["operationId"] for _, _, op in OPERATIONS]
)
def test_route_matches_the_spec(path: str, method: str, op: dict[str, Any]) -> None:
    route = ROUTES[op["operationId"]]
    assert route.operation_id == op["operationId"]
    assert (route.method, route.path) == (method.upper(), path)
    assert route.tag == op["tags"][0]
    assert route.api_class == op["tags"][0] + "Api"
    params = [_resolve(p) for p in op.get("parameters", [])]
    for where, got in (
        ("path", route.path_params),
        ("query", route.query_params),
        ("header", route.header_params),
    ):
        wanted = [p for p in params if p["in"] == where]
        assert [p.name for p in got] == [p["name"] for p in wanted]
        for param, spec in zip(got, wanted, strict=True):
            schema = _resolve(spec["schema"])
            repeated = schema.get("type") == "array"
            item = _resolve(schema["items"]) if repeated else schema
            assert param.required == bool(spec.get("required")), param
            assert param.repeated == repeated, param
            assert param.type == TYPES[item["type"]], param
            assert param.enum == tuple(item.get("enum", ())), param
            if where == "path":
                assert "{" + param.name + "}" in route.path
    body = op.get("requestBody")
    if body is None:
        assert route.body_param is None and route.content_type is None
    else:
        assert route.body_param is not None
        assert route.body_param.required == bool(body.get("required"))
        assert route.content_type in body["content"]
    assert route.accept == "application/json"


def test_wire_names_and_arrays() -> None:
    listing = ROUTES["ListOperations"]
    assert [(p.name, p.python_name, p.type) for p in listing.query_params] == [
        ("filter", "filter", "string"),
        ("pageSize", "page_size", "integer"),
        ("pageToken", "page_token", "string"),
        ("returnPartialSuccess", "return_partial_success", "boolean"),
    ]
    (names,) = ROUTES["OperationService_BatchGetOperations"].query_params
    assert (names.name, names.required, names.repeated) == ("names", True, True)
    view = ROUTES["OperationService_ListUnseenOperations"].query_params[-1]
    assert view.enum == (
        "OPERATION_VIEW_UNSPECIFIED",
        "OPERATION_VIEW_BASIC",
        "OPERATION_VIEW_FULL",
    )
    assert ROUTES["GetOperation"].python_method == "get_operation"
    assert ROUTES["OperationService_GetOperation"].response_type == "V1GetOperationResponse"


@pytest.mark.slow  # a fresh Python process: what importing the table loads
def test_route_table_imports_no_pydantic() -> None:
    code = (
        "import sys, lro_api.routes;"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('pydantic', 'urllib3')"
        " or m.startswith('lro_api.') and m != 'lro_api.routes'))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "[]"

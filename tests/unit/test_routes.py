"""Requests built from the route table (``lro._core.routes``): paths, queries, bodies.

Path parameters go through the one tested encoder (``encode_path``: slashes kept,
everything else percent-encoded); query values are percent-encoded with ``/`` kept,
arrays repeat their key, booleans are ``true``/``false``; wrong types are refused before
anything is sent.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import pytest

from lro._core.names import encode_path
from lro._core.routes import ROUTES, build, response_model
from lro.errors import InvalidArgument, InvalidName

HOSTILE = [
    ("operations/a b", "operations/a%20b"),
    ("operations/a?b=c", "operations/a%3Fb%3Dc"),
    ("operations/a#frag", "operations/a%23frag"),
    ("operations/100%", "operations/100%25"),
    ("operations/a%2Fb", "operations/a%252Fb"),
    ("operations/a:cancel", "operations/a%3Acancel"),
    ("operations/a..b/...", "operations/a..b/..."),
    ("operations/ünï/日本", "operations/%C3%BCn%C3%AF/%E6%97%A5%E6%9C%AC"),
    ("projects/p/locations/l/operations/x~y_z-1.2", "projects/p/locations/l/operations/x~y_z-1.2"),
    ("operations/a&b+c;d=e@f$g,h'i(j)k*l!m", None),
]


@pytest.mark.parametrize(("name", "encoded"), HOSTILE, ids=[n for n, _ in HOSTILE])
def test_path_params_use_the_one_encoder(name: str, encoded: str | None) -> None:
    for operation_id, template in [
        ("GetOperation", "/{}"),
        ("CancelOperation", "/{}:cancel"),
        ("OperationService_AbortOperation", "/v1/{}:abort"),
    ]:
        prepared = build(operation_id, name=name, body={} if "cancel" in template else None)
        assert prepared.path == template.format(encode_path(name))
        assert prepared.target == prepared.path  # no query
    path = build("GetOperation", name=name).path
    if encoded is not None:
        assert path == "/" + encoded
    segments = path.removeprefix("/").split("/")
    assert segments == [s for s in segments if s not in ("", ".", "..")]
    assert not any(c in path for c in "?# ") and path.count(":") == 0
    assert unquote(path.removeprefix("/")) == name  # lossless


@pytest.mark.parametrize(
    "name", ["operations/..", "operations/./x", "operations//x", "", "operations/a\nb"]
)
def test_bad_names_are_refused_before_building(name: str) -> None:
    with pytest.raises(InvalidName):
        build("GetOperation", name=name)
    with pytest.raises(InvalidName):
        build("ListParentOperations", parent=name)


def test_non_string_name_is_refused() -> None:
    with pytest.raises(InvalidName):
        build("GetOperation", name=123)
    with pytest.raises(InvalidArgument, match="needs name"):
        build("GetOperation")


def test_query_uses_wire_names_in_spec_order() -> None:
    prepared = build(
        "ListParentOperations",
        parent="projects/p",
        page_token="tok/en+1=",
        page_size=5,
        filter="done = true&pageSize=1#x",
        return_partial_success=False,
    )
    assert prepared.path == "/projects/p/operations"
    assert prepared.query == (
        ("filter", "done = true&pageSize=1#x"),
        ("pageSize", "5"),
        ("pageToken", "tok/en+1="),
        ("returnPartialSuccess", "false"),
    )
    assert prepared.target == (
        "/projects/p/operations?filter=done%20%3D%20true%26pageSize%3D1%23x"
        "&pageSize=5&pageToken=tok/en%2B1%3D&returnPartialSuccess=false"
    )
    # Any standard parser reads back exactly what was given.
    assert parse_qsl(urlsplit(prepared.target).query, strict_parsing=True) == list(prepared.query)


def test_none_is_not_sent_and_booleans_are_lowercase() -> None:
    assert build("ListOperations", page_size=None, filter=None).target == "/operations"
    listed = build("OperationService_ListOperations", show_deleted=True, page_size=0)
    assert listed.target == "/v1/operations?pageSize=0&showDeleted=true"


def test_arrays_repeat_their_key() -> None:
    names = ["operations/a b&names=c", "operations/x", "operations/ü?#"]
    prepared = build("OperationService_BatchGetOperations", names=names)
    assert prepared.target == (
        "/v1/operations:batchGet?names=operations/a%20b%26names%3Dc"
        "&names=operations/x&names=operations/%C3%BC%3F%23"
    )
    assert parse_qsl(urlsplit(prepared.target).query) == [("names", n) for n in names]
    assert build("OperationService_BatchGetOperations", names=iter(names)).query == tuple(
        ("names", n) for n in names
    )


@pytest.mark.parametrize(
    ("operation_id", "values", "message"),
    [
        ("ListOperations", {"page_size": "5"}, "pageSize must be an integer, got str"),
        ("ListOperations", {"page_size": True}, "pageSize must be an integer, got bool"),
        ("ListOperations", {"page_size": 1.5}, "pageSize must be an integer"),
        ("ListOperations", {"filter": 3}, "filter must be a string, got int"),
        ("ListOperations", {"return_partial_success": 1}, "must be a boolean, got int"),
        ("OperationService_BatchGetOperations", {"names": "operations/a"}, "list of values"),
        ("OperationService_BatchGetOperations", {"names": [1]}, "names must be a string"),
        ("OperationService_BatchGetOperations", {}, "needs names"),
        ("OperationService_ListUnseenOperations", {"view": "BASIC"}, "view must be one of"),
        ("ListOperations", {"filter": "\ud800"}, "not valid Unicode"),
    ],
)
def test_bad_values_are_invalid_arguments(
    operation_id: str, values: dict[str, Any], message: str
) -> None:
    with pytest.raises(InvalidArgument, match=message):
        build(operation_id, **values)


def test_enum_values_pass() -> None:
    prepared = build("OperationService_ListUnseenOperations", view="OPERATION_VIEW_BASIC")
    assert prepared.target == "/v1/operations:unseen?view=OPERATION_VIEW_BASIC"


def test_unknown_arguments_are_programming_errors() -> None:
    with pytest.raises(TypeError, match="page_sise"):
        build("ListOperations", page_sise=5)
    with pytest.raises(TypeError, match="pageSize"):
        build("ListOperations", pageSize=5)  # wire names are not argument names
    with pytest.raises(TypeError, match="no request body"):
        build("GetOperation", name="operations/x", body={})
    with pytest.raises(KeyError):
        build("NoSuchOperation")


def test_body_is_compact_json_with_content_type() -> None:
    prepared = build(
        "OperationService_CreateOperation",
        parent="projects/p",
        request_id="r-1",
        body={"metadata": {"@type": "t/x.Y", "ü": [1, 2.5, None, True]}},
    )
    assert prepared.method == "POST"
    assert prepared.target == "/v1/operations?parent=projects/p&requestId=r-1"
    assert prepared.body == '{"metadata":{"@type":"t/x.Y","ü":[1,2.5,null,true]}}'.encode()
    assert prepared.headers == {"Accept": "application/json", "Content-Type": "application/json"}
    got = build("GetOperation", name="operations/x")
    assert got.body is None and got.headers == {"Accept": "application/json"}
    # An optional body may be left out: no Content-Type then.
    assert build("CancelOperation", name="operations/x").headers == {"Accept": "application/json"}


@pytest.mark.parametrize("body", [{"x": float("nan")}, {"x": object()}, {"x": "\udc00"}])
def test_bad_bodies_are_invalid_arguments(body: Any) -> None:
    with pytest.raises(InvalidArgument, match="not valid JSON"):
        build("CancelOperation", name="operations/x", body=body)


def test_required_body() -> None:
    with pytest.raises(InvalidArgument, match="needs a request body"):
        build("OperationService_UpdateOperation", name="operations/x")
    prepared = build("OperationService_UpdateOperation", name="operations/x", body={})
    assert (prepared.method, prepared.body) == ("PATCH", b"{}")


def test_every_route_builds() -> None:
    for operation_id, route in ROUTES.items():
        values: dict[str, Any] = {p.python_name: "operations/x" for p in route.path_params}
        values.update({p.python_name: ["operations/x"] for p in route.query_params if p.required})
        body = {} if route.body_param is not None else None
        prepared = build(operation_id, body=body, **values)
        assert prepared.method == route.method
        assert "{" not in prepared.target
        if body is not None:
            assert json.loads(prepared.body or b"") == {}


def test_response_model_loads_the_generated_model_on_request() -> None:
    model = response_model("OperationService_GetOperation")
    assert model is not None and model.__name__ == "V1GetOperationResponse"
    assert response_model("DeleteOperation") is None  # a free-form object (Empty)


@pytest.mark.slow  # a fresh Python process: what building requests loads
def test_building_requests_imports_no_pydantic() -> None:
    code = (
        "import sys\n"
        "from lro._core.routes import ROUTES, build\n"
        "build('OperationService_BatchGetOperations', names=['operations/a'])\n"
        "build('OperationService_CreateOperation', body={'metadata': {}})\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'pydantic'"
        " or m.startswith('lro_api.') and m != 'lro_api.routes'))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "[]"


def test_each_route_is_relative_to_its_server_s_root() -> None:
    """The standard view hangs off the spec's versioned server; the audited and admin views
    off their own mounts. The client joins base URL, root and path (never rewrites)."""
    from lro._core.routes import DEFAULT_VERSION, STANDARD_ROOT

    assert (STANDARD_ROOT, DEFAULT_VERSION) == ("/{version}", "v1")
    assert build("GetOperation", name="operations/x").root == "/{version}"
    assert build("OperationService_GetOperation", name="operations/x").root == "/audit"
    assert build("Admin_GetStats").root == "/admin"

"""Each generated API class works on its own against the reference server.

``lro`` builds its requests from the route table and never calls these classes, so this is
what keeps them (and their pydantic models) honest: every class is driven through the
calls of its tag, with the generated ``ApiClient`` over urllib3, and reads back the
generated models. Every operationId of the spec is called at least once here.
"""

from __future__ import annotations

import contextlib

from collections.abc import Iterator
from typing import Any

import pytest

import lro_api
from lro_api import (
    AdminApi,
    ApiClient,
    Configuration,
    FaultRule,
    OperationsApi,
    OperationServiceApi,
    OperationView,
    ProtobufAny,
    SimulationRequest,
    V1BatchMarkOperationSeenByCreatorRequest,
    V1FinalizeOperationRequest,
    V1Operation,
    V1UpdateOperationRequest,
    WaitOperationRequest,
)
from lro_api.exceptions import NotFoundException, ServiceException
from lro_api.routes import ROUTES
from lro_server import serve

PROGRESS = "type.googleapis.com/lro.example.Progress"
CALLED: set[str] = set()


class Clients:
    """One generated ApiClient per view: each view is a service with its own root.

    The standard view is relative to the spec's server (``{host}/{version}``); the audited
    and admin views name servers of their own (``{host}/audit``, ``{host}/admin``), which
    the generated calls use unless ``ignore_operation_servers`` lets ``host`` replace them.
    """

    def __init__(self, url: str) -> None:
        self.standard = self._client(url + "/v1")
        self.audit = self._client(url + "/audit", ignore_operation_servers=True)
        self.admin = self._client(url + "/admin", ignore_operation_servers=True)

    @staticmethod
    def _client(host: str, **options: Any) -> ApiClient:
        config = Configuration(host=host, **options)
        config.safe_chars_for_path_param = "/"  # names keep their slashes
        config.retries = 0
        return ApiClient(config)

    def close(self) -> None:
        for client in (self.standard, self.audit, self.admin):
            client.rest_client.pool_manager.clear()


@contextlib.contextmanager
def _clients_of_a_fresh_server() -> Iterator[Clients]:
    with serve(port=0, db=":memory:", max_wait=2.0) as srv:
        clients = Clients(srv.url)
        try:
            yield clients
        finally:
            clients.close()


@pytest.fixture(scope="module")
def api_client() -> Iterator[Clients]:
    with _clients_of_a_fresh_server() as clients:
        yield clients


def test_the_spec_s_servers_are_the_default_roots() -> None:
    assert Configuration().host == "http://127.0.0.1:8080/v1"
    versioned = Configuration(server_variables={"version": "v1beta1"})
    assert versioned.host == "http://127.0.0.1:8080/v1beta1"
    assert ROUTES["GetOperation"].path == "/{name}" and ROUTES["GetOperation"].server is None
    audited = ROUTES["OperationService_GetOperation"]
    assert (audited.server, audited.path) == ("http://127.0.0.1:8080/audit", "/v1/{name}")


def _called(api: Any, method: str) -> Any:
    """The generated method, recorded so the last test can check every route was driven."""
    (operation_id,) = [
        k
        for k, r in ROUTES.items()
        if r.api_class == type(api).__name__ and r.python_method == method
    ]
    CALLED.add(operation_id)
    return getattr(api, method)


def test_admin_api(api_client: Clients) -> None:
    admin = AdminApi(api_client.admin)
    started = _called(admin, "admin_start_simulation")(
        SimulationRequest(count=2, duration_seconds=0.05, steps=1, parent="projects/gen")
    )
    assert started.operations is not None and len(started.operations) == 2
    assert all(op.name.startswith("projects/gen/operations/") for op in started.operations)

    rule = _called(admin, "admin_add_fault")(
        FaultRule(kind="unavailable", count=1, method="GET", path="^/v1/operations$")
    )
    assert rule.id and rule.kind == "unavailable"
    faults = _called(admin, "admin_list_faults")()
    assert [f.id for f in faults.faults or []] == [rule.id]
    before = _called(admin, "admin_get_stats")().requests
    with pytest.raises(ServiceException) as unavailable:  # the armed 503
        OperationsApi(api_client.standard).list_operations()
    assert unavailable.value.status == 503
    assert admin.admin_get_stats().requests == (before or 0) + 1
    _called(admin, "admin_add_fault")(FaultRule(kind="unavailable", count=5, path="^/nowhere$"))
    assert _called(admin, "admin_clear_faults")() == {}
    assert not admin.admin_list_faults().faults


def test_operations_api(api_client: Clients) -> None:
    svc = OperationServiceApi(api_client.audit)
    ops = OperationsApi(api_client.standard)
    parent = "projects/std gen"  # a space: encoded, slashes kept
    created = svc.operation_service_create_operation(V1Operation(), parent=parent)
    name = created.operation.name
    assert name.startswith(parent + "/operations/")

    got = _called(ops, "get_operation")(name)
    assert got.name == name and not got.done
    listed = _called(ops, "list_parent_operations")(parent, page_size=10)
    assert [o.name for o in listed.operations] == [name]
    everything = _called(ops, "list_operations")(filter="done = false", page_size=1000)
    assert name in [o.name for o in everything.operations]

    waited = _called(ops, "wait_operation")(
        name, wait_operation_request=WaitOperationRequest(timeout="0.05s")
    )
    assert waited.name == name and not waited.done
    by_query = _called(ops, "wait_operation")(name, timeout="0.05s")  # Vertex's binding
    assert by_query.name == name and not by_query.done
    assert _called(ops, "cancel_operation")(name, body={}) == {}
    cancelled = ops.get_operation(name)
    assert cancelled.done and cancelled.error is not None and cancelled.error.code == 1
    assert _called(ops, "delete_operation")(name) == {}
    with pytest.raises(NotFoundException):
        ops.get_operation(name)


def test_operation_service_api(api_client: Clients) -> None:
    svc = OperationServiceApi(api_client.audit)
    first = _called(svc, "operation_service_create_operation")(
        V1Operation(metadata=ProtobufAny(type=PROGRESS)),
        parent="projects/audit gen",
        request_id="gen-req-1",
    ).operation
    second = svc.operation_service_create_operation(V1Operation()).operation
    assert first.creator == "anonymous"

    got = _called(svc, "operation_service_get_operation")(first.name).operation
    assert got.name == first.name and got.create_time is not None
    updated = _called(svc, "operation_service_update_operation")(
        first.name, V1UpdateOperationRequest(metadata=ProtobufAny(type=PROGRESS))
    ).operation
    assert updated.update_time is not None

    finished = _called(svc, "operation_service_finalize_operation")(
        first.name,
        V1FinalizeOperationRequest(done=True, response=ProtobufAny(type=PROGRESS)),
        request_id="gen-req-2",
    ).operation
    assert finished.done and finished.response is not None
    aborted = _called(svc, "operation_service_abort_operation")(second.name, body={}).operation
    assert aborted.done and aborted.error is not None and aborted.error.code == 10

    names = [first.name, second.name]
    batch = _called(svc, "operation_service_batch_get_operations")(names)
    assert [o.name for o in batch.operations] == names
    listed = _called(svc, "operation_service_list_operations")(
        page_size=1000, filter="done = true", show_deleted=True
    )
    assert set(names) <= {o.name for o in listed.operations}

    unseen = _called(svc, "operation_service_list_unseen_operations")(
        page_size=1000, view=OperationView.OPERATION_VIEW_BASIC
    )
    assert set(names) <= {o.name for o in unseen.operations}
    assert all(o.response is None for o in unseen.operations)  # BASIC leaves it out
    seen = _called(svc, "operation_service_mark_operation_seen_by_creator")(
        first.name, body={}
    ).operation
    assert seen.seen_by_creator_time is not None
    marked = _called(svc, "operation_service_batch_mark_operation_seen_by_creator")(
        V1BatchMarkOperationSeenByCreatorRequest(names=names)
    )
    assert [o.name for o in marked.operations] == names
    still_unseen = svc.operation_service_list_unseen_operations(page_size=1000)
    assert not set(names) & {o.name for o in still_unseen.operations or []}


def test_every_route_was_driven_through_its_generated_class() -> None:
    # Under pytest-xdist the three drivers may have run on other workers (or some of them
    # on this one, against the module's server): then drive them all here, on a server of
    # their own, so the check never depends on which worker ran what.
    if set(CALLED) != set(ROUTES):
        with _clients_of_a_fresh_server() as fresh:
            for drive in (test_admin_api, test_operations_api, test_operation_service_api):
                drive(fresh)
    assert sorted(ROUTES) == sorted(CALLED)
    for route in ROUTES.values():
        assert callable(getattr(getattr(lro_api, route.api_class), route.python_method))

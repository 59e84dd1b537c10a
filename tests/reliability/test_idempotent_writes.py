"""Safe retries of writes (AIP-155): create, finalize and abort carry a ``requestId`` in the
spec, the client fills it automatically, the server deduplicates it, so a write retried
after a dropped connection happens exactly once and the caller still gets its result.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import yaml
from reliability_support import META, RESPONSE, ROOT, TOKEN, Raw, Recording
from suite_support import FAST_RETRY

from lro._sync.client import Client
from lro.errors import Code, NotFound
from lro_server import RunningServer, serve


@pytest.fixture
def recorded(srv: RunningServer) -> Iterator[tuple[Client, Recording]]:
    transport = Recording()
    with Client(srv.url, token=TOKEN, retry=FAST_RETRY, transport=transport) as client:
        yield client, transport


def is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


# --- the spec ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "method"),
    [
        ("/v1/operations", "post"),
        ("/v1/{name}:finalize", "patch"),
        ("/v1/{name}:abort", "post"),
    ],
)
def test_spec_declares_request_id(path: str, method: str) -> None:
    spec = yaml.safe_load((ROOT / "openapi.yaml").read_text(encoding="utf-8"))
    # The audited view's paths are relative to its own server, {host}/audit.
    assert spec["paths"][path]["servers"][0]["url"].endswith("/audit")
    params = spec["paths"][path][method]["parameters"]
    refs = [p.get("$ref") for p in params]
    assert "#/components/parameters/RequestId" in refs
    declared = spec["components"]["parameters"]["RequestId"]
    assert declared["in"] == "query" and declared["name"] == "requestId"
    assert not declared.get("required", False)


# --- the server, over raw HTTP ------------------------------------------------------------


def test_server_dedupes_create(raw: Raw) -> None:
    path = "/audit/v1/operations?requestId=" + str(uuid.uuid4())
    first = raw.json("POST", path, json_body={"metadata": META})
    again = raw.json("POST", path, json_body={"metadata": META})
    assert first[0] == again[0] == 200
    assert again[1] == first[1]
    assert raw.total_size() == 1
    other = raw.json("POST", "/audit/v1/operations?requestId=" + str(uuid.uuid4()), json_body={})
    assert other[0] == 200 and other[1]["operation"]["name"] != first[1]["operation"]["name"]
    assert raw.total_size() == 2


def test_request_ids_are_per_caller() -> None:
    """Another principal reusing the same requestId gets its own operation."""
    with serve(port=0, db=":memory:", tokens={"t-a": "alice", "t-b": "bob"}) as srv:
        alice, bob = Raw(srv.url, "t-a"), Raw(srv.url, "t-b")
        path = "/audit/v1/operations?requestId=shared-id"
        a = alice.json("POST", path, json_body={})[1]["operation"]
        b = bob.json("POST", path, json_body={})[1]["operation"]
        assert a["name"] != b["name"] and (a["creator"], b["creator"]) == ("alice", "bob")
        alice.close()
        bob.close()


@pytest.mark.parametrize("verb", ["finalize", "abort"])
def test_server_dedupes_finish(raw: Raw, verb: str) -> None:
    name = raw.json("POST", "/audit/v1/operations", json_body={})[1]["operation"]["name"]
    method = "PATCH" if verb == "finalize" else "POST"
    body = {"done": True, "response": RESPONSE} if verb == "finalize" else {}
    path = f"/audit/v1/{name}:{verb}?requestId={uuid.uuid4()}"
    first = raw.json(method, path, json_body=body)
    again = raw.json(method, path, json_body=body)
    assert first[0] == again[0] == 200
    assert again[1] == first[1]
    # Without the same requestId the repeat is what it is: a write to a done operation.
    status, error = raw.json(method, f"/audit/v1/{name}:{verb}", json_body=body)
    assert status == 400 and error["code"] == Code.FAILED_PRECONDITION


def test_server_rejects_overlong_request_id(raw: Raw) -> None:
    status, error = raw.json("POST", "/audit/v1/operations?requestId=" + "x" * 300, json_body={})
    assert status == 400 and error["code"] == Code.INVALID_ARGUMENT
    assert raw.total_size() == 0


# --- the client fills requestId ---------------------------------------------------------


def test_client_fills_a_fresh_request_id(recorded: tuple[Client, Recording]) -> None:
    client, transport = recorded
    a, b = client.create(META), client.create(META)
    client.finalize(a.name, response=RESPONSE)
    client.abort(b.name)
    creates = transport.request_ids("POST", "/audit/v1/operations")
    finalizes = transport.request_ids("PATCH", ":finalize")
    aborts = transport.request_ids("POST", ":abort")
    ids = creates + finalizes + aborts
    assert len(ids) == 4 and all(is_uuid(i) for i in ids)
    assert len(set(ids)) == 4, "every call gets its own requestId"


def test_client_passes_an_explicit_request_id(srv: RunningServer, raw: Raw) -> None:
    """A caller-chosen requestId makes a create safe to repeat across clients/processes."""
    rid = str(uuid.uuid4())
    with Client(srv.url, token=TOKEN, retry=FAST_RETRY) as one:
        first = one.create(META, request_id=rid)
    with Client(srv.url, token=TOKEN, retry=FAST_RETRY) as two:
        second = two.create(META, request_id=rid)
    assert first.name == second.name
    assert raw.total_size() == 1


# --- a dropped connection after the commit ------------------------------------------------

WRITES: dict[str, tuple[str, str, Callable[[Client, str], Any]]] = {
    # call: (HTTP method, path regex, invoke)
    "create": ("POST", r"^/audit/v1/operations$", lambda c, _: c.create(META)),
    "finalize": ("PATCH", r":finalize$", lambda c, n: c.finalize(n, response=RESPONSE)),
    "abort": ("POST", r":abort$", lambda c, n: c.abort(n)),
}


@pytest.mark.parametrize("call", list(WRITES))
def test_write_retried_after_drop_after_happens_once(
    srv: RunningServer, raw: Raw, recorded: tuple[Client, Recording], call: str
) -> None:
    client, transport = recorded
    method, path, invoke = WRITES[call]
    name = "" if call == "create" else client.create(META).name
    before = raw.total_size()
    transport.sent.clear()
    requests_before = srv.requests
    srv.faults.add(kind="drop_after", method=method, path=path)

    result = invoke(client, name)  # must not raise: the retry is answered from the first

    assert srv.requests - requests_before == 2, "one dropped attempt, one retry"
    assert [hit["kind"] for hit in srv.faults.hits] == ["drop_after"]
    suffix = {"create": "/audit/v1/operations", "finalize": ":finalize", "abort": ":abort"}[call]
    ids = transport.request_ids(method, suffix)
    assert len(ids) == 2 and ids[0] == ids[1] and is_uuid(ids[0]), ids
    ops = raw.snapshot()
    if call == "create":
        assert raw.total_size() == before + 1 == 1, "exactly one operation was created"
        assert ops[0]["name"] == result.name and ops[0]["metadata"] == META
        return
    assert raw.total_size() == before == 1
    (stored,) = ops
    assert stored["name"] == name == result.name
    assert stored == result.to_dict(), "the retry returned the committed state"
    if call == "finalize":
        assert stored["done"] is True and stored["response"] == RESPONSE
    else:
        assert stored["done"] is True and stored["error"]["code"] == Code.ABORTED


@pytest.mark.parametrize("call", list(WRITES))
def test_write_retried_through_a_burst_happens_once(
    srv: RunningServer, raw: Raw, client: Client, call: str
) -> None:
    """drop_after, then a 503, then a lost reply again: still one effect, one result."""
    method, path, invoke = WRITES[call]
    name = "" if call == "create" else client.create(META).name
    srv.faults.add(kind="drop_after", method=method, path=path)
    srv.faults.add(kind="unavailable", method=method, path=path)
    srv.faults.add(kind="drop_after", method=method, path=path)
    requests_before = srv.requests
    result = invoke(client, name)
    assert srv.requests - requests_before == 4
    assert raw.total_size() == 1
    assert raw.snapshot()[0] == result.to_dict()


def test_request_id_reused_for_another_operation_is_a_new_request(client: Client, raw: Raw) -> None:
    """The server keys a requestId by caller, method and operation name: reusing one for
    another operation is a new request that acts on that operation, while a repeat for the
    same operation answers with the first result (and acts no second time)."""
    a, b, c, d = (client.create(META).name for _ in range(4))
    rid = str(uuid.uuid4())
    first = client.finalize(a, response=RESPONSE, request_id=rid)
    other = client.finalize(b, response=RESPONSE, request_id=rid)
    assert other.name == b and other.done and other.response == RESPONSE
    assert client.finalize(a, response=RESPONSE, request_id=rid) == first  # a repeat
    aborted = client.abort(c, request_id=rid)
    assert client.abort(d, request_id=rid).name == d
    assert client.abort(c, request_id=rid) == aborted
    stored = {op["name"]: op for op in raw.snapshot()}
    assert [stored[name].get("done") for name in (a, b, c, d)] == [True] * 4
    assert stored[a] == first.to_dict() and stored[b] == other.to_dict()
    assert stored[d]["error"]["code"] == Code.ABORTED


# --- delete: idempotent in effect, settled in outcome -------------------------------------


def test_delete_retried_after_drop_after_succeeds_once(
    srv: RunningServer, raw: Raw, client: Client
) -> None:
    name = client.create(META).name
    srv.faults.add(kind="drop_after", method="DELETE")
    before = srv.requests
    client.delete(name)  # the retry's 404 proves the lost attempt deleted it
    assert srv.requests - before == 2
    (stored,) = raw.snapshot()
    assert stored["name"] == name and "deleteTime" in stored


def test_delete_of_a_missing_name_after_a_plain_503_is_not_found(
    srv: RunningServer, client: Client
) -> None:
    """A 503 proves the first attempt did nothing, so the 404 that follows is real."""
    srv.faults.add(kind="unavailable", method="DELETE")
    with pytest.raises(NotFound):
        client.delete("operations/never-existed")


def test_delete_of_a_missing_name_after_a_lost_answer_is_settled(
    srv: RunningServer, client: Client
) -> None:
    """The documented trade-off: after an attempt whose answer was lost the client cannot
    tell "my delete did it" from "it never existed", and reports success."""
    srv.faults.add(kind="drop_before", method="DELETE")
    client.delete("operations/never-existed")
    assert [hit["kind"] for hit in srv.faults.hits] == ["drop_before"]

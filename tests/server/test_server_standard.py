"""The standard view (google.longrunning.Operations) over HTTP: every row of the contract."""

from __future__ import annotations

import threading
import time

from server_http import ERROR_INFO, PROGRESS, RESULT, Api

from lro_server import serve


def test_get_running_operation_is_the_bare_resource(api: Api) -> None:
    op = api.create()
    got = api.ok("GET", f"/v1/{op['name']}")
    # No audit fields, no "done" key while running, metadata kept verbatim with its @type.
    assert got == {"name": op["name"], "metadata": PROGRESS}


def test_get_finished_operation_has_done_and_response(api: Api) -> None:
    op = api.create()
    api.finish(op["name"])
    assert api.ok("GET", f"/v1/{op['name']}") == {
        "name": op["name"],
        "metadata": PROGRESS,
        "done": True,
        "response": RESULT,
    }


def test_get_unknown_is_not_found_naming_it(api: Api) -> None:
    reply = api.get("/v1/operations/nope")
    assert reply.status == 404
    assert reply.code == 5
    assert reply.reason == "OPERATION_NOT_FOUND"
    assert reply.json["details"][0]["metadata"] == {"name": "operations/nope"}


def test_list_all_and_by_parent(api: Api) -> None:
    root = api.create()
    in_p = api.create(query="?parent=projects/p/locations/l")
    in_q = api.create(query="?parent=projects/q")
    assert in_p["name"].startswith("projects/p/locations/l/operations/")

    everything = api.ok("GET", "/v1/operations")["operations"]
    assert [op["name"] for op in everything] == [root["name"], in_p["name"], in_q["name"]]
    assert all(set(op) <= {"name", "metadata", "done", "error", "response"} for op in everything)

    scoped = api.ok("GET", "/v1/projects/p/locations/l/operations")
    assert [op["name"] for op in scoped["operations"]] == [in_p["name"]]
    # A parent with no operations: an empty page, canonical JSON omits the empty list.
    assert api.ok("GET", "/v1/projects/none/operations") == {}


def test_list_never_shows_deleted(api: Api) -> None:
    keep, gone = api.create(), api.create()
    api.ok("DELETE", f"/v1/{gone['name']}")
    names = [op["name"] for op in api.ok("GET", "/v1/operations")["operations"]]
    assert names == [keep["name"]]


def test_return_partial_success_is_unimplemented(api: Api) -> None:
    reply = api.get("/v1/operations?returnPartialSuccess=true")
    assert (reply.status, reply.code) == (501, 12)
    assert api.get("/v1/operations?returnPartialSuccess=false").status == 200
    assert api.get("/v1/operations?returnPartialSuccess=maybe").status == 400


def test_delete_hides_from_standard_view_but_not_audited(api: Api) -> None:
    op = api.create()
    assert api.ok("DELETE", f"/v1/{op['name']}") == {}
    assert api.get(f"/v1/{op['name']}").status == 404
    assert api.delete(f"/v1/{op['name']}").status == 404  # already gone for this view
    audited = api.audited(op["name"])
    assert audited["deleter"] == "anonymous"
    assert audited["deleteTime"] == audited["updateTime"]
    assert "done" not in audited  # delete does not cancel


def test_cancel_finishes_with_cancelled_and_only_error_info(api: Api) -> None:
    op = api.create()
    assert api.ok("POST", f"/v1/{op['name']}:cancel", {}) == {}
    got = api.ok("GET", f"/v1/{op['name']}")
    assert got["done"] is True
    assert got["error"]["code"] == 1
    assert [d["@type"] for d in got["error"]["details"]] == [ERROR_INFO]
    audited = api.audited(op["name"])
    assert audited["updater"] == "anonymous" and "updateTime" in audited


def test_cancel_accepts_empty_body_and_rejects_bad_json(api: Api) -> None:
    op = api.create()
    assert api.post(f"/v1/{op['name']}:cancel", raw=b"{oops").status == 400
    assert "done" not in api.audited(op["name"])  # a rejected request changes nothing
    assert api.post(f"/v1/{op['name']}:cancel", raw=b"").status == 200
    assert api.audited(op["name"])["done"] is True


def test_cancel_of_done_operation_changes_nothing(api: Api) -> None:
    op = api.create()
    api.finish(op["name"])
    before = api.audited(op["name"])
    assert api.ok("POST", f"/v1/{op['name']}:cancel") == {}
    assert api.audited(op["name"]) == before


def test_cancel_of_deleted_or_unknown_is_not_found(api: Api) -> None:
    op = api.create()
    api.ok("DELETE", f"/v1/{op['name']}")
    assert api.post(f"/v1/{op['name']}:cancel").status == 404
    assert api.post("/v1/operations/unknown:cancel").status == 404


def test_wait_on_done_operation_returns_at_once(api: Api) -> None:
    op = api.create()
    api.finish(op["name"])
    started = time.monotonic()
    got = api.ok("POST", f"/v1/{op['name']}:wait", {"timeout": "30s"})
    assert got["done"] is True and time.monotonic() - started < 1


def test_wait_returns_running_operation_when_timeout_passes(api: Api) -> None:
    op = api.create()
    started = time.monotonic()
    got = api.ok("POST", f"/v1/{op['name']}:wait", {"timeout": "0.3s"})
    elapsed = time.monotonic() - started
    assert got == {"name": op["name"], "metadata": PROGRESS}
    assert 0.3 <= elapsed < 2


def test_wait_returns_the_moment_the_operation_finishes(api: Api) -> None:
    op = api.create()
    finisher = threading.Timer(0.3, api.finish, args=(op["name"],))
    finisher.start()
    started = time.monotonic()
    got = api.ok("POST", f"/v1/{op['name']}:wait", {"timeout": "20s"})
    elapsed = time.monotonic() - started
    finisher.join()
    assert got["done"] is True and got["response"] == RESULT
    assert 0.25 <= elapsed < 2


def test_wait_does_not_return_early_on_progress_updates(api: Api) -> None:
    op = api.create()
    update = {"metadata": {"@type": "type.googleapis.com/test.Progress", "percent": 50}}
    updater = threading.Timer(0.1, api.ok, args=("PATCH", f"/audit/v1/{op['name']}", update))
    updater.start()
    started = time.monotonic()
    got = api.ok("POST", f"/v1/{op['name']}:wait", {"timeout": "0.6s"})
    updater.join()
    assert time.monotonic() - started >= 0.6
    assert got["metadata"]["percent"] == 50 and "done" not in got


def test_wait_timeout_is_capped_and_defaults_to_max_wait() -> None:
    with serve(port=0, max_wait=0.4) as srv:
        api = Api(srv.url)
        op = api.create()
        for body in ({"timeout": "3600s"}, {}, None):
            started = time.monotonic()
            got = api.ok("POST", f"/v1/{op['name']}:wait", body)
            assert 0.4 <= time.monotonic() - started < 2
            assert "done" not in got


def test_wait_rejects_negative_and_malformed_timeouts(api: Api) -> None:
    op = api.create()
    for timeout in ("-1s", "-0.5s", "abc", "5", "5m", 5, True, {"seconds": 5}):
        reply = api.post(f"/v1/{op['name']}:wait", {"timeout": timeout})
        assert (reply.status, reply.code) == (400, 3), timeout
    # snake_case, fractional and zero durations are fine
    assert "done" not in api.ok("POST", f"/v1/{op['name']}:wait", {"timeout": "0.000000001s"})
    assert "done" not in api.ok("POST", f"/v1/{op['name']}:wait", {"timeout": "0s"})


def test_wait_takes_the_window_as_a_query_parameter_with_no_body(api: Api) -> None:
    # Vertex AI's binding: POST /v1/{name}:wait?timeout=..., no body.
    op = api.create()
    started = time.monotonic()
    got = api.ok("POST", f"/v1/{op['name']}:wait?timeout=0.3s")
    elapsed = time.monotonic() - started
    assert got == {"name": op["name"], "metadata": PROGRESS}
    assert 0.3 <= elapsed < 2


def test_wait_query_timeout_wins_over_the_body() -> None:
    with serve(port=0, max_wait=5) as srv:
        api = Api(srv.url)
        op = api.create()
        started = time.monotonic()
        api.ok("POST", f"/v1/{op['name']}:wait?timeout=0.2s", {"timeout": "4s"})
        assert 0.2 <= time.monotonic() - started < 2


def test_wait_rejects_a_bad_query_timeout(api: Api) -> None:
    op = api.create()
    for timeout in ("-1s", "abc", "5"):
        reply = api.post(f"/v1/{op['name']}:wait?timeout={timeout}", {"timeout": "1s"})
        assert (reply.status, reply.code) == (400, 3), timeout
        assert "timeout" in reply.json["message"]
    reply = api.post(f"/v1/{op['name']}:wait?timeout=1s&timeout=2s")
    assert (reply.status, reply.code) == (400, 3)


def test_wait_on_deleted_operation_is_not_found(api: Api) -> None:
    op = api.create()
    deleter = threading.Timer(0.2, api.ok, args=("DELETE", f"/v1/{op['name']}"))
    deleter.start()
    reply = api.post(f"/v1/{op['name']}:wait", {"timeout": "10s"})
    deleter.join()
    assert reply.status == 404  # deleted while held: answered at once, not after 10 s
    assert api.post(f"/v1/{op['name']}:wait", {}).status == 404


def test_one_store_two_views(api: Api) -> None:
    """Cancelled through the standard view, it is cancelled in the audited one too."""
    op = api.create()
    api.ok("POST", f"/v1/{op['name']}:cancel")
    assert api.audited(op["name"])["error"]["code"] == 1
    reply = api.patch(f"/audit/v1/{op['name']}:finalize", {"done": True, "response": RESULT})
    assert (reply.status, reply.code) == (400, 9)

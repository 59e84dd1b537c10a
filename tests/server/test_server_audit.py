"""The audited view over HTTP: create, update, finalize, abort, seen marking, batches, lists."""

from __future__ import annotations

from server_http import ERROR_INFO, PROGRESS, RESULT, TIMESTAMP, Api, nanos

from lro_server import RunningServer

FAILURE = {"code": 13, "message": "boom", "details": [{"@type": ERROR_INFO, "reason": "X"}]}


def test_create_sets_creator_and_create_time_only(api: Api) -> None:
    op = api.create()
    assert set(op) == {"name", "createTime", "creator", "metadata"}
    assert op["creator"] == "anonymous"
    assert TIMESTAMP.fullmatch(op["createTime"])
    assert op["metadata"] == PROGRESS
    # One opaque segment after operations/.
    assert op["name"].count("/") == 1 and op["name"].startswith("operations/")


def test_create_without_metadata_and_with_unknown_fields(api: Api) -> None:
    op = api.ok("POST", "/audit/v1/operations", {"metadata": None, "whatever": 1, "done": True})
    assert set(op["operation"]) == {"name", "createTime", "creator"}


def test_create_rejects_bad_metadata_and_parents(api: Api) -> None:
    for body in ({"metadata": "text"}, {"metadata": {"no": "type"}}, {"metadata": [1]}, [1]):
        reply = api.post("/audit/v1/operations", body)
        assert (reply.status, reply.code) == (400, 3), body
    for parent in ("a/../b", "a//b", "projects/p/operations", "p%00", "x" * 1100):
        reply = api.post(f"/audit/v1/operations?parent={parent}", {})
        assert (reply.status, reply.code) == (400, 3), parent
    assert api.count() == 0


def test_create_with_request_id_is_idempotent(api: Api) -> None:
    first = api.create(query="?requestId=r-1")
    again = api.create(query="?requestId=r-1")
    assert again == first
    # snake_case query names are accepted too
    assert api.create(query="?request_id=r-1") == first
    other = api.create(query="?requestId=r-2")
    assert other["name"] != first["name"]
    assert api.count() == 2


def test_get_audited_has_every_audit_field(api: Api) -> None:
    op = api.create()
    api.finish(op["name"])
    got = api.audited(op["name"])
    assert nanos(got["createTime"]) < nanos(got["updateTime"])
    assert got["creator"] == got["updater"] == "anonymous"
    assert got["response"] == RESULT
    assert api.get("/audit/v1/operations/unknown").status == 404


def test_update_replaces_metadata_and_stamps(api: Api) -> None:
    op = api.create()
    metadata = {"@type": "type.googleapis.com/test.Progress", "percent": 70}
    updated = api.ok("PATCH", f"/audit/v1/{op['name']}", {"metadata": metadata})["operation"]
    assert updated["metadata"] == metadata
    assert updated["updater"] == "anonymous" and nanos(updated["updateTime"]) > nanos(
        op["createTime"]
    )
    assert api.ok("GET", f"/v1/{op['name']}")["metadata"] == metadata


def test_update_needs_metadata_and_a_running_operation(api: Api) -> None:
    op = api.create()
    reply = api.patch(f"/audit/v1/{op['name']}", {})
    assert (reply.status, reply.code) == (400, 3)
    api.finish(op["name"])
    reply = api.patch(f"/audit/v1/{op['name']}", {"metadata": PROGRESS})
    assert (reply.status, reply.code, reply.reason) == (400, 9, "OPERATION_DONE")


def test_finalize_with_response_or_error(api: Api) -> None:
    ok, failed = api.create(), api.create()
    done = api.finish(ok["name"])
    assert done["done"] is True and done["response"] == RESULT and "error" not in done
    body = {"done": True, "error": FAILURE, "response": None}  # null means unset
    done = api.ok("PATCH", f"/audit/v1/{failed['name']}:finalize", body)["operation"]
    assert done["error"] == FAILURE and "response" not in done


def test_finalize_rejects_bad_bodies(api: Api) -> None:
    op = api.create()
    for body in (
        {"done": True},
        {"done": True, "error": FAILURE, "response": RESULT},
        {"response": RESULT},
        {"done": False, "response": RESULT},
        {"done": "yes", "response": RESULT},
        {"done": True, "error": {"code": 0}},
        {"done": True, "error": {"code": "thirteen"}},
        {"done": True, "error": {"code": 13, "details": [{"no": "type"}]}},
        {"done": True, "response": {"value": 1}},
    ):
        reply = api.patch(f"/audit/v1/{op['name']}:finalize", body)
        assert (reply.status, reply.code) == (400, 3), body
    assert "done" not in api.audited(op["name"])


def test_finalize_twice_is_failed_precondition_unless_retried_with_request_id(api: Api) -> None:
    op = api.create()
    path = f"/audit/v1/{op['name']}:finalize?requestId=fin-1"
    first = api.ok("PATCH", path, {"done": True, "response": RESULT})["operation"]
    # The retry of the same request returns the first result, not an error.
    assert api.ok("PATCH", path, {"done": True, "response": RESULT})["operation"] == first
    reply = api.patch(f"/audit/v1/{op['name']}:finalize", {"done": True, "response": RESULT})
    assert (reply.status, reply.code) == (400, 9)


def test_abort_running_and_done(api: Api) -> None:
    op = api.create()
    aborted = api.ok("POST", f"/audit/v1/{op['name']}:abort")["operation"]
    assert aborted["done"] is True and aborted["error"]["code"] == 10
    assert [d["@type"] for d in aborted["error"]["details"]] == [ERROR_INFO]
    assert aborted["updater"] == "anonymous"
    reply = api.post(f"/audit/v1/{op['name']}:abort")
    assert (reply.status, reply.code) == (400, 9)


def test_abort_with_request_id_is_idempotent(api: Api) -> None:
    op = api.create()
    path = f"/audit/v1/{op['name']}:abort?requestId=abort-1"
    first = api.ok("POST", path)["operation"]
    assert api.ok("POST", path)["operation"] == first


def test_mark_seen_once(api: Api) -> None:
    op = api.create()
    api.finish(op["name"])
    marked = api.ok("POST", f"/audit/v1/{op['name']}:markSeenByCreator")["operation"]
    assert TIMESTAMP.fullmatch(marked["seenByCreatorTime"])
    assert marked["updateTime"] == marked["seenByCreatorTime"]
    again = api.ok("POST", f"/audit/v1/{op['name']}:markSeenByCreator", {})["operation"]
    assert again == marked


def test_mark_seen_of_running_is_failed_precondition(api: Api) -> None:
    op = api.create()
    reply = api.post(f"/audit/v1/{op['name']}:markSeenByCreator")
    assert (reply.status, reply.code, reply.reason) == (400, 9, "OPERATION_RUNNING")


def test_mark_seen_by_other_principal_is_permission_denied(alice: Api, bob: Api) -> None:
    op = alice.create()
    alice.finish(op["name"])
    reply = bob.post(f"/audit/v1/{op['name']}:markSeenByCreator")
    assert (reply.status, reply.code, reply.reason) == (403, 7, "NOT_CREATOR")
    assert "seenByCreatorTime" not in alice.audited(op["name"])
    marked = alice.ok("POST", f"/audit/v1/{op['name']}:markSeenByCreator")["operation"]
    assert marked["updater"] == "alice"


def test_batch_get_in_request_order_with_deleted(api: Api) -> None:
    a, b, c = api.create(), api.create(), api.create()
    api.ok("DELETE", f"/v1/{b['name']}")
    names = [c["name"], a["name"], b["name"], c["name"]]
    query = "&".join(f"names={n}" for n in names)
    got = api.ok("GET", f"/audit/v1/operations:batchGet?{query}")["operations"]
    # A name given again is answered once, at its first place (issue 22.2: bounded replies).
    assert [op["name"] for op in got] == names[:3]
    assert "deleteTime" in got[2]


def test_batch_get_unknown_name_fails_the_whole_call(api: Api) -> None:
    a = api.create()
    reply = api.get(f"/audit/v1/operations:batchGet?names={a['name']}&names=operations/ghost")
    assert (reply.status, reply.code) == (404, 5)
    assert "operations/ghost" in reply.json["message"]
    assert reply.json["details"][0]["metadata"] == {"name": "operations/ghost"}


def test_batch_get_needs_1_to_1000_names(api: Api) -> None:
    reply = api.get("/audit/v1/operations:batchGet")
    assert (reply.status, reply.code) == (400, 3)
    query = "&".join(f"names=operations/{i}" for i in range(1001))
    reply = api.get(f"/audit/v1/operations:batchGet?{query}")
    assert (reply.status, reply.code) == (400, 3)
    assert api.get("/audit/v1/operations:batchGet?names=operations/../x").status == 400


def test_batch_mark_seen_is_atomic(srv: RunningServer, api: Api) -> None:
    done1, done2, running = api.create(), api.create(), api.create()
    api.finish(done1["name"])
    api.finish(done2["name"])
    path = "/audit/v1/operations:batchMarkSeenByCreator"

    reply = api.post(path, {"names": [done1["name"], running["name"]]})
    assert (reply.status, reply.code) == (400, 9)
    reply = api.post(path, {"names": [done1["name"], "operations/ghost"]})
    assert (reply.status, reply.code) == (404, 5)
    assert "seenByCreatorTime" not in api.audited(done1["name"])  # nothing was marked

    got = api.ok("POST", path, {"names": [done2["name"], done1["name"], done2["name"]]})
    ops = got["operations"]
    assert [op["name"] for op in ops] == [done2["name"], done1["name"]]  # each once
    assert all("seenByCreatorTime" in op for op in ops)
    assert ops[0] == api.audited(done2["name"])


def test_batch_mark_seen_rejects_bad_name_lists(api: Api) -> None:
    path = "/audit/v1/operations:batchMarkSeenByCreator"
    for body in ({}, {"names": []}, {"names": "operations/x"}, {"names": [1]}):
        reply = api.post(path, body)
        assert (reply.status, reply.code) == (400, 3), body
    reply = api.post(path, {"names": [f"operations/{i}" for i in range(1001)]})
    assert (reply.status, reply.code) == (400, 3)


def test_batch_mark_seen_of_others_operation_is_denied(alice: Api, bob: Api) -> None:
    mine, theirs = bob.create(), alice.create()
    bob.finish(mine["name"])
    bob.finish(theirs["name"])
    reply = bob.post(
        "/audit/v1/operations:batchMarkSeenByCreator", {"names": [mine["name"], theirs["name"]]}
    )
    assert (reply.status, reply.code) == (403, 7)
    assert "seenByCreatorTime" not in bob.audited(mine["name"])


def test_unseen_lists_own_done_unseen_not_deleted(alice: Api, bob: Api) -> None:
    running = alice.create()
    seen, unseen, deleted = alice.create(), alice.create(), alice.create()
    bobs = bob.create()
    for op in (seen, unseen, deleted, bobs):
        alice.finish(op["name"])
    alice.ok("POST", f"/audit/v1/{seen['name']}:markSeenByCreator")
    alice.ok("DELETE", f"/v1/{deleted['name']}")

    page = alice.ok("GET", "/audit/v1/operations:unseen")
    assert [op["name"] for op in page["operations"]] == [unseen["name"]]
    assert page["totalSize"] == 1
    assert page["operations"][0]["response"] == RESULT
    assert running["name"] not in str(page)
    assert [op["name"] for op in bob.ok("GET", "/audit/v1/operations:unseen")["operations"]] == [
        bobs["name"]
    ]


def test_unseen_views(api: Api) -> None:
    op = api.create()
    api.finish(op["name"])
    basic = api.ok("GET", "/audit/v1/operations:unseen?view=OPERATION_VIEW_BASIC")
    assert "response" not in basic["operations"][0] and basic["operations"][0]["done"] is True
    for view in ("OPERATION_VIEW_FULL", "OPERATION_VIEW_UNSPECIFIED"):
        full = api.ok("GET", f"/audit/v1/operations:unseen?view={view}")
        assert full["operations"][0]["response"] == RESULT
    reply = api.get("/audit/v1/operations:unseen?view=EVERYTHING")
    assert (reply.status, reply.code) == (400, 3)


def test_audited_list_hides_deleted_unless_asked(api: Api) -> None:
    a, b = api.create(), api.create()
    api.ok("DELETE", f"/v1/{a['name']}")
    page = api.ok("GET", "/audit/v1/operations")
    assert [op["name"] for op in page["operations"]] == [b["name"]]
    assert page["totalSize"] == 1
    page = api.ok("GET", "/audit/v1/operations?showDeleted=true")
    assert [op["name"] for op in page["operations"]] == [a["name"], b["name"]]
    assert page["totalSize"] == 2
    assert api.ok("GET", "/audit/v1/operations?show_deleted=true")["totalSize"] == 2
    assert api.get("/audit/v1/operations?showDeleted=yes").status == 400


def test_every_change_stamps_update_time_and_updater(alice: Api, bob: Api) -> None:
    op = alice.create()
    stamps = [nanos(op["createTime"])]
    for who, method, path, body in (
        (bob, "PATCH", "", {"metadata": PROGRESS}),
        (bob, "PATCH", ":finalize", {"done": True, "response": RESULT}),
        (alice, "POST", ":markSeenByCreator", {}),
    ):
        changed = who.ok(method, f"/audit/v1/{op['name']}{path}", body)["operation"]
        assert changed["updater"] == ("bob" if who is bob else "alice")
        stamps.append(nanos(changed["updateTime"]))
    bob.ok("DELETE", f"/v1/{op['name']}")
    final = alice.audited(op["name"])
    assert final["deleter"] == final["updater"] == "bob"
    stamps.append(nanos(final["updateTime"]))
    assert stamps == sorted(stamps) and len(set(stamps)) == len(stamps)
    assert final["creator"] == "alice"

    cancelled, aborted = alice.create(), alice.create()
    bob.ok("POST", f"/v1/{cancelled['name']}:cancel")
    bob.ok("POST", f"/audit/v1/{aborted['name']}:abort")
    assert alice.audited(cancelled["name"])["updater"] == "bob"
    assert alice.audited(aborted["name"])["updater"] == "bob"

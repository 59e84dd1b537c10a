"""Issue 22, the server's half: names that hide or reorder text, batch replies, held
`:wait`s, nesting and numbers, strict framing. Over real loopback sockets, against the
in-process server (and `python -m lro_server` where start-up is what is tested)."""

from __future__ import annotations

import json

import pytest
from server_http import RESULT, Api

from lro_server import RunningServer
from lro_server.wire import MAX_JSON_DEPTH

# --- nesting and numbers (22.4) ------------------------------------------------------------

BODY_METHODS = [
    ("POST", "/audit/v1/operations"),
    ("PATCH", "/audit/v1/{op}"),
    ("PATCH", "/audit/v1/{op}:finalize"),
    ("POST", "/audit/v1/{op}:abort"),
    ("POST", "/audit/v1/{op}:markSeenByCreator"),
    ("POST", "/audit/v1/operations:batchMarkSeenByCreator"),
    ("POST", "/v1/{op}:wait"),
    ("POST", "/v1/{op}:cancel"),
    ("POST", "/admin/v1/simulations"),
    ("POST", "/admin/v1/faults"),
]


def deep_body(levels: int) -> bytes:
    """A body whose objects nest exactly `levels` deep (the body itself is level 1), in the
    `metadata` and `response` of a create, update or finalize."""
    inner = '{"a":' * (levels - 2) + "1" + "}" * (levels - 2)
    any_ = '{"@type": "type.googleapis.com/x.Y", "v": ' + inner + "}"
    return ('{"done": true, "metadata": ' + any_ + ', "response": ' + any_ + "}").encode()


@pytest.mark.parametrize("levels", [MAX_JSON_DEPTH + 1, 600, 969, 970, 971, 972, 973, 1200])
@pytest.mark.parametrize(("method", "path"), BODY_METHODS)
def test_bodies_nested_beyond_the_limit_are_400_at_every_method(
    srv: RunningServer, api: Api, method: str, path: str, levels: int
) -> None:
    """No window of 500s (970-972 levels answered 500: the parser took them, a later
    step ran out of stack); one documented depth, the same for every method."""
    op = api.create()
    reply = api.call(method, path.format(op=op["name"]), raw=deep_body(levels))
    assert (reply.status, reply.code, reply.reason) == (400, 3, "MALFORMED_BODY"), reply.body
    assert f"more than {MAX_JSON_DEPTH} levels" in reply.json["message"]
    assert api.audited(op["name"]) == op and api.count() == 1  # nothing changed


@pytest.mark.parametrize(("method", "path"), BODY_METHODS[:3])
def test_bodies_nested_to_the_limit_are_stored_and_read_back(
    api: Api, method: str, path: str
) -> None:
    op = api.create()
    body = deep_body(MAX_JSON_DEPTH)
    reply = api.call(method, path.format(op=op["name"]), raw=body)
    assert reply.status == 200, reply.body[:300]
    stored = api.audited(reply.json["operation"]["name"])
    field = "response" if path.endswith(":finalize") else "metadata"
    assert stored[field] == json.loads(body)[field]


HUGE = "9" * 4301  # one digit more than Python converts to int by default


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v1/{op}:wait", {"timeout": f"{HUGE}s"}),
        ("/v1/{op}:wait", {"timeout": f"-{HUGE}.5s"}),
        ("/v1/{op}:wait", {"timeout": "0" * 5000 + "99999999999999s"}),
        ("/v1/operations/missing:wait", {"timeout": f"{HUGE}s"}),
        ("/admin/v1/faults", {"kind": "retry_info", "retryDelay": f"{HUGE}s"}),
    ],
)
def test_durations_too_long_to_convert_are_invalid_argument(
    api: Api, path: str, body: dict[str, str]
) -> None:
    """Even for a missing operation: the body is read before the name is looked up."""
    op = api.create()
    reply = api.post(path.format(op=op["name"]), body)
    assert (reply.status, reply.code) == (400, 3), reply.body[:300]
    assert "out of the Duration range" in reply.json["message"]


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v1/{op}:wait", b'{"timeout": "1s", "x": ' + HUGE.encode() + b"}"),
        ("/admin/v1/faults", b'{"kind": "unavailable", "count": ' + HUGE.encode() + b"}"),
        ("/admin/v1/simulations", b'{"count": 1, "durationSeconds": 1e400}'),
        ("/audit/v1/operations", b'{"metadata": {"@type": "a/b", "n": -' + HUGE.encode() + b"}}"),
    ],
)
def test_numbers_too_long_to_convert_are_invalid_argument(
    api: Api, path: str, body: bytes
) -> None:
    op = api.create()
    reply = api.post(path.format(op=op["name"]), raw=body)
    assert (reply.status, reply.code) == (400, 3), reply.body[:300]
    assert api.count() == 1 and "done" not in api.audited(op["name"])


def test_a_duration_at_the_edge_of_its_range_is_still_a_duration(api: Api) -> None:
    op = api.create()
    api.finish(op["name"])
    reply = api.ok("POST", f"/v1/{op['name']}:wait", {"timeout": "315576000000.999999999s"})
    assert reply["response"] == RESULT

"""Issue 22, the server's half: names that hide or reorder text, batch replies, held
`:wait`s, nesting and numbers, strict framing. Over real loopback sockets, against the
in-process server (and `python -m lro_server` where start-up is what is tested)."""

from __future__ import annotations

import json
import os
import socket
import struct
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from hostile import PACKAGE_ROOT, Latency, close_all, server_process
from server_http import RESULT, Api, Reply, body_of, status_of

from lro_server import RunningServer, ServerConfig, serve
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
def test_numbers_too_long_to_convert_are_invalid_argument(api: Api, path: str, body: bytes) -> None:
    op = api.create()
    reply = api.post(path.format(op=op["name"]), raw=body)
    assert (reply.status, reply.code) == (400, 3), reply.body[:300]
    assert api.count() == 1 and "done" not in api.audited(op["name"])


def test_a_duration_at_the_edge_of_its_range_is_still_a_duration(api: Api) -> None:
    op = api.create()
    api.finish(op["name"])
    reply = api.ok("POST", f"/v1/{op['name']}:wait", {"timeout": "315576000000.999999999s"})
    assert reply["response"] == RESULT


# --- batch replies are bounded (22.2) -------------------------------------------------------

MiB = 1024 * 1024
BIG = {"@type": "type.googleapis.com/test.Big", "pad": "x" * 1_000_000}  # a 1 MiB operation


def batch_get(api: Api, names: list[str]) -> Reply:
    return api.get("/audit/v1/operations:batchGet?" + "&".join(f"names={n}" for n in names))


def test_1000_copies_of_a_1_mib_operation_are_answered_once_in_bounded_memory(
    srv: RunningServer, api: Api
) -> None:
    """The old server built a 1,000 MiB reply (+1.9 GiB resident) for an 18 KiB request.
    Now each name is answered once: the reply holds the operation once, and the memory
    the server (in this process, traced) allocates stays far below 64 MiB."""
    big = api.create(BIG)
    api.finish(big["name"])
    small = api.create()
    names = [big["name"]] * 999 + [small["name"]]
    tracemalloc.start()
    try:
        baseline = tracemalloc.get_traced_memory()[0]
        got = batch_get(api, names)
        marked = api.post("/audit/v1/operations:batchMarkSeenByCreator", {"names": names[:999]})
        peak = tracemalloc.get_traced_memory()[1] - baseline
    finally:
        tracemalloc.stop()
    assert got.status == 200 and marked.status == 200, (got.body[:200], marked.body[:200])
    assert [op["name"] for op in got.json["operations"]] == [big["name"], small["name"]]
    assert [op["name"] for op in marked.json["operations"]] == [big["name"]]
    assert len(got.body) < 2 * MiB
    print(f"1,000 copies of a 1 MiB operation: peak +{peak / MiB:.1f} MiB traced")
    assert peak < 64 * MiB


def test_a_batch_past_its_byte_budget_is_refused_before_it_is_built() -> None:
    with serve(port=0, max_batch_bytes=3 * MiB) as srv:
        api = Api(srv.url)
        names = [api.create(BIG)["name"] for _ in range(4)]
        for name in names:
            api.finish(name)
        assert [op["name"] for op in batch_get(api, names[:2]).json["operations"]] == names[:2]
        for reply in (
            batch_get(api, names),
            api.post("/audit/v1/operations:batchMarkSeenByCreator", {"names": names}),
        ):
            assert (reply.status, reply.code, reply.reason) == (400, 3, "BATCH_TOO_LARGE")
            assert reply.json["details"][0]["metadata"]["maxBytes"] == str(3 * MiB)
        # Atomic: nothing of the refused mark-seen was applied.
        assert all("seenByCreatorTime" not in api.audited(name) for name in names)


def test_other_requests_are_answered_during_batch_amplification(
    srv: RunningServer, api: Api
) -> None:
    """Four attackers repeat 1,000-copy batches; another client's GETs all get 200 (their
    latency is measured by bench/server_attacks.py and given in docs/reliability.md)."""
    big = api.create(BIG)
    api.finish(big["name"])
    names = [big["name"]] * 1000
    statuses: list[int] = []

    def attack() -> None:
        for _ in range(5):
            statuses.append(batch_get(api, names).status)

    with ThreadPoolExecutor(max_workers=4) as pool:
        attacks = [pool.submit(attack) for _ in range(4)]
        latency = Latency()
        for _ in range(10):
            latency.get(srv.port)
        for job in attacks:
            job.result(timeout=60)
    print(f"batch amplification: {latency.summary()}")
    assert latency.statuses == [200] * 10
    assert statuses == [200] * 20


# --- long-polls cannot starve the server (22.3) ---------------------------------------------

WAITERS = {"t-alice": "alice", "t-bob": "bob", "t-root": "root"}


@pytest.fixture
def capped() -> Iterator[RunningServer]:
    """Held waits capped at 6 in all and 4 per principal (of 40 connections)."""
    with serve(
        port=0,
        tokens=WAITERS,
        admins=("root",),
        max_connections=40,
        max_held_waits=6,
        max_held_waits_per_principal=4,
    ) as running:
        yield running


def hold(port: int, name: str, token: str) -> socket.socket:
    """A `:wait` of 30 s sent on a socket of its own (not read)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    body = b'{"timeout": "30s"}'
    sock.sendall(
        f"POST /v1/{name}:wait HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n"
        f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body
    )
    return sock


def until(predicate: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out waiting for a condition"
        time.sleep(0.01)


def test_one_principal_filling_its_wait_slots_locks_nobody_out(capped: RunningServer) -> None:
    """64 waits held by one principal made everyone else's GET (the admin's too) a 503.
    Now a principal holds at most its share; its next wait answers at once (best effort,
    as operations.proto allows) and everyone else is served."""
    alice, bob, root = (Api(capped.url, token=t) for t in ("t-alice", "t-bob", "t-root"))
    op = alice.create()
    held = [hold(capped.port, op["name"], "t-alice") for _ in range(4)]
    try:
        until(lambda: capped.held_waits == 4)
        extra = alice.ok("POST", f"/v1/{op['name']}:wait", {"timeout": "30s"})
        assert extra["name"] == op["name"] and "done" not in extra  # at once, still running
        assert bob.ok("GET", f"/v1/{op['name']}")["name"] == op["name"]
        assert root.ok("GET", "/admin/v1/stats")["heldWaits"] == 4
        # bob may hold two more, then the overall cap (6) answers his third at once.
        bobs = [hold(capped.port, op["name"], "t-bob") for _ in range(2)]
        until(lambda: capped.held_waits == 6)
        assert "done" not in bob.ok("POST", f"/v1/{op['name']}:wait", {"timeout": "30s"})
        assert root.get("/admin/v1/stats").status == 200
        assert bob.get("/audit/v1/operations").status == 200
        alice.finish(op["name"])
        for sock in held + bobs:  # every held wait answers when the operation finishes
            reply = sock.recv(65536)
            assert status_of(reply) == 200 and body_of(reply)["done"] is True
        assert capped.held_waits == 0
        close_all(bobs)
    finally:
        close_all(held)


@pytest.mark.parametrize("how", ["close", "reset"])
def test_a_client_that_hangs_up_frees_its_wait_slot(capped: RunningServer, how: str) -> None:
    """A client that closed its socket kept its slot for the whole wait window (1,024
    fire-and-forget waits per 30 s locked everyone out). Now the server notices the end
    of the stream while it holds the wait and lets go at once."""
    alice = Api(capped.url, token="t-alice")
    op = alice.create()
    socks = [hold(capped.port, op["name"], "t-alice") for _ in range(4)]
    until(lambda: capped.held_waits == 4)
    for sock in socks[:3]:
        if how == "reset":
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()
    until(lambda: capped.held_waits == 1)  # long before the 30 s window
    replacement = hold(capped.port, op["name"], "t-alice")  # the freed slots are usable
    until(lambda: capped.held_waits == 2)
    alice.finish(op["name"])
    for sock in (socks[3], replacement):
        assert body_of(sock.recv(65536))["done"] is True
        sock.close()
    assert "done" in alice.audited(op["name"])


def test_a_pipelined_request_behind_a_held_wait_is_not_mistaken_for_a_hang_up(
    capped: RunningServer,
) -> None:
    alice = Api(capped.url, token="t-alice")
    op = alice.create()
    sock = hold(capped.port, op["name"], "t-alice")
    sock.sendall(
        f"GET /v1/{op['name']} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t-alice\r\n"
        "Connection: close\r\n\r\n".encode()
    )
    until(lambda: capped.held_waits == 1)
    time.sleep(0.2)
    assert capped.held_waits == 1  # still held
    alice.finish(op["name"])
    reply = b""
    while chunk := sock.recv(65536):
        reply += chunk
    sock.close()
    assert reply.count(b"HTTP/1.1 200 OK\r\n") == 2, reply[:300]


def test_wait_caps_are_configured_below_the_connection_limit() -> None:
    assert ServerConfig(max_connections=1024).wait_slots() == (512, 256)
    assert ServerConfig(max_connections=100, max_held_waits=10).wait_slots() == (10, 10)
    for bad in (
        {"max_connections": 10, "max_held_waits": 10},
        {"max_held_waits": 10, "max_held_waits_per_principal": 11},
        {"max_held_waits_per_principal": -1},
    ):
        with pytest.raises(ValueError, match="max_held_waits"):
            ServerConfig(**bad)  # type: ignore[arg-type]


def test_a_connection_is_served_on_after_its_wait_was_held(capped: RunningServer) -> None:
    """The hang-up watch ends before the connection reads its next request (it once
    unregistered the connection's own read, and the next request was never read)."""
    alice = Api(capped.url, token="t-alice")
    op = alice.create()
    conn = alice.connect(timeout=5)
    headers = {"Authorization": "Bearer t-alice", "Content-Type": "application/json"}
    try:
        for _ in range(3):
            conn.request("POST", f"/v1/{op['name']}:wait", b'{"timeout": "0.1s"}', headers)
            assert json.loads(conn.getresponse().read())["name"] == op["name"]
        conn.request("GET", f"/v1/{op['name']}", headers=headers)
        assert conn.getresponse().status == 200
    finally:
        conn.close()


# --- open mode on a network address (22.7) --------------------------------------------------


def run_server_command(*args: str) -> subprocess.CompletedProcess[str]:
    """`python -m lro_server` on an address of the documentation range (192.0.2.1, never
    assigned to this machine): start-up runs up to binding, which fails; nothing listens."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [PACKAGE_ROOT, env.get("PYTHONPATH")]))
    return subprocess.run(
        [sys.executable, "-m", "lro_server", "--port", "0", "--db", ":memory:", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


@pytest.mark.slow  # the lro-server command line, as a process
def test_open_mode_on_a_non_loopback_host_warns_at_start_up() -> None:
    done = run_server_command("--host", "192.0.2.1")
    assert "WARNING: open mode (no --token) on 192.0.2.1" in done.stderr, done.stderr
    assert "/admin/v1" in done.stderr
    with_tokens = run_server_command("--host", "192.0.2.1", "--token", "s3cret=alice")
    assert "WARNING" not in with_tokens.stderr and "s3cret" not in with_tokens.stderr
    assert with_tokens.returncode == done.returncode == 1  # the address is not ours


@pytest.mark.slow  # the lro-server command line, as a process
def test_open_mode_on_loopback_starts_without_a_warning(tmp_path: Path) -> None:
    with server_process(tmp_path, "--db", ":memory:") as server:
        Latency().get(server.port)
    assert "WARNING" not in server.log()

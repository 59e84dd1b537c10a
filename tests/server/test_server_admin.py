"""The admin API is a role, its patterns cannot backtrack, and its sizes have caps.

With tokens configured only the principals named admins may use /admin/v1/* (403 for
the others, before a body is read); in open mode everyone may. Fault `path` patterns are
a subset of regular expressions matched in linear time; `oversized` replies and
simulation counts have documented caps, and a 10,000-operation simulation does not
stall other requests.
"""

from __future__ import annotations

import random
import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hostile import Latency, server_process
from server_http import Api, status_of

from lro_server import RunningServer, serve
from lro_server.faults import MAX_OVERSIZED_BYTES, MAX_RULES
from lro_server.pattern import MAX_MATCHED_PATH, PathPattern
from lro_server.simulation import MAX_COUNT

TOKENS = {"t-root": "root", "t-alice": "alice"}
ADMIN_CALLS = [
    ("GET", "/admin/v1/stats", None),
    ("GET", "/admin/v1/faults", None),
    ("POST", "/admin/v1/faults", {"kind": "unavailable"}),
    ("DELETE", "/admin/v1/faults", None),
    ("POST", "/admin/v1/simulations", {"count": 1}),
]


@pytest.fixture
def roles() -> Iterator[RunningServer]:
    with serve(port=0, tokens=TOKENS, admins=["root"]) as srv:
        yield srv


@pytest.mark.parametrize(("method", "path", "body"), ADMIN_CALLS)
def test_only_admins_may_use_the_admin_api(
    roles: RunningServer, method: str, path: str, body: object
) -> None:
    alice = Api(roles.url, token="t-alice")
    reply = alice.call(method, path, body)
    assert (reply.status, reply.code, reply.reason) == (403, 7, "ADMIN_ONLY")
    assert alice.ok("GET", "/v1/operations") is not None  # the rest of the API is hers
    assert Api(roles.url).call(method, path, body).status == 401
    assert Api(roles.url, token="t-root").call(method, path, body).status == 200


def test_non_admins_get_403_before_uploading(roles: RunningServer) -> None:
    with socket.create_connection(("127.0.0.1", roles.port), timeout=5) as sock:
        sock.sendall(
            b"POST /admin/v1/simulations HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t-alice\r\n"
            b"Expect: 100-continue\r\nContent-Length: 100000\r\n\r\n"
        )
        assert status_of(sock.recv(65536)) == 403  # no 100 Continue first


def test_with_tokens_and_no_admins_nobody_may_but_python_helpers_work() -> None:
    with serve(port=0, tokens=TOKENS) as srv:
        for token in TOKENS:
            assert Api(srv.url, token=token).get("/admin/v1/stats").status == 403
        srv.faults.add("unavailable", path="^/v1/operations$")  # not over HTTP: always works
        (op,) = srv.simulate(count=1, duration=0.1, steps=1)
        root = Api(srv.url, token="t-root")
        assert root.get("/v1/operations").status == 503
        assert root.ok("POST", f"/v1/{op['name']}:wait", {"timeout": "5s"})["done"]


def test_open_mode_is_fully_open(api: Api) -> None:
    for method, path, body in ADMIN_CALLS:
        assert api.call(method, path, body).status == 200, path


@pytest.mark.slow  # the lro-server command line, as a process
def test_admin_flag_of_the_command_line(tmp_path: Path) -> None:
    args = ["--db", ":memory:", "--token", "t-root=root", "--token", "t-alice=alice"]
    with server_process(tmp_path, *args, "--admin", "root") as server:
        assert Api(server.url, token="t-root").get("/admin/v1/stats").status == 200
        assert Api(server.url, token="t-alice").get("/admin/v1/stats").status == 403


# --- fault path patterns ------------------------------------------------------------------


@pytest.mark.parametrize(
    "pattern", ["(a+)+$", "(x|y)", "a+", "a?", "a{2}", "a|b", r"\1", "x[", "[[a]]", "*", "\\"]
)
def test_patterns_that_could_backtrack_are_refused(api: Api, pattern: str) -> None:
    reply = api.post("/admin/v1/faults", {"kind": "unavailable", "path": pattern})
    assert (reply.status, reply.code) == (400, 3), pattern
    assert api.ok("GET", "/admin/v1/faults") == {}


@pytest.mark.parametrize(
    ("pattern", "path", "matches"),
    [
        ("^/v1/operations$", "/v1/operations", True),
        ("^/v1/operations$", "/v1/operations/x", False),
        (":wait$", "/v1/operations/x:wait", True),
        (":wait$", "/v1/operations/x:waits", False),
        ("operations/x", "/audit/v1/operations/xyz", True),
        (re.escape("operations/a-b.c") + "$", "/v1/operations/a-b.c", True),
        (re.escape("operations/a-b.c") + "$", "/v1/operations/a-bxc", False),
        ("^/v1/.*:cancel$", "/v1/projects/p/operations/x:cancel", True),
        ("^/v1/.*:cancel$", "/audit/v1/x:cancel", False),
        ("^/v1/operations/[^/]$", "/v1/operations/x", True),
        ("^/v1/operations/[^/]$", "/v1/operations/xy", False),
        ("/v1/operations/.$", "/v1/operations/7", True),
        (r"\d\d:wait", "/v1/operations/42:wait", True),
        (r"\$", "/v1/$", True),
        ("^", "/anything", True),
    ],
)
def test_supported_patterns_match_like_re_search(pattern: str, path: str, matches: bool) -> None:
    assert PathPattern(pattern).search(path) is matches
    assert (re.search(pattern, path) is not None) is matches


def test_patterns_agree_with_re_on_random_cases() -> None:
    rng = random.Random(13)  # fixed: the same 3,000 cases every run
    atoms = ["a", "b", "/", ".", ".*", "[ab]", "[^a]", r"\.", r"\d", "1"]
    for _ in range(3000):
        body = "".join(rng.choice(atoms) for _ in range(rng.randint(0, 6)))
        pattern = ("^" if rng.random() < 0.3 else "") + body + ("$" if rng.random() < 0.3 else "")
        path = "".join(rng.choice("ab/.1") for _ in range(rng.randint(0, 10)))
        expected = re.search(pattern, path, re.DOTALL) is not None
        assert PathPattern(pattern).search(path) is expected, (pattern, path)


def test_worst_case_patterns_take_linear_time(srv: RunningServer, api: Api) -> None:
    """The most expensive accepted patterns against the longest matched path: well under a
    millisecond per request and rule (an `(a+)+$` regex would take ages on this path)."""
    worst = ["." * 255 + "b", ".*a" * 84 + "b", "[^b]" * 63 + "b", "a" * 255 + "b"]
    path = "/" + "a" * (MAX_MATCHED_PATH - 1)
    started = time.perf_counter()
    for pattern in worst:
        assert PathPattern(pattern).search(path) is False
    assert time.perf_counter() - started < 0.5  # about 10 ms; loaded machine
    for pattern in worst:
        srv.faults.add("unavailable", count=1000, path=pattern)
    latency = Latency()
    for _ in range(5):
        latency.get(srv.port, "/v1/operations/" + "a" * 1000)  # a 404, after all four rules
    assert latency.statuses == [404] * 5 and latency.median < 0.1, latency.summary()


def test_fault_sizes_and_counts_have_caps(srv: RunningServer, api: Api) -> None:
    for size in (MAX_OVERSIZED_BYTES + 1, 256 * 1024 * 1024):
        reply = api.post("/admin/v1/faults", {"kind": "oversized", "sizeBytes": size})
        assert (reply.status, reply.code) == (400, 3)
    assert api.post("/admin/v1/faults", {"kind": "oversized", "sizeBytes": MAX_OVERSIZED_BYTES})
    for _ in range(MAX_RULES - 1):
        srv.faults.add("unavailable", path="^/nowhere$")
    reply = api.post("/admin/v1/faults", {"kind": "unavailable"})
    assert (reply.status, reply.code, reply.reason) == (429, 8, "TOO_MANY_FAULTS")
    assert len(srv.faults.rules) == MAX_RULES


def test_reset_fault_resets_the_connection(srv: RunningServer, api: Api) -> None:
    srv.faults.add("reset", path="^/v1/operations$")
    with socket.create_connection(("127.0.0.1", srv.port), timeout=5) as sock:
        sock.sendall(b"GET /v1/operations HTTP/1.1\r\nHost: x\r\n\r\n")
        with pytest.raises(ConnectionResetError):
            sock.recv(65536)
    assert [hit["kind"] for hit in srv.faults.hits] == ["reset"]
    assert api.ok("GET", "/v1/operations") == {}


# --- simulations --------------------------------------------------------------------------


def test_simulation_count_is_capped(api: Api) -> None:
    reply = api.post("/admin/v1/simulations", {"count": MAX_COUNT + 1})
    assert (reply.status, reply.code) == (400, 3) and str(MAX_COUNT) in reply.json["message"]
    assert api.count() == 0


def test_the_largest_simulation_does_not_stall_other_requests(srv: RunningServer) -> None:
    """10,000 simulated operations, created in batches (the old server: a 2 s stall for
    everyone), then all finishing at the same instant: other GETs keep being answered."""
    latency = Latency()
    answer: dict[str, object] = {}

    def start() -> None:
        body = {"count": MAX_COUNT, "durationSeconds": 3.0, "steps": 2}
        answer["ops"] = Api(srv.url).ok("POST", "/admin/v1/simulations", body, timeout=60)

    thread = threading.Thread(target=start)
    thread.start()
    deadline = time.monotonic() + 60
    while thread.is_alive() or len(latency.samples) < 40:  # during the creation, and after
        assert time.monotonic() < deadline
        latency.get(srv.port)
        time.sleep(0.05)
    thread.join()
    assert len(answer["ops"]["operations"]) == MAX_COUNT  # type: ignore[index]
    print(f"10,000 simulations: {latency.summary()}")
    latency.check()
    api = Api(srv.url)
    done = 0
    while done < MAX_COUNT and time.monotonic() < deadline:  # they all finish, in batches
        done = api.ok("GET", "/audit/v1/operations?filter=done%20%3D%20true&pageSize=1").get(
            "totalSize", 0
        )
        latency.get(srv.port)
        time.sleep(0.1)
    assert done == MAX_COUNT
    latency.check()

"""Every error path of the sync client against the server's injected faults, and retries."""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

import pytest
from client_support import job, out
from suite_support import FAST_RETRY

import lro
import lro._core.decode
from lro._core.retry import Retry
from lro._sync.transport import Transport
from lro.errors import (
    Cancelled,
    ConnectError,
    ConnectionDropped,
    DataLoss,
    DeadlineExceeded,
    Error,
    Internal,
    InvalidArgument,
    InvalidResponse,
    NotFound,
    PermissionDenied,
    ResourceExhausted,
    TransportTimeout,
    Unavailable,
    Unimplemented,
)


def recording_retry(**changes: Any) -> tuple[Retry, list[float]]:
    """A policy whose sleeps are recorded instead of slept."""
    sleeps: list[float] = []
    policy = Retry(initial=0.001, maximum=10.0, deadline=60.0, sleep=sleeps.append)
    return policy.replace(**changes), sleeps


def path_of(name: str) -> str:
    return re.escape(name) + "$"


@pytest.fixture()
def op(client: lro.Client) -> Any:
    return client.create(job())


# -- error bodies -----------------------------------------------------------------------


@pytest.mark.parametrize("form", [1, 2, 3])
@pytest.mark.parametrize(
    ("code", "status", "cls"),
    [(5, 404, NotFound), (7, 403, PermissionDenied), (13, 500, Internal), (12, 501, Unimplemented)],
)
def test_error_body_forms(
    bare: lro.Client, srv: Any, op: Any, form: int, code: int, status: int, cls: type
) -> None:
    srv.faults.add(kind="error", code=code, error_form=form, path=path_of(op.name))
    with pytest.raises(cls) as info:
        bare.get(op.name)
    error = info.value
    assert error.http_status == status
    assert int(error.code) == code
    assert error.message == f"injected fault: {error.code.name}"
    assert error.reason == "FAULT_INJECTED"
    assert error.operation_name == op.name


def test_error_with_explicit_status(bare: lro.Client, srv: Any, op: Any) -> None:
    srv.faults.add(kind="error", status=418, path=path_of(op.name))
    with pytest.raises(Error) as info:
        bare.get(op.name)
    assert info.value.http_status == 418


def test_html_502_maps_by_status(bare: lro.Client, srv: Any, op: Any) -> None:
    srv.faults.add(kind="html_502", path=path_of(op.name))
    with pytest.raises(Internal) as info:
        bare.get(op.name)
    assert info.value.http_status == 502
    assert "502 Bad Gateway" in info.value.message
    assert "<" not in info.value.message


def test_html_502_is_retried(client: lro.Client, srv: Any, op: Any) -> None:
    srv.faults.add(kind="html_502", count=2, path=path_of(op.name))
    assert client.get(op.name).name == op.name
    assert len(srv.faults.hits) == 2


def test_malformed_2xx_is_invalid_response_not_retried(
    client: lro.Client, srv: Any, op: Any
) -> None:
    srv.faults.add(kind="malformed", count=3, path=path_of(op.name))
    with pytest.raises(InvalidResponse) as info:
        client.get(op.name)
    assert info.value.raw is not None and info.value.raw.startswith('{"name"')
    assert info.value.http_status == 200
    assert len(srv.faults.hits) == 1


def test_wrong_shape_2xx(srv: Any) -> None:
    class Fake:
        def __init__(self, body: bytes) -> None:
            self.body = body
            self.sent = 0

        def send(self, request: Any) -> lro.Response:
            self.sent += 1  # a bound of its own: a client that loops fails here, at once
            assert self.sent <= 5, f"{self.sent} requests: a loop was not noticed"
            return lro.Response(200, {}, self.body)

        def close(self) -> None:
            pass

    for body in [b"[1, 2]", b'"text"', b'{"name": 5}']:
        with lro.Client(srv.url, transport=Fake(body)) as c, pytest.raises(InvalidResponse):
            c.get("operations/x")
    for body in [b'{"operation": []}', b"{}"]:
        with lro.Client(srv.url, transport=Fake(body)) as c, pytest.raises(InvalidResponse):
            c.audit.get("operations/x")
    with (
        lro.Client(srv.url, transport=Fake(b'{"operations": {}}')) as c,
        pytest.raises(InvalidResponse),
    ):
        list(c.list_operations())
    with (
        lro.Client(srv.url, transport=Fake(b'{"nextPageToken": "t"}')) as c,
        pytest.raises(InvalidResponse, match="same nextPageToken"),
    ):
        list(c.list_operations())
    with lro.Client(srv.url, transport=Fake(b"")) as c:
        assert c.cancel("operations/x") is None  # an empty 2xx body is {}


def test_oversized_body(srv: Any, op: Any) -> None:
    srv.faults.add(kind="oversized", size_bytes=200_000, path=path_of(op.name))
    with lro.Client(srv.url, transport=Transport(max_response_bytes=4096)) as c:
        with pytest.raises(InvalidResponse, match="larger than 4096"):
            c.get(op.name)
        assert c.get(op.name).name == op.name  # the connection is not reused half-read


# -- dropped connections -----------------------------------------------------------------


def test_drop_before(bare: lro.Client, client: lro.Client, srv: Any, op: Any) -> None:
    srv.faults.add(kind="drop_before", path=path_of(op.name))
    with pytest.raises(ConnectionDropped):
        bare.get(op.name)
    srv.faults.add(kind="drop_before", count=2, path=path_of(op.name))
    assert client.get(op.name).name == op.name
    assert len(srv.faults.hits) == 3


def test_drop_after_create_is_retried_once_created(client: lro.Client, srv: Any) -> None:
    before = client.audit.list_operations(page_size=1).total_size
    srv.faults.add(kind="drop_after", method="POST", path=r"^/audit/v1/operations$")
    created = client.create(job(kind="dropped"))
    assert len(srv.faults.hits) == 1
    assert client.audit.list_operations(page_size=1).total_size == (before or 0) + 1
    assert created.metadata == job(kind="dropped")


def test_drop_after_finalize_and_abort_are_deduplicated(client: lro.Client, srv: Any) -> None:
    a, b = client.create(job()), client.create(job())
    srv.faults.add(kind="drop_after", path=path_of(a.name + ":finalize"))
    srv.faults.add(kind="drop_after", path=path_of(b.name + ":abort"))
    assert client.finalize(a.name, response=out(ok=True)).response == out(ok=True)
    assert client.abort(b.name).done
    assert len(srv.faults.hits) == 2


def test_drop_after_delete_is_a_success(client: lro.Client, srv: Any) -> None:
    op = client.create(job())
    srv.faults.add(kind="drop_after", method="DELETE", path=path_of(op.name))
    assert client.delete(op.name) is None  # the retry's 404 proves the delete happened
    assert len(srv.faults.hits) == 1
    with pytest.raises(NotFound):
        client.get(op.name)
    with pytest.raises(NotFound):
        client.delete(op.name)  # without a lost answer, a 404 is still an error


def test_drop_after_without_retry(bare: lro.Client, srv: Any) -> None:
    a = bare.create(job())
    srv.faults.add(kind="drop_after", path=path_of(a.name + ":finalize"))
    with pytest.raises(ConnectionDropped):
        bare.finalize(a.name, response=out())
    assert bare.get(a.name).done  # committed before the drop


def test_connect_refused(closed_port: int) -> None:
    policy, sleeps = recording_retry(max_attempts=3)
    with lro.Client(f"http://127.0.0.1:{closed_port}", retry=policy) as c:
        with pytest.raises(ConnectError):
            c.get("operations/x")
        with pytest.raises(ConnectError):
            c.create(job())
    assert len(sleeps) == 4  # two retries per call


def test_dns_failure() -> None:
    with (
        lro.Client("http://nonexistent.invalid", retry=None, timeout=5) as c,
        pytest.raises(ConnectError),
    ):
        c.get("operations/x")


# -- retries ------------------------------------------------------------------------------


def test_503_burst_retried_then_ok(client: lro.Client, srv: Any, op: Any) -> None:
    srv.faults.add(kind="unavailable", count=3, path=path_of(op.name))
    before = srv.requests
    assert client.get(op.name).name == op.name
    assert srv.requests - before == 4
    assert len(srv.faults.hits) == 3


def test_503_past_max_attempts(client: lro.Client, srv: Any, op: Any) -> None:
    srv.faults.add(kind="unavailable", count=10, path=path_of(op.name))
    with pytest.raises(Unavailable):
        client.get(op.name)
    assert len(srv.faults.hits) == FAST_RETRY.max_attempts


def test_503_not_retried_when_disabled(bare: lro.Client, srv: Any, op: Any) -> None:
    srv.faults.add(kind="unavailable", count=2, path=path_of(op.name))
    with pytest.raises(Unavailable):
        bare.get(op.name)
    assert len(srv.faults.hits) == 1


def test_retry_after_honoured_beyond_the_maximum_within_the_deadline(srv: Any, op: Any) -> None:
    policy, sleeps = recording_retry(maximum=10.0)
    with lro.Client(srv.url, retry=policy) as c:
        srv.faults.add(kind="rate_limit", retry_after_seconds=3, path=path_of(op.name))
        assert c.get(op.name).name == op.name
        srv.faults.add(kind="rate_limit", retry_after_seconds=0, path=path_of(op.name))
        assert c.get(op.name).name == op.name
    assert sleeps[0] == 3.0  # Retry-After: 0 is raised to the policy's floor (initial/2+)
    assert len(sleeps) == 2 and 0.0005 <= sleeps[1] <= 0.001
    # The server's word wins over Retry.maximum while it fits the deadline (60 s here).
    short, sleeps2 = recording_retry(maximum=0.5)
    with lro.Client(srv.url, retry=short) as c:
        srv.faults.add(kind="rate_limit", retry_after_seconds=30, path=path_of(op.name))
        assert c.get(op.name).name == op.name
    assert sleeps2 == [30.0]


def test_retry_after_past_deadline_gives_up(srv: Any, op: Any) -> None:
    policy, sleeps = recording_retry(deadline=2.0)
    srv.faults.add(kind="rate_limit", retry_after_seconds=30, path=path_of(op.name))
    with (
        lro.Client(srv.url, retry=policy.replace(maximum=60)) as c,
        pytest.raises(ResourceExhausted) as info,
    ):
        c.get(op.name)
    assert sleeps == []
    assert info.value.retry_delay == 30


def test_retry_info_detail(srv: Any, op: Any) -> None:
    policy, sleeps = recording_retry()
    with lro.Client(srv.url, retry=policy) as c:
        srv.faults.add(kind="retry_info", retry_delay="0.25s", path=path_of(op.name))
        assert c.get(op.name).name == op.name
        srv.faults.add(kind="retry_info", code=8, retry_delay="0s", path=path_of(op.name))
        assert c.get(op.name).name == op.name
    assert sleeps[0] == 0.25  # RetryInfo 0s is raised to the policy's floor (initial/2+)
    assert len(sleeps) == 2 and 0.0005 <= sleeps[1] <= 0.001


def test_resource_exhausted_without_delay_not_retried(
    client: lro.Client, srv: Any, op: Any
) -> None:
    srv.faults.add(kind="error", code=8, count=2, path=path_of(op.name))
    with pytest.raises(ResourceExhausted) as info:
        client.get(op.name)
    assert info.value.retry_delay is None
    assert len(srv.faults.hits) == 1


@pytest.mark.parametrize(
    ("code", "cls"),
    [(1, Cancelled), (3, InvalidArgument), (4, DeadlineExceeded), (15, DataLoss)],
)
def test_never_retried_codes(client: lro.Client, srv: Any, op: Any, code: int, cls: type) -> None:
    srv.faults.add(kind="error", code=code, count=2, path=path_of(op.name))
    with pytest.raises(cls):
        client.get(op.name)
    assert len(srv.faults.hits) == 1


def test_gateway_504_without_status_retried(client: lro.Client, srv: Any) -> None:
    class Gateway:
        def __init__(self) -> None:
            self.calls = 0
            self.inner = Transport()

        def send(self, request: Any) -> lro.Response:
            self.calls += 1
            if self.calls == 1:
                return lro.Response(504, {"Content-Type": "text/html"}, b"<h1>504</h1>")
            return self.inner.send(request)

        def close(self) -> None:
            self.inner.close()

    op = client.create(job())
    gateway = Gateway()
    with lro.Client(srv.url, retry=FAST_RETRY, transport=gateway) as c:
        assert c.get(op.name).name == op.name
    assert gateway.calls == 2


def test_delay_past_timeout(srv: Any, op: Any) -> None:
    srv.faults.add(kind="delay", delay_seconds=1.5, path=path_of(op.name))
    with lro.Client(srv.url, retry=None, timeout=0.3) as c:
        started = time.monotonic()
        with pytest.raises(TransportTimeout):
            c.get(op.name)
        # The read gives up at 0.3 s, well before the server's 1.5 s stall ends; 1.2 s
        # leaves a wide margin for a busy machine and still proves the stall was not waited.
        assert time.monotonic() - started < 1.2
        assert c.get(op.name).name == op.name  # the pool recovers


def test_delay_past_timeout_is_retried(srv: Any, op: Any) -> None:
    srv.faults.add(kind="delay", delay_seconds=1.0, path=path_of(op.name))
    with lro.Client(srv.url, retry=FAST_RETRY, timeout=0.3) as c:
        assert c.get(op.name).name == op.name
    assert len(srv.faults.hits) == 1


def test_wait_once_not_retried_past_its_window(srv: Any, op: Any) -> None:
    srv.faults.add(kind="unavailable", retry_after_seconds=2, path=path_of(op.name + ":wait"))
    policy, sleeps = recording_retry()
    with lro.Client(srv.url, retry=policy) as c, pytest.raises(Unavailable):
        c.wait_once(op.name, timeout=0.5)
    assert sleeps == []


# -- the audited view missing --------------------------------------------------------------


def test_standard_view_only_server(srv: Any) -> None:
    with lro.Client(srv.url, audit_prefix="/nope", retry=FAST_RETRY) as c:
        with pytest.raises(NotFound, match="audit_prefix"):
            c.create(job())
        with pytest.raises(NotFound, match="audit_prefix"):
            list(c.unseen())
        with pytest.raises(NotFound, match="audit_prefix"):
            c.audit.list_operations().total_size  # noqa: B018
        with pytest.raises(NotFound, match="audit_prefix"):
            c.get_many(["operations/x"])
        with pytest.raises(NotFound):
            c.audit.get("operations/x")
        # ... while the standard view keeps working.
        with lro.Client(srv.url) as full:
            made = full.create(job())
        assert c.get(made.name).name == made.name
        c.cancel(made.name)
        assert c.wait_once(made.name, timeout=1).done


def test_audit_prefix_rewrites_only_audited_urls(srv: Any) -> None:
    seen: list[str] = []

    class Recorder:
        def send(self, request: Any) -> lro.Response:
            seen.append(request.url)
            # Good for both views: a bare operation that also wraps one.
            body = b'{"name": "operations/x", "operation": {"name": "operations/x"}}'
            return lro.Response(200, {}, body)

        def close(self) -> None:
            pass

    with lro.Client("http://h:1/base", audit_prefix="/svc/", transport=Recorder()) as c:
        c.get("operations/x")
        c.audit.get("operations/x")
        c.create(job())
    assert seen[0] == "http://h:1/base/v1/operations/x"
    assert seen[1] == "http://h:1/base/svc/v1/operations/x"
    assert seen[2].startswith("http://h:1/base/svc/v1/operations?requestId=")
    with lro.Client("http://h:1", audit_prefix="", transport=Recorder()) as c:
        c.audit.get("operations/x")
    assert seen[3] == "http://h:1/v1/operations/x"


def test_method_not_allowed_is_unimplemented(srv: Any) -> None:
    with lro.Client(srv.url, transport=Transport()) as c:
        response = c._transport.send(lro.Request("PUT", srv.url + "/v1/operations/x"))
    with pytest.raises(Unimplemented):
        lro._core.decode.load(response, None)


def test_every_public_error_is_an_lro_error(srv: Any) -> None:
    with lro.Client(srv.url, retry=None) as c:
        for call in (
            lambda: c.get(""),
            lambda: c.get("operations"),
            lambda: c.get("operations/a/../b"),
            lambda: c.get("operations/\x00"),
            lambda: c.update("operations/x", None),  # type: ignore[arg-type]
            lambda: c.get_many([1]),  # type: ignore[list-item]
            lambda: c.get(str(uuid.uuid4())),
            lambda: c.create({"@type": "x", "when": object()}),
            lambda: c.create(["not", "a", "mapping"]),  # type: ignore[arg-type]
            lambda: c.finalize("operations/x", error="boom"),  # type: ignore[arg-type]
            lambda: c.finalize("operations/x", response=42),  # type: ignore[arg-type]
            lambda: c.update("operations/x", {"@type": "x", "v": float("nan")}),
        ):
            with pytest.raises(Error):
                call()

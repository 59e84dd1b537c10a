"""Secrets: the bearer token never shows in ``repr()``, logs, exceptions, tracebacks, the
server's stderr or the CLI's output; ``Authorization`` never follows a redirect to another
host; TLS is verified by default; the server binds loopback and compares tokens in
constant time.
"""

from __future__ import annotations

import ast
import asyncio
import contextlib
import datetime
import http.server
import importlib.util
import inspect
import ipaddress
import logging
import os
import shutil
import ssl
import subprocess
import sys
import textwrap
import threading
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import urllib3
from reliability_support import FAST_RETRY, META, RESPONSE, Recording, ServerProcess, free_port

from lro import errors
from lro._async.transport import AsyncTransport
from lro._core.http import Request
from lro._sync.client import Client
from lro._sync.transport import Transport
from lro.aio import AsyncClient
from lro_server import RunningServer, serve

SECRET = "s3cr3t-T0KEN-4b8e1d0c9a"
WRONG = "s3cr3t-T0KEN-4b8e1d0c9b"  # same length, last character differs
SECRETS = (SECRET, WRONG)


def assert_no_secret(text: str, where: str) -> None:
    for secret in SECRETS:
        assert secret not in text, f"token leaked in {where}: ...{text[:300]}..."
    # Not even a fragment long enough to be useful.
    assert SECRET[:12] not in text, f"token prefix leaked in {where}"


@pytest.fixture
def authed() -> Iterator[RunningServer]:
    with serve(port=0, db=":memory:", tokens={SECRET: "alice"}) as srv:
        yield srv


# --- repr -----------------------------------------------------------------------------------


def test_repr_of_every_object_hides_the_token(authed: RunningServer) -> None:
    transport = Recording()
    with Client(authed.url, token=SECRET, retry=FAST_RETRY, transport=transport) as client:
        op = client.create(META)
        objects: dict[str, Any] = {
            "Client": client,
            "AuditedView": client.audit,
            "Operation": op,
            "Operation(standard)": client.get(op.name),
            "Pager": client.list_operations(),
            "Pager(audited)": client.audit.list_operations(),
            "Request": transport.sent[-1],
            "Transport": Transport(timeout=1.0),
            "AsyncTransport": AsyncTransport(timeout=1.0),
            "Retry": FAST_RETRY,
        }
        assert transport.sent[-1].headers["Authorization"] == f"Bearer {SECRET}"
        with Client(authed.url, token=WRONG, retry=FAST_RETRY) as bad:
            with pytest.raises(errors.Unauthenticated) as unauth:
                bad.get(op.name)
            objects["Client(wrong token)"] = bad
        objects["Unauthenticated"] = unauth.value
        pager = client.list_operations()
        list(pager)
        objects["Pager(fetched)"] = pager
    async_client = AsyncClient(authed.url, token=SECRET)
    objects["AsyncClient"] = async_client
    objects["AsyncAuditedView"] = async_client.audit
    objects["AsyncPager"] = async_client.list_operations()
    for label, obj in objects.items():
        assert_no_secret(repr(obj), f"repr({label})")
        assert_no_secret(str(obj), f"str({label})")
    asyncio.run(async_client.close())


# --- logs -----------------------------------------------------------------------------------


def test_logs_at_debug_never_show_the_token(
    authed: RunningServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # root: lro, lro_server, urllib3, asyncio
    for name in ("lro", "lro_server", "urllib3"):
        caplog.set_level(logging.DEBUG, logger=name)
    with Client(authed.url, token=SECRET, retry=FAST_RETRY, timeout=2.0) as client:
        op = client.create(META)
        authed.faults.add(kind="unavailable")
        authed.faults.add(kind="drop_before")
        authed.faults.add(kind="rate_limit", retry_after_seconds=0)
        client.update(op.name, META)
        client.get(op.name)
        list(client.list_operations())
        authed.faults.add(kind="unavailable", count=10)
        with pytest.raises(errors.Unavailable):
            client.get(op.name)
        authed.faults.clear()
        authed.faults.add(kind="malformed")
        with pytest.raises(errors.InvalidResponse):
            client.get(op.name)
        client.finalize(op.name, response=RESPONSE)
        client.wait(op.name, timeout=5)
    with (
        Client(authed.url, token=WRONG, retry=FAST_RETRY) as bad,
        pytest.raises(errors.Unauthenticated),
    ):
        bad.get(op.name)

    async def run_async() -> None:
        async with AsyncClient(authed.url, token=SECRET, retry=FAST_RETRY) as aclient:
            authed.faults.add(kind="unavailable")
            await aclient.get(op.name)
        async with AsyncClient(authed.url, token=WRONG, retry=FAST_RETRY) as abad:
            with pytest.raises(errors.Unauthenticated):
                await abad.get(op.name)

    asyncio.run(run_async())
    lro_records = [r for r in caplog.records if r.name.startswith("lro")]
    assert any(r.levelno == logging.DEBUG for r in lro_records), "nothing logged at DEBUG?"
    assert any(r.name.startswith("lro_server") for r in lro_records)
    assert_no_secret(caplog.text, "log output")
    for record in caplog.records:
        assert_no_secret(record.getMessage(), f"log record {record.name}")
        assert_no_secret(repr(record.args), f"log args {record.name}")


@pytest.mark.slow  # the lro-server process, or a --token-command process
def test_server_stderr_never_shows_the_token(tmp_path: Path) -> None:
    server = ServerProcess(
        "--port",
        "0",
        "--db",
        str(tmp_path / "ops.sqlite3"),
        "--token",
        f"{SECRET}=alice",
        "--log-level",
        "DEBUG",
        stderr_path=tmp_path / "stderr.txt",
    )
    url = server.start()
    try:
        with Client(url, token=SECRET, retry=FAST_RETRY) as client:
            op = client.create(META)
            client.get(op.name)
            client.finalize(op.name, response=RESPONSE)
        pool = urllib3.PoolManager(retries=False)
        for header in (f"Bearer {WRONG}", f"Basic {SECRET}", SECRET, f"Bearer  {WRONG} x"):
            response = pool.request(
                "GET", url + "/v1/operations", headers={"Authorization": header}
            )
            assert response.status == 401
            assert_no_secret(response.data.decode(), "a 401 body")
        pool.clear()
    finally:
        server.terminate()
    stderr = server.stderr()
    assert "principal=alice" in stderr, stderr[-2000:]
    assert_no_secret(stderr, "the server's stderr")


@pytest.mark.slow  # the lro-server process, or a --token-command process
def test_server_cli_hides_a_malformed_token_argument(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "lro_server", "--port", "0", "--token", SECRET],  # no =PRINCIPAL
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode != 0
    assert_no_secret(result.stdout + result.stderr, "lro-server's usage error")


# --- exceptions -----------------------------------------------------------------------------


def exception_text(exc: BaseException) -> str:
    return "".join(traceback.format_exception(exc)) + repr(exc) + str(exc)


def chained(exc: BaseException) -> list[BaseException]:
    """``exc`` and every exception reachable through ``__cause__`` / ``__context__``."""
    found: list[BaseException] = []
    pending: list[BaseException | None] = [exc]
    while pending:
        current = pending.pop()
        if current is not None and all(current is not seen for seen in found):
            found.append(current)
            pending += [current.__cause__, current.__context__]
    return found


def assert_chain_has_no_secret(exc: BaseException) -> None:
    """Not the error, nor any cause it chains (shown or suppressed) shows the token."""
    for link in chained(exc):
        where = f"{type(link).__name__} chained to {type(exc).__name__}"
        assert_no_secret(str(link), f"str() of {where}")
        assert_no_secret(repr(link), f"repr() of {where}")


def test_exceptions_and_tracebacks_never_show_the_token(authed: RunningServer) -> None:
    raised: list[BaseException] = []
    with Client(authed.url, token=WRONG, retry=FAST_RETRY) as bad:
        for call in (lambda: bad.get("operations/x"), lambda: bad.create(META)):
            with pytest.raises(errors.Unauthenticated) as info:
                call()
            raised.append(info.value)
    with Client(f"http://127.0.0.1:{free_port()}", token=SECRET, retry=None) as nowhere:
        with pytest.raises(errors.ConnectError) as info:
            nowhere.get("operations/x")
        raised.append(info.value)
    with Client(authed.url, token=SECRET, retry=None, timeout=0.2) as slow:
        authed.faults.add(kind="delay", delay_seconds=0.6)
        with pytest.raises(errors.TransportTimeout) as info:
            slow.get("operations/x")
        raised.append(info.value)
        authed.faults.add(kind="drop_before")
        with pytest.raises(errors.ConnectionDropped) as info:
            slow.get("operations/x")
        raised.append(info.value)
        with pytest.raises(errors.InvalidName) as info:
            slow.get("operations/../x")
        raised.append(info.value)
    for bad_token in (SECRET + "\r\nX-Evil: 1", SECRET + "\x00"):
        with pytest.raises(errors.InvalidArgument) as info:
            Client(authed.url, token=bad_token)
        raised.append(info.value)

    async def run_async() -> None:
        async with AsyncClient(authed.url, token=WRONG, retry=FAST_RETRY) as abad:
            with pytest.raises(errors.Unauthenticated) as ainfo:
                await abad.get("operations/x")
            raised.append(ainfo.value)
        async with AsyncClient(f"http://127.0.0.1:{free_port()}", token=SECRET, retry=None) as an:
            with pytest.raises(errors.ConnectError) as ainfo:
                await an.get("operations/x")
            raised.append(ainfo.value)

    asyncio.run(run_async())
    assert len(raised) == 10
    for exc in raised:
        assert isinstance(exc, errors.Error)
        assert_no_secret(exception_text(exc), f"{type(exc).__name__}")
        assert_chain_has_no_secret(exc)
    # Mapped transport errors keep their cause (chained, never with the token).
    assert any(isinstance(exc, errors.TransportError) and exc.__cause__ for exc in raised)


def test_a_transport_error_quoting_the_header_never_chains_it(authed: RunningServer) -> None:
    # http.client quotes a header value it refuses ("Invalid header value b'Bearer ...'");
    # the clients refuse such tokens up front, so send the request through a bare transport.
    transport = Transport(timeout=2.0)
    headers = {"Authorization": f"Bearer {SECRET}\r\nX-Evil: 1"}
    with pytest.raises(errors.TransportError) as info:
        transport.send(Request("GET", f"{authed.url}/v1/operations/x", headers))
    transport.close()
    assert "<redacted>" in info.value.message
    assert info.value.__cause__ is None and info.value.__context__ is None
    assert_no_secret(exception_text(info.value), "a transport error quoting the header")
    assert_chain_has_no_secret(info.value)


# --- the CLI --------------------------------------------------------------------------------


class StubHandler(http.server.BaseHTTPRequestHandler):
    """Answers every request with a fixed status and a google.rpc.Status body."""

    status = 403
    seen: list[dict[str, str]]

    def _answer(self) -> None:
        self.seen.append(dict(self.headers))
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        code = {401: 16, 403: 7}.get(self.status, 2)
        body = f'{{"code": {code}, "message": "denied"}}'.encode()
        if self.status == 200:
            body = b'{"name": "operations/x"}'
        self.send_response(self.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PATCH = do_DELETE = _answer

    def log_message(self, format: str, *args: Any) -> None:
        pass


class Loopback:
    """A ThreadingHTTPServer on 127.0.0.1 in a daemon thread."""

    def __init__(self, handler: type[http.server.BaseHTTPRequestHandler]) -> None:
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join()


def stub(status: int) -> tuple[Loopback, list[dict[str, str]]]:
    seen: list[dict[str, str]] = []
    handler = type("Stub", (StubHandler,), {"status": status, "seen": seen})
    return Loopback(handler), seen


@pytest.mark.skipif(importlib.util.find_spec("lro.cli") is None, reason="no lro.cli")
@pytest.mark.parametrize("status", [401, 403])
@pytest.mark.parametrize("via", ["option", "env"])
@pytest.mark.parametrize("output", ["text", "json"])
def test_cli_never_prints_the_token(
    authed: RunningServer, status: int, via: str, output: str
) -> None:
    server, seen = stub(status)
    try:
        url = authed.url if status == 401 else server.url  # a real 401, a stub's 403
        args = ["get", "operations/x", "--base-url", url]
        env = {**os.environ}
        if via == "option":
            args += ["--token", SECRET if status == 403 else WRONG]
        else:
            env["LRO_TOKEN"] = SECRET if status == 403 else WRONG
        if output == "json":
            args.append("--json")
        result = run_lro(args, env)
    finally:
        server.close()
    assert result.returncode != 0
    assert result.stdout or result.stderr
    assert_no_secret(result.stdout + result.stderr, f"lro get ({status}, {via}, {output})")
    if status == 403:
        assert seen and seen[0].get("Authorization") == f"Bearer {SECRET}"


# --- every other credential input: callables, API keys, headers, proxy credentials ---------

KEY = "AIzaSy-s3cr3t-KEY-7f2a9c"
HEADER_SECRET = "hdr-s3cr3t-VALUE-1c9e"
PROXY_PASSWORD = "pr0xy-s3cr3t-PW-77b1"
INPUTS = (*SECRETS, KEY, HEADER_SECRET, PROXY_PASSWORD)
# Headers named like credentials: their values are never shown either.
SECRET_HEADERS = {"x-api-key": HEADER_SECRET, "Cookie": f"session={HEADER_SECRET}"}


def assert_no_input(text: str, where: str) -> None:
    for secret in INPUTS:
        assert secret not in text, f"a credential leaked in {where}: ...{text[:300]}..."
    assert_no_secret(text, where)


def run_lro(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """``lro ARGS`` with exactly ``env``, in-process (the CLI tests' runner: click's runner
    gives it pipes; lro.cli.run, the console script's entry point, gives the exit code)."""
    sys.path.append(str(Path(__file__).resolve().parents[1] / "cli"))
    try:
        from lro_cli_helpers import run_lro as run
    finally:
        sys.path.pop()
    result: subprocess.CompletedProcess[str] = run(args, env)
    return result


def forward_proxy(credentials: str | None = None) -> Any:
    """The loopback forward proxy of tests/realservices (absolute-form and CONNECT)."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "realservices"))
    try:
        from loopback import ForwardProxy
    finally:
        sys.path.pop(0)
    return ForwardProxy(credentials=credentials)


def every_input(url: str, proxy_url: str, *, asynchronous: bool = False, **extra: Any) -> Any:
    cls = AsyncClient if asynchronous else Client
    options: dict[str, Any] = {
        "token": lambda: SECRET,
        "api_key": KEY,
        "headers": {**SECRET_HEADERS, "x-goog-user-project": "p1"},
        "proxy": proxy_url,
        "retry": FAST_RETRY,
    }
    return cls(url, **{**options, **extra})


def test_callable_tokens_keys_headers_and_proxy_credentials_never_show(
    authed: RunningServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    for name in ("lro", "urllib3", "httpx", "httpcore"):
        caplog.set_level(logging.DEBUG, logger=name)
    proxy = forward_proxy(credentials=f"corp:{PROXY_PASSWORD}")
    good_proxy = f"http://corp:{PROXY_PASSWORD}@127.0.0.1:{proxy.port}"
    wrong_proxy = f"http://corp:{PROXY_PASSWORD}x@127.0.0.1:{proxy.port}"
    dead_proxy = f"http://corp:{PROXY_PASSWORD}@127.0.0.1:{free_port()}"
    texts: dict[str, str] = {}
    raised: list[BaseException] = []
    try:
        transport = Recording()
        with every_input(authed.url, good_proxy) as client:
            op = client.create(META)
            assert client.get(op.name).name == op.name
            authed.faults.add(kind="unavailable")
            list(client.list_operations())
            texts |= {"Client": repr(client), "AuditedView": repr(client.audit)}
            texts["Transport"] = repr(client._transport)
            signed = client._auth.sign(client._calls.get(op.name).build(), client._auth.token())
            texts["Request"] = repr(signed)
        assert proxy.seen[0].header("Authorization") == f"Bearer {SECRET}"  # plain http
        with every_input(authed.url, good_proxy, transport=transport) as recorded:
            recorded.get(op.name)
            texts["Request(sent)"] = repr(transport.sent[-1])
        with every_input(authed.url, wrong_proxy, retry=None) as refused:
            with pytest.raises(errors.FailedPrecondition) as info:
                refused.get(op.name)
            raised.append(info.value)
        with every_input(authed.url, dead_proxy, retry=None) as nowhere:
            with pytest.raises(errors.ConnectError) as info:
                nowhere.get(op.name)
            raised.append(info.value)
        with every_input(authed.url, good_proxy, token=lambda: WRONG) as bad:
            with pytest.raises(errors.Unauthenticated) as info:
                bad.get(op.name)
            raised.append(info.value)

        def leaky() -> str:
            raise RuntimeError("token endpoint said no")

        with every_input(authed.url, good_proxy, token=leaky) as failing:
            with pytest.raises(errors.Unauthenticated) as info:
                failing.get(op.name)
            raised.append(info.value)
        for options in (
            {"headers": {"x-api-key": HEADER_SECRET + "\r\nX-Evil: 1"}},
            {"api_key": KEY + "\n"},
            {"proxy": f"socks5://corp:{PROXY_PASSWORD}@127.0.0.1:1080"},
        ):
            with pytest.raises(errors.InvalidArgument) as info:
                Client(authed.url, **options)
            raised.append(info.value)

        async def run_async() -> None:
            async with every_input(authed.url, good_proxy, asynchronous=True) as aclient:
                await aclient.get(op.name)
                texts["AsyncClient"] = repr(aclient)
                texts["AsyncTransport"] = repr(aclient._transport)
            async with every_input(
                authed.url, wrong_proxy, asynchronous=True, retry=None
            ) as arefused:
                with pytest.raises(errors.FailedPrecondition) as ainfo:
                    await arefused.get(op.name)
                raised.append(ainfo.value)
            async with every_input(authed.url, dead_proxy, asynchronous=True) as anowhere:
                with pytest.raises(errors.ConnectError) as ainfo:
                    await anowhere.get(op.name)
                raised.append(ainfo.value)

        asyncio.run(run_async())
    finally:
        proxy.close()
    assert len(raised) == 9
    for label, text in texts.items():
        assert_no_input(text, f"repr({label})")
    for exc in raised:
        assert_no_input(exception_text(exc), type(exc).__name__)
        for link in chained(exc):
            assert_no_input(f"{link} {link!r}", f"{type(link).__name__} chained")
    assert_no_input(caplog.text, "log output")
    for record in caplog.records:
        assert_no_input(record.getMessage(), f"log record {record.name}")


@pytest.mark.slow  # the lro-server process, or a --token-command process
@pytest.mark.skipif(importlib.util.find_spec("lro.cli") is None, reason="no lro.cli")
@pytest.mark.parametrize("output", ["text", "json"])
def test_cli_never_prints_keys_headers_token_commands_or_proxy_credentials(
    tmp_path: Path, output: str
) -> None:
    server, seen = stub(403)
    script = tmp_path / "token.py"
    script.write_text(f"print({SECRET!r})\n", encoding="utf-8")
    try:
        env = {k: v for k, v in os.environ.items() if not k.startswith("LRO_")}
        env["LRO_HEADERS"] = f"x-api-key:{HEADER_SECRET}\nx-goog-user-project:p1"
        args = ["--base-url", server.url, "--api-key", KEY]
        args += ["--token-command", f"{sys.executable} {script}", "get", "operations/x"]
        if output == "json":
            args.append("--json")
        denied = run_lro(args, env)
        env["HTTP_PROXY"] = f"http://corp:{PROXY_PASSWORD}@127.0.0.1:{free_port()}"
        unreachable = run_lro(args, env)
    finally:
        server.close()
    assert seen and seen[0].get("x-goog-api-key") == KEY  # sent, only never shown
    assert seen[0].get("Authorization") == f"Bearer {SECRET}"
    for result, code in ((denied, 5), (unreachable, 7)):
        assert result.returncode == code, result.stderr
        assert_no_input(result.stdout + result.stderr, f"lro get ({output}, exit {code})")


# --- redirects ------------------------------------------------------------------------------


def redirector(status: int, target: str) -> Loopback:
    class Redirect(http.server.BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            self.send_response(status)
            self.send_header("Location", target + self.path)
            self.send_header("Content-Length", "0")
            self.end_headers()

        do_GET = do_POST = do_PATCH = do_DELETE = _answer

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Loopback(Redirect)


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_authorization_never_follows_a_redirect(status: int) -> None:
    other, seen = stub(200)
    first = redirector(status, other.url)
    try:
        calls = {
            "get": lambda c: c.get("operations/x"),
            "create": lambda c: c.create(META),
            "finalize": lambda c: c.finalize("operations/x", response=RESPONSE),
        }
        for label, call in calls.items():
            with Client(first.url, token=SECRET, retry=FAST_RETRY) as client:
                try:
                    call(client)
                except errors.Error:
                    pass  # not following is the expected outcome; a typed error is fine
                except Exception as exc:  # pragma: no cover - would be a bug
                    pytest.fail(f"{label}: untyped {type(exc).__name__} on a redirect")

        async def run_async() -> None:
            async with AsyncClient(first.url, token=SECRET, retry=FAST_RETRY) as aclient:
                with contextlib.suppress(errors.Error):
                    await aclient.get("operations/x")

        asyncio.run(run_async())
    finally:
        first.close()
        other.close()
    leaked = [h for h in seen if any(k.lower() == "authorization" for k in h)]
    assert not leaked, f"Authorization sent to the redirect target after {status}"


# --- TLS ------------------------------------------------------------------------------------


def self_signed(tmp: Path) -> tuple[Path, Path] | None:
    """A certificate for 127.0.0.1/localhost and its key, or None without a tool."""
    cert, key = tmp / "cert.pem", tmp / "key.pem"
    try:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID
    except ImportError:
        if shutil.which("openssl") is None:
            return None
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
             "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
             "-keyout", str(key), "-out", str(cert)],
            check=True, capture_output=True, timeout=60,
        )  # fmt: skip
        return cert, key
    private = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(private.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(private, hashes.SHA256())
    )
    cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key.write_bytes(
        private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert, key


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[tuple[str, Path, list[dict[str, str]]]]:
    pair = self_signed(tmp_path)
    if pair is None:
        pytest.skip("neither the cryptography package nor the openssl CLI is available")
    cert, key = pair
    seen: list[dict[str, str]] = []
    handler = type("TLSStub", (StubHandler,), {"status": 200, "seen": seen})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    server.handle_error = lambda request, address: None  # type: ignore[method-assign]
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}", cert, seen
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_tls_is_verified_by_default(tls_server: tuple[str, Path, list[dict[str, str]]]) -> None:
    url, cert, seen = tls_server
    with Client(url, token=SECRET, retry=FAST_RETRY) as client, pytest.raises(errors.TLSError):
        client.get("operations/x")

    async def run_async() -> None:
        async with AsyncClient(url, token=SECRET, retry=FAST_RETRY) as aclient:
            with pytest.raises(errors.TLSError):
                await aclient.get("operations/x")

    asyncio.run(run_async())
    assert seen == [], "a request (and the token) went to an unverified server"
    # The same server is fine once its certificate is trusted: verification, not breakage.
    with Client(url, token=SECRET, retry=None, ca_certs=str(cert)) as trusting:
        assert trusting.get("operations/x").name == "operations/x"
    assert seen and seen[0].get("Authorization") == f"Bearer {SECRET}"


# --- the server: loopback and constant-time tokens ------------------------------------------


def listening_addresses(port: int) -> set[str]:
    """Local addresses with a LISTEN socket on ``port`` (from /proc/net/tcp{,6})."""
    found = set()
    for table, width in (("/proc/net/tcp", 8), ("/proc/net/tcp6", 32)):
        if not os.path.exists(table):
            continue
        with open(table, encoding="ascii") as lines:
            next(lines)
            for line in lines:
                fields = line.split()
                address, _, hex_port = fields[1].partition(":")
                if fields[3] == "0A" and int(hex_port, 16) == port:
                    raw = bytes.fromhex(address)
                    if width == 8:
                        found.add(str(ipaddress.IPv4Address(raw[::-1])))
                    else:
                        words = b"".join(raw[i : i + 4][::-1] for i in range(0, 16, 4))
                        found.add(str(ipaddress.IPv6Address(words)))
    return found


@pytest.mark.slow  # the lro-server process, or a --token-command process
@pytest.mark.skipif(not os.path.exists("/proc/net/tcp"), reason="needs Linux /proc")
def test_server_binds_loopback_by_default(tmp_path: Path) -> None:
    from lro_server.__main__ import _parser

    assert inspect.signature(serve).parameters["host"].default == "127.0.0.1"
    with serve(port=0) as srv:
        assert srv.url.startswith("http://127.0.0.1:")
        assert listening_addresses(srv.port) == {"127.0.0.1"}
    assert _parser().get_default("host") == "127.0.0.1"
    process = ServerProcess("--port", "0", "--db", ":memory:", stderr_path=tmp_path / "err")
    url = process.start()
    try:
        port = int(url.rsplit(":", 1)[1])
        assert url.startswith("http://127.0.0.1:")
        assert listening_addresses(port) == {"127.0.0.1"}
    finally:
        process.terminate()


def test_tokens_are_compared_in_constant_time(authed: RunningServer) -> None:
    """Source: identity.py compares digests with hmac.compare_digest and never with ==.
    Behaviour: near-miss tokens (same length, one character off, prefixes, case) fail."""
    from lro_server import identity

    source = textwrap.dedent(inspect.getsource(identity.Identity.principal))
    assert "hmac.compare_digest(" in source
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Compare):
            names = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
            assert not names & {"token", "candidate", "digest"}, ast.unparse(node)
        if isinstance(node, ast.Subscript | ast.Break):
            pytest.fail(f"lookup or early exit in principal(): {ast.unparse(node)}")

    pool = urllib3.PoolManager(retries=False)
    near_misses = [
        WRONG,
        SECRET[:-1] + chr(ord(SECRET[-1]) ^ 1),
        chr(ord(SECRET[0]) ^ 1) + SECRET[1:],
        SECRET.upper(),
        SECRET[:-1],
        SECRET + "0",
        SECRET[::-1],
        "x" * len(SECRET),
        SECRET + "\u00e9",
    ]
    for token in near_misses:
        assert len(token) >= len(SECRET) - 1
        response = pool.request(
            "GET", authed.url + "/v1/operations", headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status == 401, token
        assert b'"code":16' in response.data
    ok = pool.request(
        "GET", authed.url + "/v1/operations", headers={"Authorization": f"Bearer {SECRET}"}
    )
    assert ok.status == 200
    pool.clear()

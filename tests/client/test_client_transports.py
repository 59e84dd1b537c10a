"""Both transports against a raw socket server with canned HTTP/1.1 responses (framing,
keep-alive, compression, redirects, malformed answers) and against TLS."""

from __future__ import annotations

import asyncio
import gzip
import shutil
import socket
import ssl
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import lro
from lro._async.transport import AsyncTransport
from lro._core.http import Request, Response
from lro._sync.transport import Transport
from lro.aio import AsyncClient
from lro.errors import ConnectionDropped, Error, InvalidResponse, TLSError, TransportTimeout

OK_JSON = b'{"name":"operations/x"}'


def reply(body: bytes = OK_JSON, status: str = "200 OK", headers: tuple[str, ...] = ()) -> bytes:
    head = [f"HTTP/1.1 {status}", *headers]
    if not any(h.lower().startswith(("content-length", "transfer-encoding")) for h in headers):
        head.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


class CannedServer:
    """Answers each request with the next canned bytes; ``None`` closes the connection."""

    def __init__(
        self, answers: list[bytes | None], tls: ssl.SSLContext | None = None, close: bool = False
    ) -> None:
        self.answers = list(answers)
        self._close_after_answer = close
        self.requests: list[bytes] = []
        self.connections = 0
        self._tls = tls
        self._sock = socket.create_server(("127.0.0.1", 0))
        self.port = self._sock.getsockname()[1]
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        try:
            if self._tls is not None:
                conn = self._tls.wrap_socket(conn, server_side=True)
            stream = conn.makefile("rb")
            while True:
                head = b""
                while not head.endswith(b"\r\n\r\n"):
                    line = stream.readline()
                    if not line:
                        return
                    head += line
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                self.requests.append(head + stream.read(length))
                answer = self.answers.pop(0) if self.answers else None
                if answer is None:
                    return
                conn.sendall(answer)
                if self._close_after_answer or b"connection: close" in answer.lower():
                    return
        except (OSError, ssl.SSLError):
            return
        finally:
            conn.close()

    def close(self) -> None:
        self._sock.close()


@pytest.fixture()
def canned() -> Iterator[Any]:
    servers: list[CannedServer] = []

    def make(
        *answers: bytes | None, tls: ssl.SSLContext | None = None, close: bool = False
    ) -> CannedServer:
        server = CannedServer(list(answers), tls, close)
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.close()


def send(mode: str, requests: list[Request], **options: Any) -> list[Any]:
    """Send the requests in turn through one transport: a Response or an Error each."""
    if mode == "sync":
        sync = Transport(**options)
        out: list[Any] = []
        for request in requests:
            try:
                out.append(sync.send(request))
            except Error as error:
                out.append(error)
        sync.close()
        return out

    async def run_async() -> list[Any]:
        transport = AsyncTransport(**options)
        out: list[Any] = []
        for request in requests:
            try:
                out.append(await transport.send(request))
            except Error as error:
                out.append(error)
        await transport.close()
        return out

    return asyncio.run(run_async())


def send_both(url: str, requests: list[Request], **options: Any) -> list[list[Any]]:
    """The outcomes of both transports (sync first)."""
    return [send(mode, requests, **options) for mode in ("sync", "async")]


def get(url: str, path: str = "/v1/operations/x", **kw: Any) -> Request:
    headers = {"Accept": "application/json", **kw.pop("headers", {})}
    return Request("GET", url + path, headers, **kw)


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_framings_and_keep_alive(canned: Any, mode: str) -> None:
    chunked = (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        b'5;ext=1\r\n{"nam\r\n12\r\ne":"operations/x"}\r\n0\r\nX-Trailer: 1\r\n\r\n'
    )
    zipped = gzip.compress(OK_JSON)
    answers = [
        b"HTTP/1.1 100 Continue\r\n\r\n" + reply(),
        chunked,
        reply(zipped, headers=("Content-Encoding: gzip",)),
        reply(b"", status="204 No Content"),
        b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" + OK_JSON,
    ]
    server = canned(*answers)
    outcome = send(mode, [get(server.url) for _ in range(5)])
    assert [type(r) for r in outcome] == [Response] * 5
    assert [r.body for r in outcome] == [OK_JSON, OK_JSON, OK_JSON, b"", OK_JSON]
    assert outcome[1].headers["transfer-encoding"] == "chunked"
    assert server.connections == 1  # kept alive until the server closed it


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        (None, ConnectionDropped),
        (b'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{"na', ConnectionDropped),
        (b"garbage\r\n\r\n", InvalidResponse),
        (  # urllib3 reports a bad chunk size as an incomplete read
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
            (InvalidResponse, ConnectionDropped),
        ),
        (reply(b"x" * 10_000), InvalidResponse),
        (
            reply(gzip.compress(b"x" * 10_000, mtime=0), headers=("Content-Encoding: gzip",)),
            InvalidResponse,
        ),
    ],
)
def test_broken_responses(canned: Any, answer: bytes | None, error: Any) -> None:
    server = canned(answer, answer, close=True)
    for outcome in send_both(server.url, [get(server.url, timeout=5)], max_response_bytes=4096):
        assert isinstance(outcome[0], error), outcome


def test_redirect_not_followed(canned: Any) -> None:
    target = canned(reply())
    location = f"Location: {target.url}/v1/operations/x"
    server = canned(*[reply(b"", status="302 Found", headers=(location,))] * 2)
    for [outcome] in send_both(server.url, [get(server.url, headers={"Authorization": "B x"})]):
        assert outcome.status == 302
    assert target.requests == []  # the token never went to the other host
    with lro.Client(server.url.replace("127.0.0.1", "localhost"), retry=None) as c:
        server.answers = [reply(b"", status="302 Found", headers=(location,))]
        with pytest.raises(Error) as info:
            c.get("operations/x")
    assert info.value.http_status == 302


def test_read_timeout_both() -> None:
    silent = socket.create_server(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{silent.getsockname()[1]}"
    try:
        for [outcome] in send_both(url, [get(url, timeout=0.2)]):
            assert isinstance(outcome, TransportTimeout)
    finally:
        silent.close()


def test_request_wire_format(canned: Any) -> None:
    server = canned(reply(), reply())
    body = b'{"a":1}'
    request = Request("POST", server.url + "/v1/x:cancel?q=%20", {"X-Test": "1"}, body)
    for [outcome] in send_both(server.url, [request]):
        assert outcome.status == 200
    for raw in server.requests:
        head, _, sent = raw.partition(b"\r\n\r\n")
        assert head.startswith(b"POST /v1/x:cancel?q=%20 HTTP/1.1\r\n")
        assert f"Host: 127.0.0.1:{server.port}".encode() in head
        assert b"X-Test: 1" in head and b"Content-Length: 7" in head
        assert sent == body


# -- TLS ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
            "-keyout", str(key), "-out", str(cert),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


@pytest.mark.filterwarnings("ignore:Unverified HTTPS request")
def test_tls(canned: Any, certificate: tuple[Path, Path]) -> None:
    cert, key = certificate
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server = canned(*[reply()] * 8, tls=context)
    request = [get(server.url)]
    for [outcome] in send_both(server.url, request):
        assert isinstance(outcome, TLSError)  # self-signed: not trusted by default
    for [outcome] in send_both(server.url, request, ca_certs=str(cert)):
        assert outcome.status == 200
    for [outcome] in send_both(server.url, request, verify=False):
        assert outcome.status == 200
    with lro.Client(server.url, ca_certs=str(cert), retry=None) as c:
        assert c.get("operations/x").name == "operations/x"

    async def main() -> str:
        async with AsyncClient(server.url, ca_certs=str(cert), retry=None) as c:
            return (await c.get("operations/x")).name

    assert asyncio.run(main()) == "operations/x"

"""``lro.AsyncClient`` over httpx (extra ``[async]``), over real loopback sockets: the
promises of the async transport (no redirects, TLS, timeouts and a wall-clock deadline,
body limits, error mapping, secrets), and the clear error when httpx is missing."""

from __future__ import annotations

import asyncio
import gzip
import shutil
import socket
import ssl
import subprocess
import sys
import textwrap
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from client_support import TOKEN

from lro._async.transport import AsyncTransport
from lro._core.http import Request, Response
from lro.aio import AsyncClient
from lro.errors import (
    ConnectError,
    ConnectionDropped,
    Error,
    FailedPrecondition,
    InvalidArgument,
    InvalidResponse,
    TLSError,
    TransportTimeout,
)

OP = b'{"name":"operations/x"}'
Handler = Callable[[socket.socket, "Loopback"], None]


def reply(body: bytes = OP, status: str = "200 OK", headers: tuple[str, ...] = ()) -> bytes:
    head = [f"HTTP/1.1 {status}", *headers, f"Content-Length: {len(body)}"]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


def read_request(conn: socket.socket) -> bytes | None:
    """One request (head and Content-Length body) from ``conn``; None at end of stream."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    while len(body) < length:
        body += conn.recv(65536)
    return head + b"\r\n\r\n" + body


class Loopback:
    """A TCP server on 127.0.0.1 running ``handler(conn, server)`` for each connection on
    its own thread; counts connections, keeps the requests the handlers record."""

    def __init__(self, handler: Handler, tls: ssl.SSLContext | None = None) -> None:
        self.handler = handler
        self.tls = tls
        self.connections = 0
        self.requests: list[bytes] = []
        self.sent = 0
        self.threads: list[threading.Thread] = []
        self._sock = socket.create_server(("127.0.0.1", 0))
        self.port = self._sock.getsockname()[1]
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{self.port}"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            self.connections += 1
            thread = threading.Thread(target=self._run, args=(conn,), daemon=True)
            self.threads.append(thread)
            thread.start()

    def _run(self, conn: socket.socket) -> None:
        try:
            if self.tls is not None:
                conn = self.tls.wrap_socket(conn, server_side=True)
            self.handler(conn, self)
        except (OSError, ssl.SSLError):
            pass
        finally:
            conn.close()

    def join(self, timeout: float = 10.0) -> None:
        """Waits for every handler to finish."""
        for thread in list(self.threads):
            thread.join(timeout)
            assert not thread.is_alive(), "a handler is still running"

    def close(self) -> None:
        self._sock.close()


@pytest.fixture()
def loopback() -> Iterator[Callable[..., Loopback]]:
    servers: list[Loopback] = []

    def make(handler: Handler, tls: ssl.SSLContext | None = None) -> Loopback:
        server = Loopback(handler, tls)
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.close()


def answering(*answers: bytes) -> Handler:
    """A keep-alive handler: the n-th request on the connection gets ``answers[n]``
    (the last one repeated; ``Connection: close`` ends the connection); records every
    request."""

    def handle(conn: socket.socket, server: Loopback) -> None:
        n = 0
        while (request := read_request(conn)) is not None:
            server.requests.append(request)
            answer = answers[min(n, len(answers) - 1)]
            conn.sendall(answer)
            if b"connection: close" in answer.lower():
                return
            n += 1

    return handle


def run(coro: Any) -> Any:
    return asyncio.run(coro)


async def get(url: str, **options: Any) -> Any:
    """``AsyncClient(url, retry=None).get("operations/x")``: the operation or the error."""
    options.setdefault("retry", None)
    async with AsyncClient(url, **options) as client:
        try:
            return await client.get("operations/x")
        except Error as error:
            return error


def texts_of(error: BaseException) -> str:
    """Everything a user could print of an error: str, repr and the whole traceback."""
    return "\n".join([str(error), repr(error), *traceback.format_exception(error)])


# -- the extra ----------------------------------------------------------------------------


@pytest.mark.slow  # a fresh Python process: what importing lro loads
def test_import_lro_does_not_import_httpx() -> None:
    code = "import sys, lro, lro.aio, lro.errors; print('httpx' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"


@pytest.mark.slow  # a fresh Python process: what importing lro loads
def test_without_httpx_the_client_names_the_extra() -> None:
    code = textwrap.dedent(
        """
        import sys
        sys.modules["httpx"] = None  # as if the extra were not installed
        import asyncio, lro, lro.aio
        from lro._core.http import Response

        try:
            lro.AsyncClient("http://127.0.0.1:9")
        except ModuleNotFoundError as exc:
            print("error:", exc.name, "|", exc)

        class Mine:  # the transport Protocol still works without httpx
            async def send(self, request):
                return Response(200, {}, b'{"name": "operations/x"}')
            async def close(self):
                pass

        async def main():
            async with lro.AsyncClient("http://127.0.0.1:9", transport=Mine()) as c:
                print("own transport:", (await c.get("operations/x")).name)

        asyncio.run(main())
        """
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("error: httpx | ")
    assert "pip install 'lro-sdk[async]'" in lines[0]
    assert lines[1] == "own transport: operations/x"


# -- the wire -----------------------------------------------------------------------------


def test_requests_and_keep_alive(loopback: Callable[..., Loopback]) -> None:
    server = loopback(answering(reply(headers=("Set-Cookie: session=abc",))))

    async def main() -> list[Any]:
        async with AsyncClient(server.url, token=TOKEN, retry=None) as client:
            ops = [await client.get("operations/x") for _ in range(3)]
            ops += await asyncio.gather(*(client.get("operations/x") for _ in range(20)))
            ops.append(await client.get("operations/x"))
        with pytest.raises(FailedPrecondition, match="closed"):
            await client.get("operations/x")
        return ops

    ops = run(main())
    assert {op.name for op in ops} == {"operations/x"}
    assert 1 < server.connections <= 21  # one reused for the first three; more in parallel
    first = server.requests[0].decode("latin-1").lower()
    assert f"authorization: bearer {TOKEN.lower()}" in first  # same host: sent
    assert "accept-encoding: identity" in first
    assert "user-agent: lro-sdk/" in first and "python-httpx" not in first
    assert all(b"cookie" not in r.lower() for r in server.requests)  # never stored or sent


def test_sequential_requests_reuse_one_connection(loopback: Callable[..., Loopback]) -> None:
    server = loopback(answering(reply()))
    ops = run(_sequential(server.url, 5))
    assert [op.name for op in ops] == ["operations/x"] * 5
    assert server.connections == 1


async def _sequential(url: str, n: int) -> list[Any]:
    async with AsyncClient(url, retry=None) as client:
        return [await client.get("operations/x") for _ in range(n)]


def test_environment_proxies_follow_the_sdk_s_rules_not_httpx_s(
    loopback: Callable[..., Loopback], closed_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The proxy variables are read by lro's own rules (tests/realservices covers them
    # through a real proxy); trust_env=False or NO_PROXY reach the server directly.
    for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.setenv(name, f"http://127.0.0.1:{closed_port}")
    server = loopback(answering(reply()))
    assert isinstance(run(get(server.url)), ConnectError)  # the (closed) proxy was used
    assert run(get(server.url, trust_env=False)).name == "operations/x"
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    assert run(get(server.url)).name == "operations/x"


def test_bodies_decoded_and_framed(loopback: Callable[..., Loopback]) -> None:
    zipped = gzip.compress(OP)
    chunked = (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        b'5\r\n{"nam\r\n12\r\ne":"operations/x"}\r\n0\r\n\r\n'
    )
    for answer in (
        reply(zipped, headers=("Content-Encoding: gzip",)),
        chunked,
        b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" + OP,
    ):
        server = loopback(answering(answer))
        assert run(get(server.url)).name == "operations/x"
    server = loopback(answering(reply(b"xx", headers=("Content-Encoding: br",))))
    error = run(get(server.url))
    assert isinstance(error, InvalidResponse) and "unsupported Content-Encoding" in str(error)


# -- redirects ------------------------------------------------------------------------------


@pytest.mark.parametrize("status", ["301 Moved Permanently", "302 Found", "307 Temporary"])
def test_redirect_is_an_error_and_the_token_stays(
    loopback: Callable[..., Loopback], status: str
) -> None:
    target = loopback(answering(reply()))
    location = f"Location: {target.url}/v1/operations/x"
    server = loopback(answering(reply(b"", status=status, headers=(location,))))
    error = run(get(server.url, token=TOKEN))
    assert isinstance(error, Error) and error.http_status == int(status[:3])
    assert target.connections == 0 and target.requests == []  # never followed
    assert TOKEN not in texts_of(error)


# -- TLS ------------------------------------------------------------------------------------


def _certificate(folder: Path, name: str, san: str) -> tuple[Path, Path]:
    cert, key = folder / f"{name}.pem", folder / f"{name}-key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-subj", f"/CN={name}", "-addext", f"subjectAltName={san}",
            "-keyout", str(key), "-out", str(cert),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Path]]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    folder = tmp_path_factory.mktemp("tls")
    return {
        "loopback": _certificate(folder, "localhost", "IP:127.0.0.1,DNS:localhost"),
        "elsewhere": _certificate(folder, "elsewhere.example", "DNS:elsewhere.example"),
    }


def _tls_server(loopback: Callable[..., Loopback], pair: tuple[Path, Path]) -> Loopback:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*pair)
    return loopback(answering(reply()), tls=context)


def test_tls_is_verified(
    loopback: Callable[..., Loopback], certificates: dict[str, tuple[Path, Path]]
) -> None:
    cert, _ = certificates["loopback"]
    server = _tls_server(loopback, certificates["loopback"])
    untrusted = run(get(server.url, token=TOKEN))
    assert isinstance(untrusted, TLSError), untrusted  # self-signed: not in the system store
    assert isinstance(untrusted.__cause__, httpx.ConnectError)
    assert TOKEN not in texts_of(untrusted)
    assert run(get(server.url, ca_certs=str(cert))).name == "operations/x"
    assert run(get(server.url, verify=False)).name == "operations/x"

    other_cert, _ = certificates["elsewhere"]
    wrong_name = _tls_server(loopback, certificates["elsewhere"])
    mismatch = run(get(wrong_name.url, ca_certs=str(other_cert)))
    assert isinstance(mismatch, TLSError), mismatch  # trusted, but for another host name


# -- timeouts -------------------------------------------------------------------------------


def _stall(conn: socket.socket, server: Loopback) -> None:
    read_request(conn)
    conn.recv(1)  # until the client goes away


def _trickle(conn: socket.socket, server: Loopback) -> None:
    read_request(conn)
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n")
    while True:  # a byte every 50 ms: no single read ever times out
        conn.sendall(b" ")
        time.sleep(0.05)


def test_stalled_server_times_out(loopback: Callable[..., Loopback]) -> None:
    server = loopback(_stall)
    started = time.monotonic()
    error = run(get(server.url, timeout=0.3))
    elapsed = time.monotonic() - started
    assert isinstance(error, TransportTimeout), error
    # httpx's read timeout and the request's deadline are both 0.3 s: either may win.
    assert "read timeout" in str(error) or "request deadline of 0.3 s passed" in str(error)
    assert 0.25 < elapsed < 0.9


def test_trickling_server_hits_the_deadline(loopback: Callable[..., Loopback]) -> None:
    server = loopback(_trickle)
    started = time.monotonic()
    error = run(get(server.url, timeout=0.3))
    elapsed = time.monotonic() - started
    assert isinstance(error, TransportTimeout), error
    assert "request deadline of 0.3 s passed" in str(error)
    assert 0.25 < elapsed < 0.9  # the whole request's deadline is the timeout itself


def test_cancelled_request_never_lends_its_answer(loopback: Callable[..., Loopback]) -> None:
    first_closed = threading.Event()

    def late_first(conn: socket.socket, server: Loopback) -> None:
        first = server.connections == 1
        try:
            while (request := read_request(conn)) is not None:
                server.requests.append(request)
                if first:
                    time.sleep(0.4)
                    conn.sendall(reply(b'{"name":"operations/late"}'))
                else:
                    conn.sendall(reply())
        finally:
            if first:
                first_closed.set()

    server = loopback(late_first)

    async def main() -> tuple[Any, Any]:
        async with AsyncClient(server.url, retry=None) as client:
            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(client.get("operations/x"), 0.1)
            await asyncio.sleep(0.5)  # the late answer has arrived on the first connection
            assert first_closed.is_set()  # which the client had closed
            return await client.get("operations/x"), await client.get("operations/x")

    ops = run(main())
    assert [op.name for op in ops] == ["operations/x", "operations/x"]
    assert server.connections == 2  # the cancelled one was closed, never pooled


# -- failures -------------------------------------------------------------------------------


def test_refused_is_a_connect_error(closed_port: int) -> None:
    error = run(get(f"http://127.0.0.1:{closed_port}", token=TOKEN))
    assert isinstance(error, ConnectError), error
    assert isinstance(error.__cause__, httpx.ConnectError)
    assert TOKEN not in texts_of(error)


def test_unresolvable_host_is_a_connect_error() -> None:
    error = run(get("http://no-such-host.invalid", timeout=5))
    assert isinstance(error, ConnectError), error


def _drop(conn: socket.socket, server: Loopback) -> None:
    read_request(conn)


def _garbage(conn: socket.socket, server: Loopback) -> None:
    read_request(conn)
    conn.sendall(b"SPDY/9 what\r\n\r\n")


def _half(conn: socket.socket, server: Loopback) -> None:
    read_request(conn)
    conn.sendall(b'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{"na')


@pytest.mark.parametrize(
    ("handler", "expected"),
    [(_drop, ConnectionDropped), (_half, ConnectionDropped), (_garbage, InvalidResponse)],
)
def test_broken_answers_are_typed(
    loopback: Callable[..., Loopback], handler: Handler, expected: type[Error]
) -> None:
    server = loopback(handler)
    error = run(get(server.url, token=TOKEN))
    assert isinstance(error, expected), error
    assert isinstance(error.__cause__, httpx.HTTPError)
    assert TOKEN not in texts_of(error)


def test_a_bad_header_value_never_shows_the_token(loopback: Callable[..., Loopback]) -> None:
    server = loopback(answering(reply()))
    request = Request("GET", server.url + "/v1/x", {"Authorization": f"Bearer {TOKEN}\n"})

    async def main() -> BaseException:
        transport = AsyncTransport()
        try:
            await transport.send(request)
        except Error as error:
            return error
        finally:
            await transport.close()
        raise AssertionError("sent a header with a newline")

    error = run(main())
    assert isinstance(error, InvalidArgument), error
    assert TOKEN not in texts_of(error) and TOKEN[:12] not in texts_of(error)
    assert error.__cause__ is None and error.__context__ is None  # h11's text shows it
    assert server.requests == []


# -- body limits ----------------------------------------------------------------------------

LIMIT = 4096
HUGE = 200 * 1024 * 1024


def _endless(chunked: bool) -> Handler:
    def handle(conn: socket.socket, server: Loopback) -> None:
        read_request(conn)
        framing = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {HUGE}"
        conn.sendall(f"HTTP/1.1 200 OK\r\n{framing}\r\n\r\n".encode())
        block = b"x" * 65536
        piece = b"10000\r\n" + block + b"\r\n" if chunked else block
        while server.sent < HUGE:
            conn.sendall(piece)  # fails once the client has closed the connection
            server.sent += len(piece)

    return handle


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_body_over_the_limit_is_not_read(loopback: Callable[..., Loopback], chunked: bool) -> None:
    server = loopback(_endless(chunked))

    async def main() -> tuple[Any, Any]:
        transport = AsyncTransport(max_response_bytes=LIMIT)
        async with AsyncClient(server.url, retry=None, transport=transport) as client:
            try:
                await client.get("operations/x")
            except Error as error:
                return error, None
        raise AssertionError("read a body over the limit")

    started = time.monotonic()
    error, _ = run(main())
    assert isinstance(error, InvalidResponse) and f"larger than {LIMIT}" in str(error)
    server.join()
    assert server.sent < HUGE // 4, f"the server sent {server.sent} bytes"
    assert time.monotonic() - started < 5


def test_compressed_bomb_is_refused(loopback: Callable[..., Loopback]) -> None:
    bomb = gzip.compress(b"\0" * 20_000_000)  # about 20 KB on the wire
    server = loopback(answering(reply(bomb, headers=("Content-Encoding: gzip",))))

    async def main() -> Any:
        transport = AsyncTransport(max_response_bytes=1_000_000)
        async with AsyncClient(server.url, retry=None, transport=transport) as client:
            try:
                return await client.get("operations/x")
            except Error as error:
                return error

    error = run(main())
    assert isinstance(error, InvalidResponse) and "larger than 1000000" in str(error)


def test_transport_returns_3xx_as_a_response(loopback: Callable[..., Loopback]) -> None:
    server = loopback(answering(reply(b"", status="302 Found", headers=("Location: /x",))))

    async def main() -> Response:
        transport = AsyncTransport()
        try:
            return await transport.send(Request("GET", server.url + "/v1/operations/x"))
        finally:
            await transport.close()

    response = run(main())
    assert response.status == 302 and response.headers["location"] == "/x"

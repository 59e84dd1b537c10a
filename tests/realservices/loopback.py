"""Loopback imitations of what real deployments put in front of ``lro``.

Nobody on the project wrote a Google frontend or a corporate proxy, so these stand in for
them, on 127.0.0.1 only, with every loop and every socket bounded by a timeout:

* :class:`GoogleFrontend`: a Google-style REST frontend of ``google.longrunning``
  under a version prefix (``/v1beta1`` by default): AIP-193 error bodies
  (``{"error": {"code", "message", "status", "details"}}``), OAuth access tokens handed
  out by its own token endpoint (``POST /token``) that expire after ``token_lifetime``
  seconds (``401 UNAUTHENTICATED [reason=ACCESS_TOKEN_EXPIRED]``), API keys
  (``x-goog-api-key``), a required ``x-goog-user-project`` header
  (``403 PERMISSION_DENIED [reason=USER_PROJECT_DENIED]``), armed 429s with
  ``Retry-After`` and/or ``RetryInfo``, lists with ``unreachable`` locations, no
  ``:wait`` (Google frontends answer 404 for it). Optionally over TLS.
* :class:`ForwardProxy`: an HTTP forward proxy (absolute-form requests and ``CONNECT``
  tunnels), optionally asking for ``Proxy-Authorization: Basic``; it records what passed
  through it.

Both record every request they saw (method, target, headers) for the tests to check.
"""

from __future__ import annotations

import base64
import contextlib
import datetime
import http.server
import ipaddress
import json
import select
import socket
import ssl
import threading
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: How long any socket of these servers waits for the peer before giving up.
SOCKET_TIMEOUT = 10.0
_TYPE = "type.googleapis.com/"


@dataclass
class Seen:
    """One request a loopback server received."""

    method: str
    target: str
    headers: dict[str, str]

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers.items() if k.lower() == name.lower()), None)


# ---------------------------------------------------------------------------------------
# Certificates


def self_signed(directory: Path) -> tuple[Path, Path]:
    """A CA-flagged certificate for 127.0.0.1 / localhost and its key, as PEM files."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    cert, key = directory / "frontend-cert.pem", directory / "frontend-key.pem"
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


class _Threaded(http.server.ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that hung up mid-request is not the test's business


class _Background:
    """A server in a daemon thread, stopped by :meth:`close` (or ``with``)."""

    httpd: _Threaded

    def _start(self) -> None:
        self.port = self.httpd.server_address[1]
        self._thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self._thread.join(timeout=SOCKET_TIMEOUT)

    def __enter__(self) -> Any:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# ---------------------------------------------------------------------------------------
# The Google-style frontend


@dataclass
class Pacing:
    """Armed 429s: the next ``count`` requests are refused with these delays."""

    count: int
    retry_after: float | None = None
    retry_info: float | None = None


@dataclass
class FrontendState:
    version: str
    project: str | None
    token_lifetime: float
    api_keys: set[str]
    tokens: dict[str, float] = field(default_factory=dict)  # token -> expiry (monotonic)
    issued: int = 0
    operations: dict[str, dict[str, Any]] = field(default_factory=dict)
    polls_to_finish: dict[str, int] = field(default_factory=dict)
    unreachable: list[str] = field(default_factory=list)
    pacing: list[Pacing] = field(default_factory=list)
    seen: list[Seen] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def google_error(
    status: int, grpc_status: str, message: str, reason: str | None = None, **extra: Any
) -> dict[str, Any]:
    """An AIP-193 error body (HTTP status in ``code``, the canonical name in ``status``)."""
    details: list[dict[str, Any]] = []
    if reason:
        details.append(
            {"@type": _TYPE + "google.rpc.ErrorInfo", "reason": reason, "domain": "googleapis.com"}
        )
    if "retry_delay" in extra:
        details.append(
            {"@type": _TYPE + "google.rpc.RetryInfo", "retryDelay": extra["retry_delay"]}
        )
    body: dict[str, Any] = {"code": status, "message": message, "status": grpc_status}
    if details:
        body["details"] = details
    return {"error": body}


class _FrontendHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    state: FrontendState
    timeout = SOCKET_TIMEOUT

    def log_message(self, format: str, *args: Any) -> None:
        pass

    # -- plumbing -----------------------------------------------------------------------

    def _send(
        self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None
    ) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _answer(self) -> None:
        body = self._body()
        state = self.state
        with state.lock:
            state.seen.append(Seen(self.command, self.path, dict(self.headers.items())))
        path = urllib.parse.urlsplit(self.path).path
        if self.command == "POST" and path == "/token":
            self._token(body)
            return
        refusal = self._refusal()
        if refusal is not None:
            status, error, headers = refusal
            self._send(status, error, headers)
            return
        prefix = f"/{state.version}/"
        if not path.startswith(prefix):
            self._send(
                404, google_error(404, "NOT_FOUND", f"The requested URL {path} was not found.")
            )
            return
        rest = urllib.parse.unquote(path[len(prefix) :])
        self._route(rest)

    do_GET = do_POST = do_DELETE = do_PATCH = _answer

    def _token(self, body: bytes) -> None:
        state = self.state
        with state.lock:
            state.issued += 1
            token = f"ya29.loopback-{state.issued}-{time.monotonic_ns()}"
            state.tokens[token] = time.monotonic() + state.token_lifetime
        self._send(
            200,
            {"access_token": token, "expires_in": state.token_lifetime, "token_type": "Bearer"},
        )

    def _refusal(self) -> tuple[int, dict[str, Any], dict[str, str]] | None:
        state = self.state
        auth = self.headers.get("Authorization", "")
        key = self.headers.get("x-goog-api-key")
        with state.lock:
            if state.pacing:
                pacing = state.pacing[0]
                pacing.count -= 1
                if pacing.count <= 0:
                    state.pacing.pop(0)
                headers = {}
                extra: dict[str, Any] = {}
                if pacing.retry_after is not None:
                    headers["Retry-After"] = f"{pacing.retry_after:g}"
                if pacing.retry_info is not None:
                    extra["retry_delay"] = f"{pacing.retry_info:g}s"
                error = google_error(
                    429, "RESOURCE_EXHAUSTED", "Quota exceeded.", "RATE_LIMIT_EXCEEDED", **extra
                )
                return 429, error, headers
            if key is not None:
                if key not in state.api_keys:
                    return (
                        400,
                        google_error(
                            400, "INVALID_ARGUMENT", "API key not valid.", "API_KEY_INVALID"
                        ),
                        {},
                    )
            elif not auth.startswith("Bearer "):
                return (
                    401,
                    google_error(
                        401,
                        "UNAUTHENTICATED",
                        "Request is missing required authentication credential.",
                        "CREDENTIALS_MISSING",
                    ),
                    {},
                )
            else:
                expiry = state.tokens.get(auth[len("Bearer ") :])
                if expiry is None:
                    return (
                        401,
                        google_error(
                            401,
                            "UNAUTHENTICATED",
                            "Request had invalid authentication credentials.",
                            "ACCESS_TOKEN_TYPE_UNSUPPORTED",
                        ),
                        {},
                    )
                if time.monotonic() >= expiry:
                    return (
                        401,
                        google_error(
                            401,
                            "UNAUTHENTICATED",
                            "Request had invalid authentication credentials.",
                            "ACCESS_TOKEN_EXPIRED",
                        ),
                        {},
                    )
            project = self.headers.get("x-goog-user-project")
            if state.project is not None and project != state.project:
                return (
                    403,
                    google_error(
                        403,
                        "PERMISSION_DENIED",
                        "Caller does not have required permission to use project.",
                        "USER_PROJECT_DENIED",
                    ),
                    {},
                )
        return None

    # -- google.longrunning -------------------------------------------------------------

    def _route(self, rest: str) -> None:
        state = self.state
        head, _, verb = rest.rpartition(":") if ":" in rest.rsplit("/", 1)[-1] else (rest, "", "")
        if verb == "wait":  # Google frontends have no :wait binding
            self._send(404, google_error(404, "NOT_FOUND", "Method not found."))
            return
        name = head if verb else rest
        if self.command == "GET" and (name == "operations" or name.endswith("/operations")):
            parent = name[: -len("operations")]
            with state.lock:
                ops = [dict(op) for n, op in state.operations.items() if n.startswith(parent)]
                unreachable = list(state.unreachable)
            body: dict[str, Any] = {"operations": ops}
            if unreachable:
                body["unreachable"] = unreachable
            self._send(200, body)
            return
        with state.lock:
            op = state.operations.get(name)
            if op is None:
                found = None
            else:
                if self.command == "GET" and not op.get("done"):
                    left = state.polls_to_finish.get(name, 0) - 1
                    state.polls_to_finish[name] = left
                    if left <= 0:
                        op["done"] = True
                        op["response"] = {"@type": _TYPE + "google.protobuf.Empty"}
                if self.command == "POST" and verb == "cancel" and not op.get("done"):
                    op["done"] = True
                    op["error"] = {"code": 1, "message": "cancelled"}
                if self.command == "DELETE" and not verb:
                    del state.operations[name]
                found = dict(op)
        if found is None:
            message = f"Operation {name} not found."
            self._send(404, google_error(404, "NOT_FOUND", message, "OPERATION_NOT_FOUND"))
        elif verb == "cancel" or self.command == "DELETE":
            self._send(200, {})
        elif self.command == "GET" and not verb:
            self._send(200, found)
        else:
            self._send(404, google_error(404, "NOT_FOUND", "Method not found."))


class GoogleFrontend(_Background):
    """A Google-style frontend of google.longrunning on 127.0.0.1 (see the module docstring).

    Args:
        version: the version prefix of every API path (``v1beta1``).
        project: the ``x-goog-user-project`` every API request must carry (None: any).
        token_lifetime: seconds an access token from ``POST /token`` stays valid.
        api_keys: keys accepted in ``x-goog-api-key`` instead of a token.
        tls: serve HTTPS with a self-signed certificate written to this directory.
    """

    def __init__(
        self,
        *,
        version: str = "v1beta1",
        project: str | None = None,
        token_lifetime: float = 3600.0,
        api_keys: set[str] | None = None,
        tls: Path | None = None,
    ) -> None:
        self.state = FrontendState(version, project, token_lifetime, set(api_keys or ()))
        handler = type("Frontend", (_FrontendHandler,), {"state": self.state})
        self.httpd = _Threaded(("127.0.0.1", 0), handler)
        self.cert: Path | None = None
        scheme = "http"
        if tls is not None:
            self.cert, key = self_signed(tls)
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(self.cert, key)
            self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
            scheme = "https"
        self._start()
        self.host = f"{scheme}://127.0.0.1:{self.port}"
        #: The base URL a client is given: host and version.
        self.url = f"{self.host}/{version}"
        self.token_uri = f"{self.host}/token"

    # -- setting up ---------------------------------------------------------------------

    def add_operation(self, name: str, *, polls_to_finish: int = 1 << 30) -> str:
        """A running operation that finishes on its ``polls_to_finish``-th GET."""
        with self.state.lock:
            self.state.operations[name] = {
                "name": name,
                "metadata": {"@type": _TYPE + "google.cloud.common.OperationMetadata"},
            }
            self.state.polls_to_finish[name] = polls_to_finish
        return name

    def issue_token(self) -> str:
        """A fresh access token (as ``POST /token`` would give)."""
        with self.state.lock:
            self.state.issued += 1
            token = f"ya29.loopback-{self.state.issued}-{time.monotonic_ns()}"
            self.state.tokens[token] = time.monotonic() + self.state.token_lifetime
        return token

    def rate_limit(
        self, count: int = 1, *, retry_after: float | None = None, retry_info: float | None = None
    ) -> None:
        """Refuse the next ``count`` API requests with 429 and these server delays."""
        with self.state.lock:
            self.state.pacing.append(Pacing(count, retry_after, retry_info))

    def set_unreachable(self, locations: list[str]) -> None:
        with self.state.lock:
            self.state.unreachable = list(locations)

    # -- reading ------------------------------------------------------------------------

    @property
    def seen(self) -> list[Seen]:
        with self.state.lock:
            return list(self.state.seen)

    def api_requests(self) -> list[Seen]:
        """The requests that were not for the token endpoint."""
        return [s for s in self.seen if not s.target.startswith("/token")]


# ---------------------------------------------------------------------------------------
# The forward proxy


class _ProxyHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    proxy: ForwardProxy
    timeout = SOCKET_TIMEOUT

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _record(self) -> bool:
        """Record the request; answer 407 (False) when credentials are wanted and wrong."""
        proxy = self.proxy
        with proxy.lock:
            proxy.seen.append(Seen(self.command, self.path, dict(self.headers.items())))
        if proxy.credentials is None:
            return True
        expected = "Basic " + base64.b64encode(proxy.credentials.encode()).decode()
        if self.headers.get("Proxy-Authorization") == expected:
            return True
        self.send_response(407)
        self.send_header("Proxy-Authenticate", 'Basic realm="loopback"')
        self.send_header("Content-Length", "0")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        return False

    def do_CONNECT(self) -> None:
        if not self._record():
            return
        host, _, port = self.path.rpartition(":")
        try:
            upstream = socket.create_connection((host, int(port)), timeout=SOCKET_TIMEOUT)
        except OSError:
            self.send_error(502)
            return
        self.send_response(200, "Connection established")
        self.end_headers()
        self.close_connection = True
        _pump(self.connection, upstream)

    def _forward(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if not self._record():
            return
        parts = urllib.parse.urlsplit(self.path)
        if parts.scheme != "http" or not parts.hostname:
            self.send_error(400, "absolute-form http URL expected")
            return
        origin = parts.path + (f"?{parts.query}" if parts.query else "")
        lines = [f"{self.command} {origin or '/'} HTTP/1.1"]
        for key, value in self.headers.items():
            if key.lower() not in ("proxy-authorization", "proxy-connection", "connection"):
                lines.append(f"{key}: {value}")
        lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        try:
            with socket.create_connection(
                (parts.hostname, parts.port or 80), timeout=SOCKET_TIMEOUT
            ) as upstream:
                upstream.sendall(head + body)
                answer = _read_all(upstream)
        except OSError:
            self.send_error(502)
            return
        # Relay the origin's response as it came (it closes: so does this connection).
        self.close_connection = True
        self.wfile.write(answer)

    do_GET = do_POST = do_DELETE = do_PATCH = _forward


def _read_all(sock: socket.socket) -> bytes:
    chunks = []
    deadline = time.monotonic() + SOCKET_TIMEOUT
    while time.monotonic() < deadline:
        chunk = sock.recv(65536)
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks)


def _pump(client: socket.socket, upstream: socket.socket) -> None:
    """Copy bytes both ways until either side closes (or nothing moves for a while)."""
    with contextlib.closing(upstream):
        sockets = [client, upstream]
        idle_until = time.monotonic() + SOCKET_TIMEOUT
        while time.monotonic() < idle_until:
            readable, _, _ = select.select(sockets, [], [], 0.2)
            for sock in readable:
                try:
                    data = sock.recv(65536)
                except OSError:
                    return
                if not data:
                    return
                (upstream if sock is client else client).sendall(data)
                idle_until = time.monotonic() + SOCKET_TIMEOUT


class ForwardProxy(_Background):
    """An HTTP forward proxy on 127.0.0.1 (absolute-form requests and CONNECT tunnels).

    Args:
        credentials: ``"user:password"`` to require as ``Proxy-Authorization: Basic``.
    """

    def __init__(self, *, credentials: str | None = None) -> None:
        self.credentials = credentials
        self.lock = threading.Lock()
        self.seen_list: list[Seen] = []
        handler = type("Proxy", (_ProxyHandler,), {"proxy": self})
        self.httpd = _Threaded(("127.0.0.1", 0), handler)
        self._start()
        self.url = f"http://127.0.0.1:{self.port}"

    @property
    def seen(self) -> list[Seen]:
        return self.seen_list

    def methods(self) -> list[str]:
        with self.lock:
            return [s.method for s in self.seen_list]

    def clear(self) -> None:
        with self.lock:
            self.seen_list.clear()


@contextlib.contextmanager
def env(**values: str | None) -> Iterator[None]:
    """Set (or, for None, unset) environment variables for the block."""
    import os

    saved = {key: os.environ.get(key) for key in values}
    try:
        for key, value in values.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value

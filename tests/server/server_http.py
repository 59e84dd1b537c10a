"""A deliberately dumb HTTP helper for the server tests (http.client only).

The tests speak raw HTTP so they see exactly what any client would see; they do
not use the `lro` client, whose bugs must not hide the server's.
"""

from __future__ import annotations

import datetime
import http.client
import json
import re
import socket
import urllib.parse
from dataclasses import dataclass
from typing import Any

PROGRESS = {"@type": "type.googleapis.com/test.Progress", "percent": 5, "nested": {"a": [1, 2]}}
RESULT = {"@type": "type.googleapis.com/test.Result", "value": "ok"}
TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3}|\.\d{6}|\.\d{9})?Z")
ERROR_INFO = "type.googleapis.com/google.rpc.ErrorInfo"


@dataclass
class Reply:
    status: int
    headers: dict[str, str]  # lower-case names
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def code(self) -> int:
        code: int = self.json["code"]
        return code

    @property
    def reason(self) -> str:
        """The ErrorInfo reason of an error reply (asserting the bare-Status form)."""
        body = self.json
        assert set(body) == {"code", "message", "details"}, body
        (info,) = body["details"]
        assert info["@type"] == ERROR_INFO and info["domain"] == "lro.example", info
        reason: str = info["reason"]
        return reason


class Api:
    def __init__(self, url: str, token: str | None = None) -> None:
        parts = urllib.parse.urlsplit(url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.token = token

    def with_token(self, token: str | None) -> Api:
        return Api(f"http://{self.host}:{self.port}", token)

    def connect(self, timeout: float = 10.0) -> http.client.HTTPConnection:
        return http.client.HTTPConnection(self.host, self.port, timeout=timeout)

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        raw: bytes | None = None,
        headers: dict[str, str] | None = None,
        timeout: float = 10.0,
    ) -> Reply:
        """One request on a fresh connection. `body` is JSON-encoded; `raw` is sent as is."""
        all_headers = {"Content-Type": "application/json"}
        if self.token is not None:
            all_headers["Authorization"] = f"Bearer {self.token}"
        all_headers.update(headers or {})
        data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
        conn = self.connect(timeout)
        try:
            conn.request(method, path, body=data, headers=all_headers)
            response = conn.getresponse()
            payload = response.read()
            return Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, payload)
        finally:
            conn.close()

    def get(self, path: str, **kw: Any) -> Reply:
        return self.call("GET", path, **kw)

    def post(self, path: str, body: Any = None, **kw: Any) -> Reply:
        return self.call("POST", path, body, **kw)

    def patch(self, path: str, body: Any = None, **kw: Any) -> Reply:
        return self.call("PATCH", path, body, **kw)

    def delete(self, path: str, **kw: Any) -> Reply:
        return self.call("DELETE", path, **kw)

    # --- shortcuts that must succeed --------------------------------------------------------

    def ok(self, method: str, path: str, body: Any = None, **kw: Any) -> Any:
        reply = self.call(method, path, body, **kw)
        assert reply.status == 200, (method, path, reply.status, reply.body[:500])
        return reply.json

    def create(self, metadata: Any = PROGRESS, *, query: str = "") -> dict[str, Any]:
        body = {} if metadata is None else {"metadata": metadata}
        op: dict[str, Any] = self.ok("POST", "/audit/v1/operations" + query, body)["operation"]
        return op

    def audited(self, name: str) -> dict[str, Any]:
        op: dict[str, Any] = self.ok("GET", f"/audit/v1/{name}")["operation"]
        return op

    def finish(self, name: str, response: Any = RESULT) -> dict[str, Any]:
        body = {"done": True, "response": response}
        op: dict[str, Any] = self.ok("PATCH", f"/audit/v1/{name}:finalize", body)["operation"]
        return op

    def count(self, query: str = "showDeleted=true") -> int:
        total: int = self.ok("GET", f"/audit/v1/operations?{query}").get("totalSize", 0)
        return total


def nanos(timestamp: str) -> int:
    """An RFC 3339 `Z` timestamp as integer nanoseconds (tests compare them exactly)."""
    match = TIMESTAMP.fullmatch(timestamp)
    assert match, timestamp
    whole = datetime.datetime.strptime(timestamp[:19], "%Y-%m-%dT%H:%M:%S")
    seconds = int(whole.replace(tzinfo=datetime.timezone.utc).timestamp())
    return seconds * 10**9 + int((match.group(1) or ".")[1:].ljust(9, "0"))


def raw_exchange(api: Api, data: bytes, timeout: float = 5.0) -> bytes:
    """Send bytes on a new socket and read until the server closes it (or timeout)."""
    with socket.create_connection((api.host, api.port), timeout=timeout) as sock:
        sock.sendall(data)
        chunks = []
        try:
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        except ConnectionResetError:
            pass
        return b"".join(chunks)


def status_of(raw: bytes) -> int:
    """The status code of a raw HTTP response."""
    return int(raw.split(b" ", 2)[1])


def body_of(raw: bytes) -> Any:
    return json.loads(raw.partition(b"\r\n\r\n")[2])

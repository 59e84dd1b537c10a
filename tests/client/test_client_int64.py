"""A page's ``totalSize`` goes through the one int64 reader: a malformed value raises
``lro.InvalidResponse`` naming it, from both clients, never a bare ``ValueError``."""

from __future__ import annotations

import asyncio
import http.server
import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest

import lro
from lro.aio import AsyncClient


class PageHandler(http.server.BaseHTTPRequestHandler):
    """Answers every GET with one list page whose ``totalSize`` is ``total``."""

    total: Any = None

    def do_GET(self) -> None:
        page: dict[str, Any] = {"operations": [{"name": "operations/a", "done": False}]}
        if self.total is not None:
            page["totalSize"] = self.total
        body = json.dumps(page).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture()
def page_server() -> Iterator[Any]:
    """Start a loopback server; ``serve(total)`` sets the ``totalSize`` it sends."""
    handler = type("Page", (PageHandler,), {})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()

    def serve(total: Any) -> str:
        handler.total = total
        return f"http://127.0.0.1:{httpd.server_address[1]}"

    try:
        yield serve
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


@pytest.mark.parametrize("total", ["--5", "5.5", 1.5, "1e3", True, "9223372036854775808", [1]])
def test_malformed_total_size_is_an_invalid_response(page_server: Any, total: Any) -> None:
    client = lro.Client(page_server(total), retry=None, timeout=5)
    with client, pytest.raises(lro.InvalidResponse) as info:
        _ = client.list_operations().total_size
    assert "totalSize" in str(info.value)
    assert not isinstance(info.value.__cause__, ValueError)


@pytest.mark.parametrize(
    ("total", "expected"), [("42", 42), (42, 42), (7.0, 7), ("-1", -1), (None, None)]
)
def test_well_formed_total_size(page_server: Any, total: Any, expected: int | None) -> None:
    with lro.Client(page_server(total), retry=None, timeout=5) as client:
        assert client.list_operations().total_size == expected


def test_malformed_total_size_async(page_server: Any) -> None:
    async def run() -> None:
        async with AsyncClient(page_server("--5"), retry=None, timeout=5) as client:
            with pytest.raises(lro.InvalidResponse):
                await client.list_operations().total_size

    asyncio.run(run())

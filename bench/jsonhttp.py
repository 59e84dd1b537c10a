"""A bare JSON-over-HTTP helper (the floor every client is compared with) and a counter of
the HTTP requests each labelled thread sends.

Every client measured here (lro, lro_api, requests/google-auth, plain urllib3) sends its
requests through ``urllib3.connectionpool.HTTPConnectionPool.urlopen``, so counting calls
to it, per label set on the calling thread, counts each strategy's requests even when the
strategies run at the same time against one server.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import urllib3
from urllib3.connectionpool import HTTPConnectionPool


class JsonHttp:
    """GET/POST JSON with one keep-alive pool: what a hand-written client does at minimum."""

    def __init__(self, base_url: str, *, maxsize: int = 10) -> None:
        self.base_url = base_url
        self.pool = urllib3.PoolManager(maxsize=maxsize, retries=False, timeout=120.0)

    def get_raw(self, path: str) -> bytes:
        """The body of a GET (raises on a non-2xx status)."""
        response = self.pool.request("GET", self.base_url + path)
        if response.status >= 300:
            raise RuntimeError(f"GET {path}: HTTP {response.status}: {response.data[:300]!r}")
        return response.data

    def get_json(self, path: str) -> Any:
        """A GET decoded with json.loads."""
        return json.loads(self.get_raw(path))

    def post_json(self, path: str, body: Any) -> Any:
        """A POST of a JSON body, decoded."""
        response = self.pool.request(
            "POST",
            self.base_url + path,
            body=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
        )
        if response.status >= 300:
            raise RuntimeError(f"POST {path}: HTTP {response.status}: {response.data[:300]!r}")
        return json.loads(response.data)


class RequestCounter:
    """Counts ``urlopen`` calls per thread label while installed (a context manager)."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._local = threading.local()
        self._original: Callable[..., Any] | None = None

    @contextlib.contextmanager
    def label(self, name: str) -> Iterator[None]:
        """Requests sent by this thread inside the block count towards ``name``."""
        previous = getattr(self._local, "name", None)
        self._local.name = name
        try:
            yield
        finally:
            self._local.name = previous

    def __enter__(self) -> RequestCounter:
        original = HTTPConnectionPool.urlopen
        self._original = original
        counter = self

        def urlopen(pool: HTTPConnectionPool, *args: Any, **kwargs: Any) -> Any:
            name = getattr(counter._local, "name", None)
            if name is not None:
                with counter._lock:
                    counter.counts[name] += 1
            return original(pool, *args, **kwargs)

        HTTPConnectionPool.urlopen = urlopen  # type: ignore[method-assign,assignment]
        return self

    def __exit__(self, *exc: object) -> None:
        if self._original is not None:
            HTTPConnectionPool.urlopen = self._original  # type: ignore[method-assign]
            self._original = None

"""pytest fixtures for code that uses lro: a real reference server per test.

Installing lro-sdk registers the plugin (entry point ``pytest11``, name ``lro``), so the
fixtures need no import and no ``conftest.py``:

```python
def test_waits_for_the_export(lro_server, lro_client):
    (op,) = lro_server.simulate(count=1, duration=0.2)
    assert lro_client.wait(op["name"], timeout=10).done
```

- ``lro_server``: a fresh in-memory reference server for the test (``.url``,
  ``.faults``, ``.simulate()``, ``.requests``); options of ``lro_server.serve()`` through
  ``@pytest.mark.lro_server(tokens=..., max_wait=...)``.
- ``lro_client`` / ``lro_async_client``: an ``lro.Client`` / ``lro.AsyncClient`` of that
  server, closed after the test; options through ``@pytest.mark.lro_client(...)``.
- ``lro_server_factory``: start more servers, ``lro_server_factory(**options)``.

The server needs the ``server`` extra (``pip install 'lro-sdk[server]'``); without it, a
test that uses these fixtures fails saying so, and the rest of the run is unaffected.
``pytest -p no:lro`` turns the plugin off. The guide page "Testing code that uses lro"
(``docs/testing-with-lro.md``) has the examples.
"""

from __future__ import annotations

from ._plugin import (
    INSTALL_HINT,
    lro_async_client,
    lro_client,
    lro_server,
    lro_server_factory,
)

__all__ = [
    "INSTALL_HINT",
    "lro_async_client",
    "lro_client",
    "lro_server",
    "lro_server_factory",
]

"""No request path loads pydantic: the client builds requests from the generated route table.

In a fresh interpreter, a client that creates, reads, lists, waits for, finishes and deletes
operations (sync and async) loads ``lro_api.routes`` and nothing else of the generated
layer: pydantic stays out of ``sys.modules`` until a user touches the generated models.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from typing import Any

import pytest

#: Generated modules a client may load: the package (lazy re-exports) and the route table.
ALLOWED = {"lro_api", "lro_api.routes"}

_PROBE = """
import json, sys

def loaded():
    return sorted(
        m for m in sys.modules
        if m.split(".")[0] in ("pydantic", "pydantic_core", "lro_api", "dateutil")
    )

import lro
URL = {url!r}
c = lro.Client(URL)
{body}
print(json.dumps(loaded()))
"""


def _loaded(url: str, body: str) -> list[str]:
    code = _PROBE.format(url=url, body=textwrap.dedent(body))
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    loaded: list[str] = json.loads(result.stdout.splitlines()[-1])
    return loaded


@pytest.mark.slow  # a fresh Python process: what importing lro loads
def test_client_get_loads_no_pydantic(srv: Any, client: Any) -> None:
    name = client.create().name
    loaded = _loaded(srv.url, f"assert c.get({name!r}).name == {name!r}")
    assert set(loaded) <= ALLOWED, loaded
    assert "lro_api.routes" in loaded  # the requests were built from the table


@pytest.mark.slow  # a fresh Python process: what importing lro loads
def test_every_client_call_loads_no_pydantic(srv: Any) -> None:
    loaded = _loaded(
        srv.url,
        """
        op = c.create({"@type": "type.googleapis.com/test.Job"}, parent="projects/np")
        c.update(op.name, {"@type": "type.googleapis.com/test.Job", "step": 1})
        assert [o.name for o in c.get_many([op.name])] == [op.name]
        assert op.name in [o.name for o in c.list_operations("projects/np", page_size=5)]
        assert op.name in [o.name for o in c.audit.list_operations(show_deleted=True)]
        c.finalize(op.name, response={"@type": "type.googleapis.com/test.Out"})
        assert c.wait(op.name, timeout=5).done
        c.cancel(op.name)
        c.abort(c.create().name)
        c.delete(op.name)

        import asyncio
        import lro.aio

        async def main():
            async with lro.aio.AsyncClient(URL) as ac:
                made = await ac.create()
                assert (await ac.get(made.name)).name == made.name
                await ac.wait_once(made.name, timeout=0.01)

        asyncio.run(main())
        """,
    )
    assert set(loaded) <= ALLOWED, loaded


@pytest.mark.slow  # a fresh Python process: what importing lro loads
def test_generated_models_still_load_on_request(srv: Any) -> None:
    """The generated layer is not gone, only off the request path."""
    loaded = _loaded(srv.url, "from lro_api.models import V1Operation; V1Operation()")
    assert "pydantic" in loaded


@pytest.mark.slow  # a fresh Python process: what importing lro loads
@pytest.mark.parametrize("module", ["lro", "lro.aio", "lro.errors"])
def test_import_loads_no_generated_module(module: str) -> None:
    code = f"import sys, {module}; print(sorted(m for m in sys.modules if 'lro_api' in m))"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "[]"

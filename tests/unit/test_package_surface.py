"""What a new user meets first in a REPL: ``lro.errors`` after ``import lro``, ``dir(lro)``
with the lazily loaded names, a usage guide in ``lro.__doc__``, readable defaults in
``help()``. Each check runs in a fresh interpreter where import state matters."""

from __future__ import annotations

import pydoc
import re
import subprocess
import sys

import pytest

import lro
import lro.aio


def _python(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    return done.stdout.strip()


@pytest.mark.slow  # a fresh Python process: what importing lro loads
def test_lro_errors_is_there_after_import_lro() -> None:
    out = _python(
        "import lro; e = lro.errors.error_from_status({'code': 5, 'message': 'gone'}); "
        "print(type(e).__name__, e.message)"
    )
    assert out == "NotFound gone"


@pytest.mark.slow  # a fresh Python process: what importing lro loads
def test_dir_lists_every_public_name_without_loading_the_lazy_ones() -> None:
    out = _python(
        "import sys, lro; names = dir(lro); "
        "print(sorted(set(lro.__all__) - set(names)), 'aio' in names, 'errors' in names, "
        "'lro.aio' in sys.modules, 'asyncio' in sys.modules)"
    )
    assert out == "[] True True False False"
    for name in ("AsyncClient", "wait_all", "as_completed", "Handle", "async_wait_all"):
        assert name in dir(lro)


@pytest.mark.slow  # a fresh Python process: what importing lro loads
def test_import_lro_leaves_error_details_and_thread_futures_for_later() -> None:
    # They cost ~6 ms of `import lro` (bench section 1); a one-shot get needs neither.
    out = _python(
        "import sys, lro; loaded = lambda: [m for m in ('lro.errors', "
        "'lro._core.errors.details', 'concurrent.futures') if m in sys.modules]; "
        "print(loaded()); lro.errors.BadRequest; lro.Handle; print(loaded())"
    )
    assert out.splitlines() == [
        "[]",
        "['lro.errors', 'lro._core.errors.details', 'concurrent.futures']",
    ]


@pytest.mark.slow  # a fresh Python process: what importing lro loads
def test_lro_aio_is_reachable_as_an_attribute() -> None:
    assert _python("import lro; print(lro.aio.AsyncClient.__name__)") == "AsyncClient"


def test_the_module_doc_is_a_short_usage_guide() -> None:
    doc = lro.__doc__ or ""
    assert "lro.Client(" in doc and ".wait(" in doc and ".result()" in doc
    assert "_core" not in doc and "_sync" not in doc and "_async" not in doc
    assert len(doc.splitlines()) <= 30


def _addresses(obj: object) -> list[str]:
    text = pydoc.render_doc(obj, renderer=pydoc.plaintext)
    return re.findall(r"<[^<>]* at 0x[0-9a-fA-F]+>", text)


def test_help_shows_no_object_addresses() -> None:
    names = [n for n in lro.__all__ if n != "__version__"]
    shown = {n: _addresses(getattr(lro, n)) for n in names}
    shown |= {f"aio.{n}": _addresses(getattr(lro.aio, n)) for n in lro.aio.__all__}
    assert {n: a for n, a in shown.items() if a} == {}


def test_the_default_retry_reads_as_its_policy() -> None:
    assert repr(lro.DEFAULT_RETRY) == (
        "Retry(initial=0.1, multiplier=2.0, maximum=5.0, deadline=30.0, max_attempts=5, "
        "jitter='full')"
    )

"""Every Python example in README.md and docs/*.md runs, so no example can rot.

The blocks of one page run in order in one namespace (like a notebook), in a
fresh subprocess with a timeout, so a page can build on its earlier blocks. A
block right after an ``<!-- not-run -->`` comment is skipped: use that only for
snippets that need a service we cannot start here (say, a Cloud API URL). A block right
after ``<!-- pytest -->`` is test code, run by pytest instead (test_testing_guide.py).
Examples start the reference server themselves (``lro_server.serve``), exactly
as a reader would.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

# Slow tier: runs the docs' examples, the demo or the site build as processes (and a browser).
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCK = re.compile(r"(<!-- (?:not-run|pytest) -->\s*)?```python\n(.*?)```", re.S)


def python_blocks(page: Path) -> list[str]:
    """The runnable ```python blocks of a page, in order."""
    text = page.read_text(encoding="utf-8")
    return [code for skip, code in BLOCK.findall(text) if not skip]


def pages_with_examples() -> list[Path]:
    return [page for page in PAGES if python_blocks(page)]


@pytest.mark.parametrize("page", pages_with_examples(), ids=lambda p: p.name)
def test_page_examples_run(page: Path, tmp_path: Path) -> None:
    program = "\n\n".join(python_blocks(page))
    script = tmp_path / f"{page.stem}_examples.py"
    script.write_text(program, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, f"{page.name} examples failed:\n{result.stderr[-4000:]}"


def test_every_page_is_checked() -> None:
    """The README and the guide must carry runnable examples (a guard against a bad regex)."""
    names = {page.name for page in pages_with_examples()}
    assert {"README.md", "guide.md"} <= names

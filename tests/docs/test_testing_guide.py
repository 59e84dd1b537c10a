"""The tests of docs/testing-with-lro.md run, in a fresh pytest process, and all pass.

The page's ``<!-- pytest -->`` blocks are test code: they go, in order, into one test
file, which a separate ``pytest`` runs in an empty directory. The fixtures come from the
installed entry point, exactly as in a user's project (this suite itself runs with
``-p no:lro``).
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
PAGE = ROOT / "docs" / "testing-with-lro.md"
BLOCK = re.compile(r"<!-- pytest -->\s*```python\n(.*?)```", re.S)


def test_the_testing_guide_tests_pass(tmp_path: Path) -> None:
    blocks = BLOCK.findall(PAGE.read_text(encoding="utf-8"))
    tests = [
        line
        for block in blocks
        for line in block.splitlines()
        if line.startswith("def test_") or line.startswith("async def test_")
    ]
    assert len(tests) >= 10, "the page's test blocks were not found"
    (tmp_path / "test_guide.py").write_text("\n\n".join(blocks), encoding="utf-8")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "--strict-markers",
            # An unclosed connection would be a test that leaks: an error here.
            "-W",
            "error::ResourceWarning",
            "-W",
            "error::pytest.PytestUnraisableExceptionWarning",
            "test_guide.py",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = result.stdout[-4000:] + result.stderr[-2000:]
    assert result.returncode == 0, output
    assert re.search(rf"\b{len(tests)} passed\b", result.stdout), output
    assert "skipped" not in result.stdout, output

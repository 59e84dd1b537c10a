"""The benchmark harness keeps working: ``bench/run.py --quick`` exits 0 and writes a
results table with every section. A harness check only: no timing is asserted."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SECTIONS = (
    "1 import",
    "2 per-call",
    "3 decode",
    "4 waiting",
    "5 server",
    "6 scaling",
    "7 one-shot",
)


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_quick_run_writes_a_table_with_every_section(tmp_path: Path) -> None:
    out = tmp_path / "results.md"
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run.py"), "--quick", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=280,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    text = out.read_text(encoding="utf-8")
    assert "| Section | Measurement |" in text
    for section in SECTIONS:
        assert f"| {section} |" in text, f"section {section!r} missing from the table"
    assert "harness error" not in text
    assert done.stdout.count("| Section | Measurement |") == 1  # one table printed

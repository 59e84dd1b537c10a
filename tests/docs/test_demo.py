"""``make demo`` (``python -m lro.demo``) runs its whole tour and prints what it says."""

from __future__ import annotations

import subprocess
import sys

import pytest

# Slow tier: runs the docs' examples, the demo or the site build as processes (and a browser).
pytestmark = pytest.mark.slow


def test_demo_tour_runs_to_the_end() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "lro.demo"],
        capture_output=True,
        text=True,
        timeout=90,  # the tour takes about 5 s; a wait that never ends fails here
    )
    assert result.returncode == 0, result.stderr[-4000:]
    out = result.stdout
    for step in range(1, 7):
        assert f"\n{step}. " in out, (step, out)
    assert "done=True result={'@type': 'type.googleapis.com/demo.Out', 'rows': 42}" in out
    assert "progress 100%  done=True" in out
    assert "Internal: INTERNAL: simulated failure" in out
    assert "reason=SIMULATED_FAILURE domain=lro.example" in out
    assert "Cancelled: CANCELLED: operation cancelled" in out
    assert "20/20 done" in out and "24 unseen results; marking them seen" in out
    assert out.rstrip().endswith("0 unseen now")

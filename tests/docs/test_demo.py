"""``make demo`` (``python -m lro.demo``) runs its whole tour and prints what it says."""

from __future__ import annotations

import re
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


def test_each_step_shows_its_code_and_where_it_lives() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "lro.demo"], capture_output=True, text=True, timeout=90
    )
    assert result.returncode == 0, result.stderr[-4000:]
    steps = result.stdout.split("\n\n")[1:]
    assert len(steps) == 6
    for step in steps:
        title, *rest = step.splitlines()
        assert re.search(r"\[\S*lro/demo\.py:\d+\]$", title), title
        code = [line for line in rest if line.startswith("   | ")]
        assert code and rest.index("   ->") == len(code)  # the code, then the output
        assert '"""' not in "".join(code)  # the body, not the docstring
    assert "   | (slow,) = server.simulate(count=1, duration=60.0)" in result.stdout

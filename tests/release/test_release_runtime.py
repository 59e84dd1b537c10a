"""``make demo`` runs in a venv of the runtime alone: the lock's entries for the core with
the server and CLI extras and what they pull in (scripts/runtime_requirements.py), not
the dev toolchain; the venv is consistent (``pip check``) and the tour runs in it."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
from release_support import ROOT

# Slow tier: builds a runtime venv with make and runs the tour (processes).
pytestmark = pytest.mark.slow

DEV_ONLY = {"pytest", "mypy", "ruff", "mkdocs", "schemathesis", "hypothesis", "coverage"}


def runtime_script() -> ModuleType:
    path = ROOT / "scripts" / "runtime_requirements.py"
    spec = importlib.util.spec_from_file_location("lro_runtime_requirements", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def pinned(text: str) -> set[str]:
    return {
        re.split(r"[=; ]", line, maxsplit=1)[0]
        for line in text.splitlines()
        if line and not line.startswith(" ")
    }


def test_the_runtime_is_the_core_and_the_extras_with_their_hashes() -> None:
    script = runtime_script()
    lock = (ROOT / "requirements" / "dev.lock").read_text(encoding="utf-8")
    text = script.runtime(lock, ["server", "cli"])
    names = pinned(text)
    assert {"pydantic", "pydantic-core", "urllib3", "h11", "click", "rich"} <= names
    assert not names & DEV_ONLY
    assert len(names) < 30
    for entry in re.sub(r"\\\n", " ", text).splitlines():
        if entry and not entry.startswith(" "):
            assert "--hash=sha256:" in entry, entry
    assert pinned(script.runtime(lock, [])) < names  # the extras add to the core


def test_make_demo_builds_a_runtime_venv_and_runs_the_tour(tmp_path: Path) -> None:
    venv = tmp_path / "demo-venv"
    result = subprocess.run(
        ["make", "-s", "demo", f"DEMO_VENV={venv}", f"PYTHON={sys.executable}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "\n1. A worker creates an operation" in result.stdout
    assert result.stdout.rstrip().endswith("0 unseen now")
    python = venv / "bin" / "python"
    installed = subprocess.run(
        [str(python), "-c", "import importlib.metadata as m; "
         "print(sorted(d.metadata['Name'].lower() for d in m.distributions()))"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert "h11" in installed and "rich" in installed
    assert not [name for name in DEV_ONLY if f"'{name}'" in installed]
    check = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "check"],
        capture_output=True,
        text=True,
    )
    assert check.returncode == 0, check.stdout + check.stderr

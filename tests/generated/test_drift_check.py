"""`make check-generated` fails, naming the files, when the spec changes without regeneration."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
    )


@pytest.mark.slow
def test_check_generated_fails_after_a_spec_edit(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    for item in ("openapi.yaml", "generator-config.yaml", ".gitignore"):
        shutil.copy(ROOT / item, repo / item)
    for folder in ("templates", "scripts", "generated"):
        # Bytecode is not part of the snapshot (the repo ignores it too).
        shutil.copytree(ROOT / folder, repo / folder, ignore=shutil.ignore_patterns("__pycache__"))
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "snapshot")
    check = [sys.executable, "scripts/generate.py", "--check"]

    clean = subprocess.run(check, cwd=repo, capture_output=True, text=True)
    assert clean.returncode == 0, clean.stdout + clean.stderr

    spec = repo / "openapi.yaml"
    text = spec.read_text(encoding="utf-8")
    edited = text.replace(
        "Output only. Name of the user or service that requested creation of the Operation.",
        "Output only. Who created the Operation.",
    )
    assert edited != text
    spec.write_text(edited, encoding="utf-8")

    drift = subprocess.run(check, cwd=repo, capture_output=True, text=True)
    assert drift.returncode == 1
    assert "generated/docs/V1Operation.md" in drift.stdout
    assert "generated/lro_api/models/v1_operation.py" in drift.stdout

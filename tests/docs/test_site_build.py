"""`make docs` builds the whole site offline, and a broken internal link fails it."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Slow tier: runs the docs' examples, the demo or the site build as processes (and a browser).
pytestmark = pytest.mark.slow


def test_docs_site_builds_in_strict_mode(site: Path) -> None:
    for page in ("index.html", "docs/guide.html", "docs/reference.html", "generated/index.html"):
        assert (site / page).is_file(), page
    reference = (site / "docs" / "reference.html").read_text(encoding="utf-8")
    assert "wait_all" in reference and "WaitPolicy" in reference  # rendered from docstrings
    model = (site / "generated" / "docs" / "V1Operation.html").read_text(encoding="utf-8")
    assert "guide.html" in model  # the generated pages lead to the wrapper's guide


def _build_docs() -> Any:
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import build_docs
    finally:
        sys.path.pop(0)
    return build_docs


def _build(source: Path, out: Path) -> subprocess.CompletedProcess[str]:
    build_docs = _build_docs()
    text = build_docs.config(out).replace(f"docs_dir: {build_docs.SOURCE}", f"docs_dir: {source}")
    config = source.parent / "mkdocs.yml"
    config.write_text(text, encoding="utf-8")
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(config)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.parametrize(
    "link", ["[gone](no-such-page.md)", "[gone](guide.md#no-such-heading)"], ids=["page", "anchor"]
)
def test_a_broken_link_or_anchor_fails_the_build(site: Path, tmp_path: Path, link: str) -> None:
    source = tmp_path / "docs-src"
    with _build_docs().locked():  # another xdist worker may be building the site now
        shutil.copytree(ROOT / "build" / "docs-src", source)  # what a build assembled
    with (source / "docs" / "cli.md").open("a", encoding="utf-8") as page:
        page.write(f"\n\nSee {link}.\n")
    result = _build(source, tmp_path / "site")
    assert result.returncode != 0
    assert "no-such" in result.stdout + result.stderr


def test_make_docs_says_how_to_serve_the_site_for_search(tmp_path: Path) -> None:
    # Search needs http:// (a browser refuses its worker's fetch from file://), so the
    # build says how to serve what it built.
    out = tmp_path / "site"
    result = subprocess.run(
        [sys.executable, "scripts/build_docs.py", "--site-dir", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert f"python3 -m http.server --directory {out} 8000" in result.stdout
    assert "search needs http://" in result.stdout
    assert (out / "search" / "search_index.json").is_file()

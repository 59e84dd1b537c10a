"""`make docs` builds the whole site offline, and a broken internal link fails it."""

from __future__ import annotations

from pathlib import Path

import pytest

# Slow tier: runs the docs' examples, the demo or the site build as processes (and a browser).
pytestmark = pytest.mark.slow


def test_docs_site_builds_in_strict_mode(site: Path) -> None:
    for page in ("index.html", "docs/guide.html", "docs/reference.html", "generated/index.html"):
        assert (site / page).is_file(), page
    reference = (site / "docs" / "reference.html").read_text(encoding="utf-8")
    assert "wait_all" in reference and "WaitPolicy" in reference  # rendered from docstrings
    model = (site / "generated" / "docs" / "V1Operation.html").read_text(encoding="utf-8")
    assert "guide.html" in model  # the generated pages lead to the wrapper's guide

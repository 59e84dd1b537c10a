"""The generated README and pages read as this project's documentation: none of the
generator's boilerplate (placeholder repositories, ``setup.py install``, ``sudo pip``),
no text escaped for code (``{\\"operation\\": …}``, ``&#39;``), no link to an anchor the
page lacks. They are made from templates/ (README.mustache, model_doc.mustache)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "generated" / "README.md", *sorted((ROOT / "generated" / "docs").glob("*.md"))]
BOILERPLATE = ["GIT_USER_ID", "GIT_REPO_ID", "setup.py install", "sudo ", "## Author\n"]
ESCAPED = ['\\"', "&#39;", "&quot;"]


def _anchor(heading: str) -> str:
    """The id mkdocs (Python-Markdown's toc) gives a heading."""
    text = re.sub(r"[^\w\s-]", "", heading.strip().lower())
    return re.sub(r"[-\s]+", "-", text).strip("-")


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_no_generator_boilerplate_or_escaped_text(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    assert [b for b in BOILERPLATE if b in text] == []
    assert [e for e in ESCAPED if e in text] == []


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_link_within_the_page_has_its_anchor(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    anchors = {_anchor(h) for h in re.findall(r"^#+ (.+)$", text, re.M)}
    anchors |= set(re.findall(r'<a (?:id|name)="([^"]+)"', text))
    links = set(re.findall(r"\]\(#([^)]+)\)", text))
    assert sorted(links - anchors) == []


def test_the_readme_says_how_to_install_and_shows_the_description_unescaped() -> None:
    text = (ROOT / "generated" / "README.md").read_text(encoding="utf-8")
    assert "## Installation" in text and "pip install lro-sdk" in text
    assert '(`{"operation": …}`)' in text


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_python_example_parses_and_imports_what_it_uses(page: Path) -> None:
    for block in re.findall(r"```python\n(.*?)```", page.read_text(encoding="utf-8"), re.S):
        compile(block, page.name, "exec")
        if "os.environ" in block:
            assert "import os" in block, block[:300]

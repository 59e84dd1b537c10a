"""What a reader of the built site sees, checked in its HTML (the site of ``make docs``).

- No raw reST role anywhere: the wrapper's ``:class:`` / ``:meth:`` / ``:mod:``... roles
  are rendered as cross-references or code (scripts/rest_roles.py).
- Every generated model page shows the spec's example as JSON, no generator placeholder,
  and links to its wrapper's entry in the reference, which exists.
- The front page shows the picture of the flow.
- Nothing is fetched from the network: no web fonts, scripts or styles from elsewhere.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest
import yaml

# Slow tier: runs the docs' examples, the demo or the site build as processes (and a browser).
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
RAW_ROLE = re.compile(
    r":(?:py:)?(?:class|meth|func|mod|attr|data|exc|obj|const|ref|any|term|doc)"
    r":(?:`|<code>|&#96;|&#x60;)"
)
EXTERNAL = re.compile(r"""<(?:link|script|img|iframe)\b[^>]*\b(?:href|src)=["']?(?:https?:)?//""")


def pages(site: Path) -> list[Path]:
    return sorted(site.rglob("*.html"))


def test_no_page_shows_a_raw_rest_role(site: Path) -> None:
    found = {}
    for page in pages(site):
        hits = RAW_ROLE.findall(page.read_text(encoding="utf-8"))
        if hits:
            found[str(page.relative_to(site))] = len(hits)
    assert found == {}, f"raw reST roles (page: count): {found}"


def test_the_reference_links_its_cross_references(site: Path) -> None:
    reference = (site / "docs" / "reference.html").read_text(encoding="utf-8")
    links = re.findall(r'<a class="autorefs autorefs-internal"[^>]*href="([^"]+)"', reference)
    assert len(links) > 100  # the docstrings' roles became links
    ids = set(re.findall(r'\bid="([^"]+)"', reference))
    dangling = {href for href in links if href.startswith("#") and href[1:] not in ids}
    assert dangling == set()


def _model_pages(site: Path) -> list[Path]:
    folder = site / "generated" / "docs"
    return sorted(p for p in folder.glob("*.html") if not p.stem.endswith("Api"))


def test_every_model_page_shows_the_specs_example(site: Path) -> None:
    schemas = yaml.safe_load((ROOT / "openapi.yaml").read_text(encoding="utf-8"))["components"][
        "schemas"
    ]
    model_pages = _model_pages(site)
    assert len(model_pages) >= 20
    for page in model_pages:
        text = page.read_text(encoding="utf-8")
        assert "TODO update the JSON string" not in text, page.name
        assert 'json = "{}"' not in text, page.name
        block = re.search(r"In JSON \(the example.*?<pre>.*?<code>(.*?)</code>", text, re.S)
        assert block, f"{page.name}: no JSON example"
        shown = html.unescape(re.sub(r"<[^>]+>", "", block.group(1)))
        assert json.loads(shown) == schemas[page.stem]["example"], page.name


def test_every_model_page_links_to_its_wrapper(site: Path) -> None:
    reference = (site / "docs" / "reference.html").read_text(encoding="utf-8")
    ids = set(re.findall(r'\bid="([^"]+)"', reference))
    for page in _model_pages(site):
        text = page.read_text(encoding="utf-8")
        match = re.search(r'href="\.\./\.\./docs/reference\.html#([\w.]+)"', text)
        assert match, f"{page.name}: no link to the wrapper"
        assert match.group(1) in ids, f"{page.name}: the reference has no #{match.group(1)}"


def test_the_front_page_shows_the_flow(site: Path) -> None:
    index = (site / "index.html").read_text(encoding="utf-8")
    (src,) = re.findall(r'<img [^>]*src="([^"]*flow\.svg)"', index)
    picture = (site / src).read_text(encoding="utf-8")
    assert picture.lstrip().startswith("<svg") and "<title" in picture
    for box in ("openapi.yaml", "lro_api", "lro_server", "Wrapper"):
        assert box in picture
    assert "http" not in picture.replace("http://www.w3.org/2000/svg", "")  # self-contained


def test_the_site_fetches_nothing_from_the_network(site: Path) -> None:
    found = {}
    for page in pages(site):
        hits = EXTERNAL.findall(page.read_text(encoding="utf-8"))
        if hits:
            found[str(page.relative_to(site))] = hits[:3]
    assert found == {}
    for sheet in site.rglob("*.css"):
        text = sheet.read_text(encoding="utf-8")
        assert "fonts.googleapis" not in text and "@import url(http" not in text, sheet.name


def test_pages_use_the_theme_and_the_table_styles(site: Path) -> None:
    index = (site / "index.html").read_text(encoding="utf-8")
    assert "assets/stylesheets/main" in index  # mkdocs-material
    assert '"content.code.copy"' in index  # copy buttons on code blocks
    assert 'href="docs/css/extra.css"' in index
    css = (site / "docs" / "css" / "extra.css").read_text(encoding="utf-8")
    assert "overflow-x: auto" in css

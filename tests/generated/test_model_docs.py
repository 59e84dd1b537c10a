"""Every generated model page shows the spec's example as JSON and names its wrapper.

The examples live in ``openapi.yaml`` (each schema's ``example``); ``make generate`` hands
them to templates/model_doc.mustache as JSON text (scripts/generate.py). These tests hold
the pages to the spec: the JSON shown is the spec's example, the generated model reads
it, the generator's placeholder is gone, and the wrapper each page points to exists.
"""

from __future__ import annotations

import importlib
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

import lro_api.models

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "generated" / "docs"
SCHEMAS: dict[str, Any] = yaml.safe_load((ROOT / "openapi.yaml").read_text(encoding="utf-8"))[
    "components"
]["schemas"]
MODEL_PAGES = sorted(p for p in DOCS.glob("*.md") if not p.stem.endswith("Api"))
JSON_BLOCK = re.compile(r"```json\n(.*?)\n```", re.S)
WRAPPER = re.compile(r"wraps it as \[`([\w.]+)`\]\(\.\./\.\./docs/reference\.md#([\w.]+)\)")


def test_every_model_has_a_page() -> None:
    assert {p.stem for p in MODEL_PAGES} == set(lro_api.models.__all__)


@pytest.mark.parametrize("page", MODEL_PAGES, ids=lambda p: p.stem)
def test_page_shows_the_specs_example(page: Path) -> None:
    example = SCHEMAS[page.stem].get("example")
    assert example is not None, f"openapi.yaml: {page.stem} has no example"
    (shown,) = JSON_BLOCK.findall(page.read_text(encoding="utf-8"))
    assert json.loads(shown) == example
    assert shown == json.dumps(example, indent=2, ensure_ascii=False)


@pytest.mark.parametrize("page", MODEL_PAGES, ids=lambda p: p.stem)
def test_the_generated_model_reads_the_example(page: Path) -> None:
    model = getattr(lro_api.models, page.stem)
    example = SCHEMAS[page.stem]["example"]
    if "enum" in SCHEMAS[page.stem]:
        assert model(example).value == example
        return
    parsed = model.from_json(json.dumps(example))
    assert parsed is not None
    # to_json() leaves out readOnly fields (a generator trap lro.Operation repairs); every
    # other field comes back as it went in, apart from how timestamps are written.
    assert_kept(json.loads(parsed.to_json()), example)


def assert_kept(again: Any, original: Any, key: str = "") -> None:
    """``again`` is ``original`` with some keys left out (timestamps compared as such)."""
    if isinstance(again, dict):
        assert again, f"{key}: nothing left"
        for name, value in again.items():
            assert name in original, name
            assert_kept(value, original[name], name)
    elif isinstance(again, list):
        assert len(again) == len(original), key
        for value, before in zip(again, original, strict=True):
            assert_kept(value, before, key)
    elif key.endswith("Time"):
        assert again[:19] == original[:19], key
    else:
        assert again == original, key


@pytest.mark.parametrize("page", MODEL_PAGES, ids=lambda p: p.stem)
def test_page_points_to_an_existing_wrapper(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    match = WRAPPER.search(text)
    assert match, f"{page.name}: no line pointing to the wrapper"
    shown, anchor = match.groups()
    assert shown == anchor == SCHEMAS[page.stem]["x-lro-wrapper"]
    parts = shown.split(".")
    for cut in range(len(parts), 0, -1):  # the longest importable prefix, then attributes
        try:
            target: Any = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        break
    for part in parts[cut:]:
        target = getattr(target, part)  # raises if the wrapper was renamed


def test_no_generator_placeholder_is_left() -> None:
    for page in DOCS.glob("*.md"):
        text = page.read_text(encoding="utf-8")
        assert "TODO update the JSON string" not in text, page.name
        assert 'json = "{}"' not in text, page.name


@pytest.mark.parametrize("page", MODEL_PAGES, ids=lambda p: p.stem)
def test_property_rows_have_four_cells(page: Path) -> None:
    # Descriptions are written unescaped (so their `code` renders): none may break a row.
    rows = [line for line in page.read_text(encoding="utf-8").splitlines() if line[:2] == "**"]
    for row in rows:
        assert row.count(" | ") == 3, row

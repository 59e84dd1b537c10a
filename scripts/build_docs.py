"""Build the documentation site offline into ``site/`` (``make docs``).

The site is assembled from two sources so that relative links work the same
on disk, on a code host and in the built site:

* ``docs/`` — the hand-written guide, architecture and the wrapper's API
  reference (rendered from docstrings by mkdocstrings);
* ``generated/README.md`` and ``generated/docs/`` — the model and API pages
  that the generator writes from ``openapi.yaml`` (their templates link back
  to the guide).

``CHANGELOG.md`` is copied next to them (the release notes, linked from the
docs).

Both are copied under ``build/docs-src/`` keeping their repo-relative paths,
and mkdocs runs in strict mode, so a broken internal link fails the build.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "build" / "docs-src"
SITE = ROOT / "site"

#: Printed after a build. Material's search runs in a web worker that fetches the index,
#: which browsers refuse for pages opened from file:// (its offline plugin would load a
#: shim from the network instead): pages read fine from disk, search needs HTTP.
SERVE_HINT = (
    "read it: python3 -m http.server --directory {site} 8000, then open "
    "http://127.0.0.1:8000/ (search needs http://; opened as a file, the pages work "
    "but search does not)"
)

NAV = [
    {"Home": "index.md"},
    {"User guide": "docs/guide.md"},
    {"Command line": "docs/cli.md"},
    {"Testing with lro": "docs/testing-with-lro.md"},
    {"Architecture": "docs/architecture.md"},
    {"Reliability": "docs/reliability.md"},
    {"Testing the SDK": "docs/testing.md"},
    {"Benchmarks": "docs/benchmarks.md"},
    {"Releasing": "docs/releasing.md"},
    {"Changelog": "CHANGELOG.md"},
    {"Wrapper reference": "docs/reference.md"},
    {"Generated layer": "generated/README.md"},
]


@contextlib.contextmanager
def locked() -> Iterator[None]:
    """Hold the build directory alone: two builds at once (a test run's xdist workers each
    build the site) would assemble into the same ``build/docs-src``."""
    SOURCE.parent.mkdir(exist_ok=True)
    with open(SOURCE.parent / "docs.lock", "w") as lock:
        try:
            import fcntl
        except ImportError:  # not POSIX: builds are not run concurrently there
            yield
            return
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def assemble() -> None:
    shutil.rmtree(SOURCE, ignore_errors=True)
    shutil.copytree(ROOT / "docs", SOURCE / "docs")
    shutil.copytree(ROOT / "generated" / "docs", SOURCE / "generated" / "docs")
    shutil.copy(ROOT / "generated" / "README.md", SOURCE / "generated" / "README.md")
    for page in (SOURCE / "generated").rglob("*.md"):
        # The generator's "[optional] [readonly]" notes read as a reference-style link
        # to Markdown; a non-breaking join keeps them plain text in the site only.
        text = page.read_text(encoding="utf-8")
        page.write_text(text.replace("] [readonly]", "]&#32;[readonly]"), encoding="utf-8")
    bench_results = ROOT / "bench" / "results.md"
    if bench_results.exists():
        (SOURCE / "bench").mkdir()
        shutil.copy(bench_results, SOURCE / "bench" / "results.md")
    shutil.copy(ROOT / "CHANGELOG.md", SOURCE / "CHANGELOG.md")
    # The site's home page is the repo README, with its links rebased to the site root.
    (SOURCE / "index.md").write_text((ROOT / "README.md").read_text(encoding="utf-8"))


def config(site: Path = SITE) -> str:
    """The mkdocs configuration: Material, offline (no web fonts, no plugin that fetches)."""
    nav = "\n".join(f"  - {title}: {path}" for entry in NAV for title, path in entry.items())
    return f"""site_name: lro-sdk
docs_dir: {SOURCE}
site_dir: {site}
strict: true
use_directory_urls: false
theme:
  name: material
  # No Google Fonts: the system's fonts, so the site builds and reads offline.
  font: false
  features:
    - content.code.copy
    - navigation.sections
    - navigation.top
    - search.highlight
    - toc.follow
  palette:
    - scheme: default
      primary: indigo
      accent: indigo
extra_css:
  - docs/css/extra.css
markdown_extensions:
  - tables
  - admonition
  - attr_list
  - md_in_html
  - toc:
      permalink: true
  - pymdownx.highlight:
      anchor_linenums: false
  - pymdownx.inlinehilite
  - pymdownx.superfences
validation:
  omitted_files: ignore
  absolute_links: info
  unrecognized_links: warn
  # A link to an anchor a page lacks fails the (strict) build like a missing page.
  anchors: warn
  links:
    not_found: warn
nav:
{nav}
plugins:
  - search
  - mkdocstrings:
      handlers:
        python:
          paths: [{ROOT / "wrapper"}, {ROOT / "generated"}]
          options:
            show_source: false
            # Each object under its full name (lro.Client), its members under it.
            show_root_heading: true
            show_root_full_path: true
            show_symbol_type_heading: true
            show_symbol_type_toc: true
            heading_level: 3
            inherited_members: true
            members_order: source
            docstring_style: google
            show_signature_annotations: true
            separate_signature: true
            # The docstrings' reST roles (:class:, :meth:, ...) become cross-references.
            extensions:
              - {ROOT / "scripts" / "rest_roles.py"}:RestRoles
"""


def main() -> None:
    parser = argparse.ArgumentParser(description="Build the documentation site offline.")
    parser.add_argument("--site-dir", type=Path, default=SITE, help="default: site/")
    site = parser.parse_args().site_dir.resolve()
    with locked():
        assemble()
        config_file = ROOT / "build" / "mkdocs.yml"
        config_file.write_text(config(site), encoding="utf-8")
        result = subprocess.run(
            [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(config_file)],
            cwd=ROOT,
            # Material's banner about MkDocs 2 (printed on every build) says nothing about ours.
            env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        )
    if result.returncode != 0:
        sys.exit("docs build failed (strict mode: a broken link or a warning fails it)")
    shown = site.relative_to(ROOT) if site.is_relative_to(ROOT) else site
    print(f"docs built into {shown}/")
    print(SERVE_HINT.format(site=shown))


if __name__ == "__main__":
    main()

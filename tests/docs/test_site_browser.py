"""The built site in a real browser: no page overflows sideways on a 1280-pixel viewport.

Headless Chromium (the Debian package ``chromium``; ``.ci/run`` installs it where
``apt-get`` exists) opens one check page, served with the site over loopback HTTP. It loads
every page of the site in turn into a 1280x900 frame, lets the theme's scripts run, and
records for each page:

- whether the page itself scrolls sideways (the document is wider than the viewport);
- every table wider than the text column that is not inside a box that scrolls
  sideways (such a table is cut off: its right-hand columns cannot be read), or whose
  cells do not wrap their text (each a single line running off the column);
- every other element that sticks out of the text column, unscrollable.

Without Chromium the test is skipped, and says why in the test output (``-ra``).
"""

from __future__ import annotations

import contextlib
import functools
import html
import http.server
import json
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

# Slow tier: runs the docs' examples, the demo or the site build as processes (and a browser).
pytestmark = pytest.mark.slow

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
VIEWPORT = (1280, 900)
CHECK_PAGE = "__layout_check.html"

#: Runs in the check page: loads each page into the frame and measures it.
CHECK_SCRIPT = """
const pages = %(pages)s;
const results = {};
const frame = document.getElementById("frame");

function scrollsSideways(el, win) {
  for (let box = el.parentElement; box; box = box.parentElement) {
    const overflow = win.getComputedStyle(box).overflowX;
    if ((overflow === "auto" || overflow === "scroll") && box.tagName !== "HTML"
        && box.tagName !== "BODY") return true;
  }
  return false;
}

function describe(el) {
  const text = (el.textContent || "").trim().replace(/\\s+/g, " ").slice(0, 60);
  return el.tagName.toLowerCase() + (el.className && typeof el.className === "string"
    ? "." + el.className.trim().split(/\\s+/).join(".") : "") + " \\"" + text + "\\"";
}

function measure(win) {
  const doc = win.document;
  const problems = [];
  const width = win.innerWidth;
  if (doc.documentElement.scrollWidth > width + 1) {
    problems.push("the page scrolls sideways: " + doc.documentElement.scrollWidth + "px wide");
  }
  // The text column: between the navigation and the table of contents.
  const column = doc.querySelector(".md-content") || doc.body;
  const right = Math.min(column.getBoundingClientRect().right, width) + 1;
  for (const table of column.querySelectorAll("table")) {
    const wide = table.getBoundingClientRect().right > right
      || table.scrollWidth > table.clientWidth + 1;
    if (!wide) continue;
    const scrolls = scrollsSideways(table, win)
      || /(auto|scroll)/.test(win.getComputedStyle(table).overflowX);
    if (!scrolls) problems.push("table cut off: " + describe(table));
    // Scrolling is for tables that cannot be narrower; prose in cells that will not wrap
    // (one line per cell) runs off the column, to be read a screen-width at a time.
    const unwrapped = [...table.querySelectorAll("td")].find((cell) =>
      /^(nowrap|pre)$/.test(win.getComputedStyle(cell).whiteSpace)
      && /\\S\\s+\\S/.test(cell.textContent));
    if (unwrapped) problems.push("table cells do not wrap: " + describe(unwrapped));
  }
  for (const el of column.querySelectorAll("*")) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.height === 0 || box.right <= right) continue;
    if (el.closest("table") || scrollsSideways(el, win)) continue;
    const by = Math.round(box.right - right);
    problems.push("sticks out of the text column by " + by + "px: " + describe(el));
    if (problems.length > 20) break;
  }
  return problems;
}

function next(index) {
  if (index >= pages.length) {
    document.getElementById("results").textContent = JSON.stringify(results);
    document.title = "done";
    return;
  }
  // Measured once the page's own scripts have run (the theme wraps tables on load).
  frame.onload = () => setTimeout(() => {
    try { results[pages[index]] = measure(frame.contentWindow); }
    catch (error) { results[pages[index]] = ["could not be measured: " + error]; }
    next(index + 1);
  }, 200);
  frame.src = pages[index];
}
next(0);
"""


def browser() -> str | None:
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    return None


@contextlib.contextmanager
def served(folder: Path) -> Iterator[str]:
    """``folder`` over HTTP on a free loopback port (one origin for the frame's pages)."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    handler = functools.partial(Quiet, directory=str(folder))
    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_address[1]}"
        finally:
            server.shutdown()


def measure_pages(chromium: str, site: Path, pages: list[str]) -> dict[str, list[str]]:
    """Load every page into a 1280-pixel frame in one headless Chromium; the problems."""
    width, height = VIEWPORT
    script = CHECK_SCRIPT % {"pages": json.dumps(pages)}
    (site / CHECK_PAGE).write_text(
        f"<!doctype html><html><head><title>checking</title></head><body style='margin:0'>"
        f"<iframe id='frame' style='width:{width}px;height:{height}px;border:0'></iframe>"
        f"<pre id='results'></pre><script>{script}</script></body></html>",
        encoding="utf-8",
    )
    with served(site) as url:
        result = subprocess.run(
            [
                chromium,
                "--headless",
                "--no-sandbox",  # CI runs as root
                "--disable-gpu",
                "--hide-scrollbars",  # the frame's viewport is the full 1280 pixels
                "--no-first-run",
                "--disable-extensions",
                f"--window-size={width + 40},{height + 200}",
                "--virtual-time-budget=600000",
                "--dump-dom",
                f"{url}/{CHECK_PAGE}",
            ],
            capture_output=True,
            text=True,
            timeout=600,
        )
    found = re.search(r'<pre id="results">(.*?)</pre>', result.stdout, re.S)
    assert found and found.group(1), (
        f"Chromium did not finish the check (exit {result.returncode}):\n"
        f"{result.stdout[-2000:]}\n{result.stderr[-2000:]}"
    )
    measured: dict[str, list[str]] = json.loads(html.unescape(found.group(1)))
    return measured


@pytest.mark.timeout(600)
def test_no_page_overflows_a_1280_pixel_viewport(site: Path) -> None:
    chromium = browser()
    if chromium is None:
        pytest.skip(
            "Chromium is not installed (Debian: apt-get install chromium), so the site's "
            "layout was not checked in a browser; .ci/run installs it where apt-get exists"
        )
    pages = sorted(
        str(page.relative_to(site))
        for page in site.rglob("*.html")
        if page.name not in (CHECK_PAGE, "404.html")
    )
    assert len(pages) > 30
    measured = measure_pages(chromium, site, pages)
    assert sorted(measured) == pages, "some pages were not measured"
    problems = {page: found for page, found in measured.items() if found}
    assert problems == {}, json.dumps(problems, indent=2)


@pytest.mark.timeout(300)
def test_the_check_sees_cut_off_tables_and_sideways_pages(tmp_path: Path) -> None:
    """The measurement itself: a table cut off by its box, a page wider than the viewport
    and a table that scrolls in its box (fine) are told apart."""
    chromium = browser()
    if chromium is None:
        pytest.skip("Chromium is not installed (Debian: apt-get install chromium)")
    row = "<tr>" + "<td>unbreakable_" + "x" * 200 + "</td></tr>"
    table = f"<table>{row * 3}</table>"
    pages = {
        "cut.html": f"<div class='md-content' style='width:600px;overflow:hidden'>{table}</div>",
        "wide.html": "<div class='md-content'><div style='width:2000px'>wide</div></div>",
        "fine.html": f"<div class='md-content' style='width:600px'>"
        f"<div style='overflow-x:auto'>{table}</div></div>",
        "nowrap.html": "<div class='md-content' style='width:600px'><div style='overflow:auto'>"
        "<table><tr><td style='white-space:nowrap'>" + "words that could wrap " * 20 + "</td>"
        "</tr></table></div></div>",
    }
    for name, body in pages.items():
        (tmp_path / name).write_text(f"<!doctype html><html><body>{body}</body></html>")
    measured = measure_pages(chromium, tmp_path, sorted(pages))
    assert any("table cut off" in problem for problem in measured["cut.html"])
    assert any("scrolls sideways" in problem for problem in measured["wide.html"])
    assert measured["fine.html"] == []
    assert any("cells do not wrap" in problem for problem in measured["nowrap.html"])

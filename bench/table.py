"""The one results table (Markdown), printed and written to the results file."""

from __future__ import annotations

import os
import platform
import sys
from collections.abc import Sequence

from .common import Row

HEADER = (
    "Section",
    "Measurement",
    "Workload",
    "Measured",
    "Baseline (same run)",
    "Ratio: median (min-max)",
    "Target",
    "Met",
)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_table(rows: Sequence[Row]) -> str:
    """Rows as a Markdown table."""
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    for row in rows:
        cells = (
            row.section,
            row.measurement,
            row.workload,
            row.value,
            row.baseline,
            row.ratio,
            row.target,
            row.met,
        )
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return "\n".join(lines)


def machine() -> str:
    """One line describing where the numbers came from."""
    return (
        f"Python {platform.python_version()} ({sys.implementation.name}), "
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs"
    )


def render_document(
    rows: Sequence[Row], notes: Sequence[str], *, quick: bool, wall_s: float, when: str
) -> str:
    """The results file: provenance, the table, the footnotes."""
    mode = "quick (`bench/run.py --quick`)" if quick else "full (`make bench`)"
    parts = [
        "# Benchmark results",
        "",
        f"Run: {when}, {mode}, {wall_s:.0f} s wall. Machine: {machine()}.",
        "Ratios compare lro with a baseline measured in the same run on the same machine;",
        "absolute times are shown for orientation only. Method: [docs/benchmarks.md]"
        "(../docs/benchmarks.md).",
        "",
        render_table(rows),
    ]
    if notes:
        parts += ["", "Notes:", ""] + [f"- {note}" for note in notes]
    return "\n".join(parts) + "\n"

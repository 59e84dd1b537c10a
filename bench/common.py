"""What every benchmark module shares: result rows, summaries of repeated runs, verdicts.

A module exposes ``run(ctx: Context) -> list[Row]``. It raises :class:`NotMeasured` (or
returns rows whose verdict is ``n/a``) when a piece it needs is missing; any other
exception is a harness error and makes ``bench/run.py`` exit non-zero.
"""

from __future__ import annotations

import statistics
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "bench"
PYTHON = sys.executable

MET = "yes"
MISSED = "**no**"
NA = "n/a"
INFO = "info"


class NotMeasured(Exception):
    """A measurement cannot be taken here (a piece of the SDK or a baseline is missing)."""


@dataclass(frozen=True)
class Context:
    """Run-wide settings passed to every section."""

    quick: bool
    notes: list[str] = field(default_factory=list)

    def pick(self, quick: int, full: int) -> int:
        """The quick or the full value of a repeat count or size."""
        return quick if self.quick else full

    def note(self, text: str) -> None:
        """Adds a footnote printed below the table."""
        self.notes.append(text)


@dataclass(frozen=True)
class Stat:
    """Median and range of repeated samples."""

    median: float
    lo: float
    hi: float
    n: int

    @classmethod
    def of(cls, samples: Sequence[float]) -> Stat:
        if not samples:
            raise ValueError("no samples")
        return cls(statistics.median(samples), min(samples), max(samples), len(samples))

    def show(self, fmt: Callable[[float], str]) -> str:
        """``median (min-max)`` with the given number format."""
        if self.lo == self.hi:
            return fmt(self.median)
        return f"{fmt(self.median)} ({fmt(self.lo)}-{fmt(self.hi)})"


def ms(seconds: float) -> str:
    """Seconds shown as milliseconds."""
    value = seconds * 1000
    return f"{value:.0f} ms" if abs(value) >= 100 else f"{value:.1f} ms"


def us(seconds: float) -> str:
    """Seconds shown as microseconds."""
    return f"{seconds * 1e6:.0f} µs"


def secs(seconds: float) -> str:
    """Seconds with two decimals."""
    return f"{seconds:.2f} s"


def times(ratio: float) -> str:
    """A ratio such as ``1.23x``."""
    if abs(ratio) >= 100:
        return f"{ratio:.0f}x"
    return f"{ratio:.2f}x" if abs(ratio) >= 0.1 or ratio == 0 else f"{ratio:.2g}x"


def count(value: float) -> str:
    """A request count (integer when whole)."""
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


def verdict(ok: bool) -> str:
    """The "meets target" cell."""
    return MET if ok else MISSED


@dataclass(frozen=True)
class Row:
    """One line of the results table."""

    section: str
    measurement: str
    workload: str
    value: str
    baseline: str
    ratio: str
    target: str
    met: str

    @classmethod
    def not_measured(cls, section: str, measurement: str, why: str) -> Row:
        """A row for something that could not be measured, saying why."""
        return cls(section, measurement, why, "—", "—", "—", "—", NA)


def installed(module: str) -> bool:
    """Whether ``module`` can be imported (without importing it; a missing parent package
    counts as missing)."""
    import importlib.util

    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def ratios(numerators: Sequence[float], denominators: Sequence[float]) -> list[float]:
    """Pairwise ratios of repeated runs (run i of the SDK against run i of the baseline)."""
    return [a / b for a, b in zip(numerators, denominators, strict=True) if b > 0]

"""RFC 3339 timestamps (``Z``, up to nine fractional digits) as float epoch seconds."""

from __future__ import annotations

import calendar
import time


def epoch(text: str) -> float:
    """``2025-01-02T03:04:05.123456789Z`` -> seconds since the epoch (UTC)."""
    if not text.endswith("Z"):
        raise ValueError(f"expected a UTC timestamp ending in Z: {text!r}")
    whole, _, fraction = text[:-1].partition(".")
    seconds = calendar.timegm(time.strptime(whole, "%Y-%m-%dT%H:%M:%S"))
    return seconds + (int(fraction) / 10 ** len(fraction) if fraction else 0.0)

"""Shared constants and helpers of the client tests."""

from __future__ import annotations

from typing import Any

from lro._core.retry import Retry

TOKEN = "s3cr3t-t0ken-VALUE-4242"

#: The default policy's shape with tiny sleeps, to keep the suite fast.
FAST_RETRY = Retry(initial=0.001, maximum=0.02, deadline=5.0, max_attempts=5)

JOB = "type.googleapis.com/test.Job"
OUT = "type.googleapis.com/test.Out"


def job(**fields: Any) -> dict[str, Any]:
    """A metadata Any."""
    return {"@type": JOB, **fields}


def out(**fields: Any) -> dict[str, Any]:
    """A response Any."""
    return {"@type": OUT, **fields}

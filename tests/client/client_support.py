"""Shared constants and helpers of the client tests."""

from __future__ import annotations

from typing import Any

TOKEN = "s3cr3t-t0ken-VALUE-4242"

JOB = "type.googleapis.com/test.Job"
OUT = "type.googleapis.com/test.Out"


def job(**fields: Any) -> dict[str, Any]:
    """A metadata Any."""
    return {"@type": JOB, **fields}


def out(**fields: Any) -> dict[str, Any]:
    """A response Any."""
    return {"@type": OUT, **fields}

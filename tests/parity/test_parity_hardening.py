"""Issue 22, the client half: both halves fail alike, one test body each (sync and async).

Nested ``Any`` (22.4), Latin-1 credentials, multi-member and garbled gzip bodies (22.5)
and numbers JSON cannot hold as floats (22.6), against the reference server or, for what
it cannot show, a hostile loopback server (``hostile_peer.py``).
"""

from __future__ import annotations

from typing import Any

import pydantic
import pytest
from parity_support import Side

import lro
from lro._core.anys import MAX_ANY_DEPTH

parity = pytest.mark.parity

JOB = "type.googleapis.com/test.Job"
ANY = "type.googleapis.com/google.protobuf.Any"


class Job(pydantic.BaseModel):
    step: int


def nested_any(depth: int) -> dict[str, Any]:
    """A ``test.Job`` Any wrapped in ``depth`` google.protobuf.Any wrappers."""
    value: dict[str, Any] = {"@type": JOB, "step": 7}
    for _ in range(depth):
        value = {"@type": ANY, "value": value}
    return value


# -- 22.4: an Any wrapping an Any, 300 deep ------------------------------------------------


@parity(
    "client.create",
    "client.finalize",
    "client.get",
    "operation.response_as",
    "operation.metadata_as",
    "operation.result",
    "operation.response",
)
def test_anys_nested_300_deep_are_refused_with_an_lro_error(side: Side) -> None:
    """It was a bare RecursionError: unpack recursed four frames per wrapper."""
    c = side.client()
    deep = nested_any(300)
    op = c.finalize(c.create(deep).name, response=deep)
    got = c.get(op.name)
    assert got.response == deep  # the data itself is kept, whole
    attempts = [
        lambda: got.response_as(Job),
        lambda: got.metadata_as(Job),
        lambda: got.result(as_type=Job),
        lambda: lro.unpack(got.response),
        lambda: lro.unpack(got.response, Job),
    ]
    for attempt in attempts:
        with pytest.raises(lro.AnyTypeError, match=r"more than 100 deep"):
            attempt()


@parity("client.create", "client.finalize", "operation.response_as", "operation.result")
def test_anys_nested_up_to_the_limit_unpack_to_the_innermost(side: Side) -> None:
    c = side.client()
    op = c.finalize(c.create(nested_any(3)).name, response=nested_any(MAX_ANY_DEPTH))
    assert op.response_as(Job) == Job(step=7)
    assert op.result(as_type=Job) == Job(step=7)
    with pytest.raises(lro.AnyTypeError, match=r"more than 100 deep"):
        lro.unpack(nested_any(MAX_ANY_DEPTH + 1))

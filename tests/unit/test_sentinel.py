"""One "no timeout given" sentinel: every wait-like signature defaults to the same object."""

from __future__ import annotations

import copy
import inspect
import pickle

import lro
import lro.aio
from lro._core import deadlines
from lro._core.defaults import DEFAULT


def test_one_sentinel_object() -> None:
    assert deadlines.DEFAULT is DEFAULT
    assert copy.deepcopy(DEFAULT) is DEFAULT
    assert pickle.loads(pickle.dumps(DEFAULT)) is DEFAULT
    assert repr(DEFAULT) == "DEFAULT" and not DEFAULT


def test_every_timeout_default_is_the_sentinel() -> None:
    owners = [lro.Client, lro.Operation, lro.aio.AsyncClient, lro.aio.AsyncOperation]
    checked = []
    for owner in owners:
        for name in ("wait", "watch", "result"):
            member = getattr(owner, name, None)
            if member is None:
                continue
            parameter = inspect.signature(member).parameters.get("timeout")
            if parameter is not None and parameter.default is not None:
                assert parameter.default is DEFAULT, f"{owner.__name__}.{name}"
                checked.append(f"{owner.__name__}.{name}")
    for function in (lro.wait_all, lro.as_completed):
        assert inspect.signature(function).parameters["timeout"].default is DEFAULT
    assert len(checked) >= 6

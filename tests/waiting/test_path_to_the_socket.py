"""The path of a wait to the socket is the short one docs/architecture.md writes down.

Each test waits for a real operation on the reference server with a profiler watching
which of ``lro``'s functions are on the stack each time a request enters the HTTP
library (urllib3 for the sync client, httpx for the async one). A layer added between
the client's ``wait`` and its transport, or a hop the page no longer names, fails here.
"""

from __future__ import annotations

import asyncio
import importlib
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

import pytest
from suite_support import FAST_RETRY

import lro
from lro._core.wait_policy import WaitPolicy
from lro._sync.client import Client
from lro.aio import AsyncClient
from lro_server import ManualClock, RunningServer

LRO = Path(lro.__file__).parent
ARCHITECTURE = Path(__file__).parents[2] / "docs" / "architecture.md"

#: The sync client's frames, outermost first, when a poll's request reaches urllib3.
SYNC_PATH = [
    "_sync/client.py:Client.wait",
    "_sync/waiting.py:wait",
    "_sync/waiting.py:snapshots",
    "_sync/client.py:Client._poll",
    "_sync/client.py:Client._run",
    "_sync/client.py:Client._exchange",
    "_sync/transport.py:Transport.send",
]
#: The async client's: the same hops, plus ``race_stop`` (which lets a ``stop`` event
#: cancel the request in flight), the request's deadline (``_within``: asyncio.timeout)
#: and the transport's own exchange with httpx.
ASYNC_PATH = [
    "_async/client.py:AsyncClient.wait",
    "_async/waiting.py:async_wait",
    "_async/waiting.py:async_snapshots",
    "_async/primitives.py:race_stop",
    "_async/client.py:AsyncClient._poll",
    "_async/client.py:AsyncClient._run",
    "_async/client.py:AsyncClient._exchange",
    "_async/transport.py:AsyncTransport.send",
    "_async/transport.py:_within",
    "_async/transport.py:AsyncTransport._exchange",
]
POLICIES = {
    "long-poll": WaitPolicy(wait_window=0.5),
    "get-polling": WaitPolicy(long_poll=False, initial_delay=0.2, max_delay=0.2, jitter=0),
}


#: Where OpenTelemetry's client span wraps an attempt, when a tracer provider is set
#: (one set by an earlier test of the process stays set: the API allows one).
SPAN = {"_tracing.py:Tracing.send", "_tracing.py:Tracing.send_async"}


def _lro_frames(frame: FrameType | None) -> list[str]:
    """``lro``'s frames on the stack below ``frame``, outermost first, as file:function
    (the span around an attempt left out)."""
    found = []
    while frame is not None:
        path = Path(frame.f_code.co_filename)
        if path.is_relative_to(LRO):
            found.append(f"{path.relative_to(LRO).as_posix()}:{frame.f_code.co_qualname}")
        frame = frame.f_back
    return [hop for hop in found[::-1] if hop not in SPAN]


@contextmanager
def _stacks_at(entry: Callable[[FrameType], bool]) -> Iterator[list[list[str]]]:
    """The ``lro`` stacks seen each time a function accepted by ``entry`` is called."""
    stacks: list[list[str]] = []

    def profile(frame: FrameType, event: str, _arg: Any) -> None:
        if event == "call" and entry(frame):
            stacks.append(_lro_frames(frame.f_back))

    sys.setprofile(profile)
    try:
        yield stacks
    finally:
        sys.setprofile(None)


def _urllib3_urlopen(frame: FrameType) -> bool:
    code = frame.f_code
    return code.co_name == "urlopen" and code.co_filename.endswith("urllib3/poolmanager.py")


def _httpx_send(frame: FrameType) -> bool:
    code = frame.f_code
    return code.co_qualname == "AsyncClient.send" and "httpx" in code.co_filename


@pytest.mark.parametrize("mode", POLICIES)
def test_each_poll_of_a_sync_wait_takes_the_documented_hops(
    srv: RunningServer, virtual_clock: ManualClock, mode: str
) -> None:
    (started,) = srv.simulate(count=1, duration=2.0)
    client = Client(srv.url, retry=FAST_RETRY, clock=virtual_clock)
    with client, _stacks_at(_urllib3_urlopen) as stacks:
        final = client.wait(started["name"], timeout=60, policy=POLICIES[mode])
    assert final.done
    assert len(stacks) >= 3  # several polls: the path holds for each, not just the first
    assert all(stack == SYNC_PATH for stack in stacks), "\n".join(stacks[0])


@pytest.mark.parametrize("mode", POLICIES)
def test_each_poll_of_an_async_wait_takes_the_same_hops(
    srv: RunningServer, virtual_clock: ManualClock, mode: str
) -> None:
    (started,) = srv.simulate(count=1, duration=2.0)

    async def main() -> lro.AsyncOperation:
        async with AsyncClient(srv.url, retry=FAST_RETRY, clock=virtual_clock) as client:
            with _stacks_at(_httpx_send) as stacks:
                final = await client.wait(started["name"], timeout=60, policy=POLICIES[mode])
        assert len(stacks) >= 3
        assert all(stack == ASYNC_PATH for stack in stacks), "\n".join(stacks[0])
        return final

    assert asyncio.run(main()).done


def _documented_hops() -> list[str]:
    """The numbered hops of docs/architecture.md's "The path of a wait", as file:function
    (the first one each step names)."""
    text = ARCHITECTURE.read_text(encoding="utf-8")
    section = text.split("## The path of a wait", 1)[1].split("\n## ", 1)[0]
    steps = re.findall(r"^\d+\. `([^`]+)`", section, flags=re.MULTILINE)
    assert steps, "the section lists no numbered hops"
    return steps


def _resolve(hop: str) -> object:
    file, qualname = hop.split(":")
    module = importlib.import_module("lro." + file.removesuffix(".py").replace("/", "."))
    found: object = module
    for part in qualname.split("."):
        found = getattr(found, part)
    return found


def test_the_architecture_page_names_every_hop_of_the_path_in_order() -> None:
    hops = _documented_hops()
    for hop in hops:
        assert callable(_resolve(hop)), hop
    # The page starts at the loop (Client.wait and wait run once, before the first poll).
    on_the_way_down = [hop for hop in hops if hop in SYNC_PATH]
    assert on_the_way_down == SYNC_PATH[2:]
    files = {hop.split(":")[0] for hop in hops}
    assert len(hops) <= 12 and len(files) <= 8, (len(hops), sorted(files))

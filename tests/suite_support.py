"""What every directory of the suite shares, defined once: the fast retry policy, the
default tokens of the ``authed`` server, and a port nobody listens on.

``tests/`` is on ``sys.path`` (pytest puts the directory of ``tests/conftest.py`` there),
so any test or support module imports these as ``from suite_support import FAST_RETRY``.
A test that depends on a particular retry budget (it counts attempts, or must give up
within a deadline) builds its own ``Retry`` inline and says why.
"""

from __future__ import annotations

import socket

from lro._core.retry import Retry

#: The default policy's shape with tiny sleeps: a few transient faults are ridden out
#: (four attempts in all), and a retry loop that does not stop shows within a second.
FAST_RETRY = Retry(initial=0.001, maximum=0.02, deadline=5.0, max_attempts=4)

#: Tokens of the root ``authed`` server (principal by token), unless a directory
#: overrides the ``authed_tokens`` fixture.
TOKENS = {"token-alice": "alice", "token-bob": "bob"}


def free_port() -> int:
    """A loopback port nobody listens on (bound, read and released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class FakeClock:
    """A monotonic clock that only moves when told (or when a fake sleep sleeps)."""

    def __init__(self, start: float = 1000.0) -> None:
        self.start = start
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def monotonic(self) -> float:
        return self.now

    @property
    def elapsed(self) -> float:
        return self.now - self.start

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0
        self.sleeps.append(seconds)
        self.now += seconds

    async def async_sleep(self, seconds: float) -> None:
        self.sleep(seconds)

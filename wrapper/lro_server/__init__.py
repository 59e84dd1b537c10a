"""The reference server of the Operations API (the standard library, and h11 to parse HTTP).

    with lro_server.serve(port=0, db=":memory:") as srv:
        ...  # srv.url, srv.faults, srv.simulate(), srv.requests

or from a shell: `lro-server --port 8080 --db ops.sqlite3` (`python -m lro_server`).
With `serve(..., clock=lro_server.ManualClock())`, simulated time (simulations, `:wait`
windows, fault delays) moves only when a test calls `clock.advance(seconds)`.
The server shares no code with the `lro` client on purpose: a server that reused
the client's parsing could hide the same bug on both sides.
"""

from .app import RunningServer, Server, ServerConfig, serve
from .clock import Clock, ManualClock
from .errors import ApiError, Code
from .faults import FaultRule, Faults

__all__ = [
    "ApiError",
    "Clock",
    "Code",
    "FaultRule",
    "Faults",
    "ManualClock",
    "RunningServer",
    "Server",
    "ServerConfig",
    "serve",
]

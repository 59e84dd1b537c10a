"""The assembled server: on an event loop of its own (`Server`) or in a thread (`serve`).

`Server` wires the parts together and owns the one request path every call takes:
count it, apply an armed fault if one matches, route it. `serve()` runs a
`Server` on a background daemon thread and hands back a `RunningServer`, which is
what tests use:

    with serve(port=0, db=":memory:") as srv:
        srv.faults.add("unavailable", count=2, path=":wait$")
        ...  # talk HTTP to srv.url
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any, TypeVar

from .clock import Clock
from .faults import Faults
from .identity import ANONYMOUS, Identity
from .limits import Limits
from .listener import HttpServer
from .messages import Drop, Request, Response
from .routes import ADMIN_PREFIX, Router
from .service import DEFAULT_MAX_BATCH_BYTES, DEFAULT_MAX_PAGE_BYTES, Operations, WaitSlots
from .simulation import Simulator
from .store import SYNCHRONOUS_MODES, Store
from .wire import JsonObject

logger = logging.getLogger("lro_server")
T = TypeVar("T")


_LIMITS = Limits()


@dataclass(frozen=True)
class ServerConfig:
    """Everything a server is told. The HTTP limits are those of `limits.Limits` (same
    names, same meaning: see that module); `admins` only matter when `tokens` are set."""

    host: str = "127.0.0.1"
    port: int = 8080
    db: str = ":memory:"
    tokens: Mapping[str, str] | None = None  # token -> principal; None or empty: open mode
    max_wait: float = 30.0  # seconds; cap and default of WaitOperation's timeout
    max_body_bytes: int = _LIMITS.max_body_bytes
    max_head_bytes: int = _LIMITS.max_head_bytes
    simulate: int = 0  # demo operations to start at startup
    simulate_duration: float = 10.0
    admins: tuple[str, ...] = ()  # principals that may use /admin/v1/* when tokens are set
    max_connections: int = _LIMITS.max_connections
    header_timeout: float = _LIMITS.header_timeout
    body_timeout: float = _LIMITS.body_timeout
    idle_timeout: float = _LIMITS.idle_timeout
    write_timeout: float = _LIMITS.write_timeout
    input_buffer_bytes: int = _LIMITS.input_buffer_bytes
    output_buffer_bytes: int = _LIMITS.output_buffer_bytes
    max_page_bytes: int = DEFAULT_MAX_PAGE_BYTES  # a list page stops early past this size
    max_batch_bytes: int = DEFAULT_MAX_BATCH_BYTES  # a larger batch reply is refused (400)
    # `:wait`s held at once, in all and per principal; past them a wait answers at once.
    # None: half and a quarter of max_connections (at most max_held_waits). Below it.
    max_held_waits: int | None = None
    max_held_waits_per_principal: int | None = None
    synchronous: str = "normal"  # SQLite's synchronous mode of a file store: normal or full
    # What simulations, `:wait` windows, fault delays and timestamps are measured on; a
    # test passes a `ManualClock` to move it. Socket timeouts stay on real time.
    clock: Clock = dataclasses.field(default_factory=Clock, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "admins", tuple(self.admins))
        if self.synchronous.lower() not in SYNCHRONOUS_MODES:
            raise ValueError(f"synchronous must be one of {', '.join(SYNCHRONOUS_MODES)}")
        if self.max_page_bytes < 1:
            raise ValueError("max_page_bytes must be at least 1")
        if self.max_batch_bytes < 1:
            raise ValueError("max_batch_bytes must be at least 1")
        held, mine = self.wait_slots()
        if not 0 <= mine <= held < self.max_connections:
            raise ValueError(
                "max_held_waits_per_principal <= max_held_waits < max_connections must hold"
            )
        self.limits()  # checks them

    def wait_slots(self) -> tuple[int, int]:
        """(max_held_waits, max_held_waits_per_principal), the defaults filled in."""
        held = self.max_connections // 2 if self.max_held_waits is None else self.max_held_waits
        mine = self.max_held_waits_per_principal
        return held, min(held, self.max_connections // 4) if mine is None else mine

    def limits(self) -> Limits:
        """The HTTP layer's part of this configuration."""
        names = [f.name for f in dataclasses.fields(Limits)]
        return Limits(**{name: getattr(self, name) for name in names})


class Server:
    """The whole server on the running event loop. Create, `await start()`, `await close()`."""

    def __init__(self, config: ServerConfig) -> None:
        self.config = config
        self._http = HttpServer(self.handle, limits=config.limits(), admit=self.admit)
        # sqlite3 connections belong to the thread that opened them: this is the loop's thread.
        self.store = Store(config.db, synchronous=config.synchronous)
        self.operations = Operations(
            self.store,
            max_wait_seconds=config.max_wait,
            max_page_bytes=config.max_page_bytes,
            max_batch_bytes=config.max_batch_bytes,
            slots=WaitSlots(*config.wait_slots()),
            clock=config.clock,
        )
        self.faults = Faults()
        self.simulator = Simulator(self.operations, self.store, config.clock)
        self.requests = 0  # non-admin requests, faulted ones included
        identity = Identity(config.tokens, config.admins)
        self._router = Router(self.operations, identity, self.faults, self.simulator, self.stats)
        self.port = 0

    @property
    def url(self) -> str:
        host = f"[{self.config.host}]" if ":" in self.config.host else self.config.host
        return f"http://{host}:{self.port}"

    async def start(self) -> None:
        self.port = await self._http.start(self.config.host, self.config.port)
        resumed = self.simulator.resume()
        if resumed:
            logger.info("resumed %d unfinished simulations", resumed)
        if self.config.simulate:
            self.simulator.start(
                ANONYMOUS, count=self.config.simulate, duration=self.config.simulate_duration
            )

    async def close(self) -> None:
        await self._http.close()  # first: no request may reach a closed store
        await self.simulator.close()
        self.store.close()

    @property
    def open_connections(self) -> int:
        return self._http.open_connections

    def stats(self) -> JsonObject:
        counters = {"requests": self.requests, "heldWaits": self.operations.held_waits}
        return {key: value for key, value in counters.items() if value}  # proto3: no zeros

    def admit(self, request: Request) -> Response | None:
        """Before a body is read: 401 and 403 at once (no `100 Continue` for those)."""
        refusal = self._router.admit(request)
        if refusal is not None and not request.path.startswith(ADMIN_PREFIX):
            self.requests += 1
        return refusal

    async def handle(self, request: Request) -> Response | Drop | None:
        if request.path.startswith(ADMIN_PREFIX):
            return await self._router.dispatch(request)
        self.requests += 1
        rule = self.faults.take(request.method, request.path)
        if rule is None:
            return await self._router.dispatch(request)
        logger.info("fault %s (%s) on %s %.200s", rule.id, rule.kind, request.method, request.path)
        if rule.kind == "delay":
            await self.config.clock.async_sleep(
                1.0 if rule.delay_seconds is None else rule.delay_seconds
            )
            return await self._router.dispatch(request)
        if rule.kind == "drop_before":
            return Drop.CLOSE
        if rule.kind == "reset":
            return Drop.RESET
        if rule.kind == "drop_after":
            await self._router.dispatch(request)  # committed before the connection drops
            return Drop.CLOSE
        return rule.response()


class RunningServer:
    """A `Server` on a background daemon thread; stop it with `stop()` or a `with` block."""

    def __init__(self, config: ServerConfig) -> None:
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._failure: BaseException | None = None
        self._server: Server | None = None
        self._thread = threading.Thread(
            target=self._run, args=(config,), name="lro-server", daemon=True
        )
        self._thread.start()
        self._ready.wait()
        if self._server is None:
            self._thread.join()
            assert self._failure is not None
            raise self._failure  # e.g. OSError: address already in use
        self.url: str = self._server.url
        self.port: int = self._server.port
        self.faults: Faults = self._server.faults

    def _run(self, config: ServerConfig) -> None:
        asyncio.set_event_loop(self._loop)
        server: Server | None = None
        try:
            server = Server(config)
            self._loop.run_until_complete(server.start())
        except BaseException as e:
            self._failure = e
            if server is not None:
                self._loop.run_until_complete(server.close())
            self._loop.close()
            self._ready.set()
            return
        self._server = server
        self._ready.set()
        self._loop.run_forever()
        self._loop.run_until_complete(server.close())
        self._loop.close()

    @property
    def requests(self) -> int:
        """Non-admin requests handled so far, faulted ones included (to count attempts)."""
        return self._require().requests

    @property
    def held_waits(self) -> int:
        """WaitOperation calls being held right now."""
        return self._require().operations.held_waits

    @property
    def open_connections(self) -> int:
        """Client connections open right now."""
        return self._require().open_connections

    def simulate(
        self,
        count: int = 1,
        duration: float = 1.0,
        outcome: str = "response",
        parent: str | None = None,
        steps: int = 10,
        *,
        creator: str = ANONYMOUS,
        progress: str = "linear",
    ) -> list[JsonObject]:
        """Start simulated operations (see POST /admin/v1/simulations); returns them as created."""
        simulator = self._require().simulator
        return self._call(
            lambda: simulator.start(
                creator,
                count=count,
                duration=duration,
                outcome=outcome,
                parent=parent or "",
                steps=steps,
                pattern=progress,
            )
        )

    def create_operation(
        self, name: str, *, metadata: JsonObject | None = None, creator: str = ANONYMOUS
    ) -> JsonObject:
        """Create a running operation with an exact name, e.g. one of another service's
        shape (`operations/a/b`), which the HTTP API never assigns."""
        operations = self._require().operations
        return self._call(lambda: operations.create(creator, name=name, metadata=metadata))

    def stop(self) -> None:
        """Stop serving, close every connection and the database. Idempotent."""
        if self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join()

    def __enter__(self) -> RunningServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _require(self) -> Server:
        assert self._server is not None
        return self._server

    def _call(self, fn: Callable[[], T]) -> T:
        """Run `fn` on the server's loop thread, which alone may touch the store."""

        async def call() -> T:
            return fn()

        return asyncio.run_coroutine_threadsafe(call(), self._loop).result()


def serve(
    port: int = 0,
    db: str = ":memory:",
    tokens: Mapping[str, str] | None = None,
    max_wait: float = 30.0,
    *,
    host: str = "127.0.0.1",
    admins: Iterable[str] = (),
    **options: Any,
) -> RunningServer:
    """Start a server on a background thread; use it as a context manager to stop it.

    `options` are any other `ServerConfig` fields (`max_body_bytes`, `header_timeout`,
    `max_connections`, `clock` (a `ManualClock` for tests), ...).
    """
    config = ServerConfig(
        host=host,
        port=port,
        db=db,
        tokens=tokens,
        max_wait=max_wait,
        admins=tuple(admins),
        **options,
    )
    return RunningServer(config)

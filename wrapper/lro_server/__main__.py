"""`lro-server` / `python -m lro_server`: run the reference server in the foreground.

The first line on stdout is `lro-server listening on http://HOST:PORT` (flushed),
so a parent process that passed `--port 0` can read the port it got. The second says
where the operations are kept (`lro-server store: /abs/path.sqlite3`, or in memory).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ipaddress
import logging
import os
import signal
import sys
from collections.abc import Sequence

from .app import Server, ServerConfig
from .identity import load_tokens_file, parse_token_arg
from .limits import Limits

_DEFAULTS = Limits()
# (flag, type, metavar, help) of each limit; the flag is the ServerConfig field's name.
_LIMIT_FLAGS = [
    ("--max-body-bytes", int, "N", "larger request bodies get 413 (default 1 MiB)"),
    ("--max-head-bytes", int, "N", "larger request heads get 414/431 (default 512 KiB)"),
    ("--max-connections", int, "N", "beyond it, new connections get 503 (default %(default)s)"),
    (
        "--header-timeout",
        float,
        "SECONDS",
        "a request head must arrive within (default %(default)s)",
    ),
    ("--body-timeout", float, "SECONDS", "a request body must arrive within (default %(default)s)"),
    (
        "--idle-timeout",
        float,
        "SECONDS",
        "idle keep-alive connections close after (default %(default)s)",
    ),
    (
        "--write-timeout",
        float,
        "SECONDS",
        "a client must take its response within (default %(default)s)",
    ),
    (
        "--input-buffer-bytes",
        int,
        "N",
        "bytes of partly received requests all connections may hold (default 32 MiB)",
    ),
    (
        "--output-buffer-bytes",
        int,
        "N",
        "bytes of unread responses all connections may hold; past it: 503 (default 32 MiB)",
    ),
]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lro-server", description="Reference server of the Operations API."
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8080, help="port; 0 picks a free one")
    parser.add_argument(
        "--db",
        default="lro-operations.sqlite3",
        help=(
            "where operations are kept: a SQLite file (default %(default)s in the current "
            "directory, with its -wal and -shm files), or --db :memory: to keep nothing "
            "after exit"
        ),
    )
    parser.add_argument(
        "--synchronous",
        choices=("normal", "full"),
        default="normal",
        help="SQLite synchronous mode of the file: full also survives power loss (default normal)",
    )
    parser.add_argument(
        "--token",
        action="append",
        default=[],
        metavar="TOKEN=PRINCIPAL",
        help="accept this bearer token as PRINCIPAL (repeatable); none: open mode",
    )
    parser.add_argument("--tokens-file", help="JSON object mapping token to principal")
    parser.add_argument(
        "--admin",
        action="append",
        default=[],
        metavar="PRINCIPAL",
        help="PRINCIPAL may use /admin/v1/* (repeatable); with tokens and no --admin, nobody may",
    )
    parser.add_argument(
        "--max-wait",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="cap and default of WaitOperation's timeout (default 30)",
    )
    limits = parser.add_argument_group("limits")
    for flag, kind, metavar, text in _LIMIT_FLAGS:
        name = flag[2:].replace("-", "_")
        limits.add_argument(
            flag, type=kind, default=getattr(_DEFAULTS, name), metavar=metavar, help=text
        )
    limits.add_argument(
        "--max-page-bytes",
        type=int,
        default=ServerConfig.max_page_bytes,
        metavar="N",
        help="a list page stops early (with a nextPageToken) past this size (default 1 MiB)",
    )
    limits.add_argument(
        "--max-batch-bytes",
        type=int,
        default=ServerConfig.max_batch_bytes,
        metavar="N",
        help="a batchGet or batchMarkSeenByCreator reply past this size is refused"
        " (default 16 MiB)",
    )
    limits.add_argument(
        "--max-held-waits",
        type=int,
        metavar="N",
        help=":wait calls held at once; past it a :wait answers at once"
        " (default: half of --max-connections)",
    )
    limits.add_argument(
        "--max-held-waits-per-principal",
        type=int,
        metavar="N",
        help="the same, per principal (open mode: all callers are one principal;"
        " default: a quarter of --max-connections)",
    )
    parser.add_argument(
        "--simulate", type=int, default=0, metavar="N", help="start N demo operations"
    )
    parser.add_argument(
        "--simulate-duration",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="how long each demo operation runs (default 10)",
    )
    parser.add_argument("--log-level", default="INFO", help="logging level (default INFO)")
    return parser


OPEN_MODE_WARNING = (
    "lro-server: WARNING: open mode (no --token) on {host}, which is not a loopback"
    " address: anyone who can reach it may read, change and delete every operation and"
    " use /admin/v1 (faults, simulations). Give --token TOKEN=PRINCIPAL (and --admin),"
    " or bind 127.0.0.1."
)


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to anything


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    tokens: dict[str, str] = {}
    try:
        if args.tokens_file:
            tokens.update(load_tokens_file(args.tokens_file))
        tokens.update(parse_token_arg(text) for text in args.token)
    except (OSError, ValueError) as e:
        parser.error(str(e))
    if args.max_wait <= 0:
        parser.error("--max-wait must be positive")
    logging.basicConfig(
        level=args.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    limits = {flag[2:].replace("-", "_"): None for flag, *_ in _LIMIT_FLAGS}
    try:
        config = ServerConfig(
            host=args.host,
            port=args.port,
            db=args.db,
            tokens=tokens,
            admins=tuple(args.admin),
            max_wait=args.max_wait,
            simulate=args.simulate,
            simulate_duration=args.simulate_duration,
            max_page_bytes=args.max_page_bytes,
            max_batch_bytes=args.max_batch_bytes,
            max_held_waits=args.max_held_waits,
            max_held_waits_per_principal=args.max_held_waits_per_principal,
            synchronous=args.synchronous,
            **{name: getattr(args, name) for name in limits},
        )
    except ValueError as e:
        parser.error(str(e))
    if not tokens and not _is_loopback(args.host):
        # Before binding, so the warning is there even when binding then fails.
        print(OPEN_MODE_WARNING.format(host=args.host), file=sys.stderr, flush=True)
    try:
        asyncio.run(_run(config))
    except (OSError, ImportError) as e:  # address in use; the [server] extra missing
        print(f"lro-server: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        pass
    return 0


def _store(db: str) -> str:
    if db == ":memory:":
        return "in memory (nothing is kept after exit; --db FILE keeps operations)"
    return f"{os.path.abspath(db)} (SQLite; --db :memory: keeps nothing)"


async def _run(config: ServerConfig) -> None:
    server = Server(config)
    try:
        await server.start()
        print(f"lro-server listening on {server.url}", flush=True)
        print(f"lro-server store: {_store(config.db)}", flush=True)
        stopped = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            # Windows has no signal handlers on the loop: Ctrl-C raises KeyboardInterrupt instead.
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, stopped.set)
        await stopped.wait()
    finally:
        await server.close()


if __name__ == "__main__":
    sys.exit(main())

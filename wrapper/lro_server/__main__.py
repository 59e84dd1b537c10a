"""`lro-server` / `python -m lro_server`: run the reference server in the foreground.

The first line on stdout is `lro-server listening on http://HOST:PORT` (flushed),
so a parent process that passed `--port 0` can read the port it got.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Sequence

from .app import Server, ServerConfig
from .http import DEFAULT_MAX_BODY_BYTES
from .identity import load_tokens_file, parse_token_arg


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lro-server", description="Reference server of the Operations API."
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8080, help="port; 0 picks a free one")
    parser.add_argument(
        "--db",
        default="lro-operations.sqlite3",
        help="SQLite file, or :memory: (default %(default)s)",
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
        "--max-wait",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="cap and default of WaitOperation's timeout (default 30)",
    )
    parser.add_argument(
        "--max-body-bytes",
        type=int,
        default=DEFAULT_MAX_BODY_BYTES,
        help="larger request bodies get 413 (default 1 MiB)",
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
    config = ServerConfig(
        host=args.host,
        port=args.port,
        db=args.db,
        tokens=tokens,
        max_wait=args.max_wait,
        max_body_bytes=args.max_body_bytes,
        simulate=args.simulate,
        simulate_duration=args.simulate_duration,
    )
    try:
        asyncio.run(_run(config))
    except OSError as e:
        print(f"lro-server: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        pass
    return 0


async def _run(config: ServerConfig) -> None:
    server = Server(config)
    try:
        await server.start()
        print(f"lro-server listening on {server.url}", flush=True)
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

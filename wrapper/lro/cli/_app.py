"""The ``lro`` group, the ``serve`` command and the entry point."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import Any

import click

from ._commands import cancel, delete, get, list_, wait, watch
from ._exit import EXIT_CODE_TABLE, ExitCode
from ._options import DEFAULT_BASE_URL, DEFAULT_TIMEOUT, Settings, examples, headers_from_env
from ._worker import create, finish, seen, unseen, update

__all__ = ["cli", "main", "run"]

_EPILOG = f"""\b
Environment:
  LRO_BASE_URL   server base URL (--base-url)
  LRO_TOKEN      bearer token (--token); never printed, not even in errors
  LRO_TOKEN_COMMAND
                 a command printing a bearer token (--token-command); run
                 again after a 401, e.g. 'gcloud auth print-access-token'
  LRO_API_KEY    API key, sent as x-goog-api-key (--api-key); never printed
  LRO_HEADERS    headers for every request, NAME:VALUE one per line (--header)
  LRO_TIMEOUT    per-request HTTP timeout in seconds (--timeout)

\b
Exit codes:
{EXIT_CODE_TABLE}

\b
Examples:
  lro serve --port 8080 --simulate 3 &
  lro list
  lro wait operations/123 --timeout 600 || echo "failed with $?"
  LRO_TOKEN=... lro --base-url https://ops.example.com get operations/1 --json
  lro --base-url https://us-central1-aiplatform.googleapis.com/v1beta1 \\
      --token-command 'gcloud auth print-access-token' \\
      --header x-goog-user-project:my-project \\
      get projects/p/locations/us-central1/operations/1

Run 'lro COMMAND --help' for a command's options and examples."""


@click.group(
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    epilog=_EPILOG,
)
@click.option(
    "--base-url",
    envvar="LRO_BASE_URL",
    default=DEFAULT_BASE_URL,
    show_default=True,
    metavar="URL",
    help="Server base URL [env LRO_BASE_URL].",
)
@click.option("--token", envvar="LRO_TOKEN", metavar="TOKEN", help="Bearer token [env LRO_TOKEN].")
@click.option(
    "--token-command",
    envvar="LRO_TOKEN_COMMAND",
    metavar="CMD",
    help="Run CMD for a bearer token, and again after a 401 [env LRO_TOKEN_COMMAND].",
)
@click.option(
    "--api-key",
    envvar="LRO_API_KEY",
    metavar="KEY",
    help="API key, sent as x-goog-api-key [env LRO_API_KEY].",
)
@click.option(
    "--header",
    "header",
    multiple=True,
    metavar="NAME:VALUE",
    help="Add a header to every request; repeatable [env LRO_HEADERS, one per line].",
)
@click.option(
    "--timeout",
    envvar="LRO_TIMEOUT",
    type=click.FloatRange(min=0, min_open=True),
    default=DEFAULT_TIMEOUT,
    show_default=True,
    metavar="SECONDS",
    help="Per-request HTTP timeout [env LRO_TIMEOUT].",
)
@click.option(
    "--audited/--standard",
    default=False,
    help="Read the audited view (creator, times, deleted ones) instead of the standard one.",
)
@click.version_option(package_name="lro-sdk", prog_name="lro")
@click.pass_context
def cli(
    ctx: click.Context,
    /,
    base_url: str,
    token: str | None,
    token_command: str | None,
    api_key: str | None,
    header: tuple[str, ...],
    timeout: float,
    audited: bool,
) -> None:
    """Inspect, wait for and manage long-running operations (google.longrunning).

    Options given here apply to every command; a command's own options override them.
    """
    ctx.obj = Settings(
        base_url=base_url,
        token=token,
        timeout=timeout,
        audited=audited,
        api_key=api_key,
        header=header or headers_from_env(),
        token_command=token_command,
    )


@click.command(
    add_help_option=False,
    options_metavar="",
    context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
    epilog=examples(
        "lro serve                # http://127.0.0.1:8080, stored in lro-operations.sqlite3",
        "lro serve --port 0 --db :memory: --simulate 5 --simulate-duration 30",
        "lro serve --token s3cret=alice --token t0ken=bob",
    ),
)
@click.argument("server_args", metavar="[SERVER OPTIONS]...", nargs=-1, type=click.UNPROCESSED)
@click.pass_context
def serve(ctx: click.Context, /, server_args: tuple[str, ...]) -> None:
    """Run the reference server in the foreground until Ctrl-C.

    Takes the options of the reference server (listed below). The first line it prints is
    the address it listens on, so '--port 0' (any free port) can be used from scripts.
    """
    # The one arrow from lro to lro_server (import-linter allows exactly this one).
    from lro_server.__main__ import main as server_main

    if {"-h", "--help"} & set(server_args):
        click.echo(ctx.get_help())
        click.echo("\nServer options:")
    try:
        code = server_main(list(server_args))
    except SystemExit as exc:  # argparse: --help or a usage error
        code = exc.code if isinstance(exc.code, int) else ExitCode.USAGE
    raise click.exceptions.Exit(code)


_COMMANDS = (get, list_, wait, watch, cancel, delete, create, update, finish, seen, unseen, serve)
for _command in _COMMANDS:
    cli.add_command(_command)


def run(argv: Sequence[str] | None = None) -> int:
    """Run the command line on ``argv`` (default ``sys.argv[1:]``); return the exit code."""
    try:
        result: Any = cli.main(
            args=None if argv is None else list(argv), prog_name="lro", standalone_mode=False
        )
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except (click.Abort, KeyboardInterrupt):
        click.echo("\nlro: interrupted", err=True)
        return ExitCode.INTERRUPTED
    except BrokenPipeError:  # e.g. `lro list | head -1`: stop quietly, like other tools
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    return result if isinstance(result, int) else ExitCode.OK


def main(argv: Sequence[str] | None = None) -> None:
    """Console-script entry point: run the command line and exit with its code."""
    sys.exit(run(argv))

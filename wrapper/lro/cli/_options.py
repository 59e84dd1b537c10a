"""What every ``lro`` command shares: settings, common options, error handling, output."""

from __future__ import annotations

import dataclasses
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from ._exit import ExitCode, error_json, error_line, exit_code_for, redact

if TYPE_CHECKING:
    from lro import Client, Operation
    from lro.errors import Error

F = TypeVar("F", bound=Callable[..., Any])

DEFAULT_BASE_URL = "http://127.0.0.1:8080"
DEFAULT_TIMEOUT = 30.0
TOKEN_ENV = "LRO_TOKEN"


@dataclasses.dataclass(frozen=True)
class Settings:
    """Where and how to reach the server; built from options, then environment, then defaults."""

    base_url: str = DEFAULT_BASE_URL
    token: str | None = dataclasses.field(default=None, repr=False)
    timeout: float = DEFAULT_TIMEOUT
    audited: bool = False

    def merged(self, **overrides: Any) -> Settings:
        """A copy with every override that is not None applied."""
        given = {key: value for key, value in overrides.items() if value is not None}
        return dataclasses.replace(self, **given)

    def client(self) -> Client:
        """A client for these settings (imports the SDK client on first use).

        Raises:
            click.BadParameter: the client rejects the base URL or the token (exit 2).
        """
        # lro.Error, not lro.errors.Error: the same class, but importing lro.errors loads
        # every error-detail class too, which a command that succeeds never needs.
        from lro import Client, Error

        try:
            return Client(self.base_url, token=self.token or None, timeout=self.timeout)
        except Error as exc:
            about_token = "token" in exc.message
            hint = "--token / LRO_TOKEN" if about_token else "--base-url / LRO_BASE_URL"
            raise click.BadParameter(exc.message, param_hint=hint) from None


def settings_of(ctx: click.Context) -> Settings:
    """The group's settings with this command's own options applied."""
    base = ctx.find_object(Settings) or Settings()
    names = ("base_url", "token", "timeout", "audited")
    return base.merged(**{key: ctx.params.get(key) for key in names})


class LroCommand(click.Command):
    """A command whose SDK errors become one line on stderr and a documented exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command; turn an ``lro.Error`` into its exit code."""
        try:
            return super().invoke(ctx)
        except Exception as exc:
            from lro import Error

            if not isinstance(exc, Error):
                raise
            code = exit_code_for(exc)
            report_error(ctx, exc, code)
            raise click.exceptions.Exit(code) from None


def report_error(ctx: click.Context, error: Error, code: int) -> None:
    """Write the error to stderr: one line of text, or one line of JSON with ``--json``."""
    settings = settings_of(ctx)
    if ctx.params.get("json"):
        line = error_json(error, code)
    else:
        line = error_line(error, base_url=settings.base_url)
    click.echo(redact(line, [settings.token, os.environ.get(TOKEN_ENV)]), err=True)


def client_options(*, request_timeout: bool = True) -> Callable[[F], F]:
    """Add --base-url, --token and (unless the command has its own) --timeout."""

    def decorate(f: F) -> F:
        if request_timeout:
            f = click.option(
                "--timeout",
                type=click.FloatRange(min=0, min_open=True),
                metavar="SECONDS",
                help=f"Per-request HTTP timeout [env LRO_TIMEOUT; default {DEFAULT_TIMEOUT:g}].",
            )(f)
        f = click.option(
            "--token",
            metavar="TOKEN",
            help="Bearer token [env LRO_TOKEN]. Never printed.",
        )(f)
        return click.option(
            "--base-url",
            metavar="URL",
            help=f"Server base URL [env LRO_BASE_URL; default {DEFAULT_BASE_URL}].",
        )(f)

    return decorate


def json_option(f: F) -> F:
    """Add --json (machine-readable output on stdout)."""
    return click.option(
        "--json", "json", is_flag=True, help="Print JSON on stdout (errors: JSON on stderr)."
    )(f)


def view_option(f: F) -> F:
    """Add --audited/--standard (which view of the API to read)."""
    return click.option(
        "--audited/--standard",
        default=None,
        help="Audited view (creator, times, deleted ones) or the standard view [default].",
    )(f)


def examples(*lines: str) -> str:
    """An epilog of examples that click prints verbatim."""
    return "\b\nExamples:\n" + "\n".join(f"  {line}" if line else "" for line in lines)


def echo(text: str) -> None:
    """Print a line on stdout."""
    click.echo(text)


def show_operation(op: Operation, *, as_json: bool) -> None:
    """Print one operation as JSON or as a ``label: value`` block."""
    from ._render import dump_json, operation_lines

    echo(dump_json(op.to_dict()) if as_json else "\n".join(operation_lines(op)))


def parse_json_object(text: str, option: str) -> dict[str, Any]:
    """A JSON object from ``text``, ``@FILE`` or ``-`` (stdin); a usage error otherwise."""
    try:
        if text == "-":
            text = sys.stdin.read()
        elif text.startswith("@"):
            text = Path(text[1:]).read_text(encoding="utf-8")
        value = json.loads(text)
    except (OSError, ValueError) as exc:
        raise click.BadParameter(f"not valid JSON ({exc})", param_hint=option) from None
    if not isinstance(value, dict):
        raise click.BadParameter("must be a JSON object", param_hint=option)
    return value


def fail(message: str, code: ExitCode) -> click.exceptions.Exit:
    """Print ``lro: message`` on stderr; return the Exit to raise."""
    click.echo(f"lro: {message}", err=True)
    return click.exceptions.Exit(code)

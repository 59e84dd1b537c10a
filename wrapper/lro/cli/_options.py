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

from ._escape import shown
from ._exit import ExitCode, error_json, error_line, exit_code_for, redact

if TYPE_CHECKING:
    from lro import Client, Operation, SyncTransport
    from lro.errors import Error

F = TypeVar("F", bound=Callable[..., Any])

DEFAULT_BASE_URL = "http://127.0.0.1:8080"
DEFAULT_TIMEOUT = 30.0
TOKEN_ENV = "LRO_TOKEN"
API_KEY_ENV = "LRO_API_KEY"
HEADERS_ENV = "LRO_HEADERS"
#: Seconds a --token-command may take.
TOKEN_COMMAND_TIMEOUT = 60.0

# Every token a --token-command printed, so that no error line can show one.
_PRODUCED: list[str] = []


class TokenCommand:
    """``--token-command CMD``: run CMD (no shell) to get a token; run it again after a 401.

    The token is the first line CMD prints on stdout. A failure (not found, non-zero exit,
    no output, over :data:`TOKEN_COMMAND_TIMEOUT`) is an ``Unauthenticated`` error whose
    message names the command's exit status and the last line of its stderr.
    """

    def __init__(self, command: str) -> None:
        import shlex

        try:
            self.argv = shlex.split(command)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--token-command") from None
        if not self.argv:
            raise click.BadParameter("empty command", param_hint="--token-command")
        self._token: str | None = None

    def __call__(self) -> str:
        if self._token is None:
            self._token = self._run()
            _PRODUCED.append(self._token)
        return self._token

    def invalidate(self) -> None:
        self._token = None

    def _run(self) -> str:
        import subprocess

        name = self.argv[0]
        try:
            done = subprocess.run(
                self.argv,
                capture_output=True,
                text=True,
                timeout=TOKEN_COMMAND_TIMEOUT,
                stdin=subprocess.DEVNULL,
            )
        except (OSError, subprocess.SubprocessError) as exc:
            raise RuntimeError(f"--token-command {name!r} could not run: {exc}") from None
        out = done.stdout.strip()
        token = out.splitlines()[0].strip() if out else ""
        if done.returncode != 0 or not token:
            lines = done.stderr.strip().splitlines()
            why = f": {lines[-1][:200]}" if lines else ""
            empty = " and printed no token" if not token else ""
            raise RuntimeError(
                f"--token-command {name!r} exited with {done.returncode}{empty}{why}"
            )
        return token

    def __repr__(self) -> str:
        return f"TokenCommand({self.argv[0]!r})"


def parse_headers(values: tuple[str, ...] | None) -> dict[str, str] | None:
    """``--header NAME:VALUE`` values (or ``LRO_HEADERS``, one per line) as a dict."""
    if not values:
        return None
    headers: dict[str, str] = {}
    for value in values:
        name, colon, rest = value.partition(":")
        if not colon or not name.strip():
            # The value is never quoted: it may be a credential.
            raise click.BadParameter("expected NAME:VALUE", param_hint="--header / LRO_HEADERS")
        headers[name.strip()] = rest.strip()
    return headers


def headers_from_env() -> tuple[str, ...]:
    """``LRO_HEADERS``: one ``NAME:VALUE`` per line."""
    text = os.environ.get(HEADERS_ENV, "")
    return tuple(line.strip() for line in text.splitlines() if line.strip())


@dataclasses.dataclass(frozen=True)
class Settings:
    """Where and how to reach the server; built from options, then environment, then defaults."""

    base_url: str = DEFAULT_BASE_URL
    token: str | None = dataclasses.field(default=None, repr=False)
    timeout: float = DEFAULT_TIMEOUT
    audited: bool = False
    api_key: str | None = dataclasses.field(default=None, repr=False)
    header: tuple[str, ...] = dataclasses.field(default=(), repr=False)
    token_command: str | None = None

    def merged(self, **overrides: Any) -> Settings:
        """A copy with every override that is not None (nor an empty tuple) applied."""
        given = {key: value for key, value in overrides.items() if value not in (None, ())}
        return dataclasses.replace(self, **given)

    def secrets(self) -> list[str | None]:
        """What no output may show: the token, the API key, credential-like header values
        and every token a --token-command printed."""
        from lro._core.http import is_secret_header

        found: list[str | None] = [self.token, os.environ.get(TOKEN_ENV), self.api_key]
        found.append(os.environ.get(API_KEY_ENV))
        for value in (*self.header, *headers_from_env()):
            name, _, rest = value.partition(":")
            if is_secret_header(name.strip()) and rest.strip():
                found += [rest.strip(), *rest.split()[1:2]]
        return found + list(_PRODUCED)

    def client(self, *, transport: SyncTransport | None = None) -> Client:
        """A client for these settings (imports the SDK client on first use); its requests
        go through ``transport`` when given (see :meth:`transport`).

        Raises:
            click.BadParameter: the client rejects the base URL or the token (exit 2).
        """
        # lro.Error, not lro.errors.Error: the same class, but importing lro.errors loads
        # every error-detail class too, which a command that succeeds never needs.
        from lro import Client, Error

        if self.token and self.token_command:
            raise click.UsageError("give --token or --token-command, not both")
        token: Any = TokenCommand(self.token_command) if self.token_command else self.token
        try:
            return Client(
                self.base_url,
                token=token or None,
                api_key=self.api_key or None,
                headers=parse_headers(self.header),
                timeout=self.timeout,
                transport=transport,
            )
        except Error as exc:
            if transport is not None:  # the client never took it over
                transport.close()
            message = exc.message
            if "header" in message:
                hint = "--header / LRO_HEADERS"
            elif "api_key" in message or "API key" in message:
                hint = "--api-key / LRO_API_KEY"
            elif "token" in message:
                hint = "--token / LRO_TOKEN"
            else:
                hint = "--base-url / LRO_BASE_URL"
            raise click.BadParameter(shown(message), param_hint=hint) from None

    def transport(self) -> SyncTransport:
        """The transport :meth:`client` would otherwise make (the SDK's default, with these
        settings' timeout), for a command that wraps it before making its client."""
        from lro import Transport

        return Transport(timeout=self.timeout)


def settings_of(ctx: click.Context) -> Settings:
    """The group's settings with this command's own options applied."""
    base = ctx.find_object(Settings) or Settings()
    names = ("base_url", "token", "timeout", "audited", "api_key", "header", "token_command")
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
    echo(redact(line, settings.secrets()), err=True)


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
            "--token-command",
            metavar="CMD",
            help="Run CMD for a bearer token (e.g. 'gcloud auth print-access-token'); "
            "run again after a 401 [env LRO_TOKEN_COMMAND].",
        )(f)
        f = click.option(
            "--header",
            "header",
            multiple=True,
            metavar="NAME:VALUE",
            help="Add a header to every request (repeatable) [env LRO_HEADERS, one per line].",
        )(f)
        f = click.option(
            "--api-key", metavar="KEY", help="API key, sent as x-goog-api-key [env LRO_API_KEY]."
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


def echo(text: str, *, err: bool = False) -> None:
    """Print a line on stdout (``err``: stderr), never a terminal control character.

    The last net of :mod:`lro.cli._escape`: what a server sent is escaped where the text
    is built (a newline inside a name too); here the whole text once more, its own line
    breaks kept.
    """
    click.echo(shown(text, keep_newlines=True), err=err)


def show_operation(op: Operation, *, as_json: bool) -> None:
    """Print one operation: with ``as_json`` as one line of JSON (a JSON Lines record),
    else as a ``label: value`` block, its metadata and response indented on a terminal."""
    from ._render import compact_json, operation_lines

    if as_json:
        echo(compact_json(op.to_dict()))
    else:
        echo("\n".join(operation_lines(op, pretty=sys.stdout.isatty())))


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
    echo(f"lro: {message}", err=True)
    return click.exceptions.Exit(code)

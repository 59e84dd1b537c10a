"""Commands for users of operations: get, list, wait, cancel, delete."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, TextIO

import click

from ._exit import ExitCode, error_json
from ._options import (
    LroCommand,
    client_options,
    echo,
    examples,
    json_option,
    settings_of,
    show_operation,
    view_option,
)

if TYPE_CHECKING:
    from lro import Client, Operation, Page, Pager

__all__ = ["cancel", "delete", "get", "list_", "show_pages", "wait"]


@click.command(
    cls=LroCommand,
    epilog=examples(
        "lro get operations/123",
        "lro get operations/123 --json | jq .done",
        "lro get operations/123 --audited     # creator, times; also deleted operations",
    ),
)
@click.argument("name")
@view_option
@json_option
@client_options()
@click.pass_context
def get(ctx: click.Context, /, name: str, **_: Any) -> None:
    """Show the operation NAME: state, progress, metadata and result."""
    settings = settings_of(ctx)
    with settings.client() as client:
        op = client.audit.get(name) if settings.audited else client.get(name)
    show_operation(op, as_json=bool(ctx.params["json"]))


def show_pages(pager: Pager[Operation], *, every: bool, audited: bool, as_json: bool) -> None:
    """Print the first page (or every page) of a List call as a table or as JSON."""
    from ._render import operations_json, table_lines

    pages: Iterable[Page[Operation]] = pager.pages() if every else [pager.first_page()]
    ops: list[Operation] = []
    unreachable: list[str] = []  # partial results: the locations the server could not reach
    for page in pages:
        ops += page.items
        unreachable += [u for u in page.unreachable if u not in unreachable]
    next_token = "" if every else pager.first_page().next_page_token
    if as_json:
        echo(
            operations_json(
                ops,
                next_page_token=next_token,
                total_size=pager.total_size,
                unreachable=unreachable,
            )
        )
        return
    if unreachable:
        shown = ", ".join(unreachable[:10]) + (" ..." if len(unreachable) > 10 else "")
        click.echo(
            f"lro: warning: the results are partial: {len(unreachable)} unreachable: {shown}",
            err=True,
        )
    if ops:
        echo("\n".join(table_lines(ops, audited=audited)))
    else:
        click.echo("no operations", err=True)
    if next_token:
        click.echo("more operations: add --all to list every page", err=True)


@click.command(
    "list",
    cls=LroCommand,
    epilog=examples(
        "lro list",
        "lro list --filter 'done = false' --all",
        "lro list projects/p/locations/l --page-size 10",
        "lro list --audited --show-deleted --json",
    ),
)
@click.argument("parent", required=False)
@click.option("--filter", "filter_", metavar="EXPR", help="AIP-160 filter, e.g. 'done = true'.")
@click.option("--page-size", type=click.IntRange(min=1), metavar="N", help="Operations per page.")
@click.option("--all", "every", is_flag=True, help="Fetch every page, not just the first.")
@click.option("--show-deleted", is_flag=True, help="Include deleted operations (audited view).")
@view_option
@json_option
@client_options()
@click.pass_context
def list_(
    ctx: click.Context,
    /,
    parent: str | None,
    filter_: str | None,
    page_size: int | None,
    every: bool,
    show_deleted: bool,
    **_: Any,
) -> None:
    """List operations (those under PARENT, if given): the first page, or --all of them."""
    settings = settings_of(ctx)
    audited = settings.audited or show_deleted
    if audited and parent:
        raise click.UsageError("PARENT needs the standard view (drop --audited/--show-deleted)")
    with settings.client() as client:
        if audited:
            pager = client.audit.list_operations(
                filter=filter_, page_size=page_size, show_deleted=show_deleted
            )
        else:
            pager = client.list_operations(parent, filter=filter_, page_size=page_size)
        show_pages(pager, every=every, audited=audited, as_json=bool(ctx.params["json"]))


@click.command(
    cls=LroCommand,
    epilog=examples(
        "lro wait operations/123",
        "lro wait operations/123 --timeout 600 --json > result.json",
        "lro wait operations/123 --progress plain   # one line per change, e.g. in CI",
        "",
        "Exit code 0: succeeded; 1: finished with an error; 3: --timeout passed.",
    ),
)
@click.argument("name")
@click.option(
    "--timeout",
    "deadline",
    type=click.FloatRange(min=0, min_open=True),
    metavar="SECONDS",
    help="Give up (exit 3) after this long [default: no limit].",
)
@click.option(
    "--progress",
    "mode",
    type=click.Choice(["auto", "bar", "plain", "none"]),
    default="auto",
    show_default=True,
    help="Progress display: a live bar on a terminal, else a line per change.",
)
@click.option(
    "--interval",
    type=click.FloatRange(min=0.1),
    default=1.0,
    show_default=True,
    metavar="SECONDS",
    help="How often progress is refreshed (finishing is noticed at once).",
)
@view_option
@json_option
@client_options(request_timeout=False)
@click.pass_context
def wait(
    ctx: click.Context, /, name: str, deadline: float | None, mode: str, interval: float, **_: Any
) -> None:
    """Wait for the operation NAME to finish, showing its progress.

    Progress goes to stdout (to stderr with --json, so stdout stays one JSON document).
    """
    settings = settings_of(ctx)
    as_json = bool(ctx.params["json"])
    with settings.client() as client:
        stream = sys.stderr if as_json else sys.stdout
        op = _wait_showing(client, name, deadline, mode, interval, stream)
        if settings.audited:
            op = client.audit.get(name)
    show_operation(op, as_json=as_json)
    if op.error is not None:
        _report_failed(op, as_json=as_json)
        raise click.exceptions.Exit(ExitCode.OPERATION_FAILED)


def _wait_showing(
    client: Client, name: str, deadline: float | None, mode: str, interval: float, stream: TextIO
) -> Operation:
    """Wait with the chosen display; long-polls last ``interval`` seconds while one shows."""
    from lro import WaitPolicy

    from ._display import make_display

    policy = None if mode == "none" else WaitPolicy(wait_window=interval)
    with make_display(mode, stream, name) as display:
        op = client.wait(name, timeout=deadline, policy=policy, on_progress=display.update)
        display.finish(op)
    return op


def _report_failed(op: Operation, *, as_json: bool) -> None:
    """Say on stderr that the operation finished with an error."""
    error = op.error
    assert error is not None
    if as_json:
        click.echo(error_json(error, ExitCode.OPERATION_FAILED), err=True)
    else:
        from ._render import error_text

        click.echo(f"lro: operation {op.name} failed: {error_text(error)}", err=True)


@click.command(
    cls=LroCommand,
    epilog=examples(
        "lro cancel operations/123",
        "lro cancel operations/1 operations/2 && lro wait operations/1",
    ),
)
@click.argument("names", metavar="NAME...", nargs=-1, required=True)
@json_option
@client_options()
@click.pass_context
def cancel(ctx: click.Context, /, names: tuple[str, ...], **_: Any) -> None:
    """Ask the server to cancel operations (best effort; they finish as CANCELLED)."""
    with settings_of(ctx).client() as client:
        for name in names:
            client.cancel(name)
            _done(name, "cancelRequested", "cancel requested", as_json=bool(ctx.params["json"]))


@click.command(
    cls=LroCommand,
    epilog=examples("lro delete operations/123", "lro delete operations/123 --json"),
)
@click.argument("names", metavar="NAME...", nargs=-1, required=True)
@json_option
@client_options()
@click.pass_context
def delete(ctx: click.Context, /, names: tuple[str, ...], **_: Any) -> None:
    """Delete operations: the standard view forgets them (it does not cancel them)."""
    with settings_of(ctx).client() as client:
        for name in names:
            client.delete(name)
            _done(name, "deleted", "deleted", as_json=bool(ctx.params["json"]))


def _done(name: str, key: str, text: str, *, as_json: bool) -> None:
    """Report one finished action: ``{"name": ..., key: true}`` or ``NAME: text``."""
    from ._render import compact_json

    echo(compact_json({"name": name, key: True}) if as_json else f"{name}: {text}")

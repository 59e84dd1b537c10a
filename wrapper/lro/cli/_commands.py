"""Commands for users of operations: get, list, wait, watch, cancel, delete."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, TextIO, cast

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
    from lro import Client, Operation, Page, Pager, WaitPolicy

    from ._display import Display
    from ._outage import WatchedTransport

__all__ = ["cancel", "delete", "get", "list_", "show_pages", "wait", "watch"]


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
        from ._escape import shown

        where = ", ".join(map(shown, unreachable[:10])) + (" ..." if len(unreachable) > 10 else "")
        echo(
            f"lro: warning: the results are partial: {len(unreachable)} unreachable: {where}",
            err=True,
        )
    if ops:
        echo("\n".join(table_lines(ops, audited=audited)))
    else:
        echo("no operations", err=True)
    if next_token:
        echo("more operations: add --all to list every page", err=True)


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
        "lro wait operations/1 operations/2 operations/3   # a bar each",
        "",
        "Exit code 0: all succeeded; 1: one finished with an error; 3: --timeout passed.",
    ),
)
@click.argument("names", metavar="NAME...", nargs=-1, required=True)
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
    help="Progress display: a live bar per operation on a terminal; elsewhere a line per "
    "change (one operation) or a line each as it finishes (several).",
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
    ctx: click.Context,
    /,
    names: tuple[str, ...],
    deadline: float | None,
    mode: str,
    interval: float,
    **_: Any,
) -> None:
    """Wait for the operations NAME... to finish, showing their progress.

    Progress goes to stdout (to stderr with --json, so stdout stays JSON: one line per
    operation, in the order given). One operation is then shown in full; several, one
    line each.
    """
    from ._outage import WatchedTransport

    settings = settings_of(ctx)
    as_json = bool(ctx.params["json"])
    stream = sys.stderr if as_json else sys.stdout
    # The display learns from the transport when the server stops answering (and again).
    watched = WatchedTransport(settings.transport())
    with settings.client(transport=watched) as client:
        if len(names) == 1:
            ops = [_wait_showing(client, names[0], deadline, mode, interval, stream, watched)]
        else:
            ops = _wait_all_showing(
                client, names, deadline, mode, interval, stream, watched, as_json
            )
        if settings.audited and len(ops) == 1:
            ops = [client.audit.get(ops[0].name)]
        elif settings.audited:
            ops = client.audit.get_many([op.name for op in ops])
    if len(ops) == 1 or as_json:
        for op in ops:
            show_operation(op, as_json=as_json)
    elif mode == "none":  # no display showed them: one line each now
        from ._render import table_lines

        echo("\n".join(table_lines(ops, audited=False)))
    failed = [op for op in ops if op.error is not None]
    for op in failed:
        _report_failed(op, as_json=as_json)
    if failed:
        raise click.exceptions.Exit(ExitCode.OPERATION_FAILED)


def _policy(mode: str, interval: float) -> WaitPolicy | None:
    """Long-polls of ``interval`` seconds while a display shows progress."""
    from lro import WaitPolicy

    if mode == "none":
        return None
    return WaitPolicy(wait_window=interval, progress_interval=interval)


@contextlib.contextmanager
def _told_of_outages(watched: WatchedTransport, display: Display) -> Iterator[None]:
    """While ``display`` shows, tell it when the server stops answering and answers again."""
    watched.listener = display.outage
    try:
        yield
    finally:
        watched.listener = None


def _wait_showing(
    client: Client,
    name: str,
    deadline: float | None,
    mode: str,
    interval: float,
    stream: TextIO,
    watched: WatchedTransport,
) -> Operation:
    """Wait for one operation with the chosen display."""
    from ._display import make_display

    with make_display(mode, stream, [name]) as display, _told_of_outages(watched, display):
        op = client.wait(
            name, timeout=deadline, policy=_policy(mode, interval), on_progress=display.update
        )
        display.finish(op)
    return op


def _wait_all_showing(
    client: Client,
    names: Sequence[str],
    deadline: float | None,
    mode: str,
    interval: float,
    stream: TextIO,
    watched: WatchedTransport,
    as_json: bool,
) -> list[Operation]:
    """Wait for several operations at once (``lro.wait_all``) with the chosen display.

    At the deadline the operations are shown as they last were (each done one as final)
    before the timeout is reported (exit 3).
    """
    from lro import WaitAllTimeout, wait_all

    from ._display import make_display

    with make_display(mode, stream, names) as display, _told_of_outages(watched, display):
        try:
            ops = wait_all(
                list(names),
                client=client,
                timeout=deadline,
                policy=_policy(mode, interval),
                on_progress=display.update,
            )
        except WaitAllTimeout as timeout:
            last = [op for op in timeout.operations if op is not None]
            if as_json:
                for op in last:
                    show_operation(cast("Operation", op), as_json=True)
            raise
        for op in ops:
            display.finish(op)
    return ops


@click.command(
    cls=LroCommand,
    epilog=examples(
        "lro watch operations/123",
        "lro watch operations/123 | jq -r '.metadata.progressPercent // empty'",
        "lro watch operations/1 operations/2 --timeout 600 > snapshots.jsonl",
        "",
        "Exit code 0: all succeeded; 1: one finished with an error; 3: --timeout passed.",
    ),
)
@click.argument("names", metavar="NAME...", nargs=-1, required=True)
@click.option(
    "--timeout",
    "deadline",
    type=click.FloatRange(min=0, min_open=True),
    metavar="SECONDS",
    help="Give up (exit 3) after this long [default: no limit].",
)
@click.option(
    "--interval",
    type=click.FloatRange(min=0.1),
    default=1.0,
    show_default=True,
    metavar="SECONDS",
    help="How often progress is looked at (finishing is noticed at once).",
)
# stdout is JSON Lines whatever: so are errors on stderr (--json accepted, and the default).
@click.option("--json", "json", is_flag=True, default=True, hidden=True)
@view_option
@client_options(request_timeout=False)
@click.pass_context
def watch(
    ctx: click.Context,
    /,
    names: tuple[str, ...],
    deadline: float | None,
    interval: float,
    **_: Any,
) -> None:
    """Stream the snapshots of the operations NAME... as JSON Lines until they finish.

    Each time an operation changes (progress, metadata, done), its whole snapshot is
    printed as one line of JSON on stdout and flushed: for scripts, `jq` and logs. The
    first line of each operation is its state when the watch starts, its last the
    finished operation. Errors are one line of JSON on stderr.
    """
    from ._render import compact_json

    settings = settings_of(ctx)
    policy = _policy("plain", interval)
    last: dict[str, str] = {}

    def emit(op: Operation) -> None:
        line = compact_json(op.to_dict())
        if last.get(op.name) != line:  # a snapshot already printed is not printed again
            last[op.name] = line
            sys.stdout.write(line + "\n")
            sys.stdout.flush()

    with settings.client() as client:
        view = client.audit if settings.audited else client
        if len(names) == 1:
            final = None
            for final in view.watch(names[0], timeout=deadline, policy=policy):
                emit(final)
            ops = [final] if final is not None else []
        else:
            from lro import wait_all

            # Each one's state now first, then every change until all are done.
            started = [view.get(name) for name in dict.fromkeys(names)]
            for op in started:
                emit(op)
            ops = wait_all(started, client=view, timeout=deadline, policy=policy, on_progress=emit)
    failed = [op for op in ops if op is not None and op.error is not None]
    for op in failed:
        _report_failed(op, as_json=True)
    if failed:
        raise click.exceptions.Exit(ExitCode.OPERATION_FAILED)


def _report_failed(op: Operation, *, as_json: bool) -> None:
    """Say on stderr that the operation finished with an error."""
    error = op.error
    assert error is not None
    if as_json:
        echo(error_json(error, ExitCode.OPERATION_FAILED), err=True)
    else:
        from ._escape import shown
        from ._render import error_text

        echo(f"lro: operation {shown(op.name)} failed: {error_text(error)}", err=True)


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
    from ._escape import shown
    from ._render import compact_json

    echo(compact_json({"name": name, key: True}) if as_json else f"{shown(name)}: {text}")

"""Commands for workers and creators (audited view): create, update, finish, seen, unseen."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from ._commands import show_pages
from ._escape import shown
from ._options import (
    LroCommand,
    client_options,
    echo,
    examples,
    json_option,
    parse_json_object,
    settings_of,
    show_operation,
)

if TYPE_CHECKING:
    from lro import Operation

__all__ = ["create", "finish", "seen", "unseen", "update"]

#: The @type ``update --percent`` reports progress with (the reference server's own).
PROGRESS_TYPE = "type.googleapis.com/lro.example.ProgressMetadata"

_JSON_HELP = 'a JSON object, @FILE or - (stdin); an Any, so it needs an "@type"'


@click.command(
    cls=LroCommand,
    epilog=examples(
        "NAME=$(lro create)",
        'lro create --metadata \'{"@type": "type.googleapis.com/my.Job", "step": 0}\'',
        "lro create --parent projects/p/locations/l --request-id job-42 --json",
    ),
)
@click.option("--metadata", metavar="JSON", help=f"Initial metadata: {_JSON_HELP}.")
@click.option("--parent", metavar="PARENT", help="Create it under PARENT (PARENT/operations/ID).")
@click.option(
    "--request-id", metavar="ID", help="Idempotency key: the same ID returns the same operation."
)
@json_option
@client_options()
@click.pass_context
def create(
    ctx: click.Context,
    /,
    metadata: str | None,
    parent: str | None,
    request_id: str | None,
    **_: Any,
) -> None:
    """Create a running operation (as a worker) and print its name."""
    meta = None if metadata is None else parse_json_object(metadata, "--metadata")
    with settings_of(ctx).client() as client:
        op = client.create(meta, parent=parent, request_id=request_id)
    if ctx.params["json"]:
        show_operation(op, as_json=True)
    else:
        echo(shown(op.name))


@click.command(
    cls=LroCommand,
    epilog=examples(
        "lro update $NAME --percent 40",
        'lro update $NAME --metadata \'{"@type": "type.googleapis.com/my.Job", "step": 4}\'',
    ),
)
@click.argument("name")
@click.option("--metadata", metavar="JSON", help=f"New metadata: {_JSON_HELP}.")
@click.option(
    "--percent",
    type=click.FloatRange(0, 100),
    metavar="P",
    help="Set progressPercent (0-100) in the metadata.",
)
@json_option
@client_options()
@click.pass_context
def update(
    ctx: click.Context, /, name: str, metadata: str | None, percent: float | None, **_: Any
) -> None:
    """Report progress of the running operation NAME by replacing its metadata."""
    if metadata is None and percent is None:
        raise click.UsageError("give --metadata, --percent or both")
    meta: dict[str, Any] = {"@type": PROGRESS_TYPE}
    if metadata is not None:
        meta = parse_json_object(metadata, "--metadata")
    if percent is not None:
        meta["progressPercent"] = int(percent) if percent.is_integer() else percent
    with settings_of(ctx).client() as client:
        op = client.update(name, meta)
    _show(op, as_json=bool(ctx.params["json"]))


def _error_status(code_text: str, message: str) -> dict[str, Any]:
    """A google.rpc.Status for ``--error CODE --message TEXT``."""
    from lro.errors import Code

    try:
        code = Code(int(code_text)) if code_text.isdigit() else Code[code_text.upper()]
    except (KeyError, ValueError):
        raise click.BadParameter(f"unknown code {code_text!r}", param_hint="--error") from None
    if code is Code.OK:
        raise click.BadParameter("an error needs a non-OK code", param_hint="--error")
    return {"code": int(code), "message": message}


@click.command(
    cls=LroCommand,
    epilog=examples(
        'lro finish $NAME --response \'{"@type": "type.googleapis.com/my.Out", "rows": 42}\'',
        "lro finish $NAME --error INTERNAL --message 'disk full'",
        "lro finish $NAME --abort",
    ),
)
@click.argument("name")
@click.option("--response", metavar="JSON", help=f"Succeed with this result: {_JSON_HELP}.")
@click.option("--error", "code", metavar="CODE", help="Fail with this code (INTERNAL or 13, ...).")
@click.option("--message", default="", help="The error message (with --error).")
@click.option("--abort", is_flag=True, help="Abort it instead (error code ABORTED).")
@click.option("--request-id", metavar="ID", help="Idempotency key for retries.")
@json_option
@client_options()
@click.pass_context
def finish(
    ctx: click.Context,
    /,
    name: str,
    response: str | None,
    code: str | None,
    message: str,
    abort: bool,
    request_id: str | None,
    **_: Any,
) -> None:
    """Finish the running operation NAME with a response, an error, or --abort."""
    if [response is not None, code is not None, abort].count(True) != 1:
        raise click.UsageError("give exactly one of --response, --error and --abort")
    error = None if code is None else _error_status(code, message)
    result = None if response is None else parse_json_object(response, "--response")
    with settings_of(ctx).client() as client:
        if abort:
            op = client.abort(name, request_id=request_id)
        else:
            op = client.finalize(name, response=result, error=error, request_id=request_id)
    _show(op, as_json=bool(ctx.params["json"]))


def _show(op: Operation, *, as_json: bool) -> None:
    """Print the operation after a change: JSON, or ``NAME: STATE [PERCENT]``."""
    from ._render import percent, state

    if as_json:
        show_operation(op, as_json=True)
    else:
        name = shown(op.name)
        echo(f"{name}: {state(op)}" if op.done else f"{name}: {state(op)} {percent(op)}")


@click.command(
    cls=LroCommand,
    epilog=examples("lro seen operations/123", "lro unseen --json | jq -r '.operations[].name'"),
)
@click.argument("names", metavar="NAME...", nargs=-1, required=True)
@json_option
@client_options()
@click.pass_context
def seen(ctx: click.Context, /, names: tuple[str, ...], **_: Any) -> None:
    """Mark finished operations as seen by their creator (only the creator may)."""
    from ._render import operations_json

    with settings_of(ctx).client() as client:
        marked = client.mark_seen(*names)
    ops = marked if isinstance(marked, list) else [marked]
    if ctx.params["json"]:
        echo(operations_json(ops))
        return
    for op in ops:
        echo(f"{shown(op.name)}: seen at {op.seen_by_creator_time}")


@click.command(
    cls=LroCommand,
    epilog=examples("lro unseen", "lro unseen --all --basic --json"),
)
@click.option("--page-size", type=click.IntRange(min=1), metavar="N", help="Operations per page.")
@click.option("--all", "every", is_flag=True, help="Fetch every page, not just the first.")
@click.option("--basic", is_flag=True, help="Leave out responses (OPERATION_VIEW_BASIC).")
@json_option
@client_options()
@click.pass_context
def unseen(
    ctx: click.Context, /, page_size: int | None, every: bool, basic: bool, **_: Any
) -> None:
    """List your finished operations whose results you have not marked seen."""
    view = "OPERATION_VIEW_BASIC" if basic else None
    with settings_of(ctx).client() as client:
        pager = client.unseen(page_size=page_size, view=view)
        show_pages(pager, every=every, audited=True, as_json=bool(ctx.params["json"]))

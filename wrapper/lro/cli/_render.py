"""Text and JSON renderings of operations for the terminal and for scripts."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from lro._core.jsonvalues import dumps

from ._escape import json_shown, shown

if TYPE_CHECKING:
    from lro import Operation
    from lro.errors import Error

__all__ = [
    "compact_json",
    "dump_json",
    "error_text",
    "operation_lines",
    "operations_json",
    "percent",
    "shortened",
    "state",
    "summary_line",
    "table_lines",
    "time_left",
]


def dump_json(value: Any) -> str:
    """Indented JSON text (non-ASCII kept, control characters escaped) for ``--json``."""
    return json_shown(dumps(value, indent=2))


def compact_json(value: Any) -> str:
    """One-line JSON text (control characters escaped): JSON Lines, and values shown
    inside human output."""
    return json_shown(dumps(value))


def state(op: Operation) -> str:
    """RUNNING, SUCCEEDED, CANCELLED, FAILED(<CODE>) or DONE (neither error nor response)."""
    if not op.done:
        return "RUNNING"
    error = op.error
    if error is not None:
        return "CANCELLED" if error.code.name == "CANCELLED" else f"FAILED({error.code.name})"
    return "SUCCEEDED" if op.response is not None else "DONE"


def shortened(text: str, width: int) -> str:
    """``text`` cut in the middle to at most ``width`` terminal cells, ``…`` marking the cut.

    The end of a name (the operation's id) is what tells operations apart, so it keeps
    the larger half; wide characters (CJK) count two cells, as on a terminal.
    """
    from rich.cells import cell_len  # only the live bars shorten: rich is loaded then

    if cell_len(text) <= width:
        return text
    if width <= 1:
        return "…"[:width]
    room = width - 1
    head = _cut(text, room // 2, cell_len)
    tail = _cut(text[::-1], room - cell_len(head), cell_len)[::-1]
    return f"{head}…{tail}"


def _cut(text: str, width: int, cell_len: Callable[[str], int]) -> str:
    """The longest start of ``text`` that fits in ``width`` cells."""
    used = 0
    for index, char in enumerate(text):
        used += cell_len(char)
        if used > width:
            return text[:index]
    return text


def error_text(error: Error) -> str:
    """``CODE: message [reason=...]`` (the operation's name left out: it is shown already)."""
    text = f"{error.code.name}: {shown(error.message)}" if error.message else error.code.name
    return f"{text} [reason={shown(error.reason)}]" if error.reason else text


def percent(op: Operation) -> str:
    """The progress as ``"40%"``, or ``"-"`` when the metadata reports none."""
    fraction = op.progress
    return "-" if fraction is None else f"{fraction:.0%}"


def _duration(seconds: float) -> str:
    """``45s``, ``2m05s``, ``3h07m``, ``2d04h``: two units at most, rounded up."""
    total = max(1, math.ceil(seconds))
    for size, unit, small, small_unit in ((86400, "d", 3600, "h"), (3600, "h", 60, "m")):
        if total >= size:
            return f"{total // size}{unit}{(total % size) // small:02d}{small_unit}"
    return f"{total // 60}m{total % 60:02d}s" if total >= 60 else f"{total}s"


def time_left(op: Operation) -> str:
    """The estimated time left (:attr:`lro.Operation.eta`) as ``"~2m05s left"``; ``""``
    when there is none (done, or no estimate yet)."""
    eta = None if op.done else op.eta
    return "" if eta is None else f"~{_duration(eta.seconds)} left"


def _audit_lines(op: Operation) -> list[tuple[str, str]]:
    """(label, value) pairs for the audited view's fields that are set."""
    rows: list[tuple[str, str]] = []
    for label, time, who in (
        ("created", op.create_time, op.creator),
        ("updated", op.update_time, op.updater),
        ("deleted", op.delete_time, op.deleter),
        ("seen", op.seen_by_creator_time, None),
    ):
        if time is not None:
            rows.append((label, f"{time} by {shown(who)}" if who else str(time)))
    return rows


def operation_lines(op: Operation, *, pretty: bool = False) -> list[str]:
    """A ``label: value`` block describing one operation.

    ``pretty`` (on a terminal): metadata and response as indented JSON, their lines
    aligned under the value column; otherwise each on one line (for grep and logs).
    """
    as_json = dump_json if pretty else compact_json
    rows: list[tuple[str, str]] = [("name", shown(op.name)), ("state", state(op))]
    if op.progress is not None:
        rows.append(("progress", percent(op)))
    if not op.done:  # one snapshot (lro get) has no rate: lro wait estimates
        rows.append(("eta", time_left(op) or "time left unknown (from one snapshot)"))
    if op.metadata is not None:
        rows.append(("metadata", as_json(op.metadata)))
    if op.response is not None:
        rows.append(("response", as_json(op.response)))
    if op.error is not None:
        rows.append(("error", error_text(op.error)))
    rows.extend(_audit_lines(op))
    width = max(len(label) for label, _ in rows) + 1
    margin = "\n" + " " * (width + 1)
    return [f"{label + ':':<{width}} {value.replace(chr(10), margin)}" for label, value in rows]


def summary_line(op: Operation, elapsed: float, shown_state: str | None = None) -> str:
    """``<elapsed>s <name> <STATE> <percent>[ ~<time> left]``: one operation on one line
    (``shown_state`` in place of its state, e.g. while the server does not answer)."""
    line = f"{elapsed:.1f}s {shown(op.name)} {shown_state or state(op)} {percent(op)}"
    left = time_left(op)
    return f"{line} {left}" if left else line


def table_lines(ops: Sequence[Operation], *, audited: bool) -> list[str]:
    """Aligned rows NAME STATE PROGRESS [CREATOR CREATED] with a header line."""
    header = ["NAME", "STATE", "PROGRESS"] + (["CREATOR", "CREATED"] if audited else [])
    rows = [header]
    for op in ops:
        row = [shown(op.name), state(op), percent(op)]
        if audited:
            created = op.create_time
            row += [shown(op.creator or "-"), "-" if created is None else str(created)]
        rows.append(row)
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    return [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]


def operations_json(
    ops: Iterable[Operation],
    *,
    next_page_token: str = "",
    total_size: int | None = None,
    unreachable: Iterable[str] = (),
) -> str:
    """``{"operations": [...], "nextPageToken"?, "totalSize"?, "unreachable"?}`` as
    indented JSON (``unreachable``: the locations a partial result left out)."""
    payload: dict[str, Any] = {"operations": [op.to_dict() for op in ops]}
    if next_page_token:
        payload["nextPageToken"] = next_page_token
    if total_size is not None:
        payload["totalSize"] = total_size
    missing = list(unreachable)
    if missing:
        payload["unreachable"] = missing
    return dump_json(payload)

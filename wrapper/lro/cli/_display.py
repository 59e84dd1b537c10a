"""How ``lro wait`` shows the progress of the operations it waits for.

- On a terminal: a live rich progress bar per operation, drawn once its first snapshot
  arrived (a name the server does not know is never shown RUNNING). It shows the
  percentage when the operation's metadata reports progress (and the estimated time left
  once there is one: :attr:`lro.Operation.eta`), and a pulsing bar with a spinner and the
  elapsed time when it does not. A finished row ends with a mark in
  place of the spinner (``✓`` succeeded, ``✗`` failed, ``⊘`` cancelled; ``-`` for one
  the wait gave up on). A long name is cut in the middle to keep the line on the screen.
- Otherwise (a pipe, a file, a CI log): for one operation, one plain line per change of
  state or percentage; for several, one summary line each as it finishes
  (``--progress plain``: a line per change of any of them).
- ``--progress none``: nothing.

While the server does not answer (see :mod:`lro.cli._outage`) the rows still running say
``reconnecting…`` in place of their state, and the plain display prints a line saying so.

rich is imported only when a bar is actually drawn.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, TextIO

from ._escape import shown
from ._render import percent, shortened, state, summary_line, time_left

if TYPE_CHECKING:
    from rich.console import Console, ConsoleOptions, RenderResult
    from rich.measure import Measurement
    from rich.progress import Task

    from lro import Operation

__all__ = ["Display", "make_display"]

#: ``--progress`` choices.
MODES = ("auto", "bar", "plain", "none")

#: What a row still running says while the server does not answer.
RECONNECTING = "reconnecting…"


class Display:
    """Shows nothing; the base of the other displays (a context manager)."""

    def __enter__(self) -> Display:
        """Start showing (nothing to do here)."""
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Stop showing (nothing to do here)."""

    def update(self, op: Operation) -> None:
        """Show a new snapshot of the operation."""

    def finish(self, op: Operation) -> None:
        """Show the final snapshot."""
        self.update(op)

    def outage(self, lost: bool) -> None:
        """Show that the server stopped answering (``lost``) or answers again."""


class LineDisplay(Display):
    """One plain line per change of an operation: ``<elapsed>s <name> <STATE> <percent>``
    and, when estimated, `` ~<time> left``.

    Called from several threads (an outage is noticed by whichever thread sent the
    request), so each line is written whole under a lock.
    """

    def __init__(self, stream: TextIO, clock: Callable[[], float] = time.monotonic) -> None:
        """Write to ``stream``; elapsed time is measured with ``clock``."""
        self._stream = stream
        self._clock = clock
        self._start = clock()
        self._last: dict[str, tuple[str, str]] = {}
        self._ops: dict[str, Operation] = {}  # the last snapshot of each, for outages
        self._lock = threading.Lock()

    def update(self, op: Operation) -> None:
        """Print a line if the state or the percentage changed since the last one."""
        with self._lock:
            self._ops[op.name] = op
            if self._last.get(op.name) != (state(op), percent(op)):
                self._write(op, state(op))

    def outage(self, lost: bool) -> None:
        """A line for each operation still running: ``reconnecting…`` when the server
        stopped answering, its last state again once it answers."""
        with self._lock:
            for op in self._ops.values():
                if not op.done:
                    self._write(op, RECONNECTING if lost else state(op))

    def _write(self, op: Operation, shown_state: str) -> None:
        self._last[op.name] = (shown_state, percent(op))
        self._stream.write(summary_line(op, self._clock() - self._start, shown_state) + "\n")
        self._stream.flush()


class SummaryDisplay(LineDisplay):
    """One line per operation, when it finishes (several operations, off a terminal)."""

    def update(self, op: Operation) -> None:
        """Print the operation's line the first time it is seen done."""
        if op.done:
            super().update(op)

    def outage(self, lost: bool) -> None:
        """One line for all of them: the server stopped answering, or answers again."""
        with self._lock:
            elapsed = self._clock() - self._start
            self._stream.write(f"{elapsed:.1f}s {RECONNECTING if lost else 'reconnected'}\n")
            self._stream.flush()


class BarDisplay(Display):
    """A live rich progress bar per operation (percentage when known, else a pulse).

    Columns: mark (spinner, then the final mark), name, state, bar, percentage, elapsed.
    Only the name may shrink: when the line is wider than the terminal, rich's table
    narrows the one column that may wrap, and :class:`_Name` cuts it in the middle, so
    the state, the bar and the percentage stay visible.
    """

    def __init__(self, stream: TextIO, names: Sequence[str]) -> None:
        """Draw on ``stream``, one row for each of ``names`` (in that order), each shown
        from its first snapshot on."""
        from rich.console import Console
        from rich.progress import Progress

        console = Console(file=stream, highlight=False)
        self._progress = Progress(*_columns(console.width), console=console, refresh_per_second=10)
        self._tasks: dict[str, Any] = {}
        self._last: dict[Any, Operation] = {}  # each shown row's last snapshot
        self._lost = False
        self._lock = threading.Lock()  # outage() is called from the thread that noticed it
        for name in names:
            self._task(name)

    def __enter__(self) -> BarDisplay:
        """Start the live display."""
        self._progress.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Mark the rows the wait gave up on (timeout, error, Ctrl-C), draw the last frame
        and stop: no spinner is left turning on a row that will not change again."""
        with self._lock:
            for task, op in self._last.items():
                if not op.done:
                    self._progress.update(task, mark=_GAVE_UP)
                    self._progress.stop_task(task)
        self._progress.stop()

    def _task(self, name: str) -> Any:
        if name not in self._tasks:  # also a name the server spells differently
            self._tasks[name] = self._progress.add_task(
                "", total=None, visible=False, name=shown(name), state="", mark=None, left=""
            )
        return self._tasks[name]

    def update(self, op: Operation) -> None:
        """Show the operation's row at its progress (if it reports one) and state."""
        fields: dict[str, Any] = {"visible": True, "left": time_left(op)}
        if op.progress is not None:
            fields.update(total=100, completed=round(op.progress * 100, 1))
        if op.done:
            fields["mark"] = _mark(op)
            if op.error is None:  # a full bar for a success
                fields.update(total=100, completed=100)
        with self._lock:
            task = self._task(op.name)
            self._last[task] = op
            self._progress.update(task, state=self._state(op), **fields)
            if op.done:
                self._progress.stop_task(task)  # freezes its clock

    def finish(self, op: Operation) -> None:
        """Show the final snapshot of ``op``."""
        self.update(op)

    def outage(self, lost: bool) -> None:
        """Say ``reconnecting…`` on every row still running while the server does not
        answer; their own state again once it does."""
        with self._lock:
            self._lost = lost
            for task, op in self._last.items():
                self._progress.update(task, state=self._state(op))

    def _state(self, op: Operation) -> str:
        return RECONNECTING if self._lost and not op.done else state(op)


def _columns(width: int) -> list[Any]:
    """The columns of a row on a terminal ``width`` cells wide (see :class:`BarDisplay`)."""
    from rich.progress import (
        BarColumn,
        ProgressColumn,
        SpinnerColumn,
        TaskProgressColumn,
        TextColumn,
        TimeElapsedColumn,
    )
    from rich.table import Column
    from rich.text import Text

    class MarkColumn(SpinnerColumn):
        """The spinner while the row runs, then the row's final mark."""

        def render(self, task: Task) -> Any:
            mark = task.fields.get("mark")
            return super().render(task) if mark is None else Text(*mark)

    class NameColumn(ProgressColumn):
        """The operation's name (escaped), cut in the middle to the column's width."""

        def render(self, task: Task) -> Any:
            return _Name(task.fields["name"])

    class StillBarColumn(BarColumn):
        """The bar; a row that ended without reporting progress stops pulsing."""

        def render(self, task: Task) -> Any:
            bar = super().render(task)
            if task.total is None and task.fields.get("mark") is not None:
                bar.total, bar.pulse = 100, False
            return bar

    class PercentColumn(TaskProgressColumn):
        """The percentage, then our time-left estimate when there is one (not rich's)."""

        def render(self, task: Task) -> Any:
            text = super().render(task)
            left = task.fields.get("left")
            if left:
                text.append(f" {left}")
            return text

    def fixed() -> Column:
        return Column(no_wrap=True)  # never narrowed: only the name is

    return [
        MarkColumn(table_column=fixed()),
        NameColumn(),
        TextColumn("{task.fields[state]}", markup=False, table_column=fixed()),
        StillBarColumn(bar_width=max(10, min(40, width // 5)), table_column=fixed()),
        PercentColumn(table_column=fixed()),
        TimeElapsedColumn(table_column=fixed()),
    ]


#: The mark (text, style) of a row the wait gave up on before it finished.
_GAVE_UP = ("-", "dim")


def _mark(op: Operation) -> tuple[str, str]:
    """The final mark (text, style) of a finished row. Bright red, not red: ``ESC[31m``
    on the terminal then can only have come from a server (which escaping prevents,
    and tests/cli/test_cli_escaping.py checks)."""
    error = op.error
    if error is None:
        return ("✓", "green")
    return ("⊘", "yellow") if error.code.name == "CANCELLED" else ("✗", "bright_red")


class _Name:
    """A name that fits its column: cut in the middle (see :func:`shortened`)."""

    def __init__(self, text: str) -> None:
        self._text = text

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        from rich.cells import cell_len
        from rich.measure import Measurement

        width = min(cell_len(self._text), options.max_width)
        return Measurement(min(width, 12), width)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        from rich.text import Text

        yield Text(shortened(self._text, options.max_width), no_wrap=True, overflow="crop")


def make_display(mode: str, stream: TextIO, names: Sequence[str]) -> Display:
    """The display for ``--progress mode`` of the operations ``names``, on ``stream``."""
    if mode == "none":
        return Display()
    if mode == "bar" or (mode == "auto" and stream.isatty()):
        return BarDisplay(stream, names)
    if mode == "auto" and len(set(names)) > 1:
        return SummaryDisplay(stream)
    return LineDisplay(stream)

"""How ``lro wait`` shows the progress of the operations it waits for.

- On a terminal: a live rich progress bar per operation. It shows the percentage when
  the operation's metadata reports progress (and the estimated time left once there is
  one: :attr:`lro.Operation.eta`), and a pulsing bar with a spinner and the
  elapsed time when it does not.
- Otherwise (a pipe, a file, a CI log): for one operation, one plain line per change of
  state or percentage; for several, one summary line each as it finishes
  (``--progress plain``: a line per change of any of them).
- ``--progress none``: nothing.

rich is imported only when a bar is actually drawn.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, TextIO

from ._escape import shown
from ._render import percent, state, summary_line, time_left

if TYPE_CHECKING:
    from lro import Operation

__all__ = ["Display", "make_display"]

#: ``--progress`` choices.
MODES = ("auto", "bar", "plain", "none")


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


class LineDisplay(Display):
    """One plain line per change of an operation: ``<elapsed>s <name> <STATE> <percent>``
    and, when estimated, `` ~<time> left``."""

    def __init__(self, stream: TextIO, clock: Callable[[], float] = time.monotonic) -> None:
        """Write to ``stream``; elapsed time is measured with ``clock``."""
        self._stream = stream
        self._clock = clock
        self._start = clock()
        self._last: dict[str, tuple[str, str]] = {}

    def update(self, op: Operation) -> None:
        """Print a line if the state or the percentage changed since the last one."""
        shown = (state(op), percent(op))
        if self._last.get(op.name) == shown:
            return
        self._last[op.name] = shown
        self._stream.write(summary_line(op, self._clock() - self._start) + "\n")
        self._stream.flush()


class SummaryDisplay(LineDisplay):
    """One line per operation, when it finishes (several operations, off a terminal)."""

    def update(self, op: Operation) -> None:
        """Print the operation's line the first time it is seen done."""
        if op.done:
            super().update(op)


class BarDisplay(Display):
    """A live rich progress bar per operation (percentage when known, else a pulse)."""

    def __init__(self, stream: TextIO, names: Sequence[str]) -> None:
        """Draw on ``stream``, one bar for each of ``names`` (in that order)."""
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            Progress,
            SpinnerColumn,
            TaskProgressColumn,
            TextColumn,
            TimeElapsedColumn,
        )

        self._progress = Progress(
            SpinnerColumn(finished_text="•"),
            TextColumn("{task.description}", markup=False),
            BarColumn(),
            TaskProgressColumn(),
            TextColumn("{task.fields[left]}", markup=False),  # our estimate, not rich's
            TimeElapsedColumn(),
            console=Console(file=stream, highlight=False),
            refresh_per_second=10,
        )
        self._tasks: dict[str, Any] = {}
        for name in names:
            if name not in self._tasks:
                self._tasks[name] = self._progress.add_task(
                    f"{shown(name)} RUNNING", total=None, left=""
                )

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
        """Draw the last frame and stop."""
        self._progress.stop()

    def _task(self, op: Operation) -> Any:
        if op.name not in self._tasks:  # a name the server spells differently
            self._tasks[op.name] = self._progress.add_task(shown(op.name), total=None, left="")
        return self._tasks[op.name]

    def update(self, op: Operation) -> None:
        """Move the operation's bar to its progress (if it reports one)."""
        fields: dict[str, Any] = {
            "description": f"{shown(op.name)} {state(op)}",
            "left": time_left(op),
        }
        if op.progress is not None:
            fields.update(total=100, completed=round(op.progress * 100, 1))
        self._progress.update(self._task(op), **fields)
        if op.done:
            self._done(op)

    def _done(self, op: Operation) -> None:
        """Fill the bar if the operation succeeded; freeze its clock either way."""
        task = self._task(op)
        if op.error is None:
            self._progress.update(task, total=100, completed=100)
        self._progress.stop_task(task)

    def finish(self, op: Operation) -> None:
        """Show the final snapshot of ``op``."""
        self.update(op)


def make_display(mode: str, stream: TextIO, names: Sequence[str]) -> Display:
    """The display for ``--progress mode`` of the operations ``names``, on ``stream``."""
    if mode == "none":
        return Display()
    if mode == "bar" or (mode == "auto" and stream.isatty()):
        return BarDisplay(stream, names)
    if mode == "auto" and len(set(names)) > 1:
        return SummaryDisplay(stream)
    return LineDisplay(stream)

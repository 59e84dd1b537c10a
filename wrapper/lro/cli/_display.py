"""How ``lro wait`` shows an operation's progress while it waits.

- On a terminal: a live rich progress bar. It shows the percentage when the operation's
  metadata reports progress, and a pulsing bar with a spinner and the elapsed time when
  it does not.
- Otherwise (a pipe, a file, a CI log): one plain line per change of state or percentage.
- ``--progress none``: nothing.

rich is imported only when a bar is actually drawn.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any, TextIO

from ._render import percent, state

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
    """One plain line per change: ``<elapsed>s <name> <STATE> <percent>``."""

    def __init__(self, stream: TextIO, clock: Callable[[], float] = time.monotonic) -> None:
        """Write to ``stream``; elapsed time is measured with ``clock``."""
        self._stream = stream
        self._clock = clock
        self._start = clock()
        self._last: tuple[str, str] | None = None

    def update(self, op: Operation) -> None:
        """Print a line if the state or the percentage changed since the last one."""
        shown = (state(op), percent(op))
        if shown == self._last:
            return
        self._last = shown
        elapsed = self._clock() - self._start
        self._stream.write(f"{elapsed:.1f}s {op.name} {shown[0]} {shown[1]}\n")
        self._stream.flush()


class BarDisplay(Display):
    """A live rich progress bar (percentage when known, else a pulse and a spinner)."""

    def __init__(self, stream: TextIO, name: str) -> None:
        """Draw on ``stream`` for the operation ``name``."""
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
            TimeElapsedColumn(),
            console=Console(file=stream, highlight=False),
            refresh_per_second=10,
        )
        self._task = self._progress.add_task(f"{name} RUNNING", total=None)

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

    def update(self, op: Operation) -> None:
        """Move the bar to the operation's progress (if it reports one)."""
        fields: dict[str, Any] = {"description": f"{op.name} {state(op)}"}
        if op.progress is not None:
            fields.update(total=100, completed=round(op.progress * 100, 1))
        self._progress.update(self._task, **fields)

    def finish(self, op: Operation) -> None:
        """Fill the bar if the operation succeeded; freeze the clock either way."""
        self.update(op)
        if op.done and op.error is None:
            self._progress.update(self._task, total=100, completed=100)
        self._progress.stop_task(self._task)


def make_display(mode: str, stream: TextIO, name: str) -> Display:
    """The display for ``--progress mode`` writing to ``stream``."""
    if mode == "none":
        return Display()
    if mode == "bar" or (mode == "auto" and stream.isatty()):
        return BarDisplay(stream, name)
    return LineDisplay(stream)

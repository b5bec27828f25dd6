"""A progress bar for long work, drawn only when stderr is a terminal.

Drawn by `rich.progress`, which fits the bar to the terminal's width (a hand-drawn bar wider
than the terminal leaves a wrapped line behind on every redraw) and estimates the time left.
Rich is imported only when a bar is drawn: a run whose stderr is no terminal (a cron job, a
pipe, the benchmarks) does not pay its ~25 ms of imports.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress as RichProgress

#: Redraws at most this often; the engine ticks every 20,000 lines.
REDRAW_SECONDS = 0.1
#: A file name longer than this is cut with an ellipsis, so the bar keeps its room.
LABEL_WIDTH = 20


def _rich_bar(console: Console, clock: Callable[[], float]) -> RichProgress:
    """The bar: label, bar, percent, lines and their rate, time taken and left."""
    from rich.progress import (
        BarColumn,
        ProgressColumn,
        Task,
        TaskProgressColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )
    from rich.progress import Progress as RichProgress
    from rich.table import Column
    from rich.text import Text

    class LinesColumn(ProgressColumn):
        """`1,234,567 lines 412.3k/s`: what was read, and how fast."""

        def __init__(self) -> None:
            super().__init__(table_column=Column(no_wrap=True))

        def render(self, task: Task) -> Text:
            lines = int(task.fields.get("lines", 0))
            elapsed = task.finished_time if task.finished else task.elapsed
            rate = lines / elapsed if elapsed else 0.0
            shown = f"{rate / 1000:.1f}k/s" if rate >= 1000 else f"{rate:.0f}/s"
            return Text(f"{lines:,} lines {shown}", style="progress.data.speed")

    return RichProgress(
        TextColumn("{task.description}", table_column=Column(
            no_wrap=True, overflow="ellipsis", max_width=LABEL_WIDTH)),
        BarColumn(bar_width=None),
        TaskProgressColumn(),
        LinesColumn(),
        TimeElapsedColumn(),
        TextColumn("eta"),
        TimeRemainingColumn(),
        console=console, auto_refresh=False, get_time=clock,
        redirect_stdout=False, redirect_stderr=False)


class Progress:
    """`start(label, total)`, `update(done, lines)`, `finish()`; silent when not a terminal.

    Use it as a context manager where work can fail mid-file: leaving the block stops the
    display, so the terminal gets its cursor back whatever happened.
    """

    def __init__(self, stream: TextIO | None = None, *, enabled: bool | None = None,
                 console: Console | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.stream = stream or sys.stderr
        if console is not None:
            self.enabled = console.is_terminal if enabled is None else enabled
        else:
            self.enabled = _isatty(self.stream) if enabled is None else enabled
        self._console = console
        self._clock = clock
        self._bar: RichProgress | None = None
        self._task: Any = 0   # rich's TaskID
        self._total = 1
        self._last_draw = 0.0

    def start(self, label: str, total: int) -> None:
        """Begin a bar for `total` units (bytes of the file on disk) of work named `label`."""
        if not self.enabled:
            return
        self._stop()
        self._total = max(total, 1)
        if self._console is None:
            from rich.console import Console
            self._console = Console(file=self.stream, stderr=self.stream is sys.stderr)
        self._bar = _rich_bar(self._console, self._clock)
        self._task = self._bar.add_task(label, total=self._total, lines=0)
        self._bar.start()
        self._last_draw = self._clock()
        self._bar.refresh()

    def update(self, done: int, lines: int | None = None) -> None:
        """`done` units of `total`; `lines` read so far, for the count and the rate."""
        if self._bar is None:
            return
        if lines is None:
            self._bar.update(self._task, completed=min(done, self._total))
        else:
            self._bar.update(self._task, completed=min(done, self._total), lines=lines)
        now = self._clock()
        if now - self._last_draw >= REDRAW_SECONDS:
            self._last_draw = now
            self._bar.refresh()

    def finish(self) -> None:
        """Fill the bar, draw it one last time and leave it on its own line."""
        if self._bar is None:
            return
        self._bar.update(self._task, completed=self._total)
        self._stop()

    def _stop(self) -> None:
        if self._bar is not None:
            self._bar.refresh()
            self._bar.stop()
            self._bar = None

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._stop()


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a closed or odd stream is no terminal
        return False

"""The progress bar: fits the terminal, says how long, silent when piped."""

from __future__ import annotations

import io
import re

from rich.console import Console

from auditor.progress import Progress

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
CLOCK = re.compile(r"\d+:\d\d:\d\d")


def _screen_lines(text: str) -> list[str]:
    """What a terminal shows, redraw by redraw: escapes removed, split at \\r and \\n."""
    return [line for line in re.split(r"[\r\n]", ANSI.sub("", text)) if line]


def _run(width: int) -> str:
    out = io.StringIO()
    now = [0.0]
    bar = Progress(console=Console(file=out, width=width, force_terminal=True),
                   clock=lambda: now[0])
    with bar:
        bar.start("fw-edge-2026-11-24-very-long-archive-name.log.gz", 1000)
        for second in range(1, 11):
            now[0] = float(second)
            bar.update(second * 50, second * 40_000)
        last_redraw = out.getvalue()
        bar.finish()
    return last_redraw


def test_bar_fits_an_80_column_terminal_and_estimates_time() -> None:
    lines = _screen_lines(_run(80))
    assert lines and all(len(line) <= 80 for line in lines), max(lines, key=len)
    last = lines[-1]
    assert "50%" in last and "400,000 lines" in last and "40.0k/s" in last
    elapsed, remaining = CLOCK.findall(last)
    assert (elapsed, remaining) == ("0:00:10", "0:00:10")  # half done in 10 s: 10 s to go
    assert last.startswith("fw-edge-2026-11-24-")


def test_bar_fits_a_narrow_terminal() -> None:
    assert all(len(line) <= 60 for line in _screen_lines(_run(60)))


def test_silent_when_piped() -> None:
    out = io.StringIO()
    bar = Progress(out)
    bar.start("fw-edge.log", 1000)
    bar.update(500, 10)
    bar.finish()
    assert out.getvalue() == ""

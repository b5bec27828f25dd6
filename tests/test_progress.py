"""The progress bar: drawn on a terminal, silent when piped."""

from __future__ import annotations

import io

from auditor.progress import Progress


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_bar_on_a_terminal_shows_share_and_lines() -> None:
    out = Tty()
    bar = Progress(out)
    bar.start("fw-edge.log", 1000)
    bar.update(1000, 40_000)
    bar.finish()
    last = out.getvalue().split("\r")[-1]
    assert last.startswith("fw-edge.log")
    assert "100.0%" in last and "40,000 lines" in last and last.endswith("\n")


def test_silent_when_piped() -> None:
    out = io.StringIO()
    bar = Progress(out)
    bar.start("fw-edge.log", 1000)
    bar.update(500, 10)
    bar.finish()
    assert out.getvalue() == ""

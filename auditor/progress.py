"""A progress bar for long work, drawn only when stderr is a terminal."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    """`start(label, total)`, `update(done)`, `finish()`; silent when not a terminal."""

    def __init__(self, stream: TextIO | None = None, *, enabled: bool | None = None) -> None:
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self._label = ""
        self._total = 0
        self._started = 0.0
        self._last_draw = 0.0
        self._lines = 0

    def start(self, label: str, total: int) -> None:
        self._label, self._total = label, max(total, 1)
        self._started = time.monotonic()
        self._lines = 0
        self.update(0)

    def update(self, done: int, lines: int | None = None) -> None:
        """`done` bytes of `total`; `lines` read so far, for the rate."""
        if not self.enabled:
            return
        now = time.monotonic()
        if lines is not None:
            self._lines = lines
        if done and done < self._total and now - self._last_draw < 0.1:
            return
        self._last_draw = now
        share = min(done / self._total, 1.0)
        bar = "#" * int(share * 30)
        elapsed = now - self._started
        rate = self._lines / elapsed / 1000 if elapsed > 0 else 0.0
        self.stream.write(f"\r{self._label[:30]:30} [{bar:30}] {share:6.1%} "
                          f"{self._lines:>11,} lines {rate:7.1f}k/s")
        self.stream.flush()

    def finish(self) -> None:
        if self.enabled:
            self.update(self._total)
            self.stream.write("\n")
            self.stream.flush()

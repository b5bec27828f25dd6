"""Rates over time: hourly series, and the rises a person should hear about, in words.

Pure: series in, values out. A rise is a sustained jump against the hours before it, as in the
seed story ("419002 rose from ~2,000/h to ~19,000/h on Nov 22 from 14:00"): each of the next
`SUSTAIN` hours at least `RISE` times the median of the day before, and at least `MIN_JUMP`
lines an hour more, so a quiet message going from 2 to 9 lines is no alarm.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import median

HOUR = timedelta(hours=1)
#: How many times the baseline a rise must be.
RISE = 3.0
#: How many more lines an hour a rise must add.
MIN_JUMP = 200
#: Hours of history the baseline takes (at most), and at least.
BASELINE_HOURS, MIN_HISTORY = 24, 3
#: Hours after the start that must stay high.
SUSTAIN = 3


@dataclass(frozen=True, slots=True)
class Rise:
    """A sustained jump in one message's hourly rate."""

    message: str
    start: datetime
    before: int
    """Lines an hour before (the median of up to a day)."""
    after: int
    """Lines an hour after (the median of the next `SUSTAIN` hours)."""

    def sentence(self) -> str:
        return (f"{self.message} rose from ~{about(self.before)}/h to ~{about(self.after)}/h "
                f"on {self.start:%b} {self.start.day} from {self.start:%H:00}")


def series(counts: Mapping[datetime, int]) -> list[tuple[datetime, int]]:
    """Hourly counts from the first hour to the last, the hours without lines as 0."""
    if not counts:
        return []
    hour, last = min(counts), max(counts)
    out = []
    while hour <= last:
        out.append((hour, counts.get(hour, 0)))
        hour += HOUR
    return out


def rises(by_message: Mapping[str, Mapping[datetime, int]], limit: int = 5) -> list[Rise]:
    """The sustained rises of every message's hourly rate, biggest jumps first."""
    found = []
    for message, counts in by_message.items():
        points = series(counts)
        values = [n for _, n in points]
        h = MIN_HISTORY
        while h + SUSTAIN <= len(values):
            before = median(values[max(0, h - BASELINE_HOURS):h])
            low = min(values[h:h + SUSTAIN])   # every one of the next hours stays high
            if low >= RISE * max(before, 1) and low - before >= MIN_JUMP:
                after = median(values[h:h + SUSTAIN])
                found.append(Rise(message, points[h][0], round(before), round(after)))
                h += SUSTAIN   # one rise, not one per hour of it
                while h < len(values) and values[h] >= after / 2:
                    h += 1
                continue
            h += 1
    found.sort(key=lambda r: (-(r.after - r.before), r.start, r.message))
    return found[:limit]


def about(n: float) -> str:
    """Two significant digits, as a person says a rate: 19,140 -> `19,000`, 87 -> `87`."""
    n = round(n)
    if n < 100:
        return str(n)
    digits = len(str(n)) - 2
    return f"{round(n, -digits):,}"

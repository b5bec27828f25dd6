"""Folding log events as they stream: per-destination evidence and per-flow counters.

Memory grows with distinct destinations and flows, never with lines.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from auditor.model import DROP_SIGNALS, LogEvent, Signal, Traffic

FlowKey = tuple[str, str, str, int | None]
MAX_SPORTS = 32


@dataclass(slots=True)
class _Tally:
    count: int = 0
    first: datetime | None = None
    last: datetime | None = None
    signals: Counter[str] = field(default_factory=Counter)
    messages: Counter[str] = field(default_factory=Counter)
    sports: set[int] = field(default_factory=set)
    """A few source ports, to match a capture's local sockets (UDP pollers)."""

    def add(self, event: LogEvent) -> None:
        self.count += event.count
        if event.sport is not None and len(self.sports) < MAX_SPORTS:
            self.sports.add(event.sport)
        self.signals[event.signal] += event.count
        self.messages[event.message] += event.count
        when = event.time
        if when is not None:
            if self.first is None or when < self.first:
                self.first = when
            if self.last is None or when > self.last:
                self.last = when


class TrafficIndex:
    """Everything the engine needs from the logs, folded early."""

    def __init__(self) -> None:
        self.by_dst: dict[str, _Tally] = {}
        self.flows: dict[FlowKey, _Tally] = {}
        self.hourly: Counter[datetime] = Counter()
        self.sources: Counter[str] = Counter()
        """Drop lines per sending address (who keeps trying)."""

    def add(self, event: LogEvent) -> None:
        if event.dst is None or event.signal is Signal.OTHER:
            return
        tally = self.by_dst.get(event.dst)
        if tally is None:
            tally = self.by_dst[event.dst] = _Tally()
        tally.add(event)
        if event.signal in DROP_SIGNALS:
            key = (event.src or "?", event.dst, event.protocol or "?", event.dport)
            flow = self.flows.get(key)
            if flow is None:
                flow = self.flows[key] = _Tally()
            flow.add(event)
            self.sources[event.src or "?"] += event.count
            if event.time is not None:
                self.hourly[event.time.replace(minute=0, second=0, microsecond=0)] += \
                    event.count

    def summary(self, address: str) -> Traffic | None:
        """What the logs say about `address` as a destination, or None when nothing."""
        tally = self.by_dst.get(address)
        if tally is None:
            return None
        drops = sum(n for s, n in tally.signals.items() if s in DROP_SIGNALS)
        return Traffic(drops=drops, answered=tally.signals.get(Signal.TRAFFIC_ANSWERED, 0),
                       first_seen=tally.first, last_seen=tally.last,
                       by_message=dict(tally.messages), by_signal=dict(tally.signals))

"""Folding log events as they stream: per-flow counters for drops, per-destination ones for
the rest, inbound noise apart.

Memory grows with distinct destinations and flows, never with lines. A drop is counted once,
in its flow; `summary` adds a destination's flows up when reconcile asks (once per held
address), rather than every drop line paying for a second, per-destination tally.

A fold is a value that can be built in parts and merged (`TrafficIndex.merge`): a second
core, a second file or a SIEM's pre-aggregated rows fold on their own and merge into the
same counts, first/last seen and signals as one pass over everything (exactly, while the
flow table is under its cap; past it, which flows stay exact depends on arrival order).
Readers use `summary`, `drop_flows` and `noise`, never the tallies' insides.
"""

from __future__ import annotations

from array import array
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from auditor.model import DROP_SIGNALS, LogEvent, Signal, Traffic

try:   # the drop-flow table in C (`auditor/_flows.c`), where the install could build it
    from auditor._flows import FlowTable
except ImportError:   # pragma: no cover - no C compiler at install: the same fold in Python
    FlowTable = None  # type: ignore[assignment,misc]

FlowKey = tuple[str, str, str, int | None]
#: (count, first seen, last seen, signals, source ports): `TrafficIndex.flow_brief`.
FlowBrief = tuple[int, datetime | None, datetime | None, tuple[str, ...], tuple[int, ...]]
MAX_SPORTS = 32
#: Distinct drop flows kept exactly (about 1 KB each); see `TrafficIndex.max_flows`.
MAX_FLOWS = 100_000

_HOUR = timedelta(hours=1)
# Plain names: `add` runs once per log line, and a global beats an enum attribute lookup.
_OTHER = Signal.OTHER


class Recorded(Protocol):
    """A worker's recorded fold calls (`connectors.base.Recording`), as the fold reads them."""

    blob: bytearray
    objects: list[object]
    calls: list[tuple[object, ...]]
    held: list[Any]

    def replay(self) -> Iterator[tuple[Any, ...] | int]: ...


@dataclass(slots=True)
class Tally:
    """Lines (or hits) seen, when, and by which signal and message."""

    count: int = 0
    first: datetime | None = None
    last: datetime | None = None
    signals: dict[str, int] = field(default_factory=dict)
    messages: dict[str, int] = field(default_factory=dict)
    # Plain dicts, not Counters: a tally is made per new flow, and a Counter costs a Python
    # call to make where a dict costs none.

    def add(self, when: datetime | None, message: str, signal: str, n: int) -> None:
        """Count `n` lines (or hits) of `message` saying `signal`, seen at `when`."""
        self.count += n
        signals, messages = self.signals, self.messages
        signals[signal] = signals.get(signal, 0) + n
        messages[message] = messages.get(message, 0) + n
        if when is not None:
            first = self.first
            if first is None:  # first and last are set together
                self.first = self.last = when
            elif when < first:
                self.first = when
            elif when > self.last:  # type: ignore[operator]
                self.last = when

    def merge(self, other: Tally) -> None:
        """Add `other`'s counts; first and last seen widen to cover both."""
        self.count += other.count
        signals, messages = self.signals, self.messages
        for name, n in other.signals.items():
            signals[name] = signals.get(name, 0) + n
        for name, n in other.messages.items():
            messages[name] = messages.get(name, 0) + n
        if other.first is not None:
            if self.first is None or other.first < self.first:
                self.first = other.first
            if self.last is None or other.last > self.last:  # type: ignore[operator]
                self.last = other.last


def _ports() -> array[int]:
    return array("H")


@dataclass(slots=True)
class FlowTally(Tally):
    """A drop flow's tally, with the source ports it was sent from and its hourly lines."""

    sports: array[int] = field(default_factory=_ports)
    """Up to `MAX_SPORTS` distinct source ports, to match a capture's local sockets (UDP
    pollers). An array, not a set: 32 ports take 148 bytes instead of 2,264, and a flow
    is mostly its ports."""
    hours: dict[datetime, int] = field(default_factory=dict)
    """Lines per hour (hour start -> lines): the flow's own rate, for the top flows."""

    @classmethod
    def of_line(cls, when: datetime | None, message: str, signal: str, n: int,
                sport: int | None, hour: datetime | None) -> FlowTally:
        """The tally of a flow's first line: what `FlowTally()` and `add` make of it, built
        at once (a new flow is made for most drop lines on a busy firewall)."""
        tally = cls.__new__(cls)
        tally.count = n
        tally.first = tally.last = when
        tally.signals = {signal: n}
        tally.messages = {message: n}
        tally.sports = array("H", (sport,)) if sport is not None and 0 <= sport <= 0xFFFF \
            else array("H")
        tally.hours = {hour: n} if hour is not None else {}
        return tally

    def merge(self, other: Tally) -> None:
        Tally.merge(self, other)
        if isinstance(other, FlowTally):
            hours = self.hours
            for hour, n in other.hours.items():
                hours[hour] = hours.get(hour, 0) + n
            sports = self.sports
            for port in other.sports:
                if len(sports) >= MAX_SPORTS:
                    break
                if port not in sports:
                    sports.append(port)


def folded_key(key: FlowKey, held: bool, size: int, max_flows: int) -> FlowKey:
    """Where a new flow goes once the table (`size` flows) is full, coarser as it fills.

    Any sender (`*`) first, then any port; a destination no source holds next loses its
    address too. A held destination keeps its address, so its finding still adds up every
    drop to it. Past `2 * max_flows` every key is one of (version of the destination or the
    held address) x protocol: memory is bounded whatever the input.
    """
    _src, dst, protocol, port = key
    if size < 3 * max_flows // 2:
        return ("*", dst, protocol, port)
    if held:
        return ("*", dst, protocol, None)
    if size < 2 * max_flows:
        return ("*", "*", protocol, port)
    return ("*", "*", protocol, None)


class TrafficIndex:
    """Everything the engine needs from the logs, folded early."""

    def __init__(self, held: Collection[str] | None = None, *,
                 max_flows: int = MAX_FLOWS,
                 is_noise: Callable[[str], bool] | None = None,
                 native: bool = True) -> None:
        self.max_flows = max_flows
        """Distinct flows kept exactly. Past it, new flows fold into coarser keys
        (`_folded_key`), so a scan cannot grow memory without end."""
        self._folded = 0
        self.held = held
        """When given, answered traffic is kept only for these addresses (the ones some
        source holds): on a firewall logging every teardown, that is every destination
        users reach, and only held ones become findings."""
        self.by_dst: dict[str, Tally] = {}
        """Evidence per destination other than drops (answered traffic); drops are in
        `flows`. `summary` gives both together."""
        self._flows: dict[FlowKey, FlowTally] = {}
        self._hourly: Counter[datetime] = Counter()   # `hourly`
        self._hourly_messages: Counter[tuple[datetime, str]] = Counter()   # `hourly_messages`
        self.is_noise = is_noise
        """Whether a sender is outside (in no live network, no known poller): its drops to
        addresses no source holds are inbound noise, counted in `noise`, never a flow.
        Asked once per new flow, not per line."""
        self.noise = NoiseTally()
        self._flows_to: dict[str, list[FlowTally]] | None = None
        """Destination -> its flows, built on the first `summary` after a new flow."""
        # The last event time seen and its hour: lines of one second share one datetime
        # object (the parser caches headers), so most skip the datetime.replace().
        self._when: datetime | None = None
        self._hour: datetime | None = None
        self._hour_end: datetime | None = None
        self._table: FlowTable | None = None
        """While folding, the drops' flows are in C (`auditor/_flows.c`, the same fold as
        `add_fields`' Python); the first read of `flows` moves them here, for good."""
        if native and FlowTable is not None:
            self._table = FlowTable(held, is_noise, self.noise, self._hourly,
                                    self._hourly_messages, max_flows, DROP_SIGNALS, _OTHER)

    @property
    def flows(self) -> dict[FlowKey, FlowTally]:
        """Drops per (source, destination, protocol, destination port)."""
        if self._table is not None:
            self._drain()
        return self._flows

    @property
    def hourly(self) -> Counter[datetime]:
        """Drop lines per hour (hour start -> lines)."""
        if self._table is not None:
            self._table.flush()   # the C table counts an hour's lines until it ends
        return self._hourly

    @hourly.setter
    def hourly(self, counts: Counter[datetime]) -> None:
        self._hourly = counts

    @property
    def hourly_messages(self) -> Counter[tuple[datetime, str]]:
        """Drop lines per hour and message id, for rates and spikes per message."""
        if self._table is not None:
            self._table.flush()
        return self._hourly_messages

    @hourly_messages.setter
    def hourly_messages(self, counts: Counter[tuple[datetime, str]]) -> None:
        self._hourly_messages = counts

    @property
    def folded(self) -> int:
        """Drop lines counted in a folded (many senders) flow."""
        if self._table is not None:
            self._drain()
        return self._folded

    def _drain(self) -> None:
        """The C table's flows into `_flows` (empty until now); the fold goes on in Python."""
        table, self._table = self._table, None
        assert table is not None and not self._flows
        self._flows = table.drain(FlowTally, array)
        self._folded += table.folded
        self._flows_to = None

    def drop_adder(self) -> Callable[..., None]:
        """What a parser hands each drop's fields to (`add_fields`' signature): the C
        table's `add` while there is one (drops only: `src`, `dst` set, a drop signal),
        else `add_fields`. Asked per block, never kept past a read of `flows`."""
        return self._table.add if self._table is not None else self.add_fields

    def add_recording(self, recording: Recorded,
                      held: Callable[[Any], None] | None = None) -> None:
        """Make the fold calls a worker recorded, in order (`connectors.base.Recording`);
        `held` folds each event held back for the merge, in its place."""
        events = iter(recording.held)

        def next_held() -> None:
            if held is None:
                raise ValueError("a recording holds events back and nothing resolves them")
            held(next(events))

        if self._table is not None:
            self._table.add_packed(recording.blob, recording.objects, recording.calls,
                                   self.add_fields, next_held)
            return
        add_fields = self.add_fields
        for call in recording.replay():
            if isinstance(call, int):
                next_held()
            else:
                add_fields(*call)

    def __getstate__(self) -> dict[str, Any]:
        """Pickled (a part folded elsewhere) as Python dicts: the C table does not travel."""
        if self._table is not None:
            self._drain()
        return dict(self.__dict__)

    def add(self, event: LogEvent) -> None:
        """Fold one event (`add_fields` of its fields)."""
        self.add_fields(event.time, event.message, event.signal, event.protocol, event.src,
                        event.sport, event.dst, event.dport, event.count)

    def add_fields(self, time: datetime | None, message: str, signal: str,
                   protocol: str | None, src: str | None, sport: int | None, dst: str | None,
                   dport: int | None, count: int) -> None:
        """Fold one event given as its fields: what a parser that builds no `LogEvent` (the
        ASA fold's C scanner) calls per drop line."""
        if dst is None or signal is _OTHER:
            return
        if signal not in DROP_SIGNALS:
            tally = self.by_dst.get(dst)
            if tally is None:
                if self.held is not None and dst not in self.held:
                    return
                tally = self.by_dst[dst] = Tally()
            tally.add(time, message, signal, count)
            return
        if src is None:  # a masked or named sender: no flow (SPEC), nothing to attribute
            return
        if self._table is not None:
            self._table.add(time, message, signal, protocol, src, sport, dst, dport, count)
            return
        hour: datetime | None = None
        if time is not None:   # the line counts in its hour (inline: once per drop line)
            if time is not self._when:
                self._when = time
                start = self._hour
                if start is None or not start <= time < self._hour_end:  # type: ignore[operator]
                    self._start_hour(time)
            hour = self._hour
            self._hourly[hour] += count   # type: ignore[index]
            self._hourly_messages[(hour, message)] += count   # type: ignore[index]
        key = (src, dst, protocol or "?", dport)
        flows = self._flows
        flow = flows.get(key)
        if flow is None:
            held = self.held is not None and dst in self.held
            if not held and self.is_noise is not None and (
                    key in self.noise.keys or self.is_noise(src)):
                self.noise.add(key, count)
                return
            if len(flows) >= self.max_flows:
                key = self._folded_key(key, held)
                flow = flows.get(key)
                self._folded += count
            if flow is None:
                flows[key] = FlowTally.of_line(time, message, signal, count, sport, hour)
                self._flows_to = None
                return
        flow.add(time, message, signal, count)
        if sport is not None:
            sports = flow.sports
            # The array holds 16-bit ports; anything else is junk no capture can match.
            if len(sports) < MAX_SPORTS and 0 <= sport <= 0xFFFF and sport not in sports:
                sports.append(sport)
        if hour is not None:
            hours = flow.hours
            hours[hour] = hours.get(hour, 0) + count

    # -- building in parts ----------------------------------------------------------------

    def merge(self, other: TrafficIndex) -> None:
        """Fold `other` (built over another part of the logs) into this one.

        Built over consecutive parts and merged in order, the result equals one pass over
        all of them, while the table stays under its cap; past it, merged flows fold as
        `add` folds them, so memory stays bounded however many parts there are.

        `other` is used up: tallies new here are taken over, not copied (all of them, into
        an index that holds nothing yet).
        """
        if not (self.flows or self.by_dst or self.hourly or self.noise.lines or self.folded):
            self._flows, self.by_dst, self._folded = other.flows, other.by_dst, other.folded
            self.hourly, self.hourly_messages = other.hourly, other.hourly_messages
            self.noise = other.noise
            self._flows_to = None
            return
        flows = self.flows
        held = self.held
        for key, flow in other.flows.items():
            mine = flows.get(key)
            if mine is None:
                if len(flows) < self.max_flows:   # new here: taken over
                    flows[key] = flow
                    continue
                # the cap holds for merged parts too
                key = folded_key(key, held is not None and key[1] in held, len(flows),
                                 self.max_flows)
                mine = flows.get(key)
                self._folded += flow.count
                if mine is None:
                    flows[key] = flow
                    continue
            mine.merge(flow)
        by_dst = self.by_dst
        for dst, tally in other.by_dst.items():
            mine_dst = by_dst.get(dst)
            if mine_dst is None:
                by_dst[dst] = tally
            else:
                mine_dst.merge(tally)
        self.hourly.update(other.hourly)
        self.hourly_messages.update(other.hourly_messages)
        self.noise.merge(other.noise)
        self._folded += other.folded
        self._flows_to = None

    # -- reading ----------------------------------------------------------------------------

    def drop_flows(self) -> Iterator[tuple[FlowKey, FlowTally]]:
        """Every drop flow: (source, destination, protocol, port) and its tally."""
        return iter(self.flows.items())

    def flow_counts(self) -> list[tuple[FlowKey, int]]:
        """Every drop flow's key and lines, in first-seen order: all that choosing the
        busiest needs (from the C table no tally is built for the rest)."""
        if self._table is not None:
            return self._table.counts()
        return [(key, tally.count) for key, tally in self._flows.items()]

    def ranked_flows(self, excluded: Collection[str], limit: int,
                     order: Callable[[str], tuple[int, int, str]],
                     ) -> tuple[list[tuple[FlowKey, int]], int, int] | None:
        """The `limit` busiest drop flows to addresses not in `excluded`, as (key, lines) in
        ghost-flow order (lines descending, then `order` of sender and destination, protocol,
        port, first seen), and the flows and lines of the rest; chosen by the C table without
        a tuple per flow (`order`, `auditor.reconcile.address_sort_key`, is read there and
        asked only of odd texts). None when there is no table, or a key it cannot order: the
        caller ranks `flow_counts()` itself, to the same answer."""
        if self._table is None:
            return None
        ranked: tuple[list[tuple[FlowKey, int]], int, int] | None = self._table.ranked(
            excluded, limit, order)
        return ranked

    def flow(self, key: FlowKey) -> FlowTally | None:
        """One drop flow's tally, or None (from the C table: a copy, built on asking)."""
        if self._table is not None:
            tally: FlowTally | None = self._table.tally(key, FlowTally, array)
            return tally
        return self._flows.get(key)

    def flow_brief(self, key: FlowKey) -> FlowBrief | None:
        """What a ghost flow shows of one drop flow (count, first and last seen, signals in
        first-seen order, source ports), or None: from the C table without building the
        tally's dicts of messages and hours."""
        if self._table is not None:
            brief: FlowBrief | None = self._table.brief(key)
            return brief
        tally = self._flows.get(key)
        if tally is None:
            return None
        return (tally.count, tally.first, tally.last, tuple(tally.signals), tuple(tally.sports))

    def _start_hour(self, when: datetime) -> None:
        """Make `when`'s hour the current one (lines of one hour share its datetime)."""
        start = self._hour = when.replace(minute=0, second=0, microsecond=0)
        try:
            self._hour_end = start + _HOUR
        except OverflowError:   # the last hour datetime can hold
            self._hour_end = datetime.max

    def _folded_key(self, key: FlowKey, held: bool) -> FlowKey:
        return folded_key(key, held, len(self._flows), self.max_flows)

    def destinations(self) -> set[str]:
        """Every address `summary` has something to say about (asked once per audit, so
        that the million held addresses with no traffic skip the call)."""
        return {key[1] for key in self.flows} | self.by_dst.keys()

    def summary(self, address: str) -> Traffic | None:
        """What the logs say about `address` as a destination, or None when nothing."""
        flows_to = self._flows_to
        if flows_to is None:
            flows_to = self._flows_to = {}
            for (_, dst, _, _), flow in self.flows.items():
                flows_to.setdefault(dst, []).append(flow)
        flows = flows_to.get(address)
        other = self.by_dst.get(address)
        if flows is None and other is None:   # most held addresses: asked a million times
            return None
        tallies: list[Tally] = list(flows or ())
        if other is not None:
            tallies.append(other)
        signals, messages = _sums(t.signals for t in tallies), _sums(t.messages for t in tallies)
        firsts = [t.first for t in tallies if t.first is not None]
        lasts = [t.last for t in tallies if t.last is not None]
        drops = sum(n for s, n in signals.items() if s in DROP_SIGNALS)
        return Traffic(drops=drops, answered=signals.get(Signal.TRAFFIC_ANSWERED, 0),
                       first_seen=min(firsts, default=None), last_seen=max(lasts, default=None),
                       by_message=messages, by_signal=signals)


#: Distinct noise flows remembered to count flows exactly; past it, lines still count.
MAX_NOISE_KEYS = 200_000
#: Senders and ports tallied for the noise summary; past it, new ones go uncounted by name.
MAX_NOISE_NAMES = 20_000


@dataclass(slots=True)
class NoiseTally:
    """Inbound noise: drops from senders outside every live network. Bounded memory."""

    lines: int = 0
    keys: set[FlowKey] = field(default_factory=set)
    flows_over: int = 0
    """Lines whose flow was not remembered once `keys` was full (counted as new flows)."""
    ports: Counter[tuple[str, int | None]] = field(default_factory=Counter)
    senders: Counter[str] = field(default_factory=Counter)

    def add(self, key: FlowKey, n: int) -> None:
        self.lines += n
        if key not in self.keys:
            if len(self.keys) < MAX_NOISE_KEYS:
                self.keys.add(key)
            else:
                self.flows_over += 1
        src, _dst, protocol, port = key
        ports, senders = self.ports, self.senders
        if (protocol, port) in ports or len(ports) < MAX_NOISE_NAMES:
            ports[(protocol, port)] += n
        if src in senders or len(senders) < MAX_NOISE_NAMES:
            senders[src] += n

    @property
    def flows(self) -> int:
        return len(self.keys) + self.flows_over

    def merge(self, other: NoiseTally) -> None:
        """Add `other`'s noise (flows seen in both parts count once)."""
        self.lines += other.lines
        for key in other.keys:
            if key not in self.keys:
                if len(self.keys) < MAX_NOISE_KEYS:
                    self.keys.add(key)
                else:
                    self.flows_over += 1
        self.flows_over += other.flows_over
        for name, n in other.ports.items():
            if name in self.ports or len(self.ports) < MAX_NOISE_NAMES:
                self.ports[name] += n
        for src, n in other.senders.items():
            if src in self.senders or len(self.senders) < MAX_NOISE_NAMES:
                self.senders[src] += n


def _sums(counters: Iterable[Mapping[str, int]]) -> dict[str, int]:
    total: dict[str, int] = {}
    for counter in counters:
        for key, n in counter.items():
            total[key] = total.get(key, 0) + n
    return total

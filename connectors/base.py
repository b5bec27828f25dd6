"""The four kinds of connector, the spec each one is built from, and their one constructor.

Every connector is built the same way: `Kind(spec, clock=..., io=...)`, from its config
table (`SourceSpec`), the audit's clock (`as_of`, for "how old is old" and year-less log
dates) and an I/O object (`Inputs`: files here; a test, or an API client, passes another).
Constructors do no I/O and validate their options, so a bad option is a config error.
`fetch()` reads through `io` and hands the body to `parse()`, so a saved export and the
same body fetched from an API take one path. Each raises `SourceError` naming the file,
line and field when an input is broken.

A type whose class sets `api = True` may be configured with `url = ...` instead of a path:
its `fetch()` then asks `io.http(spec)` (the shared HTTP layer, `connectors.shared.http`)
for the same body a saved export holds, and hands it to the same `parse()`.
"""

from __future__ import annotations

import struct
from abc import ABC, abstractmethod
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar, Protocol

from auditor.errors import ConfigError
from auditor.model import LogEvent, LogStats, Network, ProcessKey, Target
from connectors.spec import SourceSpec

__all__ = ["CaptureSource", "Connector", "Deferred", "Fold", "Held", "JsonBodySource",
           "LogParser",
           "NetworkSource", "OpenPairs", "Recording", "SkippedLine",
           "SourceSpec", "TargetSource"]
from connectors.shared import files
from connectors.shared.inputs import Inputs


@dataclass(frozen=True, slots=True)
class SkippedLine:
    """A line of an export that gave no record, and why: counted, never silent."""

    location: str
    """`snmpd.conf:14`, as record locations are written."""
    reason: str
    """Why, in words that quote nothing secret from the line."""


class Connector(ABC):
    """What every connector shares: its spec, the audit's clock and its way to the inputs."""

    type: ClassVar[str]
    """The config `type` it is registered under (checked against the registry by a test)."""
    #: Keys this type accepts in its config table, beyond the common ones.
    options: ClassVar[frozenset[str]] = frozenset()
    #: Whether this type also reads its tool's live API: `url = ...` instead of `path`
    #: (with `verify`, `timeout`, `retries`; see `connectors.shared.http`).
    api: ClassVar[bool] = False
    #: Keys this type accepts only with `url`: its credentials (`username_env`,
    #: `token_env`...) and API choices (`page_size`...).
    api_options: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, spec: SourceSpec, *, clock: datetime | None = None,
                 io: Inputs | None = None) -> None:
        self.spec = spec
        self.clock = clock
        """The audit's `as_of` (None: the machine's clock, where a connector needs one)."""
        self.io = io or Inputs()
        self.skipped: list[SkippedLine] = []
        """Lines the last `fetch()` passed over (the engine counts them into the input's
        status, so every report says how many)."""

    def require_api_keys(self, *keys: str, why: str) -> None:
        """With `url`: raise `ConfigError` unless every key in `keys` is set.

        `why` says what they hold (`the Orion account`), for the message.
        """
        if not self.spec.live:
            return
        missing = [k for k in keys if not self.spec.options.get(k)]
        if missing:
            raise ConfigError(f"with url, {' and '.join(keys)} {'are' if len(keys) > 1 else 'is'}"
                              f" required: the environment variable(s) holding {why}; "
                              f"missing: {', '.join(missing)}")


class TargetSource(Connector):
    """Reads one tool's target list: who polls, scans or sends to what."""

    @abstractmethod
    def fetch(self) -> list[Target]:
        """Return every record that names an address (or host), polled or not."""


class JsonBodySource(TargetSource):
    """A tool whose export is one JSON answer of its API (Zabbix `host.get`, LibreNMS
    `/api/v0/devices`): saved to files (`path`), or fetched live (`url`, `fetch_api`).
    Either way each body goes through `read_body`."""

    def fetch(self) -> list[Target]:
        if self.spec.live:
            return self.fetch_api()
        self.skipped = []
        targets: list[Target] = []
        for path in self.spec.paths:
            targets += self.read_body(self.io.read_json(path), path)
        return targets

    def parse(self, body: Any, origin: Path | str) -> list[Target]:
        """Targets from one answer, saved or fetched."""
        self.skipped = []
        return self.read_body(body, origin)

    @abstractmethod
    def read_body(self, body: Any, origin: Path | str) -> list[Target]:
        """Targets from one answer; skipped records go to `skipped` (not reset here)."""

    @abstractmethod
    def fetch_api(self) -> list[Target]:
        """Targets from the tool itself, through `io.http(spec)`."""


class NetworkSource(Connector):
    """Reads what exists: IPAM prefixes or a routing table."""

    @abstractmethod
    def fetch(self) -> list[Network]:
        """Return every prefix, with its status. Default routes are left out."""


class CaptureSource(Connector):
    """Reads a connection table taken on a polling server, to name the process behind a flow."""

    @abstractmethod
    def fetch(self) -> dict[ProcessKey, str]:
        """Return attribution keys (see `ProcessKey`) -> who holds the socket."""


#: A held-back event as it travels (`Deferred.held`): its pairing table and key, the guess it
#: is ordered by, and its `add_fields` arguments in that order.
Held = tuple[str, tuple[str, str], bool, tuple[Any, ...]]


@dataclass(frozen=True, slots=True)
class Deferred:
    """An event whose initiator is told by a line in another part of the file (a Teardown
    whose Built came earlier), held back when a file is folded in parts.

    `event` is ordered by the parser's guess (`outbound`); the merge looks the key up among
    the open pairs of the parts before and turns the event round when they say otherwise
    (`logfold.Merge`, on `held()`).
    """

    table: str
    """Which pairing table the key belongs to (`conns`)."""
    key: tuple[str, str]
    outbound: bool
    """The guess the event is ordered by: True when the second printed endpoint initiated."""
    event: LogEvent

    def held(self) -> Held:
        """As a worker sends it (a tuple pickles in a fraction of a dataclass's time): the
        table, key and guess, and the event as `Fold.add_fields` takes it, in the guessed
        order."""
        e = self.event
        return (self.table, self.key, self.outbound,
                (e.time, e.message, e.signal, e.protocol, e.src, e.sport, e.dst, e.dport,
                 e.count))


class OpenPairs(Protocol):
    """A parser's open pairs of one table, (device, connection id) -> outbound, oldest
    first: a dict, or the ASA scanner's C table (`PairTable`: pickled compactly, and left
    packed until the merge looks a key up)."""

    def __len__(self) -> int: ...
    def items(self) -> Iterable[tuple[tuple[str, str], bool]]: ...


class Fold(Protocol):
    """Where a parser folds its events (`auditor.traffic.TrafficIndex`): every event, or its
    fields one by one, which saves building it (the ASA fold's C scanner does)."""

    def add(self, event: LogEvent) -> None: ...

    def add_fields(self, time: datetime | None, message: str, signal: str,
                   protocol: str | None, src: str | None, sport: int | None,
                   dst: str | None, dport: int | None, count: int) -> None: ...

    def drop_adder(self) -> Callable[..., None]:
        """What to hand a drop's fields to (`add_fields`, or a faster path for drops alone:
        `src` and `dst` set, a drop signal); asked once per block."""
        ...


#: One packed record of a `Recording`: nine int32, `time message signal protocol src sport
#: dst dport count`, objects as indexes into `Recording.objects` (time -1: None). Written by
#: the ASA scanner (`_asa_scan.c`, `pack_drop`), read by the fold (`_flows.c`, `add_packed`).
RECORD = struct.Struct("<9i")
#: The record that stands for the next of `Recording.calls` (a call made in Python).
PYTHON_CALL = RECORD.pack(-2, 0, 0, 0, 0, 0, 0, 0, 0)
#: The record that stands for the next of `Recording.held` (an event held back, `hold`).
HELD = RECORD.pack(-3, 0, 0, 0, 0, 0, 0, 0, 0)
#: A packed naive time is the int of its microseconds since this.
PACKED_EPOCH = datetime(1, 1, 1)


class Recording:
    """A `Fold` that only records: every fold call, in order, for the process that holds
    the real fold to make (`auditor.logfold`: a worker parses, the parent folds).

    The ASA scanner packs its drops into `blob` (nine int32 each, `RECORD`; the times,
    message ids and addresses once each in `objects`, a naive time as the int of its
    microseconds since `PACKED_EPOCH`): pickling and replaying them costs a tenth of a tuple
    per call. A call made in Python is kept whole in `calls` and marked in
    `blob` where it came (`PYTHON_CALL`), so the replay keeps the order."""

    def __init__(self) -> None:
        self.blob = bytearray()
        self.objects: list[object] = []
        self.calls: list[tuple[object, ...]] = []
        self.held: list[Held] = []
        """Events held back (`hold`), as `Deferred.held` gives them."""
        self._index: dict[object, int] = {}   # object -> where it is in `objects`

    def packed(self) -> tuple[bytearray, list[object], dict[object, int]]:
        """What the ASA scanner writes to (`add=`)."""
        return self.blob, self.objects, self._index

    def add(self, event: LogEvent) -> None:
        self.add_fields(event.time, event.message, event.signal, event.protocol,
                        event.src, event.sport, event.dst, event.dport, event.count)

    def add_fields(self, *fields: object) -> None:
        self.calls.append(fields)
        self.blob += PYTHON_CALL

    def hold(self, deferred: Deferred) -> None:
        """An event held back for the merge, kept in its place among the calls: the process
        that folds resolves it there (`TrafficIndex.add_recording`), so the fold's order is
        one pass's, past the flow table's cap too."""
        self.held.append(deferred.held())
        self.blob += HELD

    def drop_adder(self) -> Callable[..., None]:
        return self.add_fields

    def replay(self) -> Iterator[tuple[Any, ...] | int]:
        """The recorded calls as `add_fields` arguments, in order (the fold without C); a
        held-back event's place as its index in `held`."""
        objects, calls, held = self.objects, iter(self.calls), 0
        for time, message, signal, protocol, src, sport, dst, dport, count in \
                RECORD.iter_unpack(self.blob):
            if time == -2:
                yield next(calls)
            elif time == -3:
                yield held
                held += 1
            else:
                if time >= 0 and type(objects[time]) is int:   # a naive time, packed
                    objects[time] = PACKED_EPOCH + timedelta(microseconds=objects[time])
                yield (objects[time] if time >= 0 else None, objects[message],
                       objects[signal], objects[protocol], objects[src], sport, objects[dst],
                       dport, count)

    def __getstate__(self) -> dict[str, Any]:
        """Sent without the index (the receiver only reads)."""
        return {"blob": self.blob, "objects": self.objects, "calls": self.calls,
                "held": self.held}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state, _index={})


class LogParser(Connector):
    """Turns firewall log lines into `LogEvent`s, streaming.

    `stats` counts every line given, parsed or not; a line that is not a recognised message
    is counted as unparsed and skipped, never raised. The spec's name is the device an event
    names when its line carries none.
    """

    def __init__(self, spec: SourceSpec, *, clock: datetime | None = None,
                 io: Inputs | None = None) -> None:
        super().__init__(spec, clock=clock, io=io)
        self.device = spec.name
        self.now = clock
        """Reference clock for timestamps without a year (RFC 3164): the newest date not
        more than a day after `now` is chosen (a relay clock may run ahead). None means the
        machine's clock."""
        self.stats = LogStats()
        self.defer_unpaired = False
        """Set when this parser reads one part of a file: an event that is not evidence
        until its pair (in another part) orders it goes to `deferred`, not out of `parse`."""
        self.deferred: list[Deferred] = []
        self.evidence_only = False
        """Set when the events only feed a fold: a line that says nothing either way (signal
        `other`) is counted as parsed but gives no event, which saves building it."""
        self.hold: Callable[[Deferred], None] | None = None
        """Where a held-back event goes (`Recording.hold`, keeping its place among the fold's
        calls); None: to `deferred`, folded after the part."""
        self.answered_for: Collection[str] | None = None
        """With `evidence_only`: the only addresses answered traffic matters for (the fold
        keeps it for held addresses only); None: all."""

    #: Lines longer than this are counted unparsed without a look (syslog caps a message
    #: near 1 KiB; a regex over megabytes of junk is not worth the time).
    max_line: ClassVar[int] = 16384
    #: Where the lines are folded, as the report shows it: `local` (this machine), or the
    #: SIEM that folds or filters them (`splunk`, `elasticsearch`, ...).
    engine: ClassVar[str] = "local"
    rows: int | None = None
    """Rows (or raw lines) the last fetch of a SIEM returned; None for files."""

    def query(self) -> str | None:
        """The query a SIEM type runs, secrets removed (the report shows it); None for
        files."""
        return None

    def numbered(self, lines: Iterable[str], start: int = 1) -> Iterator[tuple[int, str]]:
        """(line number, line) for every line a parser should read, counted in `stats`.

        Blank lines are not given and not counted, but their numbers advance (an item of
        several newlines stands for that many: `parse`'s contract); a line longer than
        `max_line` is counted unparsed and not given.
        """
        stats = self.stats
        limit = self.max_line
        skipped = 0
        for number, line in enumerate(lines, start):
            if not line or line.isspace():
                if len(line) > 1:
                    more = line.count("\n") - 1
                    if more > 0:
                        skipped += more
                continue
            stats.lines += 1
            if len(line) > limit:
                stats.unparsed += 1
                continue
            yield number + skipped, line

    def held_back(self, deferred: Deferred) -> None:
        """Hold an event back for the merge: to `hold` where set, else `deferred`."""
        if self.hold is not None:
            self.hold(deferred)
        else:
            self.deferred.append(deferred)

    def open_pairs(self) -> dict[str, OpenPairs]:
        """Pairing state left open at the end of the lines read (Builts with no Teardown
        yet), per table, oldest first: what a later part's deferred events look up. A
        table may be the parser's own (read it before the parser reads on)."""
        return {}

    @classmethod
    def recognises(cls, line: str) -> bool:
        """Whether `line` is in this vendor's format (a cheap look, not a parse).

        With no `--type`, the engine reads the first lines of a file and picks the kind that
        recognises most of them (`engine.detect_log_type`).
        """
        return False

    @abstractmethod
    def parse(self, lines: Iterable[str], start: int = 1) -> Iterator[LogEvent]:
        """Yield one event per recognised line; `start` is the number of the first line.

        An item of `lines` that is whitespace only and holds several newlines stands for that
        many blank lines (`files.bounded_lines` gives a long run of blank lines that way):
        a parser advances its line number by its newlines, so that `LogEvent.line` stays the
        line's place in the file.
        """

    def fold_block(self, block: str, traffic: Fold, start: int = 1) -> None:
        """Fold one block of whole lines (a part of a file, `logfold`) into `traffic`: every
        event of `parse` given to `traffic.add`. A parser with a faster way through a block
        overrides it, with the same result."""
        add = traffic.add
        for event in self.parse(block.splitlines(keepends=True), start):
            add(event)

    def fold_bytes(self, data: bytes, traffic: Fold, *, first: bool) -> None:
        """Fold the UTF-8 bytes of whole lines (a plain file's range, a compressed file's
        block; `first`: the file's first, whose BOM is dropped) as `fold_block` folds their
        text (`files.decode_block`). A parser that can read bytes overrides it and decodes
        only the lines it must."""
        self.fold_block(files.decode_block(data, first=first), traffic)

    def parse_path(self, path: Path) -> Iterator[LogEvent]:
        """Parse one file, `.gz`/`.bz2` included, in bounded memory.

        A file that cannot be read (missing, not the archive its name says, truncated,
        corrupt) raises `SourceError` naming it, and the line where that is known.
        """
        with self.io.open_lines(path) as (lines, _position):
            yield from self.parse(lines)

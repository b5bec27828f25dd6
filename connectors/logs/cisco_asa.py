"""Cisco ASA / FTD / PIX syslog: the flow-bearing messages, as `LogEvent`s in initiator order.

One line in, at most one event out, streaming. What counts as what in `stats`:

- Blank (empty or whitespace-only) lines are not counted at all: not in `lines`, not in
  `unparsed`. Their numbers still advance, so `LogEvent.line` is the line's place in the file;
  a run of blank lines given as one item counts as many lines as it has newlines
  (`LogParser.parse`).
- A line with a `%ASA-`/`%FTD-`/`%PIX-` tag (also without its `%`, as some relays and SIEM
  exports write it, at the start of the message only; or the relay's `6|<time>|302021:` form)
  whose message id is one this parser handles, and whose text has the fields it needs, is
  `parsed` and counted in `by_message` under its id. rsyslog's `message repeated N times: [
  <text>]` is the text's event with `count` N.
- Everything else is `unparsed` and skipped, never raised: other well-formed message ids
  (`111009`, `609001`...), a handled id whose text is truncated or templated so that no flow can be
  read, garbage and binary junk, and lines longer than `MAX_LINE` characters (no ASA message comes
  near that; a regex over megabytes of junk is not worth the time).

Messages and signals: no-route 110002, 110003; acl-deny 106001, 106006, 106007, 106021, 106023,
710003, 106100 `denied` (and its identity-firewall twin 106103); syn-retransmit 419002 (`Received
duplicate TCP SYN` or `Duplicate TCP SYN`); 302014 is syn-timeout for reason `SYN Timeout`,
traffic-answered for bytes > 0; `other` for the rest: 302013/302015/302016/302020/302021, 106100
permitted/est-allowed (and 106102), 106014, 106015, 313004, 313005, 419001, 710005; and, with
no flow at all (protocol at most; src, dst and ports None), 305011/305012 (a NAT translation,
not a connection) and 733100 (a rate). `count` is 106100's hit-cnt, else 1.

Endpoints are normalised here (STYLE.md, "normalize at the boundary"): `src`/`sport` is the side
that opened the connection and `dst`/`dport` the side it was opened to, whatever order the ASA
prints:

- Built/Teardown (302013-302016) print by interface security level: `Built outbound ... for A to
  B` was opened by B. The direction is remembered by (device, connection id) for the Teardown (a
  bounded table, oldest evicted); a Teardown whose Built was not seen falls back to ports
  (`endpoints.initiator_first`).
- 302020/302021: inbound is faddr -> laddr, outbound laddr -> faddr; a Teardown (which prints no
  direction) takes its Built's, else outbound.
- Packets that may be a server's reply are ordered by ports too: 106015 (no connection), 419001,
  and 313005, whose flow is the embedded original payload; a 313004 echo reply (type 0) is
  turned round to the pinger. Everything else keeps the printed from -> to order.

Where a template puts `interface:` before an address, the interface is taken off by the
template, not guessed from the characters: interfaces named `dc`, `cafe` or `a`, or holding
spaces (`NP Identity Ifc`, with or without a space after the colon), leave the address whole,
IPv6 included; a multi-context prefix (`v1:outside:10.8.1.9`) is taken off too. A slot that is
then not a valid IP address (a masked `***`, an object name, a hostname, an impossible
`192.1682.2.2`) becomes None, so it never forms a flow; the line is still parsed and counted.
Valid addresses are canonical, an IPv4-mapped IPv6 address is its IPv4 address. Identity and
SGT suffixes (`(LOCAL\\user)`, `(user, 321:Vlan)`, `(9999:Sgt)`, a trailing ` (user)`) are
dropped. A timestamp that cannot be represented (year 9999 or 1 shifted by a zone) is absent.
Service names in port slots become numbers (`endpoints.SERVICES`, then the system's services
database), unknown ones None. ICMP has no ports: the ICMP id or type the ASA prints in a port
slot becomes None. Headers are read by `syslog_header.SyslogHeader`, endpoints by `endpoints`.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import ClassVar, TypeAlias

from auditor.model import LogEvent, Signal
from connectors.base import Deferred, Fold, LogParser, OpenPairs, Recording, SourceSpec
from connectors.logs.endpoints import (
    SERVER_PORTS,
    SERVICES,
    Flow,
    build_flow,
    initiator_first,
    parse_port,
)
from connectors.logs.syslog_header import (
    CLOCK_SKEW,
    ZONE_OFFSETS,
    ZONES,
    Header,
    Memo,
    SyslogHeader,
)
from connectors.shared import files
from connectors.shared.inputs import Inputs

try:   # the bulk-line scanner, compiled at install (setup.py); optional
    from connectors.logs import _asa_scan
except ImportError:  # pragma: no cover - a build without a C compiler
    _asa_scan = None  # type: ignore[assignment]

# The rules and tables below `AsaLogParser` once defined here are shared now (`endpoints`,
# `syslog_header`); they stay importable from here.
__all__ = ["CLOCK_SKEW", "MAX_LINE", "PAIR_LIMIT", "SERVER_PORTS", "SERVICES", "ZONES",
           "ZONE_OFFSETS", "AsaLogParser"]

MAX_LINE = LogParser.max_line
#: Built connections remembered for their Teardown; the oldest is forgotten past this.
PAIR_LIMIT = 100_000

# -- the line: tag and header -------------------------------------------------------------

#: `%ASA-4-419002:`, `%FTD-6-302013`, `%ASA-session-5-106100:`; severity 8 and up is not real.
_TAG = re.compile(r"%(?:ASA|FTD|PIX)-(?:[A-Za-z]+-)?[0-7]-(\d{6})(?!\d):?\s*")
#: The same tag with its `%` stripped by a relay or SIEM export (`ASA-2-106001: ...`), only at
#: the start of the message: after the line's start, a space, `>` or `:`, never inside a word
#: (`MYASA-4-...`, `x-ASA-4-...`). Tried only when `_TAG` finds nothing (and the line holds
#: `SA-`, `TD-` or `IX-`), so the common line pays nothing for it.
_BARE_TAG = re.compile(r"(?<![^\s>:])(?:ASA|FTD|PIX)-(?:[A-Za-z]+-)?[0-7]-(\d{6})(?!\d):?\s*")
#: The relay form `6|Nov 28 2014 12:59:03|302021: Teardown ...` (no tag at all).
_PIPE = re.compile(r"\s*(?:<\d{1,3}>)?[0-7]\|([^|]*)\|(\d{6})(?!\d):?\s*")

# -- message texts ---------------------------------------------------------------------------
# Slots: where the template puts `interface:` before an address, the interface is taken off by
# the template (`_IFC`: any text up to the first colon, spaces included, as in `NP Identity
# Ifc`; one space may follow the colon), never guessed from the characters, so an interface
# called `dc` or `cafe` is not read as the head of an IPv6 address, and an IPv6 address after
# it keeps its colons. Address up to `/`, `(` or a space; port up to `(`, `,` or a space.
# Identity and SGT suffixes `(LOCAL\user)`, `(user, 321:Vlan)`, mapped addresses and ` user`
# words fall into the lazy `.*?` gaps.

_IFC = r"[^:/(),]*: ?"
_EP = _IFC + r"([^\s/(]+)/([^\s(),/]+)"
_BUILT = re.compile(r"Built (inbound|outbound) (\S+) connection (\S+) for " + _EP
                    + r".*? to " + _EP)
_TEARDOWN = re.compile(r"Teardown (\S+) connection (\S+) for " + _EP + r".*? to " + _EP
                       + r".*? duration \S+ bytes (\d+)(.*)")
_ICMP_CONN = re.compile(r"(?:Built|Teardown) (?:(inbound|outbound) )?(\S+) connection for "
                        r"(faddr ([^\s/]+)/\S+ gaddr [^\s/]+/\S+ laddr ([^\s/]+)/\S+)")
_ACL_LOG = re.compile(r"access-list \S+ (permitted|denied|est-allowed) (\S+) (?:for user .*? )?"
                      r"[^/()]*/([^\s(]+)\(([^)\s]*)\)(?:\([^)]*\))*\s*->\s*"
                      r"[^/()]*/([^\s(]+)\(([^)\s]*)\)(?:.*?hit-cnt (\d+))?")
_DENY_ACL = re.compile(r"Deny (\S+) src " + _IFC + r"([^\s/(]+)(?:/([^\s(),]+))?.*? dst "
                       + _IFC + r"([^\s/(]+)(?:/([^\s(),]+))?")
_DENY_ICMP = re.compile(r"Deny inbound (\S+) src " + _IFC + r"([^\s/(]+)(?:\([^)]*\))?\S* dst "
                        + _IFC + r"([^\s/(]+)")
_FROM_TO = r"from ([^\s/]+)/([^\s,]+) to ([^\s/]+)/([^\s,]+)"
_INBOUND_DENIED = re.compile(r"Inbound (\S+) connection denied " + _FROM_TO)
_DENY_INBOUND = re.compile(r"Deny inbound (\S+) " + _FROM_TO)
_NO_CONNECTION = re.compile(r"Deny (\S+) \(no connection\) " + _FROM_TO)
_REVERSE_PATH = re.compile(r"Deny (\S+) reverse path check from ([^\s/]+) to ([^\s/]+)")
# 110002's destination has no interface in Cisco's template; should one appear anyway,
# `parse_address` takes it off when the whole slot is not an address.
_NO_EGRESS = re.compile(r"Failed to locate egress interface for (\S+) from " + _EP
                        + r" to (.+?)/([^\s,/]+)")
_NO_NEXT_HOP = re.compile(r"Routing failed to locate next[ -]hop for (\S+) from " + _EP
                          + r" to " + _EP)
_DUP_SYN = re.compile(r"(?:Received )?[Dd]uplicate TCP SYN from " + _EP
                      + r"(?:\([^)]*\))?\S* to " + _EP)
_DROPPING = re.compile(r"Dropping (\S+) packet from " + _EP + r"(?:\([^)]*\))?\S* to " + _EP)
_ICMP_DENIED = re.compile(r"Denied ICMP type=(\d+), (?:code=\d+, )?from (?:laddr )?([^\s/]+) "
                          r"on interface .+? to (\S+?):?(?:\s|$)")
_ICMP_ERROR = re.compile(r"No matching connection for ICMP error message: (\S+) src "
                         + _IFC + r"([^\s/(]+)(?:\([^)]*\))?\S* dst " + _IFC + r"([^\s/(]+)")
_PAYLOAD = re.compile(r"Original IP payload: (\S+) src ([^\s/]+?)(?:/(\S+?))?\.? dst "
                      r"([^\s/]+?)(?:/(\S+?))?\.?(?:\s|$)")
_TO_THE_BOX = re.compile(r"(\S+) (?:access denied by ACL|request discarded) from "
                         r"([^\s/]+)/(\S+) to " + _IFC + r"([^\s/]+)/([^\s,]+)")
_XLATE = re.compile(r"(?:Built|Teardown) \S+ (\S+) translation from ")
_DROP_RATE = re.compile(r"drop rate")
#: rsyslog's reduction `message repeated 2 times: [ Deny inbound UDP from ...]`.
_REPEATED = re.compile(r"message repeated (\d{1,9}) times: \[\s*")

# Plain names: an enum member lookup per line costs more than the rest of the bookkeeping.
_NO_ROUTE, _ACL_DENY, _SYN_RETRANSMIT = Signal.NO_ROUTE, Signal.ACL_DENY, Signal.SYN_RETRANSMIT
_SYN_TIMEOUT, _TRAFFIC_ANSWERED, _OTHER = (Signal.SYN_TIMEOUT, Signal.TRAFFIC_ANSWERED,
                                           Signal.OTHER)

#: A pairing table: an OrderedDict, or the C scanner's table with the same behaviour.
_Pairs: TypeAlias = "OrderedDict[tuple[str, str], bool] | _asa_scan.PairTable"

#: A message handler: (line, where its text starts, device, message id) -> its flow or None.
Handler = Callable[[str, int, str, str], "Flow | None"]


def _slots5(m: re.Match[str]) -> tuple[str, str | None, str | None, str | None, str | None]:
    """A message's five slots: protocol, from-address, from-port, to-address, to-port."""
    proto, a, ap, b, bp = m.groups()
    return proto, a, ap, b, bp


def _five_slots(pattern: re.Pattern[str], signal: Signal) -> Handler:
    """The handler of a message whose text is protocol, from-address, from-port, to-address,
    to-port in initiator order (the denies and no-routes): `pattern` finds them."""
    match = pattern.match

    def handler(line: str, pos: int, device: str, message: str) -> Flow | None:
        m = match(line, pos)
        return None if m is None else build_flow(signal, *_slots5(m))

    return handler


def _counted_only(test: Callable[[str, int], object]) -> Handler:
    """The handler, when reading for evidence only, of a message that is never any: the
    line parses (`test` finds its form) and is counted, but gives no event."""

    def handler(line: str, pos: int, device: str, message: str) -> Flow | None:
        return _NO_EVENT if test(line, pos) else None

    return handler


def _xlate_match(line: str, pos: int) -> re.Match[str] | None:
    """A 305011/305012 translation line (its protocol word a sane length)."""
    m = _XLATE.match(line, pos)
    return m if m is not None and len(m.group(1)) <= 32 else None


#: What a handler returns, when the parser reads for evidence only, for a line that parsed
#: but says nothing either way (signal `other`): counted, no event built.
_NO_EVENT: Flow = (_OTHER, None, None, None, None, None, 0)


#: `SERVER_PORTS` as the C scanner reads them: a bit a port (`endpoints.is_server_port`).
_SERVER_PORT_BITS = bytes(
    sum(1 << bit for bit in range(8) if byte * 8 + bit in SERVER_PORTS) for byte in range(8192))


def _line_at(block: str | bytes, pos: int, *, first: bool) -> tuple[str, int]:
    """The line of `block` starting at `pos`, as text, and where the next one starts. Bytes
    are decoded as the whole block would have been (`files.decode_block`; `first`: the
    block is the file's first, its BOM dropped)."""
    if isinstance(block, bytes):
        stop = block.find(b"\n", pos) + 1 or len(block)
        return files.decode_block(block[pos:stop], first=first and pos == 0), stop
    stop = block.find("\n", pos) + 1 or len(block)
    return block[pos:stop], stop


def _devices(read: Callable[[str], Header]) -> Memo[str]:
    """Header shape (`_asa_scan.header_key`) -> the device it names, for the C scanner: read
    once per shape by a reader of its own (shapes have no real time to remember)."""
    return Memo(lambda shape: read(shape)[1] or "", 65536)


class AsaLogParser(LogParser):
    """Cisco ASA, FTD and PIX syslog lines -> `LogEvent`s (see the module docstring).

    Header forms: none at all; `<PRI>`; the ASA's own `Mon dd yyyy hh:mm:ss[ ZONE]:`; an
    RFC 3164 relay stamp `Mon dd hh:mm:ss` (year chosen so the date is not after `now`, with
    `CLOCK_SKEW` of slack); RFC 5424 / ISO stamps (an offset or `Z` is converted to UTC); a
    device id or relay host with or without ` :`; `program[pid]:`; a relay header in front of
    the ASA's own. The last timestamp wins, and the host after it; `device` is that host,
    else the parser's own `device`.
    """

    type: ClassVar[str] = "cisco-asa"

    def __init__(self, spec: SourceSpec, *, clock: datetime | None = None,
                 io: Inputs | None = None, pair_limit: int = PAIR_LIMIT) -> None:
        super().__init__(spec, clock=clock, io=io)
        self.pair_limit = pair_limit
        #: (device, connection id) -> Built was outbound; popped by the Teardown. The C
        #: scanner's own table where it is built (`_pairs.h`: the same order and bound).
        self._conns: _Pairs = OrderedDict() if _asa_scan is None else _asa_scan.PairTable()
        self._defer: tuple[tuple[str, str], bool] | None = None
        #: (device, "faddr .. gaddr .. laddr ..") -> Built was outbound, for 302021.
        self._pings: OrderedDict[tuple[str, str], bool] = OrderedDict()
        self._handlers: dict[str, Handler] = {
            "110002": _five_slots(_NO_EGRESS, _NO_ROUTE),
            "110003": _five_slots(_NO_NEXT_HOP, _NO_ROUTE),
            "106023": _five_slots(_DENY_ACL, _ACL_DENY),
            "106001": _five_slots(_INBOUND_DENIED, _ACL_DENY),
            "106006": _five_slots(_DENY_INBOUND, _ACL_DENY),
            "106007": _five_slots(_DENY_INBOUND, _ACL_DENY),
            "106021": self._reverse_path, "106100": self._acl_log, "106102": self._acl_log,
            "106103": self._acl_log, "710003": self._to_the_box, "710005": self._to_the_box,
            "419002": self._dup_syn, "419001": self._dropping,
            "302013": self._built, "302015": self._built,
            "302014": self._teardown, "302016": self._teardown,
            "302020": self._icmp_conn, "302021": self._icmp_conn,
            "106014": self._deny_icmp, "106015": self._no_connection,
            "313004": self._icmp_denied, "313005": self._icmp_error,
            "305011": self._xlate, "305012": self._xlate, "733100": self._drop_rate,
        }
        # Reading for evidence only: the messages that never are any are checked and
        # counted, no event built (the stateful ones, Built and Teardown, decide inside).
        self._evidence_handlers: dict[str, Handler] = {
            **self._handlers,
            "419001": _counted_only(_DROPPING.match),
            "106014": _counted_only(_DENY_ICMP.match),
            "106015": _counted_only(_NO_CONNECTION.match),
            "313004": _counted_only(_ICMP_DENIED.match),
            "313005": _counted_only(_ICMP_ERROR.match),
            "305011": _counted_only(_xlate_match), "305012": _counted_only(_xlate_match),
            "733100": _counted_only(_DROP_RATE.search),
        }

    # -- streaming ------------------------------------------------------------------------

    @classmethod
    def recognises(cls, line: str) -> bool:
        return (_TAG.search(line) is not None or _BARE_TAG.search(line) is not None
                or ("|" in line and _PIPE.match(line) is not None))

    def parse(self, lines: Iterable[str], start: int = 1) -> Iterator[LogEvent]:
        """Yield one event per recognised line; `start` is the number of the first line."""
        # A reader per pass: its header memory and its clock belong to this file.
        read_header = SyslogHeader(self.now, self.device).read
        handlers = self._evidence_handlers if self.evidence_only else self._handlers
        line_event = self._line
        for number, line in self.numbered(lines, start):   # blank and absurd lines: counted
            event = line_event(number, line, read_header, handlers)
            if event is not None:
                yield event

    def fold_block(self, block: str, traffic: Fold, start: int = 1) -> None:
        """Fold a block of whole lines into `traffic`, as `parse_block` and `traffic.add`
        would: with `evidence_only`, the C scanner (`_asa_scan.c`), where it is built,
        reads the bulk lines (Built/Teardown bookkeeping, lines only counted) and the
        commonest drops in their plain template, handing those to `traffic.drop_adder()`;
        Python reads the rest, in order, as one pass."""
        if not self.evidence_only or isinstance(self._conns, OrderedDict):
            super().fold_block(block, traffic, start)
            return
        self._scan(block, traffic, start, first=False)

    def fold_bytes(self, data: bytes, traffic: Fold, *, first: bool) -> None:
        """`fold_block` over the bytes: the scanner reads ASCII lines as they are, and only
        a line it cannot vouch for is decoded (`files.decode_block`, as the whole block
        would have been) for Python to read. Saves decoding every byte of a file."""
        if not self.evidence_only or isinstance(self._conns, OrderedDict):
            super().fold_bytes(data, traffic, first=first)
            return
        self._scan(data, traffic, 1, first=first)

    def _scan(self, block: str | bytes, traffic: Fold, start: int, *, first: bool) -> None:
        """The scanner over `block` (text, or UTF-8 bytes), Python over what it leaves."""
        assert _asa_scan is not None and not isinstance(self._conns, OrderedDict)
        reader = SyslogHeader(self.now, self.device)
        read_header = reader.read
        handlers = self._evidence_handlers
        line_event = self._line
        add = traffic.add
        scanner = _asa_scan.Scanner(
            self._conns, _devices(SyslogHeader(self.now, self.device).read), self.answered_for,
            [int(m) for m in handlers], self.pair_limit, MAX_LINE,
            add=traffic.packed() if isinstance(traffic, Recording) else traffic.drop_adder(),
            read_header=read_header,
            signals=(_ACL_DENY, _NO_ROUTE, _SYN_RETRANSMIT, _SYN_TIMEOUT),
            latest=reader.year_limit(), zones=ZONES, server_ports=_SERVER_PORT_BITS,
            defer=self._defer_syn_timeout if self.defer_unpaired else None)
        scanner.number = start
        stats = self.stats
        pos, end = 0, len(block)
        try:
            while True:
                pos = scanner.scan(block, pos)
                if pos >= end:
                    break
                text, stop = _line_at(block, pos, first=first)
                number = scanner.number
                # Python's own line breaks (a stray \r, \x1c...) may cut this into several.
                pieces = text.splitlines(keepends=True)
                for n, line in self.numbered(pieces, number):
                    event = line_event(n, line, read_header, handlers)
                    if event is not None:
                        add(event)
                scanner.number = number + len(pieces)
                pos = stop
        finally:
            lines, parsed, unparsed, by_message = scanner.take_counts()
            stats.lines += lines
            stats.parsed += parsed
            stats.unparsed += unparsed
            stats.by_message.update(by_message)

    def _line(self, number: int, line: str, read_header: Callable[[str], Header],
              handlers: dict[str, Handler]) -> LogEvent | None:
        """One line's event (None: counted, no event; or held back in `deferred`)."""
        stats = self.stats
        m = _TAG.search(line)
        if m is not None:
            header, message = line[:m.start()], m.group(1)
        elif "|" in line and (m := _PIPE.match(line)) is not None:
            header, message = m.group(1, 2)
        elif ("SA-" in line or "TD-" in line or "IX-" in line) and (
                m := _BARE_TAG.search(line)) is not None:
            header, message = line[:m.start()], m.group(1)
        else:
            stats.unparsed += 1
            return None
        handler = handlers.get(message)
        if handler is None:
            stats.unparsed += 1
            return None
        time, device = read_header(header)  # the device is never None: a default is set
        device = device or ""
        flow = handler(line, m.end(), device, message)
        if flow is None:
            flow = self._repeated(handler, line, m.end(), device, message)
            if flow is None:
                stats.unparsed += 1
                return None
        stats.parsed += 1
        stats.by_message[message] += 1
        if flow is _NO_EVENT:
            return None
        if self._defer is not None:   # its Built is in an earlier part of the file
            key, outbound = self._defer
            self._defer = None
            self.held_back(Deferred("conns", key, outbound, LogEvent(
                number, time, device, message, *flow)))
            return None
        return LogEvent(number, time, device, message, *flow)

    @staticmethod
    def _repeated(handler: Handler, line: str, pos: int, device: str,
                  message: str) -> Flow | None:
        """`message repeated 2 times: [ <text>]`: the text's flow, counted that many times."""
        m = _REPEATED.match(line, pos)
        if m is None:
            return None
        flow = handler(line, m.end(), device, message)
        if flow is None or flow is _NO_EVENT:
            return flow
        signal, proto, src, sport, dst, dport, count = flow
        return (signal, proto, src, sport, dst, dport, count * int(m.group(1)))

    # -- messages -------------------------------------------------------------------------
    # Each takes the line, where the text after the message id starts, the header's device and
    # the id; None means the text is not the form expected (truncated, a template): unparsed.

    def _reverse_path(self, line: str, pos: int, device: str, message: str) -> Flow | None:
        m = _REVERSE_PATH.match(line, pos)
        if m is None:
            return None
        proto, a, b = m.groups()
        return build_flow(_ACL_DENY, proto, a, None, b, None)

    def _acl_log(self, line: str, pos: int, device: str, message: str) -> Flow | None:
        m = _ACL_LOG.match(line, pos)
        if m is None:
            return None
        verdict, proto, a, ap, b, bp, hits = m.groups()
        signal = _ACL_DENY if verdict == "denied" else _OTHER
        if self.evidence_only and (signal is _OTHER or signal is _TRAFFIC_ANSWERED and (
                self.answered_for is not None and a not in self.answered_for
                and b not in self.answered_for and ":" not in a and ":" not in b)):
            return _NO_EVENT   # IPv6 text may print otherwise than canonical: always kept
        return build_flow(signal, proto, a, ap, b, bp, count=int(hits) if hits else 1)

    def _to_the_box(self, line: str, pos: int, device: str, message: str) -> Flow | None:
        m = _TO_THE_BOX.match(line, pos)
        if m is None:
            return None
        signal = _ACL_DENY if message == "710003" else _OTHER
        if signal is _OTHER and self.evidence_only:
            return _NO_EVENT
        return build_flow(signal, *_slots5(m))

    def _dup_syn(self, line: str, pos: int, device: str, message: str) -> Flow | None:
        m = _DUP_SYN.match(line, pos)
        if m is None:
            return None
        a, ap, b, bp = m.groups()
        return build_flow(_SYN_RETRANSMIT, "tcp", a, ap, b, bp)

    def _dropping(self, line: str, pos: int, device: str, message: str) -> Flow | None:
        m = _DROPPING.match(line, pos)
        if m is None:
            return None
        proto, a, ap, b, bp = m.groups()
        return build_flow(_OTHER, proto, a, ap, b, bp,
                          initiator_first(parse_port(ap), parse_port(bp)))

    def _built(self, line: str, pos: int, device: str, message: str) -> Flow | None:
        m = _BUILT.match(line, pos)
        if m is None:
            return None
        direction, proto, conn, a, ap, b, bp = m.groups()
        outbound = direction == "outbound"
        self._remember(self._conns, (device, conn), outbound)
        if self.evidence_only:
            return _NO_EVENT
        # Outbound: the second endpoint (the higher-security side) opened the connection.
        return build_flow(_OTHER, proto, a, ap, b, bp, not outbound)

    def _teardown(self, line: str, pos: int, device: str, message: str) -> Flow | None:
        m = _TEARDOWN.match(line, pos)
        if m is None:
            return None
        proto, conn, a, ap, b, bp, sent, rest = m.groups()
        outbound = self._conns.pop((device, conn), None)
        a_first = (initiator_first(parse_port(ap), parse_port(bp)) if outbound is None
                   else not outbound)
        signal = _OTHER
        if message == "302014":
            if rest.lstrip().startswith("SYN Timeout"):
                signal = _SYN_TIMEOUT
            elif int(sent) > 0:
                signal = _TRAFFIC_ANSWERED
        if signal is _OTHER and self.evidence_only:
            return _NO_EVENT
        flow = build_flow(signal, proto, a, ap, b, bp, a_first)
        if flow is None:
            return None
        held = self.answered_for
        if signal is _TRAFFIC_ANSWERED and self.evidence_only and held is not None and (
                flow[2] not in held and flow[4] not in held):
            return _NO_EVENT   # answered traffic between addresses nobody holds
        if outbound is None and self.defer_unpaired:
            self._defer = ((device, conn), not a_first)
        return flow

    def _defer_syn_timeout(self, number: int, time: datetime | None, device: str, proto: str,
                           a: str, ap: int, b: str, bp: int, conn: str, a_first: bool) -> None:
        """A SYN Timeout the C scanner read whose Built is in another part of the file (a
        block before): held back as `_teardown` and `_line` hold it, ordered by ports
        (`a_first`, `initiator_first`) until the merge knows better."""
        flow = (_SYN_TIMEOUT, proto, a, ap, b, bp, 1) if a_first else \
            (_SYN_TIMEOUT, proto, b, bp, a, ap, 1)
        self.held_back(Deferred("conns", (device, conn), not a_first,
                                LogEvent(number, time, device, "302014", *flow)))

    def open_pairs(self) -> dict[str, OpenPairs]:
        # The C table itself: a worker pickles it compactly, the merge absorbs it in C.
        return {"conns": dict(self._conns) if isinstance(self._conns, OrderedDict)
                else self._conns}

    def _icmp_conn(self, line: str, pos: int, device: str, message: str) -> Flow | None:
        m = _ICMP_CONN.match(line, pos)
        if m is None:
            return None
        direction, proto, key, faddr, laddr = m.groups()
        if message == "302020":
            outbound = direction != "inbound"
            self._remember(self._pings, (device, key), outbound)
        else:
            seen = self._pings.pop((device, key), None)
            # A ping whose Built was not seen: assume the higher-security side pinged out.
            outbound = (direction != "inbound") if seen is None else seen
        if self.evidence_only:
            return _NO_EVENT
        # Inbound: faddr pings laddr (the real address behind gaddr); outbound the reverse.
        if outbound:
            return build_flow(_OTHER, proto, laddr, None, faddr, None)
        return build_flow(_OTHER, proto, faddr, None, laddr, None)

    def _deny_icmp(self, line: str, pos: int, device: str, message: str) -> Flow | None:
        m = _DENY_ICMP.match(line, pos)
        if m is None:
            return None
        proto, a, b = m.groups()
        return build_flow(_OTHER, proto, a, None, b, None)

    def _no_connection(self, line: str, pos: int, device: str, message: str) -> Flow | None:
        # A packet outside any connection is often the server's late reply or RST.
        m = _NO_CONNECTION.match(line, pos)
        if m is None:
            return None
        proto, a, ap, b, bp = m.groups()
        return build_flow(_OTHER, proto, a, ap, b, bp,
                          initiator_first(parse_port(ap), parse_port(bp)))

    def _icmp_denied(self, line: str, pos: int, device: str, message: str) -> Flow | None:
        m = _ICMP_DENIED.match(line, pos)
        if m is None:
            return None
        icmp_type, a, b = m.groups()
        # An echo reply (type 0) goes back to whoever pinged.
        return build_flow(_OTHER, "icmp", a, None, b, None, icmp_type != "0")

    def _icmp_error(self, line: str, pos: int, device: str, message: str) -> Flow | None:
        m = _ICMP_ERROR.match(line, pos)
        if m is None:
            return None
        p = _PAYLOAD.search(line, m.end())
        if p is None:
            proto, a, b = m.groups()
            return build_flow(_OTHER, proto, a, None, b, None)
        proto, a, ap, b, bp = p.groups()
        # The payload is the packet the error answers: the poller's probe, or a server's reply.
        return build_flow(_OTHER, proto, a, ap, b, bp,
                          initiator_first(parse_port(ap), parse_port(bp)))

    def _xlate(self, line: str, pos: int, device: str, message: str) -> Flow | None:
        # A NAT mapping, not a connection: counted, but it forms no flow.
        m = _xlate_match(line, pos)
        if m is None:
            return None
        return (_OTHER, m.group(1).lower(), None, None, None, None, 1)

    def _drop_rate(self, line: str, pos: int, device: str, message: str) -> Flow | None:
        if _DROP_RATE.search(line, pos) is None:
            return None
        return (_OTHER, None, None, None, None, None, 1)

    def _remember(self, table: _Pairs, key: tuple[str, str], outbound: bool) -> None:
        table[key] = outbound
        if len(table) > self.pair_limit:
            table.popitem(last=False)

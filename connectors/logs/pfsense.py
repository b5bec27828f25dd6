"""pfSense / OPNsense `filterlog` lines (and OpenBSD pf's bare CSV), as `LogEvent`s in initiator
order.

The line (firewall-logs.md §5): `<syslog header> filterlog[<pid>]: <csv>`, fields counted from 0.
Common part: 0 rule, 1 sub-rule, 2 anchor, 3 tracker (a number on pfSense, a hex id on OPNsense),
4 interface, 5 reason, **6 action**, 7 direction, **8 IP version**. IPv4: 16 protocol text, 18
src, 19 dst, 20/21 ports (TCP, UDP), 23 TCP flags, or 20 the ICMP type text. IPv6: 12 protocol
text, 15 src, 16 dst, 17/18 ports, 20 TCP flags. The version decides which; one line in, at most
one event out, streaming.

Header forms: RFC 3164 with `filterlog[pid]:` or `filterlog:` (pfSense), with or without a host
(a bare `filterlog:` is not taken for the host); RFC 5424 (`<134>1 <ISO time> <host> filterlog
<pid> - [meta sequenceId="1"] <csv>`, OPNsense); none at all (OpenBSD pf CSV). Device: the
header's host, else the spec's name. Time: the header's, by `syslog_header.SyslogHeader`.

What counts as what in `stats`: blank lines are not counted (their numbers still advance). A line
whose CSV has an action word and IP version 4 or 6 and the fields that version puts the addresses
(and, for TCP and UDP, the ports) in is `parsed`, in `by_message` under `filterlog/<action>`
(`filterlog/block`, `filterlog/pass`). Everything else is `unparsed` and skipped, never raised:
other programs' lines, a filterlog line cut short, a version other than 4 or 6, an address slot
longer than 255, lines longer than `MAX_LINE`.

Signals: `block` (and a `synproxy-drop`) by a rule (reason `match`) -> `acl-deny`; `pass` and
any other action -> `other`; so is a block for another reason (`state-mismatch`, `bad-offset`,
`short`, ...): pf's own state checks dropped a packet, typically a late reply after its state
expired, which says the target answered rather than that a rule keeps the poller out.
Exception, ICMP `unreach`: filterlog writes the router's message in words, `host 10.99.3.4
unreachable` (code 1), `net 10.99.0.0 unreachable` (0), `... - unknown` (6, 7), `... - admin
prohibited[ filter]` (9, 10, 13), with the packet length glued on (`...filter36`, a filterlog
quirk that glues its last field to the next on every ICMP line). Those name the destination a
packet could not reach, which is exactly the audit's question, and the ICMP packet goes to the
host that sent the original packet. So an `unreach` line is an event for the original flow:
`src` the ICMP packet's destination (the poller), `dst` the host named, protocol and ports
unknown (None: filterlog does not quote them), signal `no-route` for net/host unreachable and
unknown, `acl-deny` for admin prohibited, `other` for the rest (source route failed, isolated,
TOS, precedence), whatever the action on the ICMP packet itself (its fate says where a router's
message went, not whether the target exists). `unreachport`, `unreachproto` and `needfrag` name
the original destination too, but they prove a host or a path is there: the original flow with
`other` (no port: the one filterlog prints has the length glued to it).

Endpoints: `src`/`sport` is the side that opened the flow. filterlog prints the packet as it
was, so a reply is turned round: a TCP SYN without ACK (flags `S`) keeps the printed order, a
SYN+ACK (`SA`) is turned round, other TCP and UDP packets are judged by ports
(`endpoints.initiator_first`: from port 161 to an ephemeral port is an agent answering its
poller); an ICMP echo `reply` goes back to whoever pinged. Addresses are canonical
(`endpoints.parse_address`), a slot that is not an address is None. ICMP has no ports.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import ClassVar

from auditor.model import LogEvent, Signal
from connectors.base import LogParser
from connectors.logs.endpoints import Flow, build_flow, initiator_first, parse_port
from connectors.logs.syslog_header import SyslogHeader

__all__ = ["MAX_LINE", "PfSenseLogParser"]

MAX_LINE = LogParser.max_line
#: Fields split off a line: the TCP flags (23 for IPv4) are the last one read.
_FIELDS = 24

# After `filterlog`: `[pid]:` or `:`, or RFC 5424's ` PROCID MSGID SD ` before the CSV.
_TAG_END = re.compile(r"filterlog(?:\[\d*\])?:?(?:\s+(?:\d+|-)\s+\S+\s+"
                      r"(?:-|(?:\[(?:[^\]\\]|\\.)*\])+))?\s*")
# A bare pf CSV line: rule, sub-rule, anchor, tracker, interface, reason, action, dir, version.
_CSV = re.compile(r"\s*\d+,[^,]*,[^,]*,[^,]*,[^,]*,[\w-]*,[a-z-]+,\w*,[46],")
_ACTION = re.compile(r"[a-z][a-z-]{0,31}")
# `host 10.99.3.4 unreachable - admin prohibited filter36` (the length glued on).
_UNREACH = re.compile(r"\s*(?:(?:net|host) )?(\S+) unreachable(?: - ([a-z ]*[a-z]))?")

_ACL_DENY, _NO_ROUTE, _OTHER = Signal.ACL_DENY, Signal.NO_ROUTE, Signal.OTHER
_DROP_ACTIONS = frozenset({"block", "synproxy-drop"})
_PORTED = frozenset({"tcp", "udp"})
_ICMP_ERRORS = frozenset({"unreachport", "unreachproto", "needfrag"})


def _unreach_signal(why: str | None) -> Signal:
    """What an `unreach` text's ` - <why>` says about the host it names (module docstring)."""
    if why is None or why == "unknown":
        return _NO_ROUTE
    if why.startswith("admin prohibited"):
        return _ACL_DENY
    return _OTHER


def _original(signal: Signal, proto: str | None, sender: str, target: str) -> Flow | None:
    """The flow an ICMP error answers: its sender (the ICMP packet's destination) to the host
    the error names; ports unknown, the protocol too unless filterlog names it."""
    flow = build_flow(signal, proto or "", sender, None, target, None)
    if flow is None:
        return None
    return (signal, proto, flow[2], None, flow[4], None, 1)


class PfSenseLogParser(LogParser):
    """pfSense, OPNsense and OpenBSD pf `filterlog` CSV -> `LogEvent`s (module docstring)."""

    type: ClassVar[str] = "pfsense"

    @classmethod
    def recognises(cls, line: str) -> bool:
        return "filterlog" in line or _CSV.match(line) is not None

    def parse(self, lines: Iterable[str], start: int = 1) -> Iterator[LogEvent]:
        """Yield one event per recognised line; `start` is the number of the first line."""
        header = SyslogHeader(self.now, self.device)
        read, split = header.read, header.split
        stats = self.stats
        by_message = stats.by_message
        tag_end = _TAG_END.match
        flow_of = self._flow
        messages: dict[str, str] = {}   # action -> message id, made once
        for number, line in self.numbered(lines, start):
            i = line.find("filterlog")
            if i >= 0:
                time, device = read(line[:i])
                pos = tag_end(line, i).end()  # type: ignore[union-attr]  # always matches
            else:
                time, device, pos = split(line)
            f = line[pos:].rstrip().split(",", _FIELDS)
            if len(f) < 17 or _ACTION.fullmatch(f[6]) is None:
                stats.unparsed += 1
                continue
            flow = flow_of(f)
            if flow is None:
                stats.unparsed += 1
                continue
            action = f[6]
            message = messages.get(action)
            if message is None:
                if len(messages) >= 256:
                    messages.clear()
                message = messages[action] = "filterlog/" + action
            stats.parsed += 1
            by_message[message] += 1
            yield LogEvent(number, time, device or self.device, message, *flow)

    @staticmethod
    def _flow(f: list[str]) -> Flow | None:
        """The event's flow from the CSV fields, or None when they are not a filterlog packet."""
        n = len(f)
        version = f[8]
        if version == "4":
            if n < 20:
                return None
            proto, a, b, at, flags_at = f[16].lower(), f[18], f[19], 20, 23
        elif version == "6":
            proto, a, b, at, flags_at = f[12].lower(), f[15], f[16], 17, 20
        else:
            return None
        signal = _ACL_DENY if f[6] in _DROP_ACTIONS and f[5] == "match" else _OTHER
        if proto in _PORTED:
            if n < at + 2:
                return None
            ap, bp = f[at], f[at + 1]
            if proto == "tcp" and n > flags_at and "S" in f[flags_at]:
                a_first = "A" not in f[flags_at]   # SYN: the opener; SYN+ACK: the answer
            else:
                a_first = initiator_first(parse_port(ap), parse_port(bp))
            return build_flow(signal, proto, a, ap, b, bp, a_first)
        if proto == "icmp" and n > at:
            kind = f[at]
            if kind == "reply":   # an echo reply goes back to whoever pinged
                return build_flow(signal, proto, a, None, b, None, False)
            if kind == "unreach" and n > at + 1:
                m = _UNREACH.match(f[at + 1])
                if m is not None:
                    return _original(_unreach_signal(m.group(2)), None, b, m.group(1))
            if kind in _ICMP_ERRORS and n > at + 1:
                quoted = f[at + 2].lower() if kind == "unreachport" and n > at + 2 else ""
                return _original(_OTHER, quoted if quoted in _PORTED else None, b, f[at + 1])
        return build_flow(signal, proto, a, None, b, None)

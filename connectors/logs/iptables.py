"""Linux iptables / nftables LOG lines (kernel nf_log), as `LogEvent`s in initiator order.

The line (firewall-logs.md §4): `<syslog header> [kernel:] [[<uptime>]] <prefix>IN=<if> OUT=<if>
[MAC=..] SRC= DST= LEN= ... PROTO= [SPT= DPT=] ...`. One line in, at most one event out, streaming.

What counts as what in `stats`:

- Blank lines are not counted (their numbers still advance, as `LogParser.parse` says).
- A line with nf_log's `IN=<if> OUT=` start and a `SRC= DST= ... PROTO=` packet is `parsed`,
  counted in `by_message` under its message id (below).
- Everything else is `unparsed` and skipped, never raised: other kernel lines, a packet with no
  `SRC=`/`DST=`/`PROTO=` (ARP logs, UniFi gateways' lines that syslog cut before `IN=`), a
  protocol word longer than 32 characters, an address slot longer than 255, and lines longer than
  `MAX_LINE`.

Keys: the first occurrence wins where a key repeats (a UDP line's second `LEN=` is the UDP
length; an ICMP line's second `ID=`; the original packet that an ICMP error quotes in `[...]`).
`MAC=` may be empty or absent, lines may end in blanks. IPv6 lines (`TC= HOPLIMIT= FLOWLBL=`,
addresses printed in full, `fe80:0000:...`) read the same way; addresses are canonical
(`endpoints.parse_address`), a slot that is not an address is None. A numeric `PROTO=47` is
named where the number is common (`PROTOCOL_NUMBERS`). ICMP has no ports.

The log prefix, and so the message id and the signal:

The prefix is the free text between the syslog header (after `kernel:` when present) and `IN=`,
without the kernel's `[<uptime>]`: `iptables DROP_INPUT: `, `[UFW BLOCK] `, `DROP(src wan)`,
`SFW2-INext-DROP-DEFLT `, EdgeOS/VyOS `[WAN_IN-10-D]`, nftables `log prefix "nft drop: "`.
Whether the packet was dropped is knowable only from it, so the `[[logs]]` options decide:

- `accept_prefixes` (default `ACCEPT_PREFIXES`) and `drop_prefixes` (default `DROP_PREFIXES`):
  lists of texts, each matched case-insensitively anywhere in the prefix (so `DROP` also
  matches `DROPPED` and `SFW2-INext-DROP-DEFLT`, and `-D]` matches the drop action letter of an
  EdgeOS/VyOS rule name `[WAN_IN-10-D]`). A prefix that matches an accept text is never a drop,
  whatever else it holds: an exception the user writes (`accept_prefixes = ["NODROP"]`) wins, and
  a wrong "other" costs less than a wrong "denied" (which pushes a live target towards stale).
- A drop prefix gives `acl-deny`; anything else (an accept or plain `LOG` rule, an empty prefix)
  gives `other`: a logged TCP SYN from an accept or `LOG` rule proves nothing either way.
- Exception, ICMP errors: a destination-unreachable (ICMP type 3, ICMPv6 type 1) that quotes the
  packet it answers (`[SRC= DST= ... PROTO= SPT= DPT= ]`) is an event for *that* packet's flow
  (the poller's probe), with the router's code as the signal, whatever the prefix: net or host
  unreachable or unknown (codes 0, 1, 6, 7; ICMPv6 0 no route, 3 address unreachable, 6 reject
  route) is `no-route`; administratively prohibited (9, 10, 13; ICMPv6 1, 5) is `acl-deny`; the
  rest (port or protocol unreachable: the host is there; fragmentation needed) is `other`. The
  prefix's verdict on the ICMP packet itself is about a router's message to the poller, which is
  not the target the audit asks about. An ICMP error without its quote keeps the prefix rules.

Message id: the prefix, normalised: blanks and brackets around it and a trailing `:` removed, a
leading `iptables`/`ip6tables`/`nftables`/`netfilter` word dropped, runs of blanks made `_`,
at most 64 characters (`iptables DROP_INPUT: ` -> `DROP_INPUT`, `[UFW BLOCK]` -> `UFW_BLOCK`,
`[wan-lan-default-D]` -> `wan-lan-default-D`); `nf_log` when the prefix is empty.

Endpoints: `src`/`sport` is the side that opened the flow. nf_log prints the packet as it was,
so a reply is turned round: a TCP SYN without ACK keeps the printed order (even from port 80: a
scanner's trick), a SYN+ACK is turned round, any other TCP or UDP packet is judged by ports
(`endpoints.initiator_first`: a packet from port 161 to an ephemeral port is the agent's reply to
its poller); an ICMP echo reply (type 0, ICMPv6 129) goes back to whoever pinged.

Device: the syslog header's host, else the spec's name. Time: the header's (RFC 3164 with its
year against the clock, ISO/RFC 5424 with its offset), read by `syslog_header.SyslogHeader`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import ClassVar

from auditor.errors import ConfigError
from auditor.model import LogEvent, Signal
from connectors.base import LogParser, SourceSpec
from connectors.logs.endpoints import Flow, build_flow, initiator_first, parse_port
from connectors.logs.syslog_header import SyslogHeader
from connectors.shared.inputs import Inputs

__all__ = ["ACCEPT_PREFIXES", "DROP_PREFIXES", "MAX_LINE", "PROTOCOL_NUMBERS",
           "IptablesLogParser", "prefix_options"]

MAX_LINE = LogParser.max_line
#: Texts that mark a drop prefix by default (case-insensitive, anywhere in the prefix): the
#: words rule writers use (`DROP`, `DROPPED`, `REJECT`, `DENY`, `DENIED`, `BLOCK`, `[UFW BLOCK]`,
#: firewalld's `FINAL_REJECT`), and EdgeOS/VyOS rule names' drop and reject letters.
DROP_PREFIXES: tuple[str, ...] = ("DROP", "REJECT", "DENY", "DENIED", "BLOCK", "-D]", "-R]")
#: Texts that mark an accept prefix by default; an accept match is never a drop.
ACCEPT_PREFIXES: tuple[str, ...] = ("ACCEPT", "ALLOW", "PERMIT", "PASS", "-A]")
#: `PROTO=<number>`, printed for protocols nf_log has no name for -> the name used elsewhere.
PROTOCOL_NUMBERS: dict[str, str] = {"1": "icmp", "6": "tcp", "17": "udp", "58": "icmpv6",
                                    "47": "gre", "50": "esp", "51": "ah", "132": "sctp"}
#: Message id for a packet logged without a prefix.
NO_PREFIX = "nf_log"
#: Longest message id kept (nftables allows 127 characters of prefix).
MAX_MESSAGE = 64
#: Distinct prefixes remembered with their id and signal before the memory is dropped.
PREFIX_CACHE = 4096

# nf_log always starts its packet with `IN=<if> OUT=`; the prefix may touch it (`DROP(x)IN=`).
_START = re.compile(r"IN=\S* OUT=")
# The packet: first `SRC=`, `DST=`, `PROTO=`; ports right after the protocol when it has them.
_PACKET = re.compile(r" SRC=(\S*) DST=(\S*) (?:.*? )?PROTO=(\S*)(?: SPT=(\S*) DPT=(\S*))?")
_ICMP = re.compile(r" TYPE=(\d{1,3}) CODE=(\d{1,3})")
# The packet an ICMP error quotes, inside `[...]` after TYPE/CODE.
_QUOTED = re.compile(r"\[SRC=(\S*) DST=(\S*) (?:[^\]]*? )?PROTO=(\S*)(?: SPT=(\S*) DPT=(\S*))?")
_UPTIME = re.compile(r"\s*\[\s*\d+\.\d+\]\s*")
_TOOL_WORD = re.compile(r"(?:iptables|ip6tables|nftables|netfilter)\s+(?=\S)", re.IGNORECASE)
_BLANKS = re.compile(r"\s+")
# A header word that `SyslogHeader.split` skips as a program tag but that is the uptime or the
# prefix on a line without `kernel:` (`host [SOMETHING-1234-A] IN=`): `[`, no `=` or `"`.
_BRACKET_WORD = re.compile(r"(?<=\s)\[[^=\"]*$")

# Destination-unreachable codes -> what they say about the quoted packet's destination.
_ICMP4_CODES = {0: Signal.NO_ROUTE, 1: Signal.NO_ROUTE, 6: Signal.NO_ROUTE, 7: Signal.NO_ROUTE,
                9: Signal.ACL_DENY, 10: Signal.ACL_DENY, 13: Signal.ACL_DENY}
_ICMP6_CODES = {0: Signal.NO_ROUTE, 3: Signal.NO_ROUTE, 6: Signal.NO_ROUTE,
                1: Signal.ACL_DENY, 5: Signal.ACL_DENY}
_ICMP_NAMES = frozenset({"icmp", "icmpv6", "icmp6", "ipv6-icmp"})

_ACL_DENY, _OTHER = Signal.ACL_DENY, Signal.OTHER


def prefix_options(spec: SourceSpec, key: str, default: Sequence[str]) -> tuple[str, ...]:
    """A `[[logs]]` list-of-texts option, upper-cased for matching; `default` when absent.

    Raises `ConfigError` (exit 2) unless it is a list of non-empty strings. An empty list is
    allowed: `drop_prefixes = []` says no prefix marks a drop.
    """
    value = spec.options.get(key)
    if value is None:
        return tuple(t.upper() for t in default)
    if not isinstance(value, list | tuple) or not all(
            isinstance(t, str) and t.strip() for t in value):
        example = json.dumps(list(default[:2]))
        raise ConfigError(f"key {key!r}: must be a list of non-empty strings, e.g. {key} = "
                          f"{example}, not {type(value).__name__} {value!r}")
    return tuple(t.strip().upper() for t in value)


class IptablesLogParser(LogParser):
    """Linux iptables and nftables LOG lines -> `LogEvent`s (see the module docstring).

    Options (`[[logs]]` keys): `drop_prefixes`, `accept_prefixes`.
    """

    type: ClassVar[str] = "iptables"
    options: ClassVar[frozenset[str]] = frozenset({"drop_prefixes", "accept_prefixes"})

    def __init__(self, spec: SourceSpec, *, clock: datetime | None = None,
                 io: Inputs | None = None) -> None:
        super().__init__(spec, clock=clock, io=io)
        self.drop_prefixes = prefix_options(spec, "drop_prefixes", DROP_PREFIXES)
        self.accept_prefixes = prefix_options(spec, "accept_prefixes", ACCEPT_PREFIXES)
        #: raw prefix text -> (message id, signal).
        self._prefixes: dict[str, tuple[str, Signal]] = {}

    @classmethod
    def recognises(cls, line: str) -> bool:
        return "IN=" in line and ("SRC=" in line or "DST=" in line) and \
            _START.search(line) is not None

    def parse(self, lines: Iterable[str], start: int = 1) -> Iterator[LogEvent]:
        """Yield one event per recognised line; `start` is the number of the first line."""
        header = SyslogHeader(self.now, self.device)
        read, split = header.read, header.split
        stats = self.stats
        by_message = stats.by_message
        prefixes = self._prefixes
        classify = self._classify
        start_search, packet_search = _START.search, _PACKET.search
        for number, line in self.numbered(lines, start):
            if "IN=" not in line:
                stats.unparsed += 1
                continue
            m = start_search(line)
            if m is None:
                stats.unparsed += 1
                continue
            in_pos = m.start()
            p = packet_search(line, m.end())
            if p is None:
                stats.unparsed += 1
                continue
            k = line.rfind("kernel:", 0, in_pos)
            if k >= 0:
                time, device = read(line[:k])
                raw = line[k + 7:in_pos]
            else:
                time, device, pos = split(line)
                if pos > in_pos:
                    pos = in_pos
                b = _BRACKET_WORD.search(line, 0, pos)
                raw = line[b.start() if b is not None else pos:in_pos]
            known = prefixes.get(raw)
            if known is None:
                known = classify(raw)
            message, signal = known
            flow = self._flow(line, p, signal)
            if flow is None:
                stats.unparsed += 1
                continue
            stats.parsed += 1
            by_message[message] += 1
            yield LogEvent(number, time, device or self.device, message, *flow)

    @staticmethod
    def _flow(line: str, p: re.Match[str], signal: Signal) -> Flow | None:
        """The event's flow from the packet match: turned round for replies; ICMP errors give
        the quoted packet's flow (module docstring)."""
        a, b, proto, ap, bp = p.groups()
        name = PROTOCOL_NUMBERS.get(proto, proto).lower()
        if name in _ICMP_NAMES:
            t = _ICMP.search(line, p.end())
            if t is None:
                return build_flow(signal, name, a, None, b, None)
            icmp_type, code = int(t.group(1)), int(t.group(2))
            v6 = name != "icmp"
            if icmp_type == (1 if v6 else 3):
                q = _QUOTED.search(line, t.end())
                if q is not None:
                    qa, qb, qproto, qap, qbp = q.groups()
                    qname = PROTOCOL_NUMBERS.get(qproto, qproto)
                    codes = _ICMP6_CODES if v6 else _ICMP4_CODES
                    return build_flow(codes.get(code, _OTHER), qname, qa, qap, qb, qbp,
                                      initiator_first(parse_port(qap), parse_port(qbp)))
            # An echo reply goes back to whoever pinged.
            return build_flow(signal, name, a, None, b, None, icmp_type != (129 if v6 else 0))
        if ap is None:
            return build_flow(signal, name, a, None, b, None)
        if name == "tcp":
            end = p.end()
            if line.find(" SYN ", end) >= 0:   # flags are words: `ACK SYN URGP=0`
                a_first = line.find(" ACK ", end) < 0   # SYN: the opener; SYN+ACK: the answer
            else:
                a_first = initiator_first(parse_port(ap), parse_port(bp))
        else:
            a_first = initiator_first(parse_port(ap), parse_port(bp))
        return build_flow(signal, name, a, ap, b, bp, a_first)

    def _classify(self, raw: str) -> tuple[str, Signal]:
        """(message id, signal) for a raw prefix text; remembered (bounded)."""
        text = _UPTIME.sub(" ", raw).strip()
        upper = text.upper()
        if any(t in upper for t in self.accept_prefixes):
            signal = _OTHER
        elif any(t in upper for t in self.drop_prefixes):
            signal = _ACL_DENY
        else:
            signal = _OTHER
        name = text.strip("[]: \t")
        if _TOOL_WORD.match(name):
            name = _TOOL_WORD.sub("", name, count=1).strip("[]: \t")
        name = _BLANKS.sub("_", name)[:MAX_MESSAGE] or NO_PREFIX
        if len(self._prefixes) >= PREFIX_CACHE:
            self._prefixes.clear()
        hit = self._prefixes[raw] = (name, signal)
        return hit

"""Fortinet FortiGate traffic logs (key=value, its CSV variant, and CEF) as `LogEvent`s.

One line in, at most one event out, streaming (firewall-logs.md §3). Three layouts:

- key=value, space-separated: `date=2020-04-23 time=01:16:08 devname="fw" ... srcip=...`.
  String values are quoted and may hold spaces and commas (`vwlquality="Seq_num(3), alive,
  selected"`); numbers and addresses are bare. FortiOS 3.x/4.x names some keys differently
  (`log_id`, `device_id`, `src`, `dst`, `src_port`, `dst_port`, `status` for the action,
  `rcvd_pkt`, `rcvd`): read as their later names.
- the same pairs comma-separated (FortiGate's `set format csv`: `date=2016-02-12,time=...`).
- CEF: `CEF:0|Fortinet|Fortigate|<version>|<id>|<name>|<severity>|<extension>`, the extension
  `key=value` with unquoted values that run to the next ` key=`. CEF's `src`, `dst`, `spt`,
  `dpt`, `proto`, `act`, `dvchost`, `deviceExternalId` are read; FortiGate's own keys carry a
  prefix (`FTNTFGTrcvdpkt=`, or `FortinetFortiGatercvdpkt=` on some releases), taken off. CEF's
  `in`/`out` byte counts are not read: which direction each one counts is read both ways by
  public pipelines; the prefixed `rcvdpkt`/`rcvdbyte` are unambiguous.

Any syslog header in front (`<PRI>`, an RFC 3164 or 5424 stamp and host, a relay's) is read by
`syslog_header` for the fallbacks below. When a key appears twice, the first wins (FortiGate
may print `tz` twice).

What counts as what in `stats`: blank lines are not counted but advance the line number (a run
given as one item counts its newlines). A line whose type is `traffic` (`type=traffic`, or in
CEF `cat=traffic:...` or a name `traffic:...`) and that has a source, a destination and a
protocol is `parsed`, counted in `by_message` under its `logid` (`0000000013`; CEF without a
logid key: its signature id). Everything else is `unparsed` and skipped, never raised: event,
utm, anomaly and dns logs, traffic lines missing those keys, CEF from another vendor, lines
longer than `MAX_LINE`, garbage.

Signals, in this order (FortiOS log reference, traffic `action`: "Deny = blocked by firewall
policy ... All others = allowed by firewall policy, and the status says how it was closed"):

- `acl-deny`: `action="deny"`; or `policyid=0` (the implicit deny) on a line with no action.
  `policyid=0` alone is not a deny: FortiOS logs local-in sessions (to the firewall itself)
  with policy 0 and `action="accept"` (peer data, fortinet/traffic.log lines 4-5).
- `traffic-answered`: packets received (`rcvdpkt`; where the line has none, bytes received,
  `rcvdbyte`) above 0, whatever the action said about the session's end.
- `syn-timeout`, TCP (`proto=6`) only, nothing received from the target:
  `action="timeout"` (Fortinet: a session that expired half-open, no SYN/ACK, or idle) or
  `action="ip-conn"` (Fortinet: allowed, but closed because no reply packet came: "IP
  connection error"), with `rcvdpkt=0` or no counters at all; and `close` or `client-rst` with
  an explicit `rcvdpkt=0`: the target sent not one packet, so no SYN/ACK, and the handshake
  never completed. `server-rst` is never one: the reset came from the target's side, so
  something there answered. UDP and ICMP sessions left unanswered are `other`: `syn-timeout`
  means "no TCP handshake".
- `other`: the rest (`accept`, `start`, `dns`, a TCP `accept` with nothing received, which is
  a session start or a sniffer record, not an end).

Endpoints: FortiGate's `srcip`/`srcport` and `dstip`/`dstport` are the session's initiator and
target (the session table is keyed by its first packet), so `src`/`dst` keep them.
Addresses (IPv4 and IPv6) are canonical via `endpoints.parse_address`; anything else is None.
`proto` is an IANA number: 6 tcp, 17 udp, 1 icmp, 58 icmpv6, a few more by name, others their
number; ICMP has no ports.

Time, as naive UTC: `date` + `time` with a `tz` offset (`-0500`, `+05:30`, `UTC+2:00`, or a
zone word from `syslog_header.ZONE_OFFSETS`); else `eventtime` (or FortiOS 5's `logtime`),
epoch seconds, or milli-, micro- or nanoseconds by its length (19 digits: ns); else `date` +
`time` as written (the device's clock, zone unknown); else the syslog header's. FortiOS 3/4
print `time=10: 13:03` (a space after the hour, in every such peer sample, whose relay stamps
agree on the minutes and seconds): read as 10:13:03.
Device: `devname` (CEF `dvchost`), else the header's host, else the serial (`devid`,
`device_id`, CEF `deviceExternalId`), else the spec's name.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from functools import lru_cache
from typing import ClassVar

from auditor.model import MAX_YEAR, MIN_YEAR, LogEvent, Signal
from connectors.base import LogParser
from connectors.logs.endpoints import build_flow
from connectors.logs.syslog_header import ZONE_OFFSETS, SyslogHeader

__all__ = ["MAX_LINE", "PROTOCOLS", "FortiGateLogParser"]

MAX_LINE = LogParser.max_line

#: IANA protocol numbers -> the words the other parsers use.
PROTOCOLS: dict[str, str] = {
    "1": "icmp", "2": "igmp", "4": "ipip", "6": "tcp", "17": "udp", "41": "ipv6", "47": "gre",
    "50": "esp", "51": "ah", "58": "icmpv6", "89": "ospf", "103": "pim", "112": "vrrp",
    "132": "sctp",
}

#: The first `key=` of the payload: where any syslog header ends.
_FIRST_KEY = re.compile(r"[A-Za-z_]\w*=")
#: One `key=value` pair, the value without its quotes: a quoted value (`="` behind it), or a
#: bare one up to a blank or a comma (the CSV layout; bare values are numbers, addresses and
#: single words).
_PAIR = re.compile(r'([A-Za-z_][\w-]*)="?((?<==")[^"]*|[^\s,"]*)"?')
#: One CEF extension pair: the value runs to the next ` key=` or the end of the line.
_CEF_PAIR = re.compile(r"(?<!\S)([A-Za-z_][\w.\[\]-]*)=((?:\\.|[^\\])*?)"
                       r"(?=\s+[A-Za-z_][\w.\[\]-]*=|\s*$)")
#: FortiOS 3/4's `time=10: 13:03`.
_SPLIT_TIME = re.compile(r"(?<![\w])time=\"?(\d{1,2}): ?(\d\d):(\d\d)")
_DATE = re.compile(r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})")
_TIME = re.compile(r"(\d{1,2}):(\d\d)(?::(\d\d))?(?:\.(\d{1,9}))?")
_OFFSET = re.compile(r"(?:[A-Za-z]{1,5})?\s*([+-])(\d{1,2})(?::?(\d\d))?")
_EPOCH = datetime(1970, 1, 1)
#: CEF keys that are FortiGate's own, with their prefix.
_CEF_PREFIXES = ("FTNTFGT", "FortinetFortiGate")
#: Session ends that, with nothing received on TCP, mean the handshake never completed.
_TIMEOUTS = frozenset({"timeout", "ip-conn"})
_ENDS_UNANSWERED = frozenset({"close", "client-rst"})

# Plain names: an enum member lookup per line costs more than the rest of the bookkeeping.
_ACL_DENY, _SYN_TIMEOUT = Signal.ACL_DENY, Signal.SYN_TIMEOUT
_TRAFFIC_ANSWERED, _OTHER = Signal.TRAFFIC_ANSWERED, Signal.OTHER


def _number(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and len(value) < 20 else None


@lru_cache(maxsize=4096)
def local_time(date: str, time: str) -> datetime | None:
    """`date=` and `time=` as a naive datetime, or None when either cannot be read."""
    d = _DATE.fullmatch(date)
    t = _TIME.fullmatch(time)
    if d is None or t is None:
        return None
    try:
        stamp = datetime(int(d.group(1)), int(d.group(2)), int(d.group(3)), int(t.group(1)),
                         int(t.group(2)), int(t.group(3) or 0),
                         int((t.group(4) or "0")[:6].ljust(6, "0")))
    except (ValueError, OverflowError):
        return None
    return stamp if MIN_YEAR <= stamp.year <= MAX_YEAR else None


@lru_cache(maxsize=256)
def zone_offset(tz: str) -> timedelta | None:
    """A `tz=` value as its offset from UTC: `-0500`, `+05:30`, `UTC+2:00`, `CEST`; else None."""
    tz = tz.strip()
    hours = ZONE_OFFSETS.get(tz.upper())
    if hours is not None:
        return timedelta(hours=hours)
    m = _OFFSET.fullmatch(tz)
    if m is None:
        return None
    sign, hh, mm = m.groups()
    offset = timedelta(hours=int(hh), minutes=int(mm or 0))
    if offset > timedelta(hours=14):
        return None
    return -offset if sign == "-" else offset


def epoch_time(value: str | None) -> datetime | None:
    """Epoch `eventtime`/`logtime` as naive UTC: seconds, or ms / us / ns by its length."""
    if not value or not value.isdigit():
        return None
    digits = len(value)
    if digits <= 11:
        seconds, micro = int(value), 0
    elif digits <= 14:
        seconds, micro = divmod(int(value), 1000)
        micro *= 1000
    elif digits <= 17:
        seconds, micro = divmod(int(value), 1_000_000)
    elif digits <= 19:
        seconds, micro = divmod(int(value) // 1000, 1_000_000)
    else:
        return None
    if seconds == 0:
        return None
    try:
        stamp = _EPOCH + timedelta(seconds=seconds, microseconds=micro)
    except OverflowError:
        return None
    return stamp if MIN_YEAR <= stamp.year <= MAX_YEAR else None


class FortiGateLogParser(LogParser):
    """FortiGate traffic log lines -> `LogEvent`s (see the module docstring)."""

    type: ClassVar[str] = "fortigate"

    @classmethod
    def recognises(cls, line: str) -> bool:
        return ((("logid=" in line or "log_id=" in line) and "type=" in line)
                or "CEF:0|Fortinet|" in line)

    def parse(self, lines: Iterable[str], start: int = 1) -> Iterator[LogEvent]:
        """Yield one event per traffic line; `start` is the number of the first line."""
        # A reader per pass: its header memory and its clock belong to this file. No default
        # device: a header without a host falls back to the serial number.
        read_header = SyslogHeader(self.now, None).read
        stats = self.stats
        by_message = stats.by_message
        default_device = self.device
        findall = _PAIR.findall
        first_key = _FIRST_KEY.search
        cef_fields = self._cef_fields
        line_time = self._time
        flow_of = build_flow
        protocols = PROTOCOLS
        for number, line in self.numbered(lines, start):
            cef = line.find("CEF:")
            if cef >= 0 and line.find("=", 0, cef) < 0:   # not "CEF:" inside a kv value
                fields = cef_fields(line, cef)
                if fields is None:
                    stats.unparsed += 1
                    continue
                begin = cef
            elif "type=traffic" in line or 'type="traffic"' in line:
                m = first_key(line)
                begin = m.start() if m is not None else 0
                pairs = findall(line, begin)
                pairs.reverse()   # the first of a repeated key wins
                fields = dict(pairs)
                if fields.get("type") != "traffic":
                    stats.unparsed += 1
                    continue
            else:
                stats.unparsed += 1
                continue
            get = fields.get
            src = get("srcip") or get("src")
            dst = get("dstip") or get("dst")
            proto = get("proto")
            if src is None or dst is None or not proto:
                stats.unparsed += 1
                continue
            proto = protocols.get(proto) or proto.lower()
            action = get("action") or get("status") or get("act") or ""
            if not action.islower():
                action = action.lower()
            received = _number(get("rcvdpkt") or get("rcvd_pkt"))
            if received is None:
                received = _number(get("rcvdbyte") or get("rcvd"))
            if action == "deny" or (not action and get("policyid") == "0"):
                signal = _ACL_DENY
            elif received:
                signal = _TRAFFIC_ANSWERED
            elif proto == "tcp" and ((action in _TIMEOUTS and not received)
                                     or (action in _ENDS_UNANSWERED and received == 0)):
                signal = _SYN_TIMEOUT
            else:
                signal = _OTHER
            flow = flow_of(signal, proto, src, get("srcport") or get("src_port") or get("spt"),
                           dst, get("dstport") or get("dst_port") or get("dpt"))
            if flow is None:
                stats.unparsed += 1
                continue
            header_time, host = read_header(line[:begin])
            time = line_time(line, fields) or header_time
            device = (get("devname") or get("dvchost") or host
                      or get("devid") or get("device_id") or get("deviceExternalId")
                      or default_device)
            message = get("logid") or get("log_id") or "traffic"
            if len(message) > 32:
                message = "traffic"
            stats.parsed += 1
            by_message[message] += 1
            yield LogEvent(number, time, device, message, *flow)

    @staticmethod
    def _cef_fields(line: str, at: int) -> dict[str, str] | None:
        """A FortiGate CEF line's extension as kv-layout keys; None when it is no traffic log.

        CEF's own keys keep their names (`src`, `dst`, `spt`, `dpt`, `proto`, `act`); FortiGate's
        lose their prefix. The signature id stands in for a missing `logid`.
        """
        parts = line[at:].split("|", 7)
        if len(parts) < 8 or parts[1].lower() != "fortinet":
            return None
        fields: dict[str, str] = {}
        for key, value in _CEF_PAIR.findall(parts[7].rstrip("\r\n")):
            for prefix in _CEF_PREFIXES:
                if key.startswith(prefix):
                    key = key[len(prefix):]
                    break
            if key not in fields:
                fields[key] = value.replace("\\=", "=").replace("\\\\", "\\")
        kind = fields.get("type") or fields.get("cat") or parts[5]
        if not kind.lower().startswith("traffic"):
            return None
        fields.setdefault("logid", parts[4])
        return fields

    @staticmethod
    def _time(line: str, fields: dict[str, str]) -> datetime | None:
        """The line's time as naive UTC, by the rules of the module docstring."""
        get = fields.get
        date, time = get("date"), get("time")
        stamp = None
        if date is not None and time is not None:
            stamp = local_time(date, time)
            if stamp is None and (m := _SPLIT_TIME.search(line)) is not None:
                stamp = local_time(date, ":".join(m.groups()))
        tz = get("tz")
        if stamp is not None and tz is not None:
            offset = zone_offset(tz)
            if offset is not None:
                try:
                    return stamp - offset
                except OverflowError:
                    return None
        epoch = epoch_time(get("eventtime") or get("logtime"))
        return epoch if epoch is not None else stamp

"""Palo Alto Networks PAN-OS TRAFFIC logs (syslog + CSV) as `LogEvent`s.

One line in, at most one event out, streaming. The line is an optional syslog header (RFC 3164
`<PRI>Mon dd hh:mm:ss host `, RFC 5424 `<PRI>1 ISO-TIME host - - - - `, an octet count in
front, or none at all) followed by PAN-OS's CSV (firewall-logs.md §2). Field numbers below count
from 0 at the first CSV field. The CSV is split with `str.split(",")`; only a line holding a `"`
goes through the `csv` module (quoted fields may hold commas).

What counts as what in `stats`:

- Blank lines are not counted, but advance the line number (a run given as one item counts its
  newlines; `LogParser.parse`).
- A TRAFFIC line (field 3 is `TRAFFIC`) with at least the 31 fields up to the action (30) and a
  protocol is `parsed`, counted in `by_message` under its message id.
- Everything else is `unparsed` and skipped, never raised: other log types (THREAT, SYSTEM,
  CONFIG, HIPMATCH, GLOBALPROTECT...), TRAFFIC lines cut short, CSV the `csv` module rejects,
  lines longer than `MAX_LINE`, garbage.

Message id: the log type and subtype, `TRAFFIC/start`, `TRAFFIC/end`, `TRAFFIC/drop`,
`TRAFFIC/deny`; just `TRAFFIC` when the subtype (field 4) is empty or `N/A`.

Signals, in this order:

- `acl-deny`: action (30) `deny`, `drop*` (`drop`, `drop-icmp`, `drop ICMP`) or `reset*`
  (`reset-client`, `reset-server`, `reset-both`, also written with a space); or subtype `deny` or
  `drop` (PAN-OS: the session was dropped, before or after App-ID, by a rule or for want of one);
  or session end reason (46) `policy-deny`.
- `syn-timeout`: an `allow`ed TCP session, not a `start` record, that ended `aged-out` having
  received nothing from its target: packets received (45) = 0; where field 45 is missing or
  not a number, bytes received (33) = 0; where neither can be read, application (14)
  `incomplete` (App-ID's word for "the three-way handshake never completed"). UDP and ICMP
  sessions that aged out unanswered are `other`: the reference ties `incomplete` to the TCP
  handshake, and `syn-timeout` means "no handshake", which a UDP poll does not have.
- `traffic-answered`: an `allow`ed session with packets received (45) or bytes received (33)
  above 0 (a `start` record included: the target has already answered).
- `other`: the rest.

`count` is the Repeat Count (23) when above 1 (PAN-OS folds identical sessions within 5 s).

Endpoints: PAN-OS's source (7, port 24) and destination (8, port 25) are the session's initiator
and target (the firewall records the session from its first packet), so `src`/`dst` keep them.
Addresses are canonical (`endpoints.parse_address`); what is not an address becomes None and
forms no flow, the line still parsed. ICMP has no ports (PAN-OS writes 0 there).

Time: the Generated Time (6), the time the data plane made the record, when it can be read:
`2018/11/30 16:09:07`, `9/16/19 10:00`, either with a fraction of a second (nanoseconds are
cut to microseconds), or ISO 8601 (`2021-05-26T16:26:47.000000Z`, as Cortex Data Lake
forwards it; an offset or `Z` is converted to UTC). PAN-OS prints its local clock with no zone,
so that time is taken as written. Else the syslog header's time (`syslog_header`).
Device: the syslog header's host, else the serial number (2), else the spec's name.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from functools import lru_cache
from typing import ClassVar

from auditor.model import MAX_YEAR, MIN_YEAR, LogEvent, Signal
from connectors.base import LogParser
from connectors.logs.endpoints import build_flow
from connectors.logs.syslog_header import SyslogHeader

__all__ = ["MAX_LINE", "PanOsLogParser"]

MAX_LINE = LogParser.max_line
#: Fields a TRAFFIC line must have: up to the action (30).
MIN_FIELDS = 31

#: The start of a PAN-OS CSV record: FUTURE_USE, Receive Time, Serial, then the log type.
_RECORD = re.compile(
    r"(?:^|[\s>])\d*,[^,]{0,40},[^,\s]{0,64},(?:TRAFFIC|THREAT|SYSTEM|CONFIG|HIPMATCH|HIP-MATCH|"
    r"GLOBALPROTECT|USERID|DECRYPTION|AUTHENTICATION|CORRELATION|GTP|SCTP|IPTAG|START|END),")
_YMD = re.compile(r"(\d{4})[/-](\d{1,2})[/-](\d{1,2})[ T](\d{1,2}):(\d\d)(?::(\d\d))?"
                  r"(?:[.,](\d+))?\s*(Z|[+-]\d\d:?\d\d)?", re.IGNORECASE)
_MDY = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{2}|\d{4}) (\d{1,2}):(\d\d)(?::(\d\d))?(?:\.(\d+))?")

# Plain names: an enum member lookup per line costs more than the rest of the bookkeeping.
_ACL_DENY, _SYN_TIMEOUT = Signal.ACL_DENY, Signal.SYN_TIMEOUT
_TRAFFIC_ANSWERED, _OTHER = Signal.TRAFFIC_ANSWERED, Signal.OTHER

_csv_reader = csv.reader


@lru_cache(maxsize=4096)
def generated_time(text: str) -> datetime | None:
    """A PAN-OS time field as a naive datetime (UTC when the text carries an offset), or None.

    Cached: a busy firewall writes the same second on many lines.
    """
    text = text.strip()
    try:
        m = _YMD.fullmatch(text)
        if m is not None:
            year, month, day, hh, mm, ss, frac, zone = m.groups()
            stamp = datetime(int(year), int(month), int(day), int(hh), int(mm), int(ss or 0),
                             int((frac or "0")[:6].ljust(6, "0")))
            if zone is not None and zone.upper() != "Z":
                sign = -1 if zone[0] == "-" else 1
                digits = zone[1:].replace(":", "")
                stamp -= sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
            return _checked(stamp)
        m = _MDY.fullmatch(text)
        if m is not None:
            month, day, year, hh, mm, ss, frac = m.groups()
            full_year = int(year) + 2000 if len(year) == 2 else int(year)
            return _checked(datetime(full_year, int(month), int(day), int(hh), int(mm),
                                     int(ss or 0), int((frac or "0")[:6].ljust(6, "0"))))
    except (ValueError, OverflowError):
        return None
    return None


def _checked(stamp: datetime) -> datetime | None:
    return stamp if MIN_YEAR <= stamp.year <= MAX_YEAR else None


def _number(text: str) -> int | None:
    """A counter field: digits, else None (absent, empty, masked)."""
    return int(text) if text.isdigit() and len(text) < 20 else None


class PanOsLogParser(LogParser):
    """PAN-OS TRAFFIC syslog lines -> `LogEvent`s (see the module docstring)."""

    type: ClassVar[str] = "paloalto"

    @classmethod
    def recognises(cls, line: str) -> bool:
        return "," in line and _RECORD.search(line) is not None

    def parse(self, lines: Iterable[str], start: int = 1) -> Iterator[LogEvent]:
        """Yield one event per TRAFFIC line; `start` is the number of the first line."""
        # A reader per pass: its header memory and its clock belong to this file. No default
        # device: a header without a host falls back to the serial number.
        read_header = SyslogHeader(self.now, None).read
        stats = self.stats
        by_message = stats.by_message
        default_device = self.device
        parse_time = generated_time
        flow_of = build_flow
        acl_deny, syn_timeout, answered, other = (_ACL_DENY, _SYN_TIMEOUT,
                                                  _TRAFFIC_ANSWERED, _OTHER)
        for number, line in self.numbered(lines, start):
            comma = line.find(",")
            if comma < 0:
                stats.unparsed += 1
                continue
            # The CSV starts at the word holding the first comma: the header before it has
            # none (field 1, the Receive Time, holds the line's first space after the header).
            begin = max(line.rfind(" ", 0, comma), line.rfind("\t", 0, comma)) + 1
            payload = line[begin:].rstrip("\r\n")
            if ",TRAFFIC," not in payload:
                stats.unparsed += 1
                continue
            if '"' in payload:
                try:
                    fields = next(_csv_reader((payload,)))
                except (csv.Error, StopIteration):
                    stats.unparsed += 1
                    continue
            else:
                fields = payload.split(",")
            if len(fields) < MIN_FIELDS or fields[3] != "TRAFFIC" or not fields[29]:
                stats.unparsed += 1
                continue

            subtype = fields[4].strip().lower()
            action = fields[30].strip().lower()
            n = len(fields)
            end_reason = fields[46] if n > 46 else ""
            proto = fields[29].strip().lower()
            if (action == "deny" or action.startswith("drop") or action.startswith("reset")
                    or subtype == "deny" or subtype == "drop" or end_reason == "policy-deny"):
                signal = acl_deny
            elif action == "allow":
                received = _number(fields[45]) if n > 45 else None
                if received is None and n > 33:
                    received = _number(fields[33])
                if received:
                    signal = answered
                elif (proto == "tcp" and end_reason == "aged-out" and subtype != "start"
                      and (received == 0 or fields[14] == "incomplete")):
                    signal = syn_timeout
                else:
                    signal = other
            else:
                signal = other

            repeat = fields[23]
            count = int(repeat) if repeat.isdigit() and len(repeat) < 10 else 1
            if count < 1:
                count = 1
            flow = flow_of(signal, proto, fields[7], fields[24], fields[8], fields[25],
                           True, count)
            if flow is None:
                stats.unparsed += 1
                continue
            header_time, host = read_header(line[:begin])
            time = parse_time(fields[6]) if fields[6] else None
            if time is None:
                time = header_time
            device = host or fields[2].strip() or default_device
            if subtype and subtype != "n/a" and len(subtype) <= 32:
                message = "TRAFFIC/" + subtype
            else:
                message = "TRAFFIC"
            stats.parsed += 1
            by_message[message] += 1
            yield LogEvent(number, time, device, message, *flow)

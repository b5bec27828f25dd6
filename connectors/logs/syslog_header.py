"""The syslog framing in front of a firewall's own payload: `<PRI>`, timestamps, relay hosts.

Every vendor parser in `connectors/logs/` gets its lines wrapped in some syslog header (ASA,
PAN-OS, FortiGate, iptables, pfSense: firewall-logs.md §1.1, §1.3, §2, §4, §5). A
`SyslogHeader` turns that header into (time, device): the time as naive UTC, or None when the
header has none or it cannot be represented; the device as the host the header names, or the
reader's default. The vendor keeps its payload; only the header is read here.

Forms read, in any order and repeated (a relay's header in front of the device's own):

- `<PRI>`, and RFC 5424's version `1` after it;
- RFC 3164 `Mon dd hh:mm:ss` (no year: the newest such date not after the clock plus
  `CLOCK_SKEW`; Feb 29 looks back for its leap year);
- the ASA's own `Mon dd yyyy hh:mm:ss[.ffffff][ ZONE]:`; a zone word after a stamp
  (`ZONE_OFFSETS`) is applied, so devices in different zones line up;
- ISO 8601 / RFC 5424 `2018-06-27T12:17:46[.fff][Z|+hh:mm]`, an offset converted to UTC;
- a host word (name or address), with or without a ` :` or `:` after it; the first after each
  timestamp wins, so the device's own name beats its relay's;
- `program[pid]:`, RFC 5424's `-` fields, Kiwi's `Local4.Warning` facility words: skipped.

Arithmetic that leaves the years datetime can hold (year 9999 plus a zone, year 1 minus an
offset, a clock at the end of time) gives no time rather than an error.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TypeVar

#: A year-less (RFC 3164) date may be this far after the clock and still count as this year:
#: the relay's clock or zone can run ahead of the auditing machine's.
CLOCK_SKEW = timedelta(days=1)
#: Distinct headers remembered by one reader; past this the memory is dropped and refilled.
CACHE_LIMIT = 4096

#: Zone words a device may print after its timestamp (ASA `clock timezone EDT -4`), with their
#: UTC offset in hours. Ambiguous words (CST: US Central or China; IST: India or Ireland) take
#: the more common firewall reading.
ZONE_OFFSETS: dict[str, float] = {
    "UTC": 0, "UT": 0, "GMT": 0, "Z": 0, "EST": -5, "EDT": -4, "CST": -6, "CDT": -5,
    "MST": -7, "MDT": -6, "PST": -8, "PDT": -7, "AKST": -9, "AKDT": -8, "HST": -10,
    "AST": -4, "ADT": -3, "NST": -3.5, "NDT": -2.5, "WET": 0, "WEST": 1, "CET": 1,
    "CEST": 2, "MET": 1, "MEST": 2, "EET": 2, "EEST": 3, "BST": 1, "IST": 5.5, "MSK": 3,
    "GST": 4, "PKT": 5, "ICT": 7, "WIB": 7, "SGT": 8, "HKT": 8, "CCT": 8, "JST": 9,
    "KST": 9, "AWST": 8, "ACST": 9.5, "ACDT": 10.5, "AEST": 10, "AEDT": 11, "NZST": 12,
    "NZDT": 13, "SAST": 2, "BRT": -3, "ART": -3,
}
ZONES = frozenset(ZONE_OFFSETS)

#: (time as naive UTC or None, device or the reader's default).
Header = tuple[datetime | None, str | None]

_V = TypeVar("_V")

_MONTHS = {m: i for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)}

_PRI = re.compile(r"\s*<\d{1,3}>(?:1 )?")
_TIMESTAMP = re.compile(
    r"\s*(?:(?P<mon>jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)\s+(?P<day>\d{1,2})"
    r"(?:\s+(?P<year>\d{4}))?\s+(?P<hms>\d{1,2}:\d\d:\d\d)(?:\.(?P<frac>\d{1,6}))?"
    r"|(?P<iso>\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:\.\d{1,9})?(?:Z|[+-]\d\d:?\d\d)?))"
    r"(?::(?=\s|$))?", re.IGNORECASE)
_WORD = re.compile(r"\s*(\S+)")
_SPACE = re.compile(r"\s*")
_HOST = re.compile(r"[\w.:<>@-]{1,255}")
#: A program tag without a pid (`kernel:`, `filterlog:`), seen once the host is taken.
_PROGRAM = re.compile(r"[\w./-]{1,64}:")
#: `Local4.Warning` and the like, written by Kiwi and other Windows syslog servers.
_FACILITY = re.compile(
    r"(?:kern|user|mail|daemon|auth|syslog|lpr|news|uucp|cron|authpriv|ftp|local[0-7])\."
    r"(?:emerg|alert|crit|err|error|warn|warning|notice|info|debug)", re.IGNORECASE)
#: A whole RFC 5424 header: `<PRI>1 TIMESTAMP HOST APP PROCID MSGID SD `, SD `-` or `[...]`s.
_RFC5424 = re.compile(r"\s*<\d{1,3}>1 (\S+) (\S+) \S+ \S+ \S+ "
                      r"(?:-|(?:\[(?:[^\]\\]|\\.)*\])+)(?: |$)")


#: The commonest headers, read in one match: the ASA's own stamp or a relay's RFC 3164 one,
#: an optional host with ` :`/`:`, nothing else (no zone, no fraction, no program). Anything
#: else takes the general walk; both give the same reading.
_COMMON = re.compile(
    r"(?:<\d{1,3}>)?(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) {1,2}(\d{1,2})"
    r"(?: (\d{4}))? (\d\d):(\d\d):(\d\d)(?::| ([\w.:<>@-]{1,255}?) ?:)? ?")


class Memo(dict[str, _V]):
    """Text -> `read(text)`, read once; a miss reads it (the lookup stays in C when it
    hits). Emptied when it holds `limit` entries: a bound against junk, never reached by
    a real file's few header forms."""

    def __init__(self, read: Callable[[str], _V], limit: int) -> None:
        super().__init__()
        self._read = read
        self._limit = limit

    def __missing__(self, text: str) -> _V:
        hit = self._read(text)
        if len(self) >= self._limit:
            self.clear()
        self[text] = hit
        return hit


class SyslogHeader:
    """Reads syslog headers into (UTC time, device), for any vendor's payload.

    Make one per pass over a file (`LogParser.parse`): it remembers the headers it has read
    (a file repeats the same few per second) and takes the machine's clock, when it was given
    none, once, at the first year-less date.

    Two ways in, by what the vendor can find on its own:

    - `read(text)`: the vendor found its payload (the ASA its `%ASA-6-302013:` tag) and hands
      over all the text before it. Cached by that text; the hot path for tagged payloads.
    - `split(line)`: the payload has no tag to search for (PAN-OS and pfSense CSV, iptables
      `IN=... OUT=...`): the header is read from the start of the line up to the first word
      that is no header part, and its end is returned, where the payload starts.

    Args:
        clock: the audit's `now`, against which a year-less date takes its year (None: the
            machine's clock, taken at the first such date).
        device: the device a header without a host names (a parser passes its own `device`).
        limit: distinct headers remembered before the memory is dropped.
    """

    read: Callable[[str], Header]
    """`read(text) -> (time, device)` for `text`, all of it header (the text in front of a
    found payload; empty text is no header: (None, default device)). Bound to the cache's own
    lookup, so a header seen before costs one C call: alias it in a hot loop."""

    def __init__(self, clock: datetime | None = None, device: str | None = None, *,
                 limit: int = CACHE_LIMIT) -> None:
        self.clock = clock
        self.device = device
        self._latest: datetime | None = None   # clock + CLOCK_SKEW, once needed
        self._cache: Memo[Header] = Memo(self._read, limit)
        self.read = self._cache.__getitem__

    def split(self, line: str, pos: int = 0) -> tuple[datetime | None, str | None, int]:
        """(time, device, payload start) for a line whose payload has no tag to search for.

        The header runs from `pos` while its words are header parts: `<PRI>`, timestamps,
        zone words, one host word after each timestamp, `-`, facility words and a lone `:`.
        It ends after a word ending in `:` (`host:`, `kernel:`, `filterlog[72237]:`) and
        before the first other word: CSV (`146,,,1535324496,...`, `1,2021/07/15 ...`), a
        second plain word once the host is taken (`iptables DROP_INPUT: ...` after the host).
        A full RFC 5424 header (`<PRI>1 TIMESTAMP HOST APP PROCID MSGID SD`) ends after its
        structured data. The payload start is past any blanks; a line with no header gives
        (None, default device, `pos`), a line that is all header its length.

        Not cached: the header's end is not known before it is read.

        Example: `<134>Jul  3 19:10:30 filterlog[72237]: 146,,,...` -> (2026-07-03 19:10:30,
        None, offset of `146`) against a 2026 clock.
        """
        m = _RFC5424.match(line, pos)
        if m is not None:
            stamp, host = m.group(1, 2)
            t = _TIMESTAMP.fullmatch(stamp)
            time = self._timestamp(t) if t is not None else None
            device = host if host != "-" and _HOST.fullmatch(host) else self.device
            return time, device, m.end()
        time, device, end = self._walk(line, pos, True)
        return time, device, _SPACE.match(line, end).end()  # type: ignore[union-attr]

    # -- reading ---------------------------------------------------------------------------

    def _read(self, text: str) -> Header:
        m = _COMMON.fullmatch(text)
        if m is not None:
            mon, day, year, hh, mm, ss, host = m.groups()
            if host is None or (host[-1] != ":" and host.upper() not in ZONES):
                try:
                    if year is None:
                        time = self._yearless(_MONTHS[mon.lower()], int(day), int(hh),
                                              int(mm), int(ss), 0)
                    else:
                        time = datetime(int(year), _MONTHS[mon.lower()], int(day), int(hh),
                                        int(mm), int(ss))
                except (ValueError, OverflowError):
                    time = None
                return time, host or self.device
        time, device, _ = self._walk(text, 0, False)
        return time, device

    def _walk(self, text: str, pos: int,
              split: bool) -> tuple[datetime | None, str | None, int]:
        """Read header parts from `pos`; `split` stops at the first word that is not one."""
        m = _PRI.match(text, pos)
        if m is not None:
            pos = m.end()
        time: datetime | None = None
        device: str | None = None
        host_open = True   # no host taken since the last timestamp
        after_stamp = False
        while True:
            m = _TIMESTAMP.match(text, pos)
            if m is not None:
                time = self._timestamp(m) or time
                pos, host_open, after_stamp = m.end(), True, True
                if split and text.endswith(":", pos - 1, pos):   # `... 12:59:50: <payload>`
                    break
                continue
            m = _WORD.match(text, pos)
            if m is None:
                break
            raw = m.group(1)
            word = raw.rstrip(":")
            zone = after_stamp and word.upper() in ZONES
            if zone and time is not None:
                try:
                    time -= timedelta(hours=ZONE_OFFSETS[word.upper()])
                except OverflowError:   # year 1 or 9999 shifted out of range: no time
                    time = None
            after_stamp = False
            if split:
                if not (not word or word == "-" or zone or "[" in word
                        or _FACILITY.fullmatch(word)):
                    if host_open and _HOST.fullmatch(word):
                        device, host_open = word, False
                    elif not (raw.endswith(":") and _PROGRAM.fullmatch(raw)):
                        pos = m.start(1)   # the payload's first word
                        break
                pos = m.end()
                if raw.endswith(":"):   # `host:`, `program[pid]:`, ` : `: the header ends
                    break
                continue
            pos = m.end()
            if (not word or word == "-" or zone or "[" in word or not host_open
                    or _FACILITY.fullmatch(word) or not _HOST.fullmatch(word)):
                continue
            device, host_open = word, False
        return time, device or self.device, pos

    def _timestamp(self, m: re.Match[str]) -> datetime | None:
        try:
            iso = m.group("iso")
            if iso is not None:
                stamp = datetime.fromisoformat(iso.replace("z", "Z"))
                if stamp.tzinfo is not None:
                    stamp = stamp.astimezone(UTC).replace(tzinfo=None)
                return stamp
            month = _MONTHS[m.group("mon").lower()]
            day = int(m.group("day"))
            hh, mm, ss = (int(x) for x in m.group("hms").split(":"))
            frac = m.group("frac")
            micro = int(frac.ljust(6, "0")) if frac else 0
            year = m.group("year")
            if year is not None:
                return datetime(int(year), month, day, hh, mm, ss, micro)
            return self._yearless(month, day, hh, mm, ss, micro)
        except (ValueError, OverflowError):
            # An impossible date, or one that UTC cannot hold (year 9999 with a negative
            # offset, year 1 with a positive one): the line has no usable time.
            return None

    def year_limit(self) -> datetime | None:
        """The newest time a year-less date may have, when this reader was given a clock
        (None: it takes the machine's clock at the first such date)."""
        return None if self.clock is None else self._limit()

    def _limit(self) -> datetime:
        limit = self._latest
        if limit is None:
            clock = self.clock or datetime.now()
            try:
                limit = clock + CLOCK_SKEW
            except OverflowError:   # `--as-of 9999-12-31T23:00`
                limit = datetime.max
            self._latest = limit
        return limit

    def _yearless(self, month: int, day: int, hh: int, mm: int, ss: int,
                  micro: int) -> datetime | None:
        """The newest such date not after the clock (+ `CLOCK_SKEW`); Feb 29 finds its leap
        year; None when no year within eight back will do."""
        limit = self._limit()
        for year in range(limit.year, limit.year - 9, -1):
            try:
                stamp = datetime(year, month, day, hh, mm, ss, micro)
            except ValueError:
                if month == 2 and day == 29:
                    continue
                raise
            if stamp <= limit:
                return stamp
        return None

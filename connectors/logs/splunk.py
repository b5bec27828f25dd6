"""Splunk: the per-flow fold pushed down into the SIEM that already holds the firewall logs.

`[[logs]] type = "splunk"` with `url` (the management port, `https://HOST:8089`), `token_env`
(an authentication token: `Authorization: Bearer`), `search` (the base search: index and
sourcetype), `earliest` (and optionally `latest`, default `now`), and `mode`:

- `aggregate` (default): Splunk groups the drop lines per hour and flow; one row per
  (hour, device, message, src, dest, transport, dest_port) with its count and first/last
  `_time`. Only messages whose initiator order the Splunk Add-on for Cisco ASA cannot get
  wrong are trusted (`AGGREGATE_MESSAGES`): each prints the sender first and is never a
  Built/Teardown, where the add-on swaps src and dest on outbound connections. 106100 is left
  out though it is unambiguous: its count is a hit count inside the line, not one per event.
  The hour bucket keeps the hourly rates exact; source ports are not asked for (they would
  multiply the rows), so an aggregate flow has no source ports to match a capture with.
- `raw`: Splunk only filters (`RAW_MESSAGES`, every message our ASA parser reads) and
  streams `_raw` in time order (`| reverse`: an export gives newest first); our parser
  folds the lines, Built/Teardown pairing included, so the fold is exactly ours.

One streaming `POST /services/search/v2/jobs/export` with `output_mode=json`: one JSON
object per line (`{"preview":false,"result":{...}}`), read line by line in bounded memory.
A row that is not what the search asks for is counted and skipped (`skipped`); an object
carrying `messages` of type FATAL/ERROR fails the input with Splunk's text.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any, ClassVar

from auditor.addresses import canonical_ip
from auditor.errors import ConfigError, SourceError
from auditor.model import LogEvent, LogStats, Signal
from connectors.base import Fold, LogParser, SkippedLine, SourceSpec
from connectors.logs.cisco_asa import AsaLogParser
from connectors.shared.inputs import Inputs

EXPORT = "/services/search/v2/jobs/export"

#: Aggregate mode: the drop/no-route messages whose src is the initiator in the add-on's
#: parse too, and the signal our ASA parser gives each.
AGGREGATE_MESSAGES: dict[str, Signal] = {
    "106001": Signal.ACL_DENY,        # Inbound TCP connection denied from SRC to DST
    "106006": Signal.ACL_DENY,        # Deny inbound UDP from SRC to DST
    "106007": Signal.ACL_DENY,        # Deny inbound UDP from SRC to DST due to DNS ...
    "106023": Signal.ACL_DENY,        # Deny PROTO src IF:SRC dst IF:DST by access-group
    "110002": Signal.NO_ROUTE,        # Failed to locate egress interface ... from SRC to DST
    "110003": Signal.NO_ROUTE,        # Routing failed to locate next hop ... from SRC to DST
    "419002": Signal.SYN_RETRANSMIT,  # Received duplicate TCP SYN from SRC to DST
}

#: Raw mode: every message the ASA parser reads (the rest give no evidence).
RAW_MESSAGES = ("106001", "106006", "106007", "106014", "106015", "106021", "106023",
                "106100", "106102", "106103", "110002", "110003", "302013", "302014",
                "302015", "302016", "302020", "302021", "305011", "305012", "419001",
                "419002", "710003", "710005", "733100")

MODES = ("aggregate", "raw")
#: Raw lines handed to the ASA parser at a time.
RAW_BLOCK = 5000


def _ids_filter(ids: Iterable[str]) -> str:
    ids = list(ids)
    terms = " OR ".join(ids)
    quoted = ",".join(f'"{i}"' for i in ids)
    # the bare ids let the indexers use their term index; the `where` drops lines where an
    # id is only a connection number
    return f"({terms}) | where message_id IN ({quoted})"


class SplunkLogSource(LogParser):
    """Firewall traffic folded by Splunk (`aggregate`) or filtered by it (`raw`)."""

    type: ClassVar[str] = "splunk"
    engine: ClassVar[str] = "splunk"
    api: ClassVar[bool] = True
    api_options: ClassVar[frozenset[str]] = frozenset(
        {"token_env", "search", "earliest", "latest", "mode"})

    def __init__(self, spec: SourceSpec, *, clock: datetime | None = None,
                 io: Inputs | None = None) -> None:
        super().__init__(spec, clock=clock, io=io)
        options = spec.options
        self.mode = str(options.get("mode", "aggregate"))
        if self.mode not in MODES:
            raise ConfigError(f"logs {spec.name!r}: mode is {self.mode!r}; valid: "
                              f"{', '.join(MODES)}")
        self.require_api_keys("token_env", "search", "earliest",
                              why="the Splunk token, the base search and its time range")
        self.rows = 0
        """Rows (aggregate) or raw lines the last fetch returned."""
        self._asa: AsaLogParser | None = None

    # -- the query ---------------------------------------------------------------------

    def query(self) -> str:
        """The SPL this input runs (no secret in it: the report may show it)."""
        base = str(self.spec.options.get("search", "")).strip()
        if not base.startswith(("search ", "|")):
            base = f"search {base}"
        if self.mode == "raw":
            return f"{base} {_ids_filter(RAW_MESSAGES)} | reverse | fields _raw"
        return (f"{base} {_ids_filter(AGGREGATE_MESSAGES)}"
                " | bin _time span=1h AS hour"
                " | stats count AS n min(_time) AS first_seen max(_time) AS last_seen"
                " BY hour dvc message_id src dest transport dest_port")

    def form(self) -> dict[str, str]:
        """The export call's form fields."""
        options = self.spec.options
        return {"search": self.query(), "output_mode": "json",
                "earliest_time": str(options.get("earliest", "")),
                "latest_time": str(options.get("latest", "now"))}

    # -- fetching ----------------------------------------------------------------------

    def fold(self, traffic: Fold) -> None:
        """Run the search and fold what it returns into `traffic`, row by row.

        Raises:
            SourceError: the call failed (naming the source and URL, no secret), or Splunk
                said FATAL/ERROR.
        """
        from connectors.shared.http import Call

        self.skipped = []
        self.rows = 0
        with self.io.http(self.spec, api_roots=("/services/",)) as client:
            client.auth = client.header_auth("Authorization",
                                             f"Bearer {client.secret('token_env')}")
            url = client.url(EXPORT)
            response = client.send(Call("POST", url, form=self.form()), stream=True)
            with response:
                lines = (raw.decode("utf-8", "replace") for raw in response.iter_lines())
                self.fold_lines(lines, traffic, client.shown(url))

    def fold_lines(self, lines: Iterable[str], traffic: Fold, origin: str = "splunk") -> None:
        """Fold an export body (one JSON object per line) into `traffic`."""
        if self.mode == "raw":
            fold_raw(self, self._raw_lines(lines, origin), traffic)
            return
        for event in self._aggregate_events(lines, origin):
            traffic.add(event)

    def parse(self, lines: Iterable[str], start: int = 1) -> Iterator[LogEvent]:
        """Events from a saved export body: two per aggregate row (first and last seen;
        the row's count between them), or the ASA parser's events of the raw lines."""
        if self.mode == "raw":
            yield from parse_raw(self, self._raw_lines(lines, "splunk"), start)
            return
        yield from self._aggregate_events(lines, "splunk")

    # -- rows --------------------------------------------------------------------------

    def _results(self, lines: Iterable[str], origin: str) -> Iterator[tuple[int, Any]]:
        """(row number, `result` object) of every document; FATAL/ERROR raised."""
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                doc = json.loads(line)
            except json.JSONDecodeError as exc:
                self._skip(origin, number, f"not JSON ({exc.msg})")
                continue
            if not isinstance(doc, dict):
                self._skip(origin, number, "not a JSON object")
                continue
            said = [m for m in doc.get("messages") or () if isinstance(m, dict)
                    and str(m.get("type", "")).upper() in ("FATAL", "ERROR")]
            if said:
                text = "; ".join(str(m.get("text", "")) for m in said)
                raise SourceError(f"logs {self.spec.name!r}, {origin}: Splunk says: {text}")
            if doc.get("preview") is True or "result" not in doc:
                continue   # previews are superseded by final rows; other objects are notes
            self.rows = (self.rows or 0) + 1
            yield number, doc["result"]

    def _raw_lines(self, lines: Iterable[str], origin: str) -> Iterator[str]:
        for number, result in self._results(lines, origin):
            raw = result.get("_raw") if isinstance(result, dict) else None
            if not isinstance(raw, str) or not raw.strip():
                self._skip(origin, number, "no _raw")
                continue
            yield raw.rstrip("\r\n") + "\n"

    def _aggregate_events(self, lines: Iterable[str], origin: str) -> Iterator[LogEvent]:
        for number, result in self._results(lines, origin):
            try:
                events = self._row_events(number, result)
            except ValueError as exc:
                self._skip(origin, number, str(exc))
                continue
            count_flow(self.stats, events)
            yield from events

    def _row_events(self, number: int, row: Any) -> list[LogEvent]:
        if not isinstance(row, dict):
            raise ValueError("result is not an object")
        message = str(row.get("message_id", ""))
        if message not in AGGREGATE_MESSAGES:
            raise ValueError(f"message_id {message!r} is not one the search asks for")
        src, dst = field_address(row, "src"), field_address(row, "dest")
        protocol = str(row.get("transport") or "").lower() or None
        dport = _port(row.get("dest_port"))
        try:
            n = int(str(row.get("n")))
        except ValueError:
            raise ValueError(f"n is {row.get('n')!r}, not a count") from None
        if n < 1:
            raise ValueError(f"n is {n}, not a count")
        first, last = _epoch(row, "first_seen"), _epoch(row, "last_seen")
        device = str(row.get("dvc") or self.device)
        return flow_events(number, first, last, device, message, protocol, src, dst, dport, n)

    def _skip(self, origin: str, number: int, reason: str) -> None:
        self.stats.lines += 1
        self.stats.unparsed += 1
        self.skipped.append(SkippedLine(f"{origin} row {number}", reason))


# -- shared with the other SIEM types (connectors/logs/elasticsearch.py) --------------------

def flow_events(number: int, first: datetime, last: datetime, device: str, message: str,
                protocol: str | None, src: str, dst: str, dport: int | None,
                n: int) -> list[LogEvent]:
    """The events one aggregated row (a flow's n lines in one hour) stands for: its first
    and last seen, the count between them, so it folds as its n lines would (hourly rates
    and first/last included).

    Raises:
        ValueError: the row is not a flow of a trusted message (said in words).
    """
    signal = AGGREGATE_MESSAGES.get(message)
    if signal is None:
        raise ValueError(f"message {message!r} is not one the search asks for")
    if last < first:
        raise ValueError("last_seen is before first_seen")
    events = [LogEvent(number, first, device, message, signal, protocol, src, None, dst,
                       dport, n if n == 1 else n - 1)]
    if n > 1:   # first and last seen are two of the row's n lines
        events.append(LogEvent(number, last, device, message, signal, protocol, src,
                               None, dst, dport, 1))
    return events


def count_flow(stats: LogStats, events: list[LogEvent]) -> None:
    """Count a row's events in `stats` as the lines it stands for."""
    n = sum(e.count for e in events)
    stats.lines += n
    stats.parsed += n
    stats.by_message[events[0].message] += n


def raw_parser(source: LogParser, traffic: Fold | None) -> AsaLogParser:
    """The ASA parser for the raw lines a SIEM returned; folding into `traffic` it gives
    only evidence (answered traffic for held addresses), as a file's fold does."""
    asa = AsaLogParser(source.spec, clock=source.clock, io=source.io)
    if traffic is not None:
        asa.evidence_only = True
        asa.answered_for = getattr(traffic, "held", None)
    return asa


def fold_raw(source: LogParser, raws: Iterable[str], traffic: Fold) -> None:
    """Fold raw ASA lines a SIEM returned (each ending in a newline, in time order, so
    Built/Teardown pairs meet as in the file) into `traffic`, `RAW_BLOCK` lines at a time;
    their counts go to `source.stats`."""
    asa = raw_parser(source, traffic)
    block: list[str] = []
    start = 1
    for raw in raws:
        block.append(raw)
        if len(block) >= RAW_BLOCK:
            asa.fold_block("".join(block), traffic, start)
            start += len(block)
            block = []
    if block:
        asa.fold_block("".join(block), traffic, start)
    source.stats.merge(asa.stats)


def parse_raw(source: LogParser, raws: Iterable[str], start: int = 1) -> Iterator[LogEvent]:
    """The ASA parser's events of raw lines a SIEM returned (a saved export read back);
    their counts go to `source.stats`."""
    asa = raw_parser(source, None)
    yield from asa.parse(raws, start)
    source.stats.merge(asa.stats)


def field_address(row: dict[str, Any], key: str) -> str:
    """A SIEM row's address field, canonical; ValueError (the row is skipped) when not one."""
    text = str(row.get(key) or "")
    address = canonical_ip(text) if text else None
    if address is None:
        raise ValueError(f"{key} is {text!r}, not an address")
    return address


def _port(value: object) -> int | None:
    text = str(value or "").strip()
    if not text:
        return None
    if not text.isdigit() or int(text) > 65535:
        raise ValueError(f"dest_port is {text!r}, not a port")
    return int(text)


def _epoch(row: dict[str, Any], key: str) -> datetime:
    """Splunk's `_time` (epoch seconds, as a string) as the parsers' naive UTC stamp."""
    try:
        seconds = float(str(row.get(key)))
        return datetime.fromtimestamp(seconds, UTC).replace(tzinfo=None)
    except (ValueError, OverflowError, OSError):
        raise ValueError(f"{key} is {row.get(key)!r}, not epoch seconds") from None

"""The XLSX workbook an engineer opens and hands on: summary, findings, per-owner remediation.

Every cell goes through `_cell`, and every string through `_text_cell`, so text read from an
export (a record named `=HYPERLINK(...)`) is stored as text and never runs as a formula.
"""

from __future__ import annotations

import contextlib
import zipfile
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.chart.marker import DataPoint
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from auditor.actions import remediation_rows
from auditor.model import (
    VERDICT_ORDER,
    AuditResult,
    Finding,
    InputStatus,
    SourceStatus,
    Target,
    Verdict,
)
from auditor.netindex import NetworkIndex
from auditor.rates import rises, series
from reports.atomic import atomic_write
from reports.base import (
    NO_OWNER,
    REASON_TEXT,
    Reporter,
    finding_probes,
    owner_names,
    probe_words,
    record_owner,
)

Value = str | int | float | bool | datetime | None

SHEETS = ("Summary", "Findings", "Remediation", "Ghost flows", "Inbound noise", "Networks",
          "Sources", "Log rates")

VERDICT_FILL = {
    Verdict.STALE: "FFC7CE",        # red
    Verdict.CONFLICT: "F8CBAD",     # orange
    Verdict.UNREACHABLE: "FFEB9C",  # yellow
    Verdict.UNVERIFIED: "D9D9D9",   # grey
    Verdict.ACTIVE: "C6EFCE",       # green
}
_VERDICT_FILLS = {v: PatternFill("solid", fgColor=c) for v, c in VERDICT_FILL.items()}
FAILED_FILL = PatternFill("solid", fgColor="FFC7CE")
FAILED_FONT = Font(bold=True, color="9C0006")
BANNER_FILL = PatternFill("solid", fgColor="C00000")
BANNER_FONT = Font(bold=True, size=12, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
BOLD = Font(bold=True)
DATE_FORMAT = "yyyy-mm-dd hh:mm:ss"
HOUR_FORMAT = "yyyy-mm-dd hh:mm"
#: Excel refuses longer cell text.
MAX_TEXT = 32767
#: Error text on the Summary is cut here; the Sources sheet has it whole.
SUMMARY_ERROR_CHARS = 120

FINDING_HEADERS = ("Address", "Verdict", "Polled", "Reasons", "Reason text", "Network",
                   "Sources", "Record names", "Owners", "Last OK", "Days since", "Drops",
                   "Answered", "First seen", "Last seen", "Messages", "Action",
                   "Linked host names")
#: Findings columns of free text, wrapped (a printed report keeps them readable).
WRAPPED = ("Reason text", "Action")
WRAP = Alignment(wrap_text=True, vertical="top")
CENTRED = Alignment(horizontal="center")
REMEDIATION_HEADERS = ("Verdict", "Polled", "Address", "Tool", "Type", "Record ID",
                       "Record name", "Location", "Action")
GHOST_HEADERS = ("Source", "Destination", "Protocol", "Port", "Count", "First seen",
                 "Last seen", "Reasons", "Attribution")
NETWORK_HEADERS = ("Prefix", "Status", "Source", "Location", "Description")
INPUT_HEADERS = ("Name", "Type", "Role", "Status", "Records", "Error", "Skipped lines")
#: The sheet, and the Findings column, added when the opt-in probes ran.
PROBE_SHEET = "Probes"
PROBE_HEADERS = ("Address", "Kind", "Port", "Result", "Latency (ms)", "Error", "Answer",
                 "Attempts")
PROBE_FINDING_HEADER = "Probes"
CHANGES_SHEET = "Changes"
CHANGES_HEADERS = ("Change", "Address", "Verdict then", "Verdict now", "Polled", "Owners",
                   "Sources", "Names", "First flagged", "Audits in a row", "Last seen answering",
                   "Last OK")


def _text_cell(ws: Worksheet, row: int, col: int, text: str) -> Cell:
    """Write `text` as a string cell: never a formula, whatever it starts with."""
    # Control characters make the file unreadable to Excel; mark where they were.
    text = ILLEGAL_CHARACTERS_RE.sub("\ufffd", text)[:MAX_TEXT]
    cell = ws.cell(row=row, column=col)
    cell.value = text
    # openpyxl types any str starting with "=" as a formula; inputs are data, not code.
    cell.data_type = "s"
    return cell


def _cell(ws: Worksheet, row: int, col: int, value: Value) -> Cell:
    """Write one value with its real type: text, number, yes/no or an Excel datetime."""
    if isinstance(value, bool):
        return _text_cell(ws, row, col, "yes" if value else "no")
    if isinstance(value, str):
        return _text_cell(ws, row, col, str(value))
    cell = ws.cell(row=row, column=col)
    if isinstance(value, datetime):
        if value.tzinfo is not None:  # Excel has no time zones; the model's times are UTC
            value = value.astimezone(UTC).replace(tzinfo=None)
        cell.value = value
        cell.number_format = DATE_FORMAT
    else:
        cell.value = value
    return cell


def _row(ws: Worksheet, row: int, values: Sequence[Value], *, font: Font | None = None,
         fill: PatternFill | None = None) -> list[Cell]:
    cells = [_cell(ws, row, col, v) for col, v in enumerate(values, start=1)]
    for cell in cells:
        if font is not None:
            cell.font = font
        if fill is not None:
            cell.fill = fill
    return cells


def _header(ws: Worksheet, row: int, headers: Sequence[str]) -> None:
    _row(ws, row, headers, font=BOLD, fill=HEADER_FILL)


def _table(ws: Worksheet, headers: Sequence[str], rows: Iterable[Sequence[Value]]) -> int:
    """A sheet that is one table: header, rows, frozen header and filter. Returns rows written."""
    _header(ws, 1, headers)
    n = 0
    for n, values in enumerate(rows, start=1):
        _row(ws, n + 1, values)
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{n + 1}"
    return n


def _fit_columns(ws: Worksheet, *, skip_rows: Iterable[int] = (), cap: int = 60) -> None:
    """Column widths from the longest value, so tables read without dragging borders."""
    skip = set(skip_rows)
    widths: dict[int, int] = {}
    for row in ws.iter_rows():
        for cell in row:
            if cell.value is None or cell.row in skip:
                continue
            size = 19 if isinstance(cell.value, datetime) else len(str(cell.value))
            widths[cell.column] = max(widths.get(cell.column, 0), size)
    for col, size in widths.items():
        ws.column_dimensions[get_column_letter(col)].width = min(max(size + 2, 8), cap)


def _failed_style(cells: Iterable[Cell]) -> None:
    for cell in cells:
        cell.fill = FAILED_FILL
        cell.font = FAILED_FONT


def _input_rows(ws: Worksheet, top: int, inputs: Sequence[InputStatus], *,
                error_chars: int | None) -> int:
    """The input status table at row `top`; a failed input's row is red. Returns next row."""
    _header(ws, top, INPUT_HEADERS)
    row = top + 1
    for i in inputs:
        error = i.error or "; ".join(f"skipped {note}" for note in i.notes) or None
        if error and error_chars is not None and len(error) > error_chars:
            error = error[:error_chars - 1] + "\u2026"
        failed = i.status is SourceStatus.FAILED
        cells = _row(ws, row, (i.name, i.type, i.role, "FAILED" if failed else str(i.status),
                               i.records, error, i.skipped or None))
        if failed:
            _failed_style(cells)
        row += 1
    return row


def _source_names(result: AuditResult) -> list[str]:
    """Target sources: configured ones in config order, then any only the records name."""
    names = [i.name for i in result.inputs if i.role == "source"]
    extra = {t.source for f in result.findings for t in f.records} - set(names)
    return names + sorted(extra)


def _failed_sources_by_owner(result: AuditResult) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for i in result.failed:
        if i.role == "source":
            out.setdefault(result.owners.get(i.name) or NO_OWNER, []).append(i.name)
    return out


def _summary(ws: Worksheet, result: AuditResult) -> None:
    """Audit facts, input status, counts by verdict x source and by owner, and a chart."""
    ws.title = "Summary"
    _cell(ws, 1, 1, f"Stale-target audit: {result.name}").font = Font(bold=True, size=14)
    banners = {1}
    row = 3
    if result.failed:
        names = ", ".join(i.name for i in result.failed)
        line = f"{len(result.failed)} input(s) FAILED: {names} -- findings may be incomplete"
        _cell(ws, 2, 1, line)
        for col in range(1, len(VERDICT_ORDER) + 4):
            ws.cell(row=2, column=col).fill = BANNER_FILL
        ws.cell(row=2, column=1).font = BANNER_FONT
        banners.add(2)
        row = 4
    facts: list[tuple[str, Value]] = [
        ("Audit", result.name), ("Generated at (UTC)", result.generated_at),
        ("As of (UTC)", result.as_of), ("Stale after (days)", result.stale_after_days),
        ("Findings", len(result.findings)), ("Ghost flows", len(result.ghost_flows)),
        ("Ghost flows not listed", result.ghosts_folded.flows),
        ("Inbound noise (drop lines from outside)", result.inbound_noise.lines),
        ("Host names not tied to an address", len(result.unresolved_names)),
        ("Log lines", result.logs.lines), ("Log lines parsed", result.logs.parsed),
        ("Log lines unparsed", result.logs.unparsed)]
    if result.probes is not None:
        probed = result.probes
        facts += [("Probe packets sent", probed.packets),
                  ("Probe DNS look-ups", probed.dns_lookups),
                  ("Probe targets skipped (outside allow)", len(probed.outside_allow)),
                  ("Probe rate limit (packets/s)", probed.rate),
                  ("Probe run (seconds)", round(probed.seconds, 2))]
    for label, value in facts:
        _cell(ws, row, 1, label).font = BOLD
        _cell(ws, row, 2, value)
        row += 1

    row = _section(ws, row + 1, "Inputs")
    row = _input_rows(ws, row, result.inputs, error_chars=SUMMARY_ERROR_CHARS)
    row = _verdict_by_source(ws, _section(ws, row + 1, "Records by verdict and source"), result)
    row = _verdict_by_owner(ws, _section(ws, row + 1, "Records by owner"), result)
    _findings_chart(ws, _section(ws, row + 1, "Findings by verdict"), result)
    _fit_columns(ws, skip_rows=banners)


def _section(ws: Worksheet, row: int, title: str) -> int:
    _cell(ws, row, 1, title).font = Font(bold=True, size=12)
    return row + 1


def _verdict_by_source(ws: Worksheet, top: int, result: AuditResult) -> int:
    """Records per source and verdict; a failed source shows FAILED, never a row of zeros."""
    counts = Counter((t.source, f.verdict) for f in result.findings for t in f.records)
    failed = {i.name for i in result.failed}
    _header(ws, top, ("Source", *VERDICT_ORDER, "Total", "Status"))
    row = top + 1
    for source in _source_names(result):
        if source in failed:
            _failed_style(_row(ws, row, (source, *[None] * len(VERDICT_ORDER), None,
                                         "FAILED")))
        else:
            per = [counts[(source, v)] for v in VERDICT_ORDER]
            _centre(_row(ws, row, (source, *per, sum(per), "ok"))[1:])
        row += 1
    _centre([ws.cell(row=top, column=c) for c in range(2, len(VERDICT_ORDER) + 4)])
    return row


def _centre(cells: Sequence[Cell]) -> None:
    """Counts and short words centred under their headers: right-aligned numbers beside
    a left-aligned status read as one (`6ok`)."""
    for cell in cells:
        cell.alignment = CENTRED


def _verdict_by_owner(ws: Worksheet, top: int, result: AuditResult) -> int:
    """Records per owner and verdict, with the stale + polled ones (fix first) up front."""
    counts: Counter[tuple[str, str]] = Counter()
    for f in result.findings:
        for t in f.records:
            owner = record_owner(result, t)
            counts[(owner, f.verdict)] += 1
            if f.verdict is Verdict.STALE and t.polled:
                counts[(owner, "stale + polled")] += 1
    failed = _failed_sources_by_owner(result)
    _header(ws, top, ("Owner", "stale + polled", *VERDICT_ORDER, "Status"))
    row = top + 1
    for owner in _remediation_owners(result):
        status = "FAILED: " + ", ".join(failed[owner]) if owner in failed else "ok"
        cells = _row(ws, row, (owner, counts[(owner, "stale + polled")],
                               *[counts[(owner, v)] for v in VERDICT_ORDER], status))
        _centre(cells[1:-1])
        if owner in failed:
            _failed_style(cells)
        row += 1
    _centre([ws.cell(row=top, column=c) for c in range(2, len(VERDICT_ORDER) + 3)])
    return row


def _findings_chart(ws: Worksheet, top: int, result: AuditResult) -> None:
    """A small verdict -> findings table and the bar chart drawn from it."""
    counts = Counter(f.verdict for f in result.findings)
    _header(ws, top, ("Verdict", "Findings"))
    for n, verdict in enumerate(VERDICT_ORDER, start=1):
        _row(ws, top + n, (verdict, counts[verdict]))
    chart = BarChart()
    chart.title = "Findings by verdict"
    chart.y_axis.title = "findings"
    chart.legend = None
    # openpyxl 3.1 marks axes deleted by default; Excel then draws none.
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    last = top + len(VERDICT_ORDER)
    chart.add_data(Reference(ws, min_col=2, min_row=top, max_row=last), titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=1, min_row=top + 1, max_row=last))
    for n, verdict in enumerate(VERDICT_ORDER):   # each bar in its verdict's colour
        point = DataPoint(idx=n)
        point.graphicalProperties.solidFill = VERDICT_FILL[verdict]
        chart.series[0].dPt.append(point)
    # whole findings only: an axis of 0.5 steps reads as half a finding
    chart.y_axis.scaling.min = 0
    chart.y_axis.numFmt = "0"
    chart.y_axis.majorUnit = max(1, -(-max(counts.values(), default=1) // 5))
    ws.add_chart(chart, f"{get_column_letter(len(VERDICT_ORDER) + 5)}3")


def _join(values: Iterable[str], sep: str = ", ") -> str:
    return sep.join(dict.fromkeys(values))  # distinct, first-seen order


def _messages(finding: Finding) -> str | None:
    if finding.traffic is None or not finding.traffic.by_message:
        return None
    ranked = sorted(finding.traffic.by_message.items(), key=lambda kv: (-kv[1], kv[0]))
    return ", ".join(f"{msg}: {n}" for msg, n in ranked)


def _finding_values(result: AuditResult, f: Finding, place: NetworkIndex) -> tuple[Value, ...]:
    traffic = f.traffic
    last_ok = max((t.last_ok for t in f.records if t.last_ok is not None), default=None)
    days = (result.as_of - last_ok).days if last_ok is not None else None
    return (f.address, f.verdict, f.polled, _join(f.reasons),
            _join((REASON_TEXT.get(r, str(r)) for r in f.reasons), "; "),
            f.network or _dead_network(place, f.address),
            _join(t.source for t in f.records), _join(t.name for t in f.records),
            _join(record_owner(result, t) for t in f.records), last_ok, days,
            traffic.drops if traffic else None, traffic.answered if traffic else None,
            traffic.first_seen if traffic else None, traffic.last_seen if traffic else None,
            _messages(f), f.action, _join(f.names) or None)


def _dead_network(place: NetworkIndex, address: str) -> str | None:
    """The deprecated or blackholed network that holds `address`, with its status and
    description (`10.99.4.0/24 (deprecated: Bldg 4 retired 2024)`), or None."""
    placement = place.place(address)
    net = placement.dead if placement is not None else None
    if net is None:
        return None
    what = f"{net.status}: {net.description}" if net.description else str(net.status)
    return f"{net.prefix} ({what})"


def _findings(ws: Worksheet, result: AuditResult) -> None:
    """One row per finding, verdict cell coloured, filterable (with what the probes said,
    when they ran)."""
    place = NetworkIndex(result.networks)
    if result.probes is None:
        _table(ws, FINDING_HEADERS, (_finding_values(result, f, place)
                                     for f in result.findings))
    else:
        probed = finding_probes(result)
        _table(ws, (*FINDING_HEADERS, PROBE_FINDING_HEADER),
               ((*_finding_values(result, f, place),
                 probe_words(probed.get(f.address, [])) or None) for f in result.findings))
    verdict_col = FINDING_HEADERS.index("Verdict") + 1
    wrapped = [FINDING_HEADERS.index(h) + 1 for h in WRAPPED]
    for row, f in enumerate(result.findings, start=2):
        ws.cell(row=row, column=verdict_col).fill = _VERDICT_FILLS[f.verdict]
        for col in wrapped:
            ws.cell(row=row, column=col).alignment = WRAP
    _fit_columns(ws)
    for col in wrapped:   # wrapped text needs no wider column than a readable line
        letter = get_column_letter(col)
        ws.column_dimensions[letter].width = min(ws.column_dimensions[letter].width or 60, 60)


def _remediation_owners(result: AuditResult) -> list[str]:
    """Owners with work first (most urgent first), then the rest, then failed-source owners."""
    names = list(dict.fromkeys(record_owner(result, t)
                               for f, t, _ in remediation_rows(result.findings)))
    names += [o for o in owner_names(result) if o not in names]
    names += [o for o in _failed_sources_by_owner(result) if o not in names]
    return names


def _remediation(ws: Worksheet, result: AuditResult) -> None:
    """One block per owner: their records, stale + polled first, with the exact action."""
    by_owner: dict[str, list[tuple[Finding, Target, str]]] = {}
    for f, t, action in remediation_rows(result.findings):
        by_owner.setdefault(record_owner(result, t), []).append((f, t, action))
    failed = _failed_sources_by_owner(result)
    _header(ws, 1, REMEDIATION_HEADERS)
    ws.freeze_panes = "A2"
    row = 3
    for owner in _remediation_owners(result):
        _cell(ws, row, 1, owner).font = Font(bold=True, size=12)
        row += 1
        for source in failed.get(owner, ()):
            line = f"Source {source} FAILED to load: its records are missing from this list"
            _failed_style([_cell(ws, row, 1, line)])
            row += 1
        rows = by_owner.get(owner, [])
        if not rows:
            _cell(ws, row, 1, "Nothing to fix").font = Font(italic=True)
            row += 1
        for f, t, action in rows:
            cells = _row(ws, row, (f.verdict, t.polled, f.address, t.source, t.kind, t.id,
                                   t.name, t.location, action))
            cells[0].fill = _VERDICT_FILLS[f.verdict]
            row += 1
        row += 1
    _fit_columns(ws, cap=80)
    # Owner headings and failure lines live in column A; let them overflow, not widen it.
    ws.column_dimensions["A"].width = 14


def _ghost_flows(ws: Worksheet, result: AuditResult) -> None:
    n = _table(ws, GHOST_HEADERS, ((g.src, g.dst, g.protocol, g.port, g.count, g.first_seen,
                                    g.last_seen, _join(g.reasons), g.attribution)
                                   for g in result.ghost_flows))
    folded = result.ghosts_folded
    if folded.flows:
        _cell(ws, n + 3, 1, f"{folded.flows} more flows ({folded.lines} lines), the least "
              "busy, are counted here and not listed").font = Font(italic=True)
    _fit_columns(ws, skip_rows=(n + 3,))


def _inbound_noise(ws: Worksheet, result: AuditResult) -> None:
    """Drops from senders outside every live network: counted, never ghost flows."""
    noise = result.inbound_noise
    _cell(ws, 1, 1, "Drops from senders in no live network and no known poller (internet "
          "scans, mostly): counted here, never listed as ghost flows").font = BOLD
    for row, (label, value) in enumerate((("Flows", noise.flows), ("Lines", noise.lines)), 3):
        _cell(ws, row, 1, label).font = BOLD
        _cell(ws, row, 2, value)
    _header(ws, 6, ("Protocol", "Port", "Lines"))
    row = 7
    for proto, port, lines in noise.top_ports:
        _row(ws, row, (proto, port, lines))
        row += 1
    _header(ws, row + 1, ("Top sender", "Lines"))
    for offset, (src, lines) in enumerate(noise.top_senders, row + 2):
        _row(ws, offset, (src, lines))
    _fit_columns(ws, skip_rows=(1,))


def _networks(ws: Worksheet, result: AuditResult) -> None:
    _table(ws, NETWORK_HEADERS, ((n.prefix, n.status, n.source, n.location, n.description)
                                 for n in result.networks))
    _fit_columns(ws)


def _sources(ws: Worksheet, result: AuditResult) -> None:
    _input_rows(ws, 1, result.inputs, error_chars=None)
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(INPUT_HEADERS))}{len(result.inputs) + 1}"
    _fit_columns(ws, cap=120)


def _log_rates(ws: Worksheet, result: AuditResult) -> None:
    """Drop lines per hour (every hour, none skipped), the rises in words, and a line chart
    whose axis starts at 0 once there is a trend to draw."""
    hours = series(result.hourly)
    flows = list(result.hourly_flows.items())
    n = _table(ws, ("Hour (UTC)", "Drop lines", *(label for label, _ in flows)),
               ((hour, total, *(rates.get(hour, 0) for _, rates in flows))
                for hour, total in hours))
    for row in range(2, n + 2):
        ws.cell(row=row, column=1).number_format = HOUR_FORMAT
    _fit_columns(ws)
    found = rises(result.hourly_messages) + rises(result.hourly_flows)
    if found:
        _cell(ws, 1, 14, "Rises").font = BOLD
        for row, rise in enumerate(found, 2):
            _cell(ws, row, 14, rise.sentence())
    if n < 2:
        return
    chart = LineChart()
    chart.title = "Drop lines per hour"
    chart.y_axis.title = "lines"
    chart.y_axis.scaling.min = 0   # a rate chart whose axis starts above 0 exaggerates
    chart.x_axis.number_format = HOUR_FORMAT
    chart.legend = None
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.add_data(Reference(ws, min_col=2, min_row=1, max_row=n + 1), titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=1, min_row=2, max_row=n + 1))
    ws.add_chart(chart, "D2")


def _probes(ws: Worksheet, result: AuditResult) -> None:
    """Every probe and skip: address, kind, port, result, latency, error, answer."""
    assert result.probes is not None
    _table(ws, PROBE_HEADERS, (
        (r.address, str(r.kind), r.port, str(r.status),
         round(r.latency * 1000, 3) if r.latency is not None else None, r.error,
         r.detail or None, r.attempts) for r in result.probes.results))
    _fit_columns(ws, cap=100)


def _changes(ws: Worksheet, result: AuditResult) -> None:
    """What changed since the last audit of this config: new, resolved, still open and
    not checked (a source failed) flagged addresses, then the summary line under them."""
    changes = result.changes
    assert changes is not None
    groups = (("new", changes.new), ("resolved", changes.resolved),
              ("still open", changes.still_open), ("not checked", changes.not_checked))
    n = _table(ws, CHANGES_HEADERS, (
        (label, c.address, str(c.verdict_then) if c.verdict_then else None,
         str(c.verdict_now) if c.verdict_now else None, "yes" if c.polled else "no",
         ", ".join(c.owners), ", ".join(c.sources), ", ".join(c.names), c.first_flagged,
         c.in_a_row, c.last_answering, c.last_ok)
        for label, group in groups for c in group))
    _row(ws, n + 3, (changes.summary_line(),), font=BOLD)
    _fit_columns(ws, skip_rows=(n + 3,), cap=60)


def build_workbook(result: AuditResult) -> Workbook:
    """The whole report as an openpyxl workbook, sheets in `SHEETS` order (then `Probes`,
    when the opt-in probes ran, and `Changes`, when the run history was read)."""
    wb = Workbook()
    _summary(wb.active, result)
    builders = (_findings, _remediation, _ghost_flows, _inbound_noise, _networks, _sources,
                _log_rates)
    for title, build in zip(SHEETS[1:], builders, strict=True):
        build(wb.create_sheet(title), result)
    if result.probes is not None:
        _probes(wb.create_sheet(PROBE_SHEET), result)
    if result.changes is not None:
        _changes(wb.create_sheet(CHANGES_SHEET), result)
    for ws in wb.worksheets:
        _print_setup(ws)
    return wb


def _print_setup(ws: Worksheet) -> None:
    """Landscape, one page wide: a printed or PDF'd report keeps each table whole."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.gridLines = False


class XlsxReporter(Reporter):
    """Writes the workbook described in SPEC "Report (XLSX)"."""

    suffix = ".xlsx"

    def write(self, result: AuditResult, path: Path) -> None:
        """Build the workbook, then save it to `path` whole or not at all."""
        wb = build_workbook(result)
        atomic_write(path, lambda fh: save_workbook(wb, fh))


def save_workbook(wb: Workbook, fh: BinaryIO) -> None:
    """`wb.save(fh)`, except that the zip is closed here whatever happens.

    openpyxl's own save leaves its `ZipFile` open when a write fails (a full disk); the
    garbage collector then closes it later, fails again on the dead file, and Python prints
    "Exception ignored in ZipFile.__del__" under our one-line error. Closing it here (its
    own error suppressed: the first one is the one that matters) keeps stderr to that line.
    """
    archive = zipfile.ZipFile(fh, "w", zipfile.ZIP_DEFLATED, allowZip64=True)
    try:
        wb.properties.modified = datetime.now(UTC).replace(tzinfo=None)
        ExcelWriter(wb, archive).save()  # writes every part, then closes the archive
    except BaseException:
        with contextlib.suppress(Exception):
            archive.close()
        raise

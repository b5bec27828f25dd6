"""The XLSX workbooks an engineer opens and hands on: the audit's (summary, findings,
per-owner remediation, ...), each owner's own with a note to paste into a ticket, and the
`logs -o` one shaped for firewall logs alone.

How a workbook is written, at any size: openpyxl (write-only mode) holds the package: each
sheet's settings (column widths, frozen header, filter, print layout), the styles and the
charts. The cells do not go through openpyxl: `Sheet.write` renders each row as SpreadsheetML
into a temporary file as it comes, and `Book.save` splices those rows into their sheet's part
of the package. Memory stays flat whatever the number of findings, and a row costs a few
microseconds: openpyxl's own cell writer, write-only mode and lxml included, takes about 12 us
a cell, 20 s for the Findings sheet of 100,000 findings (`benchmarks/bench_xlsx.py`).

Every string is written as an inline string, so text read from an export (a record named
`=HYPERLINK(...)`) is stored as text and never runs as a formula; control characters, which
make a file unreadable to Excel, are replaced where they were.
"""

from __future__ import annotations

import contextlib
import gc
import re
import shutil
import tempfile
import zipfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from dataclasses import replace as replaced
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path
from typing import IO, Any, BinaryIO

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.chart.marker import DataPoint
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import to_excel
from openpyxl.writer.excel import ExcelWriter

from auditor.actions import remediation_rows
from auditor.model import (
    VERDICT_ORDER,
    AuditResult,
    Finding,
    GhostFlow,
    InputStatus,
    SourceStatus,
    Target,
    Verdict,
)
from auditor.netindex import NetworkIndex
from auditor.rates import rises, series
from auditor.reconcile import address_sort_key
from reports.atomic import atomic_write
from reports.base import (
    NO_OWNER,
    REASON_TEXT,
    VERDICT_COLOUR,
    Reporter,
    finding_probes,
    owner_names,
    probe_words,
    record_owner,
)

Value = str | int | float | bool | datetime | None

SHEETS = ("Summary", "Findings", "Remediation", "Ghost flows", "Inbound noise", "Networks",
          "Sources", "Log rates")
#: The first sheet of an owner's workbook: the covering text (`reports.base.owner_cover`).
README_SHEET = "Read me"
#: The sheets of `stale-audit logs -o F.xlsx`.
LOGS_SHEETS = ("Summary", "Top destinations", "Top senders", "Ghost flows", "Log rates",
               "Inbound noise")

VERDICT_FILL = VERDICT_COLOUR
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
#: Characters a wrapped column (at most 60 wide) holds on one line, for row heights.
WRAP_CHARS = 55
#: A table with more columns than this prints two pages wide.
WIDE_COLUMNS = 10
CENTRED = Alignment(horizontal="center")
REMEDIATION_HEADERS = ("Verdict", "Polled", "Address", "Tool", "Type", "Record ID",
                       "Record name", "Location", "Action")
GHOST_HEADERS = ("Source", "Destination", "Protocol", "Port", "Count", "First seen",
                 "Last seen", "Reasons", "Attribution")
NETWORK_HEADERS = ("Prefix", "Status", "Source", "Location", "Description")
INPUT_HEADERS = ("Name", "Type", "Role", "Status", "Records", "Error", "Skipped lines")
#: The Sources sheet adds how each input was read: a log input's engine (`local`, `spark`, a
#: SIEM), the rows it returned and the query it ran (secrets never in it), and the time.
READ_HEADERS = ("Engine", "Rows", "Seconds", "Query")
LOG_INPUT_HEADERS = ("File", "Format", "Status", "Lines", "Error", "Skipped lines")
#: The sheet, and the Findings column, added when the opt-in probes ran.
PROBE_SHEET = "Probes"
PROBE_HEADERS = ("Address", "Kind", "Port", "Result", "Latency (ms)", "Error", "Answer",
                 "Attempts")
PROBE_FINDING_HEADER = "Probes"
CHANGES_SHEET = "Changes"
CHANGES_HEADERS = ("Change", "Address", "Verdict then", "Verdict now", "Polled", "Owners",
                   "Sources", "Names", "First flagged", "Audits in a row", "Last seen answering",
                   "Last OK")
DESTINATION_HEADERS = ("Destination", "Protocol", "Port", "Drop lines", "Senders",
                       "Busiest sender", "First seen", "Last seen", "Reasons")
SENDER_HEADERS = ("Sender", "Drop lines", "Destinations", "Busiest destination", "Ports",
                  "First seen", "Last seen", "Reasons")
#: The column of the Log rates sheet where the rises are told in words (or the first free
#: one after the table, when the table is wider).
RISES_COLUMN = 14


# --- how cells look ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Look:
    """How a cell looks: font, fill, alignment, number format (None: the default)."""

    font: Any = None
    fill: Any = None
    align: Any = None
    fmt: str | None = None

    def over(self, base: Look) -> Look:
        """`base` with what this look sets laid over it."""
        return Look(font=base.font if self.font is None else self.font,
                    fill=base.fill if self.fill is None else self.fill,
                    align=base.align if self.align is None else self.align,
                    fmt=base.fmt if self.fmt is None else self.fmt)


PLAIN = Look()
TITLE = Look(font=Font(bold=True, size=14))
HEADING = Look(font=Font(bold=True, size=12))
STRONG = Look(font=BOLD)
HEADER = Look(font=BOLD, fill=HEADER_FILL)
FAILED = Look(font=FAILED_FONT, fill=FAILED_FILL)
NOTE = Look(font=Font(italic=True))
WRAPPED_TEXT = Look(align=WRAP)
TOP_TEXT = Look(align=Alignment(vertical="top"))
CENTRE = Look(align=CENTRED)
VERDICT_LOOK = {v: Look(fill=PatternFill("solid", fgColor=c)) for v, c in VERDICT_FILL.items()}


# --- the workbook and its sheets --------------------------------------------------------------


class Book:
    """A workbook being written: the package, styles and charts in openpyxl (write-only),
    each sheet's rows in a temporary file until `save` puts them in place."""

    def __init__(self) -> None:
        self.wb = Workbook(write_only=True)
        self.sheets: list[Sheet] = []
        self._ids: dict[Look, int] = {PLAIN: 0}
        self._looks: dict[int, Look] = {0: PLAIN}
        self._dated: dict[int, int] = {}

    def sheet(self, title: str) -> Sheet:
        """A new sheet after the others."""
        sheet = Sheet(self, self.wb.create_sheet(title))
        self.sheets.append(sheet)
        return sheet

    def style(self, look: Look | None) -> int:
        """The workbook's style id for `look` (0: the default), registered on first use."""
        if look is None:
            return 0
        sid = self._ids.get(look)
        if sid is None:
            cell = WriteOnlyCell(self.sheets[0].ws)
            if look.font is not None:
                cell.font = look.font
            if look.fill is not None:
                cell.fill = look.fill
            if look.align is not None:
                cell.alignment = look.align
            if look.fmt is not None:
                cell.number_format = look.fmt
            sid = int(cell.style_id)
            self._ids[look] = sid
            self._looks.setdefault(sid, look)
        return sid

    def dated(self, sid: int) -> int:
        """Style `sid` as a date and time: with `DATE_FORMAT` unless it has a format."""
        out = self._dated.get(sid)
        if out is None:
            look = self._looks[sid]
            out = sid if look.fmt else self.style(replaced(look, fmt=DATE_FORMAT))
            self._dated[sid] = out
        return out

    def save(self, fh: BinaryIO) -> None:
        """Write the package to `fh`: openpyxl's parts, each sheet's rows spliced into its
        own part.

        The zip is closed here whatever happens: a `ZipFile` left open after a failed write
        (a full disk) is closed again by the garbage collector, fails again on the dead
        file, and Python prints "Exception ignored in ZipFile.__del__" under our one-line
        error. Closing it here (its own error suppressed: the first one is the one that
        matters) keeps stderr to that line.
        """
        self.wb.properties.modified = datetime.now(UTC).replace(tzinfo=None)
        skeleton = BytesIO()
        ExcelWriter(self.wb, zipfile.ZipFile(skeleton, "w", zipfile.ZIP_DEFLATED)).save()
        rows = {sheet.ws.path.lstrip("/"): sheet for sheet in self.sheets}
        archive = zipfile.ZipFile(fh, "w", zipfile.ZIP_DEFLATED, allowZip64=True)
        try:
            with zipfile.ZipFile(skeleton) as parts:
                for info in parts.infolist():
                    part = parts.read(info)
                    sheet = rows.get(info.filename)
                    if sheet is None:
                        archive.writestr(info, part)
                    else:
                        with archive.open(info.filename, "w", force_zip64=True) as out:
                            sheet.splice(part, out)
            archive.close()
        except BaseException:
            with contextlib.suppress(Exception):
                archive.close()
            raise

    def close(self) -> None:
        """Drop every sheet's temporary file."""
        for sheet in self.sheets:
            sheet.close()


#: An empty sheetData element as openpyxl writes it (ElementTree or lxml).
_EMPTY_ROWS = re.compile(rb"<sheetData\s*/>|<sheetData>\s*</sheetData>")
_EPOCH = datetime(1899, 12, 30)
_MARCH_1900 = datetime(1900, 3, 1)
#: Column letters, A to ZZ (wider rows fall back to openpyxl's).
_LETTERS = [get_column_letter(c) for c in range(1, 703)]
#: Rows rendered before they go to the temporary file together.
_BATCH = 500
#: What text needs more than copying: XML's own characters, and the control characters
#: that make a file unreadable to Excel (openpyxl's ILLEGAL_CHARACTERS_RE).
_SPECIAL = re.compile(r"[&<>\x00-\x08\x0b\x0c\x0e-\x1f]")


def _letter(col: int) -> str:
    return _LETTERS[col - 1] if col <= len(_LETTERS) else get_column_letter(col)


def _text(value: str) -> tuple[str, int]:
    """A cell's text as XML (control characters marked where they were, cut to what Excel
    holds), and how many characters it shows."""
    if len(value) > MAX_TEXT:
        value = value[:MAX_TEXT]
    if _SPECIAL.search(value) is None:   # the usual case: nothing to change
        return value, len(value)
    value = ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"), len(value)


def _serial(value: datetime) -> str:
    """An Excel date serial (days since 1899-12-30; the model's times are UTC)."""
    if value.tzinfo is not None:   # Excel has no time zones
        value = value.astimezone(UTC).replace(tzinfo=None)
    if value < _MARCH_1900:   # Excel's 1900 leap day: openpyxl knows the rule
        return f"{to_excel(value):.16g}"
    delta = value - _EPOCH
    return f"{delta.days + (delta.seconds + delta.microseconds / 1e6) / 86400:.16g}"


class Sheet:
    """One sheet: its openpyxl worksheet (settings, charts) and its rows, rendered as
    SpreadsheetML into a temporary file in row order, with each column's widest value."""

    def __init__(self, book: Book, ws: Any) -> None:
        self.book = book
        self.ws = ws
        self.rows = 0
        """The last row written."""
        self.widths: dict[int, int] = {}
        """Column -> characters of its widest value (rows written with `measure`)."""
        # Open while the sheet is: `save` reads it back, `close` drops it.
        self._file: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115
        self._batch: list[str] = []

    def write(self, values: Sequence[Value], styles: Sequence[int] | None = None, *,
              row: int | None = None, measure: bool = True, lines: int = 1) -> int:
        """Write one row (the next, or `row`, below the last) and return its number.

        Args:
            values: the cells from column A on; None leaves a cell empty.
            styles: a style id (`Book.style`) per cell; a date and time gets
                `DATE_FORMAT` unless its style has a number format.
            row: the row number, when rows are left empty above it.
            measure: whether the row's values count for the column widths.
            lines: the lines of text its tallest (wrapped) cell needs; more than one sets
                the row's height, which spreadsheets do not grow on their own.
        """
        r = self.rows + 1 if row is None else row
        if r <= self.rows:
            raise ValueError(f"{self.ws.title}: row {r} written after row {self.rows}")
        self.rows = r
        widths = self.widths
        letters = _LETTERS if len(values) <= len(_LETTERS) else \
            [_letter(c) for c in range(1, len(values) + 1)]
        cells = [f'<row r="{r}">' if lines <= 1 else
                 f'<row r="{r}" ht="{15 * min(lines, 20)}" customHeight="1">']
        for i, value in enumerate(values):
            sid = styles[i] if styles is not None else 0
            if value is None or value == "":
                if sid:
                    cells.append(f'<c r="{letters[i]}{r}" s="{sid}"/>')
                continue
            if value is True or value is False:
                value = "yes" if value else "no"
            if isinstance(value, str):
                text, size = _text(value)
                keep = ' xml:space="preserve"' if text[0].isspace() or text[-1].isspace() \
                    else ""
                cell = f'<is><t{keep}>{text}</t></is>'
                kind = ' t="inlineStr"'
            elif isinstance(value, datetime):
                sid = self.book.dated(sid)
                cell, kind, size = f"<v>{_serial(value)}</v>", "", 19
            else:
                number = str(value) if isinstance(value, int) else f"{value:.16g}"
                cell, kind, size = f"<v>{number}</v>", "", len(number)
            if sid:
                cells.append(f'<c r="{letters[i]}{r}" s="{sid}"{kind}>{cell}</c>')
            else:
                cells.append(f'<c r="{letters[i]}{r}"{kind}>{cell}</c>')
            if measure and size > widths.get(i + 1, 0):
                widths[i + 1] = size
        cells.append("</row>")
        self._batch.append("".join(cells))
        if len(self._batch) >= _BATCH:
            self._flush()
        return r

    def fit(self, *, cap: int = 60) -> None:
        """Column widths from the widest value, so tables read without dragging borders."""
        for col, size in self.widths.items():
            self.ws.column_dimensions[_letter(col)].width = min(max(size + 2, 8), cap)

    def header(self, headers: Sequence[str]) -> None:
        """Row 1: the table's headers, bold on blue, frozen above the rows."""
        self.write(headers, [self.book.style(HEADER)] * len(headers))
        self.ws.freeze_panes = "A2"

    def filter(self, columns: int, rows: int) -> None:
        """An auto-filter over the header and `rows` rows of `columns` columns."""
        self.ws.auto_filter.ref = f"A1:{_letter(columns)}{rows + 1}"

    def splice(self, part: bytes, out: IO[bytes]) -> None:
        """Write the sheet's part as openpyxl wrote it, with the rows in its sheetData."""
        empty = _EMPTY_ROWS.search(part)
        if empty is None:
            raise ValueError(f"{self.ws.title}: no empty sheetData in openpyxl's part")
        self._flush()
        self._file.seek(0)
        out.write(part[:empty.start()] + b"<sheetData>")
        shutil.copyfileobj(self._file, out, 1 << 20)
        out.write(b"</sheetData>" + part[empty.end():])

    def close(self) -> None:
        self._file.close()

    def _flush(self) -> None:
        if self._batch:
            self._file.write("".join(self._batch).encode("utf-8", "replace"))
            self._batch.clear()


@dataclass(slots=True)
class Grid:
    """A small sheet laid out by position (a summary's sections, one under the other),
    written row by row once complete."""

    cells: dict[int, dict[int, tuple[Value, Look]]] = field(default_factory=dict)

    def put(self, row: int, col: int, value: Value, look: Look = PLAIN) -> None:
        self.cells.setdefault(row, {})[col] = (value, look)

    def row(self, row: int, values: Sequence[Value], look: Look = PLAIN) -> None:
        """`values` from column A on."""
        for col, value in enumerate(values, 1):
            self.put(row, col, value, look)

    def dress(self, row: int, col: int, look: Look) -> None:
        """Lay `look` over a cell's (an empty cell takes it alone)."""
        value, base = self.cells.get(row, {}).get(col, (None, PLAIN))
        self.put(row, col, value, look.over(base))

    def emit(self, sheet: Sheet, *, skip_widths: Iterable[int] = (), cap: int = 60) -> None:
        """Write the cells to `sheet` in row order and fit its columns (rows in
        `skip_widths`, titles and banners, overflow instead of widening a column)."""
        skip = set(skip_widths)
        for r in sorted(self.cells):
            cols = self.cells[r]
            values: list[Value] = [None] * max(cols)
            styles = [0] * len(values)
            for col, (value, look) in cols.items():
                values[col - 1] = value
                styles[col - 1] = sheet.book.style(look)
            sheet.write(values, styles, row=r, measure=r not in skip)
        sheet.fit(cap=cap)


# --- the audit workbook -----------------------------------------------------------------------


def _input_rows(grid: Grid, top: int, inputs: Sequence[InputStatus], *,
                error_chars: int | None, logs: bool = False, read: bool = False) -> int:
    """The input status table at row `top`; a failed input's row is red. Returns next row.
    `read`: with how each was read (`READ_HEADERS`)."""
    headers = LOG_INPUT_HEADERS if logs else INPUT_HEADERS
    grid.row(top, headers + READ_HEADERS if read else headers, HEADER)
    row = top + 1
    for i in inputs:
        error = i.error or "; ".join(f"skipped {note}" for note in i.notes) or None
        if error and error_chars is not None and len(error) > error_chars:
            error = error[:error_chars - 1] + "\u2026"
        failed = i.status is SourceStatus.FAILED
        status = "FAILED" if failed else str(i.status)
        values: tuple[Value, ...] = (
            (i.name, i.type, status, i.records, error, i.skipped or None) if logs else
            (i.name, i.type, i.role, status, i.records, error, i.skipped or None))
        if read:
            engine = (i.engine or "local") if i.role == "log" else None
            seconds = round(i.seconds, 2) if i.seconds is not None else None
            values += (engine, i.rows, seconds, i.query)
        grid.row(row, values, FAILED if failed else PLAIN)
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


def _title(grid: Grid, result: AuditResult, title: str) -> tuple[int, set[int]]:
    """The title, and the red banner naming the failed inputs when any failed. Returns the
    first free row and the rows that must not widen columns."""
    grid.put(1, 1, title, TITLE)
    if not result.failed:
        return 3, {1}
    names = ", ".join(i.name for i in result.failed)
    grid.put(2, 1, f"{len(result.failed)} input(s) FAILED: {names} -- findings may be "
             "incomplete")
    for col in range(1, len(VERDICT_ORDER) + 4):
        grid.dress(2, col, Look(fill=BANNER_FILL))
    grid.dress(2, 1, Look(font=BANNER_FONT))
    return 4, {1, 2}


def _facts(grid: Grid, row: int, facts: Sequence[tuple[str, Value]]) -> int:
    for label, value in facts:
        grid.put(row, 1, label, STRONG)
        grid.put(row, 2, value)
        row += 1
    return row


def _summary(book: Book, result: AuditResult) -> None:
    """Audit facts, input status, counts by verdict x source and by owner, and a chart."""
    sheet = book.sheet("Summary")
    grid = Grid()
    row, banners = _title(grid, result, f"Stale-target audit: {result.name}")
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
    row = _facts(grid, row, facts)
    row = _section(grid, row + 1, "Inputs")
    row = _input_rows(grid, row, result.inputs, error_chars=SUMMARY_ERROR_CHARS)
    row = _verdict_by_source(grid, _section(grid, row + 1, "Records by verdict and source"),
                             result)
    row = _verdict_by_owner(grid, _section(grid, row + 1, "Records by owner"), result)
    _findings_chart(grid, sheet, _section(grid, row + 1, "Findings by verdict"), result)
    grid.emit(sheet, skip_widths=banners)


def _section(grid: Grid, row: int, title: str) -> int:
    grid.put(row, 1, title, HEADING)
    return row + 1


def _verdict_by_source(grid: Grid, top: int, result: AuditResult) -> int:
    """Records per source and verdict; a failed source shows FAILED, never a row of zeros."""
    counts = Counter((t.source, f.verdict) for f in result.findings for t in f.records)
    failed = {i.name for i in result.failed}
    grid.row(top, ("Source", *VERDICT_ORDER, "Total", "Status"), HEADER)
    row = top + 1
    for source in _source_names(result):
        if source in failed:
            grid.row(row, (source, *[None] * len(VERDICT_ORDER), None, "FAILED"), FAILED)
        else:
            per = [counts[(source, v)] for v in VERDICT_ORDER]
            grid.row(row, (source, *per, sum(per), "ok"))
            _centre(grid, row, range(2, len(VERDICT_ORDER) + 4))
        row += 1
    _centre(grid, top, range(2, len(VERDICT_ORDER) + 4))
    return row


def _centre(grid: Grid, row: int, cols: Iterable[int]) -> None:
    """Counts and short words centred under their headers: right-aligned numbers beside
    a left-aligned status read as one (`6ok`)."""
    for col in cols:
        grid.dress(row, col, CENTRE)


def _verdict_by_owner(grid: Grid, top: int, result: AuditResult) -> int:
    """Records per owner and verdict, with the stale + polled ones (fix first) up front."""
    counts: Counter[tuple[str, str]] = Counter()
    for f in result.findings:
        for t in f.records:
            owner = record_owner(result, t)
            counts[(owner, f.verdict)] += 1
            if f.verdict is Verdict.STALE and t.polled:
                counts[(owner, "stale + polled")] += 1
    failed = _failed_sources_by_owner(result)
    grid.row(top, ("Owner", "stale + polled", *VERDICT_ORDER, "Status"), HEADER)
    row = top + 1
    for owner in _remediation_owners(result):
        status = "FAILED: " + ", ".join(failed[owner]) if owner in failed else "ok"
        grid.row(row, (owner, counts[(owner, "stale + polled")],
                       *[counts[(owner, v)] for v in VERDICT_ORDER], status),
                 FAILED if owner in failed else PLAIN)
        _centre(grid, row, range(2, len(VERDICT_ORDER) + 3))
        row += 1
    _centre(grid, top, range(2, len(VERDICT_ORDER) + 3))
    return row


def _findings_chart(grid: Grid, sheet: Sheet, top: int, result: AuditResult) -> None:
    """A small verdict -> findings table and the bar chart drawn from it."""
    counts = Counter(f.verdict for f in result.findings)
    grid.row(top, ("Verdict", "Findings"), HEADER)
    for n, verdict in enumerate(VERDICT_ORDER, start=1):
        grid.row(top + n, (verdict, counts[verdict]))
    chart = BarChart()
    chart.title = "Findings by verdict"
    chart.y_axis.title = "findings"
    chart.legend = None
    # openpyxl 3.1 marks axes deleted by default; Excel then draws none.
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    last = top + len(VERDICT_ORDER)
    ws = sheet.ws
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


def finding_rows(result: AuditResult) -> Iterable[tuple[Value, ...]]:
    """The Findings sheet's rows, one per finding (with what the probes said, when they
    ran): the values only, as `benchmarks/bench_xlsx.py` writes them for its baselines."""
    place = NetworkIndex(result.networks)
    if result.probes is None:
        for f in result.findings:
            yield _finding_values(result, f, place)
        return
    probed = finding_probes(result)
    for f in result.findings:
        yield (*_finding_values(result, f, place),
               probe_words(probed.get(f.address, [])) or None)


def _findings(book: Book, result: AuditResult) -> None:
    """One row per finding, verdict cell coloured, action and reasons wrapped, filterable."""
    sheet = book.sheet("Findings")
    headers = FINDING_HEADERS if result.probes is None else (*FINDING_HEADERS,
                                                             PROBE_FINDING_HEADER)
    sheet.header(headers)
    wrapped = [FINDING_HEADERS.index(h) for h in WRAPPED]
    # every cell at the top of its row, as the wrapped ones are: a row reads across
    plain = [book.style(WRAPPED_TEXT if n in wrapped else TOP_TEXT) for n in range(len(headers))]
    verdict_col = FINDING_HEADERS.index("Verdict")
    looks = {v: [book.style(VERDICT_LOOK[v].over(TOP_TEXT)) if n == verdict_col else s
                 for n, s in enumerate(plain)] for v in Verdict}
    n = 0
    for f, values in zip(result.findings, finding_rows(result), strict=True):
        lines = max(-(-len(str(values[c] or "")) // WRAP_CHARS) for c in wrapped)
        sheet.write(values, looks[f.verdict], lines=lines)
        n += 1
    sheet.filter(len(headers), n)
    sheet.fit()
    for col in wrapped:   # wrapped text needs no wider column than a readable line
        sheet.ws.column_dimensions[_letter(col + 1)].width = min(
            max(sheet.widths.get(col + 1, 60) + 2, 8), 60)


def _remediation_owners(result: AuditResult) -> list[str]:
    """Owners with work first (most urgent first), then the rest, then failed-source owners."""
    names = list(dict.fromkeys(record_owner(result, t)
                               for f, t, _ in remediation_rows(result.findings)))
    names += [o for o in owner_names(result) if o not in names]
    names += [o for o in _failed_sources_by_owner(result) if o not in names]
    return names


def remediation_blocks(result: AuditResult) -> Iterable[tuple[str, list[str],
                                                               list[tuple[Value, ...]]]]:
    """Per owner, most urgent first: the failed sources that leave their list incomplete,
    and their Remediation rows (verdict, polled, address, tool, type, record id and name,
    location, action), stale + polled first."""
    by_owner: dict[str, list[tuple[Finding, Target, str]]] = {}
    for f, t, action in remediation_rows(result.findings):
        by_owner.setdefault(record_owner(result, t), []).append((f, t, action))
    failed = _failed_sources_by_owner(result)
    for owner in _remediation_owners(result):
        yield owner, failed.get(owner, []), [
            (f.verdict, t.polled, f.address, t.source, t.kind, t.id, t.name, t.location, action)
            for f, t, action in by_owner.pop(owner, [])]


def _remediation(book: Book, result: AuditResult) -> None:
    """One block per owner: their records, stale + polled first, with the exact action."""
    sheet = book.sheet("Remediation")
    sheet.header(REMEDIATION_HEADERS)
    heading, failed, note = book.style(HEADING), book.style(FAILED), book.style(NOTE)
    looks = {str(v): [book.style(VERDICT_LOOK[v])] + [0] * (len(REMEDIATION_HEADERS) - 1)
             for v in Verdict}
    row = 3
    for owner, failures, rows in remediation_blocks(result):
        sheet.write((owner,), (heading,), row=row)
        for source in failures:
            sheet.write((f"Source {source} FAILED to load: its records are missing from this "
                         "list",), (failed,))
        if not rows:
            sheet.write(("Nothing to fix",), (note,))
        for values in rows:
            sheet.write(values, looks[str(values[0])])
        row = sheet.rows + 2
    sheet.fit(cap=80)
    # Owner headings and failure lines live in column A; let them overflow, not widen it.
    sheet.ws.column_dimensions["A"].width = 14


def ghost_rows(result: AuditResult) -> Iterable[tuple[Value, ...]]:
    """The Ghost flows sheet's rows."""
    for g in result.ghost_flows:
        yield (g.src, g.dst, g.protocol, g.port, g.count, g.first_seen, g.last_seen,
               _join(g.reasons), g.attribution)


def _ghost_flows(book: Book, result: AuditResult) -> None:
    sheet = book.sheet("Ghost flows")
    n = _table(sheet, GHOST_HEADERS, ghost_rows(result))
    _folded_note(sheet, result, n, "more flows ({lines} lines), the least busy, are counted "
                 "here and not listed")
    sheet.fit()


def _folded_note(sheet: Sheet, result: AuditResult, rows: int, words: str) -> None:
    """Under a table of `rows` rows: how many flows past the listing limit it leaves out."""
    folded = result.ghosts_folded
    if folded.flows:
        sheet.write((f"{folded.flows} {words.format(lines=folded.lines)}",),
                    (sheet.book.style(NOTE),), row=rows + 3, measure=False)


def _table(sheet: Sheet, headers: Sequence[str], rows: Iterable[Sequence[Value]],
           styles: Sequence[int] | None = None) -> int:
    """A sheet that is one table: header, rows, frozen header and filter. Returns rows
    written."""
    sheet.header(headers)
    n = 0
    for values in rows:
        sheet.write(values, styles)
        n += 1
    sheet.filter(len(headers), n)
    return n


def _inbound_noise(book: Book, result: AuditResult, *, logs: bool = False) -> None:
    """Drops from senders outside every live network: counted, never ghost flows."""
    sheet = book.sheet("Inbound noise")
    grid = Grid()
    noise = result.inbound_noise
    grid.put(1, 1, "Drops from senders in no live network and no known poller (internet "
             "scans, mostly): counted here, never listed as ghost flows", STRONG)
    for row, (label, value) in enumerate((("Flows", noise.flows), ("Lines", noise.lines)), 3):
        grid.put(row, 1, label, STRONG)
        grid.put(row, 2, value)
    skip = {1}
    if logs and not noise.lines:
        grid.put(5, 1, "Without a network list, inside cannot be told from outside: every "
                 "drop flow is under Ghost flows (an audit with [[networks]] sets internet "
                 "scans apart)", NOTE)
        skip.add(5)
    grid.row(6, ("Protocol", "Port", "Lines"), HEADER)
    row = 7
    for proto, port, lines in noise.top_ports:
        grid.row(row, (proto, port, lines))
        row += 1
    grid.row(row + 1, ("Top sender", "Lines"), HEADER)
    for offset, (src, lines) in enumerate(noise.top_senders, row + 2):
        grid.row(offset, (src, lines))
    grid.emit(sheet, skip_widths=skip)


def _networks(book: Book, result: AuditResult) -> None:
    sheet = book.sheet("Networks")
    _table(sheet, NETWORK_HEADERS, ((n.prefix, n.status, n.source, n.location, n.description)
                                    for n in result.networks))
    sheet.fit()


def _sources(book: Book, result: AuditResult) -> None:
    sheet = book.sheet("Sources")
    grid = Grid()
    _input_rows(grid, 1, result.inputs, error_chars=None, read=True)
    grid.emit(sheet, cap=120)
    sheet.ws.freeze_panes = "A2"
    sheet.filter(len(INPUT_HEADERS) + len(READ_HEADERS), len(result.inputs))


def _log_rates(book: Book, result: AuditResult, *, messages: bool = False) -> None:
    """Drop lines per hour (every hour, none skipped), those of the busiest flows (and, for
    `logs`, of each message), the rises in words, and a line chart from 0."""
    sheet = book.sheet("Log rates")
    hours = series(result.hourly)
    columns = list(result.hourly_flows.items())
    if messages:
        columns += [(f"message {m}", rates) for m, rates in result.hourly_messages.items()]
    headers = ("Hour (UTC)", "Drop lines", *(label for label, _ in columns))
    found = [rise.sentence() for rise in rises(result.hourly_messages)
             + rises(result.hourly_flows)]
    rise_col = max(RISES_COLUMN, len(headers) + 2)
    pad = [None] * (rise_col - len(headers) - 1)
    header, strong = book.style(HEADER), book.style(STRONG)
    hour_style = [book.style(Look(fmt=HOUR_FORMAT))] + [0] * (rise_col - 1)
    if found:
        sheet.write((*headers, *pad, "Rises"), [header] * len(headers) + [0] * len(pad)
                    + [strong])
    else:
        sheet.header(headers)
    sheet.ws.freeze_panes = "A2"
    for n in range(max(len(hours), len(found))):
        values: list[Value] = [None] * len(headers)
        if n < len(hours):
            hour, total = hours[n]
            values = [hour, total, *(rates.get(hour, 0) for _, rates in columns)]
        if n < len(found):
            values += [*pad, found[n]]
        sheet.write(values, hour_style)
    sheet.filter(len(headers), len(hours))
    sheet.fit()
    if len(hours) < 2:   # one hour is no trend
        return
    chart = LineChart()
    chart.title = "Drop lines per hour"
    chart.y_axis.title = "lines"
    chart.y_axis.scaling.min = 0   # a rate chart whose axis starts above 0 exaggerates
    chart.x_axis.number_format = HOUR_FORMAT
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    last = len(hours) + 1
    chart.add_data(Reference(sheet.ws, min_col=2, min_row=1, max_row=last),
                   titles_from_data=True)
    if messages and len(result.hourly_messages) > 1:   # each message's line beside the total
        chart.add_data(Reference(sheet.ws, min_col=len(headers) - len(result.hourly_messages)
                                 + 1, max_col=len(headers), min_row=1, max_row=last),
                       titles_from_data=True)
    else:
        chart.legend = None
    chart.set_categories(Reference(sheet.ws, min_col=1, min_row=2, max_row=last))
    # Beside the rises, clear of the table's columns.
    sheet.ws.add_chart(chart, f"{_letter(rise_col)}{len(found) + 3}")


def probe_rows(result: AuditResult) -> Iterable[tuple[Value, ...]]:
    """The Probes sheet's rows: every probe and skip."""
    assert result.probes is not None
    for r in result.probes.results:
        yield (r.address, str(r.kind), r.port, str(r.status),
               round(r.latency * 1000, 3) if r.latency is not None else None, r.error,
               r.detail or None, r.attempts)


def _probes(book: Book, result: AuditResult) -> None:
    """Every probe and skip: address, kind, port, result, latency, error, answer."""
    sheet = book.sheet(PROBE_SHEET)
    _table(sheet, PROBE_HEADERS, probe_rows(result))
    sheet.fit(cap=100)


def change_rows(result: AuditResult) -> Iterable[tuple[Value, ...]]:
    """The Changes sheet's rows: new, resolved, still open, not checked."""
    changes = result.changes
    assert changes is not None
    groups = (("new", changes.new), ("resolved", changes.resolved),
              ("still open", changes.still_open), ("not checked", changes.not_checked))
    for label, group in groups:
        for c in group:
            yield (label, c.address, str(c.verdict_then) if c.verdict_then else None,
                   str(c.verdict_now) if c.verdict_now else None, "yes" if c.polled else "no",
                   ", ".join(c.owners), ", ".join(c.sources), ", ".join(c.names),
                   c.first_flagged, c.in_a_row, c.last_answering, c.last_ok)


def _changes(book: Book, result: AuditResult) -> None:
    """What changed since the last audit of this config: new, resolved, still open and
    not checked (a source failed) flagged addresses, then the summary line under them."""
    assert result.changes is not None
    sheet = book.sheet(CHANGES_SHEET)
    n = _table(sheet, CHANGES_HEADERS, change_rows(result))
    sheet.write((result.changes.summary_line(),), (book.style(STRONG),), row=n + 3,
                measure=False)
    sheet.fit(cap=60)


def _readme(book: Book, cover: str) -> None:
    """The covering text, a line a row, its first line as the title."""
    sheet = book.sheet(README_SHEET)
    grid = Grid()
    lines = cover.rstrip("\n").split("\n")
    for row, line in enumerate(lines, 1):
        grid.put(row, 1, line or None, HEADING if row == 1 else WRAPPED_TEXT)
    grid.emit(sheet, skip_widths={1}, cap=110)


def build_workbook(result: AuditResult, *, cover: str | None = None) -> Book:
    """The whole report, sheets in `SHEETS` order (then `Probes`, when the opt-in probes
    ran, and `Changes`, when the run history was read); with `cover`, an owner's workbook
    whose first sheet, `Read me`, holds that text."""
    book = Book()
    try:
        if cover is not None:
            _readme(book, cover)
        _summary(book, result)
        for build in (_findings, _remediation, _ghost_flows, _inbound_noise, _networks,
                      _sources, _log_rates):
            build(book, result)
        if result.probes is not None:
            _probes(book, result)
        if result.changes is not None:
            _changes(book, result)
        _print_setup(book)
    except BaseException:
        book.close()
        raise
    return book


def _print_setup(book: Book) -> None:
    """Landscape, one page wide; a wide table (Findings: 18 columns) two pages wide, its
    header row and first column on every page: squeezed onto one, its text is unreadable."""
    for sheet in book.sheets:
        ws = sheet.ws
        ws.page_setup.orientation = "landscape"
        wide = len(sheet.widths) > WIDE_COLUMNS
        ws.page_setup.fitToWidth = 2 if wide else 1
        if wide:
            ws.print_title_rows = "1:1"
            ws.print_title_cols = "A:A"
        ws.page_setup.fitToHeight = 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.print_options.gridLines = False


# --- the logs workbook ------------------------------------------------------------------------


@dataclass(slots=True)
class _Tally:
    """Drop lines to one destination, or from one sender, over its flows."""

    lines: int = 0
    peers: Counter[str] = field(default_factory=Counter)
    ports: Counter[str] = field(default_factory=Counter)
    first: datetime | None = None
    last: datetime | None = None
    reasons: dict[str, None] = field(default_factory=dict)

    def add(self, g: GhostFlow, peer: str, port: str) -> None:
        self.lines += g.count
        self.peers[peer] += g.count
        self.ports[port] += g.count
        if g.first_seen is not None and (self.first is None or g.first_seen < self.first):
            self.first = g.first_seen
        if g.last_seen is not None and (self.last is None or g.last_seen > self.last):
            self.last = g.last_seen
        self.reasons.update(dict.fromkeys(g.reasons))


def _port(g: GhostFlow) -> str:
    return f"{g.protocol}/{g.port}" if g.port is not None else g.protocol


def _busiest(counts: Counter[str]) -> str:
    return min(counts.items(), key=lambda kv: (-kv[1], address_sort_key(kv[0])))[0]


def destination_rows(result: AuditResult) -> list[tuple[Value, ...]]:
    """Drop lines per destination (address, protocol, port), busiest first."""
    tallies: dict[tuple[str, str, int | None], _Tally] = {}
    for g in result.ghost_flows:
        tallies.setdefault((g.dst, g.protocol, g.port), _Tally()).add(g, g.src, _port(g))
    ranked = sorted(tallies.items(), key=lambda kv: (-kv[1].lines, address_sort_key(kv[0][0]),
                                                     kv[0][1], kv[0][2] or 0))
    return [(dst, proto, port, t.lines, len(t.peers), _busiest(t.peers), t.first, t.last,
             _join(t.reasons)) for (dst, proto, port), t in ranked]


def sender_rows(result: AuditResult) -> list[tuple[Value, ...]]:
    """Drop lines per sender, busiest first, with its busiest destination and ports."""
    tallies: dict[str, _Tally] = {}
    for g in result.ghost_flows:
        tallies.setdefault(g.src, _Tally()).add(g, g.dst, _port(g))
    ranked = sorted(tallies.items(), key=lambda kv: (-kv[1].lines, address_sort_key(kv[0])))
    return [(src, t.lines, len(t.peers), _busiest(t.peers),
             ", ".join(p for p, _ in sorted(t.ports.items(), key=lambda kv: (-kv[1], kv[0]))[:3]),
             t.first, t.last, _join(t.reasons)) for src, t in ranked]


def _logs_summary(book: Book, result: AuditResult) -> None:
    """What was read (files, formats, lines), what it held (lines per message, drops), and
    when the drops peaked."""
    sheet = book.sheet("Summary")
    grid = Grid()
    row, banners = _title(grid, result, result.name)
    hours = series(result.hourly)
    peak = max(hours, key=lambda kv: kv[1]) if hours else None
    flows = result.ghost_flows
    drops = sum(g.count for g in flows) + result.ghosts_folded.lines + \
        result.inbound_noise.lines
    facts: list[tuple[str, Value]] = [
        ("Generated at (UTC)", result.generated_at),
        ("Log lines", result.logs.lines), ("Log lines parsed", result.logs.parsed),
        ("Log lines unparsed", result.logs.unparsed),
        ("Drop lines (dropped or unanswered traffic)", drops),
        ("Drop flows listed", len(flows)),
        ("Drop flows not listed (the least busy)", result.ghosts_folded.flows),
        ("Destinations", len({g.dst for g in flows})),
        ("Senders", len({g.src for g in flows})),
        ("First drop (UTC)", min((g.first_seen for g in flows if g.first_seen), default=None)),
        ("Last drop (UTC)", max((g.last_seen for g in flows if g.last_seen), default=None)),
        ("Busiest hour (UTC)", peak[0] if peak else None),
        ("Drop lines in the busiest hour", peak[1] if peak else None)]
    row = _facts(grid, row, facts)
    if peak:
        grid.dress(row - 2, 2, Look(fmt=HOUR_FORMAT))
    row = _section(grid, row + 1, "Inputs")
    row = _input_rows(grid, row, result.inputs, error_chars=SUMMARY_ERROR_CHARS, logs=True,
                      read=True)
    row = _section(grid, row + 1, "Lines per message")
    grid.row(row, ("Message", "Lines", "Drop lines"), HEADER)
    drops_by = {m: sum(rates.values()) for m, rates in result.hourly_messages.items()}
    ranked = sorted(result.logs.by_message.items(), key=lambda kv: (-kv[1], kv[0]))
    for n, (message, lines) in enumerate(ranked, row + 1):
        grid.row(n, (message, lines, drops_by.get(message, 0)))
    grid.emit(sheet, skip_widths=banners)


def _logs_table(book: Book, result: AuditResult, title: str, headers: Sequence[str],
                rows: list[tuple[Value, ...]]) -> None:
    sheet = book.sheet(title)
    n = _table(sheet, headers, rows)
    _folded_note(sheet, result, n, "more flows ({lines} lines), the least busy, are not "
                 "in these totals")
    sheet.fit()


def build_logs_workbook(result: AuditResult) -> Book:
    """The `logs -o F.xlsx` workbook, sheets in `LOGS_SHEETS` order: no inventory, so no
    findings, remediation or staleness, only what the firewalls dropped."""
    book = Book()
    try:
        _logs_summary(book, result)
        _logs_table(book, result, "Top destinations", DESTINATION_HEADERS,
                    destination_rows(result))
        _logs_table(book, result, "Top senders", SENDER_HEADERS, sender_rows(result))
        _ghost_flows(book, result)
        _log_rates(book, result, messages=True)
        _inbound_noise(book, result, logs=True)
        _print_setup(book)
    except BaseException:
        book.close()
        raise
    return book


# --- writers ----------------------------------------------------------------------------------


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """The rows build no cycles, and a collection now would walk the whole result (millions
    of values at a million records) for nothing: paused while a workbook is written."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def _write(build: Callable[[], Book], path: Path) -> None:
    with _collector_paused():
        book = build()
        try:
            atomic_write(path, book.save)
        finally:
            book.close()


class XlsxReporter(Reporter):
    """Writes the workbook described in SPEC "Report (XLSX)"; with `cover`, an owner's
    workbook that opens on that text (`Read me`)."""

    suffix = ".xlsx"

    def __init__(self, *, cover: str | None = None) -> None:
        self.cover = cover

    def write(self, result: AuditResult, path: Path) -> None:
        """Build the workbook, then save it to `path` whole or not at all."""
        _write(lambda: build_workbook(result, cover=self.cover), path)


class LogsXlsxReporter(Reporter):
    """Writes the `stale-audit logs -o F.xlsx` workbook (`LOGS_SHEETS`)."""

    suffix = ".xlsx"

    def write(self, result: AuditResult, path: Path) -> None:
        """Build the workbook, then save it to `path` whole or not at all."""
        _write(lambda: build_logs_workbook(result), path)

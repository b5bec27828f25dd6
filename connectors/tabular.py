"""CSV and XLSX exports read by header alias: the one table reader every connector shares.

Tools name their columns as the report author chose (`IP Address`, `IPAddress`, `IP`), so
each connector declares aliases per field and this module finds the header row, maps the
columns, and hands back rows keyed by field name with their line numbers.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from auditor.errors import SourceError
from connectors.textio import open_text

#: How many leading rows may hold report titles before the header row.
HEADER_SEARCH_ROWS = 20


@dataclass(frozen=True, slots=True)
class Row:
    """One data row: `values` maps field name -> cell (str, or datetime/number from XLSX)."""

    line: int
    values: Mapping[str, object]

    def text(self, field: str) -> str:
        value = self.values.get(field)
        if value is None:
            return ""
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return str(value).strip()


def normalize_header(text: object) -> str:
    """`IP Address`, `ip_address`, `IPAddress` -> `ipaddress`."""
    return re.sub(r"[^0-9a-z]", "", str(text or "").lower())


def read_rows(path: Path, aliases: Mapping[str, Sequence[str]], *,
              required: Sequence[str] = (), columns: Mapping[str, str] | None = None,
              sheet: str | None = None) -> Iterator[Row]:
    """Yield the data rows of a CSV or XLSX export.

    Args:
        path: the export; `.xlsx`/`.xlsm` are read with openpyxl, anything else as CSV.
        aliases: field name -> header texts that mean it (compared case- and
            punctuation-insensitively).
        required: fields that must have a column; a missing one is a `SourceError`
            naming the file and the headers that were found.
        columns: user overrides, field name -> exact header text (config `columns`).
        sheet: XLSX sheet name; the first sheet by default.

    A row shorter than the header (an export cut off mid-row) raises `SourceError` with its
    line and the first missing field. Blank rows are skipped.
    """
    table = _xlsx_rows(path, sheet) if path.suffix.lower() in (".xlsx", ".xlsm") \
        else _csv_rows(path)
    wanted = {f: {normalize_header(a) for a in names} for f, names in aliases.items()}
    for field_name, header in (columns or {}).items():
        wanted[field_name] = {normalize_header(header)}
    header_map: dict[str, int] | None = None
    width = 0
    for line, cells in table:
        if header_map is None:
            if line > HEADER_SEARCH_ROWS:
                break
            found = _match_header(cells, wanted)
            # A header row holds a required column, or at least two known ones (so a report
            # that lacks the address column still gets "no column for address; found: ...").
            if any(f in found for f in required) or len(found) >= min(2, len(wanted)):
                missing = [f for f in required if f not in found]
                if missing:
                    raise SourceError(
                        f"no column for {', '.join(missing)}; headers found: "
                        f"{', '.join(str(c) for c in cells if c not in (None, ''))}"
                        f"{_override_hint(missing, columns)}", path=path, line=line)
                header_map, width = found, len(cells)
            continue
        if all(c in (None, "") for c in cells):
            continue
        if len(cells) < width and _csv_like(path):
            names = {i: f for f, i in header_map.items()}
            first_missing = next((names[i] for i in range(len(cells), width) if i in names),
                                 f"column {len(cells) + 1}")
            raise SourceError(f"row has {len(cells)} of {width} columns (export cut off?)",
                              path=path, line=line, field=first_missing)
        yield Row(line, {f: cells[i] if i < len(cells) else None
                         for f, i in header_map.items()})
    if header_map is None:
        names = ", ".join(required or list(wanted))
        raise SourceError(f"no header row with a column for {names}"
                          f"{_override_hint(list(required), columns)}", path=path)


def _match_header(cells: Sequence[object], wanted: Mapping[str, set[str]]) -> dict[str, int]:
    found: dict[str, int] = {}
    normalized = [normalize_header(c) for c in cells]
    for field_name, names in wanted.items():
        for i, cell in enumerate(normalized):
            if cell and cell in names:
                found[field_name] = i
                break
    return found


def _override_hint(missing: Sequence[str], columns: Mapping[str, str] | None) -> str:
    if not missing:
        return ""
    example = ", ".join(f'{f} = "<header>"' for f in missing)
    return f" (set columns = {{ {example} }} in the config)"


def _csv_like(path: Path) -> bool:
    return path.suffix.lower() not in (".xlsx", ".xlsm")


def _csv_rows(path: Path) -> Iterator[tuple[int, list[object]]]:
    try:
        with open_text(path) as fh:
            sample = fh.read(4096)
            fh.seek(0)
            try:
                dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(
                    sample, delimiters=",;\t|")
            except csv.Error:
                dialect = csv.excel
            reader = csv.reader(fh, dialect, strict=True)
            try:
                for cells in reader:
                    yield reader.line_num, list(cells)
            except csv.Error as exc:
                raise SourceError(f"malformed CSV: {exc}", path=path,
                                  line=reader.line_num) from exc
    except OSError as exc:
        raise SourceError(f"cannot read: {exc}", path=path) from exc


def _xlsx_rows(path: Path, sheet: str | None) -> Iterator[tuple[int, list[object]]]:
    import zipfile

    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (OSError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise SourceError(f"not a readable XLSX workbook: {exc}", path=path) from exc
    try:
        if sheet is not None and sheet not in book.sheetnames:
            raise SourceError(f"no sheet {sheet!r}; sheets: {', '.join(book.sheetnames)}",
                              path=path)
        ws = book[sheet] if sheet else book.worksheets[0]
        for number, cells in enumerate(ws.iter_rows(values_only=True), start=1):
            yield number, list(cells)
    finally:
        book.close()

"""CSV and XLSX exports read by header alias: the one table reader every connector shares.

Tools name their columns as the report author chose (`IP Address`, `IPAddress`, `IP`), so
each connector declares aliases per field, most specific first, and this module finds the
header row, maps the columns, and hands back rows keyed by field name. Every error names the
file, the line and the column as the file spells it (`field 'Last Audit Date'`).
"""

from __future__ import annotations

import csv
import re
import socket
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from auditor.addresses import canonical_host
from auditor.errors import ConfigError, SourceError
from connectors.shared.files import open_text
from connectors.shared.values import DateRangeError, cell_text, parse_bool, parse_datetime
from connectors.spec import SourceSpec

#: How many leading rows may hold report titles before the header row.
HEADER_SEARCH_ROWS = 20

_pton, _ntoa, _AF_INET = socket.inet_pton, socket.inet_ntoa, socket.AF_INET

#: What exports put in an address cell that has no address.
_NO_ADDRESS = frozenset({"n/a", "na", "none", "null", "-", "--", "unknown", "dhcp",
                         "0.0.0.0", "::"})


class Row:
    """One data row: field name -> cell (str, or datetime/number from XLSX).

    A row keeps its file's cells as read and shares one field -> column map with every
    other row of the file: a million-row export costs a list per row, not a dict too.
    """

    __slots__ = ("line", "path", "headers", "_cells", "_columns")

    def __init__(self, line: int, values: Mapping[str, object], path: Path | None = None,
                 headers: Mapping[str, str] | None = None) -> None:
        self.line = line
        self.path = path
        self.headers: Mapping[str, str] = headers if headers is not None else {}
        """Field name -> its header text as written in the file, for error messages."""
        self._cells: Sequence[object] = list(values.values())
        self._columns: Mapping[str, int] = {name: i for i, name in enumerate(values)}

    @classmethod
    def of_cells(cls, line: int, cells: Sequence[object], columns: Mapping[str, int],
                 path: Path | None, headers: Mapping[str, str]) -> Row:
        """A row over `cells` as read, `columns` mapping each field to its cell's index (a
        cell past the end of a short row is None)."""
        row = cls.__new__(cls)
        row.line, row.path, row.headers, row._cells, row._columns = (
            line, path, headers, cells, columns)
        return row

    @property
    def values(self) -> Mapping[str, object]:
        """Field name -> cell, None where the row is too short to have it."""
        return {name: self.get(name) for name in self._columns}

    def get(self, name: str) -> object:
        """The cell as read (None when empty-by-absence or no such column)."""
        i = self._columns.get(name)
        if i is None or i >= len(self._cells):
            return None
        return self._cells[i]

    def cells(self, names: Sequence[str]) -> list[object]:
        """`get` of each of `names`, in one call (a connector reading a million rows)."""
        cells, columns, size = self._cells, self._columns, len(self._cells)
        out: list[object] = []
        for name in names:
            i = columns.get(name)
            out.append(None if i is None or i >= size else cells[i])
        return out

    def text(self, name: str) -> str:
        """The cell as stripped text ('' when empty or no such column)."""
        value = self.get(name)
        if value.__class__ is str:
            return value.strip()
        return cell_text(value)

    def error(self, name: str, message: str) -> SourceError:
        return SourceError(message, path=self.path, line=self.line,
                           field=self.headers.get(name, name))

    def date(self, name: str, date_format: str | None = None) -> datetime | None:
        """The cell as a naive datetime (None when empty); a bad date names line and column."""
        try:
            return parse_datetime(self.get(name), date_format)
        except DateRangeError as exc:  # read fine, but no real time: no format hint
            raise self.error(name, str(exc)) from exc
        except ValueError as exc:
            hint = f" (date_format is {date_format!r})" if date_format else \
                " (ISO 8601 or US month/day/year expected; set date_format in the config)"
            raise self.error(name, f"{exc}{hint}") from exc

    def flag(self, name: str, *, default: bool) -> bool:
        """A yes/no cell; empty (or no such column) means `default`."""
        value = parse_bool(self.get(name), default=default)
        if value is None:
            raise self.error(name, f"{self.text(name)!r} is not yes/no, true/false, 1/0 "
                                   "or on/off")
        return value

    def address(self, name: str) -> str | None:
        """The canonical IP, else the lower-cased host name; None for an empty cell."""
        try:
            return target_address(self.text(name))
        except ValueError as exc:
            raise self.error(name, str(exc)) from exc


@dataclass(frozen=True, slots=True)
class TableOptions:
    """The `columns`, `date_format` and `sheet` keys of a table source, checked."""

    columns: Mapping[str, str] = field(default_factory=dict)
    date_format: str | None = None
    sheet: str | None = None

    @classmethod
    def from_spec(cls, spec: SourceSpec, aliases: Mapping[str, Sequence[str]]) -> TableOptions:
        """Validate the options without touching any file (constructors do no I/O)."""
        where = f"source {spec.name!r}"
        columns = spec.options.get("columns") or {}
        if not isinstance(columns, Mapping) or not all(
                isinstance(v, str) and v.strip() for v in columns.values()):
            raise ConfigError(f"{where}: columns must map field names to header texts, "
                              f'e.g. {{ address = "Workstation IP" }}')
        unknown = sorted(set(columns) - set(aliases))
        if unknown:
            raise ConfigError(f"{where}: columns: unknown field {', '.join(unknown)}; "
                              f"valid: {', '.join(sorted(aliases))}")
        for key in ("date_format", "sheet"):
            if not isinstance(spec.options.get(key, ""), str):
                raise ConfigError(f"{where}: {key} must be a string")
        return cls(columns=dict(columns), date_format=spec.options.get("date_format") or None,
                   sheet=spec.options.get("sheet") or None)


def normalize_header(text: object) -> str:
    """`IP Address`, `ip_address`, `IPAddress` -> `ipaddress`."""
    return re.sub(r"[^0-9a-z]", "", str(text or "").lower())


def target_address(text: str) -> str | None:
    """Canonical IP text, or a lower-cased host name, or None when the cell holds no address.

    Raises ValueError for text that is neither (`10.20.14`, `192.1682.2.2`, `see notes`).
    """
    text = text.strip()
    try:  # the usual cell, a canonical dotted quad, costs one inet_pton
        if _ntoa(_pton(_AF_INET, text)) == text:
            return None if text == "0.0.0.0" else text
    except (OSError, ValueError):
        pass
    if not text or text.lower() in _NO_ADDRESS:
        return None
    host = canonical_host(text)
    if host is None:
        raise ValueError(f"{text!r} is neither an IP address nor a host name")
    return None if host in _NO_ADDRESS else host


def read_rows(path: Path, aliases: Mapping[str, Sequence[str]], *,
              required: Sequence[str] = (), any_of: Sequence[Sequence[str]] = (),
              columns: Mapping[str, str] | None = None,
              sheet: str | None = None) -> Iterator[Row]:
    """Yield the data rows of a CSV or XLSX export.

    Args:
        path: the export; `.xlsx`/`.xlsm` are read with openpyxl, anything else as CSV
            (delimiter sniffed: `,`, `;`, tab or `|`).
        aliases: field name -> header texts that mean it, most specific first (compared
            case- and punctuation-insensitively; the first alias present wins, wherever its
            column sits).
        required: fields that must have a column.
        any_of: groups of fields of which at least one must have a column.
        columns: user overrides, field name -> exact header text (config `columns`).
        sheet: XLSX sheet name; the first sheet by default.

    The header row is the first of the leading rows holding every required field. When none
    does, `SourceError` names the likeliest header row and lists its headers. A row shorter
    than the header (an export cut off mid-row) raises `SourceError` with its line and the
    first missing column; blank rows and one-cell footer rows (`Total: 5`) are skipped.
    """
    wanted = {f: [normalize_header(a) for a in names] for f, names in aliases.items()}
    for name, header in (columns or {}).items():
        wanted[name] = [normalize_header(header)]
    table = _xlsx_rows(path, sheet) if _is_xlsx(path) else _csv_rows(path)
    likeliest: tuple[int, list[object], dict[str, int]] | None = None
    first: tuple[int, list[object]] | None = None
    for line, cells in table:
        if line > HEADER_SEARCH_ROWS:
            break
        found = _match_header(cells, wanted)
        if all(f in found for f in required):
            missing = [f for f in columns or {} if f not in found]
            missing += [" or ".join(g) for g in any_of if not any(f in found for f in g)]
            if missing:
                raise _no_column(path, line, cells, missing, aliases, columns)
            yield from _data_rows(path, table, cells, found)
            return
        if found and (likeliest is None or len(found) > len(likeliest[2])):
            likeliest = (line, cells, found)
        if first is None and any(c not in (None, "") for c in cells):
            first = (line, cells)
    if first is None:
        raise SourceError("the export is empty", path=path)
    line, cells = (likeliest[0], likeliest[1]) if likeliest else first
    missing = [f for f in required if f not in _match_header(cells, wanted)]
    raise _no_column(path, line, cells, missing, aliases, columns)


def _data_rows(path: Path, table: Iterator[tuple[int, list[object]]], header: list[object],
               found: Mapping[str, int]) -> Iterator[Row]:
    width = len(header)
    texts = {f: str(header[i]).strip() for f, i in found.items()}
    names = {i: texts[f] for f, i in found.items()}
    csv_like = not _is_xlsx(path)
    for line, cells in table:
        if csv_like:
            # Every CSV cell is text: blank when their concatenation strips to nothing.
            if not "".join(cells).strip():  # type: ignore[arg-type]
                continue
        elif all(c is None or str(c).strip() == "" for c in cells):
            continue
        if len(cells) == 1 and width > 1 and re.search(r"[\s:]", str(cells[0]).strip()):
            continue  # a one-cell footer such as "Total: 5" or "Generated by ..."
        if csv_like and len(cells) < width:
            first_missing = next((names[i] for i in range(len(cells), width) if i in names),
                                 f"column {len(cells) + 1}")
            raise SourceError(f"row has {len(cells)} of {width} columns (export cut off?)",
                              path=path, line=line, field=first_missing)
        yield Row.of_cells(line, cells, found, path, texts)


def _match_header(cells: Sequence[object], wanted: Mapping[str, Sequence[str]],
                  ) -> dict[str, int]:
    normalized = [normalize_header(c) for c in cells]
    found: dict[str, int] = {}
    for name, keys in wanted.items():
        for key in keys:
            if key and key in normalized:
                found[name] = normalized.index(key)
                break
    return found


def _no_column(path: Path, line: int, cells: Sequence[object], missing: Sequence[str],
               aliases: Mapping[str, Sequence[str]],
               columns: Mapping[str, str] | None) -> SourceError:
    columns = columns or {}
    wants = []
    for label in missing:
        fields = label.split(" or ")
        names = [columns[f] for f in fields if f in columns] or \
            [a for f in fields for a in aliases.get(f, ())]
        wants.append(f"{label} ({', '.join(names)})" if names else label)
    shown = ", ".join(str(c).strip() for c in cells if c not in (None, "")) or "none"
    example = ", ".join(f'{label.split(" or ")[0]} = "<header>"' for label in missing)
    return SourceError(f"no column for {'; '.join(wants)}; headers found: {shown} "
                       f"(set columns = {{ {example} }} in the config)", path=path, line=line)


def _is_xlsx(path: Path) -> bool:
    return path.suffix.lower() in (".xlsx", ".xlsm")


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
    """Rows of one sheet as the file holds them: only cells that exist, never padding.

    The `<dimension>` an XLSX declares is not trusted: a writer that claims
    `A1:XFD1048576` for one cell would otherwise have openpyxl pad every row to 16,384
    columns and invent a million empty rows. Trailing empty cells are dropped, so a row is
    as wide as its last value. Anything openpyxl raises on a damaged file (a zip of junk,
    XML that is not a worksheet) becomes a `SourceError` naming the file.
    """
    import zipfile

    import openpyxl

    if not zipfile.is_zipfile(path):
        if not path.is_file():
            raise SourceError("cannot read: no such file" if not path.exists()
                              else "cannot read: not a file", path=path)
        raise SourceError("not a readable XLSX workbook: not a zip archive (is it a CSV or "
                          "an old .xls saved with the wrong extension?)", path=path)
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl has no error root: a damaged file raises anything
        raise SourceError(f"not a readable XLSX workbook: {_why(exc)}", path=path) from exc
    try:
        if sheet is not None and sheet not in book.sheetnames:
            raise SourceError(f"no sheet {sheet!r}; sheets: {', '.join(book.sheetnames)}",
                              path=path)
        ws = book[sheet] if sheet else book.worksheets[0]
        if hasattr(ws, "reset_dimensions"):  # read-only sheets; a chartsheet has none
            ws.reset_dimensions()
        number = 0
        try:
            for number, cells in enumerate(ws.iter_rows(values_only=True), start=1):
                row = list(cells)
                while row and row[-1] is None:
                    row.pop()
                yield number, row
        except SourceError:
            raise
        except Exception as exc:  # damaged sheet XML found part way through
            raise SourceError(f"damaged XLSX worksheet {ws.title!r}: {_why(exc)}", path=path,
                              line=number + 1) from exc
    finally:
        book.close()


def _why(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__

"""Report writers: one `AuditResult` in, one file out, written whole or not at all.

`REPORTERS` maps a format name to its writer class; writer modules load on first use, so the
JSON path never pays for importing openpyxl. `base` holds what writers share, `atomic` the
whole-or-nothing file writing.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from auditor.errors import UsageError
from auditor.model import AuditResult
from reports.atomic import atomic_write, remove_dead_temp_files
from reports.base import (
    NO_OWNER,
    REASON_TEXT,
    Reporter,
    owner_names,
    owner_slug,
    owner_view,
    record_owner,
)

__all__ = ["NO_OWNER", "REASON_TEXT", "REPORTERS", "Output", "Reporter", "atomic_write",
           "owner_names", "owner_slug", "owner_view", "record_owner", "remove_dead_temp_files",
           "render_text", "reporter_for", "write_outputs", "write_owner_reports",
           "write_reports"]


class _LazyReporters(Mapping[str, type[Reporter]]):
    """Format name -> `Reporter` class, importing each module only when it is asked for."""

    def __init__(self, targets: dict[str, str]) -> None:
        self._targets = targets

    def __getitem__(self, name: str) -> type[Reporter]:
        module_name, _, class_name = self._targets[name].partition(":")
        cls: type[Reporter] = getattr(importlib.import_module(module_name), class_name)
        return cls

    def __iter__(self) -> Iterator[str]:
        return iter(self._targets)

    def __len__(self) -> int:
        return len(self._targets)


REPORTERS: Mapping[str, type[Reporter]] = _LazyReporters({
    "csv": "reports.csv_report:CsvReporter",
    "html": "reports.html_report:HtmlReporter",
    "json": "reports.json_report:JsonReporter",
    "xlsx": "reports.xlsx_report:XlsxReporter",
})


def reporter_for(fmt: str) -> Reporter:
    """A writer for format `fmt` (`json`, `xlsx`, `csv`, `html`); `UsageError` lists the valid
    ones."""
    try:
        return REPORTERS[fmt]()
    except KeyError:
        valid = ", ".join(sorted(REPORTERS))
        raise UsageError(f"unknown report format {fmt!r}; valid: {valid}") from None


@dataclass(frozen=True, slots=True)
class Output:
    """One report a command was asked for: which option, which format, where to."""

    option: str
    kind: str
    path: Path | None
    """None: standard output."""


def write_outputs(result: AuditResult, outputs: Sequence[Output]) -> list[Path]:
    """Write each planned report; return the paths written (standard output not included)."""
    written = []
    for output in outputs:
        if output.path is None:
            sys.stdout.write(render_text(output.kind, result))
            sys.stdout.flush()
        else:
            reporter_for(output.kind).write(result, output.path)
            written.append(output.path)
    return written


def write_reports(result: AuditResult, *, xlsx: Path | None, json_path: Path | None,
                  csv_path: Path | None = None) -> list[Path]:
    """Write each requested report whole (temp file, then rename); return the paths."""
    return write_outputs(result, [Output(option, kind, path) for option, kind, path in (
        ("-o", "xlsx", xlsx), ("--json", "json", json_path), ("--csv", "csv", csv_path))
        if path is not None])


def render_text(fmt: str, result: AuditResult) -> str:
    """The whole report as text, for `--json -` / `--csv -` (standard output)."""
    if fmt == "json":
        from reports.json_report import render_json

        return render_json(result)
    if fmt == "csv":
        from reports.csv_report import render_csv

        return render_csv(result)
    raise UsageError(f"a {fmt} report cannot go to standard output; valid there: csv, json")


def write_owner_reports(result: AuditResult, folder: Path, *,
                        full_reports: Sequence[Path] | None = None) -> list[Path]:
    """One XLSX per owner in `folder` (`--split-by-owner`), each holding just their work and
    opening on a covering text for a ticket (`Read me`), the same text beside it as
    `<owner>.txt`. `full_reports`: where the whole audit's reports went, for that text
    (None: not said)."""
    import operator
    import os

    from reports.base import owner_cover
    from reports.xlsx_report import XlsxReporter

    shown = None if full_reports is None else [os.path.abspath(p) for p in full_reports]
    paths: list[Path] = []
    used: set[str] = set()
    for owner in owner_names(result):
        slug = base = owner_slug(owner)
        n = 1
        while slug in used:  # two owners may slug alike ("NOC" and "noc")
            n += 1
            slug = f"{base}-{n}"
        used.add(slug)
        book, note = Path(folder) / f"{slug}.xlsx", Path(folder) / f"{slug}.txt"
        view = owner_view(result, owner)
        cover = owner_cover(result, owner, workbook=book.name, full_reports=shown, view=view)
        XlsxReporter(cover=cover).write(view, book)
        atomic_write(note, operator.methodcaller("write", cover.encode("utf-8")))
        paths += [book, note]
    return paths

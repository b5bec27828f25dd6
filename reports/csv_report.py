"""Flat CSV: one row per (finding, record), for spreadsheets, grep and scripts."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from auditor.actions import record_action
from auditor.jsonable import iso
from auditor.model import AuditResult, Finding, Target
from reports.atomic import atomic_write
from reports.base import Reporter, finding_probes, probe_words, record_owner

COLUMNS = ("address", "verdict", "polled", "reasons", "network", "source", "type", "record_id",
           "record_name", "owner", "record_polled", "state", "last_ok", "poller", "location",
           "drops", "answered", "action")

#: Leading characters that make Excel or LibreOffice read a cell as a formula (OWASP).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?([eE][+-]?\d+)?")

Cell = str | int | bool | None


def defuse(value: str) -> str:
    """Quote `value` with a leading `'` when a spreadsheet would run it as a formula.

    Plain numbers such as `-1` stay as they are: a spreadsheet reads them as numbers, not code.
    """
    if value.startswith(_FORMULA_START) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def _text(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return defuse(str(value))


#: Added after `COLUMNS` when the opt-in probes ran: what they said about the finding.
PROBE_COLUMNS = ("probes",)


def _row(result: AuditResult, finding: Finding, target: Target | None) -> list[str]:
    traffic = finding.traffic
    cells: list[Cell] = [
        finding.address, finding.verdict, finding.polled, ";".join(finding.reasons),
        finding.network]
    if target is None:
        cells += [None] * 10
    else:
        cells += [target.source, target.kind, target.id, target.name,
                  record_owner(result, target), target.polled, target.state,
                  iso(target.last_ok), target.poller, target.location]
    cells += [traffic.drops if traffic else None, traffic.answered if traffic else None,
              record_action(target, finding.verdict) if target else finding.action]
    return [_text(c) for c in cells]


def render_csv(result: AuditResult) -> str:
    """The report text, header first, findings in result order."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    probed = finding_probes(result) if result.probes is not None else None
    writer.writerow(COLUMNS + PROBE_COLUMNS if probed is not None else COLUMNS)
    for finding in result.findings:
        extra = [] if probed is None else [defuse(probe_words(probed.get(finding.address, [])))]
        for target in finding.records or (None,):
            writer.writerow(_row(result, finding, target) + extra)
    return out.getvalue()


class CsvReporter(Reporter):
    """Writes one row per (finding, record) pair, UTF-8, RFC 4180 line ends."""

    suffix = ".csv"

    def write(self, result: AuditResult, path: Path) -> None:
        """Write `result` as CSV to `path`, whole or not at all."""
        data = render_csv(result).encode("utf-8")
        atomic_write(path, lambda fh: fh.write(data))

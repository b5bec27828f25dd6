"""Report writers: JSON and CSV against golden files, XLSX read back cell by cell, atomic writes."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import zipfile
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest
from openpyxl.worksheet.worksheet import Worksheet

from auditor.errors import ReportError, UsageError
from auditor.model import VERDICT_ORDER, Finding, Reason, SourceStatus, Verdict
from reports import (
    REASON_TEXT,
    REPORTERS,
    atomic_write,
    owner_slug,
    reporter_for,
    write_owner_reports,
)
from reports.csv_report import COLUMNS, CsvReporter, defuse, render_csv
from reports.json_report import JsonReporter, render_json
from reports.xlsx_report import DATE_FORMAT, FINDING_HEADERS, SHEETS, VERDICT_FILL, XlsxReporter
from tests.conftest import FIXTURES
from tests.report_sample import AS_OF, SNMP_ERROR, sample_result

GOLDEN = FIXTURES / "reports"

#: Text a hostile or careless export could hold: each would run as a formula in a spreadsheet.
INJECTIONS = ('=HYPERLINK("http://x","y")', "+cmd|' /C calc'!A0", "@SUM(1)")


def _poisoned():
    """sample_result() with formula-looking text in record, network, ghost and input fields."""
    result = sample_result()
    first = result.findings[0]
    orion = replace(first.records[0], name=INJECTIONS[0], id=INJECTIONS[1],
                    location=INJECTIONS[2], owner="=1+1")
    findings = (replace(first, records=(orion, *first.records[1:])), *result.findings[1:])
    networks = (replace(result.networks[0], description=INJECTIONS[0]), *result.networks[1:])
    ghosts = (replace(result.ghost_flows[0], attribution=INJECTIONS[2]),
              *result.ghost_flows[1:])
    inputs = (*result.inputs[:4], replace(result.inputs[4], error=INJECTIONS[1]),
              *result.inputs[5:])
    return replace(result, findings=findings, networks=networks, ghost_flows=ghosts,
                   inputs=inputs)


def _write_xlsx(tmp_path: Path, result=None, name: str = "audit.xlsx") -> Path:
    path = tmp_path / name
    XlsxReporter().write(result or sample_result(), path)
    return path


def _row_of(ws: Worksheet, text: str, col: int = 1) -> int:
    """The first row whose cell in column `col` holds exactly `text`."""
    for (cell,) in ws.iter_rows(min_col=col, max_col=col):
        if cell.value == text:
            return cell.row
    raise AssertionError(f"{text!r} not found in column {col} of {ws.title}")


def _values(ws: Worksheet, row: int, width: int) -> list[object]:
    return [ws.cell(row=row, column=c).value for c in range(1, width + 1)]


def _fill(cell) -> str:
    return str(cell.fill.fgColor.rgb)[-6:]


# --- JSON -------------------------------------------------------------------------------------


def test_json_matches_golden_file(tmp_path: Path) -> None:
    path = tmp_path / "out" / "audit.json"
    JsonReporter().write(sample_result(), path)
    assert path.read_text(encoding="utf-8") == (GOLDEN / "sample.json").read_text("utf-8")
    assert path.read_bytes() == render_json(sample_result()).encode("utf-8")


def test_json_carries_what_other_tools_read() -> None:
    doc = json.loads((GOLDEN / "sample.json").read_text("utf-8"))
    assert list(doc) == ["schema", "audit", "sources", "findings", "ghost_flows", "logs"]
    assert doc["schema"] == "stale-audit/1"
    assert doc["audit"] == {"name": "Nightly hygiene audit",
                            "generated_at": "2026-11-24T10:00:07Z",
                            "as_of": "2026-11-24T10:00:00Z"}
    # Every input is listed, networks and logs too, and the failed one says so.
    assert [s["name"] for s in doc["sources"]] == [
        "orion", "trackit", "dcnm", "prtg", "snmp-hosts", "ipam", "fw-edge", "trackit-netstat"]
    failed = [s for s in doc["sources"] if s["status"] == "failed"]
    assert failed == [{"name": "snmp-hosts", "type": "snmp-config", "status": "failed",
                       "records": 0, "error": SNMP_ERROR}]
    top = doc["findings"][0]
    assert (top["address"], top["verdict"], top["polled"]) == ("10.99.4.20", "stale", True)
    assert top["records"][0]["id"] == "187"
    assert top["records"][0]["last_ok"] == "2019-03-02T17:45:10Z"
    assert top["traffic"]["by_message"] == {"419002": 1820}
    assert top["action"].startswith(
        "Delete node OLD-BLDG4-AP-CTRL (NodeID 187) in SolarWinds, or unmanage it; ")
    assert [f["verdict"] for f in doc["findings"]] == [
        "stale", "stale", "stale", "stale", "conflict", "unreachable", "unverified", "active"]
    assert doc["ghost_flows"][0] == {
        "src": "10.30.1.20", "dst": "10.251.9.14", "protocol": "tcp", "port": 6711,
        "count": 39088, "first_seen": "2026-11-24T06:00:04Z",
        "last_seen": "2026-11-24T09:59:58Z", "reasons": ["syn-retransmit"],
        "attribution": "TIService.exe on 10.30.1.20 (capture trackit-netstat)"}
    assert doc["logs"] == {"lines": 58256, "parsed": 58232, "unparsed": 24,
                           "by_message": {"110003": 1302, "302013": 7400, "302014": 7722,
                                          "419002": 41808}}


def test_json_keeps_non_ascii_text_readable(tmp_path: Path) -> None:
    result = replace(sample_result(), name="Audit Zürich – Gebäude 4")
    path = tmp_path / "a.json"
    JsonReporter().write(result, path)
    text = path.read_text(encoding="utf-8")
    assert '"name": "Audit Zürich – Gebäude 4"' in text
    assert json.loads(text)["audit"]["name"] == "Audit Zürich – Gebäude 4"


# --- CSV --------------------------------------------------------------------------------------


def test_csv_matches_golden_file(tmp_path: Path) -> None:
    path = tmp_path / "audit.csv"
    CsvReporter().write(sample_result(), path)
    written = path.read_bytes().decode("utf-8")
    # Compare lines, not bytes: a checkout may turn the golden file's CRLF into LF.
    assert written.splitlines() == (GOLDEN / "sample.csv").read_text("utf-8").splitlines()
    assert written.count("\r\n") == 11  # header + 10 (finding, record) rows, RFC 4180 ends


def test_csv_has_one_row_per_finding_and_record() -> None:
    rows = list(csv.DictReader(io.StringIO(render_csv(sample_result()))))
    assert tuple(rows[0]) == COLUMNS
    assert [(r["address"], r["source"], r["record_id"]) for r in rows[:2]] == [
        ("10.99.4.20", "orion", "187"), ("10.99.4.20", "trackit", "1190")]
    orion, trackit = rows[0], rows[1]
    assert orion["polled"] == orion["record_polled"] == "true"
    assert trackit["polled"] == "true" and trackit["record_polled"] == "false"
    assert orion["action"] == ("Delete node OLD-BLDG4-AP-CTRL (NodeID 187) in SolarWinds, "
                               "or unmanage it")
    assert trackit["action"] == ("Not polled (disabled); clean up when convenient: Delete asset "
                                 "OLD-BLDG4-AP-CTRL (Asset ID 1190) in Track-It!")
    assert (orion["drops"], orion["answered"], orion["last_ok"]) == (
        "1820", "0", "2019-03-02T17:45:10Z")
    assert orion["reasons"] == "deprecated-network;syn-retransmit"
    # No traffic seen: empty, not a zero that would read as "the logs saw nothing".
    print_srv = next(r for r in rows if r["address"] == "10.99.7.12")
    assert (print_srv["drops"], print_srv["answered"]) == ("", "")


def test_csv_finding_without_records_still_gets_a_row() -> None:
    bare = Finding(address="10.99.9.9", verdict=Verdict.STALE, polled=False,
                   reasons=(Reason.NO_ROUTE,), network=None, records=(), traffic=None,
                   action="Find who sends to 10.99.9.9")
    rows = list(csv.DictReader(io.StringIO(render_csv(replace(sample_result(),
                                                              findings=(bare,))))))
    assert len(rows) == 1
    assert rows[0]["address"] == "10.99.9.9"
    assert rows[0]["source"] == rows[0]["record_id"] == ""
    assert rows[0]["action"] == "Find who sends to 10.99.9.9"


def test_csv_defuses_formula_text_but_not_numbers() -> None:
    rows = list(csv.DictReader(io.StringIO(render_csv(_poisoned()))))
    orion = rows[0]
    assert orion["record_name"] == "'" + INJECTIONS[0]
    assert orion["record_id"] == "'" + INJECTIONS[1]
    assert orion["location"] == "'" + INJECTIONS[2]
    assert orion["owner"] == "'=1+1"
    assert defuse("-1") == "-1"
    assert defuse("-2.5e3") == "-2.5e3"
    assert defuse("-2+3") == "'-2+3"
    assert defuse("\tcmd") == "'\tcmd"
    assert defuse("\rcmd") == "'\rcmd"
    assert defuse("10.99.4.20") == "10.99.4.20"


# --- XLSX -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def workbook(tmp_path_factory: pytest.TempPathFactory) -> openpyxl.Workbook:
    return openpyxl.load_workbook(_write_xlsx(tmp_path_factory.mktemp("xlsx")))


def test_xlsx_sheets_in_order(workbook: openpyxl.Workbook) -> None:
    assert workbook.sheetnames == list(SHEETS) == [
        "Summary", "Findings", "Remediation", "Ghost flows", "Inbound noise", "Networks",
        "Sources", "Log rates"]


def test_summary_shouts_about_the_failed_input(workbook: openpyxl.Workbook) -> None:
    ws = workbook["Summary"]
    assert ws["A1"].value == "Stale-target audit: Nightly hygiene audit"
    assert ws["A2"].value == "1 input(s) FAILED: snmp-hosts -- findings may be incomplete"
    assert ws["A2"].font.bold
    assert _fill(ws["A2"]) == "C00000"
    top = _row_of(ws, "Inputs") + 1
    assert _values(ws, top, 7) == ["Name", "Type", "Role", "Status", "Records", "Error",
                                   "Skipped lines"]
    row = _row_of(ws, "snmp-hosts")
    assert _values(ws, row, 6) == ["snmp-hosts", "snmp-config", "source", "FAILED", 0,
                                   SNMP_ERROR]
    for cell in ws[row][:6]:
        assert _fill(cell) == "FFC7CE"
        assert cell.font.bold
    ok = _row_of(ws, "orion")
    assert _values(ws, ok, 5) == ["orion", "solarwinds-npm", "source", "ok", 4]
    assert not ws.cell(row=ok, column=1).font.bold


def test_summary_audit_facts(workbook: openpyxl.Workbook) -> None:
    ws = workbook["Summary"]
    facts = {ws.cell(row=r, column=1).value: ws.cell(row=r, column=2)
             for r in range(3, _row_of(ws, "Inputs"))}
    assert facts["Audit"].value == "Nightly hygiene audit"
    assert facts["Generated at (UTC)"].value == datetime(2026, 11, 24, 10, 0, 7)
    assert facts["Generated at (UTC)"].is_date
    assert facts["Generated at (UTC)"].number_format == DATE_FORMAT
    assert facts["As of (UTC)"].value == datetime(2026, 11, 24, 10, 0, 0)
    assert facts["Stale after (days)"].value == 14
    assert (facts["Log lines"].value, facts["Log lines parsed"].value,
            facts["Log lines unparsed"].value) == (58256, 58232, 24)
    assert facts["Findings"].value == 8
    assert facts["Ghost flows"].value == 3


def test_summary_counts_records_by_verdict_and_source(workbook: openpyxl.Workbook) -> None:
    ws = workbook["Summary"]
    top = _row_of(ws, "Records by verdict and source") + 1
    assert _values(ws, top, 8) == ["Source", "stale", "conflict", "unreachable", "unverified",
                                   "active", "Total", "Status"]
    # By hand from sample_result(): orion holds 187 (stale), 203 (conflict), 244 (unverified)
    # and 12 (active); trackit 1187, 1203 and 1190, all in the retired 10.99/16; dcnm one
    # switch outside every network and one down inside 10.30/16; prtg only the live core.
    assert [_values(ws, top + n, 8) for n in range(1, 6)] == [
        ["orion", 1, 1, 0, 1, 1, 4, "ok"],
        ["trackit", 3, 0, 0, 0, 0, 3, "ok"],
        ["dcnm", 1, 0, 1, 0, 0, 2, "ok"],
        ["prtg", 0, 0, 0, 0, 1, 1, "ok"],
        # A failed source shows FAILED, never a row of zeros that reads as "nothing stale".
        ["snmp-hosts", None, None, None, None, None, None, "FAILED"],
    ]
    assert _fill(ws.cell(row=top + 5, column=1)) == "FFC7CE"


def test_summary_counts_records_by_owner(workbook: openpyxl.Workbook) -> None:
    ws = workbook["Summary"]
    top = _row_of(ws, "Records by owner") + 1
    assert _values(ws, top, 8) == ["Owner", "stale + polled", "stale", "conflict",
                                   "unreachable", "unverified", "active", "Status"]
    rows = {ws.cell(row=r, column=1).value: _values(ws, r, 8)[1:]
            for r in range(top + 1, top + 6)}
    assert rows == {
        "Data Center Network": [1, 1, 0, 1, 0, 0, "ok"],
        "NOC - SolarWinds": [1, 1, 1, 0, 1, 1, "ok"],
        "Service Desk - Track-It!": [1, 3, 0, 0, 0, 0, "ok"],
        "Monitoring - PRTG": [0, 0, 0, 0, 0, 1, "ok"],
        "Network team": [0, 0, 0, 0, 0, 0, "FAILED: snmp-hosts"],
    }


def test_summary_has_a_findings_chart(workbook: openpyxl.Workbook) -> None:
    ws = workbook["Summary"]
    assert len(ws._charts) == 1
    top = _row_of(ws, "Findings by verdict") + 1
    assert [_values(ws, top + n, 2) for n in range(6)] == [
        ["Verdict", "Findings"], ["stale", 4], ["conflict", 1], ["unreachable", 1],
        ["unverified", 1], ["active", 1]]


def test_findings_sheet(workbook: openpyxl.Workbook) -> None:
    ws = workbook["Findings"]
    assert _values(ws, 1, 18) == list(FINDING_HEADERS) == [
        "Address", "Verdict", "Polled", "Reasons", "Reason text", "Network", "Sources",
        "Record names", "Owners", "Last OK", "Days since", "Drops", "Answered", "First seen",
        "Last seen", "Messages", "Action", "Linked host names"]
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == "A1:R9"
    # A retired network is named with its status and description, not left blank; the
    # tool's own last success and how long ago (as of the audit) stand beside it.
    assert _values(ws, 3, 17) == [
        "10.99.4.31", "stale", "yes", "deprecated-network, syn-retransmit, syn-timeout, tool-down",
        "; ".join(REASON_TEXT[r] for r in (Reason.DEPRECATED_NETWORK, Reason.SYN_RETRANSMIT,
                                           Reason.SYN_TIMEOUT, Reason.TOOL_DOWN)),
        "10.99.0.0/16 (deprecated: Building 4 (demolished 2019))", "trackit",
        "BLDG4-KIOSK-01", "Service Desk - Track-It!", datetime(2019, 2, 27, 22, 5), 2826,
        912, 0, datetime(2026, 11, 24, 6, 2, 30), datetime(2026, 11, 24, 9, 58, 1),
        "419002: 900, 302014: 12",
        "Turn off auditing for asset BLDG4-KIOSK-01 (Asset ID 1187) in Track-It!, or retire it"]
    first_seen = ws["N3"]
    assert first_seen.is_date and first_seen.number_format == DATE_FORMAT
    assert ws["J3"].is_date and isinstance(ws["L3"].value, int)
    assert ws["Q3"].alignment.wrap_text and ws["E3"].alignment.wrap_text
    # Two tools hold the first address: both named, distinct owners listed once each.
    assert _values(ws, 2, 9)[6:] == ["orion, trackit", "OLD-BLDG4-AP-CTRL",
                                     "NOC - SolarWinds, Service Desk - Track-It!"]
    fills = {ws.cell(row=r, column=2).value: _fill(ws.cell(row=r, column=2))
             for r in range(2, 10)}
    assert fills == {v.value: VERDICT_FILL[v] for v in Verdict}
    assert fills["stale"] == "FFC7CE" and fills["active"] == "C6EFCE"
    assert 40 <= ws.column_dimensions["Q"].width <= 60   # the action, wrapped


def test_remediation_blocks_put_stale_polled_first(workbook: openpyxl.Workbook) -> None:
    ws = workbook["Remediation"]
    assert _values(ws, 1, 9) == ["Verdict", "Polled", "Address", "Tool", "Type", "Record ID",
                                 "Record name", "Location", "Action"]
    noc = _row_of(ws, "NOC - SolarWinds")
    assert ws.cell(row=noc, column=1).font.bold
    assert _values(ws, noc + 1, 9) == [
        "stale", "yes", "10.99.4.20", "orion", "solarwinds-npm", "187", "OLD-BLDG4-AP-CTRL",
        "exports/npm-nodes.json",
        "Delete node OLD-BLDG4-AP-CTRL (NodeID 187) in SolarWinds, or unmanage it"]
    assert [ws.cell(row=noc + n, column=6).value for n in (2, 3)] == ["203", "244"]
    assert ws.cell(row=noc + 4, column=1).value is None  # the active node asks nothing
    desk = _row_of(ws, "Service Desk - Track-It!")
    assert [_values(ws, desk + n, 6)[:3] + [ws.cell(row=desk + n, column=6).value]
            for n in (1, 2, 3)] == [["stale", "yes", "10.99.4.31", "1187"],
                                    ["stale", "no", "10.99.4.20", "1190"],
                                    ["stale", "no", "10.99.7.12", "1203"]]
    dc = _row_of(ws, "Data Center Network")
    assert ws.cell(row=dc + 1, column=9).value == (
        "Delete switch old-dist-sw3 (switchDbID 215090) from fabric DC1-LAN in DCNM")
    prtg = _row_of(ws, "Monitoring - PRTG")
    assert ws.cell(row=prtg + 1, column=1).value == "Nothing to fix"
    team = _row_of(ws, "Network team")
    assert ws.cell(row=team + 1, column=1).value == (
        "Source snmp-hosts FAILED to load: its records are missing from this list")
    assert _fill(ws.cell(row=team + 1, column=1)) == "FFC7CE"


def test_ghost_network_source_and_rate_sheets(workbook: openpyxl.Workbook) -> None:
    ghosts = workbook["Ghost flows"]
    assert _values(ghosts, 1, 9) == ["Source", "Destination", "Protocol", "Port", "Count",
                                     "First seen", "Last seen", "Reasons", "Attribution"]
    assert _values(ghosts, 4, 9) == ["10.20.14.57", "10.88.1.1", "tcp", 445, 3,
                                     datetime(2026, 11, 24, 9, 12, 44),
                                     datetime(2026, 11, 24, 9, 13, 14), "syn-timeout", None]
    assert ghosts["F2"].is_date
    nets = workbook["Networks"]
    assert _values(nets, 5, 5) == ["10.99.0.0/16", "deprecated", "ipam",
                                   "networks/prefixes.csv:5", "Building 4 (demolished 2019)"]
    sources = workbook["Sources"]
    assert _values(sources, 6, 6) == ["snmp-hosts", "snmp-config", "source", "FAILED", 0,
                                      SNMP_ERROR]
    assert _fill(sources["A6"]) == "FFC7CE"
    rates = workbook["Log rates"]
    assert [_values(rates, r, 2) for r in range(1, 6)] == [
        ["Hour (UTC)", "Drop lines"], [datetime(2026, 11, 24, 6, 0), 1990],
        [datetime(2026, 11, 24, 7, 0), 13020], [datetime(2026, 11, 24, 8, 0), 14130],
        [datetime(2026, 11, 24, 9, 0), 13985]]
    assert rates["A2"].is_date
    assert len(rates._charts) == 1


def test_summary_without_failures_has_no_failure_line(tmp_path: Path) -> None:
    result = sample_result()
    ok_inputs = tuple(i for i in result.inputs if i.status is SourceStatus.OK)
    result = replace(result, inputs=ok_inputs, hourly={datetime(2026, 11, 24, 6): 5})
    wb = openpyxl.load_workbook(_write_xlsx(tmp_path, result))
    ws = wb["Summary"]
    assert ws["A2"].value is None
    assert not any("FAILED" in str(c.value) for row in ws.iter_rows() for c in row)
    remediation = wb["Remediation"]
    row = _row_of(remediation, "Network team")
    assert remediation.cell(row=row + 1, column=1).value == "Nothing to fix"
    assert wb["Log rates"]._charts == []  # one hour is no trend


def test_xlsx_writes_input_text_as_text_never_formula(tmp_path: Path) -> None:
    path = _write_xlsx(tmp_path, _poisoned())
    wb = openpyxl.load_workbook(path)
    findings = wb["Findings"]
    assert findings["H2"].value == INJECTIONS[0] + ", OLD-BLDG4-AP-CTRL"
    remediation = wb["Remediation"]
    row = _row_of(remediation, "=1+1")
    cells = [remediation.cell(row=row + 1, column=c) for c in (6, 7, 8)]
    assert [c.value for c in cells] == [INJECTIONS[1], INJECTIONS[0], INJECTIONS[2]]
    cells.append(remediation.cell(row=row, column=1))
    cells.append(wb["Networks"]["E2"])
    cells.append(wb["Ghost flows"]["I2"])
    cells.append(wb["Sources"]["F6"])
    assert [c.value for c in cells[3:]] == ["=1+1", INJECTIONS[0], INJECTIONS[2],
                                            INJECTIONS[1]]
    for cell in cells:
        assert cell.data_type == "s", (cell.coordinate, cell.value)
    with zipfile.ZipFile(path) as zf:
        sheets = [n for n in zf.namelist() if n.startswith("xl/worksheets/sheet")]
        assert len(sheets) == len(SHEETS)
        for name in sheets:
            xml = zf.read(name).decode("utf-8")
            assert not re.search(r"<f[ >]", xml), name  # no formula anywhere


def test_xlsx_replaces_control_characters(tmp_path: Path) -> None:
    # An export with a stray control byte must not make the workbook unreadable.
    result = sample_result()
    net = replace(result.networks[0], description="core\x00\x07 aggregate")
    path = _write_xlsx(tmp_path, replace(result, networks=(net, *result.networks[1:])))
    assert openpyxl.load_workbook(path)["Networks"]["E2"].value == "core\ufffd\ufffd aggregate"


def test_xlsx_keeps_markup_characters_edge_spaces_and_early_dates(tmp_path: Path) -> None:
    result = sample_result()
    first = result.findings[0]
    orion = replace(first.records[0], name=" <core> & 'edge' ",
                    last_ok=datetime(1900, 1, 15, 12, 0))   # before Excel's 1900 leap day
    findings = (replace(first, records=(orion, *first.records[1:])), *result.findings[1:])
    book = openpyxl.load_workbook(_write_xlsx(tmp_path, replace(result, findings=findings)))
    remediation = book["Remediation"]
    row = _row_of(remediation, "NOC - SolarWinds") + 1
    assert remediation.cell(row=row, column=7).value == " <core> & 'edge' "
    assert book["Findings"]["J2"].value == datetime(1900, 1, 15, 12, 0)
    assert book["Findings"]["K2"].value == (AS_OF - datetime(1900, 1, 15, 12, 0)).days


def test_large_audit_writes_every_row_streamed(tmp_path: Path) -> None:
    """The writer streams rows (`benchmarks/bench_xlsx.py` times 100,000 findings); a smaller
    audit of the same shape reads back whole: every finding, record, probe and change."""
    from benchmarks.bench_xlsx import synthetic_result

    result = synthetic_result(3000, seed=7, probes=True)
    book = openpyxl.load_workbook(_write_xlsx(tmp_path, result))
    assert book.sheetnames == [*SHEETS, "Probes", "Changes"]
    findings = book["Findings"]
    assert findings.max_row == 3001
    assert findings.freeze_panes == "A2" and findings.auto_filter.ref == "A1:S3001"
    addresses = [row[0] for row in findings.iter_rows(min_row=2, max_col=1, values_only=True)]
    assert addresses == [f.address for f in result.findings]
    last = result.findings[-1]
    assert _fill(findings.cell(row=3001, column=2)) == VERDICT_FILL[last.verdict]
    assert findings.cell(row=3001, column=3).value == ("yes" if last.polled else "no")
    remediation = book["Remediation"]
    listed = [row for row in remediation.iter_rows(min_row=2, values_only=True) if row[1]]
    assert len(listed) == sum(len(f.records) for f in result.findings
                              if f.verdict is not Verdict.ACTIVE)
    probes = book["Probes"]
    assert probes.max_row == len(result.probes.results) + 1
    changes = result.changes
    groups = len(changes.new) + len(changes.resolved) + len(changes.still_open)
    sheet = book["Changes"]
    assert sheet.max_row == groups + 3
    assert sheet.cell(row=groups + 3, column=1).value == changes.summary_line()


def test_xlsx_opens_in_libreoffice(tmp_path: Path) -> None:
    office = shutil.which("libreoffice") or shutil.which("soffice")
    if office is None:
        pytest.skip("LibreOffice (libreoffice/soffice) is not on PATH")
    path = _write_xlsx(tmp_path)
    out = tmp_path / "converted"
    subprocess.run([office, f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}",
                    "--headless", "--convert-to", "csv", "--outdir", str(out), str(path)],
                   check=True, capture_output=True, timeout=300)
    summary = (out / "audit.csv").read_text(encoding="utf-8", errors="replace")
    assert "Stale-target audit: Nightly hygiene audit" in summary
    assert "1 input(s) FAILED: snmp-hosts" in summary


# --- per-owner workbooks ----------------------------------------------------------------------


def test_owner_slug() -> None:
    assert owner_slug("NOC - SolarWinds") == "noc-solarwinds"
    assert owner_slug("Service Desk - Track-It!") == "service-desk-track-it"
    assert owner_slug("Réseau / Zürich") == "reseau-zurich"
    assert owner_slug("***") == "no-owner"


def test_split_by_owner_writes_each_owner_their_list(tmp_path: Path) -> None:
    paths = write_owner_reports(sample_result(), tmp_path / "owners")
    assert sorted(p.name for p in paths if p.suffix == ".xlsx") == [
        "data-center-network.xlsx", "monitoring-prtg.xlsx", "network-team.xlsx",
        "noc-solarwinds.xlsx", "service-desk-track-it.xlsx"]
    # each beside its covering text (tests/test_owner_reports.py reads it)
    assert sorted(p.name for p in paths if p.suffix == ".txt") == [
        "data-center-network.txt", "monitoring-prtg.txt", "network-team.txt",
        "noc-solarwinds.txt", "service-desk-track-it.txt"]
    noc = openpyxl.load_workbook(tmp_path / "owners" / "noc-solarwinds.xlsx")
    rem = noc["Remediation"]
    start = _row_of(rem, "NOC - SolarWinds")
    assert [rem.cell(row=start + n, column=6).value for n in (1, 2, 3)] == ["187", "203", "244"]
    assert {rem.cell(row=r, column=4).value for r in range(2, rem.max_row + 1)} - {None} == {
        "orion"}
    findings = noc["Findings"]
    # The shared address keeps only SolarWinds' record and action.
    assert _values(findings, 2, 15)[6:9] == ["orion", "OLD-BLDG4-AP-CTRL", "NOC - SolarWinds"]
    assert findings["Q2"].value == (
        "Delete node OLD-BLDG4-AP-CTRL (NodeID 187) in SolarWinds, or unmanage it")
    assert findings.max_row == 4  # 187, 203, 244; CORE-SW1 answers: no action, not listed
    assert noc["Summary"]["A1"].value == (
        "Stale-target audit: Nightly hygiene audit - NOC - SolarWinds")
    assert noc["Summary"]["A2"].value is None  # another owner's failure is not theirs
    assert noc["Ghost flows"].max_row == 1

    team = openpyxl.load_workbook(tmp_path / "owners" / "network-team.xlsx")
    assert team["Summary"]["A2"].value == (
        "1 input(s) FAILED: snmp-hosts -- findings may be incomplete")
    rem = team["Remediation"]
    row = _row_of(rem, "Network team")
    assert rem.cell(row=row + 1, column=1).value == (
        "Source snmp-hosts FAILED to load: its records are missing from this list")


# --- registry and atomic writes ---------------------------------------------------------------


def test_registry_names_formats_and_json_skips_openpyxl() -> None:
    assert sorted(REPORTERS) == ["csv", "html", "json", "xlsx"]
    assert REPORTERS["xlsx"] is XlsxReporter and REPORTERS["json"] is JsonReporter
    assert isinstance(reporter_for("csv"), CsvReporter)
    with pytest.raises(UsageError,
                       match="unknown report format 'pdf'; valid: csv, html, json, xlsx"):
        reporter_for("pdf")
    code = ("import sys, reports; reports.REPORTERS['json']; reports.REPORTERS['csv']; "
            "reports.REPORTERS['html']; print('openpyxl' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=Path(__file__).resolve().parent.parent)
    assert out.stdout.strip() == "False"


def test_atomic_write_failure_leaves_nothing_behind(tmp_path: Path) -> None:
    target = tmp_path / "new" / "audit.json"

    def half_then_fail(fh) -> None:
        fh.write(b'{"schema": ')
        raise RuntimeError("disk on fire")

    with pytest.raises(ReportError) as info:
        atomic_write(target, half_then_fail)
    assert str(info.value) == f"cannot write report {target}: disk on fire"
    assert isinstance(info.value.__cause__, RuntimeError)
    assert list(target.parent.iterdir()) == []


#: Run in a fresh interpreter: "Exception ignored in ZipFile.__del__" is printed by the garbage
#: collector at exit, where pytest's own unraisable-exception hook would hide it.
FULL_DISK_SCRIPT = """
import errno, io, os, sys
from auditor.cli import main

class FullDisk(io.RawIOBase):
    # A temp file on a disk that fills up after `room` bytes.
    def __init__(self, fh, room):
        self.fh, self.room = fh, room
    def writable(self): return True
    def seekable(self): return True
    def write(self, data):
        if self.fh.tell() + len(data) > self.room:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return self.fh.write(data)
    def tell(self): return self.fh.tell()
    def seek(self, *args): return self.fh.seek(*args)
    def fileno(self): return self.fh.fileno()
    def flush(self):
        if not self.fh.closed:
            self.fh.flush()
    def close(self):
        super().close()
        self.fh.close()

room = int(sys.argv[1])
real_fdopen = os.fdopen

def fdopen(fd, mode="r", *args, **kwargs):  # how atomic_write opens its temp file
    fh = real_fdopen(fd, mode, *args, **kwargs)
    return FullDisk(fh, room) if mode == "wb" else fh

os.fdopen = fdopen
sys.exit(main(sys.argv[2:]))
"""


@pytest.mark.parametrize("room", [100, 3000, 9000])
def test_disk_full_keeps_old_report_and_prints_one_line(tmp_path: Path, room: int) -> None:
    from auditor.demo import build_network

    config = build_network(tmp_path / "net", datetime(2026, 11, 24, 10))
    target = tmp_path / "audit.xlsx"
    target.write_bytes(b"last night's report")
    run = subprocess.run(
        [sys.executable, "-c", FULL_DISK_SCRIPT, str(room), "audit", "-c", str(config),
         "-o", str(target), "--as-of", "2026-11-24T10:00Z"],
        capture_output=True, text=True, cwd=Path(__file__).resolve().parent.parent,
        timeout=120)
    assert run.returncode == 2
    assert run.stderr == (f"stale-audit: error: cannot write report {target}: "
                          "[Errno 28] No space left on device\n")
    assert target.read_bytes() == b"last night's report"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["audit.xlsx", "net"]


def test_temp_file_names_the_writing_process(tmp_path: Path) -> None:
    target = tmp_path / "audit.json"
    seen: list[str] = []
    atomic_write(target, lambda fh: seen.extend(p.name for p in tmp_path.iterdir()))
    assert len(seen) == 1
    assert re.fullmatch(rf"\.audit\.json\.{os.getpid()}\.[a-z0-9_]{{8}}\.tmp", seen[0])


@pytest.mark.skipif(os.name != "posix", reason="pid liveness is checked on POSIX only")
def test_next_write_removes_leftovers_of_dead_writers_only(tmp_path: Path) -> None:
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                              capture_output=True, text=True, check=True)
    dead = int(finished.stdout)  # that process has exited
    killed = tmp_path / f".audit.xlsx.{dead}.k1ll3d_x.tmp"
    other_killed = tmp_path / f".owners.json.{dead}.abcdefgh.tmp"
    live = tmp_path / f".audit.xlsx.{os.getppid()}.st1llw_r.tmp"  # our parent still runs
    mine = tmp_path / f".audit.csv.{os.getpid()}.wr1t1ng_.tmp"
    unrelated = tmp_path / f".notes.{dead}.tmp"
    for path in (killed, other_killed, live, mine, unrelated):
        path.write_bytes(b"half a report")
    CsvReporter().write(sample_result(), tmp_path / "audit.csv")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["audit.csv", live.name, mine.name, unrelated.name])


def test_atomic_write_replaces_whole_file_with_plain_permissions(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "er" / "audit.csv"
    CsvReporter().write(sample_result(), target)
    CsvReporter().write(replace(sample_result(), findings=()), target)
    assert target.read_text("utf-8").splitlines() == [",".join(COLUMNS)]
    assert [p.name for p in target.parent.iterdir()] == ["audit.csv"]
    if os.name == "posix":  # mkstemp's 0600 must not leak into the report
        umask = os.umask(0o022)
        os.umask(umask)
        assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~umask


def test_writing_over_a_folder_is_a_report_error(tmp_path: Path) -> None:
    (tmp_path / "audit.json").mkdir()
    with pytest.raises(ReportError, match="cannot write report .*audit.json"):
        JsonReporter().write(sample_result(), tmp_path / "audit.json")
    assert [p.name for p in tmp_path.iterdir()] == ["audit.json"]


def test_inbound_noise_sheet_and_ghost_flows_not_listed(tmp_path: Path) -> None:
    from dataclasses import replace

    from auditor.model import FoldedFlows

    result = replace(sample_result(), ghosts_folded=FoldedFlows(flows=41, lines=97))
    path = tmp_path / "audit.xlsx"
    XlsxReporter().write(result, path)
    book = openpyxl.load_workbook(path)
    noise = book["Inbound noise"]
    assert _values(noise, 3, 2) == ["Flows", 3]
    assert _values(noise, 4, 2) == ["Lines", 120]
    assert [_values(noise, r, 3) for r in (6, 7, 8)] == [
        ["Protocol", "Port", "Lines"], ["tcp", 445, 118], ["udp", 1900, 2]]
    assert [_values(noise, r, 2) for r in (10, 11, 12)] == [
        ["Top sender", "Lines"], ["203.0.113.7", 80], ["203.0.113.45", 40]]
    ghosts = book["Ghost flows"]
    last = ghosts.max_row
    assert ghosts.cell(row=last, column=1).value == (
        "41 more flows (97 lines), the least busy, are counted here and not listed")
    summary = book["Summary"]
    row = _row_of(summary, "Inbound noise (drop lines from outside)")
    assert summary.cell(row=row, column=2).value == 120
    row = _row_of(summary, "Host names not tied to an address")
    assert summary.cell(row=row, column=2).value == 1


def test_summary_counts_centred_and_bars_in_verdict_colours(
        workbook: openpyxl.Workbook) -> None:
    """Numbers sit centred under their headers (never `6ok` beside the status), each bar is
    drawn in its verdict's colour, and the axis counts whole findings from 0."""
    ws = workbook["Summary"]
    top = _row_of(ws, "Records by verdict and source") + 1
    header = [ws.cell(row=top, column=c) for c in range(1, len(VERDICT_ORDER) + 4)]
    assert [c.value for c in header[-2:]] == ["Total", "Status"]
    assert all(c.alignment.horizontal == "center" for c in header[1:])
    counts = [ws.cell(row=top + 1, column=c) for c in range(2, len(VERDICT_ORDER) + 3)]
    assert all(isinstance(c.value, int) and c.alignment.horizontal == "center" for c in counts)
    chart = ws._charts[0]
    fills = [str(p.graphicalProperties.solidFill.srgbClr) for p in chart.series[0].dPt]
    assert fills == [VERDICT_FILL[v] for v in VERDICT_ORDER]
    assert chart.y_axis.scaling.min == 0 and chart.y_axis.numFmt.formatCode == "0"
    assert chart.y_axis.majorUnit >= 1


def test_findings_print_readably(workbook: openpyxl.Workbook) -> None:
    """Printed or saved as PDF, the 18-column Findings sheet spans two pages with its header
    row and address column on each (one page made its text unreadable), and a row is as tall
    as its wrapped reason and action text."""
    ws = workbook["Findings"]
    assert ws.page_setup.fitToWidth == 2 and ws.page_setup.orientation == "landscape"
    assert (ws.print_title_rows, ws.print_title_cols) == ("$1:$1", "$A:$A")
    assert workbook["Summary"].page_setup.fitToWidth == 1
    action = FINDING_HEADERS.index("Action") + 1
    for row in range(2, ws.max_row + 1):
        text = str(ws.cell(row=row, column=action).value or "")
        lines = -(-len(text) // 55)
        height = ws.row_dimensions[row].height
        assert (height or 15) >= 15 * min(lines, 20)
        assert ws.cell(row=row, column=1).alignment.vertical == "top"

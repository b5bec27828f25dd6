"""What the probes said, in every report: per target the kind, result, latency and error;
in the summary, the packets the audit sent and the targets left alone outside `allow`.

A report of an audit without probes is unchanged (`tests/test_reports.py` keeps its golden
files); these cover the same sample audit with a probe run added.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from pathlib import Path

import openpyxl

from auditor.model import AuditResult, ProbeKind, ProbeResult, ProbeRun, ProbeStatus
from reports.csv_report import COLUMNS, render_csv
from reports.json_report import JsonReporter, audit_document, render_json
from reports.xlsx_report import FINDING_HEADERS, SHEETS, XlsxReporter
from tests.report_sample import sample_result

RESULTS = (
    ProbeResult("ops-nms.corp.example", ProbeKind.DNS, ProbeStatus.OK, latency=0.0042,
                detail="10.20.1.5", attempts=1, answers=("10.20.1.5",)),
    ProbeResult("10.20.1.5", ProbeKind.SNMP, ProbeStatus.OK, port=161, latency=0.00185,
                detail="sysName core-sw-01, up 12d 04:10:22", attempts=1),
    ProbeResult("10.20.8.40", ProbeKind.TCP, ProbeStatus.TIMEOUT, port=22,
                error="no answer in 2.00 s (2 attempts)", attempts=2),
    ProbeResult("10.99.4.20", ProbeKind.TCP, ProbeStatus.SKIPPED, port=10597,
                error="outside [probe] allow (10.20.0.0/16, 10.30.0.0/16): never probed"),
)
RUN = ProbeRun(results=RESULTS, packets=5, dns_lookups=1, seconds=2.345678, rate=100.0,
               peak_sockets=3, allow=("10.20.0.0/16", "10.30.0.0/16"),
               outside_allow=("10.99.4.20",))


def probed() -> AuditResult:
    result = sample_result()
    findings = tuple(replace(f, names=("ops-nms.corp.example",)) if f.address == "10.20.1.5"
                     else f for f in result.findings)
    return replace(result, findings=findings, probes=RUN)


def test_json_adds_a_probes_object_after_the_spec_keys(tmp_path: Path) -> None:
    result = probed()
    text = render_json(result)
    assert text == json.dumps(audit_document(result), ensure_ascii=False, indent=2) + "\n"
    path = tmp_path / "audit.json"
    JsonReporter().write(result, path)
    assert path.read_text("utf-8") == text
    doc = json.loads(text)
    assert list(doc) == ["schema", "audit", "sources", "findings", "ghost_flows", "logs",
                         "probes"]
    assert doc["probes"] == {
        "allow": ["10.20.0.0/16", "10.30.0.0/16"], "rate": 100.0, "seconds": 2.346,
        "packets": 5, "dns_lookups": 1, "peak_sockets": 3, "outside_allow": ["10.99.4.20"],
        "results": [
            {"address": "ops-nms.corp.example", "kind": "dns", "port": None, "result": "ok",
             "latency_ms": 4.2, "error": None, "detail": "10.20.1.5", "attempts": 1,
             "answers": ["10.20.1.5"]},
            {"address": "10.20.1.5", "kind": "snmp", "port": 161, "result": "ok",
             "latency_ms": 1.85, "error": None,
             "detail": "sysName core-sw-01, up 12d 04:10:22", "attempts": 1, "answers": []},
            {"address": "10.20.8.40", "kind": "tcp", "port": 22, "result": "timeout",
             "latency_ms": None, "error": "no answer in 2.00 s (2 attempts)", "detail": None,
             "attempts": 2, "answers": []},
            {"address": "10.99.4.20", "kind": "tcp", "port": 10597, "result": "skipped",
             "latency_ms": None,
             "error": "outside [probe] allow (10.20.0.0/16, 10.30.0.0/16): never probed",
             "detail": None, "attempts": 0, "answers": []}]}
    assert "probes" not in json.loads(render_json(sample_result()))


def test_csv_adds_a_probes_column_per_finding() -> None:
    rows = list(csv.reader(io.StringIO(render_csv(probed()))))
    assert tuple(rows[0]) == (*COLUMNS, "probes")
    by_address = {row[0]: row[-1] for row in rows[1:]}
    assert by_address["10.20.1.5"] == "dns ops-nms.corp.example ok 4.2 ms; snmp/161 ok 1.9 ms"
    assert by_address["10.20.8.40"] == "tcp/22 timeout"
    assert by_address["10.99.4.20"] == "tcp/10597 skipped"
    assert by_address["10.251.3.7"] == ""
    assert tuple(next(csv.reader(io.StringIO(render_csv(sample_result()))))) == COLUMNS


def test_xlsx_probes_sheet_findings_column_and_summary_facts(tmp_path: Path) -> None:
    path = tmp_path / "audit.xlsx"
    XlsxReporter().write(probed(), path)
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == [*SHEETS, "Probes"]
    ws = wb["Probes"]
    rows = [[c.value for c in row] for row in ws.iter_rows()]
    assert rows == [
        ["Address", "Kind", "Port", "Result", "Latency (ms)", "Error", "Answer", "Attempts"],
        ["ops-nms.corp.example", "dns", None, "ok", 4.2, None, "10.20.1.5", 1],
        ["10.20.1.5", "snmp", 161, "ok", 1.85, None, "sysName core-sw-01, up 12d 04:10:22", 1],
        ["10.20.8.40", "tcp", 22, "timeout", None, "no answer in 2.00 s (2 attempts)", None, 2],
        ["10.99.4.20", "tcp", 10597, "skipped", None,
         "outside [probe] allow (10.20.0.0/16, 10.30.0.0/16): never probed", None, 0]]
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref == "A1:H5"
    findings = wb["Findings"]
    header = [c.value for c in findings[1]]
    assert header == [*FINDING_HEADERS, "Probes"]
    probes_col = len(header)
    cells = {findings.cell(row=r, column=1).value: findings.cell(row=r, column=probes_col).value
             for r in range(2, findings.max_row + 1)}
    assert cells["10.20.1.5"] == "dns ops-nms.corp.example ok 4.2 ms; snmp/161 ok 1.9 ms"
    assert cells["10.99.7.12"] is None
    summary = wb["Summary"]
    facts = {summary.cell(row=r, column=1).value: summary.cell(row=r, column=2).value
             for r in range(1, 40)}
    assert facts["Probe packets sent"] == 5
    assert facts["Probe DNS look-ups"] == 1
    assert facts["Probe targets skipped (outside allow)"] == 1
    assert facts["Probe rate limit (packets/s)"] == 100
    assert facts["Probe run (seconds)"] == 2.35

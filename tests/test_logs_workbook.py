"""`stale-audit logs -o F.xlsx`: a workbook shaped for firewall logs alone (what was read, top
destinations and senders, every drop flow, hourly rates per message, inbound noise), not an
audit workbook with an empty findings chart and "Stale after (days) 0"."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import openpyxl
import pytest

from auditor.cli import main
from auditor.model import AuditResult, FoldedFlows, GhostFlow, InputStatus, LogStats, Reason
from auditor.model import SourceStatus as Status
from reports.xlsx_report import LOGS_SHEETS, SHEETS, LogsXlsxReporter, XlsxReporter

START = datetime(2026, 11, 22, 6)
#: Per hour, four hours: 10.30.1.41 retries 10.251.9.14 (100 duplicate SYNs) and cannot
#: route to 10.98.4.2 (10 no-routes); 10.30.1.20 retries 10.251.9.14 too (30).
FLOWS = (("10.30.1.41", "10.251.9.14", 100), ("10.30.1.20", "10.251.9.14", 30))


def _asa_log(path: Path) -> Path:
    lines = []
    for hour in range(4):
        when = START + timedelta(hours=hour)
        for src, dst, per_hour in FLOWS:
            for n in range(per_hour):
                t = when + timedelta(seconds=n * 3600 // per_hour + (5 if per_hour == 30 else 0))
                lines.append(f"{t:%b %d %Y %H:%M:%S}: %ASA-4-419002: Received duplicate TCP SYN "
                             f"from dc:{src}/{40000 + n} to fab:{dst}/6711 with different "
                             "initial sequence number.\n")
        for n in range(10):
            t = when + timedelta(seconds=n * 360 + 7)
            lines.append(f"{t:%b %d %Y %H:%M:%S}: %ASA-6-110003: Routing failed to locate next "
                         "hop for UDP from dc:10.30.1.41/50000 to dc:10.98.4.2/161\n")
    lines.sort()
    lines.append("a line no firewall wrote\n")
    path.write_text("".join(lines))
    return path


def _rows(ws) -> list[tuple]:
    return list(ws.iter_rows(min_row=2, values_only=True))


def _facts(ws) -> dict[object, object]:
    return {row[0]: row[1] for row in ws.iter_rows(values_only=True) if row and row[0]}


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> openpyxl.Workbook:
    folder = tmp_path_factory.mktemp("logs")
    log = _asa_log(folder / "fw.log")
    assert main(["logs", str(log), "-o", str(folder / "logs.xlsx"), "--json",
                 str(folder / "logs.json"), "--as-of", "2026-11-23T00:00Z"]) == 0
    return openpyxl.load_workbook(folder / "logs.xlsx")


def test_sheets_are_the_logs_own(book: openpyxl.Workbook) -> None:
    assert book.sheetnames == list(LOGS_SHEETS) == [
        "Summary", "Top destinations", "Top senders", "Ghost flows", "Log rates",
        "Inbound noise"]


def test_summary_says_what_was_read_and_what_it_held(book: openpyxl.Workbook) -> None:
    ws = book["Summary"]
    assert ws["A1"].value == "Firewall log summary"
    facts = _facts(ws)
    assert (facts["Log lines"], facts["Log lines parsed"], facts["Log lines unparsed"]) == (
        561, 560, 1)
    assert facts["Drop lines (dropped or unanswered traffic)"] == 560
    assert (facts["Drop flows listed"], facts["Destinations"], facts["Senders"]) == (3, 2, 2)
    assert facts["First drop (UTC)"] == START
    assert facts["Last drop (UTC)"] == datetime(2026, 11, 22, 9, 59, 24)
    assert facts["Busiest hour (UTC)"] == START
    assert facts["Drop lines in the busiest hour"] == 140
    # nothing of an audit: no staleness, no findings, no empty chart
    assert "Stale after (days)" not in facts and "Findings" not in facts
    assert ws._charts == []
    rows = [row[:6] for row in ws.iter_rows(values_only=True)]
    top = rows.index(("File", "Format", "Status", "Lines", "Error", "Skipped lines"))
    assert rows[top + 1] == ("fw.log", "cisco-asa", "ok", 561, None, None)
    top = rows.index(("Message", "Lines", "Drop lines", None, None, None))
    assert [r[:3] for r in rows[top + 1:top + 3]] == [("419002", 520, 520), ("110003", 40, 40)]


def test_top_destinations_and_senders(book: openpyxl.Workbook) -> None:
    dests = book["Top destinations"]
    assert [c.value for c in dests[1]] == ["Destination", "Protocol", "Port", "Drop lines",
                                           "Senders", "Busiest sender", "First seen",
                                           "Last seen", "Reasons"]
    assert _rows(dests) == [
        ("10.251.9.14", "tcp", 6711, 520, 2, "10.30.1.41", START,
         datetime(2026, 11, 22, 9, 59, 24), "syn-retransmit"),
        ("10.98.4.2", "udp", 161, 40, 1, "10.30.1.41", datetime(2026, 11, 22, 6, 0, 7),
         datetime(2026, 11, 22, 9, 54, 7), "no-route")]
    assert dests.freeze_panes == "A2" and dests.auto_filter.ref == "A1:I3"
    senders = book["Top senders"]
    assert [row[:5] for row in _rows(senders)] == [
        ("10.30.1.41", 440, 2, "10.251.9.14", "tcp/6711, udp/161"),
        ("10.30.1.20", 120, 1, "10.251.9.14", "tcp/6711")]
    assert _rows(senders)[0][7] == "syn-retransmit, no-route"
    ghosts = book["Ghost flows"]
    assert [row[:5] for row in _rows(ghosts)] == [
        ("10.30.1.41", "10.251.9.14", "tcp", 6711, 400),
        ("10.30.1.20", "10.251.9.14", "tcp", 6711, 120),
        ("10.30.1.41", "10.98.4.2", "udp", 161, 40)]


def test_log_rates_per_hour_per_flow_and_per_message(book: openpyxl.Workbook) -> None:
    ws = book["Log rates"]
    header = [c.value for c in ws[1]]
    assert header == ["Hour (UTC)", "Drop lines", "10.30.1.41 -> 10.251.9.14 tcp/6711",
                      "10.30.1.20 -> 10.251.9.14 tcp/6711", "10.30.1.41 -> 10.98.4.2 udp/161",
                      "message 110003", "message 419002"]
    assert _rows(ws) == [(START + timedelta(hours=h), 140, 100, 30, 10, 10, 130)
                         for h in range(4)]
    assert ws["A2"].number_format == "yyyy-mm-dd hh:mm"
    chart = ws._charts[0]
    assert chart.y_axis.scaling.min == 0
    # the total and each message's own line
    assert len(chart.series) == 3


def test_inbound_noise_says_why_it_is_empty(book: openpyxl.Workbook) -> None:
    facts = _facts(book["Inbound noise"])
    assert (facts["Flows"], facts["Lines"]) == (0, 0)
    assert any(str(k).startswith("Without a network list, inside cannot be told from outside")
               for k in facts)


def _logs_result(**kw: object) -> AuditResult:
    at = datetime(2026, 11, 24, 6)
    flows = tuple(GhostFlow(src=src, dst=dst, protocol="tcp", port=port, count=count,
                            first_seen=at, last_seen=at + timedelta(hours=3),
                            reasons=(Reason.ACL_DENY,), attribution=None)
                  for src, dst, port, count in (("10.1.1.1", "10.9.9.9", 445, 50),
                                                ("10.1.1.2", "10.9.9.9", 445, 50),
                                                ("10.1.1.1", "10.9.9.8", 22, 7)))
    defaults: dict[str, object] = dict(
        name="Firewall log summary", generated_at=at, as_of=at, stale_after_days=0,
        inputs=(InputStatus("edge.log", "paloalto", "log", Status.OK, 107),
                InputStatus("core.log", "fortigate", "log", Status.FAILED, 3,
                            "core.log line 4: not a FortiGate log line")),
        findings=(), ghost_flows=flows, networks=(),
        logs=LogStats(lines=110, parsed=107, unparsed=3))
    defaults.update(kw)
    return AuditResult(**defaults)  # type: ignore[arg-type]


def test_ties_folded_flows_and_a_failed_input(tmp_path: Path) -> None:
    path = tmp_path / "logs.xlsx"
    LogsXlsxReporter().write(_logs_result(ghosts_folded=FoldedFlows(flows=12, lines=30)), path)
    book = openpyxl.load_workbook(path)
    summary = book["Summary"]
    assert summary["A2"].value == ("1 input(s) FAILED: core.log -- findings may be "
                                   "incomplete")
    rows = [row[:6] for row in summary.iter_rows(values_only=True)]
    assert ("core.log", "fortigate", "FAILED", 3, "core.log line 4: not a FortiGate log line",
            None) in rows
    # equal lines: the lower address first; the busiest sender of a tie likewise
    dests = book["Top destinations"]
    assert [row[:6] for row in _rows(dests)][:2] == [
        ("10.9.9.9", "tcp", 445, 100, 2, "10.1.1.1"), ("10.9.9.8", "tcp", 22, 7, 1, "10.1.1.1")]
    assert dests.cell(row=dests.max_row, column=1).value == (
        "12 more flows (30 lines), the least busy, are not in these totals")
    assert _facts(summary)["Drop lines (dropped or unanswered traffic)"] == 137
    assert book["Log rates"]._charts == []   # no hours, no trend


def test_the_audit_workbook_keeps_its_shape(tmp_path: Path) -> None:
    path = tmp_path / "audit.xlsx"
    XlsxReporter().write(_logs_result(), path)
    assert openpyxl.load_workbook(path).sheetnames == list(SHEETS)

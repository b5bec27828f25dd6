"""`--split-by-owner`: each owner's workbook holds their records and the ghost flows their
tools send, leaves out what asks nothing of them, and opens on a text to paste into a ticket.

The sample audit (`tests/report_sample.py`) has three ghost flows: 10.30.1.20 -> 10.251.9.14
(from Track-It!'s poller), 10.30.1.41 -> 10.251.9.20 (from DCNM's poller) and
10.20.14.57 -> 10.88.1.1 (nobody's); the terminal attributes the first two by the same rule.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest

from auditor.actions import NO_ACTION
from auditor.cli import main
from auditor.model import (
    Change,
    Changes,
    GhostFlow,
    ProbeKind,
    ProbeResult,
    ProbeRun,
    ProbeStatus,
    Reason,
    Verdict,
)
from reports import owner_view, write_owner_reports
from reports.base import owner_cover, owner_ghost_flows
from reports.xlsx_report import README_SHEET, SHEETS
from tests.report_sample import AS_OF, sample_result

OWNERS = ("NOC - SolarWinds", "Service Desk - Track-It!", "Data Center Network",
          "Monitoring - PRTG", "Network team")


def _rows(ws) -> list[tuple]:
    return [row for row in ws.iter_rows(min_row=2, values_only=True) if any(row)]


def _flows(book: openpyxl.Workbook) -> list[tuple[str, str, str, int]]:
    return [row[:4] for row in _rows(book["Ghost flows"])]


@pytest.fixture(scope="module")
def books(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("owners")
    paths = write_owner_reports(sample_result(), folder,
                                full_reports=[Path("/srv/audits/nightly.xlsx")])
    return {p.name: p for p in paths}


def _book(books: dict[str, Path], name: str) -> openpyxl.Workbook:
    return openpyxl.load_workbook(books[name])


def test_each_owner_has_the_ghost_flows_their_pollers_send(books: dict[str, Path]) -> None:
    desk = _book(books, "service-desk-track-it.xlsx")
    assert _flows(desk) == [("10.30.1.20", "10.251.9.14", "tcp", 6711)]
    assert _rows(desk["Ghost flows"])[0][4] == 39088
    dc = _book(books, "data-center-network.xlsx")
    assert _flows(dc) == [("10.30.1.41", "10.251.9.20", "udp", 161)]
    # No tool of theirs sends one; the flow nobody sends is in no owner's book.
    for name in ("noc-solarwinds.xlsx", "monitoring-prtg.xlsx", "network-team.xlsx"):
        assert _flows(_book(books, name)) == []
    for book in (desk, dc):
        row = [r[0] for r in book["Summary"].iter_rows(values_only=True)].index("Ghost flows")
        assert book["Summary"].cell(row=row + 1, column=2).value == 1


def test_a_flow_attributed_by_name_goes_to_that_sources_owner() -> None:
    # The engine names a configured poller (`poller = "10.30.1.99"` in orion's table) in
    # the attribution; no record carries that address.
    flow = GhostFlow(src="10.30.1.99", dst="10.99.3.4", protocol="tcp", port=17777,
                     count=15000, first_seen=None, last_seen=None,
                     reasons=(Reason.SYN_RETRANSMIT,),
                     attribution="sent by orion (NOC - SolarWinds); port 17777: SolarWinds "
                                 "Information Service (Orion inter-server traffic)")
    result = replace(sample_result(), ghost_flows=(flow,))
    assert owner_ghost_flows(result, "NOC - SolarWinds") == (flow,)
    assert owner_view(result, "NOC - SolarWinds").ghost_flows == (flow,)
    for owner in OWNERS[1:]:
        assert owner_view(result, owner).ghost_flows == ()
    # A source named like the start of another is not it.
    other = replace(flow, attribution="sent by orion-lab (Lab)")
    assert owner_ghost_flows(replace(result, ghost_flows=(other,)), "NOC - SolarWinds") == ()


def test_rows_that_ask_nothing_are_left_out(books: dict[str, Path]) -> None:
    noc = _book(books, "noc-solarwinds.xlsx")
    # CORE-SW1 (10.20.1.5) answers: its action is "no action", so it is not in their list.
    assert [r[0] for r in _rows(noc["Findings"])] == ["10.99.4.20", "10.99.5.2", "10.20.8.40"]
    assert [r[5] for r in _rows(noc["Remediation"]) if r[1]] == ["187", "203", "244"]
    prtg = _book(books, "monitoring-prtg.xlsx")
    assert _rows(prtg["Findings"]) == []   # PRTG holds only the live core switch
    assert [r[0] for r in _rows(prtg["Remediation"])] == ["Monitoring - PRTG", "Nothing to fix"]
    for name in books:
        if name.endswith(".xlsx"):
            book = _book(books, name)
            cells = {c for ws in book.worksheets for row in ws.iter_rows(values_only=True)
                     for c in row}
            assert NO_ACTION not in cells, name
            assert "active" not in {r[1] for r in _rows(book["Findings"])}, name


def test_each_book_opens_on_its_covering_text_and_the_same_text_sits_beside_it(
        books: dict[str, Path]) -> None:
    assert sorted(books) == sorted(
        f"{slug}.{ext}" for slug in ("noc-solarwinds", "service-desk-track-it",
                                     "data-center-network", "monitoring-prtg", "network-team")
        for ext in ("xlsx", "txt"))
    text = (books["noc-solarwinds.txt"]).read_text(encoding="utf-8")
    assert text == (
        "Stale monitoring targets: NOC - SolarWinds\n"
        'Audit "Nightly hygiene audit" as of 2026-11-24 10:00 UTC; your tools in it: orion.\n'
        "\n"
        "1 stale target still polled: your tools keep sending to an address whose network "
        "is gone.\n"
        "3 records to act on (1 stale, 1 conflict, 1 unverified); 1 record that answers "
        "needs nothing and is not listed.\n"
        "\n"
        "Top actions:\n"
        "1. 10.99.4.20 OLD-BLDG4-AP-CTRL (orion 187; stale, polled): Delete node "
        "OLD-BLDG4-AP-CTRL (NodeID 187) in SolarWinds, or unmanage it\n"
        "2. 10.99.5.2 BLDG4-UPS (orion 203; conflict, polled): Check the live-network list "
        "first (the tool still reaches this address); if the network is really gone: Delete "
        "node BLDG4-UPS (NodeID 203) in SolarWinds, or unmanage it\n"
        "3. 10.20.8.40 LAB-SW-OLD (orion 244; unverified, not polled): Not polled "
        "(unmanaged); clean up when convenient: Delete node LAB-SW-OLD (NodeID 244) in "
        "SolarWinds\n"
        "\n"
        "Your list: noc-solarwinds.xlsx (sheets Findings, Remediation and Ghost flows).\n"
        "Full report: /srv/audits/nightly.xlsx\n")
    noc = _book(books, "noc-solarwinds.xlsx")
    assert noc.sheetnames == [README_SHEET, *SHEETS]
    readme = [row[0] for row in noc[README_SHEET].iter_rows(values_only=True)]
    assert readme == [line or None for line in text.rstrip("\n").split("\n")]
    assert noc[README_SHEET]["A1"].font.bold

    desk = books["service-desk-track-it.txt"].read_text(encoding="utf-8")
    assert "1 stale target still polled" in desk
    assert "3 records to act on (3 stale).\n" in desk
    assert ("1 ghost flow (39,088 drop lines) from your tools to addresses no tool holds; the "
            "busiest: 10.30.1.20 -> 10.251.9.14 tcp/6711 (39,088 lines).\n") in desk
    team = books["network-team.txt"].read_text(encoding="utf-8")
    assert ("!! Source snmp-hosts FAILED to load: its records are missing from this list; "
            "fix the export and run the audit again.\n") in team
    assert "Nothing to fix in your tools that loaded.\n" in team


def test_cover_counts_and_lists_only_the_top_actions() -> None:
    result = sample_result()
    many = tuple(replace(f, records=tuple(replace(t, owner="Service Desk - Track-It!")
                                          for t in f.records))
                 for f in result.findings)
    text = owner_cover(replace(result, findings=many), "Service Desk - Track-It!",
                       workbook="desk.xlsx")
    # Every record of the audit is theirs now: 10.99.4.20, 10.99.4.31 and 10.251.3.7 are
    # stale and still polled (10.99.7.12 is stale, not polled); 187, 1190, 1187, 1203 and
    # 215090 stale, 203 conflict, 215080 unreachable, 244 unverified; CORE-SW1 in Orion and
    # in PRTG answer.
    assert "3 stale targets still polled: your tools keep sending to addresses" in text
    assert ("8 records to act on (5 stale, 1 conflict, 1 unreachable, 1 unverified); "
            "2 records that answer need nothing and are not listed.") in text
    actions = [line for line in text.splitlines() if line[:1].isdigit() and line[1] == "."]
    # the five most urgent: stale and polled first
    assert [line.split(" (")[0] for line in actions] == [
        "1. 10.251.3.7 old-dist-sw3", "2. 10.99.4.20 OLD-BLDG4-AP-CTRL",
        "3. 10.99.4.31 BLDG4-KIOSK-01", "4. 10.99.4.20 OLD-BLDG4-AP-CTRL",
        "5. 10.99.7.12 OLD-PRINT-SRV"]
    assert "... and 3 more in the workbook." in text
    assert "2 ghost flows (39,130 drop lines)" in text
    assert "Full report" not in text   # not said when the caller does not know


def test_owner_view_keeps_only_their_changes_and_probes() -> None:
    def change(address: str, owner: str) -> Change:
        return Change(address=address, verdict_then=None, verdict_now=Verdict.STALE,
                      polled=True, owners=(owner,), sources=(), names=(),
                      first_flagged=AS_OF, in_a_row=1, last_answering=None, last_ok=None)

    changes = Changes(name="n", as_of=AS_OF, previous=datetime(2026, 11, 23),
                      new=(change("10.99.4.31", "Service Desk - Track-It!"),
                           change("10.251.3.7", "Data Center Network")),
                      still_open=(change("10.99.4.20", "NOC - SolarWinds"),))
    probes = ProbeRun(results=(
        ProbeResult("10.99.4.20", ProbeKind.TCP, ProbeStatus.TIMEOUT, port=17777),
        ProbeResult("10.251.3.7", ProbeKind.SNMP, ProbeStatus.TIMEOUT, port=161)),
        packets=2, dns_lookups=0, seconds=1.0, rate=10.0, outside_allow=("10.251.3.7",))
    view = owner_view(replace(sample_result(), changes=changes, probes=probes),
                      "Data Center Network")
    assert view.changes is not None
    assert [c.address for c in view.changes.new] == ["10.251.3.7"]
    assert view.changes.still_open == ()
    assert view.changes.summary_line() == (
        "Since the last audit (2026-11-23): 1 new, 0 resolved, 0 still open")
    assert view.probes is not None
    assert [r.address for r in view.probes.results] == ["10.251.3.7"]
    assert view.probes.outside_allow == ("10.251.3.7",)


def test_demo_split_by_owner_gives_each_owner_only_theirs(tmp_path: Path, capsys) -> None:
    from auditor.demo import build_network

    config = build_network(tmp_path / "net", datetime(2026, 11, 24, 10))
    out = tmp_path / "out"
    assert main(["audit", "-c", str(config), "--json", str(out / "a.json"), "--split-by-owner",
                 str(out / "owners"), "--as-of", "2026-11-24T10:00Z"]) == 1
    terminal = capsys.readouterr().out
    assert "(sent by orion (NOC - SolarWinds)" in terminal
    expected = {"noc-solarwinds": {"orion"}, "data-center-dcnm": {"dcnm"},
                "service-desk-track-it": {"trackit"}}
    for slug, tools in expected.items():
        book = openpyxl.load_workbook(out / "owners" / f"{slug}.xlsx")
        assert {r[6] for r in _rows(book["Findings"])} == tools, slug
        assert {r[3] for r in _rows(book["Remediation"]) if r[1]} == tools, slug
        flows = _flows(book)
        # the demo's one ghost flow: Orion's poller knocking on a retired address
        assert flows == ([("10.30.1.10", "10.99.3.4", "tcp", 17777)]
                         if slug == "noc-solarwinds" else []), slug
    noc = (out / "owners" / "noc-solarwinds.txt").read_text(encoding="utf-8")
    assert "2 stale targets still polled" in noc
    assert "1 ghost flow (15,000 drop lines)" in noc


def test_owner_workbook_opens_in_libreoffice(books: dict[str, Path], tmp_path: Path) -> None:
    office = shutil.which("libreoffice") or shutil.which("soffice")
    if office is None:
        pytest.skip("LibreOffice (libreoffice/soffice) is not on PATH")
    subprocess.run([office, f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}",
                    "--headless", "--convert-to", "csv", "--outdir", str(tmp_path / "csv"),
                    str(books["service-desk-track-it.xlsx"])],
                   check=True, capture_output=True, timeout=300)
    readme = (tmp_path / "csv" / "service-desk-track-it.csv").read_text(encoding="utf-8")
    assert readme.startswith("Stale monitoring targets: Service Desk - Track-It!")
    assert "1 stale target still polled" in readme

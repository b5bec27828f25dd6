"""The demo network, end to end: real exports in, every verdict and ghost flow checked."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest

from auditor.cli import main
from auditor.config import load_config
from auditor.demo import FLOODS, HOURS, build_network
from auditor.engine import run_audit
from auditor.model import SourceStatus

NOW = datetime(2026, 11, 24, 10, 0, 0)

#: address -> (verdict, polled, reasons), worked out from auditor/demo.py by hand.
EXPECTED = {
    "10.98.4.2": ("stale", True, ["outside-live-networks", "syn-retransmit", "tool-down"]),
    "10.99.4.20": ("stale", True, ["deprecated-network", "tool-down"]),
    "10.99.4.31": ("stale", True, ["deprecated-network", "syn-retransmit", "tool-down"]),
    "10.99.7.5": ("stale", True, ["deprecated-network", "no-route", "tool-down"]),
    "10.99.7.12": ("stale", False, ["deprecated-network"]),
    "10.20.9.1": ("unreachable", True, ["tool-down"]),
    "10.20.30.40": ("unreachable", True, ["syn-timeout", "tool-down"]),
    "172.16.40.11": ("unverified", False, []),
    "10.10.0.2": ("active", True, ["tool-up"]),
    "10.20.0.3": ("active", True, ["tool-up"]),
    "10.20.14.57": ("active", True, ["tool-up", "traffic-answered"]),
    "10.30.0.11": ("active", True, ["tool-up"]),
    "10.30.0.21": ("active", True, ["tool-up"]),
}


@pytest.fixture(scope="module")
def demo_result(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo")
    return run_audit(load_config(build_network(folder, NOW)), as_of=NOW, generated_at=NOW)


def test_every_input_loads(demo_result) -> None:
    assert [(i.name, i.status) for i in demo_result.inputs] == [
        ("orion", SourceStatus.OK), ("trackit", SourceStatus.OK), ("dcnm", SourceStatus.OK),
        ("ipam", SourceStatus.OK), ("fw-edge-routes", SourceStatus.OK),
        ("fw-edge", SourceStatus.OK), ("orion-netstat", SourceStatus.OK)]
    records = {i.name: i.records for i in demo_result.inputs}
    assert (records["orion"], records["trackit"], records["dcnm"]) == (6, 4, 3)


def test_every_verdict(demo_result) -> None:
    got = {f.address: (str(f.verdict), f.polled, [str(r) for r in f.reasons])
           for f in demo_result.findings}
    assert got == EXPECTED
    order = [f.address for f in demo_result.findings]
    assert order[:4] == ["10.98.4.2", "10.99.4.20", "10.99.4.31", "10.99.7.5"]


def test_seed_flood_counted_per_target(demo_result) -> None:
    by_address = {f.address: f for f in demo_result.findings}
    for _poller, target, _port, per_hour in FLOODS[:2]:
        assert by_address[target].traffic.by_message["419002"] == per_hour * HOURS
    kiosk = by_address["10.99.4.31"]
    assert kiosk.action == ("Turn auditing off for asset BLDG4-KIOSK-01 (Asset ID 1187) in "
                            "Track-It!, or retire it")
    assert demo_result.logs.by_message["419002"] == sum(f[3] for f in FLOODS) * HOURS
    assert demo_result.logs.unparsed == 2


def test_orion_remnant_is_a_ghost_flow_attributed_to_orion(demo_result) -> None:
    ghost = demo_result.ghost_flows[0]
    assert (ghost.src, ghost.dst, ghost.protocol, ghost.port, ghost.count) == \
        ("10.30.1.10", "10.99.3.4", "tcp", 17777, 5000 * HOURS)
    assert [str(r) for r in ghost.reasons] == ["syn-retransmit"]
    assert ghost.attribution.startswith("sent by orion (NOC - SolarWinds); "
                                        "SolarWinds.BusinessLayerHost.exe on 10.30.1.10")
    assert {(g.dst, g.port) for g in demo_result.ghost_flows} == {("10.99.3.4", 17777)}


def test_internet_scan_is_inbound_noise_not_a_ghost(demo_result) -> None:
    noise = demo_result.inbound_noise
    # three scanners from outside, each its own flow to 10.10.0.5:445
    assert (noise.flows, noise.lines) == (3, 40 * HOURS)
    assert noise.top_ports == (("tcp", 445, 40 * HOURS),)
    assert {s for s, _ in noise.top_senders} == {"203.0.113.7", "203.0.113.45",
                                                 "203.0.113.201"}
    assert all(not g.src.startswith("203.0.113.") for g in demo_result.ghost_flows)


def test_demo_command_writes_reports(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    assert "Stale and still polled (4):" in out
    assert "wrote reports/demo-audit.xlsx" in out
    doc = json.loads((tmp_path / "reports/demo-audit.json").read_text())
    assert doc["schema"] == "stale-audit/1"
    assert {s["status"] for s in doc["sources"]} == {"ok"}
    book = openpyxl.load_workbook(tmp_path / "reports/demo-audit.xlsx")
    assert {"Summary", "Findings", "Remediation", "Ghost flows", "Networks",
            "Sources"} <= set(book.sheetnames)

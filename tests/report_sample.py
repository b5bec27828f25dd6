"""A realistic `AuditResult` built from literals, for report tests (and any test that needs one).

Modelled on the seed story: a Building 4 network retired years ago that SolarWinds, Track-It! and
DCNM still reach, a firewall logging ~14,000 drop lines an hour because of it, and one input that
failed to load. Every number below is consistent with the others (log totals, hourly counts,
per-address traffic), so a test can check sums by hand.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from auditor.actions import finding_action
from auditor.model import (
    AuditResult,
    Finding,
    FoldedFlows,
    GhostFlow,
    InboundNoise,
    InputStatus,
    LogStats,
    Network,
    NetworkStatus,
    Reason,
    SourceStatus,
    Target,
    ToolState,
    Traffic,
    Verdict,
)

AS_OF = datetime(2026, 11, 24, 10, 0, 0)
GENERATED_AT = datetime(2026, 11, 24, 10, 0, 7)

OWNERS = {
    "orion": "NOC - SolarWinds",
    "trackit": "Service Desk - Track-It!",
    "dcnm": "Data Center Network",
    "prtg": "Monitoring - PRTG",
    "snmp-hosts": "Network team",
}

SNMP_ERROR = ("configs/core-sw1.txt line 214, field 'snmp-server host': "
              "no host address after 'snmp-server host'")


def _orion(node_id: int, name: str, address: str, **kw: Any) -> Target:
    return Target(address=address, source="orion", kind="solarwinds-npm", id=str(node_id),
                  name=name, owner=OWNERS["orion"], poller="10.30.1.10",
                  location="exports/npm-nodes.json", seen=datetime(2026, 11, 24, 9, 55, 0),
                  **kw)


def _trackit(asset_id: int, name: str, address: str, line: int, **kw: Any) -> Target:
    return Target(address=address, source="trackit", kind="trackit", id=str(asset_id),
                  name=name, owner=OWNERS["trackit"], poller="10.30.1.20",
                  location=f"exports/trackit-assets.csv:{line}", protocol="tcp", port=10597,
                  **kw)


def _dcnm(db_id: int, name: str, address: str, **kw: Any) -> Target:
    return Target(address=address, source="dcnm", kind="cisco-dcnm", id=str(db_id), name=name,
                  owner=OWNERS["dcnm"], poller="10.30.1.41",
                  location="exports/dcnm-switches.json", protocol="udp", port=161,
                  fix=f"Delete switch {name} (switchDbID {db_id}) from fabric DC1-LAN in DCNM",
                  **kw)


ORION_AP_CTRL = _orion(
    187, "OLD-BLDG4-AP-CTRL", "10.99.4.20", polled=True, state=ToolState.DOWN,
    last_ok=datetime(2019, 3, 2, 17, 45, 10), protocol="tcp", port=17777,
    fix="Delete node OLD-BLDG4-AP-CTRL (NodeID 187) in SolarWinds, or unmanage it")
ORION_CORE_SW = _orion(
    12, "CORE-SW1", "10.20.1.5", polled=True, state=ToolState.UP,
    last_ok=datetime(2026, 11, 24, 9, 50, 0), protocol="udp", port=161,
    fix="Delete node CORE-SW1 (NodeID 12) in SolarWinds, or unmanage it")
ORION_LAB_SW = _orion(
    244, "LAB-SW-OLD", "10.20.8.40", polled=False, state=ToolState.UNMANAGED,
    last_ok=datetime(2024, 6, 30, 23, 10, 0), protocol="udp", port=161,
    fix="Delete node LAB-SW-OLD (NodeID 244) in SolarWinds")
ORION_UPS = _orion(
    203, "BLDG4-UPS", "10.99.5.2", polled=True, state=ToolState.UP,
    last_ok=datetime(2026, 11, 24, 9, 41, 0), protocol="udp", port=161,
    fix="Delete node BLDG4-UPS (NodeID 203) in SolarWinds, or unmanage it")

TRACKIT_KIOSK = _trackit(
    1187, "BLDG4-KIOSK-01", "10.99.4.31", 3, polled=True, state=ToolState.UNKNOWN,
    last_ok=datetime(2019, 2, 27, 22, 5, 0),
    fix="Turn off auditing for asset BLDG4-KIOSK-01 (Asset ID 1187) in Track-It!, or retire it")
TRACKIT_PRINT_SRV = _trackit(
    1203, "OLD-PRINT-SRV", "10.99.7.12", 4, polled=False, state=ToolState.RETIRED,
    last_ok=datetime(2018, 11, 4, 22, 11, 0),
    fix="Delete retired asset OLD-PRINT-SRV (Asset ID 1203) in Track-It!")
TRACKIT_AP_CTRL = _trackit(
    1190, "OLD-BLDG4-AP-CTRL", "10.99.4.20", 5, polled=False, state=ToolState.DISABLED,
    fix="Delete asset OLD-BLDG4-AP-CTRL (Asset ID 1190) in Track-It!")

DCNM_OLD_DIST = _dcnm(215090, "old-dist-sw3", "10.251.3.7", polled=True, state=ToolState.DOWN,
                      last_ok=datetime(2020, 8, 14, 3, 12, 0))
DCNM_LEAF = _dcnm(215080, "dc1-leaf-103", "10.30.0.13", polled=True, state=ToolState.DOWN,
                  last_ok=datetime(2026, 10, 30, 6, 0, 0))

PRTG_CORE_SW = Target(address="10.20.1.5", source="prtg", kind="csv", id="prtg-devices.csv:2",
                      name="core-sw1.hq", owner=OWNERS["prtg"], polled=True,
                      location="exports/prtg-devices.csv:2")


def _finding(address: str, verdict: Verdict, reasons: tuple[Reason, ...], network: str | None,
             records: tuple[Target, ...], traffic: Traffic | None) -> Finding:
    return Finding(address=address, verdict=verdict, polled=any(t.polled for t in records),
                   reasons=reasons, network=network, records=records, traffic=traffic,
                   action=finding_action(verdict, records))


R = Reason
FINDINGS = (
    _finding("10.99.4.20", Verdict.STALE, (R.DEPRECATED_NETWORK, R.SYN_RETRANSMIT), None,
             (ORION_AP_CTRL, TRACKIT_AP_CTRL),
             Traffic(drops=1820, first_seen=datetime(2026, 11, 24, 6, 0, 11),
                     last_seen=datetime(2026, 11, 24, 9, 59, 40), by_message={"419002": 1820},
                     by_signal={"syn-retransmit": 1820})),
    _finding("10.99.4.31", Verdict.STALE,
             (R.DEPRECATED_NETWORK, R.SYN_RETRANSMIT, R.SYN_TIMEOUT, R.TOOL_DOWN), None,
             (TRACKIT_KIOSK,),
             Traffic(drops=912, first_seen=datetime(2026, 11, 24, 6, 2, 30),
                     last_seen=datetime(2026, 11, 24, 9, 58, 1),
                     by_message={"419002": 900, "302014": 12},
                     by_signal={"syn-retransmit": 900, "syn-timeout": 12})),
    _finding("10.99.7.12", Verdict.STALE, (R.DEPRECATED_NETWORK,), None,
             (TRACKIT_PRINT_SRV,), None),
    _finding("10.251.3.7", Verdict.STALE, (R.OUTSIDE_LIVE_NETWORKS, R.NO_ROUTE), None,
             (DCNM_OLD_DIST,),
             Traffic(drops=1260, first_seen=datetime(2026, 11, 24, 6, 0, 2),
                     last_seen=datetime(2026, 11, 24, 9, 59, 57), by_message={"110003": 1260},
                     by_signal={"no-route": 1260})),
    _finding("10.99.5.2", Verdict.CONFLICT, (R.DEPRECATED_NETWORK, R.TOOL_UP), None,
             (ORION_UPS,), None),
    _finding("10.30.0.13", Verdict.UNREACHABLE, (R.TOOL_DOWN,), "10.30.0.0/16", (DCNM_LEAF,),
             None),
    _finding("10.20.8.40", Verdict.UNVERIFIED, (), "10.20.0.0/16", (ORION_LAB_SW,), None),
    _finding("10.20.1.5", Verdict.ACTIVE, (R.TOOL_UP, R.TRAFFIC_ANSWERED), "10.20.0.0/16",
             (ORION_CORE_SW, PRTG_CORE_SW),
             Traffic(answered=310, first_seen=datetime(2026, 11, 24, 6, 0, 5),
                     last_seen=datetime(2026, 11, 24, 9, 55, 2), by_message={"302014": 310},
                     by_signal={"traffic-answered": 310})),
)

GHOST_FLOWS = (
    GhostFlow(src="10.30.1.20", dst="10.251.9.14", protocol="tcp", port=6711, count=39088,
              first_seen=datetime(2026, 11, 24, 6, 0, 4),
              last_seen=datetime(2026, 11, 24, 9, 59, 58), reasons=(R.SYN_RETRANSMIT,),
              attribution="TIService.exe on 10.30.1.20 (capture trackit-netstat)"),
    GhostFlow(src="10.30.1.41", dst="10.251.9.20", protocol="udp", port=161, count=42,
              first_seen=datetime(2026, 11, 24, 6, 5, 0),
              last_seen=datetime(2026, 11, 24, 9, 55, 0), reasons=(R.NO_ROUTE,),
              attribution="poller of dcnm (10.30.1.41); port 161 is SNMP"),
    GhostFlow(src="10.20.14.57", dst="10.88.1.1", protocol="tcp", port=445, count=3,
              first_seen=datetime(2026, 11, 24, 9, 12, 44),
              last_seen=datetime(2026, 11, 24, 9, 13, 14), reasons=(R.SYN_TIMEOUT,),
              attribution=None),
)

NETWORKS = (
    Network(prefix="10.0.0.0/8", source="ipam", status=NetworkStatus.CONTAINER,
            location="networks/prefixes.csv:2", description="RFC 1918 aggregate"),
    Network(prefix="10.20.0.0/16", source="ipam", location="networks/prefixes.csv:3",
            description="HQ campus"),
    Network(prefix="10.30.0.0/16", source="ipam", location="networks/prefixes.csv:4",
            description="Data center"),
    Network(prefix="10.99.0.0/16", source="ipam", status=NetworkStatus.DEPRECATED,
            location="networks/prefixes.csv:5", description="Building 4 (demolished 2019)"),
)

INPUTS = (
    InputStatus("orion", "solarwinds-npm", "source", SourceStatus.OK, 4),
    InputStatus("trackit", "trackit", "source", SourceStatus.OK, 3),
    InputStatus("dcnm", "cisco-dcnm", "source", SourceStatus.OK, 2),
    InputStatus("prtg", "csv", "source", SourceStatus.OK, 1),
    InputStatus("snmp-hosts", "snmp-config", "source", SourceStatus.FAILED, 0, SNMP_ERROR),
    InputStatus("ipam", "prefix-list", "network", SourceStatus.OK, 4),
    InputStatus("fw-edge", "cisco-asa", "log", SourceStatus.OK, 58232),
    InputStatus("trackit-netstat", "windows-netstat", "capture", SourceStatus.OK, 2),
)

#: 419002 = 1820 + 900 (findings) + 39088 (ghost); 110003 = 1260 + 42; the rest is 302013/302014.
LOG_STATS = LogStats(lines=58256, parsed=58232, unparsed=24,
                     by_message=Counter({"302013": 7400, "302014": 7722, "419002": 41808,
                                         "110003": 1302}))

#: Drop-signal lines per hour: 41808 + 1302 + 12 + 3 = 43125.
HOURLY = {
    datetime(2026, 11, 24, 6, 0): 1990,
    datetime(2026, 11, 24, 7, 0): 13020,
    datetime(2026, 11, 24, 8, 0): 14130,
    datetime(2026, 11, 24, 9, 0): 13985,
}


def sample_result() -> AuditResult:
    """The seed-story audit: stale records in three tools, one failed input, ghost flows."""
    return AuditResult(
        name="Nightly hygiene audit", generated_at=GENERATED_AT, as_of=AS_OF,
        stale_after_days=14, inputs=INPUTS, findings=FINDINGS, ghost_flows=GHOST_FLOWS,
        networks=NETWORKS, logs=LogStats(lines=LOG_STATS.lines, parsed=LOG_STATS.parsed,
                                         unparsed=LOG_STATS.unparsed,
                                         by_message=Counter(LOG_STATS.by_message)),
        owners=dict(OWNERS), hourly=dict(HOURLY),
        inbound_noise=InboundNoise(flows=3, lines=120, top_ports=(("tcp", 445, 118),
                                                                   ("udp", 1900, 2)),
                                   top_senders=(("203.0.113.7", 80), ("203.0.113.45", 40))),
        ghosts_folded=FoldedFlows(flows=0, lines=0),
        unresolved_names=("nms-retired.corp.example.net",))

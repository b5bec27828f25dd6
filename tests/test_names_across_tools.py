"""One device, several names: an address in one tool, a host name in another.

A small network written as the tools write it (an Orion SWIS export with DNS and SysName, a
switch config whose `snmp-server host` lines name the NMS by DNS name, a NetBox prefix list,
an ASA log), audited through the command line. The name-only records must land on the
finding of the address Orion gives that name, and the names nobody ties to an address are
counted in the summary.
"""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl

from auditor.cli import main

AS_OF = "2026-11-24T10:00:00Z"

NODES = {"totalRows": 3, "results": [
    {"NodeID": 31, "Caption": "NMS-OLD", "IPAddress": "10.99.3.40",
     "DNS": "nms-old.corp.example.net", "SysName": "NMS-OLD", "Status": 2,
     "StatusDescription": "Node status is Down.", "UnManaged": False,
     "ObjectSubType": "SNMP", "LastSync": "2026-11-24T09:40:00.000",
     "LastSystemUpTimePollUtc": "2025-02-01T10:00:00.000", "EngineID": 1},
    {"NodeID": 32, "Caption": "core-sw-01", "IPAddress": "10.10.0.2",
     "DNS": "core-sw-01.corp.example.net", "SysName": "core-sw-01", "Status": 1,
     "StatusDescription": "Node status is Up.", "UnManaged": False,
     "ObjectSubType": "SNMP", "LastSync": "2026-11-24T09:40:00.000",
     "LastSystemUpTimePollUtc": "2026-11-24T09:39:00.000", "EngineID": 1},
    # the same short name on two devices: a name-only record must not guess between them
    {"NodeID": 33, "Caption": "ups-a", "IPAddress": "10.10.0.50", "DNS": "ups.dc1.example.net",
     "SysName": "", "Status": 1, "StatusDescription": "Node status is Up.",
     "UnManaged": False, "ObjectSubType": "SNMP", "LastSync": "2026-11-24T09:40:00.000",
     "LastSystemUpTimePollUtc": "2026-11-24T09:39:00.000", "EngineID": 1},
    {"NodeID": 34, "Caption": "ups-b", "IPAddress": "10.10.0.51", "DNS": "ups.dc2.example.net",
     "SysName": "", "Status": 1, "StatusDescription": "Node status is Up.",
     "UnManaged": False, "ObjectSubType": "SNMP", "LastSync": "2026-11-24T09:40:00.000",
     "LastSystemUpTimePollUtc": "2026-11-24T09:39:00.000", "EngineID": 1},
]}

ENGINES = {"results": [{"EngineID": 1, "ServerName": "ORION-MPE01", "IP": "10.30.1.10"}]}

SWITCH = """\
hostname fab-leaf-07
!
snmp-server community n0cR3ad RO 90
snmp-server host NMS-OLD.corp.example.net version 2c n0cTrap
snmp-server host core-sw-01 version 2c n0cTrap
snmp-server host ups version 2c n0cTrap
snmp-server host nms-retired.corp.example.net version 2c n0cTrap
!
"""

PREFIXES = """\
ID,Prefix,Status,VRF,Description
1,10.0.0.0/8,Container,Global,RFC 1918 aggregate
11,10.10.0.0/16,Active,Global,DC1 server/infra
12,10.30.0.0/16,Active,Global,Tools
13,10.99.0.0/16,Deprecated,Global,Old management (retired 2023)
"""

LOG = """\
Nov 24 2026 09:10:01: %ASA-4-419002: Received duplicate TCP SYN from fab:10.30.1.10/51515 \
to dc:10.99.3.40/17777 with different initial sequence number.
Nov 24 2026 09:10:05: %ASA-6-110003: Routing failed to locate next hop for UDP from \
fab:10.10.0.9/50123 to dc:10.99.3.40/162
"""

CONFIG = """\
[audit]
name = "Names across tools"
stale_after_days = 14

[[sources]]
name = "orion"
type = "solarwinds-npm"
path = "exports/nodes.json"
engines_path = "exports/engines.json"
owner = "NOC"

[[sources]]
name = "switch-cfg"
type = "snmp-config"
path = "configs/fab-leaf-07.cfg"
owner = "Network"

[[networks]]
name = "ipam"
type = "prefix-list"
path = "networks/prefixes.csv"

[[logs]]
name = "fw"
type = "cisco-asa"
paths = ["logs/fw.log"]
"""


def _network(folder: Path) -> Path:
    for sub in ("exports", "configs", "networks", "logs"):
        (folder / sub).mkdir(parents=True)
    (folder / "exports/nodes.json").write_text(json.dumps(NODES))
    (folder / "exports/engines.json").write_text(json.dumps(ENGINES))
    (folder / "configs/fab-leaf-07.cfg").write_text(SWITCH)
    (folder / "networks/prefixes.csv").write_text(PREFIXES)
    (folder / "logs/fw.log").write_text(LOG)
    (folder / "audit.toml").write_text(CONFIG)
    return folder / "audit.toml"


def test_name_only_records_join_the_finding_of_their_address(tmp_path: Path, capsys) -> None:
    config = _network(tmp_path / "net")
    out = tmp_path / "out.json"
    code = main(["audit", "-c", str(config), "-o", str(tmp_path / "out.xlsx"),
                 "--json", str(out), "--as-of", AS_OF])
    summary = capsys.readouterr().out
    assert code == 1  # stale and polled
    doc = json.loads(out.read_text())
    findings = {f["address"]: f for f in doc["findings"]}
    nms = findings["10.99.3.40"]
    assert nms["verdict"] == "stale"
    assert sorted((r["source"], r["name"]) for r in nms["records"]) == [
        ("orion", "NMS-OLD"), ("switch-cfg", "snmp-server host NMS-OLD.corp.example.net")]
    book = openpyxl.load_workbook(tmp_path / "out.xlsx")
    sheet = book["Findings"]
    header = [c.value for c in sheet[1]]
    rows = {r[0]: dict(zip(header, r, strict=True)) for r in sheet.iter_rows(min_row=2,
                                                                              values_only=True)}
    assert rows["10.99.3.40"]["Linked host names"] == "nms-old.corp.example.net"
    assert book["Summary"]["A1"].value.endswith("Names across tools")
    assert nms["traffic"]["drops"] == 2
    core = findings["10.10.0.2"]
    assert core["verdict"] == "active"
    assert {r["source"] for r in core["records"]} == {"orion", "switch-cfg"}
    # no separate finding for a name that was linked
    assert "nms-old.corp.example.net" not in findings and "core-sw-01" not in findings
    # `ups` is two devices' short name, the retired NMS no record's: both stay names
    assert findings["ups"]["verdict"] == "unverified"
    assert findings["nms-retired.corp.example.net"]["verdict"] == "unverified"
    assert "Host names no record ties to an address (2): nms-retired.corp.example.net, " \
        "ups" in summary

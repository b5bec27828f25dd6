"""`stale-audit demo`: the seed story's network, built as real exports in a temp folder.

Three tools keep reaching networks retired years ago, and the edge ASA floods syslog with
`%ASA-4-419002 ... duplicate TCP SYN` (about 19,000 lines an hour):

* Track-It! (10.30.1.20) still audits BLDG4-KIOSK-01 at 10.99.4.31 (TCP 6711),
* DCNM on the AAA server (10.30.1.41) still polls switch bldg4-agg-01 at 10.98.4.2 (161),
* a SolarWinds database remnant makes Orion (10.30.1.10) reach 10.99.3.4 on TCP 17777,
  though no node in the export holds that address: a ghost flow.

10.99.0.0/16 is deprecated in IPAM but still routed on the ASA; 10.98.4.0/24 is gone.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import random
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from auditor.config import load_config
from auditor.engine import run_audit
from auditor.model import AuditResult
from reports import write_reports

TRACKIT, ORION, AAA = "10.30.1.20", "10.30.1.10", "10.30.1.41"
#: (poller, target, port, 419002 lines an hour): the seed story's three flows.
FLOODS = ((TRACKIT, "10.99.4.31", 6711, 8000), (AAA, "10.98.4.2", 161, 6000),
          (ORION, "10.99.3.4", 17777, 5000))
HOURS = 3

CONFIG = """\
[audit]
name = "Demo: ghosts in the network"
stale_after_days = 14

[[sources]]
name = "orion"
type = "solarwinds-npm"
path = "exports/npm-nodes.json"
engines_path = "exports/npm-engines.json"
owner = "NOC - SolarWinds"

[[sources]]
name = "trackit"
type = "trackit"
path = "exports/trackit-assets.csv"
owner = "Service Desk - Track-It!"
poller = "10.30.1.20"

[[sources]]
name = "dcnm"
type = "cisco-dcnm"
path = "exports/dcnm-switches.json"
owner = "Data Center - DCNM"
poller = "10.30.1.41"

[[networks]]
name = "ipam"
type = "prefix-list"
path = "networks/prefixes.csv"

[[networks]]
name = "fw-edge-routes"
type = "cisco-asa-route"
path = "networks/fw-edge-show-route.txt"

[[logs]]
name = "fw-edge"
type = "cisco-asa"
paths = ["logs/fw-edge-*.log*"]

[[captures]]
name = "orion-netstat"
type = "windows-netstat"
path = "captures/orion-netstat.txt"
host = "10.30.1.10"
"""


def run_demo(output: Path, *, now: datetime | None = None,
             workdir: Path | None = None) -> tuple[AuditResult, list[Path]]:
    """Build the sample network, audit it, write `output` (.xlsx) and its .json twin."""
    now = now or datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    with tempfile.TemporaryDirectory(prefix="stale-audit-demo-") as tmp:
        folder = workdir or Path(tmp)
        config_path = build_network(folder, now)
        result = run_audit(load_config(config_path), as_of=now, generated_at=now)
    written = write_reports(result, xlsx=output, json_path=output.with_suffix(".json"))
    return result, written


def build_network(folder: Path, now: datetime) -> Path:
    """Write every export, route table, log and capture of the demo; return audit.toml."""
    for sub in ("exports", "networks", "logs", "captures"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    _write_orion(folder / "exports", now)
    _write_trackit(folder / "exports" / "trackit-assets.csv", now)
    _write_dcnm(folder / "exports" / "dcnm-switches.json", now)
    _write_networks(folder / "networks")
    _write_logs(folder / "logs", now)
    _write_netstat(folder / "captures" / "orion-netstat.txt")
    config = folder / "audit.toml"
    config.write_text(CONFIG, encoding="utf-8")
    return config


def _swis_time(when: datetime | None) -> str | None:
    return None if when is None else when.isoformat(timespec="milliseconds")


def _write_orion(folder: Path, now: datetime) -> None:
    recent = now - timedelta(minutes=2)
    nodes = [
        (101, "core-sw-01", "10.10.0.2", 1, False, "SNMP", recent, recent),
        (102, "dist-sw-02", "10.20.0.3", 1, False, "SNMP", recent, recent),
        (187, "OLD-BLDG4-AP-CTRL", "10.99.4.20", 2, False, "SNMP", recent,
         datetime(2019, 3, 2, 17, 45, 10)),
        (203, "10.99.7.5", "10.99.7.5", 12, False, "ICMP", recent, None),
        (215, "legacy-ups-2", "172.16.40.11", 9, True, "SNMP", datetime(2023, 1, 9, 23, 58),
         datetime(2023, 1, 9, 23, 58)),
        (220, "wan-rtr-03", "10.20.9.1", 2, False, "SNMP", recent, now - timedelta(days=40)),
    ]
    results = [{"NodeID": nid, "Caption": cap, "IPAddress": ip, "DNS": "", "SysName": "",
                "Status": status, "UnManaged": unmanaged, "ObjectSubType": kind,
                "SNMPVersion": 2 if kind == "SNMP" else 0, "PollInterval": 120,
                "LastSync": _swis_time(sync), "LastSystemUpTimePollUtc": _swis_time(up),
                "EngineID": 1, "Vendor": "Cisco", "MachineType": "Unknown"}
               for nid, cap, ip, status, unmanaged, kind, sync, up in nodes]
    (folder / "npm-nodes.json").write_text(
        json.dumps({"totalRows": len(results), "results": results}, indent=2))
    engines = {"results": [{"EngineID": 1, "ServerName": "ORION-MPE01", "IP": ORION,
                            "ServerType": "Primary", "KeepAlive": _swis_time(now)}]}
    (folder / "npm-engines.json").write_text(json.dumps(engines, indent=2))


def _write_trackit(path: Path, now: datetime) -> None:
    us = "%m/%d/%Y %I:%M %p"
    rows = [
        ("1042", "FIN-PC-017", "Computer", "10.20.14.57", "Active",
         (now - timedelta(days=1)).strftime(us), "Yes"),
        ("1187", "BLDG4-KIOSK-01", "Computer", "10.99.4.31", "Active", "02/27/2019 10:05 PM",
         "Yes"),
        ("1203", "OLD-PRINT-SRV", "Computer", "10.99.7.12", "Retired", "11/04/2018 10:11 PM",
         "No"),
        ("1290", "HR-LAPTOP-22", "Computer", "10.20.30.40", "Active",
         (now - timedelta(days=60)).strftime(us), "Yes"),
        ("1310", "WH-SCANNER-03", "Handheld", "", "Active", "", "No"),
    ]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["Asset ID", "Asset Name", "Asset Type", "IP Address", "Status",
                     "Last Audit Date", "Audit Enabled"])
    writer.writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8", newline="")


def _write_dcnm(path: Path, now: datetime) -> None:
    scan = int((now - timedelta(minutes=5)).replace(tzinfo=UTC).timestamp() * 1000)
    switches = [("215060", "dc1-leaf-101", "10.30.0.11", "ok", True, scan),
                ("215070", "dc1-spine-201", "10.30.0.21", "ok", True, scan),
                ("215080", "bldg4-agg-01", "10.98.4.2", "unreachable", False, 1551548711000)]
    path.write_text(json.dumps([
        {"switchDbID": int(db), "logicalName": name, "hostName": name, "ipAddress": ip,
         "serialNumber": f"FDO2112{db[-3:]}", "fabricName": "DC1-LAN" if ok else
         "Legacy-Bldg4", "status": status, "managable": ok,
         "unmanagableCause": "" if ok else "Unreachable", "mode": "Normal",
         "lastScanTime": last, "sourceInterface": "mgmt0", "sourceVrf": "management"}
        for db, name, ip, status, ok, last in switches], indent=2))


def _write_networks(folder: Path) -> None:
    (folder / "prefixes.csv").write_text(
        "Prefix,Status,VRF,Description\n"
        "10.0.0.0/8,Container,,RFC 1918 aggregate\n"
        "10.10.0.0/16,Active,,DC1 servers and infrastructure\n"
        "10.20.0.0/16,Active,,Campus users\n"
        "10.30.0.0/23,Active,,Tools and DC fabric\n"
        "172.16.40.0/24,Active,,Facilities\n"
        "10.99.0.0/16,Deprecated,,Building 4 (demolished 2019)\n", encoding="utf-8")
    (folder / "fw-edge-show-route.txt").write_text(
        "fw-edge# show route\n\n"
        "Codes: L - local, C - connected, S - static, R - RIP, M - mobile, B - BGP\n"
        "       D - EIGRP, EX - EIGRP external, O - OSPF, IA - OSPF inter area\n\n"
        "Gateway of last resort is 198.51.100.1 to network 0.0.0.0\n\n"
        "S*       0.0.0.0 0.0.0.0 [1/0] via 198.51.100.1, outside\n"
        "C        10.10.0.0 255.255.0.0 is directly connected, inside\n"
        "L        10.10.0.1 255.255.255.255 is directly connected, inside\n"
        "S        10.20.0.0 255.255.0.0 [1/0] via 10.10.0.254, inside\n"
        "S        10.30.0.0 255.255.254.0 [1/0] via 10.10.0.253, inside\n"
        "S        10.99.0.0 255.255.0.0 [1/0] via 10.10.0.250, inside\n"
        "C        172.16.40.0 255.255.255.0 is directly connected, facilities\n"
        "L        172.16.40.1 255.255.255.255 is directly connected, facilities\n",
        encoding="utf-8")


def _write_logs(folder: Path, now: datetime) -> None:
    """Two files: yesterday's rotated and gzipped, today's plain; RFC 3164 headers."""
    start = (now - timedelta(hours=HOURS + 1)).replace(minute=0, second=0)
    lines = sorted(_log_lines(start), key=lambda pair: pair[0])
    split = start + timedelta(hours=1)
    old = [text for when, text in lines if when < split]
    new = [text for when, text in lines if when >= split]
    with gzip.open(folder / "fw-edge-1.log.gz", "wt", encoding="utf-8") as fh:
        fh.write("\n".join(old) + "\n")
    (folder / "fw-edge-2.log").write_text("\n".join(new) + "\n", encoding="utf-8")


def _log_lines(start: datetime) -> Iterator[tuple[datetime, str]]:
    rng = random.Random(419002)
    seconds = HOURS * 3600

    def stamp(offset: float) -> tuple[datetime, str]:
        when = start + timedelta(seconds=offset)
        return when, f"{when:%b} {when.day:2d} {when:%H:%M:%S} fw-edge : "

    for poller, target, port, per_hour in FLOODS:
        for _ in range(per_hour * HOURS):
            when, head = stamp(rng.uniform(0, seconds))
            yield when, (f"{head}%ASA-4-419002: Received duplicate TCP SYN from inside:"
                         f"{poller}/{rng.randint(49152, 65535)} to outside:{target}/{port} "
                         "with different initial sequence number.")
    conn = 88000000
    for _ in range(HOURS * 60):  # Track-It! audits FIN-PC-017: answered
        conn += 1
        when, head = stamp(rng.uniform(0, seconds))
        sport = rng.randint(49152, 65535)
        yield when, (f"{head}%ASA-6-302013: Built outbound TCP connection {conn} for "
                     f"users:10.20.14.57/10597 (10.20.14.57/10597) to inside:{TRACKIT}/{sport}"
                     f" ({TRACKIT}/{sport})")
        yield when, (f"{head}%ASA-6-302014: Teardown TCP connection {conn} for users:"
                     f"10.20.14.57/10597 to inside:{TRACKIT}/{sport} duration 0:00:04 "
                     "bytes 48211 TCP FINs")
    for _ in range(HOURS * 12):  # HR-LAPTOP-22 is switched off: SYN Timeout
        conn += 1
        when, head = stamp(rng.uniform(0, seconds - 30))
        sport = rng.randint(49152, 65535)
        yield when, (f"{head}%ASA-6-302013: Built outbound TCP connection {conn} for "
                     f"users:10.20.30.40/10597 (10.20.30.40/10597) to inside:{TRACKIT}/{sport}"
                     f" ({TRACKIT}/{sport})")
        later, head = stamp((when - start).total_seconds() + 30)
        yield later, (f"{head}%ASA-6-302014: Teardown TCP connection {conn} for users:"
                      f"10.20.30.40/10597 to inside:{TRACKIT}/{sport} duration 0:00:30 "
                      "bytes 0 SYN Timeout")
    for _ in range(HOURS * 30):  # Orion pings 10.99.7.5: nothing routes it
        when, head = stamp(rng.uniform(0, seconds))
        yield when, (f"{head}%ASA-6-110003: Routing failed to locate next hop for icmp from "
                     f"inside:{ORION}/0 to inside:10.99.7.5/0")
    for _ in range(HOURS * 40):  # internet noise denied at the edge
        when, head = stamp(rng.uniform(0, seconds))
        yield when, (f"{head}%ASA-4-106023: Deny tcp src outside:203.0.113."
                     f"{rng.choice((7, 45, 201))}/{rng.randint(1024, 65535)} dst "
                     "inside:10.10.0.5/445"
                     ' by access-group "outside_in" [0x0, 0x0]')
    when, head = stamp(60)
    yield when, f"{head}%ASA-6-725001: Starting SSL handshake with client inside:10.10.5.9/51000"
    yield when, "\x00\x00garbled relay line \ufffd\ufffd"


def _write_netstat(path: Path) -> None:
    rows = [("TCP", "0.0.0.0:135", "0.0.0.0:0", "LISTENING", "  RpcSs", "svchost.exe"),
            ("TCP", f"{ORION}:17777", "0.0.0.0:0", "LISTENING", None,
             "SolarWinds.InformationService.exe"),
            ("TCP", f"{ORION}:50122", "10.99.3.4:17777", "SYN_SENT", None,
             "SolarWinds.BusinessLayerHost.exe"),
            ("UDP", "0.0.0.0:161", "*:*", "", "  SNMP", "snmp.exe")]
    out = []
    for _ in range(2):
        out += ["", "Active Connections", "",
                "  Proto  Local Address          Foreign Address        State"]
        for proto, local, remote, state, service, exe in rows:
            out.append(f"  {proto:<6} {local:<22} {remote:<22} {state}".rstrip())
            if service:
                out.append(service)
            out.append(f" [{exe}]")
    path.write_text("\r\n".join(out) + "\r\n", encoding="ascii", newline="")

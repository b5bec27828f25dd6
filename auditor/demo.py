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

import random
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from auditor.config import load_config
from auditor.engine import run_audit
from auditor.errors import UsageError
from auditor.history import record_run
from auditor.model import AuditResult
from auditor.synthetic import asa_messages as asa
from auditor.synthetic import formats
from auditor.synthetic.model import (
    DcnmSwitch,
    Endpoint,
    NetstatRow,
    OrionEngine,
    OrionNode,
    Prefix,
    Route,
    TrackItAsset,
)
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


@dataclass(frozen=True, slots=True)
class DemoRun:
    """What `stale-audit demo` did."""

    result: AuditResult
    written: list[Path]
    kept: Path | None = None
    """The folder holding the network (`--keep`); None when it was a temp folder."""
    warning: str | None = None
    """Why the kept network's history does not hold this run, if it does not."""


def run_demo(output: Path, *, now: datetime | None = None,
             keep: Path | None = None) -> DemoRun:
    """Build the sample network, audit it, write `output` (.xlsx) and its .json twin.

    With `keep`, the network is built in that folder (new, or empty) and stays there with a
    README.txt, and this run goes into its history, so auditing it again after an edit
    lists what changed.

    Raises:
        UsageError: `keep` is a file or a folder that is not empty (nothing is overwritten).
    """
    now = now or datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    warning = None
    if keep is None:
        with tempfile.TemporaryDirectory(prefix="stale-audit-demo-") as tmp:
            config = load_config(build_network(Path(tmp), now))
            result = run_audit(config, as_of=now, generated_at=now)
    else:
        check_keep_folder(keep)
        config = load_config(build_network(keep, now))
        (keep / "README.txt").write_text(keep_readme(keep, now), encoding="utf-8")
        result = run_audit(config, as_of=now, generated_at=now)
        if config.keep_history:
            warning = record_run(config.path, result, output, history=config.history)
    written = write_reports(result, xlsx=output, json_path=output.with_suffix(".json"))
    return DemoRun(result, written, keep, warning)


def check_keep_folder(folder: Path) -> None:
    """Refuse a `--keep` folder that holds anything: the demo never overwrites a file."""
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"--keep {folder}: is a file; name a new or empty folder")
    if folder.is_dir() and any(folder.iterdir()):
        raise UsageError(f"--keep {folder}: folder is not empty; name a new or empty folder "
                         f"(to audit a network kept before: stale-audit audit -c "
                         f"{folder / 'audit.toml'})")


def keep_readme(folder: Path, now: datetime) -> str:
    """README.txt of a kept demo network: what each file is, what to try."""
    config = folder / "audit.toml"
    return KEEP_README.format(when=f"{now:%Y-%m-%d %H:%M}", config=config,
                              as_of=f"{now:%Y-%m-%dT%H:%MZ}")


KEEP_README = """\
stale-audit demo network, built {when} UTC

The seed story: Track-It!, SolarWinds Orion and DCNM keep reaching networks retired years
ago, and the edge ASA logs every attempt (%ASA-4-419002 duplicate TCP SYN, about 19,000
lines an hour).

  audit.toml                        the config: three tools, two network sources, the
                                    firewall log and a netstat capture
  exports/npm-nodes.json            SolarWinds Orion nodes (a SWIS query on Orion.Nodes)
  exports/npm-engines.json          Orion's polling engine (Orion.Engines)
  exports/trackit-assets.csv        Track-It! asset grid export
  exports/dcnm-switches.json        Cisco DCNM switch inventory (/rest/inventory/switches)
  networks/prefixes.csv             IPAM: 10.99.0.0/16 is Deprecated, 10.98.4.0/24 absent
  networks/fw-edge-show-route.txt   the edge ASA's `show route` (10.99.0.0/16 still routed)
  logs/fw-edge-1.log.gz, -2.log     the edge ASA's syslog, the older file rotated and gzipped
  captures/orion-netstat.txt        `netstat -abn` taken on the Orion server (10.30.1.10)
  .stale-audit/history.sqlite       the run history: it holds the demo's audit

Audit it again (each audit is compared with the one before it):

  stale-audit audit -c {config}

Things to try:

  * In exports/trackit-assets.csv, set Audit Enabled to No for BLDG4-KIOSK-01 (10.99.4.31)
    and audit again: it leaves "Stale and still polled".
  * Delete OLD-BLDG4-AP-CTRL (NodeID 187) from exports/npm-nodes.json: its finding is
    resolved.
  * stale-audit precheck -c {config} --retire 10.20.0.0/16
    lists every record that points into 10.20.0.0/16, and which of them answer today.

Ages are judged against the time you run it. The exports and logs are dated {when} UTC;
weeks later, tools that were up then read as down. To judge them as on the demo's day, add
--as-of {as_of} to the audit.
"""


def build_network(folder: Path, now: datetime) -> Path:
    """Write every export, route table, log and capture of the demo; return audit.toml."""
    for sub in ("exports", "networks", "logs", "captures"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    _write_orion(folder / "exports", now)
    formats.write_trackit_csv(folder / "exports" / "trackit-assets.csv", _trackit_assets(now),
                              TRACKIT_COLUMNS)
    formats.write_dcnm_switches(folder / "exports" / "dcnm-switches.json", _dcnm_switches(now))
    formats.write_prefix_csv(folder / "networks" / "prefixes.csv", PREFIXES,
                             ("Prefix", "Status", "VRF", "Description"))
    formats.write_asa_show_route(folder / "networks" / "fw-edge-show-route.txt", ROUTES,
                                 prompt="fw-edge#", gateway="198.51.100.1")
    _write_logs(folder / "logs", now)
    formats.write_windows_netstat(folder / "captures" / "orion-netstat.txt", NETSTAT)
    config = folder / "audit.toml"
    config.write_text(CONFIG, encoding="utf-8")
    return config


def _write_orion(folder: Path, now: datetime) -> None:
    recent = now - timedelta(minutes=2)
    swis = formats.format_swis_time
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
    formats.write_swis_nodes(folder / "npm-nodes.json", [
        OrionNode(node_id=nid, caption=cap, address=ip, status=status, kind=kind, engine_id=1,
                  last_sync=swis(sync), last_uptime_poll=swis(up), unmanaged=unmanaged)
        for nid, cap, ip, status, unmanaged, kind, sync, up in nodes])
    formats.write_swis_engines(folder / "npm-engines.json", [
        OrionEngine(1, "ORION-MPE01", ORION, "Primary", swis(now))])


TRACKIT_COLUMNS = ("Asset ID", "Asset Name", "Asset Type", "IP Address", "Status",
                   "Last Audit Date", "Audit Enabled")


def _trackit_assets(now: datetime) -> list[TrackItAsset]:
    rows = [
        ("1042", "FIN-PC-017", "Computer", "10.20.14.57", "Active", now - timedelta(days=1),
         True),
        ("1187", "BLDG4-KIOSK-01", "Computer", "10.99.4.31", "Active",
         datetime(2019, 2, 27, 22, 5), True),
        ("1203", "OLD-PRINT-SRV", "Computer", "10.99.7.12", "Retired",
         datetime(2018, 11, 4, 22, 11), False),
        ("1290", "HR-LAPTOP-22", "Computer", "10.20.30.40", "Active", now - timedelta(days=60),
         True),
        ("1310", "WH-SCANNER-03", "Handheld", "", "Active", None, False),
    ]
    return [TrackItAsset(asset_id=number, name=name, kind=kind, address=ip, status=status,
                         last_audit=last, audit=audit)
            for number, name, kind, ip, status, last, audit in rows]


def _dcnm_switches(now: datetime) -> list[DcnmSwitch]:
    scan = int((now - timedelta(minutes=5)).replace(tzinfo=UTC).timestamp() * 1000)
    switches = [("215060", "dc1-leaf-101", "10.30.0.11", True, scan),
                ("215070", "dc1-spine-201", "10.30.0.21", True, scan),
                ("215080", "bldg4-agg-01", "10.98.4.2", False, 1551548711000)]
    return [DcnmSwitch(db_id=int(db), name=name, address=ip, serial=f"FDO2112{db[-3:]}",
                       fabric="DC1-LAN" if ok else "Legacy-Bldg4", reachable=ok, last_scan=last)
            for db, name, ip, ok, last in switches]


PREFIXES = (
    Prefix("10.0.0.0/8", "Container", description="RFC 1918 aggregate"),
    Prefix("10.10.0.0/16", "Active", description="DC1 servers and infrastructure"),
    Prefix("10.20.0.0/16", "Active", description="Campus users"),
    Prefix("10.30.0.0/23", "Active", description="Tools and DC fabric"),
    Prefix("172.16.40.0/24", "Active", description="Facilities"),
    Prefix("10.99.0.0/16", "Deprecated", description="Building 4 (demolished 2019)"),
)
#: 10.99.0.0/16 stays routed though IPAM deprecated it; 10.98.4.0/24 is nowhere.
ROUTES = (
    Route("S*", "0.0.0.0/0", "outside", via="198.51.100.1"),
    Route("C", "10.10.0.0/16", "inside"),
    Route("L", "10.10.0.1/32", "inside"),
    Route("S", "10.20.0.0/16", "inside", via="10.10.0.254"),
    Route("S", "10.30.0.0/23", "inside", via="10.10.0.253"),
    Route("S", "10.99.0.0/16", "inside", via="10.10.0.250"),
    Route("C", "172.16.40.0/24", "facilities"),
    Route("L", "172.16.40.1/32", "facilities"),
)


def _write_logs(folder: Path, now: datetime) -> None:
    """Two files: yesterday's rotated and gzipped, today's plain; RFC 3164 headers."""
    start = (now - timedelta(hours=HOURS + 1)).replace(minute=0, second=0)
    lines = sorted(_log_lines(start), key=lambda pair: pair[0])
    split = start + timedelta(hours=1)
    formats.write_log_file(folder / "fw-edge-1.log.gz",
                           [text for when, text in lines if when < split])
    formats.write_log_file(folder / "fw-edge-2.log",
                           [text for when, text in lines if when >= split])


def _log_lines(start: datetime) -> Iterator[tuple[datetime, str]]:
    rng = random.Random(419002)
    seconds = HOURS * 3600

    def line(offset: float, severity: int, message_id: str, text: str) -> tuple[datetime, str]:
        when = start + timedelta(seconds=offset)
        return when, asa.format_line("rfc3164", when, "fw-edge", severity, message_id, text)

    for poller, target, port, per_hour in FLOODS:
        for _ in range(per_hour * HOURS):
            offset = rng.uniform(0, seconds)
            src = Endpoint("inside", poller, rng.randint(49152, 65535))
            yield line(offset, 4, "419002",
                       asa.format_duplicate_syn(src, Endpoint("outside", target, port)))
    conn = 88000000
    for user, duration, size, reason, span, count in (
            ("10.20.14.57", "0:00:04", 48211, "TCP FINs", 0, 60),  # FIN-PC-017 answers
            ("10.20.30.40", "0:00:30", 0, "SYN Timeout", 30, 12)):  # HR-LAPTOP-22 is off
        for _ in range(HOURS * count):
            conn += 1
            offset = rng.uniform(0, seconds - span)
            sport = rng.randint(49152, 65535)
            audited = Endpoint("users", user, 10597)
            auditor_end = Endpoint("inside", TRACKIT, sport)
            when, text = line(offset, 6, "302013",
                              asa.format_built("outbound", "tcp", conn, audited, auditor_end))
            yield when, text
            later = (when - start).total_seconds() + span if span else offset
            yield line(later, 6, "302014", asa.format_teardown(
                "tcp", conn, audited, auditor_end, duration, size, reason))
    for _ in range(HOURS * 30):  # Orion pings 10.99.7.5: nothing routes it
        yield line(rng.uniform(0, seconds), 6, "110003", asa.format_no_route(
            "icmp", Endpoint("inside", ORION, 0), Endpoint("inside", "10.99.7.5", 0)))
    for _ in range(HOURS * 40):  # internet noise denied at the edge
        offset = rng.uniform(0, seconds)
        scanner = Endpoint("outside", f"203.0.113.{rng.choice((7, 45, 201))}",
                           rng.randint(1024, 65535))
        yield line(offset, 4, "106023", asa.format_acl_deny(
            "tcp", scanner, Endpoint("inside", "10.10.0.5", 445), "outside_in"))
    when, text = line(60, 6, "725001", "Starting SSL handshake with client "
                      "inside:10.10.5.9/51000")
    yield when, text
    yield when, "\x00\x00garbled relay line \ufffd\ufffd"


NETSTAT = (
    NetstatRow("TCP", "0.0.0.0:135", "0.0.0.0:0", "LISTENING", "svchost.exe", "  RpcSs"),
    NetstatRow("TCP", f"{ORION}:17777", "0.0.0.0:0", "LISTENING",
               "SolarWinds.InformationService.exe"),
    NetstatRow("TCP", f"{ORION}:50122", "10.99.3.4:17777", "SYN_SENT",
               "SolarWinds.BusinessLayerHost.exe"),
    NetstatRow("UDP", "0.0.0.0:161", "*:*", "", "snmp.exe", "  SNMP"),
)

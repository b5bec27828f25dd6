"""A whole audit at enterprise scale, stage by stage, against `grep -c` in the same run.

Generates (deterministically, from `--seed`, into a temporary folder) a network in the real
export formats the connectors read:

* SolarWinds Orion: SWIS `Orion.Nodes` JSON (20,000 nodes) and `Orion.Engines` (8 pollers),
* Track-It!: the asset grid CSV (10,000 assets, US dates, some retired or not audited),
* Cisco DCNM: the `inventory/switches` JSON array (2,000 switches),
* IPAM: a NetBox-style prefix CSV with Status (5,000 rows: containers, active, reserved,
  deprecated, retired),
* the edge ASA's `show route` (2,000 routes, OSPF/static/connected, a few Null0),
* the edge ASA's syslog: 2,000,000 lines over six files (the three older rotated `.gz`),
  mixing 419002 duplicate SYNs, 302013/302014 pairs (SYN Timeout and answered), 106023
  denies, 110003 no-route and noise, with drops to about 50,000 distinct destinations:
  some held by records, most not (ghost flows); Zipf-like, so a few floods dominate.

`--scale` multiplies every count (`--scale 0.05` is a quick run). Then it runs the audit
through the library (`load_config` + `run_audit`), timing each stage inside that one run
(load per source, networks, network index, log fold, reconcile, ghost flows), writes each
report through `reports.REPORTERS`, and prints:

1. the stages: seconds, items, rate, and the process's peak RSS after each;
2. baselines over the same log files: `wc -l`, `grep -c 'uplicate TCP SYN'` (through
   `zcat` for the `.gz` files), and, in a fresh process, Python reading the lines alone and
   the parser alone; and the log stage's ratio to grep;
3. memory of the log stage in fresh processes, over the logs once and twice (the same files
   read two times: twice the lines, the same flows): peak RSS, and with `--tracemalloc`
   the tracemalloc peak too (traced in separate runs: it slows the fold about six times).

The data is generated in a child process, so the audit's RSS column is the audit's own.
Numbers only; no timing is asserted anywhere. Full scale takes about two minutes on two
cores and about 250 MB of disk in the temporary folder.

    python benchmarks/bench_audit.py [--scale 1.0] [--seed N] [--keep EMPTY_DIR]
                                     [--no-memory] [--tracemalloc]
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import gzip
import hashlib
import heapq
import io
import json
import os
import platform
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import auditor.engine as engine  # noqa: E402
from auditor.config import load_config  # noqa: E402
from auditor.model import LogStats  # noqa: E402
from auditor.traffic import TrafficIndex  # noqa: E402
from connectors import lookup  # noqa: E402
from connectors.shared.files import open_text_tracked  # noqa: E402
from reports import REPORTERS  # noqa: E402

AS_OF = datetime(2026, 11, 25, 6, 0, 0)
LOG_HOURS = 24
LOG_START = AS_OF - timedelta(hours=LOG_HOURS + 2)
LOG_FILES = 6
GZ_FILES = 3
PATTERN = "uplicate TCP SYN"

ENGINES = [f"10.1.1.{10 + k}" for k in range(8)]
TRACKIT = "10.1.1.20"
DCNM = "10.1.1.41"
STRANGERS = [f"10.1.2.{k}" for k in range(11, 51)]
#: First /24 of the IPAM block space (10.16.0.0); block i is 10.16.0.0 + i * 256.
BLOCK_BASE = (10 << 24) | (16 << 16)

CONFIG = """\
[audit]
name = "Benchmark: enterprise-scale audit"
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
poller = "10.1.1.20"

[[sources]]
name = "dcnm"
type = "cisco-dcnm"
path = "exports/dcnm-switches.json"
owner = "Data Center - DCNM"
poller = "10.1.1.41"

[[networks]]
name = "ipam"
type = "prefix-list"
path = "networks/netbox-prefixes.csv"

[[networks]]
name = "fw-edge-routes"
type = "cisco-asa-route"
path = "networks/fw-edge-show-route.txt"

[[logs]]
name = "fw-edge"
type = "cisco-asa"
paths = ["logs/fw-edge-*.log*"]
"""


# -- sizes ------------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Sizes:
    orion: int
    trackit: int
    dcnm: int
    prefixes: int
    routes: int
    lines: int
    drop_dsts: int
    answered_dsts: int

    @classmethod
    def at(cls, scale: float) -> Sizes:
        def n(full: int, least: int = 10) -> int:
            return max(least, round(full * scale))
        return cls(orion=n(20_000), trackit=n(10_000), dcnm=n(2_000), prefixes=n(5_000, 50),
                   routes=n(2_000, 20), lines=n(2_000_000, 10_000), drop_dsts=n(50_000),
                   answered_dsts=n(10_000))


# -- addresses --------------------------------------------------------------------------------

def dotted(value: int) -> str:
    return f"{value >> 24}.{value >> 16 & 255}.{value >> 8 & 255}.{value & 255}"


class AddressPlan:
    """Which /24 blocks are live or dead, and addresses drawn from each kind of space."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.live: list[int] = []
        self.dead: list[int] = []
        self.blackholes: list[int] = []
        self.taken: set[str] = set()

    def block(self, i: int) -> int:
        return BLOCK_BASE + i * 256

    def draw(self, kind: str, *, unique: bool = True) -> str:
        """A host address in `kind` space: live, dead (deprecated), outside, blackhole."""
        rng = self.rng
        for _ in range(10_000):
            if kind == "live":
                address = dotted(rng.choice(self.live) + rng.randint(1, 254))
            elif kind == "dead":
                address = dotted(rng.choice(self.dead) + rng.randint(1, 254))
            elif kind == "blackhole":
                address = dotted(rng.choice(self.blackholes) + rng.randint(1, 254))
            else:  # no network and no route at all: 10.200.0.0 - 10.239.255.255
                address = f"10.{rng.randint(200, 239)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
            if not unique or address not in self.taken:
                self.taken.add(address)
                return address
        raise RuntimeError(f"address plan: {kind} space is full")


def pick(rng: random.Random, weights: dict[str, float]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


# -- networks ---------------------------------------------------------------------------------

def write_networks(folder: Path, sizes: Sizes, plan: AddressPlan, rng: random.Random) -> int:
    """NetBox prefix CSV and ASA `show route`; fills `plan` with live/dead blocks."""
    rows = [("10.0.0.0/8", "Container", "Global", "RFC 1918 aggregate"),
            ("10.1.0.0/16", "Container", "Global", "Tools"),
            ("10.1.1.0/24", "Active", "Global", "Monitoring and asset servers"),
            ("10.1.2.0/24", "Active", "Global", "Jump hosts and scripts")]
    i = 0
    while len(rows) < sizes.prefixes:
        base = plan.block(i)
        if base & 0xFFFF == 0:
            rows.append((f"{dotted(base)}/16", "Container", "Global", f"Region {i // 256}"))
        status = pick(rng, {"Active": 80, "Reserved": 4, "Deprecated": 10, "Retired": 4,
                            "split": 2})
        description = f"Site {i // 64:03d} VLAN {100 + i % 900}"
        if status == "split":
            rows.append((f"{dotted(base)}/25", "Active", "Global", description + " A"))
            rows.append((f"{dotted(base + 128)}/25", "Active", "Global", description + " B"))
            plan.live.append(base)
        else:
            vrf = "Global" if rng.random() < 0.9 else "MGMT"
            rows.append((f"{dotted(base)}/24", status, vrf, description))
            (plan.dead if status in ("Deprecated", "Retired") else plan.live).append(base)
        i += 1
    blocks = i
    buffer = io.StringIO()
    buffer.write("ID,Prefix,Status,Children,VRF,Utilization,Tenant,Site,VLAN,Role,Description\n")
    for number, (prefix, status, vrf, description) in enumerate(rows, 1):
        buffer.write(f"{number},{prefix},{status},0,{vrf},{rng.randint(0, 99)}%,,,,,"
                     f"{description}\n")
    (folder / "netbox-prefixes.csv").write_text(buffer.getvalue(), encoding="utf-8")

    # show route: default, tools, a few Null0 blackholes, then /24s and /22 aggregates over
    # the block space (deprecated blocks stay routed: routed but deprecated is still gone).
    out = ["fw-edge/pri/act# show route", "",
           "Codes: L - local, C - connected, S - static, R - RIP, M - mobile, B - BGP",
           "       D - EIGRP, EX - EIGRP external, O - OSPF, IA - OSPF inter area", "",
           "Gateway of last resort is 198.51.100.1 to network 0.0.0.0", "",
           "S*       0.0.0.0 0.0.0.0 [1/0] via 198.51.100.1, outside",
           "C        10.1.1.0 255.255.255.0 is directly connected, tools",
           "L        10.1.1.1 255.255.255.255 is directly connected, tools",
           "C        10.1.2.0 255.255.255.0 is directly connected, tools",
           "L        10.1.2.1 255.255.255.255 is directly connected, tools"]
    routes = 4
    for k in range(max(4, sizes.routes // 100)):
        base = (10 << 24) | (240 << 16) | (k << 8)
        plan.blackholes.append(base)
        out.append(f"S        {dotted(base)} 255.255.255.0 is directly connected, Null0")
        routes += 1
    stride = max(1, blocks // max(1, sizes.routes - routes))
    b = 0
    while routes < sizes.routes:
        base = plan.block(b % blocks)
        kind = rng.random()
        if kind < 0.5:
            out.append(f"O IA     {dotted(base)} 255.255.255.0 [110/20] via 10.1.0.253, "
                       f"{rng.randint(1, 9)}d{rng.randint(0, 23):02d}h, inside")
            out.append("                                 [110/20] via 10.1.0.252, 3d02h, inside")
        elif kind < 0.8:
            out.append(f"S        {dotted(base)} 255.255.255.0 [1/0] via 10.1.0.254, inside")
        else:
            agg = base & ~0x3FF
            out.append(f"O E2     {dotted(agg)} 255.255.252.0 [110/20] via 10.1.0.253, "
                       f"{rng.randint(1, 5)}w{rng.randint(0, 6)}d, inside")
        routes += 1
        b += stride
    out += ["", "fw-edge/pri/act# "]
    (folder / "fw-edge-show-route.txt").write_text("\n".join(out) + "\n", encoding="utf-8")
    return blocks


# -- inventories ------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Held:
    """A record some tool holds, as far as the log generator needs to know."""

    address: str
    sender: str
    protocol: str
    port: int | None
    answers: bool


def _swis(when: datetime | None) -> str | None:
    return None if when is None else when.isoformat(timespec="milliseconds")


def write_orion(folder: Path, sizes: Sizes, plan: AddressPlan, rng: random.Random) -> list[Held]:
    held: list[Held] = []
    results = []
    methods = {"SNMP": 70, "ICMP": 20, "WMI": 10}
    proto = {"SNMP": ("udp", 161), "ICMP": ("icmp", None), "WMI": ("tcp", 135)}
    for n in range(sizes.orion):
        space = pick(rng, {"live": 82, "dead": 8, "outside": 8, "blackhole": 2})
        address = plan.draw(space)
        method = pick(rng, methods)
        gone = space != "live"
        if gone:
            status = pick(rng, {"down": 60, "unreachable": 20, "up": 10, "unmanaged": 10})
        else:
            status = pick(rng, {"up": 85, "down": 5, "warning": 3, "unreachable": 2,
                                "unmanaged": 5})
        code = {"up": 1, "down": 2, "warning": 3, "unreachable": 12, "unmanaged": 9}[status]
        recent = AS_OF - timedelta(minutes=rng.randint(1, 10))
        old = AS_OF - timedelta(days=rng.randint(30, 1500), seconds=rng.randint(0, 86399))
        answers = status in ("up", "warning")
        uptime = None if method == "ICMP" else (recent if answers else old)
        engine_id = 1 + n % len(ENGINES)
        results.append({
            "NodeID": 1000 + n, "Caption": f"site{n // 40:03d}-{method.lower()}-{n:05d}",
            "IPAddress": address, "DNS": "", "SysName": "", "Status": code,
            "UnManaged": status == "unmanaged", "ObjectSubType": method,
            "SNMPVersion": 2 if method == "SNMP" else 0, "PollInterval": 120,
            "LastSync": _swis(old if status == "unmanaged" else recent),
            "LastSystemUpTimePollUtc": _swis(uptime), "EngineID": engine_id,
            "Vendor": "Cisco", "MachineType": "Unknown"})
        if status != "unmanaged":
            p, port = proto[method]
            held.append(Held(address, ENGINES[engine_id - 1], p, port, answers))
    (folder / "npm-nodes.json").write_text(
        json.dumps({"totalRows": len(results), "results": results}, indent=1))
    engines = {"results": [{"EngineID": k + 1, "ServerName": f"ORION-APE{k + 1:02d}", "IP": ip,
                            "ServerType": "Primary" if k == 0 else "Additional",
                            "KeepAlive": _swis(AS_OF)} for k, ip in enumerate(ENGINES)]}
    (folder / "npm-engines.json").write_text(json.dumps(engines, indent=1))
    return held


def write_trackit(path: Path, sizes: Sizes, plan: AddressPlan, rng: random.Random,
                  shared: list[str]) -> list[Held]:
    us = "%m/%d/%Y %I:%M %p"
    held: list[Held] = []
    out = io.StringIO()
    out.write("Asset ID,Asset Name,Asset Type,IP Address,Status,Last Audit Date,"
              "Audit Enabled\r\n")
    for n in range(sizes.trackit):
        space = pick(rng, {"live": 75, "dead": 10, "outside": 9, "blank": 3, "shared": 3})
        if space == "blank":
            address = ""
        elif space == "shared":  # the same device in Orion too: two records, one finding
            address = rng.choice(shared)
        else:
            address = plan.draw(space)
        status = pick(rng, {"Active": 92, "In Repair": 3, "Retired": 4, "Disposed": 1})
        audit = rng.random() < 0.93
        if space in ("dead", "outside"):
            last = AS_OF - timedelta(days=rng.randint(60, 2000), minutes=rng.randint(0, 1439))
        elif rng.random() < 0.85:
            last = AS_OF - timedelta(days=rng.randint(0, 6), minutes=rng.randint(0, 1439))
        else:
            last = AS_OF - timedelta(days=rng.randint(20, 400), minutes=rng.randint(0, 1439))
        kind = pick(rng, {"Computer": 60, "Laptop": 25, "Server": 8, "Printer": 4,
                          "Handheld": 3})
        last_text = "" if rng.random() < 0.02 else last.strftime(us)
        out.write(f"{20000 + n},{kind.upper()[:3]}-{n:05d},{kind},{address},{status},"
                  f"{last_text},{'Yes' if audit else 'No'}\r\n")
        if address and audit and status not in ("Retired", "Disposed"):
            held.append(Held(address, TRACKIT, "tcp", 10597, space in ("live", "shared")))
    path.write_text(out.getvalue(), encoding="utf-8", newline="")
    return held


def write_dcnm(path: Path, sizes: Sizes, plan: AddressPlan, rng: random.Random) -> list[Held]:
    held: list[Held] = []
    switches = []
    recent = int((AS_OF - timedelta(minutes=5)).replace(tzinfo=UTC).timestamp() * 1000)
    for n in range(sizes.dcnm):
        ok = rng.random() < 0.9
        address = plan.draw("live" if ok else pick(rng, {"dead": 1, "outside": 1}))
        last = recent if ok else recent - rng.randint(30, 1500) * 86_400_000
        name = f"dc{1 + n % 3}-{'leaf' if n % 5 else 'spine'}-{n:04d}"
        switches.append({
            "switchDbID": 300000 + n, "logicalName": name, "hostName": name,
            "ipAddress": address, "serialNumber": f"FDO{21120000 + n}",
            "fabricName": f"DC{1 + n % 3}-LAN" if ok else "Legacy-Bldg4",
            "status": "ok" if ok else "unreachable", "managable": ok,
            "unmanagableCause": "" if ok else "Unreachable", "mode": "Normal",
            "lastScanTime": last, "sourceInterface": "mgmt0", "sourceVrf": "management"})
        held.append(Held(address, DCNM, "udp", 161, ok))
    path.write_text(json.dumps(switches, indent=1))
    return held


# -- logs -------------------------------------------------------------------------------------

@dataclasses.dataclass
class Drop:
    """One dropped destination: its senders and the pre-rendered text of each message."""

    texts: list[tuple[str, str, str, str]]
    """Per sender: (message prefix, text after the source port, src, dst/port)."""
    mode: str
    weight: float


def _drop(dst: str, senders: list[tuple[str, str, int | None]], mode: str,
          weight: float) -> Drop:
    texts = []
    for src, protocol, port in senders:
        if mode == "syn":
            texts.append((f"%ASA-4-419002: Received duplicate TCP SYN from inside:{src}/",
                          f" to outside:{dst}/{port} with different initial sequence number.",
                          src, f"{dst}/{port}"))
        elif mode == "noroute":
            p = 0 if port is None else port
            texts.append((f"%ASA-6-110003: Routing failed to locate next hop for {protocol} "
                          f"from inside:{src}/", f" to outside:{dst}/{p}", src, f"{dst}/{p}"))
        else:
            texts.append((f"%ASA-4-106023: Deny {protocol} src inside:{src}/",
                          f' dst outside:{dst}/{port} by access-group "inside_out" '
                          "[0x51fd1c46, 0x0]", src, f"{dst}/{port}"))
    return Drop(texts, mode, weight)


def _mode(rng: random.Random, protocol: str) -> str:
    if protocol == "tcp":
        return "syn" if rng.random() < 0.85 else "deny"
    if protocol == "icmp":
        return "noroute"
    return "noroute" if rng.random() < 0.6 else "deny"


GHOST_SENDERS = (  # (sender pool, protocol, port, weight)
    (ENGINES, "tcp", 17777, 15), (ENGINES, "udp", 161, 20), (ENGINES, "icmp", None, 5),
    ([TRACKIT], "tcp", 10597, 12), ([TRACKIT], "tcp", 6711, 8), ([DCNM], "udp", 161, 10),
    (STRANGERS, "tcp", 445, 10), (STRANGERS, "tcp", 22, 6), (STRANGERS, "tcp", 3389, 4),
    (STRANGERS, "udp", 514, 5), (STRANGERS, "udp", 162, 5))


def plan_drops(sizes: Sizes, plan: AddressPlan, held: list[Held],
               rng: random.Random) -> tuple[list[Drop], int]:
    """Drop destinations: the non-answering records (up to 16%), then ghosts for the rest."""
    drops: list[Drop] = []
    silent = [h for h in held if not h.answers]
    rng.shuffle(silent)
    seen: set[str] = set()
    for h in silent[:int(sizes.drop_dsts * 0.16)]:
        if h.address in seen:
            continue
        seen.add(h.address)
        drops.append(_drop(h.address, [(h.sender, h.protocol, h.port)], _mode(rng, h.protocol),
                           0.0))
    held_count = len(drops)
    weights = [w for *_, w in GHOST_SENDERS]
    while len(drops) < sizes.drop_dsts:
        dst = plan.draw(pick(rng, {"outside": 55, "dead": 25, "live": 15, "blackhole": 5}))
        pool, protocol, port, _ = rng.choices(GHOST_SENDERS, weights=weights)[0]
        senders = [(rng.choice(pool), protocol, port)]
        if rng.random() < 0.2:  # a second tool (or script) reaching the same dead address
            other, p2, port2, _ = rng.choices(GHOST_SENDERS, weights=weights)[0]
            if p2 == protocol:
                senders.append((rng.choice(other), protocol, port2))
        drops.append(_drop(dst, senders, _mode(rng, protocol), 0.0))
    # Zipf-like volume over a shuffled ranking: a few floods, a long tail.
    ranks = list(range(len(drops)))
    rng.shuffle(ranks)
    for drop, rank in zip(drops, ranks, strict=True):
        drop.weight = 1.0 / (rank + 1) ** 0.9
    return drops, held_count


NOISE = (
    "%ASA-7-609001: Built local-host inside:10.1.{a}.{b}",
    "%ASA-6-305011: Built dynamic TCP translation from inside:10.1.2.{b}/5{b:04d} to "
    "outside:198.51.100.1/{a}{b}",
    "%ASA-5-111008: User 'admin' executed the 'write memory' command.",
    "%ASA-6-725001: Starting SSL handshake with client outside:203.0.113.{b}/443 for TLS session.",
    "%ASA-6-302015: Built outbound UDP connection 9{a}{b} for outside:198.51.100.53/53 "
    "(198.51.100.53/53) to inside:10.1.2.{b}/5{a:04d} (10.1.2.{b}/5{a:04d})",
    "%ASA-6-302016: Teardown UDP connection 9{a}{b} for outside:198.51.100.53/53 to "
    "inside:10.1.2.{b}/5{a:04d} duration 0:00:00 bytes 112",
    "%ASA-4-733100: [ Scanning] drop rate-1 exceeded. Current burst rate is 1 per second, max "
    "configured rate is 10; Current average rate is 7 per second, max configured rate is 5",
    "garbage line {a} {b} without any tag",
)


@contextlib.contextmanager
def _log_writer(path: Path) -> Iterator[IO[str]]:
    """A rotated log is gzipped (logrotate's default level), the current one plain.

    No name and a zero mtime in the gzip header, so the same seed gives the same bytes.
    """
    if path.suffix != ".gz":
        with path.open("w", encoding="utf-8") as fh:
            yield fh
        return
    with (path.open("wb") as raw,
          gzip.GzipFile(filename="", mode="wb", compresslevel=6, mtime=0,
                        fileobj=raw) as packed,
          io.TextIOWrapper(packed, encoding="utf-8") as fh):
        yield fh


def write_logs(folder: Path, sizes: Sizes, drops: list[Drop], answered: list[tuple[str, int, str]],
               rng: random.Random) -> list[Path]:
    """`LOG_FILES` files in time order, the first `GZ_FILES` gzipped (rotated)."""
    total = sizes.lines
    # Every drop destination appears at least once; the rest is drawn by weight.
    drop_lines = int(total * 0.70)
    deck = list(range(len(drops)))
    extra = max(0, drop_lines - len(deck))
    deck += rng.choices(range(len(drops)), weights=[d.weight for d in drops], k=extra)
    rng.shuffle(deck)
    deck_pos = 0
    step = LOG_HOURS * 3600 / total
    conn = 500_000_000
    pending: list[tuple[int, int, str]] = []  # (due line, tie, text): delayed Teardowns
    paths = [folder / f"fw-edge-{k + 1:02d}.log{'.gz' if k < GZ_FILES else ''}"
             for k in range(LOG_FILES)]
    per_file = -(-total // LOG_FILES)
    written = 0
    stamp_second = -1
    head = ""
    for k, path in enumerate(paths):
        with _log_writer(path) as fh:
            chunk: list[str] = []
            end = min(total, (k + 1) * per_file)
            while written < end:
                second = int(written * step)
                if second != stamp_second:
                    stamp_second = second
                    ts = LOG_START + timedelta(seconds=second)
                    head = f"{ts:%b} {ts.day:2d} {ts:%H:%M:%S} fw-edge : "
                if pending and pending[0][0] <= written:
                    chunk.append(head + heapq.heappop(pending)[2])
                    written += 1
                    continue
                r = rng.random()
                if r < 0.70:
                    if deck_pos < len(deck):
                        d = drops[deck[deck_pos]]
                        deck_pos += 1
                    else:
                        d = drops[rng.randrange(len(drops))]
                    texts = d.texts[0] if len(d.texts) == 1 or rng.random() < 0.7 \
                        else d.texts[1]
                    sport = rng.randint(49152, 65535)
                    if d.mode == "syn" and rng.random() < 0.08:
                        conn += 1
                        src, dstport = texts[2], texts[3]
                        chunk.append(f"{head}%ASA-6-302013: Built outbound TCP connection {conn}"
                                     f" for outside:{dstport} ({dstport}) to inside:{src}/{sport}"
                                     f" ({src}/{sport})")
                        heapq.heappush(pending, (
                            written + int(30 / step) + 1, conn,
                            f"%ASA-6-302014: Teardown TCP connection {conn} for outside:"
                            f"{dstport} to inside:{src}/{sport} duration 0:00:30 bytes 0 "
                            "SYN Timeout"))
                    else:
                        chunk.append(f"{head}{texts[0]}{sport}{texts[1]}")
                elif r < 0.82:
                    src, port, dst = answered[rng.randrange(len(answered))]
                    sport = rng.randint(49152, 65535)
                    conn += 1
                    chunk.append(f"{head}%ASA-6-302013: Built outbound TCP connection {conn} for"
                                 f" outside:{dst}/{port} ({dst}/{port}) to inside:{src}/{sport}"
                                 f" ({src}/{sport})")
                    secs = rng.randint(1, 90)
                    heapq.heappush(pending, (
                        written + int(secs / step) + 1, conn,
                        f"%ASA-6-302014: Teardown TCP connection {conn} for outside:{dst}/{port} "
                        f"to inside:{src}/{sport} duration 0:{secs // 60:02d}:{secs % 60:02d} "
                        f"bytes {rng.randint(200, 900000)} TCP FINs"))
                else:
                    noise = NOISE[rng.randrange(len(NOISE))]
                    chunk.append(head + noise.format(a=rng.randrange(1, 255),
                                                     b=rng.randrange(1, 255)))
                written += 1
                if len(chunk) >= 50_000:
                    fh.write("\n".join(chunk) + "\n")
                    chunk.clear()
            if chunk:
                fh.write("\n".join(chunk) + "\n")
    return paths


def build(folder: Path, sizes: Sizes, seed: int) -> tuple[Path, dict[str, Any]]:
    """Write every export, route table and log; return audit.toml and what was written."""
    rng = random.Random(seed)
    for sub in ("exports", "networks", "logs"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    plan = AddressPlan(rng)
    blocks = write_networks(folder / "networks", sizes, plan, rng)
    held = write_orion(folder / "exports", sizes, plan, rng)
    shared = [h.address for h in held[:2000]]
    held += write_trackit(folder / "exports" / "trackit-assets.csv", sizes, plan, rng, shared)
    held += write_dcnm(folder / "exports" / "dcnm-switches.json", sizes, plan, rng)
    drops, held_drops = plan_drops(sizes, plan, held, rng)
    answering = [(h.sender, h.port or 443, h.address) for h in held
                 if h.answers and h.protocol == "tcp"]
    rng.shuffle(answering)
    answered = answering[:sizes.answered_dsts // 2]
    while len(answered) < sizes.answered_dsts:  # live hosts no tool holds (users, servers)
        answered.append((rng.choice(STRANGERS + ENGINES), rng.choice((443, 445, 22, 80)),
                         plan.draw("live")))
    paths = write_logs(folder / "logs", sizes, drops, answered, rng)
    config = folder / "audit.toml"
    config.write_text(CONFIG, encoding="utf-8")
    return config, {"blocks": blocks, "drop_dsts": len(drops), "held_drops": held_drops,
                    "drop_flows": sum(len(d.texts) for d in drops),
                    "answered_dsts": len({a[2] for a in answered}), "log_paths": paths}


# -- measuring --------------------------------------------------------------------------------

def rss_mb() -> float:
    """Peak resident set of this process so far, MB.

    Linux's `VmHWM` where there is one: `ru_maxrss` survives fork+exec, so a child started
    by a big parent would report the parent's peak.
    """
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@dataclasses.dataclass
class Row:
    stage: str
    secs: float
    items: int | None = None
    unit: str = ""
    rss: float | None = None
    note: str = ""


class StageTimer:
    """Wraps the engine's own stage functions, so one `run_audit` call is timed stage by stage."""

    def __init__(self) -> None:
        self.rows: list[Row] = []
        self.traffic: list[tuple[Row, TrafficIndex]] = []
        """Each log stage's row and index, to count its destinations after the timing."""

    @contextlib.contextmanager
    def installed(self) -> Iterator[None]:
        saved = {name: getattr(engine, name) for name in
                 ("load_source", "fold_logs", "NetworkIndex", "reconcile", "ghost_flows")}
        engine.load_source = self._load_source(saved["load_source"])  # type: ignore[assignment]
        engine.fold_logs = self._fold_logs(saved["fold_logs"])  # type: ignore[assignment]
        engine.NetworkIndex = self._simple(saved["NetworkIndex"], "network index",  # type: ignore[assignment]
                                           len, "prefixes")
        engine.reconcile = self._simple(saved["reconcile"], "reconcile", len,  # type: ignore[assignment]
                                        "findings")
        engine.ghost_flows = self._simple(  # type: ignore[assignment]
            saved["ghost_flows"], "ghost flows", lambda listed: len(listed[0]) + listed[1].flows,
            "ghost flows")
        try:
            yield
        finally:
            for name, value in saved.items():
                setattr(engine, name, value)

    def _load_source(self, real: Callable[..., Any]) -> Callable[..., Any]:
        def timed(spec: Any, table: str, inputs: list[Any]) -> Any:
            begin = time.perf_counter()
            records = real(spec, table, inputs)
            secs = time.perf_counter() - begin
            status = inputs[-1]
            note = "" if status.status == "ok" else f"FAILED: {status.error}"
            kind = "records" if table == "sources" else "networks"
            self.rows.append(Row(f"load {spec.name} ({spec.type})", secs, len(records), kind,
                                 rss_mb(), note))
            return records
        return timed

    def _fold_logs(self, real: Callable[..., Any]) -> Callable[..., Any]:
        def timed(spec: Any, traffic: TrafficIndex, stats: LogStats, **kw: Any) -> Any:
            before = stats.lines
            begin = time.perf_counter()
            status = real(spec, traffic, stats, **kw)
            secs = time.perf_counter() - begin
            self.rows.append(Row(
                f"fold logs {spec.name} ({spec.type})", secs, stats.lines - before, "lines",
                rss_mb(), f"{len(spec.paths)} files"))
            self.traffic.append((self.rows[-1], traffic))
            return status
        return timed

    def _simple(self, real: Callable[..., Any], stage: str, count: Callable[[Any], int],
                unit: str) -> Callable[..., Any]:
        def timed(*args: Any, **kw: Any) -> Any:
            begin = time.perf_counter()
            value = real(*args, **kw)
            self.rows.append(Row(stage, time.perf_counter() - begin, count(value), unit,
                                 rss_mb()))
            return value
        return timed


def destinations(traffic: TrafficIndex) -> int:
    """Distinct destinations with evidence (drops live in flows, the rest per destination)."""
    return len(set(traffic.by_dst) | {key[1] for key in traffic.flows})


def run(cmd: str) -> tuple[float, str]:
    begin = time.perf_counter()
    out = subprocess.run(cmd, shell=True, capture_output=True, text=True, check=False,
                         executable="/bin/bash").stdout
    return time.perf_counter() - begin, out


def quoted(paths: list[Path]) -> str:
    return " ".join(f"'{p}'" for p in paths)


def baselines(config_path: Path, paths: list[Path], log_secs: float, lines: int) -> list[Row]:
    """Shell and Python floors over the very files the log stage read (the Python ones in a
    fresh process, as the log stage ran: not beside a finished audit's heap)."""
    plain = [p for p in paths if p.suffix != ".gz"]
    packed = [p for p in paths if p.suffix == ".gz"]
    rows = []
    secs_wc, out = run(f"cat {quoted(plain)} | wc -l; zcat {quoted(packed)} | wc -l")
    rows.append(Row("wc -l (cat plain; zcat gz)", secs_wc, sum(int(x) for x in out.split()),
                    "lines"))
    plain_lines = sum(int(x) for x in run(f"cat {quoted(plain)} | wc -l")[1].split())
    secs_gp, out = run(f"grep -c '{PATTERN}' /dev/null {quoted(plain)}")
    hits_p = sum(int(x.rsplit(":", 1)[1]) for x in out.split())
    rows.append(Row(f"grep -c plain ({len(plain)} files)", secs_gp, plain_lines, "lines",
                    note=f"{hits_p:,} matches"))
    secs_gz, out = run(f"zcat {quoted(packed)} | grep -c '{PATTERN}'")
    hits_z = int(out.strip() or 0)
    rows.append(Row(f"zcat | grep -c ({len(packed)} .gz files)", secs_gz, lines - plain_lines,
                    "lines", note=f"{hits_z:,} matches"))
    grep = secs_gp + secs_gz
    rows.append(Row("grep total (plain + gz)", grep, lines, "lines",
                    note=f"{hits_p + hits_z:,} matches"))

    floor = child(config_path, "--parse-child")
    rows.append(Row("python: read lines only (open_text_tracked)", floor["read"], floor["lines"],
                    "lines", note=f"{floor['read'] / grep:.1f}x grep"))
    parse = floor["parse"]
    rows.append(Row("python: AsaLogParser alone, no fold", parse, lines, "lines",
                    note=f"{floor['events']:,} events, {parse / grep:.1f}x grep"))
    rows.append(Row("log stage (parse + fold, from the audit)", log_secs, lines, "lines",
                    note=f"{log_secs / grep:.1f}x grep; the fold adds "
                    f"{log_secs - parse:+.2f} s"))
    return rows


def parse_child(config_path: Path) -> dict[str, Any]:
    """Python's floors in this (fresh) process: reading the lines, then parsing them."""
    paths = load_config(config_path).logs[0].paths
    begin = time.perf_counter()
    count = 0
    for path in paths:
        with open_text_tracked(path) as (fh, _):
            for _ in fh:
                count += 1
    read = time.perf_counter() - begin
    parser = lookup("logs", "cisco-asa")(device="fw-edge", now=AS_OF)
    begin = time.perf_counter()
    events = sum(1 for _ in engine.stream_events(parser, paths))
    return {"read": read, "lines": count, "parse": time.perf_counter() - begin,
            "events": events}


def child(config_path: Path, mode: str, *extra: str) -> dict[str, Any]:
    """Run this script in a fresh process in `mode`; its last output line is JSON."""
    cmd = [sys.executable, str(Path(__file__).resolve()), mode, str(config_path), *extra]
    done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def fold_child(config_path: Path, repeat: int, trace: bool) -> dict[str, Any]:
    """The log stage alone in this (fresh) process, over the files `repeat` times."""
    import gc
    import tracemalloc

    config = load_config(config_path)
    spec = config.logs[0]
    spec = dataclasses.replace(spec, paths=spec.paths * repeat)
    gc.collect()
    before = rss_mb()
    if trace:
        tracemalloc.start()
    traffic, stats = TrafficIndex(), LogStats()
    begin = time.perf_counter()
    engine.fold_logs(spec, traffic, stats, as_of=AS_OF)
    secs = time.perf_counter() - begin
    peak = tracemalloc.get_traced_memory()[1] / 2**20 if trace else None
    held = tracemalloc.get_traced_memory()[0] / 2**20 if trace else None
    return {"repeat": repeat, "lines": stats.lines, "dsts": destinations(traffic),
            "flows": len(traffic.flows), "hours": len(traffic.hourly), "secs": secs,
            "rss_before": before, "rss_peak": rss_mb(), "tm_peak": peak, "tm_held": held}


def memory_rows(config_path: Path, trace: bool) -> list[dict[str, Any]]:
    """1x and 2x the lines in fresh processes; traced runs apart (tracemalloc's own
    bookkeeping would inflate RSS, and it slows the fold about six times)."""
    out = []
    for repeat in (1, 2):
        row = child(config_path, "--fold-child", "--repeat", str(repeat))
        if trace:
            traced = child(config_path, "--fold-child", "--repeat", str(repeat), "--tracemalloc")
            row["tm_peak"], row["tm_held"] = traced["tm_peak"], traced["tm_held"]
        out.append(row)
    return out


# -- printing ---------------------------------------------------------------------------------

def table(title: str, rows: list[Row], *, rate: bool = True) -> None:
    print(f"\n{title}")
    print(f"  {'stage':<44} {'secs':>8} {'items':>20} {'per sec':>11} {'peak RSS':>9}  note")
    for r in rows:
        items = f"{r.items:,} {r.unit}" if r.items is not None else ""
        per = f"{r.items / r.secs:,.0f}" if rate and r.items and r.secs > 0 else ""
        rss = f"{r.rss:,.0f} MB" if r.rss is not None else ""
        print(f"  {r.stage:<44} {r.secs:8.2f} {items:>20} {per:>11} {rss:>9}  {r.note}")


def sizes_on_disk(paths: list[Path]) -> int:
    return sum(p.stat().st_size for p in paths)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=float, default=1.0, help="multiplies every count")
    ap.add_argument("--seed", type=int, default=20261125)
    ap.add_argument("--keep", type=Path, help="generate into this folder and keep it")
    ap.add_argument("--no-memory", action="store_true",
                    help="skip the 1x/2x log-stage memory runs in fresh processes")
    ap.add_argument("--tracemalloc", action="store_true",
                    help="also trace Python allocations in the memory runs (slower)")
    ap.add_argument("--generate-child", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--fold-child", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--parse-child", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--repeat", type=int, default=1, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.parse_child:
        print(json.dumps(parse_child(args.parse_child)))
        return
    if args.fold_child:
        print(json.dumps(fold_child(args.fold_child, args.repeat, args.tracemalloc)))
        return
    sizes = Sizes.at(args.scale)
    if args.generate_child:
        _, made = build(args.generate_child, sizes, args.seed)
        made["log_paths"] = [str(p) for p in made["log_paths"]]
        print(json.dumps(made))
        return

    folder = args.keep or Path(tempfile.mkdtemp(prefix="bench-audit-"))
    if args.keep:
        if args.keep.exists() and any(args.keep.iterdir()):
            ap.error(f"--keep {args.keep}: not empty; give a new or empty folder")
        folder.mkdir(parents=True, exist_ok=True)
    try:
        print(f"stale-audit end-to-end benchmark: scale {args.scale}, seed {args.seed}, "
              f"Python {platform.python_version()}, {os.cpu_count()} CPUs")
        # Generated in a child process, so this process's peak RSS is the audit's alone.
        begin = time.perf_counter()
        done = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--scale",
                               str(args.scale), "--seed", str(args.seed), "--generate-child",
                               str(folder)], capture_output=True, text=True, check=True)
        gen = time.perf_counter() - begin
        made = json.loads(done.stdout.strip().splitlines()[-1])
        config_path = folder / "audit.toml"
        logs = [Path(p) for p in made["log_paths"]]
        plain_bytes = sum(p.stat().st_size for p in logs if p.suffix != ".gz")
        print(f"generated in {gen:.1f} s into {folder}:")
        print(f"  orion {sizes.orion:,} nodes / {len(ENGINES)} engines, trackit "
              f"{sizes.trackit:,} assets, dcnm {sizes.dcnm:,} switches")
        print(f"  ipam {sizes.prefixes:,} prefix rows ({made['blocks']:,} /24 blocks), "
              f"show route {sizes.routes:,} routes")
        print(f"  logs {sizes.lines:,} lines in {len(logs)} files ({GZ_FILES} gz), "
              f"{sizes_on_disk(logs) / 1e6:,.0f} MB on disk ({plain_bytes / 1e6:,.0f} MB plain)")
        print(f"  drops to {made['drop_dsts']:,} destinations ({made['held_drops']:,} held by "
              f"records), {made['drop_flows']:,} drop flows planned; answered traffic to "
              f"{made['answered_dsts']:,} destinations")

        # -- the audit, through the library, one run with per-stage timers ----------------
        timer = StageTimer()
        rss0 = rss_mb()
        begin = time.perf_counter()
        config = load_config(config_path)
        t_config = time.perf_counter() - begin
        with timer.installed():
            begin = time.perf_counter()
            result = engine.run_audit(config, as_of=AS_OF, generated_at=AS_OF)
            t_audit = time.perf_counter() - begin
        rss_audit = rss_mb()
        for fold, traffic in timer.traffic:
            fold.note = (f"{destinations(traffic):,} dsts, {len(traffic.flows):,} drop flows, "
                         + fold.note)
        rows = [Row("load_config", t_config, None, "", rss0)] + timer.rows
        accounted = sum(r.secs for r in timer.rows)
        rows.append(Row("run_audit: the rest (sorts, pollers, result)", t_audit - accounted))
        rows.append(Row("run_audit total", t_audit, None, "", rss_audit))

        report_rows = []
        digest = ""
        for kind in ("json", "csv", "xlsx"):
            path = folder / "reports" / f"audit.{kind}"
            begin = time.perf_counter()
            REPORTERS[kind]().write(result, path)
            secs = time.perf_counter() - begin
            size = path.stat().st_size
            report_rows.append(Row(f"report {kind}", secs, len(result.findings) +
                                   len(result.ghost_flows), "rows", rss_mb(),
                                   f"{size / 1e6:,.1f} MB"))
            if kind == "json":
                digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
        table("audit stages (one run_audit call; peak RSS of this process after each stage)",
              rows)
        table("reports (reports.REPORTERS; rows = findings + ghost flows)", report_rows)

        verdicts: dict[str, int] = {}
        for f in result.findings:
            verdicts[f.verdict] = verdicts.get(f.verdict, 0) + 1
        print(f"\n  findings {len(result.findings):,}: " +
              ", ".join(f"{v} {n:,}" for v, n in sorted(verdicts.items())))
        print(f"  ghost flows {len(result.ghost_flows):,}; log lines {result.logs.lines:,}, "
              f"parsed {result.logs.parsed:,}, unparsed {result.logs.unparsed:,}")
        print("  by message: " + ", ".join(
            f"{m} {n:,}" for m, n in sorted(result.logs.by_message.items())))
        print(f"  failed inputs: {[i.name for i in result.failed] or 'none'}; "
              f"json report sha256 {digest} (same seed, scale and code: same digest)")

        # -- baselines over the same log files ----------------------------------------------
        fold_row = next(r for r in timer.rows if r.stage.startswith("fold logs"))
        lines = result.logs.lines
        del result  # the baselines and memory runs happen in fresh processes anyway
        table("log stage against baselines over the same files", baselines(
            config_path, logs, fold_row.secs, lines))

        # -- memory: lines vs flows ---------------------------------------------------------
        if not args.no_memory:
            mem = memory_rows(config_path, args.tracemalloc)
            print("\nlog stage memory, fresh process each (the files once, then the same files "
                  "twice: 2x lines, same flows)")
            print(f"  {'run':<10} {'lines':>12} {'dsts':>9} {'flows':>9} {'hours':>6} "
                  f"{'secs':>8} {'RSS before':>11} {'RSS peak':>9} {'growth':>8} "
                  f"{'tracemalloc peak / held':>24}")
            for m in mem:
                tm = (f"{m['tm_peak']:,.1f} / {m['tm_held']:,.1f} MB"
                      if m["tm_peak"] is not None else "(--tracemalloc)")
                print(f"  {str(m['repeat']) + 'x lines':<10} {m['lines']:>12,} {m['dsts']:>9,} "
                      f"{m['flows']:>9,} {m['hours']:>6} {m['secs']:>8.2f} "
                      f"{m['rss_before']:>8,.0f} MB {m['rss_peak']:>6,.0f} MB "
                      f"{m['rss_peak'] - m['rss_before']:>5,.0f} MB {tm:>24}")
            one = mem[0]
            growth = one["rss_peak"] - one["rss_before"]
            keys = one["dsts"] + one["flows"]
            print(f"  about {growth * 2**20 / max(1, keys):,.0f} bytes of RSS per folded key "
                  f"(destination or flow); 2x/1x RSS growth "
                  f"{(mem[1]['rss_peak'] - mem[1]['rss_before']) / max(growth, 0.1):.2f}")
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()

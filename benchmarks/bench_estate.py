"""A large estate, stage by stage: a million `csv` records against a hundred thousand prefixes.

Generates (deterministically, from `--seed`, in a child process) an estate as its exports
would come in:

* four hand-kept or small-tool inventories of the `csv` source type, 1,000,000 rows in all,
  each with its own header spellings (the `csv` type's aliases), status words, date styles
  and yes/no words: a Nagios host list, a Cacti device list, a scanner's inventory and the
  NOC's spreadsheet. Addresses spread over tens of thousands of /24s in a few hundred /16s,
  some IPv6, some host names instead of addresses (most tied to an address by another
  tool's record, some not), a few `n/a` and blank cells; about a quarter of the devices are
  held by more than one tool;
* a NetBox-style prefix CSV export with 100,001 prefixes: containers (the aggregates and
  every /16), Active, Reserved, Deprecated and Retired /24s, /24 containers split into
  /25s and /26s, IPv6 /48 containers with /64s; about one /24 in ten is in no prefix;
* 50,000 Cisco ASA log lines over a day: duplicate SYNs, no-route and ACL drops to held
  addresses (gone and live) and to gone addresses nobody holds, from the tools' pollers and
  thousands of inside senders, some scans from outside; 302013/302014 pairs of answered
  traffic; ephemeral source ports; noise.

Then it runs the audit as the product does (`load_config` + `engine.run_audit`, then the
JSON reporter), timing each stage of that one run, and prints per-stage seconds and the
process's peak RSS after each. Baselines over the same files, each in a fresh process:
plain Python (`csv` + `ipaddress`, the same longest-prefix match by dict per length) and,
when it is installed, Polars (never a dependency of the product). `--cli` also times the
whole `python -m auditor audit -o F.json` command (JSON only) in a child process.

Numbers only; nothing is asserted. Full scale needs about 200 MB of disk.

    python benchmarks/bench_estate.py [--scale 1.0] [--seed N] [--data DIR] [--cli]
                                      [--no-baselines]
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import dataclasses
import hashlib
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
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import auditor.engine as engine  # noqa: E402
from auditor.config import load_config  # noqa: E402
from auditor.synthetic import asa_messages as asa  # noqa: E402
from auditor.synthetic import formats  # noqa: E402
from auditor.synthetic.model import Endpoint, Prefix  # noqa: E402
from benchmarks.bench_audit import rss_mb  # noqa: E402
from reports import REPORTERS  # noqa: E402

AS_OF = datetime(2026, 11, 25, 6, 0, 0)
LOG_START = AS_OF - timedelta(hours=24)

# -- sizes ------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Sizes:
    records: int
    prefixes: int
    lines: int

    @classmethod
    def at(cls, scale: float) -> Sizes:
        def n(full: int, least: int) -> int:
            return max(least, round(full * scale))
        return cls(records=n(1_000_000, 2_000), prefixes=n(100_001, 400),
                   lines=n(50_000, 1_000))


# -- the tools --------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Tool:
    """One inventory: its config, its header spellings and how it writes each value."""

    name: str
    owner: str
    poller: str | None
    share: float
    columns: tuple[str, ...]
    """Header texts for (name, address, id, state, last_ok, polled); '' = no such column."""
    date: str
    """strftime of the last-seen column."""
    yes_no: tuple[str, str]
    words: dict[str, tuple[str, ...]]
    """State -> the words this tool writes for it."""


TOOLS = (
    Tool("nagios", "NOC - Nagios", "10.1.1.10", 0.40,
         ("Host Name", "Address", "", "Status", "Last Poll", "Monitored"),
         "%Y-%m-%d %H:%M:%S", ("Yes", "No"),
         {"up": ("UP", "OK"), "down": ("DOWN", "UNREACHABLE", "CRITICAL"),
          "off": ("", "PENDING")}),
    Tool("cacti", "Capacity - Cacti", "10.1.1.11", 0.25,
         ("Device", "IP Address", "ID", "State", "Last Success", "Enabled"),
         "%Y-%m-%dT%H:%M:%SZ", ("on", ""),
         {"up": ("up",), "down": ("down",), "off": ("disabled", "unknown")}),
    Tool("scanner", "Security - Vulnerability scanner", "10.1.1.12", 0.20,
         ("Hostname", "Mgmt IP", "Record ID", "Status", "Last Seen", "Managed"),
         "%m/%d/%Y %I:%M %p", ("Yes", "No"),
         {"up": ("Online", "Active"), "down": ("Offline", "Unreachable"),
          "off": ("Retired", "Decommissioned", "Unmanaged")}),
    Tool("noc-sheet", "Network team", None, 0.15,
         ("Name", "IP", "", "State", "Last Polled", "Polled"),
         "%m/%d/%Y", ("TRUE", "FALSE"),
         {"up": ("up", "ok"), "down": ("down", "offline"), "off": ("paused", "")}),
)

POLLERS = tuple(t.poller for t in TOOLS if t.poller)

CONFIG_HEAD = """\
[audit]
name = "Benchmark: estate scale"
stale_after_days = 14
"""

CONFIG_SOURCE = """
[[sources]]
name = "{name}"
type = "csv"
path = "exports/{name}.csv"
owner = "{owner}"
{poller}"""

CONFIG_TAIL = """
[[networks]]
name = "ipam"
type = "prefix-list"
path = "networks/netbox-prefixes.csv"

[[logs]]
name = "fw-core"
type = "cisco-asa"
paths = ["logs/fw-core.log"]
"""


def dotted(value: int) -> str:
    return f"{value >> 24}.{value >> 16 & 255}.{value >> 8 & 255}.{value & 255}"


def pick(rng: random.Random, weights: dict[str, float]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


# -- networks ---------------------------------------------------------------------------------

PREFIX_COLUMNS = ("ID", "Prefix", "Status", "Children", "VRF", "Utilization", "Tenant", "Site",
                  "VLAN", "Role", "Description")

#: The /16 regions prefixes are allocated from, in order: 10/8, 172.16/12, 100.64/10.
REGIONS = ([(10 << 24) | (k << 16) for k in range(2, 256)]
           + [(172 << 24) | (k << 16) for k in range(16, 32)]
           + [(100 << 24) | (k << 16) for k in range(64, 128)])


class Plan:
    """Which blocks are live, gone or in no prefix: (base, host bits) per block."""

    def __init__(self) -> None:
        self.live: list[tuple[int, int]] = []
        self.dead: list[tuple[int, int]] = []
        self.unlisted: list[tuple[int, int]] = []
        self.live6: list[str] = []
        self.dead6: list[str] = []

    def draw(self, rng: random.Random, space: str) -> str:
        if space in ("live6", "dead6"):
            nets = getattr(self, space) or self.live6 or ["2001:db8:ffff::"]  # tiny scales
            net = rng.choice(nets)
            return f"{net}{rng.randrange(1, 0xFFFF):x}:{rng.randrange(1, 0xFFFF):x}"
        base, bits = rng.choice(getattr(self, space) or self.live)
        return dotted(base + rng.randrange(1, (1 << bits) - 1))


def build_networks(path: Path, sizes: Sizes, rng: random.Random) -> Plan:
    """The NetBox prefix export; fills and returns the plan of blocks."""
    plan = Plan()
    rows: list[tuple[str, str, str, str, int]] = [
        ("10.0.0.0/8", "Container", "Global", "RFC 1918 aggregate", 0),
        ("172.16.0.0/12", "Container", "Global", "RFC 1918 aggregate", 0),
        ("100.64.0.0/10", "Container", "Global", "Shared address space (carrier NAT)", 0),
        ("2001:db8::/32", "Container", "Global", "IPv6 allocation", 0),
        ("10.1.0.0/16", "Container", "Global", "Tools", 0),
        ("10.1.1.0/24", "Active", "Global", "Monitoring servers", 0),
        ("10.1.2.0/24", "Active", "Global", "Jump hosts and scripts", 0)]
    plan.live += [(10 << 24 | 1 << 16 | 1 << 8, 8), (10 << 24 | 1 << 16 | 2 << 8, 8)]
    for r, region in enumerate(REGIONS):
        if len(rows) >= sizes.prefixes:
            break
        rows.append((f"{dotted(region)}/16", "Container", "Global", f"Region {r:03d}", 0))
        if r % 4 == 0:  # a site's IPv6 /48 with a few /64s
            site = f"2001:db8:{r:x}:"
            rows.append((f"{site}:/48", "Container", "Global", f"Region {r:03d} v6", 0))
            for v in range(8):
                status = pick(rng, {"Active": 85, "Deprecated": 15})
                rows.append((f"{site}{v:x}::/64", status, "Global", f"VLAN {100 + v}", 0))
                (plan.live6 if status == "Active" else plan.dead6).append(f"{site}{v:x}::")
        for k in range(256):
            base = region + (k << 8)
            kind = pick(rng, {"Active": 66, "Reserved": 4, "Deprecated": 8, "Retired": 2,
                              "unlisted": 11, "split": 9})
            site, vlan = f"Site {r:03d}-{k // 32}", 100 + k % 900
            if kind == "unlisted":
                plan.unlisted.append((base, 8))
            elif kind == "split":  # a /24 container carved into /25s or /26s
                rows.append((f"{dotted(base)}/24", "Container", "Global", f"{site} carved", 2))
                bits = rng.choice((7, 6))
                for child in range(0, 256, 1 << bits):
                    status = pick(rng, {"Active": 75, "Deprecated": 20, "Reserved": 5})
                    rows.append((f"{dotted(base + child)}/{32 - bits}", status, "Global",
                                 f"{site} VLAN {vlan} part {child >> bits}", 0))
                    (plan.dead if status == "Deprecated" else plan.live).append(
                        (base + child, bits))
            else:
                vrf = "Global" if rng.random() < 0.92 else "MGMT"
                rows.append((f"{dotted(base)}/24", kind, vrf, f"{site} VLAN {vlan}", 0))
                (plan.dead if kind in ("Deprecated", "Retired") else plan.live).append(
                    (base, 8))
    del rows[sizes.prefixes:]
    formats.write_prefix_csv(path, [
        Prefix(prefix, status, vrf, description, site=description.split(" VLAN")[0],
               tenant="Estate", children=children, utilization=rng.randint(0, 99),
               number=number)
        for number, (prefix, status, vrf, description, children) in enumerate(rows, 1)],
        PREFIX_COLUMNS)
    # A prefix cut off by the count may have left its block in a list: harmless (it stays
    # where it was drawn from; at worst an address reads "outside" instead of "live").
    return plan


# -- inventories ------------------------------------------------------------------------------


@dataclasses.dataclass
class Device:
    name: str
    address: str
    space: str
    answers: bool


def new_device(rng: random.Random, plan: Plan, n: int) -> Device:
    space = pick(rng, {"live": 78, "dead": 9, "unlisted": 6, "outside": 2, "live6": 3,
                       "dead6": 1})
    if space == "outside":  # no prefix at all (an acquired network never put in IPAM)
        address = f"192.168.{rng.randrange(256)}.{rng.randrange(1, 255)}"
    else:
        address = plan.draw(rng, space)
    role = rng.choice(("sw", "rtr", "ap", "srv", "ups", "pdu", "cam", "prn"))
    name = f"{role}-{n // 300:04d}-{n:07d}"
    answers = space in ("live", "live6") and rng.random() < 0.9
    return Device(name, address, space, answers)


def write_inventories(folder: Path, sizes: Sizes, plan: Plan,
                      rng: random.Random) -> list[Device]:
    """Each tool's CSV; returns the devices (for the logs)."""
    devices: list[Device] = []
    writers = {}
    handles = []
    for tool in TOOLS:
        fh = (folder / f"{tool.name}.csv").open("w", encoding="utf-8", newline="")
        handles.append(fh)
        writer = csv.writer(fh, lineterminator="\r\n" if tool.name == "noc-sheet" else "\n")
        writer.writerow([c for c in tool.columns if c])
        writers[tool.name] = writer
    shares = [t.share for t in TOOLS]
    for n in range(sizes.records):
        tool = rng.choices(TOOLS, weights=shares)[0]
        if devices and rng.random() < 0.26:  # held by another tool too
            device = devices[rng.randrange(len(devices))]
        else:
            device = new_device(rng, plan, len(devices))
            devices.append(device)
        writers[tool.name].writerow(_cells(rng, tool, device, n))
    for fh in handles:
        fh.close()
    return devices


def _cells(rng: random.Random, tool: Tool, device: Device, n: int) -> list[str]:
    address = device.address
    r = rng.random()
    if tool.name == "noc-sheet" and r < 0.06:
        address = device.name + rng.choice(("", ".corp.example.net"))  # a name, no address
    elif tool.name == "noc-sheet" and r < 0.07:
        address = f"old-{rng.choice(('prn', 'kiosk', 'cam'))}-{n:06d}.corp.example.net"
    elif r < 0.003:
        address = rng.choice(("n/a", "", "DHCP", "TBD"))
    elif r < 0.01:
        address = f" {address} "  # a hand-typed cell
    if address == "TBD":
        address = ""
    if device.answers:
        state = "up" if rng.random() < 0.93 else "down"
        seen = AS_OF - timedelta(minutes=rng.randrange(1, 600))
    else:
        state = pick(rng, {"down": 70, "up": 8, "off": 22})
        seen = AS_OF - timedelta(days=rng.randrange(20, 1500), minutes=rng.randrange(1440))
    when = "" if rng.random() < 0.03 else seen.strftime(tool.date)
    polled = tool.yes_no[0] if rng.random() < 0.92 else tool.yes_no[1]
    name = device.name if rng.random() < 0.97 else ""
    if tool.name == "scanner":
        name = name.upper()
    values = {"name": name, "address": address, "id": str(100_000 + n),
              "state": rng.choice(tool.words[state]), "last_ok": when, "polled": polled}
    keys = ("name", "address", "id", "state", "last_ok", "polled")
    return [values[k] for k, c in zip(keys, tool.columns, strict=True) if c]


# -- logs -------------------------------------------------------------------------------------

_TAG = {m: asa.format_tag("ASA", s, m) for m, s in
        (("419002", 4), ("110003", 6), ("106023", 4), ("302013", 6), ("302014", 6))}
NOISE = (
    "%ASA-6-305011: Built dynamic TCP translation from inside:10.1.2.{b}/5{b:04d} to "
    "outside:198.51.100.1/{a}{b}",
    "%ASA-5-111008: User 'admin' executed the 'write memory' command.",
    "%ASA-6-725001: Starting SSL handshake with client outside:203.0.113.{b}/443 for TLS "
    "session.",
    "%ASA-4-733100: [ Scanning] drop rate-1 exceeded. Current burst rate is 1 per second, max "
    "configured rate is 10; Current average rate is 7 per second, max configured rate is 5",
)
PORTS = (("udp", 161), ("tcp", 22), ("tcp", 443), ("tcp", 445), ("icmp", None),
         ("tcp", 17777), ("udp", 162))


def write_logs(path: Path, sizes: Sizes, plan: Plan, devices: list[Device],
               rng: random.Random) -> dict[str, int]:
    """One day of the core ASA's syslog."""
    silent = [d for d in devices if not d.answers and ":" not in d.address]
    live = [d for d in devices if d.answers and ":" not in d.address]
    senders = [plan.draw(rng, "live") for _ in range(max(50, sizes.lines // 12))]
    ghosts = [plan.draw(rng, rng.choice(("dead", "unlisted")))
              for _ in range(max(20, sizes.lines // 10))]
    lines = []
    pending: list[tuple[int, str]] = []
    conn = 700_000_000
    step = 86_400 / sizes.lines
    held_dsts: set[str] = set()
    ghost_dsts: set[str] = set()
    while len(lines) < sizes.lines:
        at = LOG_START + timedelta(seconds=int(len(lines) * step))
        head = asa.format_rfc3164_header(at, "fw-core")
        if pending and pending[0][0] <= len(lines):
            lines.append(head + pending.pop(0)[1])
            continue
        r = rng.random()
        sport = rng.randint(49152, 65535)
        if r < 0.62:  # a drop
            if rng.random() < 0.55 and silent:
                dst = rng.choice(silent).address
                src = rng.choice(POLLERS)
                held_dsts.add(dst)
            elif rng.random() < 0.85:
                dst = rng.choice(ghosts)
                src = rng.choice(senders + list(POLLERS))
                ghost_dsts.add(dst)
            else:  # the internet knocking: inbound noise
                dst = plan.draw(rng, "live")
                src = f"203.0.113.{rng.randrange(1, 255)}"
            protocol, port = rng.choice(PORTS)
            source = Endpoint("inside", src, sport)
            if protocol == "icmp" or (protocol == "udp" and rng.random() < 0.5):
                target = Endpoint("outside", dst, 0 if port is None else port)
                text = f"{_TAG['110003']} {asa.format_no_route(protocol, source, target)}"
            elif protocol == "tcp" and rng.random() < 0.8:
                text = (f"{_TAG['419002']} "
                        f"{asa.format_duplicate_syn(source, Endpoint('outside', dst, port))}")
            else:
                text = (f"{_TAG['106023']} " + asa.format_acl_deny(
                    protocol, source, Endpoint("outside", dst, str(port)), "inside_out",
                    hashes=" [0x51fd1c46, 0x0]"))
            lines.append(head + text)
        elif r < 0.86 and live:  # answered traffic, Built now and Teardown a little later
            dst = rng.choice(live).address
            src = rng.choice(POLLERS + tuple(senders[:200]))
            port = rng.choice((443, 22, 445, 17778))
            conn += 1
            target, poller = Endpoint("outside", dst, port), Endpoint("inside", src, sport)
            secs = rng.randint(1, 90)
            lines.append(head + f"{_TAG['302013']} " +
                         asa.format_built("outbound", "tcp", conn, target, poller))
            pending.append((len(lines) + int(secs / step) + 1, f"{_TAG['302014']} " +
                            asa.format_teardown("tcp", conn, target, poller,
                                                f"0:{secs // 60:02d}:{secs % 60:02d}",
                                                rng.randint(200, 900_000), "TCP FINs")))
            pending.sort()
        else:
            lines.append(head + rng.choice(NOISE).format(a=rng.randrange(1, 255),
                                                         b=rng.randrange(1, 255)))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return {"held_drop_dsts": len(held_dsts), "ghost_dsts": len(ghost_dsts),
            "senders": len(senders)}


def build(folder: Path, sizes: Sizes, seed: int) -> dict[str, Any]:
    """Write every export and the log, and `audit.toml`; return what was written."""
    rng = random.Random(seed)
    for sub in ("exports", "networks", "logs"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    plan = build_networks(folder / "networks" / "netbox-prefixes.csv", sizes, rng)
    devices = write_inventories(folder / "exports", sizes, plan, rng)
    made = write_logs(folder / "logs" / "fw-core.log", sizes, plan, devices, rng)
    config = CONFIG_HEAD + "".join(
        CONFIG_SOURCE.format(name=t.name, owner=t.owner,
                             poller=f'poller = "{t.poller}"\n' if t.poller else "")
        for t in TOOLS) + CONFIG_TAIL
    (folder / "audit.toml").write_text(config, encoding="utf-8")
    made.update(devices=len(devices), live_blocks=len(plan.live), dead_blocks=len(plan.dead),
                unlisted_blocks=len(plan.unlisted))
    return made


# -- measuring --------------------------------------------------------------------------------


@dataclasses.dataclass
class Row:
    stage: str
    secs: float
    items: int | None = None
    unit: str = ""
    rss: float | None = None
    note: str = ""
    cpu: float | None = None
    """CPU seconds of this process (apart from wall time: the machine may be shared)."""


class StageTimer:
    """Wraps the engine's stage functions, so one `run_audit` call is timed stage by stage."""

    STAGES = ("load_source", "NetworkIndex", "fold_logs", "link_names", "reconcile",
              "ghost_flows")

    def __init__(self) -> None:
        self.rows: list[Row] = []

    @contextlib.contextmanager
    def installed(self) -> Iterator[None]:
        saved = {name: getattr(engine, name) for name in self.STAGES}
        wrap = self._wrap
        engine.load_source = wrap(saved["load_source"], self._load_label)  # type: ignore
        engine.NetworkIndex = wrap(saved["NetworkIndex"],  # type: ignore
                                   lambda a, v: ("network index", len(v), "prefixes"))
        engine.fold_logs = wrap(saved["fold_logs"],  # type: ignore
                                lambda a, v: (f"fold logs {a[0].name}", a[2].lines, "lines"))
        engine.link_names = wrap(saved["link_names"],  # type: ignore
                                 lambda a, v: ("link names", len(v[0]), "names linked"))
        engine.reconcile = wrap(saved["reconcile"],  # type: ignore
                                lambda a, v: ("reconcile", len(v), "findings"))
        engine.ghost_flows = wrap(saved["ghost_flows"],  # type: ignore
                                  lambda a, v: ("ghost flows", len(v[0]) + v[1].flows,
                                                "ghost flows"))
        try:
            yield
        finally:
            for name, value in saved.items():
                setattr(engine, name, value)

    @staticmethod
    def _load_label(args: tuple[Any, ...], value: Any) -> tuple[str, int, str]:
        spec, table = args[0], args[1]
        kind = "records" if table == "sources" else "networks"
        return f"load {table} {spec.name} ({spec.type})", len(value), kind

    def _wrap(self, real: Callable[..., Any],
              label: Callable[[tuple[Any, ...], Any], tuple[str, int, str]]
              ) -> Callable[..., Any]:
        def timed(*args: Any, **kw: Any) -> Any:
            begin, cpu = time.perf_counter(), time.process_time()
            value = real(*args, **kw)
            secs, cpu = time.perf_counter() - begin, time.process_time() - cpu
            stage, items, unit = label(args, value)
            self.rows.append(Row(stage, secs, items, unit, rss_mb(), cpu=cpu))
            return value
        return timed


def table(title: str, rows: list[Row]) -> None:
    print(f"\n{title}")
    print(f"  {'stage':<46} {'secs':>7} {'cpu s':>7} {'items':>22} {'per sec':>11} "
          f"{'peak RSS':>9}  note")
    for r in rows:
        items = f"{r.items:,} {r.unit}" if r.items is not None else ""
        per = f"{r.items / r.secs:,.0f}" if r.items and r.secs > 0 else ""
        rss = f"{r.rss:,.0f} MB" if r.rss is not None else ""
        cpu = f"{r.cpu:7.2f}" if r.cpu is not None else ""
        print(f"  {r.stage:<46} {r.secs:7.2f} {cpu:>7} {items:>22} {per:>11} {rss:>9}  "
              f"{r.note}")


def child(mode: str, folder: Path, *extra: str) -> dict[str, Any]:
    """This script in a fresh process in `mode`; its last output line is JSON."""
    cmd = [sys.executable, str(Path(__file__).resolve()), mode, str(folder), *extra]
    done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


# -- baselines --------------------------------------------------------------------------------


def naive_child(folder: Path) -> dict[str, Any]:
    """Plain Python over the same files: `csv` + `ipaddress`, longest prefix by dict per
    length (the same algorithm as the product's index, without any of its checks)."""
    import ipaddress

    begin = time.perf_counter()
    tables: dict[tuple[int, int], dict[int, str]] = {}
    with (folder / "networks" / "netbox-prefixes.csv").open(encoding="utf-8") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        col, scol = header.index("Prefix"), header.index("Status")
        for row in reader:
            if row[scol] == "Container":
                continue
            net = ipaddress.ip_network(row[col])
            tables.setdefault((net.version, net.prefixlen), {})[int(net.network_address)] = \
                row[scol]
    lengths = {v: sorted((n for w, n in tables if w == v), reverse=True) for v in (4, 6)}
    networks = time.perf_counter() - begin
    begin = time.perf_counter()
    held: dict[str, list[tuple[str, int]]] = {}
    for path in sorted((folder / "exports").glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as fh:
            reader = csv.reader(fh)
            header = [h.lower() for h in next(reader)]
            col = next(i for i, h in enumerate(header)
                       if h in ("address", "ip address", "mgmt ip", "ip"))
            for line, row in enumerate(reader, 2):
                held.setdefault(row[col].strip(), []).append((path.name, line))
    records = time.perf_counter() - begin
    begin = time.perf_counter()
    verdicts = {"live": 0, "gone": 0, "outside": 0, "name": 0}
    for text in held:
        try:
            ip = ipaddress.ip_address(text)
        except ValueError:
            verdicts["name"] += 1
            continue
        width = ip.max_prefixlen
        value = int(ip)
        status = None
        for length in lengths[ip.version]:
            shift = width - length
            status = tables[(ip.version, length)].get(value >> shift << shift)
            if status is not None:
                break
        key = "outside" if status is None else \
            "gone" if status in ("Deprecated", "Retired") else "live"
        verdicts[key] += 1
    match = time.perf_counter() - begin
    begin = time.perf_counter()
    out = folder / "naive.json"
    with out.open("w", encoding="utf-8") as fh:
        json.dump([{"address": a, "records": [{"file": f, "line": n} for f, n in r]}
                   for a, r in sorted(held.items())], fh, indent=2)
    write = time.perf_counter() - begin
    size = out.stat().st_size
    out.unlink()
    return {"networks": networks, "records": records, "match": match, "write": write,
            "addresses": len(held), "verdicts": verdicts, "rss": rss_mb(), "json_mb": size / 1e6}


def polars_child(folder: Path) -> dict[str, Any]:
    """Polars over the same files: IPv4 only (IPv6 and names counted apart), longest prefix
    as one join per prefix length."""
    import polars as pl

    begin = time.perf_counter()
    prefixes = pl.read_csv(folder / "networks" / "netbox-prefixes.csv",
                           columns=["Prefix", "Status"], infer_schema_length=0)
    prefixes = prefixes.filter(
        (pl.col("Status") != "Container") & ~pl.col("Prefix").str.contains(":"))
    parts = pl.col("Prefix").str.split_exact("/", 1)
    prefixes = prefixes.with_columns(
        parts.struct.field("field_0").alias("net"),
        parts.struct.field("field_1").cast(pl.Int64).alias("length"))
    prefixes = prefixes.with_columns(_ip_int(pl.col("net")).alias("value"))
    networks = time.perf_counter() - begin
    begin = time.perf_counter()
    frames = []
    for path in sorted((folder / "exports").glob("*.csv")):
        frame = pl.read_csv(path, infer_schema_length=0)
        col = next(c for c in frame.columns
                   if c.lower() in ("address", "ip address", "mgmt ip", "ip"))
        frames.append(frame.select(pl.col(col).str.strip_chars().alias("address")))
    records = pl.concat(frames)
    loaded = time.perf_counter() - begin
    begin = time.perf_counter()
    addresses = records.unique()
    v4 = addresses.filter(pl.col("address").str.contains(r"^\d+\.\d+\.\d+\.\d+$"))
    v4 = v4.with_columns(_ip_int(pl.col("address")).alias("ip"))
    found = v4.with_columns(pl.lit(None, pl.Utf8).alias("Status"))
    for length in sorted(prefixes["length"].unique().to_list(), reverse=True):
        mask = ((1 << 32) - 1) ^ ((1 << (32 - length)) - 1)
        at = prefixes.filter(pl.col("length") == length).select(
            pl.col("value").alias("key"), pl.col("Status").alias("s"))
        found = found.with_columns((pl.col("ip") & mask).alias("key")).join(
            at, on="key", how="left").with_columns(
            pl.coalesce("Status", "s").alias("Status")).drop("key", "s")
    counts = found.group_by("Status").len().to_dicts()
    match = time.perf_counter() - begin
    return {"networks": networks, "records": loaded, "match": match,
            "addresses": addresses.height, "v4": v4.height,
            "by_status": {str(c["Status"]): c["len"] for c in counts}, "rss": rss_mb()}


def _ip_int(expr: Any) -> Any:
    import polars as pl

    o = expr.str.split_exact(".", 3)
    return sum(o.struct.field(f"field_{i}").cast(pl.Int64) * (1 << (8 * (3 - i)))
               for i in range(4))


def cli_run(folder: Path) -> dict[str, Any]:
    """The whole `stale-audit audit -c audit.toml -o F.json` command in a child process.

    `-o` with a `.json` name: the JSON report only (the default `-o` is an XLSX workbook,
    whose writer is not part of this benchmark), plus the summary and the run history.
    """
    out = folder / "reports"
    out.mkdir(exist_ok=True)
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parent.parent))
    begin = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "auditor", "audit", "-c",
                           str(folder / "audit.toml"), "-o", str(out / "cli.json"),
                           "--as-of", AS_OF.strftime("%Y-%m-%dT%H:%M:%SZ")],
                          capture_output=True, text=True, env=env, check=False)
    secs = time.perf_counter() - begin
    rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    size = (out / "cli.json").stat().st_size if (out / "cli.json").exists() else 0
    return {"secs": secs, "rc": proc.returncode, "rss": rss, "json_mb": size / 1e6,
            "stderr": proc.stderr.strip().splitlines()[-1:] if proc.returncode > 1 else []}


# -- main -------------------------------------------------------------------------------------


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--scale", type=float, default=1.0, help="multiplies every count")
    ap.add_argument("--seed", type=int, default=20261125)
    ap.add_argument("--data", type=Path,
                    help="generate into this folder and keep it; reused when it already "
                    "holds an estate (same scale and seed)")
    ap.add_argument("--cli", action="store_true",
                    help="also time `python -m auditor audit -o F.json` in a child process")
    ap.add_argument("--no-baselines", action="store_true")
    for hidden in ("--generate-child", "--naive-child", "--polars-child"):
        ap.add_argument(hidden, type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    sizes = Sizes.at(args.scale)
    if args.generate_child:
        print(json.dumps(build(args.generate_child, sizes, args.seed)))
        return
    if args.naive_child:
        print(json.dumps(naive_child(args.naive_child)))
        return
    if args.polars_child:
        print(json.dumps(polars_child(args.polars_child)))
        return

    folder = args.data or Path(tempfile.mkdtemp(prefix="bench-estate-"))
    stamp = folder / "estate.json"
    try:
        print(f"stale-audit estate benchmark: scale {args.scale}, seed {args.seed}, "
              f"Python {platform.python_version()}, {os.cpu_count()} CPUs")
        made: dict[str, Any] = {}
        if stamp.exists():
            made = json.loads(stamp.read_text())
        if made.get("scale") != args.scale or made.get("seed") != args.seed:
            if folder.exists() and any(folder.iterdir()) and args.data:
                shutil.rmtree(folder)
            folder.mkdir(parents=True, exist_ok=True)
            begin = time.perf_counter()  # in a child: this process's RSS is the audit's own
            made = child("--generate-child", folder, "--scale", str(args.scale),
                         "--seed", str(args.seed))
            made.update(scale=args.scale, seed=args.seed,
                        generated_secs=time.perf_counter() - begin)
            stamp.write_text(json.dumps(made))
        exports = sorted((folder / "exports").glob("*.csv"))
        disk = sum(p.stat().st_size for p in exports) / 1e6
        print(f"  {sizes.records:,} csv records in {len(exports)} files ({disk:,.0f} MB), "
              f"{made['devices']:,} devices; {sizes.prefixes:,} prefixes "
              f"({made['live_blocks']:,} live, {made['dead_blocks']:,} gone, "
              f"{made['unlisted_blocks']:,} unlisted blocks); {sizes.lines:,} log lines "
              f"(drops to {made['held_drop_dsts']:,} held and {made['ghost_dsts']:,} ghost "
              f"destinations); generated in {made['generated_secs']:.1f} s")

        timer = StageTimer()
        rss0 = rss_mb()
        begin, cpu0 = time.perf_counter(), time.process_time()
        config = load_config(folder / "audit.toml")
        t_config = time.perf_counter() - begin
        with timer.installed():
            begin, cpu1 = time.perf_counter(), time.process_time()
            result = engine.run_audit(config, as_of=AS_OF, generated_at=AS_OF)
            t_audit, c_audit = time.perf_counter() - begin, time.process_time() - cpu1
        rows = [Row("load_config", t_config, None, "", rss0), *timer.rows]
        rows.append(Row("run_audit: the rest (held set, pollers, sorts)",
                        t_audit - sum(r.secs for r in timer.rows),
                        cpu=c_audit - sum(r.cpu or 0 for r in timer.rows)))
        rows.append(Row("run_audit total", t_audit, None, "", rss_mb(), cpu=c_audit))
        path = folder / "reports" / "audit.json"
        begin, cpu1 = time.perf_counter(), time.process_time()
        REPORTERS["json"]().write(result, path)
        t_json, c_json = time.perf_counter() - begin, time.process_time() - cpu1
        size = path.stat().st_size
        rows.append(Row("JSON report", t_json, len(result.findings) + len(result.ghost_flows),
                        "rows", rss_mb(), f"{size / 1e6:,.0f} MB", cpu=c_json))
        total = t_config + t_audit + t_json
        rows.append(Row("END TO END (config + audit + JSON)", total, sizes.records, "records",
                        rss_mb(), cpu=time.process_time() - cpu0))
        table("one audit through the library (peak RSS of this process after each stage)",
              rows)
        digest = hashlib.sha256()
        with path.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
        verdicts: dict[str, int] = {}
        for f in result.findings:
            verdicts[f.verdict] = verdicts.get(f.verdict, 0) + 1
        print(f"\n  findings {len(result.findings):,}: " +
              ", ".join(f"{v} {n:,}" for v, n in sorted(verdicts.items())))
        for failed in result.failed:
            print(f"  FAILED {failed.name}: {failed.error}")
        print(f"  ghost flows {len(result.ghost_flows):,}; unresolved names "
              f"{len(result.unresolved_names):,}; failed inputs: "
              f"{[i.name for i in result.failed] or 'none'}; skipped rows: "
              f"{sum(i.skipped for i in result.inputs):,}")
        print(f"  json sha256 {digest.hexdigest()[:16]} (same seed, scale and code: same)")
        del result
        path.unlink()

        if args.cli:
            run = cli_run(folder)
            print(f"\n`python -m auditor audit -c audit.toml -o F.json --as-of ...` in a child: "
                  f"{run['secs']:.2f} s, peak RSS {run['rss']:,.0f} MB, exit {run['rc']}, "
                  f"JSON {run['json_mb']:,.0f} MB {' '.join(run['stderr'])}")
            (folder / "reports" / "cli.json").unlink(missing_ok=True)

        if not args.no_baselines:
            base = []
            naive = child("--naive-child", folder)
            base.append(Row("python csv + ipaddress: networks", naive["networks"],
                            sizes.prefixes, "prefixes"))
            base.append(Row("python csv + ipaddress: read records", naive["records"],
                            sizes.records, "records"))
            base.append(Row("python csv + ipaddress: prefix match", naive["match"],
                            naive["addresses"], "addresses", note=str(naive["verdicts"])))
            base.append(Row("python json.dump (address + record refs)", naive["write"],
                            naive["addresses"], "addresses",
                            note=f"{naive['json_mb']:,.0f} MB"))
            base.append(Row("python baseline total", naive["networks"] + naive["records"] +
                            naive["match"] + naive["write"], sizes.records, "records",
                            naive["rss"]))
            try:
                import polars  # noqa: F401
                have_polars = True
            except ImportError:
                have_polars = False
            if have_polars:
                pol = child("--polars-child", folder)
                base.append(Row("polars: networks", pol["networks"], sizes.prefixes,
                                "prefixes"))
                base.append(Row("polars: read records", pol["records"], sizes.records,
                                "records"))
                base.append(Row("polars: prefix match (IPv4, join per length)", pol["match"],
                                pol["v4"], "addresses", note=str(pol["by_status"])))
                base.append(Row("polars total (no report)", pol["networks"] +
                                pol["records"] + pol["match"], sizes.records, "records",
                                pol["rss"]))
            else:
                base.append(Row("polars: not installed (pip install polars)", 0.0))
            table("baselines over the same files (fresh process each; they check nothing)",
                  base)
    finally:
        if not args.data:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()

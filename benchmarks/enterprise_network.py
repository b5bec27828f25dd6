"""The benchmark's enterprise network: a scalable, seeded generator on `auditor.synthetic`.

Writes (deterministically, from a seed) a network in the real export formats the connectors
read, sized by `Sizes.at(scale)`; at scale 1:

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

`benchmarks/bench_audit.py` times an audit of it; `build` is all it needs from here.
"""

from __future__ import annotations

import dataclasses
import heapq
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from auditor.synthetic import asa_messages as asa
from auditor.synthetic import formats
from auditor.synthetic.model import (
    DcnmSwitch,
    Endpoint,
    OrionEngine,
    OrionNode,
    Prefix,
    Route,
    TrackItAsset,
)

AS_OF = datetime(2026, 11, 25, 6, 0, 0)
LOG_HOURS = 24
LOG_START = AS_OF - timedelta(hours=LOG_HOURS + 2)
LOG_FILES = 6
GZ_FILES = 3

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

PREFIX_COLUMNS = ("ID", "Prefix", "Status", "Children", "VRF", "Utilization", "Tenant", "Site",
                  "VLAN", "Role", "Description")


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
    formats.write_prefix_csv(folder / "netbox-prefixes.csv", [
        Prefix(prefix, status, vrf, description, number=number,
               utilization=rng.randint(0, 99))
        for number, (prefix, status, vrf, description) in enumerate(rows, 1)], PREFIX_COLUMNS)

    # show route: default, tools, a few Null0 blackholes, then /24s and /22 aggregates over
    # the block space (deprecated blocks stay routed: routed but deprecated is still gone).
    routes = [Route("S*", "0.0.0.0/0", "outside", via="198.51.100.1"),
              Route("C", "10.1.1.0/24", "tools"), Route("L", "10.1.1.1/32", "tools"),
              Route("C", "10.1.2.0/24", "tools"), Route("L", "10.1.2.1/32", "tools")]
    count = 4
    for k in range(max(4, sizes.routes // 100)):
        base = (10 << 24) | (240 << 16) | (k << 8)
        plan.blackholes.append(base)
        routes.append(Route("S", f"{dotted(base)}/24", "Null0"))
        count += 1
    stride = max(1, blocks // max(1, sizes.routes - count))
    b = 0
    while count < sizes.routes:
        base = plan.block(b % blocks)
        kind = rng.random()
        if kind < 0.5:
            age = f"{rng.randint(1, 9)}d{rng.randint(0, 23):02d}h"
            routes.append(Route("O IA", f"{dotted(base)}/24", "inside", via="10.1.0.253",
                                metric="[110/20]", age=age,
                                other_paths=("[110/20] via 10.1.0.252, 3d02h, inside",)))
        elif kind < 0.8:
            routes.append(Route("S", f"{dotted(base)}/24", "inside", via="10.1.0.254"))
        else:
            age = f"{rng.randint(1, 5)}w{rng.randint(0, 6)}d"
            routes.append(Route("O E2", f"{dotted(base & ~0x3FF)}/22", "inside",
                                via="10.1.0.253", metric="[110/20]", age=age))
        count += 1
        b += stride
    formats.write_asa_show_route(folder / "fw-edge-show-route.txt", routes,
                                 prompt="fw-edge/pri/act#", gateway="198.51.100.1",
                                 footer=("", "fw-edge/pri/act# "))
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


_swis = formats.format_swis_time


def write_orion(folder: Path, sizes: Sizes, plan: AddressPlan, rng: random.Random) -> list[Held]:
    """SWIS `Orion.Nodes` and `Orion.Engines`; returns the nodes Orion polls."""
    held: list[Held] = []
    nodes = []
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
        nodes.append(OrionNode(
            node_id=1000 + n, caption=f"site{n // 40:03d}-{method.lower()}-{n:05d}",
            address=address, status=code, kind=method, engine_id=engine_id,
            last_sync=_swis(old if status == "unmanaged" else recent),
            last_uptime_poll=_swis(uptime), unmanaged=status == "unmanaged"))
        if status != "unmanaged":
            p, port = proto[method]
            held.append(Held(address, ENGINES[engine_id - 1], p, port, answers))
    formats.write_swis_nodes(folder / "npm-nodes.json", nodes, indent=1)
    formats.write_swis_engines(folder / "npm-engines.json", [
        OrionEngine(k + 1, f"ORION-APE{k + 1:02d}", ip, "Primary" if k == 0 else "Additional",
                    _swis(AS_OF)) for k, ip in enumerate(ENGINES)], indent=1)
    return held


TRACKIT_COLUMNS = ("Asset ID", "Asset Name", "Asset Type", "IP Address", "Status",
                   "Last Audit Date", "Audit Enabled")


def write_trackit(path: Path, sizes: Sizes, plan: AddressPlan, rng: random.Random,
                  shared: list[str]) -> list[Held]:
    """The Track-It! grid CSV; returns the assets Track-It! still audits."""
    held: list[Held] = []
    assets = []
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
        assets.append(TrackItAsset(
            asset_id=str(20000 + n), name=f"{kind.upper()[:3]}-{n:05d}", kind=kind,
            address=address, status=status, audit=audit,
            last_audit=None if rng.random() < 0.02 else last))
        if address and audit and status not in ("Retired", "Disposed"):
            held.append(Held(address, TRACKIT, "tcp", 10597, space in ("live", "shared")))
    formats.write_trackit_csv(path, assets, TRACKIT_COLUMNS)
    return held


def write_dcnm(path: Path, sizes: Sizes, plan: AddressPlan, rng: random.Random) -> list[Held]:
    """DCNM's `inventory/switches`; returns every switch (DCNM polls them all)."""
    held: list[Held] = []
    switches = []
    recent = int((AS_OF - timedelta(minutes=5)).replace(tzinfo=UTC).timestamp() * 1000)
    for n in range(sizes.dcnm):
        ok = rng.random() < 0.9
        address = plan.draw("live" if ok else pick(rng, {"dead": 1, "outside": 1}))
        last = recent if ok else recent - rng.randint(30, 1500) * 86_400_000
        name = f"dc{1 + n % 3}-{'leaf' if n % 5 else 'spine'}-{n:04d}"
        switches.append(DcnmSwitch(
            db_id=300000 + n, name=name, address=address, serial=f"FDO{21120000 + n}",
            fabric=f"DC{1 + n % 3}-LAN" if ok else "Legacy-Bldg4", reachable=ok,
            last_scan=last))
        held.append(Held(address, DCNM, "udp", 161, ok))
    formats.write_dcnm_switches(path, switches, indent=1)
    return held


# -- logs -------------------------------------------------------------------------------------

@dataclasses.dataclass
class Drop:
    """One dropped destination: its senders and the pre-rendered text of each message."""

    texts: list[tuple[str, str, str, str, int | None]]
    """Per sender: (message before the source port, message after it, src, dst, port)."""
    mode: str
    weight: float


#: Stands for the source port while a message is rendered once and split around it.
_SPORT = "\x00sport\x00"


def _drop(dst: str, senders: list[tuple[str, str, int | None]], mode: str,
          weight: float) -> Drop:
    texts = []
    for src, protocol, port in senders:
        source = Endpoint("inside", src, _SPORT)
        if mode == "syn":
            text = asa.format_tag("ASA", 4, "419002") + " " + asa.format_duplicate_syn(
                source, Endpoint("outside", dst, str(port)))
        elif mode == "noroute":
            text = asa.format_tag("ASA", 6, "110003") + " " + asa.format_no_route(
                protocol, source, Endpoint("outside", dst, 0 if port is None else port))
        else:
            text = asa.format_tag("ASA", 4, "106023") + " " + asa.format_acl_deny(
                protocol, source, Endpoint("outside", dst, str(port)), "inside_out",
                hashes=" [0x51fd1c46, 0x0]")
        before, after = text.split(_SPORT)
        texts.append((before, after, src, dst, port))
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


def _connection(conn: int, dst: str, port: int | str, src: str, sport: int, duration: str,
                size: int, reason: str) -> tuple[str, str]:
    """An outbound TCP connection's 302013 and 302014 texts (the target printed first)."""
    target, poller = Endpoint("outside", dst, port), Endpoint("inside", src, sport)
    return (f"{_BUILT} {asa.format_built('outbound', 'tcp', conn, target, poller)}",
            f"{_TEARDOWN} "
            f"{asa.format_teardown('tcp', conn, target, poller, duration, size, reason)}")


_BUILT = asa.format_tag("ASA", 6, "302013")
_TEARDOWN = asa.format_tag("ASA", 6, "302014")


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
        with formats.open_log_writer(path, compresslevel=6) as fh:
            chunk: list[str] = []
            end = min(total, (k + 1) * per_file)
            while written < end:
                second = int(written * step)
                if second != stamp_second:
                    stamp_second = second
                    ts = LOG_START + timedelta(seconds=second)
                    head = asa.format_rfc3164_header(ts, "fw-edge")
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
                        built, teardown = _connection(conn, texts[3], str(texts[4]),
                                                      texts[2], sport, "0:00:30", 0,
                                                      "SYN Timeout")
                        chunk.append(head + built)
                        heapq.heappush(pending, (written + int(30 / step) + 1, conn, teardown))
                    else:
                        chunk.append(f"{head}{texts[0]}{sport}{texts[1]}")
                elif r < 0.82:
                    src, port, dst = answered[rng.randrange(len(answered))]
                    sport = rng.randint(49152, 65535)
                    conn += 1
                    secs = rng.randint(1, 90)
                    built, teardown = _connection(conn, dst, port, src, sport,
                                                  f"0:{secs // 60:02d}:{secs % 60:02d}",
                                                  rng.randint(200, 900000), "TCP FINs")
                    chunk.append(head + built)
                    heapq.heappush(pending, (written + int(secs / step) + 1, conn, teardown))
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


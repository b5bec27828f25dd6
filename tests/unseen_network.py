"""A seeded, realistic network the team has never looked at, written as real exports.

"Northwind Logistics": two data centres (DC-East 172.21.0.0/16, DC-West 172.22.0.0/16), three
campuses (10.140/16, 10.141/16, 10.142.0.0/20 reserved for a build-out), a closed plant
(10.150.0.0/16, deprecated in IPAM but still statically routed on the core ASA), retired
wireless VLANs inside a live campus (10.140.96.0/22, deprecated), an acquired company's
aggregate (10.160.0.0/16, a Container only, blackholed on Linux), a branch whose routes come only
from the core router (172.23.4/24, .5/24, .7/24; 172.23.6.0/24 is gone) and IPv6 ULA space.

Inventories: an Orion SWIS JSON export with three polling engines, a second Orion instance as a
web-report CSV, Track-It!, DCNM 11, NDFC, a folder of device SNMP configs and a hand-kept CSV
of a legacy check host. Networks: a NetBox prefix CSV export, an ASA `show route`, an IOS
`show ip route`, a Linux `ip route` and an `ip -j route`. Logs: two firewalls (ASA core, FTD
DMZ), five files in five header styles, .gz and .bz2.

Only formats from ../shared/reference/ are used. The ground truth (verdict per address, polled
per record, ghost flows) is decided here from how the network was built, from the SPEC's
definitions, never from the tool's output.
"""

from __future__ import annotations

import ipaddress
import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from auditor.synthetic import asa_messages as asa
from auditor.synthetic import formats
from auditor.synthetic.model import (
    DcnmSwitch,
    DcnmSwitchDetail,
    Endpoint,
    LinuxRoute,
    NdfcSwitchDetail,
    OrionEngine,
    OrionEngineDetail,
    OrionNode,
    OrionNodeDetail,
    OrionReportRow,
    Prefix,
    Route,
    TrackItAsset,
    TrafficIntent,
    WindowsSnmpAgent,
)

STALE_AFTER_DAYS = 14
WINDOW_HOURS = 6

# --- who sends -------------------------------------------------------------------------------
ORION_E1 = "172.21.8.10"      # ORION-E-MPE01, primary engine
ORION_E2 = "172.21.8.11"      # ORION-E-APE01
ORION_W3 = "172.22.8.12"      # ORION-W-APE02
ORION_BRANCH = "172.22.8.40"  # second Orion instance (web-report CSV export)
TRACKIT = "172.21.9.30"
TRACKIT_RVS = "172.21.9.31"   # the plant's Track-It! server, moved to DC-East, still auditing
DCNM = "172.21.9.45"          # DCNM 11 installed on the AAA server aaa-east-01
NDFC = "172.22.9.46"
CHECKER = "172.21.9.60"       # legacy check host, hand-kept CSV
UPTIME = "172.22.50.5"        # DMZ uptime monitor (lower security than DC-East: inbound)
SCANNERS = ("198.51.100.23", "203.0.113.77", "192.0.2.200")
POLLERS = {ORION_E1, ORION_E2, ORION_W3, ORION_BRANCH, TRACKIT, TRACKIT_RVS, DCNM, NDFC,
           CHECKER, UPTIME}
ENGINE_IP = {1: ORION_E1, 2: ORION_E2, 3: ORION_W3}

# --- the network plan (IPAM, routes) --------------------------------------------------------
IPAM = [  # prefix, status, VRF, site, VLAN, description
    ("10.0.0.0/8", "Container", "", "", "", "RFC 1918 aggregate"),
    ("172.16.0.0/12", "Container", "", "", "", "RFC 1918 aggregate"),
    ("172.21.0.0/16", "Active", "", "DC-East", "", "DC-East servers and infrastructure"),
    ("172.21.8.0/24", "Active", "", "DC-East", "108", "NMS and tooling servers"),
    ("172.22.0.0/16", "Active", "", "DC-West", "", "DC-West servers"),
    ("172.22.50.0/24", "Active", "DMZ", "DC-West", "250", "Public DMZ"),
    ("10.140.0.0/16", "Active", "", "Campus North", "", "Campus North users and access"),
    ("10.140.96.0/22", "Deprecated", "", "Campus North", "960", "Legacy WLAN VLANs 960-963, "
     "retired with the controller swap"),
    ("10.141.0.0/16", "Active", "", "Campus South", "", "Campus South"),
    ("10.141.250.0/24", "Active", "", "Campus South", "2250", "South lab"),
    ("10.142.0.0/20", "Reserved", "", "Campus East", "", "Campus East build-out 2025"),
    ("10.143.0.0/20", "Reserved", "", "Campus West", "", "Campus West pilot (not routed yet)"),
    ("10.150.0.0/16", "Deprecated", "", "Riverside", "", "Riverside plant (closed 2021)"),
    ("10.160.0.0/16", "Container", "", "", "", "Contoso acquisition aggregate (migrated)"),
    ("10.255.0.0/16", "Active", "", "", "", "Point-to-point links"),
    ("fd00:21::/48", "Active", "", "DC-East", "", "DC-East IPv6"),
    ("fd00:99::/48", "Deprecated", "", "Riverside", "", "Riverside IPv6 (closed)"),
]
# live routes from the routing tables (never default / blackhole / unreachable / prohibit)
ROUTES = [
    "10.255.40.0/30", "10.255.40.1/32", "10.255.50.0/30", "10.255.50.1/32", "10.255.51.0/30",
    "10.255.51.1/32", "10.140.0.0/16", "10.141.0.0/17", "10.142.0.0/20", "10.150.0.0/16",
    "172.21.0.0/16", "172.21.0.1/32", "172.22.0.0/16", "172.22.0.1/32", "172.23.4.0/24",
    "198.51.100.0/28", "198.51.100.2/32",
    # IOS core-rtr-01
    "10.255.0.0/30", "10.255.0.1/32", "172.21.0.2/32", "172.23.5.0/24", "172.23.7.0/24",
    "172.23.4.1/32",
    # Linux
    "172.22.9.46/32",
]
DEAD_ROUTES = ["10.160.0.0/16", "10.170.0.0/16", "10.171.0.0/16", "172.23.6.0/24"]

_NETS = [(ipaddress.ip_network(p), s) for p, s, *_ in IPAM if s != "Container"]
_ROUTES = [ipaddress.ip_network(p) for p in ROUTES]


def canon(address: str) -> str:
    return str(ipaddress.ip_address(address))


def network_state(address: str) -> str:
    """'live', 'deprecated' or 'outside', from the plan above (not from the tool).

    The most specific IPAM prefix decides; a deprecated prefix beats a route of the same or a
    shorter length (the reference's "routed but dead" case); a live route counts as a live
    network; Container prefixes and dead routes prove nothing.
    """
    ip = ipaddress.ip_address(address)
    best: tuple[int, int, str] | None = None
    for net, status in _NETS:
        if ip.version == net.version and ip in net:
            rank = (net.prefixlen, 1 if status == "Deprecated" else 0, status)
            best = max(best, rank) if best else rank
    for net in _ROUTES:
        if ip.version == net.version and ip in net:
            rank = (net.prefixlen, 0, "Active")
            best = max(best, rank) if best else rank
    if best is None:
        return "outside"
    return "deprecated" if best[2] == "Deprecated" else "live"


# --- the routing tables behind ROUTES / DEAD_ROUTES ------------------------------------------
IOS_LEGEND = (
    "Codes: L - local, C - connected, S - static, R - RIP, M - mobile, B - BGP",
    "       D - EIGRP, EX - EIGRP external, O - OSPF, IA - OSPF inter area",
    "       N1 - OSPF NSSA external type 1, N2 - OSPF NSSA external type 2",
    "       E1 - OSPF external type 1, E2 - OSPF external type 2",
    "       i - IS-IS, su - IS-IS summary, L1 - IS-IS level-1, L2 - IS-IS level-2",
    "       ia - IS-IS inter area, * - candidate default, U - per-user static route",
    "       o - ODR, P - periodic downloaded static route, H - NHRP, l - LISP",
    "       + - replicated route, % - next hop override",
)
LEGEND = (  # the ASA's (9.x) `show route` legend
    "Codes: L - local, C - connected, S - static, R - RIP, M - mobile, B - BGP",
    "       D - EIGRP, EX - EIGRP external, O - OSPF, IA - OSPF inter area",
    "       N1 - OSPF NSSA external type 1, N2 - OSPF NSSA external type 2",
    "       E1 - OSPF external type 1, E2 - OSPF external type 2, V - VPN",
    "       i - IS-IS, su - IS-IS summary, L1 - IS-IS level-1, L2 - IS-IS level-2",
    "       ia - IS-IS inter area, * - candidate default, U - per-user static route",
    "       o - ODR, P - periodic downloaded static route, + - replicated route",
    "       SI - Static InterVRF",
)
ASA_ROUTES = (  # fw-core: 10.150.0.0/16 (the closed plant) is still statically routed
    Route("S*", "0.0.0.0/0", "outside", via="198.51.100.1"),
    Route("C", "10.255.40.0/30", "plant"), Route("L", "10.255.40.1/32", "plant"),
    Route("C", "10.255.50.0/30", "campus-n"), Route("L", "10.255.50.1/32", "campus-n"),
    Route("C", "10.255.51.0/30", "campus-s"), Route("L", "10.255.51.1/32", "campus-s"),
    Route("S", "10.140.0.0/16", "campus-n", via="10.255.50.2"),
    Route("S", "10.141.0.0/17", "campus-s", via="10.255.51.2"),
    Route("O E2", "10.142.0.0/20", "campus-s", via="10.255.51.2", metric="[110/20]",
          age="1d04h", wrapped=True),
    Route("S", "10.150.0.0/16", "plant", via="10.255.40.2"),
    Route("C", "172.21.0.0/16", "dc-east"), Route("L", "172.21.0.1/32", "dc-east"),
    Route("C", "172.22.0.0/16", "dc-west"), Route("L", "172.22.0.1/32", "dc-west"),
    Route("O", "172.23.4.0/24", "dc-east", via="172.21.0.2", metric="[110/20]", age="3d02h"),
    Route("C", "198.51.100.0/28", "outside"), Route("L", "198.51.100.2/32", "outside"),
)
_G1, _G2 = "GigabitEthernet0/1", "GigabitEthernet0/2"
IOS_ROUTES: tuple[Route | str, ...] = (  # core-rtr-01: the branch routes come only from here
    Route("S*", "0.0.0.0/0", via="172.21.0.1"),
    "10.0.0.0/8 is variably subnetted, 5 subnets, 5 masks",
    Route("S", "10.140.0.0/16", via="172.21.0.1"),
    Route("O", "10.141.0.0/17", _G1, via="172.21.0.1", metric="[110/2]", age="2w1d"),
    Route("O IA", "10.142.0.0/20", _G1, via="172.21.0.1", metric="[110/3]", age="2w1d"),
    Route("C", "10.255.0.0/30", _G2), Route("L", "10.255.0.1/32", _G2),
    "172.21.0.0/16 is variably subnetted, 2 subnets, 2 masks",
    Route("C", "172.21.0.0/16", _G1), Route("L", "172.21.0.2/32", _G1),
    "172.23.0.0/24 is subnetted, 3 subnets",
    Route("O", "172.23.4.0", _G2, via="10.255.0.2", metric="[110/2]", age="00:12:44"),
    Route("O", "172.23.5.0", _G2, via="10.255.0.2", metric="[110/2]", age="00:12:44"),
    Route("O E2", "172.23.7.0", _G2, via="10.255.0.2", metric="[110/20]", age="3d01h",
          wrapped=True),
)


# --- firewall interfaces (fw-core) -----------------------------------------------------------
IFACES = [("172.22.50.0/24", "dmz", 50), ("172.21.0.0/16", "dc-east", 100),
          ("172.22.0.0/16", "dc-west", 80), ("10.140.0.0/16", "campus-n", 50),
          ("10.141.0.0/16", "campus-s", 50), ("10.142.0.0/15", "campus-s", 50),
          ("10.150.0.0/16", "plant", 40), ("172.23.0.0/16", "branch", 60)]


#: Flavor "c": the same firewall with interfaces named by another team, names that are also
#: hex digits or a number, so `name:address` cannot be split by guessing at the characters.
HEX_IFNAMES = {"dmz": "a", "dc-east": "dc", "dc-west": "fab", "campus-n": "cafe",
               "campus-s": "be", "plant": "1", "branch": "add", "outside": "ace"}


def iface(address: str) -> tuple[str, int]:
    ip = ipaddress.ip_address(address)
    for prefix, name, level in IFACES:
        net = ipaddress.ip_network(prefix)
        if ip.version == net.version and ip in net:
            return name, level
    return "outside", 0


# --- ground truth structures -----------------------------------------------------------------
@dataclass
class Record:
    source: str
    address: str          # as written in the export
    polled: bool
    tool: str             # 'up' (positive), 'down' (negative), 'none', 'ambiguous'
    name: str = ""
    why: str = ""

    @property
    def key(self) -> str:
        return canon(self.address)


NEGATIVE = {"dupsyn": "syn-retransmit", "noroute": "no-route", "egress": "no-route",
            "deny": "acl-deny", "acl100": "acl-deny", "syntimeout": "syn-timeout"}


@dataclass
class Truth:
    config: Path
    as_of: datetime
    records: list[Record] = field(default_factory=list)
    events: list[TrafficIntent] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)       # name -> type
    inputs: dict[str, str] = field(default_factory=dict)        # every table name -> type
    log_lines: int = 0
    garbage_lines: int = 0
    flowless_lines: int = 0   # recognised ASA messages that carry no flow (111008, 725001)
    ambiguous: dict[str, set[str]] = field(default_factory=dict)  # address -> accepted verdicts
    tolerated_extra: set[str] = field(default_factory=set)      # may appear, not required
    scanner_noise: set[str] = field(default_factory=set)        # held addrs with internet denies

    # --- derived truth ---
    def held(self) -> set[str]:
        return {r.key for r in self.records}

    def evidence(self) -> dict[str, dict[str, set[str]]]:
        out: dict[str, dict[str, set[str]]] = defaultdict(lambda: {"pos": set(), "neg": set(),
                                                                   "noroute": set()})
        for r in self.records:
            if r.tool == "up":
                out[r.key]["pos"].add("tool-up")
            elif r.tool == "down":
                out[r.key]["neg"].add("tool-down")
        held = self.held()
        for e in self.events:
            dst = canon(e.dst)
            if dst not in held:
                continue
            if e.kind in ("noroute", "egress"):
                out[dst]["noroute"].add("no-route")
            elif e.kind == "answered":
                out[dst]["pos"].add("traffic-answered")
            elif e.kind in NEGATIVE and e.src not in SCANNERS:
                out[dst]["neg"].add(NEGATIVE[e.kind])
        return out

    def expected(self) -> dict[str, dict]:
        """address -> {'verdicts': accepted set, 'reasons': required subset, 'polled': bool}."""
        ev = self.evidence()
        out = {}
        for address in sorted(self.held()):
            state = network_state(address)
            e = ev[address]
            gone = state != "live" or bool(e["noroute"])
            reasons = set(e["noroute"]) | e["pos"] | e["neg"]
            if state == "deprecated":
                reasons.add("deprecated-network")
            elif state == "outside":
                reasons.add("outside-live-networks")
            if gone:
                verdict = "conflict" if e["pos"] else "stale"
            elif e["pos"] and e["neg"]:
                raise AssertionError(f"generator built an ambiguous live target {address}")
            elif e["pos"]:
                verdict = "active"
            elif e["neg"]:
                verdict = "unreachable"
            else:
                verdict = "unverified"
            accepted = {verdict}
            if address in self.ambiguous and verdict == "unverified":
                accepted = set(self.ambiguous[address])
            out[address] = {"verdicts": accepted, "reasons": reasons, "state": state,
                            "polled": any(r.polled for r in self.records if r.key == address)}
        return out

    def polled_sets(self) -> dict[tuple[str, str], set[bool]]:
        out: dict[tuple[str, str], set[bool]] = defaultdict(set)
        for r in self.records:
            out[(r.source, r.key)].add(r.polled)
        return dict(out)

    def ghost_flows(self) -> dict[tuple[str, str, str, int], dict]:
        held = self.held()
        out: dict[tuple[str, str, str, int], dict] = {}
        for e in self.events:
            if e.kind not in NEGATIVE or canon(e.dst) in held:
                continue
            if e.src in SCANNERS:  # inbound noise (SPEC): counted, never a ghost flow
                continue
            key = (canon(e.src), canon(e.dst), e.protocol, e.dport)
            flow = out.setdefault(key, {"count": 0, "reasons": set(), "first": e.when,
                                        "last": e.when})
            flow["count"] += e.count
            flow["reasons"].add(NEGATIVE[e.kind])
            flow["first"] = min(flow["first"], e.when)
            flow["last"] = max(flow["last"], e.when)
        return out


# --- address allocation ----------------------------------------------------------------------
class Allocator:
    def __init__(self, rng: random.Random, reserved: set[str]) -> None:
        self.rng = rng
        self.used = set(reserved)

    def take(self, *subnets: str, host_range: tuple[int, int] = (10, 249)) -> str:
        for _ in range(10000):
            net = ipaddress.ip_network(self.rng.choice(subnets))
            if net.version == 6:
                address = str(net.network_address + self.rng.randint(0x10, 0xfff))
            else:
                base = int(net.network_address)
                span = net.num_addresses
                host = self.rng.randint(1, span - 2)
                if span <= 256 and not host_range[0] <= host <= host_range[1]:
                    continue
                if (base + host) & 0xff in (0, 1, 2, 3, 254, 255):
                    continue
                address = str(ipaddress.ip_address(base + host))
            if address not in self.used:
                self.used.add(address)
                return address
        raise RuntimeError(f"pool exhausted: {subnets}")


def _nets(fmt: str, values) -> tuple[str, ...]:
    return tuple(fmt.format(v) for v in values)


DC_EAST = _nets("172.21.{}.0/24", [*range(1, 8), *range(10, 31)])
DC_WEST = _nets("172.22.{}.0/24", [*range(1, 8), *range(10, 31)])
DMZ = ("172.22.50.0/24",)
CAMPUS_N = _nets("10.140.{}.0/24", range(1, 96))
CAMPUS_S = _nets("10.141.{}.0/24", range(1, 128))
CAMPUS_S_IPAM_ONLY = _nets("10.141.{}.0/24", range(130, 250))
CAMPUS_E = _nets("10.142.{}.0/24", range(0, 16))
RESERVED_UNROUTED = _nets("10.143.{}.0/24", range(0, 16))
BRANCH_LIVE = ("172.23.4.0/24", "172.23.5.0/24", "172.23.7.0/24")
V6_LIVE = ("fd00:21:0:10::/64",)
PLANT = _nets("10.150.{}.0/24", range(0, 256))
OLD_WLAN = _nets("10.140.{}.0/24", range(96, 100))
V6_DEAD = ("fd00:99:0:1::/64",)
ACQUIRED = _nets("10.160.{}.0/24", range(0, 256))
BRANCH_DEAD = ("172.23.6.0/24",)
UNREACH_ROUTE = _nets("10.170.{}.0/24", range(0, 256)) + _nets("10.171.{}.0/24", range(0, 9))
NOWHERE = _nets("10.180.{}.0/24", range(0, 256))
NO_ROUTE_LAB = ("10.141.250.0/24",)

# ghost destinations: nobody's inventory holds them
G_ORION_REMNANT = "10.150.3.4"
G_TRACKIT_6711 = "10.140.50.50"
G_DCNM_NOROUTE = "10.160.12.2"
G_ACL100 = "10.150.77.8"
G_SYN_TIMEOUT = "10.141.66.6"
G_EGRESS = "10.170.1.1"
G_NDFC_DENY = "172.23.6.99"
G_ICMP = "10.160.9.9"
G_LAB = "10.141.250.200"
G_DMZ = ("172.22.50.10", "172.22.50.11")
G_INBOUND = "172.21.77.7"
GHOST_DSTS = {G_ORION_REMNANT, G_TRACKIT_6711, G_DCNM_NOROUTE, G_ACL100, G_SYN_TIMEOUT,
              G_EGRESS, G_NDFC_DENY, G_ICMP, G_LAB, G_INBOUND, *G_DMZ}
# SNMP collectors named in device configs
RVS_NMS, RVS_NMS2, RVS_NMS3 = "10.150.3.40", "10.150.3.41", "10.150.3.42"
CTS_NMS, CTS_NMS2, BR6_NMS = "10.160.5.5", "10.160.5.6", "172.23.6.50"
OLD_SINK = "10.180.7.7"  # only ever named on a commented-out line
SNMP_FIXED = {RVS_NMS, RVS_NMS2, RVS_NMS3, CTS_NMS, CTS_NMS2, BR6_NMS, OLD_SINK}
# infrastructure that must never become a target by accident
INFRA = {"172.21.0.1", "172.21.0.2", "172.21.0.3", "172.22.0.1", "172.21.8.20", "172.21.9.15",
         "172.21.9.80", "172.21.0.123", "172.22.0.21", "172.21.9.61"}


# --- builder ---------------------------------------------------------------------------------
class Builder:
    def __init__(self, folder: Path, now: datetime, seed: int, flavor: str) -> None:
        self.flavor = flavor
        self.folder = folder
        self.now = now.replace(microsecond=0)
        self.rng = random.Random(seed)
        self.alloc = Allocator(self.rng, POLLERS | GHOST_DSTS | INFRA | SNMP_FIXED)
        self.truth = Truth(config=folder / "audit.toml", as_of=self.now)
        self.start = self.now - timedelta(hours=WINDOW_HOURS)
        self.end = self.now - timedelta(minutes=10)
        self.conn_id = 2_384_000_000

    # time helpers
    def ago(self, **kw) -> datetime:
        return self.now - timedelta(**kw)

    def when(self) -> datetime:
        span = (self.end - self.start).total_seconds()
        return self.start + timedelta(seconds=self.rng.uniform(0, span))

    def sport(self) -> int:
        return self.rng.randint(49152, 65535)

    def record(self, source: str, address: str, polled: bool, tool: str, name: str = "",
               why: str = "") -> None:
        self.truth.records.append(Record(source, address, polled, tool, name, why))

    # --- traffic intents ---
    def traffic(self, kind: str, poller: str, target: str, port: int, n: int, *,
                proto: str = "tcp", fw: str = "fw-core", hits: int = 1) -> None:
        if kind not in ("noroute", "egress"):
            assert iface(poller)[0] != iface(target)[0] or fw == "fw-dmz", (poller, target)
        for _ in range(n):
            self.truth.events.append(TrafficIntent(self.when(), fw, kind, proto, poller,
                                                   self.sport(), target, port,
                                                   hits if kind == "acl100" else 1))

    # ------------------------------------------------------------------------------------
    def build(self) -> Truth:
        for sub in ("exports", "networks", "logs", "configs/snmp"):
            (self.folder / sub).mkdir(parents=True, exist_ok=True)
        self.orion_swis()
        self.orion_report()
        self.trackit()
        self.trackit_plant()
        self.dcnm()
        self.ndfc()
        self.snmp_configs()
        self.legacy_csv()
        self.uptime_csv()
        self.ghosts()
        self.networks()
        self.logs()
        self.config()
        return self.truth

    # --- SolarWinds SWIS JSON ---------------------------------------------------------------
    def orion_swis(self) -> None:
        src = "orion-east"
        self.truth.sources[src] = "solarwinds-npm"
        nodes: list[OrionNode] = []
        node_id = 1000
        vendors = [("Cisco", "Cisco Catalyst 9300-48P"), ("Cisco", "Cisco Nexus 93180YC-FX"),
                   ("Cisco", "Cisco ISR 4431"), ("Aruba", "Aruba 6300M"),
                   ("APC", "APC Smart-UPS 3000"), ("Windows", "Windows 2019 Server"),
                   ("net-snmp", "Linux")]
        styles = ["ms", "plain", "7z", "2"]

        def swis(dt: datetime | None) -> str | None:
            if dt is None:
                return None
            style = self.rng.choice(styles)
            if style == "ms":
                return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{self.rng.randint(0, 999):03d}"
            if style == "plain":
                return dt.strftime("%Y-%m-%dT%H:%M:%S")
            if style == "7z":
                return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{self.rng.randint(0, 10**7 - 1):07d}Z"
            return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{self.rng.randint(10, 99)}"

        def add(caption: str, ip: str, status: int, kind: str, engine: int, *,
                unmanaged: bool = False, sync: datetime | None = None,
                up: datetime | None = None, tool: str, why: str,
                self_node: bool = False) -> None:
            nonlocal node_id
            node_id += self.rng.randint(1, 7)
            vendor, machine = self.rng.choice(vendors)
            if kind == "ICMP":
                vendor, machine = "Unknown", "Unknown"
            sync = sync or self.ago(minutes=self.rng.randint(1, 4))
            desc = {1: "Node status is Up.", 2: "Node status is Down.", 3: "Node status is "
                    "Warning.", 9: "Node status is Unmanaged.", 12: "Node status is "
                    "Unreachable.", 17: "Node status is Could Not Poll.",
                    14: "Node status is Critical."}[status]
            # each time is printed as it is decided: the styles draw from the same sequence
            detail = OrionNodeDetail(
                address_type="IPv6" if ":" in ip else "IPv4", status_description=desc,
                unmanage_from=swis(self.ago(days=400)) if unmanaged else "1899-12-30T00:00:00",
                unmanage_until="9999-01-01T00:00:00" if unmanaged else "1899-12-30T00:00:00",
                is_orion_server=self_node)
            poll_interval = self.rng.choice([120, 120, 300, 600])
            last_sync = swis(sync)
            nodes.append(OrionNode(
                node_id=node_id, caption=caption if caption else ip, address=ip, status=status,
                kind=kind, engine_id=engine, last_sync=last_sync,
                last_uptime_poll=None if kind != "SNMP" else swis(up), unmanaged=unmanaged,
                vendor=vendor, machine_type=machine, poll_interval=poll_interval,
                dns=f"{caption.lower()}.northwind.example" if caption else "",
                sys_name=caption if kind == "SNMP" and status in (1, 3) else "",
                detail=detail))
            self.record(src, ip, not unmanaged, tool, caption, why)

        # the Orion servers monitor themselves
        add("ORION-E-MPE01", ORION_E1, 1, "SNMP", 1, up=self.ago(minutes=2), tool="up",
            why="orion self", self_node=True)
        add("ORION-E-APE01", ORION_E2, 1, "SNMP", 1, up=self.ago(minutes=3), tool="up",
            why="orion self", self_node=True)
        add("ORION-W-APE02", ORION_W3, 1, "SNMP", 3, up=self.ago(minutes=1), tool="up",
            why="orion self", self_node=True)
        # active: up, recent uptime poll, live networks
        live_pools = [(DC_EAST, 1, "dce"), (DC_EAST, 2, "dce"), (CAMPUS_N, 2, "cn"),
                      (DC_WEST, 3, "dcw"), (CAMPUS_S, 3, "cs"), (CAMPUS_S_IPAM_ONLY, 3, "cs"),
                      (CAMPUS_E, 3, "ce"), (BRANCH_LIVE, 3, "br")]
        for i in range(30):
            pool, engine, site = live_pools[i % len(live_pools)]
            ip = self.alloc.take(*pool)
            add(f"{site}-sw-{i:03d}", ip, 1, "SNMP", engine,
                up=self.ago(minutes=self.rng.randint(1, 30)), tool="up", why="up, live")
        for i in range(4):  # ICMP-only nodes: status Up, no uptime poll (null)
            pool, engine, site = live_pools[(i * 3) % len(live_pools)]
            ip = self.alloc.take(*pool)
            add(f"{site}-icmp-{i:02d}", ip, 1, "ICMP", engine, tool="up",
                why="ICMP node up (LastSystemUpTimePollUtc is null for ICMP)")
        for i in range(3):  # Warning / Critical: answering, uptime polled minutes ago
            ip = self.alloc.take(*DC_EAST)
            add(f"dce-srv-warn-{i}", ip, (3, 14, 3)[i], "SNMP", 1,
                up=self.ago(minutes=self.rng.randint(2, 20)), tool="up",
                why="warning/critical but polled successfully minutes ago")
        for i in range(3):  # Reserved in IPAM, not routed anywhere yet: still a live network
            ip = self.alloc.take(*RESERVED_UNROUTED)
            add(f"cw-pilot-{i}", ip, 1, "SNMP", 2, up=self.ago(minutes=5), tool="up",
                why="up, Reserved prefix (not routed)")
        ip = self.alloc.take(*V6_LIVE)
        add("dce-v6-core", ip, 1, "SNMP", 1, up=self.ago(minutes=4), tool="up",
            why="IPv6 node up")
        # DMZ web servers, up, but internet scanners are denied on fw-dmz: still active
        for i in range(2):
            ip = self.alloc.take(*DMZ)
            add(f"dmz-web-{i + 1:02d}", ip, 1, "SNMP", 3, up=self.ago(minutes=2), tool="up",
                why="up; only internet-scanner denies (not evidence about the target)")
            self.truth.scanner_noise.add(ip)
            for scanner in SCANNERS[:2]:
                self.traffic("deny", scanner, ip, 445, self.rng.randint(3, 9), fw="fw-dmz")
        # unreachable: down for weeks in a live network (tool-down), some also ACL-denied
        for i in range(8):
            pool, engine, site = live_pools[(i + 2) % len(live_pools)]
            ip = self.alloc.take(*pool)
            add(f"{site}-sw-old-{i:02d}", ip, self.rng.choice([2, 17]), "SNMP", engine,
                up=self.ago(days=self.rng.randint(30, 400)), tool="down",
                why="down for weeks, live network")
        for i in range(3):  # APE02 in DC-West is blocked by an ACL towards Campus South
            ip = self.alloc.take(*CAMPUS_S)
            add(f"cs-ups-{i:02d}", ip, 2, "SNMP", 3, up=self.ago(days=60 + i), tool="down",
                why="down and ACL-denied")
            self.traffic("deny", ORION_W3, ip, 161, self.rng.randint(20, 40), proto="udp")
        # stale: the plant (deprecated, still routed on the ASA): SNMP polls leave short UDP
        # flows with a few bytes (no proof of an answer) and permitted ACL hits
        for i in range(10):
            ip = self.alloc.take(*PLANT)
            add(f"RVS-{self.rng.choice(['AS', 'DS', 'UPS', 'PLC'])}-{i:02d}", ip,
                self.rng.choice([2, 2, 12]), "SNMP", self.rng.choice([1, 2]),
                up=self.rng.choice([None, self.ago(days=self.rng.randint(500, 1500))]),
                tool="down", why="plant, down")
            engine_ip = ENGINE_IP[nodes[-1].engine_id]
            if i % 2 == 0:
                self.traffic("udpflow", engine_ip, ip, 161, self.rng.randint(3, 6), proto="udp")
            if i % 3 == 0:
                self.traffic("permit", engine_ip, ip, 161, 2, proto="udp")
        for _ in range(4):  # ICMP nodes in the plant, Unreachable, no uptime at all
            ip = self.alloc.take(*PLANT)
            add("", ip, 12, "ICMP", 2, tool="down", why="plant ICMP unreachable")
        for i in range(2):  # unmanaged (parked) in the plant: stale, not polled
            ip = self.alloc.take(*PLANT)
            add(f"RVS-HIST-{i}", ip, 9, "SNMP", 1, unmanaged=True,
                sync=self.ago(days=700), up=self.ago(days=700), tool="none",
                why="plant, unmanaged")
        for i in range(5):  # acquired aggregate: container only + blackholed -> no route
            ip = self.alloc.take(*ACQUIRED)
            add(f"CTS-RTR-{i:02d}", ip, 2, "SNMP", 2, up=self.ago(days=200 + i), tool="down",
                why="acquired, outside live networks")
            self.traffic("noroute", ORION_E2, ip, 161, self.rng.randint(30, 60), proto="udp")
        for i in range(3):  # dead branch VLAN
            ip = self.alloc.take(*BRANCH_DEAD)
            add(f"br6-ap-{i:02d}", ip, 2, "SNMP", 3, up=self.ago(days=90), tool="down",
                why="branch dead")
        ip = self.alloc.take(*V6_DEAD)
        add("rvs-v6-gw", ip, 2, "SNMP", 1, up=self.ago(days=800), tool="down",
            why="IPv6 deprecated")
        # conflict: the tool polled it minutes ago, yet the network lists say it is gone
        for pool, name in ((ACQUIRED, "cts-new-fw"), (BRANCH_DEAD, "br6-new-sw"),
                           (OLD_WLAN, "cn-wlc-temp")):
            ip = self.alloc.take(*pool)
            add(name, ip, 1, "SNMP", 2, up=self.ago(minutes=3), tool="up",
                why="conflict: up but network gone")
        # unmanaged in a live network: parked; accept unverified (or unreachable)
        for i in range(3):
            ip = self.alloc.take(*CAMPUS_N)
            add(f"cn-parked-{i}", ip, 9, "SNMP", 2, unmanaged=True, sync=self.ago(days=300),
                up=self.ago(days=300), tool="ambiguous", why="unmanaged, live")
            self.truth.ambiguous[canon(ip)] = {"unverified", "unreachable"}
        nodes.sort(key=lambda n: n.node_id)
        exports = self.folder / "exports"
        if self.flavor == "a":
            formats.write_swis_nodes(exports / "orion-east-nodes.json", nodes)
        else:  # ORDER BY NodeID WITH ROWS 1 TO 60 WITH TOTALROWS, then 61 TO 120
            for page, chunk in enumerate((nodes[:60], nodes[60:]), 1):
                formats.write_swis_nodes(exports / f"orion-east-nodes-p{page}.json", chunk,
                                         total=len(nodes), indent=None)
        engines = []
        for number, (name, ip, seconds, counts, master, minutes) in enumerate((
                ("ORION-E-MPE01", ORION_E1, 40, (4211, 380, 4800), None, 0),
                ("ORION-E-APE01", ORION_E2, 55, (1920, 122, 2100), 1, 0),
                ("ORION-W-APE02", ORION_W3, 31, (2410, 201, 2700), 1, 1)), 1):
            engines.append(OrionEngine(
                number, name, ip, "Primary" if number == 1 else "Additional",
                swis(self.ago(seconds=seconds)), OrionEngineDetail(
                    sum(n.engine_id == number for n in nodes), *counts, master, minutes)))
        formats.write_swis_engines(exports / "orion-east-engines.json", engines)

    # --- SolarWinds web report CSV (second Orion instance) ----------------------------------
    def orion_report(self) -> None:
        src = "orion-branch"
        self.truth.sources[src] = "solarwinds-npm"

        rows: list[OrionReportRow] = []

        def add(name: str, ip: str, status: str, sync: datetime, tool: str, why: str,
                machine: str = "Cisco Catalyst 2960X") -> None:
            rows.append(OrionReportRow(name, ip, status, machine, machine.split()[0],
                                       "ORION-BR-01", sync))
            self.record(src, ip, status != "Unmanaged", tool, name, why)

        for i in range(16):
            pool = (DC_WEST, CAMPUS_S, CAMPUS_S_IPAM_ONLY, BRANCH_LIVE)[i % 4]
            ip = self.alloc.take(*pool)
            add(f"BR-EDGE-{i:02d}", ip, "Up", self.ago(minutes=self.rng.randint(1, 9)), "up",
                "report: up")
        for i in range(6):  # lab subnet: IPAM says active, the firewall has no route
            ip = self.alloc.take(*NO_ROUTE_LAB)
            add(f"LAB-SW-{i:02d}", ip, self.rng.choice(["Down", "Unreachable"]),
                self.ago(minutes=3), "none", "report: down; firewall no-route")
            kind = "noroute" if i % 2 else "egress"
            self.traffic(kind, ORION_BRANCH, ip, 161, self.rng.randint(20, 50), proto="udp")
        for i in range(5):
            ip = self.alloc.take(*ACQUIRED)
            add(f"CTS-AP-{i:02d}", ip, "Down", self.ago(minutes=2), "none",
                "report: down, acquired aggregate", machine="Cisco AIR-CAP3702I")
        for i in range(2):
            ip = self.alloc.take(*NOWHERE)
            add(f"OLD-KVM-{i}", ip, "Unmanaged", datetime(2022, 6, 1, 9, 15), "none",
                "report: unmanaged, outside", machine="Raritan KX III")
        for i in range(2):
            ip = self.alloc.take(*DC_WEST)
            add(f"DCW-PDU-{i}", ip, "Unmanaged", self.ago(days=200), "ambiguous",
                "report: unmanaged, live", machine="Raritan PX3")
            self.truth.ambiguous[canon(ip)] = {"unverified", "unreachable"}
        self.rng.shuffle(rows)
        exports = self.folder / "exports"
        if self.flavor == "a":
            formats.write_orion_report_csv(exports / "orion-branch-all-nodes.csv", rows)
        else:  # Reports > All Nodes, exported to Excel
            formats.write_orion_report_xlsx(
                exports / "orion-branch-all-nodes.xlsx", rows, sheet="All Nodes", title_rows=(
                    "All Nodes - Branch Orion",
                    f"Report generated {self.now:%m/%d/%Y %I:%M %p} by NORTHWIND\\svc_rpt"))

    # --- Track-It! ---------------------------------------------------------------------------
    def trackit(self) -> None:
        src = "trackit"
        self.truth.sources[src] = "trackit"
        rows: list[TrackItAsset] = []
        asset = 2000

        def add(name: str, ip: str, kind: str, status: str, audit: str,
                last: datetime | None, tool: str, why: str, dept: str = "Operations") -> None:
            nonlocal asset
            asset += self.rng.randint(1, 13)
            serial = f"SN{self.rng.randint(10**7, 10**8)}"
            location = self.rng.choice(["HQ North", "HQ South", "Riverside", "DC-East"])
            rows.append(TrackItAsset(name, kind, ip, status, last, audit == "Yes",
                                     asset_id=str(asset), serial=serial, location=location,
                                     department=dept))
            if ip:
                self.record(src, ip, audit == "Yes" and status not in ("Retired", "Disposed"),
                            tool, name, why)

        for i in range(20):  # audited in the last days
            ip = self.alloc.take(*(CAMPUS_N if i % 2 else CAMPUS_S))
            add(f"NW-PC-{1000 + i}", ip, "Computer", "Active", "Yes",
                self.ago(days=self.rng.randint(0, 4), minutes=self.rng.randint(0, 600)),
                "up", "audited recently", dept=self.rng.choice(["Finance", "HR", "Sales"]))
            if i % 3 == 0:
                self.traffic("answered", TRACKIT, ip, 10597, self.rng.randint(2, 5))
        for i in range(8):  # switched off for weeks: old audit, some SYN timeouts / dup SYNs
            ip = self.alloc.take(*(CAMPUS_N if i % 2 else CAMPUS_S))
            add(f"NW-LT-{2000 + i}", ip, "Computer", "Active", "Yes",
                self.ago(days=self.rng.randint(30, 180)), "down", "audit weeks old")
            if i < 4:
                self.traffic("syntimeout", TRACKIT, ip, 10597, self.rng.randint(4, 12))
            elif i < 6:
                self.traffic("dupsyn", TRACKIT, ip, 10597, self.rng.randint(20, 60))
        for i in range(12):  # the retired wireless VLANs: still audited, floods of dup SYNs
            ip = self.alloc.take(*OLD_WLAN)
            add(f"CN-KIOSK-{i:02d}", ip, "Computer", "Active", "Yes",
                self.ago(days=self.rng.randint(300, 900)), "down", "deprecated VLAN")
            if i < 5:
                self.traffic("dupsyn", TRACKIT, ip, 10597, self.rng.randint(150, 400))
            elif i < 8:
                self.traffic("syntimeout", TRACKIT, ip, 10597, self.rng.randint(10, 25))
        for i, status in enumerate(["Retired", "Disposed", "Retired", "Disposed"]):
            ip = self.alloc.take(*PLANT)
            add(f"RVS-PC-{i:03d}", ip, "Computer", status, self.rng.choice(["Yes", "No"]),
                datetime(2021, 3, 2 + i, 16, 5), "none", "retired/disposed, plant")
        for i in range(3):  # auditing switched off (the seed story's check box)
            ip = self.alloc.take(*OLD_WLAN)
            add(f"CN-SIGN-{i:02d}", ip, "Computer", "Active", "No",
                datetime(2022, 11, 20 + i, 15, 14), "none", "audit off, deprecated VLAN")
        ip = self.alloc.take(*BRANCH_DEAD)  # audited an hour ago in a network nobody lists
        add("BR6-POS-01", ip, "Computer", "Active", "Yes", self.ago(hours=1), "up",
            "conflict: audited an hour ago, network gone")
        for i in range(2):  # DHCP reuse: a retired PC and its replacement share an address
            ip = self.alloc.take(*CAMPUS_S)
            add(f"NW-PC-OLD-{i}", ip, "Computer", "Retired", "Yes", datetime(2023, 5, 2, 9, 30),
                "none", "retired, address reused")
            add(f"NW-PC-NEW-{i}", ip, "Computer", "Active", "Yes", self.ago(days=1), "up",
                "replacement, audited yesterday")
        for days, tool in ((12, "up"), (17, "down")):  # either side of stale_after_days
            ip = self.alloc.take(*CAMPUS_N)
            add(f"NW-LT-EDGE-{days}", ip, "Computer", "Active", "Yes", self.ago(days=days),
                tool, f"audited {days} days ago")
        for i in range(2):  # printers with an IP, never audited
            ip = self.alloc.take(*CAMPUS_N)
            add(f"CN-PRN-{i:02d}", ip, "Printer", "Active", "No", None, "none",
                "printer, audit off, live")
        for i, kind in enumerate(["Handheld", "Handheld", "Monitor"]):  # no IP at all
            add(f"WH-DEV-{i:02d}", "", kind, "Active", "No", None, "none", "no address")
        self.rng.shuffle(rows)
        columns = ("Asset ID", "Asset Name", "Asset Type", "IP Address", "Serial Number",
                   "Location", "Department", "Status", "Last Audit Date",
                   "Include in Audit" if self.flavor == "a" else "Audit Enabled")
        formats.write_trackit_csv(self.folder / "exports" / "trackit-assets.csv", rows, columns,
                                  audit_words=("Yes", "No") if self.flavor == "a" else
                                  ("True", "False"))

    # --- the plant's own Track-It!, exported to XLSX --------------------------------------
    def trackit_plant(self) -> None:
        """A second Track-It! that only ever held plant assets: every audit is years old.

        Auditing is still on, so the server still connects to 10597; the network is
        deprecated: stale. Nothing here was audited within `stale_after_days` of as-of.
        """
        src = "trackit-riverside"
        self.truth.sources[src] = "trackit"
        assets = []
        closed = datetime(2021, 3, 5, 22, 5)
        for i in range(10):
            ip = self.alloc.take(*PLANT)
            status = "Retired" if i == 9 else "Active"
            last = closed - timedelta(days=self.rng.randint(0, 9), minutes=self.rng.randint(0, 900))
            assets.append(TrackItAsset(f"RVS-WS-{i:03d}", "Computer", ip, status, last, True,
                                       tag=f"RVS{4100 + i}"))
            self.record(src, ip, status == "Active", "down" if status == "Active" else "none",
                        f"RVS-WS-{i:03d}", "plant Track-It!, audit 4 years old")
            if i < 4:
                self.traffic("dupsyn", TRACKIT_RVS, ip, 10597, self.rng.randint(30, 80))
        formats.write_trackit_xlsx(
            self.folder / "exports" / "trackit-riverside.xlsx", assets,
            ("Asset Name", "Asset Tag", "Asset Type", "IP Address", "Status", "Last Audit Date",
             "Include in Audit"))

    # --- DCNM 11 / NDFC ---------------------------------------------------------------------
    def _switch(self, db: int, name: str, ip: str, fabric: str, ok: bool, scan: int,
                ndfc: NdfcSwitchDetail | None = None) -> DcnmSwitch:
        serial = f"FDO{self.rng.randint(10**7, 10**8)}"
        model = self.rng.choice(["N9K-C93180YC-FX", "N9K-C9336C-FX2", "N9K-C93108TC-EX"])
        release = self.rng.choice(["9.3(10)", "10.2(5)", "10.3(3)"])
        role = self.rng.choice(["leaf", "spine", "border"])
        return DcnmSwitch(db, name, ip, serial, fabric, ok, scan, DcnmSwitchDetail(
            model, release, 3 if ok else 7, role, ndfc))

    def _ms(self, dt: datetime) -> int:
        return int(dt.replace(tzinfo=UTC).timestamp() * 1000)

    def dcnm(self) -> None:
        src = "dcnm-dc1"
        self.truth.sources[src] = "cisco-dcnm"
        out: list[DcnmSwitch] = []
        db = 310000
        for i in range(9):
            ip = self.alloc.take(*DC_EAST)
            db += 10
            out.append(self._switch(db, f"dce-leaf-{101 + i}", ip, "DCE-VXLAN", True,
                                    self._ms(self.ago(minutes=self.rng.randint(1, 8)))))
            self.record(src, ip, True, "up", out[-1].name, "dcnm ok")
        for i in range(4):
            ip = self.alloc.take(*PLANT)
            db += 10
            out.append(self._switch(db, f"rvs-agg-{i + 1:02d}", ip, "Riverside-Legacy", False,
                                    self._ms(datetime(2021, 4, 2, 3, 11) + timedelta(hours=i))))
            self.record(src, ip, True, "down", out[-1].name, "dcnm plant")
            if i < 2:
                self.traffic("dupsyn", DCNM, ip, 22, self.rng.randint(40, 90))
                self.traffic("udpflow", DCNM, ip, 161, self.rng.randint(4, 8), proto="udp")
            else:
                self.traffic("syntimeout", DCNM, ip, 22, self.rng.randint(6, 12))
        ip = self.alloc.take(*DC_EAST)
        db += 10
        out.append(self._switch(db, "dce-leaf-199", ip, "DCE-VXLAN", False,
                                self._ms(self.ago(days=45))))
        self.record(src, ip, True, "down", "dce-leaf-199", "dcnm unreachable in live network")
        ip = self.alloc.take(*OLD_WLAN)
        db += 10
        out.append(self._switch(db, "cn-wlan-agg-01", ip, "CampusN-Legacy", True,
                                self._ms(self.ago(minutes=6))))
        self.record(src, ip, True, "up", "cn-wlan-agg-01", "conflict: scanned ok, deprecated")
        self.rng.shuffle(out)
        formats.write_dcnm_switches(self.folder / "exports" / "dcnm-inventory-switches.json",
                                    out)

    def ndfc(self) -> None:
        src = "ndfc-dc2"
        self.truth.sources[src] = "cisco-dcnm"
        out: list[DcnmSwitch] = []
        db = 920000

        def extra() -> NdfcSwitchDetail:
            uuid = f"DCNM-UUID-{self.rng.randint(10**5, 10**6)}"
            return NdfcSwitchDetail(uuid, self.rng.randint(100, 999))

        for i in range(8):
            ip = self.alloc.take(*DC_WEST)
            db += 7
            out.append(self._switch(db, f"dcw-leaf-{201 + i}", ip, "DCW-Fabric", True,
                                    self._ms(self.ago(minutes=self.rng.randint(1, 9))), extra()))
            self.record(src, ip, True, "up", out[-1].name, "ndfc ok")
        for i in range(3):
            ip = self.alloc.take(*BRANCH_DEAD)
            db += 7
            out.append(self._switch(db, f"br6-leaf-{i + 1}", ip, "Branch6-Fabric", False,
                                    self._ms(datetime(2023, 8, 14, 2, 40)), extra()))
            self.record(src, ip, True, "down", out[-1].name, "ndfc branch dead")
            self.traffic("noroute", NDFC, ip, 161, self.rng.randint(15, 30), proto="udp")
        ip = self.alloc.take(*DC_WEST)
        db += 7
        out.append(self._switch(db, "dcw-leaf-new", ip, "DCW-Fabric", False, 0, extra()))
        self.record(src, ip, True, "ambiguous", "dcw-leaf-new", "never scanned (0)")
        self.truth.ambiguous[canon(ip)] = {"unverified", "unreachable"}
        self.rng.shuffle(out)
        formats.write_dcnm_switches(self.folder / "exports" / "ndfc-allswitches.json", out)

    # --- SNMP configs --------------------------------------------------------------------------
    NXOS_KEY = "0x11aa22bb33cc44dd55ee66ff77889900"

    def snmp_configs(self) -> None:
        src = "device-snmp"
        self.truth.sources[src] = "snmp-config"
        folder = self.folder / "configs" / "snmp"
        rvs_nms, rvs_nms2, rvs_nms3 = RVS_NMS, RVS_NMS2, RVS_NMS3
        cts_nms, cts_nms2, br6_nms = CTS_NMS, CTS_NMS2, BR6_NMS
        rw_host = "172.21.9.61"
        nxos_user = (f"snmp-server user admin network-admin auth md5 {self.NXOS_KEY} "
                     f"priv {self.NXOS_KEY} localizedkey")

        def rec(address: str, polled: bool, why: str) -> None:
            self.record(src, address, polled, "none", "", why)

        # net-snmp agent on the AAA server
        formats.write_device_config(folder / "aaa-east-01.snmpd.conf", f"""\
# /etc/snmp/snmpd.conf -- aaa-east-01 (hand-maintained, see CHG0031337)
agentaddress  udp:161,udp6:[::1]:161
sysLocation   DC-East Hall B
sysContact    noc@northwind.example

# who may poll us
rocommunity   nwR3ad    {ORION_E1}
rocommunity   nwR3ad    {ORION_E2}
rocommunity   nwR3ad    {rvs_nms}
rwcommunity   nwWr1te   {rw_host}/32
rocommunity   public    default    -V systemonly
com2sec       rvsNMS    {rvs_nms3}     rvsPublic
com2sec       localnet  127.0.0.1       localPublic
group         rvsGrp    v2c             rvsNMS
view          systemonly included .1.3.6.1.2.1.1
view          systemonly included .1.3.6.1.2.1.25.1
access        rvsGrp    ""  any  noauth exact systemonly none none

# where our traps go
trap2sink     {ORION_E1}     nwTrap  162
trapsink      {rvs_nms}     rvsPublic
informsink    tcp:{rvs_nms2}:162  rvsPublic
#trap2sink    {cts_nms}      ctsTrap
#trap2sink    {OLD_SINK}     oldTrap     # moved to the relay, 2023
# informsink  {rvs_nms3}     rvsPublic
trapsess      -v 2c -c nwTrap udp:{ORION_E2}:162
trapsess      -v 3 -u trapuser -l authPriv -a SHA -A s3cretAuth99 -x AES -X s3cretPriv99 {cts_nms2}
    trap2sink  {ORION_W3}  nwTrap
""")
        for a, p, w in ((ORION_E1, False, "rocommunity"), (ORION_E2, False, "rocommunity"),
                        (rvs_nms, False, "rocommunity"), (rw_host, False, "rwcommunity /32"),
                        (rvs_nms3, False, "com2sec"), (ORION_E1, True, "trap2sink"),
                        (rvs_nms, True, "trapsink"), (rvs_nms2, True, "informsink tcp:"),
                        (cts_nms, False, "commented trap2sink"),
                        (OLD_SINK, False, "commented trap2sink (only record)"),
                        (rvs_nms3, False, "commented informsink"),
                        (ORION_E2, True, "trapsess"), (cts_nms2, True, "trapsess v3"),
                        (ORION_W3, True, "indented trap2sink")):
            rec(a, p, w)
        self.truth.tolerated_extra.add("127.0.0.1")

        formats.write_device_config(folder / "nms-relay.snmptrapd.conf", f"""\
# /etc/snmp/snmptrapd.conf -- nms-relay (trap fan-out)
snmpTrapdAddr udp:162
authCommunity log,execute,net nwTrap
authCommunity log rvsPublic
forward default udp:{cts_nms}:162
forward .1.3.6.1.4.1.9 {ORION_E1}
forward .1.3.6.1.4.1.2636 udp:{ORION_W3}:162
# forward default {rvs_nms}
traphandle default /usr/local/bin/trap2splunk.sh
""")
        for a, p, w in ((cts_nms, True, "forward"), (ORION_E1, True, "forward OID"),
                        (ORION_W3, True, "forward udp:"), (rvs_nms, False, "commented forward")):
            rec(a, p, w)

        # IOS core router: full running-config, only the SNMP lines name targets
        formats.write_device_config(folder / "core-rtr-01.cfg", f"""\
!
! Last configuration change at 22:10:01 UTC Thu Mar 6 2025 by netadmin
!
version 17.6
service timestamps debug datetime msec
service timestamps log datetime msec
hostname core-rtr-01
!
interface GigabitEthernet0/1
 description DC-East core
 ip address 172.21.0.2 255.255.0.0
!
interface GigabitEthernet0/2
 description Branch transit
 ip address 10.255.0.1 255.255.255.252
!
ip route 0.0.0.0 0.0.0.0 172.21.0.1
logging host 172.21.9.80
ntp server 172.21.0.123
access-list 23 permit 172.21.9.15
access-list 90 permit {ORION_E1}
access-list 90 permit {ORION_E2}
access-list 90 permit {rvs_nms}
access-list 90 deny   any log
snmp-server community nwR3ad RO 90
snmp-server community nwWr1te RW 91
snmp-server location DC-East Hall B
snmp-server contact noc@northwind.example
snmp-server enable traps snmp linkdown linkup coldstart warmstart
snmp-server enable traps config
snmp-server host {ORION_E1} version 2c nwTrap
snmp-server host {rvs_nms} rvsPublic
snmp-server host {rvs_nms2} informs version 2c rvsPublic udp-port 1162
snmp-server host {ORION_W3} vrf Mgmt-intf version 3 priv trapuser
snmp-server host {cts_nms} traps version 1 ctsTrap config snmp
!
line vty 0 4
 access-class 23 in
 transport input ssh
!
end
""")
        for a, p, w in ((ORION_E1, False, "acl 90"), (ORION_E2, False, "acl 90"),
                        (rvs_nms, False, "acl 90"), (ORION_E1, True, "host"),
                        (rvs_nms, True, "host"), (rvs_nms2, True, "host informs"),
                        (ORION_W3, True, "host vrf v3"), (cts_nms, True, "host traps v1")):
            rec(a, p, w)

        # campus access switches (IOS): each still sends traps to an old collector
        for n in range(8):
            old = self.alloc.take(*(PLANT if n % 2 else OLD_WLAN))
            mgmt = self.alloc.take(*(CAMPUS_N if n % 2 else CAMPUS_S))
            # the switch's own management address is not a target (interface line)
            lines = ["!", f"hostname cx-as-{n + 1:02d}", "!", "interface Vlan900",
                     f" ip address {mgmt} 255.255.255.0", "!",
                     f"access-list 95 permit {ORION_E2 if n % 2 else ORION_W3}",
                     "snmp-server community nwR3ad RO 95",
                     f"snmp-server host {ORION_E1} version 2c nwTrap",
                     f"snmp-server host {old} version 2c oldTrap", "end", ""]
            formats.write_device_config(folder / f"cx-as-{n + 1:02d}.cfg", "\n".join(lines))
            rec(ORION_E2 if n % 2 else ORION_W3, False, "acl 95")
            rec(ORION_E1, True, "host")
            rec(old, True, "host to old collector")
            self.alloc.used.add(mgmt)

        formats.write_device_config(folder / "dc-west-n9k-01.cfg", f"""\
!Command: show running-config
!Running configuration last done at: Thu Mar  6 22:10:01 2025
!Time: Fri Mar  7 13:00:02 2025

version 10.2(5) Bios:version 05.47
hostname dc-west-n9k-01
feature nxapi
feature bash-shell

username admin password 5 $5$KDHJDK$Q1ZsgGxhzVo1oK3P8o0Q0l3I2aZ5qA1  role network-admin
{nxos_user}
snmp-server host {ORION_W3} traps version 2c nwTrap
snmp-server host {ORION_W3} use-vrf management
snmp-server host {br6_nms} informs version 3 priv trapuser
snmp-server host {br6_nms} use-vrf management
snmp-server host {br6_nms} source-interface mgmt0
snmp-server community nwR3ad group network-operator
snmp-server community nwR3ad use-acl SNMP-MGRS

interface mgmt0
  vrf member management
  ip address 172.22.0.21/16
""")
        rec(ORION_W3, True, "nxos host")
        rec(br6_nms, True, "nxos informs")

        formats.write_device_config(folder / "fw-core.cfg", f"""\
: Saved
:
: Serial Number: JAD2234A1BC
: Hardware:   ASA5525, 8192 MB RAM, CPU Lynnfield 2394 MHz, 1 CPU (4 cores)
:
ASA Version 9.16(4)
!
hostname fw-core
domain-name northwind.example
enable password ***** pbkdf2
names
!
interface GigabitEthernet0/0
 nameif outside
 security-level 0
 ip address 198.51.100.2 255.255.255.240
!
interface GigabitEthernet0/1
 nameif dc-east
 security-level 100
 ip address 172.21.0.1 255.255.0.0
!
interface GigabitEthernet0/2
 nameif plant
 security-level 40
 ip address 10.255.40.1 255.255.255.252
!
interface GigabitEthernet0/3
 shutdown
 no nameif
 no security-level
 no ip address
!
route outside 0.0.0.0 0.0.0.0 198.51.100.1 1
route plant 10.150.0.0 255.255.0.0 10.255.40.2 1
logging enable
logging timestamp
logging host dc-east 172.21.9.80
snmp-server host dc-east {ORION_E1} community ***** version 2c
snmp-server host dc-east {ORION_E2} poll community ***** version 2c
snmp-server host plant {rvs_nms} poll community ***** version 2c
snmp-server host plant {rvs_nms2} trap community ***** version 1 udp-port 1162
snmp-server host dc-west {ORION_W3} version 3 trapuser
snmp-server location DC-East Hall B
no snmp-server contact
snmp-server community *****
snmp-server enable traps snmp authentication linkup linkdown coldstart warmstart
: end
""")
        for a, p, w in ((ORION_E1, True, "asa host (trap+poll)"), (ORION_E2, False, "asa poll"),
                        (rvs_nms, False, "asa poll"), (rvs_nms2, True, "asa trap"),
                        (ORION_W3, True, "asa v3")):
            rec(a, p, w)

        formats.write_windows_snmp_reg(folder / "trackit-srv01-snmp.reg", WindowsSnmpAgent(
            permitted_managers=("localhost", ORION_E1, rvs_nms,
                                "oldnms.riverside.northwind.example"),
            trap_destinations=(("nwTrap", (ORION_E1,)), ("rvsPublic", (rvs_nms, rvs_nms2))),
            communities=("nwR3ad", "rvsPublic"), contact="IT Service Desk",
            location="DC-East\\Hall B"))
        for a, p, w in ((ORION_E1, False, "reg permitted"), (rvs_nms, False, "reg permitted"),
                        (ORION_E1, True, "reg trap"), (rvs_nms, True, "reg trap"),
                        (rvs_nms2, True, "reg trap")):
            rec(a, p, w)
        self.truth.tolerated_extra.add("127.0.0.1")

    # --- a hand-kept CSV ------------------------------------------------------------------
    def legacy_csv(self) -> None:
        src = "legacy-checks"
        self.truth.sources[src] = "csv"
        rows = []

        def add(name: str, ip: str, tool: str, why: str) -> None:
            rows.append([name, ip, self.rng.choice(["HQ", "DCW", "RVS", "CTS"]),
                         self.rng.choice(["ssh", "https", "ping"]), why])
            self.record(src, ip, True, tool, name, why)

        for i in range(8):  # answers ssh every few minutes
            pool = (CAMPUS_N, CAMPUS_S, DC_WEST, CAMPUS_E)[i % 4]
            ip = self.alloc.take(*pool)
            add(f"chk-host-{i:02d}", ip, "none", "answers ssh")
            self.traffic("answered", CHECKER, ip, 22, self.rng.randint(3, 8))
        for i in range(4):  # live network, https never completes
            ip = self.alloc.take(*CAMPUS_S)
            add(f"chk-web-{i:02d}", ip, "none", "SYN timeouts")
            self.traffic("syntimeout", CHECKER, ip, 443, self.rng.randint(5, 15))
        for i in range(4):  # behind an 'unreachable' Linux route
            ip = self.alloc.take(*UNREACH_ROUTE)
            add(f"chk-old-{i:02d}", ip, "none", "no route")
            self.traffic("noroute", CHECKER, ip, 22, self.rng.randint(10, 30))
        for i in range(3):  # plant: dup SYNs
            ip = self.alloc.take(*PLANT)
            add(f"chk-rvs-{i:02d}", ip, "none", "plant dup SYN")
            self.traffic("dupsyn", CHECKER, ip, 22, self.rng.randint(30, 80))
        for i in range(3):  # nowhere at all, no traffic logged
            ip = self.alloc.take(*NOWHERE)
            add(f"chk-gone-{i:02d}", ip, "none", "outside, silent")
        ip = self.alloc.take(*PLANT)  # deprecated but a host there still answers https
        add("chk-rvs-historian", ip, "none", "conflict: answers in a deprecated network")
        self.traffic("answered", CHECKER, ip, 443, 6)
        for i in range(2):  # Reserved prefix, no traffic: unverified, not stale
            ip = self.alloc.take(*RESERVED_UNROUTED)
            add(f"chk-pilot-{i:02d}", ip, "none", "Reserved prefix, no evidence")
        for i in range(5):  # same interface as the checker: nothing crosses the firewall
            ip = self.alloc.take(*DC_EAST)
            add(f"chk-local-{i:02d}", ip, "none", "no evidence")
        self.rng.shuffle(rows)
        formats.write_host_list_csv(self.folder / "exports" / "legacy-checks.csv",
                                    ("Device", "Mgmt IP", "Site", "Check", "Notes"), rows)

    def uptime_csv(self) -> None:
        """A DMZ uptime monitor's export: it reaches DC-East from a lower security level."""
        src = "dmz-uptime"
        self.truth.sources[src] = "csv"
        rows = []
        for i in range(6):
            ip = self.alloc.take(*DC_EAST)
            rows.append([f"dce-app-{i:02d} https", ip, "HTTP(s)", "60"])
            if i < 3:
                self.record(src, ip, True, "none", rows[-1][0], "answers https (inbound)")
                self.traffic("answered", UPTIME, ip, 443, self.rng.randint(3, 8))
            else:
                self.record(src, ip, True, "none", rows[-1][0], "SYN timeouts (inbound)")
                self.traffic("syntimeout", UPTIME, ip, 443, self.rng.randint(3, 8))
        formats.write_host_list_csv(self.folder / "exports" / "dmz-uptime-monitors.csv",
                                    ("Friendly Name", "Hostname/IP", "Monitor Type", "Interval"),
                                    rows)

    # --- ghost flows ------------------------------------------------------------------------
    def ghosts(self) -> None:
        self.traffic("dupsyn", ORION_E2, G_ORION_REMNANT, 17777, 900)
        self.traffic("dupsyn", TRACKIT, G_TRACKIT_6711, 6711, 1200)
        self.traffic("noroute", DCNM, G_DCNM_NOROUTE, 161, 240, proto="udp")
        for _ in range(18):
            self.traffic("acl100", ORION_W3, G_ACL100, 161, 1, proto="udp",
                         hits=self.rng.randint(1, 30))
        # a dead host gives both: retransmitted SYNs, then the SYN Timeout teardown
        self.traffic("syntimeout", TRACKIT, G_SYN_TIMEOUT, 10597, 36)
        self.traffic("dupsyn", TRACKIT, G_SYN_TIMEOUT, 10597, 50)
        # inbound (the poller sits on the lower-security side, printed first)
        self.traffic("syntimeout", UPTIME, G_INBOUND, 443, 20)
        self.traffic("egress", ORION_E1, G_EGRESS, 443, 50)
        self.traffic("deny", NDFC, G_NDFC_DENY, 161, 70, proto="udp")
        self.traffic("noroute", ORION_E1, G_ICMP, 0, 30, proto="icmp")
        self.traffic("noroute", ORION_BRANCH, G_LAB, 161, 25, proto="udp")
        for scanner in SCANNERS:
            for dst, port in ((G_DMZ[0], 3389), (G_DMZ[1], 22)):
                self.traffic("deny", scanner, dst, port, self.rng.randint(4, 20), fw="fw-dmz")

    # --- networks -----------------------------------------------------------------------------
    def networks(self) -> None:
        folder = self.folder / "networks"
        prefixes = [Prefix(prefix, status, vrf, desc, site, vlan, "Northwind",
                           "" if status == "Container" else "Production",
                           children=self.rng.randint(0, 40),
                           utilization=self.rng.randint(0, 100), number=100 + number)
                    for number, (prefix, status, vrf, site, vlan, desc) in enumerate(IPAM, 1)]
        if self.flavor == "a":
            formats.write_prefix_csv(folder / "netbox-prefixes.csv", prefixes, (
                "Prefix", "Status", "Children", "VRF", "Utilization", "Tenant", "Site", "VLAN",
                "Role", "Description"))
        else:  # `GET /api/ipam/prefixes/?limit=10`, every page saved as the API returned it
            formats.write_netbox_prefix_pages(folder, prefixes,
                                              server="https://netbox.northwind.example",
                                              vrfs={"DMZ": (3, "65010:50")})
        formats.write_asa_show_route(folder / "fw-core-show-route.txt", ASA_ROUTES,
                                     prompt="fw-core/pri/act#", gateway="198.51.100.1",
                                     legend=("", *LEGEND), footer=("",))
        formats.write_ios_show_ip_route(folder / "core-rtr-01-show-ip-route.txt", IOS_ROUTES,
                                        prompt="core-rtr-01#", gateway="172.21.0.1",
                                        legend=(*IOS_LEGEND, ""))
        formats.write_ip_route(folder / "aaa-east-01-ip-route.txt", (
            LinuxRoute("default", gateway="172.21.0.1", device="ens192", protocol="static",
                       metric=100),
            LinuxRoute("172.21.0.0/16", device="ens192", protocol="kernel", scope="link",
                       source=DCNM, metric=100),
            LinuxRoute("172.22.0.0/16", gateway="172.21.0.3", device="ens192",
                       protocol="static", metric=100),
            LinuxRoute("172.22.9.46", gateway="172.21.0.3", device="ens192", protocol="static",
                       metric=50),
            LinuxRoute("10.160.0.0/16", "blackhole", protocol="static"),
            LinuxRoute("10.170.0.0/16", "unreachable", protocol="static", metric=1024),
            LinuxRoute("10.171.0.0/24", "prohibit", protocol="static", metric=1024)))
        formats.write_ip_route_json(folder / "jh-west-ip-route.json", (
            LinuxRoute("default", gateway="172.22.0.1", device="eth0", protocol="dhcp",
                       metric=100),
            LinuxRoute("172.22.0.0/16", device="eth0", protocol="kernel", scope="link",
                       source="172.22.9.10", metric=100),
            LinuxRoute("172.23.6.0/24", "blackhole", protocol="static"),
            LinuxRoute("10.171.0.0/16", "unreachable", protocol="static", metric=1024)))

    # --- logs ---------------------------------------------------------------------------------
    def render(self, e: TrafficIntent, style: dict) -> list[tuple[datetime, int, str, str]]:
        """Return (time, severity, msgid, text) lines for one event."""
        s_if, s_lvl = iface(e.src)
        d_if, d_lvl = iface(e.dst)
        if self.flavor == "c":
            s_if, d_if = HEX_IFNAMES[s_if], HEX_IFNAMES[d_if]
        src, dst = Endpoint(s_if, e.src, e.sport), Endpoint(d_if, e.dst, e.dport)
        if e.kind == "dupsyn":
            text = asa.format_duplicate_syn(src, dst, received=style["dupsyn"] == "received")
            return [(e.when, 4, "419002", text)]
        if e.kind == "noroute":  # the ASA names the ingress interface on both ends
            sport = 0 if e.protocol == "icmp" else e.sport
            return [(e.when, 6, "110003", asa.format_no_route(
                e.protocol, Endpoint(s_if, e.src, sport), Endpoint(s_if, e.dst, e.dport)))]
        if e.kind == "egress":
            return [(e.when, 6, "110002", asa.format_no_egress(e.protocol, src, e.dst,
                                                               e.dport))]
        if e.kind == "deny":
            user = "(LOCAL\\svc_ndfc)" if e.src == NDFC and self.rng.random() < 0.3 else ""
            icmp = "type 3, code 0, " if self.rng.random() < 0.2 else ""
            hashes = "" if self.rng.random() < 0.2 else \
                f" [0x{self.rng.getrandbits(32):08x}, 0x0]"
            acl = "outside_in" if e.src in SCANNERS else f"{s_if.replace('-', '_')}_out"
            return [(e.when, 4, "106023", asa.format_acl_deny(
                e.protocol, Endpoint(s_if, e.src, e.sport, user=user), dst, acl, icmp=icmp,
                hashes=hashes))]
        if e.kind in ("acl100", "permit"):
            return [(e.when, 5, "106100", asa.format_acl_hit(
                f"{s_if.replace('-', '_')}_out", e.kind == "permit", e.protocol, src, dst,
                e.count, f"0x{self.rng.getrandbits(32):08x}"))]
        # connection pairs
        self.conn_id += self.rng.randint(1, 40)
        cid = self.conn_id
        udp = e.kind == "udpflow"
        if e.kind == "syntimeout":
            duration, nbytes, reason = "0:00:30", 0, "SYN Timeout"
            if style.get("teardown_from"):
                reason += f" from {s_if}"
            later = e.when + timedelta(seconds=30)
        elif e.kind == "answered":
            duration = f"0:00:{self.rng.randint(1, 9):02d}"
            nbytes, reason = self.rng.randint(900, 90000), "TCP FINs"
            later = e.when + timedelta(seconds=5)
        else:  # udpflow: one request, no proof of an answer
            duration, nbytes, reason = "0:02:01", self.rng.choice([78, 82, 86]), ""
            later = e.when + timedelta(seconds=121)
        if s_lvl > d_lvl:  # outbound: the lower-security end (the target) is printed first
            direction, first, second = "outbound", dst, src
        else:  # inbound: the initiator (the poller) first
            direction, first, second = "inbound", src, dst
        b_id, t_id = ("302015", "302016") if udp else ("302013", "302014")
        return [(e.when, 6, b_id, asa.format_built(direction, e.protocol, cid, first, second)),
                (later, 6, t_id, asa.format_teardown(e.protocol, cid, first, second, duration,
                                                     nbytes, reason))]

    def noise(self, fw: str) -> list[tuple[datetime, int, str, str]]:
        out = []
        for _ in range(400):
            t = self.when()
            r = self.rng.random()
            host = f"172.21.{self.rng.randint(40, 60)}.{self.rng.randint(10, 200)}"
            if r < 0.25:
                sp = self.sport()
                out.append((t, 6, "305011", f"Built dynamic TCP translation from dc-east:"
                            f"{host}/{sp} to outside:198.51.100.2/{self.rng.randint(1024, 65000)}"))
            elif r < 0.5:
                self.conn_id += 3
                cid, sp = self.conn_id, self.sport()
                peer = self.rng.choice(["WEB-VIP-01", "192.0.2.80", "203.0.113.10"])
                port = self.rng.choice(["443", "https", "80"])
                out.append((t, 6, "302013", f"Built outbound TCP connection {cid} for outside:"
                            f"{peer}/{port} ({peer}/{port}) to dc-east:{host}/{sp} "
                            f"(198.51.100.2/{sp})"))
                out.append((t + timedelta(seconds=3), 6, "302014", f"Teardown TCP connection "
                            f"{cid} for outside:{peer}/{port} to dc-east:{host}/{sp}"
                            f"(LOCAL\\\\jdoe) duration 0:00:03 bytes {self.rng.randint(500, 9999)}"
                            " TCP FINs (jdoe)"))
            elif r < 0.65:
                self.conn_id += 3
                cid, sp = self.conn_id, self.sport()
                out.append((t, 6, "302015", f"Built outbound UDP connection {cid} for outside:"
                            f"192.0.2.53/53 (192.0.2.53/53) to dc-east:{host}/{sp} "
                            f"(198.51.100.2/{sp})"))
                out.append((t, 6, "302016", f"Teardown UDP connection {cid} for outside:"
                            f"192.0.2.53/53 to dc-east:{host}/{sp} duration 0:00:00 bytes 148"))
            elif r < 0.8:
                out.append((t, 5, "106100", f"access-list dc_east_out permitted tcp dc-east/"
                            f"{host}({self.sport()}) -> outside/192.0.2.80(443) hit-cnt 1 "
                            f"first hit [0x71a87d94, 0x0]"))
            elif r < 0.9:
                self.truth.flowless_lines += 1
                out.append((t, 5, "111008", "User 'netadmin' executed the 'show conn count' "
                            "command."))
            else:
                self.truth.flowless_lines += 1
                out.append((t, 6, "725001", f"Starting SSL handshake with client dc-east:"
                            f"{host}/{self.sport()} to 172.21.0.1/443 for TLSv1.2 session"))
        if fw == "fw-core":  # an impossible address in a permitted line (must not crash)
            out.append((self.when(), 5, "106100", "access-list dc_east_out permitted udp "
                        "dc-east/192.1682.2.2(5353) -> outside/192.18.4(53) hit-cnt 1 first hit "
                        "[0x0, 0x0]"))
        return out

    def logs(self) -> None:
        rng = self.rng
        per_fw: dict[str, list[tuple[datetime, int, str, str]]] = defaultdict(list)
        for e in self.truth.events:
            style = {"dupsyn": "received" if rng.random() < 0.5 else "duplicate",
                     "teardown_from": rng.random() < 0.3}
            per_fw[e.firewall] += self.render(e, style)
        for fw in ("fw-core", "fw-dmz"):
            per_fw[fw] += self.noise(fw)
            per_fw[fw].sort(key=lambda x: x[0])
        folder = self.folder / "logs"
        total = 0
        core = per_fw["fw-core"]
        third = (self.end - self.start) / 3
        cuts = [self.start + third, self.start + 2 * third]
        parts = [[x for x in core if x[0] < cuts[0]],
                 [x for x in core if cuts[0] <= x[0] < cuts[1]],
                 [x for x in core if x[0] >= cuts[1]]]

        def line(style: str, t: datetime, sev: int, msgid: str, text: str, tag: str) -> str:
            session = msgid == "106100" and style == "asa-year" and rng.random() < 0.5
            host = "10.255.0.2" if style.startswith("relay-ip") else "fw-core"
            return asa.format_line(style, t, host, sev, msgid, text, product=tag,
                                   session=session)

        def write(name: str, lines: list[str], extra: list[bytes] = ()) -> None:
            nonlocal total
            total += len(lines) + len(extra)
            self.truth.garbage_lines += len(extra)
            formats.write_log_file(folder / name, lines, extra)

        stamp = self.now.strftime("%Y%m%d")
        garbage = [b"\x00\x00\x00\x00",
                   self.start.strftime("%b %d %H:%M:%S").encode() +
                   b" fw-core : %ASA-4-419002: Received duplicate TCP SYN from dc-east:172.21.",
                   b"\xff\xfe\x80 relay buffer overflow \x81\x82",
                   b"-- MARK --"]
        if self.flavor == "a":
            core_styles = ("rfc3164", "asa-year", "rfc5424")
            dmz_styles, dmz_tag = ("relay-ip", "pri-asa"), "FTD"
        else:
            core_styles = ("pri-rfc3164", "program-pid", "asa-year-est")
            dmz_styles, dmz_tag = ("nocolon", "relay-ip-colon"), "PIX"
        write(f"fw-core-{stamp}-1.log.gz",
              [line(core_styles[0], *x, tag="ASA") for x in parts[0]], garbage[:2])
        write(f"fw-core-{stamp}-2.log.gz",
              [line(core_styles[1], *x, tag="ASA") for x in parts[1]])
        write(f"fw-core-{stamp}-3.log", [line(core_styles[2], *x, tag="ASA") for x in parts[2]],
              garbage[2:])
        dmz = per_fw["fw-dmz"]
        half = len(dmz) // 2
        write(f"fw-dmz-{stamp}-1.log.bz2",
              [line(dmz_styles[0], *x, tag=dmz_tag) for x in dmz[:half]])
        write(f"fw-dmz-{stamp}-2.log", [line(dmz_styles[1], *x, tag=dmz_tag) for x in dmz[half:]])
        self.truth.log_lines = total

    # --- audit.toml ---------------------------------------------------------------------------
    def config(self) -> None:
        a = self.flavor == "a"
        nodes = 'path = "exports/orion-east-nodes.json"' if a else \
            'paths = ["exports/orion-east-nodes-p*.json"]'
        report = "orion-branch-all-nodes.csv" if a else "orion-branch-all-nodes.xlsx"
        ipam = ('type = "prefix-list"\npath = "networks/netbox-prefixes.csv"' if a else
                'type = "netbox"\npaths = ["networks/netbox-prefixes-page*.json"]')
        text = f"""\
[audit]
name = "Northwind quarterly hygiene audit"
stale_after_days = {STALE_AFTER_DAYS}

[[sources]]
name = "orion-east"
type = "solarwinds-npm"
{nodes}
engines_path = "exports/orion-east-engines.json"
owner = "NOC - SolarWinds East"

[[sources]]
name = "orion-branch"
type = "solarwinds-npm"
path = "exports/{report}"
owner = "Branch IT - SolarWinds"
poller = "{ORION_BRANCH}"

[[sources]]
name = "trackit"
type = "trackit"
path = "exports/trackit-assets.csv"
owner = "Service Desk - Track-It!"
poller = "{TRACKIT}"

[[sources]]
name = "trackit-riverside"
type = "trackit"
path = "exports/trackit-riverside.xlsx"
owner = "Riverside IT (legacy)"
poller = "{TRACKIT_RVS}"

[[sources]]
name = "dcnm-dc1"
type = "cisco-dcnm"
path = "exports/dcnm-inventory-switches.json"
owner = "DC Network - DCNM"
poller = "{DCNM}"

[[sources]]
name = "ndfc-dc2"
type = "cisco-dcnm"
path = "exports/ndfc-allswitches.json"
owner = "DC Network - NDFC"
poller = "{NDFC}"

[[sources]]
name = "device-snmp"
type = "snmp-config"
paths = ["configs/snmp/*"]
owner = "Network Engineering"

[[sources]]
name = "legacy-checks"
type = "csv"
path = "exports/legacy-checks.csv"
owner = "Ops - legacy checks"
poller = "{CHECKER}"
columns = {{ address = "Mgmt IP" }}

[[sources]]
name = "dmz-uptime"
type = "csv"
path = "exports/dmz-uptime-monitors.csv"
owner = "Web Ops"
poller = "{UPTIME}"

[[networks]]
name = "netbox"
{ipam}

[[networks]]
name = "fw-core-routes"
type = "cisco-asa-route"
path = "networks/fw-core-show-route.txt"

[[networks]]
name = "core-rtr-01-routes"
type = "cisco-ios-route"
path = "networks/core-rtr-01-show-ip-route.txt"

[[networks]]
name = "aaa-east-01-routes"
type = "linux-ip-route"
path = "networks/aaa-east-01-ip-route.txt"

[[networks]]
name = "jh-west-routes"
type = "linux-ip-route"
path = "networks/jh-west-ip-route.json"

[[logs]]
name = "fw-core"
type = "cisco-asa"
paths = ["logs/fw-core-*.log*"]

[[logs]]
name = "fw-dmz"
type = "cisco-asa"
paths = ["logs/fw-dmz-*.log*"]
"""
        self.truth.config.write_text(text, encoding="utf-8")
        self.truth.inputs = dict(self.truth.sources)
        self.truth.inputs.update({"netbox": "prefix-list" if a else "netbox",
                                  "fw-core-routes": "cisco-asa-route",
                                  "core-rtr-01-routes": "cisco-ios-route",
                                  "aaa-east-01-routes": "linux-ip-route",
                                  "jh-west-routes": "linux-ip-route",
                                  "fw-core": "cisco-asa", "fw-dmz": "cisco-asa"})


def build(folder: Path, now: datetime, seed: int = 20250307, flavor: str = "a") -> Truth:
    """Write the whole network under `folder`; return the ground truth.

    Flavor "a": Orion report as CSV, NetBox prefix CSV, syslog styles set A. Flavor "b": the
    same network exported differently (Orion report XLSX with title rows, SWIS JSON in two
    pages, NetBox API pages, other syslog header styles); the truth does not change. Flavor
    "c": as "b", on a firewall whose interfaces are named `dc`, `fab`, `cafe`, `a`, `1`...
    """
    folder.mkdir(parents=True, exist_ok=True)
    truth = Builder(folder, now, seed, flavor).build()
    _self_check(truth)
    return truth


def _self_check(truth: Truth) -> None:
    """The generator's own promises (a failure here is a generator bug, not a product bug)."""
    held = truth.held()
    assert not held & GHOST_DSTS, held & GHOST_DSTS
    for e in truth.events:
        if e.kind in ("answered",):
            assert network_state(e.dst) == "live" or canon(e.dst) in held
    expected = truth.expected()  # raises on an ambiguous live target
    assert sum(v["verdicts"] == {"stale"} for v in expected.values()) > 60

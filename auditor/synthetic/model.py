"""The values a synthetic network is described with: prefixes, routes, tool records, traffic.

Each tool's record carries what that tool's export prints, already decided (a timestamp in
the tool's own text where tools differ in how they print one), so that a writer in
`auditor.synthetic.formats` only lays the values out in the vendor's format and never draws
a random number: the caller keeps its random sequence, and with it its files, byte for byte.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

# --- networks ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Prefix:
    """One IPAM prefix and its state, as NetBox (or a prefix CSV) lists it.

    `status` is NetBox's label: `Active`, `Reserved`, `Deprecated`, `Retired` or `Container`
    (an aggregate only). The other fields are the columns of NetBox's prefix export.
    """

    prefix: str
    status: str
    vrf: str = ""
    description: str = ""
    site: str = ""
    vlan: str = ""
    tenant: str = ""
    role: str = ""
    children: int = 0
    utilization: int = 0
    number: int | None = None
    """NetBox's object ID (the `ID` column, `id` in the API); None where the export has none."""


@dataclass(frozen=True, slots=True)
class Route:
    """One route of a Cisco `show route` (ASA) or `show ip route` (IOS) table.

    `destination` is a CIDR for the ASA (printed as network and mask) and the text IOS prints
    for IOS (`10.141.0.0/17`, or `172.23.4.0` under an "is subnetted" line). Without `via`
    the route is directly connected to `interface`.
    """

    code: str
    destination: str
    interface: str | None = None
    via: str | None = None
    metric: str = "[1/0]"
    age: str | None = None
    wrapped: bool = False
    """IOS and ASA wrap a long route: the destination alone, the path on the next line."""
    other_paths: tuple[str, ...] = ()
    """Further equal-cost paths, each printed on its own line under the first."""


@dataclass(frozen=True, slots=True)
class LinuxRoute:
    """One route of a Linux routing table (`ip route` and `ip -j route`)."""

    destination: str
    kind: str = "unicast"
    """`unicast`, `blackhole`, `unreachable` or `prohibit`."""
    gateway: str | None = None
    device: str | None = None
    protocol: str | None = None
    scope: str | None = None
    source: str | None = None
    metric: int | None = None


# --- tool records ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OrionNode:
    """One row of SWIS `Orion.Nodes`; times are as SWIS printed them (`None` is JSON null)."""

    node_id: int
    caption: str
    address: str
    status: int
    """Orion's status code: 1 Up, 2 Down, 3 Warning, 9 Unmanaged, 12 Unreachable..."""
    kind: str
    """`ObjectSubType`: SNMP, ICMP, WMI."""
    engine_id: int
    last_sync: str | None
    last_uptime_poll: str | None
    unmanaged: bool = False
    vendor: str = "Cisco"
    machine_type: str = "Unknown"
    poll_interval: int = 120
    dns: str = ""
    sys_name: str = ""
    detail: OrionNodeDetail | None = None
    """The columns a `SELECT *`-style query adds; None writes the short column set."""


@dataclass(frozen=True, slots=True)
class OrionNodeDetail:
    """The longer `Orion.Nodes` columns: address type, status text, unmanage window."""

    address_type: str
    status_description: str
    unmanage_from: str | None
    unmanage_until: str
    is_orion_server: bool


@dataclass(frozen=True, slots=True)
class OrionEngine:
    """One row of SWIS `Orion.Engines` (a polling engine and the address it polls from)."""

    engine_id: int
    server_name: str
    address: str
    server_type: str
    keep_alive: str | None
    detail: OrionEngineDetail | None = None


@dataclass(frozen=True, slots=True)
class OrionEngineDetail:
    """The longer `Orion.Engines` columns: element counts, master engine, keep-alive age."""

    nodes: int
    interfaces: int
    volumes: int
    elements: int
    master_engine_id: int | None
    minutes_since_keep_alive: int
    business_layer_port: int = 17777


@dataclass(frozen=True, slots=True)
class OrionReportRow:
    """One row of an Orion web report (Reports > All Nodes) exported to CSV or Excel."""

    caption: str
    address: str
    status: str
    machine_type: str
    vendor: str
    polling_engine: str
    last_sync: datetime


@dataclass(frozen=True, slots=True)
class TrackItAsset:
    """One asset of the Track-It! grid; a column the export lacks is simply not written."""

    name: str
    kind: str
    address: str
    status: str
    last_audit: datetime | None
    audit: bool
    asset_id: str = ""
    serial: str = ""
    location: str = ""
    department: str = ""
    tag: str = ""


@dataclass(frozen=True, slots=True)
class DcnmSwitch:
    """One switch of DCNM 11 `inventory/switches` or NDFC `inventory/allswitches`."""

    db_id: int
    name: str
    address: str
    serial: str
    fabric: str
    reachable: bool
    last_scan: int
    """Milliseconds since the epoch, as DCNM prints it (0: never scanned)."""
    detail: DcnmSwitchDetail | None = None


@dataclass(frozen=True, slots=True)
class DcnmSwitchDetail:
    """The longer switch columns DCNM 11.5 and NDFC print; `ndfc` adds NDFC's own keys."""

    model: str
    release: str
    fabric_id: int
    role: str
    ndfc: NdfcSwitchDetail | None = None


@dataclass(frozen=True, slots=True)
class NdfcSwitchDetail:
    """Keys only NDFC's `allswitches` carries."""

    uuid: str
    uuid_id: int
    fabric_technology: str = "VXLANFabric"
    system_mode: str = "Normal"
    ip_domain: str = ""
    vpc_configured: bool = False


@dataclass(frozen=True, slots=True)
class NetstatRow:
    """One connection of Windows `netstat -abn`, with the owning service and executable."""

    protocol: str
    local: str
    remote: str
    state: str
    executable: str
    service: str | None = None


@dataclass(frozen=True, slots=True)
class WindowsSnmpAgent:
    """The Windows SNMP service's settings, as `reg export` of its Parameters key shows them."""

    permitted_managers: tuple[str, ...]
    trap_destinations: tuple[tuple[str, tuple[str, ...]], ...]
    """(community, destinations) per trap community."""
    communities: tuple[str, ...]
    contact: str
    location: str


# --- traffic -----------------------------------------------------------------------------------


@dataclass(slots=True)
class TrafficIntent:
    """Traffic a firewall logs about one connection attempt, before it is written as lines.

    `kind` says what the firewall saw: `dupsyn` (419002), `noroute` (110003), `egress`
    (110002), `deny` (106023), `acl100` (106100 denied), `permit` (106100 permitted),
    `syntimeout`, `answered` and `udpflow` (302013-302016 pairs). `count` is what a reader
    should count for it: one line, or a 106100 line's hit count.
    """

    when: datetime
    firewall: str
    kind: str
    protocol: str
    src: str
    sport: int
    dst: str
    dport: int
    count: int = 1


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One end of an ASA connection as a message prints it: `interface:address/port`."""

    interface: str
    address: str
    port: int | str
    mapped: str | None = None
    """The NAT-mapped `address/port` a Built message shows in brackets; None: the same."""
    user: str = ""
    """An identity suffix stuck to the port, such as `(LOCAL\\\\jdoe)`."""

"""Reconcile and classify: records + networks + traffic in, findings and ghost flows out.

Pure: no I/O, no clock. `as_of` comes from the caller; a test can drive everything here
with literals.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from datetime import datetime, timedelta

from auditor.actions import finding_action
from auditor.model import (
    VERDICT_ORDER,
    Finding,
    FoldedFlows,
    GhostFlow,
    InboundNoise,
    NetworkStatus,
    ProcessKey,
    Reason,
    Signal,
    Target,
    ToolState,
    Traffic,
    Verdict,
)
from auditor.netindex import NetworkIndex, ip_key
from auditor.traffic import TrafficIndex

#: Reasons that say the network itself is gone.
GONE = frozenset({Reason.OUTSIDE_LIVE_NETWORKS, Reason.DEPRECATED_NETWORK, Reason.NO_ROUTE})
#: Reasons that say something answers.
POSITIVE = frozenset({Reason.TOOL_UP, Reason.TRAFFIC_ANSWERED, Reason.PROBE_OK})
#: Reasons that say nothing answers, though the network may exist.
NEGATIVE = frozenset({Reason.ACL_DENY, Reason.SYN_RETRANSMIT, Reason.SYN_TIMEOUT,
                      Reason.TOOL_DOWN, Reason.PROBE_FAILED})

_SIGNAL_REASON: dict[str, Reason] = {
    Signal.NO_ROUTE: Reason.NO_ROUTE, Signal.ACL_DENY: Reason.ACL_DENY,
    Signal.SYN_RETRANSMIT: Reason.SYN_RETRANSMIT, Signal.SYN_TIMEOUT: Reason.SYN_TIMEOUT,
    Signal.TRAFFIC_ANSWERED: Reason.TRAFFIC_ANSWERED}
#: Ghost flows listed in a report; the rest are counted together.
MAX_GHOST_FLOWS = 10_000
_REASON_ORDER = {r: i for i, r in enumerate(Reason)}
_VERDICT_RANK = {v: i for i, v in enumerate(VERDICT_ORDER)}

#: The usual service on ports pollers send to, for ghost-flow attribution.
PORT_SERVICES: dict[int, str] = {
    22: "SSH", 23: "Telnet", 25: "SMTP", 53: "DNS", 80: "HTTP", 135: "MS RPC / WMI",
    139: "NetBIOS session", 161: "SNMP polling", 162: "SNMP traps", 389: "LDAP",
    443: "HTTPS", 445: "SMB", 514: "syslog",
    1433: "Microsoft SQL Server", 3389: "RDP", 5671: "RabbitMQ (SolarWinds Orion)",
    5985: "WinRM", 10597: "Track-It! Workstation Manager audit agent",
    17774: "SolarWinds SWIS REST API", 17777: "SolarWinds Information Service "
    "(Orion inter-server traffic)", 17778: "SolarWinds SWIS REST (legacy) / Orion agent",
    17790: "SolarWinds Orion agent",
}


def source_clocks(targets: Iterable[Target], as_of: datetime) -> dict[str, datetime]:
    """Each source's clock: when its export was taken, as well as the data can tell.

    A source whose tool writes when it last looked at each record (`seen`: Orion's
    LastSync, DCNM's lastScanTime) is judged against its newest such time, so an Orion
    export taken last month doesn't read as all down. A source that keeps only successes
    (Track-It!'s last audit) is judged against the newest look time of any source (exports
    handed in together were taken together), else against `as_of`: its own newest success
    proves nothing about when it was exported. Never after `as_of`.
    """
    newest: dict[str, datetime] = {}
    sources: set[str] = set()
    for t in targets:
        sources.add(t.source)
        if t.seen is not None and (t.source not in newest or t.seen > newest[t.source]):
            newest[t.source] = t.seen
    inventory = min(max(newest.values()), as_of) if newest else as_of
    return {s: min(newest[s], as_of) if s in newest else inventory for s in sources}


def tool_reasons(targets: Sequence[Target], clocks: Mapping[str, datetime],
                 as_of: datetime, stale_after_days: int) -> set[Reason]:
    """What the tools themselves say: recently reached (tool-up) or not for too long."""
    limit = timedelta(days=stale_after_days)
    reasons: set[Reason] = set()
    for t in targets:
        if not t.polled:
            continue  # a parked record's old state says nothing about the address today
        clock = clocks.get(t.source, as_of)
        recent = t.last_ok is not None and clock - t.last_ok <= limit
        if t.state is ToolState.UP:
            reasons.add(Reason.TOOL_UP)
        elif t.state is ToolState.DOWN:
            if not recent:
                reasons.add(Reason.TOOL_DOWN)
        elif t.last_ok is not None:
            reasons.add(Reason.TOOL_UP if recent else Reason.TOOL_DOWN)
    return reasons


def traffic_reasons(traffic: Traffic | None) -> set[Reason]:
    if traffic is None:
        return set()
    return {_SIGNAL_REASON[Signal(s)] for s, n in traffic.by_signal.items()
            if n and Signal(s) in _SIGNAL_REASON}


def classify(reasons: set[Reason]) -> Verdict:
    """The verdict table of SPEC.md, from the reasons found."""
    gone = bool(reasons & GONE)
    positive = bool(reasons & POSITIVE)
    if gone and positive:
        return Verdict.CONFLICT
    if gone:
        return Verdict.STALE
    if positive:
        return Verdict.ACTIVE
    if reasons & NEGATIVE:
        return Verdict.UNREACHABLE
    return Verdict.UNVERIFIED


def reconcile(targets: Sequence[Target], index: NetworkIndex, traffic: TrafficIndex, *,
              as_of: datetime, stale_after_days: int, networks_known: bool,
              links: Mapping[str, str] | None = None) -> list[Finding]:
    """One finding per address any source holds, sorted most urgent first.

    `networks_known` is False when no network source loaded: then nobody can say an
    address is outside every live network, and none is called so. `links` ties host
    names to addresses (`link_names`, worked out here when not given).
    """
    if links is None:
        links = link_names(targets)[0]
    by_address: dict[str, list[Target]] = defaultdict(list)
    names: dict[str, set[str]] = defaultdict(set)
    for t in targets:
        address = links.get(t.address, t.address)
        by_address[address].append(t)
        if address != t.address:
            names[address].add(t.address)
    clocks = source_clocks(targets, as_of)
    findings = []
    for address, records in by_address.items():
        records.sort(key=lambda t: (t.source, t.id))
        reasons = tool_reasons(records, clocks, as_of, stale_after_days)
        summary = traffic.summary(address)
        reasons |= traffic_reasons(summary)
        placement = index.place(address)
        network = None
        if placement is not None and placement.live is not None:
            network = placement.live.prefix
        elif placement is not None and placement.dead is not None:
            reasons.add(Reason.DEPRECATED_NETWORK
                        if placement.dead.status is NetworkStatus.DEPRECATED
                        else Reason.OUTSIDE_LIVE_NETWORKS)
        elif networks_known and _is_ip(address):
            reasons.add(Reason.OUTSIDE_LIVE_NETWORKS)
        verdict = classify(reasons)
        ordered = tuple(sorted(reasons, key=_REASON_ORDER.__getitem__))
        findings.append(Finding(
            address=address, verdict=verdict, polled=any(t.polled for t in records),
            reasons=ordered, network=network, records=tuple(records), traffic=summary,
            action=finding_action(verdict, tuple(records)),
            names=tuple(sorted(names.get(address, ())))))
    findings.sort(key=lambda f: (_VERDICT_RANK[f.verdict], not f.polled,
                                 address_sort_key(f.address)))
    return findings


def link_names(targets: Iterable[Target]) -> tuple[dict[str, str], tuple[str, ...]]:
    """Tie records that hold only a host name to the address another record gives it.

    A record with an IP address lends its names (its display name and `aliases`: Orion's
    Caption and DNS, DCNM's switch name, Track-It!'s host name) to that address. A record
    whose address is a name takes the address its name is lent to: exactly first, then
    without the domain on either side (`nms-old.example.net` ~ `NMS-OLD`), all
    case-insensitive. A name lent to two different addresses links to neither: a guess
    would move a record onto the wrong device. No DNS is asked.

    Returns:
        name -> address for every linked name, and the names that stayed unresolved.
    """
    full: dict[str, set[str]] = defaultdict(set)
    short: dict[str, set[str]] = defaultdict(set)
    hosts: set[str] = set()
    for t in targets:
        if not _is_ip(t.address):
            hosts.add(t.address)
            continue
        for name in (t.name, *t.aliases):
            name = name.strip().lower().rstrip(".")
            if not name or _is_ip(name) or " " in name:
                continue
            full[name].add(t.address)
            short[name.split(".", 1)[0]].add(t.address)
    links: dict[str, str] = {}
    unresolved = []
    for host in sorted(hosts):
        name = host.lower().rstrip(".")
        found = full.get(name) or short.get(name) or short.get(name.split(".", 1)[0])
        if found is not None and len(found) == 1:
            links[host] = next(iter(found))
        else:
            unresolved.append(host)
    return links, tuple(unresolved)


def ghost_flows(traffic: TrafficIndex, held: Collection[str], pollers: Mapping[str, str],
                processes: Mapping[ProcessKey, str] | None = None, *,
                limit: int = MAX_GHOST_FLOWS) -> tuple[list[GhostFlow], FoldedFlows]:
    """Drop flows to destinations no source holds, with the best attribution available.

    The `limit` busiest are listed; the rest are counted together (a port scan of a million
    flows must not become a million report rows). Inbound noise never gets here: the fold
    kept it apart (`TrafficIndex.noise`).

    Args:
        traffic: the folded logs.
        held: every address some source holds.
        pollers: sending address -> who is known to send from it (a source's poller).
        processes: what captures saw: ("dst", address, port) for a connection a process
            opened, ("src", host, local port) for a socket it held.
        limit: how many flows to list.
    """
    candidates = [(key, tally) for key, tally in traffic.drop_flows() if key[1] not in held]
    candidates.sort(key=lambda kt: (-kt[1].count, address_sort_key(kt[0][0]),
                                    address_sort_key(kt[0][1]), kt[0][2], kt[0][3] or 0))
    rest = candidates[limit:]
    folded = FoldedFlows(flows=len(rest), lines=sum(t.count for _, t in rest))
    flows = []
    for (src, dst, protocol, port), tally in candidates[:limit]:
        # The index's keys are `Signal` members already: no `Signal(s)` call (an enum
        # lookup in Python) per key of every flow.
        reasons = {_SIGNAL_REASON[s] for s in tally.signals if s in _SIGNAL_REASON}
        flows.append(GhostFlow(
            src=src, dst=dst, protocol=protocol, port=port, count=tally.count,
            first_seen=tally.first, last_seen=tally.last,
            reasons=tuple(sorted(reasons, key=_REASON_ORDER.__getitem__)),
            attribution=attribute(src, dst, port, tally.sports, pollers, processes or {})))
    return flows, folded


def inbound_noise(traffic: TrafficIndex, top: int = 10) -> InboundNoise:
    """The noise the fold kept apart, as the summary and report show it."""
    noise = traffic.noise
    return InboundNoise(
        flows=noise.flows, lines=noise.lines,
        top_ports=tuple((proto, port, n) for (proto, port), n in sorted(
            noise.ports.items(), key=lambda kv: (-kv[1], kv[0][0], kv[0][1] or 0))[:top]),
        top_senders=tuple(sorted(noise.senders.items(),
                                 key=lambda kv: (-kv[1], address_sort_key(kv[0])))[:top]))


def noise_test(index: NetworkIndex, inside: Collection[str],
               networks_known: bool) -> Callable[[str], bool] | None:
    """Whether a drop's sender is outside: in no live network and not a known sender.

    None (nothing is noise) when no network source loaded: then nobody can tell inside
    from outside, and every flow stays a ghost flow to look at.
    """
    if not networks_known:
        return None

    def is_noise(src: str) -> bool:
        if src in inside:
            return False
        placement = index.place(src)
        return placement is None or placement.live is None

    return is_noise


def attribute(src: str, dst: str, port: int | None, sports: Iterable[int],
              pollers: Mapping[str, str], processes: Mapping[ProcessKey, str]) -> str | None:
    """Who is probably behind a flow: known poller, captured process, usual service."""
    parts = []
    if src == "*":
        parts.append("many senders" + (" and destinations" if dst == "*" else "") +
                     ": folded together once the flow table was full")
    if src in pollers:
        parts.append(f"sent by {pollers[src]}")
    process = processes.get(("dst", dst, port))
    if not process and processes:  # no capture: nothing to look up per port
        for sport in sorted(sports):
            process = process or processes.get(("src", src, sport))
    if process:
        parts.append(process)
    if port in PORT_SERVICES:
        parts.append(f"port {port}: {PORT_SERVICES[port]}")
    return "; ".join(parts) or None


def address_sort_key(address: str) -> tuple[int, int, str]:
    """Numeric order for addresses (v4 before v6), host names last."""
    key = ip_key(address)
    if key is None:
        return (9, 0, address)
    return (key[0], key[1], "")


def _is_ip(address: str) -> bool:
    return address_sort_key(address)[0] != 9

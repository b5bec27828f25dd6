"""Reconcile and classify: records + networks + traffic in, findings and ghost flows out.

Pure: no I/O, no clock. `as_of` comes from the caller; a test can drive everything here
with literals.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta

from auditor.actions import finding_action
from auditor.model import (
    VERDICT_ORDER,
    Finding,
    GhostFlow,
    NetworkStatus,
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

_SIGNAL_REASON = {Signal.NO_ROUTE: Reason.NO_ROUTE, Signal.ACL_DENY: Reason.ACL_DENY,
                  Signal.SYN_RETRANSMIT: Reason.SYN_RETRANSMIT,
                  Signal.SYN_TIMEOUT: Reason.SYN_TIMEOUT,
                  Signal.TRAFFIC_ANSWERED: Reason.TRAFFIC_ANSWERED}
ProcessKey = tuple[str, str, int | None]
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
              as_of: datetime, stale_after_days: int, networks_known: bool) -> list[Finding]:
    """One finding per address any source holds, sorted most urgent first.

    `networks_known` is False when no network source loaded: then nobody can say an
    address is outside every live network, and none is called so.
    """
    by_address: dict[str, list[Target]] = defaultdict(list)
    for t in targets:
        by_address[t.address].append(t)
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
            action=finding_action(verdict, tuple(records))))
    findings.sort(key=lambda f: (_VERDICT_RANK[f.verdict], not f.polled,
                                 address_sort_key(f.address)))
    return findings


def ghost_flows(traffic: TrafficIndex, held: set[str], pollers: Mapping[str, str],
                processes: Mapping[ProcessKey, str] | None = None) -> list[GhostFlow]:
    """Drop flows to destinations no source holds, with the best attribution available.

    Args:
        traffic: the folded logs.
        held: every address some source holds.
        pollers: sending address -> who is known to send from it (a source's poller).
        processes: what captures saw: ("dst", address, port) for a connection a process
            opened, ("src", host, local port) for a socket it held.
    """
    flows = []
    for (src, dst, protocol, port), tally in traffic.flows.items():
        if dst in held:
            continue
        # The index's keys are `Signal` members already: no `Signal(s)` call (an enum
        # lookup in Python) per key of every flow.
        reasons = {_SIGNAL_REASON[s] for s in tally.signals if s in _SIGNAL_REASON}
        flows.append(GhostFlow(
            src=src, dst=dst, protocol=protocol, port=port, count=tally.count,
            first_seen=tally.first, last_seen=tally.last,
            reasons=tuple(sorted(reasons, key=_REASON_ORDER.__getitem__)),
            attribution=attribute(src, dst, port, tally.sports, pollers, processes or {})))
    flows.sort(key=lambda g: (-g.count, address_sort_key(g.src), address_sort_key(g.dst),
                              g.protocol, g.port or 0))
    return flows


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

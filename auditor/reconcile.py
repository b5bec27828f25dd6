"""Reconcile and classify: records + networks + traffic in, findings and ghost flows out.

Pure: no I/O, no clock. `as_of` comes from the caller; a test can drive everything here
with literals.
"""

from __future__ import annotations

import functools
import heapq
import operator
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from datetime import datetime, timedelta

from auditor.actions import NO_ACTION, finding_action
from auditor.model import (
    PROBE_ANSWERED,
    PROBE_SILENT,
    VERDICT_ORDER,
    Finding,
    FoldedFlows,
    GhostFlow,
    InboundNoise,
    NetworkStatus,
    ProbeKind,
    ProbeResult,
    ProbeStatus,
    ProcessKey,
    Reason,
    Signal,
    Target,
    ToolState,
    Traffic,
    Verdict,
)
from auditor.netindex import NetworkIndex, ip_key
from auditor.traffic import FlowKey, TrafficIndex

#: Reasons that say the network itself is gone (or, for a record holding only a host name,
#: that the name itself is: the resolver says it has no address).
GONE = frozenset({Reason.OUTSIDE_LIVE_NETWORKS, Reason.DEPRECATED_NETWORK, Reason.NO_ROUTE,
                  Reason.DNS_UNRESOLVED})
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
    return _reasons(_tool_bits(targets, clocks, as_of, timedelta(days=stale_after_days)))


def traffic_reasons(traffic: Traffic | None) -> set[Reason]:
    return _reasons(_traffic_bits(traffic))


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
              links: Mapping[str, str] | None = None,
              probes: Sequence[ProbeResult] | None = None) -> list[Finding]:
    """One finding per address any source holds, sorted most urgent first.

    `networks_known` is False when no network source loaded: then nobody can say an
    address is outside every live network, and none is called so. `links` ties host
    names to addresses (`link_names`, worked out here when not given; with probes, after
    `link_resolved`). `probes` are the opt-in probes' results (`probe_reasons`), each
    read for the finding of its address; a name's look-up for the finding its records
    joined (the report finds them there again by address and `Finding.names`).

    Built for a million records: reasons are bits while an address is judged (one verdict
    and one ordered tuple per distinct set of reasons, not per address), each address is
    read once (`ip_key`) for the network lookup and the sort, and a record alone at its
    address (the usual case) skips the sorting and merging a group needs.
    """
    if links is None:
        links = link_names(targets)[0]
    asked: dict[str, list[ProbeResult]] = {}
    for result in probes or ():
        key = links.get(result.address, result.address) \
            if result.kind is ProbeKind.DNS else result.address
        asked.setdefault(key, []).append(result)
    return _reconcile(targets, index, traffic, as_of=as_of,
                      stale_after_days=stale_after_days, networks_known=networks_known,
                      links=links, probes={a: tuple(r) for a, r in asked.items()})


def _reconcile(targets: Sequence[Target], index: NetworkIndex, traffic: TrafficIndex, *,
               as_of: datetime, stale_after_days: int, networks_known: bool,
               links: Mapping[str, str],
               probes: Mapping[str, tuple[ProbeResult, ...]]) -> list[Finding]:
    # Most addresses have one record: it stands alone until a second one joins it.
    by_address: dict[str, Target | list[Target]] = {}
    names: dict[str, set[str]] = defaultdict(set)
    for t in targets:
        address = links.get(t.address, t.address) if links else t.address
        held = by_address.get(address)
        if held is None:
            by_address[address] = t
        elif isinstance(held, list):
            held.append(t)
        else:
            by_address[address] = [held, t]
        if address != t.address:
            names[address].add(t.address)
    clocks = source_clocks(targets, as_of)
    limit = timedelta(days=stale_after_days)
    judged: dict[int, tuple[Verdict, tuple[Reason, ...], int]] = {}
    active_verdict = Verdict.ACTIVE
    summary_of, match = traffic.summary, index.match
    with_traffic = traffic.destinations()
    tool_up = ToolState.UP
    active = NetworkStatus.ACTIVE
    findings: list[Finding] = []
    order: list[int] = []
    hosts: list[int] = []
    # Names bound once: the loop runs a million times at estate scale.
    new_finding, add_finding, add_order = Finding, findings.append, order.append
    tool_bits, traffic_bits = _tool_bits, _traffic_bits
    for address, held in by_address.items():
        records: tuple[Target, ...]
        if isinstance(held, list):
            held.sort(key=_RECORD_ORDER)
            records = tuple(held)
            polled = any(t.polled for t in records)
            bits = tool_bits(records, clocks, as_of, limit)
        else:
            records = (held,)
            polled = held.polled
            # one record, its tool says up: the commonest case, without the call
            bits = _TOOL_UP if polled and held.state is tool_up else \
                tool_bits(records, clocks, as_of, limit)
        asked = probes.get(address, ()) if probes else ()
        if asked:
            bits |= _probe_bits(address, asked)
        summary = summary_of(address) if address in with_traffic else None
        if summary is not None:
            bits |= traffic_bits(summary)
        key = ip_key(address)
        network = None
        if key is not None:
            net = match(key)
            if net is None:
                if networks_known:
                    bits |= _OUTSIDE
            elif net.status is active:
                network = net.prefix
            else:
                bits |= _DEPRECATED if net.status is NetworkStatus.DEPRECATED else _OUTSIDE
        judgement = judged.get(bits)
        if judgement is None:
            reasons = _reasons(bits)
            verdict = classify(reasons)
            ordered = tuple(sorted(reasons, key=_REASON_ORDER.__getitem__))
            judgement = judged[bits] = (verdict, ordered, _VERDICT_RANK[verdict] << 5)
        verdict, ordered, rank = judgement
        # Positional: the same fields in their declared order, a little cheaper a million
        # times over than keywords.
        add_finding(new_finding(
            address, verdict, polled, ordered, network, records, summary,
            NO_ACTION if verdict is active_verdict else finding_action(verdict, records),
            tuple(sorted(names[address])) if address in names else ()))
        # (verdict, polled first, address_sort_key) as one int: names (version 9) get
        # their place among themselves once every name is known.
        if not polled:
            rank |= 16
        if key is None:
            add_order((rank | 9) << 128)
            hosts.append(len(order) - 1)
        else:
            add_order((rank | key[0]) << 128 | key[1])
    for place, i in enumerate(sorted(hosts, key=lambda i: findings[i].address)):
        order[i] |= place
    # Sorting plain ints, each with its finding's position in the low bits, is several
    # times faster than sorting tuples; equal keys keep their order, as a stable sort would.
    count = len(findings)
    packed = [k * count + i for i, k in enumerate(order)]
    packed.sort()
    return [findings[k % count] for k in packed]


#: Each reason's bit while an address is judged, in `Reason` order.
_BIT = {r: 1 << i for i, r in enumerate(Reason)}
_OUTSIDE = _BIT[Reason.OUTSIDE_LIVE_NETWORKS]
_DEPRECATED = _BIT[Reason.DEPRECATED_NETWORK]
_TOOL_UP = _BIT[Reason.TOOL_UP]
_TOOL_DOWN = _BIT[Reason.TOOL_DOWN]
_SIGNAL_BIT = {signal: _BIT[reason] for signal, reason in _SIGNAL_REASON.items()}
_PROBE_OK = _BIT[Reason.PROBE_OK]
_PROBE_FAILED = _BIT[Reason.PROBE_FAILED]
_DNS_UNRESOLVED = _BIT[Reason.DNS_UNRESOLVED]


def _reasons(bits: int) -> set[Reason]:
    return {r for r, bit in _BIT.items() if bits & bit}


#: The order of an address's records: by source, then id.
_RECORD_ORDER = operator.attrgetter("source", "id")


def _tool_bits(targets: Iterable[Target], clocks: Mapping[str, datetime], as_of: datetime,
               limit: timedelta) -> int:
    """`tool_reasons` as bits."""
    bits = 0
    for t in targets:
        if not t.polled:
            continue  # a parked record's old state says nothing about the address today
        state = t.state
        if state is ToolState.UP:
            bits |= _TOOL_UP
            continue
        last_ok = t.last_ok
        if last_ok is None:
            if state is ToolState.DOWN:
                bits |= _TOOL_DOWN
            continue
        recent = clocks.get(t.source, as_of) - last_ok <= limit
        if state is ToolState.DOWN:
            if not recent:
                bits |= _TOOL_DOWN
        else:
            bits |= _TOOL_UP if recent else _TOOL_DOWN
    return bits


def probe_reasons(address: str, results: Iterable[ProbeResult]) -> set[Reason]:
    """What the opt-in probes say about one finding's address (or name).

    Any answer, a refusal and an SNMP agent turning the credentials down included, is
    `probe-ok`: something is there. Only silence (timeouts, unreachable) on every probe
    is `probe-failed`. A look-up the resolver answered "no such name" for a finding that
    is that very name is `dns-unresolved`. Skips and local errors say nothing.
    """
    return _reasons(_probe_bits(address, results))


def _probe_bits(address: str, results: Iterable[ProbeResult]) -> int:
    answered = silent = unresolved = False
    for r in results:
        if r.kind is ProbeKind.DNS:
            unresolved = unresolved or (r.status is ProbeStatus.UNRESOLVED and
                                        r.address == address)
        elif r.status in PROBE_ANSWERED:
            answered = True
        elif r.status in PROBE_SILENT:
            silent = True
    bits = _PROBE_OK if answered else _PROBE_FAILED if silent else 0
    return bits | (_DNS_UNRESOLVED if unresolved else 0)


def link_resolved(links: Mapping[str, str], results: Iterable[ProbeResult],
                  names: Iterable[str]) -> tuple[dict[str, str], tuple[str, ...]]:
    """`link_names`'s links, with what the resolver said about each name added.

    A name the resolver answered for is linked to its first answer (the probe puts an
    address some record holds first): that is where the tool's packets go, whatever
    another record's name says. A name it has no address for keeps a link another record
    gives it, else stays on its own (and is `dns-unresolved` there). A look-up that failed
    changes nothing.

    Returns:
        name -> address, and the names (of `names`) still tied to no address, sorted.
    """
    linked = dict(links)
    for r in results:
        if r.kind is ProbeKind.DNS and r.status is ProbeStatus.OK and r.answers:
            linked[r.address] = r.answers[0]
    return linked, tuple(sorted(n for n in set(names) if n not in linked))


def _traffic_bits(traffic: Traffic | None) -> int:
    """`traffic_reasons` as bits (the signals carrying a reason, counted at least once)."""
    bits = 0
    if traffic is not None:
        for signal, count in traffic.by_signal.items():
            if count:
                bits |= _SIGNAL_BIT.get(Signal(signal), 0)
    return bits


def link_names(targets: Iterable[Target]) -> tuple[dict[str, str], tuple[str, ...]]:
    """Tie records that hold only a host name to the address another record gives it.

    A record with an IP address lends its names (its display name and `aliases`: Orion's
    Caption and DNS, DCNM's switch name, Track-It!'s host name) to that address. A record
    whose address is a name takes the address its name is lent to: exactly first, then
    without the domain on either side (`nms-old.example.net` ~ `NMS-OLD`), all
    case-insensitive. A name lent to two different addresses links to neither: a guess
    would move a record onto the wrong device. No DNS is asked.

    Only names some record asks for are kept (a million records lend a million names;
    a few thousand are asked for), each with its one address or `_AMBIGUOUS`.

    Returns:
        name -> address for every linked name, and the names that stayed unresolved.
    """
    targets = list(targets)
    lenders: list[Target] = []
    hosts: set[str] = set()
    for t in targets:
        if ip_key(t.address) is None:
            hosts.add(t.address)
        else:
            lenders.append(t)
    asked_full: set[str] = set()
    asked_short: set[str] = set()
    for host in hosts:
        name = host.lower().rstrip(".")
        asked_full.add(name)
        asked_short.update((name, name.split(".", 1)[0]))
    full: dict[str, str] = {}
    short: dict[str, str] = {}
    if hosts:
        for t in lenders:
            for name in (t.name, *t.aliases):
                if name == t.address:
                    continue  # a record named by its own address (canonical: an IP)
                name = name.strip().lower().rstrip(".")
                first = name.split(".", 1)[0]
                if name not in asked_full and first not in asked_short:
                    continue
                if not name or _is_ip(name) or " " in name:
                    continue
                if name in asked_full:
                    _lend(full, name, t.address)
                if first in asked_short:
                    _lend(short, first, t.address)
    links: dict[str, str] = {}
    unresolved = []
    for host in sorted(hosts):
        name = host.lower().rstrip(".")
        found = full.get(name) or short.get(name) or short.get(name.split(".", 1)[0])
        if found is not None and found != _AMBIGUOUS:
            links[host] = found
        else:
            unresolved.append(host)
    return links, tuple(unresolved)


#: What a name lent to two different addresses maps to (never an address, and true).
_AMBIGUOUS = "<ambiguous>"


def _lend(lent: dict[str, str], name: str, address: str) -> None:
    current = lent.get(name)
    if current is None:
        lent[name] = address
    elif current != address:
        lent[name] = _AMBIGUOUS


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
    # The C flow table chooses them itself, without a tuple per flow (a scan makes millions)
    ranked = traffic.ranked_flows(held, limit, address_sort_key)
    if ranked is None:   # no table, or keys only Python orders: the same choice here
        ranked = _ranked_flows(traffic.flow_counts(), held, limit)
    listed, rest, rest_lines = ranked
    folded = FoldedFlows(flows=rest, lines=rest_lines)
    flows = []
    processes = processes or {}
    reasons_of: dict[tuple[str, ...], tuple[Reason, ...]] = {}   # a few signal sets repeat
    for key, _ in listed:
        brief = traffic.flow_brief(key)
        assert brief is not None
        (src, dst, protocol, port), (count, first, last, signals, sports) = key, brief
        reasons = reasons_of.get(signals)
        if reasons is None:
            # The index's keys are `Signal` members already: no `Signal(s)` call (an enum
            # lookup in Python) per key of every flow.
            found = {_SIGNAL_REASON[s] for s in signals if s in _SIGNAL_REASON}
            reasons = reasons_of[signals] = tuple(sorted(found, key=_REASON_ORDER.__getitem__))
        flows.append(GhostFlow(
            src=src, dst=dst, protocol=protocol, port=port, count=count, first_seen=first,
            last_seen=last, reasons=reasons,
            attribution=attribute(src, dst, port, sports, pollers, processes)))
    return flows, folded


def _ranked_flows(counts: Iterable[tuple[FlowKey, int]], held: Collection[str], limit: int,
                  ) -> tuple[list[tuple[FlowKey, int]], int, int]:
    """The `limit` busiest flows to addresses not in `held`, in the order ghost flows are
    listed, and the flows and lines of the rest (`TrafficIndex.ranked_flows` without C)."""
    candidates = [(key, n) for key, n in counts if key[1] not in held]
    top = candidates
    if len(candidates) > limit:   # only flows as busy as the limit-th need ordering
        least = heapq.nlargest(limit, [n for _, n in candidates])[-1]
        top = [kn for kn in candidates if kn[1] >= least]
    order = functools.lru_cache(maxsize=None)(address_sort_key)   # addresses repeat
    top.sort(key=lambda kn: (-kn[1], order(kn[0][0]), order(kn[0][1]), kn[0][2],
                             kn[0][3] or 0))
    listed = top[:limit]
    return (listed, len(candidates) - len(listed),
            sum(n for _, n in candidates) - sum(n for _, n in listed))


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

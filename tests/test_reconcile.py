"""The classifier and reconciler, driven with literals: no files, no clock."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from auditor.model import (
    LogEvent,
    Network,
    NetworkStatus,
    Reason,
    Signal,
    Target,
    ToolState,
    Verdict,
)
from auditor.netindex import NetworkIndex
from auditor.reconcile import (
    classify,
    ghost_flows,
    inbound_noise,
    link_names,
    noise_test,
    reconcile,
)
from auditor.traffic import TrafficIndex

AS_OF = datetime(2026, 11, 24, 10, 0, 0)

NETWORKS = [
    Network("10.0.0.0/8", "ipam", NetworkStatus.CONTAINER),
    Network("10.10.0.0/16", "ipam", NetworkStatus.ACTIVE),
    Network("10.20.0.0/16", "ipam", NetworkStatus.ACTIVE),
    Network("10.99.0.0/16", "ipam", NetworkStatus.DEPRECATED),
    Network("10.99.0.0/16", "fw-routes", NetworkStatus.ACTIVE),   # routed but dead
    Network("10.99.50.0/24", "fw-routes", NetworkStatus.ACTIVE),  # re-used subnet: live
    Network("10.77.0.0/16", "linux", NetworkStatus.BLACKHOLE),
]


def target(address: str, *, source: str = "orion", id: str = "1", polled: bool = True,
           state: ToolState = ToolState.UNKNOWN, last_ok: datetime | None = None,
           seen: datetime | None = None, fix: str = "Delete it") -> Target:
    return Target(address=address, source=source, kind="solarwinds-npm", id=id,
                  name=f"node-{id}", polled=polled, state=state, last_ok=last_ok, seen=seen,
                  owner="NOC", fix=fix)


def event(dst: str, signal: Signal, *, src: str = "10.30.1.10", dport: int = 161,
          message: str = "419002", minute: int = 0, count: int = 1) -> LogEvent:
    return LogEvent(line=1, time=AS_OF.replace(minute=minute), device="fw", message=message,
                    signal=signal, protocol="tcp", src=src, sport=50000, dst=dst, dport=dport,
                    count=count)


def run(targets: list[Target], events: list[LogEvent] = (), networks=NETWORKS,
        networks_known: bool = True):
    traffic = TrafficIndex()
    for e in events:
        traffic.add(e)
    findings = reconcile(targets, NetworkIndex(networks), traffic, as_of=AS_OF,
                         stale_after_days=14, networks_known=networks_known)
    return {f.address: f for f in findings}, traffic


@pytest.mark.parametrize(("reasons", "verdict"), [
    ({Reason.OUTSIDE_LIVE_NETWORKS}, Verdict.STALE),
    ({Reason.NO_ROUTE, Reason.SYN_RETRANSMIT}, Verdict.STALE),
    ({Reason.DEPRECATED_NETWORK, Reason.TOOL_UP}, Verdict.CONFLICT),
    ({Reason.SYN_TIMEOUT}, Verdict.UNREACHABLE),
    ({Reason.TOOL_DOWN, Reason.ACL_DENY}, Verdict.UNREACHABLE),
    ({Reason.TOOL_UP, Reason.ACL_DENY}, Verdict.ACTIVE),
    ({Reason.TRAFFIC_ANSWERED}, Verdict.ACTIVE),
    (set(), Verdict.UNVERIFIED),
])
def test_verdict_table(reasons: set[Reason], verdict: Verdict) -> None:
    assert classify(reasons) is verdict


def test_deprecated_beats_a_route_of_the_same_length() -> None:
    findings, _ = run([target("10.99.4.20", state=ToolState.DOWN,
                              last_ok=datetime(2019, 3, 2), seen=AS_OF)])
    f = findings["10.99.4.20"]
    assert f.verdict is Verdict.STALE
    assert f.reasons == (Reason.DEPRECATED_NETWORK, Reason.TOOL_DOWN)
    assert f.network is None
    assert f.polled is True
    assert f.action == "Delete it"


def test_more_specific_live_route_inside_a_deprecated_prefix_is_live() -> None:
    findings, _ = run([target("10.99.50.7", state=ToolState.UP, last_ok=AS_OF, seen=AS_OF)])
    assert findings["10.99.50.7"].verdict is Verdict.ACTIVE
    assert findings["10.99.50.7"].network == "10.99.50.0/24"


def test_container_alone_is_not_a_live_network() -> None:
    findings, _ = run([target("10.55.1.1")])
    assert findings["10.55.1.1"].verdict is Verdict.STALE
    assert findings["10.55.1.1"].reasons == (Reason.OUTSIDE_LIVE_NETWORKS,)


def test_blackhole_route_means_gone() -> None:
    findings, _ = run([target("10.77.1.1")])
    assert findings["10.77.1.1"].reasons == (Reason.OUTSIDE_LIVE_NETWORKS,)


def test_outside_with_recent_success_is_conflict() -> None:
    findings, _ = run([target("10.55.1.1", state=ToolState.UP, last_ok=AS_OF - timedelta(hours=1),
                              seen=AS_OF)])
    assert findings["10.55.1.1"].verdict is Verdict.CONFLICT
    assert "Check the live-network list first" in findings["10.55.1.1"].action


def test_no_network_source_means_nobody_says_outside() -> None:
    findings, _ = run([target("10.55.1.1")], networks=[], networks_known=False)
    assert findings["10.55.1.1"].verdict is Verdict.UNVERIFIED
    assert findings["10.55.1.1"].reasons == ()


def test_no_route_in_logs_makes_a_live_address_stale() -> None:
    findings, _ = run([target("10.10.9.9")],
                      [event("10.10.9.9", Signal.NO_ROUTE, message="110003")] * 3)
    f = findings["10.10.9.9"]
    assert f.verdict is Verdict.STALE
    assert f.reasons == (Reason.NO_ROUTE,)
    assert f.traffic.drops == 3
    assert f.traffic.by_message == {"110003": 3}


def test_syn_retransmits_in_live_network_are_unreachable() -> None:
    findings, _ = run([target("10.20.30.40")],
                      [event("10.20.30.40", Signal.SYN_RETRANSMIT, minute=m) for m in (5, 1, 9)])
    f = findings["10.20.30.40"]
    assert f.verdict is Verdict.UNREACHABLE
    assert f.network == "10.20.0.0/16"
    assert (f.traffic.first_seen.minute, f.traffic.last_seen.minute) == (1, 9)


def test_answered_traffic_is_active_and_hit_counts_add_up() -> None:
    findings, _ = run([target("10.20.14.57")],
                      [event("10.20.14.57", Signal.TRAFFIC_ANSWERED, message="302014"),
                       event("10.20.14.57", Signal.ACL_DENY, message="106100", count=144)])
    f = findings["10.20.14.57"]
    assert f.verdict is Verdict.ACTIVE
    assert (f.traffic.answered, f.traffic.drops) == (1, 144)


def test_tool_age_is_judged_on_the_sources_own_clock() -> None:
    """An export taken in May 2024: its up-to-date records are not 'down' in 2026."""
    export_time = datetime(2024, 5, 14, 9, 12)
    fresh = target("10.10.0.2", id="101", last_ok=export_time - timedelta(days=1),
                   seen=export_time)
    old = target("10.10.0.3", id="102", last_ok=export_time - timedelta(days=30))
    findings, _ = run([fresh, old])
    assert findings["10.10.0.2"].reasons == (Reason.TOOL_UP,)
    assert findings["10.10.0.3"].reasons == (Reason.TOOL_DOWN,)


def test_unpolled_records_give_no_tool_evidence_and_polled_is_any() -> None:
    parked = target("10.10.4.4", id="215", polled=False, state=ToolState.UNMANAGED,
                    last_ok=datetime(2023, 1, 9))
    findings, _ = run([parked])
    f = findings["10.10.4.4"]
    assert (f.verdict, f.polled) == (Verdict.UNVERIFIED, False)
    assert f.action.startswith("Not polled (unmanaged)")
    both, _ = run([parked, target("10.10.4.4", source="trackit", id="9", polled=True)])
    assert both["10.10.4.4"].polled is True
    assert [r.source for r in both["10.10.4.4"].records] == ["orion", "trackit"]


def test_findings_sorted_most_urgent_first() -> None:
    findings, _ = run([target("10.10.0.2", id="a", state=ToolState.UP, last_ok=AS_OF),
                       target("10.99.0.9", id="b", polled=False),
                       target("10.99.0.8", id="c"),
                       target("10.20.0.1", id="d")])
    assert list(findings) == ["10.99.0.8", "10.99.0.9", "10.20.0.1", "10.10.0.2"]


def test_ghost_flows_group_attribute_and_skip_held_addresses() -> None:
    traffic = TrafficIndex()
    for minute in range(4):
        traffic.add(event("10.99.3.4", Signal.SYN_RETRANSMIT, dport=17777, minute=minute))
    traffic.add(event("10.98.4.2", Signal.SYN_RETRANSMIT, src="10.30.1.41", dport=6711))
    traffic.add(event("10.10.0.2", Signal.ACL_DENY))
    traffic.add(event("10.10.0.9", Signal.OTHER))
    flows, folded = ghost_flows(traffic, held={"10.10.0.2"},
                                pollers={"10.30.1.10": "orion (NOC - SolarWinds)"},
                                processes={("dst", "10.98.4.2", 6711): "jboss.exe on 10.30.1.41"})
    assert (folded.flows, folded.lines) == (0, 0)
    assert [(g.src, g.dst, g.port, g.count) for g in flows] == [
        ("10.30.1.10", "10.99.3.4", 17777, 4), ("10.30.1.41", "10.98.4.2", 6711, 1)]
    assert flows[0].reasons == (Reason.SYN_RETRANSMIT,)
    assert flows[0].attribution == ("sent by orion (NOC - SolarWinds); port 17777: SolarWinds "
                                    "Information Service (Orion inter-server traffic)")
    assert flows[1].attribution == "jboss.exe on 10.30.1.41"
    assert (flows[0].first_seen.minute, flows[0].last_seen.minute) == (0, 3)


def test_source_without_a_look_time_is_judged_on_as_of() -> None:
    """Track-It! keeps only the last audit: a whole export of old audits is old."""
    old = [target(f"10.20.1.{n}", source="trackit", id=str(n),
                  last_ok=datetime(2021, 3, n)) for n in range(1, 4)]
    findings, _ = run(old)
    assert {f.reasons for f in findings.values()} == {(Reason.TOOL_DOWN,)}


def test_blackhole_same_length_as_live_prefix_does_not_kill_it() -> None:
    nets = [*NETWORKS, Network("10.20.0.0/16", "linux", NetworkStatus.BLACKHOLE),
            Network("10.20.99.0/24", "linux", NetworkStatus.BLACKHOLE)]
    findings, _ = run([target("10.20.5.5", id="a"), target("10.20.99.5", id="b")],
                      networks=nets)
    assert findings["10.20.5.5"].network == "10.20.0.0/16"
    assert findings["10.20.99.5"].reasons == (Reason.OUTSIDE_LIVE_NETWORKS,)


def test_answered_traffic_kept_only_for_held_addresses() -> None:
    traffic = TrafficIndex(held={"10.20.14.57"})
    traffic.add(event("10.20.14.57", Signal.TRAFFIC_ANSWERED, message="302014"))
    traffic.add(event("10.20.14.99", Signal.TRAFFIC_ANSWERED, message="302014"))
    traffic.add(event("10.20.14.99", Signal.SYN_TIMEOUT, message="302014"))
    assert traffic.summary("10.20.14.57").answered == 1
    assert traffic.summary("10.20.14.99").answered == 0  # drops still counted for ghosts
    assert traffic.summary("10.20.14.99").drops == 1


def test_source_without_look_times_takes_the_inventorys_clock() -> None:
    """Exports handed in together (May 2024): Track-It!'s day-old audit is recent."""
    export_time = datetime(2024, 5, 14, 9, 12)
    orion = target("10.10.0.2", id="101", state=ToolState.UP, last_ok=export_time,
                   seen=export_time)
    fresh = target("10.20.14.57", source="trackit", id="1042",
                   last_ok=export_time - timedelta(days=1))
    stale = target("10.20.14.58", source="trackit", id="1187", last_ok=datetime(2019, 2, 27))
    findings, _ = run([orion, fresh, stale])
    assert findings["10.20.14.57"].reasons == (Reason.TOOL_UP,)
    assert findings["10.20.14.58"].reasons == (Reason.TOOL_DOWN,)


def test_flow_table_is_bounded_and_held_addresses_keep_their_totals() -> None:
    traffic = TrafficIndex(held={"10.99.4.31"}, max_flows=4)
    for n in range(10):  # an inside sweep: a new destination every line
        traffic.add(event(f"10.10.0.{n}", Signal.ACL_DENY, src=f"10.20.0.{n}", dport=445))
    for n in range(5):  # then many pollers at one held address
        traffic.add(event("10.99.4.31", Signal.SYN_RETRANSMIT, src=f"10.30.1.{n}", dport=6711))
    for n in range(200):  # then a port scan: a new port every line
        traffic.add(event("10.10.9.9", Signal.ACL_DENY, src="10.20.9.9", dport=1000 + n))
    assert len(traffic.flows) <= 2 * 4 + 4  # bounded whatever the input
    assert sum(f.count for f in traffic.flows.values()) == 215  # nothing lost
    assert traffic.summary("10.99.4.31").drops == 5
    flows, folded = ghost_flows(traffic, held={"10.99.4.31"}, pollers={})
    attributions = {(g.src, g.dst): g.attribution for g in flows}
    assert attributions[("*", "*")].startswith("many senders and destinations: folded together")
    assert (folded.flows, folded.lines) == (0, 0)


def test_ghost_flows_listed_up_to_the_limit_the_rest_counted() -> None:
    traffic = TrafficIndex()
    for n in range(30):
        for _ in range(n + 1):  # flow n has n + 1 lines
            traffic.add(event(f"10.99.0.{n}", Signal.ACL_DENY, dport=161))
    flows, folded = ghost_flows(traffic, held=set(), pollers={}, limit=10)
    assert [g.count for g in flows] == list(range(30, 20, -1))  # the busiest, in order
    assert (folded.flows, folded.lines) == (20, sum(range(1, 21)))


def test_drops_from_outside_are_inbound_noise_not_ghost_flows() -> None:
    index = NetworkIndex(NETWORKS)
    is_noise = noise_test(index, inside={"192.0.2.10"}, networks_known=True)
    traffic = TrafficIndex(held={"10.10.0.2"}, is_noise=is_noise)
    for n in range(3):  # internet scanners at an address nobody holds
        traffic.add(event("10.10.0.5", Signal.ACL_DENY, src=f"203.0.113.{n}", dport=445))
    traffic.add(event("10.10.0.5", Signal.ACL_DENY, src="203.0.113.0", dport=445))
    traffic.add(event("10.10.0.5", Signal.ACL_DENY, src="203.0.113.0", dport=3389))
    # a poller in a live network, and a known poller outside every listed network
    traffic.add(event("10.98.4.2", Signal.SYN_RETRANSMIT, src="10.20.1.41", dport=6711))
    traffic.add(event("10.98.4.3", Signal.SYN_RETRANSMIT, src="192.0.2.10", dport=161))
    # a sender in a deprecated network is not inside either
    traffic.add(event("10.98.4.4", Signal.ACL_DENY, src="10.99.1.1", dport=22))
    # drops from outside to a held address stay that address's evidence
    traffic.add(event("10.10.0.2", Signal.ACL_DENY, src="203.0.113.9", dport=22))
    flows, _ = ghost_flows(traffic, held={"10.10.0.2"}, pollers={})
    assert sorted((g.src, g.dst) for g in flows) == [("10.20.1.41", "10.98.4.2"),
                                                     ("192.0.2.10", "10.98.4.3")]
    noise = inbound_noise(traffic)
    assert (noise.flows, noise.lines) == (5, 6)
    assert noise.top_ports == (("tcp", 445, 4), ("tcp", 22, 1), ("tcp", 3389, 1))
    assert noise.top_senders[0] == ("203.0.113.0", 3)
    assert traffic.summary("10.10.0.2").drops == 1
    assert noise_test(index, inside=set(), networks_known=False) is None


def test_masked_sender_forms_no_flow() -> None:
    traffic = TrafficIndex()
    traffic.add(LogEvent(line=1, time=AS_OF, device="fw", message="106023",
                         signal=Signal.ACL_DENY, protocol="tcp", src=None, sport=None,
                         dst="10.99.0.1", dport=22))
    assert traffic.flows == {}
    assert ghost_flows(traffic, held=set(), pollers={})[0] == []


def test_host_name_links_to_the_address_another_record_gives_it() -> None:
    orion = Target(address="10.10.4.20", source="orion", kind="solarwinds-npm", id="31",
                   name="NMS-OLD", polled=True, aliases=("nms-old.corp.example.net",))
    dcnm = Target(address="10.10.4.21", source="dcnm", kind="cisco-dcnm", id="7",
                  name="fab-leaf-01", polled=True)
    snmp_fqdn = Target(address="nms-old.corp.example.net", source="switch-cfg",
                       kind="snmp-config", id="sw1:12", name="nms-old.corp.example.net",
                       polled=True)
    snmp_short = Target(address="fab-leaf-01.dc.example.net", source="switch-cfg",
                        kind="snmp-config", id="sw1:13", name="fab-leaf-01.dc.example.net",
                        polled=True)
    lonely = Target(address="ghost-nms.example.net", source="switch-cfg", kind="snmp-config",
                    id="sw1:14", name="ghost-nms.example.net", polled=True)
    # the same name on two devices: linking either would be a guess
    twin_a = Target(address="10.10.4.30", source="trackit", kind="trackit", id="1",
                    name="PRINTER", polled=True)
    twin_b = Target(address="10.20.4.30", source="orion", kind="solarwinds-npm", id="2",
                    name="printer", polled=True)
    twin_ref = Target(address="printer", source="switch-cfg", kind="snmp-config",
                      id="sw1:15", name="printer", polled=True)
    links, unresolved = link_names([orion, dcnm, snmp_fqdn, snmp_short, lonely, twin_a,
                                    twin_b, twin_ref])
    assert links == {"nms-old.corp.example.net": "10.10.4.20",
                     "fab-leaf-01.dc.example.net": "10.10.4.21"}
    assert unresolved == ("ghost-nms.example.net", "printer")
    findings, _ = run([orion, dcnm, snmp_fqdn, snmp_short, lonely])
    nms = findings["10.10.4.20"]
    assert [(r.source, r.id) for r in nms.records] == [("orion", "31"), ("switch-cfg", "sw1:12")]
    assert nms.names == ("nms-old.corp.example.net",)
    assert "nms-old.corp.example.net" not in findings
    assert findings["ghost-nms.example.net"].verdict is Verdict.UNVERIFIED


def test_finding_fields_in_the_order_reconcile_builds_them() -> None:
    """`_reconcile` builds a `Finding` positionally (a million times over): a new field, or a
    reordered one, must change it too."""
    from dataclasses import fields

    from auditor.model import Finding

    assert [f.name for f in fields(Finding)] == [
        "address", "verdict", "polled", "reasons", "network", "records", "traffic", "action",
        "names"]


def test_ghost_flows_the_same_whether_the_c_table_or_python_ranks_them() -> None:
    """Many flows of one or two lines (ties at the cut-off), senders and destinations of
    every kind, held ones among them: the C table's choice and order equal the Python sort,
    ghost flow by ghost flow, attribution and the rest's counts included."""
    import random

    pytest.importorskip("auditor._flows", reason="the C flow table is not built")
    rng = random.Random(3)
    v4 = [f"10.{rng.randrange(4)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
          for _ in range(300)]
    others = ["2001:db8::9", "2001:db8::1:0", "::ffff:10.0.0.1", "nms.example.net", "héllo"]
    pollers = {v4[0]: "orion (NOC)", "nms.example.net": "zabbix"}
    processes = {("src", v4[1], 40001): "snmpd.exe", ("dst", v4[2], 161): "agent"}
    table = TrafficIndex(held=set(), max_flows=1500)
    python = TrafficIndex(held=set(), max_flows=1500, native=False)
    for n in range(4000):
        src = rng.choice(v4[:30] + others)
        dst = rng.choice(v4 + others)
        dport = rng.choice((161, 22, 6711, None))
        signal = rng.choice((Signal.ACL_DENY, Signal.SYN_RETRANSMIT, Signal.NO_ROUTE))
        count = rng.choice((1, 1, 1, 2))
        protocol = rng.choice(("tcp", "udp")) if n % 7 else None
        sport = rng.choice((40001, 50000 + n))
        for index in (table, python):
            index.add_fields(AS_OF + timedelta(seconds=n), "419002", signal, protocol, src,
                             sport, dst, dport, count)
    held = set(v4[100:140])
    for limit in (10, 250, 10_000):
        got = ghost_flows(table, held, pollers, processes, limit=limit)
        assert table._table is not None   # ranked in C: nothing drained
        want = ghost_flows(python, held, pollers, processes, limit=limit)
        assert got == want
        flows, folded = got
        assert len(flows) == min(limit, len(flows) + folded.flows)
        assert not any(g.dst in held for g in flows)
    counts = sorted((n for key, n in python.flow_counts() if key[1] not in held),
                    reverse=True)
    assert counts[249] == counts[250], "the cut-off at 250 falls inside a tie"
    flows, _ = ghost_flows(table, held, pollers, processes)
    assert {"*", "nms.example.net", "2001:db8::9"} <= {g.src for g in flows}
    assert any(g.attribution and "snmpd.exe" in g.attribution for g in flows)

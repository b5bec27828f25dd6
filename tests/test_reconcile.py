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
from auditor.reconcile import classify, ghost_flows, reconcile
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
    flows = ghost_flows(traffic, held={"10.10.0.2"},
                        pollers={"10.30.1.10": "orion (NOC - SolarWinds)"},
                        processes={("dst", "10.98.4.2", 6711): "jboss.exe on 10.30.1.41"})
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


def test_flow_table_is_bounded_but_held_addresses_stay_exact() -> None:
    traffic = TrafficIndex(held={"10.99.4.31"}, max_flows=3)
    for n in range(10):  # an internet scan: a new sender and destination every line
        traffic.add(event(f"10.10.0.{n}", Signal.ACL_DENY, src=f"203.0.113.{n}", dport=445))
    for n in range(5):
        traffic.add(event("10.99.4.31", Signal.SYN_RETRANSMIT, src=f"10.30.1.{n}", dport=6711))
    assert len(traffic.flows) <= 2 * 3 + 1 + 5
    assert sum(f.count for f in traffic.flows.values()) == 15  # nothing lost
    assert traffic.folded == 7
    assert traffic.summary("10.99.4.31").drops == 5
    assert sum(1 for k in traffic.flows if k[1] == "10.99.4.31") == 5
    flows = ghost_flows(traffic, held={"10.99.4.31"}, pollers={})
    folded = {(g.src, g.dst): g.attribution for g in flows}
    assert folded[("*", "*")].startswith("many senders and destinations: folded together")

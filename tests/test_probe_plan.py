"""The probe plan, the `[probe]` table and the verdicts probes feed: pure, no packet sent.

What may be probed is decided before any socket exists: an address outside `allow` is
skipped with the reason, and so is one that is no single host. Each address is asked what
its records' tools poll. The results become `probe-ok` / `probe-failed` / `dns-unresolved`.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path

import pytest

from auditor.config import load_config
from auditor.errors import ConfigError
from auditor.model import (
    Network,
    ProbeKind,
    ProbeResult,
    ProbeStatus,
    Reason,
    Target,
    Verdict,
)
from auditor.netindex import NetworkIndex
from auditor.probe.limits import RateLimiter
from auditor.probe.plan import AllowList, OutsideAllow, Planned, plan_names, plan_probes
from auditor.probe.settings import ProbeSettings
from auditor.probe.snmp import SnmpCredentials
from auditor.reconcile import classify, link_names, link_resolved, probe_reasons, reconcile
from auditor.traffic import TrafficIndex

AS_OF = datetime(2026, 11, 24, 10, 0, 0)
ALLOW = ("127.0.0.0/8", "198.51.100.0/24")


def record(address: str, *, source: str = "orion", ident: str = "1", protocol: str | None,
           port: int | None, name: str = "") -> Target:
    return Target(address=address, source=source, kind="solarwinds-npm", id=ident,
                  name=name or address, polled=True, protocol=protocol, port=port)


# --- the [probe] table -------------------------------------------------------------------

CONFIG = """\
[audit]
name = "probe config"

[[sources]]
name = "inventory"
type = "csv"
path = "inventory.csv"

[probe]
"""


def config(tmp_path: Path, probe: str) -> Path:
    (tmp_path / "inventory.csv").write_text("Address,Name\n127.0.0.1,lab\n")
    path = tmp_path / "audit.toml"
    path.write_text(CONFIG + probe)
    return path


def test_probe_table_becomes_settings(tmp_path: Path) -> None:
    path = config(tmp_path, 'enabled = true\nallow = ["10.20.0.0/16", "192.0.2.7", '
                  '"2001:db8::/64"]\nsnmp_user_env = "SNMP_USER"\nsnmp_auth_env = "SNMP_AUTH"\n'
                  'snmp_auth_protocol = "SHA256"\ntcp_ports = [22, 443, 22]\ntimeout = 0.5\n'
                  "retries = 0\nconcurrency = 50\nrate = 25\n")
    probe = load_config(path).probe
    assert probe == ProbeSettings(
        enabled=True, allow=("10.20.0.0/16", "192.0.2.7/32", "2001:db8::/64"),
        snmp_user_env="SNMP_USER", snmp_auth_env="SNMP_AUTH", snmp_auth_protocol="sha256",
        tcp_ports=(22, 443), timeout=0.5, retries=0, concurrency=50, rate=25)
    assert probe.snmp


def test_probing_is_off_without_the_table(tmp_path: Path) -> None:
    path = config(tmp_path, "")
    path.write_text(CONFIG.replace("[probe]\n", ""))
    assert load_config(path).probe == ProbeSettings()
    assert load_config(path).probe.enabled is False


@pytest.mark.parametrize(("probe", "expected"), [
    ("enabled = true\n",
     "[probe], key 'allow': is required when enabled = true: list the prefixes probing may "
     'reach, e.g. allow = ["10.0.0.0/8"]; nothing outside them is ever probed'),
    ("enabled = true\nallow = []\n", "[probe], key 'allow': is required when enabled = true"),
    ('allow = ["10.0.0.1/8"]\n',
     "[probe], key 'allow': '10.0.0.1/8' has host bits set; did you mean '10.0.0.0/8'?"),
    ('allow = ["10.0.0.0/33"]\n', "[probe], key 'allow': '10.0.0.0/33' is not a prefix"),
    ('allow = "10.0.0.0/8"\n', "[probe], key 'allow': must be a list of prefixes"),
    ('snmp_community_env = "public"\n', None),
    ('snmp_community_env = "s3cret community!"\n',
     "[probe], key 'snmp_community_env': must name an environment variable"),
    ('snmp_user_env = "U"\nsnmp_priv_env = "P"\n',
     "[probe], key 'snmp_priv_env': SNMPv3 privacy needs authentication too"),
    ('snmp_auth_env = "A"\n', "[probe], key 'snmp_auth_env': is an SNMPv3 key"),
    ('snmp_auth_protocol = "sha1"\n',
     "[probe], key 'snmp_auth_protocol': must be one of md5, sha, sha224, sha256, sha384, "
     "sha512, not 'sha1'"),
    ('allow = ["10.0.0.0/8"]\nbogus = 1\n', "[probe], key 'bogus': unknown key"),
])
def test_probe_table_mistakes_name_the_key(tmp_path: Path, probe: str,
                                           expected: str | None) -> None:
    path = config(tmp_path, probe)
    if expected is None:  # a variable's name is fine, whatever it looks like
        assert load_config(path).probe.snmp_community_env == "public"
        return
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(info.value).startswith(f"{path}: {expected}")
    assert "s3cret community!" not in str(info.value)


def test_missing_credential_variable_is_named_never_a_value() -> None:
    settings = ProbeSettings(enabled=True, allow=ALLOW, snmp_user_env="SNMP_USER",
                             snmp_auth_env="SNMP_AUTH")
    with pytest.raises(ConfigError) as info:
        SnmpCredentials.from_env(settings, {"SNMP_USER": "auditor"})
    assert str(info.value) == ("[probe] snmp_auth_env: environment variable SNMP_AUTH is not "
                               "set (or empty); export it before probing")
    creds = SnmpCredentials.from_env(settings, {"SNMP_USER": "auditor",
                                                "SNMP_AUTH": "auth-key-9d2f"})
    assert creds is not None and creds.version == "v3" and creds.auth_key == "auth-key-9d2f"
    assert "auth-key-9d2f" not in repr(creds)
    community = SnmpCredentials.from_env(
        ProbeSettings(snmp_community_env="COMMUNITY"), {"COMMUNITY": "c0mmunity-77"})
    assert community is not None and community.version == "v2c"
    assert "c0mmunity-77" not in repr(community)
    assert SnmpCredentials.from_env(ProbeSettings(), {}) is None


# --- allow, and what each address is asked ---------------------------------------------

def test_allow_list_holds_only_its_prefixes() -> None:
    allow = AllowList(("10.20.0.0/16", "2001:db8::/64"))
    assert "10.20.3.4" in allow
    assert "::ffff:10.20.3.4" in allow   # the same IPv4 host, written dual-stack
    assert "2001:db8::9" in allow
    assert "10.21.0.1" not in allow
    assert "2001:db9::1" not in allow
    assert "nms-old.example.net" not in allow
    with pytest.raises(OutsideAllow) as info:
        allow.check("192.0.2.1")
    assert str(info.value) == ("refused to probe 192.0.2.1: outside [probe] allow "
                               "(10.20.0.0/16, 2001:db8::/64)")
    assert "127.0.0.1" not in AllowList(())


def test_plan_asks_each_address_what_its_tools_poll() -> None:
    settings = ProbeSettings(enabled=True, allow=ALLOW, snmp_community_env="C")
    targets = [
        record("127.0.0.1", protocol="udp", port=161),                    # Orion SNMP node
        record("127.0.0.2", source="trackit", protocol="tcp", port=10597),  # audit agent
        record("127.0.0.2", source="snmp-cfg", protocol="udp", port=162),  # also a trap sink
        record("127.0.0.3", source="snmp-cfg", protocol="udp", port=162),  # a sink only
        record("127.0.0.4", source="orion", protocol="icmp", port=None),    # ICMP-polled
        record("127.0.0.5", source="telegraf", protocol="udp", port=1161),  # agent elsewhere
        record("127.0.0.6", source="list", protocol=None, port=None),       # says nothing
        record("10.99.3.4", protocol="udp", port=161),                      # outside allow
    ]
    plan = plan_probes(settings, targets)
    assert plan.probes == (
        Planned("127.0.0.1", ProbeKind.SNMP, 161),
        Planned("127.0.0.2", ProbeKind.TCP, 10597),
        Planned("127.0.0.5", ProbeKind.SNMP, 1161),
        Planned("127.0.0.6", ProbeKind.SNMP, 161),
    )
    skipped = {(r.address, r.kind, r.port): r.error for r in plan.skipped}
    assert skipped == {
        ("127.0.0.3", ProbeKind.TCP, None):
            "nothing to ask: its tools poll udp/162 (ICMP is not sent, and trap or syslog "
            "receivers answer nothing); set tcp_ports = [...]",
        ("127.0.0.4", ProbeKind.TCP, None):
            "nothing to ask: its tools poll icmp (ICMP is not sent, and trap or syslog "
            "receivers answer nothing); set tcp_ports = [...]",
        ("10.99.3.4", ProbeKind.SNMP, 161):
            "outside [probe] allow (127.0.0.0/8, 198.51.100.0/24): never probed",
    }
    assert plan.outside == ("10.99.3.4",)
    assert all(r.status is ProbeStatus.SKIPPED and r.attempts == 0 for r in plan.skipped)


def test_no_address_that_is_not_one_host_is_probed_even_when_allowed() -> None:
    settings = ProbeSettings(enabled=True, allow=("0.0.0.0/0", "::/0"), tcp_ports=(22,))
    plan = plan_probes(settings, [record(a, protocol="tcp", port=22) for a in
                                  ("224.0.1.1", "255.255.255.255", "0.0.0.0", "::", "ff02::1",
                                   "127.0.0.1")])
    assert plan.probes == (Planned("127.0.0.1", ProbeKind.TCP, 22),)
    assert {r.address: r.error for r in plan.skipped} == {
        "0.0.0.0": "the unspecified address, not a host: never probed",
        "224.0.1.1": "a multicast address, not one host: never probed",
        "255.255.255.255": "the broadcast address, not one host: never probed",
        "::": "the unspecified address, not a host: never probed",
        "ff02::1": "a multicast address, not one host: never probed"}
    assert plan.outside == ()


def test_listed_tcp_ports_replace_the_polled_ones_and_skip_snmp_without_credentials() -> None:
    settings = ProbeSettings(enabled=True, allow=ALLOW, tcp_ports=(22, 443))
    plan = plan_probes(settings, [record("198.51.100.7", protocol="udp", port=161),
                                  record("127.0.0.9", protocol="tcp", port=10597)])
    assert plan.probes == (
        Planned("127.0.0.9", ProbeKind.TCP, 22), Planned("127.0.0.9", ProbeKind.TCP, 443),
        Planned("198.51.100.7", ProbeKind.TCP, 22), Planned("198.51.100.7", ProbeKind.TCP, 443))
    assert plan.skipped == ()


def test_names_are_looked_up_and_their_answers_planned_like_addresses() -> None:
    settings = ProbeSettings(enabled=True, allow=ALLOW)
    targets = [record("kiosk-d.probe.test", source="trackit", protocol="tcp", port=10597),
               record("far.probe.test", source="trackit", ident="2", protocol="tcp",
                      port=10597),
               record("127.0.0.2", source="trackit", ident="3", protocol="tcp", port=10597)]
    assert plan_names(targets) == ("far.probe.test", "kiosk-d.probe.test")
    assert plan_names(targets, only={"127.0.0.2"}) == ()
    plan = plan_probes(settings, targets, resolved={"kiosk-d.probe.test": "127.0.0.2",
                                                    "far.probe.test": "203.0.113.50"})
    assert plan.probes == (Planned("127.0.0.2", ProbeKind.TCP, 10597),)
    assert plan.outside == ("203.0.113.50",)
    assert [(r.address, r.port) for r in plan.skipped] == [("203.0.113.50", 10597)]


def test_only_restricts_the_run_and_may_name_an_address_no_record_holds() -> None:
    settings = ProbeSettings(enabled=True, allow=ALLOW, snmp_community_env="C")
    targets = [record("127.0.0.1", protocol="udp", port=161),
               record("127.0.0.2", protocol="udp", port=161)]
    plan = plan_probes(settings, targets, only={"127.0.0.2", "127.0.0.77", "10.1.1.1"})
    assert plan.probes == (Planned("127.0.0.2", ProbeKind.SNMP, 161),
                           Planned("127.0.0.77", ProbeKind.SNMP, 161))
    assert plan.outside == ("10.1.1.1",)


# --- what the results mean ----------------------------------------------------------------

def result(address: str, kind: ProbeKind, status: ProbeStatus, port: int | None = None,
           answers: tuple[str, ...] = ()) -> ProbeResult:
    return ProbeResult(address=address, kind=kind, status=status, port=port, answers=answers)


@pytest.mark.parametrize(("statuses", "reasons"), [
    ((ProbeStatus.OK,), {Reason.PROBE_OK}),
    ((ProbeStatus.REFUSED,), {Reason.PROBE_OK}),          # a reset: the host is there
    ((ProbeStatus.DENIED, ProbeStatus.TIMEOUT), {Reason.PROBE_OK}),  # the agent answered
    ((ProbeStatus.TIMEOUT, ProbeStatus.UNREACHABLE), {Reason.PROBE_FAILED}),
    ((ProbeStatus.TIMEOUT, ProbeStatus.ERROR), {Reason.PROBE_FAILED}),
    ((ProbeStatus.ERROR,), set()),                       # a local failure says nothing
    ((ProbeStatus.SKIPPED,), set()),                     # nor does a probe not made
])
def test_probe_results_become_reasons(statuses: tuple[ProbeStatus, ...],
                                      reasons: set[Reason]) -> None:
    results = [result("127.0.0.1", ProbeKind.TCP, s, 22) for s in statuses]
    assert probe_reasons("127.0.0.1", results) == reasons


def test_a_name_the_resolver_does_not_know_is_dns_unresolved_and_stale() -> None:
    nx = result("retired-kiosk.probe.test", ProbeKind.DNS, ProbeStatus.UNRESOLVED)
    assert probe_reasons("retired-kiosk.probe.test", [nx]) == {Reason.DNS_UNRESOLVED}
    assert classify({Reason.DNS_UNRESOLVED}) is Verdict.STALE
    assert classify({Reason.DNS_UNRESOLVED, Reason.TOOL_UP}) is Verdict.CONFLICT
    # a resolver that did not answer proves nothing about the name
    silent = result("retired-kiosk.probe.test", ProbeKind.DNS, ProbeStatus.TIMEOUT)
    assert probe_reasons("retired-kiosk.probe.test", [silent]) == set()


def test_probe_verdicts_in_the_audit() -> None:
    """Inside a live network: an answer is active, silence unreachable; outside: a probe
    that answers makes the gone network a conflict; a dead name is stale, a resolved one
    joins its address's finding."""
    targets = [
        record("127.0.0.2", source="trackit", ident="A", protocol="tcp", port=10597),
        record("198.51.100.99", source="trackit", ident="F", protocol="tcp", port=10597),
        record("10.99.3.4", source="orion", ident="1024", protocol="udp", port=161),
        record("kiosk-d.probe.test", source="trackit", ident="D", protocol="tcp", port=10597),
        record("retired-kiosk.probe.test", source="trackit", ident="C", protocol="tcp",
               port=10597),
        record("slow.probe.test", source="trackit", ident="S", protocol="tcp", port=10597),
    ]
    probes = [
        result("kiosk-d.probe.test", ProbeKind.DNS, ProbeStatus.OK, answers=("127.0.0.2",)),
        result("retired-kiosk.probe.test", ProbeKind.DNS, ProbeStatus.UNRESOLVED),
        result("slow.probe.test", ProbeKind.DNS, ProbeStatus.TIMEOUT),
        result("127.0.0.2", ProbeKind.TCP, ProbeStatus.OK, 10597),
        result("198.51.100.99", ProbeKind.TCP, ProbeStatus.TIMEOUT, 10597),
        result("10.99.3.4", ProbeKind.SNMP, ProbeStatus.SKIPPED, 161),
    ]
    links, unresolved = link_names(targets)
    assert unresolved == ("kiosk-d.probe.test", "retired-kiosk.probe.test", "slow.probe.test")
    links, unresolved = link_resolved(links, probes, unresolved)
    assert links == {"kiosk-d.probe.test": "127.0.0.2"}
    assert unresolved == ("retired-kiosk.probe.test", "slow.probe.test")
    index = NetworkIndex([Network("127.0.0.0/8", "ipam"), Network("198.51.100.0/24", "ipam")])
    findings = {f.address: f for f in reconcile(
        targets, index, TrafficIndex(held=()), as_of=AS_OF, stale_after_days=14,
        networks_known=True, links=links, probes=probes)}
    assert {a: (f.verdict, f.reasons) for a, f in findings.items()} == {
        "127.0.0.2": (Verdict.ACTIVE, (Reason.PROBE_OK,)),
        "198.51.100.99": (Verdict.UNREACHABLE, (Reason.PROBE_FAILED,)),
        "10.99.3.4": (Verdict.STALE, (Reason.OUTSIDE_LIVE_NETWORKS,)),
        "retired-kiosk.probe.test": (Verdict.STALE, (Reason.DNS_UNRESOLVED,)),
        "slow.probe.test": (Verdict.UNVERIFIED, ()),
    }
    assert findings["127.0.0.2"].names == ("kiosk-d.probe.test",)
    assert [(t.source, t.id) for t in findings["127.0.0.2"].records] == [("trackit", "A"),
                                                                         ("trackit", "D")]


def test_a_dns_answer_wins_over_another_records_name() -> None:
    """The tool resolves the name when it polls: its packets go where DNS says."""
    lender = Target(address="127.0.0.8", source="orion", kind="solarwinds-npm", id="9",
                    name="nms-old", polled=True, aliases=("nms-old.corp.example",))
    asker = record("nms-old.corp.example", source="trackit", protocol="tcp", port=10597)
    links, unresolved = link_names([lender, asker])
    assert links == {"nms-old.corp.example": "127.0.0.8"}
    moved, _ = link_resolved(links, [result("nms-old.corp.example", ProbeKind.DNS,
                                            ProbeStatus.OK, answers=("127.0.0.9",))], ())
    assert moved == {"nms-old.corp.example": "127.0.0.9"}
    kept, _ = link_resolved(links, [result("nms-old.corp.example", ProbeKind.DNS,
                                           ProbeStatus.UNRESOLVED)], ())
    assert kept == links


# --- the pacer ---------------------------------------------------------------------------

def test_rate_limiter_spaces_packets_one_interval_apart() -> None:
    now = [100.0]
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(round(seconds, 6))
        now[0] += seconds

    pacer = RateLimiter(10, clock=lambda: now[0], sleep=sleep)

    async def run() -> list[float]:
        sent = []
        for packets in (1, 1, 2, 1):
            await pacer.acquire(packets)
            sent.append(round(now[0], 6))
        return sent

    assert asyncio.run(run()) == [100.0, 100.1, 100.2, 100.4]
    assert slept == [0.1, 0.1, 0.2]
    # a SYN retransmission due in 50 ms: reserved only when its slot starts by then
    assert pacer.try_acquire(within=0.05) is False
    now[0] += 0.06
    assert pacer.try_acquire(within=0.05) is True
    pacer.charge(2)   # the ACK and reset of an answered handshake
    assert pacer.granted == 5 + 1 + 2
    assert pacer.try_acquire(within=0.05) is False

"""The fast paths a million-record audit takes give the same answers as the slow ones.

Each shortcut (addresses read with `inet_pton`, the JSON report written without building the
document, findings sorted by packed integers, rows sharing one column map, names linked from
the names asked for only) is held here to the reference it replaced.
"""

from __future__ import annotations

import dataclasses
import json
import random
import sys
from datetime import datetime
from pathlib import Path

import netaddr
import pytest

from auditor.addresses import canonical_ip, canonical_prefix
from auditor.config import load_config
from auditor.engine import run_audit
from auditor.model import (
    VERDICT_ORDER,
    Finding,
    Network,
    NetworkStatus,
    Reason,
    Target,
    ToolState,
    Traffic,
    Verdict,
)
from auditor.netindex import NetworkIndex, ip_key
from auditor.reconcile import address_sort_key, link_names, reconcile
from auditor.traffic import TrafficIndex
from connectors.shared.tables import Row, read_rows, target_address
from reports.json_report import JsonReporter, audit_document, render_json
from tests.report_sample import sample_result

ODD_TEXTS = [
    "10.1.2.3", "0.0.0.0", "255.255.255.255", "010.1.2.3", "10.1.2.03", "10.1.2", "10.1.2.3.4",
    "10.1.2.256", " 10.1.2.3", "10.1.2.3 ", "1.2.3.4\x00", "0x0a.1.2.3", "::", "::1",
    "2001:db8::1", "2001:DB8:0:0:0:0:0:1", "2001:db8:0:0:1::", "::ffff:10.1.2.3", "::10.1.2.3",
    "fe80::1%eth0", "[2001:db8::1]", "2001:db8::g", "host.example.net", "sw-0001", "", ":",
    "1.2.3.4/24", "١٢.1.2.3", "10.1.2.3:80",
]


def _netaddr_key(text: str) -> tuple[int, int] | None:
    try:
        ip = netaddr.IPAddress(text)
    except (netaddr.AddrFormatError, ValueError, TypeError):
        return None
    return (ip.version, int(ip))


@pytest.mark.parametrize("text", ODD_TEXTS)
def test_ip_key_is_netaddrs_answer(text: str) -> None:
    assert ip_key(text) == _netaddr_key(text)


def test_ip_key_random_addresses() -> None:
    rng = random.Random(5)
    for _ in range(2000):
        value = rng.getrandbits(32)
        text = str(netaddr.IPAddress(value, 4))
        assert ip_key(text) == (4, value)
        v6 = str(netaddr.IPAddress(rng.getrandbits(128), 6))
        assert ip_key(v6) == _netaddr_key(v6)


def _reference_canonical_ip(text: str) -> str | None:
    """`canonical_ip` as it was: netaddr for IPv4 too."""
    text = text.strip().strip("[]").split("%", 1)[0]
    if not text or len(text) > 45 or ":" in text:
        return canonical_ip(text)  # IPv6 takes the path it always took
    if text.count(".") != 3:
        return None
    try:
        return str(netaddr.IPAddress(text, 4, flags=netaddr.INET_PTON))
    except (netaddr.AddrFormatError, ValueError, TypeError):
        return None


@pytest.mark.parametrize("text", ODD_TEXTS)
def test_canonical_ip_fast_path(text: str) -> None:
    assert canonical_ip(text) == _reference_canonical_ip(text)


@pytest.mark.parametrize("text", ["10.1.2.3/16", "10.1.2.3/32", "10.1.2.3/0", "10.1.2.3/33",
                                  "10.1.2.3/024", "10.1.2.3/-1", "10.1.2.3/ 8", "10.1.2.3/+8",
                                  "010.1.2.3/8", "10.1.2.3/٨", "192.168.7.129/25"])
def test_canonical_prefix_fast_path(text: str) -> None:
    address, _, length = text.partition("/")
    try:
        expected: str | None = str(netaddr.IPNetwork(f"{canonical_ip(address)}/{int(length)}")
                                   .cidr) if canonical_ip(address) else None
    except (netaddr.AddrFormatError, ValueError, TypeError):
        expected = None
    assert canonical_prefix(text) == expected


@pytest.mark.parametrize("text", ["10.1.2.3", " 10.1.2.3 ", "0.0.0.0", "n/a", "DHCP", "",
                                  "Host.Example.NET.", "10.99.3.400", "2001:DB8::1"])
def test_target_address_fast_path(text: str) -> None:
    reference = {"10.1.2.3": "10.1.2.3", " 10.1.2.3 ": "10.1.2.3", "0.0.0.0": None,
                 "n/a": None, "DHCP": None, "": None, "Host.Example.NET.": "host.example.net",
                 "2001:DB8::1": "2001:db8::1"}
    if text == "10.99.3.400":
        with pytest.raises(ValueError):
            target_address(text)
    else:
        assert target_address(text) == reference[text]


def test_network_index_keys_like_netaddr() -> None:
    nets = [Network("10.1.0.0/16", "ipam"), Network("10.1.2.0/24", "ipam",
                                                   NetworkStatus.DEPRECATED),
            Network("2001:db8::/32", "ipam"), Network("10.1.2.128/25", "routes")]
    index = NetworkIndex(nets)
    assert index.place("10.1.2.3").dead.prefix == "10.1.2.0/24"  # type: ignore[union-attr]
    assert index.place("10.1.2.200").live.prefix == "10.1.2.128/25"  # type: ignore[union-attr]
    assert index.place("10.1.9.9").live.prefix == "10.1.0.0/16"  # type: ignore[union-attr]
    assert index.place("2001:db8::5").live.prefix == "2001:db8::/32"  # type: ignore[union-attr]
    assert index.place("10.2.0.1") is None and index.place("host") is None
    assert index.match((4, int(netaddr.IPAddress("10.1.2.3")))) is nets[1]


def test_row_shares_columns_and_keeps_values(tmp_path: Path) -> None:
    path = tmp_path / "hosts.csv"
    path.write_text("Name,Address,Status\nsw1, 10.1.1.1 ,Up\n\n , ,\nsw2,10.1.1.2,\n",
                    encoding="utf-8")
    rows = list(read_rows(path, {"name": ("Name",), "address": ("Address",),
                                 "state": ("Status",), "id": ("ID",)}, required=("address",)))
    assert [r.line for r in rows] == [2, 5]
    assert rows[0].values == {"name": "sw1", "address": " 10.1.1.1 ", "state": "Up"}
    assert rows[0].text("address") == "10.1.1.1" and rows[0].text("id") == ""
    assert rows[1].get("state") == "" and rows[1].get("id") is None
    built = Row(7, {"a": 1.0, "b": None}, path, {"a": "A"})
    assert built.text("a") == "1" and built.values == {"a": 1.0, "b": None}
    assert built.error("a", "bad").field == "A"


def _target(address: str, source: str = "s", ident: str = "1", name: str = "",
            **kw: object) -> Target:
    return Target(address=address, source=source, kind="csv", id=ident,
                  name=name or address, polled=True, **kw)  # type: ignore[arg-type]


def test_link_names_same_as_lending_every_name() -> None:
    """The answer the earlier version (every name lent, in sets) gave on the same records."""
    targets = [_target("10.0.0.1", name="core-sw1.example.net"),
               _target("10.0.0.2", name="CORE-SW2", aliases=("core-sw2.example.net",)),
               _target("10.0.0.3", name="dup"), _target("10.0.0.4", name="dup.example.net"),
               _target("10.0.0.5", name="10.0.0.9"), _target("10.0.0.6", name="two words"),
               _target("core-sw1", ident="2"), _target("core-sw2.example.net.", ident="3"),
               _target("dup", ident="4"), _target("nobody.example.net", ident="5"),
               _target("10.0.0.9", ident="6", name="x"), _target("two words", ident="7"),
               _target("dup.other", ident="8"), _target("x", ident="9"),
               _target("n2", ident="10"), _target("10.0.0.7", name="n2"),
               _target("10.0.0.8", name="N2.example.net")]
    links, unresolved = link_names(targets)
    assert links == {"core-sw1": "10.0.0.1", "core-sw2.example.net.": "10.0.0.2",
                     "dup": "10.0.0.3", "n2": "10.0.0.7", "x": "10.0.0.9"}
    assert unresolved == ("dup.other", "nobody.example.net", "two words")


def test_reconcile_order_is_the_documented_sort() -> None:
    rng = random.Random(3)
    nets = [Network("10.0.0.0/16", "ipam"), Network("10.0.5.0/24", "ipam",
                                                   NetworkStatus.DEPRECATED)]
    targets = []
    for n in range(400):
        kind = rng.random()
        address = (f"host-{rng.randrange(50)}" if kind < 0.1 else
                   f"2001:db8::{rng.randrange(1, 999):x}" if kind < 0.2 else
                   f"10.{rng.choice((0, 0, 9))}.{rng.randrange(8)}.{rng.randrange(1, 255)}")
        targets.append(Target(
            address=address, source=rng.choice("ab"), kind="csv", id=str(n), name=f"n{n}",
            polled=rng.random() < 0.8, state=rng.choice(list(ToolState)),
            last_ok=rng.choice((None, datetime(2026, 11, 20), datetime(2020, 1, 1)))))
    findings = reconcile(targets, NetworkIndex(nets), TrafficIndex(held=()),
                         as_of=datetime(2026, 11, 24), stale_after_days=14,
                         networks_known=True, links={})
    rank = {v: i for i, v in enumerate(VERDICT_ORDER)}
    assert findings == sorted(findings, key=lambda f: (rank[f.verdict], not f.polled,
                                                       address_sort_key(f.address)))
    assert len({f.address for f in findings}) == len(findings)
    assert {f.verdict for f in findings} >= {Verdict.STALE, Verdict.ACTIVE}


def _reference_json(result: object) -> str:
    return json.dumps(audit_document(result), ensure_ascii=False, indent=2) + "\n"  # type: ignore[arg-type]


def test_streamed_json_is_jsons_own_text(tmp_path: Path) -> None:
    result = sample_result()
    odd = Finding(address="名前.example", verdict=Verdict.UNVERIFIED, polled=False, reasons=(),
                  network=None, records=(), traffic=Traffic(
                      drops=3, by_message={"110003": 2, "106023": 1},
                      first_seen=datetime(2026, 1, 1, 0, 0, 0, 999)),
                  action='Remove "x" \\ y\n\u2028 ✓')
    rich = dataclasses.replace(result, findings=(*result.findings, odd))
    empty = dataclasses.replace(result, findings=(), ghost_flows=(), inputs=())
    for each in (result, rich, empty):
        assert render_json(each) == _reference_json(each)
        path = tmp_path / "r.json"
        JsonReporter().write(each, path)
        assert path.read_bytes() == _reference_json(each).encode("utf-8")


def test_estate_benchmark_builds_an_estate_the_audit_reads(tmp_path: Path) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from benchmarks.bench_estate import AS_OF, Sizes, build

    made = build(tmp_path, Sizes.at(0.002), seed=7)
    result = run_audit(load_config(tmp_path / "audit.toml"), as_of=AS_OF, generated_at=AS_OF)
    assert not result.failed
    assert made["devices"] > 500 and len(result.findings) > 500
    verdicts = {f.verdict for f in result.findings}
    assert {Verdict.STALE, Verdict.ACTIVE, Verdict.UNREACHABLE} <= verdicts
    assert any(":" in f.address for f in result.findings)
    assert result.unresolved_names and result.ghost_flows
    assert any(Reason.DEPRECATED_NETWORK in f.reasons for f in result.findings)
    assert render_json(result) == _reference_json(result)

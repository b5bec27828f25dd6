"""Routing-table network sources: ASA `show route`, IOS `show ip route`, Linux `ip route`."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from auditor.errors import SourceError
from auditor.model import Network, NetworkStatus
from connectors import lookup
from connectors.base import SourceSpec
from connectors.networks.cisco_routes import AsaRouteSource, IosRouteSource
from connectors.networks.linux_routes import LinuxRouteSource
from tests.conftest import EXAMPLES, need_shared

ACTIVE = NetworkStatus.ACTIVE
BLACKHOLE = NetworkStatus.BLACKHOLE


def _spec(cls: type, *paths: Path, name: str = "rt") -> SourceSpec:
    return SourceSpec(name=name, type=cls.type, paths=paths, root=paths[0].parent)


def _fetch(cls: type, tmp_path: Path, text: str, name: str = "routes.txt") -> list[Network]:
    path = tmp_path / name
    path.write_text(text)
    return cls(_spec(cls, path)).fetch()


def _pairs(networks: list[Network]) -> list[tuple[str, str]]:
    return [(n.prefix, str(n.status)) for n in networks]


def test_registry_names_the_route_classes() -> None:
    assert lookup("networks", "cisco-asa-route") is AsaRouteSource
    assert lookup("networks", "cisco-ios-route") is IosRouteSource
    assert lookup("networks", "linux-ip-route") is LinuxRouteSource


# --- the reference examples, read in place ------------------------------------------------

def test_asa_reference_example() -> None:
    path = need_shared(EXAMPLES / "asa-show-route.txt")
    networks = AsaRouteSource(_spec(AsaRouteSource, path, name="fw-dc1")).fetch()
    assert _pairs(networks) == [
        ("10.10.0.0/16", "active"),
        ("10.10.0.1/32", "active"),
        ("10.20.0.0/16", "active"),
        ("10.30.0.0/24", "active"),
        ("192.0.2.0/29", "active"),
        ("192.0.2.2/32", "active"),
        ("203.0.113.0/28", "active"),
        ("203.0.113.2/32", "active"),
    ]
    first = networks[0]
    assert (first.source, first.location, first.description) == (
        "fw-dc1", "asa-show-route.txt:14", "C directly connected, inside")
    assert networks[2].description == "S via 10.10.0.254, inside"
    assert networks[3].description == "O via 10.10.0.253, inside"


def test_ios_reference_example() -> None:
    path = need_shared(EXAMPLES / "ios-show-ip-route.txt")
    networks = IosRouteSource(_spec(IosRouteSource, path)).fetch()
    assert _pairs(networks) == [
        ("10.10.0.0/16", "active"),
        ("10.10.0.254/32", "active"),
        ("10.20.1.0/24", "active"),
        ("10.20.1.1/32", "active"),
        ("10.20.2.0/24", "active"),
        ("10.30.0.0/24", "active"),
        ("172.16.40.0/24", "active"),
        ("172.16.40.1/32", "active"),
    ]
    assert networks[5].description == "D EX via 10.10.0.253, GigabitEthernet0/0"
    assert networks[5].location == "ios-show-ip-route.txt:20"


LINUX_EXAMPLE = [
    ("10.10.0.0/16", "active"),
    ("10.20.0.0/16", "active"),
    ("172.16.40.0/24", "active"),
    ("10.99.0.0/16", "blackhole"),
]


def test_linux_text_reference_example() -> None:
    path = need_shared(EXAMPLES / "linux-ip-route.txt")
    networks = LinuxRouteSource(_spec(LinuxRouteSource, path)).fetch()
    assert _pairs(networks) == LINUX_EXAMPLE
    assert networks[-1].location == "linux-ip-route.txt:5"
    assert networks[1].description == "via 10.10.0.254 dev eth0 proto static"


def test_linux_json_reference_example() -> None:
    path = need_shared(EXAMPLES / "linux-ip-route.json")
    networks = LinuxRouteSource(_spec(LinuxRouteSource, path)).fetch()
    assert _pairs(networks) == LINUX_EXAMPLE
    assert networks[-1].location == "linux-ip-route.json"
    assert networks[-1].description == "blackhole proto static"


# --- Cisco ----------------------------------------------------------------------------------

def test_asa_ecmp_default_continuation_is_not_given_to_the_next_route(tmp_path: Path) -> None:
    networks = _fetch(AsaRouteSource, tmp_path, (
        "S*       0.0.0.0 0.0.0.0 [1/0] via 198.51.100.1, outside\n"
        "                         [1/0] via 198.51.100.2, outside\n"
        "S        10.20.0.0 255.255.0.0 [1/0] via 10.10.0.254, inside\n"
        "                               [1/0] via 10.10.0.253, inside\n"))
    assert _pairs(networks) == [("10.20.0.0/16", "active")]
    assert networks[0].description == "S via 10.10.0.254, inside; via 10.10.0.253, inside"


def test_asa_named_host_routes_are_skipped(tmp_path: Path) -> None:
    # With `names` configured the ASA prints the object name instead of the address:
    # there is nothing to resolve it against, so the route is left out, not misread.
    networks = _fetch(AsaRouteSource, tmp_path, (
        "S        Server1 255.255.255.255 [1/0] via 10.0.5.12, outside\n"
        "S        db 255.255.255.255 [1/0] via 10.0.5.12, outside\n"
        "S        10.54.6.0 255.255.255.0 [1/0] via 10.0.5.12, outside\n"))
    assert _pairs(networks) == [("10.54.6.0/24", "active")]
    assert networks[0].location == "routes.txt:3"


def test_asa_route_to_null0_via_form_is_blackhole(tmp_path: Path) -> None:
    networks = _fetch(AsaRouteSource, tmp_path,
                      "S        10.99.0.0 255.255.0.0 [1/0] via 0.0.0.0, Null0\n")
    assert _pairs(networks) == [("10.99.0.0/16", "blackhole")]


def test_asa_bad_mask_names_the_line(tmp_path: Path) -> None:
    with pytest.raises(SourceError) as info:
        _fetch(AsaRouteSource, tmp_path, (
            "C        10.10.0.0 255.255.0.0 is directly connected, inside\n"
            "S        10.20.0.0 255.0.255.0 [1/0] via 10.10.0.254, inside\n"))
    assert "routes.txt line 2: bad network or mask 10.20.0.0 255.0.255.0" in str(info.value)


def test_ios_bare_network_without_header_takes_its_class_mask(tmp_path: Path) -> None:
    networks = _fetch(IosRouteSource, tmp_path, (
        "C    192.168.200.0 is directly connected, Ethernet1\n"
        "R    172.20.0.0 [120/1] via 192.168.200.2, 00:00:21, Ethernet1\n"))
    assert _pairs(networks) == [("192.168.200.0/24", "active"), ("172.20.0.0/16", "active")]


def test_ios_subnetted_header_applies_only_inside_its_major_network(tmp_path: Path) -> None:
    networks = _fetch(IosRouteSource, tmp_path, (
        "     172.16.0.0/24 is subnetted, 2 subnets\n"
        "C       172.16.1.0 is directly connected, Vlan1\n"
        "O       172.16.2.0 [110/2] via 172.16.1.2, 00:01:02, Vlan1\n"
        "C    192.168.5.0 is directly connected, Vlan5\n"))
    assert _pairs(networks) == [("172.16.1.0/24", "active"), ("172.16.2.0/24", "active"),
                                ("192.168.5.0/24", "active")]


def test_ios_candidate_default_code_is_not_a_default_route(tmp_path: Path) -> None:
    # `*` marks a candidate default; only a /0 is the default route itself.
    networks = _fetch(IosRouteSource, tmp_path, (
        "D*EX  10.0.0.0/8 [170/2816] via 10.1.1.1, 00:00:10, GigabitEthernet0/0\n"
        "S*    0.0.0.0/0 [1/0] via 10.1.1.1\n"))
    assert _pairs(networks) == [("10.0.0.0/8", "active")]
    assert networks[0].description == "D*EX via 10.1.1.1, GigabitEthernet0/0"


def test_ios_ipv6_routes_with_hops_on_following_lines(tmp_path: Path) -> None:
    networks = _fetch(IosRouteSource, tmp_path, (
        "IPv6 Routing Table - default - 5 entries\n"
        "C   2001:DB8:3000:1::/64 [0/0]\n"
        "     via GigabitEthernet0/0, directly connected\n"
        "L   2001:DB8:3000:1::1/128 [0/0]\n"
        "     via GigabitEthernet0/0, receive\n"
        "S   2001:DB8:4000::/48 [1/0]\n"
        "     via Null0, directly connected\n"
        "S   ::/0 [1/0]\n"
        "     via 2001:DB8:3000:1::2\n"
        "L   FF00::/8 [0/0]\n"
        "     via Null0, receive\n"))
    assert _pairs(networks) == [("2001:db8:3000:1::/64", "active"),
                                ("2001:db8:3000:1::1/128", "active"),
                                ("2001:db8:4000::/48", "blackhole")]
    assert networks[0].description == "C via GigabitEthernet0/0, directly connected"


def test_only_a_default_route_is_an_empty_table_not_an_error(tmp_path: Path) -> None:
    assert _fetch(IosRouteSource, tmp_path, "S*    0.0.0.0/0 [1/0] via 10.1.1.1\n") == []


@pytest.mark.parametrize("cls", [AsaRouteSource, IosRouteSource, LinuxRouteSource])
def test_a_file_without_routes_fails_rather_than_reading_as_empty(tmp_path: Path,
                                                                  cls: type) -> None:
    with pytest.raises(SourceError) as info:
        _fetch(cls, tmp_path, "", name="empty.txt")
    assert "empty.txt: no routes found" in str(info.value)


def test_legend_without_routes_fails(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="no routes found: is this ASA `show route` output"):
        _fetch(AsaRouteSource, tmp_path, (
            "fw# show route\n"
            "Codes: L - local, C - connected, S - static, R - RIP, M - mobile, B - BGP\n"
            "       D - EIGRP, EX - EIGRP external, O - OSPF, IA - OSPF inter area\n"
            "Gateway of last resort is not set\n"))


def test_every_path_is_read_and_a_real_route_beats_a_blackhole(tmp_path: Path) -> None:
    edge = tmp_path / "edge.txt"
    core = tmp_path / "core.txt"
    edge.write_text("S        10.99.0.0 255.255.0.0 is directly connected, Null0\n"
                    "C        10.10.0.0 255.255.0.0 is directly connected, inside\n")
    core.write_text("C        10.10.0.0 255.255.0.0 is directly connected, vlan10\n"
                    "S        10.99.0.0 255.255.0.0 [1/0] via 10.10.0.9, inside\n")
    networks = AsaRouteSource(_spec(AsaRouteSource, edge, core)).fetch()
    assert [(n.prefix, str(n.status), n.location) for n in networks] == [
        ("10.99.0.0/16", "active", "core.txt:2"),
        ("10.10.0.0/16", "active", "edge.txt:2"),
    ]


# --- Linux ----------------------------------------------------------------------------------

def test_linux_via_inet6_gateway_and_onlink_flag(tmp_path: Path) -> None:
    networks = _fetch(LinuxRouteSource, tmp_path,
                      "10.60.0.0/16 via inet6 fe80::1 dev eth0 proto bird onlink metric 32\n")
    assert [(n.prefix, n.description) for n in networks] == [
        ("10.60.0.0/16", "via fe80::1 dev eth0 proto bird")]


def test_linux_throw_and_multicast_types_are_skipped(tmp_path: Path) -> None:
    networks = _fetch(LinuxRouteSource, tmp_path, (
        "throw 10.80.0.0/16 table 200 proto static\n"
        "multicast 239.1.1.0/24 dev eth0 proto static\n"
        "unicast 10.81.0.0/16 via 10.1.1.1 dev eth0\n"))
    assert _pairs(networks) == [("10.81.0.0/16", "active")]


def test_linux_gzipped_capture(tmp_path: Path) -> None:
    path = tmp_path / "routes.txt.gz"
    path.write_bytes(gzip.compress(b"blackhole 10.99.0.0/16 proto static\n"))
    networks = LinuxRouteSource(_spec(LinuxRouteSource, path)).fetch()
    assert _pairs(networks) == [("10.99.0.0/16", "blackhole")]


def test_linux_text_line_that_is_no_route_names_the_line(tmp_path: Path) -> None:
    with pytest.raises(SourceError) as info:
        _fetch(LinuxRouteSource, tmp_path, (
            "10.10.0.0/16 dev eth0 proto kernel scope link src 10.10.5.30\n"
            "Destination     Gateway         Genmask         Flags Metric Ref    Use Iface\n"))
    assert "routes.txt line 2: not a route: 'Destination' is not a destination" \
        in str(info.value)


def test_linux_json_must_be_an_array_of_routes(tmp_path: Path) -> None:
    with pytest.raises(SourceError) as info:
        _fetch(LinuxRouteSource, tmp_path, '[{"dst": "10.1.0.0/16"}, {"dev": "eth0"}]',
               name="r.json")
    assert "r.json, field 'dst': route 1 has no \"dst\" string" in str(info.value)
    with pytest.raises(SourceError, match="not a destination"):
        _fetch(LinuxRouteSource, tmp_path, '[{"dst": "10.1.0.0/40"}]', name="r.json")


def test_linux_truncated_json_reports_line_and_column(tmp_path: Path) -> None:
    with pytest.raises(SourceError) as info:
        _fetch(LinuxRouteSource, tmp_path, '[{"dst":"10.1.0.0/16","dev":"eth0"},{"dst":',
               name="r.json")
    assert "r.json line 1: invalid JSON: Expecting value (column 44)" in str(info.value)

"""auditor.addresses: the one place address, prefix and host text becomes canonical.

Every connector and the network index go through these functions, so an address written two
ways must come out one way, or a live target is matched against nothing and called stale.
"""

from __future__ import annotations

import netaddr
import pytest

from auditor.addresses import canonical_host, canonical_ip, canonical_prefix


@pytest.mark.parametrize(("text", "expected"), [
    ("::ffff:10.10.0.5", "10.10.0.5"),          # how dual-stack sockets print IPv4 peers
    ("::FFFF:10.10.0.5", "10.10.0.5"),
    ("::ffff:a0a:5", "10.10.0.5"),              # the same address in hex groups
    ("0:0:0:0:0:ffff:10.10.0.5", "10.10.0.5"),  # written out in full
    ("[::ffff:10.10.0.5]", "10.10.0.5"),        # ss prints `[::ffff:10.0.0.1]:161`
    ("::ffff:10.10.0.5%eth0", "10.10.0.5"),
    (" ::ffff:192.0.2.1 ", "192.0.2.1"),
])
def test_ipv4_mapped_address_is_its_ipv4_address(text: str, expected: str) -> None:
    assert canonical_ip(text) == expected
    assert canonical_host(text) == expected


def test_ipv4_mapped_address_lands_in_its_ipv4_network() -> None:
    """The reported bug: the mapped form never matched 10.10.0.0/24, so it looked stale."""
    network = netaddr.IPNetwork(canonical_prefix("10.10.0.0/24"))
    assert netaddr.IPAddress(canonical_ip("::ffff:10.10.0.5")) in network


@pytest.mark.parametrize(("text", "expected"), [
    ("::ffff:10.10.0.0/120", "10.10.0.0/24"),
    ("::ffff:10.10.0.77/120", "10.10.0.0/24"),  # host bits cleared, as for IPv4
    ("::ffff:10.10.0.5/128", "10.10.0.5/32"),
    ("::ffff:10.10.0.5", "10.10.0.5/32"),       # a bare address is a host prefix
    ("::ffff:10.0.0.0/104", "10.0.0.0/8"),
    ("::ffff:10.10.0.0/80", "::/80"),           # reaches beyond the mapped block: stays IPv6
])
def test_ipv4_mapped_prefix_is_its_ipv4_prefix(text: str, expected: str) -> None:
    assert canonical_prefix(text) == expected


@pytest.mark.parametrize("text", ["::ffff:10.10.0.0/129", "::ffff:10.10.0.0/-1",
                                  "::ffff:10.10.0.0/x"])
def test_impossible_mapped_prefix_lengths_are_rejected(text: str) -> None:
    assert canonical_prefix(text) is None


@pytest.mark.parametrize(("text", "expected"), [
    ("fd00:99::1", "fd00:99::1"),
    ("FD00:0099:0000::0001", "fd00:99::1"),
    ("::1", "::1"),
    ("::", "::"),
    ("::10.1.1.1", "::10.1.1.1"),               # IPv4-compatible (deprecated), not mapped
    ("64:ff9b::a01:101", "64:ff9b::a01:101"),  # NAT64: a different host, not mapped
])
def test_other_ipv6_addresses_stay_ipv6(text: str, expected: str) -> None:
    assert canonical_ip(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("10.99.3.4", "10.99.3.4"),
    (" 10.99.3.4 ", "10.99.3.4"),
    ("[fd00:99::1]", "fd00:99::1"),
    ("fe80::1%eth0", "fe80::1"),
    ("fe80::1%12", "fe80::1"),
])
def test_plain_addresses_brackets_and_zone_ids(text: str, expected: str) -> None:
    assert canonical_ip(text) == expected


@pytest.mark.parametrize("text", [
    "10.1",                  # inet_aton would take it; nobody writes it
    "10.1.2",
    "0x0a000001",
    "192.1682.2.2",          # a typo, not an address
    "10.99.3.400",
    "::ffff:10.10.0.500",
    "::ffff:10.10",
    "",
    None,
    "host.example",
])
def test_text_that_is_no_address(text: str | None) -> None:
    assert canonical_ip(text) is None


@pytest.mark.parametrize(("text", "expected"), [
    ("NMS-OLD.Corp.Example.", "nms-old.corp.example"),
    ("::ffff:10.10.0.5", "10.10.0.5"),
    ("10.99.3.400", None),   # an all-numeric last label is a mistyped address
    ("192.1682.2.2", None),
    ("see notes", None),
])
def test_canonical_host(text: str, expected: str | None) -> None:
    assert canonical_host(text) == expected


@pytest.mark.parametrize(("text", "mask", "expected"), [
    ("10.1.2.3/16", None, "10.1.0.0/16"),
    ("10.1.2.3", "255.255.0.0", "10.1.0.0/16"),
    ("10.1.2.3", None, "10.1.2.3/32"),
    ("fd00:99::1/64", None, "fd00:99::/64"),
    ("10.1.2.3/33", None, None),
    ("10.1/16", None, None),
])
def test_canonical_prefix_unchanged_forms(text: str, mask: str | None,
                                          expected: str | None) -> None:
    assert canonical_prefix(text, mask) == expected


IP_KEY_TEXTS = [
    "1.2.3.4", "0.0.0.0", "255.255.255.255", "10.250.3.7", "01.2.3.4", "1.2.3.04", "1.2.3",
    "1.2.3.4.5", " 1.2.3.4", "1.2.3.4 ", "256.1.1.1", "0x1.2.3.4", "1..2.3", "10.0.0.1/24",
    "10.0.0.1:80", "::", "::1", "::ffff:1.2.3.4", "::ffff:01.2.3.4", "fe80::1%eth0", "FE80::1",
    "2001:db8::", "2001:DB8::0:1", "0:0:0:0:0:0:0:1", "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8:9",
    "[::1]", "host.example", "OLD-AP-CTRL", "", "\x00", "1.2.3.4\x00", "\uff11.2.3.4", "\ud800",
    "１０.0.0.1",
]


@pytest.mark.parametrize("text", IP_KEY_TEXTS)
def test_ip_key_in_c_reads_as_the_python_reading(text: str) -> None:
    """`auditor/_netkeys.c` gives `_ip_key`'s answer for every text, the odd ones too (a
    leading zero, a scope, an embedded NUL, fullwidth digits, a lone surrogate)."""
    from auditor import netindex

    netkeys = pytest.importorskip("auditor._netkeys",
                                  reason="the C address reader is not built (no compiler)")
    assert netindex.ip_key is netkeys.ip_key
    assert netkeys.ip_key(text) == netindex._ip_key(text)


def test_ip_key_in_c_agrees_on_random_address_like_text() -> None:
    import random

    from auditor import netindex

    netkeys = pytest.importorskip("auditor._netkeys",
                                  reason="the C address reader is not built (no compiler)")
    rng = random.Random(20261130)
    alphabet = "0123456789abcdefABCDEF.:x% /"
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randrange(16)))
             for _ in range(50_000)]
    texts += [f"{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(256)}."
              f"{rng.randrange(256)}" for _ in range(5_000)]
    texts += [str(netaddr.IPAddress(rng.getrandbits(128), 6)) for _ in range(5_000)]
    mismatched = [t for t in texts if netkeys.ip_key(t) != netindex._ip_key(t)]
    assert mismatched == []
    assert sum(netkeys.ip_key(t) is not None for t in texts) > 10_000

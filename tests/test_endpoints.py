"""The shared endpoint rules: addresses, ports and service names, who opened a flow."""

from __future__ import annotations

import pytest

from auditor.model import Signal
from connectors.logs.endpoints import (
    ICMP_PROTOCOLS,
    SERVER_PORTS,
    build_flow,
    initiator_first,
    is_server_port,
    parse_address,
    parse_port,
)


@pytest.mark.parametrize(("text", "address"), [
    ("10.1.2.3", "10.1.2.3"),
    ("2001:DB8::0001", "2001:db8::1"),                  # canonical text
    ("::ffff:10.10.0.5", "10.10.0.5"),                  # IPv4-mapped: the IPv4 address
    ("::FFFF:10.10.0.5", "10.10.0.5"),
    ("v1:outside:10.8.1.9", "10.8.1.9"),                # multi-context prefix taken off
    ("outside:2001:db8::5", "2001:db8::5"),
    ("fe80::1", "fe80::1"),                             # a valid IPv6 is kept whole
    ("***", None), ("OCSP_Server", None), ("ns10", None),
    ("192.1682.2.2", None), ("192.18.4", None), ("", None),
])
def test_parse_address(text: str, address: str | None) -> None:
    assert parse_address(text) == address
    assert parse_address(text) == address            # and again, from the cache


@pytest.mark.parametrize(("text", "port"), [
    ("161", 161), ("0", 0), ("65535", 65535), ("65536", None), ("000161", None),
    ("443.", 443), ("53,", 53),                          # sentence punctuation
    ("https", 443), ("HTTPS", 443), ("SNMP", 161), ("bootps", 67), ("netbios-ns", 137),
    ("sqlnet", 1521), ("citrix-ica", 1494),              # the ASA's own names
    ("no-such-service-xyz", None), ("***", None), ("", None), (None, None),
    ("dömäin", None),                                    # not ASCII: not asked of the system
])
def test_parse_port(text: str | None, port: int | None) -> None:
    assert parse_port(text) == port
    assert parse_port(text) == port


@pytest.mark.parametrize(("port", "server"), [
    (22, True), (1023, True), (1024, False), (0, False), (None, False), (161, True),
    (17777, True), (3389, True), (51515, False), (6711, False),
])
def test_is_server_port(port: int | None, server: bool) -> None:
    assert is_server_port(port) is server


def test_server_ports_are_ports() -> None:
    assert all(0 < p <= 65535 for p in SERVER_PORTS)


@pytest.mark.parametrize(("ap", "bp", "first"), [
    (161, 50001, False),     # server printed first: the second endpoint opened it
    (17777, 51515, False),   # a known service above 1023
    (3389, 60000, False),
    (50001, 161, True),      # server printed second
    (6711, 51515, True),     # nothing tells: the first printed endpoint
    (500, 500, True),        # both servers: the first printed endpoint
    (None, 161, True), (161, None, False), (None, None, True),
])
def test_initiator_first(ap: int | None, bp: int | None, first: bool) -> None:
    assert initiator_first(ap, bp) is first


def test_build_flow_in_printed_and_in_swapped_order() -> None:
    printed = build_flow(Signal.OTHER, "TCP", "10.1.1.1", "161", "10.2.2.2", "50001")
    assert printed == (Signal.OTHER, "tcp", "10.1.1.1", 161, "10.2.2.2", 50001, 1)
    swapped = build_flow(Signal.ACL_DENY, "udp", "10.1.1.1", "snmp", "10.2.2.2", "50001",
                         False, count=7)
    assert swapped == (Signal.ACL_DENY, "udp", "10.2.2.2", 50001, "10.1.1.1", 161, 7)


@pytest.mark.parametrize("proto", sorted(ICMP_PROTOCOLS) + ["ICMP"])
def test_icmp_has_no_ports(proto: str) -> None:
    flow = build_flow(Signal.OTHER, proto, "10.1.1.1", "8", "::ffff:10.2.2.2", "0")
    assert flow == (Signal.OTHER, proto.lower(), "10.1.1.1", None, "10.2.2.2", None, 1)


def test_build_flow_without_addresses_and_with_junk() -> None:
    assert build_flow(Signal.OTHER, "tcp", None, None, "ns10", "https") == (
        Signal.OTHER, "tcp", None, None, None, 443, 1)
    assert build_flow(Signal.OTHER, "tcp", "x" * 256, "1", "10.1.1.1", "2") is None
    assert build_flow(Signal.OTHER, "tcp", "10.1.1.1", "1", "x" * 256, "2") is None
    assert build_flow(Signal.OTHER, "p" * 33, "10.1.1.1", "1", "10.1.1.2", "2") is None

"""Every flow-bearing ASA message, built from its template with awkward interface names.

Interface names that are also hex (`dc`, `fab`, `cafe`, `a`), a digit (`1`) or hold spaces
(`NP Identity Ifc`) must be taken off by the template, never guessed from the characters; the
address behind them, IPv4 or IPv6, must come out whole, in initiator -> target order.
"""

from __future__ import annotations

import ipaddress
from datetime import datetime

import pytest

from connectors.base import SourceSpec
from connectors.logs.cisco_asa import AsaLogParser

IFCS = ["dc", "fab", "cafe", "a", "1", "NP Identity Ifc"]
#: (poller, target) per family; the IPv6 ones start with hex words like the interfaces.
ADDRS = {"v4": ("10.40.0.10", "10.50.77.10"),
         "v6": ("dc:2001:db8:40::10", "2001:db8:40::66")}

# id -> (template, protocol, signal, (src, sport, dst, dport) as slot names). `{S}`/`{D}` are
# the poller's and target's addresses, `{I}` the interface; the poller uses port 51000 and the
# target 161 (or 443 for TCP).
CASES = {
    "110002": ("Failed to locate egress interface for UDP from {I}:{S}/51000 to {D}/161",
               "udp", "no-route", True),
    "110003": ("Routing failed to locate next hop for UDP from {I}:{S}/51000 to {I}:{D}/161",
               "udp", "no-route", True),
    "106023": ('Deny udp src {I}:{S}/51000 dst {I}:{D}/161 by access-group "in" [0x0, 0x0]',
               "udp", "acl-deny", True),
    "106023-space": ('Deny udp src {I}: {S}/51000 dst {I}: {D}/161 by access-group "in"',
                     "udp", "acl-deny", True),
    "106100": ("access-list in denied udp {I}/{S}(51000) -> {I}/{D}(161) hit-cnt 1 first hit "
               "[0x0, 0x0]", "udp", "acl-deny", True),
    "106001": ("Inbound TCP connection denied from {S}/51000 to {D}/443 flags SYN  on interface "
               "{I}", "tcp", "acl-deny", True),
    "106006": ("Deny inbound UDP from {S}/51000 to {D}/161 on interface {I}", "udp", "acl-deny",
               True),
    "106007": ("Deny inbound UDP from {S}/51000 to {D}/53 due to DNS Query", "udp", "acl-deny",
               True),
    "106015": ("Deny TCP (no connection) from {S}/51000 to {D}/443 flags RST  on interface {I}",
               "tcp", "other", True),
    "419002": ("Duplicate TCP SYN from {I}:{S}/51000 to {I}:{D}/443 with different initial "
               "sequence number", "tcp", "syn-retransmit", True),
    "419001": ("Dropping TCP packet from {I}:{S}/51000 to {I}:{D}/443, reason: MSS exceeded, "
               "MSS 1380, data 1460", "tcp", "other", True),
    "302013": ("Built inbound TCP connection 7 for {I}:{S}/51000 ({S}/51000) to {I}:{D}/443 "
               "({D}/443)", "tcp", "other", True),
    "302013-out": ("Built outbound TCP connection 8 for {I}:{D}/443 ({D}/443) to {I}:{S}/51000 "
                   "({S}/51000)", "tcp", "other", True),
    "302014": ("Teardown TCP connection 9 for {I}:{D}/443 to {I}:{S}/51000 duration 0:00:30 "
               "bytes 0 SYN Timeout", "tcp", "syn-timeout", True),
    "302015": ("Built outbound UDP connection 10 for {I}:{D}/161 ({D}/161) to {I}:{S}/51000 "
               "({S}/51000)", "udp", "other", True),
    "302016": ("Teardown UDP connection 11 for {I}:{D}/161 to {I}:{S}/51000 duration 0:00:01 "
               "bytes 80", "udp", "other", True),
    "106014": ("Deny inbound icmp src {I}:{S} dst {I}:{D} (type 8, code 0)", "icmp", "other",
               False),
    "313005": ("No matching connection for ICMP error message: icmp src {I}:{D} dst {I}:{S} "
               "(type 3, code 1) on {I} interface.  Original IP payload: udp src {S}/51000 dst "
               "{D}/161.", "udp", "other", True),
    "710003": ("UDP access denied by ACL from {S}/51000 to {I}:{D}/161", "udp", "acl-deny", True),
    "302020": ("Built outbound ICMP connection for faddr {D}/0 gaddr {S}/512 laddr {S}/512 "
               "type 8 code 0", "icmp", "other", False),
    "302021": ("Teardown ICMP connection for faddr {D}/0 gaddr {S}/512 laddr {S}/512 type 8 "
               "code 0", "icmp", "other", False),
    "106021": ("Deny TCP reverse path check from {S} to {D} on interface {I}", "tcp",
               "acl-deny", False),
}
MESSAGE = {"106023-space": "106023", "302013-out": "302013"}


@pytest.mark.parametrize("family", sorted(ADDRS))
@pytest.mark.parametrize("ifc", IFCS)
@pytest.mark.parametrize("case", sorted(CASES))
def test_template_slots(case: str, ifc: str, family: str) -> None:
    template, proto, signal, ports = CASES[case]
    src, dst = ADDRS[family]
    message = MESSAGE.get(case, case)
    line = (f"Nov 24 2026 10:00:00 fw-edge : %ASA-4-{message}: "
            + template.format(I=ifc, S=src, D=dst))
    parser = AsaLogParser(SourceSpec("fw", "cisco-asa"), clock=datetime(2026, 11, 24, 12))
    events = list(parser.parse([line]))
    assert len(events) == 1, line
    event = events[0]
    sport = 51000 if ports else None
    dport = {"tcp": 443, "udp": 53 if message == "106007" else 161}.get(proto) if ports else None
    assert (event.message, event.protocol, str(event.signal)) == (message, proto, signal)
    assert (event.src, event.sport, event.dst, event.dport) == (
        canonical(src), sport, canonical(dst), dport), line


def canonical(text: str) -> str:
    """The parser writes IPv6 compressed and lower-case, as `ipaddress` does."""
    return str(ipaddress.ip_address(text))

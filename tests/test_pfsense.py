"""pfSense / OPNsense / OpenBSD pf filterlog parser: peer data read in place, headers, quirks.

The expected values for the peer-data lines below were written by reading each CSV line (fields
in `connectors/logs/pfsense.py`'s docstring), not by dumping the parser's output.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from connectors.base import SourceSpec
from connectors.logs.cisco_asa import AsaLogParser
from connectors.logs.iptables import IptablesLogParser
from connectors.logs.pfsense import MAX_LINE, PfSenseLogParser
from tests.conftest import PEER_DATA, need_shared

NOW = datetime(2026, 11, 24, 12, 0, 0)
A, OTH, NR = "acl-deny", "other", "no-route"
BLOCK, PASS = "filterlog/block", "filterlog/pass"

PEER_FILES = ["pfsense/test-pfsense-bsd.log", "pfsense/wazuh-pfsense-samples.log"]


def _t(month: int, day: int, hms: str, year: int = 2026) -> datetime:
    h, m, s = (int(x) for x in hms.split(":"))
    return datetime(year, month, day, h, m, s)


def _dot(port: int, hms: str, dst: str = "1.1.1.1") -> tuple:
    """A blocked DNS-over-TLS SYN from 10.170.12.50 (test-pfsense-bsd.log, most lines)."""
    return (BLOCK, A, "tcp", "10.170.12.50", port, dst, 853, _t(7, 3, hms), "fw")


#: file -> {line: (message, signal, protocol, src, sport, dst, dport, time, device)}: every line
#: that must yield an event (all of them, in these files). The pfSense lines have no host (the
#: header is `<134>Jul  3 19:10:30 filterlog[72237]:`), so the device is the spec's name.
EXPECTED: dict[str, dict[int, tuple]] = {
    "pfsense/test-pfsense-bsd.log": {
        1: _dot(49724, "19:10:30"),
        2: _dot(49696, "19:10:30"),
        # NTP 123 -> 123: both server ports, printed order
        3: (PASS, OTH, "udp", "10.170.27.27", 123, "216.229.4.66", 123, _t(7, 3, "19:10:30"),
            "fw"),
        4: _dot(49726, "19:10:31"),
        5: _dot(56584, "19:10:31", "1.0.0.1"),
        6: _dot(56542, "19:10:31", "1.0.0.1"),
        # IPv6: protocol text in field 12, addresses in 15 and 16, ports in 17 and 18
        7: (BLOCK, A, "udp", "fe80::208:9bff:fef3:652b", 546, "ff02::1:2", 547,
            _t(7, 3, "19:10:31"), "fw"),
        8: _dot(49726, "19:10:32"),
        9: _dot(49708, "19:10:32"),
        10: _dot(56578, "19:10:32", "1.0.0.1"),
        11: _dot(49728, "19:10:32"),
        12: _dot(49724, "19:10:32"),
        13: _dot(49710, "19:10:33"),
        14: _dot(49672, "19:10:33"),
        15: (PASS, OTH, "udp", "10.170.27.41", 137, "10.170.27.255", 137, _t(7, 3, "19:10:33"),
             "fw"),
        16: _dot(49728, "19:10:33"),
        17: (PASS, OTH, "igmp", "10.170.12.17", None, "239.255.255.250", None,
             _t(7, 3, "19:10:33"), "fw"),
        # echo requests: `request,<id>,<seq><length>` (filterlog glues the length on)
        18: (PASS, OTH, "icmp", "10.100.10.30", None, "142.250.114.105", None,
             _t(7, 4, "11:10:45"), "fw"),
        19: (PASS, OTH, "icmp", "10.100.15.13", None, "10.100.15.1", None, _t(7, 4, "11:10:54"),
             "fw"),
    },
    "pfsense/wazuh-pfsense-samples.log": {
        # `filterlog:` with no host: not taken for the host
        1: (PASS, OTH, "icmp", "192.168.105.11", None, "192.168.105.1", None,
            _t(1, 22, "18:34:00"), "fw"),
        2: (BLOCK, A, "udp", "10.9.0.119", 17500, "10.9.0.255", 17600, _t(11, 8, "12:37:34"),
            "pfSense"),
    },
}


def _parser() -> PfSenseLogParser:
    return PfSenseLogParser(SourceSpec("fw", "pfsense"), clock=NOW)


def _parse_peer(name: str) -> tuple[PfSenseLogParser, dict[int, object]]:
    path = need_shared(PEER_DATA / name)
    parser = _parser()
    return parser, {e.line: e for e in parser.parse_path(path)}


def _one(line: str):
    events = list(_parser().parse([line]))
    return events[0] if events else None


def test_every_peer_file_is_covered() -> None:
    folder = need_shared(PEER_DATA / "pfsense")
    on_disk = sorted(f"pfsense/{p.name}" for p in folder.iterdir() if p.is_file())
    assert on_disk == sorted(PEER_FILES) == sorted(EXPECTED)


@pytest.mark.parametrize("name", PEER_FILES)
def test_every_peer_line_parses_and_stats_add_up(name: str) -> None:
    path = need_shared(PEER_DATA / name)
    parser, events = _parse_peer(name)
    text = path.read_text(encoding="utf-8").splitlines()
    stats = parser.stats
    assert stats.lines == sum(1 for line in text if line.strip())
    assert stats.unparsed == 0 and stats.parsed == stats.lines == len(events)
    assert stats.parsed == sum(stats.by_message.values())


@pytest.mark.parametrize("name", PEER_FILES)
def test_peer_file_events(name: str) -> None:
    _, events = _parse_peer(name)
    got = {n: (e.message, str(e.signal), e.protocol, e.src, e.sport, e.dst, e.dport, e.time,
               e.device) for n, e in events.items()}
    assert got == EXPECTED[name]


def test_peer_lines_are_recognised_as_pfsense_only() -> None:
    for name in PEER_FILES:
        for line in need_shared(PEER_DATA / name).read_text().splitlines():
            assert PfSenseLogParser.recognises(line), line
            assert not IptablesLogParser.recognises(line), line
            assert not AsaLogParser.recognises(line), line


CSV = ("200,,,1700000001,igb1.20,match,block,in,4,0x0,,63,101,0,none,17,udp,78,10.30.1.10,"
       "10.99.3.4,50001,161,58")


@pytest.mark.parametrize(("head", "time", "device"), [
    ("<134>Nov 24 10:00:01 pf-edge filterlog[72237]: ", _t(11, 24, "10:00:01"), "pf-edge"),
    ("<134>Nov 24 10:00:01 filterlog[72237]: ", _t(11, 24, "10:00:01"), "fw"),
    ("Nov 24 10:00:01 filterlog: ", _t(11, 24, "10:00:01"), "fw"),
    ("<134>1 2026-11-24T11:00:01+01:00 OPNsense.example.com filterlog 76404 - "
     '[meta sequenceId="1"] ', _t(11, 24, "10:00:01"), "OPNsense.example.com"),
    ("<134>1 2026-11-24T10:00:01Z opn filterlog 76404 - - ", _t(11, 24, "10:00:01"), "opn"),
    ("2026-11-24T10:00:01Z pf-core filterlog[1]: ", _t(11, 24, "10:00:01"), "pf-core"),
    ("", None, "fw"),
])
def test_header_forms(head: str, time: datetime | None, device: str) -> None:
    event = _one(head + CSV)
    assert event is not None
    assert (event.time, event.device, event.message, str(event.signal)) == (time, device, BLOCK,
                                                                            A)
    assert (event.protocol, event.src, event.sport, event.dst, event.dport) == (
        "udp", "10.30.1.10", 50001, "10.99.3.4", 161)


ICMP = ("202,,,1700000003,igb1.20,match,{action},in,4,0xc0,,254,7,0,none,1,icmp,56,10.20.0.1,"
        "10.30.1.10,{icmp}")


@pytest.mark.parametrize(("action", "icmp", "expected"), [
    # the router says the poller's packet to 10.99.3.4 found no host: no-route for it
    ("pass", "unreach,host 10.99.3.4 unreachable56", (NR, None, "10.30.1.10", "10.99.3.4")),
    ("block", "unreach,host 10.99.3.4 unreachable56", (NR, None, "10.30.1.10", "10.99.3.4")),
    ("pass", "unreach,net 10.99.0.0 unreachable - unknown56",
     (NR, None, "10.30.1.10", "10.99.0.0")),
    ("pass", "unreach,host 10.40.0.9 unreachable - admin prohibited filter36",
     (A, None, "10.30.1.10", "10.40.0.9")),
    ("pass", "unreach,net 10.40.0.0 unreachable - admin prohibited56",
     (A, None, "10.30.1.10", "10.40.0.0")),
    ("pass", "unreach,10.40.0.9 unreachable - source route failed56",
     (OTH, None, "10.30.1.10", "10.40.0.9")),
    # the host answered that the port is closed: it is there
    ("pass", "unreachport,10.40.0.5,UDP,16156", (OTH, "udp", "10.30.1.10", "10.40.0.5")),
    ("pass", "unreachproto,10.40.0.5,4756", (OTH, None, "10.30.1.10", "10.40.0.5")),
    ("block", "request,4242,164", (A, "icmp", "10.20.0.1", "10.30.1.10")),
    ("pass", "reply,4242,164", (OTH, "icmp", "10.30.1.10", "10.20.0.1")),
    ("pass", "timexceed,time exceeded in-transit56", (OTH, "icmp", "10.20.0.1", "10.30.1.10")),
])
def test_icmp_messages(action: str, icmp: str, expected: tuple) -> None:
    event = _one("<134>Nov 24 10:05:04 pf-edge filterlog[72237]: "
                 + ICMP.format(action=action, icmp=icmp))
    assert event is not None and event.message == f"filterlog/{action}"
    assert (str(event.signal), event.protocol, event.src, event.dst) == expected
    assert (event.sport, event.dport) == (None, None)


TCP = ("201,,,1700000002,igb1.40,{reason},block,in,4,0x0,,63,0,0,DF,6,tcp,60,10.40.0.6,"
       "10.30.1.10,{sport},{dport},0,{flags},2784123,1891286706,65160,,mss")


@pytest.mark.parametrize(("reason", "flags", "ports", "expected"), [
    ("match", "S", (53, 40000), (A, "10.40.0.6", 53)),         # a SYN opens, even from 53
    ("match", "SA", (6711, 51000), (A, "10.30.1.10", 51000)),  # a SYN+ACK answers
    ("match", "A", (161, 50003), (A, "10.30.1.10", 50003)),    # ports: from 161 is the answer
    ("match", "PA", (50003, 6711), (A, "10.40.0.6", 50003)),   # nothing tells: printed order
    # pf's state check dropped a late reply: no rule keeps anyone out
    ("state-mismatch", "RA", (443, 51001), (OTH, "10.30.1.10", 51001)),
])
def test_tcp_direction_and_block_reasons(reason: str, flags: str, ports: tuple[int, int],
                                         expected: tuple) -> None:
    event = _one("<134>Nov 24 10:05:03 pf-edge filterlog[72237]: "
                 + TCP.format(reason=reason, flags=flags, sport=ports[0], dport=ports[1]))
    assert (str(event.signal), event.src, event.sport) == expected


@pytest.mark.parametrize("line", [
    "<134>Nov 24 10:06:17 pf-edge filterlog[72237]: 146,,,1535324496,igb1.12,match,block,in",
    "<134>Nov 24 10:06:17 pf-edge filterlog[72237]: " + CSV.replace(",4,0x0,", ",5,0x0,"),
    "<134>Nov 24 10:06:17 pf-edge filterlog[72237]: " + CSV.rsplit(",", 3)[0],   # no ports
    "<134>Nov 24 10:06:17 pf-edge filterlog[72237]: " + CSV.replace("block", "BLOCK!"),
    "<190>Nov 24 10:06:16 pf-edge dhcpd[40152]: DHCPDISCOVER from 4c:55:41:a0:fa:99 via em0",
    "<134>Nov 24 10:06:17 pf-edge filterlog[72237]: " + CSV.replace("10.30.1.10", "x" * 300),
    CSV + "," + "0" * MAX_LINE,
])
def test_malformed_lines_are_unparsed(line: str) -> None:
    parser = _parser()
    assert list(parser.parse([line])) == []
    assert (parser.stats.lines, parser.stats.unparsed) == (1, 1)


def test_blank_items_advance_the_line_number() -> None:
    parser = _parser()
    events = list(parser.parse([CSV, "\n\n\n", CSV]))
    assert [e.line for e in events] == [1, 5] and parser.stats.lines == 2

"""Cisco ASA / FTD / PIX log parser: peer data read in place, header forms, pairing, edge cases.

The expected values for the peer-data files below were written by reading each line (the
direction rules are in `connectors/cisco_asa.py`'s docstring), not by dumping the parser's output.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from connectors.base import SourceSpec
from connectors.logs.cisco_asa import MAX_LINE, AsaLogParser
from tests.conftest import PEER_DATA, need_shared

NOW = datetime(2026, 11, 24, 12, 0, 0)
SYN = ("Received duplicate TCP SYN from inside:10.30.1.41/51515 to outside:10.251.9.14/6711 "
       "with different initial sequence number.")

PEER_FILES = [f"cisco_asa/{name}" for name in (
    "additional_messages.log", "asa-fix.log", "asa_missing_groups.log", "filtered.log",
    "hostnames.log", "non-canonical.log", "not-ip.log", "sample.log",
    "wazuh-cisco_asa-samples.log", "wazuh-pix-samples.log")] + [
    "cisco_ftd/wazuh-cisco_ftd-samples.log"]

OTH, A, S = "other", "acl-deny", "syn-retransmit"
ANS = "traffic-answered"

#: file -> {line: (message, signal, protocol, src, sport, dst, dport)}: every line that must
#: yield an event. Lines not listed must be unparsed.
EXPECTED: dict[str, dict[int, tuple]] = {
    "cisco_asa/additional_messages.log": {
        1: ("302013", OTH, "tcp", "10.10.10.10", 53500, "192.168.2.2", 53500),   # inbound: 1st
        2: ("302015", OTH, "udp", "10.10.10.10", 53500, "192.168.2.2", 53500),
        3: ("302020", OTH, "icmp", "10.10.10.10", None, "192.168.2.2", None),    # faddr -> laddr
        6: ("302020", OTH, "icmp", "10.10.10.10", None, "192.168.2.2", None),
        9: ("710005", OTH, "udp", "192.168.2.2", 68, "10.10.10.10", 67),
        # payload `udp src 192.18.4/53 dst 8.8.8.8/10872.`: a reply from port 53, so swapped
        12: ("313005", OTH, "udp", "8.8.8.8", 10872, None, 53),
        13: ("302021", OTH, "icmp", "10.10.10.10", None, "192.168.2.2", None),   # no Built: laddr
        16: ("302020", OTH, "icmp", "10.10.10.10", None, "10.192.46.90", None),
        17: ("302020", OTH, "icmp", "192.168.2.2", None, "10.10.10.10", None),   # outbound
        18: ("302014", OTH, "tcp", "192.168.2.2", 55225, "10.10.10.10", 443),    # by port 443
        19: ("302013", OTH, "tcp", "10.10.10.10", 54839, "192.168.2.2", 80),     # outbound: 2nd
        21: ("313004", OTH, "icmp", "192.168.2.2", None, "10.10.10.10", None),   # echo reply
        22: ("305011", OTH, "tcp", None, None, None, None),
        23: ("106001", A, "tcp", "192.168.2.2", 43803, "10.10.10.10", 14322),
        24: ("302016", OTH, "udp", "192.186.2.2", 53356, "10.10.10.10", 161),    # by port 161
        25: ("302015", OTH, "udp", "192.168.2.2", 22638, "10.10.10.10", 161),
        26: ("302015", OTH, "udp", "192.168.2.2", 22638, "10.10.10.10", 161),
        27: ("106023", A, "tcp", "10.10.10.10", 64388, "192.168.2.2", 443),
        28: ("106021", A, "tcp", "192.168.2.2", None, "10.10.10.10", None),
        29: ("106006", A, "udp", "192.168.2.2", 65020, "10.10.10.10", 65020),
        30: ("106015", OTH, "tcp", "192.168.2.2", 53089, "10.10.10.10", 443),
        31: ("106015", OTH, "tcp", "192.168.2.2", 17127, "10.10.10.10", 443),
        32: ("106015", OTH, "tcp", "192.168.2.2", 24223, "10.10.10.10", 443),
        40: ("106100", OTH, "tcp", "192.168.2.2", 62157, "10.10.10.10", 3452),
        41: ("106100", OTH, "tcp", "192.168.2.2", 49033, "10.10.10.10", 6007),
        44: ("710005", OTH, "udp", "10.10.10.10", 1985, "192.168.2.2", 1985),
        47: ("106014", OTH, "icmp", "10.10.10.10", None, "10.10.10.10", None),
        48: ("733100", OTH, None, None, None, None, None),
        56: ("106023", A, "tcp", "10.10.10.2", 56444, "192.168.2.2", 51635),
        57: ("106100", A, "tcp", None, 27218, "195.122.12.242", 53),
        70: ("710003", A, "tcp", "104.46.88.19", 6370, "195.74.114.34", 23),
    },
    "cisco_asa/asa-fix.log": {
        1: ("302016", OTH, "udp", "10.123.123.123", 53723, "10.233.123.123", 53),
        2: ("106023", A, "icmp", "10.123.123.123", None, "10.123.123.123", None),
        3: ("106023", A, "tcp", "10.123.123.123", 6316, "10.123.123.123", 53),
        4: ("106023", A, "udp", "10.123.123.123", 57621, "10.123.123.123", 57621),
        8: ("106100", OTH, "udp", "127.2.3.4", 56575, "127.3.4.5", 53),
        9: ("106100", OTH, "udp", "127.2.3.4", 56575, "127.3.4.5", 53),
        10: ("106102", OTH, "udp", "10.123.123.20", 49721, "10.223.223.40", 53),
        11: ("106103", A, "icmp", "10.1.2.3", None, "1.2.33.40", None),
    },
    "cisco_asa/asa_missing_groups.log": {},
    "cisco_asa/filtered.log": {},
    "cisco_asa/hostnames.log": {
        1: ("302021", OTH, "icmp", None, None, None, None),
        2: ("302021", OTH, "icmp", "192.0.2.134", None, "192.0.2.15", None),
    },
    "cisco_asa/non-canonical.log": {
        1: ("302013", OTH, "tcp", None, 5802, "10.10.227.121", 80),
        2: ("302013", OTH, "tcp", "10.10.227.170", 46145, None, 10050),
        3: ("302015", OTH, "udp", "192.168.174.100", 48347, None, 53),
        4: ("302015", OTH, "udp", "192.168.174.100", 55653, None, 53),
        5: ("106015", OTH, "tcp", None, 54703, "10.12.227.40", 389),  # RST from 389
        6: ("106015", OTH, "tcp", "89.160.20.128", 56594, None, 25),
        7: ("305012", OTH, "udp", None, None, None, None),
        8: ("305012", OTH, "udp", None, None, None, None),
        9: ("305011", OTH, "tcp", None, None, None, None),
        10: ("305011", OTH, "udp", None, None, None, None),
        11: ("106023", A, "tcp", None, 64593, "89.160.20.128", 2511),
        12: ("106023", A, "tcp", None, 63513, "89.160.20.128", 2511),
        13: ("302020", OTH, "icmp", None, None, "81.2.69.192", None),
        14: ("302020", OTH, "icmp", None, None, "81.2.69.192", None),
        15: ("302021", OTH, "icmp", None, None, "81.2.69.192", None),  # Built line 13
        16: ("302021", OTH, "icmp", None, None, "81.2.69.192", None),  # Built line 14
    },
    "cisco_asa/not-ip.log": {
        1: ("106100", A, "tcp", None, 27218, "203.0.113.42", 53),
    },
    "cisco_asa/sample.log": {
        1: ("106023", A, "tcp", "10.1.2.30", 63016, "192.0.0.8", 53),
        2: ("106023", A, "tcp", "10.1.2.30", 63016, "192.0.0.8", 53),
        3: ("106100", OTH, "tcp", "10.1.2.16", 2241, "192.0.0.89", 2000),
        4: ("106100", A, "udp", "172.29.2.101", 1039, "192.0.2.10", 53),
        5: ("106100", OTH, "udp", "172.29.2.3", 1065, "192.0.2.57", 53),
        6: ("305011", OTH, "tcp", None, None, None, None),
        7: ("302013", OTH, "tcp", "10.123.3.42", 4952, "192.0.2.43", 443),
        8: ("305011", OTH, "udp", None, None, None, None),
        9: ("302015", OTH, "udp", "10.123.1.35", 52925, "192.0.2.222", 53),
        10: ("305011", OTH, "tcp", None, None, None, None),
        11: ("302013", OTH, "tcp", "10.123.3.42", 4953, "192.0.2.1", 80),
        12: ("302016", OTH, "udp", "10.123.1.35", 52925, "192.0.2.222", 53),    # Built line 9
        13: ("302016", OTH, "udp", "10.123.1.35", 52925, "192.0.2.222", 53),    # by port 53
        14: ("302021", OTH, "icmp", "192.168.132.46", None, "172.24.177.29", None),
        15: ("305011", OTH, "tcp", None, None, None, None),
        16: ("302013", OTH, "tcp", "192.168.3.42", 4954, "192.0.0.17", 80),
        17: ("106007", A, "udp", "192.0.0.66", 12981, "10.1.2.60", 53),
        18: ("106100", OTH, "tcp", "10.0.0.16", 2006, "192.0.0.89", 2000),
        19: ("106100", OTH, "tcp", "10.0.0.46", 49734, "192.0.0.88", 40443),
        20: ("106100", OTH, "tcp", "10.0.0.46", 49735, "192.0.0.88", 40443),
        21: ("106100", OTH, "tcp", "10.0.0.46", 49736, "192.0.0.88", 40443),
        22: ("106100", OTH, "tcp", "10.0.0.46", 49737, "192.0.0.88", 40443),
        23: ("106100", OTH, "tcp", "10.0.0.46", 49738, "192.0.0.88", 40443),
        24: ("106100", OTH, "tcp", "10.0.0.46", 49746, "192.0.0.88", 40443),
        25: ("106100", OTH, "tcp", "10.0.0.16", 2007, "192.0.0.89", 2000),
        26: ("106100", OTH, "tcp", "10.0.0.13", 43013, "192.168.33.31", 25),
        27: ("106100", OTH, "tcp", "10.0.0.16", 2008, "192.0.0.89", 2000),
        28: ("106006", A, "udp", "192.0.2.66", 137, "10.1.2.42", 137),
        29: ("106007", A, "udp", "192.0.2.66", 12981, "10.1.5.60", 53),
        30: ("106100", OTH, "tcp", "10.0.0.16", 2009, "192.0.0.89", 2000),
        31: ("106100", OTH, "tcp", "10.0.0.46", 49776, "192.0.0.88", 40443),
        32: ("106100", OTH, "tcp", "10.0.0.16", 2010, "192.0.0.89", 2000),
        33: ("106100", A, "tcp", "10.0.0.16", 2011, "192.0.0.89", 2000),
        34: ("106100", A, "tcp", "10.0.0.16", 2012, "192.0.0.89", 2000),
        35: ("106023", A, "tcp", "192.0.2.126", 53638, "10.0.0.132", 8111),
        36: ("106023", A, "tcp", "192.0.2.126", 53638, "10.0.0.132", 8111),
        37: ("106100", OTH, "tcp", "10.0.0.46", 49840, "192.0.0.88", 40443),
        38: ("106100", OTH, "tcp", "10.0.0.16", 2013, "192.0.0.89", 2000),
        39: ("106100", OTH, "tcp", "10.0.0.16", 2241, "192.0.0.99", 2000),
        40: ("302015", OTH, "udp", "10.0.13.13", 80, "192.168.77.12", 11180),   # outbound: 2nd
        41: ("106023", A, "udp", "192.168.1.33", 5555, "192.0.0.12", 53),
        42: ("106023", A, "udp", "192.168.1.33", 5555, "192.0.0.12", 53),
        43: ("302013", OTH, "tcp", None, 5678, "192.0.2.222", 1234),
        44: ("302013", OTH, "tcp", None, 5678, "192.0.2.222", 1234),
        45: ("302014", ANS, "tcp", "192.168.1.34", 5678, "192.0.2.222", 1234),  # Built 43
        46: ("302014", ANS, "tcp", "192.0.2.222", 1234, "192.168.1.35", 5678),  # no Built
        47: ("302014", ANS, "tcp", "192.0.2.222", 1234, "192.168.1.35", 5678),
        48: ("106015", OTH, "tcp", "192.0.2.222", 1234, "192.168.1.34", 5679),
        49: ("106015", OTH, "tcp", "192.0.2.222", 1234, "192.168.1.34", 5679),
        50: ("106023", A, "udp", "192.168.1.34", 5679, "192.0.0.12", 5000),
        51: ("302013", OTH, "tcp", "192.168.1.34", 65000, "192.0.2.222", 1234),
        52: ("302013", OTH, "tcp", "192.168.1.34", 65000, "192.0.2.222", 1234),
        53: ("302014", ANS, "tcp", "10.10.10.10", 1235, "192.0.2.222", 1234),   # Built 51
        54: ("302016", OTH, "udp", "10.44.4.4", 500, "10.44.2.2", 500),
        63: ("106023", A, "tcp", "192.0.2.95", 24069, "10.32.112.125", 25),
        65: ("313004", OTH, "icmp", "172.16.1.10", None, "172.16.30.2", None),
        72: ("302013", OTH, "tcp", "10.2.3.4", 49926, "1.2.3.4", 80),
    },
    "cisco_asa/wazuh-cisco_asa-samples.log": {
        4: ("106001", A, "tcp", "111.93.241.59", 54322, "116.6.127.122", 1433),
        5: ("106006", A, "udp", "185.158.113.158", 53306, "116.6.127.123", 53413),
        9: ("710003", A, "tcp", "192.168.0.1", 11, "192.168.0.2", 22),
        13: ("106014", OTH, "icmp", "151.80.47.231", None, "116.6.127.112", None),
        17: ("313005", OTH, "udp", "10.233.152.101", 62403, "8.8.8.8", 53),
        18: ("106023", A, "tcp", "111.11.11.1", 2143, "172.11.1.11", 139),
        19: ("733100", OTH, None, None, None, None, None),
        26: ("313004", OTH, "icmp", "116.6.127.116", None, "80.241.208.43", None),
        30: ("419002", S, "tcp", "10.233.209.119", 42736, "192.168.0.8", 52082),
        37: ("106023", A, "udp", "1.1.1.1", 3217, None, 15000),
        39: ("305012", OTH, "tcp", None, None, None, None),
        40: ("305012", OTH, "tcp", None, None, None, None),
        41: ("302014", ANS, "tcp", "192.168.1.185", 1032, "171.70.168.183", 53),
        46: ("305011", OTH, "tcp", None, None, None, None),
        47: ("302013", OTH, "tcp", "10.1.1.2", 53496, "10.1.2.1", 22),
        51: ("106015", OTH, "tcp", "192.168.0.1", 11, "192.168.0.2", 22),
        72: ("106021", A, "protocol", "192.168.0.1", None, "192.168.0.2", None),
    },
    "cisco_asa/wazuh-pix-samples.log": {
        2: ("710003", A, "tcp", "216.39.220.130", 54065, "62.192.113.98", 22),
        7: ("106015", OTH, "tcp", None, 3782, "161.58.238.151", 110),
        10: ("106023", A, "tcp", "111.11.11.1", 2143, "172.11.1.11", 139),
        11: ("106006", A, "udp", None, 20031, None, 20031),
        12: ("106001", A, "tcp", "165.139.46.7", 3854, "165.189.27.70", 139),
        13: ("305012", OTH, "udp", None, None, None, None),
        20: ("305011", OTH, "udp", None, None, None, None),
        21: ("305011", OTH, "tcp", None, None, None, None),
        22: ("302015", OTH, "udp", "192.168.1.2", 1026, "192.168.2.10", 1514),
    },
    "cisco_ftd/wazuh-cisco_ftd-samples.log": {
        3: ("106001", A, "tcp", "192.168.1.59", None, "192.168.1.59", None),   # `/port`
        7: ("106023", A, "tcp", "111.11.11.1", 2143, "172.11.1.11", 139),
        11: ("106015", OTH, "tcp", "192.168.1.59", None, "192.168.1.59", None),
        23: ("106021", A, "protocol", "192.168.1.59", None, "192.168.1.59", None),
    },
}


def _parse_peer(name: str) -> tuple[AsaLogParser, dict[int, object]]:
    path = need_shared(PEER_DATA / name)
    parser = AsaLogParser(SourceSpec("fw", "cisco-asa"), clock=NOW)
    events = {e.line: e for e in parser.parse_path(path)}
    return parser, events


def _one(line: str, parser: AsaLogParser | None = None):
    parser = parser or AsaLogParser(SourceSpec("fw", "cisco-asa"), clock=NOW)
    events = list(parser.parse([line]))
    return events[0] if events else None


@pytest.mark.parametrize("name", PEER_FILES)
def test_peer_file_stats_add_up(name: str) -> None:
    path = need_shared(PEER_DATA / name)
    parser, events = _parse_peer(name)
    text = path.read_text(encoding="utf-8", errors="replace").splitlines()
    stats = parser.stats
    assert stats.lines == sum(1 for line in text if line.strip())
    assert stats.lines == stats.parsed + stats.unparsed
    assert stats.parsed == len(events) == sum(stats.by_message.values())
    assert all(len(m) == 6 and m.isdigit() for m in stats.by_message)


def test_every_peer_file_is_covered() -> None:
    folder = need_shared(PEER_DATA)
    on_disk = sorted(p.relative_to(folder).as_posix()
                     for d in ("cisco_asa", "cisco_ftd") for p in (folder / d).glob("*.log"))
    assert on_disk == sorted(PEER_FILES) == sorted(EXPECTED)


@pytest.mark.parametrize("name", PEER_FILES)
def test_peer_file_events(name: str) -> None:
    _, events = _parse_peer(name)
    got = {n: (e.message, str(e.signal), e.protocol, e.src, e.sport, e.dst, e.dport)
           for n, e in events.items()}
    assert got == EXPECTED[name]


def test_peer_hit_counts_devices_and_times() -> None:
    _, sample = _parse_peer("cisco_asa/sample.log")
    assert sample[5].count == 144 and sample[4].count == 1
    assert sample[3].time == datetime(2014, 4, 15, 13, 34, 34)  # EDT is UTC-4
    assert sample[4].device == "INT-FW01" and sample[1].device == "fw"
    assert sample[40].device == "<IP>"
    assert sample[54].time == datetime(2012, 8, 15, 23, 30, 9)         # no colon after id
    _, extra = _parse_peer("cisco_asa/additional_messages.log")
    assert extra[41].count == 2
    assert extra[1].device == "dev01" and extra[1].time == datetime(2026, 5, 5, 17, 51, 17)
    _, relay = _parse_peer("cisco_asa/non-canonical.log")
    assert relay[3].device == "81.2.69.142" and relay[1].device == "216.160.83.56"
    assert relay[12].time == datetime(2026, 7, 15, 1, 18, 1)
    _, not_ip = _parse_peer("cisco_asa/not-ip.log")
    assert not_ip[1].time == datetime(2019, 10, 4, 15, 27, 55)         # `<165>` PRI
    _, fix = _parse_peer("cisco_asa/asa-fix.log")
    assert fix[1].device == "SNL-ASA-VPN-A01"
    assert fix[10].time == datetime(2020, 8, 6, 11, 1, 37)             # `Aug  6`
    _, ftd = _parse_peer("cisco_ftd/wazuh-cisco_ftd-samples.log")
    assert ftd[7].time is None and ftd[7].device == "fw"


HEADERS = [
    ("", None, "fw"),
    ("Apr 29 2013 12:59:50: ", datetime(2013, 4, 29, 12, 59, 50), "fw"),
    ("Apr 15 2014 09:34:34 EDT: ", datetime(2014, 4, 15, 13, 34, 34), "fw"),
    ("Apr 24 2013 16:00:28 INT-FW01 : ", datetime(2013, 4, 24, 16, 0, 28), "INT-FW01"),
    ("May  5 17:51:17 dev01: ", datetime(2026, 5, 5, 17, 51, 17), "dev01"),
    ("Jul 15 13:38:14 216.160.83.56 : ", datetime(2026, 7, 15, 13, 38, 14), "216.160.83.56"),
    ("Jul 15 13:38:08 81.2.69.142 ", datetime(2026, 7, 15, 13, 38, 8), "81.2.69.142"),
    ("Oct 10 2018 12:34:56 localhost CiscoASA[999]: ", datetime(2018, 10, 10, 12, 34, 56),
     "localhost"),
    ("<165>Oct 04 2019 15:27:55: ", datetime(2019, 10, 4, 15, 27, 55), "fw"),
    ("<191>Aug  1 14:01:20 abc-asa1: ", datetime(2026, 8, 1, 14, 1, 20), "abc-asa1"),
    ("Aug 15 2012 23:30:09 : ", datetime(2012, 8, 15, 23, 30, 9), "fw"),
    ("<166>2018-06-27T12:17:46Z asa : ", datetime(2018, 6, 27, 12, 17, 46), "asa"),
    ("<166>2018-06-27T14:17:46+02:00 asa : ", datetime(2018, 6, 27, 12, 17, 46), "asa"),
    ("<166>1 2026-11-24T10:00:00Z fw-x - - - ", datetime(2026, 11, 24, 10, 0, 0), "fw-x"),
    ("Aug  6 2020 11:01:37: ", datetime(2020, 8, 6, 11, 1, 37), "fw"),
    ("Jan  1 01:00:27 beats asa[1234]: ", datetime(2026, 1, 1, 1, 0, 27), "beats"),
    ("2026-11-24 10:00:01\tLocal4.Warning\t10.1.1.1\t", datetime(2026, 11, 24, 10, 0, 1),
     "10.1.1.1"),
    ("Nov 24 10:00:01 10.0.0.1 Nov 24 2026 09:59:59: ", datetime(2026, 11, 24, 9, 59, 59),
     "10.0.0.1"),
    ("Nov 24 10:00:01 10.0.0.1 Nov 24 2026 09:59:59 edge-fw : ",
     datetime(2026, 11, 24, 9, 59, 59), "edge-fw"),
    ("Apr 24 2013 16:00:28 FW : ", datetime(2013, 4, 24, 16, 0, 28), "FW"),
    ("Feb 30 01:00:00 fw3: ", None, "fw3"),
]


@pytest.mark.parametrize(("header", "time", "device"), HEADERS, ids=[h[0] or "none"
                                                                     for h in HEADERS])
def test_header_forms(header: str, time: datetime | None, device: str) -> None:
    event = _one(header + "%ASA-4-419002: " + SYN)
    assert event is not None
    assert (event.time, event.device) == (time, device)
    assert (event.src, event.sport, event.dst, event.dport) == ("10.30.1.41", 51515,
                                                                "10.251.9.14", 6711)


def test_pipe_relay_form() -> None:
    event = _one("6|Nov 28 2014 12:59:03|302021: Teardown ICMP connection for faddr "
                 "10.99.3.4/0 gaddr 10.30.1.10/9 laddr 10.30.1.10/9 type 8 code 0")
    assert event is not None
    assert (event.message, event.time, event.device) == ("302021", datetime(2014, 11, 28,
                                                                            12, 59, 3), "fw")
    assert (event.src, event.dst, event.protocol) == ("10.30.1.10", "10.99.3.4", "icmp")


def test_december_date_parsed_in_january_is_last_year() -> None:
    parser = AsaLogParser(SourceSpec("fw", "cisco-asa"), clock=datetime(2026, 1, 5, 8, 0))
    event = _one("Dec 31 23:59:58 fw-edge: %ASA-4-419002: " + SYN, parser)
    assert event is not None and event.time == datetime(2025, 12, 31, 23, 59, 58)
    event = _one("Jan  4 23:59:58 fw-edge: %ASA-4-419002: " + SYN, parser)
    assert event is not None and event.time == datetime(2026, 1, 4, 23, 59, 58)


def test_yearless_date_allows_a_day_of_clock_skew_and_finds_feb_29() -> None:
    parser = AsaLogParser(SourceSpec("fw", "cisco-asa"), clock=NOW)          # 2026-11-24 12:00
    ahead = _one("Nov 25 01:00:00 fw: %ASA-4-419002: " + SYN, parser)
    past = _one("Nov 26 01:00:00 fw: %ASA-4-419002: " + SYN, parser)
    leap = _one("Feb 29 01:00:00 fw: %ASA-4-419002: " + SYN, parser)
    assert ahead.time == datetime(2026, 11, 25, 1, 0)
    assert past.time == datetime(2025, 11, 26, 1, 0)
    assert leap.time == datetime(2024, 2, 29, 1, 0)


TEARDOWN = ("Nov 24 2026 10:00:30 fw-edge : %ASA-6-302014: Teardown TCP connection {cid} for "
            "outside:{a}/{ap} to inside:{b}/{bp} duration 0:00:30 bytes 0 SYN Timeout")
BUILT = ("Nov 24 2026 10:00:00 fw-edge : %ASA-6-302013: Built {way} TCP connection {cid} for "
         "outside:{a}/{ap} ({a}/{ap}) to inside:{b}/{bp} ({b}/{bp})")


@pytest.mark.parametrize(("ap", "bp", "initiator"), [
    (161, 50001, "b"),      # well-known port printed first: the second endpoint polled it
    (17777, 51515, "b"),    # a known service above 1023 (SolarWinds)
    (3389, 60000, "b"),
    (50001, 161, "a"),      # server printed second
    (6711, 51515, "a"),     # nothing tells: the first printed endpoint
    (500, 500, "a"),        # both well-known: the first printed endpoint
])
def test_teardown_without_built_resolves_initiator_by_port(ap: int, bp: int,
                                                           initiator: str) -> None:
    event = _one(TEARDOWN.format(cid=4242, a="10.99.3.4", ap=ap, b="10.30.1.10", bp=bp))
    assert event is not None and event.signal == "syn-timeout"
    a, b = ("10.99.3.4", ap), ("10.30.1.10", bp)
    src, dst = (a, b) if initiator == "a" else (b, a)
    assert ((event.src, event.sport), (event.dst, event.dport)) == (src, dst)


def test_teardown_follows_its_built_over_ports() -> None:
    slots = {"a": "10.251.9.14", "ap": 6711, "b": "10.30.1.41", "bp": 51515}
    parser = AsaLogParser(SourceSpec("fw", "cisco-asa"), clock=NOW)
    lines = [BUILT.format(way="outbound", cid=7, **slots), TEARDOWN.format(cid=7, **slots),
             TEARDOWN.format(cid=7, **slots)]     # a repeated Teardown: Built already used
    built, paired, orphan = parser.parse(lines)
    assert (built.src, built.sport, built.dst, built.dport) == ("10.30.1.41", 51515,
                                                                "10.251.9.14", 6711)
    assert (paired.src, paired.dst, paired.signal) == ("10.30.1.41", "10.251.9.14",
                                                       "syn-timeout")
    assert (orphan.src, orphan.dst) == ("10.251.9.14", "10.30.1.41")   # ports: first printed


def test_pairing_is_per_device_and_bounded() -> None:
    slots = {"a": "10.251.9.14", "ap": 6711, "b": "10.30.1.41", "bp": 51515}
    parser = AsaLogParser(SourceSpec("fw", "cisco-asa"), clock=NOW, pair_limit=3)
    builts = [BUILT.format(way="outbound", cid=cid, **slots) for cid in range(1, 6)]
    other_fw = TEARDOWN.format(cid=5, **slots).replace("fw-edge", "fw-core")
    teardowns = [TEARDOWN.format(cid=cid, **slots) for cid in (1, 2, 3, 4, 5)]
    events = list(parser.parse(builts + [other_fw] + teardowns))
    srcs = [e.src for e in events[5:]]
    # fw-core never built 5; fw-edge's 1 and 2 were evicted (limit 3); 3, 4, 5 remembered.
    assert srcs == ["10.251.9.14", "10.251.9.14", "10.251.9.14", "10.30.1.41", "10.30.1.41",
                    "10.30.1.41"]


def test_inbound_built_keeps_printed_order() -> None:
    event = _one(BUILT.format(way="inbound", cid=9, a="198.51.100.7", ap=40000, b="10.40.0.5",
                              bp=443))
    assert (event.src, event.sport, event.dst, event.dport) == ("198.51.100.7", 40000,
                                                                "10.40.0.5", 443)


@pytest.mark.parametrize(("service", "port"), [
    ("https", 443), ("ssh", 22), ("bootps", 67), ("netbios-ns", 137), ("snmp", 161),
    ("domain", 53), ("snmptrap", 162), ("no-such-service-x", None), ("99999", None)])
def test_service_names_in_port_slots(service: str, port: int | None) -> None:
    event = _one("%ASA-4-106023: Deny udp src inside:10.30.1.10/50000 dst "
                 f"outside:10.99.3.4/{service} by access-group \"in\"")
    assert event is not None and (event.dst, event.dport) == ("10.99.3.4", port)


@pytest.mark.parametrize("suffix", ["(LOCAL\\user)", "(LOCAL\\\\user)", "(user, 321:Vlan)",
                                    "(host.example.com)"])
def test_identity_suffixes_are_stripped(suffix: str) -> None:
    event = _one(f"%ASA-4-106023: Deny tcp src inside:10.30.1.10/50000{suffix} dst "
                 f"outside:10.99.3.4/161{suffix} by access-group \"in\" [0x0, 0x0]")
    assert (event.src, event.sport, event.dst, event.dport) == ("10.30.1.10", 50000,
                                                                "10.99.3.4", 161)
    event = _one("%ASA-6-302016: Teardown UDP connection 5 for outside:10.99.3.4/161 to "
                 f"inside:10.30.1.10/50000{suffix} duration 0:00:01 bytes 80 (svc-npm)")
    assert (event.src, event.sport, event.dst, event.dport) == ("10.30.1.10", 50000,
                                                                "10.99.3.4", 161)


def test_both_419002_wordings_and_ipv6() -> None:
    wordings = [SYN, SYN.rstrip("."), SYN.replace("Received duplicate", "Duplicate"),
                SYN.replace("Received duplicate", "Duplicate").rstrip(".")]
    for text in wordings:
        event = _one("%ASA-4-419002: " + text)
        assert (event.signal, event.src, event.dport) == ("syn-retransmit", "10.30.1.41", 6711)
    event = _one("%ASA-4-419002: Duplicate TCP SYN from inside:2001:DB8::41/51515 to "
                 "outside:2001:db8:99::4/161 with different initial sequence number")
    assert (event.src, event.dst, event.dport) == ("2001:db8::41", "2001:db8:99::4", 161)


def test_stats_blank_lines_numbers_and_unhandled_ids() -> None:
    parser = AsaLogParser(SourceSpec("fw", "cisco-asa"), clock=NOW)
    lines = ["%ASA-4-419002: " + SYN + "\n", "\n", "   \t\n", "",
             "%ASA-7-609001: Built local-host inside:10.30.1.41\n",
             "%ASA-4-419002: Received duplicate TCP SYN from inside:10.30.1.41/515\n",
             "not a log line\n", "%ASA-4-419002: " + SYN + "\n"]
    events = list(parser.parse(lines, start=100))
    assert [e.line for e in events] == [100, 107]
    stats = parser.stats
    assert (stats.lines, stats.parsed, stats.unparsed) == (5, 2, 3)
    assert dict(stats.by_message) == {"419002": 2}        # 609001 is not counted anywhere


def test_absurd_lines_are_unparsed_not_raised(tmp_path: Path) -> None:
    huge = "Nov 24 2026 11:30:01 fw : %ASA-4-419002: " + "A" * (5 * MAX_LINE) + SYN
    parser = AsaLogParser(SourceSpec("fw", "cisco-asa"), clock=NOW)
    assert list(parser.parse([huge, "\x00\x01\ufffd%ASA-\x00", "%ASA-4-106023: Deny tcp src "
                              "a:" + "9" * 300 + "/1 dst b:10.0.0.2/2"])) == []
    assert (parser.stats.lines, parser.stats.unparsed) == (3, 3)
    path = tmp_path / "huge.log"
    path.write_text(huge + "\n" + "%ASA-4-419002: " + SYN + "\n")
    parser = AsaLogParser(SourceSpec("fw", "cisco-asa"), clock=NOW)
    events = list(parser.parse_path(path))
    assert [(e.line, e.dst) for e in events] == [(2, "10.251.9.14")]
    assert (parser.stats.lines, parser.stats.parsed, parser.stats.unparsed) == (2, 1, 1)


def test_parse_streams_from_an_endless_source() -> None:
    def endless() -> Iterator[str]:
        for n in itertools.count():
            yield f"%ASA-4-419002: Received duplicate TCP SYN from inside:10.30.1.41/{n % 60000} " \
                  "to outside:10.251.9.14/6711 with different initial sequence number."
    parser = AsaLogParser(SourceSpec("fw", "cisco-asa"), clock=NOW)
    first = list(itertools.islice(parser.parse(endless()), 3))
    assert [e.sport for e in first] == [0, 1, 2]
    assert parser.stats.parsed == 3


def test_733100_is_recognised_without_a_flow() -> None:
    event = _one("%ASA-4-733100: [ Scanning] drop rate-3 exceeded. Current burst rate is 9 per "
                 "second, max configured rate is 10; Current average rate is 15 per second, max "
                 "configured rate is 5; Cumulative total count is 9198")
    assert (event.message, event.signal, event.src, event.dst, event.count) == (
        "733100", "other", None, None, 1)


# -- shapes added with the template-driven slots ---------------------------------------------

def test_real_lines_with_spaces_in_slots() -> None:
    built = _one("%ASA-6-302013: Built inbound TCP connection 141968 for db:10.0.0.1/60749 "
                 "(10.0.0.1/60749) to NP Identity Ifc: 10.0.0.2/22 (10.0.0.2/22)")
    assert (built.src, built.sport, built.dst, built.dport) == ("10.0.0.1", 60749, "10.0.0.2", 22)
    deny = _one("%ASA-4-106023: Deny udp src outside: 204.16.208.49/58940 dst dmz:10.0.0.158/1027"
                ' by access-group "outside_access_in" [0x0, 0x0]')
    assert (deny.signal, deny.src, deny.sport, deny.dst, deny.dport) == (
        "acl-deny", "204.16.208.49", 58940, "10.0.0.158", 1027)


@pytest.mark.parametrize("src", ["v1:outside:10.8.1.9/54864", "outside:10.8.1.9/54864"])
@pytest.mark.parametrize("dst", ["v2:inside:172.16.1.3/53", "inside:172.16.1.3/53"])
def test_multi_context_interface_prefix(src: str, dst: str) -> None:
    # elastic/integrations test-106023-iface-with-prefix: `<context>:<ifc>:<ip>`
    event = _one(f"LOCAL4.WARNING: fw-1 %ASA-4-106023: Deny udp src {src} dst {dst} by "
                 'access-group "outside_acl" [0x0, 0x0]')
    assert (event.src, event.sport, event.dst, event.dport) == ("10.8.1.9", 54864,
                                                                "172.16.1.3", 53)


def test_110002_destination_with_an_unexpected_interface() -> None:
    event = _one("%ASA-6-110002: Failed to locate egress interface for UDP from dc:10.40.0.10/"
                 "51000 to outside:10.50.77.10/161")
    assert (event.src, event.dst, event.dport) == ("10.40.0.10", "10.50.77.10", 161)


@pytest.mark.parametrize("header", ["", "Nov 24 2026 10:00:00 fw-edge : ", "<164>",
                                    "Nov 24 10:00:00 10.30.0.1 ", "Nov 24 10:00:00 fw:"])
@pytest.mark.parametrize("tag", ["ASA-2-106001:", "FTD-2-106001:", "PIX-2-106001",
                                 "ASA-session-2-106001:"])
def test_tag_without_percent(header: str, tag: str) -> None:
    event = _one(f"{header}{tag} Inbound TCP connection denied from 198.51.100.9/41000 to "
                 "10.40.0.5/3389 flags SYN  on interface outside")
    assert event is not None
    assert (event.message, event.signal, event.src, event.dst, event.dport) == (
        "106001", "acl-deny", "198.51.100.9", "10.40.0.5", 3389)


@pytest.mark.parametrize("line", [
    "MYASA-2-106001: Inbound TCP connection denied from 1.2.3.4/1 to 10.0.0.5/22 flags SYN",
    "fw-ASA-2-106001: Inbound TCP connection denied from 1.2.3.4/1 to 10.0.0.5/22 flags SYN",
    "note about xASA-4-419002: " + SYN,
])
def test_tag_without_percent_not_inside_a_word(line: str) -> None:
    parser = AsaLogParser(SourceSpec("fw", "cisco-asa"), clock=NOW)
    assert list(parser.parse([line])) == []
    assert parser.stats.unparsed == 1


@pytest.mark.parametrize(("text", "src", "dst"), [
    ("Deny inbound UDP from ***/20031 to ***9/161 on interface outside", None, None),
    ("Deny inbound UDP from 10.30.1.10/20031 to ***9/161 on interface outside",
     "10.30.1.10", None),
    ("Deny inbound UDP from 192.1682.2.2/20031 to 10.99.3.4/161 on interface outside",
     None, "10.99.3.4"),
])
def test_masked_and_impossible_addresses_are_none(text: str, src, dst) -> None:
    parser = AsaLogParser(SourceSpec("fw", "cisco-asa"), clock=NOW)
    (event,) = parser.parse(["%ASA-2-106006: " + text])
    assert (event.src, event.dst, event.sport) == (src, dst, 20031)
    assert (parser.stats.parsed, dict(parser.stats.by_message)) == (1, {"106006": 1})


@pytest.mark.parametrize("text", [
    "Built inbound TCP connection 5 for dmz:OCSP_Server/5678 (OCSP_Server/5678) to "
    "inside:10.0.0.5/1234 (10.0.0.5/1234)",
    "Deny udp src inside:10.30.1.10/50000 dst outside:ns10/53 by access-group \"in\"",
])
def test_object_names_and_hostnames_are_none(text: str) -> None:
    event = _one("%ASA-4-" + ("302013: " if text.startswith("Built") else "106023: ") + text)
    assert None in (event.src, event.dst)
    assert {event.src, event.dst} - {None} <= {"10.0.0.5", "10.30.1.10"}


def test_ipv4_mapped_ipv6_is_the_ipv4_address() -> None:
    event = _one("%ASA-4-106023: Deny udp src inside:::ffff:10.10.0.5/50000 dst "
                 "outside:::FFFF:10.99.3.4/161 by access-group \"in\"")
    assert (event.src, event.dst, event.dport) == ("10.10.0.5", "10.99.3.4", 161)


@pytest.mark.parametrize("text", [
    "Built dynamic TCP translation from inside:10.30.1.10/50000 to outside:198.51.100.1/8256",
    "Teardown dynamic UDP translation from inside:10.30.1.10/50000 to outside:198.51.100.1/1188 "
    "duration 0:00:30",
    "Built static TCP translation from dmz:exp-srv/50578 to outside:81.2.69.142/50578",
])
def test_nat_translations_form_no_flow(text: str) -> None:
    parser = AsaLogParser(SourceSpec("fw", "cisco-asa"), clock=NOW)
    message = "305011" if text.startswith("Built") else "305012"
    (event,) = parser.parse([f"%ASA-6-{message}: {text}"])
    assert (event.message, event.signal) == (message, "other")
    assert (event.src, event.sport, event.dst, event.dport) == (None, None, None, None)
    assert dict(parser.stats.by_message) == {message: 1}


def test_message_repeated_counts_the_repeats() -> None:
    # elastic/integrations test-repeat-deny: rsyslog's duplicate reduction
    event = _one("Jan 23 15:10:55 10.10.10.1 %ASA-2-106006: message repeated 2 times: [ Deny "
                 "inbound UDP from 192.168.2.66/137 to 10.1.2.42/137 on interface inside]")
    assert (event.src, event.dst, event.dport, event.count) == ("192.168.2.66", "10.1.2.42",
                                                                137, 2)


def test_sgt_suffixes_are_stripped() -> None:
    # elastic/integrations test-sgt-tag-name: `(9999:my_SgtName)` after a port or address
    event = _one("%ASA-4-106023: Deny tcp src outside:192.168.2.2/51982(9999:my_SgtName) dst "
                 'inside:192.168.2.3/443 by access-group "outside_access_in" [0x2a9e189a, 0x0]')
    assert (event.src, event.sport, event.dst, event.dport) == ("192.168.2.2", 51982,
                                                                "192.168.2.3", 443)
    event = _one("%ASA-4-313005: No matching connection for ICMP error message: icmp src "
                 "outside:192.168.2.2(LOCAL\\myUser1234, 9999:my_SgtName) dst inside:192.168.2.3 "
                 "(type 3, code 3) on outside interface.  Original IP payload: udp src "
                 "192.168.2.3/53 dst 192.168.2.2/54860.")
    assert (event.src, event.sport, event.dst, event.dport) == ("192.168.2.2", 54860,
                                                                "192.168.2.3", 53)


@pytest.mark.parametrize(("header", "now", "time"), [
    ("Dec 31 9999 23:59:59 EDT: ", NOW, None),           # + 4 h passes year 9999
    ("Jan  1 0001 00:00:00 CET: ", NOW, None),           # - 1 h before year 1
    ("<166>9999-12-31T23:59:59-05:00 asa : ", NOW, None),
    ("<166>0001-01-01T00:00:00+01:00 asa : ", NOW, None),
    # `--as-of 9999-12-31T23:00`: now + CLOCK_SKEW overflows, the date itself does not
    ("Dec 31 23:30:00 fw: ", datetime(9999, 12, 31, 23, 0), datetime(9999, 12, 31, 23, 30)),
    ("Jan  1 00:30:00 fw: ", datetime(1, 1, 1, 0, 0), datetime(1, 1, 1, 0, 30)),
    ("Feb  2 00:30:00 fw: ", datetime(1, 1, 1, 0, 0), None),   # no earlier year to take
])
def test_timestamps_that_overflow_are_absent(header: str, now: datetime,
                                             time: datetime | None) -> None:
    parser = AsaLogParser(SourceSpec("fw", "cisco-asa"), clock=now)
    (event,) = parser.parse([header + "%ASA-4-419002: " + SYN])
    assert (event.time, event.dst, event.dport) == (time, "10.251.9.14", 6711)


def test_events_command_with_overflowing_timestamps(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from auditor.cli import main
    from auditor.engine import stream_events
    from auditor.jsonable import event_record
    log = tmp_path / "far.log"
    log.write_text("Dec 31 9999 23:59:59 EDT: %ASA-4-419002: " + SYN + "\n"
                   "<166>0001-01-01T00:00:00+01:00 asa : %ASA-4-419002: " + SYN + "\n"
                   "Dec 31 23:30:00 fw: %ASA-4-419002: " + SYN + "\n")
    code = main(["events", str(log), "--type", "cisco-asa", "--as-of", "2026-11-24T12:00:00Z"])
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.strip()]
    assert code == 0
    assert [(r["line"], r["time"], r["dst"]) for r in rows] == [
        (1, None, "10.251.9.14"), (2, None, "10.251.9.14"),
        (3, "2025-12-31T23:30:00Z", "10.251.9.14")]
    # The CLI takes --as-of up to 9000-12-31; the parser itself must not overflow past it.
    parser = AsaLogParser(SourceSpec("fw", "cisco-asa"), clock=datetime(9999, 12, 31, 23, 0))
    rows = [event_record(e) for e in stream_events(parser, [log])]
    assert [(r["line"], r["time"]) for r in rows] == [(1, None), (2, None),
                                                      (3, "9999-12-31T23:30:00Z")]


def test_blank_runs_keep_line_numbers(tmp_path: Path) -> None:
    import gzip
    path = tmp_path / "padded.log.gz"
    lines = ["%ASA-4-419002: " + SYN + "\n", "\n" * 3_000_000, "  \t\n",
             "%ASA-4-419002: " + SYN + "\n", "\n" * 2, "junk\n", "\n" * 1_500_001,
             "%ASA-4-419002: " + SYN]
    path.write_bytes(gzip.compress("".join(lines).encode()))
    parser = AsaLogParser(SourceSpec("fw", "cisco-asa"), clock=NOW)
    events = list(parser.parse_path(path))
    assert [e.line for e in events] == [1, 3_000_003, 4_500_008]
    assert (parser.stats.lines, parser.stats.parsed, parser.stats.unparsed) == (4, 3, 1)

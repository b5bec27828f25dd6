"""FortiGate traffic parser: peer data read in place, signal rules, times, key=value and CEF.

The expected values for the peer-data lines were written by reading each line against
firewall-logs.md §3 and the rules in `connectors/logs/fortigate.py`'s docstring, not by dumping
the parser's output. Times are UTC: `date`+`time` shifted by `tz` where the line has one, else
`eventtime` (epoch; its local `time` agrees on minutes and seconds, the hours differing by the
device's zone, e.g. 06:42:54 local for 13:42:52Z in the UTC-7 samples), else as written.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from auditor.model import LogEvent
from connectors.base import SourceSpec
from connectors.logs.fortigate import (
    MAX_LINE,
    FortiGateLogParser,
    epoch_time,
    local_time,
    zone_offset,
)
from tests.conftest import PEER_DATA, need_shared

NOW = datetime(2026, 11, 24, 12, 0, 0)
PEER_FILES = ["fortinet/traffic.log", "fortinet/wazuh-fortigate-samples.log"]
A, OTH, ANS = "acl-deny", "other", "traffic-answered"
D = datetime

#: file -> {line: (message, signal, protocol, src, sport, dst, dport, time, device)}: every
#: line that must yield an event. Lines not listed must be unparsed (event, utm, anomaly logs).
EXPECTED: dict[str, dict[int, tuple]] = {
    "fortinet/traffic.log": {
        # denied SNMP, implicit deny (policyid=0, action deny); no tz: eventtime
        1: ("0000000013", A, "udp", "10.10.10.10", 60899, "175.16.199.1", 161,
            D(2020, 6, 24, 1, 16, 8), "testswitch1"),
        # tz -0500: 12:14:09 local is 17:14:09Z; `dns` says nothing either way
        2: ("0000000011", OTH, "udp", "192.168.1.6", 53438, "175.16.199.1", 53,
            D(2020, 4, 23, 17, 14, 9), "newfirewall"),
        3: ("0000000020", ANS, "udp", "175.16.199.1", 6000, "8.6.4.7", 6000,
            D(2020, 4, 23, 17, 11, 51), "newfirewall"),
        # local-in ICMPv6 with policyid=0 and accept: not a deny; nothing back, no ports
        4: ("0001000014", OTH, "icmpv6", "81.2.69.144", None, "81.2.69.144", None,
            D(2020, 4, 23, 17, 11, 48), "newfirewall"),
        # tz -0400; rcvdpkt=40
        5: ("0001000014", ANS, "icmp", "81.2.69.144", None, "175.16.199.1", None,
            D(2020, 4, 23, 17, 10, 57), "newfirewall"),
        # ip-conn (no reply) on UDP: `syn-timeout` is for TCP only
        6: ("0000000011", OTH, "udp", "192.168.1.1", 62493, "192.168.100.100", 1235,
            D(2020, 4, 23, 17, 14, 39), "firewall3"),
        7: ("0000000013", ANS, "tcp", "81.2.69.145", 56603, "175.16.199.1", 442,
            D(2020, 4, 23, 17, 14, 28), "firewall3"),
        # no devname, no header host, no devid: the spec's name; no tz: eventtime
        8: ("0002000012", OTH, "udp", "172.16.200.55", 60660, "230.1.1.2", 7878,
            D(2019, 3, 31, 13, 42, 52), "fw"),
        # sniffer record, TCP accept with nothing received: not a session end; eventtime in
        # nanoseconds (1557523134|021045|897) keeps its microseconds
        9: ("0004000017", OTH, "tcp", "67.43.156.15", 50463, "104.80.88.154", 443,
            D(2019, 5, 10, 21, 18, 54, 21045), "fw"),
        10: ("0000000013", ANS, "tcp", "10.1.100.11", 60446, "172.16.200.55", 80,
             D(2019, 5, 13, 18, 45, 4, 815101), "fw"),
        11: ("0000000013", ANS, "tcp", "10.1.100.11", 44258, "185.244.31.158", 80,
             D(2019, 5, 13, 23, 29, 50, 452146), "fw"),
        12: ("0000000013", ANS, "tcp", "10.1.100.22", 46810, "172.16.200.55", 80,
             D(2019, 5, 16, 0, 58, 9), "fw"),
        # server-rst after 12 packets back: answered
        13: ("0000000013", ANS, "tcp", "10.1.100.22", 50354, "52.216.177.83", 443,
             D(2019, 5, 16, 0, 45, 34), "fw"),
    },
    "fortinet/wazuh-fortigate-samples.log": {
        # FortiOS 3/4: `log_id`, `status`, `src`/`dst`, `src_port`/`dst_port`, and
        # `time=10: 13:03` (read 10:13:03; no tz, no eventtime: as written)
        11: ("0038016004", A, "tcp", "10.3.3.3", None, "10.4.4.4", None,
             D(2011, 7, 24, 10, 13, 3), "Device_Name"),
        12: ("0038016002", OTH, "icmp", "10.1.1.1", None, "10.2.2.2", None,
             D(2011, 7, 25, 8, 19, 42), "Name_of_Device"),
        13: ("9999999999", A, "tcp", "10.10.10.10", 1111, "10.20.30.40", 2222,
             D(2011, 2, 20, 12, 26, 24), "Device_Name"),
        14: ("3213213213", A, "udp", "10.10.10.1", 1111, "10.9.8.7", 2222,
             D(2011, 2, 19, 22, 0, 7), "Device_Name"),
        15: ("8888888888", OTH, "icmp", "192.168.0.1", None, "192.168.254.254", None,
             D(2011, 2, 20, 12, 31, 9), "Name_of_Device"),
        # FortiOS 5: bare values; deny after app control dropped the session
        16: ("0000000013", A, "tcp", "7.3.8.5", 57727, "7.8.9.81", 80,
             D(2016, 6, 16, 10, 19, 23), "Device_Name"),
        17: ("0000000013", A, "tcp", "4.3.5.161", 51082, "54.192.197.185", 80,
             D(2016, 6, 16, 10, 49, 8), "Device_Name"),
        18: ("0000000013", ANS, "tcp", "10.1.100.11", 60446, "172.16.200.55", 80,
             D(2019, 5, 13, 18, 45, 4, 815101), "fw"),
        19: ("0000000013", ANS, "udp", "10.1.100.22", 50002, "172.16.100.100", 53,
             D(2019, 5, 15, 22, 8, 49, 950003), "fw"),
        # client-rst with no rcvdpkt key but rcvdbyte=7039: answered
        20: ("0000000013", ANS, "tcp", "10.1.100.22", 50798, "195.8.215.136", 443,
             D(2019, 5, 16, 1, 3, 39), "fw"),
    },
}


def _parser() -> FortiGateLogParser:
    return FortiGateLogParser(SourceSpec("fw", "fortigate"), clock=NOW)


def _parse_peer(name: str) -> tuple[FortiGateLogParser, dict[int, LogEvent]]:
    path = need_shared(PEER_DATA / name)
    parser = _parser()
    return parser, {e.line: e for e in parser.parse_path(path)}


def _one(line: str, parser: FortiGateLogParser | None = None) -> LogEvent:
    events = list((parser or _parser()).parse([line]))
    assert len(events) == 1, events
    return events[0]


def kv(**changes: str | None) -> str:
    """A FortiOS 7 forward-traffic line; a keyword replaces (None: drops) that key."""
    pairs = {
        "date": "2024-03-11", "time": "09:14:06", "devname": '"FGT-EDGE-01"',
        "devid": '"FG100FTK19000123"', "logid": '"0000000013"', "type": '"traffic"',
        "subtype": '"forward"', "level": '"notice"', "vd": '"root"',
        "eventtime": "1710144846123456789", "tz": '"+0100"', "srcip": "10.30.1.20",
        "srcport": "61544", "srcintf": '"port3"', "dstip": "10.40.7.3", "dstport": "443",
        "dstintf": '"port1"', "sessionid": "881216", "proto": "6", "action": '"close"',
        "policyid": "12", "service": '"HTTPS"', "duration": "3", "sentbyte": "1840",
        "rcvdbyte": "9112", "sentpkt": "11", "rcvdpkt": "10", "appcat": '"unscanned"',
    }
    for key, value in changes.items():
        if value is None:
            pairs.pop(key, None)
        else:
            pairs[key] = value
    return " ".join(f"{k}={v}" for k, v in pairs.items())


@pytest.mark.parametrize("name", PEER_FILES)
def test_peer_file_stats_add_up(name: str) -> None:
    path = need_shared(PEER_DATA / name)
    parser, events = _parse_peer(name)
    text = path.read_text(encoding="utf-8", errors="replace").splitlines()
    stats = parser.stats
    assert stats.lines == sum(1 for line in text if line.strip())
    assert stats.lines == stats.parsed + stats.unparsed
    assert stats.parsed == len(events) == sum(stats.by_message.values())


def test_every_peer_file_is_covered() -> None:
    folder = need_shared(PEER_DATA / "fortinet")
    on_disk = sorted(f"fortinet/{p.name}" for p in folder.glob("*.log"))
    assert on_disk == sorted(PEER_FILES) == sorted(EXPECTED)


@pytest.mark.parametrize("name", PEER_FILES)
def test_peer_file_events(name: str) -> None:
    _, events = _parse_peer(name)
    got = {n: (e.message, str(e.signal), e.protocol, e.src, e.sport, e.dst, e.dport, e.time,
               e.device) for n, e in events.items()}
    assert got == EXPECTED[name]


@pytest.mark.parametrize("name", PEER_FILES)
def test_every_peer_line_is_recognised(name: str) -> None:
    path = need_shared(PEER_DATA / name)
    assert all(FortiGateLogParser.recognises(line) for line in path.read_text().splitlines())


# -- signals -------------------------------------------------------------------------------

@pytest.mark.parametrize(("changes", "signal"), [
    ({}, "traffic-answered"),
    ({"action": '"deny"', "policyid": "0", "rcvdpkt": None, "rcvdbyte": "0"}, "acl-deny"),
    ({"action": '"deny"', "policyid": "17"}, "acl-deny"),
    ({"action": None, "policyid": "0", "rcvdpkt": "0"}, "acl-deny"),    # implicit deny
    ({"action": '"accept"', "policyid": "0", "rcvdpkt": "0"}, "other"),  # local-in, policy 0
    # TCP with nothing received
    ({"action": '"timeout"', "rcvdpkt": "0", "rcvdbyte": "0"}, "syn-timeout"),
    ({"action": '"timeout"', "rcvdpkt": None, "rcvdbyte": None}, "syn-timeout"),
    ({"action": '"ip-conn"', "rcvdpkt": None, "rcvdbyte": None}, "syn-timeout"),
    ({"action": '"close"', "rcvdpkt": "0", "rcvdbyte": "0"}, "syn-timeout"),
    ({"action": '"client-rst"', "rcvdpkt": "0", "rcvdbyte": "0"}, "syn-timeout"),
    ({"action": '"close"', "rcvdpkt": None, "rcvdbyte": None}, "other"),    # no counters
    ({"action": '"server-rst"', "rcvdpkt": "0", "rcvdbyte": "0"}, "other"),  # target reset
    ({"action": '"accept"', "rcvdpkt": "0", "rcvdbyte": "0"}, "other"),      # a start record
    # something came back
    ({"action": '"timeout"', "rcvdpkt": "28"}, "traffic-answered"),          # idle timeout
    ({"action": '"server-rst"', "rcvdpkt": "1"}, "traffic-answered"),
    ({"action": '"client-rst"', "rcvdpkt": None, "rcvdbyte": "7039"}, "traffic-answered"),
    ({"rcvdpkt": "0", "rcvdbyte": "5000"}, "syn-timeout"),                   # packets decide
    # UDP and ICMP: never `syn-timeout`
    ({"proto": "17", "action": '"accept"', "rcvdpkt": "0", "dstport": "161"}, "other"),
    ({"proto": "17", "action": '"ip-conn"', "rcvdpkt": None, "rcvdbyte": None}, "other"),
    ({"proto": "1", "action": '"timeout"', "rcvdpkt": "0"}, "other"),
    ({"proto": "17", "action": '"accept"', "rcvdpkt": "1"}, "traffic-answered"),
])
def test_signal_rules(changes: dict[str, str | None], signal: str) -> None:
    event = _one(kv(**changes))
    assert event is not None and str(event.signal) == signal


@pytest.mark.parametrize(("number", "word"), [
    ("6", "tcp"), ("17", "udp"), ("1", "icmp"), ("58", "icmpv6"), ("132", "sctp"), ("47", "gre"),
    ("253", "253"),
])
def test_protocol_numbers(number: str, word: str) -> None:
    assert _one(kv(proto=number)).protocol == word


def test_icmp_has_no_ports_and_ipv6_is_canonical() -> None:
    event = _one(kv(proto="58", srcip="2001:DB8:30:1:0:0:0:41", dstip="2001:db8:251::14",
                    srcport="0", dstport="0"))
    assert (event.src, event.sport, event.dst, event.dport) == (
        "2001:db8:30:1::41", None, "2001:db8:251::14", None)


@pytest.mark.parametrize("text", ["***", "N/A", "10.30.1.410", '"fw-mgmt"'])
def test_non_addresses_are_none_but_the_line_is_parsed(text: str) -> None:
    event = _one(kv(srcip=text))
    assert event is not None and event.src is None and event.dst == "10.40.7.3"


def test_quoted_values_hold_spaces_commas_and_fake_keys() -> None:
    line = kv(devname='"FGT EDGE, DC1"', user='"a srcip=10.9.9.9 dstip=10.9.9.8"',
              msg='"x action=deny"')
    event = _one(line)
    assert (event.device, event.src, event.dst, str(event.signal)) == (
        "FGT EDGE, DC1", "10.30.1.20", "10.40.7.3", "traffic-answered")


def test_csv_layout() -> None:
    event = _one(kv(action='"deny"').replace(" ", ","))
    assert (str(event.signal), event.src, event.sport, event.dst, event.dport, event.time) == (
        "acl-deny", "10.30.1.20", 61544, "10.40.7.3", 443, datetime(2024, 3, 11, 8, 14, 6))


def test_first_of_a_repeated_key_wins() -> None:
    assert _one(kv() + ' tz="+0900"').time == datetime(2024, 3, 11, 8, 14, 6)


# -- CEF ---------------------------------------------------------------------------------------

CEF_DENY = ("<134>Mar 11 09:25:01 FGT-EDGE-01 CEF:0|Fortinet|Fortigate|v7.2.8|00013|"
            "traffic:forward deny|3|deviceExternalId=FG100FTK19000123 FTNTFGTlogid=0000000013 "
            "cat=traffic:forward FTNTFGTsubtype=forward FTNTFGTeventtime=1710145501 "
            "FTNTFGTtz=+0100 src=10.30.1.41 spt=50140 dst=10.251.9.14 dpt=161 proto=17 act=deny "
            "FTNTFGTpolicyid=0 app=SNMP FTNTFGTpolicyname=Block retired, 10.251/16 out=0 in=0")


def test_cef_traffic_deny() -> None:
    event = _one(CEF_DENY)
    assert (event.message, str(event.signal), event.protocol, event.src, event.sport,
            event.dst, event.dport, event.time, event.device) == (
        "0000000013", "acl-deny", "udp", "10.30.1.41", 50140, "10.251.9.14", 161,
        datetime(2024, 3, 11, 8, 25, 1), "FGT-EDGE-01")


def test_cef_older_prefix_and_signature_id() -> None:
    line = ("CEF:0|Fortinet|Fortigate|v6.0.10|00013|traffic:forward timeout|3|"
            "FortinetFortiGateeventtime=1710145502 src=10.30.1.20 spt=61560 dst=10.40.7.3 "
            "dpt=443 proto=6 FortinetFortiGateaction=timeout FortinetFortiGatercvdpkt=0 "
            "dvchost=fgt-dc2")
    event = _one(line)
    assert (event.message, str(event.signal), event.device, event.time) == (
        "00013", "syn-timeout", "fgt-dc2", datetime(2024, 3, 11, 8, 25, 2))


@pytest.mark.parametrize("line", [
    "CEF:0|Fortinet|Fortigate|v7.2.8|16384|utm:ips signature|7|cat=utm:ips src=1.1.1.1 "
    "dst=2.2.2.2 proto=6 act=dropped",
    "CEF:0|Security|threatmanager|1.0|100|traffic:forward|10|src=10.0.0.1 dst=2.1.2.2 proto=6",
    "CEF:0|Fortinet|Fortigate|v7.2.8|00013",
    "CEF:0|Fortinet|Fortigate|v7.2.8|00013|traffic:forward deny|3|src=10.0.0.1 proto=6",
])
def test_cef_lines_that_form_no_flow(line: str) -> None:
    parser = _parser()
    assert list(parser.parse([line])) == []
    assert parser.stats.unparsed == 1


# -- times ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("changes", "expected"), [
    ({}, D(2024, 3, 11, 8, 14, 6)),                                         # date+time+tz
    ({"tz": '"-0500"'}, D(2024, 3, 11, 14, 14, 6)),
    ({"tz": '"+05:30"'}, D(2024, 3, 11, 3, 44, 6)),
    ({"tz": '"UTC+2:00"'}, D(2024, 3, 11, 7, 14, 6)),
    ({"tz": '"CEST"'}, D(2024, 3, 11, 7, 14, 6)),
    ({"tz": '"bogus"'}, D(2024, 3, 11, 8, 14, 6, 123456)),                 # eventtime, ns
    ({"tz": None}, D(2024, 3, 11, 8, 14, 6, 123456)),
    ({"tz": None, "eventtime": "1710144846"}, D(2024, 3, 11, 8, 14, 6)),
    ({"tz": None, "eventtime": "1710144846123"}, D(2024, 3, 11, 8, 14, 6, 123000)),
    ({"tz": None, "eventtime": "1710144846123456"}, D(2024, 3, 11, 8, 14, 6, 123456)),
    ({"tz": None, "eventtime": None, "logtime": "1710144846"}, D(2024, 3, 11, 8, 14, 6)),
    ({"tz": None, "eventtime": None}, D(2024, 3, 11, 9, 14, 6)),           # as written
    ({"tz": None, "eventtime": "0"}, D(2024, 3, 11, 9, 14, 6)),
    ({"date": "2024-02-30"}, D(2024, 3, 11, 8, 14, 6, 123456)),           # bad date: eventtime
    ({"date": None, "time": None, "eventtime": None, "tz": None}, None),
])
def test_time_rules(changes: dict[str, str | None], expected: datetime | None) -> None:
    assert _one(kv(**changes)).time == expected


def test_header_time_is_the_last_resort() -> None:
    line = "<189>1 2024-03-11T09:14:07+01:00 fgt-relay - - - - " + kv(
        date=None, time=None, eventtime=None, tz=None, devname=None)
    event = _one(line)
    assert (event.time, event.device) == (datetime(2024, 3, 11, 8, 14, 7), "fgt-relay")


def test_device_fallbacks() -> None:
    assert _one(kv(devname=None)).device == "FG100FTK19000123"
    assert _one(kv(devname=None, devid=None)).device == "fw"


@pytest.mark.parametrize(("tz", "hours"), [
    ("-0500", -5), ("+0100", 1), ("+05:30", 5.5), ("+5", 5), ("GMT-3:00", -3), ("EDT", -4),
    ("+1500", None), ("", None), ("x+y", None),
])
def test_zone_offsets(tz: str, hours: float | None) -> None:
    assert zone_offset(tz) == (None if hours is None else timedelta(hours=hours))


def test_epoch_and_local_time_edges() -> None:
    assert epoch_time("99999999999999999999") is None                       # 20 digits
    assert epoch_time("-5") is None and epoch_time(None) is None
    assert local_time("2024-03-11", "25:00:00") is None
    assert local_time("9999-12-31", "23:59:59") is None                    # past MAX_YEAR


# -- what is not parsed -------------------------------------------------------------------------

@pytest.mark.parametrize("line", [
    kv(type='"utm"'),
    kv(type='"event"', subtype='"system"'),
    kv(srcip=None),
    kv(dstip=None),
    kv(proto=None),
    "just some text with type=traffic in it",
    "\x00\x01\x02 type=traffic \xfe\xff",
    "x" * (MAX_LINE + 1) + " " + kv(),
])
def test_malformed_and_foreign_lines_are_unparsed(line: str) -> None:
    parser = _parser()
    assert list(parser.parse([line])) == []
    assert (parser.stats.lines, parser.stats.unparsed) == (1, 1)


def test_blank_runs_keep_line_numbers_and_are_not_counted() -> None:
    parser = _parser()
    events = list(parser.parse(["\n", kv() + "\n", "\n\n\n", kv()], 1))
    assert [e.line for e in events] == [2, 6]                              # the run: lines 3-5
    assert (parser.stats.lines, parser.stats.parsed) == (2, 2)


def test_parse_streams_from_an_endless_source() -> None:
    def endless() -> Iterator[str]:
        for n in itertools.count():
            yield kv(srcport=str(1024 + n % 60000))
    events = list(itertools.islice(_parser().parse(endless()), 3))
    assert [e.sport for e in events] == [1024, 1025, 1026]


def test_junk_never_raises(tmp_path: Path) -> None:
    junk = tmp_path / "junk.log"
    junk.write_bytes(bytes(range(256)) * 40 + b"\n" + b'type=traffic srcip="' * 300 + b"\n"
                     + b"CEF:0|Fortinet|" + b"|=" * 500 + b"\n"
                     + (kv(date="2024-13-45", eventtime="9" * 19).encode() + b"\n") * 2)
    parser = _parser()
    list(parser.parse_path(junk))
    assert parser.stats.lines == parser.stats.parsed + parser.stats.unparsed


def test_cef_text_inside_a_key_value_line_is_not_cef() -> None:
    event = _one(kv(action='"deny"', app='"CEF:0|Fortinet|x"'))
    assert str(event.signal) == "acl-deny" and event.src == "10.30.1.20"

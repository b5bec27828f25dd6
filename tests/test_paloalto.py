"""PAN-OS TRAFFIC parser: peer data read in place, signal rules, headers, times, quoting.

The expected values for the peer-data lines were written by reading each line against the field
table in firewall-logs.md §2 (and the rules in `connectors/logs/paloalto.py`'s docstring), not by
dumping the parser's output.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from auditor.model import LogEvent
from connectors.base import SourceSpec
from connectors.logs.fortigate import FortiGateLogParser
from connectors.logs.paloalto import MAX_LINE, PanOsLogParser, generated_time
from tests.conftest import PEER_DATA, need_shared

NOW = datetime(2026, 11, 24, 12, 0, 0)
PEER_FILES = ["panw/wazuh-paloalto-samples.log"]
A, OTH = "acl-deny", "other"

#: file -> {line: (message, signal, protocol, src, sport, dst, dport, time, device, count)}: every
#: line that must yield an event. Lines not listed must be unparsed (SYSTEM, CONFIG, THREAT,
#: `OTHERS`, and TRAFFIC records cut off after the type).
EXPECTED: dict[str, dict[int, tuple]] = {
    "panw/wazuh-paloalto-samples.log": {
        # No syslog header: the serial (field 2) names the device; the Generated Time is
        # 11:59:02; subtype N/A gives the bare type; action deny, end reason policy-deny.
        12: ("TRAFFIC", A, "udp", "10.210.0.84", 500, "51.11.168.232", 500,
             datetime(2021, 7, 15, 11, 59, 2), "1321564321", 1),
        # Masked samples: `00.00.000.00` is no address, `2020/06/00` and `May 00` no date;
        # ports `0000`/`000` read as 0; protocol `xxx` and action `xxxx` taken as written.
        # start/end with an unknown action say nothing; subtypes drop and deny are denials.
        13: ("TRAFFIC/start", OTH, "xxx", None, 0, None, 0, None, "XXX-XX-00", 1),
        14: ("TRAFFIC/end", OTH, "xxx", None, 0, None, 0, None, "XXX-XX-00", 1),
        15: ("TRAFFIC/drop", A, "xxx", None, 0, None, 0, None, "XXX-XX-00", 1),
        16: ("TRAFFIC/deny", A, "xxx", None, 0, None, 0, None, "XXX-XX-00", 1),
    },
}


def _parser() -> PanOsLogParser:
    return PanOsLogParser(SourceSpec("fw", "paloalto"), clock=NOW)


def _parse_peer(name: str) -> tuple[PanOsLogParser, dict[int, LogEvent]]:
    path = need_shared(PEER_DATA / name)
    parser = _parser()
    return parser, {e.line: e for e in parser.parse_path(path)}


def _one(line: str, parser: PanOsLogParser | None = None) -> LogEvent:
    events = list((parser or _parser()).parse([line]))
    assert len(events) == 1, events
    return events[0]


#: A PAN-OS 10.x TRAFFIC record: an allowed TCP session that ended with data both ways.
RECORD = ("1,2024/03/11 09:14:07,013201004217,TRAFFIC,end,2561,2024/03/11 09:14:06,"
          "10.30.1.20,10.40.7.3,0.0.0.0,0.0.0.0,allow-pollers,,,ssl,vsys1,trust,untrust,"
          "ethernet1/2,ethernet1/1,fwd,2024/03/11 09:14:06,48211,1,61544,443,0,0,0x400053,"
          "tcp,allow,5140,1840,3300,21,2024/03/11 09:14:03,3,any,0,7093347,0x0,"
          "10.0.0.0-10.255.255.255,10.0.0.0-10.255.255.255,0,11,10,tcp-fin,0,0,0,0,,"
          "PA-3220-DC1,from-policy,,,0,,0,,N/A,0,0,0,0")


def traffic(**changes: str) -> str:
    """`RECORD` with keyword `f<N>` replacing field N."""
    fields = RECORD.split(",")
    for key, value in changes.items():
        fields[int(key[1:])] = value
    return ",".join(fields)


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
    folder = need_shared(PEER_DATA / "panw")
    on_disk = sorted(f"panw/{p.name}" for p in folder.glob("*.log"))
    assert on_disk == sorted(PEER_FILES) == sorted(EXPECTED)


@pytest.mark.parametrize("name", PEER_FILES)
def test_peer_file_events(name: str) -> None:
    _, events = _parse_peer(name)
    got = {n: (e.message, str(e.signal), e.protocol, e.src, e.sport, e.dst, e.dport, e.time,
               e.device, e.count) for n, e in events.items()}
    assert got == EXPECTED[name]


def test_every_peer_line_is_recognised_or_foreign() -> None:
    path = need_shared(PEER_DATA / "panw/wazuh-paloalto-samples.log")
    lines = path.read_text().splitlines()
    # Line 5 is a made-up `OTHERS` type: not a PAN-OS log type.
    assert [n for n, line in enumerate(lines, 1) if not PanOsLogParser.recognises(line)] == [5]


# -- signals -------------------------------------------------------------------------------

@pytest.mark.parametrize(("changes", "signal"), [
    ({}, "traffic-answered"),                                             # tcp-fin, 10 back
    ({"f4": "deny", "f30": "deny", "f46": "policy-deny"}, "acl-deny"),
    ({"f30": "drop"}, "acl-deny"),
    ({"f30": "drop-icmp"}, "acl-deny"),
    ({"f30": "reset-both"}, "acl-deny"),
    ({"f30": "reset-server"}, "acl-deny"),
    ({"f30": "reset client"}, "acl-deny"),                                 # the docs' spelling
    ({"f4": "drop"}, "acl-deny"),                                          # subtype alone
    ({"f46": "policy-deny"}, "acl-deny"),                                  # end reason alone
    # allowed TCP that aged out with nothing back: no handshake
    ({"f14": "incomplete", "f33": "0", "f45": "0", "f46": "aged-out"}, "syn-timeout"),
    ({"f33": "0", "f45": "0", "f46": "aged-out"}, "syn-timeout"),          # app not known yet
    # field 45 unreadable: bytes received decide; neither: application `incomplete`
    ({"f33": "0", "f45": "", "f46": "aged-out"}, "syn-timeout"),
    ({"f14": "incomplete", "f33": "", "f45": "", "f46": "aged-out"}, "syn-timeout"),
    ({"f14": "ssl", "f33": "", "f45": "", "f46": "aged-out"}, "other"),
    # a SYN/ACK came back, then nothing: the target is alive
    ({"f14": "incomplete", "f33": "60", "f45": "1", "f46": "aged-out"}, "traffic-answered"),
    ({"f14": "incomplete", "f33": "60", "f45": "1", "f46": "tcp-rst-from-server"},
     "traffic-answered"),
    # nothing back, but not aged out (a start record; the client gave up): no claim
    ({"f4": "start", "f33": "0", "f45": "0", "f46": "n/a"}, "other"),
    ({"f33": "0", "f45": "0", "f46": "tcp-rst-from-client"}, "other"),
    # UDP and ICMP left unanswered: `syn-timeout` is a TCP word
    ({"f29": "udp", "f25": "161", "f33": "0", "f45": "0", "f46": "aged-out"}, "other"),
    ({"f29": "icmp", "f33": "0", "f45": "0", "f46": "aged-out"}, "other"),
    ({"f29": "udp", "f25": "161", "f33": "112", "f45": "1", "f46": "aged-out"},
     "traffic-answered"),
])
def test_signal_rules(changes: dict[str, str], signal: str) -> None:
    event = _one(traffic(**changes))
    assert event is not None and str(event.signal) == signal


def test_denied_snmp_to_a_retired_network_with_repeats() -> None:
    line = ("<14>Mar 11 09:14:07 PA-3220-DC1 " + traffic(
        f4="deny", f8="10.251.9.14", f14="snmp", f23="14", f24="50122", f25="161", f29="udp",
        f30="deny", f33="0", f45="0", f46="policy-deny"))
    event = _one(line)
    assert (event.message, str(event.signal), event.protocol, event.src, event.sport,
            event.dst, event.dport, event.count, event.device) == (
        "TRAFFIC/deny", "acl-deny", "udp", "10.30.1.20", 50122, "10.251.9.14", 161, 14,
        "PA-3220-DC1")


def test_icmp_has_no_ports_and_ipv6_is_canonical() -> None:
    event = _one(traffic(f7="2001:DB8:30:1:0:0:0:41", f8="2001:db8:251::14", f29="ipv6-icmp",
                         f24="0", f25="0"))
    assert (event.src, event.sport, event.dst, event.dport) == (
        "2001:db8:30:1::41", None, "2001:db8:251::14", None)
    assert _one(traffic(f7="::ffff:10.30.1.42")).src == "10.30.1.42"


@pytest.mark.parametrize("text", ["***", "ORION-POLLER-2", "10.30.1.410", ""])
def test_non_addresses_are_none_but_the_line_is_parsed(text: str) -> None:
    parser = _parser()
    event = _one(traffic(f7=text), parser)
    assert event is not None and event.src is None and event.dst == "10.40.7.3"
    assert parser.stats.parsed == 1


def test_quoted_fields_with_commas_keep_positions() -> None:
    line = traffic(f11='"Block, retired 10.251/16"', f12='"corp\\svc, snmp"', f30="deny")
    event = _one(line)
    assert (str(event.signal), event.src, event.sport, event.dst, event.dport) == (
        "acl-deny", "10.30.1.20", 61544, "10.40.7.3", 443)


# -- headers, devices, times -----------------------------------------------------------------

HEADERS = [
    ("<14>Mar 11 09:14:07 PA-3220-DC1 ", "PA-3220-DC1"),
    ("Mar 11 09:14:07 192.0.2.10 ", "192.0.2.10"),
    ("<14>1 2024-03-11T09:14:07+01:00 PA-VM - - - - ", "PA-VM"),
    ("612 <14>1 2024-03-11T09:14:07+01:00 PA-VM - - - - ", "PA-VM"),       # octet count
    ("Mar 11 09:14:07 ", "013201004217"),                                  # no host: serial
    ("", "013201004217"),
]


@pytest.mark.parametrize(("header", "device"), HEADERS)
def test_header_forms_give_the_device(header: str, device: str) -> None:
    event = _one(header + traffic())
    assert event is not None and event.device == device
    assert event.time == datetime(2024, 3, 11, 9, 14, 6)                   # Generated Time


def test_device_falls_back_to_the_spec_name() -> None:
    assert _one(traffic(f2="")).device == "fw"


def test_header_time_when_the_generated_time_is_unreadable() -> None:
    line = "<14>1 2024-03-11T09:14:07+01:00 PA-VM - - - - " + traffic(f6="2024/02/30 09:14:06")
    assert _one(line).time == datetime(2024, 3, 11, 8, 14, 7)
    # A year-less header takes its year from the clock (not after it).
    line = "Mar 11 09:14:07 PA-VM " + traffic(f6="")
    assert _one(line).time == datetime(2026, 3, 11, 9, 14, 7)


@pytest.mark.parametrize(("text", "expected"), [
    ("2018/11/30 16:09:07", datetime(2018, 11, 30, 16, 9, 7)),
    ("9/16/19 10:00", datetime(2019, 9, 16, 10, 0)),
    ("9/16/2019 10:00:05", datetime(2019, 9, 16, 10, 0, 5)),
    ("2018/11/30 16:09:07.123456789", datetime(2018, 11, 30, 16, 9, 7, 123456)),
    ("2021-05-26T16:26:47.000000Z", datetime(2021, 5, 26, 16, 26, 47)),
    ("2021-11-23T00:44:44.930-08:00", datetime(2021, 11, 23, 8, 44, 44, 930000)),
    ("2021-11-23 00:44:44+0100", datetime(2021, 11, 22, 23, 44, 44)),
    ("2020/06/00 00:00:00", None),
    ("9999/12/31 23:59:59", None),
    ("0001-01-01T00:00:00+01:00", None),
    ("yesterday", None),
    ("", None),
])
def test_generated_time_formats(text: str, expected: datetime | None) -> None:
    assert generated_time(text) == expected


# -- what is not parsed -------------------------------------------------------------------------

@pytest.mark.parametrize("line", [
    "1,2024/03/11 09:30:00,013201004217,THREAT,url,2561,2024/03/11 09:30:00,10.1.1.1,10.2.2.2",
    "1,2024/03/11 09:30:00,013201004217,TRAFFIC,",
    "1,2024/03/11 09:30:00,013201004217,TRAFFIC,end,2561,2024/03/11 09:30:00,10.1.1.1,10.2.2.2",
    traffic(f29=""),                                                        # no protocol
    traffic(f11='"unterminated, rule'),
    traffic(f3="TRAFFICX"),
    "%ASA-4-106023: Deny tcp src inside:10.1.1.1/1 dst outside:10.2.2.2/2 by access-group x",
    "\x00\x01,\x02,\xff,TRAFFIC,",
    ",,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,",
    "x" * (MAX_LINE + 10) + "," + traffic(),
])
def test_malformed_and_foreign_lines_are_unparsed(line: str) -> None:
    parser = _parser()
    assert list(parser.parse([line])) == []
    assert (parser.stats.lines, parser.stats.unparsed) == (1, 1)


def test_recognises() -> None:
    assert PanOsLogParser.recognises("<14>Mar 11 09:14:07 PA-VM " + traffic())
    assert PanOsLogParser.recognises(traffic(f3="THREAT"))
    assert PanOsLogParser.recognises("Oct 30 09:46:42 " + traffic(f1="2021-05-26T16:27:07Z"))
    assert not PanOsLogParser.recognises(
        "Nov 24 2026 10:00:00 fw : %ASA-4-419002: Received duplicate TCP SYN from a:1/2 to b:3/4")
    fortigate = ('date=2024-03-11 time=09:14:06 logid="0000000013" type="traffic" '
                 'srcip=10.1.1.1 dstip=10.2.2.2 proto=17 action="deny"')
    assert not PanOsLogParser.recognises(fortigate)
    assert FortiGateLogParser.recognises(fortigate)
    assert not FortiGateLogParser.recognises(traffic())


def test_blank_runs_keep_line_numbers_and_are_not_counted() -> None:
    parser = _parser()
    events = list(parser.parse(["\n", traffic() + "\n", "\n\n\n\n", "  \n", traffic()], 1))
    assert [e.line for e in events] == [2, 8]          # the run of 4 is lines 3-6
    assert (parser.stats.lines, parser.stats.parsed, parser.stats.unparsed) == (2, 2, 0)


def test_parse_streams_from_an_endless_source() -> None:
    def endless() -> Iterator[str]:
        for n in itertools.count():
            yield traffic(f24=str(1024 + n % 60000))
    events = list(itertools.islice(_parser().parse(endless()), 3))
    assert [e.sport for e in events] == [1024, 1025, 1026]


def test_junk_never_raises(tmp_path: Path) -> None:
    junk = tmp_path / "junk.log"
    junk.write_bytes(bytes(range(256)) * 40 + b"\n" + b'",TRAFFIC,"' * 300 + b"\n"
                     + (traffic(f6="99/99/99 99:99").encode() + b"\n") * 2)
    parser = _parser()
    events = list(parser.parse_path(junk))
    assert parser.stats.lines == parser.stats.parsed + parser.stats.unparsed
    assert all(e.time is None for e in events)

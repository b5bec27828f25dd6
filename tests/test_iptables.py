"""iptables / nftables (kernel nf_log) parser: peer data read in place, prefixes, options, quirks.

The expected values for the peer-data lines below were written by reading each line (prefix ->
signal and message id, reply packets turned round; rules in `connectors/logs/iptables.py`'s
docstring), not by dumping the parser's output.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from auditor.cli import main
from auditor.errors import ConfigError
from connectors.base import SourceSpec
from connectors.logs.cisco_asa import AsaLogParser
from connectors.logs.iptables import MAX_LINE, IptablesLogParser
from connectors.logs.pfsense import PfSenseLogParser
from tests.conftest import PEER_DATA, need_shared

NOW = datetime(2026, 11, 24, 12, 0, 0)
A, OTH, NR = "acl-deny", "other", "no-route"

PEER_FILES = ["iptables/iptables.log", "iptables/wazuh-iptables-samples.log"]


def _t(month: int, day: int, hms: str, year: int = 2026) -> datetime:
    h, m, s = (int(x) for x in hms.split(":"))
    return datetime(year, month, day, h, m, s)


_WAZUH_DROP = ("DROP", A, "tcp", "192.168.1.102", 59534, "74.125.232.52", 443,
               _t(2, 4, "23:33:37"), "hostname")
_OPENWRT = ("DROP(src_wan)", A, "tcp", "205.205.205.205", 40952, "192.168.8.100", 23,
            _t(11, 18, "13:39:49"), "OpenWRT")

#: file -> {line: (message, signal, protocol, src, sport, dst, dport, time, device)}: every line
#: that must yield an event (all of them, in these files).
EXPECTED: dict[str, dict[int, tuple]] = {
    "iptables/iptables.log": {
        # `iptables DROP_INPUT: `: inbound SYNs from scanners, kept in printed order.
        1: ("DROP_INPUT", A, "tcp", "203.0.113.36", 17805, "172.16.54.114", 445,
            _t(1, 8, "03:37:09"), "example-host"),
        2: ("DROP_INPUT", A, "tcp", "198.51.100.198", 47091, "172.16.54.114", 1433,
            _t(1, 8, "03:37:57"), "example-host"),
        3: ("DROP_INPUT", A, "tcp", "203.0.113.201", 59319, "172.16.54.114", 445,
            _t(1, 8, "03:38:45"), "example-host"),
        4: ("DROP_INPUT", A, "tcp", "203.0.113.246", 44181, "172.16.54.114", 80,
            _t(1, 8, "03:39:25"), "example-host"),
        5: ("DROP_INPUT", A, "tcp", "203.0.113.208", 64358, "172.16.54.114", 445,
            _t(1, 8, "03:40:21"), "example-host"),
        6: ("DROP_INPUT", A, "tcp", "198.51.100.160", 58830, "172.16.54.114", 445,
            _t(1, 8, "03:40:25"), "example-host"),
        7: ("DROP_INPUT", A, "tcp", "198.51.100.115", 51985, "172.16.54.114", 445,
            _t(1, 8, "03:41:17"), "example-host"),
        8: ("DROP_INPUT", A, "tcp", "198.51.100.167", 4099, "172.16.54.114", 445,
            _t(1, 8, "03:41:23"), "example-host"),
        9: ("DROP_INPUT", A, "tcp", "198.51.100.19", 59287, "172.16.54.114", 139,
            _t(1, 8, "03:43:18"), "example-host"),
        # a MAC with trailing junk bytes
        10: ("DROP_INPUT", A, "tcp", "198.51.100.68", 53296, "172.16.54.114", 8088,
             _t(1, 8, "03:43:42"), "example-host"),
        # no `kernel:`; EdgeOS-style `[SOMETHING-1234-A]`: the A is accept
        11: ("SOMETHING-1234-A", OTH, "udp", "10.251.1.1", 9000, "10.251.1.1", 9000,
             _t(6, 28, "04:35:30"), "Abc-A1"),
        12: ("SOMETHING-1234-A", OTH, "icmp", "10.251.1.1", None, "10.251.1.1", None,
             _t(6, 28, "04:30:32"), "Abc-A1"),
    },
    "iptables/wazuh-iptables-samples.log": {
        # ACK RST between two ephemeral ports: nothing says who opened it, printed order
        1: ("FIREWALL_OUT", OTH, "tcp", "192.168.6.57", 46388, "216.161.248.225", 37628,
            _t(2, 4, "23:33:37"), "hostname"),
        2: ("IPTABLE", OTH, "udp", "10.4.11.40", 49320, "255.255.255.255", 2222,
            _t(2, 4, "23:33:37"), "hostname"),
        3: ("SFW2-INext-DROP-DEFLT", A, "icmp", "1.2.3.36", None, "1.2.3.194", None,
            _t(8, 17, "10:03:37"), "myhostname"),
        # no prefix at all, only the uptime; ACK to port 22: the client is first
        4: ("nf_log", OTH, "tcp", "192.168.2.11", 43068, "192.168.2.11", 22,
            _t(8, 17, "10:03:37"), "myhostname"),
        **{n: _WAZUH_DROP for n in range(5, 24)},
        **{n: _OPENWRT for n in range(24, 42)},
        # a DNS answer (from port 53 to 36427) blocked: turned round to the asker
        42: ("UFW_BLOCK", A, "udp", "191.192.193.194", 36427, "254.253.252.251", 53,
             _t(2, 4, "23:33:37"), "hostname"),
        # December read against a November 2026 clock: last year
        43: ("UFW_BLOCK", A, "tcp", "254.253.252.251", 17833, "191.192.193.194", 22,
             _t(12, 26, "09:05:47", 2025), "server01"),
    },
}


def _parser(**options: object) -> IptablesLogParser:
    return IptablesLogParser(SourceSpec("fw", "iptables", options=options), clock=NOW)


def _parse_peer(name: str) -> tuple[IptablesLogParser, dict[int, object]]:
    path = need_shared(PEER_DATA / name)
    parser = _parser()
    return parser, {e.line: e for e in parser.parse_path(path)}


def _one(line: str, parser: IptablesLogParser | None = None):
    events = list((parser or _parser()).parse([line]))
    return events[0] if events else None


def test_every_peer_file_is_covered() -> None:
    folder = need_shared(PEER_DATA / "iptables")
    on_disk = sorted(f"iptables/{p.name}" for p in folder.iterdir() if p.is_file())
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


def test_peer_lines_are_recognised_as_iptables_only() -> None:
    for name in PEER_FILES:
        for line in need_shared(PEER_DATA / name).read_text().splitlines():
            assert IptablesLogParser.recognises(line), line
            assert not PfSenseLogParser.recognises(line), line
            assert not AsaLogParser.recognises(line), line


PACKET = ("IN=eth1 OUT=eth2 MAC=52:54:00:12:34:56:52:54:00:65:43:21:08:00 SRC=10.30.1.10 "
          "DST=10.99.3.4 LEN=78 TOS=0x00 PREC=0x00 TTL=63 ID=7 PROTO=UDP SPT=50001 DPT=161 "
          "LEN=58 ")


@pytest.mark.parametrize(("head", "time", "device", "message"), [
    ("Nov 24 10:00:01 fw-edge kernel: [1000.000001] DROP: ", _t(11, 24, "10:00:01"),
     "fw-edge", "DROP"),
    ("<4>Nov 24 10:00:01 fw-edge kernel: DROP: ", _t(11, 24, "10:00:01"), "fw-edge", "DROP"),
    ("2026-11-24T11:00:01+01:00 fw-edge kernel: [  12.5] DROP: ", _t(11, 24, "10:00:01"),
     "fw-edge", "DROP"),
    ("<4>1 2026-11-24T10:00:01Z fw-edge kernel - - - [12.5] DROP: ", _t(11, 24, "10:00:01"),
     "fw-edge", "DROP"),
    ("Nov 24 10:00:01 fw-edge user.warning kernel: DROP: ", _t(11, 24, "10:00:01"), "fw-edge",
     "DROP"),
    ("Nov 24 10:00:01 fw-edge [WAN_IN-10-D]", _t(11, 24, "10:00:01"), "fw-edge",
     "WAN_IN-10-D"),
    ("Nov 24 10:00:01 fw-edge kernel: ", _t(11, 24, "10:00:01"), "fw-edge", "nf_log"),
    ("", None, "fw", "nf_log"),
])
def test_header_forms(head: str, time: datetime | None, device: str, message: str) -> None:
    event = _one(head + PACKET)
    assert event is not None
    assert (event.time, event.device, event.message) == (time, device, message)
    assert (event.protocol, event.src, event.sport, event.dst, event.dport) == (
        "udp", "10.30.1.10", 50001, "10.99.3.4", 161)


@pytest.mark.parametrize(("prefix", "message", "signal"), [
    ("iptables DROP_INPUT: ", "DROP_INPUT", A),
    ("[UFW BLOCK] ", "UFW_BLOCK", A),
    ("[UFW ALLOW] ", "UFW_ALLOW", OTH),
    ("FINAL_REJECT: ", "FINAL_REJECT", A),
    ("IPTables-Dropped: ", "IPTables-Dropped", A),
    ("Firewall: *TCP_IN Blocked* ", "Firewall:_*TCP_IN_Blocked*", A),
    ("DENIED ", "DENIED", A),
    ("nft accept-drop-later: ", "nft_accept-drop-later", OTH),   # an accept text wins
    ("LOG-NEW ", "LOG-NEW", OTH),
    ("[lan-wan-default-d]", "lan-wan-default-d", A),
    ("[lan-wan-20-R]", "lan-wan-20-R", A),
    ("[lan-wan-20-A]", "lan-wan-20-A", OTH),
])
def test_default_prefix_rules(prefix: str, message: str, signal: str) -> None:
    event = _one("Nov 24 10:00:01 fw kernel: " + prefix + PACKET)
    assert event is not None and (event.message, str(event.signal)) == (message, signal)


def test_prefix_options_replace_the_defaults() -> None:
    parser = _parser(drop_prefixes=["fw-x", "Kill"], accept_prefixes=["fw-x-ok"])
    lines = [f"Nov 24 10:00:01 fw kernel: {p}: " + PACKET
             for p in ("FW-X-IN", "kill_all", "DROP", "fw-x-ok")]
    assert [str(e.signal) for e in parser.parse(lines)] == [A, A, OTH, OTH]
    assert str(_one("Nov 24 10:00:01 fw kernel: DROP: " + PACKET,
                    _parser(drop_prefixes=[])).signal) == OTH


@pytest.mark.parametrize("value", ["DROP", 1, ["DROP", 2], ["DROP", " "], {"a": "DROP"}])
def test_prefix_option_values_are_checked(value: object) -> None:
    with pytest.raises(ConfigError, match="key 'drop_prefixes': must be a list of non-empty"):
        _parser(drop_prefixes=value)


CONFIG = """
[audit]
name = "t"

[[sources]]
name = "tool"
type = "csv"
path = "targets.csv"

[[logs]]
name = "fw"
type = "iptables"
path = "fw.log"
{line}
"""


def _config(tmp_path: Path, line: str) -> Path:
    (tmp_path / "targets.csv").write_text("address\n10.99.3.4\n")
    (tmp_path / "fw.log").write_text("Nov 24 10:00:01 fw kernel: DROP: " + PACKET + "\n")
    path = tmp_path / "audit.toml"
    path.write_text(CONFIG.format(line=line))
    return path


@pytest.mark.parametrize(("line", "expected"), [
    ('drop_prefix = ["DROP"]', "key 'drop_prefix': unknown key; did you mean 'drop_prefixes'?"),
    ('accept_prefix = ["OK"]', "key 'accept_prefix': unknown key; did you mean "
                               "'accept_prefixes'?"),
    ('drop_prefixes = "DROP"', "key 'drop_prefixes': must be a list of non-empty strings, e.g. "
                               'drop_prefixes = ["DROP", "REJECT"], not str \'DROP\''),
    ("accept_prefixes = 3", "key 'accept_prefixes': must be a list"),
])
def test_prefix_option_mistakes_are_config_errors_exit_2(tmp_path: Path, capsys, line: str,
                                                         expected: str) -> None:
    assert main(["sources", "-c", str(_config(tmp_path, line))]) == 2
    err = capsys.readouterr().err
    assert err.startswith("stale-audit: error: ") and "[[logs]] 'fw'" in err
    assert expected in err


def test_prefix_option_list_is_accepted_through_the_config(tmp_path: Path, capsys) -> None:
    assert main(["sources", "-c", str(_config(tmp_path, 'drop_prefixes = ["DROP"]'))]) == 0


def test_icmp_error_names_the_probe_it_answers() -> None:
    line = ("Nov 24 10:10:02 fw kernel: LOG_ICMP: IN=eth2 OUT= SRC=10.20.0.1 DST=10.30.1.10 "
            "LEN=106 TOS=0x00 PREC=0xC0 TTL=254 ID=7 PROTO=ICMP TYPE=3 CODE={code} [SRC=10.30.1.10 "
            "DST=10.251.9.14 LEN=78 TOS=0x00 PREC=0x00 TTL=62 ID=2 PROTO=UDP SPT=50002 DPT=161 "
            "LEN=58 ] ")
    signals = {code: str(_one(line.format(code=code)).signal) for code in (0, 1, 3, 4, 13)}
    assert signals == {0: NR, 1: NR, 3: OTH, 4: OTH, 13: A}
    event = _one(line.format(code=1))
    assert (event.protocol, event.src, event.sport, event.dst, event.dport) == (
        "udp", "10.30.1.10", 50002, "10.251.9.14", 161)
    v6 = ("Nov 24 10:10:02 fw kernel: LOG_ICMP: IN=eth2 OUT= SRC=2001:0db8:0020:0000:0000:0000:"
          "0000:0001 DST=2001:0db8:0030:0001:0000:0000:0000:0010 LEN=126 TC=0 HOPLIMIT=63 "
          "FLOWLBL=0 PROTO=ICMPv6 TYPE=1 CODE=3 [SRC=2001:0db8:0030:0001:0000:0000:0000:0010 "
          "DST=2001:0db8:0099:0003:0000:0000:0000:0004 LEN=78 TC=0 HOPLIMIT=63 FLOWLBL=0 "
          "PROTO=UDP SPT=50010 DPT=161 LEN=38 ] ")
    event = _one(v6)
    assert (str(event.signal), event.protocol, event.src, event.dst, event.dport) == (
        NR, "udp", "2001:db8:30:1::10", "2001:db8:99:3::4", 161)


@pytest.mark.parametrize(("flags", "ports", "src"), [
    ("SYN", (53, 40000), "203.0.113.50"),        # a SYN opens, whatever its source port
    ("ACK SYN", (6711, 51000), "10.30.1.10"),    # a SYN+ACK answers, whatever the ports
    ("ACK", (161, 50003), "10.30.1.10"),         # otherwise ports: from 161 is the answer
    ("ACK PSH", (50003, 6711), "203.0.113.50"),  # nothing tells: printed order
])
def test_tcp_replies_are_turned_round(flags: str, ports: tuple[int, int], src: str) -> None:
    event = _one(f"Nov 24 10:00:01 fw kernel: DROP: IN=eth0 OUT= SRC=203.0.113.50 "
                 f"DST=10.30.1.10 LEN=40 TOS=0x00 PREC=0x00 TTL=50 ID=1 PROTO=TCP "
                 f"SPT={ports[0]} DPT={ports[1]} WINDOW=1024 RES=0x00 {flags} URGP=0 ")
    assert event.src == src


def test_long_and_blank_lines() -> None:
    parser = _parser()
    good = "Nov 24 10:00:01 fw kernel: DROP: " + PACKET
    events = list(parser.parse([good, "\n\n\n", "x" * (MAX_LINE + 1) + " IN=a OUT= SRC=", good]))
    assert [e.line for e in events] == [1, 6]   # the blank item stood for three lines
    assert (parser.stats.lines, parser.stats.parsed, parser.stats.unparsed) == (3, 2, 1)

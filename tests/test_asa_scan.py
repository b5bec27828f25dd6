"""The C scanner of the ASA fold (`connectors/logs/_asa_scan.c`) changes nothing but speed.

Every corpus is read for the fold twice, by `AsaLogParser.parse_block` with the scanner and
with it switched off (every line in Python), and the two must agree on everything the fold
sees: the events in order, the deferred Teardowns, the counts, and the open pairs in order.
The corpora: the realistic generator's traffic, this repository's ASA fixtures, the peer
projects' real ASA/FTD lines (read in place), and lines written to sit on every edge the
scanner decides at (header forms, odd characters, templates a little off the plain shape,
held addresses, pairs across devices, eviction).
"""

from __future__ import annotations

import gzip
from collections.abc import Collection
from datetime import datetime
from pathlib import Path

import pytest

from auditor.traffic import MAX_FLOWS, TrafficIndex
from benchmarks.asa_traffic import write_log
from connectors.base import SourceSpec
from connectors.logs import cisco_asa
from connectors.logs.cisco_asa import AsaLogParser
from connectors.logs.syslog_header import ZONES, SyslogHeader

scan = pytest.importorskip("connectors.logs._asa_scan",
                           reason="the C scanner is not built (no C compiler at install)")

AS_OF = datetime(2026, 11, 25, 12, 0)
FIXTURES = Path(__file__).parent / "fixtures" / "cisco-asa"
PEERS = Path(__file__).resolve().parents[2] / "shared" / "peer-data"

BUILT = "%ASA-6-302013: Built {d} TCP connection {c} for {a} ({m}) to {b} ({n})"
TEAR = "%ASA-6-302014: Teardown TCP connection {c} for {a} to {b} duration 0:00:{s:02d} bytes {y}"

#: Lines on the scanner's edges: each is read by C or handed to Python, and must come out
#: the same either way.
EDGES = [
    # header forms, one connection each (Built by one device, torn down by the same)
    "Nov 24 2026 10:00:00: " + BUILT.format(d="outbound", c=1, a="fab:10.9.0.1/443",
                                            m="10.9.0.1/443", b="dc:10.20.0.5/50001",
                                            n="198.51.100.7/50001"),
    "Nov 24 2026 10:00:01: " + TEAR.format(c=1, a="fab:10.9.0.1/443", b="dc:10.20.0.5/50001",
                                           s=1, y=900) + " TCP FINs",
    "<166>2026-11-24T10:00:02.123456+01:00 fw-core asa : " + BUILT.format(
        d="inbound", c=2, a="outside:10.9.0.2/161", m="10.9.0.2/161", b="dc:10.20.0.6/50002",
        n="10.20.0.6/50002"),
    "<166>2026-11-24T10:00:03Z fw-core asa : " + TEAR.format(
        c=2, a="outside:10.9.0.2/161", b="dc:10.20.0.6/50002", s=3, y=0) + " SYN Timeout",
    "Nov 24 10:00:04 fw-edge-01 : " + BUILT.format(d="outbound", c=3, a="cafe:10.9.0.3/22",
                                                   m="10.9.0.3/22", b="a:10.20.0.7/50003",
                                                   n="10.20.0.7/50003"),
    "Nov 24 10:00:05 fw-edge-02 : " + TEAR.format(c=3, a="cafe:10.9.0.3/22",
                                                  b="a:10.20.0.7/50003", s=5, y=10),
    "Nov 24 10:00:06 fw-edge-01 : " + TEAR.format(c=3, a="cafe:10.9.0.3/22",
                                                  b="a:10.20.0.7/50003", s=6, y=10),
    "Nov 24 2026 10:00:07 EDT: " + BUILT.format(d="outbound", c=4, a="fab:10.9.0.4/53",
                                                m="10.9.0.4/53", b="dc:10.20.0.8/50004",
                                                n="10.20.0.8/50004"),
    "Nov  4 2026 10:00:08 12:00:00 : " + TEAR.format(c=4, a="fab:10.9.0.4/53",
                                                     b="dc:10.20.0.8/50004", s=8, y=1),
    "<13>Nov 24 10:00:09 relay-1 Nov 24 2026 10:00:09 asa-7 : " + BUILT.format(
        d="outbound", c=5, a="fab:10.9.0.5/443", m="10.9.0.5/443", b="dc:10.20.0.9/50005",
        n="10.20.0.9/50005"),
    "<13>Nov 24 10:00:10 relay-1 Nov 24 2026 10:00:10 asa-7 : " + TEAR.format(
        c=5, a="fab:10.9.0.5/443", b="dc:10.20.0.9/50005", s=10, y=5),
    "2026-11-24 10:00:11 fw9 %ASA-6-302015: Built outbound UDP connection 6 for "
    "fab:10.9.0.6/161 (10.9.0.6/161) to dc:10.20.0.10/50006 (10.20.0.10/50006)",
    "Nov 24 10:00:12 fw9 %ASA-6-302016: Teardown UDP connection 6 for fab:10.9.0.6/161 to "
    "dc:10.20.0.10/50006 duration 0:02:01 bytes 0",
    # templates a little off the plain shape: Python reads them
    "Nov 24 2026 10:01:00: %ASA-6-302013: Built outbound TCP connection 7 for "
    "NP Identity Ifc:10.9.0.7/443 (10.9.0.7/443) to dc:10.20.0.11/50007 (10.20.0.11/50007)",
    "Nov 24 2026 10:01:01: %ASA-6-302014: Teardown TCP connection 7 for "
    "NP Identity Ifc:10.9.0.7/443 to dc:10.20.0.11/50007 duration 0:00:01 bytes 77 TCP FINs",
    "Nov 24 2026 10:01:02: %ASA-6-302013: Built outbound TCP connection 8 for "
    "fab:10.9.0.8/443 (10.9.0.8/443) (LOCAL\\jane) to dc:10.20.0.12/50008 (10.20.0.12/50008)",
    "Nov 24 2026 10:01:03: %ASA-6-302014: Teardown TCP connection 8 for fab:10.9.0.8/443 "
    "to dc:10.20.0.12/50008(LOCAL\\jane) duration 0:00:01 bytes 77 TCP FINs",
    "Nov 24 2026 10:01:04: %ASA-6-302013: Built outbound TCP connection 9 for "
    "fab:2001:db8::9/443 (2001:db8::9/443) to dc:10.20.0.13/50009 (10.20.0.13/50009)",
    "Nov 24 2026 10:01:05: %ASA-6-302014: Teardown TCP connection 9 for fab:2001:db8::9/443 "
    "to dc:10.20.0.13/50009 duration 0:00:01 bytes 77 TCP FINs",
    "Nov 24 2026 10:01:06: %ASA-6-302014: Teardown TCP connection 10 for fab:010.9.0.10/443 "
    "to dc:10.20.0.14/50010 duration 0:00:01 bytes 77 TCP FINs",
    "Nov 24 2026 10:01:07: %ASA-6-302013: Built outbound TCP connection 11 for fab:10.9.0.11",
    "Nov 24 2026 10:01:08: %ASA-6-302014: Teardown TCP connection 11 for fab:10.9.0.11/443 "
    "to dc:10.20.0.15/50011 duration 0:00:01 bytes",
    "Nov 24 2026 10:01:09: %ASA-6-3020130: Built outbound TCP connection 12 for "
    "fab:10.9.0.12/443 (10.9.0.12/443) to dc:10.20.0.16/50012 (10.20.0.16/50012)",
    "Nov 24 2026 10:01:10: %ASA-session-6-302013: Built outbound TCP connection 13 for "
    "fab:10.9.0.13/443 (10.9.0.13/443) to dc:10.20.0.17/50013 (10.20.0.17/50013)",
    "Nov 24 2026 10:01:11: %ASA-session-6-302014: Teardown TCP connection 13 for "
    "fab:10.9.0.13/443 to dc:10.20.0.17/50013 duration 0:00:01 bytes 0   SYN Timeout",
    "Nov 24 2026 10:01:12: ASA-6-302013: Built outbound TCP connection 14 for "
    "fab:10.9.0.14/443 (10.9.0.14/443) to dc:10.20.0.18/50014 (10.20.0.18/50014)",
    "6|Nov 24 2026 10:01:13|302014: Teardown TCP connection 14 for fab:10.9.0.14/443 to "
    "dc:10.20.0.18/50014 duration 0:00:01 bytes 5 TCP FINs",
    "Nov 24 2026 10:01:14: %ASA-6-302014: message repeated 2 times: [ Teardown TCP "
    "connection 15 for fab:10.9.0.15/443 to dc:10.20.0.19/50015 duration 0:00:01 bytes 5]",
    "Nov 24 2026 10:01:15: %ASA-6-305011: Built dynamic TCP translation from "
    "dc:10.20.0.20/50016 to outside:198.51.100.7/50016",
    "Nov 24 2026 10:01:16: %ASA-6-305012: Teardown dynamic UDP translation from "
    "dc:10.20.0.21/50017 to outside:198.51.100.7/50017 duration 0:00:30",
    "Nov 24 2026 10:01:17: %ASA-6-305012: Teardown dynamic " + "X" * 40 + " translation from",
    "Nov 24 2026 10:01:18: %ASA-5-111008: User 'netops' executed the 'show conn' command.",
    # answered traffic whose protocol word or address build_flow refuses: unparsed
    "Nov 24 2026 10:01:18: %ASA-6-302014: Teardown " + "X" * 40 + " connection 17 for "
    "fab:10.9.0.5/443 to dc:10.20.0.13/50017 duration 0:00:01 bytes 77 TCP FINs",
    "Nov 24 2026 10:01:18: %ASA-6-302014: Teardown TCP connection 18 for fab:" + "a" * 300
    + "/443 to dc:10.20.0.13/50018 duration 0:00:01 bytes 77 TCP FINs",
    "Nov 24 2026 10:01:18: %ASA-6-302014: Teardown TCP connection 19 for fab:2001:db8::19/443 "
    "to dc:10.20.0.5/50019 duration 0:00:01 bytes 77 TCP FINs",
    "Nov 24 2026 10:01:19: %ASA-4-106023: Deny udp src dc:10.20.0.22/50018 dst "
    "fab:10.99.1.1/161 by access-group \"in\" [0x0, 0x0]",
    "Nov 24 2026 10:01:20: %ASA-4-419002: Received duplicate TCP SYN from "
    "dc:10.20.0.23/50019 to fab:10.99.1.2/22 with different initial sequence number.",
    # characters: Python's line breaks and non-ASCII go to Python; blank lines are numbered
    "Nov 24 2026 10:02:00: " + BUILT.format(d="outbound", c=16, a="fab:10.9.0.16/443",
                                            m="10.9.0.16/443", b="dc:10.20.0.24/50020",
                                            n="10.20.0.24/50020") + "\r",
    "Nov 24 2026 10:02:01: %ASA-6-302014: Teardown TCP connection 16 for fab:10.9.0.16/443\r"
    "to dc:10.20.0.24/50020 duration 0:00:01 bytes 5",
    "Nov 24 2026 10:02:02: " + TEAR.format(c=16, a="fab:10.9.0.16/443",
                                           b="dc:10.20.0.24/50020", s=2, y=5) + " caf\u00e9",
    "Nov 24 2026 10:02:03: " + TEAR.format(c=17, a="fab:10.9.0.17/443",
                                           b="dc:10.20.0.25/50021", s=3, y=5) + "\x1c",
    "",
    "   \t",
    "\x1f",
    "Nov 24 2026 10:02:04: %ASA-6-302013: " + "x" * 17000,
    "no tag at all, just words",
]


def _snapshot(traffic: TrafficIndex) -> tuple[object, ...]:
    flows = {k: (t.count, t.first, t.last, t.signals, t.messages, list(t.sports), t.hours)
             for k, t in traffic.drop_flows()}
    answered = {d: (t.count, t.first, t.last, t.signals, t.messages)
                for d, t in traffic.by_dst.items()}
    return (list(flows.items()), answered, dict(traffic.hourly),
            dict(traffic.hourly_messages), traffic.folded)


def _read(lines: str, held: Collection[str] | None, *, scanner: bool,
          monkeypatch: pytest.MonkeyPatch, pair_limit: int = cisco_asa.PAIR_LIMIT,
          blocks: int = 1, max_flows: int = MAX_FLOWS,
          raw: bool = False) -> tuple[tuple[object, ...], int]:
    """What the fold makes of `lines` read in `blocks` parts, with or without the scanner,
    and how many lines Python read. `raw`: the parts are given as UTF-8 bytes
    (`fold_bytes`, as a worker reads a file's range)."""
    with monkeypatch.context() as patch:
        if not scanner:
            patch.setattr(cisco_asa, "_asa_scan", None)
        calls = 0
        line_event = AsaLogParser._line

        def counted(self: AsaLogParser, *args: object) -> object:
            nonlocal calls
            calls += 1
            return line_event(self, *args)  # type: ignore[arg-type]

        patch.setattr(AsaLogParser, "_line", counted)
        parser = AsaLogParser(SourceSpec("fw", "cisco-asa"), clock=AS_OF, pair_limit=pair_limit)
        parser.evidence_only = parser.defer_unpaired = True
        parser.answered_for = held
        traffic = TrafficIndex(held, max_flows=max_flows)
        whole: str | bytes = lines.encode("utf-8", "surrogatepass") if raw else lines
        cut = [0]
        size = len(whole) // blocks
        for _ in range(blocks - 1):
            at = (whole.find(b"\n", cut[-1] + size) if isinstance(whole, bytes)
                  else whole.find("\n", cut[-1] + size))
            cut.append(len(whole) if at < 0 else at + 1)
        cut.append(len(whole))
        for begin, end in zip(cut, cut[1:], strict=False):
            part = whole[begin:end]
            if isinstance(part, bytes):
                parser.fold_bytes(part, traffic, first=begin == 0)
            else:
                parser.fold_block(part, traffic)
    stats = parser.stats
    return (_snapshot(traffic), parser.deferred, list(parser.open_pairs()["conns"].items()),
            stats.lines, stats.parsed, stats.unparsed, dict(stats.by_message)), calls


def _both(lines: str, held: Collection[str] | None, monkeypatch: pytest.MonkeyPatch,
          **options: int) -> tuple[int, int]:
    """Scanner and Python agree on `lines`, given as text and as bytes."""
    fast, in_python = _read(lines, held, scanner=True, monkeypatch=monkeypatch, **options)
    slow, every = _read(lines, held, scanner=False, monkeypatch=monkeypatch, **options)
    assert fast == slow
    fast, in_python_raw = _read(lines, held, scanner=True, monkeypatch=monkeypatch, raw=True,
                                **options)
    slow, _ = _read(lines, held, scanner=False, monkeypatch=monkeypatch, raw=True, **options)
    assert fast == slow
    # bytes: Python gets only the odd lines (text that is not one byte a character went
    # to Python whole)
    assert in_python_raw <= in_python
    return in_python, every


@pytest.fixture(scope="module")
def traffic(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("scan") / "fw.log"
    write_log(path, 20_000, seed=11)
    return path.read_text()


def _held_of(text: str) -> set[str]:
    held = set()
    for line in text.splitlines()[::40]:
        if " for " in line and ":" in line.split(" for ")[1]:
            held.add(line.split(" for ")[1].split(":")[1].split("/")[0])
    return held


@pytest.mark.parametrize("held", ["none", "empty", "some"])
def test_generated_traffic_reads_the_same_and_mostly_in_c(
        traffic: str, held: str, monkeypatch: pytest.MonkeyPatch) -> None:
    chosen = {"none": None, "empty": (), "some": _held_of(traffic)}[held]
    in_python, every = _both(traffic, chosen, monkeypatch, blocks=3)
    assert every >= 19_000   # without the scanner, Python reads every line
    if held != "none":
        # Built/Teardown bookkeeping, NAT and unhandled ids are the scanner's: Python is
        # left the drops, the evidence Teardowns and the 106100s.
        assert in_python < every * 0.3, (in_python, every)


@pytest.mark.parametrize("held", [None, (), {"10.20.0.5", "10.9.0.5", "10.20.0.13"}])
def test_edge_lines_read_the_same(held: Collection[str] | None,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    text = "\n".join(EDGES) + "\n"
    in_python, every = _both(text, held, monkeypatch)
    assert in_python < every
    fast, _ = _read(text, held, scanner=True, monkeypatch=monkeypatch)
    folded, deferred, pairs, lines, parsed, unparsed, by_message = fast  # type: ignore[misc]
    # the same connection id on two devices: fw-edge-02's Teardown found no Built
    assert ("fw-edge-01", "3") not in dict(pairs) and by_message["302014"] >= 8
    flows = dict(folded[0])  # type: ignore[index]
    deny = flows[("10.20.0.22", "10.99.1.1", "udp", 161)]
    assert deny[0] == 1 and deny[1] == datetime(2026, 11, 24, 10, 1, 19)
    assert flows[("10.20.0.23", "10.99.1.2", "tcp", 22)][3] == {"syn-retransmit": 1}


def test_the_flow_cap_folds_the_same(traffic: str, monkeypatch: pytest.MonkeyPatch) -> None:
    _both(traffic, _held_of(traffic), monkeypatch, max_flows=300, blocks=2)


def test_pairs_evicted_in_the_same_order(traffic: str, monkeypatch: pytest.MonkeyPatch) -> None:
    _both(traffic, _held_of(traffic), monkeypatch, pair_limit=50, blocks=2)


def test_pairs_across_blocks_are_deferred_the_same(traffic: str,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    _both(traffic, _held_of(traffic), monkeypatch, blocks=40)


def test_fixtures_read_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    for path in sorted(FIXTURES.glob("*.log*")):
        raw = path.read_bytes()
        text = (gzip.decompress(raw) if path.name.endswith(".gz") else raw).decode(
            "utf-8", "replace")
        for held in (None, (), _held_of(text)):
            _both(text, held, monkeypatch)


def test_peer_lines_read_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    folders = [PEERS / "cisco_asa", PEERS / "cisco_ftd"]
    if not all(f.is_dir() for f in folders):
        pytest.skip(f"peer data not found at {PEERS} (../shared absent)")
    files = [p for f in folders for p in sorted(f.rglob("*")) if p.is_file()]
    assert files
    for path in files:
        text = path.read_bytes().decode("utf-8", "replace")
        for held in (None, _held_of(text)):
            _both(text, held, monkeypatch)


HEADERS = [
    "", "Nov 24 2026 10:00:00: ", "Nov 24 10:00:00 fw-edge-01 : ", "<166>Nov  4 10:00:00 fw1: ",
    "<166>2026-11-24T00:00:00Z fw-core asa : ", "2026-11-24T10:00:00.5+05:30 fw2 ",
    "Nov 24 2026 10:00:00 EDT: ", "<13>Nov 24 10:00:00 relay Nov 24 2026 10:00:00 asa-7 : ",
    "Nov 24 10:00:00 10.1.2.3 : ", "Nov 24 10:00:00 12:00:00 : ", "Dec 31 23:59:59 Nov : ",
    "Nov 24 2026 10:00:00 Nov 24 10:00:01 x : ", "Feb 29 10:00:00 fw3 : ",
    "Nov 24 10:00:00.123 fw4 : ", "nov 24 10:00:00 fw5 : ", "Nov 24 10:00:00: fw6 : ",
    "<190>1 2026-11-24T10:00:00Z fw7 - - - - ", "Local4.Warning Nov 24 10:00:00 fw8 : ",
]


@pytest.mark.parametrize("header", HEADERS)
def test_a_header_shape_names_the_same_device(header: str) -> None:
    shape = scan.header_key(header)
    assert shape is not None and len(shape) == len(header)
    real = SyslogHeader(AS_OF, "default").read(header)[1]
    assert SyslogHeader(AS_OF, "default").read(shape)[1] == real


STAMPS = ["Nov 24 2026 10:00:00", "Nov 24 10:00:00", "Nov  4 10:00:00", "Feb 29 10:00:00",
          "Feb 29 2027 10:00:00", "Nov 31 10:00:00", "Dec 31 23:59:59", "Nov 26 00:00:00",
          "Nov 26 12:00:01", "Jan 00 10:00:00", "Nov 24 25:00:00", "Nov 24 0000 10:00:00",
          "2026-11-24T10:00:00Z", "2026-11-24T10:00:00", "2026-11-24T00:30:00+01:00",
          "2026-11-24T23:30:00.5-05:00", "2026-02-30T10:00:00Z", "0001-01-01T00:30:00+01:00",
          "9999-12-31T23:30:00-01:00", "2026-11-24T10:00:00.1234567Z", "2026-11-24T24:00:00Z"]
AFTER = ["", ":", ": ", " ", " fw-1 : ", " fw-1: ", " fw-core asa : ", " UTC: ", " utc ",
         " EDT fw1 : ", " 10.1.2.3 : ", " Nov 24 10:00:00 x : ", " fw2 Nov 24 10:00:01 : ",
         " fw3 nov : ", " fw4 [x] : ", " local4.info fw5 : "]


@pytest.mark.parametrize("pri", ["", "<166>", "<13>"])
def test_a_header_time_told_in_c_is_the_readers(pri: str) -> None:
    reader = SyslogHeader(AS_OF, "fw")
    scanner = scan.Scanner(scan.PairTable(), {}, None, [], 10, 10, add=print,
                           read_header=reader.read, signals=(1, 2, 3, 4),
                           latest=reader.year_limit(), zones=ZONES)
    told_any = 0
    for stamp in STAMPS:
        for after in AFTER:
            header = pri + stamp + after
            told, when = scanner.header_time(header)
            if told:
                told_any += 1
                assert when == SyslogHeader(AS_OF, "fw").read(header)[0], header
    assert told_any > 100


ODD = ["\r", "\v", "\f", "\x1c", "\x1d", "\x1e", "\u00e9", "\u2028", "\x85"]


@pytest.mark.parametrize("odd", ODD)
def test_an_odd_character_is_found_wherever_it_stands(odd: str,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """The scanner looks for odd characters 16 or 32 bytes at a time: one at every offset
    of a vector, and past the last whole one, sends its line to Python all the same."""
    lines = []
    for cut in range(0, 90, 3):
        line = "Nov 24 2026 10:00:00: " + BUILT.format(
            d="outbound", c=cut, a="fab:10.9.0.1/443", m="10.9.0.1/443",
            b=f"dc:10.20.0.{cut}/50001", n="198.51.100.7/50001")
        lines.append(line[:cut] + odd + line[cut:])
        lines.append("Nov 24 2026 10:00:01: " + TEAR.format(
            c=cut, a="fab:10.9.0.1/443", b=f"dc:10.20.0.{cut}/50001", s=1, y=0) + " SYN Timeout")
    in_python, every = _both("\n".join(lines) + "\n", (), monkeypatch)
    assert every >= len(lines) and in_python >= len(lines) // 2


def test_a_bom_is_dropped_from_the_first_block_only(monkeypatch: pytest.MonkeyPatch) -> None:
    text = "\ufeff" + "\n".join(EDGES[:13]) + "\n"
    _both(text, None, monkeypatch, blocks=3)
    folded, *_ = _read(text, None, scanner=True, monkeypatch=monkeypatch, raw=True)
    plain, *_ = _read(text[1:], None, scanner=True, monkeypatch=monkeypatch, raw=True)
    assert folded == plain


def test_devices_that_differ_only_in_digits_keep_their_own_pairs(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A header's device is remembered by its shape, where a timestamp's digits may be any:
    two devices whose names differ only in a digit are never taken for one."""
    lines = []
    for second in range(40):
        device = f"fw-edge-0{second % 3 + 1}"
        stamp = f"Nov 24 {10 + second % 2}:00:{second:02d}"
        lines.append(f"{stamp} {device} : " + BUILT.format(
            d="outbound" if second % 3 else "inbound", c=second // 3, a="fab:10.9.0.1/443",
            m="10.9.0.1/443", b="dc:10.20.0.5/50001", n="10.20.0.5/50001"))
    result, _ = _read("\n".join(lines) + "\n", None, scanner=True, monkeypatch=monkeypatch,
                      raw=True)
    pairs = dict(result[2])  # type: ignore[call-overload]
    assert len(pairs) == 40
    assert pairs[("fw-edge-01", "0")] is False and pairs[("fw-edge-02", "0")] is True
    _both("\n".join(lines) + "\n", None, monkeypatch)


def test_the_pair_table_is_an_ordered_dict() -> None:
    """The C pairing table against an OrderedDict, under random Builts, Teardowns and
    evictions: long ids (kept on the heap), non-ASCII ids, many devices, regrowth."""
    import random
    from collections import OrderedDict

    rng = random.Random(7)
    table, model = scan.PairTable(), OrderedDict()
    devices = ["fw-1", "fw-2", "fw-\u00e9", ""]
    for step in range(60_000):
        key = (rng.choice(devices), str(rng.randrange(3000)) + ("x" * 30 if step % 97 == 0
                                                                else ""))
        op = rng.random()
        if op < 0.5:
            table[key] = model[key] = rng.random() < 0.5
        elif op < 0.9:
            assert table.pop(key, None) == model.pop(key, None)
        elif op < 0.93 and model:
            assert table.popitem(last=False) == model.popitem(last=False)
        elif op < 0.95 and model:
            assert table.popitem() == model.popitem()
        else:
            assert (key in table) == (key in model)
            if key in model:
                assert table[key] == model[key]
            else:
                with pytest.raises(KeyError):
                    table[key]
        assert len(table) == len(model)
        if step % 5000 == 0:
            assert table.items() == list(model.items())
        if step % 7919 == 0:   # sent as a block's open pairs: counted packed, then read
            import pickle

            sent = pickle.loads(pickle.dumps(table))
            assert len(sent) == len(model)
            assert pickle.loads(pickle.dumps(sent)).items() == list(model.items())
            key = next(iter(model), ("nobody", "0"))
            assert sent.pop(key, None) == model.get(key)
            assert len(sent) == max(len(model) - 1, 0)
    assert table.items() == list(model.items()) and list(table) == list(model)
    with pytest.raises(ValueError):
        scan.PairTable(["fw-1"], b"\x05\x00\x00\x00\x01\x03\x00\x00\x00abc").items()
    with pytest.raises(KeyError):
        table.pop(("nobody", "1"))
    with pytest.raises(TypeError):
        table[("fw-1", 1)] = True  # type: ignore[index]


def test_packed_times_come_back_as_the_times_read(monkeypatch: pytest.MonkeyPatch) -> None:
    """A worker packs a naive time as an int (microseconds since year 1); the C fold and
    Python's replay turn it back into the time the parser read, over datetime's range."""
    import random
    from datetime import timedelta

    from connectors.base import PACKED_EPOCH, Recording

    rng = random.Random(5)
    stamps = [datetime(1, 1, 1), datetime(9999, 12, 31, 23, 59, 59, 999999),
              datetime(2024, 2, 29, 12, 34, 56, 500000), datetime(2000, 2, 29),
              datetime(1900, 3, 1), datetime(2100, 2, 28, 23, 59, 59)]
    stamps += [PACKED_EPOCH + timedelta(microseconds=rng.randrange(315_537_897_600_000_000))
               for _ in range(400)]
    lines = "".join(
        f"{t.isoformat(timespec='microseconds')}Z fw : %ASA-4-106023: Deny udp src "
        f"dc:10.20.{n // 250}.{n % 250 + 1}/5000 dst fab:10.99.0.1/161 by access-group "
        '"in" [0x0, 0x0]\n' for n, t in enumerate(stamps))
    parser = AsaLogParser(SourceSpec("fw", "cisco-asa"), clock=AS_OF)
    parser.evidence_only = parser.defer_unpaired = True
    recording = Recording()
    parser.fold_bytes(lines.encode(), recording, first=True)
    assert parser.stats.parsed == len(stamps)
    packed = [o for o in recording.objects if type(o) is int]
    assert len(packed) == len(set(stamps)) > 400   # each read in C and packed
    assert {PACKED_EPOCH + timedelta(microseconds=v) for v in packed} == set(stamps)
    in_c, in_python = TrafficIndex(()), TrafficIndex((), native=False)
    in_c.add_recording(recording)
    in_python.add_recording(pickle_copy(recording))
    want = {f"10.20.{n // 250}.{n % 250 + 1}": t for n, t in enumerate(stamps)}
    for traffic in (in_c, in_python):
        got = {key[0]: (t.first, t.last) for key, t in traffic.drop_flows()}
        assert got == {src: (t, t) for src, t in want.items()}


def pickle_copy(value: object) -> object:
    import pickle

    return pickle.loads(pickle.dumps(value))

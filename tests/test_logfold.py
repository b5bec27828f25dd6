"""A log folded in blocks, here or on several cores, equals one pass over it.

The log is the realistic generator's (thousands of hosts, ephemeral ports, growing connection
ids, four header styles), cut into small blocks so that many connections open in one block
and close in the next; one of them is an inbound connection from a server-looking port, whose
Teardown alone (in the next file) would be ordered the wrong way round by its ports.
"""

from __future__ import annotations

import gzip
from datetime import datetime
from pathlib import Path

import pytest

from auditor.logfold import fold_input, record_block
from auditor.model import LogStats
from auditor.traffic import TrafficIndex
from benchmarks.asa_traffic import write_log
from connectors.base import SourceSpec
from connectors.logs.cisco_asa import AsaLogParser

AS_OF = datetime(2026, 11, 25, 0, 0)
_RECORD_BLOCK = record_block   # the real one, for a patched worker to call
#: Built in one block, Teardown (SYN Timeout) in the next: the first endpoint opened it,
#: from port 161; by ports alone the second would be taken for the initiator.
BUILT = ("Nov 24 2026 23:59:58: %ASA-6-302013: Built inbound TCP connection 77 for "
         "outside:203.0.113.5/161 (203.0.113.5/161) to dc:10.20.9.9/50000 (10.20.9.9/50000)\n")
TEAR = ("Nov 24 2026 23:59:59: %ASA-6-302014: Teardown TCP connection 77 for "
        "outside:203.0.113.5/161 to dc:10.20.9.9/50000 duration 0:00:30 bytes 0 SYN Timeout\n")


def _snapshot(traffic: TrafficIndex, stats: LogStats) -> tuple[object, ...]:
    flows = {k: (t.count, t.first, t.last, dict(t.signals), dict(t.messages), sorted(t.sports),
                 dict(t.hours))
             for k, t in traffic.drop_flows()}
    answered = {d: (t.count, t.first, t.last, dict(t.signals)) for d, t in traffic.by_dst.items()}
    return (flows, answered, dict(traffic.hourly), stats.lines, stats.parsed, stats.unparsed,
            dict(stats.by_message))


@pytest.fixture(scope="module")
def log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("fold") / "fw.log"
    write_log(path, 30_000, seed=7)
    return path


def _held(log: Path) -> set[str]:
    held = {"10.20.9.9"}
    for line in log.read_text().splitlines()[::50]:  # some servers, so answered traffic counts
        if "Teardown TCP" in line:
            held.add(line.split(" for ")[1].split(":")[1].split("/")[0])
    return held


def _one_pass(paths: list[Path], held: set[str]) -> tuple[object, ...]:
    parser = AsaLogParser(SourceSpec("fw", "cisco-asa"), clock=AS_OF)
    traffic = TrafficIndex(held)
    for path in paths:
        for event in parser.parse_path(path):
            traffic.add(event)
    return _snapshot(traffic, parser.stats)


@pytest.mark.parametrize("workers", [1, 2])
def test_fold_in_blocks_equals_one_pass(log: Path, workers: int) -> None:
    held = _held(log)
    traffic, stats = TrafficIndex(held), LogStats()
    status = fold_input(SourceSpec("fw", "cisco-asa", (log,)), traffic, stats, as_of=AS_OF,
                        workers=workers, block_chars=40_000)
    assert status.status == "ok" and status.records == stats.lines
    assert _snapshot(traffic, stats) == _one_pass([log], held)


def test_several_files_and_gzip_fold_as_one_pass(log: Path, tmp_path: Path) -> None:
    text = log.read_text()
    half = text.index("\n", len(text) // 2) + 1
    first, second = tmp_path / "fw-1.log", tmp_path / "fw-2.log.gz"
    first.write_text(text[:half] + BUILT + "\n" * 3)
    with gzip.open(second, "wt") as fh:
        fh.write("garbage without a tag\n" + TEAR + text[half:])
    held = _held(log)
    traffic, stats = TrafficIndex(held), LogStats()
    fold_input(SourceSpec("fw", "cisco-asa", (first, second)), traffic, stats, as_of=AS_OF,
               workers=2, block_chars=25_000)
    assert _snapshot(traffic, stats) == _one_pass([first, second], held)
    # the connection that crossed files is ordered by its Built, not by its ports
    flows = dict(traffic.drop_flows())
    assert flows[("203.0.113.5", "10.20.9.9", "tcp", 50000)].count == 1
    assert ("10.20.9.9", "203.0.113.5", "tcp", 161) not in flows


def test_reading_for_evidence_counts_as_a_full_read_and_keeps_every_evidence_event() -> None:
    """Every ASA fixture and peer line: the same stats, the same non-`other` events."""
    from tests.conftest import FIXTURES, PEER_DATA

    logs = sorted((FIXTURES / "cisco-asa").glob("*.log*"))
    for vendor in ("cisco_asa", "cisco_ftd"):
        if (PEER_DATA / vendor).is_dir():
            logs += sorted((PEER_DATA / vendor).glob("*.log"))
    assert len(logs) > 5
    for log in logs:
        full = AsaLogParser(SourceSpec("fw", "cisco-asa"), clock=AS_OF)
        lean = AsaLogParser(SourceSpec("fw", "cisco-asa"), clock=AS_OF)
        lean.evidence_only = True
        wanted = [e for e in full.parse_path(log) if str(e.signal) != "other"]
        assert list(lean.parse_path(log)) == wanted, log
        assert (lean.stats.lines, lean.stats.parsed, lean.stats.unparsed,
                lean.stats.by_message) == (full.stats.lines, full.stats.parsed,
                                           full.stats.unparsed, full.stats.by_message), log


@pytest.mark.parametrize("length", [65535, 65536, 65537, 98304, 131073])
@pytest.mark.parametrize("at", [0, 1, 40_000])
def test_a_range_cuts_every_line_over_the_limit_wherever_it_lies(
        tmp_path: Path, length: int, at: int) -> None:
    """The long-line check looks at windows, not lines: a line just over the limit is
    still cut, wherever it starts; one at the limit is kept whole."""
    from connectors.shared.files import MAX_LINE_CHARS, read_range

    raw = b"a" * at + (b"\n" if at else b"") + b"y" * length + b"\n" + TEAR.encode()
    path = tmp_path / "long.log"
    path.write_bytes(raw)
    lines = read_range(path, 0, len(raw)).split("\n")
    assert len(lines[1 if at else 0]) == min(length, MAX_LINE_CHARS)
    assert TEAR.rstrip("\n") in lines


@pytest.mark.parametrize("size", [1, 37, 4096])
def test_ranges_read_what_one_reader_reads(tmp_path: Path, size: int) -> None:
    """Blocks that workers read themselves (byte ranges of whole lines) hold the text one
    reader of the whole file gives: BOM dropped, \\r\\n and \\r as newlines, bad bytes
    replaced, nothing lost or read twice at the cuts, absurd lines cut."""
    from connectors.shared.files import MAX_LINE_CHARS, line_ranges, open_blocks, read_range

    raw = (b"\xef\xbb\xbf" + TEAR.encode() + b"first\r\nsecond\rthird\n\n"
           + "caf\u00e9 \u2603\n".encode() + b"bad \xff\xfe bytes\n" + b"x" * 70_000 + b"\n"
           + BUILT.encode() + b"no newline at the end")
    path = tmp_path / "mixed.log"
    path.write_bytes(raw)
    ranges = line_ranges(path, size)
    assert ranges is not None and ranges[0][0] == 0 and ranges[-1][1] == len(raw)
    assert all(a[1] == b[0] for a, b in zip(ranges, ranges[1:], strict=False))
    with open_blocks(path, 1 << 20) as (blocks, _):
        whole = "".join(blocks)
    parts = "".join(read_range(path, start, stop) for start, stop in ranges)

    def lines(text: str) -> list[str]:   # an absurd line is cut by both, maybe not alike
        return [line if len(line) < MAX_LINE_CHARS else "<long>" for line in
                text.split("\n")]

    assert lines(parts) == lines(whole)
    assert parts.startswith(TEAR) and "caf\u00e9 \u2603" in parts and "\ufffd" in parts
    assert max(map(len, parts.split("\n"))) <= MAX_LINE_CHARS


@pytest.mark.parametrize("kind", ["gz", "bz2"])
@pytest.mark.parametrize("size", [1, 37, 4096, 1 << 20])
def test_byte_blocks_of_an_archive_read_what_one_reader_reads(
        tmp_path: Path, kind: str, size: int) -> None:
    """A compressed file cut into byte blocks that workers decode (`open_byte_blocks`,
    `decode_block`) gives the text `open_blocks` gives: BOM dropped, \r\n and \r as
    newlines (a \r\n never split), bad bytes replaced, absurd lines cut alike, blank runs."""
    import bz2

    from connectors.shared.files import (
        MAX_LINE_CHARS,
        decode_block,
        open_blocks,
        open_byte_blocks,
    )

    raw = (b"\xef\xbb\xbf" + TEAR.encode() + b"first\r\nsecond\rthird\n\n\n\n"
           + "caf\u00e9 \u2603\n".encode() + b"bad \xff\xfe bytes\n" + b"x" * 70_000 + b"\n"
           + "\u2603".encode() * 100_000 + b"\r\n" + b"y" * 300_000 + b"\r"
           + BUILT.encode() + b"\r\n" * 3 + b"no newline at the end")
    path = tmp_path / f"fw.log.{kind}"
    path.write_bytes(gzip.compress(raw) if kind == "gz" else bz2.compress(raw))
    with open_blocks(path, 1 << 20) as (blocks, _):
        whole = "".join(blocks)
    with open_byte_blocks(path, size) as opened:
        assert opened is not None
        parts = [decode_block(block, first=False) for block in opened[0]]
    def lines(text: str) -> list[str]:   # blank lines count for nothing, either way; an
        # absurd line is cut here always, by `open_blocks` only where a block ends in it
        return [line if len(line) < MAX_LINE_CHARS else "<long>"
                for line in text.split("\n") if line.strip()]

    assert lines("".join(parts)) == lines(whole)
    assert all(part.endswith("\n") for part in parts[:-1])   # whole lines only
    assert max(map(len, "".join(parts).split("\n"))) == MAX_LINE_CHARS
    assert whole.startswith(TEAR) and "\ufffd" in whole and "\r" not in whole


def test_byte_blocks_of_a_damaged_archive_name_the_line(tmp_path: Path) -> None:
    from auditor.errors import SourceError
    from connectors.shared.files import open_byte_blocks

    path = tmp_path / "fw.log.gz"
    path.write_bytes(gzip.compress((BUILT + "\n").encode() * 5000)[:-2000])
    with pytest.raises(SourceError) as caught, open_byte_blocks(path, 4096) as opened:
        assert opened is not None
        for _ in opened[0]:
            pass
    assert caught.value.path == path and caught.value.line and caught.value.line > 1
    assert "damaged after" in str(caught.value)
    utf16 = tmp_path / "fw16.log.gz"
    utf16.write_bytes(gzip.compress(BUILT.encode("utf-16")))
    with open_byte_blocks(utf16) as opened:
        assert opened is None   # read as text instead


def test_streams_are_not_cut_in_ranges(tmp_path: Path) -> None:
    from connectors.shared.files import line_ranges

    packed = tmp_path / "fw.log.gz"
    packed.write_bytes(gzip.compress(BUILT.encode()))
    utf16 = tmp_path / "fw16.log"
    utf16.write_bytes(BUILT.encode("utf-16"))
    assert line_ranges(packed) is None and line_ranges(utf16) is None


def test_a_worker_that_dies_fails_the_input_instead_of_waiting(
        log: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A parsing process killed mid-way (out of memory, a signal) breaks the pool: the input
    is failed as an internal error, with what was folded before kept; nothing hangs."""
    import auditor.logfold as logfold

    monkeypatch.setattr(logfold, "record_block", _dies)   # the forked workers inherit it
    traffic, stats = TrafficIndex(set()), LogStats()
    status = fold_input(SourceSpec("fw", "cisco-asa", (log,)), traffic, stats, as_of=AS_OF,
                        workers=2, block_chars=40_000)
    assert status.status == "failed" and status.internal
    assert "BrokenProcessPool" in (status.error or "")


def _dies(block: object) -> None:
    """A worker's parse that kills its process, as the kernel's OOM killer would."""
    import os

    os._exit(9)


@pytest.mark.parametrize("workers", [1, 2])
def test_a_truncated_archive_folds_every_line_before_the_break(
        log: Path, tmp_path: Path, workers: int) -> None:
    """A gz cut short fails its input naming the file and the line, and every line before
    that line is folded, exactly as a one-pass fold of those lines (blocks in flight when
    the break came are folded too, not dropped)."""
    import re

    packed = gzip.compress(log.read_bytes())
    broken = tmp_path / "fw.log.gz"
    broken.write_bytes(packed[:len(packed) * 2 // 3])
    held = _held(log)
    traffic, stats = TrafficIndex(held), LogStats()
    status = fold_input(SourceSpec("fw", "cisco-asa", (broken,)), traffic, stats,
                        as_of=AS_OF, workers=workers, block_chars=40_000)
    assert status.status == "failed" and str(broken) in (status.error or "")
    match = re.search(r"line (\d+): file is damaged after (\d+) lines", status.error or "")
    assert match is not None, status.error
    line, before = int(match[1]), int(match[2])
    assert line == before + 1 and stats.lines == before > 10_000
    head = tmp_path / "head.log"
    with log.open() as source:
        head.write_text("".join(next(source) for _ in range(before)))
    assert _snapshot(traffic, stats) == _one_pass([head], held)


@pytest.mark.parametrize("workers", [1, 2])
def test_garbage_after_a_whole_archive_fails_it_after_every_line(
        log: Path, tmp_path: Path, workers: int) -> None:
    """Bytes after the last gzip member that are no member (as `gzip` refuses them): the
    input fails, but only after every line of the whole member before them is folded."""
    broken = tmp_path / "fw.log.gz"
    broken.write_bytes(gzip.compress(log.read_bytes()) + b"garbage")
    total = len(log.read_text().splitlines())
    traffic, stats = TrafficIndex(), LogStats()
    status = fold_input(SourceSpec("fw", "cisco-asa", (broken,)), traffic, stats,
                        as_of=AS_OF, workers=workers, block_chars=4 << 20)
    assert status.status == "failed"
    assert f"file is damaged after {total} lines" in (status.error or "")
    assert stats.lines == total


def _parts(log: Path, folder: Path, n: int) -> list[Path]:
    """`log` cut into `n` rotated files, the oldest first (gz but for the live one)."""
    lines = log.read_text().splitlines(keepends=True)
    size = len(lines) // n + 1
    paths = []
    for k in range(n):
        chunk = "".join(lines[k * size:(k + 1) * size]).encode()
        if k == n - 1:
            path = folder / "fw.log"
            path.write_bytes(chunk)
        else:
            path = folder / f"fw.log.{n - 1 - k}.gz"
            path.write_bytes(gzip.compress(chunk))
        paths.append(path)
    return paths


def test_inputs_of_one_run_share_its_workers_and_fold_as_each_alone(
        log: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Seven rotated files given as seven inputs, each too small to fork for: the run forks
    once for all of them (sized by their total) and each input folds exactly as it would
    alone."""
    import auditor.logfold as logfold
    from auditor.engine import fold_all_logs

    paths = _parts(log, tmp_path, 7)
    monkeypatch.setattr(logfold, "PARALLEL_BYTES", sum(p.stat().st_size for p in paths))
    assert all(p.stat().st_size < logfold.PARALLEL_BYTES for p in paths)
    monkeypatch.setattr(logfold.os, "sched_getaffinity", lambda _pid: {0, 1})
    held = _held(log)
    specs = [SourceSpec(p.name, "cisco-asa", (p,)) for p in paths]
    runs: list[logfold.FoldRun] = []
    real = logfold.FoldRun.__enter__

    def entered(self: logfold.FoldRun) -> logfold.FoldRun:
        runs.append(self)
        return real(self)

    monkeypatch.setattr(logfold.FoldRun, "__enter__", entered)
    traffic, stats = TrafficIndex(held), LogStats()
    statuses = fold_all_logs(specs, traffic, stats, as_of=AS_OF)
    assert len(runs) == 1 and runs[0].pool.workers == 2
    assert [s.status for s in statuses] == ["ok"] * 7
    alone_traffic, alone_stats = TrafficIndex(held), LogStats()
    for spec in specs:
        assert fold_input(spec, alone_traffic, alone_stats, as_of=AS_OF, workers=1).status \
            == "ok"
    assert _snapshot(traffic, stats) == _snapshot(alone_traffic, alone_stats)
    assert stats.lines == sum(s.records for s in statuses) == alone_stats.lines > 29_000


def test_a_worker_dying_fails_its_input_and_the_next_forks_anew(
        log: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import auditor.logfold as logfold
    from auditor.engine import fold_all_logs

    first, second = _parts(log, tmp_path, 2)
    monkeypatch.setattr(logfold, "record_block", _dies_on_the_first)
    monkeypatch.setattr(logfold, "PARALLEL_BYTES", 0)
    monkeypatch.setattr(logfold.os, "sched_getaffinity", lambda _pid: {0, 1})
    traffic, stats = TrafficIndex(set()), LogStats()
    broken, fine = fold_all_logs([SourceSpec("first", "cisco-asa", (first,)),
                                  SourceSpec("second", "cisco-asa", (second,))],
                                 traffic, stats, as_of=AS_OF)
    assert broken.status == "failed" and broken.internal
    assert "BrokenProcessPool" in (broken.error or "")
    alone_traffic, alone_stats = TrafficIndex(set()), LogStats()
    fold_input(SourceSpec("second", "cisco-asa", (second,)), alone_traffic, alone_stats,
               as_of=AS_OF, workers=1)
    assert fine.status == "ok" and fine.records == alone_stats.lines > 10_000
    assert _snapshot(traffic, stats)[:3] == _snapshot(alone_traffic, alone_stats)[:3]


def _dies_on_the_first(task: tuple[SourceSpec, object]) -> object:
    """A worker's parse that kills its process on the input named `first` only."""
    if task[0].name == "first":
        _dies(task)
    return _RECORD_BLOCK(task)  # type: ignore[arg-type]


def test_teardowns_blocks_after_their_builts_fold_as_one_pass(log: Path, tmp_path: Path) -> None:
    """A busy firewall's Teardown comes minutes after its Built, blocks later: the open pairs
    every block leaves (sent packed, merged in C) and the SYN Timeouts it holds back order
    them as one pass does."""
    delayed = tmp_path / "busy.log"
    waiting: list[tuple[int, str]] = []
    out = []
    for n, line in enumerate(log.read_text().splitlines(keepends=True)):
        if "-302014:" in line or "-302016:" in line:
            waiting.append((n + 3_000, line))
        else:
            out.append(line)
        while waiting and waiting[0][0] <= n:
            out.append(waiting.pop(0)[1])
    out += [line for _, line in waiting]
    out[10:10] = [BUILT]   # opened inbound from port 161: by ports it would be turned round
    delayed.write_text("".join(out) + TEAR)
    held = _held(log)
    for workers in (1, 2):
        traffic, stats = TrafficIndex(held), LogStats()
        status = fold_input(SourceSpec("fw", "cisco-asa", (delayed,)), traffic, stats,
                            as_of=AS_OF, workers=workers, block_chars=40_000)
        assert status.status == "ok"
        folded = _snapshot(traffic, stats)
        assert folded == _one_pass([delayed], held)
    flows = folded[0]
    assert ("203.0.113.5", "10.20.9.9", "tcp", 50000) in flows  # type: ignore[operator]
    timeouts = [f for f in flows.values() if "syn-timeout" in f[3]]  # type: ignore[union-attr]
    assert len(timeouts) > 100


@pytest.mark.parametrize("packed", [False, True])
def test_a_pair_left_open_by_two_blocks_answers_once_from_the_newest(packed: bool) -> None:
    """As one table updated block by block: the newest block's direction answers, and the
    answer takes the pair from every block (a second Teardown finds nothing)."""
    import pickle

    from auditor.logfold import Merge
    from auditor.model import Signal

    def opened(outbound: bool) -> object:
        if not packed:
            return {("fw", "7"): outbound}
        table = pytest.importorskip("connectors.logs._asa_scan").PairTable()
        table[("fw", "7")] = outbound
        return pickle.loads(pickle.dumps(table))   # as a worker's arrives: still packed

    traffic, stats = TrafficIndex(set()), LogStats()
    merge = Merge(traffic, stats)
    merge.close(LogStats(), [], {"conns": opened(True)})     # Built outbound ...
    merge.close(LogStats(), [], {"conns": opened(False)})    # ... then inbound, id reused
    fields = (AS_OF, "302014", Signal.SYN_TIMEOUT, "tcp", "10.0.0.1", 40000, "10.0.0.2", 22, 1)
    # ordered as if the second printed endpoint opened it (outbound), then the other way
    merge.close(LogStats(), [("conns", ("fw", "7"), True, fields)], {})
    merge.close(LogStats(), [("conns", ("fw", "7"), False, fields)], {})
    flows = {key: t.count for key, t in traffic.drop_flows()}
    # the newest block said inbound: the first turned round; the second found no pair in
    # any block (the first block's outbound would have turned it): as guessed
    assert flows == {("10.0.0.2", "10.0.0.1", "tcp", 40000): 1,
                     ("10.0.0.1", "10.0.0.2", "tcp", 22): 1}


def test_past_the_flow_cap_held_back_teardowns_fold_in_their_places(log: Path,
                                                                     tmp_path: Path) -> None:
    """Past the flow table's cap, which folded flow a drop lands in depends on the order of
    the drops: a Teardown held back for the merge is folded where its line stood (a worker
    marks its place), so two workers fold exactly as one pass, folded flows included."""
    busy = tmp_path / "busy.log"
    waiting: list[tuple[int, str]] = []
    out = []
    for n, line in enumerate(log.read_text().splitlines(keepends=True)):
        if "SYN Timeout" in line:
            waiting.append((n + 2_000, line))
        else:
            out.append(line)
        while waiting and waiting[0][0] <= n:
            out.append(waiting.pop(0)[1])
    busy.write_text("".join(out + [line for _, line in waiting]))
    folds = []
    for workers, native in ((1, True), (2, True), (2, False)):   # False: replayed in Python
        traffic, stats = TrafficIndex(set(), max_flows=300, native=native), LogStats()
        assert fold_input(SourceSpec("fw", "cisco-asa", (busy,)), traffic, stats, as_of=AS_OF,
                          workers=workers, block_chars=40_000).status == "ok"
        folds.append((_snapshot(traffic, stats), traffic.folded))
    assert folds[0] == folds[1] == folds[2]
    flows, folded = folds[0][0][0], folds[0][1]
    assert folded > 1000 and any(key[0] == "*" for key in flows)  # type: ignore[union-attr]

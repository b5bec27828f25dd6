"""Reading input files: damaged archives, BOM-less UTF-16, hostile JSON, runs of blank lines."""

from __future__ import annotations

import bz2
import gzip
import io
import random
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest

from auditor.errors import SourceError
from connectors.base import SourceSpec
from connectors.logs.cisco_asa import AsaLogParser
from connectors.shared import files as textio
from connectors.shared.files import (
    MAX_LINE_CHARS,
    bounded_lines,
    looks_like_json,
    open_text,
    open_text_tracked,
    read_json,
    read_text,
)

SYN = ("%ASA-4-419002: Received duplicate TCP SYN from inside:10.30.1.41/51515 to "
       "outside:10.251.9.14/6711 with different initial sequence number.")
TEXT = "".join(f"{SYN}\n" for _ in range(20000)).encode()


def _broken(kind: str, how: str) -> bytes:
    pack = gzip.compress if kind == "gz" else bz2.compress
    if how == "plain":
        return TEXT[:5000]
    if how == "random":
        return random.Random(7).randbytes(5000)
    if how == "magic-then-junk":       # right magic number, garbage after it
        return pack(TEXT)[:4] + random.Random(8).randbytes(5000)
    whole = pack(TEXT)
    if how == "truncated":
        return whole[: len(whole) // 2]
    if how == "corrupt-middle":
        middle = len(whole) // 2
        return whole[:middle] + bytes(b ^ 0x5A for b in whole[middle:middle + 64]) + \
            whole[middle + 64:]
    raise AssertionError(how)


def _iterate_open_text(path: Path) -> None:
    with open_text(path) as fh:
        for _ in fh:
            pass


def _iterate_tracked(path: Path) -> None:
    with open_text_tracked(path) as (lines, _):
        for _ in lines:
            pass


def _parse_path(path: Path) -> None:
    list(AsaLogParser(SourceSpec("fw", "cisco-asa"), clock=datetime(2026, 11, 24)).parse_path(path))


READERS: dict[str, Callable[[Path], object]] = {
    "open_text": _iterate_open_text, "open_text_tracked": _iterate_tracked,
    "read_text": read_text, "read_json": read_json, "looks_like_json": looks_like_json,
    "parse_path": _parse_path,
}


@pytest.mark.parametrize("reader", sorted(READERS))
@pytest.mark.parametrize("how", ["plain", "random", "magic-then-junk", "truncated",
                                 "corrupt-middle"])
@pytest.mark.parametrize("kind", ["gz", "bz2"])
def test_damaged_archives_are_source_errors(tmp_path: Path, kind: str, how: str,
                                            reader: str) -> None:
    path = tmp_path / f"fw-edge.log.{kind}"
    path.write_bytes(_broken(kind, how))
    try:
        READERS[reader](path)
    except SourceError as exc:
        assert str(path) in str(exc)
        assert exc.path == path
        assert isinstance(exc.__cause__, (OSError, EOFError, Exception))
        return
    # A tail damaged past what `looks_like_json` reads is fine for it; nothing else may pass.
    assert reader == "looks_like_json" and how in ("truncated", "corrupt-middle")


def test_damage_mid_file_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "fw-edge.log.gz"
    path.write_bytes(_broken("gz", "truncated"))
    with pytest.raises(SourceError) as info:
        _iterate_tracked(path)
    assert info.value.line is not None and info.value.line > 1000
    assert f"line {info.value.line}" in str(info.value)


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
@pytest.mark.parametrize("packing", ["", ".gz"])
def test_utf16_without_bom(tmp_path: Path, codec: str, packing: str) -> None:
    text = f"Nov 24 2026 10:00:00 fw-edge : {SYN}\r\n" * 3 + "déjà vu\r\n"
    data = text.encode(codec)
    assert not data.startswith((b"\xff\xfe", b"\xfe\xff"))
    path = tmp_path / f"windows.log{packing}"
    path.write_bytes(gzip.compress(data) if packing else data)
    assert read_text(path) == text.replace("\r\n", "\n")
    parser = AsaLogParser(SourceSpec("fw", "cisco-asa"), clock=datetime(2026, 11, 24))
    events = list(parser.parse_path(path))
    assert [(e.line, e.dst, e.dport) for e in events] == [(n, "10.251.9.14", 6711)
                                                         for n in (1, 2, 3)]
    assert (parser.stats.lines, parser.stats.unparsed) == (4, 1)


def test_utf8_with_a_stray_nul_stays_utf8(tmp_path: Path) -> None:
    path = tmp_path / "junk.log"
    path.write_bytes(b"plain text\x00 with one NUL and more text after it\n")
    assert read_text(path).startswith("plain text\x00 with")


def test_read_json_too_deep(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text("[" * 200_000 + "]" * 200_000)
    with pytest.raises(SourceError) as info:
        read_json(path)
    assert str(path) in str(info.value) and "nested" in str(info.value)


def test_read_json_huge_integer(tmp_path: Path) -> None:
    path = tmp_path / "nodes.json"
    path.write_text('{"results": [\n {"NodeID": 1},\n {"NodeID": ' + "9" * 5000 + "}\n]}")
    with pytest.raises(SourceError) as info:
        read_json(path)
    assert info.value.path == path and info.value.line == 3
    assert f"{path} line 3" in str(info.value)


def _numbered(items: list[str]) -> list[tuple[int, str]]:
    """(line number, text) of the non-blank items, counting a blank run by its newlines."""
    out, number = [], 0
    for item in items:
        if item.strip():
            number += 1
            out.append((number, item.rstrip("\n")))
        else:
            number += max(item.count("\n"), 1)
    return out


@pytest.mark.parametrize("seed", range(40))
def test_bounded_lines_block_path_keeps_numbers(monkeypatch: pytest.MonkeyPatch,
                                                seed: int) -> None:
    monkeypatch.setattr(textio, "BLANK_BLOCK", 7 + seed)   # many block boundaries
    rng = random.Random(seed)
    parts = []
    for _ in range(300):
        pick = rng.random()
        parts.append("\n" * rng.randrange(1, 40) if pick < 0.4 else
                     rng.choice([" ", "\t", "  \t "]) + "\n" if pick < 0.5 else
                     rng.choice(["", " "]) + f"line {rng.randrange(10**6)} x" * rng.randrange(1, 4)
                     + "\n")
    text = "".join(parts) + rng.choice(["", "tail without newline", "   "])
    want = [(n, line) for n, line in enumerate(text.split("\n"), 1) if line.strip()]
    tally = [0]
    items = list(bounded_lines(io.StringIO(text), blank_tally=tally))
    assert _numbered(items) == want
    assert len(items) + tally[0] >= len(want)


def test_bounded_lines_cuts_long_lines_on_both_paths(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(textio, "BLANK_BLOCK", 100)
    text = "a" * 250 + "\n" + "\n\n" + "b" * 250 + "\nc\n" + "\n" + "d" * 90 + "e" * 90 + "\nf\n"
    items = list(bounded_lines(io.StringIO(text), limit=64))
    assert [(n, line[:1], len(line)) for n, line in _numbered(items)] == [
        (1, "a", 64), (4, "b", 64), (5, "c", 1), (7, "d", 64), (8, "f", 1)]
    assert max(len(i) for i in items if i.strip()) <= 64


def test_tracked_position_advances_and_lines_are_bounded(tmp_path: Path) -> None:
    path = tmp_path / "big.log.gz"
    path.write_bytes(gzip.compress(("x" * (3 * MAX_LINE_CHARS) + "\n\n\n" + SYN + "\n")
                                   .encode() + TEXT))
    seen = []
    with open_text_tracked(path) as (lines, position):
        for line in lines:
            seen.append(position())
            assert len(line) <= MAX_LINE_CHARS
    assert 0 < seen[-1] <= path.stat().st_size and seen == sorted(seen)


def test_fifty_million_blank_lines(tmp_path: Path) -> None:
    path = tmp_path / "padded.log.gz"
    with gzip.open(path, "wb", compresslevel=1) as gz:
        gz.write(f"Nov 24 2026 10:00:00 fw-edge : {SYN}\n".encode())
        chunk = b"\n" * (1 << 22)
        for _ in range(25_000_000 // len(chunk)):
            gz.write(chunk)
        gz.write(b"\n" * (25_000_000 % len(chunk)) + f"{SYN}\r\n".encode())
        for _ in range(25_000_000 // len(chunk)):
            gz.write(chunk)
        gz.write(b"\n" * (25_000_000 % len(chunk)) + f"  {SYN}".encode())
    parser = AsaLogParser(SourceSpec("fw", "cisco-asa"), clock=datetime(2026, 11, 24))
    begin = time.perf_counter()
    events = list(parser.parse_path(path))
    print(f"\n50 M blank lines ({path.stat().st_size:,} bytes gz): "
          f"{time.perf_counter() - begin:.2f} s")
    assert [e.line for e in events] == [1, 25_000_002, 50_000_003]
    assert (parser.stats.lines, parser.stats.parsed) == (3, 3)

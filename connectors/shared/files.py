"""Opening input files: compression and encodings handled once, here."""

from __future__ import annotations

import bz2
import codecs
import gzip
import io
import json
import queue
import re
import sys
import threading
import zlib
from collections.abc import Callable, Generator, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path, PurePath
from types import ModuleType
from typing import IO, Any

from auditor.errors import SourceError

_inflating: ModuleType
try:   # ISA-L's inflate: the same deflate, 3-4x faster than zlib's on a gz log (its wheel
    # is a dependency; zlib stays the fallback where it cannot be installed)
    from isal import isal_zlib as _inflating
except ImportError:   # pragma: no cover
    _inflating = zlib


def open_text(path: Path, encoding: str | None = None) -> IO[str]:
    """Open `path` for reading text, decompressing `.gz`/`.bz2` and honouring a BOM.

    Without `encoding`, a UTF-16 or UTF-8 BOM decides; otherwise UTF-8, with undecodable
    bytes replaced (so binary junk in a log becomes an unparsed line, not a crash).
    """
    path = Path(path)
    try:
        raw = _open_binary(path)
    except OSError as exc:
        raise SourceError(f"cannot read: {exc.strerror or exc}", path=path) from exc
    try:
        if encoding is None:
            encoding = _sniff_encoding(raw)
    except BaseException:
        raw.close()
        raise
    return io.TextIOWrapper(raw, encoding=encoding, errors="replace", newline=None)


#: The path that stands for standard input (`stale-audit logs -`).
STDIN = Path("-")


@contextmanager
def open_text_tracked(path: Path) -> Iterator[tuple[Iterable[str], Callable[[], int]]]:
    """Like `open_text`, also giving a function that returns how many bytes of the file on
    disk have been read so far (compressed bytes for `.gz`/`.bz2`), for progress bars.

    `STDIN` (`-`) reads standard input, gzip or bzip2 told by its first bytes; its
    position is always 0 (a pipe has no size to measure against).
    """
    path = Path(path)
    if path == STDIN:
        with _stdin_lines() as lines:
            yield lines, lambda: 0
        return
    with _decoded(path) as (text, position):
        yield _Guarded(text, path), position


#: Characters a block of `open_blocks` holds, about (it ends at a line's end).
BLOCK_CHARS = 4 << 20


@contextmanager
def open_blocks(path: Path, size: int = BLOCK_CHARS
                ) -> Iterator[tuple[Iterator[str], Callable[[], int]]]:
    """Text blocks of whole lines (about `size` characters each) and the bytes-read function.

    For folding a big file on several cores: each block can be parsed on its own. A line
    longer than `MAX_LINE_CHARS` is cut there (its rest dropped unread into memory), as
    `bounded_lines` does; a block of blank lines only is not given (blank lines count for
    nothing). A damaged archive raises `SourceError` with the line it was reached at.
    """
    path = Path(path)
    if path == STDIN:
        with _stdin_lines() as lines:
            yield _blocks_of_lines(lines, size), lambda: 0
        return
    with _decoded(path) as (text, position):
        yield _guarded_blocks(text, path, size), position


_ROTATED = re.compile(r"(?P<base>.+?)(?:\.(?P<number>\d+)|-(?P<date>\d{8}(?:\d{2,6})?))$")


def rotation_order(paths: Iterable[Path]) -> list[Path]:
    """Files in the order their lines were written, as logrotate names them: `fw.log.3.gz`,
    `fw.log.2.gz`, `fw.log.1`, then the live `fw.log` (numbers count back in time); with
    `dateext`, `fw.log-20261128.gz` before `fw.log-20261129.gz` before `fw.log`. A
    Teardown in one file then meets the Built an older file left open. Names without a
    rotation suffix keep their sorted order."""
    return sorted(paths, key=rotation_key)


def rotation_key(path: PurePath) -> tuple[str, str, int, str, int]:
    """`rotation_order`'s sort key (for names that are not local paths: URIs)."""
    name = path.name
    for suffix in (".gz", ".bz2"):
        if name.lower().endswith(suffix):
            name = name[:-len(suffix)]
    match = _ROTATED.fullmatch(name)
    if match is None:   # the live file: after every rotation of it
        return (str(path.parent), name, 1, "", 0)
    if match["number"] is not None:
        return (str(path.parent), match["base"], 0, "", -int(match["number"]))
    return (str(path.parent), match["base"], 0, match["date"], 0)


def compressed(path: Path) -> bool:
    """A `.gz` or `.bz2` file (by its name, as every reader here tells them)."""
    return path != STDIN and path.name.lower().endswith((".gz", ".bz2"))


def byte_block_text(block: bytes) -> str:
    """A block of `open_byte_blocks` as text (its BOM was dropped when read); "" for one of
    blank lines only, which count for nothing."""
    text = decode_block(block, first=False)
    return "" if text.isspace() else text


def line_ranges(path: Path, size: int = BLOCK_CHARS) -> list[tuple[int, int]] | None:
    """Byte ranges of whole lines, about `size` bytes each, covering a plain file: for
    workers that each read their own part of it (`read_range`) instead of one reader
    handing them the text. None for what can only be read as a stream: `.gz`, `.bz2`,
    standard input, and UTF-16 text (whose newlines are two bytes).
    """
    path = Path(path)
    if path == STDIN or compressed(path):
        return None
    try:
        total = path.stat().st_size
        with _open_binary(path) as fh:
            if _sniff_encoding(fh) not in ("utf-8", "utf-8-sig"):
                return None   # UTF-16: a newline is two bytes
            cuts = [0]
            at = size
            while at < total:
                fh.seek(at)
                while True:   # to just past the next newline
                    chunk = fh.read(1 << 16)
                    if not chunk:
                        at = total
                        break
                    newline = chunk.find(b"\n")
                    if newline >= 0:
                        at = fh.tell() - len(chunk) + newline + 1
                        break
                if at >= total:
                    break
                cuts.append(at)
                at += size
    except OSError:
        return None   # the stream reader names what is wrong with it
    cuts.append(total)
    return list(zip(cuts, cuts[1:], strict=False))


def read_range(path: Path, start: int, stop: int) -> str:
    """The text of the lines in bytes [start, stop) of a file cut by `line_ranges`, as a
    reader of the whole file reads them: UTF-8 (a BOM at the start dropped) with bad bytes
    replaced, `\r\n` and `\r` read as newlines, absurdly long lines cut. What a worker's
    parser reads the range's bytes as (`LogParser.fold_bytes`)."""
    return decode_block(read_range_bytes(path, start, stop), first=start == 0)


def read_range_bytes(path: Path, start: int, stop: int) -> bytes:
    """The bytes [start, stop) of a file cut by `line_ranges`, undecoded: for a parser that
    reads bytes (`LogParser.fold_bytes`) and decodes only the lines it must."""
    path = Path(path)
    try:
        with open(path, "rb") as fh:
            fh.seek(start)
            return fh.read(stop - start)
    except OSError as exc:
        raise SourceError(f"cannot read: {exc.strerror or exc}", path=path) from exc


def decode_block(data: bytes, *, first: bool) -> str:
    """Bytes of whole lines of a UTF-8 file as text, as one reader of the whole file reads
    them (`first`: the file's first block, whose BOM is dropped): bad bytes replaced, `\r\n`
    and `\r` read as newlines, absurdly long lines cut."""
    text = data.decode("utf-8-sig" if first else "utf-8", "replace")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if len(text) > MAX_LINE_CHARS and _may_hold_long_line(text):
        lines = text.split("\n")   # cut absurdly long lines, as `open_blocks` does
        if max(map(len, lines)) > MAX_LINE_CHARS:
            text = "\n".join(line[:MAX_LINE_CHARS] for line in lines)
    return text


def _may_hold_long_line(text: str) -> bool:
    """Whether `text` may hold a line longer than `MAX_LINE_CHARS`: some aligned window of
    half that length has no newline (a longer line holds a whole one). One pass of `find`
    in C, where splitting a 4 MB block into lines to measure them cost ~1/6 of parsing it."""
    window = MAX_LINE_CHARS // 2
    find = text.find
    return any(find("\n", start, start + window) < 0
               for start in range(0, len(text) - window + 1, window))


@contextmanager
def open_byte_blocks(path: Path, size: int = BLOCK_CHARS
                     ) -> Iterator[tuple[Iterator[bytes], Callable[[], int]] | None]:
    """A `.gz`/`.bz2` file's content in blocks of whole lines, as bytes (about `size`
    each), and the bytes-read function: the process that parses a block decodes it
    (`decode_block`), so the one that inflates does only that. None where the content is
    not UTF-8 (UTF-16: a newline is two bytes): read it with `open_blocks`.

    What `decode_block` makes of the blocks, in order, is what `open_blocks` reads: a line
    is never split between blocks, an absurd one is kept only as far as its cut (the rest
    dropped unread into memory), and a damaged archive raises `SourceError` with the line
    it was reached at.
    """
    path = Path(path)
    try:
        disk = open(path, "rb")  # noqa: SIM115 - closed below, after the inflating thread
    except OSError as exc:
        raise SourceError(f"cannot read: {exc.strerror or exc}", path=path) from exc
    chunks = _Chunks(disk, path)
    try:
        head = chunks.peek()   # a file that is no archive at all says so, naming it
        if not head.startswith(codecs.BOM_UTF8) and (
                head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
                or _bomless_utf16(head[:512])):
            yield None
            return
        yield _byte_blocks(chunks, path, size), disk.tell
    finally:
        chunks.close()
        disk.close()


@contextmanager
def open_text_blocks(path: Path, size: int = BLOCK_CHARS
                     ) -> Iterator[tuple[Iterator[str], Callable[[], int]]]:
    """Text blocks of whole lines and the bytes-read function, as one process folding a
    file reads it: a `.gz`/`.bz2` in byte blocks decoded here (`open_byte_blocks`: every
    line before a break is given, then the break), anything else with `open_blocks`."""
    path = Path(path)
    if compressed(path):
        with open_byte_blocks(path, size) as opened:
            if opened is not None:
                blocks, position = opened
                yield (text for text in map(byte_block_text, blocks) if text), position
                return
    with open_blocks(path, size) as opened_text:
        yield opened_text


class _Chunks:
    """A `.gz`/`.bz2` file inflated in a thread of its own (ISA-L or zlib, bz2), read in
    whole chunks as they come: `read(size)` joins chunks until it has `size` bytes or the
    end, one copy (a buffered reader on top of a read-ahead stream copied each byte four
    times; `_ChunkStream` is the raw stream where one is wanted).

    Inflating lets go of the interpreter lock, so a compressed log is inflated on one core
    while it is cut or parsed on another. A step of compressed input is 128 KiB: a log
    inflates about 7 times, so chunks of about a megabyte, at most `ahead` waiting (memory
    stays bounded). Members (gzip) and streams (bzip2) follow each other, zero padding
    between them allowed (what `gzip.GzipFile` reads, CRC and length checked); a truncated
    or corrupt file raises `SourceError` naming it, where the reader would have met it.
    """

    def __init__(self, disk: IO[bytes], path: Path, kind: str | None = None,
                 step: int = 1 << 17, ahead: int = 16) -> None:
        self._disk, self._path, self._step = disk, path, step
        self._kind = kind or ("bzip2" if path.name.lower().endswith(".bz2") else "gzip")
        self._queue: queue.Queue[bytes | BaseException] = queue.Queue(ahead)
        self._pending: list[bytes] = []
        self._ended = False
        self._failure: BaseException | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._pump, daemon=True,
                                        name="stale-audit-inflate")
        # The reader holds the interpreter lock between its own waits; the inflating thread
        # needs it for a moment after each step. By default it waits 5 ms for it, which
        # costs half the overlap: ask the reader to let go sooner while this thread lives.
        self._interval = sys.getswitchinterval()
        sys.setswitchinterval(min(self._interval, SWITCH_INTERVAL))
        self._thread.start()

    def _inflater(self) -> Any:
        if self._kind == "bzip2":
            return bz2.BZ2Decompressor()
        return _inflating.decompressobj(16 + zlib.MAX_WBITS)

    def _pump(self) -> None:
        try:
            inflater, fed = self._inflater(), False
            while not self._stop.is_set():
                data = self._disk.read(self._step)
                if not data:
                    if fed and not inflater.eof:
                        raise EOFError("compressed file ended before the end-of-stream "
                                       "marker was reached")
                    break
                while data:
                    if inflater.eof:   # the next member or stream, past any zero padding
                        data = data.lstrip(b"\0")
                        if not data:
                            break
                        inflater = self._inflater()
                    fed = True
                    out = inflater.decompress(data)
                    if out:
                        self._put(out)
                    data = inflater.unused_data if inflater.eof else b""
            self._put(b"")
        except _DAMAGED as exc:
            failure = SourceError(f"not a readable {self._kind} file (damaged, truncated or "
                                  f"not {self._kind} at all): {exc}", path=self._path)
            failure.__cause__ = exc
            self._put(failure)
        except BaseException as exc:  # handed to the reader, raised there
            self._put(exc)

    def _put(self, item: bytes | BaseException) -> None:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    def _next(self) -> bytes:
        if self._failure is not None:   # met while bytes before it were still to be given
            failure, self._failure = self._failure, None
            raise failure
        if self._ended:
            return b""
        item = self._queue.get()
        if isinstance(item, BaseException):
            self._ended = True
            raise item
        if not item:
            self._ended = True
        return item

    def peek(self) -> bytes:
        """The first chunk (or b"" for an empty file), left to be read."""
        if not self._pending:
            chunk = self._next()
            if chunk:
                self._pending.append(chunk)
        return self._pending[0] if self._pending else b""

    def read(self, size: int) -> bytes:
        """At least `size` bytes (whole chunks), fewer only at the end; b"" after it."""
        parts, have = self._pending, sum(map(len, self._pending))
        self._pending = []
        while have < size:
            try:
                chunk = self._next()
            except BaseException as exc:
                if not parts:
                    raise
                self._failure = exc   # the bytes before a break first, then the break
                break
            if not chunk:
                break
            parts.append(chunk)
            have += len(chunk)
        return parts[0] if len(parts) == 1 else b"".join(parts)

    def close(self) -> None:
        if not self._stop.is_set():
            self._stop.set()
            self._thread.join()
            sys.setswitchinterval(self._interval)


def _byte_blocks(raw: _Chunks, path: Path, size: int) -> Iterator[bytes]:
    done = 0   # lines read, to say where a damaged archive broke
    # Bytes of a line `decode_block` keeps at most: `MAX_LINE_CHARS` characters, each of up
    # to four bytes (a bad byte is one character).
    longest = 4 * MAX_LINE_CHARS
    rest = b""
    try:
        while True:
            data = raw.read(size)
            if not data:
                if rest and not rest.isspace():
                    yield rest[len(codecs.BOM_UTF8):] if not done and rest.startswith(
                        codecs.BOM_UTF8) else rest
                return
            returns = b"\r" in data   # memchr: most logs have none, and skip the slow path
            cut = data.rfind(b"\n") + 1
            if returns:   # a \r ends a line too, unless its \n may come in the next read
                end = len(data) - 1 if data.endswith(b"\r") else len(data)
                cut = max(cut if cut <= end else data.rfind(b"\n", 0, end) + 1,
                          data.rfind(b"\r", 0, end) + 1)
            if cut == 0:   # no line ends here yet (an absurd line is kept up to its cut)
                rest += data
                if len(rest) > longest:
                    rest = rest[:longest] + _skip_line(raw)
                continue
            block = b"".join((rest, memoryview(data)[:cut])) if rest else \
                (data if cut == len(data) else data[:cut])
            rest = data[cut:]
            if len(rest) > longest:
                rest = rest[:longest] + _skip_line(raw)
            if not done and block.startswith(codecs.BOM_UTF8):
                block = block[len(codecs.BOM_UTF8):]   # as "utf-8-sig" reads the start
            done += block.count(b"\n")
            if returns or b"\r" in block:
                done += block.count(b"\r") - block.count(b"\r\n")
            if not block.isspace():
                yield block
    except SourceError as exc:
        if exc.line is not None:
            raise
        raise damaged(exc, path, done) from exc


def damaged(exc: BaseException, path: Path, lines: int) -> SourceError:
    """A damaged archive's error, naming the file and the line after the last it gave (the
    reason is the decompressor's own, under the `SourceError` that named the file)."""
    return SourceError(f"file is damaged after {lines} lines: {exc.__cause__ or exc}",
                       path=path, line=lines + 1)


def _skip_line(raw: _Chunks) -> bytes:
    """Read past the rest of an absurd line; returns what follows its end (from the
    newline on)."""
    while True:
        chunk = raw.read(1 << 20)
        if not chunk:
            return b""
        end = min((at for at in (chunk.find(b"\n"), chunk.find(b"\r")) if at >= 0),
                  default=-1)
        if end >= 0:
            return chunk[end:]


def _guarded_blocks(text: IO[str], path: Path, size: int) -> Iterator[str]:
    done = 0
    # Lines are counted to say where an archive broke; a plain file does not break midway
    # (a failing disk aside, which names the file), and counting costs a pass over it.
    counting = path == STDIN or compressed(path)
    read, readline = text.read, text.readline
    try:
        while True:
            block = read(size)
            if not block:
                return
            if not block.endswith("\n"):
                rest = readline(MAX_LINE_CHARS)
                block += rest
                if len(rest) == MAX_LINE_CHARS and not rest.endswith("\n"):
                    while True:   # an absurd line: drop the rest of it unread
                        more = readline(MAX_LINE_CHARS)
                        if not more or more.endswith("\n"):
                            break
                    block += "\n"
            if counting:
                done += block.count("\n")
            if not block.isspace():
                yield block
    except SourceError as exc:
        if exc.line is not None:
            raise
        raise damaged(exc, path, done) from exc
    except (*_DAMAGED, ValueError) as exc:
        if not counting:
            raise SourceError(f"cannot read: {exc}", path=path) from exc
        raise damaged(exc, path, done) from exc


def _blocks_of_lines(lines: Iterable[str], size: int) -> Iterator[str]:
    block: list[str] = []
    length = 0
    for line in lines:
        block.append(line)
        length += len(line)
        if length >= size:
            text = "".join(block)
            if not text.isspace():
                yield text
            block, length = [], 0
    text = "".join(block)
    if text and not text.isspace():
        yield text


@contextmanager
def _decoded(path: Path) -> Iterator[tuple[IO[str], Callable[[], int]]]:
    """The file as text (decompressed, encoding sniffed) and its bytes-read function."""
    try:
        disk = open(path, "rb")  # noqa: SIM115 - closed below, after the decoders on top
    except OSError as exc:
        raise SourceError(f"cannot read: {exc.strerror or exc}", path=path) from exc
    try:
        name = path.name.lower()
        raw: io.BufferedReader[Any]
        if name.endswith((".gz", ".bz2")):
            raw = io.BufferedReader(_ChunkStream(_Chunks(disk, path)), _BUFFER)
        else:
            raw = disk
        try:
            text = io.TextIOWrapper(raw, encoding=_sniff_encoding(raw), errors="replace",
                                    newline=None)
        except (*_DAMAGED, ValueError) as exc:
            raise SourceError(f"cannot read: {exc}", path=path) from exc
        try:
            yield text, disk.tell
        finally:
            text.close()
    finally:
        disk.close()


class _Replay:
    """Standard input's lines, read once per process: what was peeked at is given again."""

    def __init__(self, lines: Iterable[str]) -> None:
        self._lines = iter(lines)
        self._head: list[str] = []

    def peek(self, count: int) -> list[str]:
        while len(self._head) < count:
            try:
                self._head.append(next(self._lines))
            except StopIteration:
                break
        return self._head[:count]

    def __iter__(self) -> Iterator[str]:
        while self._head:
            yield self._head.pop(0)
        yield from self._lines


_STDIN: _Replay | None = None


def _stdin_replay() -> _Replay:
    """The process's one reader of standard input (gzip or bzip2 told by its first bytes)."""
    global _STDIN
    if _STDIN is None:
        buffer = getattr(sys.stdin, "buffer", None)
        if buffer is None:  # replaced by a text-only stream (tests, embedding)
            _STDIN = _Replay(_Guarded(sys.stdin, STDIN))
            return _STDIN
        raw = buffer if isinstance(buffer, io.BufferedReader) else io.BufferedReader(buffer)
        head = raw.peek(3)[:3]
        if head.startswith(b"\x1f\x8b"):
            raw = io.BufferedReader(_ChunkStream(_Chunks(raw, STDIN, "gzip")), _BUFFER)
        elif head.startswith(b"BZh"):
            raw = io.BufferedReader(_ChunkStream(_Chunks(raw, STDIN, "bzip2")), _BUFFER)
        text = io.TextIOWrapper(raw, encoding=_sniff_encoding(raw), errors="replace",
                                newline=None)
        _STDIN = _Replay(_Guarded(text, STDIN))
    return _STDIN


@contextmanager
def _stdin_lines() -> Iterator[Iterable[str]]:
    """Standard input as bounded text lines; never closed here (it is the process's)."""
    yield _stdin_replay()


def head_lines(path: Path, count: int = 200) -> list[str]:
    """The first `count` lines that hold anything, of a file or of standard input (`-`,
    given again to whoever reads it next): enough to tell a log's format."""
    if Path(path) == STDIN:
        return [line for line in _stdin_replay().peek(count) if line.strip()]
    out: list[str] = []
    with open_text_tracked(path) as (lines, _position):
        for line in lines:
            if line.strip():
                out.append(line)
                if len(out) >= count:
                    break
    return out


#: Read size under the decompressors (fewer Python-level calls than the 8 KiB default).
_BUFFER = 1 << 16

#: What a damaged or mislabelled archive raises from inside gzip, bz2 and zlib.
_DAMAGED: tuple[type[Exception], type[Exception], type[Exception], type[Exception]] = (
    OSError, EOFError, zlib.error, _inflating.error)


#: Seconds the thread holding the interpreter lock keeps it while a read-ahead thread waits.
SWITCH_INTERVAL = 0.0005


class _ChunkStream(io.RawIOBase):
    """`_Chunks` as a raw stream, for the readers that want one (text, standard input)."""

    def __init__(self, chunks: _Chunks) -> None:
        super().__init__()
        self._chunks = chunks
        self._rest = b""
        self._at = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._at >= len(self._rest):
            self._rest, self._at = self._chunks.read(1), 0
            if not self._rest:
                return 0
        at = self._at
        count = min(len(buffer), len(self._rest) - at)
        buffer[:count] = memoryview(self._rest)[at:at + count]
        self._at = at + count
        return count

    def close(self) -> None:
        if not self.closed:
            self._chunks.close()
        super().close()


class _Decompressed(io.RawIOBase):
    """A `.gz`/`.bz2` stream whose every failure (not that format, truncated, corrupt) is a
    `SourceError` naming the file, wherever the read happens: sniffing, `read()`, iterating,
    a CSV reader on top. The line, when known, is added by `_Guarded`."""

    def __init__(self, stream: io.BufferedIOBase | io.RawIOBase, path: Path,
                 kind: str) -> None:
        super().__init__()
        self._stream = stream
        self._path = path
        self._kind = kind

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        try:
            return self._stream.readinto(buffer)
        except _DAMAGED as exc:
            raise SourceError(f"not a readable {self._kind} file (damaged, truncated or not "
                              f"{self._kind} at all): {exc}", path=self._path) from exc

    def seekable(self) -> bool:
        return self._stream.seekable()

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        try:
            return self._stream.seek(offset, whence)
        except _DAMAGED as exc:
            raise SourceError(f"not a readable {self._kind} file: {exc}",
                              path=self._path) from exc

    def tell(self) -> int:
        return self._stream.tell()

    def close(self) -> None:
        try:
            self._stream.close()
        finally:
            super().close()


def _sniff_encoding(raw: io.BufferedIOBase) -> str:
    head = raw.peek(512)[:512] if hasattr(raw, "peek") else b""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    return _bomless_utf16(head) or "utf-8"


def _bomless_utf16(head: bytes) -> str | None:
    """`utf-16-le`/`utf-16-be` for UTF-16 text written without a BOM (some Windows tools do),
    told by its NUL bytes: ASCII-range text has a NUL in every other byte, on the odd
    positions for little-endian, the even ones for big-endian, and almost none elsewhere."""
    pairs = len(head) // 2
    if pairs < 2 or b"\0" not in head:
        return None
    even, odd = head[0:pairs * 2:2], head[1:pairs * 2:2]
    even_nul, odd_nul = even.count(0), odd.count(0)
    if odd_nul * 4 >= pairs * 3 and even_nul * 10 <= pairs:
        return "utf-16-le"
    if even_nul * 4 >= pairs * 3 and odd_nul * 10 <= pairs:
        return "utf-16-be"
    return None


class _Guarded:
    """Iterates lines, turning a corrupt archive mid-file into a `SourceError` with the line."""

    def __init__(self, text: IO[str], path: Path) -> None:
        self._text = text
        self._path = path
        self._line = 0
        self._blank = [0]   # newlines beyond one in the blank runs given as one item

    def __iter__(self) -> Iterator[str]:
        try:
            for line in bounded_lines(self._text, blank_tally=self._blank):
                self._line += 1
                yield line
        except SourceError as exc:
            if exc.line is not None:
                raise
            raise damaged(exc, self._path, self._line + self._blank[0]) from exc
        except (*_DAMAGED, ValueError) as exc:
            raise damaged(exc, self._path, self._line + self._blank[0]) from exc


#: Longest line handed to a parser; the rest of a longer one is dropped unread into memory.
MAX_LINE_CHARS = 65536


#: Characters read at a time while skipping a run of blank lines.
BLANK_BLOCK = 1 << 20
_CONTENT = re.compile(r"\S")


def bounded_lines(fh: IO[str], limit: int = MAX_LINE_CHARS,
                  blank_tally: list[int] | None = None) -> Iterator[str]:
    """Lines of `fh`, each cut to `limit` characters; the rest of a longer line is skipped,
    so one absurd line (a binary dump, a missing newline) never sits in memory whole.

    A blank line starts a look-ahead in blocks of `BLANK_BLOCK` characters, so that a run of
    millions of blank lines (a padded or zero-filled export) costs block time, not line time:
    such a run is given as ONE whitespace-only item holding several newlines, which stands for
    that many lines (`LogParser.parse` counts them). `blank_tally[0]`, when given, is raised
    by the newlines beyond one in each such item. Other lines are given one by one as before.
    """
    readline = fh.readline
    while True:
        line = readline(limit)
        if line == "\n":
            head = yield from _blank_run(fh.read, limit, blank_tally)
            if not head:
                continue
            line = head if len(head) >= limit else head + readline(limit - len(head))
        if not line:
            return
        if len(line) >= limit and not line.endswith("\n"):
            line = line[:limit]
            while True:
                rest = readline(limit)
                if not rest or rest.endswith("\n"):
                    break
        yield line


def _blank_run(read: Callable[[int], str], limit: int,
               tally: list[int] | None) -> Generator[str, None, str]:
    """After a blank line: yield the run it starts (as one item), then the lines of the
    block where content resumes; return that block's unfinished last line, for the caller
    to complete."""
    newlines = 1
    carry = ""
    while True:
        block = read(BLANK_BLOCK)
        if not block:
            yield from _run(newlines, tally)
            return carry
        if carry:
            block, carry = carry + block, ""
        count = block.count("\n")
        if count == len(block):                 # nothing but newlines: the common padding
            newlines += count
            continue
        cut = block.rfind("\n") + 1
        m = _CONTENT.search(block, 0, cut)
        if m is None:                           # whitespace lines, then maybe a partial one
            newlines += count
            carry = block[cut:]
            if carry.isspace():
                carry = carry[:limit]
                continue
            yield from _run(newlines, tally)
            return carry
        start = block.rfind("\n", 0, m.start()) + 1
        newlines += block.count("\n", 0, start)
        yield from _run(newlines, tally)
        yield from _block_lines(block, start, cut, limit, tally)
        return block[cut:]


def _run(newlines: int, tally: list[int] | None) -> Iterator[str]:
    """Items standing for `newlines` blank lines: one per `BLANK_BLOCK` of them at most, so
    a run of half a billion never becomes one half-gigabyte string."""
    while newlines > 0:
        part = min(newlines, BLANK_BLOCK)
        if part > 1 and tally is not None:
            tally[0] += part - 1
        yield "\n" * part
        newlines -= part


def _block_lines(block: str, pos: int, end: int, limit: int,
                 tally: list[int] | None) -> Iterator[str]:
    """The complete lines of `block[pos:end]` (it ends with a newline), runs of blank lines
    as one item each."""
    search, find, rfind = _CONTENT.search, block.find, block.rfind
    while pos < end:
        m = search(block, pos, end)
        if m is None:
            yield from _run(block.count("\n", pos, end), tally)
            return
        start = rfind("\n", pos, m.start()) + 1 or pos
        if start > pos:
            yield from _run(block.count("\n", pos, start), tally)
        stop = find("\n", m.start()) + 1
        yield block[start:stop] if stop - start <= limit else block[start:start + limit]
        pos = stop


def read_text(path: Path, encoding: str | None = None) -> str:
    """Read a whole (small) file as text; see `open_text`."""
    try:
        with open_text(path, encoding) as fh:
            return fh.read()
    except _DAMAGED as exc:
        raise SourceError(f"cannot read: {exc}", path=path) from exc


def _open_binary(path: Path) -> io.BufferedReader:
    name = path.name.lower()
    if name.endswith(".gz"):
        return io.BufferedReader(_Decompressed(gzip.open(path, "rb"), path, "gzip"), _BUFFER)
    if name.endswith(".bz2"):
        return io.BufferedReader(_Decompressed(bz2.open(path, "rb"), path, "bzip2"), _BUFFER)
    return open(path, "rb")


#: An integer literal longer than Python converts by default (`sys.get_int_max_str_digits`).
_HUGE_INT = re.compile(r"\d{4301}")


def read_json(path: Path) -> Any:
    """Parse a whole JSON file; a syntax error names the file, line and column, and JSON that
    Python will not hold (nested past the recursion limit, a 5,000-digit number) names the
    file (and the line of the number)."""
    text = read_text(path)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        reason = exc.msg.removesuffix(" at")  # "Unterminated string starting at"
        raise SourceError(f"invalid JSON at column {exc.colno}: {reason}", path=path,
                          line=exc.lineno) from exc
    except RecursionError as exc:
        raise SourceError("JSON nested too deeply to read", path=path) from exc
    except ValueError as exc:   # "Exceeds the limit (4300 digits) for integer string ..."
        m = _HUGE_INT.search(text)
        line = text.count("\n", 0, m.start()) + 1 if m else None
        raise SourceError(f"JSON holds a number too long to read: {exc}", path=path,
                          line=line) from exc


def looks_like_json(path: Path) -> bool:
    """JSON by name (`.json`, `.json.gz`), CSV/XLSX/text by name, else by first character."""
    suffixes = {s.lower() for s in path.suffixes}
    if ".json" in suffixes:
        return True
    if {".csv", ".xlsx", ".xlsm", ".txt"} & suffixes:
        return False
    with open_text(path) as fh:
        try:
            head = fh.read(256).lstrip("\ufeff \t\r\n")
        except _DAMAGED as exc:
            raise SourceError(f"cannot read: {exc}", path=path) from exc
    return head[:1] in ("{", "[")

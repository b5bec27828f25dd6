"""Opening input files: compression and encodings handled once, here."""

from __future__ import annotations

import bz2
import codecs
import gzip
import io
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from auditor.errors import SourceError


def open_text(path: Path, encoding: str | None = None) -> IO[str]:
    """Open `path` for reading text, decompressing `.gz`/`.bz2` and honouring a BOM.

    Without `encoding`, a UTF-16 or UTF-8 BOM decides; otherwise UTF-8, with undecodable
    bytes replaced (so binary junk in a log becomes an unparsed line, not a crash).
    """
    path = Path(path)
    try:
        raw = _open_binary(path)
        if encoding is None:
            encoding = _sniff_encoding(raw)
    except (OSError, EOFError) as exc:
        raise SourceError(f"cannot read: {getattr(exc, 'strerror', None) or exc}",
                          path=path) from exc
    return io.TextIOWrapper(raw, encoding=encoding, errors="replace", newline=None)


@contextmanager
def open_text_tracked(path: Path) -> Iterator[tuple[IO[str], Callable[[], int]]]:
    """Like `open_text`, also giving a function that returns how many bytes of the file on
    disk have been read so far (compressed bytes for `.gz`/`.bz2`), for progress bars."""
    path = Path(path)
    try:
        disk = open(path, "rb")  # noqa: SIM115 - closed below, after the decoders on top
    except OSError as exc:
        raise SourceError(f"cannot read: {exc.strerror or exc}", path=path) from exc
    try:
        name = path.name.lower()
        if name.endswith(".gz"):
            raw: io.BufferedIOBase = io.BufferedReader(gzip.GzipFile(fileobj=disk))  # type: ignore[arg-type]
        elif name.endswith(".bz2"):
            raw = io.BufferedReader(bz2.BZ2File(disk))  # type: ignore[arg-type]
        else:
            raw = disk
        text = io.TextIOWrapper(raw, encoding=_sniff_encoding(raw), errors="replace",
                                newline=None)
        try:
            yield _Guarded(text, path), disk.tell
        finally:
            text.close()
    finally:
        disk.close()


def _sniff_encoding(raw: io.BufferedIOBase) -> str:
    head = raw.peek(4)[:4] if hasattr(raw, "peek") else b""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    return "utf-8"


class _Guarded:
    """Iterates lines, turning a corrupt archive mid-file into a `SourceError`."""

    def __init__(self, text: IO[str], path: Path) -> None:
        self._text = text
        self._path = path
        self._line = 0

    def __iter__(self) -> Iterator[str]:
        try:
            for line in bounded_lines(self._text):
                self._line += 1
                yield line
        except (OSError, EOFError, ValueError) as exc:
            raise SourceError(f"file is damaged after {self._line} lines: {exc}",
                              path=self._path, line=self._line + 1) from exc


#: Longest line handed to a parser; the rest of a longer one is dropped unread into memory.
MAX_LINE_CHARS = 65536


def bounded_lines(fh: IO[str], limit: int = MAX_LINE_CHARS) -> Iterator[str]:
    """Lines of `fh`, each cut to `limit` characters; the rest of a longer line is skipped,
    so one absurd line (a binary dump, a missing newline) never sits in memory whole."""
    readline = fh.readline
    while True:
        line = readline(limit)
        if not line:
            return
        if len(line) == limit and not line.endswith("\n"):
            while True:
                rest = readline(limit)
                if not rest or rest.endswith("\n"):
                    break
        yield line


def read_text(path: Path, encoding: str | None = None) -> str:
    """Read a whole (small) file as text; see `open_text`."""
    try:
        with open_text(path, encoding) as fh:
            return fh.read()
    except (OSError, EOFError) as exc:
        raise SourceError(f"cannot read: {exc}", path=path) from exc


def _open_binary(path: Path) -> io.BufferedReader:
    name = path.name.lower()
    if name.endswith(".gz"):
        return io.BufferedReader(gzip.open(path, "rb"))  # type: ignore[arg-type]
    if name.endswith(".bz2"):
        return io.BufferedReader(bz2.open(path, "rb"))  # type: ignore[arg-type]
    return open(path, "rb")


def read_json(path: Path) -> Any:
    """Parse a whole JSON file; a syntax error names the file, line and column."""
    text = read_text(path)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        reason = exc.msg.removesuffix(" at")  # "Unterminated string starting at"
        raise SourceError(f"invalid JSON at column {exc.colno}: {reason}", path=path,
                          line=exc.lineno) from exc


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
        except (OSError, EOFError) as exc:
            raise SourceError(f"cannot read: {exc}", path=path) from exc
    return head[:1] in ("{", "[")

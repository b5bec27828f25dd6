"""Opening input files: compression and encodings handled once, here."""

from __future__ import annotations

import bz2
import codecs
import gzip
import io
from pathlib import Path
from typing import IO

from auditor.errors import SourceError


def open_text(path: Path, encoding: str | None = None) -> IO[str]:
    """Open `path` for reading text, decompressing `.gz`/`.bz2` and honouring a BOM.

    Without `encoding`, a UTF-16 or UTF-8 BOM decides; otherwise UTF-8, with undecodable
    bytes replaced (so binary junk in a log becomes an unparsed line, not a crash).
    """
    path = Path(path)
    try:
        raw = _open_binary(path)
        head = raw.peek(4)[:4] if hasattr(raw, "peek") else b""
    except OSError as exc:
        raise SourceError(f"cannot read: {exc.strerror or exc}", path=path) from exc
    if encoding is None:
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            encoding = "utf-16"
        elif head.startswith(codecs.BOM_UTF8):
            encoding = "utf-8-sig"
        else:
            encoding = "utf-8"
    return io.TextIOWrapper(raw, encoding=encoding, errors="replace", newline=None)


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

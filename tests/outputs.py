"""What a user could read after a command: its printed text and every file it wrote (the
XLSX workbooks' XML parts included), for tests that look for what must never be there."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any


def output_texts(printed: Any, folder: Path) -> list[str]:
    """stdout and stderr of `printed` (pytest's captured output), then every file below
    `folder` as text."""
    texts = [printed.out, printed.err]
    for path in sorted(folder.rglob("*")):
        if path.suffix == ".xlsx":
            with zipfile.ZipFile(path) as book:
                texts += [book.read(n).decode("utf-8", "replace") for n in book.namelist()]
        elif path.is_file():
            texts.append(path.read_text(encoding="utf-8"))
    return texts

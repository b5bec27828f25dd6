"""The I/O object every connector is built with: how it reaches its inputs.

Connectors read through `Inputs` rather than opening files themselves, so a test can hand
one in-memory files, and an API connector can hand the same `parse` a body fetched over
HTTP. The default reads files, decompressing `.gz`/`.bz2` and honouring BOMs (`files`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import IO, Any

from connectors.shared import files


class Inputs:
    """Reads files on this machine; subclass to serve inputs from elsewhere."""

    def read_text(self, path: Path, encoding: str | None = None) -> str:
        """The whole (small) file as text."""
        return files.read_text(path, encoding)

    def read_json(self, path: Path) -> Any:
        """The file's JSON document; a syntax error names the file, line and column."""
        return files.read_json(path)

    def open_text(self, path: Path) -> IO[str]:
        """The file as a text stream (the caller closes it)."""
        return files.open_text(path)

    def open_lines(self, path: Path) -> AbstractContextManager[
            tuple[Iterable[str], Callable[[], int]]]:
        """Bounded lines of a (large) file, with how many bytes of it have been read."""
        return files.open_text_tracked(path)

    def open_blocks(self, path: Path, size: int = files.BLOCK_CHARS
                    ) -> AbstractContextManager[tuple[Iterator[str], Callable[[], int]]]:
        """Blocks of whole lines (about `size` characters) of a large file, to fold in parts."""
        return files.open_blocks(path, size)

    def looks_like_json(self, path: Path) -> bool:
        """Whether the file is a JSON body rather than a table or text export."""
        return files.looks_like_json(path)

    def rows(self, path: Path, aliases: Mapping[str, Sequence[str]],
             **options: Any) -> Iterator[Any]:
        """The data rows of a CSV/XLSX export, headers matched by alias (`tables`)."""
        from connectors.shared.tables import read_rows

        return iter(read_rows(path, aliases, **options))

"""Types of the C scanner of the ASA fold (`_asa_scan.c`, built by setup.py)."""

from collections.abc import Callable, Collection, Iterable, MutableMapping
from datetime import datetime

class Scanner:
    number: int
    """The number of the next line to read (Python sets it past the lines it reads)."""

    def __init__(self, conns: MutableMapping[tuple[str, str], bool],
                 devices: MutableMapping[str, str], held: Collection[str] | None,
                 handled: Iterable[int], pair_limit: int, max_line: int, *,
                 add: Callable[..., object]
                 | tuple[bytearray, list[object], dict[object, int]] | None = ...,
                 read_header: Callable[[str], tuple[datetime | None, str | None]] | None = ...,
                 signals: tuple[object, object, object, object] | None = ...,
                 latest: datetime | None = ..., zones: Collection[str] | None = ...) -> None: ...
    def scan(self, block: str, pos: int) -> int: ...
    def take_counts(self) -> tuple[int, int, int, dict[str, int]]: ...
    def header_time(self, header: str) -> tuple[bool, datetime | None]: ...

def header_key(header: str) -> str | None: ...

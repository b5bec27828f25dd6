"""Types of the C drop-flow table of `TrafficIndex` (`_flows.c`, built by setup.py)."""

from collections.abc import Callable, Collection
from typing import Any

class FlowTable:
    folded: int
    """Drop lines counted in a folded (coarser) flow."""

    def __init__(self, held: Collection[str] | None, is_noise: Callable[[str], bool] | None,
                 noise: Any, hourly: dict[Any, int], hourly_messages: dict[Any, int],
                 max_flows: int, drop_signals: frozenset[str], other: str) -> None: ...
    def add(self, time: Any, message: str, signal: str, protocol: str | None, src: str,
            sport: int | None, dst: str, dport: int | None, count: int) -> None: ...
    def add_calls(self, calls: list[tuple[Any, ...]],
                  other: Callable[..., object]) -> None: ...
    def add_packed(self, blob: bytes | bytearray, objects: list[object],
                   calls: list[tuple[object, ...]], other: Callable[..., object]) -> None: ...
    def drain(self, tally: type[Any], array: type[Any]) -> dict[Any, Any]: ...
    def __len__(self) -> int: ...

"""The config of one connector: a `[[sources]]`, `[[networks]]`, `[[logs]]` or `[[captures]]`
table, validated and with its paths resolved (`auditor.config` builds it). A source read
from a live API has a `url` instead of paths, and its API keys (`verify`, `timeout`,
`*_env`...) in `options`."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True, slots=True)
class SourceSpec:
    """One `[[sources]]`, `[[networks]]`, `[[logs]]` or `[[captures]]` table, paths resolved."""

    name: str
    type: str
    paths: tuple[Path, ...] = ()
    owner: str = ""
    poller: str | None = None
    options: Mapping[str, Any] = field(default_factory=dict)
    """Type-specific keys: `engines_path` (Path), `columns` (dict), `date_format`, `host`...;
    for an API source also `verify` (bool or Path), `timeout`, `retries` and the `*_env`
    names."""
    root: Path | None = None
    """The config file's folder: locations in reports are written relative to it."""
    url: str | None = None
    """The tool's API base URL (`url = ...`), for a type that reads a live API instead of
    files (then `paths` is empty). Never holds credentials: those are named by `*_env`
    keys in `options` and read from the environment when the source is fetched."""

    @property
    def live(self) -> bool:
        """Whether this source is read from its tool's API rather than from files."""
        return self.url is not None

    def where(self, path: Path | str | None, line: int | None = None) -> str:
        """`exports/npm-nodes.json` or `exports/assets.csv:14`, for a record's location (a
        URL, for a body fetched from an API, is shown as it is)."""
        text = _shown_path(path, self.root) if isinstance(path, Path) else path or ""
        return f"{text}:{line}" if line is not None else text

    @property
    def path(self) -> Path:
        """The single file of a one-file source."""
        return self.paths[0]


@functools.lru_cache(maxsize=256)
def _shown_path(path: Path, root: Path | None) -> str:
    """`path` relative to `root` when inside it; cached: every record of a file asks."""
    if root is not None:
        try:
            return path.resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            pass
    return path.as_posix()

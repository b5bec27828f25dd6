"""The base of target sources whose export is a table: one record per CSV/XLSX row.

A subclass declares its header aliases and turns one `Row` into a `Target`; reading the
table (header aliasing, the `columns`, `date_format` and `sheet` options) is
`connectors.shared.tables`.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import ClassVar

from auditor.model import Target
from connectors.base import SourceSpec, TargetSource
from connectors.shared.inputs import Inputs
from connectors.shared.tables import Row, TableOptions


class TableTargetSource(TargetSource):
    """A target source whose export is a CSV/XLSX table: one record per row.

    Subclasses declare `aliases` (and `required` / `any_of`) and turn one row into a target.
    """

    aliases: ClassVar[Mapping[str, Sequence[str]]]
    required: ClassVar[tuple[str, ...]] = ("address",)
    any_of: ClassVar[tuple[tuple[str, ...], ...]] = ()
    options = frozenset({"columns", "date_format", "sheet"})

    def __init__(self, spec: SourceSpec, *, clock: datetime | None = None,
                 io: Inputs | None = None) -> None:
        super().__init__(spec, clock=clock, io=io)
        self.layout = TableOptions.from_spec(spec, self.aliases)
        self._shown: tuple[Path | None, str] = (None, "")

    def location(self, row: Row) -> str:
        """`self.spec.where(row.path, row.line)`, the file's part worked out once a file."""
        path, shown = self._shown
        if row.path is not path or path is None:
            shown = self.spec.where(row.path)
            self._shown = (row.path, shown)
        return f"{shown}:{row.line}"

    def fetch(self) -> list[Target]:
        """Every row's target, file by file; rows without an address give none."""
        targets: list[Target] = []
        for path in self.spec.paths:
            for row in self.io.rows(path, self.aliases, required=self.required,
                                    any_of=self.any_of, columns=self.layout.columns,
                                    sheet=self.layout.sheet):
                target = self.row_target(row)
                if target is not None:
                    targets.append(target)
        return targets

    @abstractmethod
    def row_target(self, row: Row) -> Target | None:
        """The target one row describes, or None when the row has no address."""

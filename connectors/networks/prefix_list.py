"""IPAM prefix exports: a NetBox-style CSV/XLSX table, or plain text with one prefix a line.

The table form takes NetBox's own "Export > Current view" CSV (`ID,Prefix,Status,Children,
VRF,...`) and phpIPAM/spreadsheet variants with a bare network beside a mask column. Status
labels are read by `ipam_status` (NetBox's, plus `Retired`/`Decommissioned` typed by hand);
an empty one means active.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import ClassVar

from auditor.addresses import canonical_prefix
from auditor.errors import SourceError
from auditor.model import Network
from connectors.base import NetworkSource, SourceSpec
from connectors.networks.ipam_status import network_status
from connectors.networks.netbox import ipam_networks
from connectors.shared.inputs import Inputs
from connectors.shared.tables import Row, TableOptions

#: Field -> header texts, most specific first (the first one present wins).
ALIASES: dict[str, tuple[str, ...]] = {
    "prefix": ("Prefix", "CIDR", "Network Address", "Network", "Subnet", "Address"),
    "mask": ("Subnet Mask", "Netmask", "Mask"),
    "status": ("Status",),
    "vrf": ("VRF",),
    "description": ("Description",),
}

#: NetBox's table export writes "Global" for a prefix outside any VRF.
NO_VRF = frozenset({"", "global", "none", "-", "—"})

_TABLE_SUFFIXES = (".xlsx", ".xlsm")


class PrefixListSource(NetworkSource):
    """Reads prefixes from an IPAM CSV/XLSX export or a plain one-prefix-a-line list."""

    type: ClassVar[str] = "prefix-list"
    options: ClassVar[frozenset[str]] = frozenset({"columns", "sheet"})

    def __init__(self, spec: SourceSpec, *, clock: datetime | None = None,
                 io: Inputs | None = None) -> None:
        super().__init__(spec, clock=clock, io=io)
        self.table = TableOptions.from_spec(spec, ALIASES)

    def fetch(self) -> list[Network]:
        """Return every listed prefix with its IPAM status, file by file."""
        networks: list[Network] = []
        for path in self.spec.paths:
            if self.io.looks_like_json(path):  # a saved NetBox / Infoblox / phpIPAM page
                networks.extend(ipam_networks(self.io.read_json(path), self.spec.name,
                                              self.spec.where(path), path))
            elif path.suffix.lower() in _TABLE_SUFFIXES or not self._is_text_list(path):
                networks.extend(self._read_table(path))
            else:
                networks.extend(self._read_text(path))
        return networks

    def _read_table(self, path: Path) -> Iterator[Network]:
        for row in self.io.rows(path, ALIASES, required=("prefix",),
                                columns=self.table.columns, sheet=self.table.sheet):
            network = self._row_network(path, row)
            if network is not None:
                yield network

    def _row_network(self, path: Path, row: Row) -> Network | None:
        raw = row.text("prefix")
        if not raw:
            return None
        # A prefix that carries its own length wins over a mask column beside it.
        mask = "" if "/" in raw else row.text("mask").lstrip("/")
        prefix = canonical_prefix(raw, mask or None)
        if prefix is None:
            raise row.error("prefix", f"not a prefix: {f'{raw} {mask}'.strip()!r}")
        try:
            status = network_status(row.text("status"))
        except ValueError as exc:
            raise row.error("status", str(exc)) from None
        return Network(prefix=prefix, source=self.spec.name, status=status,
                       location=self.spec.where(path, row.line),
                       description=_describe(row.text("description"), row.text("vrf")))

    def _is_text_list(self, path: Path) -> bool:
        """True when the first line that is not a comment starts with a prefix (no header)."""
        with self.io.open_text(path) as fh:
            for line in fh:
                parsed = _text_line(line)
                if parsed is not None:
                    return parsed[0] is not None
        return True

    def _read_text(self, path: Path) -> Iterator[Network]:
        with self.io.open_text(path) as fh:
            for number, line in enumerate(fh, start=1):
                parsed = _text_line(line)
                if parsed is None:
                    continue
                prefix, description = parsed
                if prefix is None:
                    raise SourceError(f"not a prefix: {line.strip()!r}", path=path,
                                      line=number)
                yield Network(prefix=prefix, source=self.spec.name,
                              location=self.spec.where(path, number),
                              description=description)


def _describe(description: str, vrf: str) -> str:
    """The description column, with the VRF named when the prefix is in one."""
    if vrf.lower() in NO_VRF:
        return description
    return f"{description} (vrf {vrf})" if description else f"vrf {vrf}"




def _text_line(line: str) -> tuple[str | None, str] | None:
    """Parse one plain-text line: None to skip it, (None, "") when it is not a prefix.

    Accepts `10.10.0.0/16`, `10.20.0.0 255.255.0.0` and a bare address (/32, /128);
    words after the prefix become the description.
    """
    text = line.strip()
    if not text or text.startswith("#"):
        return None
    words = text.split(None, 2)
    if len(words) > 1 and "/" not in words[0] and words[1].count(".") == 3:
        prefix = canonical_prefix(words[0], words[1])
        rest = words[2] if len(words) > 2 else ""
    else:
        prefix = canonical_prefix(words[0])
        rest = text[len(words[0]):]
    if prefix is None or rest.split(None, 1)[:1] in (["-"], ["to"]):
        # `10.40.0.0 - 10.40.3.255` is a range, not an address with a description.
        return None, ""
    # "10.10.0.0/16  # DC1 servers": an inline comment is the description too.
    return prefix, rest.strip().lstrip("#").strip()


"""The `snmp-config` source: each file read for what its content says it is."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from auditor.errors import SourceError
from auditor.model import Target, ToolState
from connectors.base import SkippedLine, TargetSource
from connectors.sources.snmp.cisco import read_cisco
from connectors.sources.snmp.common import ConfigFile, Hit
from connectors.sources.snmp.netsnmp import COMMENTABLE, NETSNMP_DIRECTIVES, read_netsnmp
from connectors.sources.snmp.windows_registry import REG_HEADERS, read_registry


class SnmpConfigSource(TargetSource):
    """Trap destinations and permitted pollers from SNMP agent and device configs."""

    type = "snmp-config"

    def fetch(self) -> list[Target]:
        targets: list[Target] = []
        self.skipped = []
        seen: set[Path] = set()
        for path in self.spec.paths:
            if path.resolve() in seen:
                continue
            seen.add(path.resolve())
            targets += [self._target(path, hit) for hit in self._read(path)]
        return targets

    def _read(self, path: Path) -> list[Hit]:
        lines = self.io.read_text(path).splitlines()
        parse = _parser(lines)
        if parse is None:
            raise SourceError(
                "not a recognised SNMP configuration (expected net-snmp snmpd.conf or "
                "snmptrapd.conf directives, Cisco snmp-server lines, or a Windows reg export)",
                path=path)
        file = ConfigFile(path, self.spec.where(path), lines)
        hits = parse(file)
        self.skipped += [SkippedLine(self.spec.where(path, number), reason)
                         for number, reason in sorted(file.skipped)]
        return sorted(hits, key=lambda h: h.line)

    def _target(self, path: Path, hit: Hit) -> Target:
        where = self.spec.where(path, hit.line)
        return Target(
            address=hit.host, source=self.spec.name, kind=self.type, id=where,
            name=hit.name, polled=hit.polled,
            state=ToolState.DISABLED if hit.commented else ToolState.UNKNOWN,
            poller=self.spec.poller, location=where, owner=self.spec.owner, fix=hit.fix,
            protocol=hit.protocol, port=hit.port)


def _parser(lines: list[str]) -> Callable[[ConfigFile], list[Hit]] | None:
    """Pick the reader for a file from its content; None when it is no SNMP config."""
    content = [s for s in (raw.strip() for raw in lines) if s and s[0] not in "#!;"]
    if not content:  # everything commented out: only disabled net-snmp lines, if any
        commented = (raw.strip().lstrip("#").split(maxsplit=1) for raw in lines)
        if any(words and words[0].lower() in COMMENTABLE for words in commented):
            return read_netsnmp
        return lambda file: []
    if content[0].lstrip("\ufeff") in REG_HEADERS:
        return read_registry
    if any(s.startswith("snmp-server ") for s in content):
        return read_cisco
    if any(s.split()[0].lower() in NETSNMP_DIRECTIVES for s in content):
        return read_netsnmp
    return None

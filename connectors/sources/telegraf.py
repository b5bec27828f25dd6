"""Telegraf: the agents of `[[inputs.snmp]]` blocks in telegraf.conf and telegraf.d files.

Each file is TOML, read on its own (give `paths = ["telegraf.conf", "telegraf.d/*.conf"]`
for a `--config-directory` layout). Every `agents` entry is a target: `udp://host:161`,
`host`, `tcp://host:1161`, `udp6://[v6]:161`; scheme udp and port 161 by default. A block
commented out is not polled and gives no record; it is counted among the skipped lines so
it is seen. Telegraf keeps no state on disk: the state is unknown and nothing says when an
agent last answered.

Telegraf replaces `${VAR}` and `$VAR` from its environment before it reads the file: an
unquoted one (`interval = ${SNMP_INTERVAL}`, as its docs write numbers) is read as text
here, and an agent that holds one is skipped (its value is not in the file). The
community, v3 user and passwords are never read; the fix names the block by file and line
with its SNMP version and interval. Poller: the option `poller` (the Telegraf host).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from auditor.errors import SourceError
from auditor.model import Target, ToolState
from connectors.base import SkippedLine, TargetSource
from connectors.shared.hosts import split_endpoint
from connectors.shared.values import cell_text
from connectors.sources.snmp.common import is_remote

#: Agent schemes gosnmp accepts, as protocol names.
SCHEMES = {"": "udp", "udp": "udp", "udp4": "udp", "udp6": "udp",
           "tcp": "tcp", "tcp4": "tcp", "tcp6": "tcp"}

_HEADER = re.compile(r"^\s*\[\[\s*inputs\s*\.\s*snmp\s*\]\]")
_COMMENTED_HEADER = re.compile(r"^\s*#+\s*\[\[\s*inputs\s*\.\s*snmp\s*\]\]")
#: Any table header; one of `inputs.snmp.*` (field, table, tags) stays inside the block.
_ANY_HEADER = re.compile(r"^\s*\[")
_SUBTABLE = re.compile(r"^\s*\[{1,2}\s*inputs\s*\.\s*snmp\s*\.")
#: `key = ${VAR}` or `key = $VAR` unquoted: Telegraf fills it in before TOML reads it.
_BARE_ENV = re.compile(r"^(\s*[A-Za-z0-9_.\"-]+\s*=\s*)"
                       r"(\$\{?[A-Za-z_][A-Za-z0-9_]*\}?)(\s*(?:#.*)?)$")
_TOML_AT = re.compile(r"\s*\(at line (\d+), column (\d+)\)$")


@dataclass(frozen=True, slots=True)
class _Block:
    """One `[[inputs.snmp]]` table and the lines it spans in its file."""

    number: int
    values: dict[str, Any]
    start: int
    """The line of its header (1-based); 0 when the file's text gave none."""
    end: int
    """The last line that belongs to it."""


class TelegrafSource(TargetSource):
    """Agents of Telegraf's SNMP input plugin, from its TOML configuration files."""

    type = "telegraf"

    def fetch(self) -> list[Target]:
        self.skipped = []
        targets: list[Target] = []
        for path in self.spec.paths:
            targets += self._parse(self.io.read_text(path), path)
        if not targets and not self.skipped:
            raise SourceError("no [[inputs.snmp]] block in any of the files",
                              path=", ".join(str(p) for p in self.spec.paths))
        return targets

    def parse(self, text: str, origin: Path | str) -> list[Target]:
        """Targets from one configuration file's text."""
        self.skipped = []
        return self._parse(text, origin)

    def _parse(self, text: str, origin: Path | str) -> list[Target]:
        lines = text.lstrip("\ufeff").splitlines()
        data = _load(lines, origin)
        for number, line in enumerate(lines, 1):
            if _COMMENTED_HEADER.match(line):
                self.skipped.append(SkippedLine(
                    self.spec.where(origin, number), "commented-out [[inputs.snmp]] block: "
                    "Telegraf does not poll its agents"))
        targets: list[Target] = []
        for block in _blocks(data, lines):
            targets += self._block(block, lines, origin)
        return targets

    def _block(self, block: _Block, lines: list[str], origin: Path | str) -> list[Target]:
        block_at = self.spec.where(origin, block.start or None)
        agents = block.values.get("agents")
        if not agents:
            self.skipped.append(SkippedLine(block_at, "[[inputs.snmp]] block without agents: "
                                            "nothing is polled"))
            return []
        if not isinstance(agents, list):
            agents = [agents]
        version = cell_text(block.values.get("version")) or "2"
        interval = cell_text(block.values.get("interval"))
        cursor = _AgentLines(lines, block)
        targets = []
        for agent in agents:
            line = cursor.find(agent) if isinstance(agent, str) else None
            where = self.spec.where(origin, line or block.start or None)
            if not isinstance(agent, str) or not agent.strip():
                self.skipped.append(SkippedLine(where, f"agent {agent!r} is not a host"))
                continue
            if "$" in agent:
                self.skipped.append(SkippedLine(where, f"agent {agent!r} holds an environment "
                                                "variable that Telegraf fills in at start: "
                                                "its value is not in the file"))
                continue
            try:
                scheme, host, port = split_endpoint(agent)
            except ValueError:
                self.skipped.append(SkippedLine(where, f"agent {agent!r} is not a host, "
                                                "host:port or scheme://host:port"))
                continue
            if scheme not in SCHEMES:
                self.skipped.append(SkippedLine(where, f"agent {agent!r}: scheme {scheme!r} "
                                                "is not udp, tcp, udp4, udp6, tcp4 or tcp6"))
                continue
            if not is_remote(host):
                self.skipped.append(SkippedLine(where, f"agent {agent!r} is the polling host "
                                                "itself; no packet crosses the network"))
                continue
            targets.append(Target(
                address=host, source=self.spec.name, kind=self.type, id=where,
                name=agent.strip(), polled=True, state=ToolState.UNKNOWN,
                poller=self.spec.poller, location=where, owner=self.spec.owner,
                fix=_fix(agent.strip(), block_at, version, interval),
                protocol=SCHEMES[scheme], port=port or 161))
        return targets


def _load(lines: list[str], origin: Path | str) -> dict[str, Any]:
    """The TOML document, with unquoted environment references read as text."""
    text = "\n".join(_BARE_ENV.sub(r'\1"\2"\3', line) for line in lines)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        at = _TOML_AT.search(message)
        line = int(at.group(1)) if at else None
        reason = _TOML_AT.sub("", message)
        where = f" at column {at.group(2)}" if at else ""
        raise SourceError(f"invalid TOML{where}: {reason}", path=origin, line=line) from exc


def _blocks(data: dict[str, Any], lines: list[str]) -> list[_Block]:
    inputs = data.get("inputs")
    tables = inputs.get("snmp") if isinstance(inputs, dict) else None
    if tables is None:
        return []
    if isinstance(tables, dict):
        tables = [tables]
    headers = [n for n, line in enumerate(lines, 1) if _HEADER.match(line)]
    if len(headers) != len(tables):
        headers = [0] * len(tables)  # written another way (dotted keys): no lines to give
    blocks = []
    for index, (values, start) in enumerate(zip(tables, headers, strict=True)):
        end = len(lines)
        if start:
            for number in range(start + 1, len(lines) + 1):
                line = lines[number - 1]
                if _ANY_HEADER.match(line) and not _SUBTABLE.match(line):
                    end = number - 1
                    break
        if isinstance(values, dict):
            blocks.append(_Block(index + 1, values, start, end))
    return blocks


class _AgentLines:
    """Finds each agent's line in its block, in order, past comments."""

    def __init__(self, lines: list[str], block: _Block) -> None:
        self.lines = lines
        self.line = block.start or 0
        self.end = block.end if block.start else 0

    def find(self, agent: str) -> int | None:
        quoted = (f'"{agent}"', f"'{agent}'")
        for number in range(max(self.line, 1), self.end + 1):
            text = self.lines[number - 1].lstrip()
            if text.startswith("#"):
                continue
            if any(q in text.split("#", 1)[0] for q in quoted):
                self.line = number
                return number
        return None


def _fix(agent: str, block_at: str, version: str, interval: str) -> str:
    how = f"SNMP v{'2c' if version == '2' else version}"
    if interval:
        how += f", every {interval}"
    return f"Remove agent {agent} from the [[inputs.snmp]] block at {block_at} ({how})"


__all__ = ["SCHEMES", "TelegrafSource"]

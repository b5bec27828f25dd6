"""Connection tables taken on a polling server: `netstat -abn N` (Windows) and `ss -tunap`.

They attribute ghost flows to a process. TCP attempts show the remote end (SYN_SENT to a
dead host); UDP sockets show only the local port (`*:*`), so a UDP poll is matched by the
source port the firewall logged.
"""

from __future__ import annotations

import re
from abc import abstractmethod
from dataclasses import dataclass
from pathlib import Path

from auditor.addresses import canonical_ip
from auditor.errors import SourceError
from auditor.model import ProcessKey
from connectors.base import CaptureSource

_NETSTAT_CONN = re.compile(r"^\s+(TCP|UDP)\s+(\S+)\s+(\S+)\s*(\S*)\s*$")
_SS_LINE = re.compile(r"^(tcp|udp)\s+(\S+)\s+\d+\s+\d+\s+(\S+)\s+(\S+)\s*(.*)$")
_SS_PROCESS = re.compile(r'\("([^"]+)",pid=(\d+)')


@dataclass(frozen=True, slots=True)
class Connection:
    """One socket in a capture."""

    protocol: str
    local: str | None
    lport: int | None
    remote: str | None
    rport: int | None
    state: str
    process: str
    line: int


class ConnectionTable(CaptureSource):
    """A connection table taken on a polling server; subclasses read one tool's output.

    `host` (config) is the address of the server it was taken on: it stands in for the
    local address of a socket bound to all addresses.
    """

    options = frozenset({"host"})

    def fetch(self) -> dict[ProcessKey, str]:
        """Attribution keys (see `reconcile.ghost_flows`) -> process, host and place."""
        host = self.spec.options.get("host")
        keys: dict[ProcessKey, str] = {}
        for path in self.spec.paths:
            for conn in self.parse(self.io.read_text(path), path):
                label = f"{conn.process} on {host or conn.local or '?'} ({self.spec.name}, " \
                        f"{self.spec.where(path, conn.line)})"
                if conn.remote and conn.remote not in ("0.0.0.0", "::") and conn.rport:
                    keys.setdefault(("dst", conn.remote, conn.rport), label)
                local = conn.local if conn.local not in (None, "0.0.0.0", "::") else host
                if local and conn.lport:
                    keys.setdefault(("src", local, conn.lport), label)
        return keys

    @abstractmethod
    def parse(self, text: str, origin: Path | str) -> list[Connection]:
        """Every socket of one capture's text."""


class WindowsNetstatCapture(ConnectionTable):
    """Repeated `netstat -abn N` output from a Windows server."""

    type = "windows-netstat"

    def parse(self, text: str, origin: Path | str) -> list[Connection]:
        return parse_netstat(text, origin)


class LinuxSsCapture(ConnectionTable):
    """`ss -tunap` output from a Linux server."""

    type = "linux-ss"

    def parse(self, text: str, origin: Path | str) -> list[Connection]:
        return parse_ss(text)


def parse_netstat(text: str, path: Path | str) -> list[Connection]:
    """Every connection of every snapshot in a `netstat -abn [N]` capture."""
    if "Active Connections" not in text:
        raise SourceError("not a netstat -abn capture (no 'Active Connections' header)",
                          path=path)
    conns: list[Connection] = []
    pending: list[tuple[int, re.Match[str]]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        match = _NETSTAT_CONN.match(line)
        if match and match.group(1) in ("TCP", "UDP") and ":" in match.group(2):
            pending.append((number, match))
            continue
        stripped = line.strip()
        if pending and (stripped.startswith("[") and stripped.endswith("]")
                        or stripped.startswith("Can not obtain")):
            process = stripped[1:-1] if stripped.startswith("[") else "unknown process"
            for at, m in pending:
                conns.append(_netstat_conn(m, process, at))
            pending = []
    return conns


def _netstat_conn(match: re.Match[str], process: str, line: int) -> Connection:
    local, lport = _endpoint(match.group(2))
    remote, rport = _endpoint(match.group(3))
    return Connection(match.group(1).lower(), local, lport, remote, rport,
                      match.group(4) or "", process, line)


def parse_ss(text: str) -> list[Connection]:
    """Every socket in `ss -tunap` output (with or without the Process header word)."""
    conns = []
    for number, line in enumerate(text.splitlines(), start=1):
        match = _SS_LINE.match(line.strip())
        if not match:
            continue
        local, lport = _endpoint(match.group(3))
        remote, rport = _endpoint(match.group(4))
        names = _SS_PROCESS.findall(match.group(5))
        process = ", ".join(f"{n} (pid {p})" for n, p in names) or "unknown process"
        conns.append(Connection(match.group(1), local, lport, remote, rport, match.group(2),
                                process, number))
    return conns


def _endpoint(text: str) -> tuple[str | None, int | None]:
    """`10.1.2.3:161`, `[::]:135`, `[::ffff:10.0.0.1]:161`, `*:*`, `0.0.0.0:*`."""
    host, _, port = text.rpartition(":")
    host = host.strip("[]")
    if host.lower().startswith("::ffff:") and "." in host:
        host = host[7:]
    address = canonical_ip(host) if host not in ("", "*") else None
    return address, int(port) if port.isdigit() else None

"""Connection tables taken on a polling server: `netstat -abn N` (Windows) and `ss -tunap`.

They attribute ghost flows to a process. TCP attempts show the remote end (SYN_SENT to a
dead host); UDP sockets show only the local port (`*:*`), so a UDP poll is matched by the
source port the firewall logged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from auditor.addresses import canonical_ip
from auditor.errors import SourceError
from connectors.base import SourceSpec
from connectors.shared.files import read_text

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


def read_capture(spec: SourceSpec) -> dict[tuple[str, str, int | None], str]:
    """Return the attribution keys a capture supports (see `reconcile.ghost_flows`)."""
    host = spec.options.get("host")
    keys: dict[tuple[str, str, int | None], str] = {}
    for path in spec.paths:
        parse = parse_netstat if spec.type == "windows-netstat" else parse_ss
        for conn in parse(path):
            label = f"{conn.process} on {host or conn.local or '?'} ({spec.name}, " \
                    f"{spec.where(path, conn.line)})"
            if conn.remote and conn.remote not in ("0.0.0.0", "::") and conn.rport:
                keys.setdefault(("dst", conn.remote, conn.rport), label)
            local = conn.local if conn.local not in (None, "0.0.0.0", "::") else host
            if local and conn.lport:
                keys.setdefault(("src", local, conn.lport), label)
    return keys


def parse_netstat(path: Path) -> list[Connection]:
    """Every connection of every snapshot in a `netstat -abn [N]` capture."""
    text = read_text(path)
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


def parse_ss(path: Path) -> list[Connection]:
    """Every socket in `ss -tunap` output (with or without the Process header word)."""
    conns = []
    for number, line in enumerate(read_text(path).splitlines(), start=1):
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

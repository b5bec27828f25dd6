"""What the three SNMP config readers share: the hit a line gives, the file being read.

A reader turns each directive that names a host into a `Hit`; the source makes it a
`Target`. `ConfigFile` carries the file's lines, its secret words (`withholding`) and the
lines skipped so that a secret goes nowhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import netaddr

from auditor.addresses import canonical_host, canonical_ip, canonical_prefix
from auditor.errors import SourceError

#: Where notifications go unless a line names another port.
TRAP_PORT = 162

_LOCAL_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost",
                          "ip6-loopback"})


@dataclass(frozen=True, slots=True)
class Hit:
    """One host a config line names, before it becomes a `Target`."""

    line: int
    host: str
    polled: bool
    name: str
    fix: str
    protocol: str | None = None
    port: int | None = None
    commented: bool = False
    """Read from a commented-out directive: it sends nothing, but points at the address."""
    directive: str = ""
    alt: str | None = None
    """When the host slot holds a bare word (no dot, no address): the community slot's word
    as a host, if it reads as one. Then the words may be swapped (see `unswapped`)."""


class Withheld(Exception):  # noqa: N818 - not an error the user sees: a line to skip
    """Raised inside a line reader: the line would expose a secret; skip and count it."""


@dataclass(frozen=True, slots=True)
class ConfigFile:
    """One config file being read: where errors point and how fixes name it."""

    path: Path
    label: str
    """The file as reports show it (relative to the config folder)."""
    lines: list[str]
    secrets: frozenset[str] = frozenset()
    """Every word (lower case) the file uses as a community, v3 user or key."""
    skipped: list[tuple[int, str]] = field(default_factory=list)
    """(line, reason) of lines skipped so that a secret goes nowhere."""

    def error(self, message: str, line: int, field_name: str | None = None) -> SourceError:
        return SourceError(message, path=self.path, line=line, field=field_name)

    def guard(self, directive: str, *words: str | None) -> None:
        """Raise `Withheld` when a word bound for a name, fix or address is a secret."""
        if any(w and w.lower() in self.secrets for w in words):
            raise Withheld(f"{directive}: where the host, interface or VRF belongs stands a "
                           "word this file uses as a community, user or key (words out of "
                           "order?); the line is skipped so the secret goes nowhere")


def is_remote(host: str) -> bool:
    """False for loopback and unspecified addresses and localhost names."""
    if host in _LOCAL_NAMES:
        return False
    if canonical_ip(host) is None:
        return True
    ip = netaddr.IPAddress(host)
    return not (ip.is_loopback() or ip.value == 0)


def single_host(text: str) -> str | None:
    """The host of a source restriction that names exactly one host, else None.

    Raises ValueError when `text` is neither a host, a prefix nor `default`.
    """
    if text.lower() == "default":
        return None
    if "/" in text:
        prefix = canonical_prefix(text)
        if prefix is None:
            raise ValueError(text)
        network = netaddr.IPNetwork(prefix)
        return str(network.ip) if network.size == 1 else None
    host = canonical_host(text)
    if host is None:
        raise ValueError(text)
    return host


def parse_port(text: str) -> int:
    """A UDP/TCP port number; raises ValueError for anything outside 1..65535."""
    port = int(text)
    if not 0 < port < 65536:
        raise ValueError(text)
    return port

"""Cisco routing tables: ASA/FTD `show route` and IOS/IOS-XE `show ip route` output.

Both print `CODES NETWORK [MASK] [AD/metric] via HOP, [age,] IF` or `... is directly
connected, IF`, so one reader (`CiscoRouteReader`) serves both kinds. A route whose next
hops include Null0 is a `blackhole`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import netaddr

from auditor.addresses import canonical_ip, canonical_prefix
from auditor.errors import SourceError
from auditor.model import NetworkStatus
from connectors.networks.route_table import Route, RouteTableSource, is_default


class AsaRouteSource(RouteTableSource):
    """Cisco ASA/FTD `show route` (dotted masks) and `show ipv6 route` output."""

    type: ClassVar[str] = "cisco-asa-route"
    shows: ClassVar[str] = "ASA `show route` output"

    def parse(self, path: Path, text: str) -> list[Route]:
        return CiscoRouteReader(path).read(text.splitlines())


class IosRouteSource(RouteTableSource):
    """Cisco IOS/IOS-XE `show ip route [vrf X]` and `show ipv6 route` output."""

    type: ClassVar[str] = "cisco-ios-route"
    shows: ClassVar[str] = "IOS `show ip route` output"

    def parse(self, path: Path, text: str) -> list[Route]:
        return CiscoRouteReader(path).read(text.splitlines())


#: One routing code token: `S`, `S*`, `O*E2`, `EX`, `L1`, `su`; or a bare flag like `+`, `%`.
_CODE = re.compile(r"^[*+%&]*[A-Za-z]{1,2}\d?(?:[*+%&]+[A-Za-z]{1,2}\d?)?[*+%&]*$")
_FLAG = re.compile(r"^[*+%&]+$")
#: Words that can open a line but are never a routing code.
_NOT_CODES = frozenset({"via", "is"})
_ADDRESS_LIKE = re.compile(
    r"^(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9A-Fa-f]*:[0-9A-Fa-f:.]*)(?:/\d{1,3})?$")
_DOTTED = re.compile(r"^\d{1,3}(?:\.\d{1,3}){3}$")
_AD_METRIC = re.compile(r"^\[\d+/\d+\]$")
#: Route ages: `3d02h`, `2w1d`, `1y3w`, `00:41:07`, `3:21:21`.
_AGE = re.compile(r"^(?:\d+[ywdhms]){1,3}$|^\d+:\d\d:\d\d$")
_SUBNETTED = re.compile(r"^(\S+) is (variably )?subnetted\b")
_CONTINUATION = ("[", "via ", "is ", "connected ")
_NULL0 = re.compile(r"\bnull0\b", re.IGNORECASE)


@dataclass(slots=True)
class _Entry:
    """A Cisco route being read: its head line and the next hops gathered so far."""

    line: int
    prefix: str | None
    code: str
    hops: list[str] = field(default_factory=list)
    vrf: str | None = None

    def route(self) -> Route:
        dead = any(_NULL0.search(h) for h in self.hops)
        text = "; ".join(dict.fromkeys(self.hops))
        description = f"{self.code} {text}" if text else self.code
        if self.vrf:
            description += f" (vrf {self.vrf})"
        return Route(self.line, self.prefix, description,
                     NetworkStatus.BLACKHOLE if dead else NetworkStatus.ACTIVE)


class CiscoRouteReader:
    """Reads `show route` / `show ip route` / `show ipv6 route` text, ASA or IOS.

    Both print `CODES NETWORK [MASK] [AD/metric] via HOP, [age,] IF` or `... is directly
    connected, IF`; the ASA with a dotted mask, IOS with CIDR or, under a classful
    `is subnetted` header, a bare network. The `[AD/metric] via ...` part may wrap onto
    indented lines, one per ECMP next hop.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.routes: list[Route] = []
        self.entry: _Entry | None = None
        self.vrf: str | None = None
        #: (major network, subnet length) from the last `N/len is subnetted` header.
        self.subnetted: tuple[netaddr.IPNetwork, int] | None = None

    def read(self, lines: Iterable[str]) -> list[Route]:
        """Return the routes in `lines`, in order."""
        for number, line in enumerate(lines, start=1):
            self._line(number, line.rstrip())
        self._close()
        return self.routes

    def _line(self, number: int, line: str) -> None:
        stripped = line.strip()
        if not stripped:
            self._close()
            return
        if line[0].isspace() and stripped.startswith(_CONTINUATION):
            if self.entry is not None:
                self._add_hop(stripped)
            return
        header = _SUBNETTED.match(stripped)
        if header:
            self._close()
            self._subnetted_header(number, header.group(1), bool(header.group(2)))
            return
        if stripped.startswith("Routing Table:"):
            self._close()
            self.vrf = stripped.partition(":")[2].strip() or None
            return
        self._close()
        head = _split_head(stripped.split())
        if head is not None:
            self._head(number, *head)

    def _head(self, number: int, codes: list[str], rest: list[str]) -> None:
        network, *tail = rest
        prefix, tail = self._prefix(number, network, tail)
        if prefix is None:
            return
        self.entry = _Entry(number, None if is_default(prefix) else prefix,
                            " ".join(codes), vrf=self.vrf)
        if tail:
            self._add_hop(" ".join(tail))

    def _prefix(self, number: int, network: str,
                tail: list[str]) -> tuple[str | None, list[str]]:
        """The route's CIDR and the words after it; None for a line that is no route."""
        if tail and _DOTTED.match(tail[0]) and "/" not in network and ":" not in network:
            prefix = canonical_prefix(network, tail[0])
            if prefix is None:
                raise SourceError(f"bad network or mask {network} {tail[0]}",
                                  path=self.path, line=number)
            return prefix, tail[1:]
        if "/" in network:
            prefix = canonical_prefix(network)
            if prefix is None:
                raise SourceError(f"bad network {network!r}", path=self.path, line=number)
            return prefix, tail
        address = canonical_ip(network)
        if address is None:
            raise SourceError(f"bad network {network!r}", path=self.path, line=number)
        if ":" in address:
            return f"{address}/128", tail
        length = self._classful_length(address)
        return (f"{address}/{length}" if length else None), tail

    def _classful_length(self, address: str) -> int | None:
        """The mask of a bare IOS network: its `is subnetted` header's, else its class's."""
        ip = netaddr.IPAddress(address)
        if self.subnetted is not None and ip in self.subnetted[0]:
            return self.subnetted[1]
        major = _classful_network(ip)
        # Class D/E "networks" only come from misparsed named routes (ASA `names`).
        return major.prefixlen if major is not None else None

    def _subnetted_header(self, number: int, network: str, variably: bool) -> None:
        self.subnetted = None
        if variably:
            return
        prefix = canonical_prefix(network)
        if prefix is None:
            raise SourceError(f"bad classful header network {network!r}", path=self.path,
                              line=number)
        net = netaddr.IPNetwork(prefix)
        major = _classful_network(net.ip)
        if major is not None:
            self.subnetted = (major, net.prefixlen)

    def _add_hop(self, text: str) -> None:
        assert self.entry is not None
        hop = _hop_text(text)
        if hop:
            self.entry.hops.append(hop)

    def _close(self) -> None:
        if self.entry is not None:
            self.routes.append(self.entry.route())
            self.entry = None


def _split_head(tokens: list[str]) -> tuple[list[str], list[str]] | None:
    """Split a route's first line into (codes, [network, ...]); None when it is no route."""
    if not tokens or tokens[0].lower() in _NOT_CODES or not _CODE.match(tokens[0]):
        return None
    for i in range(1, min(4, len(tokens))):
        if _ADDRESS_LIKE.match(tokens[i]):
            return tokens[:i], tokens[i:]
        if tokens[i].lower() in _NOT_CODES or not (_CODE.match(tokens[i])
                                                   or _FLAG.match(tokens[i])):
            return None
    return None


def _hop_text(text: str) -> str:
    """`[110/20] via 10.1.1.2, 3d02h, inside` -> `via 10.1.1.2, inside`."""
    words = text.split()
    if words and _AD_METRIC.match(words[0]):
        words = words[1:]
    parts = [p.strip() for p in " ".join(words).split(",")]
    parts = [p for p in parts if p and not _AGE.match(p)]
    if parts:
        first = parts[0]
        if first.startswith("is directly connected"):
            parts[0] = first[len("is "):]
        elif first.startswith("is a summary"):
            parts[0] = "summary" + first[len("is a summary"):]
    return ", ".join(parts)


def _classful_network(ip: netaddr.IPAddress) -> netaddr.IPNetwork | None:
    """Class A/B/C network holding `ip`; None for v6 and class D/E."""
    if ip.version != 4:
        return None
    first = int(ip) >> 24
    for limit, length in ((128, 8), (192, 16), (224, 24)):
        if first < limit:
            return netaddr.IPNetwork(f"{ip}/{length}").cidr
    return None

"""Longest-prefix lookup over every network source, built once.

One dict per (IP version, prefix length), keyed by the network's integer: a lookup tries
each length present, longest first, so it costs a few dict probes whatever the table size
(never `smallest_matching_cidr` in a loop, which re-sorts on every call).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import netaddr

from auditor.model import Network, NetworkStatus

#: At equal length: IPAM's "deprecated" beats a route to the same prefix ("routed but
#: deprecated" is gone), while a live prefix beats a blackhole of the same length (a
#: discard route for an aggregate that is announced and used). A blackhole more specific
#: than every live match still means the traffic dies there.
_RANK = {NetworkStatus.DEPRECATED: 0, NetworkStatus.ACTIVE: 1, NetworkStatus.BLACKHOLE: 2}


@dataclass(frozen=True, slots=True)
class Placement:
    """Where an address sits among the known networks."""

    live: Network | None
    """The most specific live network holding the address (None when the address is dead)."""
    dead: Network | None
    """The deprecated/blackhole prefix that decides the address is gone, if one does."""


class NetworkIndex:
    """Most-specific-prefix lookup; containers are only aggregates and never match."""

    def __init__(self, networks: Iterable[Network]) -> None:
        self._tables: dict[tuple[int, int], dict[int, Network]] = {}
        for net in networks:
            if net.status not in _RANK:
                continue
            ip = netaddr.IPNetwork(net.prefix)
            table = self._tables.setdefault((ip.version, ip.prefixlen), {})
            current = table.get(ip.value)
            if current is None or _RANK[net.status] < _RANK[current.status]:
                table[ip.value] = net
        self._lengths = {
            version: sorted((length for v, length in self._tables if v == version),
                            reverse=True)
            for version in (4, 6)}

    def __len__(self) -> int:
        return sum(len(t) for t in self._tables.values())

    def place(self, address: str) -> Placement | None:
        """Return the placement of `address`, or None when no network holds it (or it is
        not an IP address)."""
        try:
            ip = netaddr.IPAddress(address)
        except (netaddr.AddrFormatError, ValueError, TypeError):
            return None
        width = 32 if ip.version == 4 else 128
        value = int(ip)
        for length in self._lengths[ip.version]:
            shift = width - length
            net = self._tables[(ip.version, length)].get(value >> shift << shift)
            if net is None:
                continue
            if net.status is NetworkStatus.ACTIVE:
                return Placement(live=net, dead=None)
            return Placement(live=None, dead=net)
        return None

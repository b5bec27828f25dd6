"""Longest-prefix lookup over every network source, built once.

One dict per (IP version, prefix length), keyed by the network's integer: a lookup tries
each length present, longest first, so it costs a few dict probes whatever the table size
(never `smallest_matching_cidr` in a loop, which re-sorts on every call).
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterable
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


def _ip_key(address: str) -> tuple[int, int] | None:
    """`(version, integer)` of an IP address text, or None when it is not one (a host name).

    The same answer as `netaddr.IPAddress(address)`, many times faster: netaddr itself reads
    IPv4 text with `inet_pton` (after refusing leading zeros, which `inet_pton` refuses too)
    and IPv6 text with `inet_pton`, IPv4 first. So does this, without building an object,
    and a host name costs two failed `inet_pton` calls instead of netaddr's exceptions.
    Only the odd text `inet_pton` takes and `inet_ntoa` writes differently goes to netaddr.
    """
    try:
        packed = _pton(_AF_INET, address)
    except OSError:
        pass
    except (TypeError, ValueError):
        return _netaddr_key(address)
    else:
        if _ntoa(packed) == address:
            return (4, int.from_bytes(packed, "big"))
        return _netaddr_key(address)
    if ":" not in address:
        return None  # neither family: netaddr's IPv6 reading needs a colon too
    try:
        return (6, int.from_bytes(_pton(_AF_INET6, address), "big"))
    except OSError:
        return None
    except (TypeError, ValueError):
        return _netaddr_key(address)


_pton, _ntoa = socket.inet_pton, socket.inet_ntoa
_AF_INET, _AF_INET6 = socket.AF_INET, socket.AF_INET6


def _netaddr_key(address: str) -> tuple[int, int] | None:
    try:
        ip = netaddr.IPAddress(address)
    except (netaddr.AddrFormatError, ValueError, TypeError):
        return None
    return (ip.version, int(ip))


#: `_ip_key`, in C where the install could build it (`auditor/_netkeys.c`, the same answers;
#: an estate audit reads two million address texts).
ip_key: Callable[[str], tuple[int, int] | None] = _ip_key
try:
    from auditor._netkeys import configure
    from auditor._netkeys import ip_key as _c_ip_key
except ImportError:   # pragma: no cover - no C compiler at install
    pass
else:
    configure(_netaddr_key)
    ip_key = _c_ip_key


class NetworkIndex:
    """Most-specific-prefix lookup; containers are only aggregates and never match."""

    def __init__(self, networks: Iterable[Network]) -> None:
        self._tables: dict[tuple[int, int], dict[int, Network]] = {}
        for net in networks:
            if net.status not in _RANK:
                continue
            address, _, length = net.prefix.partition("/")
            key = ip_key(address) if length.isascii() and length.isdigit() else None
            if key is not None and key[0] == 4 and int(length) <= 32:
                version, prefixlen, value = 4, int(length), key[1]  # what netaddr reads
            else:
                ip = netaddr.IPNetwork(net.prefix)
                version, prefixlen, value = ip.version, ip.prefixlen, ip.value
            table = self._tables.setdefault((version, prefixlen), {})
            current = table.get(value)
            if current is None or _RANK[net.status] < _RANK[current.status]:
                table[value] = net
        self._lengths = {
            version: sorted((length for v, length in self._tables if v == version),
                            reverse=True)
            for version in (4, 6)}

    def __len__(self) -> int:
        return sum(len(t) for t in self._tables.values())

    def place(self, address: str) -> Placement | None:
        """Return the placement of `address`, or None when no network holds it (or it is
        not an IP address)."""
        key = ip_key(address)
        if key is None:
            return None
        net = self.match(key)
        if net is None:
            return None
        if net.status is NetworkStatus.ACTIVE:
            return Placement(live=net, dead=None)
        return Placement(live=None, dead=net)

    def match(self, key: tuple[int, int]) -> Network | None:
        """The most specific network (live or dead) holding the address `key` (`ip_key`'s
        answer), or None."""
        version, value = key
        width = 32 if version == 4 else 128
        tables = self._tables
        for length in self._lengths[version]:
            shift = width - length
            net = tables[(version, length)].get(value >> shift << shift)
            if net is not None:
                return net
        return None

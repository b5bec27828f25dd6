"""Routing tables as network sources: what every route-table kind shares.

A route is a live network unless it only drops traffic: routes to Null0 and Linux blackhole,
unreachable and prohibit routes come out as `blackhole`. Default routes prove nothing and are
left out, as are multicast prefixes (and each format's own non-networks). A prefix printed
more than once (ECMP next hops, one link-local route per interface, several VRFs in one
capture) is one network. The formats: `cisco_routes` (ASA `show route`, IOS `show ip
route`) and `linux_routes` (`ip route`, `ip -j route`).
"""

from __future__ import annotations

from abc import abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import netaddr

from auditor.errors import SourceError
from auditor.model import Network, NetworkStatus
from connectors.base import NetworkSource, SourceSpec


@dataclass(slots=True)
class Route:
    """One routing-table entry as read, before it becomes a `Network`.

    `prefix` is None for a default route, which is read (to consume its continuation
    lines) but never reported.
    """

    line: int
    """Line of the route's first line; 0 where the format has none (JSON)."""
    prefix: str | None
    description: str
    status: NetworkStatus = NetworkStatus.ACTIVE


class RouteTableSource(NetworkSource):
    """A routing table read from one or more files; subclasses parse one file's text."""

    #: What the file should hold, for the "no routes" error.
    shows: ClassVar[str] = "a routing table"

    def fetch(self) -> list[Network]:
        """Return each routed prefix once, in the order first seen."""
        networks: dict[str, Network] = {}
        for path in self.spec.paths:
            routes = self.parse(path, self.io.read_text(path))
            if not routes:
                raise SourceError(f"no routes found: is this {self.shows}?", path=path)
            for route in routes:
                if route.prefix is None or _is_multicast(route.prefix):
                    continue
                earlier = networks.get(route.prefix)
                # A real route anywhere beats a Null0/blackhole one: the network exists.
                if earlier is None or (earlier.status is NetworkStatus.BLACKHOLE
                                       and route.status is NetworkStatus.ACTIVE):
                    networks[route.prefix] = _network(self.spec, path, route)
        return list(networks.values())

    @abstractmethod
    def parse(self, path: Path, text: str) -> list[Route]:
        """Return every route in one file, defaults included (prefix None)."""


def _network(spec: SourceSpec, path: Path, route: Route) -> Network:
    assert route.prefix is not None
    return Network(prefix=route.prefix, source=spec.name, status=route.status,
                   location=spec.where(path, route.line or None),
                   description=route.description)


def _is_multicast(prefix: str) -> bool:
    return bool(netaddr.IPNetwork(prefix).ip.is_multicast())


def is_default(prefix: str) -> bool:
    """A default route (`0.0.0.0/0`, `::/0`): it proves no network exists."""
    return prefix.endswith("/0")

"""Routing tables as network sources: Cisco ASA `show route`, IOS `show ip route`, Linux `ip route`.

A route is a live network unless it only drops traffic: routes to Null0 and Linux blackhole,
unreachable and prohibit routes come out as `blackhole`. Default routes prove nothing and are
left out, as are the kernel's own local/broadcast/multicast entries. A prefix printed more
than once (ECMP next hops, one link-local route per interface, several VRFs in one capture)
is one network.
"""

from __future__ import annotations

import json
import re
from abc import abstractmethod
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import netaddr

from auditor.addresses import canonical_ip, canonical_prefix
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


class LinuxRouteSource(RouteTableSource):
    """Linux `ip route [show table all]` text or `ip -j route` JSON."""

    type: ClassVar[str] = "linux-ip-route"
    shows: ClassVar[str] = "`ip route` or `ip -j route` output"

    def parse(self, path: Path, text: str) -> list[Route]:
        if text.lstrip("\ufeff \t\r\n").startswith("["):
            return _linux_json_routes(path, text)
        return _linux_text_routes(path, text.splitlines())


def _network(spec: SourceSpec, path: Path, route: Route) -> Network:
    assert route.prefix is not None
    return Network(prefix=route.prefix, source=spec.name, status=route.status,
                   location=spec.where(path, route.line or None),
                   description=route.description)


def _is_multicast(prefix: str) -> bool:
    return bool(netaddr.IPNetwork(prefix).ip.is_multicast())


def _is_default(prefix: str) -> bool:
    return prefix.endswith("/0")


# --- Cisco -------------------------------------------------------------------------------

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
        self.entry = _Entry(number, None if _is_default(prefix) else prefix,
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


# --- Linux -------------------------------------------------------------------------------

#: Route types that exist only to drop traffic.
DEAD_TYPES = frozenset({"blackhole", "unreachable", "prohibit"})
#: Route types that are not networks: the host's own addresses, broadcast, policy jumps.
SKIP_TYPES = frozenset({"local", "broadcast", "multicast", "anycast", "throw", "nat",
                        "xresolve"})
_ROUTE_TYPES = DEAD_TYPES | SKIP_TYPES | {"unicast"}
#: A shell prompt or the command line pasted above the output.
_PROMPT = re.compile(r"(?:^|[\s#$>])ip\s+(?:-\S+\s+)*r(?:o(?:u(?:te?)?)?)?\b")


def _linux_text_routes(path: Path, lines: Iterable[str]) -> list[Route]:
    pending: list[_LinuxRoute] = []
    for number, line in enumerate(lines, start=1):
        words = line.split()
        if not words or words[0].startswith("#") or _PROMPT.search(line):
            continue
        if line[0].isspace():
            # `nexthop via A dev X weight 1` lines under a multipath route.
            if pending and words[0] == "nexthop":
                pending[-1].hops.append(_linux_hop(_pairs(words[1:])))
            continue
        pending.append(_linux_text_route(path, number, words))
    return [p.finish() for p in pending]


@dataclass(slots=True)
class _LinuxRoute:
    """A text route whose `nexthop` lines may still follow."""

    line: int
    prefix: str
    kind: str
    fields: Mapping[str, str]
    hops: list[str] = field(default_factory=list)

    def finish(self) -> Route:
        return _linux_route(self.line, self.prefix, self.kind, self.fields, self.hops)


def _linux_text_route(path: Path, number: int, words: list[str]) -> _LinuxRoute:
    kind = "unicast"
    if words[0] in _ROUTE_TYPES:
        kind, words = words[0], words[1:]
    if not words:
        raise SourceError("route type without a destination", path=path, line=number)
    prefix = _linux_prefix(words[0])
    if prefix is None:
        raise SourceError(f"not a route: {words[0]!r} is not a destination", path=path,
                          line=number)
    return _LinuxRoute(number, prefix, kind, _pairs(words[1:]))


def _pairs(words: list[str]) -> dict[str, str]:
    """`via 10.1.1.1 dev eth0 proto static` -> {via: ..., dev: ..., proto: ...}.

    Flags without a value (`onlink`, `linkdown`) are dropped; `via inet6 ADDR` keeps ADDR.
    """
    out: dict[str, str] = {}
    i = 0
    while i < len(words) - 1:
        key, value = words[i], words[i + 1]
        if key == "via" and value in ("inet", "inet6") and i + 2 < len(words):
            value, i = words[i + 2], i + 1
        if key in ("via", "dev", "proto", "table", "src", "metric", "scope"):
            out.setdefault(key, value)
            i += 2
        else:
            i += 1
    return out


def _linux_prefix(dst: str) -> str | None:
    """CIDR for `dst` (`default` -> `0.0.0.0/0`); None when it is not a destination."""
    return "0.0.0.0/0" if dst == "default" else canonical_prefix(dst)


def _linux_hop(fields: Mapping[str, str]) -> str:
    words = []
    if "via" in fields:
        words.append(f"via {fields['via']}")
    if "dev" in fields:
        words.append(f"dev {fields['dev']}")
    return " ".join(words)


def _linux_route(line: int, prefix: str, kind: str, fields: Mapping[str, str],
                 hops: list[str]) -> Route:
    if _is_default(prefix) or kind in SKIP_TYPES or fields.get("table") == "local":
        return Route(line, None, "")
    words = [] if kind == "unicast" else [kind]
    hop = _linux_hop(fields)
    if hop:
        words.append(hop)
    if fields.get("proto"):
        words.append(f"proto {fields['proto']}")
    if fields.get("table") not in (None, "main", "254"):
        words.append(f"table {fields['table']}")
    # Multipath reads as `ip route` writes it: `proto static nexthop via A dev X nexthop ...`.
    words += [f"nexthop {h}" for h in hops if h]
    status = NetworkStatus.BLACKHOLE if kind in DEAD_TYPES else NetworkStatus.ACTIVE
    return Route(line, prefix, " ".join(words), status)


def _linux_json_routes(path: Path, text: str) -> list[Route]:
    try:
        data = json.loads(text.lstrip("\ufeff"))
    except json.JSONDecodeError as exc:
        raise SourceError(f"invalid JSON: {exc.msg} (column {exc.colno})", path=path,
                          line=exc.lineno) from exc
    if not isinstance(data, list):
        raise SourceError("expected the JSON array that `ip -j route` prints", path=path)
    return [_linux_json_route(path, index, item) for index, item in enumerate(data)]


def _linux_json_route(path: Path, index: int, item: Any) -> Route:
    """One `ip -j route` object (`type` is there only when it is not unicast)."""
    if not isinstance(item, dict) or not isinstance(item.get("dst"), str):
        raise SourceError(f"route {index} has no \"dst\" string", path=path, field="dst")
    prefix = _linux_prefix(item["dst"])
    if prefix is None:
        raise SourceError(f"route {index}: {item['dst']!r} is not a destination",
                          path=path, field="dst")
    fields = _json_fields(item, {"via": "gateway", "dev": "dev", "proto": "protocol",
                                 "table": "table"})
    hops = [_linux_hop(_json_fields(h, {"via": "gateway", "dev": "dev"}))
            for h in item.get("nexthops") or () if isinstance(h, dict)]
    # `ip -j` has no useful line numbers (it prints one line): line 0 locates by file.
    return _linux_route(0, prefix, str(item.get("type") or "unicast"), fields, hops)


def _json_fields(item: Mapping[str, Any], keys: Mapping[str, str]) -> dict[str, str]:
    """The text-form keys (`via`, `dev`...) from their JSON names (`gateway`, `dev`...)."""
    return {key: str(item[name]) for key, name in keys.items()
            if item.get(name) not in (None, "")}

"""Linux routing tables: `ip route [show table all]` text and `ip -j route` JSON.

Blackhole, unreachable and prohibit routes come out as `blackhole`; the kernel's local,
broadcast and multicast entries (and the `local` table) are not networks and are left out.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from auditor.addresses import canonical_prefix
from auditor.errors import SourceError
from auditor.model import NetworkStatus
from connectors.networks.route_table import Route, RouteTableSource, is_default


class LinuxRouteSource(RouteTableSource):
    """Linux `ip route [show table all]` text or `ip -j route` JSON."""

    type: ClassVar[str] = "linux-ip-route"
    shows: ClassVar[str] = "`ip route` or `ip -j route` output"

    def parse(self, path: Path, text: str) -> list[Route]:
        if text.lstrip("\ufeff \t\r\n").startswith("["):
            return _linux_json_routes(path, text)
        return _linux_text_routes(path, text.splitlines())


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
    if is_default(prefix) or kind in SKIP_TYPES or fields.get("table") == "local":
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

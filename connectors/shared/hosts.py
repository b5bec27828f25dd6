"""Hosts as tools write them: an endpoint (`udp://host:161`, `[v6]:1161`, `host`) and the
other names a record goes by (DNS, sysName, the tool's host name), which link name-only
records of other tools to it."""

from __future__ import annotations

import re

from auditor.addresses import canonical_host, canonical_ip
from connectors.shared.values import cell_text


def split_endpoint(text: str) -> tuple[str, str, int | None]:
    """`[scheme://]host[:port][/path]` -> (scheme lower-case or '', host, port or None).

    Telegraf agents, and Prometheus targets (snmp_exporter's and blackbox's) alike.

    The host is canonical (IP text, or a lower-case name); IPv6 goes in brackets with a
    port (`[2001:db8::1]:161`), bare without. Raises ValueError on anything else.
    """
    scheme, sep, rest = text.strip().partition("://")
    if not sep:
        scheme, rest = "", text.strip()
    rest = re.split(r"[/?#]", rest, maxsplit=1)[0].rsplit("@", 1)[-1]
    port_text = ""
    if rest.startswith("["):
        end = rest.find("]")
        if end < 0 or (rest[end + 1:] and not rest[end + 1:].startswith(":")):
            raise ValueError(text)
        host, port_text = rest[1:end], rest[end + 2:]
    elif rest.count(":") == 1:
        host, port_text = rest.split(":")
    else:
        host = rest
    port = None
    if port_text or rest.endswith(":"):
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise ValueError(text)
        port = int(port_text)
    canonical = canonical_host(host)
    if canonical is None:
        raise ValueError(text)
    return scheme.lower(), canonical, port


def host_names(*names: object, besides: str | None = None) -> tuple[str, ...]:
    """The host names among `names` (cell values), canonical (lower case), in order,
    without duplicates; IP addresses, empty cells and `besides` (the record's own address,
    when that is a name) left out."""
    out: list[str] = []
    for value in names:
        name = canonical_host(cell_text(value))
        if name and name != besides and name not in out and canonical_ip(name) is None:
            out.append(name)
    return tuple(out)


__all__ = ["host_names", "split_endpoint"]

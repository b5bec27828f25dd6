"""Address and prefix text, normalised at the boundary."""

from __future__ import annotations

import re

import netaddr

_HOST_LABEL = r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?"
_HOST_NAME = re.compile(rf"(?=.{{1,253}}\.?$){_HOST_LABEL}(?:\.{_HOST_LABEL})*\.?")


def canonical_ip(text: str | None) -> str | None:
    """Return the canonical text of an IPv4/IPv6 address, or None when `text` is not one.

    Accepts surrounding spaces, `[v6]` brackets and a `%zone`. Rejects what inet_aton would
    take but nobody writes (`10.1`, `0x0a000001`) and impossible text (`192.1682.2.2`).
    """
    if not text:
        return None
    text = text.strip().strip("[]")
    if "%" in text:
        text = text.split("%", 1)[0]
    if not text or len(text) > 45:
        return None
    try:
        if ":" in text:
            return str(netaddr.IPAddress(text, 6))
        if text.count(".") != 3:
            return None
        return str(netaddr.IPAddress(text, 4, flags=netaddr.INET_PTON))
    except (netaddr.AddrFormatError, ValueError, TypeError):
        return None


def canonical_prefix(text: str | None, mask: str | None = None) -> str | None:
    """Return canonical CIDR text for `a.b.c.d/nn`, `a.b.c.d mask`, or a bare address (/32, /128).

    Host bits are cleared (`10.1.2.3/16` -> `10.1.0.0/16`). None when it is not a prefix.
    """
    if not text:
        return None
    text = text.strip()
    if mask is not None:
        text = f"{text}/{mask.strip()}"
    addr, _, length = text.partition("/")
    ip = canonical_ip(addr)
    if ip is None:
        return None
    try:
        if not length:
            return str(netaddr.IPNetwork(ip).cidr)
        if "." in length and ":" not in ip:
            if canonical_ip(length) is None:
                return None
            return str(netaddr.IPNetwork(f"{ip}/{length}").cidr)
        return str(netaddr.IPNetwork(f"{ip}/{int(length)}").cidr)
    except (netaddr.AddrFormatError, ValueError, TypeError):
        return None


def canonical_host(text: str | None) -> str | None:
    """Canonical IP text, else a lower-case host name; None when `text` is neither.

    An all-numeric last label is a mistyped address (`10.99.3.400`), not a name.
    """
    if not text:
        return None
    text = text.strip()
    ip = canonical_ip(text)
    if ip is not None:
        return ip
    name = text.lower()
    if not _HOST_NAME.fullmatch(name) or name.rstrip(".").rsplit(".", 1)[-1].isdigit():
        return None
    return name.rstrip(".")

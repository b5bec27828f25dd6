"""Address and prefix text, normalised at the boundary."""

from __future__ import annotations

import netaddr


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

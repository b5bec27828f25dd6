"""Address and prefix text, normalised at the boundary."""

from __future__ import annotations

import re
import socket

import netaddr

_HOST_LABEL = r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?"
_HOST_NAME = re.compile(rf"(?=.{{1,253}}\.?$){_HOST_LABEL}(?:\.{_HOST_LABEL})*\.?")

#: `::ffff:0:0/96`, the IPv4-mapped block: an address in it is the IPv4 address in its low bits.
_MAPPED_HIGH = 0xFFFF
_MAPPED_LENGTH = 96


def canonical_ip(text: str | None) -> str | None:
    """Return the canonical text of an IPv4/IPv6 address, or None when `text` is not one.

    Accepts surrounding spaces, `[v6]` brackets and a `%zone`. Rejects what inet_aton would
    take but nobody writes (`10.1`, `0x0a000001`) and impossible text (`192.1682.2.2`).
    An IPv4-mapped IPv6 address (`::ffff:10.10.0.5`, as dual-stack sockets print IPv4 peers)
    is the IPv4 address it carries (`10.10.0.5`), so it matches its IPv4 network.
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
            ip = netaddr.IPAddress(text, 6)
            if ip.value >> 32 == _MAPPED_HIGH:  # one shift: no cost for other addresses
                return str(netaddr.IPAddress(ip.value & 0xFFFFFFFF, 4))
            return str(ip)
        if text.count(".") != 3:
            return None
        # netaddr reads IPv4 text with inet_pton too (INET_PTON, after refusing leading
        # zeros, which inet_pton refuses as well); asked directly, it costs no object.
        try:
            packed = _pton(_AF_INET, text)
        except OSError:
            return None
        if _ntoa(packed) == text:
            return text
        return str(netaddr.IPAddress(text, 4, flags=netaddr.INET_PTON))
    except (netaddr.AddrFormatError, ValueError, TypeError):
        return None


_pton, _ntoa, _AF_INET = socket.inet_pton, socket.inet_ntoa, socket.AF_INET


def canonical_prefix(text: str | None, mask: str | None = None) -> str | None:
    """Return canonical CIDR text for `a.b.c.d/nn`, `a.b.c.d mask`, or a bare address (/32, /128).

    Host bits are cleared (`10.1.2.3/16` -> `10.1.0.0/16`). None when it is not a prefix.
    An IPv4-mapped prefix is its IPv4 prefix (`::ffff:10.10.0.0/120` -> `10.10.0.0/24`); one
    shorter than /96 reaches beyond the mapped block and stays IPv6.
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
    if length.isascii() and length.isdigit() and ":" not in addr and int(length) <= 32:
        # IPv4 `a.b.c.d/nn`, the usual row of a prefix export: the network is the address
        # with its host bits cleared, as netaddr's `.cidr` gives it, without two objects.
        bits = int(length)
        value = int.from_bytes(_pton(_AF_INET, ip), "big") & (0xFFFFFFFF << (32 - bits))
        return f"{_ntoa((value & 0xFFFFFFFF).to_bytes(4, 'big'))}/{bits}"
    try:
        if length and "." not in length and ":" in addr and ":" not in ip:
            bits = int(length)  # IPv4-mapped, written as IPv6: a length out of 128
            if not 0 <= bits <= 128:
                return None
            if bits < _MAPPED_LENGTH:
                return str(netaddr.IPNetwork(f"::ffff:{ip}/{bits}").cidr)
            length = str(bits - _MAPPED_LENGTH)
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

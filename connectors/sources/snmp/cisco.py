"""Cisco IOS/IOS-XE, NX-OS and ASA `snmp-server` configs.

`snmp-server host` lines are trap and inform destinations (an IOS/NX-OS host gathered over
every line that names it; ASA `poll` hosts send nothing). Single-host permits of the ACLs
that `snmp-server community|user|group` lines use are permitted pollers.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace

import netaddr

from auditor.addresses import canonical_host, canonical_ip, canonical_prefix
from connectors.sources.snmp.common import (
    TRAP_PORT,
    ConfigFile,
    Hit,
    Withheld,
    is_remote,
    parse_port,
)
from connectors.sources.snmp.withholding import alt_host, harvest, sure_host, unswapped

#: `snmp-server host IP <word>` lines that add to an NX-OS host rather than define one.
_NXOS_HOST_EXTRAS = frozenset({"use-vrf", "filter-vrf", "source-interface"})
#: Words that appear only in NX-OS SNMP configs.
_NXOS_MARKS = frozenset({"use-vrf", "filter-vrf", "use-acl", "use-ipv4acl", "use-ipv6acl",
                         "udp_port", "localizedkey", "network-operator", "network-admin"})
#: Words a community line puts before an ACL name (NX-OS `use-*acl`, IOS `ipv6`, XR `IPv4`).
_ACL_USE = frozenset({"use-acl", "use-ipv4acl", "use-ipv6acl", "ipv6", "ipv4"})


@dataclass(slots=True)
class _CiscoHost:
    """An IOS/NX-OS notification host, gathered over all the lines that name it."""

    line: int
    shown: str
    host: str
    lines: list[int] = field(default_factory=list)
    vrf: str | None = None
    kind: str | None = None
    """`traps` or `informs` as written; None when the line leaves the default."""
    version: str | None = None
    level: str | None = None
    port: int | None = None
    port_word: str = "udp-port"
    """How the line spells the port keyword (`udp-port`, NX-OS `udp_port`)."""
    alt: str | None = None
    """The community slot's word as a host, when `host` is a bare word (see `Hit.alt`)."""


@dataclass(slots=True)
class _Acl:
    """One access list, numbered or named, with its entries' lines and words."""

    name: str
    header: str
    """The command that enters its config mode (`ip access-list standard 90`)."""
    numbered: bool = False
    """Written as `access-list N ...` lines, where `no access-list N` drops every entry."""
    entries: list[tuple[int, list[str]]] = field(default_factory=list)


def _cisco_words(raw: str) -> list[str]:
    return re.sub(r"(^|\s)!.*$", "", raw).split()


def read_cisco(file: ConfigFile) -> list[Hit]:
    """Notification hosts and single-host SNMP ACL permits of one IOS/NX-OS/ASA config."""
    file = replace(file, secrets=_cisco_secrets(file.lines))
    nxos = any(w in _NXOS_MARKS for raw in file.lines for w in _cisco_words(raw))
    hosts: dict[str, _CiscoHost] = {}
    hits: list[Hit] = []
    acls: dict[str, _Acl] = {}
    used: set[str] = set()
    block: _Acl | None = None
    for number, raw in enumerate(file.lines, 1):
        words = _cisco_words(raw)
        if not words:
            continue
        if block is not None and raw[:1].isspace():
            block.entries.append((number, words))
            continue
        block = None
        if words[:2] == ["snmp-server", "host"]:
            try:
                hit = _cisco_host(file, number, words, hosts)
            except Withheld as withheld:
                file.skipped.append((number, str(withheld)))
                continue
            if hit is not None and is_remote(hit.host):
                hits.append(hit)
        elif words[0] == "snmp-server" and len(words) > 2:
            used.update(_acl_refs(words))
        elif words[0] == "access-list" and len(words) > 2:
            acl = acls.setdefault(words[1], _Acl(words[1], _numbered_header(words[1]), True))
            acl.entries.append((number, words[2:]))
        elif _is_acl_header(words):
            block = acls.setdefault(words[-1], _Acl(words[-1], " ".join(words)))
    device = "switch" if nxos else "device"
    hits += [_host_hit(file, h, device) for h in hosts.values() if is_remote(h.host)]
    for name in sorted(used & acls.keys()):
        hits += _acl_hits(file, acls[name], device)
    return unswapped(file, hits)


#: Cisco v3 authentication and privacy algorithm words: keywords, never secrets.
_CISCO_ALGORITHMS = frozenset({"md5", "sha", "sha-1", "sha-224", "sha-256", "sha-384",
                               "sha-512", "des", "3des", "aes", "aes-128", "aes-192", "aes-256",
                               "aes128", "aes192", "aes256", "128", "192", "256"})


def _cisco_secrets(lines: list[str]) -> frozenset[str]:
    """Every community, v3 user and key an IOS/NX-OS/ASA config names.

    `snmp-server community NAME`, `snmp-server user USER ... auth ALG KEY priv [ALG] KEY`,
    the community or user slot of `snmp-server host` lines, and ASA `community NAME`.
    """
    words: list[str | None] = []
    for raw in lines:
        w = _cisco_words(raw)
        if w[:1] != ["snmp-server"] or len(w) < 3:
            continue
        if w[1] in ("community", "user"):
            words.append(w[2])
        if w[1] == "user":
            for i, word in enumerate(w[:-1]):
                if word.lower() in ("auth", "priv"):
                    rest = [x for x in w[i + 1:] if x.lower() not in _CISCO_ALGORITHMS]
                    words += rest[:1]
        elif w[1] == "host" and len(w) > 3:
            if canonical_ip(w[2]) is None and canonical_ip(w[3]):  # ASA
                words += [w[i + 1] for i, x in enumerate(w[:-1]) if x == "community"]
                words += [w[i + 2] for i, x in enumerate(w[:-2])
                          if x == "version" and w[i + 1] == "3"]
            elif sure_host(w[2], canonical_host):
                i = _secret_slot(w[3:])
                words += w[3 + i:4 + i]
    return frozenset(harvest(words, canonical_host))


def _is_acl_header(words: list[str]) -> bool:
    """`ip access-list standard|extended NAME` (IOS), `ip|ipv6|ipv4 access-list NAME`."""
    if words[0] not in ("ip", "ipv4", "ipv6") or words[1:2] != ["access-list"]:
        return False
    # Not `ip access-list logging interval 10` or `... resequence NAME 10 10`.
    return len(words) == 3 or (len(words) == 4 and words[2] in ("standard", "extended"))


def _cisco_host(file: ConfigFile, number: int, words: list[str],
                hosts: dict[str, _CiscoHost]) -> Hit | None:
    """Read one `snmp-server host` line: an ASA line becomes a hit, IOS/NX-OS lines gather."""
    if len(words) < 3:
        raise file.error("snmp-server host has no address", number, "host")
    if len(words) > 3 and canonical_ip(words[2]) is None and canonical_ip(words[3]):
        return _asa_host(file, number, words)
    file.guard("snmp-server host", words[2])
    host = canonical_host(words[2])
    if host is None:
        raise file.error("snmp-server host: not an address or host name", number, "host")
    rest = words[3:]
    file.guard("snmp-server host", *(w for i, w in enumerate(rest[:_secret_slot(rest)])
                                     if i and rest[i - 1] == "vrf"))
    entry = hosts.get(host)
    if entry is None:
        entry = hosts[host] = _CiscoHost(number, words[2], host)
    entry.lines.append(number)
    if rest and rest[0] in _NXOS_HOST_EXTRAS:
        return None
    _host_options(file, number, rest, entry)
    return None


def _secret_slot(rest: list[str]) -> int:
    """Where the community or v3 user sits in the words after `snmp-server host HOST`."""
    i = 0
    while i < len(rest):
        word = rest[i]
        if word == "vrf" and i + 1 < len(rest):
            i += 2
        elif word in ("informs", "traps"):
            i += 1
        elif word == "version" and i + 1 < len(rest):
            i += 2
            if rest[i - 1] == "3" and i < len(rest) and rest[i] in ("auth", "noauth", "priv"):
                i += 1
        else:
            break
    return i


def _host_options(file: ConfigFile, number: int, rest: list[str], entry: _CiscoHost) -> None:
    """`[vrf V] [informs|traps] [version {1|2c|3 [auth|noauth|priv]}] SECRET [udp-port N]`."""
    end = _secret_slot(rest)
    for i, word in enumerate(rest[:end]):
        if word == "vrf" and i + 1 < end:
            entry.vrf = rest[i + 1]
        elif word in ("informs", "traps"):
            entry.kind = word
        elif word == "version" and i + 1 < end:
            entry.version = rest[i + 1]
            if entry.version == "3" and i + 2 < end:
                entry.level = rest[i + 2]
    # rest[end] is the community or v3 user: never shown; the port may follow it.
    if end < len(rest):
        entry.alt = alt_host(entry.host, rest[end], canonical_host) or entry.alt
    found = _udp_port(file, number, rest[end + 1:])
    if found is not None:
        entry.port_word, entry.port = found


def _udp_port(file: ConfigFile, number: int, words: list[str]) -> tuple[str, int] | None:
    """(keyword as written, port) from `udp-port N` / `udp_port N`, if the line has one."""
    for i, word in enumerate(words[:-1]):
        if word in ("udp-port", "udp_port"):
            try:
                return word, parse_port(words[i + 1])
            except ValueError:
                raise file.error("the udp-port is not a number from 1 to 65535", number,
                                 word) from None
    return None


def _host_hit(file: ConfigFile, entry: _CiscoHost, device: str) -> Hit:
    where = ", ".join(str(n) for n in entry.lines)
    plural = "s" if len(entry.lines) > 1 else ""
    vrf = f" vrf {entry.vrf}" if entry.vrf else ""
    kind = f" {entry.kind}" if entry.kind else ""
    name = f"snmp-server host {entry.shown}{vrf}{kind}"
    command = name
    if entry.version:
        command += f" version {entry.version}" + (f" {entry.level}" if entry.level else "")
    # The no form names the entry as it was entered; the secret stays a placeholder.
    command += " <user>" if entry.version == "3" else " <community>"
    if entry.port:
        command += f" {entry.port_word} {entry.port}"
    fix = f"Remove it from the {device} config: no {command} ({file.label} line{plural} {where})"
    return Hit(entry.line, entry.host, True, name, fix, "udp", entry.port or TRAP_PORT,
               directive="snmp-server host", alt=entry.alt)


def _asa_host(file: ConfigFile, number: int, words: list[str]) -> Hit:
    """ASA `snmp-server host IFNAME IP [trap|poll] [community C] [version V] [udp-port N]`."""
    iface, shown = words[2], words[3]
    file.guard("snmp-server host", iface)
    host = canonical_ip(shown) or shown
    mode = words[4] if len(words) > 4 and words[4] in ("trap", "poll") else None
    name = f"snmp-server host {iface} {shown}" + (f" {mode}" if mode else "")
    fix = (f"Remove it from the ASA config: no snmp-server host {iface} {shown} "
           f"({file.label} line {number})")
    if mode == "poll":  # the host may poll the ASA; the ASA sends it nothing
        return Hit(number, host, False, name, fix)
    found = _udp_port(file, number, words[4:])
    return Hit(number, host, True, name, fix, "udp", found[1] if found else TRAP_PORT)


def _acl_refs(words: list[str]) -> Iterator[str]:
    """ACL names an `snmp-server community|user|group` line restricts pollers with.

    The word after `community`/`user`/`group` is a secret or a user: never looked at.
    """
    rest = words[3:]
    if "access" in rest:  # IOS group/user: `... access [ipv6 ACL6] [ACL]`, always last
        yield from (w for w in rest[rest.index("access") + 1:] if w != "ipv6")
        return
    leftover: list[str] = []
    i = 0
    while i < len(rest):
        word = rest[i].lower()
        if word in _ACL_USE and i + 1 < len(rest):
            yield rest[i + 1]
            i += 2
        elif word in ("view", "group") and i + 1 < len(rest):
            i += 2
        else:
            if word not in ("ro", "rw", "sdrowner", "systemowner"):
                leftover.append(rest[i])
            i += 1
    if words[1] == "community":  # IOS: `community NAME [view V] [RO|RW] [ACL]`
        yield from leftover


def _numbered_header(number: str) -> str:
    kind = "standard"
    if number.isdigit() and (100 <= int(number) <= 199 or 2000 <= int(number) <= 2699):
        kind = "extended"
    return f"ip access-list {kind} {number}"


def _acl_hits(file: ConfigFile, acl: _Acl, device: str) -> list[Hit]:
    """Permit entries of an SNMP ACL that name one host: who may poll this device."""
    hits = []
    for number, words in acl.entries:
        seq = words[0] if words[0].isdigit() else None
        entry = words[1:] if seq else words
        if entry[:1] in (["standard"], ["extended"]):  # ASA `access-list N standard permit`
            entry = entry[1:]
        if entry[:1] != ["permit"]:
            continue
        source = _acl_source(entry[1:])
        if source is None:
            continue
        shown, host = source
        if not is_remote(host):
            continue
        name = f"access-list {acl.name} permit {shown}"
        undo = f"no {seq}" if seq else "no " + " ".join(entry)
        fix = (f"Remove it from the {device} config: {acl.header}, then {undo} "
               f"({file.label} line {number})")
        if acl.numbered:
            fix += f". Not no access-list {acl.name} ...: that deletes the whole list"
        hits.append(Hit(number, host, False, name, fix))
    return hits


def _acl_source(words: list[str]) -> tuple[str, str] | None:
    """(as written, host) for an entry's source when it is one host, else None.

    Standard entries start with the source; extended ones with a protocol first.
    """
    if words and not _is_acl_address(words[0]):
        words = words[1:]
    if not words:
        return None
    if words[0] == "host" and len(words) > 1:
        host = canonical_host(words[1])
        return (words[1], host) if host else None
    if "/" in words[0]:
        prefix = canonical_prefix(words[0])
        if prefix is None or netaddr.IPNetwork(prefix).size != 1:
            return None
        return words[0], str(netaddr.IPNetwork(prefix).ip)
    ip = canonical_ip(words[0])
    if ip is None:
        return None
    wildcard = canonical_ip(words[1]) if len(words) > 1 and ":" not in ip else None
    if wildcard not in (None, "0.0.0.0"):
        return None
    return words[0], ip


def _is_acl_address(word: str) -> bool:
    return word in ("host", "any") or canonical_ip(word) is not None or \
        ("/" in word and canonical_prefix(word) is not None)

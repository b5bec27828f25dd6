"""SNMP configurations: who a device sends traps to, and who may poll it.

One source takes any mix of files, each read for what it is (from its content, not its
name): net-snmp `snmpd.conf` / `snmptrapd.conf`, Cisco IOS/IOS-XE, NX-OS and ASA
`snmp-server` configs, and Windows SNMP service `reg export` files.

Two kinds of record come out. Notification destinations (trap sinks, inform targets,
forwarders) are `polled`: the device keeps sending to them, so a dead one is live traffic
into a dead network. Permitted pollers (community source restrictions, SNMP ACL permits,
Windows permitted managers, ASA `poll` hosts) receive nothing and are `polled=False`:
harmless but worth cleaning. Communities, v3 user names and keys never leave this module:
names and fixes are rebuilt from the host, interface, VRF and keywords only.

A line whose words are out of order can put a secret where the host belongs
(`informsink S3cr3t 10.250.9.4`, `snmp-server host S3cr3t 10.1.1.1`). So each file is read
twice: first for every word it uses as a community, user or key, then for hosts. A host,
interface or VRF slot holding one of those words, or holding a bare word while the community
slot holds an address, gives no record: the line is skipped and listed in
`SnmpConfigSource.skipped` with a reason that quotes none of its words.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import netaddr

from auditor.addresses import canonical_host, canonical_ip, canonical_prefix
from auditor.errors import SourceError
from auditor.model import Target, ToolState
from connectors.base import SkippedLine, TargetSource

TRAP_PORT = 162

_LOCAL_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost",
                          "ip6-loopback"})
_REG_HEADERS = ("Windows Registry Editor Version 5.00", "REGEDIT4")


@dataclass(frozen=True, slots=True)
class _Hit:
    """One host a config line names, before it becomes a `Target`."""

    line: int
    host: str
    polled: bool
    name: str
    fix: str
    protocol: str | None = None
    port: int | None = None
    commented: bool = False
    """Read from a commented-out directive: it sends nothing, but points at the address."""
    directive: str = ""
    alt: str | None = None
    """When the host slot holds a bare word (no dot, no address): the community slot's word
    as a host, if it reads as one. Then the words may be swapped (see `_unswapped`)."""


class _Withheld(Exception):  # noqa: N818 - not an error the user sees: a line to skip
    """Raised inside a line reader: the line would expose a secret; skip and count it."""


@dataclass(frozen=True, slots=True)
class _File:
    """One config file being read: where errors point and how fixes name it."""

    path: Path
    label: str
    """The file as reports show it (relative to the config folder)."""
    lines: list[str]
    secrets: frozenset[str] = frozenset()
    """Every word (lower case) the file uses as a community, v3 user or key."""
    skipped: list[tuple[int, str]] = field(default_factory=list)
    """(line, reason) of lines skipped so that a secret goes nowhere."""

    def error(self, message: str, line: int, field_name: str | None = None) -> SourceError:
        return SourceError(message, path=self.path, line=line, field=field_name)

    def guard(self, directive: str, *words: str | None) -> None:
        """Raise `_Withheld` when a word bound for a name, fix or address is a secret."""
        if any(w and w.lower() in self.secrets for w in words):
            raise _Withheld(f"{directive}: where the host, interface or VRF belongs stands a "
                            "word this file uses as a community, user or key (words out of "
                            "order?); the line is skipped so the secret goes nowhere")


class SnmpConfigSource(TargetSource):
    """Trap destinations and permitted pollers from SNMP agent and device configs."""

    type = "snmp-config"

    def fetch(self) -> list[Target]:
        targets: list[Target] = []
        self.skipped = []
        seen: set[Path] = set()
        for path in self.spec.paths:
            if path.resolve() in seen:
                continue
            seen.add(path.resolve())
            targets += [self._target(path, hit) for hit in self._read(path)]
        return targets

    def _read(self, path: Path) -> list[_Hit]:
        lines = self.io.read_text(path).splitlines()
        parse = _parser(lines)
        if parse is None:
            raise SourceError(
                "not a recognised SNMP configuration (expected net-snmp snmpd.conf or "
                "snmptrapd.conf directives, Cisco snmp-server lines, or a Windows reg export)",
                path=path)
        file = _File(path, self.spec.where(path), lines)
        hits = parse(file)
        self.skipped += [SkippedLine(self.spec.where(path, number), reason)
                         for number, reason in sorted(file.skipped)]
        return sorted(hits, key=lambda h: h.line)

    def _target(self, path: Path, hit: _Hit) -> Target:
        where = self.spec.where(path, hit.line)
        return Target(
            address=hit.host, source=self.spec.name, kind=self.type, id=where,
            name=hit.name, polled=hit.polled,
            state=ToolState.DISABLED if hit.commented else ToolState.UNKNOWN,
            poller=self.spec.poller, location=where, owner=self.spec.owner, fix=hit.fix,
            protocol=hit.protocol, port=hit.port)


def _parser(lines: list[str]) -> Callable[[_File], list[_Hit]] | None:
    """Pick the reader for a file from its content; None when it is no SNMP config."""
    content = [s for s in (raw.strip() for raw in lines) if s and s[0] not in "#!;"]
    if not content:  # everything commented out: only disabled net-snmp lines, if any
        commented = (raw.strip().lstrip("#").split(maxsplit=1) for raw in lines)
        if any(words and words[0].lower() in _COMMENTABLE for words in commented):
            return _read_netsnmp
        return lambda file: []
    if content[0].lstrip("\ufeff") in _REG_HEADERS:
        return _read_registry
    if any(s.startswith("snmp-server ") for s in content):
        return _read_cisco
    if any(s.split()[0].lower() in _NETSNMP_DIRECTIVES for s in content):
        return _read_netsnmp
    return None


# --- hosts ---------------------------------------------------------------------------


def _is_remote(host: str) -> bool:
    """False for loopback and unspecified addresses and localhost names."""
    if host in _LOCAL_NAMES:
        return False
    if canonical_ip(host) is None:
        return True
    ip = netaddr.IPAddress(host)
    return not (ip.is_loopback() or ip.value == 0)


def _is_bare(host: str) -> bool:
    """A host name without a dot: as likely a community as a host, on its own."""
    return "." not in host and canonical_ip(host) is None


def _plausible(host: str) -> bool:
    """An address or a dotted name: a host, whatever slot it was written in."""
    return not _is_bare(host)


def _alt(host: str, other: str | None, read: Callable[[str], str | None]) -> str | None:
    """`_Hit.alt`: the other slot's word as a host, when `host` is a bare word."""
    if other is None or not _is_bare(host):
        return None
    return read(other)


def _endpoint_host(text: str) -> str | None:
    try:
        return _endpoint(text).host
    except ValueError:
        return None


def _unswapped(file: _File, hits: list[_Hit]) -> list[_Hit]:
    """Drop hits whose bare host word may be a community written where the host belongs.

    `informsink S3cr3t 10.250.9.4`: the host slot holds a bare word that no other line names
    as a host, while the community slot holds an address, a dotted name, or a name another
    line uses as a host. The words are swapped; the bare word is likely the community.
    """
    lines: dict[str, set[int]] = {}
    for hit in hits:
        lines.setdefault(hit.host, set()).add(hit.line)

    def elsewhere(host: str, line: int) -> bool:
        return bool(lines.get(host, set()) - {line})

    kept = []
    for hit in hits:
        if hit.alt is not None and not elsewhere(hit.host, hit.line) and (
                _plausible(hit.alt) or elsewhere(hit.alt, hit.line)):
            file.skipped.append((hit.line, f"{hit.directive}: the host slot holds a bare word "
                                 "and the community slot holds a host (words out of order?); "
                                 "the line is skipped so a community never becomes a host"))
            continue
        kept.append(hit)
    return kept


def _sure_host(word: str, read: Callable[[str], str | None]) -> bool:
    """True when `word` in a host slot is an address or dotted name: the line is in order.

    A notification line's community slot counts as a secret only then; when the host slot
    holds a bare word, the community slot may hold the real host (`informsink S3cr3t nms02`).
    """
    host = read(word) if word else None
    return host is not None and _plausible(host)


def _harvest(words: Iterable[str | None], read: Callable[[str], str | None]) -> set[str]:
    """The lower-cased words that are secrets: not empty, and not a plausible host.

    An address or dotted name in a community slot is a swapped line's host, not a secret.
    """
    found = set()
    for word in words:
        if not word:
            continue
        host = read(word)
        if host is None or _is_bare(host):
            found.add(word.lower())
    return found


def _single_host(text: str) -> str | None:
    """The host of a source restriction that names exactly one host, else None.

    Raises ValueError when `text` is neither a host, a prefix nor `default`.
    """
    if text.lower() == "default":
        return None
    if "/" in text:
        prefix = canonical_prefix(text)
        if prefix is None:
            raise ValueError(text)
        network = netaddr.IPNetwork(prefix)
        return str(network.ip) if network.size == 1 else None
    host = canonical_host(text)
    if host is None:
        raise ValueError(text)
    return host


def _port(text: str) -> int:
    port = int(text)
    if not 0 < port < 65536:
        raise ValueError(text)
    return port


# --- net-snmp ------------------------------------------------------------------------

_SNMPD_DIRECTIVES = frozenset({
    "agentaddress", "agentuser", "agentgroup", "agentxsocket", "master", "rocommunity",
    "rwcommunity", "rocommunity6", "rwcommunity6", "com2sec", "com2sec6", "com2secunix",
    "group", "view", "access", "rouser", "rwuser", "createuser", "trapsink", "trap2sink",
    "informsink", "trapsess", "trapcommunity", "authtrapenable", "v1trapaddress",
    "syslocation", "syscontact", "sysname", "sysservices", "sysdescr", "sysobjectid",
    "proc", "disk", "includealldisks", "load", "swap", "file", "exec", "extend", "pass",
    "pass_persist", "includefile", "includedir", "dontlogtcpwrappersconnects",
    "linkupdownnotifications", "defaultmonitors", "monitor", "iquerysecname", "engineid",
    "leave_pidfile", "interface", "ignoredisk",
})
_SNMPTRAPD_DIRECTIVES = frozenset({
    "authcommunity", "authuser", "forward", "traphandle", "snmptrapdaddr",
    "disableauthorization", "donotlogtraps", "donotretainnotificationlogs", "donotfork",
    "format1", "format2", "format", "logoption", "outputoption", "ignoreauthfailure",
    "pidfile", "perl",
})
_NETSNMP_DIRECTIVES = _SNMPD_DIRECTIVES | _SNMPTRAPD_DIRECTIVES

#: Transport prefixes of a net-snmp address, and what they travel over.
_TRANSPORTS = {"udp": "udp", "udp6": "udp", "udpv6": "udp", "udpipv6": "udp",
               "ipv4": "udp", "ipv6": "udp", "dtlsudp": "udp", "dtls": "udp",
               "tcp": "tcp", "tcp6": "tcp", "tcpv6": "tcp", "tcpipv6": "tcp",
               "tlstcp": "tcp", "tls": "tcp", "ssh": "tcp"}
#: Transports that never leave the machine.
_LOCAL_TRANSPORTS = frozenset({"unix", "callback", "alias"})

#: snmpcmd options (trapsess) that take the next token as their argument.
_OPTIONS_WITH_ARG = frozenset("aAcCeElLmMnOPrtuvxXZTIyYkK3")

_SINKS = frozenset({"trapsink", "trap2sink", "informsink"})
_COMMUNITIES = frozenset({"rocommunity", "rwcommunity", "rocommunity6", "rwcommunity6"})


@dataclass(frozen=True, slots=True)
class _Endpoint:
    host: str | None
    """None for a local-only transport (unix socket, a port with no host)."""
    port: int | None
    protocol: str


def _endpoint(text: str) -> _Endpoint:
    """Parse a net-snmp address: `host`, `host:port`, `[v6]:port`, `tcp:host:port`, ...

    Raises ValueError for text that is no address.
    """
    protocol = "udp"
    rest = text
    head, colon, tail = text.partition(":")
    if colon and not text.startswith("["):
        if head.lower() in _LOCAL_TRANSPORTS:
            return _Endpoint(None, None, protocol)
        if head.lower() in _TRANSPORTS:
            protocol, rest = _TRANSPORTS[head.lower()], tail
    port_text = ""
    if rest.startswith("["):
        address, bracket, after = rest[1:].partition("]")
        if not bracket or (after and not after.startswith(":")):
            raise ValueError(text)
        port_text = after[1:]
    elif rest.count(":") > 1:
        address = rest  # a bare IPv6 address carries no port
    else:
        address, _, port_text = rest.partition(":")
    if address.isdigit() and not port_text:
        return _Endpoint(None, None, protocol)  # `udp:162`: a port on this machine
    host = canonical_host(address)
    if host is None:
        raise ValueError(text)
    return _Endpoint(host, _port(port_text) if port_text else None, protocol)


def _tokens(line: str) -> list[str]:
    """Split a net-snmp line as its reader does (quotes group words), dropping comments."""
    line = re.sub(r"(^|\s)#.*$", "", line)
    try:
        return shlex.split(line, posix=True)
    except ValueError:  # an unbalanced quote: the plain words are still the best guess
        return line.split()


#: Directives that, commented out, still name a host worth a (not polled) record.
_COMMENTABLE = frozenset({"trapsink", "trap2sink", "informsink", "trapsess", "forward"})


def _read_netsnmp(file: _File) -> list[_Hit]:
    file = replace(file, secrets=_netsnmp_secrets(file.lines))
    hits: list[_Hit] = []
    for number, raw in enumerate(file.lines, 1):
        body = raw.strip()
        if body.startswith("#"):
            hit = _commented_out(file, number, body)
        else:
            try:
                hit = _netsnmp_line(file, number, raw)
            except _Withheld as withheld:
                file.skipped.append((number, str(withheld)))
                continue
        if hit is not None and _is_remote(hit.host):
            hits.append(hit)
    return _unswapped(file, hits)


#: Algorithm words of `createUser` (upper case): keywords, never secrets.
_USM_ALGORITHMS = frozenset({"MD5", "SHA", "SHA1", "SHA-1", "SHA-224", "SHA-256", "SHA-384",
                             "SHA-512", "DES", "3DES", "AES", "AES128", "AES192", "AES256",
                             "AES-128", "AES-192", "AES-256", "AES192C", "AES256C"})
#: snmpcmd options (trapsess) whose argument is a community, user or passphrase.
_SECRET_OPTIONS = frozenset("cuAX")


def _netsnmp_secrets(lines: list[str]) -> frozenset[str]:
    """Every community, v3 user and passphrase the file names, commented-out lines included."""
    words: list[str | None] = []
    for raw in lines:
        tokens = _tokens(raw.strip().lstrip("#"))
        if not tokens:
            continue
        directive, args = tokens[0].lower(), tokens[1:]
        if directive in _COMMUNITIES or directive == "trapcommunity":
            words += _skip_options(args)[:1]
        elif directive in ("com2sec", "com2sec6"):
            words += _skip_options(args)[2:3]
        elif directive == "authcommunity":
            words += args[1:2]
        elif directive in _SINKS and _sure_host(args[0] if args else "", _endpoint_host):
            words += args[1:2]  # only when the line is surely in order: see _sure_host
        elif directive == "trapsess":
            words += _option_values(args, _SECRET_OPTIONS)
        elif directive == "createuser":
            words += [w for i, w in enumerate(args) if not w.startswith("-")
                      and args[i - 1:i] != ["-e"] and w.upper() not in _USM_ALGORITHMS]
        elif directive in ("rouser", "rwuser", "authuser"):
            rest = args[1:] if directive == "authuser" else args  # authUser TYPES ...
            rest = rest[2:] if rest[:1] == ["-s"] else rest
            words += rest[:1]
    return frozenset(_harvest(words, _endpoint_host))


def _option_values(args: list[str], letters: frozenset[str]) -> list[str]:
    """The arguments of the snmpcmd options named by `letters`, attached (`-cX`) or not."""
    values = []
    for i, token in enumerate(args):
        if len(token) < 2 or token[0] != "-" or token[1] not in letters:
            continue
        if len(token) > 2:
            values.append(token[2:])
        elif i + 1 < len(args):
            values.append(args[i + 1])
    return values


def _commented_out(file: _File, number: int, body: str) -> _Hit | None:
    """`#trapsink 10.99.3.40 public`: a record that sends nothing (SPEC: polled false).

    Only a comment that reads whole as a directive counts; prose comments and lines that
    no longer parse are nothing.
    """
    text = body.lstrip("#").strip()
    words = text.split(maxsplit=1)
    if not words or words[0].lower() not in _COMMENTABLE:
        return None
    try:
        hit = _netsnmp_line(file, number, text)
    except (SourceError, _Withheld):
        return None
    if hit is None or canonical_ip(hit.host) is None:
        return None  # "# forward every trap to the NOC": prose, not a disabled line
    name = f"commented-out {hit.name}"
    return replace(hit, polled=False, commented=True, name=name,
                   fix=f"Delete the {name} line ({file.label} line {number}): it sends "
                       "nothing, but still names the address")


def _netsnmp_line(file: _File, number: int, raw: str) -> _Hit | None:
    """The host one live net-snmp directive names, if any."""
    tokens = _tokens(raw)
    if not tokens:
        return None
    directive, args = tokens[0].lower(), tokens[1:]
    if directive in _SINKS:
        return _sink(file, number, directive, args)
    if directive == "trapsess":
        return _trapsess(file, number, args)
    if directive == "forward":
        return _forward(file, number, args)
    if directive in _COMMUNITIES:
        return _community_source(file, number, directive, args)
    if directive in ("com2sec", "com2sec6"):
        return _com2sec(file, number, directive, args)
    if directive == "authcommunity":
        return _auth_community(file, number, args)
    return None


def _netsnmp_fix(file: _File, number: int, name: str, daemon: str) -> str:
    return f"Remove the {name} line ({file.label} line {number}) and restart {daemon}"


def _shown(token: str) -> str:
    """The host as the line wrote it; `udp:` is the default transport and says nothing."""
    return token[4:] if token.lower().startswith("udp:") else token


def _destination(file: _File, number: int, directive: str, token: str,
                 default_port: int = TRAP_PORT, daemon: str = "snmpd",
                 other: str | None = None) -> _Hit | None:
    """The host `token` names; `other` is the word in the line's community slot, if any."""
    file.guard(directive, token)
    try:
        end = _endpoint(token)
    except ValueError:
        raise file.error(f"{directive}: the destination is not an address or host name",
                         number, directive) from None
    if end.host is None:
        return None
    file.guard(directive, end.host)
    name = f"{directive} {_shown(token)}"
    return _Hit(number, end.host, True, name, _netsnmp_fix(file, number, name, daemon),
                end.protocol, end.port or default_port, directive=directive,
                alt=_alt(end.host, other, _endpoint_host))


def _sink(file: _File, number: int, directive: str, args: list[str]) -> _Hit | None:
    """`trapsink HOST [COMMUNITY [PORT]]`: a port inside HOST wins over the PORT word."""
    if not args:
        raise file.error(f"{directive} has no host", number, directive)
    default_port = TRAP_PORT
    if len(args) > 2:
        try:
            default_port = _port(args[2])
        except ValueError:
            raise file.error(f"{directive}: the port is not a number from 1 to 65535",
                             number, "port") from None
    return _destination(file, number, directive, args[0], default_port,
                        other=args[1] if len(args) > 1 else None)


def _trapsess(file: _File, number: int, args: list[str]) -> _Hit | None:
    """`trapsess [snmpcmd options] HOST[:PORT]`: the host is the last plain word."""
    positional: list[str] = []
    skip = False
    for token in args:
        if skip:
            skip = False
        elif token.startswith("-") and len(token) > 1:
            # `-c public` takes the next word; `-cpublic` and `-Ci` carry it attached.
            skip = len(token) == 2 and token[1] in _OPTIONS_WITH_ARG
        else:
            positional.append(token)
    if not positional:
        raise file.error("trapsess has no host", number, "trapsess")
    # A community written without its -c sits beside the host: `... 10.250.9.4 S3cr3t`.
    other = next((w for w in positional[:-1] if _endpoint_host(w)), None)
    return _destination(file, number, "trapsess", positional[-1], other=other)


def _forward(file: _File, number: int, args: list[str]) -> _Hit | None:
    """snmptrapd `forward OID|default DESTINATION`."""
    if len(args) < 2:
        raise file.error("forward needs an OID (or default) and a destination", number,
                         "forward")
    return _destination(file, number, "forward", args[1], daemon="snmptrapd")


def _skip_options(args: list[str]) -> list[str]:
    """Drop leading `-Cn CONTEXT` / `-V VIEW` pairs some net-snmp versions accept first."""
    while len(args) >= 2 and args[0] in ("-Cn", "-V"):
        args = args[2:]
    return args


def _permitted(file: _File, number: int, directive: str, token: str,
               daemon: str = "snmpd", other: str | None = None) -> _Hit | None:
    """A source restriction: a record only when it names exactly one host.

    `other` is the line's community word, in case the two were swapped.
    """
    file.guard(directive, token)
    try:
        host = _single_host(token)
    except ValueError:
        raise file.error(f"{directive}: the source is not an address, network, host name "
                         "or default", number, "source") from None
    if host is None:
        return None
    name = f"{directive} source {token}"
    return _Hit(number, host, False, name, _netsnmp_fix(file, number, name, daemon),
                directive=directive, alt=_alt(host, other, _endpoint_host))


def _community_source(file: _File, number: int, directive: str,
                      args: list[str]) -> _Hit | None:
    """`rocommunity COMMUNITY [SOURCE [OID | -V VIEW [CONTEXT]]]`; no SOURCE means any."""
    args = _skip_options(args)
    if len(args) < 2:
        return None
    return _permitted(file, number, directive, args[1], other=args[0])


def _com2sec(file: _File, number: int, directive: str, args: list[str]) -> _Hit | None:
    """`com2sec [-Cn CONTEXT] SECNAME SOURCE COMMUNITY`."""
    args = _skip_options(args)
    if len(args) < 3:
        raise file.error(f"{directive} needs SECNAME SOURCE COMMUNITY", number, directive)
    return _permitted(file, number, directive, args[1], other=args[2])


def _auth_community(file: _File, number: int, args: list[str]) -> _Hit | None:
    """snmptrapd `authCommunity TYPES COMMUNITY [SOURCE [OID | -v VIEW]]`."""
    if len(args) < 3:
        return None
    return _permitted(file, number, "authCommunity", args[2], daemon="snmptrapd",
                      other=args[1])


# --- Cisco IOS / IOS-XE, NX-OS, ASA --------------------------------------------------

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
    """The community slot's word as a host, when `host` is a bare word (see `_Hit.alt`)."""


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


def _read_cisco(file: _File) -> list[_Hit]:
    file = replace(file, secrets=_cisco_secrets(file.lines))
    nxos = any(w in _NXOS_MARKS for raw in file.lines for w in _cisco_words(raw))
    hosts: dict[str, _CiscoHost] = {}
    hits: list[_Hit] = []
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
            except _Withheld as withheld:
                file.skipped.append((number, str(withheld)))
                continue
            if hit is not None and _is_remote(hit.host):
                hits.append(hit)
        elif words[0] == "snmp-server" and len(words) > 2:
            used.update(_acl_refs(words))
        elif words[0] == "access-list" and len(words) > 2:
            acl = acls.setdefault(words[1], _Acl(words[1], _numbered_header(words[1]), True))
            acl.entries.append((number, words[2:]))
        elif _is_acl_header(words):
            block = acls.setdefault(words[-1], _Acl(words[-1], " ".join(words)))
    device = "switch" if nxos else "device"
    hits += [_host_hit(file, h, device) for h in hosts.values() if _is_remote(h.host)]
    for name in sorted(used & acls.keys()):
        hits += _acl_hits(file, acls[name], device)
    return _unswapped(file, hits)


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
            elif _sure_host(w[2], canonical_host):
                i = _secret_slot(w[3:])
                words += w[3 + i:4 + i]
    return frozenset(_harvest(words, canonical_host))


def _is_acl_header(words: list[str]) -> bool:
    """`ip access-list standard|extended NAME` (IOS), `ip|ipv6|ipv4 access-list NAME`."""
    if words[0] not in ("ip", "ipv4", "ipv6") or words[1:2] != ["access-list"]:
        return False
    # Not `ip access-list logging interval 10` or `... resequence NAME 10 10`.
    return len(words) == 3 or (len(words) == 4 and words[2] in ("standard", "extended"))


def _cisco_host(file: _File, number: int, words: list[str],
                hosts: dict[str, _CiscoHost]) -> _Hit | None:
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


def _host_options(file: _File, number: int, rest: list[str], entry: _CiscoHost) -> None:
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
        entry.alt = _alt(entry.host, rest[end], canonical_host) or entry.alt
    found = _udp_port(file, number, rest[end + 1:])
    if found is not None:
        entry.port_word, entry.port = found


def _udp_port(file: _File, number: int, words: list[str]) -> tuple[str, int] | None:
    """(keyword as written, port) from `udp-port N` / `udp_port N`, if the line has one."""
    for i, word in enumerate(words[:-1]):
        if word in ("udp-port", "udp_port"):
            try:
                return word, _port(words[i + 1])
            except ValueError:
                raise file.error("the udp-port is not a number from 1 to 65535", number,
                                 word) from None
    return None


def _host_hit(file: _File, entry: _CiscoHost, device: str) -> _Hit:
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
    return _Hit(entry.line, entry.host, True, name, fix, "udp", entry.port or TRAP_PORT,
                directive="snmp-server host", alt=entry.alt)


def _asa_host(file: _File, number: int, words: list[str]) -> _Hit:
    """ASA `snmp-server host IFNAME IP [trap|poll] [community C] [version V] [udp-port N]`."""
    iface, shown = words[2], words[3]
    file.guard("snmp-server host", iface)
    host = canonical_ip(shown) or shown
    mode = words[4] if len(words) > 4 and words[4] in ("trap", "poll") else None
    name = f"snmp-server host {iface} {shown}" + (f" {mode}" if mode else "")
    fix = (f"Remove it from the ASA config: no snmp-server host {iface} {shown} "
           f"({file.label} line {number})")
    if mode == "poll":  # the host may poll the ASA; the ASA sends it nothing
        return _Hit(number, host, False, name, fix)
    found = _udp_port(file, number, words[4:])
    return _Hit(number, host, True, name, fix, "udp", found[1] if found else TRAP_PORT)


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


def _acl_hits(file: _File, acl: _Acl, device: str) -> list[_Hit]:
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
        if not _is_remote(host):
            continue
        name = f"access-list {acl.name} permit {shown}"
        undo = f"no {seq}" if seq else "no " + " ".join(entry)
        fix = (f"Remove it from the {device} config: {acl.header}, then {undo} "
               f"({file.label} line {number})")
        if acl.numbered:
            fix += f". Not no access-list {acl.name} ...: that deletes the whole list"
        hits.append(_Hit(number, host, False, name, fix))
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


# --- Windows SNMP service registry ---------------------------------------------------

_REG_STRING = re.compile(r'"((?:[^"\\]|\\.)*)"\s*=\s*"((?:[^"\\]|\\.)*)"')
_REG_NAME = re.compile(r'"((?:[^"\\]|\\.)*)"\s*=')
#: `[\\SRV01\HKEY_LOCAL_MACHINE\...]`: regedit's export of a remote (network) registry.
_REG_REMOTE_KEY = re.compile(r"^\[-?\\\\([^\\\]]+)\\", re.IGNORECASE)
#: `; Computer: SRV01`, `; ComputerName=SRV01`, `; Exported from SRV01`: what people note.
_REG_NAME_COMMENT = re.compile(
    r"^;+\s*(?:(?:computer|machine|host|server)\s*(?:name)?\s*[:=]|exported\s+from"
    r"(?:\s+(?:computer|host|machine|server))?\s*:?)\s*\\*([A-Za-z0-9][A-Za-z0-9._-]*)",
    re.IGNORECASE)
_COMPRESSED = (".gz", ".bz2")


def _registry_host(file: _File) -> str:
    """The machine a `reg export` came from: named in the file, else the file name's stem.

    A remote export writes its key paths as `\\\\HOST\\HKEY_...`; some exports carry the
    computer name in a comment. Otherwise the file name is the best name there is
    (`aaa-srv01.reg` -> `aaa-srv01`).
    """
    for raw in file.lines:
        text = raw.strip().lstrip("\ufeff")
        found = _REG_REMOTE_KEY.match(text) or _REG_NAME_COMMENT.match(text)
        if found:
            return found.group(1)
    name = Path(file.path.name)
    if name.suffix.lower() in _COMPRESSED:
        name = Path(name.stem)
    return name.stem


def _registry_secrets(lines: list[str]) -> frozenset[str]:
    """Community names: `TrapConfiguration\\<community>` keys, `ValidCommunities` values."""
    found: set[str] = set()
    key: list[str] = []
    for raw in lines:
        text = raw.strip()
        if text.startswith("[") and text.endswith("]"):
            key = text[1:-1].lstrip("-").lower().split("\\")
            if len(key) > 1 and key[-2] == "trapconfiguration":
                found.add(key[-1])
            continue
        match = _REG_NAME.match(text)
        if match is not None and key and key[-1] == "validcommunities":
            found.add(re.sub(r"\\(.)", r"\1", match.group(1)).lower())
    return frozenset(found - {""})


def _read_registry(file: _File) -> list[_Hit]:
    file = replace(file, secrets=_registry_secrets(file.lines))
    machine = _registry_host(file)
    hits: list[_Hit] = []
    key: list[str] = []
    for number, raw in enumerate(file.lines, 1):
        text = raw.strip()
        if not text or text.startswith(";"):
            continue
        if text.startswith("[") and text.endswith("]"):
            # `[-KEY]` deletes a key: nothing under it is configured.
            key = [] if text.startswith("[-") else text[1:-1].lower().split("\\")
            continue
        match = _REG_STRING.match(text)
        if match is None or not key:
            continue
        data = re.sub(r"\\(.)", r"\1", match.group(2)).strip()
        try:
            hit = _registry_value(file, number, key, match.group(1), data, machine)
        except _Withheld as withheld:
            file.skipped.append((number, str(withheld)))
            continue
        if hit is not None and _is_remote(hit.host):
            hits.append(hit)
    return hits


def _registry_value(file: _File, number: int, key: list[str], value: str,
                    data: str, machine: str) -> _Hit | None:
    """A `PermittedManagers` or `TrapConfiguration\\<community>` value, else None.

    `machine` is the host the export came from: the fix says where to make the change.
    """
    managers = key[-1] == "permittedmanagers"
    traps = len(key) > 1 and key[-2] == "trapconfiguration"
    if not (managers or traps) or not data:
        return None
    file.guard("PermittedManagers" if managers else "TrapConfiguration", data)
    host = canonical_host(data)
    if host is None:
        raise file.error("not an address or host name", number, value)
    # Group Policy keys override the local ones and are changed in the GPO, not the GUI.
    policy = "policies" in key
    if managers:
        where = (f"in the Group Policy that sets SNMP permitted managers on {machine}"
                 if policy else "(SNMP Service properties, Security tab: Accept SNMP packets "
                 f"from these hosts) on {machine}")
        return _Hit(number, host, False, f"PermittedManagers {data}",
                    f"Remove {data} from the permitted managers {where}")
    where = (f"the Group Policy that sets SNMP trap destinations (TrapConfiguration) on "
             f"{machine}" if policy
             else f"the SNMP Service's Traps tab (TrapConfiguration) on {machine}")
    return _Hit(number, host, True, f"TrapConfiguration trap destination {data}",
                f"Delete trap destination {data} from {where}", "udp", TRAP_PORT)

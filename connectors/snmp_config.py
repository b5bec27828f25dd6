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
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import netaddr

from auditor.addresses import canonical_host, canonical_ip, canonical_prefix
from auditor.errors import SourceError
from auditor.model import Target, ToolState
from connectors.base import TargetSource
from connectors.textio import read_text

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


@dataclass(frozen=True, slots=True)
class _File:
    """One config file being read: where errors point and how fixes name it."""

    path: Path
    label: str
    """The file as reports show it (relative to the config folder)."""
    lines: list[str]

    def error(self, message: str, line: int, field_name: str | None = None) -> SourceError:
        return SourceError(message, path=self.path, line=line, field=field_name)


class SnmpConfigSource(TargetSource):
    """Trap destinations and permitted pollers from SNMP agent and device configs."""

    type = "snmp-config"

    def fetch(self) -> list[Target]:
        targets: list[Target] = []
        seen: set[Path] = set()
        for path in self.spec.paths:
            if path.resolve() in seen:
                continue
            seen.add(path.resolve())
            targets += [self._target(path, hit) for hit in self._read(path)]
        return targets

    def _read(self, path: Path) -> list[_Hit]:
        lines = read_text(path).splitlines()
        parse = _parser(lines)
        if parse is None:
            raise SourceError(
                "not a recognised SNMP configuration (expected net-snmp snmpd.conf or "
                "snmptrapd.conf directives, Cisco snmp-server lines, or a Windows reg export)",
                path=path)
        hits = parse(_File(path, self.spec.where(path), lines))
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
    hits: list[_Hit] = []
    for number, raw in enumerate(file.lines, 1):
        body = raw.strip()
        if body.startswith("#"):
            hit = _commented_out(file, number, body)
            if hit is not None and _is_remote(hit.host):
                hits.append(hit)
            continue
        hit = _netsnmp_line(file, number, raw)
        if hit is not None and _is_remote(hit.host):
            hits.append(hit)
    return hits


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
    except SourceError:
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
                 default_port: int = TRAP_PORT, daemon: str = "snmpd") -> _Hit | None:
    try:
        end = _endpoint(token)
    except ValueError:
        raise file.error(f"{directive}: the destination is not an address or host name",
                         number, directive) from None
    if end.host is None:
        return None
    name = f"{directive} {_shown(token)}"
    return _Hit(number, end.host, True, name, _netsnmp_fix(file, number, name, daemon),
                end.protocol, end.port or default_port)


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
    return _destination(file, number, directive, args[0], default_port)


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
    return _destination(file, number, "trapsess", positional[-1])


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
               daemon: str = "snmpd") -> _Hit | None:
    """A source restriction: a record only when it names exactly one host."""
    try:
        host = _single_host(token)
    except ValueError:
        raise file.error(f"{directive}: the source is not an address, network, host name "
                         "or default", number, "source") from None
    if host is None:
        return None
    name = f"{directive} source {token}"
    return _Hit(number, host, False, name, _netsnmp_fix(file, number, name, daemon))


def _community_source(file: _File, number: int, directive: str,
                      args: list[str]) -> _Hit | None:
    """`rocommunity COMMUNITY [SOURCE [OID | -V VIEW [CONTEXT]]]`; no SOURCE means any."""
    args = _skip_options(args)
    if len(args) < 2:
        return None
    return _permitted(file, number, directive, args[1])


def _com2sec(file: _File, number: int, directive: str, args: list[str]) -> _Hit | None:
    """`com2sec [-Cn CONTEXT] SECNAME SOURCE COMMUNITY`."""
    args = _skip_options(args)
    if len(args) < 3:
        raise file.error(f"{directive} needs SECNAME SOURCE COMMUNITY", number, directive)
    return _permitted(file, number, directive, args[1])


def _auth_community(file: _File, number: int, args: list[str]) -> _Hit | None:
    """snmptrapd `authCommunity TYPES COMMUNITY [SOURCE [OID | -v VIEW]]`."""
    if len(args) < 3:
        return None
    return _permitted(file, number, "authCommunity", args[2], daemon="snmptrapd")


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
            hit = _cisco_host(file, number, words, hosts)
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
    return hits


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
    host = canonical_host(words[2])
    if host is None:
        raise file.error("snmp-server host: not an address or host name", number, "host")
    rest = words[3:]
    entry = hosts.get(host)
    if entry is None:
        entry = hosts[host] = _CiscoHost(number, words[2], host)
    entry.lines.append(number)
    if rest and rest[0] in _NXOS_HOST_EXTRAS:
        return None
    _host_options(file, number, rest, entry)
    return None


def _host_options(file: _File, number: int, rest: list[str], entry: _CiscoHost) -> None:
    """`[vrf V] [informs|traps] [version {1|2c|3 [auth|noauth|priv]}] SECRET [udp-port N]`."""
    i = 0
    while i < len(rest):
        word = rest[i]
        if word == "vrf" and i + 1 < len(rest):
            entry.vrf = rest[i + 1]
            i += 2
        elif word in ("informs", "traps"):
            entry.kind = word
            i += 1
        elif word == "version" and i + 1 < len(rest):
            entry.version = rest[i + 1]
            i += 2
            if entry.version == "3" and i < len(rest) and rest[i] in ("auth", "noauth", "priv"):
                entry.level = rest[i]
                i += 1
        else:
            break
    # rest[i] is the community or v3 user: never read; the port may follow it.
    found = _udp_port(file, number, rest[i + 1:])
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
    return _Hit(entry.line, entry.host, True, name, fix, "udp", entry.port or TRAP_PORT)


def _asa_host(file: _File, number: int, words: list[str]) -> _Hit:
    """ASA `snmp-server host IFNAME IP [trap|poll] [community C] [version V] [udp-port N]`."""
    iface, shown = words[2], words[3]
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


def _read_registry(file: _File) -> list[_Hit]:
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
        hit = _registry_value(file, number, key, match.group(1), data)
        if hit is not None and _is_remote(hit.host):
            hits.append(hit)
    return hits


def _registry_value(file: _File, number: int, key: list[str], value: str,
                    data: str) -> _Hit | None:
    """A `PermittedManagers` or `TrapConfiguration\\<community>` value, else None."""
    managers = key[-1] == "permittedmanagers"
    traps = len(key) > 1 and key[-2] == "trapconfiguration"
    if not (managers or traps) or not data:
        return None
    host = canonical_host(data)
    if host is None:
        raise file.error("not an address or host name", number, value)
    # Group Policy keys override the local ones and are changed in the GPO, not the GUI.
    policy = "policies" in key
    if managers:
        where = ("in the Group Policy that sets SNMP permitted managers" if policy else
                 "(SNMP Service properties, Security tab: Accept SNMP packets from these "
                 "hosts) on this host")
        return _Hit(number, host, False, f"PermittedManagers {data}",
                    f"Remove {data} from the permitted managers {where}")
    where = ("the Group Policy that sets SNMP trap destinations (TrapConfiguration)" if policy
             else "the SNMP Service's Traps tab (TrapConfiguration) on this host")
    return _Hit(number, host, True, f"TrapConfiguration trap destination {data}",
                f"Delete trap destination {data} from {where}", "udp", TRAP_PORT)

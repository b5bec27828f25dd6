"""net-snmp `snmpd.conf` and `snmptrapd.conf`: trap sinks, forwards, community sources.

Sinks, `trapsess` and snmptrapd `forward` destinations are sent to (`polled`); a source
restriction naming one host (`rocommunity`, `com2sec`, snmptrapd `authCommunity`) is a
permitted poller (not polled). A commented-out destination line still names its address,
as a record that sends nothing.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, replace

from auditor.addresses import canonical_host, canonical_ip
from auditor.errors import SourceError
from connectors.sources.snmp.common import (
    TRAP_PORT,
    ConfigFile,
    Hit,
    Withheld,
    is_remote,
    parse_port,
    single_host,
)
from connectors.sources.snmp.withholding import alt_host, harvest, sure_host, unswapped

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
#: Every directive snmpd or snmptrapd reads: a file that uses one is a net-snmp config.
NETSNMP_DIRECTIVES = _SNMPD_DIRECTIVES | _SNMPTRAPD_DIRECTIVES

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
    return _Endpoint(host, parse_port(port_text) if port_text else None, protocol)


def _endpoint_host(text: str) -> str | None:
    """The host of a net-snmp address, or None (local-only, or no address at all)."""
    try:
        return _endpoint(text).host
    except ValueError:
        return None


def _tokens(line: str) -> list[str]:
    """Split a net-snmp line as its reader does (quotes group words), dropping comments."""
    line = re.sub(r"(^|\s)#.*$", "", line)
    try:
        return shlex.split(line, posix=True)
    except ValueError:  # an unbalanced quote: the plain words are still the best guess
        return line.split()


#: Directives that, commented out, still name a host worth a (not polled) record.
COMMENTABLE = frozenset({"trapsink", "trap2sink", "informsink", "trapsess", "forward"})


def read_netsnmp(file: ConfigFile) -> list[Hit]:
    """Every remote host an snmpd.conf / snmptrapd.conf names, commented-out sinks included."""
    file = replace(file, secrets=_netsnmp_secrets(file.lines))
    hits: list[Hit] = []
    for number, raw in enumerate(file.lines, 1):
        body = raw.strip()
        if body.startswith("#"):
            hit = _commented_out(file, number, body)
        else:
            try:
                hit = _netsnmp_line(file, number, raw)
            except Withheld as withheld:
                file.skipped.append((number, str(withheld)))
                continue
        if hit is not None and is_remote(hit.host):
            hits.append(hit)
    return unswapped(file, hits)


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
        elif directive in _SINKS and sure_host(args[0] if args else "", _endpoint_host):
            words += args[1:2]  # only when the line is surely in order: see sure_host
        elif directive == "trapsess":
            words += _option_values(args, _SECRET_OPTIONS)
        elif directive == "createuser":
            words += [w for i, w in enumerate(args) if not w.startswith("-")
                      and args[i - 1:i] != ["-e"] and w.upper() not in _USM_ALGORITHMS]
        elif directive in ("rouser", "rwuser", "authuser"):
            rest = args[1:] if directive == "authuser" else args  # authUser TYPES ...
            rest = rest[2:] if rest[:1] == ["-s"] else rest
            words += rest[:1]
    return frozenset(harvest(words, _endpoint_host))


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


def _commented_out(file: ConfigFile, number: int, body: str) -> Hit | None:
    """`#trapsink 10.99.3.40 public`: a record that sends nothing (SPEC: polled false).

    Only a comment that reads whole as a directive counts; prose comments and lines that
    no longer parse are nothing.
    """
    text = body.lstrip("#").strip()
    words = text.split(maxsplit=1)
    if not words or words[0].lower() not in COMMENTABLE:
        return None
    try:
        hit = _netsnmp_line(file, number, text)
    except (SourceError, Withheld):
        return None
    if hit is None or canonical_ip(hit.host) is None:
        return None  # "# forward every trap to the NOC": prose, not a disabled line
    name = f"commented-out {hit.name}"
    return replace(hit, polled=False, commented=True, name=name,
                   fix=f"Delete the {name} line ({file.label} line {number}): it sends "
                       "nothing, but still names the address")


def _netsnmp_line(file: ConfigFile, number: int, raw: str) -> Hit | None:
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


def _netsnmp_fix(file: ConfigFile, number: int, name: str, daemon: str) -> str:
    return f"Remove the {name} line ({file.label} line {number}) and restart {daemon}"


def _shown(token: str) -> str:
    """The host as the line wrote it; `udp:` is the default transport and says nothing."""
    return token[4:] if token.lower().startswith("udp:") else token


def _destination(file: ConfigFile, number: int, directive: str, token: str,
                 default_port: int = TRAP_PORT, daemon: str = "snmpd",
                 other: str | None = None) -> Hit | None:
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
    return Hit(number, end.host, True, name, _netsnmp_fix(file, number, name, daemon),
               end.protocol, end.port or default_port, directive=directive,
               alt=alt_host(end.host, other, _endpoint_host))


def _sink(file: ConfigFile, number: int, directive: str, args: list[str]) -> Hit | None:
    """`trapsink HOST [COMMUNITY [PORT]]`: a port inside HOST wins over the PORT word."""
    if not args:
        raise file.error(f"{directive} has no host", number, directive)
    default_port = TRAP_PORT
    if len(args) > 2:
        try:
            default_port = parse_port(args[2])
        except ValueError:
            raise file.error(f"{directive}: the port is not a number from 1 to 65535",
                             number, "port") from None
    return _destination(file, number, directive, args[0], default_port,
                        other=args[1] if len(args) > 1 else None)


def _trapsess(file: ConfigFile, number: int, args: list[str]) -> Hit | None:
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


def _forward(file: ConfigFile, number: int, args: list[str]) -> Hit | None:
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


def _permitted(file: ConfigFile, number: int, directive: str, token: str,
               daemon: str = "snmpd", other: str | None = None) -> Hit | None:
    """A source restriction: a record only when it names exactly one host.

    `other` is the line's community word, in case the two were swapped.
    """
    file.guard(directive, token)
    try:
        host = single_host(token)
    except ValueError:
        raise file.error(f"{directive}: the source is not an address, network, host name "
                         "or default", number, "source") from None
    if host is None:
        return None
    name = f"{directive} source {token}"
    return Hit(number, host, False, name, _netsnmp_fix(file, number, name, daemon),
               directive=directive, alt=alt_host(host, other, _endpoint_host))


def _community_source(file: ConfigFile, number: int, directive: str,
                      args: list[str]) -> Hit | None:
    """`rocommunity COMMUNITY [SOURCE [OID | -V VIEW [CONTEXT]]]`; no SOURCE means any."""
    args = _skip_options(args)
    if len(args) < 2:
        return None
    return _permitted(file, number, directive, args[1], other=args[0])


def _com2sec(file: ConfigFile, number: int, directive: str, args: list[str]) -> Hit | None:
    """`com2sec [-Cn CONTEXT] SECNAME SOURCE COMMUNITY`."""
    args = _skip_options(args)
    if len(args) < 3:
        raise file.error(f"{directive} needs SECNAME SOURCE COMMUNITY", number, directive)
    return _permitted(file, number, directive, args[1], other=args[2])


def _auth_community(file: ConfigFile, number: int, args: list[str]) -> Hit | None:
    """snmptrapd `authCommunity TYPES COMMUNITY [SOURCE [OID | -v VIEW]]`."""
    if len(args) < 3:
        return None
    return _permitted(file, number, "authCommunity", args[2], daemon="snmptrapd",
                      other=args[1])

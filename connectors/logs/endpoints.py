"""Printed endpoints -> one flow in initiator order: addresses, ports, who opened it.

Shared by every vendor parser in `connectors/logs/` (STYLE.md, "normalize at the boundary"):
whatever order and spelling a firewall prints, an event's `src`/`sport` is the side that
opened the flow and `dst`/`dport` the side it was opened to.

- Addresses are canonical text (`parse_address`); an IPv4-mapped IPv6 address is its IPv4
  address; what is not an IP address (a masked `***`, an object name, a hostname, an
  impossible `192.1682.2.2`) is None, so it never forms a flow.
- Ports are numbers (`parse_port`): digits up to 65535, or a service name (`https`, `snmp`,
  FortiGate's `SNMP`) from `SERVICES`, then the system's services database; else None.
- ICMP has no ports (`ICMP_PROTOCOLS`): an id or type printed in a port slot is dropped.
- When the vendor does not say who opened the flow, ports tell (`initiator_first`): the
  server side is on a port below 1024 or in `SERVER_PORTS`.

Both lookups are cached per process (bounded); a log repeats the same few addresses and
ports on most lines.
"""

from __future__ import annotations

import socket

from auditor.addresses import canonical_ip
from auditor.model import Signal

#: Ports above 1023 that are a server side when seen in a flow (SNMP, pollers, databases, RDP).
SERVER_PORTS = frozenset({
    161, 162, 1433, 1434, 1521, 1645, 1646, 1812, 1813, 2049, 3306, 3389, 5060, 5061, 5432,
    5985, 5986, 8080, 8443, 9100, 10050, 10051, 10597, 17777, 17778, 17774,
})

#: Service names firewalls write in port slots (the ASA's own names where they differ from
#: IANA's); looked up in lower case.
SERVICES: dict[str, int] = {
    "echo": 7, "discard": 9, "daytime": 13, "chargen": 19, "ftp-data": 20, "ftp": 21, "ssh": 22,
    "telnet": 23, "smtp": 25, "time": 37, "nameserver": 42, "whois": 43, "tacacs": 49,
    "domain": 53, "bootps": 67, "bootpc": 68, "tftp": 69, "gopher": 70, "finger": 79,
    "http": 80, "www": 80, "hostname": 101, "pop2": 109, "pop3": 110, "sunrpc": 111,
    "ident": 113, "nntp": 119, "ntp": 123, "netbios-ns": 137, "netbios-dgm": 138,
    "netbios-ssn": 139, "imap4": 143, "snmp": 161, "snmptrap": 162, "xdmcp": 177, "bgp": 179,
    "irc": 194, "dnsix": 195, "ldap": 389, "mobile-ip": 434, "https": 443,
    "pim-auto-rp": 496, "isakmp": 500, "biff": 512, "exec": 512, "login": 513, "who": 513,
    "rsh": 514, "syslog": 514, "lpd": 515, "talk": 517, "rip": 520, "uucp": 540,
    "klogin": 543, "kshell": 544, "rtsp": 554, "ldaps": 636, "kerberos": 750,
    "lotusnotes": 1352, "citrix-ica": 1494, "sqlnet": 1521, "radius": 1645,
    "radius-acct": 1646, "h323": 1720, "pptp": 1723, "nfs": 2049, "ctiqbe": 2748,
    "cifs": 3020, "rdp": 3389, "sip": 5060, "aol": 5190, "secureid-udp": 5510,
    "pcanywhere-data": 5631, "pcanywhere-status": 5632, "vxlan": 4789,
}

#: Protocol words (lower case) that carry no ports.
ICMP_PROTOCOLS = frozenset({"icmp", "icmp6", "icmpv6", "ipv6-icmp"})

#: Entries each cache keeps before it is dropped and refilled.
CACHE_LIMIT = 65536

#: What a parser finds in one line: signal, protocol, src, sport, dst, dport, count (the
#: `LogEvent` fields after line, time, device and message).
Flow = tuple[Signal, str | None, str | None, int | None, str | None, int | None, int]

_addr_cache: dict[str, str | None] = {}
_port_cache: dict[str, int | None] = {}
_MISS = object()


def parse_address(text: str) -> str | None:
    """Canonical address text; None for what is not an IP address.

    When the whole slot is not an address, a leading `word:` is taken off and the rest tried:
    an ASA multi-context prefix (`v1:outside:10.8.1.9`) or an interface the template does not
    promise. An IPv4-mapped IPv6 address (`::ffff:10.10.0.5`) is the IPv4 address.
    """
    hit = _addr_cache.get(text, _MISS)
    if hit is _MISS:
        hit = canonical_ip(text)
        rest = text
        while hit is None and ":" in rest:
            rest = rest.partition(":")[2].lstrip()
            hit = canonical_ip(rest)
        if hit is not None and hit.startswith("::ffff:") and "." in hit:
            hit = hit[7:]
        if len(_addr_cache) >= CACHE_LIMIT:
            _addr_cache.clear()
        _addr_cache[text] = hit
    return hit  # type: ignore[return-value]


def parse_port(text: str | None) -> int | None:
    """Port number from digits or a service name (`https`, `snmp`, `SNMP`); None when neither.

    A trailing `.` or `,` (end of a sentence or list in the message) is ignored.
    """
    if text is None:
        return None
    try:
        return _port_cache[text]
    except KeyError:
        pass
    clean = text.rstrip(".,").lower()
    port: int | None
    if clean.isdigit():
        port = int(clean) if len(clean) <= 5 and int(clean) <= 65535 else None
    else:
        port = SERVICES.get(clean)
        if port is None and clean.isascii() and clean.replace("-", "").isalnum():
            try:
                port = socket.getservbyname(clean)
            except OSError:
                port = None
    if len(_port_cache) >= CACHE_LIMIT:
        _port_cache.clear()
    _port_cache[text] = port
    return port


def is_server_port(port: int | None) -> bool:
    """Whether `port` marks the server side of a flow: below 1024 (not 0) or in `SERVER_PORTS`."""
    return port is not None and (0 < port < 1024 or port in SERVER_PORTS)


def initiator_first(ap: int | None, bp: int | None) -> bool:
    """Whether the first printed endpoint opened the flow, judged by ports alone.

    When only the first printed port is a server port, the second endpoint opened the flow;
    otherwise (neither, both, or unknown ports) the first printed endpoint is taken as the
    initiator. For messages that may be a server's reply (a packet outside any connection, a
    Teardown whose Built was not seen, an ICMP error's embedded payload).
    """
    return not is_server_port(ap) or is_server_port(bp)


def build_flow(signal: Signal, proto: str, a: str | None, ap: str | None, b: str | None,
               bp: str | None, a_first: bool = True, count: int = 1) -> Flow | None:
    """A flow from printed slots (`a`/`ap` printed first); `a_first` False swaps them.

    Addresses and ports are read as above; a protocol in `ICMP_PROTOCOLS` has no ports. None
    when a slot is longer than any address or DNS name (255) or the protocol longer than 32:
    that text is junk, not a flow.
    """
    if (a is not None and len(a) > 255) or (b is not None and len(b) > 255) or len(proto) > 32:
        return None
    proto = proto.lower()
    if proto in ICMP_PROTOCOLS:
        sport = dport = None
    else:
        sport = _port_cache[ap] if ap in _port_cache else parse_port(ap)
        dport = _port_cache[bp] if bp in _port_cache else parse_port(bp)
    src = parse_address(a) if a is not None else None
    dst = parse_address(b) if b is not None else None
    if a_first:
        return (signal, proto, src, sport, dst, dport, count)
    return (signal, proto, dst, dport, src, sport, count)

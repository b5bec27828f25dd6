"""What to probe, and why not: pure, no I/O. Safety starts here.

`AllowList` is the one test of "may this address be sent to": the plan asks it for every
address before any socket exists, and every prober asks it again right before it opens a
socket or hands a datagram to the kernel (`check`), so a bug upstream cannot reach past
`allow`. An address outside `allow`, and one that is no single host (multicast, broadcast,
unspecified), is skipped with the reason, never probed.

What each address is asked:

- TCP: each port its records' tools poll over TCP (`tcp_ports = "polled"`), or the listed
  `tcp_ports` for every address;
- SNMP (when credentials are configured): at each UDP port its records poll, or at
  `snmp_port` when a record does not say what its tool sends (and for every address when
  `tcp_ports` is a list). A trap or syslog receiver's port is not asked: a manager
  listening for traps answers no GET;
- nothing else: a record polled by ICMP, or only sent traps or syslog, gives no question
  this version can ask; the skip says so.

Host names are looked up first (`plan_names`); each answer brings its name's records (and
their ports) to the address it resolved to, which is then planned like any other.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

import netaddr

from auditor.addresses import canonical_ip
from auditor.errors import StaleAuditError
from auditor.model import ProbeKind, ProbeResult, ProbeStatus, Target
from auditor.probe.settings import ProbeSettings

#: UDP ports that receive from the tool (traps, syslog) and never answer it.
SEND_ONLY_UDP = {162: "SNMP traps", 514: "syslog", 10162: "SNMP traps over TLS/DTLS"}


class OutsideAllow(StaleAuditError):
    """A prober was about to send to an address outside `allow` (a bug: the plan skips
    them). Raised before the socket exists."""


class AllowList:
    """The prefixes probing may reach; `address in allow` and `allow.check(address)`."""

    def __init__(self, prefixes: Iterable[str]) -> None:
        self.prefixes = tuple(prefixes)
        self._set = netaddr.IPSet(self.prefixes)

    def __contains__(self, address: object) -> bool:
        if not isinstance(address, str):
            return False
        ip = canonical_ip(address)
        if ip is None:
            return False
        try:
            return netaddr.IPAddress(ip) in self._set
        except (netaddr.AddrFormatError, ValueError):
            return False

    def check(self, address: str) -> None:
        """Raise `OutsideAllow` unless `address` is inside `allow` (call it before any
        socket exists)."""
        if address not in self:
            raise OutsideAllow(f"refused to probe {address}: outside [probe] allow "
                               f"({', '.join(self.prefixes) or 'empty'})")


def why_not_unicast(address: str) -> str | None:
    """Why `address` is no single host to probe, or None when it is one."""
    ip = netaddr.IPAddress(address)
    if ip.is_multicast():
        return "a multicast address, not one host: never probed"
    if ip.value == 0:
        return "the unspecified address, not a host: never probed"
    if ip.version == 4 and ip.value == 0xFFFFFFFF:
        return "the broadcast address, not one host: never probed"
    return None


@dataclass(frozen=True, slots=True)
class Planned:
    """One probe to make."""

    address: str
    kind: ProbeKind
    port: int


@dataclass(frozen=True, slots=True)
class Plan:
    """What a run probes, and what it leaves alone with why."""

    probes: tuple[Planned, ...]
    skipped: tuple[ProbeResult, ...]
    """One `SKIPPED` result per address not probed, its `error` saying why."""
    outside: tuple[str, ...]
    """Addresses left alone because they are outside `allow`."""


def _wanted(only: Collection[str] | None, *keys: str) -> bool:
    return only is None or any(k in only for k in keys)


def plan_names(targets: Iterable[Target], only: Collection[str] | None = None) -> tuple[str, ...]:
    """Every host name a record holds instead of an address, sorted; with `only`, those
    named in it."""
    names = {t.address for t in targets if canonical_ip(t.address) is None}
    return tuple(sorted(n for n in names if _wanted(only, n)))


def plan_probes(settings: ProbeSettings, targets: Sequence[Target], *,
                resolved: Mapping[str, str] | None = None,
                only: Collection[str] | None = None) -> Plan:
    """The probes of every address some record holds (or that a record's name resolved
    to), each inside `allow`; everything else skipped with the reason.

    Args:
        settings: the `[probe]` table.
        targets: every record of the audit.
        resolved: host name -> the address its DNS answer links it to.
        only: restrict the run to these addresses and names (`probe --only`); one no
            record holds is probed too, when inside `allow`.
    """
    resolved = resolved or {}
    records: dict[str, list[Target]] = {}
    for t in targets:
        address = t.address if canonical_ip(t.address) is not None else resolved.get(t.address)
        if address is None or not _wanted(only, t.address, address):
            continue
        records.setdefault(address, []).append(t)
    for extra in only or ():
        ip = canonical_ip(extra)
        if ip is not None:
            records.setdefault(ip, [])
    allow = AllowList(settings.allow)
    probes: list[Planned] = []
    skipped: list[ProbeResult] = []
    outside: list[str] = []
    for address in sorted(records, key=_order):
        held = records[address]
        asks = _questions(settings, held)
        why = None
        if address not in allow:
            outside.append(address)
            why = f"outside [probe] allow ({', '.join(allow.prefixes)}): never probed"
        else:
            why = why_not_unicast(address)
        if why is not None:
            skipped += [_skip(address, why, kind, port) for kind, port in asks] or \
                [_skip(address, why)]
        elif not asks:
            skipped.append(_skip(address, _nothing_to_ask(settings, held)))
        else:
            probes += [Planned(address, kind, port) for kind, port in asks]
    return Plan(tuple(probes), tuple(skipped), tuple(outside))


def _questions(settings: ProbeSettings, held: Sequence[Target]) -> list[tuple[ProbeKind, int]]:
    """(kind, port) pairs to ask of one address, in a stable order."""
    if settings.tcp_ports is not None:
        tcp = set(settings.tcp_ports)
    else:
        tcp = {t.port for t in held if t.protocol == "tcp" and t.port}
    snmp: set[int] = set()
    if settings.snmp:
        snmp = {t.port for t in held if t.protocol == "udp" and t.port
                and t.port not in SEND_ONLY_UDP}
        asks_other = any(t.protocol is None or (t.protocol == "udp" and t.port is None)
                         for t in held) or not held or settings.tcp_ports is not None
        if not snmp and asks_other:
            snmp = {settings.snmp_port}
    return ([(ProbeKind.SNMP, p) for p in sorted(snmp)] +
            [(ProbeKind.TCP, p) for p in sorted(tcp)])


def _nothing_to_ask(settings: ProbeSettings, held: Sequence[Target]) -> str:
    polled = sorted({f"{t.protocol}/{t.port}" if t.port else str(t.protocol or "unknown")
                     for t in held})
    hint = "set tcp_ports = [...]" + ("" if settings.snmp else " or SNMP credentials")
    if not held:
        return f"no record holds it and no question is configured: {hint}"
    return (f"nothing to ask: its tools poll {', '.join(polled)} (ICMP is not sent, and "
            f"trap or syslog receivers answer nothing); {hint}")


def _skip(address: str, why: str, kind: ProbeKind = ProbeKind.TCP,
          port: int | None = None) -> ProbeResult:
    return ProbeResult(address=address, kind=kind, status=ProbeStatus.SKIPPED, port=port,
                       error=why)


def _order(address: str) -> tuple[int, int]:
    ip = netaddr.IPAddress(address)
    return (ip.version, ip.value)

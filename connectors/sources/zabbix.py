"""Zabbix hosts: the JSON-RPC answer of `host.get` with `selectInterfaces`.

The body is saved whole (`{"jsonrpc": "2.0", "result": [...], "id": 1}`) or, later, fetched
from `api_jsonrpc.php`; an error answer (`{"error": {"code", "message", "data"}}`) is a
`SourceError` quoting it. Every value is a string. A host polls through its interfaces:
type 1 agent (TCP, 10050 by default), 2 SNMP (UDP, 161), 3 IPMI (UDP, 623), 4 JMX (TCP);
`useip` "1" means the `ip`, "0" the `dns` name (a name-only record, linked by name like
those of other tools). One record per interface.

Which interfaces poll: Zabbix polls through the main interface of each type; an item may
be bound to a non-main one, which `host.get` does not say. A non-main interface is a record
either way, polled only when its availability shows that something polls it (1 or 2, set
by the pollers; 0 "unknown" when nothing ever did).

State: `status` "1" (not monitored) stops all polling: not polled, disabled. Otherwise the
interface's `available` (5.4+), or on 5.0 the host's `available` / `snmp_available` /
`ipmi_available` / `jmx_available` for the interface's type: 1 up, 2 down, 0 unknown. A down
interface's `errors_from` (when it stopped answering) stands for its last success; Zabbix
keeps no other date in `host.get`, so the record has no `seen`.

Poller: the option `poller` (the Zabbix server), except for hosts monitored by a proxy
(`proxy_hostid` up to 6.4, `proxyid`/`monitored_by` from 7.0), whose packets come from the
proxy: their poller is unknown (the fix names the proxy). SNMP communities and v3 secrets
(interface `details`) are never read.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

from auditor.addresses import canonical_host, canonical_ip
from auditor.errors import SourceError
from auditor.model import Target, ToolState
from connectors.base import SkippedLine, TargetSource
from connectors.shared.bodies import BodyShape, body_items
from connectors.shared.values import cell_text, epoch_ms
from connectors.sources.snmp.common import is_remote

#: Interface type -> (what it is called in Zabbix, protocol, default port).
INTERFACE_TYPES: dict[str, tuple[str, str, int]] = {
    "1": ("agent", "tcp", 10050),
    "2": ("SNMP", "udp", 161),
    "3": ("IPMI", "udp", 623),
    "4": ("JMX", "tcp", 12345),
}

#: Zabbix 5.0 host-level availability, per interface type.
_HOST_AVAILABLE = {"1": "available", "2": "snmp_available", "3": "ipmi_available",
                   "4": "jmx_available"}
_HOST_ERRORS_FROM = {"1": "errors_from", "2": "snmp_errors_from", "3": "ipmi_errors_from",
                     "4": "jmx_errors_from"}

_STATES = {"1": ToolState.UP, "2": ToolState.DOWN}

_HOSTS = BodyShape("a Zabbix host.get answer", ("result",), (), item="host", field="result")


class ZabbixSource(TargetSource):
    """Host interfaces from a saved `host.get` answer (Zabbix 5.0 to 7.x)."""

    type = "zabbix"
    api: ClassVar[bool] = True
    """`host.get` over JSON-RPC gives the same body `parse` reads."""

    def fetch(self) -> list[Target]:
        self.skipped = []
        targets: list[Target] = []
        for path in self.spec.paths:
            targets += self._parse(self.io.read_json(path), path)
        return targets

    def parse(self, body: Any, origin: Path | str) -> list[Target]:
        """Targets from one `host.get` answer, saved or fetched."""
        self.skipped = []
        return self._parse(body, origin)

    def _parse(self, body: Any, origin: Path | str) -> list[Target]:
        if isinstance(body, dict) and "result" not in body and "error" in body:
            raise SourceError(f"the Zabbix API answered {_error_text(body['error'])}",
                              path=origin, field="error")
        hosts = body_items(body, _HOSTS, origin)
        if not hosts:
            raise SourceError("host.get returned no host (an API user without read "
                              "permission on any host group gets an empty list)",
                              path=origin, field="result")
        targets: list[Target] = []
        for number, host in enumerate(hosts, 1):
            targets += self._host(host, number, origin)
        return targets

    def _host(self, host: dict[str, Any], number: int, origin: Path | str) -> list[Target]:
        where = self.spec.where(origin)
        host_id = cell_text(host.get("hostid"))
        if not host_id:
            self._skip(where, f"host #{number} has no hostid")
            return []
        name = cell_text(host.get("name")) or cell_text(host.get("host")) or host_id
        label = f"host {name} (hostid {host_id})"
        status = cell_text(host.get("status"))
        if status not in ("0", "1"):
            self._skip(where, f"{label}: status {status!r} is neither 0 (monitored) nor 1")
            return []
        interfaces = host.get("interfaces")
        if not isinstance(interfaces, list) or not interfaces:
            self._skip(where, f"{label} has no interface (selectInterfaces missing, or only "
                       "trapper, HTTP or active-agent items): nothing is polled through one")
            return []
        proxy = _proxy(host)
        targets = []
        for index, interface in enumerate(interfaces, 1):
            if not isinstance(interface, dict):
                self._skip(where, f"{label}: interface #{index} is not an object")
                continue
            made = self._interface(host, interface, index, label, name, status == "1", proxy,
                                   where)
            if made is not None:
                targets.append(made)
        return targets

    def _interface(self, host: dict[str, Any], iface: dict[str, Any], index: int, label: str,
                   name: str, off: bool, proxy: str | None, where: str) -> Target | None:
        interface_id = cell_text(iface.get("interfaceid")) or str(index)
        kind = cell_text(iface.get("type"))
        if kind not in INTERFACE_TYPES:
            self._skip(where, f"{label}: interface {interface_id} has type {kind!r}, not "
                       "1 (agent), 2 (SNMP), 3 (IPMI) or 4 (JMX)")
            return None
        what, protocol, default_port = INTERFACE_TYPES[kind]
        use_ip = cell_text(iface.get("useip")) != "0"
        field = "ip" if use_ip else "dns"
        text = cell_text(iface.get(field))
        address = canonical_ip(text) if use_ip else canonical_host(text)
        if address is None:
            self._skip(where, f"{label}: {what} interface {interface_id}: {field} {text!r} is "
                       f"not {'an IP address' if use_ip else 'a host name'}")
            return None
        if not is_remote(address):
            self._skip(where, f"{label}: {what} interface {interface_id} is the polling host "
                       "itself; no packet crosses the network")
            return None
        port_text = cell_text(iface.get("port"))
        port: int | None = default_port
        if port_text.isdigit() and 0 < int(port_text) < 65536:
            port = int(port_text)
        elif port_text.startswith("{$"):
            port = None  # a user macro: its value is not in host.get
        elif port_text:
            self._skip(where, f"{label}: {what} interface {interface_id}: port {port_text!r} "
                       "is not a port number")
            return None
        available = cell_text(iface.get("available")) if "available" in iface else \
            cell_text(host.get(_HOST_AVAILABLE[kind]))
        errors_from = iface.get("errors_from") if "available" in iface else \
            host.get(_HOST_ERRORS_FROM[kind])
        main = cell_text(iface.get("main")) != "0"
        # A non-main interface polls only when an item uses it: availability says so.
        polled = not off and (main or available in ("1", "2"))
        state = ToolState.DISABLED if off else _STATES.get(available, ToolState.UNKNOWN)
        last_ok = _since(errors_from) if state is ToolState.DOWN else None
        return Target(
            address=address, source=self.spec.name, kind=self.type,
            id=f"{cell_text(host.get('hostid'))}/{interface_id}", name=name, polled=polled,
            state=state, last_ok=last_ok,
            poller=None if proxy else self.spec.poller, location=where,
            owner=self.spec.owner, fix=_fix(label, what, address, main, off, proxy),
            protocol=protocol, port=port,
            aliases=_aliases(address, host.get("host"), iface.get("dns")))

    def _skip(self, where: str, reason: str) -> None:
        self.skipped.append(SkippedLine(where, reason))


def _error_text(error: Any) -> str:
    if not isinstance(error, dict):
        return f"an error: {cell_text(error)}"
    code = cell_text(error.get("code"))
    words = " ".join(w for w in (cell_text(error.get("message")), cell_text(error.get("data")))
                     if w)
    return f"error {code}: {words}" if code else f"an error: {words}"


def _proxy(host: dict[str, Any]) -> str | None:
    """The proxy (id) that polls the host, if any: 6.x `proxy_hostid`, 7.x `proxyid`."""
    if cell_text(host.get("monitored_by")) == "2":
        group = cell_text(host.get("proxy_groupid"))
        return f"proxy group {group}" if group else "a proxy group"
    for key in ("proxyid", "proxy_hostid"):
        value = cell_text(host.get(key))
        if value and value != "0":
            return f"proxy {value}"
    return None


def _since(value: object) -> datetime | None:
    """`errors_from` (epoch seconds, "0" = never) as naive UTC."""
    text = cell_text(value)
    if not text.isdigit() or text == "0":
        return None
    return epoch_ms(int(text) * 1000)


def _aliases(address: str, *names: object) -> tuple[str, ...]:
    out: list[str] = []
    for value in names:
        name = canonical_host(cell_text(value))
        if name and name != address and canonical_ip(name) is None and name not in out:
            out.append(name)
    return tuple(out)


def _fix(label: str, what: str, address: str, main: bool, off: bool, proxy: str | None
         ) -> str:
    via = f", monitored by {proxy}" if proxy else ""
    where = f"{label[:-1]}{via})" if via else label
    if off:
        return f"Delete {where} in Zabbix (it is not monitored)"
    if not main:
        return f"Remove the {what} interface {address} from {where} in Zabbix"
    return f"Delete {where} in Zabbix, or disable it"


__all__ = ["INTERFACE_TYPES", "ZabbixSource"]

"""LibreNMS devices: the body of `GET /api/v0/devices`.

`{"status": "ok", "count": N, "devices": [...]}`, saved to a file or fetched live: with
`url = "https://librenms.example"` and `token_env` (an API token, Settings > API > API
Settings), `GET /api/v0/devices` is sent with `X-Auth-Token: <token>` and its answer goes to
the same `parse`. Older releases write every number as a string (`"status": "1"`,
`"port": "161"`). An answer whose `status` is not `ok` (`{"status": "error", "message":
...}`), or Laravel's `{"message": "Unauthenticated."}` (a token LibreNMS does not know, sent
with HTTP 401), is a `SourceError` quoting its message: a token cannot be renewed, so a
refused one fails the source at once.

Which address LibreNMS polls: `overwrite_ip` when set, else `hostname` (an IP, or a name it
resolves at each poll; `ip` is what the name resolved to last). A name with no resolved
address is a name-only record, linked by name like those of other tools. SNMP over
`transport` (udp, tcp, udp6, tcp6) and `port`; a ping-only device (`snmp_disable` 1) gets
ICMP only.

State: `disabled` 1 stops polling (not polled, disabled); `ignore` 1 only silences alerts
(still polled). `status` 1 is up; 0 is down, except with `status_reason` "snmp": the device
answers ping and only SNMP fails, so it exists (up, as of `last_ping`). The poller does not
poll a device that does not answer ping, so a down device's `last_polled` is frozen at its
last success (`last_ok`); `last_ping` is when LibreNMS last looked (`seen`).

Times are written in the LibreNMS server's local time, `YYYY-MM-DD HH:MM:SS`: the option
`timezone` (an IANA name such as `Europe/Berlin`, daylight saving included) or `utc_offset`
(`+01:00`) says which; without either they are taken as UTC. The MySQL zero date
(`0000-00-00 00:00:00`) means never. Poller: the option `poller` (the LibreNMS server;
with distributed polling, the poller group's members are not in this body). Communities
and v3 secrets, which the body carries, are never read.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from pathlib import Path
from typing import Any, ClassVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from auditor.addresses import canonical_host, canonical_ip
from auditor.errors import ConfigError, SourceError
from auditor.model import Target, ToolState
from connectors.base import JsonBodySource, SkippedLine, SourceSpec
from connectors.shared.bodies import BodyShape, body_items
from connectors.shared.hosts import host_names
from connectors.shared.inputs import Inputs
from connectors.shared.values import cell_text, parse_bool, parse_datetime
from connectors.sources.snmp.common import is_remote

#: The device list, below the server's base URL.
DEVICES = "/api/v0/devices"

_DEVICES = BodyShape("a LibreNMS devices answer (GET /api/v0/devices)", ("devices",),
                     ("message",), item="device", field="devices")

_OFFSET = re.compile(r"^(?:UTC|GMT)?([+-])(\d{1,2}):?(\d{2})?$")

#: MySQL's zero date: a column that was never set.
_ZERO_DATE = "0000-00-00 00:00:00"


class LibreNmsSource(JsonBodySource):
    """Devices from a LibreNMS `/api/v0/devices` answer, saved or fetched live."""

    type = "librenms"
    options = frozenset({"timezone", "utc_offset"})
    api: ClassVar[bool] = True
    """`GET /api/v0/devices` gives the same body `parse` reads."""
    api_options = frozenset({"token_env"})

    def __init__(self, spec: SourceSpec, *, clock: datetime | None = None,
                 io: Inputs | None = None) -> None:
        super().__init__(spec, clock=clock, io=io)
        self.zone = _zone(spec)
        self.require_api_keys("token_env", why="the LibreNMS API token")

    def fetch_api(self) -> list[Target]:
        """The devices from LibreNMS itself: one `GET /api/v0/devices` (it does not page)."""
        with self.io.http(self.spec, api_roots=("/api/",)) as client:
            client.auth = client.header_auth("X-Auth-Token", client.secret("token_env"))
            url = client.url(DEVICES)
            return self.parse(client.get_json(url), client.shown(url))

    def read_body(self, body: Any, origin: Path | str) -> list[Target]:
        status = cell_text(body.get("status")).lower() if isinstance(body, dict) else ""
        if status and status != "ok":
            said = cell_text(body.get("message")) or "no message"
            what = "an error" if status == "error" else f"status {status!r}, not 'ok'"
            raise SourceError(f"the LibreNMS API answered {what}: {said}", path=origin,
                              field="status")
        devices = body_items(body, _DEVICES, origin)
        if isinstance(body, dict) and "count" in body and \
                cell_text(body["count"]) != str(len(devices)):
            raise SourceError(f"count says {cell_text(body['count'])} but devices holds "
                              f"{len(devices)}: the answer is incomplete", path=origin,
                              field="count")
        if not devices:
            raise SourceError("no device in the answer (an API user sees only the devices "
                              "it has permission for)", path=origin, field="devices")
        where = self.spec.where(origin)
        targets = []
        for number, device in enumerate(devices, 1):
            try:
                made = self._device(device, number, where)
            except ValueError as exc:
                self.skipped.append(SkippedLine(where, str(exc)))
                continue
            if made is not None:
                targets.append(made)
        return targets

    def _device(self, device: dict[str, Any], number: int, where: str) -> Target | None:
        device_id = cell_text(device.get("device_id"))
        hostname = cell_text(device.get("hostname"))
        label = f"device_id {device_id}" if device_id else f"device #{number}"
        if not hostname:
            raise ValueError(f"{label} has no hostname")
        label = f"{label} ({hostname})"
        address = _address(hostname, device.get("overwrite_ip"), device.get("ip"))
        if address is None:
            raise ValueError(f"{label}: hostname is neither an IP address nor a host name")
        if not is_remote(address):
            self.skipped.append(SkippedLine(where, f"{label} is the polling host itself; no "
                                            "packet crosses the network"))
            return None
        polled_at = self._time(device, "last_polled", label)
        pinged_at = self._time(device, "last_ping", label)
        disabled = _flag(device, "disabled", label)
        ping_only = _flag(device, "snmp_disable", label)
        status = cell_text(device.get("status"))
        if status not in ("0", "1", "True", "False"):
            raise ValueError(f"{label}: status {status!r} is neither 1 (up) nor 0 (down)")
        up = status in ("1", "True")
        answers_ping = not up and cell_text(device.get("status_reason")).lower() == "snmp"
        if disabled:
            state = ToolState.DISABLED
        elif up or answers_ping:
            state = ToolState.UP
        else:
            state = ToolState.DOWN
        if ping_only or answers_ping:
            last_ok = pinged_at if up or answers_ping else None
        else:
            last_ok = polled_at
        name = (cell_text(device.get("display")) or cell_text(device.get("sysName"))
                or hostname)
        protocol, port = ("icmp", None) if ping_only else _transport(device, label)
        looked = [t for t in (polled_at, pinged_at) if t is not None]
        return Target(
            address=address, source=self.spec.name, kind=self.type, id=device_id or hostname,
            name=name, polled=not disabled, state=state, last_ok=last_ok,
            seen=max(looked) if looked else None, poller=self.spec.poller, location=where,
            owner=self.spec.owner, fix=_fix(name, device_id, disabled), protocol=protocol,
            port=port, aliases=host_names(hostname, device.get("sysName"), besides=address))

    def _time(self, device: dict[str, Any], key: str, label: str) -> datetime | None:
        text = cell_text(device.get(key))
        if not text or text == _ZERO_DATE:
            return None
        try:
            local = parse_datetime(text, "%Y-%m-%d %H:%M:%S")
        except ValueError as exc:
            raise ValueError(f"{label}: {key}: {exc}") from None
        if local is None or self.zone is UTC:
            return local
        return local.replace(tzinfo=self.zone).astimezone(UTC).replace(tzinfo=None)


def _zone(spec: SourceSpec) -> tzinfo:
    """The LibreNMS server's time zone, from `timezone` or `utc_offset` (UTC by default)."""
    name = spec.options.get("timezone")
    offset = spec.options.get("utc_offset")
    where = f"source {spec.name!r}"
    if name is not None and offset is not None:
        raise ConfigError(f"{where}: give timezone or utc_offset, not both")
    if name is not None:
        try:
            return ZoneInfo(str(name))
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigError(f"{where}: timezone: {name!r} is no IANA time zone name (such "
                              "as Europe/Berlin or America/New_York)") from None
    if offset is not None:
        match = _OFFSET.match(str(offset).strip())
        hours = int(match.group(2)) if match else 99
        minutes = int(match.group(3) or 0) if match else 0
        if match is None or hours > 14 or minutes > 59:
            raise ConfigError(f"{where}: utc_offset: {offset!r} is not an offset such as "
                              "+01:00 or -05:00")
        sign = -1 if match.group(1) == "-" else 1
        delta = timedelta(hours=hours, minutes=minutes) * sign
        return UTC if not delta else timezone(delta)
    return UTC


def _address(hostname: str, overwrite: object, resolved: object) -> str | None:
    """The address LibreNMS polls; a name only when it has no address for it."""
    for text in (cell_text(overwrite), hostname, cell_text(resolved)):
        ip = canonical_ip(text)
        if ip is not None:
            return ip
    return canonical_host(hostname)


def _flag(device: dict[str, Any], key: str, label: str) -> bool:
    value = parse_bool(device.get(key), default=False)
    if value is None:
        raise ValueError(f"{label}: {key} is {device.get(key)!r}, not 0 or 1")
    return value


def _transport(device: dict[str, Any], label: str) -> tuple[str, int]:
    transport = cell_text(device.get("transport")).lower() or "udp"
    protocol = transport.rstrip("46")
    if protocol not in ("udp", "tcp"):
        raise ValueError(f"{label}: transport {transport!r} is not udp, tcp, udp6 or tcp6")
    text = cell_text(device.get("port")) or "161"
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise ValueError(f"{label}: port {text!r} is not a port number")
    return protocol, int(text)


def _fix(name: str, device_id: str, disabled: bool) -> str:
    which = f"device {name}" + (f" (device_id {device_id})" if device_id else "")
    if disabled:
        return f"Delete {which} in LibreNMS (it is disabled)"
    return f"Delete {which} in LibreNMS, or disable it"


__all__ = ["DEVICES", "LibreNmsSource"]

"""Cisco DCNM 11 / NDFC 12 switch inventory: the JSON array of `inventory/switches`.

DCNM discovers a switch once and then polls it over SNMP for as long as it stays in the
inventory, reachable or not. A switch removed from the network without being deleted from
DCNM is exactly the seed story's stale target: `managable` false, `unmanagableCause`
"Unreachable", `lastScanTime` frozen, and SNMP from the DCNM host every cycle.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from auditor.addresses import canonical_host, canonical_ip
from auditor.errors import SourceError
from auditor.model import Target, ToolState
from connectors.base import TargetSource
from connectors.shared.bodies import BodyShape, body_items
from connectors.shared.values import cell_text, epoch_ms, parse_bool

#: Keys only NDFC (12.x) adds to the DCNM 11 switch object: they decide the product name
#: in the fix text, since the same words must match what the owner sees on screen.
_NDFC_KEYS = frozenset({"fabricTechnology", "swUUID", "systemMode", "swUUIDId"})

#: Wrappers some clients and saved pages put around the array.
_WRAPPER_KEYS = ("switches", "results", "data", "items")
_SWITCHES = BodyShape("the JSON array of inventory/switches", _WRAPPER_KEYS,
                      ("message", "error"), item="switch")


class DcnmSource(TargetSource):
    """Switches from a saved DCNM 11 or NDFC inventory response."""

    type = "cisco-dcnm"

    def fetch(self) -> list[Target]:
        targets: list[Target] = []
        for path in self.spec.paths:
            targets += self.parse(self.io.read_json(path), path)
        return targets

    def parse(self, body: Any, origin: Path | str) -> list[Target]:
        """Targets from an inventory/switches answer (DCNM 11 or NDFC), saved or fetched."""
        switches = body_items(body, _SWITCHES, origin)
        product = "NDFC" if any(_NDFC_KEYS & s.keys() for s in switches) else "DCNM"
        return [self._target(origin, index, s, product) for index, s in enumerate(switches)]

    def _target(self, path: Path | str, index: int, switch: dict[str, Any],
                product: str) -> Target:
        serial = cell_text(switch.get("serialNumber"))
        switch_id = cell_text(switch.get("switchDbID")) or serial
        if not switch_id:
            raise SourceError(f"switch #{index + 1} has neither switchDbID nor serialNumber",
                              path=path, field="switchDbID")
        name = (cell_text(switch.get("logicalName")) or cell_text(switch.get("hostName"))
                or switch_id)
        label = f"switch {name} (switchDbID {switch_id})"
        if "ipAddress" not in switch:
            raise SourceError(f"{label} has no ipAddress", path=path, field="ipAddress")
        ip_text = cell_text(switch.get("ipAddress"))
        # Some releases print the management address with its prefix length.
        address = canonical_ip(ip_text.split("/", 1)[0])
        if address is None:
            raise SourceError(f"{label}: {ip_text!r} is not an IP address", path=path,
                              field="ipAddress")
        scanned = _scan_time(switch, label, path)
        return Target(
            address=address, source=self.spec.name, kind=self.type, id=switch_id, name=name,
            # Polled whatever its state: DCNM keeps SNMP-polling every switch in its
            # inventory, unmanageable ones included (they are retried, which is the traffic
            # this audit is after), and Maintenance/Migration mode only isolates the switch
            # from fabric traffic. Only deleting the switch stops the polling.
            polled=True, state=_state(switch, label, path), last_ok=scanned, seen=scanned,
            poller=self.spec.poller, location=self.spec.where(path), owner=self.spec.owner,
            fix=_fix(name, serial, cell_text(switch.get("fabricName")), product),
            protocol="udp", port=161,
            aliases=tuple(dict.fromkeys(
                host for key in ("logicalName", "hostName", "sysName")
                if (host := canonical_host(cell_text(switch.get(key))))
                and canonical_ip(host) is None)))


def _state(switch: dict[str, Any], label: str, path: Path | str) -> ToolState:
    managable = parse_bool(switch.get("managable"))
    if "managable" in switch and managable is None:
        raise SourceError(f"{label}: managable is {switch['managable']!r}", path=path,
                          field="managable")
    status = cell_text(switch.get("status")).lower()
    if managable is False or cell_text(switch.get("unmanagableCause")) or \
            (status and status != "ok"):
        return ToolState.DOWN
    if status == "ok":
        return ToolState.UP
    return ToolState.UNKNOWN


def _scan_time(switch: dict[str, Any], label: str, path: Path | str) -> datetime | None:
    try:
        return epoch_ms(switch.get("lastScanTime"))
    except (TypeError, ValueError, OverflowError, OSError) as exc:
        raise SourceError(f"{label}: lastScanTime {switch.get('lastScanTime')!r} is not "
                          "epoch milliseconds", path=path, field="lastScanTime") from exc


def _fix(name: str, serial: str, fabric: str, product: str) -> str:
    text = f"Delete switch {name}"
    if serial:
        text += f" (serial {serial})"
    if fabric:
        text += f" from fabric {fabric}"
    return f"{text} in {product}"


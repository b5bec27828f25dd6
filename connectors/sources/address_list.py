"""Generic `csv` source: any CSV or XLSX with an address column, for tools without a connector."""

from __future__ import annotations

import functools
from datetime import datetime

from auditor.model import Target, ToolState
from connectors.shared.tables import Row, target_address
from connectors.sources.table_source import TableTargetSource

#: Field -> header texts that mean it, most specific first. Field names are the keys of the
#: config `columns` override.
ALIASES: dict[str, tuple[str, ...]] = {
    "address": ("Address", "IP Address", "IP", "IPAddress", "Host", "Hostname/IP", "Target",
                "Management IP", "Mgmt IP", "Device IP"),
    "name": ("Name", "Hostname", "Host Name", "Device", "Device Name", "Caption", "Node"),
    "id": ("ID", "Record ID", "Device ID", "Node ID"),
    "polled": ("Polled", "Enabled", "Monitored", "Active", "Managed"),
    "state": ("Status", "State"),
    "last_ok": ("Last OK", "Last Seen", "Last Poll", "Last Polled", "Last Success"),
}

#: Status words (lower case) -> state. Anything else is `unknown`.
STATE_WORDS: dict[str, ToolState] = {
    **dict.fromkeys(("up", "ok", "online", "active"), ToolState.UP),
    **dict.fromkeys(("down", "offline", "unreachable", "critical"), ToolState.DOWN),
    **dict.fromkeys(("disabled", "paused"), ToolState.DISABLED),
    "unmanaged": ToolState.UNMANAGED,
    **dict.fromkeys(("retired", "decommissioned"), ToolState.RETIRED),
}

#: The fields a row is read for, in the order `row_target` unpacks them.
_FIELDS = ("address", "name", "polled", "state", "id", "last_ok")


class AddressListSource(TableTargetSource):
    """Any table of targets: one record per row with an address (or host name)."""

    type = "csv"
    aliases = ALIASES

    def row_target(self, row: Row) -> Target | None:
        raw_address, raw_name, polled_cell, state_cell, raw_id, date_cell = row.cells(_FIELDS)
        if raw_address.__class__ is str:  # a CSV cell: `row.address` without the calls
            try:
                address = target_address(raw_address.strip())
            except ValueError as exc:
                raise row.error("address", str(exc)) from exc
        else:
            address = row.address("address")
        if address is None:
            return None
        name = (raw_name.strip() if raw_name.__class__ is str
                else row.text("name")) or address
        # A column of yes/no words, status words or dates repeats a handful of values (or a
        # poll cycle's worth) down a million rows: each distinct cell is read once.
        if polled_cell.__class__ is str and polled_cell in self._flags:
            polled = self._flags[polled_cell]
        else:
            polled = row.flag("polled", default=True)
            if polled_cell.__class__ is str:
                self._flags[polled_cell] = polled
        if state_cell.__class__ is str and state_cell in self._states:
            state = self._states[state_cell]
        else:
            state = STATE_WORDS.get(row.text("state").lower(), ToolState.UNKNOWN)
            if state_cell.__class__ is str:
                self._states[state_cell] = state
        ident = (raw_id.strip() if raw_id.__class__ is str
                 else row.text("id")) or name
        if date_cell.__class__ is str and date_cell in self._dates:
            last_ok = self._dates[date_cell]
        else:
            last_ok = row.date("last_ok", self.layout.date_format)
            if date_cell.__class__ is str:
                self._dates[date_cell] = last_ok
        label = name if name == address else f"{name} ({address})"
        spec = self.spec
        return Target(
            address=address, source=spec.name, kind=self.type, id=ident, name=name,
            polled=polled, state=state, last_ok=last_ok, poller=spec.poller,
            location=self.location(row), owner=spec.owner,
            fix=f"Remove {label} from {spec.name}")

    @functools.cached_property
    def _flags(self) -> dict[str, bool]:
        return {}

    @functools.cached_property
    def _states(self) -> dict[str, ToolState]:
        return {}

    @functools.cached_property
    def _dates(self) -> dict[str, datetime | None]:
        return {}

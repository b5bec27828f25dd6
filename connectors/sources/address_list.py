"""Generic `csv` source: any CSV or XLSX with an address column, for tools without a connector."""

from __future__ import annotations

from auditor.model import Target, ToolState
from connectors.shared.tables import Row
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

class AddressListSource(TableTargetSource):
    """Any table of targets: one record per row with an address (or host name)."""

    type = "csv"
    aliases = ALIASES

    def row_target(self, row: Row) -> Target | None:
        address = row.address("address")
        if address is None:
            return None
        name = row.text("name") or address
        polled = row.flag("polled", default=True)
        state = STATE_WORDS.get(row.text("state").lower(), ToolState.UNKNOWN)
        label = name if name == address else f"{name} ({address})"
        return Target(
            address=address, source=self.spec.name, kind=self.type,
            id=row.text("id") or name, name=name, polled=polled, state=state,
            last_ok=row.date("last_ok", self.layout.date_format),
            poller=self.spec.poller, location=self.spec.where(row.path, row.line),
            owner=self.spec.owner, fix=f"Remove {label} from {self.spec.name}")

"""BMC Track-It! assets, from an inventory grid or report exported to CSV or XLSX.

The Track-It! server audits an asset by connecting to its Workstation Manager agent on
TCP 10597 (and pushes the agent over SMB when that fails), so every asset with an address,
auditing on and a status other than retired/disposed sends that traffic. Column names depend
on the grid layout the export was taken from, hence the aliases; dates are US month-first
unless the config gives `date_format`. When the export has an `Asset Tag` column, the tag is
the record's id and the action names it: it is what the technician searches the grid for.
"""

from __future__ import annotations

from auditor.addresses import canonical_host, canonical_ip
from auditor.model import Target, ToolState
from connectors.shared.tables import Row
from connectors.sources.table_source import TableTargetSource

#: Field -> header texts that mean it, most specific first. Field names are the keys of the
#: config `columns` override.
ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("Asset ID", "AssetID", "Asset Number", "ID"),
    "tag": ("Asset Tag", "AssetTag", "Asset Tag Number", "Tag Number"),
    "name": ("Asset Name", "Name", "Computer Name", "Workstation", "Asset"),
    "address": ("IP Address", "IPAddress", "IP", "Workstation IP"),
    "host": ("Host Name", "Hostname", "DNS Name", "FQDN"),
    "status": ("Status", "Asset Status"),
    "last_audit": ("Last Audit Date", "Last Audit", "Last Audited", "Audit Date",
                   "Last Inventory Date"),
    "audit": ("Include in Audit", "Audit Enabled", "Auditing", "Audit", "Scheduled Audit",
              "Include In Scheduled Audit"),
}

#: Statuses (lower case, single-spaced) of assets that Track-It! no longer audits.
RETIRED_STATUSES = frozenset({"retired", "disposed", "disposed of", "inactive", "lost",
                              "stolen"})

#: Track-It! Workstation Manager, the audit agent the server connects to.
AUDIT_AGENT_PORT = 10597


class TrackItSource(TableTargetSource):
    """Track-It! inventory assets: one target per asset that has an IP address or host name."""

    type = "trackit"
    aliases = ALIASES
    any_of = (("name", "id", "tag"),)

    def row_target(self, row: Row) -> Target | None:
        # An asset without an address is audited by nobody over the network.
        address = row.address("address")
        if address is None:
            return None
        asset_id = row.text("id")
        tag = row.text("tag")
        name = row.text("name") or asset_id or tag or address
        retired = " ".join(row.text("status").lower().split()) in RETIRED_STATUSES
        auditing = row.flag("audit", default=True)
        last_audit = row.date("last_audit", self.layout.date_format)
        polled = auditing and not retired
        if retired:
            state = ToolState.RETIRED
        elif not auditing:
            state = ToolState.DISABLED
        else:
            state = ToolState.UNKNOWN
        location = self.spec.where(row.path, row.line)
        return Target(
            address=address, source=self.spec.name, kind=self.type,
            id=tag or asset_id or row.text("name") or location, name=name, polled=polled,
            state=state, last_ok=last_audit, seen=None, poller=self.spec.poller,
            location=location, owner=self.spec.owner, fix=_fix(name, asset_id, tag, polled),
            protocol="tcp", port=AUDIT_AGENT_PORT, aliases=_host_names(row.text("host")))


def _host_names(text: str) -> tuple[str, ...]:
    """The asset's DNS/host name, when it holds one: it links name-only records elsewhere."""
    host = canonical_host(text)
    return (host,) if host and canonical_ip(host) is None else ()


def _fix(name: str, asset_id: str, tag: str, polled: bool) -> str:
    """The Track-It! action, naming the asset as the technician finds it in the grid."""
    if tag:  # the tag first: it is on the label and what the grid is searched by
        also = [name] if name not in (tag, asset_id) else []
        also += [f"Asset ID {asset_id}"] if asset_id and asset_id != tag else []
        asset = f"asset {tag}" + (f" ({', '.join(also)})" if also else "")
    elif asset_id and name != asset_id:
        asset = f"asset {name} (Asset ID {asset_id})"
    elif asset_id:
        asset = f"asset with Asset ID {asset_id}"
    else:
        asset = f"asset {name}"
    if polled:
        return f"Turn auditing off for {asset} in Track-It!, or retire it"
    return f"Delete {asset} from Track-It! inventory"

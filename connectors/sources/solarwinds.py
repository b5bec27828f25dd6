"""SolarWinds Orion / NPM nodes: SWIS `Orion.Nodes` JSON or a web-console node report.

Two shapes reach this module. The JSON body of a SWIS query (`{"results": [...]}`) carries
the numeric `Status`, `UnManaged`, `ObjectSubType`, `LastSystemUpTimePollUtc` and `EngineID`;
a node report exported from the web console (CSV or XLSX) carries whatever columns its author
picked, with the status as text. Both end up as the same `_Node` before they become targets,
so the status, polling and fix rules live in one place.

With `url = "https://orion:17774"` (17778 on servers before Orion 2023.1: the port is the
user's), the same SWIS body is fetched live: SWQL `Query` calls with HTTP Basic credentials
from `username_env`/`password_env`, explicit columns (SWQL has no `SELECT *`), paged
`ORDER BY NodeID WITH ROWS 1 TO 1000 WITH TOTALROWS`, then `WITH ROWS 1001 TO 2000`... until
`totalRows`. `Orion.Engines` is queried the same way for each node's poller address, which a
file export takes from `engines_path`. The rows of all windows make one body, handed to the
same `parse` as a saved export.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from auditor.addresses import canonical_ip
from auditor.errors import ConfigError, SourceError
from auditor.model import Target, ToolState
from connectors.base import SourceSpec, TargetSource
from connectors.shared.bodies import BodyShape, body_items
from connectors.shared.hosts import host_names
from connectors.shared.inputs import Inputs
from connectors.shared.tables import Row, TableOptions
from connectors.shared.values import cell_text, parse_bool, parse_datetime

if TYPE_CHECKING:  # requests loads only when an API is read
    from connectors.shared.http import HttpClient

#: The SolarWinds Platform `Status` codes (documented list; `Orion.StatusInfo` holds it live).
STATUS_NAMES: dict[int, str] = {
    0: "Unknown", 1: "Up", 2: "Down", 3: "Warning", 4: "Shutdown", 5: "Testing", 6: "Dormant",
    7: "Not Present", 8: "Lower Layer Down", 9: "Unmanaged", 10: "Unplugged", 11: "External",
    12: "Unreachable", 14: "Critical", 15: "Partly Available", 16: "Misconfigured",
    17: "Could Not Poll", 19: "Unconfirmed", 22: "Active", 24: "Inactive", 25: "Expired",
    26: "Monitoring Disabled", 27: "Disabled", 28: "Not Licensed", 29: "Other",
    30: "Not Running",
}

#: Codes that mean something answers: Warning/Critical/Partly Available are about
#: thresholds or child objects, the node itself still replies.
_UP = frozenset({1, 3, 14, 15, 22})
_DOWN = frozenset({2, 12, 17})
_UNMANAGED = frozenset({9})
_DISABLED = frozenset({26, 27})

#: Report status text (normalised) -> code, so reports and JSON share one mapping.
_STATUS_BY_TEXT = {re.sub(r"[^a-z]", "", name.lower()): code
                   for code, name in STATUS_NAMES.items()}

#: Polling method -> what the poller sends (SWIS `ObjectSubType`).
_PROTOCOLS: dict[str, tuple[str, int | None]] = {
    "SNMP": ("udp", 161),
    "ICMP": ("icmp", None),
    "WMI": ("tcp", 135),
}

#: Report field -> header texts that mean it (compared case- and punctuation-insensitively).
#: Field names are also the keys of the config `columns` override.
REPORT_ALIASES: dict[str, tuple[str, ...]] = {
    "name": ("Node Name", "Caption", "Node", "Name"),
    "address": ("IP Address", "IPAddress", "IP", "IP_Address", "Polling IP"),
    "status": ("Status", "StatusDescription", "Node Status"),
    "last_sync": ("Last Sync", "LastSync"),
    "engine": ("Polling Engine", "ServerName", "Engine", "Polling Server"),
    "id": ("NodeID", "Node ID"),
    "unmanaged": ("Unmanaged",),
    "method": ("ObjectSubType", "Polling Method"),
    "last_uptime": ("Last Uptime Poll", "LastSystemUpTimePollUtc"),
    "dns": ("DNS", "DNS Name"),
    "dynamic": ("DynamicIP", "Dynamic IP"),
    "sysname": ("SysName", "System Name"),
}

#: SWIS answers `{"results": [...]}`; an error answer `{"Message": ...}`.
_NODES = BodyShape("a SWIS Orion.Nodes query body", ("results",), ("Message",),
                   field="results")
_ENGINES = BodyShape("a SWIS Orion.Engines query body", ("results",), ("Message",),
                     item="engine", field="results")

#: Legacy duplicates of `IPAddress` that older queries and views still return.
_JSON_ADDRESS_KEYS = ("IPAddress", "IP", "IP_Address")

#: SWIS REST: where queries go, below the server's base URL.
SWIS_QUERY = "/SolarWinds/InformationService/v3/Json/Query"
#: Orion.Nodes columns the live query asks for: what `parse` reads, plus what helps a
#: human reading the body (never `Community`: a secret, and not ours to copy).
NODE_COLUMNS = ("NodeID", "Caption", "IPAddress", "DynamicIP", "DNS", "SysName", "Status",
                "StatusDescription", "UnManaged", "UnManageFrom", "UnManageUntil",
                "ObjectSubType", "SNMPVersion", "PollInterval", "LastSync",
                "LastSystemUpTimePollUtc", "EngineID", "Vendor", "MachineType")
ENGINE_COLUMNS = ("EngineID", "ServerName", "IP", "ServerType", "DisplayName")
#: Rows per SWQL window, unless the source sets `page_size`.
PAGE_SIZE = 1000
_NOT_FOUND = ("SWIS REST listens on port 17774 since Orion 2023.1, 17778 before: "
              "https://orion:17774")


@dataclass(frozen=True, slots=True)
class _Engines:
    """Orion.Engines: which polling engine address sends a node's packets."""

    by_id: dict[str, str] = field(default_factory=dict)
    by_name: dict[str, str] = field(default_factory=dict)

    def by_engine_name(self, name: str) -> str | None:
        key = name.strip().lower()
        # Reports may print the engine's FQDN where Orion stores the short ServerName.
        return self.by_name.get(key) or self.by_name.get(key.split(".", 1)[0])


@dataclass(frozen=True, slots=True)
class _Node:
    """One node, whatever shape it was read from."""

    node_id: str | None
    caption: str
    address: str
    code: int | None
    unmanaged: bool
    method: str
    last_sync: datetime | None
    last_uptime: datetime | None
    poller: str | None
    location: str
    aliases: tuple[str, ...] = ()
    """DNS and SysName: the other names the node goes by, to link name-only records."""


class SolarWindsSource(TargetSource):
    """Orion nodes from a SWIS JSON export or a web-console node report (CSV/XLSX)."""

    type = "solarwinds-npm"
    options = frozenset({"engines_path", "columns", "date_format"})
    api = True
    api_options = frozenset({"username_env", "password_env", "page_size"})

    def __init__(self, spec: SourceSpec, *, clock: datetime | None = None,
                 io: Inputs | None = None) -> None:
        super().__init__(spec, clock=clock, io=io)
        self.layout = TableOptions.from_spec(spec, REPORT_ALIASES)
        self.require_api_keys("username_env", "password_env", why="the Orion account "
                              "(DOMAIN\\user works) and its password")
        if spec.live and "engines_path" in spec.options:
            raise ConfigError("engines_path is for a file export; with url, Orion.Engines "
                              "is read from the API")
        self.page_size = int(spec.options.get("page_size", PAGE_SIZE))

    def fetch(self) -> list[Target]:
        if self.spec.live:
            return self.fetch_api()
        raw = self.spec.options.get("engines_path")
        engines = _Engines() if raw is None else \
            self.engines(self.io.read_json(Path(raw)), Path(raw))
        targets: list[Target] = []
        for path in self.spec.paths:
            if self.io.looks_like_json(path):
                targets += self.parse(self.io.read_json(path), path, engines)
            else:
                targets += [self._target(n) for n in self._report_nodes(path, engines)]
        return targets

    def parse(self, body: Any, origin: Path | str, engines: _Engines | None = None
              ) -> list[Target]:
        """Targets from the body of a SWIS `Orion.Nodes` query, saved or fetched."""
        return [self._target(self._json_node(origin, index, row, engines or _Engines()))
                for index, row in enumerate(body_items(body, _NODES, origin))]

    def fetch_api(self) -> list[Target]:
        """Targets from SWIS itself: `Orion.Engines`, then `Orion.Nodes`, window by window."""
        with self.io.http(self.spec, api_roots=("/SolarWinds/",),
                          not_found_hint=_NOT_FOUND) as client:
            client.auth = client.basic_auth("username_env", "password_env")
            where = client.shown(client.url(SWIS_QUERY))
            engines_origin = f"{where} (Orion.Engines)"
            engines = self.engines(
                self._swql(client, "Orion.Engines", ENGINE_COLUMNS, "EngineID", _ENGINES,
                           engines_origin), engines_origin)
            nodes_origin = f"{where} (Orion.Nodes)"
            body = self._swql(client, "Orion.Nodes", NODE_COLUMNS, "NodeID", _NODES,
                              nodes_origin)
            return self.parse(body, nodes_origin, engines)

    def _swql(self, client: HttpClient, entity: str, columns: tuple[str, ...], key: str,
              shape: BodyShape, origin: str) -> dict[str, Any]:
        """Every row of `entity`, window by window, as one SWIS body (`totalRows`,
        `results`): what a saved export of the same query holds."""
        from connectors.shared.http import Call

        size = self.page_size
        url = client.url(SWIS_QUERY)

        def window(first: int) -> Call:
            swql = (f"SELECT {', '.join(columns)} FROM {entity} ORDER BY {key} "
                    f"WITH ROWS {first} TO {first + size - 1} WITH TOTALROWS")
            return Call("POST", url, {"query": swql, "parameters": {}}, cursor=first)

        def follow(body: Any, call: Call) -> Call | None:
            got = len(body["results"] if isinstance(body, dict) else body)
            total = body.get("totalRows") if isinstance(body, dict) else None
            after = call.cursor + size
            # A short window is the last; one longer than asked means the server ignored
            # the window and sent everything.
            if got != size or (total is not None and after > total):
                return None
            return window(after)

        rows: dict[str, dict[str, Any]] = {}
        total: int | None = None
        for _call, page in client.pages(window(1), follow):
            for row in body_items(page, shape, origin):
                # A row added or deleted while paging shifts the windows: keep one copy.
                rows.setdefault(cell_text(row.get(key)) or f"#{len(rows)}", row)
            total = page.get("totalRows") if isinstance(page, dict) else None
            if total is not None and (isinstance(total, bool) or not isinstance(total, int)):
                raise SourceError(f"totalRows is {total!r}, not a number of rows",
                                  path=origin, field="totalRows")
        return {"totalRows": len(rows) if total is None else total,
                "results": list(rows.values())}

    # -- engines ------------------------------------------------------------------------

    def engines(self, body: Any, origin: Path | str) -> _Engines:
        """Each polling engine's address, from the body of an `Orion.Engines` query."""
        path = origin
        by_id: dict[str, str] = {}
        by_name: dict[str, str] = {}
        for index, row in enumerate(body_items(body, _ENGINES, origin)):
            engine_id = cell_text(row.get("EngineID"))
            if not engine_id:
                raise SourceError(f"engine #{index + 1} has no EngineID", path=path,
                                  field="EngineID")
            ip_text = cell_text(row.get("IP"))
            ip = canonical_ip(ip_text)
            if ip is None:
                raise SourceError(f"EngineID {engine_id}: {ip_text!r} is not an IP address",
                                  path=path, field="IP")
            by_id[engine_id] = ip
            for key in ("ServerName", "DisplayName"):
                name = cell_text(row.get(key)).lower()
                if name:
                    by_name.setdefault(name, ip)
        return _Engines(by_id, by_name)

    # -- SWIS JSON ----------------------------------------------------------------------

    def _json_node(self, path: Path | str, index: int, row: dict[str, Any],
                   engines: _Engines) -> _Node:
        node_id = cell_text(row.get("NodeID")) or None
        label = f"NodeID {node_id}" if node_id else f"node #{index + 1}"
        caption = cell_text(row.get("Caption"))
        who = f"{label} ({caption})" if caption else label
        present = [cell_text(row[k]) for k in _JSON_ADDRESS_KEYS if k in row]
        if not present:
            raise SourceError(f"{who} has no IPAddress", path=path, field="IPAddress")
        ip_text = next((v for v in present if v), "")
        address = _address(ip_text, row.get("DNS"), row.get("DynamicIP"))
        if address is None:
            raise SourceError(f"{who}: {ip_text!r} is not an IP address and the node has no "
                              "DNS name", path=path, field="IPAddress")
        unmanaged = parse_bool(row.get("UnManaged"), default=False)
        if unmanaged is None:
            raise SourceError(f"{label}: UnManaged is {row.get('UnManaged')!r}", path=path,
                              field="UnManaged")
        engine_id = cell_text(row.get("EngineID"))
        date_format = self.layout.date_format
        return _Node(
            node_id=node_id, caption=caption or address, address=address,
            code=_status_code(row.get("Status"), row.get("StatusDescription")),
            unmanaged=unmanaged, method=_method(cell_text(row.get("ObjectSubType"))),
            last_sync=_json_date(row, "LastSync", date_format, label, path),
            last_uptime=_json_date(row, "LastSystemUpTimePollUtc", date_format, label, path),
            poller=engines.by_id.get(engine_id) if engine_id else None,
            location=self.spec.where(path),
            aliases=host_names(row.get("DNS"), row.get("SysName")))

    # -- web-console report -------------------------------------------------------------

    def _report_nodes(self, path: Path, engines: _Engines) -> list[_Node]:
        rows = self.io.rows(path, REPORT_ALIASES, required=("address",),
                            columns=self.layout.columns)
        return [self._report_node(path, row, engines) for row in rows]

    def _report_node(self, path: Path, row: Row, engines: _Engines) -> _Node:
        date_format = self.layout.date_format
        node_id = row.text("id") or None
        caption = row.text("name")
        address = _address(row.text("address"), row.text("dns"), row.values.get("dynamic"))
        if address is None:
            label = f"NodeID {node_id}" if node_id else f"node {caption!r}"
            raise SourceError(f"{label}: {row.text('address')!r} is not an IP address and the "
                              "node has no DNS name", path=path, line=row.line, field="address")
        engine = row.text("engine")
        return _Node(
            node_id=node_id, caption=caption or address, address=address,
            code=_status_code(row.values.get("status")),
            unmanaged=row.flag("unmanaged", default=False),
            method=_method(row.text("method")), last_sync=row.date("last_sync", date_format),
            last_uptime=row.date("last_uptime", date_format),
            poller=(engines.by_engine_name(engine) or canonical_ip(engine)) if engine else None,
            location=self.spec.where(path, row.line),
            aliases=host_names(row.text("dns"), row.text("sysname")))

    # -- one rule set for both shapes -------------------------------------------------------

    def _target(self, node: _Node) -> Target:
        state = _state(node.code, node.unmanaged)
        polled = not node.unmanaged and state not in (ToolState.UNMANAGED, ToolState.DISABLED)
        last_ok = node.last_uptime
        if last_ok is None and state is ToolState.UP:
            # ICMP nodes (and reports without an uptime column) have no uptime poll;
            # an Up status written at LastSync means the node answered then.
            last_ok = node.last_sync
        protocol, port = _PROTOCOLS.get(node.method, (None, None))
        return Target(
            address=node.address, source=self.spec.name, kind=self.type,
            id=node.node_id or node.caption, name=node.caption, polled=polled, state=state,
            last_ok=last_ok, seen=node.last_sync, poller=node.poller or self.spec.poller,
            location=node.location, owner=self.spec.owner, fix=_fix(node, polled),
            protocol=protocol, port=port, aliases=node.aliases)


def _json_date(row: dict[str, Any], key: str, date_format: str | None, label: str,
               path: Path | str) -> datetime | None:
    try:
        return parse_datetime(row.get(key), date_format)
    except ValueError as exc:
        raise SourceError(f"{label}: {exc}", path=path, field=key) from exc



def _address(ip: object, dns: object, dynamic: object) -> str | None:
    """The address Orion polls: the IP, or the DNS name for a DHCP (DynamicIP) node."""
    host = cell_text(dns).rstrip(".").lower()
    if host and parse_bool(dynamic, default=False):
        return host
    return canonical_ip(cell_text(ip)) or host or None


def _status_code(status: object, description: object = None) -> int | None:
    """`Status` as a code: numeric in SWIS JSON, text (`Up`, `Could Not Poll`) in reports."""
    for value in (status, description):
        text = cell_text(value)
        if not text:
            continue
        if text.lstrip("-").isdigit():
            return int(text)
        words = re.sub(r"^node status is ", "", text.lower())
        code = _STATUS_BY_TEXT.get(re.sub(r"[^a-z]", "", words))
        if code is not None:
            return code
    return None


def _state(code: int | None, unmanaged: bool) -> ToolState:
    if unmanaged or code in _UNMANAGED:
        return ToolState.UNMANAGED
    if code in _UP:
        return ToolState.UP
    if code in _DOWN:
        return ToolState.DOWN
    if code in _DISABLED:
        return ToolState.DISABLED
    return ToolState.UNKNOWN


def _method(text: str) -> str:
    """Report polling-method text (`SNMPv2c`, `ICMP only`, `WMI`) -> `ObjectSubType`."""
    upper = text.upper()
    return next((m for m in _PROTOCOLS if upper.startswith(m)), upper)


def _fix(node: _Node, polled: bool) -> str:
    what = f"Delete node {node.caption}"
    if node.node_id:
        what += f" (NodeID {node.node_id})"
    what += " in SolarWinds"
    return f"{what}, or unmanage it" if polled else what


__all__ = ["REPORT_ALIASES", "STATUS_NAMES", "SolarWindsSource"]

"""Writers of the real export formats, one function per format, from `auditor.synthetic.model`.

Each writer lays out values it is given the way the vendor's tool writes them (key order,
line endings, encodings, compression); none draws a random number or decides anything about
the network. They follow `shared/reference/source-formats.md` and its examples, and never
import the connectors that read them: a test of a connector against these files is a test
against the formats, not against the connector's own idea of them.
"""

from __future__ import annotations

import bz2
import contextlib
import csv
import gzip
import io
import ipaddress
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from auditor.synthetic.model import (
    DcnmSwitch,
    LinuxRoute,
    NetstatRow,
    OrionEngine,
    OrionNode,
    OrionReportRow,
    Prefix,
    Route,
    TrackItAsset,
    WindowsSnmpAgent,
)

#: Track-It!'s grid export prints US dates with a 12-hour clock.
TRACKIT_DATE = "%m/%d/%Y %I:%M %p"
#: The legend an ASA prints under `show route` (with the blank lines around it).
ASA_ROUTE_LEGEND = (
    "",
    "Codes: L - local, C - connected, S - static, R - RIP, M - mobile, B - BGP",
    "       D - EIGRP, EX - EIGRP external, O - OSPF, IA - OSPF inter area",
    "",
)
#: A wrapped route's path line is indented under the destination.
_WRAP = "\n" + " " * 11
_OTHER_PATH = " " * 33
_SNMP_KEY = r"HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Services\SNMP\Parameters"


def format_swis_time(when: datetime | None) -> str | None:
    """A SWIS timestamp as a plain query returns it: ISO 8601 with milliseconds, no zone."""
    return None if when is None else when.isoformat(timespec="milliseconds")


def format_us_time(when: datetime) -> str:
    """`3/7/2025 1:58 PM`: an Orion web report's dates (no leading zeros)."""
    hour = when.hour % 12 or 12
    return f"{when.month}/{when.day}/{when.year} {hour}:{when.minute:02d} " \
           f"{'AM' if when.hour < 12 else 'PM'}"


def _write_json(path: Path, body: Any, indent: int | None) -> None:
    path.write_text(json.dumps(body, indent=indent), encoding="utf-8")


# --- SolarWinds Orion --------------------------------------------------------------------------

def _node_row(node: OrionNode) -> dict[str, Any]:
    row: dict[str, Any] = {"NodeID": node.node_id, "Caption": node.caption,
                           "IPAddress": node.address}
    detail = node.detail
    if detail:
        row["IPAddressType"] = detail.address_type
    row |= {"DNS": node.dns, "SysName": node.sys_name, "Status": node.status}
    if detail:
        row["StatusDescription"] = detail.status_description
    row["UnManaged"] = node.unmanaged
    if detail:
        row["UnManageFrom"] = detail.unmanage_from
        row["UnManageUntil"] = detail.unmanage_until
    row |= {"ObjectSubType": node.kind, "SNMPVersion": 2 if node.kind == "SNMP" else 0,
            "PollInterval": node.poll_interval, "LastSync": node.last_sync,
            "LastSystemUpTimePollUtc": node.last_uptime_poll, "EngineID": node.engine_id,
            "Vendor": node.vendor, "MachineType": node.machine_type}
    if detail:
        row["IsOrionServer"] = detail.is_orion_server
    return row


def write_swis_nodes(path: Path, nodes: Sequence[OrionNode], *, total: int | None = None,
                     indent: int | None = 2) -> None:
    """The JSON body of a SWIS query on `Orion.Nodes`; `total` for one page of several."""
    _write_json(path, {"totalRows": len(nodes) if total is None else total,
                       "results": [_node_row(node) for node in nodes]}, indent)


def write_swis_engines(path: Path, engines: Sequence[OrionEngine], *, indent: int = 2) -> None:
    """The JSON body of a SWIS query on `Orion.Engines` (each poller's address)."""
    rows = []
    for engine in engines:
        row: dict[str, Any] = {"EngineID": engine.engine_id, "ServerName": engine.server_name,
                               "IP": engine.address, "ServerType": engine.server_type,
                               "KeepAlive": engine.keep_alive}
        if engine.detail:
            detail = engine.detail
            row |= {"Nodes": detail.nodes, "Interfaces": detail.interfaces,
                    "Volumes": detail.volumes, "Elements": detail.elements,
                    "DisplayName": engine.server_name, "MasterEngineID": detail.master_engine_id,
                    "MinutesSinceKeepAlive": detail.minutes_since_keep_alive,
                    "BusinessLayerPort": detail.business_layer_port}
        rows.append(row)
    _write_json(path, {"results": rows}, indent)


_REPORT_COLUMNS = ("IP Address", "Status", "Machine Type", "Vendor", "Polling Engine",
                   "Last Sync")


def _report_cells(row: OrionReportRow) -> list[Any]:
    return [row.caption, row.address, row.status, row.machine_type, row.vendor,
            row.polling_engine]


def write_orion_report_csv(path: Path, rows: Sequence[OrionReportRow]) -> None:
    """An Orion web report exported to CSV: UTF-8 with a BOM, CRLF, US dates."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["Caption", *_REPORT_COLUMNS])
    writer.writerows([*_report_cells(row), format_us_time(row.last_sync)] for row in rows)
    path.write_text("\ufeff" + buffer.getvalue(), encoding="utf-8", newline="")


def write_orion_report_xlsx(path: Path, rows: Sequence[OrionReportRow], *, sheet: str,
                            title_rows: Sequence[str]) -> None:
    """An Orion web report exported to Excel: title rows, a blank row, the table, real dates."""
    import openpyxl  # only the XLSX writers need it

    book = openpyxl.Workbook()
    table = book.active
    table.title = sheet
    for title in title_rows:
        table.append([title])
    table.append([])
    table.append(["Node Name", *_REPORT_COLUMNS])
    for row in rows:
        table.append([*_report_cells(row), row.last_sync])
        table.cell(row=table.max_row, column=7).number_format = "m/d/yyyy h:mm AM/PM"
    book.save(path)


# --- Track-It! ---------------------------------------------------------------------------------

def _asset_cell(asset: TrackItAsset, column: str, audit_words: tuple[str, str]) -> str:
    if column in ("Include in Audit", "Audit Enabled"):
        return audit_words[0] if asset.audit else audit_words[1]
    if column == "Last Audit Date":
        return asset.last_audit.strftime(TRACKIT_DATE) if asset.last_audit else ""
    attribute = {"Asset ID": "asset_id", "Asset Name": "name", "Asset Type": "kind",
                 "IP Address": "address", "Serial Number": "serial", "Location": "location",
                 "Department": "department", "Status": "status", "Asset Tag": "tag"}[column]
    return str(getattr(asset, attribute))


def write_trackit_csv(path: Path, assets: Sequence[TrackItAsset], columns: Sequence[str], *,
                      audit_words: tuple[str, str] = ("Yes", "No")) -> None:
    """The Track-It! asset grid exported to CSV: the given columns, CRLF, US dates.

    `audit_words` are how the audit on/off column prints (`Yes`/`No`, or `True`/`False`).
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    writer.writerows([_asset_cell(asset, column, audit_words) for column in columns]
                     for asset in assets)
    path.write_text(buffer.getvalue(), encoding="utf-8", newline="")


def write_trackit_xlsx(path: Path, assets: Sequence[TrackItAsset], columns: Sequence[str], *,
                       sheet: str = "Assets") -> None:
    """The Track-It! asset grid exported to Excel: real dates and a real boolean audit flag."""
    import openpyxl

    book = openpyxl.Workbook()
    table = book.active
    table.title = sheet
    table.append(list(columns))
    for asset in assets:
        cells: list[Any] = []
        for column in columns:
            if column in ("Include in Audit", "Audit Enabled"):
                cells.append(asset.audit)
            elif column == "Last Audit Date":
                cells.append(asset.last_audit)
            else:
                cells.append(_asset_cell(asset, column, ("", "")))
        table.append(cells)
        if "Last Audit Date" in columns:
            table.cell(row=table.max_row, column=list(columns).index("Last Audit Date") + 1
                       ).number_format = "mm/dd/yyyy hh:mm AM/PM"
    book.save(path)


# --- Cisco DCNM 11 / NDFC ----------------------------------------------------------------------

def _switch_row(switch: DcnmSwitch) -> dict[str, Any]:
    ok, detail = switch.reachable, switch.detail
    row: dict[str, Any] = {"switchDbID": switch.db_id, "logicalName": switch.name,
                           "hostName": switch.name, "ipAddress": switch.address,
                           "serialNumber": switch.serial}
    if detail:
        row |= {"model": detail.model, "release": detail.release, "vendor": "Cisco"}
    row["fabricName"] = switch.fabric
    if detail:
        row |= {"fabricId": detail.fabric_id, "switchRole": detail.role}
    row |= {"status": "ok" if ok else "unreachable", "managable": ok,
            "unmanagableCause": "" if ok else "Unreachable", "mode": "Normal"}
    if detail:
        row["operStatus"] = "HEALTHY" if ok else "Minor"
    row["lastScanTime"] = switch.last_scan
    if detail:
        row["upTimeStr"] = "12 days, 04:11:02" if ok else ""
    row |= {"sourceInterface": "mgmt0", "sourceVrf": "management"}
    if detail:
        row |= {"network": "LAN", "present": True}
        if detail.ndfc:
            ndfc = detail.ndfc
            row |= {"fabricTechnology": ndfc.fabric_technology, "systemMode": ndfc.system_mode,
                    "swUUID": ndfc.uuid, "swUUIDId": ndfc.uuid_id, "ipDomain": ndfc.ip_domain,
                    "isVpcConfigured": ndfc.vpc_configured}
    return row


def write_dcnm_switches(path: Path, switches: Sequence[DcnmSwitch], *,
                        indent: int = 2) -> None:
    """DCNM 11 `/rest/inventory/switches` or NDFC `.../inventory/allswitches`: a JSON array."""
    _write_json(path, [_switch_row(switch) for switch in switches], indent)


# --- IPAM --------------------------------------------------------------------------------------

def _prefix_cell(prefix: Prefix, column: str) -> str | int:
    if column == "ID":
        return "" if prefix.number is None else prefix.number
    if column == "Utilization":
        return f"{prefix.utilization}%"
    attribute = {"Prefix": "prefix", "Status": "status", "Children": "children", "VRF": "vrf",
                 "Tenant": "tenant", "Site": "site", "VLAN": "vlan", "Role": "role",
                 "Description": "description"}[column]
    value: str | int = getattr(prefix, attribute)
    return value


def write_prefix_csv(path: Path, prefixes: Sequence[Prefix], columns: Sequence[str]) -> None:
    """A prefix table as CSV: NetBox's export (ID, Prefix, Status, ... Description) or a
    hand-kept list with fewer columns."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows([_prefix_cell(prefix, column) for column in columns] for prefix in prefixes)
    path.write_text(buffer.getvalue(), encoding="utf-8")


def write_netbox_prefix_pages(folder: Path, prefixes: Sequence[Prefix], *, server: str,
                              vrfs: Mapping[str, tuple[int, str]], page_size: int = 10,
                              created: str = "2022-03-01T10:00:00.000000Z",
                              last_updated: str = "2024-11-02T08:30:11.123456Z") -> list[Path]:
    """`GET /api/ipam/prefixes/?limit=N`, each page saved as the API returned it.

    `vrfs` maps a VRF name to its (id, route distinguisher). Files are
    `netbox-prefixes-page<N>.json`; returns their paths.
    """
    results: list[dict[str, object]] = []
    for prefix in prefixes:
        net = ipaddress.ip_network(prefix.prefix)
        number = prefix.number
        vrf = None
        if prefix.vrf:
            vrf_id, rd = vrfs[prefix.vrf]
            vrf = {"id": vrf_id, "name": prefix.vrf, "rd": rd, "display": prefix.vrf}
        results.append({
            "id": number, "url": f"{server}/api/ipam/prefixes/{number}/",
            "display": prefix.prefix, "family": {"value": net.version,
                                                 "label": f"IPv{net.version}"},
            "prefix": prefix.prefix, "vrf": vrf,
            "tenant": {"id": 1, "name": prefix.tenant, "slug": prefix.tenant.lower()},
            "vlan": None if not prefix.vlan else {"id": int(prefix.vlan),
                                                  "vid": int(prefix.vlan),
                                                  "name": f"VLAN{prefix.vlan}"},
            "status": {"value": prefix.status.lower(), "label": prefix.status},
            "role": None, "is_pool": False, "mark_utilized": False,
            "description": prefix.description, "comments": "", "tags": [],
            "custom_fields": {"owner": None}, "created": created, "last_updated": last_updated,
            "children": 0, "_depth": 0})
    pages = [results[i:i + page_size] for i in range(0, len(results), page_size)]
    base = f"{server}/api/ipam/prefixes/?limit={page_size}"
    paths = []
    for n, page in enumerate(pages):
        body = {"count": len(results),
                "next": f"{base}&offset={(n + 1) * page_size}" if n + 1 < len(pages) else None,
                "previous": None if n == 0 else f"{base}&offset={(n - 1) * page_size}",
                "results": page}
        paths.append(folder / f"netbox-prefixes-page{n + 1}.json")
        _write_json(paths[-1], body, 2)
    return paths


def write_host_list_csv(path: Path, columns: Sequence[str],
                        rows: Iterable[Sequence[str]]) -> None:
    """A hand-kept host list or a small tool's export as CSV (LF): the columns and rows given.

    For tools without a connector of their own (the `csv` source type reads them by header).
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")


# --- routing tables ----------------------------------------------------------------------------

def _route_path(route: Route, destination: str) -> str:
    if route.via is None:
        return f"{destination} is directly connected, {route.interface}"
    text = f"{destination}{_WRAP if route.wrapped else ' '}{route.metric} via {route.via}"
    if route.age:
        text += f", {route.age}"
    if route.interface:
        text += f", {route.interface}"
    return text


def format_asa_route(route: Route) -> list[str]:
    """One ASA route as `show route` prints it (network and mask), with its further paths."""
    net = ipaddress.ip_network(route.destination)
    lines = [f"{route.code:<9}{_route_path(route, f'{net.network_address} {net.netmask}')}"]
    lines += [_OTHER_PATH + path for path in route.other_paths]
    return lines


def write_asa_show_route(path: Path, routes: Iterable[Route], *, prompt: str, gateway: str,
                         legend: Sequence[str] = ASA_ROUTE_LEGEND,
                         footer: Sequence[str] = ()) -> None:
    """An ASA's `show route`, as captured from its CLI: the command, the legend, the routes.

    `legend` is every line between the command and "Gateway of last resort"; `footer` the
    lines after the routes (a blank line, the next prompt).
    """
    lines = [f"{prompt} show route", *legend,
             f"Gateway of last resort is {gateway} to network 0.0.0.0", ""]
    for route in routes:
        lines += format_asa_route(route)
    path.write_text("\n".join([*lines, *footer]) + "\n", encoding="utf-8")


def write_ios_show_ip_route(path: Path, entries: Sequence[Route | str], *, prompt: str,
                            gateway: str, legend: Sequence[str]) -> None:
    """An IOS router's `show ip route`; a text entry is a classful summary line
    ("10.0.0.0/8 is variably subnetted, ..."), and routes under one are indented further."""
    lines = [f"{prompt}show ip route", *legend,
             f"Gateway of last resort is {gateway} to network 0.0.0.0", ""]
    width = 6
    for entry in entries:
        if isinstance(entry, str):
            lines.append(" " * 6 + entry)
            width = 9
        else:
            lines.append(f"{entry.code:<{width}}{_route_path(entry, entry.destination)}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def format_linux_route(route: LinuxRoute) -> str:
    """One line of `ip route`."""
    parts = [] if route.kind == "unicast" else [route.kind]
    parts.append(route.destination)
    for word, value in (("via", route.gateway), ("dev", route.device),
                        ("proto", route.protocol), ("scope", route.scope),
                        ("src", route.source), ("metric", route.metric)):
        if value is not None:
            parts += [word, str(value)]
    return " ".join(parts)


def write_ip_route(path: Path, routes: Iterable[LinuxRoute]) -> None:
    """A Linux host's `ip route` output."""
    path.write_text("".join(format_linux_route(route) + "\n" for route in routes),
                    encoding="utf-8")


def write_ip_route_json(path: Path, routes: Iterable[LinuxRoute]) -> None:
    """A Linux host's `ip -j route` output (iproute2's JSON), pretty-printed."""
    rows = []
    for route in routes:
        row: dict[str, Any] = {} if route.kind == "unicast" else {"type": route.kind}
        row["dst"] = route.destination
        for key, value in (("gateway", route.gateway), ("dev", route.device),
                           ("protocol", route.protocol), ("scope", route.scope),
                           ("prefsrc", route.source), ("metric", route.metric)):
            if value is not None:
                row[key] = value
        row["flags"] = []
        rows.append(row)
    _write_json(path, rows, 2)


# --- SNMP configurations -----------------------------------------------------------------------

def write_device_config(path: Path, text: str) -> None:
    """A device's configuration file as saved from it: net-snmp `snmpd.conf`/`snmptrapd.conf`,
    or a Cisco IOS, NX-OS or ASA running-config (UTF-8, LF)."""
    path.write_text(text, encoding="utf-8")


def write_windows_snmp_reg(path: Path, agent: WindowsSnmpAgent) -> None:
    """`reg export` of the Windows SNMP service's Parameters key: UTF-16 LE with a BOM, CRLF."""
    lines = ["Windows Registry Editor Version 5.00", "", f"[{_SNMP_KEY}]",
             '"EnableAuthenticationTraps"=dword:00000001',
             '"NameResolutionRetries"=dword:00000010', "", f"[{_SNMP_KEY}\\PermittedManagers]"]
    lines += [f'"{n}"="{manager}"' for n, manager in enumerate(agent.permitted_managers, 1)]
    lines += ["", f"[{_SNMP_KEY}\\RFC1156Agent]", f'"sysContact"="{agent.contact}"',
              '"sysLocation"="{}"'.format(agent.location.replace("\\", "\\\\")),
              '"sysServices"=dword:0000004c', "", f"[{_SNMP_KEY}\\TrapConfiguration]", ""]
    for community, destinations in agent.trap_destinations:
        lines.append(f"[{_SNMP_KEY}\\TrapConfiguration\\{community}]")
        lines += [f'"{n}"="{where}"' for n, where in enumerate(destinations, 1)]
        lines.append("")
    lines.append(f"[{_SNMP_KEY}\\ValidCommunities]")
    lines += [f'"{community}"=dword:00000004' for community in agent.communities]
    lines += ["", ""]
    path.write_bytes(b"\xff\xfe" + "\r\n".join(lines).encode("utf-16-le"))


# --- connection captures -----------------------------------------------------------------------

def write_windows_netstat(path: Path, rows: Sequence[NetstatRow], *, repeats: int = 2) -> None:
    """Repeated `netstat -abn` output: each connection, its service, its executable; CRLF."""
    out: list[str] = []
    for _ in range(repeats):
        out += ["", "Active Connections", "",
                "  Proto  Local Address          Foreign Address        State"]
        for row in rows:
            out.append(f"  {row.protocol:<6} {row.local:<22} {row.remote:<22} "
                       f"{row.state}".rstrip())
            if row.service:
                out.append(row.service)
            out.append(f" [{row.executable}]")
    path.write_text("\r\n".join(out) + "\r\n", encoding="ascii", newline="")


# --- firewall logs -----------------------------------------------------------------------------

@contextlib.contextmanager
def open_log_writer(path: Path, *, compresslevel: int = 9) -> Iterator[IO[str]]:
    """A text handle on a log file; `.gz` names are gzipped as logrotate does.

    The gzip header carries no name and a zero mtime, so the same lines give the same bytes.
    """
    if path.suffix != ".gz":
        with path.open("w", encoding="utf-8") as fh:
            yield fh
        return
    with (path.open("wb") as raw,
          gzip.GzipFile(filename="", mode="wb", compresslevel=compresslevel, mtime=0,
                        fileobj=raw) as packed,
          io.TextIOWrapper(packed, encoding="utf-8") as fh):
        yield fh


def write_log_file(path: Path, lines: Sequence[str], raw_tail: Sequence[bytes] = ()) -> None:
    """A syslog file, one line each, then `raw_tail` (undecodable garbage) as is.

    The name's suffix picks the compression: `.gz` (deterministic header), `.bz2`, or none.
    """
    data = "\n".join(lines).encode("utf-8") + b"\n"
    for raw in raw_tail:
        data += raw + b"\n"
    if path.suffix == ".gz":
        with path.open("wb") as raw_file, gzip.GzipFile(filename="", mode="wb", mtime=0,
                                                        fileobj=raw_file) as packed:
            packed.write(data)
    elif path.suffix == ".bz2":
        path.write_bytes(bz2.compress(data))
    else:
        path.write_bytes(data)

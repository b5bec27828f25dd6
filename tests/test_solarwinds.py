"""SolarWinds NPM connector: what the fixture cases cannot express.

The fixture cases under tests/fixtures/solarwinds-npm/ cover the normal shapes; here are the
reference examples read in place, the XLSX fixture's generator, and error paths.
Run `python -m tests.test_solarwinds` to rebuild node-report-xlsx/nodes.xlsx.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest

from auditor.cli import main
from auditor.errors import ConfigError, SourceError
from auditor.model import ToolState
from connectors.base import SourceSpec
from connectors.sources.solarwinds import SolarWindsSource
from tests.conftest import EXAMPLES, FIXTURES, need_shared

XLSX_CASE = FIXTURES / "solarwinds-npm" / "node-report-xlsx"

#: The node report behind node-report-xlsx: a title row, a blank row, then the table.
#: `Management IP` needs the case's `columns` override; the text date is day-first and needs
#: its `date_format`; the rest are real date cells, as Excel exports write them.
XLSX_ROWS: list[list[object]] = [
    ["Orion node report (custom)"],
    [],
    ["Node Name", "Management IP", "Status", "Last Sync", "Polling Engine", "DNS",
     "Dynamic IP"],
    ["core-sw-01", "10.10.0.2", "Up", datetime(2026, 11, 24, 9, 58, 12), "ORION-MAIN",
     "core-sw-01.corp.example", False],
    ["OLD-BLDG4-AP-CTRL", "10.99.4.20", "Down", "24/11/2026 09:57", "10.30.1.11", None,
     False],
    ["hr-laptop-17", None, "Up", datetime(2026, 11, 24, 9, 40), "ORION-MAIN",
     "HR-LAPTOP-17.corp.example", True],
    ["legacy-ups-2", "172.16.40.11", "Unmanaged", datetime(2023, 1, 9, 23, 58, 40),
     "ORION-MAIN", None, False],
    ["storage-ctl-b", "10.20.30.41", "Monitoring Disabled", None, "ORION-MAIN", None, False],
]


def build_report_xlsx(path: Path) -> None:
    """Write the node-report-xlsx fixture workbook."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Nodes"
    for row in XLSX_ROWS:
        sheet.append(row)
    book.save(path)


def _source(*paths: Path, **options: object) -> SolarWindsSource:
    return SolarWindsSource(SourceSpec(name="orion", type="solarwinds-npm", paths=paths,
                                       owner="NOC", poller="10.30.1.9", options=options))


def _write(tmp_path: Path, name: str, body: object) -> Path:
    path = tmp_path / name
    path.write_text(body if isinstance(body, str) else json.dumps(body))
    return path


def _node(**overrides: object) -> dict[str, object]:
    node: dict[str, object] = {
        "NodeID": 7, "Caption": "sw-7", "IPAddress": "10.20.0.7", "DNS": "", "Status": 1,
        "UnManaged": False, "UnManageFrom": "1899-12-30T00:00:00", "ObjectSubType": "SNMP",
        "LastSync": "2026-11-24T09:00:00", "LastSystemUpTimePollUtc": "2026-11-24T08:59:58Z",
        "EngineID": 1}
    node.update(overrides)
    return node


def test_committed_xlsx_matches_its_generator(tmp_path: Path) -> None:
    fresh = tmp_path / "nodes.xlsx"
    build_report_xlsx(fresh)
    committed = openpyxl.load_workbook(XLSX_CASE / "nodes.xlsx", read_only=True)
    rebuilt = openpyxl.load_workbook(fresh, read_only=True)
    assert list(committed.active.values) == list(rebuilt.active.values)


def test_reference_examples_in_place() -> None:
    nodes = need_shared(EXAMPLES / "npm-swis-nodes.json")
    engines = need_shared(EXAMPLES / "npm-swis-engines.json")
    got = {t.id: t for t in _source(nodes, engines_path=engines).fetch()}
    assert {k: (t.address, t.state, t.polled, t.poller) for k, t in got.items()} == {
        "101": ("10.10.0.2", ToolState.UP, True, "10.10.5.20"),
        "187": ("10.99.4.20", ToolState.DOWN, True, "10.20.5.21"),
        "203": ("10.99.7.5", ToolState.DOWN, True, "10.20.5.21"),
        "215": ("172.16.40.11", ToolState.UNMANAGED, False, "10.10.5.20"),
    }
    assert got["187"].last_ok == datetime(2019, 3, 2, 17, 45, 10)
    assert got["187"].fix == ("Delete node OLD-BLDG4-AP-CTRL (NodeID 187) in SolarWinds, "
                              "or unmanage it")
    # ICMP node: no uptime poll, and it is not up, so nothing says it ever answered.
    assert (got["203"].last_ok, got["203"].protocol, got["203"].port) == (None, "icmp", None)
    assert got["215"].fix == "Delete node legacy-ups-2 (NodeID 215) in SolarWinds"


def test_reference_report_export_in_place() -> None:
    report = need_shared(EXAMPLES / "npm-nodes-report-export.csv")
    engines = need_shared(EXAMPLES / "npm-swis-engines.json")
    got = _source(report, engines_path=engines).fetch()
    assert [(t.id, t.address, t.state, t.polled, t.poller, t.location) for t in got] == [
        ("core-sw-01", "10.10.0.2", ToolState.UP, True, "10.10.5.20",
         f"{report.as_posix()}:2"),
        ("OLD-BLDG4-AP-CTRL", "10.99.4.20", ToolState.DOWN, True, "10.20.5.21",
         f"{report.as_posix()}:3"),
        ("10.99.7.5", "10.99.7.5", ToolState.DOWN, True, "10.20.5.21",
         f"{report.as_posix()}:4"),
        ("legacy-ups-2", "172.16.40.11", ToolState.UNMANAGED, False, "10.10.5.20",
         f"{report.as_posix()}:5"),
    ]
    assert got[0].fix == "Delete node core-sw-01 in SolarWinds, or unmanage it"
    assert got[0].last_ok == got[0].seen == datetime(2024, 5, 14, 9, 12)


def test_bare_list_and_legacy_address_keys(tmp_path: Path) -> None:
    legacy_only = {k: v for k, v in _node(NodeID=2, IP="10.20.0.2").items() if k != "IPAddress"}
    path = _write(tmp_path, "nodes.json", [
        _node(NodeID=1, IPAddress=None, IP="", IP_Address="10.20.0.1"), legacy_only])
    got = _source(path).fetch()
    assert [(t.id, t.address) for t in got] == [("1", "10.20.0.1"), ("2", "10.20.0.2")]


def test_placeholder_unmanage_window_does_not_unmanage(tmp_path: Path) -> None:
    path = _write(tmp_path, "nodes.json", {"results": [
        _node(UnManageFrom="1899-12-30T00:00:00", UnManageUntil="1899-12-30T00:00:00")]})
    [node] = _source(path).fetch()
    assert (node.state, node.polled) == (ToolState.UP, True)
    assert node.last_ok == datetime(2026, 11, 24, 8, 59, 58)
    assert node.seen == datetime(2026, 11, 24, 9, 0, 0)


def test_unmanaged_flag_wins_over_a_stale_status(tmp_path: Path) -> None:
    path = _write(tmp_path, "nodes.json", {"results": [_node(Status=1, UnManaged=True)]})
    [node] = _source(path).fetch()
    assert (node.state, node.polled) == (ToolState.UNMANAGED, False)
    assert node.fix == "Delete node sw-7 (NodeID 7) in SolarWinds"


@pytest.mark.parametrize(("status", "state", "polled"), [
    (1, ToolState.UP, True), (3, ToolState.UP, True), (14, ToolState.UP, True),
    (15, ToolState.UP, True), (22, ToolState.UP, True),
    (2, ToolState.DOWN, True), (12, ToolState.DOWN, True), (17, ToolState.DOWN, True),
    (9, ToolState.UNMANAGED, False), (26, ToolState.DISABLED, False),
    (27, ToolState.DISABLED, False), (0, ToolState.UNKNOWN, True),
    (19, ToolState.UNKNOWN, True), ("12", ToolState.DOWN, True), (None, ToolState.UNKNOWN, True),
])
def test_status_codes(tmp_path: Path, status: object, state: ToolState, polled: bool) -> None:
    path = _write(tmp_path, "nodes.json", {"results": [_node(Status=status)]})
    [node] = _source(path).fetch()
    assert (node.state, node.polled) == (state, polled)


def test_status_description_used_only_without_status(tmp_path: Path) -> None:
    node = _node(StatusDescription="Node status is Could Not Poll.")
    del node["Status"]
    path = _write(tmp_path, "nodes.json", {"results": [node]})
    assert _source(path).fetch()[0].state is ToolState.DOWN


def test_invalid_ip_falls_back_to_dns_name(tmp_path: Path) -> None:
    path = _write(tmp_path, "nodes.json", {"results": [
        _node(IPAddress="", DNS="Printer-4F.corp.example")]})
    assert _source(path).fetch()[0].address == "printer-4f.corp.example"


def test_dynamic_ip_without_dns_keeps_the_ip(tmp_path: Path) -> None:
    path = _write(tmp_path, "nodes.json", {"results": [_node(DynamicIP=True, DNS="")]})
    assert _source(path).fetch()[0].address == "10.20.0.7"


def test_community_never_reaches_a_record(tmp_path: Path) -> None:
    path = _write(tmp_path, "nodes.json", {"results": [
        _node(Community="n0c-r3ad-0nly", RWCommunity="n0c-wr1te")]})
    [node] = _source(path).fetch()
    text = json.dumps([str(getattr(node, f)) for f in node.__slots__])
    assert "n0c" not in text


def test_gzipped_swis_body_is_read(tmp_path: Path) -> None:
    import gzip

    path = tmp_path / "nodes.json.gz"
    path.write_bytes(gzip.compress(json.dumps({"results": [_node()]}).encode()))
    assert _source(path).fetch()[0].address == "10.20.0.7"


def test_missing_results_is_a_source_error(tmp_path: Path) -> None:
    path = _write(tmp_path, "nodes.json", {"Message": "Invalid SWQL query"})
    with pytest.raises(SourceError) as info:
        _source(path).fetch()
    assert str(info.value) == (f"{path}, field 'results': expected a SWIS Orion.Nodes query "
                               "body, got an object without 'results' (keys: Message); it "
                               "says: Invalid SWQL query")


def test_row_without_ipaddress_names_node_and_field(tmp_path: Path) -> None:
    node = _node(NodeID=187, Caption="OLD-AP")
    del node["IPAddress"]
    path = _write(tmp_path, "nodes.json", {"results": [node]})
    with pytest.raises(SourceError) as info:
        _source(path).fetch()
    assert str(info.value) == f"{path}, field 'IPAddress': NodeID 187 (OLD-AP) has no IPAddress"
    assert info.value.field == "IPAddress"


def test_unusable_ip_without_dns_names_node_and_field(tmp_path: Path) -> None:
    path = _write(tmp_path, "nodes.json", {"results": [_node(NodeID=42, IPAddress="10.1")]})
    with pytest.raises(SourceError) as info:
        _source(path).fetch()
    assert str(info.value) == (f"{path}, field 'IPAddress': NodeID 42 (sw-7): '10.1' is not "
                               "an IP address and the node has no DNS name")


def test_bad_date_names_node_and_field(tmp_path: Path) -> None:
    path = _write(tmp_path, "nodes.json", {"results": [_node(LastSync="yesterday")]})
    with pytest.raises(SourceError) as info:
        _source(path).fetch()
    assert str(info.value) == f"{path}, field 'LastSync': NodeID 7: not a date: 'yesterday'"


def test_broken_engines_file_is_named(tmp_path: Path) -> None:
    nodes = _write(tmp_path, "nodes.json", {"results": [_node()]})
    engines = _write(tmp_path, "engines.json", '{"results": [{"EngineID": 1, "IP": ')
    with pytest.raises(SourceError) as info:
        _source(nodes, engines_path=engines).fetch()
    assert info.value.path == engines
    assert "engines.json line 1: invalid JSON at column 36" in str(info.value)


def test_engine_with_bad_ip_is_named(tmp_path: Path) -> None:
    nodes = _write(tmp_path, "nodes.json", {"results": [_node()]})
    engines = _write(tmp_path, "engines.json", {"results": [
        {"EngineID": 1, "ServerName": "ORION", "IP": "ORION.corp.example"}]})
    with pytest.raises(SourceError) as info:
        _source(nodes, engines_path=engines).fetch()
    assert str(info.value) == (f"{engines}, field 'IP': EngineID 1: 'ORION.corp.example' is "
                               "not an IP address")


def test_missing_engines_file_is_named(tmp_path: Path) -> None:
    nodes = _write(tmp_path, "nodes.json", {"results": [_node()]})
    with pytest.raises(SourceError) as info:
        _source(nodes, engines_path=tmp_path / "gone.json").fetch()
    assert info.value.path == tmp_path / "gone.json"


def test_xlsx_day_first_date_needs_date_format() -> None:
    spec = json.loads((XLSX_CASE / "spec.json").read_text())
    with pytest.raises(SourceError) as info:
        _source(XLSX_CASE / "nodes.xlsx", columns=spec["options"]["columns"]).fetch()
    assert (info.value.line, info.value.field) == (5, "Last Sync")
    assert "not a date: '24/11/2026 09:57' (ISO 8601 or US month/day/year expected; set " \
        "date_format in the config)" in str(info.value)


def test_report_without_address_column_lists_headers(tmp_path: Path) -> None:
    path = _write(tmp_path, "nodes.csv", "Node Name,Status\r\nsw-1,Up\r\n")
    with pytest.raises(SourceError) as info:
        _source(path).fetch()
    assert str(info.value) == (f'{path} line 1: no column for address (IP Address, '
                               'IPAddress, IP, IP_Address, Polling IP); headers found: '
                               'Node Name, Status '
                               '(set columns = { address = "<header>" } in the config)')


def test_report_unmanaged_column_and_text_status(tmp_path: Path) -> None:
    path = _write(tmp_path, "nodes.csv",
                  "Caption,IP,Status,Unmanaged,Polling Method\n"
                  "ap-1,10.20.5.1,Up,true,SNMP\n"
                  "ap-2,10.20.5.2,Node status is Partly Available.,false,WMI\n"
                  "ap-3,10.20.5.3,Disabled,,ICMP\n")
    got = _source(path).fetch()
    assert [(t.id, t.state, t.polled, t.protocol, t.port) for t in got] == [
        ("ap-1", ToolState.UNMANAGED, False, "udp", 161),
        ("ap-2", ToolState.UP, True, "tcp", 135),
        ("ap-3", ToolState.DISABLED, False, "icmp", None),
    ]
    assert got[0].fix == "Delete node ap-1 in SolarWinds"


#: The report fields, as `columns` keys: every one an error lists.
VALID_FIELDS = ("address, dns, dynamic, engine, id, last_sync, last_uptime, method, name, "
                "status, sysname, unmanaged")


def test_columns_typo_is_a_config_error_before_any_io(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        _source(tmp_path / "absent.csv", columns={"adress": "IP"})
    assert str(info.value) == ("source 'orion': columns: unknown field adress; "
                               f"valid: {VALID_FIELDS}")


def test_columns_typo_exits_2_from_the_sources_command(tmp_path: Path, capsys) -> None:
    _write(tmp_path, "nodes.csv", "Caption,IP,Status\nsw-1,10.20.0.7,Up\n")
    config = _write(tmp_path, "audit.toml", (
        '[[sources]]\nname = "orion"\ntype = "solarwinds-npm"\npath = "nodes.csv"\n'
        'columns = { adress = "IP" }\n'))
    assert main(["sources", "-c", str(config)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "[[sources]] 'orion': source 'orion': columns: unknown field adress; " \
        f"valid: {VALID_FIELDS}" in err


def test_report_unmanaged_cell_that_is_no_yes_no_names_its_column(tmp_path: Path) -> None:
    path = _write(tmp_path, "nodes.csv", "Caption,IP,Unmanaged\nap-1,10.20.5.1,maybe\n")
    with pytest.raises(SourceError) as info:
        _source(path).fetch()
    assert str(info.value) == (f"{path} line 2, field 'Unmanaged': 'maybe' is not yes/no, "
                               "true/false, 1/0 or on/off")


if __name__ == "__main__":
    build_report_xlsx(XLSX_CASE / "nodes.xlsx")

"""Track-It! asset exports: the shared example, aliases, overrides and the errors users see.

The fixture cases under tests/fixtures/trackit/ cover whole exports; these tests pin the
rules one at a time.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from auditor.errors import ConfigError, SourceError
from auditor.model import Target, ToolState
from connectors.base import SourceSpec
from connectors.sources.trackit import TrackItSource
from tests.conftest import EXAMPLES, FIXTURES, need_shared

HEADER = "Asset ID,Asset Name,Asset Type,IP Address,Status,Last Audit Date,Audit Enabled\n"


def fetch(*paths: Path, **options: object) -> list[Target]:
    spec = SourceSpec(name="trackit", type="trackit", paths=paths, poller="10.30.1.20",
                      options=options, root=paths[0].parent)
    return TrackItSource(spec).fetch()


def export(tmp_path: Path, text: str, name: str = "assets.csv") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_reference_example_read_in_place() -> None:
    path = need_shared(EXAMPLES / "trackit-assets.csv")
    got = [(t.id, t.address, t.polled, t.state, t.last_ok) for t in fetch(path)]
    # Asset 1310 (the handheld) has no IP address: Track-It! never connects to it.
    assert got == [
        ("1042", "10.20.14.57", True, ToolState.UNKNOWN, datetime(2024, 5, 13, 22, 2)),
        ("1187", "10.99.4.31", True, ToolState.UNKNOWN, datetime(2019, 2, 27, 22, 5)),
        ("1203", "10.99.7.12", False, ToolState.RETIRED, datetime(2018, 11, 4, 22, 11)),
    ]


def test_reference_example_records_carry_the_audit_agent_port() -> None:
    path = need_shared(EXAMPLES / "trackit-assets.csv")
    kiosk = fetch(path)[1]
    assert (kiosk.name, kiosk.protocol, kiosk.port, kiosk.poller, kiosk.location) == \
        ("BLDG4-KIOSK-01", "tcp", 10597, "10.30.1.20", "trackit-assets.csv:3")
    assert kiosk.fix == ("Turn auditing off for asset BLDG4-KIOSK-01 (Asset ID 1187) in "
                         "Track-It!, or retire it")


def test_without_the_override_the_ip_address_column_wins() -> None:
    # Same export as the columns-override case: `IP Address` holds whatever NIC the last
    # audit saw first, which is why that site points the connector at `Workstation IP`.
    path = FIXTURES / "trackit" / "columns-override" / "assets.csv"
    assert [t.address for t in fetch(path)] == ["192.168.56.1", "169.254.12.7", "10.99.8.40"]
    overridden = fetch(path, columns={"address": "Workstation IP"})
    assert [t.address for t in overridden] == ["10.20.50.11", "10.20.50.12", "10.99.8.41"]


def test_alias_order_beats_column_order(tmp_path: Path) -> None:
    path = export(tmp_path, "Workstation,IP,Asset Name\nWS-0042,10.20.3.4,FIN-PC-042\n")
    assert [(t.name, t.id) for t in fetch(path)] == [("FIN-PC-042", "FIN-PC-042")]


@pytest.mark.parametrize(("status", "audit", "polled", "state"), [
    ("Active", "Yes", True, ToolState.UNKNOWN),
    ("In Repair", "1", True, ToolState.UNKNOWN),
    ("Active", "Off", False, ToolState.DISABLED),
    ("Active", "N", False, ToolState.DISABLED),
    ("Active", "", True, ToolState.UNKNOWN),
    (" RETIRED ", "Yes", False, ToolState.RETIRED),
    ("Disposed  Of", "Yes", False, ToolState.RETIRED),
    ("stolen", "No", False, ToolState.RETIRED),
    ("Inactive", "True", False, ToolState.RETIRED),
])
def test_polled_and_state(tmp_path: Path, status: str, audit: str, polled: bool,
                          state: ToolState) -> None:
    path = export(tmp_path, HEADER + f"7,PC-7,Computer,10.20.0.7,{status},,{audit}\n")
    (target,) = fetch(path)
    assert (target.polled, target.state) == (polled, state)


def test_no_audit_column_means_audited(tmp_path: Path) -> None:
    path = export(tmp_path, "Asset Name,IP Address,Status\nPC-1,10.20.0.1,Active\n"
                            "PC-2,10.20.0.2,Retired\n")
    assert [(t.polled, t.state) for t in fetch(path)] == [
        (True, ToolState.UNKNOWN), (False, ToolState.RETIRED)]


def test_fix_wording_when_only_the_asset_id_is_exported(tmp_path: Path) -> None:
    path = export(tmp_path, "Asset ID,IP Address,Audit Enabled\n1042,10.20.14.57,No\n")
    (target,) = fetch(path)
    assert (target.id, target.name) == ("1042", "1042")
    assert target.fix == "Delete asset with Asset ID 1042 from Track-It! inventory"


@pytest.mark.parametrize("cell", ["", "N/A", "0.0.0.0", "DHCP"])
def test_assets_without_an_address_are_skipped(tmp_path: Path, cell: str) -> None:
    path = export(tmp_path, HEADER + f"1,PC-1,Computer,{cell},Active,,Yes\n"
                                     "2,PC-2,Computer,10.20.0.2,Active,,Yes\n")
    assert [t.id for t in fetch(path)] == ["2"]


def test_host_name_in_the_ip_column_becomes_the_address(tmp_path: Path) -> None:
    path = export(tmp_path, HEADER + "1,LAB-PC,Computer,LAB-PC.Corp.Example.COM.,Active,,Yes\n")
    assert [t.address for t in fetch(path)] == ["lab-pc.corp.example.com"]


def test_garbled_ip_is_an_error_naming_line_and_column(tmp_path: Path) -> None:
    path = export(tmp_path, HEADER + "1,PC-1,Computer,10.20.0.1,Active,,Yes\n"
                                     "2,PC-2,Computer,10.20.14,Active,,Yes\n")
    with pytest.raises(SourceError) as info:
        fetch(path)
    assert "assets.csv line 3, field 'IP Address': '10.20.14' is neither an IP address nor " \
           "a host name" in str(info.value)
    assert (info.value.line, info.value.field) == (3, "IP Address")


def test_bad_date_error_names_the_configured_format(tmp_path: Path) -> None:
    path = export(tmp_path, HEADER + "1,PC-1,Computer,10.20.0.1,Active,2026.11.20 15:14,Y\n")
    with pytest.raises(SourceError) as info:
        fetch(path, date_format="%d.%m.%Y %H:%M")
    assert "assets.csv line 2, field 'Last Audit Date': not a date: '2026.11.20 15:14' " \
           "(date_format is '%d.%m.%Y %H:%M')" in str(info.value)


def test_name_or_id_column_is_required(tmp_path: Path) -> None:
    path = export(tmp_path, "Asset Type,IP Address,Status\nComputer,10.20.0.1,Active\n")
    with pytest.raises(SourceError) as info:
        fetch(path)
    assert "line 1: no column for name or id or tag (Asset Name, Name, Computer Name, " \
           "Workstation, Asset, Asset ID, AssetID, Asset Number, ID, Asset Tag, AssetTag, " \
           "Asset Tag Number, Tag Number); headers found: Asset Type, IP Address, Status" \
           in str(info.value)


def test_override_header_absent_is_named(tmp_path: Path) -> None:
    path = export(tmp_path, HEADER + "1,PC-1,Computer,10.20.0.1,Active,,Yes\n")
    with pytest.raises(SourceError) as info:
        fetch(path, columns={"address": "Workstation IP"})
    assert "no column for address (Workstation IP); headers found: Asset ID, Asset Name" \
        in str(info.value)


def test_header_below_report_title_rows(tmp_path: Path) -> None:
    path = export(tmp_path, "Track-It! 2021 - Asset List\nPrinted 11/24/2026\n\n" + HEADER
                  + "1,PC-1,Computer,10.20.0.1,Active,11/24/2026 06:00 AM,Yes\n")
    (target,) = fetch(path)
    assert (target.location, target.last_ok) == ("assets.csv:5", datetime(2026, 11, 24, 6, 0))


def test_every_path_is_read_in_order(tmp_path: Path) -> None:
    first = export(tmp_path, HEADER + "1,PC-1,Computer,10.20.0.1,Active,,Yes\n", "hq.csv")
    second = export(tmp_path, HEADER + "9,PC-9,Computer,10.20.0.9,Active,,No\n", "b4.csv")
    assert [(t.location, t.polled) for t in fetch(first, second)] == [
        ("hq.csv:2", True), ("b4.csv:2", False)]


def test_missing_sheet_lists_the_sheets() -> None:
    path = FIXTURES / "trackit" / "aliases-xlsx" / "assets.xlsx"
    with pytest.raises(SourceError, match=r"no sheet 'Inventory'; sheets: Assets"):
        fetch(path, sheet="Inventory")


@pytest.mark.parametrize(("options", "message"), [
    ({"columns": {"adress": "IP"}}, "columns: unknown field adress; valid: address, audit, "
                                    "host, id, last_audit, name, status, tag"),
    ({"columns": {"address": ""}}, "columns must map field names to header texts"),
    ({"date_format": 5}, "date_format must be a string"),
])
def test_bad_options_fail_at_construction_without_io(options: dict[str, object],
                                                     message: str) -> None:
    spec = SourceSpec(name="trackit", type="trackit", paths=(Path("/nonexistent.csv"),),
                      options=options)
    with pytest.raises(ConfigError, match=message):
        TrackItSource(spec)


# --- Asset Tag -----------------------------------------------------------------------

TAGGED = "Asset ID,Asset Tag,Asset Name,IP Address,Status,Audit Enabled\n"


def test_asset_tag_is_the_id_and_the_action_names_it(tmp_path: Path) -> None:
    path = export(tmp_path, TAGGED + "1187,TAG-00123,BLDG4-KIOSK-01,10.99.4.31,Active,Yes\n"
                                     "1203,TAG-00098,OLD-PRINT-SRV,10.99.7.12,Retired,No\n")
    kiosk, printer = fetch(path)
    assert (kiosk.id, kiosk.name, kiosk.address) == ("TAG-00123", "BLDG4-KIOSK-01",
                                                     "10.99.4.31")
    assert kiosk.fix == ("Turn auditing off for asset TAG-00123 (BLDG4-KIOSK-01, Asset ID "
                         "1187) in Track-It!, or retire it")
    assert (printer.id, printer.polled) == ("TAG-00098", False)
    assert printer.fix == ("Delete asset TAG-00098 (OLD-PRINT-SRV, Asset ID 1203) from "
                           "Track-It! inventory")


def test_empty_asset_tag_keeps_the_asset_id(tmp_path: Path) -> None:
    path = export(tmp_path, TAGGED + "1186,TAG-00122,BLDG4-KIOSK-00,10.99.4.30,Active,Yes\n"
                                     "1187,,BLDG4-KIOSK-01,10.99.4.31,Active,Yes\n"
                                     "1188,  ,BLDG4-KIOSK-02,10.99.4.32,Active,Yes\n")
    assert [(t.id, t.fix) for t in fetch(path)] == [
        ("TAG-00122", "Turn auditing off for asset TAG-00122 (BLDG4-KIOSK-00, Asset ID 1186) "
                      "in Track-It!, or retire it"),
        ("1187", "Turn auditing off for asset BLDG4-KIOSK-01 (Asset ID 1187) in Track-It!, "
                 "or retire it"),
        ("1188", "Turn auditing off for asset BLDG4-KIOSK-02 (Asset ID 1188) in Track-It!, "
                 "or retire it")]


@pytest.mark.parametrize(("header", "row", "expected_id", "expected_fix"), [
    # the tag alone identifies the asset: an export with neither name nor Asset ID
    ("Asset Tag,IP Address\n", "TAG-00123,10.99.4.31\n", "TAG-00123",
     "Turn auditing off for asset TAG-00123 in Track-It!, or retire it"),
    # a tag that equals the name is said once
    ("Asset Tag,Name,Asset ID,IP\n", "KIOSK-01,KIOSK-01,1187,10.99.4.31\n", "KIOSK-01",
     "Turn auditing off for asset KIOSK-01 (Asset ID 1187) in Track-It!, or retire it"),
    # Asset ID but no name column: the ID is labelled, never shown bare
    ("AssetTag,Asset ID,IP\n", "TAG-7,1187,10.99.4.31\n", "TAG-7",
     "Turn auditing off for asset TAG-7 (Asset ID 1187) in Track-It!, or retire it"),
])
def test_asset_tag_wording(tmp_path: Path, header: str, row: str, expected_id: str,
                           expected_fix: str) -> None:
    (target,) = fetch(export(tmp_path, header + row))
    assert (target.id, target.fix) == (expected_id, expected_fix)


def test_numeric_asset_tag_from_xlsx_is_text_without_decimals(tmp_path: Path) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["Asset Name", "Asset Tag", "IP Address", "Include in Audit"])
    book.active.append(["RVS-WS-000", 4100.0, "10.99.9.10", True])
    path = tmp_path / "assets.xlsx"
    book.save(path)
    (target,) = fetch(path)
    assert (target.id, target.fix) == (
        "4100", "Turn auditing off for asset 4100 (RVS-WS-000) in Track-It!, or retire it")


def test_host_name_column_becomes_an_alias_for_linking(tmp_path) -> None:
    from connectors.base import SourceSpec
    from connectors.sources.trackit import TrackItSource

    export = tmp_path / "assets.csv"
    export.write_text("Asset ID,Asset Name,IP Address,Host Name,Status,Include in Audit\r\n"
                      "1187,BLDG4-KIOSK-01,10.99.4.31,kiosk01.bldg4.example.net,Active,Yes\r\n"
                      "1188,BLDG4-KIOSK-02,10.99.4.32,,Active,Yes\r\n")
    targets = TrackItSource(SourceSpec(name="trackit", type="trackit",
                                       paths=(export,))).fetch()
    assert [(t.address, t.aliases) for t in targets] == [
        ("10.99.4.31", ("kiosk01.bldg4.example.net",)), ("10.99.4.32", ())]

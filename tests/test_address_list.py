"""The generic `csv` source and the table layer it shares with Track-It!."""

from __future__ import annotations

import gzip
from datetime import datetime
from pathlib import Path

import pytest

from auditor.errors import SourceError
from auditor.model import Target, ToolState
from connectors.base import SourceSpec
from connectors.shared.tables import target_address
from connectors.sources.address_list import AddressListSource


def fetch(path: Path, **options: object) -> list[Target]:
    spec = SourceSpec(name="old-nms", type="csv", paths=(path,), owner="NOC",
                      options=options, root=path.parent)
    return AddressListSource(spec).fetch()


def export(tmp_path: Path, text: str, name: str = "targets.csv") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.mark.parametrize(("status", "state"), [
    ("Up", ToolState.UP), ("OK", ToolState.UP), ("online", ToolState.UP),
    ("Active", ToolState.UP), ("DOWN", ToolState.DOWN), ("Offline", ToolState.DOWN),
    ("Unreachable", ToolState.DOWN), ("Critical", ToolState.DOWN),
    ("Disabled", ToolState.DISABLED), ("Paused", ToolState.DISABLED),
    ("Unmanaged", ToolState.UNMANAGED), ("Retired", ToolState.RETIRED),
    ("Warning", ToolState.UNKNOWN), ("", ToolState.UNKNOWN),
])
def test_state_words(tmp_path: Path, status: str, state: ToolState) -> None:
    (target,) = fetch(export(tmp_path, f"IP,Status\n10.10.0.1,{status}\n"))
    assert target.state is state


def test_only_an_address_column_is_needed(tmp_path: Path) -> None:
    (target,) = fetch(export(tmp_path, "Target\n10.10.0.1\n"))
    assert (target.address, target.id, target.name, target.polled, target.last_ok) == \
        ("10.10.0.1", "10.10.0.1", "10.10.0.1", True, None)
    assert (target.fix, target.location, target.owner) == \
        ("Remove 10.10.0.1 from old-nms", "targets.csv:2", "NOC")


def test_ip_address_column_beats_a_host_column_before_it(tmp_path: Path) -> None:
    path = export(tmp_path, "Host,IP Address,Hostname\nsw1,10.10.0.1,sw1.dc1.example.net\n")
    (target,) = fetch(path)
    assert (target.address, target.name) == ("10.10.0.1", "sw1.dc1.example.net")
    assert target.fix == "Remove sw1.dc1.example.net (10.10.0.1) from old-nms"


def test_host_column_alone_gives_host_name_targets(tmp_path: Path) -> None:
    (target,) = fetch(export(tmp_path, "Host,Last Seen\nSW1.DC1.Example.NET,2026-11-24\n"))
    assert (target.address, target.last_ok) == ("sw1.dc1.example.net", datetime(2026, 11, 24))


def test_bad_polled_value_names_line_and_column(tmp_path: Path) -> None:
    path = export(tmp_path, "Address,Monitored\n10.10.0.1,yes\n10.10.0.2,sometimes\n")
    with pytest.raises(SourceError) as info:
        fetch(path)
    assert (info.value.line, info.value.field) == (3, "Monitored")
    assert "'sometimes' is not yes/no" in str(info.value)


def test_gzipped_export(tmp_path: Path) -> None:
    path = tmp_path / "targets.csv.gz"
    path.write_bytes(gzip.compress(b"Device Name,Device IP,Enabled\nfw-1,10.30.0.1,No\n"))
    (target,) = fetch(path)
    assert (target.address, target.name, target.polled) == ("10.30.0.1", "fw-1", False)


def test_columns_override(tmp_path: Path) -> None:
    path = export(tmp_path, "Label,Primary Address,Address\ncore,10.10.0.1,Main St 5\n")
    (target,) = fetch(path, columns={"address": "Primary Address", "name": "Label"})
    assert (target.address, target.name) == ("10.10.0.1", "core")


@pytest.mark.parametrize(("text", "address"), [
    ("10.20.14.57", "10.20.14.57"),
    (" 2001:DB8::0:1 ", "2001:db8::1"),
    ("[fe80::1%eth0]", "fe80::1"),
    ("Core-SW1.example.net.", "core-sw1.example.net"),
    ("FIN_PC_017", "fin_pc_017"),
    ("", None), ("N/A", None), ("-", None), ("0.0.0.0", None), ("::", None),
])
def test_target_address(text: str, address: str | None) -> None:
    assert target_address(text) == address


@pytest.mark.parametrize("text", ["10.20.14", "192.1682.2.2", "10.1", "see notes",
                                  "-bad-.example.com"])
def test_target_address_rejects_garbage(text: str) -> None:
    with pytest.raises(ValueError, match="neither an IP address nor a host name"):
        target_address(text)


@pytest.mark.parametrize("text", ["", "\n\n"])
def test_empty_export_says_so(tmp_path: Path, text: str) -> None:
    with pytest.raises(SourceError, match="targets.csv: the export is empty"):
        fetch(export(tmp_path, text))

"""The prefix-list network source: IPAM CSV/XLSX tables and plain one-prefix-a-line text."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.errors import ConfigError, SourceError
from auditor.model import Network
from connectors import lookup
from connectors.base import SourceSpec
from connectors.networks.prefix_list import PrefixListSource


def _fetch(tmp_path: Path, text: str, name: str = "prefixes.csv",
           **options: object) -> list[Network]:
    path = tmp_path / name
    path.write_text(text)
    spec = SourceSpec(name="ipam", type="prefix-list", paths=(path,), options=options,
                      root=tmp_path)
    return PrefixListSource(spec).fetch()


def _rows(networks: list[Network]) -> list[tuple[str, str, str, str]]:
    return [(n.prefix, str(n.status), n.location, n.description) for n in networks]


def test_registry_and_options() -> None:
    assert lookup("networks", "prefix-list") is PrefixListSource
    assert PrefixListSource.options == frozenset({"columns", "sheet"})


def test_unknown_column_field_is_a_config_error_before_any_io(tmp_path: Path) -> None:
    spec = SourceSpec(name="ipam", type="prefix-list", paths=(tmp_path / "absent.csv",),
                      options={"columns": {"network": "Block"}})
    with pytest.raises(ConfigError, match="columns: unknown field network; valid: "
                                          "description, mask, prefix, status, vrf"):
        PrefixListSource(spec)


@pytest.mark.parametrize(("label", "status"), [
    ("Active", "active"), ("Reserved", "active"), ("", "active"),
    ("Deprecated", "deprecated"), ("retired", "deprecated"), ("DECOMMISSIONED", "deprecated"),
    ("Container", "container"),
])
def test_status_labels(tmp_path: Path, label: str, status: str) -> None:
    networks = _fetch(tmp_path, f"Prefix,Status\n10.99.0.0/16,{label}\n")
    assert [(n.prefix, str(n.status)) for n in networks] == [("10.99.0.0/16", status)]


def test_network_and_mask_columns(tmp_path: Path) -> None:
    networks = _fetch(tmp_path, (
        "Subnet,Netmask,Description\n"
        "10.40.0.0,255.255.252.0,DC2 servers\n"
        "10.41.0.0,16,lab\n"
        "10.42.0.0/24,255.255.0.0,its own length wins\n"
        "10.43.1.7,,single host\n"))
    assert _rows(networks) == [
        ("10.40.0.0/22", "active", "prefixes.csv:2", "DC2 servers"),
        ("10.41.0.0/16", "active", "prefixes.csv:3", "lab"),
        ("10.42.0.0/24", "active", "prefixes.csv:4", "its own length wins"),
        ("10.43.1.7/32", "active", "prefixes.csv:5", "single host"),
    ]


def test_vrf_is_named_in_the_description_unless_global(tmp_path: Path) -> None:
    networks = _fetch(tmp_path, (
        "Prefix,VRF,Description\n"
        "10.30.0.0/24,MGMT,DC1 fabric mgmt\n"
        "10.31.0.0/24,MGMT,\n"
        "10.32.0.0/24,Global,core\n"))
    assert [n.description for n in networks] == [
        "DC1 fabric mgmt (vrf MGMT)", "vrf MGMT", "core"]


def test_columns_override_maps_an_unusual_header(tmp_path: Path) -> None:
    networks = _fetch(tmp_path, "Block;State;Notes\n10.50.0.0/16;Retired;old WAN\n",
                      columns={"prefix": "Block", "status": "State", "description": "Notes"})
    assert _rows(networks) == [("10.50.0.0/16", "deprecated", "prefixes.csv:2", "old WAN")]


def test_bad_prefix_cell_names_line_and_field(tmp_path: Path) -> None:
    with pytest.raises(SourceError) as info:
        _fetch(tmp_path, "Network,Mask\n10.1.0.0,255.255.0.0\n10.2.0.0,255.0.255.0\n")
    assert "prefixes.csv line 3, field 'Network': not a prefix: '10.2.0.0 255.0.255.0'" \
        in str(info.value)


def test_unknown_status_names_line_and_field(tmp_path: Path) -> None:
    with pytest.raises(SourceError) as info:
        _fetch(tmp_path, "Prefix,Status\n10.1.0.0/16,Active\n10.2.0.0/16,Gone-ish\n")
    assert "prefixes.csv line 3, field 'Status': unknown status 'Gone-ish'" in str(info.value)


def test_table_without_prefix_column_lists_headers(tmp_path: Path) -> None:
    with pytest.raises(SourceError) as info:
        _fetch(tmp_path, "Name,Owner\nDC1,NetOps\n")
    message = str(info.value)
    assert "prefixes.csv line 1: no column for prefix" in message
    assert "headers found: Name, Owner" in message


def test_plain_text_forms(tmp_path: Path) -> None:
    networks = _fetch(tmp_path, (
        "# live networks\n"
        "\n"
        "10.10.0.0/16 DC1 servers\n"
        "10.20.0.0 255.255.0.0\n"
        "10.1.2.3/16   # host bits cleared\n"
        "2001:db8::1\n"), name="live.txt")
    assert _rows(networks) == [
        ("10.10.0.0/16", "active", "live.txt:3", "DC1 servers"),
        ("10.20.0.0/16", "active", "live.txt:4", ""),
        ("10.1.0.0/16", "active", "live.txt:5", "host bits cleared"),
        ("2001:db8::1/128", "active", "live.txt:6", ""),
    ]


def test_plain_text_is_detected_from_content_not_suffix(tmp_path: Path) -> None:
    networks = _fetch(tmp_path, "10.10.0.0/16\n10.20.0.0/16\n", name="prefixes.csv")
    assert [n.prefix for n in networks] == ["10.10.0.0/16", "10.20.0.0/16"]


def test_plain_text_range_is_not_taken_for_an_address(tmp_path: Path) -> None:
    with pytest.raises(SourceError) as info:
        _fetch(tmp_path, "10.10.0.0/16\n10.40.0.0 - 10.40.3.255\n", name="live.txt")
    assert "live.txt line 2: not a prefix: '10.40.0.0 - 10.40.3.255'" in str(info.value)


def test_every_path_is_read(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("10.10.0.0/16\n")
    (tmp_path / "b.csv").write_text("Prefix,Status\n10.99.0.0/16,Deprecated\n")
    spec = SourceSpec(name="ipam", type="prefix-list",
                      paths=(tmp_path / "a.txt", tmp_path / "b.csv"), root=tmp_path)
    assert _rows(PrefixListSource(spec).fetch()) == [
        ("10.10.0.0/16", "active", "a.txt:1", ""),
        ("10.99.0.0/16", "deprecated", "b.csv:2", ""),
    ]


def test_missing_file_is_a_source_error(tmp_path: Path) -> None:
    spec = SourceSpec(name="ipam", type="prefix-list", paths=(tmp_path / "nope.csv",))
    with pytest.raises(SourceError, match="nope.csv: cannot read"):
        PrefixListSource(spec).fetch()

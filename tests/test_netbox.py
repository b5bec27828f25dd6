"""Saved IPAM API pages, read in place from the reference examples."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from auditor.errors import SourceError
from auditor.model import Network
from connectors.base import SourceSpec
from connectors.networks.netbox import NetboxSource
from connectors.networks.prefix_list import PrefixListSource
from tests.conftest import EXAMPLES, need_shared


def test_reference_netbox_pages_via_netbox_and_prefix_list() -> None:
    pages = (need_shared(EXAMPLES / "netbox-prefixes-page1.json"),
             EXAMPLES / "netbox-prefixes-page2.json")
    expected = [("10.0.0.0/8", "container"), ("10.10.0.0/16", "active"),
                ("10.20.0.0/16", "active"), ("10.30.0.0/24", "active"),
                ("10.99.0.0/16", "deprecated")]
    for cls, kind in ((NetboxSource, "netbox"), (PrefixListSource, "prefix-list")):
        nets = cls(SourceSpec("ipam", kind, pages)).fetch()
        assert [(n.prefix, str(n.status)) for n in nets] == expected
    mgmt = NetboxSource(SourceSpec("ipam", "netbox", pages)).fetch()[3]
    assert mgmt.description == "DC1 fabric mgmt (vrf MGMT)"


def test_reference_infoblox_pages() -> None:
    pages = (need_shared(EXAMPLES / "infoblox-networks-page1.json"),
             EXAMPLES / "infoblox-networks-page2.json")
    nets = NetboxSource(SourceSpec("ib", "netbox", pages)).fetch()
    assert [(n.prefix, str(n.status), n.description) for n in nets] == [
        ("10.10.0.0/16", "active", "DC1 server/infra"), ("10.20.0.0/16", "active", "HQ user LANs"),
        ("10.30.0.0/24", "active", "DC1 fabric mgmt")]


def _both(tmp_path: Path, word: str) -> tuple[list[Network], list[Network]]:
    """One prefix with status `word`, read as a NetBox page and as a prefix-list CSV."""
    page = tmp_path / "page.json"
    page.write_text(json.dumps({"results": [
        {"prefix": "10.45.0.0/16", "status": {"value": word}}]}))
    table = tmp_path / "prefixes.csv"
    table.write_text(f"Prefix,Status\n10.45.0.0/16,{word}\n")
    return (NetboxSource(SourceSpec("ipam", "netbox", (page,))).fetch(),
            PrefixListSource(SourceSpec("ipam", "prefix-list", (table,))).fetch())


#: SPEC: `Deprecated`/`Retired` means gone and `Container` is only an aggregate. NetBox pages
#: used to reject `decommissioned`/`decommissioning`, which the prefix list read as gone.
@pytest.mark.parametrize(("word", "status"), [
    ("active", "active"), ("Reserved", "active"), ("deprecated", "deprecated"),
    ("Retired", "deprecated"), ("decommissioned", "deprecated"),
    ("Decommissioning", "deprecated"), ("container", "container"),
])
def test_netbox_and_prefix_list_read_status_words_alike(tmp_path: Path, word: str,
                                                        status: str) -> None:
    for networks in _both(tmp_path, word):
        assert [(n.prefix, str(n.status)) for n in networks] == [("10.45.0.0/16", status)]


def test_unknown_status_lists_the_same_valid_words(tmp_path: Path) -> None:
    valid = "valid: Active, Reserved, Deprecated, Retired, Decommissioned, Decommissioning, " \
        "Container"
    page = tmp_path / "page.json"
    page.write_text('{"results": [{"prefix": "10.45.0.0/16", "status": {"value": "planned"}}]}')
    table = tmp_path / "prefixes.csv"
    table.write_text("Prefix,Status\n10.45.0.0/16,Planned\n")
    with pytest.raises(SourceError) as netbox:
        NetboxSource(SourceSpec("ipam", "netbox", (page,))).fetch()
    with pytest.raises(SourceError) as listed:
        PrefixListSource(SourceSpec("ipam", "prefix-list", (table,))).fetch()
    assert str(netbox.value).endswith(
        f"field 'status': prefix 10.45.0.0/16: unknown status 'planned'; {valid}")
    assert str(listed.value).endswith(
        f"line 2, field 'Status': unknown status 'Planned'; {valid}")

"""Saved IPAM API pages, read in place from the reference examples."""

from __future__ import annotations

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

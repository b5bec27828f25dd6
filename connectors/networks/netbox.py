"""Saved IPAM API pages: NetBox `/api/ipam/prefixes/` (also Infoblox WAPI and phpIPAM bodies).

Each file is one page as the API returned it (`{"count", "next", "results": [...]}`); pass
every page as `paths`. NetBox's `status.value` says what the prefix is, read by
`ipam_status`: `deprecated` means gone, `container` is only an aggregate. Infoblox
`network`/`networkcontainer` and phpIPAM `subnet`+`mask` bodies are read the same way, so
a saved page of either works too.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from auditor.addresses import canonical_prefix
from auditor.errors import SourceError
from auditor.model import Network, NetworkStatus
from connectors.base import NetworkSource
from connectors.networks.ipam_status import network_status
from connectors.shared.bodies import BodyShape, body_items


class NetboxSource(NetworkSource):
    """Prefixes from saved NetBox API pages (or Infoblox / phpIPAM JSON)."""

    type = "netbox"

    def fetch(self) -> list[Network]:
        networks: list[Network] = []
        for path in self.spec.paths:
            networks += self.parse(self.io.read_json(path), path)
        return networks

    def parse(self, body: Any, origin: Path | str) -> list[Network]:
        """Every prefix of one API page (NetBox, Infoblox or phpIPAM), saved or fetched."""
        return ipam_networks(body, self.spec.name, self.spec.where(origin), origin)


#: NetBox pages hold `results`, Infoblox `result`, phpIPAM `data`; errors `detail`/`Error`.
_PAGE = BodyShape("a NetBox page with 'results', an Infoblox 'result' or a phpIPAM 'data' "
                  "list", ("results", "result", "data"), ("detail", "Error"),
                  field="results")


def ipam_networks(body: Any, source: str, location: str, path: Path | str) -> list[Network]:
    """Every prefix in one IPAM API page."""
    networks = []
    for number, item in enumerate(body_items(body, _PAGE, path), start=1):
        prefix, status = _prefix_and_status(item, number, path)
        if prefix is None:
            continue
        networks.append(Network(prefix=prefix, source=source, status=status,
                                location=location, description=_description(item)))
    return networks


def _prefix_and_status(item: dict[str, Any], number: int,
                       path: Path | str) -> tuple[str | None, NetworkStatus]:
    if "prefix" in item:  # NetBox
        raw = item.get("prefix")
        status_value = item.get("status")
        if isinstance(status_value, dict):
            status_value = status_value.get("value")
        try:
            status = network_status(str(status_value or "active"))
        except ValueError as exc:
            raise SourceError(f"prefix {raw}: {exc}", path=path, field="status") from None
    elif "network" in item:  # Infoblox
        raw = item.get("network")
        ref = str(item.get("_ref", ""))
        status = NetworkStatus.CONTAINER if ref.startswith(("networkcontainer",
                                                            "ipv6networkcontainer")) \
            else NetworkStatus.ACTIVE
    elif "subnet" in item:  # phpIPAM
        if str(item.get("isFolder", "0")) == "1":
            return None, NetworkStatus.CONTAINER
        raw = f"{item.get('subnet')}/{item.get('mask')}"
        status = NetworkStatus.ACTIVE
    else:
        raise SourceError(f"result #{number} has no prefix, network or subnet", path=path,
                          field="prefix")
    prefix = canonical_prefix(str(raw or ""))
    if prefix is None:
        raise SourceError(f"result #{number}: {raw!r} is not a prefix", path=path,
                          field="prefix")
    return prefix, status


def _description(item: dict[str, Any]) -> str:
    text = str(item.get("description") or item.get("comment") or "")
    vrf = item.get("vrf") or item.get("network_view")
    if isinstance(vrf, dict):
        vrf = vrf.get("name")
    if vrf and str(vrf) not in ("default", "Global"):
        text = f"{text} (vrf {vrf})".strip()
    return text

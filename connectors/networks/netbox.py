"""Saved IPAM API pages: NetBox `/api/ipam/prefixes/` (also Infoblox WAPI and phpIPAM bodies).

Each file is one page as the API returned it (`{"count", "next", "results": [...]}`); pass
every page as `paths`. NetBox's `status.value` says what the prefix is: `deprecated` means
gone, `container` is only an aggregate. Infoblox `network`/`networkcontainer` and phpIPAM
`subnet`+`mask` bodies are read the same way, so a saved page of either works too.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from auditor.addresses import canonical_prefix
from auditor.errors import SourceError
from auditor.model import Network, NetworkStatus
from connectors.base import NetworkSource
from connectors.shared.files import read_json

STATUS_VALUES: dict[str, NetworkStatus] = {
    "active": NetworkStatus.ACTIVE,
    "reserved": NetworkStatus.ACTIVE,
    "deprecated": NetworkStatus.DEPRECATED,
    "retired": NetworkStatus.DEPRECATED,
    "container": NetworkStatus.CONTAINER,
}


class NetboxSource(NetworkSource):
    """Prefixes from saved NetBox API pages (or Infoblox / phpIPAM JSON)."""

    type = "netbox"

    def fetch(self) -> list[Network]:
        networks: list[Network] = []
        for path in self.spec.paths:
            networks += read_ipam_json(path, self.spec.name, self.spec.where(path))
        return networks


def read_ipam_json(path: Path, source: str, location: str) -> list[Network]:
    """Every prefix in one saved IPAM API page."""
    body = read_json(path)
    items = _items(body, path)
    networks = []
    for number, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            raise SourceError(f"result #{number} is not an object", path=path)
        prefix, status = _prefix_and_status(item, number, path)
        if prefix is None:
            continue
        networks.append(Network(prefix=prefix, source=source, status=status,
                                location=location, description=_description(item)))
    return networks


def _items(body: Any, path: Path) -> list[Any]:
    if isinstance(body, list):
        return body
    if isinstance(body, dict):
        for key in ("results", "result", "data"):
            if isinstance(body.get(key), list):
                return list(body[key])
        if "detail" in body or "Error" in body:
            raise SourceError(f"the saved page is an API error: "
                              f"{body.get('detail') or body.get('Error')}", path=path)
    raise SourceError("no results list (expected a NetBox page with 'results', an Infoblox "
                      "'result' or a phpIPAM 'data' list)", path=path, field="results")


def _prefix_and_status(item: dict[str, Any], number: int,
                       path: Path) -> tuple[str | None, NetworkStatus]:
    if "prefix" in item:  # NetBox
        raw = item.get("prefix")
        status_value = item.get("status")
        if isinstance(status_value, dict):
            status_value = status_value.get("value")
        word = str(status_value or "active").lower()
        if word not in STATUS_VALUES:
            raise SourceError(f"prefix {raw}: unknown status {word!r}; known: "
                              f"{', '.join(sorted(STATUS_VALUES))}", path=path,
                              field="status")
        status = STATUS_VALUES[word]
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

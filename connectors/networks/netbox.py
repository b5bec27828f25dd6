"""Saved IPAM API pages: NetBox `/api/ipam/prefixes/` (also Infoblox WAPI and phpIPAM bodies).

Each file is one page as the API returned it (`{"count", "next", "results": [...]}`); pass
every page as `paths`. NetBox's `status.value` says what the prefix is, read by
`ipam_status`: `deprecated` means gone, `container` is only an aggregate. Infoblox
`network`/`networkcontainer` and phpIPAM `subnet`+`mask` bodies are read the same way, so
a saved page of either works too.

With `url = "https://netbox.example"` the pages are fetched live: `GET
/api/ipam/prefixes/?limit=1000` (`page_size`) with `Authorization: Token <token>` (the token
from `token_env`; `token_scheme = "Bearer"` for NetBox v2 tokens), following `next` until it
is null. Each page goes to the same `parse` as a saved page, so status and VRF read alike.
A `next` link is re-based onto the configured URL: a NetBox behind a reverse proxy often
writes its own `http://netbox:8080/...` links, and the token must go nowhere else.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from auditor.addresses import canonical_prefix
from auditor.errors import ConfigError, SourceError
from auditor.model import Network, NetworkStatus
from connectors.base import NetworkSource, SourceSpec
from connectors.networks.ipam_status import network_status
from connectors.shared.bodies import BodyShape, body_items
from connectors.shared.inputs import Inputs

if TYPE_CHECKING:  # requests loads only when an API is read
    from connectors.shared.http import Call

#: The prefix list, below the server's base URL.
PREFIXES = "/api/ipam/prefixes/"
#: Prefixes per page unless the source sets `page_size` (NetBox's MAX_PAGE_SIZE default).
PAGE_SIZE = 1000


class NetboxSource(NetworkSource):
    """Prefixes from NetBox API pages, saved or live (or saved Infoblox / phpIPAM JSON)."""

    type = "netbox"
    api = True
    api_options = frozenset({"token_env", "token_scheme", "page_size"})

    def __init__(self, spec: SourceSpec, *, clock: datetime | None = None,
                 io: Inputs | None = None) -> None:
        super().__init__(spec, clock=clock, io=io)
        self.require_api_keys("token_env", why="the NetBox API token")
        self.scheme = str(spec.options.get("token_scheme", "Token"))
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9._-]*", self.scheme):
            raise ConfigError(f"token_scheme must be one word such as Token or Bearer, not "
                              f"{self.scheme!r}")
        self.page_size = int(spec.options.get("page_size", PAGE_SIZE))

    def fetch(self) -> list[Network]:
        if self.spec.live:
            return self.fetch_api()
        networks: list[Network] = []
        for path in self.spec.paths:
            networks += self.parse(self.io.read_json(path), path)
        return networks

    def parse(self, body: Any, origin: Path | str) -> list[Network]:
        """Every prefix of one API page (NetBox, Infoblox or phpIPAM), saved or fetched."""
        return ipam_networks(body, self.spec.name, self.spec.where(origin), origin)

    def fetch_api(self) -> list[Network]:
        """Every page of `/api/ipam/prefixes/`, each read as a saved page is."""
        from connectors.shared.http import Call

        with self.io.http(self.spec, api_roots=("/api/",)) as client:
            token = client.secret("token_env")
            client.auth = client.header_auth("Authorization", f"{self.scheme} {token}")

            def follow(body: Any, call: Call) -> Call | None:
                link = body.get("next") if isinstance(body, dict) else None
                if link is None:
                    return None
                if not isinstance(link, str) or not link.strip():
                    raise SourceError(f"'next' is {link!r}, not a URL or null",
                                      path=client.shown(call.url), field="next")
                return Call("GET", client.rebase(link))

            first = Call("GET", client.url(PREFIXES) + "?" + urlencode({"limit": self.page_size}))
            networks: list[Network] = []
            for call, page in client.pages(first, follow):
                networks += self.parse(page, client.shown(call.url))
            return networks


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

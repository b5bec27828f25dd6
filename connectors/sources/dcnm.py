"""Cisco DCNM 11 / NDFC 12 switch inventory: the JSON array of `inventory/switches`.

DCNM discovers a switch once and then polls it over SNMP for as long as it stays in the
inventory, reachable or not. A switch removed from the network without being deleted from
DCNM is exactly the seed story's stale target: `managable` false, `unmanagableCause`
"Unreachable", `lastScanTime` frozen, and SNMP from the DCNM host every cycle.

With `url = "https://dcnm.example"` the same array is fetched live, credentials from
`username_env`/`password_env`, and handed to the same `parse`:

- DCNM 11 (`api = "dcnm11"`): `POST /rest/logon` with HTTP Basic and
  `{"expirationTime": ...}` answers `{"Dcnm-Token": ...}`; that header goes on
  `GET /rest/inventory/switches`.
- NDFC 12 (`api = "ndfc"`): `POST /login` with `{"userName", "userPasswd", "domain"}`
  (`domain`, "local" by default) answers `token`; `Authorization: Bearer <token>` goes on
  `GET /appcenter/cisco/ndfc/api/v1/lan-fabric/rest/inventory/allswitches`.
- `api = "auto"` (the default) tries NDFC's `/login` first (the current product), then
  DCNM 11's `/rest/logon` when the first answers 404/405 or not with a token. A 401 or
  403 ends it there: trying a second logon with a wrong password only locks the account
  sooner.

A token that expires mid-run (401 on the inventory call) is renewed by one new logon; the
session is logged out at the end (best effort: a failed logout is not the audit's problem).
"""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from auditor.addresses import canonical_host, canonical_ip
from auditor.errors import ConfigError, SourceError
from auditor.model import Target, ToolState
from connectors.base import SourceSpec, TargetSource
from connectors.shared.bodies import BodyShape, body_items
from connectors.shared.inputs import Inputs
from connectors.shared.values import cell_text, epoch_ms, parse_bool

if TYPE_CHECKING:  # requests loads only when an API is read
    from requests.auth import AuthBase

    from connectors.shared.http import HttpClient, HttpError

#: Keys only NDFC (12.x) adds to the DCNM 11 switch object: they decide the product name
#: in the fix text, since the same words must match what the owner sees on screen.
_NDFC_KEYS = frozenset({"fabricTechnology", "swUUID", "systemMode", "swUUIDId"})

#: Wrappers some clients and saved pages put around the array.
_WRAPPER_KEYS = ("switches", "results", "data", "items")
_SWITCHES = BodyShape("the JSON array of inventory/switches", _WRAPPER_KEYS,
                      ("message", "error"), item="switch")




@dataclass(frozen=True, slots=True)
class _Api:
    """How one product is logged on to and read."""

    name: str
    logon: str
    inventory: str
    logout: str
    token_keys: tuple[str, ...]
    """Where the logon answer keeps the token, first match wins."""


DCNM11 = _Api("DCNM 11", "/rest/logon", "/rest/inventory/switches", "/rest/logout",
              ("Dcnm-Token",))
NDFC = _Api("NDFC", "/login",
            "/appcenter/cisco/ndfc/api/v1/lan-fabric/rest/inventory/allswitches",
            "/logout", ("token", "jwttoken"))
#: `api` option -> the products tried, in order.
APIS: dict[str, tuple[_Api, ...]] = {"auto": (NDFC, DCNM11), "dcnm11": (DCNM11,),
                                     "ndfc": (NDFC,)}
#: DCNM 11 token lifetime asked for at logon, in milliseconds (as Cisco's samples do).
TOKEN_LIFETIME_MS = 999999
#: Path starts cut off a user's URL to find the server's base.
_API_ROOTS = ("/rest/", "/appcenter/", "/login")


class DcnmSource(TargetSource):
    """Switches from a saved DCNM 11 or NDFC inventory response, or from the API itself."""

    type = "cisco-dcnm"
    api = True
    api_options = frozenset({"username_env", "password_env", "api", "domain"})

    def __init__(self, spec: SourceSpec, *, clock: datetime | None = None,
                 io: Inputs | None = None) -> None:
        super().__init__(spec, clock=clock, io=io)
        self.require_api_keys("username_env", "password_env",
                              why="the DCNM/NDFC account and its password")
        choice = spec.options.get("api", "auto")
        if choice not in APIS:
            raise ConfigError(f"api must be one of {', '.join(sorted(APIS))}, not {choice!r}")
        self.apis = APIS[choice]
        self.domain = str(spec.options.get("domain", "local"))

    def fetch(self) -> list[Target]:
        if self.spec.live:
            return self.fetch_api()
        targets: list[Target] = []
        for path in self.spec.paths:
            targets += self.parse(self.io.read_json(path), path)
        return targets

    def parse(self, body: Any, origin: Path | str) -> list[Target]:
        """Targets from an inventory/switches answer (DCNM 11 or NDFC), saved or fetched."""
        switches = body_items(body, _SWITCHES, origin)
        product = "NDFC" if any(_NDFC_KEYS & s.keys() for s in switches) else "DCNM"
        return [self._target(origin, index, s, product) for index, s in enumerate(switches)]

    def fetch_api(self) -> list[Target]:
        """Log on, read the inventory (renewing an expired token once), log out."""
        from connectors.shared.http import Call, HttpError

        with self.io.http(self.spec, api_roots=_API_ROOTS) as client:
            api, auth = self._logon_any(client)
            url = client.url(api.inventory)
            try:
                try:
                    body = client.json(Call("GET", url), auth=auth)
                except HttpError as exc:
                    if exc.status != 401:
                        raise
                    auth = self._logon(client, api)  # the token expired: once more
                    body = client.json(Call("GET", url), auth=auth)
            finally:
                with suppress(SourceError):  # a failed logout is not the audit's problem
                    client.send(Call("POST", client.url(api.logout)), auth=auth, retries=0)
            return self.parse(body, client.shown(url))

    def _logon_any(self, client: HttpClient) -> tuple[_Api, AuthBase]:
        """Log on to the first product in `self.apis` that answers like itself."""
        from connectors.shared.http import HttpError

        tried: list[tuple[_Api, HttpError]] = []
        for api in self.apis:
            try:
                return api, self._logon(client, api)
            except HttpError as exc:
                if len(self.apis) == 1:
                    raise
                if exc.status in (401, 403) and not tried:
                    others = [a for a in APIS if a != "auto" and APIS[a] != (api,)]
                    raise HttpError(f"{exc} (read as {api.name}; if the server is another "
                                    f"product, set api = \"{others[0]}\")",
                                    status=exc.status, reason=exc.reason) from None
                if exc.status in (401, 403) or not (exc.bad_body or
                                                    exc.status in (404, 405, 501)):
                    raise
                tried.append((api, exc))
        said = "; ".join(f"{api.name} POST {api.logon}: {exc.reason}" for api, exc in tried)
        raise HttpError(f"{client.label}, {client.shown(client.base)}: answers as none of "
                        f"{', '.join(a.name for a in self.apis)} ({said}); check url, or set "
                        f"api = {' or '.join(repr(a) for a in sorted(APIS) if a != 'auto')}",
                        bad_body=True)

    def _logon(self, client: HttpClient, api: _Api) -> AuthBase:
        """One logon; returns the credential header the data calls carry."""
        from connectors.shared.http import Call, HttpError

        url = client.url(api.logon)
        if api is DCNM11:
            answer = client.json(Call("POST", url, {"expirationTime": TOKEN_LIFETIME_MS}),
                                 auth=client.basic_auth())
        else:
            answer = client.json(Call("POST", url, {
                "userName": client.secret("username_env"),
                "userPasswd": client.secret("password_env"), "domain": self.domain}))
        token = next((answer[k] for k in api.token_keys if isinstance(answer, dict)
                      and isinstance(answer.get(k), str) and answer[k]), None)
        if token is None:
            keys = ", ".join(sorted(answer)) if isinstance(answer, dict) else \
                type(answer).__name__
            reason = (f"the logon answer has no {' or '.join(repr(k) for k in api.token_keys)}"
                      f" (got: {keys or 'an empty object'})")
            raise HttpError(f"{client.label}, POST {client.shown(url)}: {reason}",
                            reason=reason, bad_body=True)
        if api is DCNM11:
            return client.header_auth("Dcnm-Token", token)
        return client.header_auth("Authorization", f"Bearer {token}")

    def _target(self, path: Path | str, index: int, switch: dict[str, Any],
                product: str) -> Target:
        serial = cell_text(switch.get("serialNumber"))
        switch_id = cell_text(switch.get("switchDbID")) or serial
        if not switch_id:
            raise SourceError(f"switch #{index + 1} has neither switchDbID nor serialNumber",
                              path=path, field="switchDbID")
        name = (cell_text(switch.get("logicalName")) or cell_text(switch.get("hostName"))
                or switch_id)
        label = f"switch {name} (switchDbID {switch_id})"
        if "ipAddress" not in switch:
            raise SourceError(f"{label} has no ipAddress", path=path, field="ipAddress")
        ip_text = cell_text(switch.get("ipAddress"))
        # Some releases print the management address with its prefix length.
        address = canonical_ip(ip_text.split("/", 1)[0])
        if address is None:
            raise SourceError(f"{label}: {ip_text!r} is not an IP address", path=path,
                              field="ipAddress")
        scanned = _scan_time(switch, label, path)
        return Target(
            address=address, source=self.spec.name, kind=self.type, id=switch_id, name=name,
            # Polled whatever its state: DCNM keeps SNMP-polling every switch in its
            # inventory, unmanageable ones included (they are retried, which is the traffic
            # this audit is after), and Maintenance/Migration mode only isolates the switch
            # from fabric traffic. Only deleting the switch stops the polling.
            polled=True, state=_state(switch, label, path), last_ok=scanned, seen=scanned,
            poller=self.spec.poller, location=self.spec.where(path), owner=self.spec.owner,
            fix=_fix(name, serial, cell_text(switch.get("fabricName")), product),
            protocol="udp", port=161,
            aliases=tuple(dict.fromkeys(
                host for key in ("logicalName", "hostName", "sysName")
                if (host := canonical_host(cell_text(switch.get(key))))
                and canonical_ip(host) is None)))


def _state(switch: dict[str, Any], label: str, path: Path | str) -> ToolState:
    managable = parse_bool(switch.get("managable"))
    if "managable" in switch and managable is None:
        raise SourceError(f"{label}: managable is {switch['managable']!r}", path=path,
                          field="managable")
    status = cell_text(switch.get("status")).lower()
    if managable is False or cell_text(switch.get("unmanagableCause")) or \
            (status and status != "ok"):
        return ToolState.DOWN
    if status == "ok":
        return ToolState.UP
    return ToolState.UNKNOWN


def _scan_time(switch: dict[str, Any], label: str, path: Path | str) -> datetime | None:
    try:
        return epoch_ms(switch.get("lastScanTime"))
    except (TypeError, ValueError, OverflowError, OSError) as exc:
        raise SourceError(f"{label}: lastScanTime {switch.get('lastScanTime')!r} is not "
                          "epoch milliseconds", path=path, field="lastScanTime") from exc


def _fix(name: str, serial: str, fabric: str, product: str) -> str:
    text = f"Delete switch {name}"
    if serial:
        text += f" (serial {serial})"
    if fabric:
        text += f" from fabric {fabric}"
    return f"{text} in {product}"


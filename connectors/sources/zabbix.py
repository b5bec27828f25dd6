"""Zabbix hosts: the JSON-RPC answer of `host.get` with `selectInterfaces`.

The body is saved whole (`{"jsonrpc": "2.0", "result": [...], "id": 1}`) or fetched live
(below); an error answer (`{"error": {"code", "message", "data"}}`) is a `SourceError`
quoting it. Every value is a string. A host polls through its interfaces:
type 1 agent (TCP, 10050 by default), 2 SNMP (UDP, 161), 3 IPMI (UDP, 623), 4 JMX (TCP);
`useip` "1" means the `ip`, "0" the `dns` name (a name-only record, linked by name like
those of other tools). One record per interface.

Which interfaces poll: Zabbix polls through the main interface of each type; an item may
be bound to a non-main one, which `host.get` does not say. A non-main interface is a record
either way, polled only when its availability shows that something polls it (1 or 2, set
by the pollers; 0 "unknown" when nothing ever did).

State: `status` "1" (not monitored) stops all polling: not polled, disabled. Otherwise the
interface's `available` (5.4+), or on 5.0 the host's `available` / `snmp_available` /
`ipmi_available` / `jmx_available` for the interface's type: 1 up, 2 down, 0 unknown. A down
interface's `errors_from` (when it stopped answering) stands for its last success; Zabbix
keeps no other date in `host.get`, so the record has no `seen`.

Poller: the option `poller` (the Zabbix server), except for hosts monitored by a proxy
(`proxy_hostid` up to 6.4, `proxyid`/`monitored_by` from 7.0), whose packets come from the
proxy: their poller is unknown (the fix names the proxy). SNMP communities and v3 secrets
(interface `details`) are never read.

Live: `url` is the frontend's URL (`https://zabbix.example/zabbix`); every call is a
JSON-RPC `POST {url}/api_jsonrpc.php`. `apiinfo.version` (which takes no credentials) says
which fields `host.get` is asked for (5.0's host-level availability, 7.0's `proxyid` and
`monitored_by`; never the interface `details`, where the communities are). Credentials:

- `token_env`: an API token (5.4+), used as it is; a refused one fails the source.
- `username_env` + `password_env`: `user.login` gives a session id. The parameter is
  `username` from 5.4 and `user` before: `username` is sent first, and `user` only when
  Zabbix answers "Invalid params." naming `username` as an unexpected parameter (a wrong
  password is "Invalid params." too, and is never tried twice). A session that ends
  mid-run ("Session terminated, re-login, please.", "Not authorised.") is renewed by one
  new login; the session is logged out (`user.logout`) at the end, best effort.

`auth` says how the token or session id travels: `"bearer"` in an `Authorization: Bearer`
header (6.4+; the only way from 7.2), `"field"` as the request's `auth` member (up to 6.2;
deprecated from 6.4, removed in 7.2), `"auto"` (the default) by the version: bearer from
6.4. A JSON-RPC error is a `SourceError` naming the source, the URL, the method and the
API's own code, message and data.
"""

from __future__ import annotations

import itertools
import re
from contextlib import suppress
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from auditor.addresses import canonical_host, canonical_ip
from auditor.errors import ConfigError, SourceError
from auditor.model import Target, ToolState
from connectors.base import JsonBodySource, SkippedLine, SourceSpec
from connectors.shared.bodies import BodyShape, body_items
from connectors.shared.hosts import host_names
from connectors.shared.inputs import Inputs
from connectors.shared.values import cell_text, epoch_ms
from connectors.sources.snmp.common import is_remote

if TYPE_CHECKING:  # requests loads only when an API is read
    from requests.auth import AuthBase

    from connectors.shared.http import HttpClient

#: Interface type -> (what it is called in Zabbix, protocol, default port).
INTERFACE_TYPES: dict[str, tuple[str, str, int]] = {
    "1": ("agent", "tcp", 10050),
    "2": ("SNMP", "udp", 161),
    "3": ("IPMI", "udp", 623),
    "4": ("JMX", "tcp", 12345),
}

#: Zabbix 5.0 host-level availability, per interface type.
_HOST_AVAILABLE = {"1": "available", "2": "snmp_available", "3": "ipmi_available",
                   "4": "jmx_available"}
_HOST_ERRORS_FROM = {"1": "errors_from", "2": "snmp_errors_from", "3": "ipmi_errors_from",
                     "4": "jmx_errors_from"}

_STATES = {"1": ToolState.UP, "2": ToolState.DOWN}

_HOSTS = BodyShape("a Zabbix host.get answer", ("result",), (), item="host", field="result")

#: The JSON-RPC endpoint, below the frontend's URL.
API_PATH = "/api_jsonrpc.php"
#: Values of the `auth` option: how a token or session id is sent.
AUTH_CHOICES = ("auto", "bearer", "field")
#: The first version that takes `Authorization: Bearer` (and deprecates the `auth` member).
BEARER_SINCE = (6, 4)
#: JSON-RPC "Invalid params.": a bad parameter, a wrong password and an ended session alike.
INVALID_PARAMS = -32602
#: What Zabbix says when a session id is no longer valid (5.x to 7.x wordings).
_ENDED = re.compile(r"session terminated|re-login|not authori[sz]ed", re.IGNORECASE)
_NOT_FOUND = "the frontend's URL, such as https://zabbix.example/zabbix; the API is its " \
    "api_jsonrpc.php"


class ZabbixSource(JsonBodySource):
    """Host interfaces from a `host.get` answer, saved or fetched live (Zabbix 5.0 to 7.x)."""

    type = "zabbix"
    api: ClassVar[bool] = True
    """`host.get` over JSON-RPC gives the same body `parse` reads."""
    api_options = frozenset({"username_env", "password_env", "token_env", "auth"})

    def __init__(self, spec: SourceSpec, *, clock: datetime | None = None,
                 io: Inputs | None = None) -> None:
        super().__init__(spec, clock=clock, io=io)
        options = spec.options
        if spec.live:
            account = "username_env" in options or "password_env" in options
            if "token_env" in options and account:
                raise ConfigError("give token_env (an API token) or username_env and "
                                  "password_env (a user.login session), not both")
            if "token_env" not in options:
                self.require_api_keys("username_env", "password_env",
                                      why="the Zabbix user and its password (or give "
                                      "token_env: an API token)")
        mode = options.get("auth", "auto")
        if mode not in AUTH_CHOICES:
            raise ConfigError(f"auth must be one of {', '.join(AUTH_CHOICES)}, not {mode!r}")
        self.auth_mode = mode

    def fetch_api(self) -> list[Target]:
        """`host.get` from Zabbix itself: version, login (or token), hosts, logout."""
        with self.io.http(self.spec, api_roots=(API_PATH,), not_found_hint=_NOT_FOUND
                          ) as client:
            rpc = _JsonRpc(client, self.spec)
            version = rpc.version()
            bearer = self.auth_mode == "bearer" or \
                (self.auth_mode == "auto" and version >= BEARER_SINCE)
            params = host_get_params(version)
            if "token_env" in self.spec.options:
                body = rpc.call("host.get", params, client.secret("token_env"), bearer)
                return self.parse(body, rpc.where)
            session = self._login(rpc)
            try:
                try:
                    body = rpc.call("host.get", params, session, bearer)
                except ZabbixApiError as exc:
                    if not exc.session_ended:
                        raise
                    session = self._login(rpc)  # the session ended: once more
                    body = rpc.call("host.get", params, session, bearer)
            finally:
                with suppress(SourceError):  # a failed logout is not the audit's problem
                    rpc.call("user.logout", [], session, bearer, retries=0)
            return self.parse(body, rpc.where)

    def _login(self, rpc: _JsonRpc) -> str:
        """A session id from `user.login` (`username` from 5.4, `user` before)."""
        user = rpc.client.secret("username_env")
        password = rpc.client.secret("password_env")
        try:
            answer = rpc.call("user.login", {"username": user, "password": password})
        except ZabbixApiError as exc:
            if not exc.unexpected("username"):
                raise
            answer = rpc.call("user.login", {"user": user, "password": password})
        session = answer.get("result")
        if not isinstance(session, str) or not session.strip():
            raise rpc.error("user.login", f"the answer holds no session id (result is a "
                            f"{type(session).__name__})")
        rpc.client.add_secret(session)
        return session

    def read_body(self, body: Any, origin: Path | str) -> list[Target]:
        if isinstance(body, dict) and "result" not in body and "error" in body:
            raise SourceError(f"the Zabbix API answered {_error_text(body['error'])}",
                              path=origin, field="error")
        hosts = body_items(body, _HOSTS, origin)
        if not hosts:
            raise SourceError("host.get returned no host (an API user without read "
                              "permission on any host group gets an empty list)",
                              path=origin, field="result")
        targets: list[Target] = []
        for number, host in enumerate(hosts, 1):
            targets += self._host(host, number, origin)
        return targets

    def _host(self, host: dict[str, Any], number: int, origin: Path | str) -> list[Target]:
        where = self.spec.where(origin)
        host_id = cell_text(host.get("hostid"))
        if not host_id:
            self._skip(where, f"host #{number} has no hostid")
            return []
        name = cell_text(host.get("name")) or cell_text(host.get("host")) or host_id
        label = f"host {name} (hostid {host_id})"
        status = cell_text(host.get("status"))
        if status not in ("0", "1"):
            self._skip(where, f"{label}: status {status!r} is neither 0 (monitored) nor 1")
            return []
        interfaces = host.get("interfaces")
        if not isinstance(interfaces, list) or not interfaces:
            self._skip(where, f"{label} has no interface (selectInterfaces missing, or only "
                       "trapper, HTTP or active-agent items): nothing is polled through one")
            return []
        proxy = _proxy(host)
        targets = []
        for index, interface in enumerate(interfaces, 1):
            if not isinstance(interface, dict):
                self._skip(where, f"{label}: interface #{index} is not an object")
                continue
            made = self._interface(host, interface, index, label, name, status == "1", proxy,
                                   where)
            if made is not None:
                targets.append(made)
        return targets

    def _interface(self, host: dict[str, Any], iface: dict[str, Any], index: int, label: str,
                   name: str, off: bool, proxy: str | None, where: str) -> Target | None:
        interface_id = cell_text(iface.get("interfaceid")) or str(index)
        kind = cell_text(iface.get("type"))
        if kind not in INTERFACE_TYPES:
            self._skip(where, f"{label}: interface {interface_id} has type {kind!r}, not "
                       "1 (agent), 2 (SNMP), 3 (IPMI) or 4 (JMX)")
            return None
        what, protocol, default_port = INTERFACE_TYPES[kind]
        use_ip = cell_text(iface.get("useip")) != "0"
        field = "ip" if use_ip else "dns"
        text = cell_text(iface.get(field))
        address = canonical_ip(text) if use_ip else canonical_host(text)
        if address is None:
            self._skip(where, f"{label}: {what} interface {interface_id}: {field} {text!r} is "
                       f"not {'an IP address' if use_ip else 'a host name'}")
            return None
        if not is_remote(address):
            self._skip(where, f"{label}: {what} interface {interface_id} is the polling host "
                       "itself; no packet crosses the network")
            return None
        port_text = cell_text(iface.get("port"))
        port: int | None = default_port
        if port_text.isdigit() and 0 < int(port_text) < 65536:
            port = int(port_text)
        elif port_text.startswith("{$"):
            port = None  # a user macro: its value is not in host.get
        elif port_text:
            self._skip(where, f"{label}: {what} interface {interface_id}: port {port_text!r} "
                       "is not a port number")
            return None
        available = cell_text(iface.get("available")) if "available" in iface else \
            cell_text(host.get(_HOST_AVAILABLE[kind]))
        errors_from = iface.get("errors_from") if "available" in iface else \
            host.get(_HOST_ERRORS_FROM[kind])
        main = cell_text(iface.get("main")) != "0"
        # A non-main interface polls only when an item uses it: availability says so.
        polled = not off and (main or available in ("1", "2"))
        state = ToolState.DISABLED if off else _STATES.get(available, ToolState.UNKNOWN)
        last_ok = _since(errors_from) if state is ToolState.DOWN else None
        return Target(
            address=address, source=self.spec.name, kind=self.type,
            id=f"{cell_text(host.get('hostid'))}/{interface_id}", name=name, polled=polled,
            state=state, last_ok=last_ok,
            poller=None if proxy else self.spec.poller, location=where,
            owner=self.spec.owner, fix=_fix(label, what, address, main, off, proxy),
            protocol=protocol, port=port,
            aliases=host_names(host.get("host"), iface.get("dns"), besides=address))

    def _skip(self, where: str, reason: str) -> None:
        self.skipped.append(SkippedLine(where, reason))


def host_get_params(version: tuple[int, int]) -> dict[str, Any]:
    """`host.get` parameters asking for what `parse` reads, in the fields of `version`."""
    host = ["hostid", "host", "name", "status"]
    interfaces = ["interfaceid", "type", "main", "useip", "ip", "dns", "port"]
    if version < (5, 4):  # availability is the host's, per interface type
        host += [*_HOST_AVAILABLE.values(), *_HOST_ERRORS_FROM.values()]
    else:
        interfaces += ["available", "errors_from"]
    host += ["proxyid", "monitored_by", "proxy_groupid"] if version >= (7, 0) \
        else ["proxy_hostid"]
    return {"output": host, "selectInterfaces": interfaces}


class ZabbixApiError(SourceError):
    """A JSON-RPC error answer: names the source, URL and method, quotes the API."""

    def __init__(self, message: str, *, code: int | None = None, data: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.data = data
        """The error's `message` and `data`, as Zabbix wrote them."""

    @property
    def session_ended(self) -> bool:
        """Whether the session id (or token) is no longer valid."""
        return bool(_ENDED.search(self.data))

    def unexpected(self, parameter: str) -> bool:
        """Whether the call was refused for a parameter this version does not know."""
        return self.code == INVALID_PARAMS and f'unexpected parameter "{parameter}"' in \
            self.data


class _JsonRpc:
    """Zabbix JSON-RPC calls through the source's HTTP client."""

    def __init__(self, client: HttpClient, spec: SourceSpec) -> None:
        self.client = client
        self.spec = spec
        self.url = client.url(API_PATH)
        self.where = client.shown(self.url)
        self._ids = itertools.count(1)

    def call(self, method: str, params: Any, credential: str | None = None,
             bearer: bool = False, retries: int | None = None) -> dict[str, Any]:
        """The whole answer (`{"jsonrpc", "result", "id"}`) of one call.

        Raises:
            ZabbixApiError: the answer is a JSON-RPC error.
            HttpError: the call failed, or its answer is not a JSON-RPC answer.
        """
        from connectors.shared.http import Call, HttpError, NoAuth

        body: dict[str, Any] = {"jsonrpc": "2.0", "method": method, "params": params,
                                "id": next(self._ids)}
        auth: AuthBase = NoAuth()
        if credential is not None and bearer:
            auth = self.client.header_auth("Authorization", f"Bearer {credential}")
        elif credential is not None:
            body["auth"] = credential
        answer = self.client.json(Call("POST", self.url, body), auth=auth, retries=retries)
        if isinstance(answer, dict) and isinstance(answer.get("error"), dict) and \
                "result" not in answer:
            error = answer["error"]
            code = error.get("code")
            said = " ".join(w for w in (cell_text(error.get("message")),
                                        cell_text(error.get("data"))) if w)
            hint = ""
            if method == "user.login":
                hint = f" (the account from {self.spec.options.get('username_env')} / " \
                    f"{self.spec.options.get('password_env')})"
            elif credential is not None and "token_env" in self.spec.options:
                hint = f" (the API token from {self.spec.options.get('token_env')})"
            raise ZabbixApiError(
                self.client.scrub(f"{self.client.label}, POST {self.where}: {method}: the "
                                  f"Zabbix API answered {_error_text(error)}{hint}"),
                code=code if isinstance(code, int) else None, data=said)
        if not isinstance(answer, dict) or "result" not in answer:
            kind = f"an object with keys {', '.join(sorted(answer)) or 'none'}" \
                if isinstance(answer, dict) else f"a {type(answer).__name__}"
            raise HttpError(self.client.scrub(
                f"{self.client.label}, POST {self.where}: {method}: expected a JSON-RPC "
                f"answer with result or error, got {kind}"), bad_body=True)
        return answer

    def version(self) -> tuple[int, int]:
        """`apiinfo.version` as (major, minor): it must be called without credentials."""
        result = self.call("apiinfo.version", []).get("result")
        match = re.match(r"(\d+)\.(\d+)", cell_text(result))
        if match is None:
            raise self.error("apiinfo.version", f"the answer {result!r} is not a version")
        return int(match.group(1)), int(match.group(2))

    def error(self, method: str, reason: str) -> SourceError:
        from connectors.shared.http import HttpError

        return HttpError(self.client.scrub(f"{self.client.label}, POST {self.where}: "
                                           f"{method}: {reason}"), bad_body=True)


def _error_text(error: Any) -> str:
    if not isinstance(error, dict):
        return f"an error: {cell_text(error)}"
    code = cell_text(error.get("code"))
    words = " ".join(w for w in (cell_text(error.get("message")), cell_text(error.get("data")))
                     if w)
    return f"error {code}: {words}" if code else f"an error: {words}"


def _proxy(host: dict[str, Any]) -> str | None:
    """The proxy (id) that polls the host, if any: 6.x `proxy_hostid`, 7.x `proxyid`."""
    if cell_text(host.get("monitored_by")) == "2":
        group = cell_text(host.get("proxy_groupid"))
        return f"proxy group {group}" if group else "a proxy group"
    for key in ("proxyid", "proxy_hostid"):
        value = cell_text(host.get(key))
        if value and value != "0":
            return f"proxy {value}"
    return None


def _since(value: object) -> datetime | None:
    """`errors_from` (epoch seconds, "0" = never) as naive UTC."""
    text = cell_text(value)
    if not text.isdigit() or text == "0":
        return None
    return epoch_ms(int(text) * 1000)


def _fix(label: str, what: str, address: str, main: bool, off: bool, proxy: str | None
         ) -> str:
    via = f", monitored by {proxy}" if proxy else ""
    where = f"{label[:-1]}{via})" if via else label
    if off:
        return f"Delete {where} in Zabbix (it is not monitored)"
    if not main:
        return f"Remove the {what} interface {address} from {where} in Zabbix"
    return f"Delete {where} in Zabbix, or disable it"


__all__ = ["API_PATH", "INTERFACE_TYPES", "ZabbixApiError", "ZabbixSource", "host_get_params"]

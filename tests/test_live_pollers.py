"""The live APIs of Prometheus, Zabbix and LibreNMS, replayed on loopback.

Each replay answers as its tool does: Prometheus's targets API (`?state=active` too),
Zabbix's JSON-RPC (`apiinfo.version`, `user.login` with `username` from 5.4 and `user`
before, the session id as the `auth` member up to 6.2 or a bearer header from 6.4, only
the fields `host.get` is asked for, sessions that end, `user.logout`), LibreNMS's
`/api/v0/devices` behind `X-Auth-Token`. The records of each answer equal those of the
file export of the same body (the cases under `tests/fixtures/<type>/`). An audit whose six
sources are all live URLs (with SWIS, NDFC and NetBox of `test_live_apis`) equals the audit
of the files; wrong credentials fail that source alone (exit 3, the report still written);
no credential or session id reaches any output.
"""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from auditor.cli import main
from auditor.config import load_config
from auditor.errors import ConfigError, SourceError
from auditor.jsonable import target_detail
from auditor.model import Target
from connectors.base import SourceSpec
from connectors.shared.inputs import Inputs
from connectors.sources.librenms import DEVICES, LibreNmsSource
from connectors.sources.prometheus import TARGETS_API, PrometheusSource
from connectors.sources.zabbix import ZabbixSource, host_get_params
from tests.conftest import FIXTURES
from tests.outputs import output_texts
from tests.replay_server import ReplayServer, Reply, Request, replies
from tests.test_live_apis import ENV as VENDOR_ENV
from tests.test_live_apis import LIVE, ndfc, netbox, swis

AS_OF = ["--as-of", "2026-11-24T10:00Z"]
#: Distinctive credentials: none of them may appear in any output.
ENV = {"PROM_USER": "svc-prom-r8", "PROM_PASS": "Pr0m-pa55-Tq47", "PROM_TOKEN": "prom-tok-9e1c77d2",
       "ZBX_USER": "svc-zabbix-k2", "ZBX_PASS": "Zbx-pa55-Mv63",
       "ZBX_TOKEN": "8c1f0e6d2b4a49d7a3e5c9b1f7d20e4a6b8c0d2e4f6a8b0c2d4e6f8a0b2c4d6e",
       "LNMS_TOKEN": "lnms-5d8e2f90b1c3a7e4d6f8091a2b3c4d5e"}
PROM = FIXTURES / "prometheus" / "targets-api"
ZBX60 = FIXTURES / "zabbix" / "host-get-6.0"
ZBX50 = FIXTURES / "zabbix" / "host-get-5.0"
LNMS = FIXTURES / "librenms" / "devices-berlin"
#: Zabbix's words, as its API writes them.
INVALID = "Invalid params."
BAD_LOGIN = "Incorrect user name or password or account is temporarily blocked."
ENDED = "Session terminated, re-login, please."


class Waits:
    """What the HTTP client would have slept between retries, instead of sleeping."""

    def __init__(self) -> None:
        self.seconds: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.seconds.append(seconds)


def inputs(waits: Waits | None = None, env: dict[str, str] | None = None) -> Inputs:
    return Inputs(env=ENV if env is None else env, sleep=waits or Waits())


# -- the fixture cases: the same bodies as files and as answers -----------------------------

def case_spec(case: Path, **changes: Any) -> SourceSpec:
    """The case's own spec (`spec.json`: name, owner, poller, options), as a file source."""
    raw = json.loads((case / "spec.json").read_text())
    names = raw.get("paths") or sorted(p.name for p in case.iterdir()
                                        if p.name not in ("spec.json", "expected.json"))
    spec = SourceSpec(name=raw.get("name", "src"), type=case.parent.name,
                      paths=tuple(case / n for n in names), owner=raw.get("owner", ""),
                      poller=raw.get("poller"), options=raw.get("options", {}), root=case)
    return replace(spec, **changes)


def live_spec(case: Path, url: str, **api: Any) -> SourceSpec:
    """The same source, read from `url` with the API keys `api`."""
    file_spec = case_spec(case)
    return replace(file_spec, paths=(), url=url, options={**file_spec.options, **api})


def body(case: Path) -> Any:
    [export] = case_spec(case).paths
    return json.loads(export.read_text())


def expected(case: Path, location: str) -> list[dict[str, Any]]:
    """The case's expected records, located at `location` (the URL) instead of the file."""
    return [{**t, "location": location}
            for t in json.loads((case / "expected.json").read_text())["targets"]]


def unplaced(targets: list[Target]) -> list[Target]:
    return [replace(t, location="") for t in targets]


def same_as_the_file(case: Path, targets: list[Target], location: str) -> None:
    """The records of the answer are those of the file export, field for field."""
    cls = {"prometheus": PrometheusSource, "zabbix": ZabbixSource,
           "librenms": LibreNmsSource}[case.parent.name]
    assert [target_detail(t) for t in targets] == expected(case, location)
    assert unplaced(targets) == unplaced(cls(case_spec(case)).fetch())


# -- replays ----------------------------------------------------------------------------------

def prometheus_api(answer: Any, *, authorization: str | None = None) -> Callable[[Request], Reply]:
    """`GET /api/v1/targets` (and `?state=active`: no dropped targets), for requests that
    carry `authorization` (Prometheus's web.yml or a proxy; None: nothing asked)."""
    def handle(request: Request) -> Reply:
        if authorization is not None and request.header("Authorization") != authorization:
            return Reply.text("Unauthorized\n", 401, headers={
                "WWW-Authenticate": 'Basic realm="prometheus"'})
        state = request.query.get("state", "any")
        if state == "active":
            data = {**answer["data"], "droppedTargets": []}
            return Reply.json({**answer, "data": data})
        return Reply.json(answer)
    return handle


def librenms_api(answer: Any, token: str = ENV["LNMS_TOKEN"]) -> Callable[[Request], Reply]:
    """`GET /api/v0/devices` behind `X-Auth-Token`, refused as Laravel refuses it."""
    def handle(request: Request) -> Reply:
        if request.header("X-Auth-Token") != token:
            return Reply.json({"message": "Unauthenticated."}, 401)
        return Reply.json(answer)
    return handle


class ZabbixReplay:
    """`api_jsonrpc.php` of one Zabbix version: JSON-RPC over POST, as the frontend answers.

    `user.login` takes `username` from 5.4 (`user` before, which refuses `username` as an
    unexpected parameter); it returns a new session id. From 6.4 a session id or API token
    is read from `Authorization: Bearer`, before that only from the `auth` member. The
    first `ending` sessions end before `host.get` reads them. `host.get` answers only the
    fields its `output` and `selectInterfaces` ask for.
    """

    def __init__(self, version: str, hosts: Any, *, user: str = ENV["ZBX_USER"],
                 password: str = ENV["ZBX_PASS"], tokens: tuple[str, ...] = (),
                 ending: int = 0) -> None:
        self.version = version
        self.at_least = tuple(int(p) for p in version.split(".")[:2])
        self.hosts = hosts["result"]
        self.account = (user, password)
        self.tokens = tokens
        self.ending = ending
        self.sessions: list[str] = []
        """Every session id issued, in order."""
        self.open: set[str] = set()
        self.asked: list[dict[str, Any]] = []
        """The params of every host.get."""

    def __call__(self, request: Request) -> Reply:
        call = request.json()
        method, params, number = call["method"], call.get("params"), call.get("id")

        def error(data: str, message: str = INVALID, code: int = -32602) -> Reply:
            return Reply.json({"jsonrpc": "2.0", "error": {"code": code, "message": message,
                                                           "data": data}, "id": number})

        def result(value: Any) -> Reply:
            return Reply.json({"jsonrpc": "2.0", "result": value, "id": number})

        if method == "apiinfo.version":
            if "auth" in call:
                return error('The "apiinfo.version" method must be called without the '
                             '"auth" parameter.')
            return result(self.version)
        if method == "user.login":
            name = "username" if self.at_least >= (5, 4) else "user"
            stray = sorted(set(params) - {name, "password", "userData"})
            if stray:
                return error(f'Invalid parameter "/": unexpected parameter "{stray[0]}".')
            if (params.get(name), params.get("password")) != self.account:
                return error(BAD_LOGIN)
            session = secrets.token_hex(16)
            self.sessions.append(session)
            self.open.add(session)
            return result(session)
        sent = request.header("Authorization") or ""
        credential = sent.removeprefix("Bearer ") if self.at_least >= (6, 4) and \
            sent.startswith("Bearer ") else call.get("auth")
        if credential in self.sessions[:self.ending]:
            self.open.discard(credential)
            return error(ENDED)
        if credential not in self.open and credential not in self.tokens:
            return error("Not authorized." if self.at_least >= (6, 4) else "Not authorised.")
        if method == "user.logout":
            self.open.discard(credential)
            return result(True)
        if method != "host.get":
            return error(f'Incorrect method "{method}".', "Method not found.", -32601)
        self.asked.append(params)
        fields, wanted = params["output"], params["selectInterfaces"]
        return result([{**{k: h[k] for k in fields if k in h},
                        "interfaces": [{k: i[k] for k in wanted if k in i}
                                       for i in h.get("interfaces", [])]}
                       for h in self.hosts])


def rpc_calls(server: ReplayServer, path: str = "/api_jsonrpc.php") -> list[dict[str, Any]]:
    return [r.json() for r in server.requests_to("POST", path)]


ZBX_ACCOUNT = {"username_env": "ZBX_USER", "password_env": "ZBX_PASS"}


# -- Prometheus --------------------------------------------------------------------------------

def test_prometheus_answer_equals_the_file_export(server: ReplayServer) -> None:
    server.route("GET", TARGETS_API, prometheus_api(body(PROM)))
    source = PrometheusSource(live_spec(PROM, server.url), io=inputs())
    targets = source.fetch()
    same_as_the_file(PROM, targets, f"{server.url}{TARGETS_API}")
    [request] = server.requests
    assert (request.target, request.header("Authorization")) == (TARGETS_API, None)
    assert request.header("Accept") == "application/json"
    # the dropped target is a record, not polled; the malformed one is counted, as from
    # the file, at the URL
    assert [(t.address, t.polled) for t in targets if t.id == "snmp-wifi/10.99.4.21"] == \
        [("10.99.4.21", False)]
    assert [(s.location, s.reason) for s in source.skipped] == [
        (f"{server.url}{TARGETS_API}", "activeTargets[5]: target '10.99.7.300' is not a host, "
         "host:port or URL")]
    from_file = PrometheusSource(case_spec(PROM))
    from_file.fetch()
    assert [s.reason for s in from_file.skipped] == [s.reason for s in source.skipped]


@pytest.mark.parametrize(("keys", "header"), [
    ({"username_env": "PROM_USER", "password_env": "PROM_PASS"},
     "Basic " + base64.b64encode(f"{ENV['PROM_USER']}:{ENV['PROM_PASS']}".encode()).decode()),
    ({"token_env": "PROM_TOKEN"}, f"Bearer {ENV['PROM_TOKEN']}"),
])
def test_prometheus_sends_basic_or_bearer(server: ReplayServer, keys: dict[str, str],
                                          header: str) -> None:
    server.route("GET", TARGETS_API, prometheus_api(body(PROM), authorization=header))
    targets = PrometheusSource(live_spec(PROM, server.url, **keys), io=inputs()).fetch()
    same_as_the_file(PROM, targets, f"{server.url}{TARGETS_API}")
    assert [r.header("Authorization") for r in server.requests] == [header]


def test_prometheus_state_active_asks_for_scraped_targets_only(server: ReplayServer) -> None:
    url = f"{server.url}/prometheus"     # behind --web.route-prefix=/prometheus
    server.route("GET", f"/prometheus{TARGETS_API}", prometheus_api(body(PROM)))
    targets = PrometheusSource(live_spec(PROM, url, state="active"), io=inputs()).fetch()
    assert [r.target for r in server.requests] == [f"/prometheus{TARGETS_API}?state=active"]
    assert [t.id for t in targets] == [t["id"] for t in expected(PROM, "")
                                       if t["polled"]]
    assert {t.location for t in targets} == {f"{url}{TARGETS_API}?state=active"}


def test_prometheus_503_then_success(server: ReplayServer) -> None:
    server.route("GET", TARGETS_API, replies(
        Reply.json({"status": "error", "errorType": "unavailable",
                    "error": "TSDB not ready"}, 503, headers={"Retry-After": "2"}),
        Reply.json(body(PROM))))
    waits = Waits()
    targets = PrometheusSource(live_spec(PROM, server.url), io=inputs(waits)).fetch()
    same_as_the_file(PROM, targets, f"{server.url}{TARGETS_API}")
    assert len(server.requests) == 2
    assert waits.seconds == [2.0]     # as Retry-After asked


def test_prometheus_malformed_answers_name_source_url_and_field(server: ReplayServer) -> None:
    whole = json.dumps(body(PROM)).encode()
    server.route("GET", TARGETS_API, Reply(200, {"Content-Type": "application/json"},
                                           whole[:900]))
    spec = replace(live_spec(PROM, server.url), name="prom")
    with pytest.raises(SourceError) as cut:
        PrometheusSource(spec, io=inputs()).fetch()
    assert str(cut.value).startswith(f"source 'prom', GET {server.url}{TARGETS_API}: the "
                                      "answer is not valid JSON (")
    assert f"of {900} bytes; cut short?)" in str(cut.value)
    server.route("GET", TARGETS_API, Reply.json({"status": "success", "data": {}}))
    with pytest.raises(SourceError) as shape:
        PrometheusSource(spec, io=inputs()).fetch()
    assert str(shape.value) == (
        f"source 'prom': {server.url}{TARGETS_API}, field 'activeTargets': expected a targets "
        'API body (GET /api/v1/targets): {"status": "success", "data": {"activeTargets": '
        "[...]}}")
    server.route("GET", TARGETS_API, Reply.json([{"targets": ["10.1.1.1"]}]))
    with pytest.raises(SourceError) as listed:    # a file_sd list is no API answer
        PrometheusSource(spec, io=inputs()).fetch()
    assert str(listed.value).endswith("got a list")
    assert len(server.requests) == 3      # bodies are not retried


@pytest.mark.parametrize("keys", [{"token_env": "PROM_TOKEN"},
                                  {"username_env": "PROM_USER", "password_env": "PROM_PASS"}])
def test_prometheus_refused_or_expired_credentials_fail_at_once(server: ReplayServer,
                                                                keys: dict[str, str]) -> None:
    # the proxy's token (or password) was rotated: whatever is sent is refused
    server.route("GET", TARGETS_API, prometheus_api(body(PROM), authorization="Bearer new"))
    spec = replace(live_spec(PROM, server.url, **keys), name="prom")
    with pytest.raises(SourceError) as info:
        PrometheusSource(spec, io=inputs()).fetch()
    held = " / ".join(keys[k] for k in ("username_env", "password_env", "token_env")
                      if k in keys)
    assert str(info.value) == (
        f"source 'prom', GET {server.url}{TARGETS_API}: HTTP 401 Unauthorized: the server "
        f"refused the credentials from {held}; it says: Unauthorized")
    assert len(server.requests) == 1


def test_prometheus_api_error_body_is_quoted(server: ReplayServer) -> None:
    server.route("GET", TARGETS_API, Reply.json(
        {"status": "error", "errorType": "bad_data", "error": 'invalid parameter "state"'},
        400))
    with pytest.raises(SourceError) as info:
        PrometheusSource(replace(live_spec(PROM, server.url), name="prom"),
                         io=inputs()).fetch()
    assert str(info.value) == (f"source 'prom', GET {server.url}{TARGETS_API}: HTTP 400 Bad "
                               'Request; it says: invalid parameter "state"')


# -- Zabbix ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("case", "version", "login"), [
    (ZBX60, "6.0.30", ["username"]),
    (ZBX50, "5.0.41", ["username", "user"]),     # 5.0 refuses `username`: then `user`
])
def test_zabbix_session_login_host_get_logout_equals_the_file(
        server: ReplayServer, case: Path, version: str, login: list[str]) -> None:
    zabbix = ZabbixReplay(version, body(case))
    server.route("POST", "/zabbix/api_jsonrpc.php", zabbix)
    spec = live_spec(case, f"{server.url}/zabbix", **ZBX_ACCOUNT)
    targets = ZabbixSource(spec, io=inputs()).fetch()
    where = f"{server.url}/zabbix/api_jsonrpc.php"
    same_as_the_file(case, targets, where)
    calls = rpc_calls(server, "/zabbix/api_jsonrpc.php")
    [session] = zabbix.sessions
    assert [c["method"] for c in calls] == ["apiinfo.version", *["user.login"] * len(login),
                                            "host.get", "user.logout"]
    assert [sorted(c["params"]) for c in calls if c["method"] == "user.login"] == \
        [sorted([name, "password"]) for name in login]
    assert calls[-2]["params"] == host_get_params(zabbix.at_least)
    # up to 6.2 the session id travels as the auth member, never in a header
    assert [c.get("auth") for c in calls] == [None] * (1 + len(login)) + [session, session]
    assert {r.header("Authorization") for r in server.requests} == {None}
    assert zabbix.open == set()          # logged out


def test_zabbix_asks_each_version_for_its_own_fields() -> None:
    v50, v60, v70 = (host_get_params(v) for v in ((5, 0), (6, 0), (7, 0)))
    assert v50 == {"output": ["hostid", "host", "name", "status", "available", "snmp_available",
                              "ipmi_available", "jmx_available", "errors_from",
                              "snmp_errors_from", "ipmi_errors_from", "jmx_errors_from",
                              "proxy_hostid"],
                   "selectInterfaces": ["interfaceid", "type", "main", "useip", "ip", "dns",
                                        "port"]}
    assert v60 == {"output": ["hostid", "host", "name", "status", "proxy_hostid"],
                   "selectInterfaces": ["interfaceid", "type", "main", "useip", "ip", "dns",
                                        "port", "available", "errors_from"]}
    assert v70["output"][-3:] == ["proxyid", "monitored_by", "proxy_groupid"]
    # never the interface details: that is where the SNMP communities are
    assert all("details" not in p["selectInterfaces"] for p in (v50, v60, v70))


@pytest.mark.parametrize(("mode", "bearer"), [("auto", True), ("bearer", True),
                                              ("field", False)])
def test_zabbix_api_token_as_bearer_header_or_auth_member(server: ReplayServer, mode: str,
                                                           bearer: bool) -> None:
    zabbix = ZabbixReplay("6.4.12", body(ZBX60), tokens=(ENV["ZBX_TOKEN"],))
    server.route("POST", "/api_jsonrpc.php", zabbix)
    spec = live_spec(ZBX60, server.url, token_env="ZBX_TOKEN", auth=mode)
    targets = ZabbixSource(spec, io=inputs()).fetch()
    same_as_the_file(ZBX60, targets, f"{server.url}/api_jsonrpc.php")
    calls = rpc_calls(server)
    assert [c["method"] for c in calls] == ["apiinfo.version", "host.get"]  # no login, logout
    version, hosts = server.requests
    assert (version.header("Authorization"), "auth" in version.json()) == (None, False)
    if bearer:
        assert (hosts.header("Authorization"), "auth" in hosts.json()) == \
            (f"Bearer {ENV['ZBX_TOKEN']}", False)
    else:
        assert (hosts.header("Authorization"), hosts.json()["auth"]) == \
            (None, ENV["ZBX_TOKEN"])


def test_zabbix_auto_sends_a_session_as_bearer_from_6_4(server: ReplayServer) -> None:
    zabbix = ZabbixReplay("7.0.5", body(ZBX60))
    server.route("POST", "/api_jsonrpc.php", zabbix)
    ZabbixSource(live_spec(ZBX60, server.url, **ZBX_ACCOUNT), io=inputs()).fetch()
    [session] = zabbix.sessions
    assert [(r.json()["method"], r.header("Authorization"), r.json().get("auth"))
            for r in server.requests] == [
        ("apiinfo.version", None, None), ("user.login", None, None),
        ("host.get", f"Bearer {session}", None), ("user.logout", f"Bearer {session}", None)]
    [asked] = zabbix.asked
    assert asked["output"][-3:] == ["proxyid", "monitored_by", "proxy_groupid"]


def test_zabbix_ended_session_logs_in_again_once(server: ReplayServer) -> None:
    zabbix = ZabbixReplay("6.0.30", body(ZBX60), ending=1)
    server.route("POST", "/api_jsonrpc.php", zabbix)
    targets = ZabbixSource(live_spec(ZBX60, server.url, **ZBX_ACCOUNT), io=inputs()).fetch()
    same_as_the_file(ZBX60, targets, f"{server.url}/api_jsonrpc.php")
    first, second = zabbix.sessions
    assert [(c["method"], c.get("auth")) for c in rpc_calls(server)] == [
        ("apiinfo.version", None), ("user.login", None), ("host.get", first),
        ("user.login", None), ("host.get", second), ("user.logout", second)]


def test_zabbix_session_ending_twice_fails_naming_source_url_and_message(
        server: ReplayServer) -> None:
    zabbix = ZabbixReplay("6.0.30", body(ZBX60), ending=2)
    server.route("POST", "/api_jsonrpc.php", zabbix)
    with pytest.raises(SourceError) as info:
        ZabbixSource(replace(live_spec(ZBX60, server.url, **ZBX_ACCOUNT), name="zbx"),
                     io=inputs()).fetch()
    assert str(info.value) == (
        f"source 'zbx', POST {server.url}/api_jsonrpc.php: host.get: the Zabbix API answered "
        "error -32602: Invalid params. Session terminated, re-login, please.")
    assert [c["method"] for c in rpc_calls(server)].count("user.login") == 2
    assert not any(s in str(info.value) for s in zabbix.sessions)


def test_zabbix_wrong_password_fails_without_a_second_try(server: ReplayServer) -> None:
    server.route("POST", "/api_jsonrpc.php", ZabbixReplay("6.0.30", body(ZBX60)))
    env = {**ENV, "ZBX_PASS": "Wr0ng-pa55-Hh31"}
    with pytest.raises(SourceError) as info:
        ZabbixSource(replace(live_spec(ZBX60, server.url, **ZBX_ACCOUNT), name="zbx"),
                     io=inputs(env=env)).fetch()
    assert str(info.value) == (
        f"source 'zbx', POST {server.url}/api_jsonrpc.php: user.login: the Zabbix API answered "
        f"error -32602: Invalid params. {BAD_LOGIN} (the account from ZBX_USER / ZBX_PASS)")
    # "Invalid params." too, but not about `username`: never retried as `user`
    assert [c["method"] for c in rpc_calls(server)] == ["apiinfo.version", "user.login"]
    assert "Wr0ng-pa55-Hh31" not in str(info.value)


def test_zabbix_refused_token_is_not_renewed(server: ReplayServer) -> None:
    server.route("POST", "/api_jsonrpc.php", ZabbixReplay("7.0.5", body(ZBX60),
                                                          tokens=("another",)))
    with pytest.raises(SourceError) as info:
        ZabbixSource(replace(live_spec(ZBX60, server.url, token_env="ZBX_TOKEN"), name="zbx"),
                     io=inputs()).fetch()
    assert str(info.value) == (
        f"source 'zbx', POST {server.url}/api_jsonrpc.php: host.get: the Zabbix API answered "
        "error -32602: Invalid params. Not authorized. (the API token from ZBX_TOKEN)")
    assert [c["method"] for c in rpc_calls(server)] == ["apiinfo.version", "host.get"]


def test_zabbix_503_then_success(server: ReplayServer) -> None:
    zabbix = ZabbixReplay("6.0.30", body(ZBX60))
    outage = iter([Reply(503, {"Retry-After": "0"}, b"<html>503 Service Unavailable</html>")])

    def flaky(request: Request) -> Reply:
        if request.json()["method"] == "host.get":
            return next(outage, None) or zabbix(request)
        return zabbix(request)
    server.route("POST", "/api_jsonrpc.php", flaky)
    waits = Waits()
    targets = ZabbixSource(live_spec(ZBX60, server.url, **ZBX_ACCOUNT),
                           io=inputs(waits)).fetch()
    same_as_the_file(ZBX60, targets, f"{server.url}/api_jsonrpc.php")
    assert [c["method"] for c in rpc_calls(server)] == [
        "apiinfo.version", "user.login", "host.get", "host.get", "user.logout"]
    assert waits.seconds == [0.0]


def test_zabbix_malformed_answers_name_source_url_and_method(server: ReplayServer) -> None:
    zabbix = ZabbixReplay("6.0.30", body(ZBX60))
    answers: dict[str, Reply] = {}

    def broken(request: Request) -> Reply:
        return answers.get(request.json()["method"]) or zabbix(request)
    server.route("POST", "/api_jsonrpc.php", broken)
    spec = replace(live_spec(ZBX60, server.url, **ZBX_ACCOUNT), name="zbx")
    where = f"source 'zbx', POST {server.url}/api_jsonrpc.php"

    answers["host.get"] = Reply.json({"jsonrpc": "2.0", "id": 3})
    with pytest.raises(SourceError) as empty:
        ZabbixSource(spec, io=inputs()).fetch()
    assert str(empty.value) == (f"{where}: host.get: expected a JSON-RPC answer with result or "
                                "error, got an object with keys id, jsonrpc")
    answers["host.get"] = Reply.json({"jsonrpc": "2.0", "result": {"hostid": "1"}, "id": 3})
    with pytest.raises(SourceError) as shape:
        ZabbixSource(spec, io=inputs()).fetch()
    assert str(shape.value) == (f"source 'zbx': {server.url}/api_jsonrpc.php, field "
                                "'result': 'result' is a dict, not a list")
    answers["apiinfo.version"] = Reply.text(
        "<!DOCTYPE html><html><title>Zabbix</title>", content_type="text/html")
    with pytest.raises(SourceError) as html:
        ZabbixSource(spec, io=inputs()).fetch()
    assert str(html.value).startswith(f"{where}: the answer is HTML or XML (text/html), not "
                                      "JSON: a login page, a proxy's error page or the wrong "
                                      "port?")
    # every session opened was closed again, even when the answer was unreadable
    assert zabbix.open == set()


def test_zabbix_without_the_api_path_says_where_it_lives(server: ReplayServer) -> None:
    with pytest.raises(SourceError) as info:
        ZabbixSource(replace(live_spec(ZBX60, server.url, **ZBX_ACCOUNT), name="zbx"),
                     io=inputs()).fetch()
    assert str(info.value).startswith(
        f"source 'zbx', POST {server.url}/api_jsonrpc.php: HTTP 404 Not Found: no such API "
        "path on this server; is url the server's base URL (the frontend's URL, such as "
        "https://zabbix.example/zabbix; the API is its api_jsonrpc.php)?")


# -- LibreNMS ----------------------------------------------------------------------------------

def test_librenms_answer_equals_the_file_export(server: ReplayServer) -> None:
    server.route("GET", DEVICES, librenms_api(body(LNMS)))
    targets = LibreNmsSource(live_spec(LNMS, server.url, token_env="LNMS_TOKEN"),
                             io=inputs()).fetch()
    same_as_the_file(LNMS, targets, f"{server.url}{DEVICES}")
    [request] = server.requests
    assert (request.target, request.header("X-Auth-Token"), request.header("Authorization")) \
        == (DEVICES, ENV["LNMS_TOKEN"], None)


def test_librenms_503_then_success(server: ReplayServer) -> None:
    server.route("GET", DEVICES, replies(Reply(503, {"Retry-After": "0"}),
                                         Reply(503, {"Retry-After": "0"}),
                                         Reply.json(body(LNMS))))
    waits = Waits()
    targets = LibreNmsSource(live_spec(LNMS, server.url, token_env="LNMS_TOKEN"),
                             io=inputs(waits)).fetch()
    same_as_the_file(LNMS, targets, f"{server.url}{DEVICES}")
    assert len(server.requests) == 3 and waits.seconds == [0.0, 0.0]


@pytest.mark.parametrize(("answer", "error"), [
    (Reply.json({"status": "error", "message": "Devices not found"}),
     "{url}, field 'status': the LibreNMS API answered an error: Devices not found"),
    (Reply.json({"status": "failed", "message": "Database is locked"}),
     "{url}, field 'status': the LibreNMS API answered status 'failed', not 'ok': Database is "
     "locked"),
    (Reply.json({"status": "ok", "count": 12, "devices": [{"device_id": 1}]}),
     "{url}, field 'count': count says 12 but devices holds 1: the answer is incomplete"),
    (Reply.json({"status": "ok", "count": 1, "devices": {"1": {}}}),
     "{url}, field 'devices': 'devices' is a dict, not a list"),
])
def test_librenms_malformed_or_error_answers(server: ReplayServer, answer: Reply,
                                             error: str) -> None:
    server.route("GET", DEVICES, answer)
    with pytest.raises(SourceError) as info:
        LibreNmsSource(replace(live_spec(LNMS, server.url, token_env="LNMS_TOKEN"),
                               name="librenms"), io=inputs()).fetch()
    assert str(info.value) == "source 'librenms': " + error.format(
        url=f"{server.url}{DEVICES}")


def test_librenms_truncated_answer(server: ReplayServer) -> None:
    whole = json.dumps(body(LNMS)).encode()
    server.route("GET", DEVICES, Reply(200, {"Content-Type": "application/json"}, whole[:500]))
    with pytest.raises(SourceError) as info:
        LibreNmsSource(replace(live_spec(LNMS, server.url, token_env="LNMS_TOKEN"),
                               name="librenms"), io=inputs()).fetch()
    assert str(info.value).startswith(f"source 'librenms', GET {server.url}{DEVICES}: the "
                                      "answer is not valid JSON (")


def test_librenms_refused_or_disabled_token_fails_at_once(server: ReplayServer) -> None:
    # LibreNMS tokens have no lifetime: one disabled in Settings > API is refused like a
    # wrong one, and no logon can renew it
    server.route("GET", DEVICES, librenms_api(body(LNMS), token="a-token-made-later"))
    with pytest.raises(SourceError) as info:
        LibreNmsSource(replace(live_spec(LNMS, server.url, token_env="LNMS_TOKEN"),
                               name="librenms"), io=inputs()).fetch()
    assert str(info.value) == (
        f"source 'librenms', GET {server.url}{DEVICES}: HTTP 401 Unauthorized: the server "
        "refused the credentials from LNMS_TOKEN; it says: Unauthenticated.")
    assert len(server.requests) == 1


# -- config -------------------------------------------------------------------------------------

def test_config_takes_each_pollers_api_keys(tmp_path: Path) -> None:
    path = tmp_path / "audit.toml"
    path.write_text("""
[[sources]]
name = "prom"
type = "prometheus"
url = "https://prometheus.corp.example:9090"
token_env = "PROM_TOKEN"
state = "active"
timeout = 30

[[sources]]
name = "zbx"
type = "zabbix"
url = "https://zabbix.corp.example/zabbix"
username_env = "ZBX_USER"
password_env = "ZBX_PASS"
auth = "field"

[[sources]]
name = "librenms"
type = "librenms"
url = "https://librenms.corp.example"
token_env = "LNMS_TOKEN"
timezone = "Europe/Berlin"
verify = false
""")
    prom, zbx, lnms = load_config(path).sources
    assert (prom.url, dict(prom.options)) == ("https://prometheus.corp.example:9090", {
        "token_env": "PROM_TOKEN", "state": "active", "timeout": 30})
    assert dict(zbx.options) == {"username_env": "ZBX_USER", "password_env": "ZBX_PASS",
                                 "auth": "field"}
    assert dict(lnms.options) == {"token_env": "LNMS_TOKEN", "timezone": "Europe/Berlin",
                                  "verify": False}


@pytest.mark.parametrize(("table", "message"), [
    ('type = "prometheus"\nurl = "https://p:9090"\ntoken_env = "T"\nusername_env = "U"\n'
     'password_env = "P"', "give token_env (a bearer token) or username_env and password_env "
     "(HTTP Basic), not both"),
    ('type = "prometheus"\nurl = "https://p:9090"\nusername_env = "U"',
     "with url, username_env and password_env are required"),
    ('type = "prometheus"\nurl = "https://p:9090"\nstate = "dropped"',
     "state must be one of any, active, not 'dropped'"),
    ('type = "prometheus"\npath = "t.json"\nstate = "active"',
     "key 'state': applies only with url = ..."),
    ('type = "zabbix"\nurl = "https://z/zabbix"',
     "with url, username_env and password_env are required: the environment variable(s) "
     "holding the Zabbix user and its password (or give token_env: an API token)"),
    ('type = "zabbix"\nurl = "https://z/zabbix"\ntoken_env = "T"\nusername_env = "U"',
     "give token_env (an API token) or username_env and password_env (a user.login "
     "session), not both"),
    ('type = "zabbix"\nurl = "https://z/zabbix"\ntoken_env = "T"\nauth = "header"',
     "auth must be one of auto, bearer, field, not 'header'"),
    ('type = "librenms"\nurl = "https://l"', "with url, token_env is required: the "
     "environment variable(s) holding the LibreNMS API token"),
    ('type = "librenms"\nurl = "https://l"\ntoken_env = "T"\nusername_env = "U"',
     "key 'username_env': type 'librenms' does not take it; its API keys: retries, timeout, "
     "token_env, url, verify"),
])
def test_api_config_errors(tmp_path: Path, table: str, message: str) -> None:
    (tmp_path / "t.json").write_text("{}")
    path = tmp_path / "audit.toml"
    path.write_text(f'[[sources]]\nname = "src"\n{table}\n')
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(info.value).startswith(f"{path}: [[sources]] 'src'")
    assert message in str(info.value)


# -- end to end: every source a live URL -------------------------------------------------------

SOURCES = """\
[audit]
name = "Nightly hygiene audit"

[[sources]]
name = "orion"
type = "solarwinds-npm"
{orion}
owner = "NOC - SolarWinds"

[[sources]]
name = "dcnm"
type = "cisco-dcnm"
{dcnm}
owner = "DC network"
poller = "10.30.1.30"

[[sources]]
name = "prom"
type = "prometheus"
{prom}
owner = "NOC - Prometheus"
poller = "10.30.1.10"

[[sources]]
name = "zbx"
type = "zabbix"
{zbx}
owner = "NOC - Zabbix"
poller = "10.30.1.30"

[[sources]]
name = "librenms"
type = "librenms"
{librenms}
owner = "NOC - LibreNMS"
poller = "10.30.1.40"
timezone = "Europe/Berlin"

[[networks]]
name = "ipam"
type = "netbox"
{ipam}
"""


def file_config(folder: Path) -> Path:
    folder.mkdir()
    path = folder / "audit.toml"
    path.write_text(SOURCES.format(
        orion=f'path = "{LIVE / "npm-nodes.json"}"\nengines_path = "{LIVE / "npm-engines.json"}"',
        dcnm=f'path = "{LIVE / "ndfc-switches.json"}"',
        prom=f'path = "{PROM / "targets.json"}"',
        zbx=f'path = "{ZBX60 / "hosts.json"}"',
        librenms=f'path = "{LNMS / "devices.json"}"',
        ipam=f'paths = ["{LIVE / "netbox-prefixes-1.json"}", "{LIVE / "netbox-prefixes-2.json"}"]'))
    return path


def live_config(folder: Path, vendors: str, pollers: str) -> Path:
    """SWIS, NDFC and NetBox at `vendors`; Prometheus, Zabbix and LibreNMS at `pollers`."""
    folder.mkdir()
    path = folder / "audit.toml"
    path.write_text(SOURCES.format(
        orion=f'url = "{vendors}"\nusername_env = "NPM_USER"\npassword_env = "NPM_PASS"\n'
              "page_size = 4",
        dcnm=f'url = "{vendors}"\nusername_env = "DCNM_USER"\npassword_env = "DCNM_PASS"',
        prom=f'url = "{pollers}"\ntoken_env = "PROM_TOKEN"\ntimeout = 30',
        zbx=f'url = "{pollers}/zabbix"\nusername_env = "ZBX_USER"\npassword_env = "ZBX_PASS"',
        librenms=f'url = "{pollers}"\ntoken_env = "LNMS_TOKEN"',
        ipam=f'url = "{vendors}"\ntoken_env = "NETBOX_TOKEN"'))
    return path


def replay_everything(vendors: ReplayServer, pollers: ReplayServer) -> ZabbixReplay:
    """Every tool answering as it should; Prometheus slowly, LibreNMS 503 once."""
    swis(vendors)
    ndfc(vendors)
    netbox(vendors)
    slow = prometheus_api(body(PROM), authorization=f"Bearer {ENV['PROM_TOKEN']}")
    pollers.route("GET", TARGETS_API, lambda request: replace(slow(request), delay=1.0))
    zabbix = ZabbixReplay("6.0.30", body(ZBX60))
    pollers.route("POST", "/zabbix/api_jsonrpc.php", zabbix)
    outage = iter([Reply.json({"status": "error", "message": "Service Unavailable"}, 503,
                              headers={"Retry-After": "0"})])
    devices = librenms_api(body(LNMS))
    pollers.route("GET", DEVICES, lambda request: next(outage, None) or devices(request))
    return zabbix


@pytest.fixture()
def credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {**VENDOR_ENV, **ENV}.items():
        monkeypatch.setenv(name, value)


def audit(config: Path, out: Path) -> tuple[int, dict[str, Any]]:
    code = main(["audit", "-c", str(config), "-o", str(out / "audit.xlsx"), "--json",
                 str(out / "audit.json"), "--csv", str(out / "audit.csv"), *AS_OF])
    return code, json.loads((out / "audit.json").read_text())


def without_locations(findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**f, "records": [{k: v for k, v in r.items() if k != "location"}
                              for r in f["records"]]} for f in findings]


def statuses(doc: dict[str, Any]) -> list[tuple[str, str, int]]:
    return [(s["name"], s["status"], s["records"]) for s in doc["sources"]]


ALL_OK = [("orion", "ok", 6), ("dcnm", "ok", 3), ("prom", "ok", 7), ("zbx", "ok", 10),
          ("librenms", "ok", 10), ("ipam", "ok", 6)]


@pytest.mark.usefixtures("credentials")
def test_audit_of_six_live_apis_equals_the_audit_of_files(
        tmp_path: Path, replay_servers: Callable[[], ReplayServer],
        capsys: pytest.CaptureFixture[str]) -> None:
    vendors, pollers = replay_servers(), replay_servers()
    zabbix = replay_everything(vendors, pollers)
    file_code, by_file = audit(file_config(tmp_path / "files"), tmp_path / "out-files")
    api_code, by_api = audit(live_config(tmp_path / "apis", vendors.url, pollers.url),
                             tmp_path / "out-apis")
    assert (file_code, api_code) == (1, 1)        # stale targets in both
    assert statuses(by_api) == statuses(by_file) == ALL_OK
    assert without_locations(by_api["findings"]) == without_locations(by_file["findings"])
    assert by_api["ghost_flows"] == by_file["ghost_flows"] == []
    # the retired building's AP controller: every poller still holds it
    gone = next(f for f in by_api["findings"] if f["address"] == "10.99.4.20")
    assert (gone["verdict"], gone["polled"]) == ("stale", True)
    assert sorted({(r["source"], r["location"]) for r in gone["records"]}) == [
        ("librenms", f"{pollers.url}{DEVICES}"),
        ("orion", f"{vendors.url}/SolarWinds/InformationService/v3/Json/Query (Orion.Nodes)"),
        ("prom", f"{pollers.url}{TARGETS_API}"),
        ("zbx", f"{pollers.url}/zabbix/api_jsonrpc.php")]
    # the slow route was waited for, the 503 retried, the Zabbix session closed
    assert len(pollers.requests_to("GET", DEVICES)) == 2
    assert len(pollers.requests_to("GET", TARGETS_API)) == 1
    assert zabbix.open == set() and len(zabbix.sessions) == 1
    # the SNMP communities the tools keep were never asked for (Zabbix) or never kept
    assert all("details" not in asked["selectInterfaces"] for asked in zabbix.asked)
    written = "".join(p.read_text(encoding="utf-8") for p in (tmp_path / "out-apis").iterdir()
                      if p.suffix in (".json", ".csv"))
    assert [c for c in ("oldPublic", "n0cR3ad") if c in written] == []
    assert "Traceback" not in capsys.readouterr().err


@pytest.mark.usefixtures("credentials")
@pytest.mark.parametrize(("name", "variable", "error"), [
    ("prom", "PROM_TOKEN", "source 'prom', GET {pollers}/api/v1/targets: HTTP 401 "
     "Unauthorized: the server refused the credentials from PROM_TOKEN; it says: Unauthorized"),
    ("zbx", "ZBX_PASS", "source 'zbx', POST {pollers}/zabbix/api_jsonrpc.php: user.login: the "
     "Zabbix API answered error -32602: Invalid params. " + BAD_LOGIN + " (the account from "
     "ZBX_USER / ZBX_PASS)"),
    ("librenms", "LNMS_TOKEN", "source 'librenms', GET {pollers}/api/v0/devices: HTTP 401 "
     "Unauthorized: the server refused the credentials from LNMS_TOKEN; it says: "
     "Unauthenticated."),
])
def test_wrong_credentials_fail_that_source_only_exit_3_report_written(
        tmp_path: Path, replay_servers: Callable[[], ReplayServer],
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], name: str,
        variable: str, error: str) -> None:
    vendors, pollers = replay_servers(), replay_servers()
    replay_everything(vendors, pollers)
    monkeypatch.setenv(variable, "Wr0ng-cred-Xy59")
    code, doc = audit(live_config(tmp_path / "apis", vendors.url, pollers.url),
                      tmp_path / "out")
    assert code == 3
    message = error.format(pollers=pollers.url)
    assert statuses(doc) == [(n, "failed", 0) if n == name else (n, s, r)
                             for n, s, r in ALL_OK]
    assert next(s["error"] for s in doc["sources"] if s["name"] == name) == message
    held = {r["source"] for f in doc["findings"] for r in f["records"]}
    assert held == {"orion", "dcnm", "prom", "zbx", "librenms"} - {name}
    printed = capsys.readouterr()
    assert "!! 1 input(s) FAILED" in printed.out and message in printed.out
    assert "Wr0ng-cred-Xy59" not in printed.out + printed.err
    assert (tmp_path / "out" / "audit.xlsx").is_file()
    assert (tmp_path / "out" / "audit.csv").is_file()


def test_no_credential_or_session_in_any_output_or_error(
        tmp_path: Path, replay_servers: Callable[[], ReplayServer],
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """Servers that echo what they were sent (headers, passwords, session ids) in their
    errors; none of it may reach reports, stdout, stderr or exception texts."""
    for name, value in {**VENDOR_ENV, **ENV}.items():
        monkeypatch.setenv(name, value)
    vendors, pollers = replay_servers(), replay_servers()
    replay_everything(vendors, pollers)
    pollers.route("GET", TARGETS_API, lambda r: Reply.json(
        {"status": "error", "errorType": "unauthorized",
         "error": f"token {r.header('Authorization')} revoked"}, 403))
    pollers.route("GET", DEVICES, lambda r: Reply.json(
        {"status": "error", "message": f"API token {r.header('X-Auth-Token')} is disabled"}))
    sessions: list[str] = []

    def zabbix(request: Request) -> Reply:
        call = request.json()
        if call["method"] == "apiinfo.version":
            return Reply.json({"jsonrpc": "2.0", "result": "6.0.30", "id": call["id"]})
        if call["method"] == "user.login":
            sessions.append(secrets.token_hex(16))
            return Reply.json({"jsonrpc": "2.0", "result": sessions[-1], "id": call["id"]})
        return Reply.json({"jsonrpc": "2.0", "id": call["id"], "error": {
            "code": -32602, "message": INVALID,
            "data": f"{ENDED} (session {call.get('auth')}, user {ENV['ZBX_USER']}, "
                    f"password {ENV['ZBX_PASS']})"}})
    pollers.route("POST", "/zabbix/api_jsonrpc.php", zabbix)
    config = live_config(tmp_path / "apis", vendors.url, pollers.url)
    out = tmp_path / "out"
    code = main(["audit", "-c", str(config), "-o", str(out / "a.xlsx"), "--json",
                 str(out / "a.json"), "--csv", str(out / "a.csv"), "--split-by-owner",
                 str(out / "owners"), *AS_OF])
    sources_code = main(["sources", "-c", str(config), *AS_OF])
    printed = capsys.readouterr()
    assert (code, sources_code) == (3, 3)
    texts = output_texts(printed, out)
    errors = []
    for cls, spec in (
            (PrometheusSource, live_spec(PROM, pollers.url, token_env="PROM_TOKEN")),
            (ZabbixSource, live_spec(ZBX60, f"{pollers.url}/zabbix", **ZBX_ACCOUNT)),
            (LibreNmsSource, live_spec(LNMS, pollers.url, token_env="LNMS_TOKEN"))):
        with pytest.raises(SourceError) as info:
            cls(spec).fetch()
        errors.append(str(info.value))
    texts += errors
    assert "it says: token *** revoked" in errors[0]
    assert f"{ENDED} (session ***, user ***, password ***)" in errors[1]
    assert "the LibreNMS API answered an error: API token *** is disabled" in errors[2]
    failed = {s["name"] for s in json.loads((out / "a.json").read_text())["sources"]
              if s["status"] == "failed"}
    assert failed == {"prom", "zbx", "librenms"}
    assert len(sessions) == 6       # two logins per read: audit, sources, the one above
    basic = base64.b64encode(f"{VENDOR_ENV['NPM_USER']}:{VENDOR_ENV['NPM_PASS']}".encode())
    leaks = [(secret, text[:80])
             for secret in [*ENV.values(), *VENDOR_ENV.values(), *sessions, basic.decode()]
             for text in texts if secret in text]
    assert leaks == []

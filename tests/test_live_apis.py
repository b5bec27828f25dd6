"""The live APIs of SolarWinds (SWIS), DCNM 11 / NDFC and NetBox, replayed on loopback.

Each connector reads its vendor's documented answers: SWQL row windows with `totalRows`,
DCNM's and NDFC's logons and tokens (an expired one renewed once), NetBox's `next` links.
The records equal those of the file export of the same data (`tests/fixtures/live/`, the
values in its `expected.json`). An audit whose three sources are live URLs equals the audit
of the files; a refused password fails that source alone (exit 3, the report still
written); no credential reaches any output.
"""

from __future__ import annotations

import base64
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from auditor.cli import main
from auditor.config import load_config
from auditor.errors import ConfigError, SourceError
from auditor.jsonable import iso
from auditor.model import Network, Target
from connectors.base import SourceSpec
from connectors.networks.netbox import NetboxSource
from connectors.shared.inputs import Inputs
from connectors.sources.dcnm import DcnmSource
from connectors.sources.solarwinds import SWIS_QUERY, SolarWindsSource
from tests.conftest import FIXTURES
from tests.outputs import output_texts
from tests.replay_server import ReplayServer, Reply, Request, netbox_pages, swis_query

LIVE = FIXTURES / "live"
EXPECTED = json.loads((LIVE / "expected.json").read_text())
AS_OF = ["--as-of", "2026-11-24T10:00Z"]
#: Distinctive credentials: none of them may appear in any output.
ENV = {"NPM_USER": "CORP\\svc-orion-q7", "NPM_PASS": "Np!m-pa55-Zq81", "DCNM_USER": "auditor-x4",
       "DCNM_PASS": "Dc-pa55-W9v3", "NETBOX_TOKEN": "0123456789abcdef0123456789abcdef4e7b9c21"}
DCNM_TOKEN = json.loads((LIVE / "dcnm-logon.json").read_text())["Dcnm-Token"]
NDFC_TOKEN = json.loads((LIVE / "ndfc-login.json").read_text())["token"]
ALLSWITCHES = "/appcenter/cisco/ndfc/api/v1/lan-fabric/rest/inventory/allswitches"


def load(name: str) -> Any:
    return json.loads((LIVE / name).read_text())


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def guarded(expected: str, handler: Any, refused: Reply) -> Any:
    """`handler` when the request's Authorization (or Dcnm-Token) is `expected`."""
    def handle(request: Request) -> Any:
        sent = request.header("Authorization") or request.header("Dcnm-Token")
        return handler(request) if sent == expected else refused
    return handle


# -- replays of each vendor ----------------------------------------------------------------

def swis(server: ReplayServer, password: str = ENV["NPM_PASS"]) -> None:
    """SWIS answering SWQL over Orion.Nodes and Orion.Engines, for the right account."""
    tables = {"Orion.Nodes": load("npm-nodes.json")["results"],
              "Orion.Engines": load("npm-engines.json")["results"]}
    server.route("POST", SWIS_QUERY, guarded(
        basic(ENV["NPM_USER"], password), swis_query(tables),
        Reply(401, {"WWW-Authenticate": 'Basic realm="SolarWinds Information Service"'})))


def ndfc(server: ReplayServer, switches: str = "ndfc-switches.json") -> None:
    def login(request: Request) -> Reply:
        if request.json() == {"userName": ENV["DCNM_USER"], "userPasswd": ENV["DCNM_PASS"],
                              "domain": "local"}:
            return Reply.json(load("ndfc-login.json"))
        return Reply.json({"code": 401, "message": "Authentication failed"}, 401)
    server.route("POST", "/login", login)
    server.route("GET", ALLSWITCHES, guarded(
        f"Bearer {NDFC_TOKEN}", lambda _r: Reply.json(load(switches)),
        Reply.json({"code": 401, "message": "Invalid token"}, 401)))
    server.route("POST", "/logout", Reply(204))


def dcnm11(server: ReplayServer, tokens: tuple[str, ...] = (DCNM_TOKEN,),
           accepted: str = DCNM_TOKEN) -> None:
    def logon(request: Request) -> Reply:
        if request.header("Authorization") != basic(ENV["DCNM_USER"], ENV["DCNM_PASS"]):
            return Reply.json({"error": "Invalid credentials"}, 401)
        return next(answers)
    answers = iter([Reply.json({"Dcnm-Token": t}) for t in tokens])
    server.route("POST", "/rest/logon", logon)
    server.route("GET", "/rest/inventory/switches", guarded(
        accepted, lambda _r: Reply.json(load("dcnm11-switches.json")),
        Reply.text("Unauthorized: token expired", 401)))
    server.route("POST", "/rest/logout", Reply(200))


def netbox(server: ReplayServer, **options: Any) -> None:
    results = load("netbox-prefixes-1.json")["results"] + \
        load("netbox-prefixes-2.json")["results"]
    server.route("GET", "/api/ipam/prefixes/", guarded(
        f"Token {ENV['NETBOX_TOKEN']}", netbox_pages(results, **options),
        Reply.json({"detail": "Invalid v1 token"}, 403)))


# -- the connectors, alone ----------------------------------------------------------------

def live(type_name: str, url: str, name: str = "src", **options: Any) -> SourceSpec:
    return SourceSpec(name, type_name, url=url, options=options, poller="10.30.1.30"
                      if type_name == "cisco-dcnm" else None)


def saved(type_name: str, *files: str, **options: Any) -> SourceSpec:
    return SourceSpec("src", type_name, paths=tuple(LIVE / f for f in files), options=options,
                      poller="10.30.1.30" if type_name == "cisco-dcnm" else None, root=LIVE)


def rows(targets: list[Target]) -> list[list[Any]]:
    return [[t.address, t.id, t.name, t.polled, str(t.state), iso(t.last_ok), t.poller]
            for t in targets]


def unplaced(records: list[Any]) -> list[Any]:
    """Records without their location (a URL for one, a file for the other)."""
    return [replace(r, location="") for r in records]


NPM_KEYS = {"username_env": "NPM_USER", "password_env": "NPM_PASS"}
DCNM_KEYS = {"username_env": "DCNM_USER", "password_env": "DCNM_PASS"}


@pytest.mark.parametrize("page_size", [1, 2, 6, 1000])
def test_swis_pages_row_windows_and_equals_the_file_export(server: ReplayServer,
                                                           page_size: int) -> None:
    swis(server)
    source = SolarWindsSource(live("solarwinds-npm", server.url, page_size=page_size,
                                   **NPM_KEYS), io=Inputs(env=ENV))
    targets = source.fetch()
    assert rows(targets) == EXPECTED["solarwinds-npm"]
    files = SolarWindsSource(saved("solarwinds-npm", "npm-nodes.json",
                                   engines_path=LIVE / "npm-engines.json")).fetch()
    assert unplaced(targets) == unplaced(files)
    assert {t.location for t in targets} == {f"{server.url}{SWIS_QUERY} (Orion.Nodes)"}
    queries = [r.json()["query"] for r in server.requests]
    # 2 engines and 6 nodes: windows until totalRows is reached, none past it (with 6 a
    # page, the full first window says nothing is left)
    assert queries == [
        "SELECT EngineID, ServerName, IP, ServerType, DisplayName FROM Orion.Engines "
        f"ORDER BY EngineID WITH ROWS {first} TO {first + page_size - 1} WITH TOTALROWS"
        for first in range(1, 3, page_size)
    ] + [
        "SELECT NodeID, Caption, IPAddress, DynamicIP, DNS, SysName, Status, StatusDescription, "
        "UnManaged, UnManageFrom, UnManageUntil, ObjectSubType, SNMPVersion, PollInterval, "
        "LastSync, LastSystemUpTimePollUtc, EngineID, Vendor, MachineType FROM Orion.Nodes "
        f"ORDER BY NodeID WITH ROWS {first} TO {first + page_size - 1} WITH TOTALROWS"
        for first in range(1, 7, page_size)]
    assert all(r.json()["parameters"] == {} for r in server.requests)
    assert {r.header("Authorization") for r in server.requests} == \
        {basic(ENV["NPM_USER"], ENV["NPM_PASS"])}


def test_swis_url_given_with_the_api_path_still_works(server: ReplayServer) -> None:
    swis(server)
    url = f"{server.url}/SolarWinds/InformationService/v3/Json/"
    targets = SolarWindsSource(live("solarwinds-npm", url, **NPM_KEYS), io=Inputs(env=ENV)).fetch()
    assert rows(targets) == EXPECTED["solarwinds-npm"]


def test_swis_wrong_password_names_source_url_and_variables(server: ReplayServer) -> None:
    swis(server, password="something-else")
    with pytest.raises(SourceError) as info:
        SolarWindsSource(live("solarwinds-npm", server.url, name="orion", **NPM_KEYS),
                         io=Inputs(env=ENV)).fetch()
    assert str(info.value) == (
        f"source 'orion', POST {server.url}{SWIS_QUERY}: HTTP 401 Unauthorized: the server "
        "refused the credentials from NPM_USER / NPM_PASS")
    assert len(server.requests) == 1


def test_swis_query_error_quotes_its_message(server: ReplayServer) -> None:
    server.route("POST", SWIS_QUERY, swis_query({"Orion.Engines": []}))
    with pytest.raises(SourceError) as info:
        SolarWindsSource(live("solarwinds-npm", server.url, name="orion", **NPM_KEYS),
                         io=Inputs(env=ENV)).fetch()
    assert str(info.value) == (
        f"source 'orion', POST {server.url}{SWIS_QUERY}: HTTP 400 Bad Request; it says: "
        "Source entity [Orion.Nodes] not found in catalog")


def test_swis_wrong_port_says_which_ports(server: ReplayServer) -> None:
    with pytest.raises(SourceError) as info:
        SolarWindsSource(live("solarwinds-npm", server.url, **NPM_KEYS), io=Inputs(env=ENV)).fetch()
    assert "HTTP 404 Not Found: no such API path on this server; is url the server's base URL " \
        "(SWIS REST listens on port 17774 since Orion 2023.1, 17778 before: " \
        "https://orion:17774)?" in str(info.value)


def test_swis_window_that_is_not_a_swis_body_names_url_and_field(server: ReplayServer) -> None:
    server.route("POST", SWIS_QUERY, Reply.json({"Message": "Timeout expired"}, 200))
    with pytest.raises(SourceError) as info:
        SolarWindsSource(live("solarwinds-npm", server.url, name="orion", **NPM_KEYS),
                         io=Inputs(env=ENV)).fetch()
    assert str(info.value) == (
        f"source 'orion': {server.url}{SWIS_QUERY} (Orion.Engines), field 'results': "
        "expected a SWIS Orion.Engines query body, got an object without 'results' "
        "(keys: Message); it says: Timeout expired")


def test_dcnm11_logon_token_inventory_logout(server: ReplayServer) -> None:
    dcnm11(server)
    spec = live("cisco-dcnm", server.url, api="dcnm11", **DCNM_KEYS)
    targets = DcnmSource(spec, io=Inputs(env=ENV)).fetch()
    assert rows(targets) == EXPECTED["cisco-dcnm/dcnm11"]
    assert [t.fix for t in targets][2] == "Delete switch lab-leaf-old (serial FDO20490ZZZ) " \
        "from fabric LAB-OLD in DCNM"
    files = DcnmSource(saved("cisco-dcnm", "dcnm11-switches.json")).fetch()
    assert unplaced(targets) == unplaced(files)
    assert targets[0].location == f"{server.url}/rest/inventory/switches"
    [logon] = server.requests_to("POST", "/rest/logon")
    assert logon.json() == {"expirationTime": 999999}
    assert logon.header("Authorization") == basic(ENV["DCNM_USER"], ENV["DCNM_PASS"])
    [inventory] = server.requests_to("GET", "/rest/inventory/switches")
    assert inventory.header("Dcnm-Token") == DCNM_TOKEN
    assert [r.header("Dcnm-Token") for r in server.requests_to("POST", "/rest/logout")] == \
        [DCNM_TOKEN]


def test_ndfc_login_bearer_allswitches(server: ReplayServer) -> None:
    ndfc(server)
    spec = live("cisco-dcnm", server.url, api="ndfc", **DCNM_KEYS)
    targets = DcnmSource(spec, io=Inputs(env=ENV)).fetch()
    assert rows(targets) == EXPECTED["cisco-dcnm/ndfc"]
    assert targets[2].fix == "Delete switch lab-bgw-old (serial FDO22081QRS) from fabric " \
        "LAB-MSD in NDFC"
    files = DcnmSource(saved("cisco-dcnm", "ndfc-switches.json")).fetch()
    assert unplaced(targets) == unplaced(files)
    [login] = server.requests_to("POST", "/login")
    assert login.json() == {"userName": "auditor-x4", "userPasswd": "Dc-pa55-W9v3",
                            "domain": "local"}
    assert login.header("Authorization") is None     # credentials in the body only
    assert server.requests_to("GET", ALLSWITCHES)[0].header("Authorization") == \
        f"Bearer {NDFC_TOKEN}"
    assert len(server.requests_to("POST", "/logout")) == 1


@pytest.mark.parametrize("login", [None, Reply.text("<!doctype html><title>DCNM</title>",
                                                    content_type="text/html")])
def test_auto_tries_ndfc_then_dcnm11(server: ReplayServer, login: Reply | None) -> None:
    dcnm11(server)
    if login is not None:   # a web UI answering every path with its page
        server.route("POST", "/login", login)
    targets = DcnmSource(live("cisco-dcnm", server.url, **DCNM_KEYS), io=Inputs(env=ENV)).fetch()
    assert rows(targets) == EXPECTED["cisco-dcnm/dcnm11"]
    assert [(r.method, r.path) for r in server.requests] == [
        ("POST", "/login"), ("POST", "/rest/logon"), ("GET", "/rest/inventory/switches"),
        ("POST", "/rest/logout")]


def test_auto_finding_neither_names_both_attempts(server: ReplayServer) -> None:
    with pytest.raises(SourceError) as info:
        DcnmSource(live("cisco-dcnm", server.url, name="dcnm", **DCNM_KEYS),
                   io=Inputs(env=ENV)).fetch()
    assert str(info.value) == (
        f"source 'dcnm', {server.url}: answers as none of NDFC, DCNM 11 (NDFC POST /login: "
        "HTTP 404 Not Found: no such API path on this server; is url the server's base URL?; "
        "it says: no route for POST /login in this replay; DCNM 11 POST /rest/logon: HTTP 404 "
        "Not Found: no such API path on this server; is url the server's base URL?; it says: "
        "no route for POST /rest/logon in this replay); check url, or set api = 'dcnm11' or "
        "'ndfc'")


def test_auto_with_a_refused_password_stops_at_once(server: ReplayServer) -> None:
    ndfc(server)
    env = {**ENV, "DCNM_PASS": "not-it"}
    with pytest.raises(SourceError) as info:
        DcnmSource(live("cisco-dcnm", server.url, name="dcnm", **DCNM_KEYS),
                   io=Inputs(env=env)).fetch()
    assert str(info.value) == (
        f"source 'dcnm', POST {server.url}/login: HTTP 401 Unauthorized: the server refused "
        "the credentials from DCNM_USER / DCNM_PASS; it says: Authentication failed (read as "
        'NDFC; if the server is another product, set api = "dcnm11")')
    assert [(r.method, r.path) for r in server.requests] == [("POST", "/login")]


def test_expired_token_logs_on_again_once(server: ReplayServer) -> None:
    dcnm11(server, tokens=("dGVzdC1vbGQ=", DCNM_TOKEN))   # the first has expired
    targets = DcnmSource(live("cisco-dcnm", server.url, api="dcnm11", **DCNM_KEYS),
                         io=Inputs(env=ENV)).fetch()
    assert rows(targets) == EXPECTED["cisco-dcnm/dcnm11"]
    assert len(server.requests_to("POST", "/rest/logon")) == 2
    assert [r.header("Dcnm-Token") for r in server.requests_to(
        "GET", "/rest/inventory/switches")] == ["dGVzdC1vbGQ=", DCNM_TOKEN]


def test_token_refused_after_a_new_logon_fails(server: ReplayServer) -> None:
    dcnm11(server, tokens=("dGVzdC1vbGQ=", "dGVzdC1uZXc="))   # neither is accepted
    with pytest.raises(SourceError) as info:
        DcnmSource(live("cisco-dcnm", server.url, name="dcnm", api="dcnm11", **DCNM_KEYS),
                   io=Inputs(env=ENV)).fetch()
    assert str(info.value) == (
        f"source 'dcnm', GET {server.url}/rest/inventory/switches: HTTP 401 Unauthorized: the "
        "server refused the credentials from DCNM_USER / DCNM_PASS; it says: Unauthorized: "
        "token expired")
    assert len(server.requests_to("POST", "/rest/logon")) == 2
    assert "dGVzdC1uZXc=" not in str(info.value)


def networks(nets: list[Network]) -> list[list[str]]:
    return [[n.prefix, str(n.status), n.description] for n in nets]


def test_netbox_follows_next_with_the_token(server: ReplayServer) -> None:
    netbox(server)
    spec = live("netbox", server.url, token_env="NETBOX_TOKEN", page_size=4)
    nets = NetboxSource(spec, io=Inputs(env=ENV)).fetch()
    assert networks(nets) == EXPECTED["netbox"]
    assert [r.target for r in server.requests] == ["/api/ipam/prefixes/?limit=4",
                                                   "/api/ipam/prefixes/?limit=4&offset=4"]
    assert {(r.header("Authorization"), r.header("Accept")) for r in server.requests} == \
        {(f"Token {ENV['NETBOX_TOKEN']}", "application/json")}
    assert [n.location for n in nets] == [f"{server.url}/api/ipam/prefixes/?limit=4"] * 4 + \
        [f"{server.url}/api/ipam/prefixes/?limit=4&offset=4"] * 2


def test_netbox_api_equals_the_saved_pages(server: ReplayServer) -> None:
    netbox(server)
    spec = live("netbox", server.url, token_env="NETBOX_TOKEN", page_size=3)
    nets = NetboxSource(spec, io=Inputs(env=ENV)).fetch()
    files = NetboxSource(saved("netbox", "netbox-prefixes-1.json",
                               "netbox-prefixes-2.json")).fetch()
    assert unplaced(nets) == unplaced(files)
    assert networks(files) == EXPECTED["netbox"]


def test_netbox_v2_bearer_and_a_proxys_next_links(server: ReplayServer) -> None:
    results = load("netbox-prefixes-1.json")["results"] + \
        load("netbox-prefixes-2.json")["results"]
    # the proxy's links point at an address the client must not use: rebased onto url
    server.route("GET", "/api/ipam/prefixes/", guarded(
        f"Bearer {ENV['NETBOX_TOKEN']}",
        netbox_pages(results, link_base="http://127.0.0.9:9", max_page_size=2),
        Reply.json({"detail": "Invalid token"}, 403)))
    spec = live("netbox", server.url + "/", token_env="NETBOX_TOKEN", token_scheme="Bearer")
    nets = NetboxSource(spec, io=Inputs(env=ENV)).fetch()
    assert networks(nets) == EXPECTED["netbox"]
    assert [r.target for r in server.requests] == [
        "/api/ipam/prefixes/?limit=1000", "/api/ipam/prefixes/?limit=2&offset=2",
        "/api/ipam/prefixes/?limit=2&offset=4"]


def test_netbox_invalid_token_quotes_detail(server: ReplayServer) -> None:
    netbox(server)
    with pytest.raises(SourceError) as info:
        NetboxSource(live("netbox", server.url, name="ipam", token_env="NETBOX_TOKEN"),
                     io=Inputs(env={"NETBOX_TOKEN": "0" * 40})).fetch()
    assert str(info.value) == (
        f"source 'ipam', GET {server.url}/api/ipam/prefixes/?limit=1000: HTTP 403 Forbidden: "
        "the account is not allowed to read this (or the token is invalid); it says: Invalid "
        "v1 token")


def test_html_or_truncated_answers_fail_naming_source_and_url(server: ReplayServer) -> None:
    server.route("GET", "/api/ipam/prefixes/", Reply.text(
        "<html><head><title>Sign in - Corp SSO</title></head><body>...</body></html>",
        content_type="text/html; charset=utf-8"))
    dcnm11(server)
    whole = (LIVE / "dcnm11-switches.json").read_bytes()
    server.route("GET", "/rest/inventory/switches", Reply(
        200, {"Content-Type": "application/json"}, whole[:700]))
    with pytest.raises(SourceError) as html:
        NetboxSource(live("netbox", server.url, name="ipam", token_env="NETBOX_TOKEN"),
                     io=Inputs(env=ENV)).fetch()
    assert str(html.value) == (
        f"source 'ipam', GET {server.url}/api/ipam/prefixes/?limit=1000: the answer is HTML or "
        "XML (text/html), not JSON: a login page, a proxy's error page or the wrong port? It "
        "starts: '<html><head><title>Sign in - Corp SSO</title></head><body>...</body></html>'")
    with pytest.raises(SourceError) as cut:
        DcnmSource(live("cisco-dcnm", server.url, name="dcnm", api="dcnm11", **DCNM_KEYS),
                   io=Inputs(env=ENV)).fetch()
    assert str(cut.value).startswith(
        f"source 'dcnm', GET {server.url}/rest/inventory/switches: the answer is not valid "
        "JSON (")
    assert "of 700 bytes; cut short?)" in str(cut.value)
    assert len(server.requests_to("GET", "/rest/inventory/switches")) == 1   # not retried


def test_netbox_page_with_a_bad_prefix_names_page_and_field(server: ReplayServer) -> None:
    server.route("GET", "/api/ipam/prefixes/", Reply.json(
        {"count": 1, "next": None, "previous": None,
         "results": [{"id": 7, "prefix": "10.300.0.0/16", "status": {"value": "active"}}]}))
    with pytest.raises(SourceError) as info:
        NetboxSource(live("netbox", server.url, name="ipam", token_env="NETBOX_TOKEN"),
                     io=Inputs(env=ENV)).fetch()
    assert str(info.value) == (f"source 'ipam': {server.url}/api/ipam/prefixes/?limit=1000, "
                               "field 'prefix': result #1: '10.300.0.0/16' is not a prefix")


# -- config ---------------------------------------------------------------------------------

def write_config(folder: Path, text: str) -> Path:
    path = folder / "audit.toml"
    path.write_text(text)
    return path


def test_config_takes_url_and_api_keys(tmp_path: Path) -> None:
    (tmp_path / "ca.pem").write_text("-----BEGIN CERTIFICATE-----\n")
    config = load_config(write_config(tmp_path, """
[[sources]]
name = "orion"
type = "solarwinds-npm"
url = "https://orion.corp.example:17778"
username_env = "NPM_USER"
password_env = "NPM_PASS"
verify = "ca.pem"
timeout = 120
retries = 5
page_size = 500

[[networks]]
name = "ipam"
type = "netbox"
url = "https://netbox.corp.example"
token_env = "NETBOX_TOKEN"
token_scheme = "Bearer"
verify = false
"""))
    orion, ipam = config.sources[0], config.networks[0]
    assert (orion.url, orion.paths) == ("https://orion.corp.example:17778", ())
    assert dict(orion.options) == {"username_env": "NPM_USER", "password_env": "NPM_PASS",
                                   "verify": tmp_path / "ca.pem", "timeout": 120,
                                   "retries": 5, "page_size": 500}
    assert dict(ipam.options) == {"token_env": "NETBOX_TOKEN", "token_scheme": "Bearer",
                                  "verify": False}


@pytest.mark.parametrize(("table", "message"), [
    ('type = "trackit"\nurl = "https://trackit"',
     "key 'url': type 'trackit' reads files only, not a live API (types that do: "),
    ('type = "solarwinds-npm"\npath = "n.json"\nurl = "https://orion:17774"\n'
     'username_env = "U"\npassword_env = "P"',
     "key 'path': give either path (a file export) or url (the live API), not both"),
    ('type = "solarwinds-npm"\npath = "n.json"\npassword_env = "P"',
     "key 'password_env': applies only with url = ... (reading the tool's live API); a file "
     "source takes path"),
    ('type = "solarwinds-npm"\nurl = "https://orion:17774"\ntoken_env = "T"',
     "key 'token_env': type 'solarwinds-npm' does not take it; its API keys: page_size, "
     "password_env, retries, timeout, url, username_env, verify"),
    ('type = "solarwinds-npm"\nurl = "https://orion:17774"\nusername_env = "U"',
     "with url, username_env and password_env are required: the environment variable(s) "
     "holding the Orion account (DOMAIN\\user works) and its password; missing: password_env"),
    ('type = "solarwinds-npm"\nurl = "https://orion:17774"\nusername_env = "U"\n'
     'password_env = "U"\nengines_path = "n.json"',
     "engines_path is for a file export; with url, Orion.Engines is read from the API"),
    ('type = "solarwinds-npm"\nurl = "https://svc:Hunter2-pw@orion:17774"',
     "key 'url': holds credentials; secrets never sit in the file"),
    ('type = "solarwinds-npm"\nurl = "orion:17774"', "key 'url': must be an http:// or "
     "https:// URL with a host"),
    ('type = "solarwinds-npm"\nurl = "https://orion:17774"\nusername_env = "U"\n'
     'password_env = "Hunter2-pw!"',
     "key 'password_env': must name an environment variable (letters, digits, _), e.g. "
     "NPM_PASS; the secret itself goes in that variable, never in this file"),
    ('type = "solarwinds-npm"\nurl = "https://orion:17774"\nusername_env = "U"\n'
     'password_env = "P"\nverify = "nope.pem"', "key 'verify': file not found"),
    ('type = "solarwinds-npm"\nurl = "https://orion:17774"\nusername_env = "U"\n'
     'password_env = "P"\nverify = 1', "key 'verify': must be true, false or the path of a CA "
     "bundle (PEM)"),
    ('type = "solarwinds-npm"\nurl = "https://orion:17774"\nusername_env = "U"\n'
     'password_env = "P"\ntimeout = 0', "key 'timeout': must be a number in 0.001..3600 "
     "seconds, not 0"),
    ('type = "cisco-dcnm"\nurl = "https://dcnm"\nusername_env = "U"\npassword_env = "P"\n'
     'api = "dcnm12"', "api must be one of auto, dcnm11, ndfc, not 'dcnm12'"),
])
def test_api_config_errors(tmp_path: Path, table: str, message: str) -> None:
    (tmp_path / "n.json").write_text("{}")
    path = write_config(tmp_path, f'[[sources]]\nname = "src"\n{table}\n')
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(info.value).startswith(f"{path}: [[sources]] 'src'")
    assert message in str(info.value)
    assert "Hunter2-pw" not in str(info.value)


def test_log_types_without_an_api_refuse_url(tmp_path: Path) -> None:
    path = write_config(tmp_path, '[[sources]]\nname = "s"\ntype = "csv"\npath = "a.csv"\n\n'
                        '[[logs]]\nname = "fw"\ntype = "cisco-asa"\nurl = "https://siem"\n')
    (tmp_path / "a.csv").write_text("IP Address\n10.0.0.1\n")
    with pytest.raises(ConfigError, match=r"\[\[logs\]\] 'fw', key 'url': type 'cisco-asa' "
                       r"reads files only, not a live API"):
        load_config(path)


# -- end to end ------------------------------------------------------------------------------

FILES_CONFIG = """\
[audit]
name = "Nightly hygiene audit"

[[sources]]
name = "orion"
type = "solarwinds-npm"
path = "npm-nodes.json"
engines_path = "npm-engines.json"
owner = "NOC - SolarWinds"

[[sources]]
name = "dcnm"
type = "cisco-dcnm"
path = "ndfc-switches.json"
owner = "DC network"
poller = "10.30.1.30"

[[networks]]
name = "ipam"
type = "netbox"
paths = ["netbox-prefixes-1.json", "netbox-prefixes-2.json"]
"""

LIVE_CONFIG = """\
[audit]
name = "Nightly hygiene audit"

[[sources]]
name = "orion"
type = "solarwinds-npm"
url = "{url}"
username_env = "NPM_USER"
password_env = "NPM_PASS"
page_size = 4
owner = "NOC - SolarWinds"

[[sources]]
name = "dcnm"
type = "cisco-dcnm"
url = "{url}"
username_env = "DCNM_USER"
password_env = "DCNM_PASS"
owner = "DC network"
poller = "10.30.1.30"

[[networks]]
name = "ipam"
type = "netbox"
url = "{url}"
token_env = "NETBOX_TOKEN"
"""


def setup_audits(tmp_path: Path, server: ReplayServer) -> tuple[Path, Path]:
    files = tmp_path / "files"
    files.mkdir()
    for name in ("npm-nodes.json", "npm-engines.json", "ndfc-switches.json",
                 "netbox-prefixes-1.json", "netbox-prefixes-2.json"):
        (files / name).write_bytes((LIVE / name).read_bytes())
    apis = tmp_path / "apis"
    apis.mkdir()
    swis(server)
    ndfc(server)
    netbox(server)
    return write_config(files, FILES_CONFIG), \
        write_config(apis, LIVE_CONFIG.format(url=server.url))


def audit(config: Path, out: Path) -> tuple[int, dict[str, Any]]:
    code = main(["audit", "-c", str(config), "-o", str(out / "audit.xlsx"), "--json",
                 str(out / "audit.json"), "--csv", str(out / "audit.csv"), *AS_OF])
    return code, json.loads((out / "audit.json").read_text())


def without_locations(findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**f, "records": [{k: v for k, v in r.items() if k != "location"}
                              for r in f["records"]]} for f in findings]


@pytest.fixture()
def credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)


@pytest.mark.usefixtures("credentials")
def test_audit_of_live_apis_equals_the_audit_of_files(tmp_path: Path, server: ReplayServer,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    files, apis = setup_audits(tmp_path, server)
    file_code, by_file = audit(files, tmp_path / "out-files")
    api_code, by_api = audit(apis, tmp_path / "out-apis")
    assert (file_code, api_code) == (1, 1)      # stale targets in both
    assert by_api["sources"] == by_file["sources"] == [
        {"name": "orion", "type": "solarwinds-npm", "status": "ok", "records": 6, "error": None},
        {"name": "dcnm", "type": "cisco-dcnm", "status": "ok", "records": 3, "error": None},
        {"name": "ipam", "type": "netbox", "status": "ok", "records": 6, "error": None}]
    assert without_locations(by_api["findings"]) == without_locations(by_file["findings"])
    verdicts = {f["address"]: [f["verdict"], f["polled"]] for f in by_api["findings"]}
    assert verdicts == {k: v for k, v in EXPECTED["audit"].items() if k != "_comment"}
    stale = next(f for f in by_api["findings"] if f["address"] == "10.99.4.20")
    assert stale["reasons"] == ["deprecated-network", "tool-down"]
    assert stale["network"] is None                     # deprecated: no live network
    assert stale["records"][0]["poller"] == "10.20.5.21"          # Orion.Engines, joined
    assert stale["records"][0]["location"] == f"{server.url}{SWIS_QUERY} (Orion.Nodes)"
    leaf = next(f for f in by_api["findings"] if f["address"] == "10.30.0.11")
    assert leaf["network"] == "10.30.0.0/24"            # NetBox's prefix, in VRF MGMT
    switch = next(f for f in by_api["findings"] if f["address"] == "10.98.4.40")
    assert switch["records"][0]["location"] == f"{server.url}{ALLSWITCHES}"
    assert switch["action"] == "Delete switch lab-bgw-old (serial FDO22081QRS) from fabric " \
        "LAB-MSD in NDFC"
    printed = capsys.readouterr()
    assert "Traceback" not in printed.err


@pytest.mark.usefixtures("credentials")
def test_refused_password_fails_that_source_only_exit_3_report_written(
        tmp_path: Path, server: ReplayServer, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    _files, apis = setup_audits(tmp_path, server)
    monkeypatch.setenv("NPM_PASS", "Wr0ng-pa55-Kx2")
    code, doc = audit(apis, tmp_path / "out")
    assert code == 3
    error = (f"source 'orion', POST {server.url}{SWIS_QUERY}: HTTP 401 Unauthorized: the "
             "server refused the credentials from NPM_USER / NPM_PASS")
    assert doc["sources"] == [
        {"name": "orion", "type": "solarwinds-npm", "status": "failed", "records": 0,
         "error": error},
        {"name": "dcnm", "type": "cisco-dcnm", "status": "ok", "records": 3, "error": None},
        {"name": "ipam", "type": "netbox", "status": "ok", "records": 6, "error": None}]
    assert {f["address"] for f in doc["findings"]} == {"10.30.0.11", "2001:db8:30::21",
                                                       "10.98.4.40"}
    printed = capsys.readouterr().out
    assert "!! 1 input(s) FAILED" in printed and error in printed
    assert "Wr0ng-pa55-Kx2" not in printed
    assert (tmp_path / "out" / "audit.xlsx").is_file()


def test_no_credential_in_any_output_or_error(tmp_path: Path, server: ReplayServer,
                                              monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    """Servers that echo what they were sent, in errors and in a redirect; the secrets must
    stay out of reports, stdout, stderr and exception texts."""
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    server.route("POST", SWIS_QUERY, lambda r: Reply.json(
        {"Message": f"Login failed for {r.header('Authorization')} ({ENV['NPM_USER']}, "
                    f"{ENV['NPM_PASS']})"}, 401))
    server.route("POST", "/login", lambda r: Reply.json(
        {"message": f"bad password {r.json()['userPasswd']} for {r.json()['userName']}"}, 401))
    server.route("GET", "/api/ipam/prefixes/", lambda r: Reply(
        302, {"Location": f"/login/?next=/api/&token={r.header('Authorization')}"}))
    config = write_config(tmp_path, LIVE_CONFIG.format(url=server.url).replace(
        "page_size = 4\n", "page_size = 4\nverify = false\n"))
    out = tmp_path / "out"
    code = main(["audit", "-c", str(config), "-o", str(out / "a.xlsx"), "--json",
                 str(out / "a.json"), "--csv", str(out / "a.csv"), "--split-by-owner",
                 str(out / "owners"), *AS_OF])
    sources_code = main(["sources", "-c", str(config), *AS_OF])
    printed = capsys.readouterr()
    assert (code, sources_code) == (3, 3)
    texts = output_texts(printed, out)
    errors = []
    for cls, spec in ((SolarWindsSource, live("solarwinds-npm", server.url, **NPM_KEYS)),
                      (DcnmSource, live("cisco-dcnm", server.url, **DCNM_KEYS)),
                      (NetboxSource, live("netbox", server.url, token_env="NETBOX_TOKEN"))):
        with pytest.raises(SourceError) as info:
            cls(spec).fetch()
        errors.append(str(info.value))
    texts += errors
    assert "it says: Login failed for Basic *** (***, ***)" in errors[0]
    assert "it says: bad password *** for ***" in errors[1]
    assert "redirects to" in errors[2]
    secrets = [*ENV.values(), basic(ENV["NPM_USER"], ENV["NPM_PASS"]).split()[1]]
    leaks = [(secret, text[:80]) for secret in secrets for text in texts if secret in text]
    assert leaks == []
    assert printed.err.count("verify = false") == 2     # once per run of the one source


@pytest.mark.usefixtures("credentials")
def test_sources_shows_time_taken_and_an_unset_variable_fails_that_source(
        tmp_path: Path, server: ReplayServer, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    files, apis = setup_audits(tmp_path, server)
    assert main(["sources", "-c", str(files), *AS_OF]) == 0
    assert main(["sources", "-c", str(apis), *AS_OF]) == 0
    monkeypatch.delenv("NETBOX_TOKEN")
    assert main(["sources", "-c", str(apis), *AS_OF]) == 3
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[:5] for line in lines[:6]] == [
        ["orion", "solarwinds-npm", "ok", "6", "records"],
        ["dcnm", "cisco-dcnm", "ok", "3", "records"],
        ["ipam", "netbox", "ok", "6", "records"]] * 2
    assert all(line.endswith(" s") and float(line.split()[-2]) >= 0 for line in lines[:6])
    failed = lines[8].split()
    assert failed[:3] == ["ipam", "netbox", "FAILED"] and failed[4] == "s"
    assert lines[8].endswith("source 'ipam': environment variable NETBOX_TOKEN (named by "
                             "token_env) is not set or empty; export it for the audit")

"""The shared HTTP layer (`connectors.shared.http`), against a local replay server.

Retries (503 with Retry-After, 429, timeouts, dropped connections) and what they wait,
the errors a user reads for 401/403/404, redirects and bodies that are not JSON (each
naming the source and URL, never a credential), paging, credentials from the environment,
and TLS: the default check, `verify = "ca.pem"` and `verify = false` with its one warning.
"""

from __future__ import annotations

import base64
import shutil
import ssl
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from auditor.errors import SourceError
from connectors.base import SourceSpec
from connectors.shared.http import Call, HttpClient, HttpError, base_url, shown_url
from connectors.shared.inputs import Inputs
from tests.replay_server import ReplayServer, Reply, replies

ENV = {"API_USER": "CORP\\svc-audit-7Q", "API_PASS": "Pa55-w0rd-Zq81!", "API_TOKEN": "tok-5b1f9c0e"}
PROXIES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")


@pytest.fixture()
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[ReplayServer]:
    for name in PROXIES:   # loopback only, never through a proxy
        monkeypatch.delenv(name, raising=False)
    with ReplayServer() as replay:
        yield replay
    assert replay.errors == []


class Recorder:
    """What the client waited and warned, instead of sleeping and printing."""

    def __init__(self) -> None:
        self.waits: list[float] = []
        self.warnings: list[str] = []


def client(url: str, rec: Recorder | None = None, env: dict[str, str] | None = None,
           **options: Any) -> HttpClient:
    rec = rec or Recorder()
    spec = SourceSpec("nms", "netbox", url=url, options={
        "username_env": "API_USER", "password_env": "API_PASS", "token_env": "API_TOKEN",
        **options})
    io = Inputs(env=ENV if env is None else env, sleep=rec.waits.append,
                warn=rec.warnings.append)
    return io.http(spec)


def no_secret_in(text: str) -> bool:
    basic = base64.b64encode(f"{ENV['API_USER']}:{ENV['API_PASS']}".encode()).decode()
    return not any(s in text for s in (*ENV.values(), basic))


def test_basic_auth_and_accept_header_are_sent(server: ReplayServer) -> None:
    server.route("GET", "/items", Reply.json({"results": [{"id": 1}]}))
    with client(server.url) as api:
        api.auth = api.basic_auth()
        assert api.get_json(api.url("/items")) == {"results": [{"id": 1}]}
    [request] = server.requests
    pair = base64.b64encode(b"CORP\\svc-audit-7Q:Pa55-w0rd-Zq81!").decode()
    assert request.header("Authorization") == f"Basic {pair}"
    assert request.header("Accept") == "application/json"


def test_503_with_retry_after_0_then_success(server: ReplayServer) -> None:
    server.route("GET", "/items", replies(
        Reply.json({"message": "maintenance"}, 503, {"Retry-After": "0"}),
        Reply.json({"results": []})))
    rec = Recorder()
    with client(server.url, rec) as api:
        assert api.get_json(api.url("/items")) == {"results": []}
    assert len(server.requests_to("GET", "/items")) == 2
    assert rec.waits == [0.0]


def test_waits_follow_retry_after_or_back_off_and_are_capped(server: ReplayServer) -> None:
    server.route("POST", "/query", replies(
        Reply(429, {"Retry-After": "7"}),
        Reply(502),                                  # no Retry-After: back off, 2nd wait 2 s
        Reply(504, {"Retry-After": "3600"}),         # an hour: capped at a minute
        Reply.json({"results": [1]})))
    rec = Recorder()
    with client(server.url, rec) as api:
        assert api.post_json(api.url("/query"), {"q": 1}) == {"results": [1]}
    assert rec.waits == [7.0, 2.0, 60.0]
    assert [r.json() for r in server.requests] == [{"q": 1}] * 4   # the body each time


def test_retries_run_out_naming_source_url_attempts_and_message(server: ReplayServer) -> None:
    server.route("GET", "/items", Reply.json({"message": "backend pool empty"}, 503,
                                             {"Retry-After": "0"}))
    with pytest.raises(HttpError) as info, client(server.url, retries=2) as api:
        api.get_json(api.url("/items") + "?limit=10")
    assert str(info.value) == (
        f"source 'nms', GET {server.url}/items?limit=10: HTTP 503 Service Unavailable "
        "(3 attempts); it says: backend pool empty")
    assert info.value.status == 503
    assert len(server.requests) == 3


def test_slow_answer_times_out_and_is_retried(server: ReplayServer) -> None:
    server.route("GET", "/slow", replies(Reply.json({"late": True}, delay=5.0),
                                         Reply.json({"late": False})))
    rec = Recorder()
    with client(server.url, rec, timeout=0.3) as api:
        assert api.get_json(api.url("/slow")) == {"late": False}
    assert len(server.requests_to("GET", "/slow")) == 2
    assert rec.waits == [1.0]    # BACKOFF after the first attempt


def test_slow_answer_every_time_says_timeout(server: ReplayServer) -> None:
    server.route("GET", "/slow", Reply.json({}, delay=5.0))
    with pytest.raises(HttpError) as info, client(server.url, timeout=0.2, retries=1) as api:
        api.get_json(api.url("/slow"))
    assert str(info.value) == (f"source 'nms', GET {server.url}/slow: no answer within 0.2 s "
                               "(timeout) (2 attempts)")


def test_dropped_connection_is_retried(server: ReplayServer) -> None:
    server.route("GET", "/items", replies(Reply(drop=True), Reply.json({"ok": 1})))
    with client(server.url) as api:
        assert api.get_json(api.url("/items")) == {"ok": 1}
    assert len(server.requests) == 2


def test_connection_refused_names_the_url() -> None:
    with ReplayServer() as gone:
        url = gone.url   # a port nothing listens on once it stops
    with pytest.raises(HttpError) as info, client(url, retries=0) as api:
        api.get_json(api.url("/items"))
    assert str(info.value) == (f"source 'nms', GET {url}/items: connection refused (is the "
                               "port right?) (1 attempt)")


@pytest.mark.parametrize(("status", "body", "words"), [
    (401, {"Message": "Authentication failed."},
     "HTTP 401 Unauthorized: the server refused the credentials from API_USER / API_PASS; "
     "it says: Authentication failed."),
    (403, {"detail": "Invalid v1 token"},
     "HTTP 403 Forbidden: the account is not allowed to read this (or the token is "
     "invalid); it says: Invalid v1 token"),
    (404, {"detail": "Not found."},
     "HTTP 404 Not Found: no such API path on this server; is url the server's base URL "
     "(try port 17774)?; it says: Not found."),
    (400, {"error": {"type": "parsing_exception", "message": "unknown query [mtch]"}},
     "HTTP 400 Bad Request; it says: unknown query [mtch]"),
])
def test_error_statuses_say_what_they_mean_once(server: ReplayServer, status: int,
                                                body: dict[str, Any], words: str) -> None:
    server.route("GET", "/items", Reply.json(body, status))
    spec = SourceSpec("nms", "netbox", url=server.url,
                      options={"username_env": "API_USER", "password_env": "API_PASS"})
    with pytest.raises(HttpError) as info, Inputs(env=ENV).http(
            spec, not_found_hint="try port 17774") as api:
        api.auth = api.basic_auth()
        api.get_json(api.url("/items"))
    assert str(info.value) == f"source 'nms', GET {server.url}/items: {words}"
    assert info.value.status == status
    assert len(server.requests) == 1     # never retried


def test_server_echoing_a_credential_is_scrubbed(server: ReplayServer) -> None:
    server.route("POST", "/login", Reply.json(
        {"message": "user CORP\\svc-audit-7Q: password Pa55-w0rd-Zq81! is wrong"}, 401))
    with pytest.raises(HttpError) as info, client(server.url) as api:
        api.post_json(api.url("/login"), {"userName": api.secret("username_env"),
                                          "userPasswd": api.secret("password_env")})
    assert "it says: user ***: password *** is wrong" in str(info.value)
    assert no_secret_in(str(info.value))


def test_redirect_is_not_followed_and_named(server: ReplayServer) -> None:
    server.route("GET", "/api/items", Reply(301, {"Location": "https://other.example:8443/api/"
                                                              "items?apitoken=abc"}))
    with pytest.raises(HttpError) as info, client(server.url) as api:
        api.auth = api.header_auth("Authorization", f"Token {api.secret('token_env')}")
        api.get_json(api.url("/api/items"))
    assert str(info.value) == (
        f"source 'nms', GET {server.url}/api/items: HTTP 301 Moved Permanently: the server "
        "redirects to https://other.example:8443/api/items?apitoken=***; set url to where "
        "the API answers (redirects are not followed, so credentials go to no other address)")
    assert len(server.requests) == 1


@pytest.mark.parametrize(("reply", "words"), [
    (Reply.text("<!DOCTYPE html><html><head><title>Sign in</title></head></html>",
                content_type="text/html"),
     "the answer is HTML or XML (text/html), not JSON: a login page, a proxy's error page or "
     "the wrong port? It starts: '<!DOCTYPE html><html><head><title>Sign in</title></head>"
     "</html>'"),
    (Reply(200, {"Content-Type": "application/json"}, b'{"results": [{"NodeID": 1, "Cap'),
     "the answer is not valid JSON (Unterminated string starting at: line 1 column 28 of "
     "31 bytes; cut short?); it starts: '{\"results\": [{\"NodeID\": 1, \"Cap'"),
    (Reply(200, {"Content-Type": "application/json"}, b""),
     "the answer is empty (application/json), not the JSON the API documents"),
])
def test_body_that_is_not_json_names_source_and_url(server: ReplayServer, reply: Reply,
                                                    words: str) -> None:
    server.route("GET", "/items", reply)
    with pytest.raises(HttpError) as info, client(server.url) as api:
        api.get_json(api.url("/items"))
    assert str(info.value) == f"source 'nms', GET {server.url}/items: {words}"
    assert info.value.bad_body
    assert len(server.requests) == 1


def test_unset_variable_names_source_key_and_variable_not_value(server: ReplayServer) -> None:
    env = {"API_USER": "someone"}
    with pytest.raises(HttpError) as info, client(server.url, env=env) as api:
        api.basic_auth()
    assert str(info.value) == ("source 'nms': environment variable API_PASS (named by "
                               "password_env) is not set or empty; export it for the audit")
    assert "someone" not in str(info.value)
    assert server.requests == []


def test_errors_raised_inside_leave_scrubbed_and_naming_the_source(server: ReplayServer) -> None:
    with pytest.raises(SourceError) as info, client(server.url) as api:
        token = api.secret("token_env")
        raise SourceError(f"token {token} did not parse", path=api.url("/x"))
    assert str(info.value) == f"source 'nms': {server.url}/x: token *** did not parse"


def test_pages_follow_until_none_and_stop_a_loop(server: ReplayServer) -> None:
    server.route("GET", "/p", lambda r: Reply.json(
        {"n": int(r.query["page"]), "next": f"/p?page={int(r.query['page']) + 1}"
         if r.query["page"] != "3" else None}))
    server.route("GET", "/loop", Reply.json({"next": "/loop?page=1"}))

    def follow(body: Any, call: Call) -> Call | None:
        return Call("GET", api.rebase(body["next"])) if body["next"] else None

    with client(server.url) as api:
        got = [body["n"] for _call, body in api.pages(Call("GET", api.url("/p?page=1")), follow)]
        assert got == [1, 2, 3]
        with pytest.raises(HttpError) as info:
            list(api.pages(Call("GET", api.url("/loop?page=1")), follow))
    assert str(info.value) == (f"source 'nms', GET {server.url}/loop?page=1: the API's paging "
                               "leads back to a page already read (after 1 pages); it would "
                               "never end")


def test_links_are_rebased_onto_the_configured_server() -> None:
    api = client("https://netbox.corp.example/netbox")
    assert api.rebase("http://netbox-internal:8080/netbox/api/ipam/prefixes/?limit=3&offset=3") \
        == "https://netbox.corp.example/netbox/api/ipam/prefixes/?limit=3&offset=3"
    assert api.rebase("/netbox/api/ipam/prefixes/?offset=6") == \
        "https://netbox.corp.example/netbox/api/ipam/prefixes/?offset=6"


def test_base_url_and_shown_url() -> None:
    assert base_url("https://orion:17774/SolarWinds/InformationService/v3/Json/",
                    ("/SolarWinds/",)) == "https://orion:17774"
    assert base_url("https://netbox.example/netbox/", ("/api/",)) == "https://netbox.example/netbox"
    assert shown_url("https://u:pw@prtg:8443/api/table.json?content=devices&apitoken=abc&"
                     "passhash=99") == \
        "https://prtg:8443/api/table.json?content=devices&apitoken=***&passhash=***"


# -- TLS ---------------------------------------------------------------------------------

@pytest.fixture()
def tls_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
               ) -> Iterator[tuple[ReplayServer, Path]]:
    """An https replay server with a self-signed certificate for 127.0.0.1 (its own CA)."""
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is not installed: no certificate to test TLS with")
    for name in PROXIES:
        monkeypatch.delenv(name, raising=False)
    cert, key = tmp_path / "ca.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", str(key), "-out",
                    str(cert), "-days", "2", "-subj", "/CN=127.0.0.1", "-addext",
                    "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True,
                   timeout=60)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    with ReplayServer(tls=context) as replay:
        replay.route("GET", "/items", Reply.json({"results": ["tls"]}))
        yield replay, cert


def test_tls_is_verified_by_default(tls_server: tuple[ReplayServer, Path]) -> None:
    server, _cert = tls_server
    rec = Recorder()
    with pytest.raises(HttpError) as info, client(server.url, rec) as api:
        api.get_json(api.url("/items"))
    assert api.session.verify is True
    assert str(info.value).startswith(
        f"source 'nms', GET {server.url}/items: TLS failed (certificate verify failed: ")
    assert str(info.value).endswith(
        'set verify = "ca.pem" (that CA\'s PEM file), or verify = false to skip the check')
    assert rec.warnings == [] and rec.waits == []     # not retried: it would fail the same


def test_verify_with_a_ca_file_passes_its_path(tls_server: tuple[ReplayServer, Path]) -> None:
    server, cert = tls_server
    rec = Recorder()
    with client(server.url, rec, verify=cert) as api:
        assert api.get_json(api.url("/items")) == {"results": ["tls"]}
        assert api.session.verify == str(cert)
    assert rec.warnings == []


def test_verify_false_warns_once_per_source(tls_server: tuple[ReplayServer, Path],
                                            capsys: pytest.CaptureFixture[str]) -> None:
    server, _cert = tls_server
    spec = SourceSpec("orion", "solarwinds-npm", url=server.url, options={"verify": False})
    with Inputs().http(spec) as api:
        assert api.get_json(api.url("/items")) == {"results": ["tls"]}
        assert api.get_json(api.url("/items")) == {"results": ["tls"]}
        assert api.session.verify is False
    host = server.url.removeprefix("https://")
    assert capsys.readouterr().err == (
        f"stale-audit: warning: source 'orion': verify = false: the TLS certificate of {host} "
        "is not checked, so whoever sits in between can read the credentials and answer in "
        "its place\n")


def test_netrc_credentials_are_never_sent(server: ReplayServer, tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login someone-else password netrc-pa55\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    server.route("POST", "/login", Reply.json({"token": "t"}))
    server.route("GET", "/items", Reply.json([]))
    with client(server.url) as api:
        api.post_json(api.url("/login"), {"userName": "u"})      # credentials in the body
        api.auth = api.header_auth("Authorization", "Bearer t")
        api.get_json(api.url("/items"))
    assert [r.header("Authorization") for r in server.requests] == [None, "Bearer t"]

"""Zabbix connector: `host.get` answers of 5.0 (host-level availability) and 5.4+ (per
interface), error answers, and the reference example read in place."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from auditor.errors import SourceError
from auditor.model import ToolState
from connectors import lookup
from connectors.base import SourceSpec
from connectors.sources.zabbix import ZabbixSource
from tests.conftest import EXAMPLES, FIXTURES, need_shared

CASES = FIXTURES / "zabbix"
UP, DOWN, UNKNOWN, DISABLED = (ToolState.UP, ToolState.DOWN, ToolState.UNKNOWN,
                               ToolState.DISABLED)


def _source(*paths: Path) -> ZabbixSource:
    return ZabbixSource(SourceSpec(name="zbx", type="zabbix", paths=paths, owner="NOC",
                                   poller="10.30.1.30"))


def _write(tmp_path: Path, body: object) -> Path:
    path = tmp_path / "hosts.json"
    path.write_text(body if isinstance(body, str) else json.dumps(body))
    return path


def _host(**overrides: object) -> dict[str, object]:
    host: dict[str, object] = {
        "hostid": "10700", "host": "sw-7", "name": "sw-7", "status": "0",
        "interfaces": [{"interfaceid": "700", "main": "1", "type": "2", "useip": "1",
                        "ip": "10.20.0.7", "dns": "", "port": "161", "available": "1"}]}
    host.update(overrides)
    return host


def test_registered_with_its_api_flag() -> None:
    assert lookup("sources", "zabbix") is ZabbixSource
    assert ZabbixSource.api is True


def test_zabbix_6_one_record_per_interface() -> None:
    source = _source(CASES / "host-get-6.0" / "hosts.json")
    got = [(t.id, t.address, t.protocol, t.port, t.polled, t.state, t.last_ok, t.poller)
           for t in source.fetch()]
    server = "10.30.1.30"
    assert got == [
        ("10501/31", "10.10.0.2", "udp", 161, True, UP, None, server),
        ("10577/88", "10.99.4.20", "udp", 161, True, DOWN, datetime(2019, 3, 2, 17, 40, 10),
         server),
        # not monitored, and its interface uses DNS: a name-only record
        ("10590/97", "legacy-ups-2.corp.example", "udp", 161, False, DISABLED, None, server),
        ("10612/120", "10.20.0.5", "tcp", 10050, True, UP, None, server),
        ("10612/121", "10.20.0.5", "udp", 161, True, UP, None, server),
        # a non-main interface nothing ever polled (availability 0): kept, not polled
        ("10612/122", "10.99.2.2", "udp", 161, False, UNKNOWN, None, server),
        ("10612/123", "10.20.0.6", "udp", 623, True, DOWN, datetime(2026, 11, 24, 8, 0),
         server),
        ("10640/130", "2001:db8:20::15", "tcp", 12345, True, UP, None, server),
        # behind a proxy: the server is not the poller; the port is a macro
        ("10655/135", "10.40.7.1", "udp", None, True, UP, None, None),
        # a non-main interface the pollers use (availability 1): polled
        ("10655/136", "10.40.7.2", "udp", 161, True, UP, None, None),
    ]
    assert [(s.location, s.reason) for s in source.skipped] == [
        (str(CASES / "host-get-6.0" / "hosts.json"), reason) for reason in (
            "host new-switch-tmp (hostid 10660): SNMP interface 140: ip '' is not an IP "
            "address",
            "host HTTP checks (hostid 10661) has no interface (selectInterfaces missing, or "
            "only trapper, HTTP or active-agent items): nothing is polled through one",
            "host pdu-3 (hostid 10662): SNMP interface 141: ip '10.20.0.300' is not an IP "
            "address")]


def test_zabbix_6_names_aliases_and_fixes() -> None:
    got = {t.id: t for t in _source(CASES / "host-get-6.0" / "hosts.json").fetch()}
    assert (got["10577/88"].name, got["10577/88"].aliases) == (
        "OLD-BLDG4-AP-CTRL", ("old-bldg4-ap-ctrl",))
    assert got["10501/31"].aliases == ("core-sw-01", "core-sw-01.corp.example")
    assert got["10577/88"].fix == ("Delete host OLD-BLDG4-AP-CTRL (hostid 10577) in Zabbix, "
                                   "or disable it")
    assert got["10590/97"].fix == ("Delete host legacy-ups-2 (hostid 10590) in Zabbix (it is "
                                   "not monitored)")
    assert got["10612/122"].fix == ("Remove the SNMP interface 10.99.2.2 from host fw-dc1-01 "
                                    "(ASA) (hostid 10612) in Zabbix")
    assert got["10655/135"].fix == ("Delete host branch-rtr-07 (hostid 10655, monitored by "
                                    "proxy 10455) in Zabbix, or disable it")


def test_zabbix_5_0_host_level_availability() -> None:
    source = _source(CASES / "host-get-5.0" / "hosts.json")
    got = [(t.id, t.address, t.polled, t.state, t.last_ok) for t in source.fetch()]
    assert got == [
        ("10501/31", "10.10.0.2", True, UP, None),
        ("10577/88", "10.99.4.20", True, DOWN, datetime(2019, 3, 2, 17, 40, 10)),
        ("10590/97", "legacy-ups-2.corp.example", False, DISABLED, None),
    ]
    # the server's own agent on 127.0.0.1 sends nothing across the network
    assert [s.reason for s in source.skipped] == [
        "host Zabbix server (hostid 10084): agent interface 1 is the polling host itself; "
        "no packet crosses the network"]


def test_reference_example_in_place() -> None:
    path = need_shared(EXAMPLES / "zabbix-host-get.json")
    got = [(t.id, t.name, t.address, t.polled, t.state, t.protocol, t.port, t.location)
           for t in _source(path).fetch()]
    assert got == [
        ("10501/31", "core-sw-01", "10.10.0.2", True, UP, "udp", 161, str(path)),
        ("10577/88", "OLD-BLDG4-AP-CTRL", "10.99.4.20", True, DOWN, "udp", 161, str(path)),
        ("10590/97", "legacy-ups-2", "legacy-ups-2.corp.example", False, DISABLED, "udp", 161,
         str(path)),
    ]


def test_secrets_in_interface_details_reach_no_record() -> None:
    targets = _source(CASES / "host-get-6.0" / "hosts.json").fetch()
    text = json.dumps([[str(getattr(t, f)) for f in t.__slots__] for t in targets])
    for secret in ("oldPublic", "n0cR3ad", "AuthPassw0rd", "PrivPassw0rd", "zbxMonitor"):
        assert secret not in text


def test_zabbix_7_proxy_fields(tmp_path: Path) -> None:
    path = _write(tmp_path, {"jsonrpc": "2.0", "id": 1, "result": [
        _host(hostid="1", monitored_by="1", proxyid="12"),
        _host(hostid="2", monitored_by="2", proxy_groupid="3"),
        _host(hostid="3", monitored_by="0", proxyid="0")]})
    got = [(t.poller, t.fix) for t in _source(path).fetch()]
    assert got == [
        (None, "Delete host sw-7 (hostid 1, monitored by proxy 12) in Zabbix, or disable it"),
        (None, "Delete host sw-7 (hostid 2, monitored by proxy group 3) in Zabbix, or "
         "disable it"),
        ("10.30.1.30", "Delete host sw-7 (hostid 3) in Zabbix, or disable it"),
    ]


def test_bare_result_list_and_parse_from_a_url(tmp_path: Path) -> None:
    path = _write(tmp_path, [_host()])
    assert [t.address for t in _source(path).fetch()] == ["10.20.0.7"]
    got = _source().parse({"jsonrpc": "2.0", "result": [_host()], "id": 1},
                          "https://zabbix.corp.example/api_jsonrpc.php")
    assert [(t.address, t.location) for t in got] == [
        ("10.20.0.7", "https://zabbix.corp.example/api_jsonrpc.php")]


@pytest.mark.parametrize(("host", "reason"), [
    (_host(hostid=""), "host #1 has no hostid"),
    (_host(status="3"), "host sw-7 (hostid 10700): status '3' is neither 0 (monitored) nor 1"),
    (_host(interfaces=[{"interfaceid": "9", "type": "5", "useip": "1", "ip": "10.20.0.9"}]),
     "host sw-7 (hostid 10700): interface 9 has type '5', not 1 (agent), 2 (SNMP), 3 (IPMI) "
     "or 4 (JMX)"),
    (_host(interfaces=[{"interfaceid": "9", "type": "1", "useip": "1", "ip": "10.20.0.9",
                        "port": "zabbix"}]),
     "host sw-7 (hostid 10700): agent interface 9: port 'zabbix' is not a port number"),
    (_host(interfaces=[{"interfaceid": "9", "type": "2", "useip": "0", "ip": "10.20.0.9",
                        "dns": "not a name"}]),
     "host sw-7 (hostid 10700): SNMP interface 9: dns 'not a name' is not a host name"),
])
def test_malformed_hosts_are_counted_and_skipped(tmp_path: Path, host: dict[str, object],
                                                 reason: str) -> None:
    path = _write(tmp_path, {"jsonrpc": "2.0", "result": [host, _host(hostid="2")], "id": 1})
    source = _source(path)
    assert [t.id for t in source.fetch()] == ["2/700"]
    assert [(s.location, s.reason) for s in source.skipped] == [(str(path), reason)]


def test_error_answer_quotes_code_and_message(tmp_path: Path) -> None:
    path = _write(tmp_path, {"jsonrpc": "2.0", "id": 1, "error": {
        "code": -32500, "message": "Application error.", "data": "No permissions to call "
        "\"host.get\"."}})
    with pytest.raises(SourceError) as info:
        _source(path).fetch()
    assert str(info.value) == (f"{path}, field 'error': the Zabbix API answered error -32500: "
                               'Application error. No permissions to call "host.get".')


def test_object_without_result_lists_its_keys(tmp_path: Path) -> None:
    path = _write(tmp_path, {"jsonrpc": "2.0", "id": 1})
    with pytest.raises(SourceError) as info:
        _source(path).fetch()
    assert str(info.value) == (f"{path}, field 'result': expected a Zabbix host.get answer, "
                               "got an object without 'result' (keys: id, jsonrpc)")


def test_broken_json_names_the_line(tmp_path: Path) -> None:
    path = _write(tmp_path, '{"jsonrpc": "2.0",\n"result": [{"hostid": "1",}]}')
    with pytest.raises(SourceError) as info:
        _source(path).fetch()
    assert (info.value.path, info.value.line) == (path, 2)

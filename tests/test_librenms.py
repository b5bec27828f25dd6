"""LibreNMS connector: `/api/v0/devices` bodies, current (numbers) and old (strings), the
server's local time, error answers, and the reference example read in place."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from auditor.errors import ConfigError, SourceError
from auditor.model import ToolState
from connectors import lookup
from connectors.base import SourceSpec
from connectors.sources.librenms import LibreNmsSource
from tests.conftest import EXAMPLES, FIXTURES, need_shared

CASES = FIXTURES / "librenms"
BERLIN = CASES / "devices-berlin" / "devices.json"
UP, DOWN, DISABLED = ToolState.UP, ToolState.DOWN, ToolState.DISABLED


def _source(*paths: Path, **options: object) -> LibreNmsSource:
    return LibreNmsSource(SourceSpec(name="librenms", type="librenms", paths=paths,
                                     owner="NOC", poller="10.30.1.40", options=options))


def _write(tmp_path: Path, body: object) -> Path:
    path = tmp_path / "devices.json"
    path.write_text(body if isinstance(body, str) else json.dumps(body))
    return path


def _device(**overrides: object) -> dict[str, object]:
    device: dict[str, object] = {
        "device_id": 7, "hostname": "10.20.0.7", "sysName": "sw-7", "ip": "10.20.0.7",
        "status": 1, "status_reason": "", "disabled": 0, "ignore": 0, "snmp_disable": 0,
        "port": 161, "transport": "udp", "last_polled": "2026-11-24 09:00:00",
        "last_ping": "2026-11-24 09:00:01"}
    device.update(overrides)
    return device


def test_registered_with_its_api_flag() -> None:
    assert lookup("sources", "librenms") is LibreNmsSource
    assert LibreNmsSource.api is True


def test_current_release_in_berlin_time() -> None:
    source = _source(BERLIN, timezone="Europe/Berlin")
    got = [(t.id, t.address, t.protocol, t.port, t.polled, t.state, t.last_ok, t.seen)
           for t in source.fetch()]
    nov = datetime(2026, 11, 24)
    assert got == [
        ("1", "10.10.0.2", "udp", 161, True, UP, nov.replace(hour=9, minute=55, second=7),
         nov.replace(hour=9, minute=55, second=7)),
        # down since 2019: last_polled frozen (CET, +1), last_ping still moves
        ("14", "10.99.4.20", "udp", 161, True, DOWN, datetime(2019, 3, 2, 17, 40, 2),
         nov.replace(hour=9, minute=55, second=6)),
        ("21", "172.16.40.11", "udp", 161, False, DISABLED, datetime(2023, 1, 9, 23, 55),
         datetime(2023, 1, 9, 23, 55, 1)),
        # July: CEST, +2
        ("30", "2001:db8:40::2", "udp", 161, True, UP, datetime(2026, 7, 15, 8, 50),
         datetime(2026, 7, 15, 8, 50)),
        # a name LibreNMS never resolved: a name-only record
        ("31", "dist-sw-09.corp.example", "udp", 161, True, DOWN, None,
         nov.replace(hour=9, minute=55, second=2)),
        # ping only: ICMP, up as of the last ping
        ("32", "10.20.0.40", "icmp", None, True, UP, nov.replace(hour=9, minute=55, second=3),
         nov.replace(hour=9, minute=55, second=3)),
        # ignored: alerts off, still polled
        ("33", "10.20.0.41", "udp", 161, True, DOWN, datetime(2026, 10, 1, 1, 10),
         nov.replace(hour=9, minute=55, second=4)),
        # overwrite_ip wins over hostname and ip; SNMP over TCP
        ("34", "10.20.0.42", "tcp", 1161, True, UP, nov.replace(hour=9, minute=50, second=9),
         nov.replace(hour=9, minute=55, second=1)),
        # never polled: MySQL's zero date is no date
        ("36", "10.20.5.12", "udp", 161, True, DOWN, None, None),
        # answers ping, only SNMP fails: it exists
        ("38", "10.20.0.44", "udp", 161, True, UP, nov.replace(hour=9, minute=55, second=7),
         nov.replace(hour=9, minute=55, second=7)),
    ]
    where = str(BERLIN)
    assert [(s.location, s.reason) for s in source.skipped] == [
        (where, "device_id 35 has no hostname"),
        (where, "device_id 37 (10.20.0.45): last_polled: not a date: '24.11.2026 10:50'"),
    ]


def test_names_aliases_poller_and_fixes() -> None:
    got = {t.id: t for t in _source(BERLIN, timezone="Europe/Berlin").fetch()}
    assert (got["14"].name, got["14"].aliases) == (
        "OLD-BLDG4-AP-CTRL", ("old-bldg4-ap-ctrl.corp.example", "old-bldg4-ap-ctrl"))
    assert (got["21"].name, got["21"].aliases) == ("legacy-ups-2", ("ups2",))
    assert got["34"].aliases == ("lab-fw", "lab-fw.lab.corp.example")
    assert {t.poller for t in got.values()} == {"10.30.1.40"}
    assert got["14"].fix == ("Delete device OLD-BLDG4-AP-CTRL (device_id 14) in LibreNMS, "
                             "or disable it")
    assert got["21"].fix == "Delete device legacy-ups-2 (device_id 21) in LibreNMS (it is disabled)"


def test_old_release_numbers_as_strings_in_utc() -> None:
    path = CASES / "devices-legacy-strings" / "devices.json"
    got = [(t.id, t.address, t.protocol, t.port, t.polled, t.state, t.last_ok)
           for t in _source(path).fetch()]
    assert got == [
        ("1", "10.10.0.2", "udp", 161, True, UP, datetime(2024, 5, 14, 9, 10, 7)),
        ("14", "10.99.4.20", "udp", 161, True, DOWN, datetime(2019, 3, 2, 17, 40, 2)),
        ("22", "sw-lab-3.corp.example", "tcp", 10161, True, UP, datetime(2024, 5, 14, 9, 5)),
    ]


def test_utc_offset_option(tmp_path: Path) -> None:
    path = _write(tmp_path, {"status": "ok", "count": 1, "devices": [_device()]})
    [target] = _source(path, utc_offset="-05:00").fetch()
    assert target.last_ok == datetime(2026, 11, 24, 14, 0)


@pytest.mark.parametrize(("options", "message"), [
    ({"timezone": "Mars/Olympus"}, "source 'librenms': timezone: 'Mars/Olympus' is no IANA "
     "time zone name (such as Europe/Berlin or America/New_York)"),
    ({"utc_offset": "+25:00"}, "source 'librenms': utc_offset: '+25:00' is not an offset "
     "such as +01:00 or -05:00"),
    ({"utc_offset": "+01:00", "timezone": "UTC"}, "source 'librenms': give timezone or "
     "utc_offset, not both"),
])
def test_bad_time_options_are_config_errors(options: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError) as info:
        _source(Path("absent.json"), **options)
    assert str(info.value) == message


def test_reference_example_in_place() -> None:
    path = need_shared(EXAMPLES / "librenms-devices.json")
    got = [(t.id, t.name, t.address, t.polled, t.state, t.last_ok, t.location)
           for t in _source(path).fetch()]
    assert got == [
        ("1", "core-sw-01", "10.10.0.2", True, UP, datetime(2024, 5, 14, 9, 10, 7), str(path)),
        ("14", "OLD-BLDG4-AP-CTRL", "10.99.4.20", True, DOWN, datetime(2019, 3, 2, 17, 40, 2),
         str(path)),
        ("21", "legacy-ups-2", "172.16.40.11", False, DISABLED, datetime(2023, 1, 9, 23, 55),
         str(path)),
    ]


def test_secrets_in_the_body_reach_no_record() -> None:
    targets = _source(BERLIN).fetch()
    text = json.dumps([[str(getattr(t, f)) for f in t.__slots__] for t in targets])
    for secret in ("n0cR3ad", "AuthPassw0rd", "PrivPassw0rd"):
        assert secret not in text


@pytest.mark.parametrize(("device", "reason"), [
    (_device(status="2"), "device_id 7 (10.20.0.7): status '2' is neither 1 (up) nor 0 "
     "(down)"),
    (_device(disabled="maybe"), "device_id 7 (10.20.0.7): disabled is 'maybe', not 0 or 1"),
    (_device(transport="sctp"), "device_id 7 (10.20.0.7): transport 'sctp' is not udp, tcp, "
     "udp6 or tcp6"),
    (_device(port=0), "device_id 7 (10.20.0.7): port '0' is not a port number"),
    (_device(hostname="not a host", ip=""), "device_id 7 (not a host): hostname is neither an "
     "IP address nor a host name"),
    (_device(hostname="localhost", ip="127.0.0.1"), "device_id 7 (localhost) is the polling "
     "host itself; no packet crosses the network"),
])
def test_malformed_devices_are_counted_and_skipped(tmp_path: Path, device: dict[str, object],
                                                   reason: str) -> None:
    path = _write(tmp_path, {"status": "ok", "count": 2,
                             "devices": [device, _device(device_id=8, hostname="10.20.0.8")]})
    source = _source(path)
    assert [t.id for t in source.fetch()] == ["8"]
    assert [(s.location, s.reason) for s in source.skipped] == [(str(path), reason)]


def test_error_status_quotes_the_message(tmp_path: Path) -> None:
    path = _write(tmp_path, {"status": "error", "message": "Device does not exist"})
    with pytest.raises(SourceError) as info:
        _source(path).fetch()
    assert str(info.value) == (f"{path}, field 'status': the LibreNMS API answered an error: "
                               "Device does not exist")


def test_count_that_disagrees_is_an_incomplete_answer(tmp_path: Path) -> None:
    path = _write(tmp_path, {"status": "ok", "count": 3, "devices": [_device()]})
    with pytest.raises(SourceError) as info:
        _source(path).fetch()
    assert str(info.value) == (f"{path}, field 'count': count says 3 but devices holds 1: the "
                               "answer is incomplete")


def test_parse_a_body_fetched_from_a_url() -> None:
    got = _source().parse({"status": "ok", "count": 1, "devices": [_device()]},
                          "https://librenms.corp.example/api/v0/devices")
    assert [(t.address, t.location) for t in got] == [
        ("10.20.0.7", "https://librenms.corp.example/api/v0/devices")]

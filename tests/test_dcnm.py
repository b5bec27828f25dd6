"""Cisco DCNM / NDFC connector: the reference example in place, wrappers and error paths.

The normal shapes are fixture cases under tests/fixtures/cisco-dcnm/.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from auditor.errors import SourceError
from auditor.model import ToolState
from connectors.base import SourceSpec
from connectors.sources.dcnm import DcnmSource
from tests.conftest import EXAMPLES, need_shared


def _source(*paths: Path) -> DcnmSource:
    return DcnmSource(SourceSpec(name="dcnm", type="cisco-dcnm", paths=paths, owner="DC team",
                                 poller="10.30.1.30"))


def _switch(**overrides: object) -> dict[str, object]:
    switch: dict[str, object] = {
        "switchDbID": 5, "logicalName": "leaf-5", "hostName": "leaf-5", "ipAddress": "10.30.0.5",
        "serialNumber": "FDO0000005", "fabricName": "F1", "status": "ok", "managable": True,
        "unmanagableCause": "", "mode": "Normal", "lastScanTime": 1795514100000}
    switch.update(overrides)
    return switch


def _write(tmp_path: Path, body: object) -> Path:
    path = tmp_path / "switches.json"
    path.write_text(body if isinstance(body, str) else json.dumps(body))
    return path


def _error(path: Path) -> SourceError:
    with pytest.raises(SourceError) as info:
        _source(path).fetch()
    return info.value


def test_reference_example_in_place() -> None:
    path = need_shared(EXAMPLES / "dcnm-switches.json")
    got = _source(path).fetch()
    assert [(t.id, t.address, t.state, t.polled, t.poller) for t in got] == [
        ("215060", "10.30.0.11", ToolState.UP, True, "10.30.1.30"),
        ("215070", "10.30.0.21", ToolState.UP, True, "10.30.1.30"),
        ("215080", "10.98.4.2", ToolState.DOWN, True, "10.30.1.30"),
    ]
    stale = got[2]
    assert stale.last_ok == stale.seen == datetime(2019, 3, 2, 17, 45, 11)
    assert stale.fix == ("Delete switch bldg4-agg-01 (serial FOC1822X0CC) from fabric "
                         "Legacy-Bldg4 in DCNM")
    assert (stale.protocol, stale.port, stale.owner) == ("udp", 161, "DC team")


@pytest.mark.parametrize(("overrides", "state"), [
    ({}, ToolState.UP),
    ({"managable": False}, ToolState.DOWN),
    ({"managable": "false"}, ToolState.DOWN),
    ({"unmanagableCause": "Unreachable"}, ToolState.DOWN),
    ({"status": "unreachable"}, ToolState.DOWN),
    ({"status": "OK"}, ToolState.UP),
    ({"status": None}, ToolState.UNKNOWN),
])
def test_state_and_always_polled(tmp_path: Path, overrides: dict[str, object],
                                 state: ToolState) -> None:
    [switch] = _source(_write(tmp_path, [_switch(**overrides)])).fetch()
    assert (switch.state, switch.polled) == (state, True)


def test_maintenance_mode_is_still_polled(tmp_path: Path) -> None:
    [switch] = _source(_write(tmp_path, [_switch(mode="Maintenance")])).fetch()
    assert switch.polled is True


def test_wrapped_array_and_name_fallbacks(tmp_path: Path) -> None:
    path = _write(tmp_path, {"switches": [
        _switch(logicalName="", hostName="agg-9", switchDbID=None, serialNumber="SAL99")]})
    [switch] = _source(path).fetch()
    assert (switch.id, switch.name) == ("SAL99", "agg-9")
    assert switch.fix == "Delete switch agg-9 (serial SAL99) from fabric F1 in DCNM"


def test_never_scanned_has_no_dates(tmp_path: Path) -> None:
    [switch] = _source(_write(tmp_path, [_switch(lastScanTime=0)])).fetch()
    assert (switch.last_ok, switch.seen) == (None, None)


def test_invalid_json_names_line_and_column(tmp_path: Path) -> None:
    path = _write(tmp_path, '[\n  {"switchDbID": 5,\n   "ipAddress" "10.30.0.5"}\n]')
    error = _error(path)
    assert str(error) == f"{path} line 3: invalid JSON at column 16: Expecting ':' delimiter"


def test_missing_ip_address_names_switch_and_field(tmp_path: Path) -> None:
    switch = _switch()
    del switch["ipAddress"]
    error = _error(_write(tmp_path, [switch]))
    assert error.field == "ipAddress"
    assert "switch leaf-5 (switchDbID 5) has no ipAddress" in str(error)


def test_bad_ip_address_names_switch(tmp_path: Path) -> None:
    error = _error(_write(tmp_path, [_switch(ipAddress="leaf-5.dc.example")]))
    assert str(error).endswith("field 'ipAddress': switch leaf-5 (switchDbID 5): "
                               "'leaf-5.dc.example' is not an IP address")


def test_bad_scan_time_names_field(tmp_path: Path) -> None:
    error = _error(_write(tmp_path, [_switch(lastScanTime="yesterday")]))
    assert error.field == "lastScanTime"
    assert "'yesterday' is not epoch milliseconds" in str(error)


def test_switch_without_any_id(tmp_path: Path) -> None:
    error = _error(_write(tmp_path, [_switch(switchDbID=None, serialNumber="")]))
    assert str(error).endswith("switch #1 has neither switchDbID nor serialNumber")


def test_non_object_entry(tmp_path: Path) -> None:
    error = _error(_write(tmp_path, [_switch(), "10.30.0.6"]))
    assert str(error).endswith("switch #2 is a str, not an object")

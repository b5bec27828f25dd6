"""Nagios connector: object files with templates and services, and status.dat."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from auditor.errors import SourceError
from auditor.model import ToolState
from connectors import lookup
from connectors.base import SourceSpec
from connectors.sources.nagios import NagiosSource
from tests.conftest import EXAMPLES, FIXTURES, need_shared

CASE = FIXTURES / "nagios" / "objects-status"
FILES = tuple(CASE / n for n in ("templates.cfg", "hosts.cfg", "services.cfg"))
UP, DOWN, UNKNOWN, DISABLED = (ToolState.UP, ToolState.DOWN, ToolState.UNKNOWN,
                               ToolState.DISABLED)


def _source(*paths: Path, root: Path | None = None, status: Path | None = None
            ) -> NagiosSource:
    options = {"status_path": status} if status else {}
    return NagiosSource(SourceSpec(name="nagios", type="nagios", paths=paths, owner="NOC",
                                   poller="10.30.1.20", options=options, root=root))


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_registered() -> None:
    assert lookup("sources", "nagios") is NagiosSource


def test_hosts_with_templates_services_and_status() -> None:
    source = _source(*FILES, root=CASE, status=CASE / "status.dat")
    got = [(t.id, t.address, t.protocol, t.port, t.polled, t.state, t.last_ok, t.seen,
            t.location) for t in source.fetch()]
    day = datetime(2026, 11, 24)
    assert got == [
        ("core-sw-01", "10.10.0.2", "icmp", None, True, UP, day.replace(hour=9, minute=55),
         day.replace(hour=9, minute=57), "hosts.cfg:5"),
        # host check off, but an active SNMP service still reaches it; its last OK is 2019
        ("old-bldg4-ap-ctrl", "10.99.4.20", "udp", 161, True, UNKNOWN,
         datetime(2019, 3, 2, 16, 40), day.replace(hour=9, minute=58), "hosts.cfg:12"),
        # passive-host (first template) turns the host check off; its service is passive
        ("ups-2", "172.16.40.11", "icmp", None, False, DISABLED, None,
         datetime(2023, 1, 9, 23, 55), "hosts.cfg:21"),
        # no address: checked on its host name
        ("core-rtr-02.corp.example", "core-rtr-02.corp.example", "icmp", None, True, DOWN,
         datetime(2026, 11, 23, 9, 55), day.replace(hour=9, minute=56), "hosts.cfg:28"),
        ("edge-v6", "2001:db8:40::2", "icmp", None, True, UNKNOWN, None, None,
         "hosts.cfg:36"),
        # its template is in no file read: Nagios's defaults, an unknown check
        ("branch-rtr-07", "10.40.7.1", None, None, True, UNKNOWN, None, None,
         "hosts.cfg:70"),
    ]
    assert [(s.location, s.reason) for s in source.skipped] == [
        ("hosts.cfg:55", "host core-sw-01 is defined again (first at hosts.cfg:5); Nagios "
         "refuses duplicates"),
        ("hosts.cfg:71", "host template 'branch-router' is not in the files read: what it "
         "sets (check_command, active_checks_enabled...) is unknown; add its file (or "
         "objects.cache) to paths"),
        ("hosts.cfg:43", "host localhost-check: address 127.0.0.1 is the polling host itself; "
         "no packet crosses the network"),
        ("hosts.cfg:52", "host pdu-3: address '10.20.0.300' is neither an IP address nor a "
         "host name"),
    ]


def test_fix_says_what_still_checks_the_host() -> None:
    got = {t.id: t for t in _source(*FILES, root=CASE, status=CASE / "status.dat").fetch()}
    assert got["core-sw-01"].fix == "Delete host core-sw-01 and its services (hosts.cfg:5) in " \
        "Nagios"
    assert got["old-bldg4-ap-ctrl"].fix == (
        "Delete host old-bldg4-ap-ctrl and its services (hosts.cfg:12) in Nagios: its host "
        "check is off, but service 'SNMP uptime' still checks it")
    assert got["ups-2"].fix == "Delete host ups-2 (hosts.cfg:21) in Nagios (nothing checks it " \
        "actively)"
    assert {t.poller for t in got.values()} == {"10.30.1.20"}
    assert got["core-sw-01"].aliases == ("core-sw-01",)


def test_without_status_dat_the_state_is_unknown() -> None:
    got = [(t.id, t.polled, t.state, t.last_ok) for t in _source(*FILES).fetch()]
    assert got[:3] == [("core-sw-01", True, UNKNOWN, None),
                       ("old-bldg4-ap-ctrl", True, UNKNOWN, None),
                       ("ups-2", False, DISABLED, None)]


def test_reference_example_in_place() -> None:
    path = need_shared(EXAMPLES / "nagios-hosts.cfg")
    source = _source(path)
    where = path.as_posix()
    got = [(t.id, t.address, t.protocol, t.port, t.polled, t.location) for t in source.fetch()]
    # active_checks_enabled 0 on old-bldg4-ap-ctrl stops the host check, not its
    # check_snmp service: Nagios still sends it SNMP
    assert got == [
        ("core-sw-01", "10.10.0.2", "icmp", None, True, f"{where}:1"),
        ("old-bldg4-ap-ctrl", "10.99.4.20", "udp", 161, True, f"{where}:11"),
    ]
    assert [s.location for s in source.skipped] == [f"{where}:2", f"{where}:21"]
    assert source.skipped[0].reason.startswith("host template 'generic-switch' is not in the "
                                                "files read")


def test_continuations_comments_groups_and_wildcards(tmp_path: Path) -> None:
    path = _write(tmp_path, "objects.cfg", """\
define host{
    host_name   sw-a ; a comment
    address     10.20.1.1
    check_command \\
        check_tcp!2222
    hostgroups  access
}
define host{
    host_name   sw-b
    address     10.20.1.2
    active_checks_enabled 0
    notes       one\\;two
    }
define host{
    host_name   sw-c
    address     10.20.1.3
    active_checks_enabled 0 }
define hostgroup{
    hostgroup_name  access
    members         sw-b
}
define service{
    host_name       *,!sw-a
    hostgroup_name  !access
    service_description  ssh
    check_command   check_ssh
}
""")
    got = [(t.id, t.polled, t.protocol, t.port, t.location, t.fix) for t in
           _source(path, root=tmp_path).fetch()]
    assert got == [
        ("sw-a", True, "tcp", 2222, "objects.cfg:1",
         "Delete host sw-a and its services (objects.cfg:1) in Nagios"),
        # in hostgroup access, which the service excludes: nothing checks it
        ("sw-b", False, None, None, "objects.cfg:8",
         "Delete host sw-b (objects.cfg:8) in Nagios (nothing checks it actively)"),
        ("sw-c", True, "tcp", 22, "objects.cfg:14",
         "Delete host sw-c and its services (objects.cfg:14) in Nagios: its host check is "
         "off, but service 'ssh' still checks it"),
    ]


def test_runtime_switch_in_status_dat_overrides_the_files(tmp_path: Path) -> None:
    cfg = _write(tmp_path, "hosts.cfg", "define host {\n host_name sw-9\n address 10.20.9.9\n"
                 " check_command check-host-alive\n}\n")
    status = _write(tmp_path, "status.dat", "hoststatus {\n\thost_name=sw-9\n"
                    "\thas_been_checked=1\n\tcurrent_state=0\n\tlast_check=1795514100\n"
                    "\tlast_time_up=1795514100\n\tactive_checks_enabled=0\n\t}\n")
    [target] = _source(cfg, status=status).fetch()
    assert (target.polled, target.state, target.seen) == (
        False, DISABLED, datetime(2026, 11, 24, 9, 55))


def test_command_arguments_never_reach_a_record() -> None:
    targets = _source(*FILES, status=CASE / "status.dat").fetch()
    text = json.dumps([[str(getattr(t, f)) for f in t.__slots__] for t in targets])
    assert "n0cR3ad" not in text


def test_unclosed_define_names_file_and_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "hosts.cfg", "# hosts\n\ndefine host {\n host_name a\n")
    with pytest.raises(SourceError) as info:
        _source(path).fetch()
    assert str(info.value) == f"{path} line 3: define host is never closed with `}}`"


def test_status_dat_junk_names_its_line(tmp_path: Path) -> None:
    status = _write(tmp_path, "status.dat", "info {\n\tcreated=1\n\t}\nhoststatus {\n"
                    "\thost_name=a\n\tlast_check\n\t}\n")
    with pytest.raises(SourceError) as info:
        _source(*FILES, status=status).fetch()
    assert str(info.value) == (f"{status} line 6: hoststatus: expected key=value, got "
                               "'last_check'")


def test_status_dat_bad_epoch_names_the_field(tmp_path: Path) -> None:
    status = _write(tmp_path, "status.dat", "hoststatus {\n\thost_name=core-sw-01\n"
                    "\thas_been_checked=1\n\tlast_check=yesterday\n\t}\n")
    with pytest.raises(SourceError) as info:
        _source(*FILES, status=status).fetch()
    assert str(info.value) == (f"{status}, field 'last_check': core-sw-01: "
                               "last_check='yesterday' is not epoch seconds")


def test_files_with_only_templates_are_an_error(tmp_path: Path) -> None:
    with pytest.raises(SourceError) as info:
        _source(CASE / "templates.cfg").fetch()
    assert str(info.value) == (f"{CASE / 'templates.cfg'}: no `define host` that is a host "
                               "(register 0 marks templates) in any of the files")

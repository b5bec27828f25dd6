"""snmp-config: the reference examples read in place, secrets, detection, errors, edge syntax.

The fixture cases under tests/fixtures/snmp-config/ are checked record by record by
tests/test_fixture_cases.py; this file covers what golden files cannot say on their own.
"""

from __future__ import annotations

import codecs
import json
from pathlib import Path

import pytest

from auditor.errors import SourceError
from auditor.jsonable import target_detail
from auditor.model import Target
from connectors.base import SkippedLine, SourceSpec
from connectors.sources.snmp import SnmpConfigSource
from tests.conftest import EXAMPLES, FIXTURES, need_shared

CASES = FIXTURES / "snmp-config"


def _fetch(*paths: Path, root: Path | None = None, poller: str | None = None) -> list[Target]:
    spec = SourceSpec(name="snmp", type="snmp-config", paths=paths, owner="NOC",
                      poller=poller, root=root)
    return SnmpConfigSource(spec).fetch()


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def _read(tmp_path: Path, text: str, name: str = "device.cfg") -> list[Target]:
    return _fetch(_write(tmp_path, name, text), root=tmp_path)


def _triples(targets: list[Target]) -> set[tuple[str, bool, int | None]]:
    return {(t.address, t.polled, t.port) for t in targets}


def _every_field(targets: list[Target]) -> str:
    return json.dumps([target_detail(t) for t in targets])


# --- the reference examples, read where they are ------------------------------------

#: file -> exact (address, polled, port) set, and the secrets in it that must not leak.
REFERENCE = {
    "snmpd.conf": (
        {("10.10.5.20", False, None),   # rocommunity ... 10.10.5.20
         ("10.10.5.21", False, None),   # rwcommunity ... 10.10.5.21/32
         ("10.99.3.40", False, None),   # com2sec legacyNMS 10.99.3.40
         ("10.99.3.40", True, 162),     # trapsink
         ("10.10.5.20", True, 162),     # trap2sink ... 162 (separate port word)
         ("10.99.3.41", True, 162),     # informsink 10.99.3.41:162
         ("10.10.5.21", True, 162),     # trapsess ... 10.10.5.21:162
         ("10.99.3.42", True, 162)},    # trapsess -v 3 ... 10.99.3.42
        ["n0cR3ad", "wr1teC0m", "oldPublic", "localPublic", "n0cTrap", "trapuser",
         "authpass123", "privpass123"]),
    "snmptrapd.conf": (
        {("10.99.3.40", True, 162), ("10.10.5.20", True, 162)},
        ["n0cTrap", "oldPublic"]),
    "ios-snmp.txt": (
        {("10.10.5.20", False, None), ("10.99.3.40", False, None),   # access-list 90
         ("10.10.5.20", True, 162), ("10.99.3.40", True, 162), ("10.99.3.41", True, 1162),
         ("10.10.5.21", True, 162), ("10.99.3.42", True, 162)},
        ["n0cR3ad", "wr1teC0m", "n0cTrap", "oldPublic", "trapuser"]),
    "nxos-snmp.txt": (
        {("10.10.5.20", True, 162), ("10.98.0.50", True, 162)},
        ["n0cR3ad", "n0cTrap", "trapuser", "0x00aa11bb22cc33dd44ee55ff66778899"]),
    "asa-snmp.txt": (
        {("10.10.5.20", True, 162), ("10.99.3.40", False, None), ("10.99.3.41", True, 1162),
         ("10.10.5.21", True, 162)},
        ["*****", "trapuser"]),
    "windows-snmp.reg": (
        {("10.10.5.20", False, None), ("10.99.3.40", False, None),
         ("oldnms.corp.example", False, None),
         ("10.10.5.20", True, 162), ("10.99.3.40", True, 162), ("10.99.3.41", True, 162)},
        ["n0cTrap", "oldPublic", "n0cR3ad"]),
}


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_reference_example(name: str) -> None:
    path = need_shared(EXAMPLES / name)
    expected, secrets = REFERENCE[name]
    targets = _fetch(path, root=path.parent, poller="10.30.9.9")
    assert _triples(targets) == expected
    assert len(targets) == len(expected)  # one record per host and role, no duplicates
    assert len({t.id for t in targets}) == len(targets)
    assert all(t.id == t.location and t.id.startswith(f"{name}:") for t in targets)
    assert all(t.poller == "10.30.9.9" and t.state == "unknown" for t in targets)
    text = _every_field(targets)
    leaked = [s for s in secrets if s in text]
    assert leaked == []


def test_reference_snmpd_names_and_fixes() -> None:
    path = need_shared(EXAMPLES / "snmpd.conf")
    by_id = {t.id: t for t in _fetch(path, root=path.parent)}
    assert by_id["snmpd.conf:20"].name == "trapsink 10.99.3.40"
    assert by_id["snmpd.conf:20"].fix == ("Remove the trapsink 10.99.3.40 line (snmpd.conf "
                                          "line 20) and restart snmpd")
    assert by_id["snmpd.conf:22"].name == "informsink 10.99.3.41:162"
    assert by_id["snmpd.conf:24"].name == "trapsess 10.99.3.42"
    assert by_id["snmpd.conf:13"].name == "com2sec source 10.99.3.40"
    assert "snmpd.conf:8" not in by_id  # rocommunity ... 10.99.12.0/24: a network, no host


def test_reference_windows_reg_is_utf16_with_crlf() -> None:
    path = need_shared(EXAMPLES / "windows-snmp.reg")
    assert path.read_bytes()[:2] == codecs.BOM_UTF16_LE
    by_name = {t.name: t for t in _fetch(path, root=path.parent)}
    trap = by_name["TrapConfiguration trap destination 10.99.3.40"]
    # The export names no machine: the file name's stem says where to make the change.
    assert trap.fix == ("Delete trap destination 10.99.3.40 from the SNMP Service's Traps tab "
                        "(TrapConfiguration) on windows-snmp")
    assert by_name["PermittedManagers 10.99.3.40"].fix.startswith(
        "Remove 10.99.3.40 from the permitted managers")


# --- secrets in the repository's own fixture cases -----------------------------------

FIXTURE_SECRETS = {
    "snmpd": ["Pl4nt-RO-2024", "Wr1te-n0t-h3re", "L0cal-Only", "Leg4cy-c0mm", "Tr4p-2c-k3y",
              "trapper", "Auth pass 99", "Pr1vPr1vPr1v"],
    "snmptrapd": ["Rel4y-tr4p", "0ld-r3lay", "relayv3"],
    "ios": ["Ro-Str1ng-x", "Rw-Str1ng-y", "Unused-z", "Tr4p-c0mm", "v3trap"],
    "nxos": ["Nx-R34d", "Nx-Unused", "Tr4p-nx0s", "v3trap", "0x5a3c0f1e2d4b6a79",
             "0x0badc0de1122"],
    "asa": ["*****", "v3poll", "6d:a1:44", "9f:3e:71"],
    "windows-reg": ["W1n-Tr4p", "0ld-Tr4p", "W1n-R34d"],
    "windows-reg-remote": ["Ap9-R34d", "Ap9-Tr4p"],
    "mixed": ["Acc-R34d", "Acc-Tr4p", "Db-R34d", "Db-Tr4p", "Gp0-Tr4p", "Gp0-R34d",
              "Rel4y-tr4p"],
}


@pytest.mark.parametrize("case", sorted(FIXTURE_SECRETS))
def test_fixture_case_never_carries_a_secret(case: str) -> None:
    folder = CASES / case
    raw = json.loads((folder / "spec.json").read_text())
    names = raw.get("paths") or sorted(p.name for p in folder.iterdir()
                                       if p.name not in ("spec.json", "expected.json"))
    targets = _fetch(*(folder / n for n in names), root=folder)
    assert targets
    text = _every_field(targets)
    assert [s for s in FIXTURE_SECRETS[case] if s in text] == []


# --- detection from content ----------------------------------------------------------


def test_kind_is_detected_from_content_not_name(tmp_path: Path) -> None:
    cisco = _write(tmp_path, "snmpd.conf", "snmp-server host 10.99.1.1 version 2c c0mm\n")
    netsnmp = _write(tmp_path, "router.txt", "trap2sink 10.99.1.2 c0mm\n")
    targets = _fetch(cisco, netsnmp, root=tmp_path)
    assert [(t.id, t.name) for t in targets] == [
        ("snmpd.conf:1", "snmp-server host 10.99.1.1"), ("router.txt:1", "trap2sink 10.99.1.2")]


def test_unknown_file_names_the_file(tmp_path: Path) -> None:
    good = _write(tmp_path, "snmpd.conf", "trapsink 10.99.1.1 c\n")
    bad = _write(tmp_path, "hosts.json", '{"hosts": ["10.99.1.1"]}\n')
    with pytest.raises(SourceError) as info:
        _fetch(good, bad, root=tmp_path)
    assert str(info.value).startswith(str(bad))
    assert "not a recognised SNMP configuration" in str(info.value)


def test_commented_out_directives_are_records_that_send_nothing(tmp_path: Path) -> None:
    """SPEC: a commented-out SNMP line is a record with polled false; prose is nothing."""
    got = _read(tmp_path, "# trapsink 10.99.1.1 public\n\n#trap2sink 10.99.1.2\n"
                          "# forward every trap to the NOC\n")
    assert [(t.address, t.polled, str(t.state), t.name) for t in got] == [
        ("10.99.1.1", False, "disabled", "commented-out trapsink 10.99.1.1"),
        ("10.99.1.2", False, "disabled", "commented-out trap2sink 10.99.1.2")]
    assert all("public" not in t.fix and "sends nothing" in t.fix for t in got)


def test_regedit4_and_policy_keys(tmp_path: Path) -> None:
    path = tmp_path / "old.reg"
    path.write_text("REGEDIT4\r\n\r\n[HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\SNMP\\Parameters"
                    "\\PermittedManagers]\r\n\"1\"=\"10.99.1.7\"\r\n", encoding="cp1252")
    (target,) = _fetch(path, root=tmp_path)
    assert (target.address, target.polled, target.name) == (
        "10.99.1.7", False, "PermittedManagers 10.99.1.7")
    assert "Group Policy" in target.fix


def test_deleted_registry_key_configures_nothing(tmp_path: Path) -> None:
    text = ("Windows Registry Editor Version 5.00\r\n\r\n[-HKEY_LOCAL_MACHINE\\SYSTEM\\"
            "CurrentControlSet\\Services\\SNMP\\Parameters\\TrapConfiguration\\x]\r\n"
            "\"1\"=\"10.99.1.8\"\r\n")
    path = tmp_path / "del.reg"
    path.write_bytes(codecs.BOM_UTF16_LE + text.encode("utf-16-le"))
    assert _fetch(path, root=tmp_path) == []


def test_same_file_listed_twice_is_read_once(tmp_path: Path) -> None:
    path = _write(tmp_path, "snmpd.conf", "trapsink 10.99.1.1 c\n")
    assert len(_fetch(path, path, root=tmp_path)) == 1


# --- net-snmp syntax -----------------------------------------------------------------


@pytest.mark.parametrize(("line", "address", "protocol", "port"), [
    ("trapsink 10.99.1.1", "10.99.1.1", "udp", 162),
    ("trapsink 10.99.1.1 c 1162", "10.99.1.1", "udp", 1162),
    ("trapsink 10.99.1.1:2162 c 1162", "10.99.1.1", "udp", 2162),  # HOST's own port wins
    ("trap2sink udp:10.99.1.1:162 c", "10.99.1.1", "udp", 162),
    ("informsink tcp:NMS.Corp.Example:10162 c", "nms.corp.example", "tcp", 10162),
    ("trap2sink [FD00:99::1]:1162 c", "fd00:99::1", "udp", 1162),
    ("trap2sink udp6:[fd00:99::1] c", "fd00:99::1", "udp", 162),
    ("trap2sink fd00:99::1 c", "fd00:99::1", "udp", 162),
    ("trapsess -v 2c -c c 10.99.1.1:1162", "10.99.1.1", "udp", 1162),
    ("trapsess -Ci -v2c -cc tcp:10.99.1.1", "10.99.1.1", "tcp", 162),
    ("trapsess -v 3 -u u -l authPriv -a SHA -A 'a b c' -x AES -X p 10.99.1.1",
     "10.99.1.1", "udp", 162),
    ("trap2sink 10.99.1.1 c # moved to 10.30.1.10 next week", "10.99.1.1", "udp", 162),
    ("forward .1.3.6.1.4.1.9.9.41.2 10.99.1.1", "10.99.1.1", "udp", 162),
])
def test_notification_destinations(tmp_path: Path, line: str, address: str, protocol: str,
                                   port: int) -> None:
    (target,) = _read(tmp_path, line + "\n", "snmpd.conf")
    assert (target.address, target.polled, target.protocol, target.port) == (
        address, True, protocol, port)


@pytest.mark.parametrize(("line", "address"), [
    ("rocommunity c 10.99.1.1", "10.99.1.1"),
    ("rocommunity c 10.99.1.1/32 .1.3.6.1.2.1.1", "10.99.1.1"),
    ('rocommunity "our ro community" 10.99.1.1', "10.99.1.1"),
    ("rocommunity -V sys c 10.99.1.1", "10.99.1.1"),
    ("rwcommunity c 10.99.1.1/255.255.255.255", "10.99.1.1"),
    ("rocommunity c Old-Cacti.corp.example", "old-cacti.corp.example"),
    ("rocommunity6 c fd00:99::1/128", "fd00:99::1"),
    ("com2sec -Cn ctx sec 10.99.1.1 c", "10.99.1.1"),
    ("com2sec6 sec fd00:99::1 c", "fd00:99::1"),
    ("authCommunity log,net c 10.99.1.1", "10.99.1.1"),
])
def test_permitted_pollers(tmp_path: Path, line: str, address: str) -> None:
    (target,) = _read(tmp_path, line + "\n", "snmpd.conf")
    assert (target.address, target.polled, target.protocol, target.port) == (
        address, False, None, None)


@pytest.mark.parametrize("line", [
    "rocommunity c", "rocommunity c default", "rocommunity c 10.99.1.0/24",
    "rocommunity6 c fd00:99::/64", "com2sec sec default c", "com2sec sec 10.99.0.0/16 c",
    "com2sec sec 127.0.0.1 c", "rocommunity c localhost", "authCommunity log c",
    "trapsink localhost c", "trapsink 127.0.0.5 c", "trap2sink [::1]:162 c",
    "trapsink unix:/var/run/traps.sock", "trapsink udp:162 c",
    "agentaddress udp:10.99.1.1:161", "traphandle default /bin/notify 10.99.1.1",
    "   # trapsink localhost c", "# rocommunity c 10.99.1.1",
])
def test_lines_that_name_no_remote_host(tmp_path: Path, line: str) -> None:
    assert _read(tmp_path, "sysLocation DC2\n" + line + "\n", "snmpd.conf") == []


@pytest.mark.parametrize(("line", "field", "message"), [
    ("trapsink", "trapsink", "trapsink has no host"),
    ("trapsess -v 2c -c S3cr3t-c0mm", "trapsess", "trapsess has no host"),
    ("trap2sink 10.99.1.1 S3cr3t-c0mm 99999", "port", "not a number from 1 to 65535"),
    ("trapsink 10.99.3.400 S3cr3t-c0mm", "trapsink", "not an address or host name"),
    ("rocommunity S3cr3t-c0mm 10.99.1.0/33", "source", "not an address, network"),
    ("com2sec sec S3cr3t-c0mm", "com2sec", "needs SECNAME SOURCE COMMUNITY"),
    ("forward default", "forward", "needs an OID (or default) and a destination"),
])
def test_broken_lines_name_file_line_field_without_secrets(
        tmp_path: Path, line: str, field: str, message: str) -> None:
    path = _write(tmp_path, "snmpd.conf", "sysLocation DC2\n" + line + "\n")
    with pytest.raises(SourceError) as info:
        _fetch(path, root=tmp_path)
    error = info.value
    assert (error.path, error.line, error.field) == (path, 2, field)
    assert message in str(error)
    assert "S3cr3t" not in str(error)


# --- Cisco syntax --------------------------------------------------------------------


def test_ios_extended_numbered_acl_and_hostname_host(tmp_path: Path) -> None:
    targets = _read(tmp_path, "\n".join([
        "access-list 110 permit udp host 10.99.1.5 any eq snmp",
        "access-list 110 permit udp 10.99.1.0 0.0.0.255 any eq snmp",
        "access-list 110 permit udp 10.99.1.6 0.0.0.0 any eq snmp",
        "snmp-server community Ro-c0mm RO 110",
        "snmp-server host NMS-OLD.corp.example informs version 2c Tr4p udp-port 2162",
    ]) + "\n")
    assert [(t.address, t.polled, t.port, t.name) for t in targets] == [
        ("10.99.1.5", False, None, "access-list 110 permit 10.99.1.5"),
        ("10.99.1.6", False, None, "access-list 110 permit 10.99.1.6"),
        ("nms-old.corp.example", True, 2162,
         "snmp-server host NMS-OLD.corp.example informs"),
    ]
    assert targets[0].fix.startswith("Remove it from the device config: ip access-list "
                                     "extended 110, then no permit udp host 10.99.1.5 any eq "
                                     "snmp (device.cfg line 1)")
    assert "Ro-c0mm" not in _every_field(targets) and "Tr4p" not in _every_field(targets)


def test_unreferenced_acls_name_no_pollers(tmp_path: Path) -> None:
    targets = _read(tmp_path, "access-list 5 permit 10.99.1.5\n"
                              "snmp-server community c RO\n"
                              "snmp-server host 10.99.1.9 c\n")
    assert _triples(targets) == {("10.99.1.9", True, 162)}


def test_nxos_extra_lines_join_their_host_even_when_first(tmp_path: Path) -> None:
    targets = _read(tmp_path, "snmp-server host 10.99.1.1 use-vrf management\n"
                              "snmp-server host 10.99.1.1 traps version 2c c udp_port 1162\n"
                              "snmp-server host 10.99.1.2 traps version 2c c\n")
    assert [(t.id, t.address, t.port) for t in targets] == [
        ("device.cfg:1", "10.99.1.1", 1162), ("device.cfg:3", "10.99.1.2", 162)]
    assert targets[0].fix.endswith("(device.cfg lines 1, 2)")
    assert targets[0].fix.startswith("Remove it from the switch config: no snmp-server host "
                                     "10.99.1.1 traps version 2c <community> udp_port 1162")


def test_asa_poll_trap_and_both(tmp_path: Path) -> None:
    targets = _read(tmp_path, "snmp-server host outside 10.99.1.1 poll community *****\n"
                              "snmp-server host outside 10.99.1.2 trap community *****\n"
                              "snmp-server host outside 10.99.1.3 community ***** "
                              "udp-port 2162\n")
    assert [(t.address, t.polled, t.protocol, t.port) for t in targets] == [
        ("10.99.1.1", False, None, None), ("10.99.1.2", True, "udp", 162),
        ("10.99.1.3", True, "udp", 2162)]


@pytest.mark.parametrize(("line", "message"), [
    ("snmp-server host", "snmp-server host has no address"),
    ("snmp-server host 10.99.1.300 S3cr3t", "not an address or host name"),
    ("snmp-server host 10.99.1.3 version 2c S3cr3t udp-port none", "udp-port is not a number"),
])
def test_broken_cisco_lines(tmp_path: Path, line: str, message: str) -> None:
    path = _write(tmp_path, "r1.txt", "hostname r1\n" + line + "\n")
    with pytest.raises(SourceError) as info:
        _fetch(path, root=tmp_path)
    assert (info.value.path, info.value.line) == (path, 2)
    assert message in str(info.value) and "S3cr3t" not in str(info.value)


def test_broken_registry_value(tmp_path: Path) -> None:
    text = ("Windows Registry Editor Version 5.00\r\n\r\n[HKEY_LOCAL_MACHINE\\SYSTEM\\"
            "CurrentControlSet\\Services\\SNMP\\Parameters\\PermittedManagers]\r\n"
            "\"1\"=\"10.99.1.300\"\r\n")
    path = tmp_path / "bad.reg"
    path.write_bytes(codecs.BOM_UTF16_LE + text.encode("utf-16-le"))
    with pytest.raises(SourceError) as info:
        _fetch(path, root=tmp_path)
    assert (info.value.line, info.value.field) == (4, "1")


def test_iosxr_community_acls(tmp_path: Path) -> None:
    targets = _read(tmp_path, "\n".join([
        "ipv4 access-list SNMP-XR",
        " 10 permit ipv4 host 10.99.1.5 any",
        " 20 permit ipv4 10.99.1.0 0.0.0.255 any",
        "ip access-list logging interval 10",
        "snmp-server community Xr-c0mm RO SystemOwner IPv4 SNMP-XR",
    ]) + "\n")
    assert [(t.address, t.polled, t.name) for t in targets] == [
        ("10.99.1.5", False, "access-list SNMP-XR permit 10.99.1.5")]
    assert targets[0].fix == ("Remove it from the device config: ipv4 access-list SNMP-XR, "
                              "then no 10 (device.cfg line 2)")


# --- secrets in host slots: lines whose words are out of order -------------------------

SECRET = "S3cr3tComm"


def _read_with_skips(tmp_path: Path, text: str,
                     name: str = "device.cfg") -> tuple[list[Target], list[SkippedLine]]:
    spec = SourceSpec(name="snmp", type="snmp-config", paths=(_write(tmp_path, name, text),),
                      owner="NOC", root=tmp_path)
    source = SnmpConfigSource(spec)
    return source.fetch(), source.skipped


def _assert_nowhere(secret: str, targets: list[Target], skipped: list[SkippedLine]) -> None:
    text = _every_field(targets) + json.dumps([[s.location, s.reason] for s in skipped])
    assert secret.lower() not in text.lower()


#: (line that makes the word a secret, misordered line that puts it in the host slot)
NETSNMP_MISORDERED = [
    (f"rocommunity {SECRET} 10.10.5.20", f"informsink {SECRET} 10.250.9.4"),
    (f"rocommunity {SECRET} 10.10.5.20", f"trap2sink {SECRET}"),
    (f"rocommunity {SECRET} 10.10.5.20", f"trapsess -v 2c 10.250.9.4 {SECRET}"),
    (f"rocommunity {SECRET} 10.10.5.20", f"trapsink {SECRET} 10.250.9.4 1162"),
    (f"rocommunity {SECRET} 10.10.5.20", f"rocommunity 10.250.9.4 {SECRET}"),
    (f"com2sec nms 10.10.5.20 {SECRET}", f"trap2sink udp:{SECRET}:162"),
    (f"com2sec nms 10.10.5.20 {SECRET}", f"com2sec nms2 {SECRET} 10.250.9.4"),
    (f"createUser trapper SHA {SECRET} AES Pr1vK3y-99", f"trap2sink {SECRET}"),
    (f"createUser -e 0x80001f88 trapper SHA Auth-K3y AES {SECRET}", f"trapsink {SECRET}"),
    (f"trapcommunity {SECRET}", f"informsink {SECRET}"),
    (f"trap2sink 10.10.5.21 {SECRET}", f"trap2sink {SECRET}"),
    (f"trapsess -v 2c -c {SECRET} 10.10.5.21", f"informsink {SECRET} 10.250.9.4"),
    (f"rouser {SECRET} priv", f"trap2sink {SECRET}"),
    (f"authCommunity log,net {SECRET} 10.10.5.22", f"forward default {SECRET}"),
]


@pytest.mark.parametrize(("defines", "misordered"), NETSNMP_MISORDERED)
def test_netsnmp_secret_in_a_host_slot_goes_nowhere(tmp_path: Path, defines: str,
                                                    misordered: str) -> None:
    targets, skipped = _read_with_skips(tmp_path, "\n".join([
        "sysLocation DC2",
        defines,
        "trap2sink 10.10.5.30 0ther-c0mm",
        misordered,
        "informsink nms.corp.example 0ther-c0mm",
        "#" + misordered,  # commented out: no record either
    ]) + "\n", "snmpd.conf")
    _assert_nowhere(SECRET, targets, skipped)
    kept = {(t.address, t.location) for t in targets}
    assert {("10.10.5.30", "snmpd.conf:3"), ("nms.corp.example", "snmpd.conf:5")} <= kept
    assert not any(t.location in ("snmpd.conf:4", "snmpd.conf:6") for t in targets)
    assert [s.location for s in skipped] == ["snmpd.conf:4"]
    assert "skipped" in skipped[0].reason


def test_a_secret_that_is_no_host_name_skips_the_line_instead_of_failing_the_file(
        tmp_path: Path) -> None:
    """Before, `trap2sink "Auth pass 99"` failed the whole source; now only the line goes."""
    targets, skipped = _read_with_skips(tmp_path, 'createUser trapper SHA "Auth pass 99" AES\n'
                                                  'trap2sink "Auth pass 99"\n'
                                                  "trap2sink 10.99.1.1 c0mm\n", "snmpd.conf")
    assert [(t.address, t.location) for t in targets] == [("10.99.1.1", "snmpd.conf:3")]
    assert [s.location for s in skipped] == ["snmpd.conf:2"]
    _assert_nowhere("Auth pass", targets, skipped)


@pytest.mark.parametrize("misordered", [
    "informsink N0tKn0wn 10.250.9.4",          # community first, host second
    "trap2sink N0tKn0wn nms.corp.example",
    "trapsess -v 2c 10.250.9.4 N0tKn0wn",      # -c forgotten: the community is last
    "rocommunity 10.250.9.4 N0tKn0wn",
    "com2sec nms N0tKn0wn 10.250.9.4",
    "informsink N0tKn0wn nms02",              # nms02 is a host on another line
])
def test_bare_word_in_host_slot_with_a_host_in_the_community_slot(
        tmp_path: Path, misordered: str) -> None:
    """The word in the host slot is used nowhere else, but the line reads as swapped.

    Well-ordered lines with bare host names (no dot) around it stay records.
    """
    targets, skipped = _read_with_skips(tmp_path, f"trap2sink nms02 c0mm\n{misordered}\n"
                                                  "rocommunity c0mm nms01\n"
                                                  "informsink nms03\n"
                                                  "trap2sink nms04 c0mm2 1162\n", "snmpd.conf")
    assert [(t.address, t.polled, t.port, t.location) for t in targets] == [
        ("nms02", True, 162, "snmpd.conf:1"), ("nms01", False, None, "snmpd.conf:3"),
        ("nms03", True, 162, "snmpd.conf:4"), ("nms04", True, 1162, "snmpd.conf:5")]
    assert [s.location for s in skipped] == ["snmpd.conf:2"]
    _assert_nowhere("N0tKn0wn", targets, skipped)


CISCO_MISORDERED = [
    f"snmp-server host {SECRET} 10.1.1.1",
    f"snmp-server host {SECRET} version 2c 10.1.1.1",
    f"snmp-server host {SECRET} traps version 2c 10.1.1.1",
    f"snmp-server host {SECRET} informs version 2c 10.1.1.1 udp-port 1162",
    f"snmp-server host {SECRET}",
    f"snmp-server host 10.1.1.3 vrf {SECRET} traps version 2c 0ther-c0mm",
]


@pytest.mark.parametrize("defines", [
    f"snmp-server community {SECRET} RO 90",
    f"snmp-server user {SECRET} NMS v3 auth sha Auth-K3y priv aes 128 Pr1v-K3y",
    f"snmp-server user nmsuser NMS v3 auth sha {SECRET} priv aes 128 Pr1v-K3y",
    f"snmp-server user nmsuser network-admin auth md5 Auth-K3y priv {SECRET}",
    f"snmp-server host 10.1.1.8 traps version 2c {SECRET}",
    f"snmp-server host 10.1.1.8 version 3 priv {SECRET}",
])
@pytest.mark.parametrize("misordered", CISCO_MISORDERED)
def test_cisco_secret_in_a_host_slot_goes_nowhere(tmp_path: Path, defines: str,
                                                  misordered: str) -> None:
    targets, skipped = _read_with_skips(tmp_path, "\n".join([
        "hostname rtr-dc2-01",
        defines,
        "snmp-server host 10.1.1.9 version 2c 0ther-c0mm",
        misordered,
        "access-list 90 permit 10.1.1.20",
    ]) + "\n", "rtr.txt")
    _assert_nowhere(SECRET, targets, skipped)
    assert ("10.1.1.9", True, 162, "rtr.txt:3") in {
        (t.address, t.polled, t.port, t.location) for t in targets}
    assert not any(t.location == "rtr.txt:4" for t in targets)
    assert [s.location for s in skipped] == ["rtr.txt:4"]


def test_cisco_swapped_host_and_community_without_a_known_secret(tmp_path: Path) -> None:
    targets, skipped = _read_with_skips(tmp_path, "snmp-server host N0tKn0wn version 2c "
                                                  "10.1.1.1\n"
                                                  "snmp-server host 10.1.1.9 version 2c c0mm\n")
    assert [(t.address, t.location) for t in targets] == [("10.1.1.9", "device.cfg:2")]
    assert [s.location for s in skipped] == ["device.cfg:1"]
    _assert_nowhere("N0tKn0wn", targets, skipped)


def test_asa_secret_used_as_the_interface_goes_nowhere(tmp_path: Path) -> None:
    """Interface names (bare words) stay as they are; only a known secret is refused."""
    targets, skipped = _read_with_skips(tmp_path, f"snmp-server host inside 10.1.1.1 community "
                                                  f"{SECRET}\n"
                                                  f"snmp-server host {SECRET} 10.1.1.2\n"
                                                  "snmp-server host mgmt 10.1.1.3 poll\n")
    assert [(t.address, t.polled, t.name) for t in targets] == [
        ("10.1.1.1", True, "snmp-server host inside 10.1.1.1"),
        ("10.1.1.3", False, "snmp-server host mgmt 10.1.1.3 poll")]
    assert [s.location for s in skipped] == ["device.cfg:2"]
    _assert_nowhere(SECRET, targets, skipped)


def _reg(path: Path, lines: list[str]) -> Path:
    path.write_bytes(codecs.BOM_UTF16_LE + "\r\n".join(lines).encode("utf-16-le"))
    return path


_PARAMS = r"HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Services\SNMP\Parameters"


def test_registry_community_in_a_host_value_goes_nowhere(tmp_path: Path) -> None:
    path = _reg(tmp_path / "srv.reg", [
        "Windows Registry Editor Version 5.00", "",
        f"[{_PARAMS}\\PermittedManagers]", '"1"="10.30.1.10"', f'"2"="{SECRET}"', "",
        f"[{_PARAMS}\\TrapConfiguration\\Tr4p-K3y]", '"1"="tr4p-k3y"', '"2"="10.99.8.20"', "",
        f"[{_PARAMS}\\ValidCommunities]", f'"{SECRET}"=dword:00000004', ""])
    source = SnmpConfigSource(SourceSpec(name="w", type="snmp-config", paths=(path,),
                                         root=tmp_path))
    targets = source.fetch()
    assert [(t.address, t.location) for t in targets] == [("10.30.1.10", "srv.reg:4"),
                                                          ("10.99.8.20", "srv.reg:9")]
    assert [s.location for s in source.skipped] == ["srv.reg:5", "srv.reg:8"]
    _assert_nowhere(SECRET, targets, source.skipped)
    _assert_nowhere("Tr4p-K3y", targets, source.skipped)


# --- Windows registry exports: the fix names the machine ------------------------------


@pytest.mark.parametrize(("name", "first_lines", "key_prefix", "machine"), [
    ("aaa-srv01.reg", [], "", "aaa-srv01"),
    ("export.reg", [], "\\\\SRV-DC2-APP11\\", "SRV-DC2-APP11"),     # regedit, remote registry
    ("export.reg", ["; Computer: SRV-DC2-APP12"], "", "SRV-DC2-APP12"),
    ("export.reg", ["; ComputerName=app13.corp.example"], "", "app13.corp.example"),
    ("export.reg", ["; Exported from \\\\SRV-DC2-APP14"], "", "SRV-DC2-APP14"),
    ("export.reg", ["; SNMP settings, see change 4711"], "", "export"),  # prose names no one
])
def test_registry_fix_names_the_machine(tmp_path: Path, name: str, first_lines: list[str],
                                        key_prefix: str, machine: str) -> None:
    path = _reg(tmp_path / name, ["Windows Registry Editor Version 5.00", *first_lines, "",
                                  f"[{key_prefix}{_PARAMS}\\PermittedManagers]",
                                  '"1"="10.99.8.15"', "",
                                  f"[{key_prefix}{_PARAMS}\\TrapConfiguration\\c0mm]",
                                  '"1"="10.99.8.20"', ""])
    manager, trap = _fetch(path, root=tmp_path)
    assert manager.fix == ("Remove 10.99.8.15 from the permitted managers (SNMP Service "
                           "properties, Security tab: Accept SNMP packets from these hosts) "
                           f"on {machine}")
    assert trap.fix == ("Delete trap destination 10.99.8.20 from the SNMP Service's Traps tab "
                        f"(TrapConfiguration) on {machine}")


def test_compressed_registry_export_is_named_without_its_suffixes(tmp_path: Path) -> None:
    import gzip

    text = "\r\n".join(["Windows Registry Editor Version 5.00", "",
                        f"[{_PARAMS}\\TrapConfiguration\\c0mm]", '"1"="10.99.8.20"', ""])
    path = tmp_path / "aaa-srv02.reg.gz"
    path.write_bytes(gzip.compress(codecs.BOM_UTF16_LE + text.encode("utf-16-le")))
    (trap,) = _fetch(path, root=tmp_path)
    assert trap.fix.endswith("(TrapConfiguration) on aaa-srv02")


def test_group_policy_fix_names_the_machine_it_was_exported_from(tmp_path: Path) -> None:
    policy = r"HKEY_LOCAL_MACHINE\SOFTWARE\Policies\SNMP\Parameters"
    path = _reg(tmp_path / "app08.reg", ["Windows Registry Editor Version 5.00", "",
                                         f"[{policy}\\PermittedManagers]", '"1"="10.99.8.15"',
                                         ""])
    (manager,) = _fetch(path, root=tmp_path)
    assert manager.fix == ("Remove 10.99.8.15 from the permitted managers in the Group Policy "
                           "that sets SNMP permitted managers on app08")

"""Telegraf connector: `[[inputs.snmp]]` agents in telegraf.conf and telegraf.d files."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from auditor.cli import main
from auditor.errors import SourceError
from auditor.model import ToolState
from connectors import lookup
from connectors.base import SourceSpec
from connectors.sources.telegraf import TelegrafSource
from tests.conftest import EXAMPLES, FIXTURES, need_shared

CASES = FIXTURES / "telegraf"
CONF = CASES / "telegraf-conf"


def _source(*paths: Path, root: Path | None = None) -> TelegrafSource:
    return TelegrafSource(SourceSpec(name="tig", type="telegraf", paths=paths, owner="NOC",
                                     poller="10.30.1.60", root=root))


def test_registered() -> None:
    assert lookup("sources", "telegraf") is TelegrafSource


def test_agents_of_every_snmp_block_with_their_lines() -> None:
    source = _source(CONF / "telegraf.conf", root=CONF)
    got = [(t.id, t.address, t.protocol, t.port, t.polled, t.state, t.poller)
           for t in source.fetch()]
    poller, unknown = "10.30.1.60", ToolState.UNKNOWN
    assert got == [
        ("telegraf.conf:43", "10.10.0.2", "udp", 161, True, unknown, poller),
        ("telegraf.conf:44", "10.99.4.20", "udp", 161, True, unknown, poller),
        ("telegraf.conf:45", "10.30.0.11", "tcp", 1161, True, unknown, poller),
        ("telegraf.conf:46", "2001:db8:10::1", "udp", 161, True, unknown, poller),
        ("telegraf.conf:47", "core-rtr-02.corp.example", "udp", 161, True, unknown, poller),
        # the SNMPv3 block: both agents on one line
        ("telegraf.conf:71", "172.16.40.11", "udp", 161, True, unknown, poller),
        ("telegraf.conf:71", "ups-3.corp.example", "udp", 1161, True, unknown, poller),
    ]
    assert [(s.location, s.reason) for s in source.skipped] == [
        ("telegraf.conf:81", "commented-out [[inputs.snmp]] block: Telegraf does not poll "
         "its agents"),
        ("telegraf.conf:48", "agent 'udp://10.99.7.300:161' is not a host, host:port or "
         "scheme://host:port"),
        ("telegraf.conf:49", "agent 'udp://${SPARE_SWITCH}:161' holds an environment variable "
         "that Telegraf fills in at start: its value is not in the file"),
        ("telegraf.conf:50", "agent '127.0.0.1' is the polling host itself; no packet crosses "
         "the network"),
    ]


def test_fix_names_block_version_and_interval_never_the_community() -> None:
    targets = _source(CONF / "telegraf.conf", root=CONF).fetch()
    assert targets[1].fix == ("Remove agent 10.99.4.20 from the [[inputs.snmp]] block at "
                              "telegraf.conf:34 (SNMP v2c, every 60s)")
    assert targets[5].fix == ("Remove agent 172.16.40.11 from the [[inputs.snmp]] block at "
                              "telegraf.conf:70 (SNMP v3)")
    text = json.dumps([[str(getattr(t, f)) for f in t.__slots__] for t in targets])
    for secret in ("n0cR3ad", "telegrafUs3r", "AuthPassw0rd", "PrivPassw0rd"):
        assert secret not in text


def test_config_directory_files_and_unquoted_environment_values() -> None:
    case = CASES / "telegraf-d"
    source = _source(case / "telegraf.conf", case / "telegraf.d" / "branch.conf",
                     case / "telegraf.d" / "dc2.conf", root=case)
    got = [(t.location, t.address, t.protocol, t.port) for t in source.fetch()]
    assert got == [
        ("telegraf.d/branch.conf:3", "10.40.7.1", "udp", 161),
        ("telegraf.d/branch.conf:3", "10.40.8.1", "udp", 161),
        ("telegraf.d/dc2.conf:2", "10.20.8.1", "tcp", 161),
        ("telegraf.d/dc2.conf:2", "10.20.8.2", "udp", 10161),
    ]
    assert source.skipped == []


def test_reference_example_in_place() -> None:
    path = need_shared(EXAMPLES / "telegraf-snmp.conf")
    source = _source(path)
    where = path.as_posix()
    got = [(t.location, t.address, t.protocol, t.port, t.fix) for t in source.fetch()]
    fix = f"from the [[inputs.snmp]] block at {where}:1 (SNMP v2c, every 60s)"
    assert got == [
        (f"{where}:2", "10.10.0.2", "udp", 161, f"Remove agent udp://10.10.0.2:161 {fix}"),
        (f"{where}:2", "10.99.4.20", "udp", 161, f"Remove agent 10.99.4.20 {fix}"),
        (f"{where}:2", "10.30.0.11", "tcp", 161, f"Remove agent tcp://10.30.0.11:161 {fix}"),
    ]
    # the commented-out block (10.99.7.5) polls nothing: counted, not a record
    assert [(s.location, s.reason) for s in source.skipped] == [
        (f"{where}:15", "commented-out [[inputs.snmp]] block: Telegraf does not poll its "
         "agents")]


def test_paths_glob_through_the_config_and_a_stale_finding(tmp_path: Path, capsys) -> None:
    shutil.copytree(CASES / "telegraf-d", tmp_path / "tig")
    (tmp_path / "tig" / "spec.json").unlink()
    (tmp_path / "prefixes.txt").write_text("10.20.0.0/16\n10.40.7.0/24\n")
    config = tmp_path / "audit.toml"
    config.write_text('[audit]\nname = "tig"\n\n[[sources]]\nname = "tig"\ntype = "telegraf"\n'
                      'paths = ["tig/telegraf.conf", "tig/telegraf.d/*.conf"]\n'
                      'poller = "10.30.1.61"\nowner = "NOC"\n\n[[networks]]\nname = "ipam"\n'
                      'type = "prefix-list"\npath = "prefixes.txt"\n')
    code = main(["audit", "-c", str(config), "--json", "-", "--as-of", "2026-11-24T10:00:00Z"])
    report = json.loads(capsys.readouterr().out)
    assert code == 1
    assert report["sources"][0] == {"name": "tig", "type": "telegraf", "status": "ok",
                                    "records": 4, "error": None}
    stale = [(f["address"], f["polled"], [r["location"] for r in f["records"]])
             for f in report["findings"] if f["verdict"] == "stale"]
    assert stale == [("10.40.8.1", True, ["tig/telegraf.d/branch.conf:3"])]


def test_broken_toml_names_file_line_and_column(tmp_path: Path) -> None:
    path = CASES / "broken-toml" / "telegraf.conf"
    with pytest.raises(SourceError) as info:
        _source(path).fetch()
    assert str(info.value) == f"{path} line 6: invalid TOML at column 3: Unclosed array"


def test_files_without_any_snmp_block_are_an_error(tmp_path: Path) -> None:
    path = tmp_path / "telegraf.conf"
    path.write_text('[agent]\n  interval = "10s"\n\n[[inputs.cpu]]\n')
    with pytest.raises(SourceError) as info:
        _source(path).fetch()
    assert str(info.value) == f"{path}: no [[inputs.snmp]] block in any of the files"


def test_block_without_agents_and_unknown_scheme_are_counted(tmp_path: Path) -> None:
    path = tmp_path / "telegraf.conf"
    path.write_text('[[inputs.snmp]]\n  version = 2\n\n[[inputs.snmp]]\n'
                    '  agents = ["snmp://10.20.0.9", "10.20.0.10"]\n')
    source = _source(path, root=tmp_path)
    assert [t.address for t in source.fetch()] == ["10.20.0.10"]
    assert [(s.location, s.reason) for s in source.skipped] == [
        ("telegraf.conf:1", "[[inputs.snmp]] block without agents: nothing is polled"),
        ("telegraf.conf:5", "agent 'snmp://10.20.0.9': scheme 'snmp' is not udp, tcp, udp4, "
         "udp6, tcp4 or tcp6"),
    ]

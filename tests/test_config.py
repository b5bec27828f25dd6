"""audit.toml validation: every mistake names the file, the table and the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.cli import main
from auditor.config import load_config
from auditor.errors import ConfigError


def write(tmp_path: Path, text: str, files: tuple[str, ...] = ("nodes.json",)) -> Path:
    for name in files:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("{}")
    config = tmp_path / "audit.toml"
    config.write_text(text)
    return config


GOOD = """
[audit]
name = "Nightly"
stale_after_days = 30

[[sources]]
name = "orion"
type = "solarwinds-npm"
path = "nodes.json"
engines_path = "engines.json"
owner = "NOC"
poller = "10.30.1.10"

[[networks]]
name = "ipam"
type = "prefix-list"
path = "nets/*.csv"

[[logs]]
name = "fw"
type = "cisco-asa"
paths = ["logs/fw-*.log*"]
"""


def test_good_config_resolves_paths_and_globs(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, GOOD, ("nodes.json", "engines.json", "nets/a.csv",
                                                "nets/b.csv", "logs/fw-1.log.gz",
                                                "logs/fw-2.log", "logs/other.log")))
    assert config.name == "Nightly"
    assert config.stale_after_days == 30
    orion = config.sources[0]
    assert orion.paths == (tmp_path / "nodes.json",)
    assert orion.options["engines_path"] == tmp_path / "engines.json"
    assert (orion.owner, orion.poller) == ("NOC", "10.30.1.10")
    assert [p.name for p in config.networks[0].paths] == ["a.csv", "b.csv"]
    assert [p.name for p in config.logs[0].paths] == ["fw-1.log.gz", "fw-2.log"]
    assert orion.where(tmp_path / "nodes.json", 3) == "nodes.json:3"


@pytest.mark.parametrize(("change", "expected"), [
    (("engines_path", "engine_path"),
     "[[sources]] 'orion', key 'engine_path': unknown key; did you mean 'engines_path'? valid:"),
    (('type = "solarwinds-npm"', 'type = "solarwind"'),
     "[[sources]] 'orion', key 'type': unknown sources type 'solarwind'; valid: cisco-dcnm, "
     "csv, librenms, nagios, prometheus, snmp-config, solarwinds-npm, telegraf, trackit, "
     "zabbix"),
    (('path = "nodes.json"', 'path = "missing.json"'), "key 'path': file not found"),
    (('"logs/fw-*.log*"', '"logs/nope-*.log"'), "key 'paths': glob 'logs/nope-*.log' matches no "
                                                 "file"),
    (("stale_after_days = 30", 'stale_after_days = "30"'),
     "[audit], key 'stale_after_days': must be a whole number"),
    (('name = "ipam"', 'name = "orion"'), "key 'name': duplicate name"),
    (("[audit]", "[audits]"), "top level, key 'audits': unknown key; did you mean 'audit'?"),
    (('poller = "10.30.1.10"', 'poller = "orion-01"'), "key 'poller': 'orion-01' is not an IP"),
    (('owner = "NOC"', 'url = "https://orion:17774"'),
     "key 'path': give either path (a file export) or url (the live API), not both"),
    (('type = "prefix-list"', 'type = "prefix-list"\nusername_env = "IPAM_USER"'),
     "[[networks]] 'ipam', key 'username_env': type 'prefix-list' reads files only, not a live "
     "API (types that do: netbox); export to a file and set path"),
])
def test_config_errors_name_file_table_and_key(tmp_path: Path, change: tuple[str, str],
                                               expected: str) -> None:
    text = GOOD.replace(*change)
    path = write(tmp_path, text, ("nodes.json", "engines.json", "nets/a.csv", "logs/fw-1.log"))
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert message.startswith(str(path) + ": ")
    assert expected in message


def test_missing_and_malformed_config_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "nope.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[audit\nname = 1")
    with pytest.raises(ConfigError, match="invalid TOML"):
        load_config(bad)


def test_cli_reports_config_error_in_one_line_with_exit_2(tmp_path: Path, capsys) -> None:
    path = write(tmp_path, GOOD.replace("engines_path", "engine_path"),
                 ("nodes.json", "nets/a.csv", "logs/fw-1.log"))
    assert main(["audit", "-c", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert err.startswith("stale-audit: error: ") and "engine_path" in err


@pytest.mark.parametrize(("value", "shown"), [
    ("1000000000", "1000000000"),  # used to overflow timedelta in reconcile: a traceback
    ("-1", "-1"),
    ('"14"', "str '14'"),
    ("true", "bool True"),
    ("14.5", "float 14.5"),
])
def test_stale_after_days_out_of_range_is_exit_2_with_the_range(tmp_path: Path, capsys,
                                                               value: str, shown: str) -> None:
    path = write(tmp_path, GOOD.replace("stale_after_days = 30", f"stale_after_days = {value}"),
                 ("nodes.json", "engines.json", "nets/a.csv", "logs/fw-1.log"))
    assert main(["audit", "-c", str(path), "-o", str(tmp_path / "r.json")]) == 2
    err = capsys.readouterr().err
    assert err == (f"stale-audit: error: {path}: [audit], key 'stale_after_days': must be a "
                   f"whole number in 0..36500 days, not {shown}\n")
    assert not (tmp_path / "r.json").exists()


@pytest.mark.parametrize(("line", "expected"), [
    ("snmp_port = 70000", "key 'snmp_port': must be a whole number in 1..65535, not 70000"),
    ('timeout = "2"', "key 'timeout': must be a number in 0.001..300, not str '2'"),
    ("retries = -1", "key 'retries': must be a whole number in 0..10, not -1"),
    ("concurrency = 2.5", "key 'concurrency': must be a whole number in 1..10000, not float"),
    ("rate = true", "key 'rate': must be a number in 0.001..100000, not bool True"),
    ('enabled = "no"', "key 'enabled': must be true or false, not 'no'"),
    ("tcp_ports = [22, 0]", "key 'tcp_ports': must be \"polled\" or a list of ports in "
                            "1..65535, not [22, 0]"),
])
def test_probe_numbers_are_checked(tmp_path: Path, line: str, expected: str) -> None:
    path = write(tmp_path, GOOD + f"\n[probe]\n{line}\n",
                 ("nodes.json", "engines.json", "nets/a.csv", "logs/fw-1.log"))
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(info.value).startswith(f"{path}: [probe], {expected}")


@pytest.mark.parametrize("names,order", [
    (["fw.log", "fw.log.1", "fw.log.2.gz", "fw.log.10.gz", "fw.log.3.gz"],
     ["fw.log.10.gz", "fw.log.3.gz", "fw.log.2.gz", "fw.log.1", "fw.log"]),
    (["fw.log", "fw.log-20261129.gz", "fw.log-20261128.gz", "fw.log-2026112913"],
     ["fw.log-20261128.gz", "fw.log-20261129.gz", "fw.log-2026112913", "fw.log"]),
    (["edge-2.log", "edge-1.log", "core.log"], ["core.log", "edge-1.log", "edge-2.log"]),
])
def test_a_glob_of_rotated_logs_is_read_oldest_first(tmp_path: Path, names: list[str],
                                                     order: list[str]) -> None:
    """logrotate counts back in time (`.1` is newer than `.2`) and the live file is the
    newest: a glob reads them in the order their lines were written, so a Teardown meets the
    Built an older file left open. Names with no rotation suffix keep their sorted order."""
    for name in names:
        (tmp_path / name).write_text("")
    (tmp_path / "t.csv").write_text("address\n10.1.1.1\n")
    (tmp_path / "audit.toml").write_text('[[sources]]\nname = "t"\ntype = "csv"\n'
                                         'path = "t.csv"\n\n'
                                         '[[logs]]\nname = "fw"\ntype = "cisco-asa"\n'
                                         'paths = ["*.log*"]\n')
    config = load_config(tmp_path / "audit.toml")
    assert [p.name for p in config.logs[0].paths] == order

"""`stale-audit precheck`: before retiring a prefix, every record that points into it, by
address, with today's verdict; a prefix with host bits set refused.

The network is `tests/fixtures/precheck/campus/`: a Cacti device list and a backup tool's host
list as they export them, an IPAM prefix CSV and the core ASA's syslog (an answered SSH
session to cam-11, no route to kiosk-100, duplicate SYNs to an address no tool holds).
"""

from __future__ import annotations

import json
import re
import shutil
from datetime import datetime
from pathlib import Path

import pytest

from auditor.cli import main
from auditor.config import load_config
from auditor.engine import precheck, retire_prefixes, retired_by
from auditor.errors import UsageError
from tests.conftest import FIXTURES

CAMPUS = FIXTURES / "precheck" / "campus" / "audit.toml"
NOW = datetime(2026, 11, 24, 10, 0, 0)
AS_OF = ["--as-of", "2026-11-24T10:00:00Z"]
RETIRE = ["--retire", "10.20.0.0/16", "--retire", "2001:db8:20::/48"]

HEADER = ["ADDRESS", "PREFIX", "VERDICT TODAY", "POLLED", "SOURCE", "RECORD ID", "NAME",
          "OWNER", "LAST OK", "IF RETIRED"]
#: Worked out by hand from the fixture: numeric address order (10.20.5.10 before
#: 10.20.11.2 before 10.20.100.1; IPv4 before IPv6), then source, then record.
ROWS = [
    ["10.20.0.9", "10.20.0.0/16", "unreachable", "yes", "cacti", "102", "wan-rtr-20",
     "NOC - Cacti", "2026-08-02", "does not answer today"],
    ["10.20.5.10", "10.20.0.0/16", "active", "yes", "backup", "core-sw-20-config",
     "core-sw-20-config", "Backup team", "-", "WILL BREAK: answers today"],
    ["10.20.5.10", "10.20.0.0/16", "active", "yes", "cacti", "101", "core-sw-20",
     "NOC - Cacti", "2026-11-24", "WILL BREAK: answers today"],
    ["10.20.9.200", "10.20.0.0/16", "unverified", "yes", "backup", "fileserver-20",
     "fileserver-20", "Backup team", "-", "no evidence either way: check it"],
    ["10.20.11.2", "10.20.0.0/16", "active", "yes", "cacti", "104", "cam-11", "NOC - Cacti",
     "-", "WILL BREAK: answers today"],
    ["10.20.77.4", "10.20.0.0/16", "unverified", "no", "cacti", "106", "old-lab",
     "NOC - Cacti", "2020-01-15", "no evidence either way: check it"],
    ["10.20.100.1", "10.20.0.0/16", "stale", "yes", "cacti", "103", "kiosk-100",
     "NOC - Cacti", "2019-03-02", "gone already; still polled: remove it"],
    ["2001:db8:20::15", "2001:db8:20::/48", "active", "yes", "cacti", "105", "edge-v6",
     "NOC - Cacti", "2026-11-24", "WILL BREAK: answers today"],
]


def _table(lines: list[str], first: str) -> list[list[str]]:
    """The aligned table whose header line starts with `first`, as cells (split on the
    two-space gaps between columns; no cell holds two spaces)."""
    start = next(i for i, line in enumerate(lines) if line.startswith(first))
    rows = []
    for line in lines[start:]:
        if not line.strip():
            break
        rows.append(re.split(r" {2,}", line.strip()))
    return rows


def test_every_record_in_the_prefixes_by_address_with_todays_verdict(capsys) -> None:
    assert main(["precheck", "-c", str(CAMPUS), *RETIRE, *AS_OF]) == 1
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0] == ("Pre-change check: retire 10.20.0.0/16, 2001:db8:20::/48  "
                        "(as of 2026-11-24 10:00 UTC)")
    table = _table(lines, "ADDRESS")
    assert table[0] == HEADER
    assert table[1:] == ROWS
    # 10.30.0.5, 10.40.1.1 and 2001:db8:99::1 are outside both prefixes
    assert "10.30.0.5" not in out and "2001:db8:99::1" not in out and "10.40.1.1" not in out


def test_headline_names_what_will_break(capsys) -> None:
    main(["precheck", "-c", str(CAMPUS), *RETIRE, *AS_OF])
    lines = capsys.readouterr().out.splitlines()
    assert lines[2] == ("8 records in 2 of 2 sources point into 10.20.0.0/16, "
                        "2001:db8:20::/48.")
    assert lines[3] == ("  4 point at addresses that answer today and will break: "
                        "core-sw-20-config, core-sw-20, cam-11, edge-v6")
    assert lines[4] == "  1 gone already and still polled: remove it from its tool"


def test_ghost_flows_and_networks_in_the_prefixes(capsys) -> None:
    main(["precheck", "-c", str(CAMPUS), *RETIRE, *AS_OF])
    lines = capsys.readouterr().out.splitlines()
    ghosts = _table(lines, "SENDER")
    assert ghosts == [
        ["SENDER", "DESTINATION", "SERVICE", "LINES", "LAST SEEN", "SENT BY"],
        ["10.30.1.30", "10.20.200.200", "tcp/6160", "3", "2026-11-24 09:20",
         "sent by cacti (NOC - Cacti)"]]
    networks = _table(lines, "NETWORK SOURCE")
    # the 10.0.0.0/8 container holds everything and says nothing: left out
    assert networks[1:] == [
        ["ipam", "10.20.0.0/16", "active", "Campus users"],
        ["ipam", "10.20.100.0/24", "deprecated", "Kiosks (removed 2019)"],
        ["ipam", "2001:db8:20::/48", "active", "Campus users (IPv6)"]]


def test_one_prefix_has_no_prefix_column(capsys) -> None:
    assert main(["precheck", "-c", str(CAMPUS), "--retire", "10.20.100.0/24", *AS_OF]) == 1
    lines = capsys.readouterr().out.splitlines()
    table = _table(lines, "ADDRESS")
    assert table == [[h for h in HEADER if h != "PREFIX"],
                     ["10.20.100.1", "stale", "yes", "cacti", "103", "kiosk-100",
                      "NOC - Cacti", "2019-03-02", "gone already; still polled: remove it"]]


def test_answering_record_outside_every_network_is_a_conflict_that_breaks(capsys) -> None:
    assert main(["precheck", "-c", str(CAMPUS), "--retire", "10.40.0.0/16", *AS_OF]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert _table(lines, "ADDRESS")[1] == [
        "10.40.1.1", "conflict", "yes", "cacti", "109", "lab-sw-40", "NOC - Cacti",
        "2026-11-24", "WILL BREAK: answers today (the network lists say gone)"]
    assert lines[-1] == ("No network source lists a network in 10.40.0.0/16 (a typo, or "
                         "gone already?)")


def test_nothing_in_the_prefix_is_one_sentence_and_exit_0(capsys) -> None:
    assert main(["precheck", "-c", str(CAMPUS), "--retire", "192.0.2.0/24", *AS_OF]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[2] == "No record in 2 sources points into 192.0.2.0/24."
    assert not any(line.rstrip().endswith(":") for line in out.splitlines())
    assert "ADDRESS" not in out


@pytest.mark.parametrize(("given", "meant"), [
    ("10.1.2.3/24", "10.1.2.0/24"),
    ("10.20.0.1/16", "10.20.0.0/16"),
    ("2001:db8:20::1/48", "2001:db8:20::/48"),
])
def test_prefix_with_host_bits_is_refused_before_anything_is_read(
        tmp_path: Path, capsys, given: str, meant: str) -> None:
    missing = tmp_path / "nowhere" / "audit.toml"   # never opened: the prefix fails first
    assert main(["precheck", "-c", str(missing), "--retire", "10.30.0.0/16",
                 "--retire", given]) == 2
    err = capsys.readouterr().err
    assert err == (f"stale-audit: error: --retire {given!r} has host bits set; did you mean "
                   f"{meant}? (for that one address, write "
                   f"{given.split('/')[0]}/{32 if '.' in given else 128})\n")


@pytest.mark.parametrize("given", ["10.300.0.0/16", "10.20.0.0/33", "campus", "10.20/16"])
def test_text_that_is_no_prefix_is_refused(capsys, given: str) -> None:
    assert main(["precheck", "-c", str(CAMPUS), "--retire", given]) == 2
    assert f"--retire {given!r} is not a prefix" in capsys.readouterr().err


def test_prefix_forms() -> None:
    assert retire_prefixes(["10.20.0.0/255.255.0.0", "10.20.5.10", "2001:db8:20::/48",
                            "10.20.0.0/16", "::ffff:10.99.0.0/112"]) == [
        "10.20.0.0/16", "10.20.5.10/32", "2001:db8:20::/48", "10.99.0.0/16"]
    with pytest.raises(UsageError, match="did you mean 10.20.5.0/24"):
        retire_prefixes(["10.20.5.10/24"])
    prefixes = ["10.20.100.0/24", "10.20.0.0/16", "2001:db8:20::/48"]
    assert retired_by("10.20.100.1", prefixes) == "10.20.100.0/24"
    assert retired_by("10.20.5.10", prefixes) == "10.20.0.0/16"
    assert retired_by("2001:db8:20::15", prefixes) == "2001:db8:20::/48"
    assert retired_by("10.30.0.5", prefixes) is None
    assert retired_by("core-sw-20.campus.example", prefixes) is None


def test_result_keeps_only_what_is_in_the_prefixes() -> None:
    result = precheck(load_config(CAMPUS), ["10.20.0.0/16"], as_of=NOW, generated_at=NOW)
    assert result.name == "Pre-change check: retire 10.20.0.0/16"
    assert sorted(f.address for f in result.findings) == [
        "10.20.0.9", "10.20.100.1", "10.20.11.2", "10.20.5.10", "10.20.77.4", "10.20.9.200"]
    assert [(g.dst, g.port, g.count) for g in result.ghost_flows] == [
        ("10.20.200.200", 6160, 3)]
    assert [(n.prefix, str(n.status)) for n in result.networks] == [
        ("10.0.0.0/8", "container"), ("10.20.0.0/16", "active"),
        ("10.20.100.0/24", "deprecated")]


def test_json_on_stdout_keeps_the_table_on_stderr(tmp_path: Path, capsys) -> None:
    assert main(["precheck", "-c", str(CAMPUS), "--retire", "2001:db8:20::/48",
                 "--json", "-", *AS_OF]) == 1
    captured = capsys.readouterr()
    doc = json.loads(captured.out)
    assert doc["audit"]["name"] == "Pre-change check: retire 2001:db8:20::/48"
    assert [(f["address"], f["verdict"]) for f in doc["findings"]] == [
        ("2001:db8:20::15", "active")]
    assert "2001:db8:20::15  active" in captured.err


def test_failed_source_is_said_first_and_exits_3(tmp_path: Path, capsys) -> None:
    folder = tmp_path / "campus"
    shutil.copytree(CAMPUS.parent, folder)
    (folder / "exports" / "backup-hosts.csv").write_text(
        "Name,IP Address,Enabled\ncore-sw-20-config,10.20.5.10\n", encoding="utf-8")
    assert main(["precheck", "-c", str(folder / "audit.toml"), "--retire", "10.20.0.0/16",
                 *AS_OF]) == 3
    lines = capsys.readouterr().out.splitlines()
    assert lines[2] == "!! 1 input FAILED -- the list below may be incomplete:"
    assert lines[3].startswith("!! backup FAILED: ")
    assert "backup-hosts.csv line 2" in lines[3]
    assert "5 records in 1 of 2 sources point into 10.20.0.0/16." in lines

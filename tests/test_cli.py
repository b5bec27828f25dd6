"""The commands as a user runs them: exit codes, one-line errors, failed sources visible."""

from __future__ import annotations

import argparse
import gzip
import json
import re
import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import openpyxl
import pytest

from auditor.cli import build_parser, exit_code, main
from auditor.config import load_config, valid_types
from auditor.demo import build_network
from auditor.engine import run_audit
from auditor.errors import ConfigError
from auditor.model import Verdict

NOW = datetime(2026, 11, 24, 10, 0, 0)
AS_OF = ["--as-of", "2026-11-24T10:00:00Z"]


@pytest.fixture()
def network(tmp_path: Path) -> Path:
    """The demo network on disk; returns its audit.toml."""
    return build_network(tmp_path / "net", NOW)


COMMANDS = {"audit", "precheck", "logs", "events", "sources", "history", "probe", "demo",
            "init"}


def _subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    assert isinstance(sub, argparse._SubParsersAction)
    return dict(sub.choices)


def test_every_command_has_a_description_examples_and_exit_codes(monkeypatch) -> None:
    monkeypatch.setenv("COLUMNS", "100")
    commands = _subcommands()
    assert set(commands) == COMMANDS
    for name, command in commands.items():
        text = command.format_help()
        description, _, rest = text.partition("\n\n")[2].partition("\n\n")
        assert len(description) > 60, name   # what it is for, not only its usage line
        examples = text[text.index("\nexamples:\n"):text.index("\nexit codes:\n")]
        assert re.search(rf"^  (\S.*\| )?stale-audit {name}\b", examples, re.M), name
        codes = text[text.index("\nexit codes:\n"):]
        assert re.search(r"^  0 +\S", codes, re.M), name
        assert re.search(r"^  2 +\S", codes, re.M), name
        assert re.search(r"^  4 +\S", codes, re.M), name


def test_exit_codes_in_help_say_what_each_command_means(capsys) -> None:
    assert main(["precheck", "--help"]) == 0
    text = capsys.readouterr().out
    assert "  1   at least one record does" in text
    assert "has host bits set" in text
    assert main(["audit", "--help"]) == 0
    text = capsys.readouterr().out
    assert "--max-findings" in text and "stale-audit audit -c audit.toml\n" in text


def test_top_level_help_lists_every_command_on_one_line(monkeypatch, capsys) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    assert main(["--help"]) == 0
    lines = capsys.readouterr().out.splitlines()
    start = lines.index("commands:")
    listed = {}
    for line in lines[start + 2:]:
        if not line.strip():
            break
        assert line.startswith("    ") and not line.startswith("     "), line  # no wrapping
        name, summary = line.split(None, 1)
        listed[name] = summary
    assert set(listed) == COMMANDS
    assert listed["init"] == "write a commented starter audit.toml"
    text = "\n".join(lines)
    assert "stale-audit init\n" in text and "130 interrupted" in text


def test_audit_writes_reports_and_exits_1_on_stale(network: Path, tmp_path: Path,
                                                   capsys) -> None:
    out = tmp_path / "out"
    code = main(["audit", "-c", str(network), "-o", str(out / "a.xlsx"), "--json",
                 str(out / "a.json"), "--csv", str(out / "a.csv"), "--split-by-owner",
                 str(out / "owners"), *AS_OF])
    assert code == 1
    doc = json.loads((out / "a.json").read_text())
    assert doc["audit"]["as_of"] == "2026-11-24T10:00:00Z"
    assert [f["address"] for f in doc["findings"] if f["verdict"] == "stale" and f["polled"]] \
        == ["10.98.4.2", "10.99.4.20", "10.99.4.31", "10.99.7.5"]
    assert sorted(p.name for p in (out / "owners").iterdir()) == [
        "data-center-dcnm.txt", "data-center-dcnm.xlsx", "noc-solarwinds.txt",
        "noc-solarwinds.xlsx", "service-desk-track-it.txt", "service-desk-track-it.xlsx"]
    cover = (out / "owners" / "noc-solarwinds.txt").read_text()
    assert f"Full report: {out / 'a.xlsx'}" in cover
    assert "10.99.4.31" in (out / "a.csv").read_text()
    assert "Stale and still polled (4)" in capsys.readouterr().out


def test_fail_on_decides_exit_1_or_0(network: Path, tmp_path: Path) -> None:
    folder = network.parent
    (folder / "up.csv").write_text("Name,IP Address,Status,Last Seen\n"
                                   "core-sw-01,10.10.0.2,Up,2026-11-24 09:58\n")
    clean = folder / "clean.toml"
    clean.write_text('[[sources]]\nname = "list"\ntype = "csv"\npath = "up.csv"\n\n'
                     '[[networks]]\nname = "ipam"\ntype = "prefix-list"\n'
                     'path = "networks/prefixes.csv"\n')
    args = ["audit", "-c", str(clean), "-o", str(tmp_path / "r.xlsx"), *AS_OF]
    assert main(args) == 0
    assert main([*args, "--fail-on", "active"]) == 1
    assert main(["audit", "-c", str(network), "-o", str(tmp_path / "d.xlsx"), *AS_OF,
                 "--fail-on", "conflict"]) == 1


def test_failed_source_exit_3_and_report_says_so(network: Path, tmp_path: Path, capsys) -> None:
    export = network.parent / "exports" / "trackit-assets.csv"
    export.write_bytes(export.read_bytes()[:-30])  # cut off mid-row
    report = tmp_path / "r.xlsx"
    code = main(["audit", "-c", str(network), "-o", str(report), "--json",
                 str(tmp_path / "r.json"), *AS_OF])
    assert code == 3
    captured = capsys.readouterr()
    assert "!! 1 input(s) FAILED" in captured.out
    assert "trackit-assets.csv line 6, field 'IP Address': row has 2 of 7 columns" in captured.out
    assert "Traceback" not in captured.err
    doc = json.loads((tmp_path / "r.json").read_text())
    failed = [s for s in doc["sources"] if s["status"] == "failed"]
    assert [(s["name"], s["records"]) for s in failed] == [("trackit", 0)]
    assert "line 6" in failed[0]["error"]
    summary = openpyxl.load_workbook(report)["Summary"]
    texts = [str(c.value) for row in summary.iter_rows() for c in row if c.value]
    assert any("FAILED" in t and "trackit" in t for t in texts)


def test_typo_and_missing_file_are_one_line_errors(network: Path, capsys) -> None:
    network.write_text(network.read_text().replace("engines_path", "engine_pth"))
    assert main(["audit", "-c", str(network)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "'engine_pth': unknown key; did you mean 'engines_path'?" \
        in err
    assert main(["sources", "-c", str(network.parent / "nope.toml")]) == 2
    assert "config file not found" in capsys.readouterr().err
    assert main(["logs", str(network.parent / "missing.log")]) == 2
    assert "missing.log: no such file" in capsys.readouterr().err


def test_sources_command_counts(network: Path, capsys) -> None:
    assert main(["sources", "-c", str(network), *AS_OF]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:4] == ["orion", "solarwinds-npm", "ok", "6"]
    assert any(line.split()[:3] == ["fw-edge", "cisco-asa", "ok"] for line in lines)


def test_precheck_lists_records_in_retired_prefix(network: Path, capsys) -> None:
    assert main(["precheck", "-c", str(network), "--retire", "10.20.0.0/16", *AS_OF]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[2] == "4 records in 2 of 3 sources point into 10.20.0.0/16."
    assert lines[3] == ("  2 point at addresses that answer today and will break: "
                        "dist-sw-02, FIN-PC-017")
    rows = [line.split()[:3] for line in lines[5:10]]
    assert rows == [["ADDRESS", "VERDICT", "TODAY"], ["10.20.0.3", "active", "yes"],
                    ["10.20.9.1", "unreachable", "yes"], ["10.20.14.57", "active", "yes"],
                    ["10.20.30.40", "unreachable", "yes"]]
    assert main(["precheck", "-c", str(network), "--retire", "10.99.0.0/16", *AS_OF]) == 1
    out = capsys.readouterr().out
    # the Orion remnant: no node holds 10.99.3.4, yet Orion keeps sending to it
    assert "10.30.1.10  10.99.3.4    tcp/17777  15000" in out
    assert "ipam            10.99.0.0/16  deprecated  Building 4 (demolished 2019)" in out
    assert main(["precheck", "-c", str(network), "--retire", "192.0.2.0/24", *AS_OF]) == 0
    assert "No record in 3 sources points into 192.0.2.0/24." in capsys.readouterr().out
    assert main(["precheck", "-c", str(network), "--retire", "10.300.0.0/16"]) == 2


def test_max_findings_tolerates_a_known_few(network: Path) -> None:
    result = run_audit(load_config(network), as_of=NOW, generated_at=NOW)
    assert sum(f.verdict is Verdict.STALE for f in result.findings) == 5
    assert exit_code(result, Verdict.STALE) == 1
    assert exit_code(result, Verdict.STALE, max_findings=4) == 1
    assert exit_code(result, Verdict.STALE, max_findings=5) == 0
    # unreachable or worse: 5 stale + 2 unreachable
    assert exit_code(result, Verdict.UNREACHABLE, max_findings=6) == 1
    assert exit_code(result, Verdict.UNREACHABLE, max_findings=7) == 0


def test_audit_with_max_findings_exits_0_within_the_budget(network: Path,
                                                           tmp_path: Path) -> None:
    assert main(["audit", "-c", str(network), "-o", str(tmp_path / "r.xlsx"), *AS_OF,
                 "--max-findings", "5"]) == 0


def test_max_findings_must_be_a_count(network: Path, capsys) -> None:
    assert main(["audit", "-c", str(network), "--max-findings", "-1"]) == 2
    assert "must be 0 or more, not -1" in capsys.readouterr().err
    assert main(["audit", "-c", str(network), "--max-findings", "ten"]) == 2
    assert "not a whole number: 'ten'" in capsys.readouterr().err


# --- init --------------------------------------------------------------------------------

def _uncommented(text: str) -> str:
    """Every setting the starter leaves commented out (`#key = ...`, `#[table]`), on."""
    return re.sub(r"^#(?=[A-Za-z\[])", "", text, flags=re.M)


def _create_named_files(config: Path) -> list[str]:
    """Create an empty file at every path the config names (globs: one file that matches)."""
    doc = tomllib.loads(config.read_text(encoding="utf-8"))
    named = []
    for kind in ("sources", "networks", "logs", "captures"):
        for table in doc.get(kind, []):
            for key, value in table.items():
                if key in ("path", "paths") or key.endswith("_path"):
                    named += [value] if isinstance(value, str) else value
    for name in named:
        path = config.parent / name.replace("*", "1")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()
    return named


def test_init_writes_a_starter_that_loads_once_its_files_exist(tmp_path: Path,
                                                               monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["init"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("wrote audit.toml: ")
    assert "stale-audit sources -c audit.toml" in out
    config = tmp_path / "audit.toml"
    assert max(len(line) for line in config.read_text(encoding="utf-8").splitlines()) <= 100
    with pytest.raises(ConfigError, match="file not found"):
        load_config(config)   # nothing it names exists yet: it says which file
    assert _create_named_files(config) == ["exports/npm-nodes.json", "networks/prefixes.csv",
                                           "logs/fw-edge-*.log*"]
    loaded = load_config(config)
    assert loaded.name == "Nightly hygiene audit" and loaded.stale_after_days == 14
    assert [(s.name, s.type, s.owner) for s in loaded.sources] == [
        ("orion", "solarwinds-npm", "NOC - SolarWinds")]
    assert [(s.name, s.type) for s in (*loaded.networks, *loaded.logs)] == [
        ("ipam", "prefix-list"), ("fw-edge", "cisco-asa")]
    assert not loaded.probe.enabled and loaded.captures == ()


def test_init_starter_with_everything_uncommented_loads(tmp_path: Path) -> None:
    config = tmp_path / "site" / "audit.toml"
    assert main(["init", str(config)]) == 0
    config.write_text(_uncommented(config.read_text(encoding="utf-8")), encoding="utf-8")
    _create_named_files(config)
    loaded = load_config(config)
    assert [(s.name, s.type) for s in loaded.sources] == [
        ("orion", "solarwinds-npm"), ("trackit", "trackit"), ("zabbix", "zabbix")]
    assert loaded.sources[0].options["engines_path"] == config.parent / \
        "exports/npm-engines.json"
    assert loaded.sources[1].poller == "10.30.1.20"
    assert loaded.sources[2].url == "https://zabbix.example.net/zabbix"
    assert loaded.sources[2].options["token_env"] == "ZABBIX_TOKEN"
    assert [(s.name, s.type) for s in loaded.networks] == [
        ("ipam", "prefix-list"), ("fw-edge-routes", "cisco-asa-route")]
    assert [(c.name, c.options["host"]) for c in loaded.captures] == [
        ("orion-netstat", "10.30.1.10")]
    assert loaded.probe.enabled and loaded.probe.allow == ("10.0.0.0/8",)
    assert loaded.probe.snmp_community_env == "SNMP_COMMUNITY"
    assert loaded.history == ".stale-audit/history.sqlite"


def test_init_starter_names_every_table_and_every_type(tmp_path: Path) -> None:
    assert main(["init", str(tmp_path)]) == 0   # a folder: audit.toml in it
    text = (tmp_path / "audit.toml").read_text(encoding="utf-8")
    for table in ("[audit]", "[[sources]]", "[[networks]]", "[[logs]]", "#[[captures]]",
                  "#[probe]"):
        assert re.search(rf"^{re.escape(table)}$", text, re.M), table
    flat = re.sub(r"\n#\s+", " ", text)
    for kind, names in valid_types().items():
        assert f"type, one of: {', '.join(names)}" in flat, kind


def test_init_never_overwrites_without_force(tmp_path: Path, capsys) -> None:
    config = tmp_path / "nightly.toml"
    config.write_text("# mine\n", encoding="utf-8")
    assert main(["init", str(config)]) == 2
    assert capsys.readouterr().err == (f"stale-audit: error: {config} already exists; pass "
                                       "--force to overwrite it, or name another file\n")
    assert config.read_text(encoding="utf-8") == "# mine\n"
    assert main(["init", str(config), "--force"]) == 0
    assert config.read_text(encoding="utf-8").startswith("# stale-audit configuration")
    assert main(["init", str(tmp_path / "new-site")]) == 0   # no extension: a folder
    assert (tmp_path / "new-site" / "audit.toml").is_file()


# --- demo --keep -------------------------------------------------------------------------

def test_demo_keep_leaves_a_network_to_edit_and_audit_again(tmp_path: Path, monkeypatch,
                                                            capsys) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["demo", "--keep", "demo-net"]) == 0
    out = capsys.readouterr().out
    kept = tmp_path / "demo-net"
    assert out.rstrip().endswith(f"The demo network is kept in {kept} (audit.toml, exports/, "
                                 "networks/, logs/, captures/; README.txt says what each "
                                 "is). Edit it and audit it again:\n"
                                 "  stale-audit audit -c demo-net/audit.toml")
    assert sorted(p.name for p in kept.iterdir()) == [
        ".stale-audit", "README.txt", "audit.toml", "captures", "exports", "logs", "networks"]
    assert "stale-audit audit -c demo-net/audit.toml" in (kept / "README.txt").read_text()
    # The user turns auditing off for the kiosk, as README.txt suggests, and audits again.
    assets = kept / "exports" / "trackit-assets.csv"
    text = assets.read_text(encoding="utf-8")
    kiosk = next(line for line in text.splitlines() if "BLDG4-KIOSK-01" in line)
    assets.write_text(text.replace(kiosk, kiosk.rsplit(",", 1)[0] + ",No"), encoding="utf-8")
    # an hour later: two runs within one second do not see each other in the history
    later = datetime.now(UTC).replace(tzinfo=None, microsecond=0) + timedelta(hours=1)
    monkeypatch.setattr("auditor.cli._now", lambda: later)
    assert main(["audit", "-c", "demo-net/audit.toml", "--json", "again.json"]) == 1
    out = capsys.readouterr().out
    assert "Stale and still polled (3):" in out
    assert "Since the last audit" in out   # the demo's own run is in the kept history
    assert "0 new, 0 resolved, 7 still open" in out
    doc = json.loads((tmp_path / "again.json").read_text())
    kiosk_finding = next(f for f in doc["findings"] if f["address"] == "10.99.4.31")
    assert (kiosk_finding["verdict"], kiosk_finding["polled"]) == ("stale", False)


def test_demo_keep_refuses_a_folder_that_holds_anything(tmp_path: Path, monkeypatch,
                                                        capsys) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me\n")
    assert main(["demo", "--keep", "mine"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("stale-audit: error: --keep mine: folder is not empty; name a new "
                          "or empty folder")
    assert sorted(p.name for p in (tmp_path / "mine").iterdir()) == ["notes.txt"]
    assert not (tmp_path / "reports").exists()


def test_logs_and_events_with_binary_junk_and_gz(tmp_path: Path, capsys) -> None:
    lines = [
        "Nov 24 09:00:01 fw-edge : %ASA-4-419002: Received duplicate TCP SYN from "
        "inside:10.30.1.41/51515 to outside:10.251.9.14/6711 with different initial "
        "sequence number.",
        "Nov 24 09:10:01 fw-edge : %ASA-4-419002: Duplicate TCP SYN from "
        "inside:10.30.1.41/51516 to outside:10.251.9.14/6711 with different initial "
        "sequence number",
    ]
    junk = b"\x00\xff\xfe garbage \x80\x81\n" + b"A" * 100_000 + b"\n"
    log = tmp_path / "fw.log.gz"
    with gzip.open(log, "wb") as fh:
        fh.write(lines[0].encode() + b"\n" + junk + lines[1].encode() + b"\n")
    assert main(["logs", str(log), "--json", str(tmp_path / "l.json"), *AS_OF]) == 0
    out = capsys.readouterr().out
    assert out.startswith("fw.log.gz: read as cisco-asa\n4 lines, 2 parsed, 2 unrecognised")
    assert "10.251.9.14 tcp/6711" in out
    doc = json.loads((tmp_path / "l.json").read_text())
    assert doc["findings"] == []
    assert [(g["src"], g["dst"], g["port"], g["count"], g["reasons"])
            for g in doc["ghost_flows"]] == [
        ("10.30.1.41", "10.251.9.14", 6711, 2, ["syn-retransmit"])]
    assert doc["logs"] == {"lines": 4, "parsed": 2, "unparsed": 2,
                           "by_message": {"419002": 2}}
    assert main(["events", str(log), *AS_OF]) == 0
    events = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [(e["line"], e["message"], e["signal"], e["src"], e["dport"]) for e in events] == [
        (1, "419002", "syn-retransmit", "10.30.1.41", 6711),
        (4, "419002", "syn-retransmit", "10.30.1.41", 6711)]
    assert events[0]["time"] == "2026-11-24T09:00:01Z"


def test_damaged_gzip_is_a_failed_log_not_a_traceback(tmp_path: Path, capsys) -> None:
    log = tmp_path / "fw.log.gz"
    with gzip.open(log, "wb") as fh:
        fh.write(b"%ASA-6-110003: Routing failed to locate next hop for icmp from "
                 b"inside:10.30.1.10/0 to inside:10.99.7.5/0\n" * 5000)
    log.write_bytes(log.read_bytes()[:-40])
    assert main(["logs", str(log)]) == 3
    out = capsys.readouterr().out
    assert "FAILED" in out and "fw.log.gz" in out


def test_history_lists_past_audits(network: Path, tmp_path: Path, capsys) -> None:
    main(["audit", "-c", str(network), "-o", str(tmp_path / "r.xlsx"), *AS_OF])
    capsys.readouterr()
    assert main(["history", "-c", str(network)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 4
    assert lines[0] == "audit: Demo: ghosts in the network"
    assert lines[2].split()[1:3] == ["5", "4"]  # 5 stale, 4 of them polled
    assert lines[3].strip() == "first audit with findings recorded: nothing to compare"

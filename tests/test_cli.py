"""The commands as a user runs them: exit codes, one-line errors, failed sources visible."""

from __future__ import annotations

import gzip
import json
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest

from auditor.cli import build_parser, main
from auditor.demo import build_network

NOW = datetime(2026, 11, 24, 10, 0, 0)
AS_OF = ["--as-of", "2026-11-24T10:00:00Z"]


@pytest.fixture()
def network(tmp_path: Path) -> Path:
    """The demo network on disk; returns its audit.toml."""
    return build_network(tmp_path / "net", NOW)


def test_every_command_has_help() -> None:
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    for name, command in sub.choices.items():
        assert command.format_help().count("\n") > 3, name
        assert sub._choices_actions, name
    helps = {a.dest: a.help for a in sub._choices_actions}
    assert set(helps) == {"audit", "precheck", "logs", "events", "sources", "history", "probe",
                          "demo"}
    assert all(helps.values())


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
        "data-center-dcnm.xlsx", "noc-solarwinds.xlsx", "service-desk-track-it.xlsx"]
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
    out = capsys.readouterr().out
    assert out.startswith("4 record(s) in 2 source(s) point into 10.20.0.0/16:")
    for address in ("10.20.0.3", "10.20.9.1", "10.20.14.57", "10.20.30.40"):
        assert address in out
    assert main(["precheck", "-c", str(network), "--retire", "192.0.2.0/24", *AS_OF]) == 0
    assert main(["precheck", "-c", str(network), "--retire", "10.300.0.0/16"]) == 2


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

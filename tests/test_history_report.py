"""What changed since the last audit, where a user reads it: the report's Changes sheet, the
terminal summary's line, and `[audit] history` choosing or turning off the database."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest

from auditor.cli import main
from auditor.demo import build_network

NOW = datetime(2026, 11, 24, 10, 0)


def _audit(config: Path, out: Path, as_of: str, capsys: pytest.CaptureFixture[str]) -> str:
    """Audit as of `as_of`, run then too (the history orders runs by when they ran)."""
    when = datetime.fromisoformat(as_of)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("auditor.cli._now", lambda: when)
        code = main(["audit", "-c", str(config), "-o", str(out / "r.xlsx"), "--json",
                     str(out / "r.json"), "--as-of", as_of])
    assert code in (0, 1)
    return capsys.readouterr().out


def _retire_a_switch_and_a_network(config: Path) -> None:
    switches = config.parent / "exports" / "dcnm-switches.json"
    body = json.loads(switches.read_text())
    switches.write_text(json.dumps([s for s in body if s["ipAddress"] != "10.98.4.2"]))
    prefixes = config.parent / "networks" / "prefixes.csv"
    prefixes.write_text(prefixes.read_text().replace("172.16.40.0/24,Active",
                                                     "172.16.40.0/24,Deprecated"))


def test_second_audit_has_a_changes_sheet_and_a_summary_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = build_network(tmp_path / "net", NOW)
    first = _audit(config, tmp_path / "a", "2026-11-24T10:00", capsys)
    assert "First audit recorded for this config: nothing to compare yet" in first
    _retire_a_switch_and_a_network(config)
    second = _audit(config, tmp_path / "b", "2026-11-25T10:00", capsys)
    assert "Since the last audit (2026-11-24): 1 new, 1 resolved, 6 still open" in second

    book = openpyxl.load_workbook(tmp_path / "b" / "r.xlsx")
    sheet = book["Changes"]
    header = [c.value for c in sheet[1]]
    assert header[:4] == ["Change", "Address", "Verdict then", "Verdict now"]
    rows = {(r[0], r[1]): r for r in sheet.iter_rows(min_row=2, values_only=True) if r[1]}
    assert rows[("new", "172.16.40.11")][2:4] == ("unverified", "stale")
    resolved = rows[("resolved", "10.98.4.2")]
    assert resolved[2:4] == ("stale", None) and resolved[5] == "Data Center - DCNM"
    still = [key for key in rows if key[0] == "still open"]
    assert len(still) == 6 and all(rows[k][9] == 2 for k in still)   # audits in a row
    assert any(r[0] == "Since the last audit (2026-11-24): 1 new, 1 resolved, 6 still open"
               for r in sheet.iter_rows(values_only=True))
    # the JSON report keeps SPEC's keys: no changes in it
    doc = json.loads((tmp_path / "b" / "r.json").read_text())
    assert "changes" not in doc and len(doc["findings"]) == 12   # the switch is gone


def test_history_path_and_no_history(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = build_network(tmp_path / "net", NOW)
    text = config.read_text()
    config.write_text(text.replace("[audit]\n", '[audit]\nhistory = "db/audits.sqlite"\n', 1))
    _audit(config, tmp_path / "a", "2026-11-24T10:00", capsys)
    assert (config.parent / "db" / "audits.sqlite").is_file()
    assert not (config.parent / ".stale-audit" / "history.sqlite").exists()
    assert main(["history", "-c", str(config)]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert listed[0] == "audit: Demo: ghosts in the network" and len(listed) == 4

    config.write_text(text.replace("[audit]\n", "[audit]\nhistory = false\n", 1))
    out = _audit(config, tmp_path / "b", "2026-11-25T10:00", capsys)
    assert "Since the last audit" not in out and "First audit recorded" not in out
    assert not (config.parent / ".stale-audit" / "history.sqlite").exists()
    assert "Changes" not in openpyxl.load_workbook(tmp_path / "b" / "r.xlsx").sheetnames


def test_history_must_be_a_path_or_false(tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    config = build_network(tmp_path / "net", NOW)
    config.write_text(config.read_text().replace("[audit]\n", "[audit]\nhistory = 3\n", 1))
    assert main(["audit", "-c", str(config), "-o", str(tmp_path / "r.json")]) == 2
    err = capsys.readouterr().err
    assert "[audit]" in err and "'history'" in err and "or false" in err

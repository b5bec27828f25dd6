"""With no `--type`, each log's format is told from its first lines, and said in the output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from auditor.cli import main
from auditor.engine import detect_log_type
from tests.conftest import FIXTURES, ROOT

AS_OF = ["--as-of", "2026-11-24T12:00:00Z"]
ASA = FIXTURES / "cisco-asa" / "seed-419002.log"


@pytest.mark.parametrize(("log", "kind"), [
    (FIXTURES / "pfsense" / "retired-snmp.log", "pfsense"),
    (FIXTURES / "iptables" / "retired-snmp.log", "iptables"),
    (ASA, "cisco-asa"),
])
def test_each_format_is_told_from_its_lines(log: Path, kind: str, capsys) -> None:
    assert detect_log_type(log) == kind
    assert main(["events", str(log), *AS_OF]) == 0
    events = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert events and all(e["src"] or e["dst"] for e in events[:3])
    assert main(["logs", str(log), *AS_OF]) == 0
    assert capsys.readouterr().out.startswith(f"{log.name}: read as {kind}\n")


def test_a_mix_of_files_each_read_as_what_it_is(tmp_path: Path, capsys) -> None:
    pf = FIXTURES / "pfsense" / "retired-snmp.log"
    ipt = FIXTURES / "iptables" / "retired-snmp.log"
    assert main(["logs", str(pf), str(ipt), str(ASA), "--json", str(tmp_path / "l.json"),
                 *AS_OF]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"{pf.name}: read as pfsense\n{ipt.name}: read as iptables\n"
                          f"{ASA.name}: read as cisco-asa\n")
    doc = json.loads((tmp_path / "l.json").read_text())
    assert [s["type"] for s in doc["sources"]] == ["pfsense", "iptables", "cisco-asa"]


def test_a_format_nobody_reads_is_a_usage_error(tmp_path: Path, capsys) -> None:
    log = tmp_path / "app.log"
    log.write_text("2026-11-24 10:00:00 INFO started\n2026-11-24 10:00:01 INFO ready\n")
    assert main(["logs", str(log), *AS_OF]) == 2
    err = capsys.readouterr().err
    assert "app.log: none of the first 2 lines is in a log format" in err
    assert "pass --type (valid: cisco-asa" in err


def test_standard_input_is_told_too() -> None:
    pf = (FIXTURES / "pfsense" / "retired-snmp.log").read_bytes()
    proc = subprocess.run([sys.executable, "-m", "auditor", "logs", "-", *AS_OF], input=pf,
                          capture_output=True, cwd=ROOT, timeout=120, check=False,
                          env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout.decode()
    assert out.startswith("stdin: read as pfsense\n")
    lines = len([line for line in pf.decode().splitlines() if line.strip()])
    assert f"{lines} lines" in out


def test_events_from_several_files_say_which_file(capsys) -> None:
    pf = FIXTURES / "pfsense" / "retired-snmp.log"
    assert main(["events", str(pf), str(ASA), *AS_OF]) == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    files = [r["file"] for r in records]
    assert files == sorted(files, key=[str(pf), str(ASA)].index)   # input order
    assert {r["file"] for r in records} == {str(pf), str(ASA)}
    assert records[0]["message"].startswith("filterlog/")
    assert main(["events", str(ASA), *AS_OF]) == 0
    assert "file" not in json.loads(capsys.readouterr().out.splitlines()[0])


def _full_score(path: Path) -> str | None:
    """The kind that recognises most of the first lines, every parser asked (the rule)."""
    from connectors import LOG_PARSERS, SIEM_LOGS, lookup
    from connectors.shared.files import head_lines

    lines = head_lines(path, 200)
    scores = {name: sum(1 for line in lines if lookup("logs", name).recognises(line))
              for name in sorted(LOG_PARSERS.keys() - SIEM_LOGS)}
    best = max(scores, key=lambda name: (scores[name], name == "cisco-asa"))
    return best if scores[best] else None


def test_the_quick_answer_for_cisco_is_the_rules_answer(tmp_path: Path) -> None:
    """Every fixture log, and files mixing a few lines of another kind into Cisco's, are told
    as scoring every parser would tell them."""
    logs = [p for p in sorted(FIXTURES.glob("*/*.log")) if p.stat().st_size]
    asa = ASA.read_text().splitlines()
    for other in ("pfsense", "iptables"):
        foreign = (FIXTURES / other / "retired-snmp.log").read_text().splitlines()
        mixed = tmp_path / f"asa-and-{other}.log"
        mixed.write_text("\n".join(asa[:3] + foreign[:2] + asa[3:]) + "\n")
        logs.append(mixed)
    assert len(logs) > 5
    for log in logs:
        want = _full_score(log)
        if want is not None:
            assert detect_log_type(log) == want, log


def test_a_cisco_log_is_told_without_importing_the_other_parsers() -> None:
    code = ("import sys; from auditor.engine import detect_log_type; "
            f"print(detect_log_type(__import__('pathlib').Path({str(ASA)!r}))); "
            "print(sorted(m for m in sys.modules if m.startswith('connectors.logs.')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, timeout=120, check=True,
                         env=dict(os.environ, PYTHONPATH=str(ROOT))).stdout.splitlines()
    assert out[0] == "cisco-asa"
    assert not any(kind in out[1] for kind in ("fortigate", "iptables", "paloalto", "pfsense"))

"""Inputs that used to end in a traceback (or the wrong exit code) end in one clear line."""

from __future__ import annotations

import csv
import io
import json
import re
import sqlite3
import subprocess
import sys
import zipfile
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest

from auditor.cli import main
from auditor.demo import build_network
from auditor.history import history_path
from connectors.shared.values import parse_datetime

NOW = datetime(2026, 11, 24, 10, 0, 0)
AS_OF = ["--as-of", "2026-11-24T10:00:00Z"]
ROOT = Path(__file__).resolve().parent.parent
ASA_LINE = ("Nov 24 09:00:01 fw-edge : %ASA-4-419002: Received duplicate TCP SYN from "
            "inside:10.30.1.41/51515 to outside:10.251.9.14/6711 with different initial "
            "sequence number.\n")


@pytest.fixture()
def network(tmp_path: Path) -> Path:
    """The demo network on disk; returns its audit.toml."""
    return build_network(tmp_path / "net", NOW)


def _one_line(err: str) -> str:
    assert "Traceback" not in err
    assert err.count("\n") == 1, err
    return err


# --- exit 4 for internal errors ----------------------------------------------------------


def test_unexpected_exception_is_one_line_and_exit_4(network: Path, tmp_path: Path,
                                                      monkeypatch, capsys) -> None:
    def broken(*args, **kwargs):
        raise KeyError("verdict")

    monkeypatch.setattr("auditor.cli.run_audit", broken)
    code = main(["audit", "-c", str(network), "-o", str(tmp_path / "r.xlsx"), *AS_OF])
    assert code == 4
    err = _one_line(capsys.readouterr().err)
    assert err.startswith("stale-audit: internal error: KeyError: 'verdict'")


@pytest.mark.parametrize("broken", ["source", "log"])
def test_bug_in_one_input_fails_it_and_the_rest_is_still_reported(
        network: Path, tmp_path: Path, monkeypatch, capsys, broken: str) -> None:
    """A connector or parser bug: exit 4, that input failed as internal, every other input's
    findings still in the report."""
    from connectors import lookup

    if broken == "source":
        def fetch(self):
            raise ZeroDivisionError("division by zero")

        monkeypatch.setattr(lookup("sources", "cisco-dcnm"), "fetch", fetch)
    else:
        parser_class = lookup("logs", "cisco-asa")
        real = parser_class.fold_block

        def fold_block(self, block, traffic, start=1):   # a bug after some lines folded
            real(self, block[:len(block) // 2], traffic, start)
            raise ZeroDivisionError("division by zero")

        monkeypatch.setattr(parser_class, "fold_block", fold_block)
    out = tmp_path / "r.json"
    code = main(["audit", "-c", str(network), "-o", str(tmp_path / "r.xlsx"), "--json",
                 str(out), *AS_OF])
    printed = capsys.readouterr()
    assert code == 4
    doc = json.loads(out.read_text())
    failed = [s for s in doc["sources"] if s["status"] == "failed"]
    assert [s["name"] for s in failed] == ["dcnm" if broken == "source" else "fw-edge"]
    error = failed[0]["error"]
    assert error.startswith("internal error reading ")
    assert "ZeroDivisionError: division by zero" in error
    if broken == "log":
        assert "fw-edge" in error and "after line" in error
    # the other inputs' findings are all there
    assert {t["source"] for f in doc["findings"] for t in f["records"]} >= {"orion", "trackit"}
    assert (tmp_path / "r.xlsx").exists()
    assert "FAILED" in printed.out


def test_parser_bug_names_the_input_and_line(tmp_path: Path, monkeypatch, capsys) -> None:
    from connectors import lookup

    parser_class = lookup("logs", "cisco-asa")

    def parse(self, lines, start=1):
        for number, _line in enumerate(lines, start):
            self.stats.lines = number
            if number == 3:
                raise ZeroDivisionError("division by zero")
            yield from ()

    monkeypatch.setattr(parser_class, "parse", parse)
    log = tmp_path / "fw-edge.log"
    log.write_text(ASA_LINE * 5)
    assert main(["events", str(log), *AS_OF]) == 4
    err = _one_line(capsys.readouterr().err)
    assert err.startswith("stale-audit: internal error: ZeroDivisionError: division by zero "
                          "(reading fw-edge.log near line 3)")


def test_os_error_names_its_file(network: Path, tmp_path: Path, monkeypatch, capsys) -> None:
    def denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied", "/srv/exports/npm-nodes.json")

    monkeypatch.setattr("auditor.cli.run_audit", denied)
    assert main(["audit", "-c", str(network), "-o", str(tmp_path / "r.xlsx")]) == 4
    err = _one_line(capsys.readouterr().err)
    assert "PermissionError: [Errno 13] Permission denied: '/srv/exports/npm-nodes.json'" \
        in err


# --- --as-of out of range ----------------------------------------------------------------


@pytest.mark.parametrize("as_of", ["9999-12-31T23:00", "0001-01-01", "9999-12-31T23:00-05:00"])
def test_as_of_out_of_range_is_a_usage_error(network: Path, tmp_path: Path, capsys,
                                             as_of: str) -> None:
    code = main(["audit", "-c", str(network), "-o", str(tmp_path / "r.xlsx"), "--as-of", as_of])
    assert code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert f"--as-of: {as_of!r} is out of range: give a date between 1900-01-01 and " \
        "9000-12-31" in err
    assert not (tmp_path / "r.xlsx").exists()


# --- a damaged history -------------------------------------------------------------------


def _damage(network: Path, tmp_path: Path, how: str) -> Path:
    path = history_path(network)
    if how == "directory":
        path.mkdir(parents=True)
    elif how == "text":  # someone saved a spreadsheet over it
        path.parent.mkdir(parents=True)
        path.write_text("generated_at,stale\n2026-11-23T10:00:00Z,9\n" * 50)
    else:  # a bad sector in the audits table
        main(["audit", "-c", str(network), "-o", str(tmp_path / "first.json"), *AS_OF])
        with sqlite3.connect(path) as db:
            size = db.execute("PRAGMA page_size").fetchone()[0]
            root = db.execute("SELECT rootpage FROM sqlite_master WHERE name = 'audits'"
                              ).fetchone()[0]
        db.close()
        with path.open("r+b") as fh:
            fh.seek((root - 1) * size)
            fh.write(b"\0\xff" * (size // 2))
    return path


@pytest.mark.parametrize(("how", "history_error"), [
    ("text", "not an SQLite database (file is not a database): move it aside, or point "
             "[audit] history at another file"),
    ("page", "the database is damaged (database disk image is malformed): move it aside to "
             "start a new history"),
    ("directory", "it is a folder, not a history database"),
])
def test_damaged_history_never_costs_the_report(network: Path, tmp_path: Path, capsys,
                                                how: str, history_error: str) -> None:
    path = _damage(network, tmp_path, how)
    capsys.readouterr()
    report = tmp_path / "r.json"
    assert main(["audit", "-c", str(network), "-o", str(report), *AS_OF]) == 1
    captured = capsys.readouterr()
    doc = json.loads(report.read_text())
    assert len([f for f in doc["findings"] if f["verdict"] == "stale" and f["polled"]]) == 4
    assert "Stale and still polled (4)" in captured.out
    warning = _one_line(captured.err)
    assert warning == (f"stale-audit: warning: this run is not in the history: {path}: "
                       f"cannot record this run: {history_error}\n")

    assert main(["history", "-c", str(network)]) == 3
    err = _one_line(capsys.readouterr().err)
    assert err == f"stale-audit: error: {path}: cannot read the history: {history_error}\n"


def test_old_history_killed_mid_line_is_imported_without_that_line(network: Path,
                                                                   tmp_path: Path,
                                                                   capsys) -> None:
    legacy = network.parent / ".stale-audit" / "history.jsonl"
    legacy.parent.mkdir()
    old = ('{"generated_at": "2026-11-23T10:00:00Z", "verdicts": {"stale": 9}}\n'
           '{"generated_at": "2026-11-2')
    legacy.write_text(old)
    main(["audit", "-c", str(network), "-o", str(tmp_path / "r.xlsx"), *AS_OF])
    warning = _one_line(capsys.readouterr().err)
    assert warning == (f"stale-audit: warning: imported 1 past run(s) from {legacy}, skipped "
                       "1 damaged line(s): line 2: not JSON (Unterminated string starting "
                       "at)\n")
    assert legacy.read_text() == old  # left in place

    assert main(["history", "-c", str(network)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "audit: Demo: ghosts in the network"
    assert out[2].split()[:2] == ["2026-11-23T10:00:00Z", "9"]
    assert [line.strip() for line in out[3:5]] == [
        "counts only (imported from history.jsonl line 1)",
        "history.jsonl line 2: not JSON (Unterminated string starting at) (skipped at import)"]
    assert out[5].split()[1:3] == ["5", "4"]  # this run: 5 stale, 4 of them polled
    assert out[6].strip() == "first audit with findings recorded: nothing to compare"


# --- reports: same file twice, writer by extension, standard output ------------------------


@pytest.mark.parametrize("spellings", [("x.json", "./x.json", "x.json"),
                                       ("x.csv", "sub/../x.csv", "x.csv")])
def test_one_file_named_twice_is_refused_before_any_work(network: Path, tmp_path: Path,
                                                         monkeypatch, capsys,
                                                         spellings) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sub").mkdir()
    first, second, third = spellings
    code = main(["audit", "-c", str(network), "-o", first, "--json", second, "--csv", third,
                 *AS_OF])
    assert code == 2
    err = _one_line(capsys.readouterr().err)
    assert f"name the same file ({tmp_path / first})" in err
    assert not (tmp_path / first).exists()
    assert not history_path(network).exists()  # no audit ran


def test_output_format_follows_the_extension(network: Path, tmp_path: Path, capsys) -> None:
    report = tmp_path / "report.csv"
    assert main(["audit", "-c", str(network), "-o", str(report), *AS_OF]) == 1
    rows = list(csv.DictReader(io.StringIO(report.read_text("utf-8"))))
    assert {r["address"] for r in rows if r["verdict"] == "stale" and r["polled"] == "true"} \
        == {"10.98.4.2", "10.99.4.20", "10.99.4.31", "10.99.7.5"}
    capsys.readouterr()
    as_json = tmp_path / "report.json"
    assert main(["audit", "-c", str(network), "-o", str(as_json), *AS_OF]) == 1
    assert json.loads(as_json.read_text())["schema"] == "stale-audit/1"


@pytest.mark.parametrize(("name", "message"), [
    ("report.txt", "unknown report extension '.txt'; valid extensions: .csv, .html, .json, "
                   ".xlsx"),
    ("report.pdf", "unknown report extension '.pdf'; valid extensions: .csv, .html, .json, "
                   ".xlsx"),
    ("report", "no extension to choose the report format by; valid extensions: .csv, .html, "
               ".json, .xlsx"),
])
def test_unknown_output_extension_is_refused(network: Path, tmp_path: Path, capsys,
                                             name: str, message: str) -> None:
    assert main(["audit", "-c", str(network), "-o", str(tmp_path / name), *AS_OF]) == 2
    assert message in _one_line(capsys.readouterr().err)
    assert list(tmp_path.glob("report*")) == []


def test_json_to_stdout_keeps_stdout_parseable(network: Path, tmp_path: Path,
                                               capsys) -> None:
    code = main(["audit", "-c", str(network), "-o", str(tmp_path / "r.xlsx"), "--json", "-",
                 *AS_OF])
    assert code == 1
    captured = capsys.readouterr()
    doc = json.loads(captured.out)
    assert doc["audit"]["as_of"] == "2026-11-24T10:00:00Z"
    assert len([f for f in doc["findings"] if f["verdict"] == "stale" and f["polled"]]) == 4
    assert "Stale and still polled (4)" in captured.err
    assert f"wrote {tmp_path / 'r.xlsx'}" in captured.err


def test_csv_to_stdout(tmp_path: Path, capsys) -> None:
    log = tmp_path / "fw.log"
    log.write_text(ASA_LINE)
    assert main(["logs", str(log), "--json", "-", *AS_OF]) == 0
    captured = capsys.readouterr()
    assert [g["dst"] for g in json.loads(captured.out)["ghost_flows"]] == ["10.251.9.14"]
    assert captured.err.startswith("fw.log: read as cisco-asa\n1 lines, 1 parsed")


def test_audit_csv_to_stdout(network: Path, tmp_path: Path, capsys) -> None:
    code = main(["audit", "-c", str(network), "-o", str(tmp_path / "r.xlsx"), "--csv", "-",
                 *AS_OF])
    assert code == 1
    captured = capsys.readouterr()
    rows = list(csv.DictReader(io.StringIO(captured.out)))
    assert "10.99.4.31" in {r["address"] for r in rows}
    assert "Stale and still polled (4)" in captured.err


def test_two_reports_on_stdout_refused(network: Path, capsys) -> None:
    assert main(["audit", "-c", str(network), "--json", "-", "--csv", "-", *AS_OF]) == 2
    assert "--json and --csv both name standard output" in _one_line(capsys.readouterr().err)


# --- logs: a directory, standard input ---------------------------------------------------


@pytest.mark.parametrize("command", ["logs", "events"])
def test_directory_as_log_says_so(tmp_path: Path, capsys, command: str) -> None:
    folder = tmp_path / "logs"
    folder.mkdir()
    assert main([command, str(folder)]) == 2
    err = _one_line(capsys.readouterr().err)
    assert f"{folder}: is a directory; pass the log files in it, or a glob such as " \
        f"{folder / '*.log'}" in err


def test_events_read_standard_input(monkeypatch, capsys) -> None:
    stdin = io.TextIOWrapper(io.BytesIO((ASA_LINE + "junk \xff\n" + ASA_LINE).encode()))
    monkeypatch.setattr(sys, "stdin", stdin)
    assert main(["events", "-", *AS_OF]) == 0
    events = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(e["line"], e["src"], e["dst"], e["dport"]) for e in events] == [
        (1, "10.30.1.41", "10.251.9.14", 6711), (3, "10.30.1.41", "10.251.9.14", 6711)]


def test_logs_read_standard_input() -> None:
    run = subprocess.run([sys.executable, "-m", "auditor", "logs", "-", "--json", "-",
                          *AS_OF], input=ASA_LINE * 3, capture_output=True, text=True,
                         cwd=ROOT, timeout=120)
    assert run.returncode == 0, run.stderr
    doc = json.loads(run.stdout)
    assert [(s["name"], s["status"]) for s in doc["sources"]] == [("stdin", "ok")]
    assert [(g["dst"], g["count"]) for g in doc["ghost_flows"]] == [("10.251.9.14", 3)]


# --- XLSX exports that lie or are not XLSX -------------------------------------------------

TRACKIT_ROWS = [
    ("Asset Name", "IP Address", "Asset Type", "Status", "Last Audit Date", "Audit Enabled"),
    ("FIN-PC-017", "10.20.14.57", "Computer", "Active", "11/23/2026 10:00 AM", "Yes"),
    ("BLDG4-KIOSK-01", "10.99.4.31", "Computer", "Active", "02/27/2019 10:05 PM", "Yes"),
]


def _trackit_config(folder: Path, export: str) -> Path:
    config = folder / "audit.toml"
    config.write_text(f'[[sources]]\nname = "trackit"\ntype = "trackit"\npath = "{export}"\n')
    return config


def _with_dimension(path: Path, ref: str) -> None:
    """Rewrite the `<dimension>` of the first sheet, as a careless exporter writes it."""
    with zipfile.ZipFile(path) as zin:
        items = [(info, zin.read(info.filename)) for info in zin.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for info, data in items:
            if info.filename == "xl/worksheets/sheet1.xml":
                data, n = re.subn(rb'<dimension ref="[^"]*"\s*/>',
                                  f'<dimension ref="{ref}"/>'.encode(), data)
                assert n == 1
            zout.writestr(info, data)


def test_xlsx_claiming_a_million_rows_reads_only_real_cells(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    for row in TRACKIT_ROWS:
        book.active.append(row)
    book.active.cell(row=1048576, column=16384, value=" ")  # a stray cell in the far corner
    export = tmp_path / "assets.xlsx"
    book.save(export)
    _with_dimension(export, "A1:XFD1048576")
    config = _trackit_config(tmp_path, "assets.xlsx")
    # Before: every row padded to 16,384 cells and a million rows invented (~19 minutes).
    run = subprocess.run([sys.executable, "-m", "auditor", "sources", "-c", str(config)],
                         capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert run.returncode == 0, run.stderr
    assert run.stdout.split()[:4] == ["trackit", "trackit", "ok", "2"]


@pytest.mark.parametrize(("content", "message"), [
    (b"Asset Name,IP Address\nPC,10.0.0.1\n", "not a zip archive"),
    (None, "not a readable XLSX workbook: KeyError"),
])
def test_xlsx_that_is_not_a_workbook_names_the_file(tmp_path: Path, capsys,
                                                    content: bytes | None,
                                                    message: str) -> None:
    export = tmp_path / "assets.xlsx"
    if content is not None:
        export.write_bytes(content)
    else:
        with zipfile.ZipFile(export, "w") as junk:
            junk.writestr("readme.txt", "not a workbook")
    config = _trackit_config(tmp_path, "assets.xlsx")
    assert main(["sources", "-c", str(config)]) == 3
    line = capsys.readouterr().out.strip()
    assert line.split()[:3] == ["trackit", "trackit", "FAILED"]
    assert f"{export}: " in line and message in line


def test_xlsx_with_junk_sheet_xml_names_the_file(tmp_path: Path, capsys) -> None:
    book = openpyxl.Workbook()
    for row in TRACKIT_ROWS:
        book.active.append(row)
    export = tmp_path / "assets.xlsx"
    book.save(export)
    with zipfile.ZipFile(export) as zin:
        items = [(i, zin.read(i.filename)) for i in zin.infolist()]
    with zipfile.ZipFile(export, "w") as zout:
        for info, data in items:
            zout.writestr(info, b"<worksheet><sheetData><row" if
                          info.filename == "xl/worksheets/sheet1.xml" else data)
    assert main(["sources", "-c", str(_trackit_config(tmp_path, "assets.xlsx"))]) == 3
    line = capsys.readouterr().out.strip()
    assert "FAILED" in line and f"{export}" in line and "XLSX" in line


# --- absurd dates in exports -------------------------------------------------------------


@pytest.mark.parametrize("date", ["12/31/9999 11:00 PM", "01/01/1753", "9999-12-31T23:00-05:00"])
def test_absurd_date_in_an_export_names_file_line_and_field(network: Path, tmp_path: Path,
                                                            capsys, date: str) -> None:
    export = network.parent / "exports" / "trackit-assets.csv"
    export.write_text(export.read_text().replace("02/27/2019 10:05 PM", date))
    report = tmp_path / "r.json"
    assert main(["audit", "-c", str(network), "-o", str(report), *AS_OF]) == 3
    failed = [s for s in json.loads(report.read_text())["sources"] if s["status"] == "failed"]
    assert [s["name"] for s in failed] == ["trackit"]
    assert failed[0]["error"] == (
        f"{export} line 3, field 'Last Audit Date': not a date: {date!r} is outside years "
        "1900..9000 (a placeholder?)")
    assert "Traceback" not in capsys.readouterr().err


def test_never_placeholders_read_as_no_date() -> None:
    assert parse_datetime("1899-12-30T00:00:00") is None  # OLE zero: Orion's "never"
    assert parse_datetime("0001-01-01T00:00:00") is None  # .NET DateTime.MinValue
    assert parse_datetime(datetime(1899, 12, 30)) is None  # an XLSX cell holding 0
    assert parse_datetime("1900-01-01") == datetime(1900, 1, 1)
    assert parse_datetime("9000-12-31") == datetime(9000, 12, 31)


# --- inputs that load nothing, or are not what their name says -------------------------------


@pytest.mark.parametrize("content", ["", "ID,Prefix,Status,VRF,Description\n",
                                     "ID,Prefix,Status\n1,10.0.0.0/8,Container\n"])
def test_network_source_with_no_prefix_fails_instead_of_making_all_stale(
        network: Path, tmp_path: Path, capsys, content: str) -> None:
    (network.parent / "networks/prefixes.csv").write_text(content)
    out = tmp_path / "r.json"
    code = main(["audit", "-c", str(network), "-o", str(tmp_path / "r.xlsx"), "--json",
                 str(out), *AS_OF])
    assert code == 3
    doc = json.loads(out.read_text())
    ipam = next(s for s in doc["sources"] if s["name"] == "ipam")
    assert ipam["status"] == "failed"
    assert "no usable prefix" in ipam["error"]
    assert "networks/prefixes.csv" in ipam["error"]
    # the route table still loaded: a live address stays live, not "outside"
    verdicts = {f["address"]: f["verdict"] for f in doc["findings"]}
    assert verdicts["10.10.0.2"] == "active"
    assert "ipam" in capsys.readouterr().out


@pytest.mark.parametrize("command", ["sources", "precheck", "audit", "logs", "events"])
def test_gz_that_is_not_gzip_names_the_file_in_every_command(
        network: Path, tmp_path: Path, capsys, command: str) -> None:
    logs = network.parent / "logs"
    fake = logs / "fw-edge-2026-11-24.log.gz"
    fake.write_bytes(b"this was never gzip\n" * 10)
    if command in ("logs", "events"):
        argv = [command, str(fake), *AS_OF]
    elif command == "precheck":
        argv = [command, "-c", str(network), "--retire", "10.99.0.0/16", *AS_OF]
    else:
        argv = [command, "-c", str(network), *AS_OF]
        if command == "audit":
            argv += ["-o", str(tmp_path / "r.xlsx")]
    code = main(argv)
    printed = capsys.readouterr()
    assert code == 3
    text = printed.out + printed.err
    assert "Traceback" not in text
    assert "fw-edge-2026-11-24.log.gz" in text
    assert "not a readable gzip file" in text

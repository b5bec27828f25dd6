"""The audit history: findings per run in SQLite, what changed since the last audit.

A small campus audited three mornings in a row (Orion, Track-It!, DCNM, as their connectors
give them): an access switch whose VLAN is retired goes stale, a laptop that was off comes
back, a kiosk in a demolished building stays stale, a switch is deleted from DCNM. The
expected values come from that story, not from the code.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from auditor import history
from auditor.config import load_config
from auditor.demo import build_network
from auditor.engine import run_audit
from auditor.errors import HistoryError
from auditor.history import (
    Changes,
    changes,
    format_history,
    history_path,
    read_history,
    record_run,
)
from auditor.model import (
    AuditResult,
    Finding,
    InputStatus,
    LogStats,
    Reason,
    SourceStatus,
    Target,
    ToolState,
    Traffic,
    Verdict,
)

NAME = "Campus nightly hygiene audit"
OWNERS = {"orion": "NOC - SolarWinds", "trackit": "Service Desk - Track-It!",
          "dcnm": "Data Center - DCNM"}
KINDS = {"orion": "solarwinds-npm", "trackit": "trackit", "dcnm": "cisco-dcnm"}
POLLERS = {"orion": "10.30.1.10", "trackit": "10.30.1.20", "dcnm": "10.30.1.41"}
DAY1, DAY2, DAY3 = (datetime(2026, 11, 22, 6, 0), datetime(2026, 11, 23, 6, 0),
                    datetime(2026, 11, 24, 6, 0))


def _record(source: str, rid: str, name: str, address: str, state: ToolState,
            last_ok: datetime | None, *, polled: bool = True) -> Target:
    return Target(address=address, source=source, kind=KINDS[source], id=rid, name=name,
                  polled=polled, state=state, last_ok=last_ok, poller=POLLERS[source],
                  location=f"exports/{source}", owner=OWNERS[source])


def _finding(record: Target, verdict: Verdict, *reasons: Reason,
             traffic: Traffic | None = None) -> Finding:
    return Finding(address=record.address, verdict=verdict, polled=record.polled,
                   reasons=reasons, network=None, records=(record,), traffic=traffic,
                   action=f"fix {record.name} in {record.source}")


def _core(day: datetime) -> Finding:
    """core-sw-01, Orion node 101: polled two minutes ago, every day."""
    return _finding(_record("orion", "101", "core-sw-01", "10.10.0.2", ToolState.UP,
                            day - timedelta(minutes=2)), Verdict.ACTIVE, Reason.TOOL_UP)


def _kiosk() -> Finding:
    """BLDG4-KIOSK-01, Track-It! asset 1187: building 4 was demolished in 2019."""
    return _finding(_record("trackit", "1187", "BLDG4-KIOSK-01", "10.99.4.31",
                            ToolState.UNKNOWN, datetime(2019, 2, 27, 22, 5)),
                    Verdict.STALE, Reason.DEPRECATED_NETWORK, Reason.SYN_RETRANSMIT,
                    Reason.TOOL_DOWN, traffic=Traffic(drops=24000))


def _access_switch(day: datetime, *, retired: bool) -> Finding:
    """SW-ACC-17, Orion node 311: answers until its VLAN is retired on the 23rd."""
    if not retired:
        return _finding(_record("orion", "311", "SW-ACC-17", "10.40.2.17", ToolState.UP,
                                day - timedelta(minutes=3)), Verdict.ACTIVE, Reason.TOOL_UP)
    return _finding(_record("orion", "311", "SW-ACC-17", "10.40.2.17", ToolState.DOWN,
                            DAY1 - timedelta(minutes=3)),
                    Verdict.STALE, Reason.DEPRECATED_NETWORK, Reason.NO_ROUTE,
                    traffic=Traffic(drops=90))


def _laptop(day: datetime, *, back: bool) -> Finding:
    """HR-LAPTOP-22, Track-It! asset 1290: off for weeks, answers again on the 24th."""
    if back:
        return _finding(_record("trackit", "1290", "HR-LAPTOP-22", "10.20.30.40",
                                ToolState.UNKNOWN, day - timedelta(hours=1)),
                        Verdict.ACTIVE, Reason.TOOL_UP, Reason.TRAFFIC_ANSWERED,
                        traffic=Traffic(answered=12))
    return _finding(_record("trackit", "1290", "HR-LAPTOP-22", "10.20.30.40",
                            ToolState.UNKNOWN, datetime(2026, 9, 25, 10, 0)),
                    Verdict.UNREACHABLE, Reason.SYN_TIMEOUT, Reason.TOOL_DOWN,
                    traffic=Traffic(drops=36))


def _agg_switch() -> Finding:
    """bldg4-agg-01, DCNM switch 215080: deleted from DCNM after the first audit."""
    return _finding(_record("dcnm", "215080", "bldg4-agg-01", "10.98.4.2", ToolState.DOWN,
                            datetime(2019, 3, 2, 17, 45, 11)),
                    Verdict.STALE, Reason.OUTSIDE_LIVE_NETWORKS, Reason.SYN_RETRANSMIT,
                    Reason.TOOL_DOWN)


def _result(day: datetime, findings: list[Finding], *, name: str = NAME,
            failed: tuple[str, ...] = ()) -> AuditResult:
    inputs = tuple(InputStatus(name=s, type=KINDS[s], role="source",
                               status=SourceStatus.FAILED if s in failed else SourceStatus.OK,
                               records=0 if s in failed else 3,
                               error=f"exports/{s}: not JSON" if s in failed else None)
                   for s in OWNERS)
    return AuditResult(name=name, generated_at=day + timedelta(minutes=5), as_of=day,
                       stale_after_days=14, inputs=inputs, findings=tuple(findings),
                       ghost_flows=(), networks=(), logs=LogStats(), owners=dict(OWNERS))


def _three_days() -> list[AuditResult]:
    return [
        _result(DAY1, [_core(DAY1), _kiosk(), _access_switch(DAY1, retired=False),
                       _laptop(DAY1, back=False), _agg_switch()]),
        _result(DAY2, [_core(DAY2), _kiosk(), _access_switch(DAY2, retired=True),
                       _laptop(DAY2, back=False)]),
        _result(DAY3, [_core(DAY3), _kiosk(), _access_switch(DAY3, retired=True),
                       _laptop(DAY3, back=True)]),
    ]


@pytest.fixture()
def config(tmp_path: Path) -> Path:
    path = tmp_path / "campus" / "audit.toml"
    path.parent.mkdir()
    path.write_text(f'[audit]\nname = "{NAME}"\n')
    return path


def _by_address(items: tuple[history.Change, ...]) -> dict[str, history.Change]:
    return {c.address: c for c in items}


# --- three audits in a row -------------------------------------------------------------


def test_three_audits_new_resolved_still_open(config: Path) -> None:
    day1, day2, day3 = _three_days()
    first = changes(config, day1)
    assert first.previous is None
    assert first.summary_line() == "First audit recorded for this config: nothing to compare yet"
    assert record_run(config, day1, config.parent / "day1.xlsx") is None

    second = changes(config, day2)
    assert second.previous == DAY1
    assert second.previous_report == str(config.parent / "day1.xlsx")
    assert [c.address for c in second.new] == ["10.40.2.17"]
    assert [c.address for c in second.resolved] == ["10.98.4.2"]
    assert [c.address for c in second.still_open] == ["10.20.30.40", "10.99.4.31"]
    switch = second.new[0]
    assert (switch.verdict_then, switch.verdict_now) == (Verdict.ACTIVE, Verdict.STALE)
    assert switch.owners == ("NOC - SolarWinds",) and switch.names == ("SW-ACC-17",)
    assert (switch.first_flagged, switch.in_a_row, switch.last_answering) == (DAY2, 1, DAY1)
    assert switch.last_ok == DAY1 - timedelta(minutes=3)
    gone = second.resolved[0]
    assert (gone.verdict_then, gone.verdict_now) == (Verdict.STALE, None)
    assert gone.owners == ("Data Center - DCNM",) and gone.sources == ("dcnm",)
    assert gone.names == ("bldg4-agg-01",) and gone.polled is True
    assert (gone.first_flagged, gone.in_a_row, gone.last_answering) == (DAY1, 1, None)
    assert second.summary_line() == \
        "Since the last audit (2026-11-22): 1 new, 1 resolved, 2 still open"
    assert record_run(config, day2, None) is None

    third = changes(config, day3)
    assert third.previous == DAY2
    assert third.new == ()
    assert [c.address for c in third.resolved] == ["10.20.30.40"]
    laptop = third.resolved[0]
    assert (laptop.verdict_then, laptop.verdict_now) == (Verdict.UNREACHABLE, Verdict.ACTIVE)
    assert laptop.owners == ("Service Desk - Track-It!",)
    assert (laptop.first_flagged, laptop.in_a_row, laptop.last_answering) == (DAY1, 2, DAY3)
    still = _by_address(third.still_open)
    assert set(still) == {"10.40.2.17", "10.99.4.31"}
    assert (still["10.40.2.17"].first_flagged, still["10.40.2.17"].in_a_row,
            still["10.40.2.17"].last_answering) == (DAY2, 2, DAY1)
    assert (still["10.99.4.31"].first_flagged, still["10.99.4.31"].in_a_row,
            still["10.99.4.31"].last_answering) == (DAY1, 3, None)
    assert still["10.99.4.31"].last_ok == datetime(2019, 2, 27, 22, 5)
    assert third.summary_line() == \
        "Since the last audit (2026-11-23): 0 new, 1 resolved, 2 still open"
    assert third.by_address()["10.99.4.31"] == still["10.99.4.31"]
    assert "10.10.0.2" not in third.by_address()  # active both times: nothing to report

    # recording the run does not change what it is compared with
    assert record_run(config, day3, None) is None
    assert changes(config, day3) == third


def test_history_lists_audits_with_what_changed(config: Path) -> None:
    for result in _three_days():
        assert record_run(config, result, None) is None
    runs = read_history(config)
    assert [r["as_of"] for r in runs] == ["2026-11-22T06:00:00Z", "2026-11-23T06:00:00Z",
                                          "2026-11-24T06:00:00Z"]
    assert [r["verdicts"]["stale"] for r in runs] == [2, 2, 2]
    assert [r["verdicts"]["unreachable"] for r in runs] == [1, 1, 0]
    assert [r["stale_polled"] for r in runs] == [2, 2, 2]
    assert [(r["new"], r["resolved"], r["still_open"]) for r in runs] == [
        ([], [], 0), (["10.40.2.17"], ["10.98.4.2"], 2), ([], ["10.20.30.40"], 2)]
    assert runs[1]["compared_with"] == "2026-11-22T06:05:00Z"
    text = format_history(runs).splitlines()
    assert text[0] == f"audit: {NAME}"
    assert text[1].split() == ["generated_at", "stale", "polled", "confl", "unrch", "unver",
                               "active", "ghosts", "failed"]
    assert text[2].split() == ["2026-11-22T06:05:00Z", "2", "2", "0", "1", "0", "2", "0", "-"]
    assert text[3].strip() == "first audit with findings recorded: nothing to compare"
    assert text[5].strip() == ("since 2026-11-22T06:05:00Z: 1 new: 10.40.2.17; "
                               "1 resolved: 10.98.4.2; 2 still open")
    assert text[7].strip() == ("since 2026-11-23T06:05:00Z: 0 new; 1 resolved: 10.20.30.40; "
                               "2 still open")


def test_many_changes_name_a_few_and_count_the_rest(config: Path) -> None:
    quiet = _result(DAY1, [_core(DAY1)])
    flood = _result(DAY2, [_core(DAY2)] + [
        _finding(_record("trackit", str(2000 + n), f"OLD-PC-{n:03}", f"10.99.5.{n}",
                         ToolState.UNKNOWN, datetime(2019, 1, 1)),
                 Verdict.STALE, Reason.DEPRECATED_NETWORK) for n in range(20, 0, -1)])
    record_run(config, quiet, None)
    record_run(config, flood, None)
    line = format_history(read_history(config)).splitlines()[-1].strip()
    assert line == ("since 2026-11-22T06:05:00Z: 20 new: 10.99.5.1, 10.99.5.2, 10.99.5.3 "
                    "and 17 more; 0 resolved; 0 still open")


def test_a_source_that_failed_is_not_checked_not_resolved(config: Path) -> None:
    day1, day2, day3 = (
        _result(DAY1, [_core(DAY1), _kiosk(), _agg_switch()]),
        _result(DAY2, [_core(DAY2), _agg_switch()], failed=("trackit",)),
        _result(DAY3, [_core(DAY3), _kiosk(), _agg_switch()]))
    record_run(config, day1, None)
    second = changes(config, day2)
    assert second.resolved == ()
    assert [c.address for c in second.not_checked] == ["10.99.4.31"]
    assert second.not_checked[0].owners == ("Service Desk - Track-It!",)
    assert [c.address for c in second.still_open] == ["10.98.4.2"]
    assert second.summary_line() == ("Since the last audit (2026-11-22): 0 new, 0 resolved, "
                                     "1 still open, 1 not checked (their source failed)")
    record_run(config, day2, None)

    # back on the 24th: new since the 23rd, but first flagged on the 22nd
    third = changes(config, day3)
    kiosk = _by_address(third.new)["10.99.4.31"]
    assert (kiosk.verdict_then, kiosk.first_flagged, kiosk.in_a_row) == (None, DAY1, 1)
    assert _by_address(third.still_open)["10.98.4.2"].in_a_row == 3
    record_run(config, day3, None)
    runs = read_history(config)
    assert runs[1]["not_checked"] == ["10.99.4.31"] and runs[1]["resolved"] == []
    assert "1 not checked (source failed): 10.99.4.31" in format_history(runs)


def test_same_day_audits_show_the_time(config: Path) -> None:
    morning = _result(DAY1, [_core(DAY1), _kiosk()])
    evening = _result(DAY1 + timedelta(hours=12), [_core(DAY1), _kiosk()])
    record_run(config, morning, None)
    assert changes(config, evening).summary_line() == \
        "Since the last audit (2026-11-22 06:00): 0 new, 0 resolved, 1 still open"


# --- keys: audit name and config file ----------------------------------------------------


def test_two_configs_with_the_same_name_in_one_folder_do_not_mix(config: Path) -> None:
    other = config.parent / "branch.toml"
    other.write_text(f'[audit]\nname = "{NAME}"\n')
    day1, day2, _ = _three_days()
    branch = _result(DAY1 + timedelta(hours=1), [_laptop(DAY1, back=True)])
    record_run(config, day1, None)
    record_run(other, branch, None)
    assert history_path(other) == history_path(config)

    assert [c.address for c in changes(config, day2).new] == ["10.40.2.17"]
    assert changes(other, day2).previous == DAY1 + timedelta(hours=1)
    assert [c.address for c in changes(other, day2).new] == \
        ["10.20.30.40", "10.40.2.17", "10.99.4.31"]
    assert [r["verdicts"]["active"] for r in read_history(config)] == [2]
    assert [r["verdicts"]["active"] for r in read_history(other)] == [1]


def test_two_audit_names_in_one_config_compare_only_with_their_own(config: Path) -> None:
    record_run(config, _result(DAY1, [_core(DAY1), _kiosk()], name="Before the change"),
               None)
    assert changes(config, _result(DAY2, [_core(DAY2)])).previous is None
    assert [r["name"] for r in read_history(config)] == ["Before the change"]
    assert read_history(config, name=NAME) == []


def test_a_folder_that_moves_keeps_its_history(config: Path, tmp_path: Path) -> None:
    day1, day2, _ = _three_days()
    record_run(config, day1, None)
    moved = tmp_path / "moved"
    shutil.copytree(config.parent, moved)
    assert changes(moved / "audit.toml", day2).previous == DAY1


def test_an_explicit_history_file(config: Path, tmp_path: Path) -> None:
    day1, day2, _ = _three_days()
    assert record_run(config, day1, None, history="state/campus.sqlite") is None
    assert (config.parent / "state" / "campus.sqlite").is_file()
    assert not history_path(config).exists()
    assert changes(config, day2, history="state/campus.sqlite").previous == DAY1
    assert read_history(config) == []
    shared = tmp_path / "shared.sqlite"
    assert history_path(config, shared) == shared


# --- the old history.jsonl -------------------------------------------------------------

LEGACY = (
    '{"generated_at": "2026-11-20T06:05:11Z", "as_of": "2026-11-20T06:05:11Z", '
    '"name": "Campus nightly hygiene audit", "verdicts": {"stale": 3, "conflict": 0, '
    '"unreachable": 1, "unverified": 0, "active": 2}, "stale_polled": 3, "ghost_flows": 4, '
    '"failed": [], "report": "reports/nov20.xlsx"}\n'
    '{"generated_at": "2026-11-21T06:05:09Z", "as_of": "2026-11-21T06:05:09Z", '
    '"name": "Campus nightly hygiene audit", "verdicts": {"stale": 2, "conflict": 0, '
    '"unreachable": 1, "unverified": 0, "active": 2}, "stale_polled": 2, "ghost_flows": 4, '
    '"failed": ["dcnm"], "report": null}\n'
    '{"generated_at": "2026-11-2'   # the run killed mid-line
)


def test_the_old_jsonl_history_is_imported_once_and_left_in_place(config: Path) -> None:
    legacy = config.parent / ".stale-audit" / "history.jsonl"
    legacy.parent.mkdir()
    legacy.write_text(LEGACY)
    day1, day2, _ = _three_days()

    warning = record_run(config, day1, None)
    assert warning == (f"imported 2 past run(s) from {legacy}, skipped 1 damaged line(s): "
                       "line 3: not JSON (Unterminated string starting at)")
    assert legacy.read_text() == LEGACY
    assert record_run(config, day2, None) is None  # imported once

    runs = read_history(config)
    assert [(r["generated_at"], r["findings_recorded"]) for r in runs] == [
        ("2026-11-20T06:05:11Z", False), ("2026-11-21T06:05:09Z", False),
        ("2026-11-22T06:05:00Z", True), ("2026-11-23T06:05:00Z", True)]
    assert [r["verdicts"]["stale"] for r in runs] == [3, 2, 2, 2]
    assert runs[1]["failed"] == ["dcnm"] and runs[0]["report"] == "reports/nov20.xlsx"
    assert runs[3]["compared_with"] == "2026-11-22T06:05:00Z"  # counts-only runs: no findings
    text = format_history(runs)
    assert "counts only (imported from history.jsonl line 1)" in text
    assert "history.jsonl line 3: not JSON (Unterminated string starting at) " \
        "(skipped at import)" in text
    # a counts-only run is never "the last audit" to compare findings with
    assert changes(config, day1).previous is None


def test_history_alone_imports_the_old_file(config: Path) -> None:
    legacy = config.parent / ".stale-audit" / "history.jsonl"
    legacy.parent.mkdir()
    legacy.write_text(LEGACY)
    runs = read_history(config)
    assert [r["imported_from"] for r in runs] == ["history.jsonl line 1", "history.jsonl line 2"]
    assert [r["name"] for r in runs] == [NAME, NAME]
    assert history_path(config).is_file()


# --- a history that cannot be used never costs the report ----------------------------------


@pytest.fixture()
def quick(monkeypatch: pytest.MonkeyPatch) -> None:
    """Wait a tenth of a second for a lock instead of five."""
    monkeypatch.setattr(history, "BUSY_TIMEOUT", 0.1)


def test_a_locked_history_is_a_clear_error(config: Path, quick: None) -> None:
    day1, day2, _ = _three_days()
    record_run(config, day1, None)
    path = history_path(config)
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("BEGIN EXCLUSIVE")  # another audit, mid-write
        warning = record_run(config, day2, None)
        assert warning == (f"this run is not in the history: {path}: cannot record this "
                           "run: the database is locked: another audit is writing to it "
                           "(waited 0.1 s); try again when it is done")
        with pytest.raises(HistoryError) as read:
            read_history(config)
        assert str(read.value) == (f"{path}: cannot read the history: the database is "
                                   "locked: another audit is writing to it (waited 0.1 s); "
                                   "try again when it is done")
        with pytest.raises(HistoryError, match="locked"):
            changes(config, day2)
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert [r["as_of"] for r in read_history(config)] == ["2026-11-22T06:00:00Z"]


def test_a_writer_holding_the_lock_does_not_block_reading(config: Path, quick: None) -> None:
    day1, day2, _ = _three_days()
    record_run(config, day1, None)
    other = sqlite3.connect(history_path(config), isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        assert "locked" in (record_run(config, day2, None) or "")
        assert [r["as_of"] for r in read_history(config)] == ["2026-11-22T06:00:00Z"]
        assert changes(config, day2).previous == DAY1
    finally:
        other.execute("ROLLBACK")
        other.close()


def _damage_a_page(path: Path) -> None:
    """Overwrite the first page of the audits table, as a bad disk sector would."""
    with sqlite3.connect(path) as db:
        page_size = db.execute("PRAGMA page_size").fetchone()[0]
        root = db.execute("SELECT rootpage FROM sqlite_master WHERE name = 'audits'"
                          ).fetchone()[0]
    db.close()
    with path.open("r+b") as fh:
        fh.seek((root - 1) * page_size)
        fh.write(b"\xde\xad" * (page_size // 2))


@pytest.mark.parametrize(("how", "why"), [
    ("text", "not an SQLite database (file is not a database): move it aside, or point "
             "[audit] history at another file"),
    ("page", "the database is damaged (database disk image is malformed): move it aside to "
             "start a new history"),
    ("folder", "it is a folder, not a history database"),
])
def test_a_corrupt_history_is_a_clear_error(config: Path, how: str, why: str) -> None:
    day1, day2, _ = _three_days()
    path = history_path(config)
    if how == "text":
        path.parent.mkdir()
        path.write_text("generated_at,stale\n2026-11-20,3\n" * 40)
    elif how == "page":
        record_run(config, day1, None)
        _damage_a_page(path)
    else:
        path.mkdir(parents=True)
    before = path.read_bytes() if path.is_file() else None
    assert record_run(config, day2, None) == \
        f"this run is not in the history: {path}: cannot record this run: {why}"
    with pytest.raises(HistoryError) as read:
        read_history(config)
    assert str(read.value) == f"{path}: cannot read the history: {why}"
    if before is not None:
        assert path.read_bytes() == before  # never "repaired" by overwriting


def test_an_unwritable_folder_is_a_clear_error(config: Path) -> None:
    (config.parent / ".stale-audit").write_text("not a folder")
    path = history_path(config)
    warning = record_run(config, _three_days()[0], None)
    assert warning == (f"this run is not in the history: {path}: cannot record this run: "
                       f"cannot create the folder {path.parent}: a file has that name")


def test_another_programs_database_is_not_written_into(config: Path) -> None:
    path = history_path(config)
    path.parent.mkdir()
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE inventory (host TEXT)")
    db.close()
    assert record_run(config, _three_days()[0], None) == (
        f"this run is not in the history: {path}: not a stale-audit history: an SQLite "
        "database with other tables (inventory)")


def test_the_report_is_written_when_the_history_is_locked(tmp_path: Path, quick: None,
                                                          capsys) -> None:
    from auditor.cli import main

    network = build_network(tmp_path / "net", datetime(2026, 11, 24, 10, 0))
    report = tmp_path / "r.json"
    assert main(["audit", "-c", str(network), "-o", str(report), "--as-of",
                 "2026-11-24T10:00:00Z"]) == 1
    capsys.readouterr()
    path = history_path(network)
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("BEGIN EXCLUSIVE")
        report.unlink()
        assert main(["audit", "-c", str(network), "-o", str(report), "--as-of",
                     "2026-11-24T10:00:00Z"]) == 1
        captured = capsys.readouterr()
        assert captured.err == (f"stale-audit: warning: this run is not in the history: "
                                f"{path}: cannot record this run: the database is locked: "
                                "another audit is writing to it (waited 0.1 s); try again "
                                "when it is done\n")
        doc = json.loads(report.read_text())
        assert [f["address"] for f in doc["findings"]
                if f["verdict"] == "stale" and f["polled"]] == \
            ["10.98.4.2", "10.99.4.20", "10.99.4.31", "10.99.7.5"]
        assert "Stale and still polled (4)" in captured.out
        assert main(["history", "-c", str(network)]) == 3
        assert capsys.readouterr().err == (f"stale-audit: error: {path}: cannot read the "
                                           "history: the database is locked: another audit "
                                           "is writing to it (waited 0.1 s); try again when "
                                           "it is done\n")
    finally:
        other.execute("ROLLBACK")
        other.close()


# --- the schema, versioned --------------------------------------------------------------

#: Schema version 1 as it shipped, written out here so that a later version must migrate it.
V1 = [
    """CREATE TABLE audits (id INTEGER PRIMARY KEY, name TEXT NOT NULL, config TEXT NOT NULL,
       generated_at TEXT NOT NULL, as_of TEXT NOT NULL, stale INTEGER NOT NULL,
       conflict INTEGER NOT NULL, unreachable INTEGER NOT NULL, unverified INTEGER NOT NULL,
       active INTEGER NOT NULL, stale_polled INTEGER NOT NULL, ghost_flows INTEGER NOT NULL,
       failed TEXT NOT NULL, report TEXT, findings_recorded INTEGER NOT NULL,
       imported_from TEXT)""",
    "CREATE INDEX audits_by_key ON audits (config, name, generated_at, id)",
    """CREATE TABLE findings (audit_id INTEGER NOT NULL REFERENCES audits (id) ON DELETE
       CASCADE, address TEXT NOT NULL, verdict TEXT NOT NULL, polled INTEGER NOT NULL,
       reasons TEXT NOT NULL, last_ok TEXT, answered INTEGER NOT NULL, first_flagged TEXT,
       in_a_row INTEGER NOT NULL, last_answering TEXT, PRIMARY KEY (audit_id, address))
       WITHOUT ROWID""",
    "CREATE INDEX findings_by_address ON findings (address)",
    """CREATE TABLE records (audit_id INTEGER NOT NULL, address TEXT NOT NULL,
       source TEXT NOT NULL, record_id TEXT NOT NULL, name TEXT NOT NULL, owner TEXT NOT NULL,
       polled INTEGER NOT NULL, last_ok TEXT, FOREIGN KEY (audit_id, address) REFERENCES
       findings (audit_id, address) ON DELETE CASCADE)""",
    "CREATE INDEX records_by_finding ON records (audit_id, address)",
    """CREATE TABLE imports (file TEXT PRIMARY KEY, runs INTEGER NOT NULL,
       skipped INTEGER NOT NULL, notes TEXT NOT NULL)""",
    "PRAGMA application_id = 1400127861",
    "PRAGMA user_version = 1",
]


def _version_1(path: Path) -> None:
    """A version-1 history holding the 22nd's audit: the kiosk stale since the 20th."""
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path, isolation_level=None)
    for statement in V1:
        db.execute(statement)
    db.execute("INSERT INTO audits VALUES (1, ?, '../audit.toml', '2026-11-22T06:05:00Z', "
               "'2026-11-22T06:00:00Z', 1, 0, 0, 0, 1, 1, 0, '[]', NULL, 1, NULL)", (NAME,))
    db.execute("INSERT INTO findings VALUES (1, '10.99.4.31', 'stale', 1, "
               "'deprecated-network tool-down', '2019-02-27T22:05:00Z', 0, "
               "'2026-11-20T06:00:00Z', 3, NULL)")
    db.execute("INSERT INTO records VALUES (1, '10.99.4.31', 'trackit', '1187', "
               "'BLDG4-KIOSK-01', 'Service Desk - Track-It!', 1, '2019-02-27T22:05:00Z')")
    db.execute("INSERT INTO findings VALUES (1, '10.10.0.2', 'active', 1, 'tool-up', "
               "'2026-11-22T05:58:00Z', 0, NULL, 0, '2026-11-22T06:00:00Z')")
    db.close()


def test_a_version_1_history_is_read_and_extended(config: Path) -> None:
    _version_1(history_path(config))
    _, day2, _ = _three_days()
    still = _by_address(changes(config, day2).still_open)["10.99.4.31"]
    assert (still.first_flagged, still.in_a_row) == (datetime(2026, 11, 20, 6, 0), 4)
    assert record_run(config, day2, None) is None
    assert [r["verdicts"]["stale"] for r in read_history(config)] == [1, 2]
    with sqlite3.connect(history_path(config)) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == len(history.MIGRATIONS)
    db.close()


def test_migrations_run_in_order_and_keep_the_data(config: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Version 2 is one more function in MIGRATIONS: a version-1 file is taken forward."""
    path = history_path(config)
    _version_1(path)

    def add_ticket_column(conn: sqlite3.Connection) -> None:
        conn.execute("ALTER TABLE findings ADD COLUMN ticket TEXT")

    monkeypatch.setattr(history, "MIGRATIONS", [*history.MIGRATIONS, add_ticket_column])
    _, day2, _ = _three_days()
    assert record_run(config, day2, None) is None
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == 2
        columns = [row[1] for row in db.execute("PRAGMA table_info(findings)")]
        kiosk = db.execute("SELECT in_a_row, first_flagged FROM findings WHERE audit_id = 2 "
                           "AND address = '10.99.4.31'").fetchone()
    db.close()
    assert columns[-1] == "ticket"
    assert kiosk == (4, "2026-11-20T06:00:00Z")


def test_a_migration_that_fails_leaves_the_file_as_it_was(
        config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = history_path(config)
    _version_1(path)
    before = path.read_bytes()

    def broken(conn: sqlite3.Connection) -> None:
        conn.execute("ALTER TABLE findings ADD COLUMN ticket TEXT")
        conn.execute("ALTER TABLE no_such_table ADD COLUMN x TEXT")

    monkeypatch.setattr(history, "MIGRATIONS", [*history.MIGRATIONS, broken])
    with pytest.raises(HistoryError, match="no such table: no_such_table"):
        read_history(config)
    assert path.read_bytes() == before


def test_a_history_from_a_newer_version_is_refused(config: Path) -> None:
    path = history_path(config)
    _version_1(path)
    newer = len(history.MIGRATIONS) + 1
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version = {newer}")
    db.close()
    before = path.read_bytes()
    why = (f"{path}: written by a newer stale-audit (history schema version {newer}; this "
           f"one reads up to {len(history.MIGRATIONS)}): upgrade stale-audit, or point "
           "[audit] history at another file")
    assert record_run(config, _three_days()[1], None) == \
        f"this run is not in the history: {why}"
    with pytest.raises(HistoryError) as read:
        read_history(config)
    assert str(read.value) == why
    assert path.read_bytes() == before


# --- the demo network, changed between two audits ----------------------------------------


def test_two_demo_audits_report_exactly_what_changed(tmp_path: Path) -> None:
    """DCNM deletes bldg4-agg-01; IPAM retires the facilities network (172.16.40.0/24)."""
    now = datetime(2026, 11, 24, 10, 0)
    config = build_network(tmp_path / "demo", now)
    first = run_audit(load_config(config), as_of=now, generated_at=now)
    assert record_run(config, first, None) is None

    switches = config.parent / "exports" / "dcnm-switches.json"
    body = json.loads(switches.read_text())
    switches.write_text(json.dumps([s for s in body if s["ipAddress"] != "10.98.4.2"]))
    prefixes = config.parent / "networks" / "prefixes.csv"
    text = prefixes.read_text()
    assert "172.16.40.0/24,Active" in text
    prefixes.write_text(text.replace("172.16.40.0/24,Active", "172.16.40.0/24,Deprecated"))
    later = now + timedelta(days=1)
    second = run_audit(load_config(config), as_of=later, generated_at=later)

    diff = changes(config, second)
    assert [(c.address, c.verdict_then, c.verdict_now) for c in diff.new] == \
        [("172.16.40.11", Verdict.UNVERIFIED, Verdict.STALE)]
    assert diff.new[0].names == ("legacy-ups-2",) and diff.new[0].polled is False
    assert [(c.address, c.verdict_then, c.verdict_now, c.owners) for c in diff.resolved] == \
        [("10.98.4.2", Verdict.STALE, None, ("Data Center - DCNM",))]
    assert [c.address for c in diff.still_open] == [
        "10.20.9.1", "10.20.30.40", "10.99.4.20", "10.99.4.31", "10.99.7.5", "10.99.7.12"]
    assert {c.in_a_row for c in diff.still_open} == {2}
    assert {c.first_flagged for c in diff.still_open} == {now}
    assert diff.summary_line() == \
        "Since the last audit (2026-11-24): 1 new, 1 resolved, 6 still open"
    assert isinstance(diff, Changes)

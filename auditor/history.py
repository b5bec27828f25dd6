"""Past audits of one config: every run's counts and findings, in an SQLite database.

Where: `<config folder>/.stale-audit/history.sqlite`, or the file the caller names
(`[audit] history = "path"`, relative to the config's folder). One file may hold the audits of
several configs: a run is keyed by the audit's name and by its config file (stored relative to
the database's folder, so a folder that moves keeps its history), so two configs in one folder
never mix.

Tables: `audits` (one row per run: counts per verdict, stale and still polled, ghost flows,
failed inputs, the report written), `findings` (one row per address per run: verdict, polled,
reasons, the tool's own last success, answered traffic, and the address's history as of that
run: first flagged, audits in a row flagged, last seen answering), `records` (the records
behind each finding: source, record id, name, owner) and `imports` (the old `history.jsonl`,
imported once: its runs, counts only; the file is left in place).

The schema version is `PRAGMA user_version`; `MIGRATIONS[n]` takes a file from version n to
n + 1 inside one transaction, and a file from a newer stale-audit is refused, never rewritten.

A history that cannot be written never costs the report: `record_run` returns a warning.
Reading it (`read_history`, `changes`) raises `HistoryError` naming the file. A locked file
(another audit writing) is waited for `BUSY_TIMEOUT` seconds, then reported as locked.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from auditor.errors import HistoryError
from auditor.jsonable import iso
from auditor.model import VERDICT_ORDER, AuditResult, Change, Changes, Finding, Reason, Verdict
from auditor.reconcile import address_sort_key

#: The verdicts that put an address on someone's list.
FLAGGED = frozenset({Verdict.STALE, Verdict.CONFLICT, Verdict.UNREACHABLE})
#: Reasons that prove something answered at the address.
ANSWERING = frozenset({Reason.TOOL_UP, Reason.TRAFFIC_ANSWERED, Reason.PROBE_OK})
#: Seconds to wait for another audit's write to finish before calling the file locked.
BUSY_TIMEOUT = 5.0
#: The default location, relative to the config's folder.
DEFAULT_HISTORY = Path(".stale-audit") / "history.sqlite"
#: The history of stale-audit before the database: one JSON line of counts per run.
LEGACY_HISTORY = Path(".stale-audit") / "history.jsonl"
#: `PRAGMA application_id` of a stale-audit history ("StAu"): another program's SQLite file
#: at the same path is refused, not written into.
APPLICATION_ID = 0x53744175
#: Addresses `format_history` names per change before "and N more".
SHOWN = 3

_FLAGGED_SQL = "(" + ", ".join(f"'{v}'" for v in sorted(FLAGGED)) + ")"


def history_path(config_path: Path, history: str | Path | None = None) -> Path:
    """The database of `config_path`: `history` (relative to the config's folder) when
    given, else `<config folder>/.stale-audit/history.sqlite`."""
    folder = config_path.resolve().parent
    if history is None:
        return folder / DEFAULT_HISTORY
    path = Path(history).expanduser()
    return path if path.is_absolute() else folder / path


def legacy_history_path(config_path: Path) -> Path:
    """Where stale-audit before the database kept its JSON lines: imported once."""
    return config_path.resolve().parent / LEGACY_HISTORY


# --- what changed since the last audit -----------------------------------------------------


def changes(config_path: Path, result: AuditResult, *,
            history: str | Path | None = None) -> Changes:
    """Compare `result` with the previous audit of its name recorded for this config.

    The previous audit is the newest one with findings whose `generated_at` is earlier than
    `result.generated_at`, so the answer is the same whether `result` is recorded yet or
    not (two runs started within the same second do not see each other). Never creates the
    database.

    Raises:
        HistoryError: the database is locked, damaged, not a history, or from a newer
            stale-audit; the message names the file.
    """
    path = history_path(config_path, history)
    first = Changes(name=result.name, as_of=result.as_of, previous=None)
    with _opened(path, config_path, create=False, doing="compare with the last audit") as db:
        if db is None:
            return first
        with db.errors("compare with the last audit"), db.transaction(write=False):
            previous = db.previous(result.name, iso(result.generated_at) or "")
            if previous is None:
                return first
            priors = db.priors(result.name, previous,
                               [f.address for f in result.findings])
            past = db.flagged_records(previous.id)
    return _compare(result, previous, priors, past)


def _compare(result: AuditResult, previous: _Audit, priors: dict[str, _Prior],
             past: dict[str, list[_PastRecord]]) -> Changes:
    as_of = iso(result.as_of) or ""
    failed = {i.name for i in result.failed}
    now = {f.address: f for f in result.findings}
    new: list[Change] = []
    still: list[Change] = []
    for finding in result.findings:
        if finding.verdict not in FLAGGED:
            continue
        prior = priors.get(finding.address)
        track = _track(prior, finding, as_of)
        then = prior.verdict if prior else None
        (still if then in FLAGGED else new).append(
            _change(finding, result, then, track.first_flagged, track.in_a_row,
                    track.last_answering))
    resolved: list[Change] = []
    unknown: list[Change] = []
    for address, prior in priors.items():
        current = now.get(address)
        if prior.verdict not in FLAGGED or (current and current.verdict in FLAGGED):
            continue
        if current is not None:
            last = as_of if _answering(current) else prior.last_answering
            resolved.append(_change(current, result, prior.verdict, prior.first_flagged,
                                    prior.in_a_row, last))
            continue
        records = past.get(address, [])
        sources = tuple(sorted({r.source for r in records}))
        gone = Change(address=address, verdict_then=prior.verdict, verdict_now=None,
                      polled=prior.polled,
                      owners=tuple(sorted({r.owner for r in records if r.owner})),
                      sources=sources, names=tuple(sorted({r.name for r in records})),
                      first_flagged=_datetime(prior.first_flagged), in_a_row=prior.in_a_row,
                      last_answering=_datetime(prior.last_answering),
                      last_ok=_datetime(prior.last_ok))
        (unknown if failed.intersection(sources) else resolved).append(gone)
    return Changes(name=result.name, as_of=result.as_of,
                   previous=_datetime(previous.as_of), previous_report=previous.report,
                   new=_sorted(new), resolved=_sorted(resolved), still_open=_sorted(still),
                   not_checked=_sorted(unknown))


def _change(finding: Finding, result: AuditResult, then: Verdict | None,
            first: str | None, in_a_row: int, last: str | None) -> Change:
    records = finding.records
    successes = [t.last_ok for t in records if t.last_ok is not None]
    return Change(address=finding.address, verdict_then=then, verdict_now=finding.verdict,
                  polled=finding.polled,
                  owners=tuple(sorted({_owner(t.source, t.owner, result) for t in records})),
                  sources=tuple(sorted({t.source for t in records})),
                  names=tuple(sorted({t.name for t in records if t.name})),
                  first_flagged=_datetime(first), in_a_row=in_a_row,
                  last_answering=_datetime(last),
                  last_ok=max(successes) if successes else None)


def _sorted(items: list[Change]) -> tuple[Change, ...]:
    return tuple(sorted(items, key=lambda c: address_sort_key(c.address)))


def _owner(source: str, owner: str, result: AuditResult) -> str:
    return owner or result.owners.get(source, "") or source


def _answering(finding: Finding) -> bool:
    return (finding.verdict is Verdict.ACTIVE or bool(ANSWERING.intersection(finding.reasons))
            or bool(finding.traffic and finding.traffic.answered))


@dataclass(frozen=True, slots=True)
class _Track:
    """An address's history as of one audit (what `findings` stores beside the verdict)."""

    first_flagged: str | None
    in_a_row: int
    last_answering: str | None


def _track(prior: _Prior | None, finding: Finding, as_of: str) -> _Track:
    flagged = finding.verdict in FLAGGED
    first = prior.first_flagged if prior else None
    if flagged and first is None:
        first = as_of
    streak = 0
    if flagged:
        streak = 1 + (prior.in_a_row if prior and prior.verdict in FLAGGED else 0)
    last = as_of if _answering(finding) else (prior.last_answering if prior else None)
    return _Track(first, streak, last)


# --- recording a run -----------------------------------------------------------------------


def record_run(config_path: Path, result: AuditResult, report: Path | None, *,
               history: str | Path | None = None) -> str | None:
    """Record this run and its findings in one transaction; never fails the audit.

    Imports the old `.stale-audit/history.jsonl` first, once. Returns None when all went
    well, else a one-line warning naming the file: the run could not be recorded (locked,
    damaged or unwritable database), or it was, and the import skipped damaged lines.
    """
    path = history_path(config_path, history)
    note: str | None = None
    try:
        with _opened(path, config_path, create=True, doing="record this run") as db:
            assert db is not None  # create=True opens or raises
            try:
                note = db.import_legacy(legacy_history_path(config_path), result.name)
            except _LegacyUnreadable as exc:
                note = f"run recorded, but the old history was not imported: {exc}"
            with db.errors("record this run"), db.transaction(write=True):
                db.record(result, report)
    except HistoryError as exc:
        return f"this run is not in the history: {exc}"
    return note


# --- reading it back -----------------------------------------------------------------------


def read_history(config_path: Path, *, history: str | Path | None = None,
                 name: str | None = None) -> list[dict[str, Any]]:
    """Every recorded audit of this config (of `name` only, when given), oldest first.

    Each run: `name`, `generated_at`, `as_of`, `verdicts` (counts), `stale_polled`,
    `ghost_flows`, `failed` (input names), `report`, `findings_recorded` (False for runs
    imported from history.jsonl: counts only), `imported_from`, and against the previous
    audit of the same name: `compared_with` (its `generated_at`, None for the first),
    `new`, `resolved`, `not_checked` (addresses) and `still_open` (a count).

    Raises:
        HistoryError: locked, damaged, not a history, from a newer stale-audit, or the old
            history.jsonl cannot be read; the message names the file.
    """
    path = history_path(config_path, history)
    legacy = legacy_history_path(config_path)
    create = legacy.is_file()
    with _opened(path, config_path, create=create, doing="read the history") as db:
        if db is None:
            return []
        db.import_legacy(legacy, config_path.stem)
        with db.errors("read the history"), db.transaction(write=False):
            return db.runs(name)


def format_history(runs: Sequence[dict[str, Any]]) -> str:
    """The runs as a table, newest last, each followed by what changed since the one before."""
    if not runs:
        return "no audits recorded yet for this config"
    names = list(dict.fromkeys(str(run.get("name", "")) for run in runs))
    lines = [f"audit: {names[0]}"] if len(names) == 1 else []
    lines.append(f"{'generated_at':<21} {'stale':>6} {'polled':>6} {'confl':>6} {'unrch':>6} "
                 f"{'unver':>6} {'active':>6} {'ghosts':>6}  failed")
    for run in runs:
        v = run.get("verdicts", {})
        row = (f"{run.get('generated_at', '?'):<21} {v.get('stale', 0):>6} "
               f"{run.get('stale_polled', 0):>6} {v.get('conflict', 0):>6} "
               f"{v.get('unreachable', 0):>6} {v.get('unverified', 0):>6} "
               f"{v.get('active', 0):>6} {run.get('ghost_flows', 0):>6}  "
               f"{', '.join(run.get('failed', [])) or '-'}")
        if len(names) > 1:
            row += f"  [{run.get('name', '')}]"
        lines.append(row)
        lines += [f"    {text}" for text in _run_changes(run)]
    return "\n".join(lines)


def _run_changes(run: dict[str, Any]) -> list[str]:
    if not run.get("findings_recorded", True):
        return [f"counts only (imported from {run.get('imported_from')})",
                *run.get("import_notes", [])]
    if run.get("compared_with") is None:
        return ["first audit with findings recorded: nothing to compare"]
    parts = [f"{len(run['new'])} new{_named(run['new'])}",
             f"{len(run['resolved'])} resolved{_named(run['resolved'])}",
             f"{run['still_open']} still open"]
    if run["not_checked"]:
        parts.append(f"{len(run['not_checked'])} not checked (source failed)"
                     f"{_named(run['not_checked'])}")
    return [f"since {run['compared_with']}: " + "; ".join(parts)]


def _named(addresses: Sequence[str]) -> str:
    if not addresses:
        return ""
    more = f" and {len(addresses) - SHOWN} more" if len(addresses) > SHOWN else ""
    return f": {', '.join(addresses[:SHOWN])}{more}"


# --- the database --------------------------------------------------------------------------


class _LegacyUnreadable(HistoryError):
    """The old history.jsonl exists but cannot be read (it is left for the next run)."""


@dataclass(frozen=True, slots=True)
class _Audit:
    id: int
    as_of: str
    report: str | None


@dataclass(frozen=True, slots=True)
class _Prior:
    """An address as the previous audit left it (or, absent there, as older ones did)."""

    verdict: Verdict | None
    """Its verdict in the previous audit; None when it was absent there."""
    first_flagged: str | None
    in_a_row: int
    last_answering: str | None
    polled: bool = False
    last_ok: str | None = None


@dataclass(frozen=True, slots=True)
class _PastRecord:
    source: str
    name: str
    owner: str


def _schema_v1(conn: sqlite3.Connection) -> None:
    """Audits, their findings and records, the old JSONL import."""
    for statement in (
        """CREATE TABLE audits (
               id INTEGER PRIMARY KEY,
               name TEXT NOT NULL,               -- [audit] name
               config TEXT NOT NULL,             -- the config file, relative to this file's
                                                 -- folder (absolute when elsewhere)
               generated_at TEXT NOT NULL,       -- ISO 8601 UTC, 2026-11-24T10:00:00Z
               as_of TEXT NOT NULL,
               stale INTEGER NOT NULL,
               conflict INTEGER NOT NULL,
               unreachable INTEGER NOT NULL,
               unverified INTEGER NOT NULL,
               active INTEGER NOT NULL,
               stale_polled INTEGER NOT NULL,
               ghost_flows INTEGER NOT NULL,
               failed TEXT NOT NULL,             -- JSON list of the inputs that failed
               report TEXT,                      -- the workbook written, if any
               findings_recorded INTEGER NOT NULL,  -- 0: counts only (history.jsonl)
               imported_from TEXT                -- history.jsonl line N
           )""",
        # "the previous audit of this name": the key, then the order audits ran in
        "CREATE INDEX audits_by_key ON audits (config, name, generated_at, id)",
        """CREATE TABLE findings (
               audit_id INTEGER NOT NULL REFERENCES audits (id) ON DELETE CASCADE,
               address TEXT NOT NULL,
               verdict TEXT NOT NULL,
               polled INTEGER NOT NULL,
               reasons TEXT NOT NULL,            -- reason codes, space-separated
               last_ok TEXT,                     -- the newest last success of its tools
               answered INTEGER NOT NULL,        -- answered traffic seen in the logs
               first_flagged TEXT,               -- the address's history as of this audit
               in_a_row INTEGER NOT NULL,
               last_answering TEXT,
               PRIMARY KEY (audit_id, address)
           ) WITHOUT ROWID""",
        "CREATE INDEX findings_by_address ON findings (address)",
        """CREATE TABLE records (
               audit_id INTEGER NOT NULL,
               address TEXT NOT NULL,
               source TEXT NOT NULL,
               record_id TEXT NOT NULL,
               name TEXT NOT NULL,
               owner TEXT NOT NULL,
               polled INTEGER NOT NULL,
               last_ok TEXT,
               FOREIGN KEY (audit_id, address) REFERENCES findings (audit_id, address)
                   ON DELETE CASCADE
           )""",
        "CREATE INDEX records_by_finding ON records (audit_id, address)",
        """CREATE TABLE imports (
               file TEXT PRIMARY KEY,            -- relative to this file's folder
               runs INTEGER NOT NULL,
               skipped INTEGER NOT NULL,
               notes TEXT NOT NULL               -- JSON list: "line N: why"
           )""",
        f"PRAGMA application_id = {APPLICATION_ID}",
    ):
        conn.execute(statement)


#: `MIGRATIONS[n]` takes a database from schema version n to n + 1; the current version is
#: `len(MIGRATIONS)`. A new version is one more function here, never an edit of an old one.
MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [_schema_v1]


@contextmanager
def _opened(path: Path, config_path: Path, *, create: bool,
            doing: str) -> Iterator[_Database | None]:
    """The database at `path`, upgraded to the current schema; None when it does not exist
    and `create` is false."""
    db = _Database.connect(path, config_path, create=create, doing=doing)
    if db is None:
        yield None
        return
    try:
        with db.errors(doing):
            db.upgrade()
        yield db
    finally:
        db.conn.close()


class _Database:
    """One open history file, and the audits of one config in it."""

    def __init__(self, path: Path, conn: sqlite3.Connection, config: str) -> None:
        self.path = path
        self.conn = conn
        self.config = config

    @classmethod
    def connect(cls, path: Path, config_path: Path, *, create: bool,
                doing: str) -> _Database | None:
        if path.is_dir():
            raise HistoryError(f"cannot {doing}: it is a folder, not a history database",
                               path=path)
        if not path.exists():
            if not create:
                return None
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                why = "a file has that name" if path.parent.is_file() \
                    else exc.strerror or str(exc)
                raise HistoryError(f"cannot {doing}: cannot create the folder "
                                   f"{path.parent}: {why}", path=path) from exc
        try:
            conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT, isolation_level=None)
        except sqlite3.Error as exc:
            raise _translate(exc, path, doing) from exc
        db = cls(path, conn, _relative(config_path, path.parent))
        try:
            with db.errors(doing):
                conn.execute("PRAGMA foreign_keys = ON")
        except HistoryError:
            conn.close()
            raise
        return db

    @contextmanager
    def errors(self, doing: str) -> Iterator[None]:
        """SQLite and OS errors as one `HistoryError` naming the file."""
        try:
            yield
        except sqlite3.Error as exc:
            raise _translate(exc, self.path, doing) from exc
        except OSError as exc:
            raise HistoryError(f"cannot {doing}: {exc.strerror or exc}",
                               path=self.path) from exc

    @contextmanager
    def transaction(self, *, write: bool) -> Iterator[None]:
        """One transaction; a writer takes the write lock up front (no upgrade deadlock)."""
        self.conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
        try:
            yield
        except BaseException:
            if self.conn.in_transaction:
                with suppress(sqlite3.Error):  # the first error is the one to report
                    self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    def _pragma(self, name: str) -> int:
        value = self.conn.execute(f"PRAGMA {name}").fetchone()[0]
        return int(value)

    def upgrade(self) -> None:
        """Bring the schema to `len(MIGRATIONS)`, one step at a time, in one transaction."""
        latest = len(MIGRATIONS)
        if self._check_version(latest) == latest:
            return
        with self.transaction(write=True):
            version = self._check_version(latest)  # another process may have done it
            if version == 0:
                tables = [row[0] for row in self.conn.execute(
                    "SELECT name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' "
                    "ORDER BY name")]
                if tables:
                    raise HistoryError(f"not a stale-audit history: an SQLite database with "
                                       f"other tables ({', '.join(tables[:5])})",
                                       path=self.path)
            for step in MIGRATIONS[version:]:
                step(self.conn)
            self.conn.execute(f"PRAGMA user_version = {latest}")

    def _check_version(self, latest: int) -> int:
        version = self._pragma("user_version")
        application = self._pragma("application_id")
        if application not in (0, APPLICATION_ID):
            raise HistoryError(f"not a stale-audit history (SQLite application id "
                               f"{application:#x})", path=self.path)
        if version > latest:
            raise HistoryError(f"written by a newer stale-audit (history schema version "
                               f"{version}; this one reads up to {latest}): upgrade "
                               "stale-audit, or point [audit] history at another file",
                               path=self.path)
        return version

    # --- the old JSON lines ---

    def import_legacy(self, legacy: Path, name: str) -> str | None:
        """Import `legacy` (history.jsonl) once: its runs, counts only. Returns a note when
        damaged lines were skipped; the file itself is left in place."""
        if not legacy.is_file():
            return None
        key = _relative(legacy, self.path.parent)
        query = "SELECT 1 FROM imports WHERE file = ?"
        with self.errors("import the old run history"):
            if self.conn.execute(query, (key,)).fetchone():
                return None
            try:
                data = legacy.read_bytes()
            except OSError as exc:
                raise _LegacyUnreadable(f"cannot import the old run history: "
                                        f"{exc.strerror or exc}", path=legacy) from exc
            runs, notes = _legacy_runs(data, name)
            with self.transaction(write=True):
                if self.conn.execute(query, (key,)).fetchone():
                    return None
                for number, run in runs:
                    self._insert_audit(run, findings_recorded=False,
                                       imported_from=f"{LEGACY_HISTORY.name} line {number}")
                self.conn.execute("INSERT INTO imports (file, runs, skipped, notes) "
                                  "VALUES (?, ?, ?, ?)",
                                  (key, len(runs), len(notes), json.dumps(notes)))
        if not notes:
            return None
        return (f"imported {len(runs)} past run(s) from {legacy}, skipped {len(notes)} "
                f"damaged line(s): {'; '.join(notes[:3])}")

    def _insert_audit(self, run: dict[str, Any], *, findings_recorded: bool,
                      imported_from: str | None) -> int:
        verdicts = run["verdicts"]
        cursor = self.conn.execute(
            "INSERT INTO audits (name, config, generated_at, as_of, stale, conflict, "
            "unreachable, unverified, active, stale_polled, ghost_flows, failed, report, "
            "findings_recorded, imported_from) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (run["name"], self.config, run["generated_at"], run["as_of"],
             *(verdicts.get(str(v), 0) for v in _VERDICT_COLUMNS),
             run["stale_polled"], run["ghost_flows"], json.dumps(run["failed"]),
             run["report"], int(findings_recorded), imported_from))
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    # --- one run ---

    def record(self, result: AuditResult, report: Path | None) -> None:
        generated = iso(result.generated_at) or ""
        as_of = iso(result.as_of) or ""
        previous = self.previous(result.name, generated)
        priors = self.priors(result.name, previous, [f.address for f in result.findings]) \
            if previous else {}
        counts: dict[str, int] = {}
        for f in result.findings:
            counts[f.verdict] = counts.get(f.verdict, 0) + 1
        audit_id = self._insert_audit(
            {"name": result.name, "generated_at": generated, "as_of": as_of,
             "verdicts": counts,
             "stale_polled": sum(1 for f in result.findings
                                 if f.verdict is Verdict.STALE and f.polled),
             "ghost_flows": len(result.ghost_flows) + result.ghosts_folded.flows,
             "failed": [i.name for i in result.failed],
             "report": str(report.resolve()) if report else None},
            findings_recorded=True, imported_from=None)
        self.conn.executemany(
            "INSERT INTO findings (audit_id, address, verdict, polled, reasons, last_ok, "
            "answered, first_flagged, in_a_row, last_answering) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (_finding_row(audit_id, f, _track(priors.get(f.address), f, as_of))
             for f in result.findings))
        self.conn.executemany(
            "INSERT INTO records (audit_id, address, source, record_id, name, owner, polled, "
            "last_ok) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            ((audit_id, f.address, t.source, t.id, t.name, _owner(t.source, t.owner, result),
              int(t.polled), iso(t.last_ok))
             for f in result.findings for t in f.records))

    def previous(self, name: str, before: str) -> _Audit | None:
        """The newest audit of `name` with findings that ran before `before`."""
        row = self.conn.execute(
            "SELECT id, as_of, report FROM audits WHERE config = ? AND name = ? "
            "AND findings_recorded = 1 AND generated_at < ? "
            "ORDER BY generated_at DESC, id DESC LIMIT 1",
            (self.config, name, before)).fetchone()
        if row is None:
            return None
        audit_id, as_of, report = row
        _check_date(as_of, self.path, audit_id, "as_of")
        return _Audit(audit_id, as_of, report if isinstance(report, str) else None)

    def priors(self, name: str, previous: _Audit,
               addresses: Iterable[str]) -> dict[str, _Prior]:
        """Every address of the previous audit, plus those of `addresses` that it lacks but
        an older audit of `name` holds (their first flagged, last answering)."""
        out: dict[str, _Prior] = {}
        for address, verdict, polled, last_ok, first, streak, last in self.conn.execute(
                "SELECT address, verdict, polled, last_ok, first_flagged, in_a_row, "
                "last_answering FROM findings WHERE audit_id = ?", (previous.id,)):
            out[address] = _Prior(self._verdict(verdict, previous.id, address), first,
                                  _count(streak, self.path, previous.id, "in_a_row"), last,
                                  bool(polled), last_ok)
        missing = [a for a in addresses if a not in out]
        older = self.conn.execute(
            "SELECT count(*) FROM audits WHERE config = ? AND name = ? AND "
            "findings_recorded = 1 AND id != ? AND generated_at <= "
            "(SELECT generated_at FROM audits WHERE id = ?)",
            (self.config, name, previous.id, previous.id)).fetchone()[0]
        if not missing or not older:
            return out
        # Absent from the previous audit (its source failed then, or it is back): its
        # streak is broken, but its first flag and last answer are still history.
        self.conn.execute("CREATE TEMP TABLE IF NOT EXISTS wanted (address TEXT PRIMARY KEY)")
        self.conn.execute("DELETE FROM temp.wanted")
        self.conn.executemany("INSERT OR IGNORE INTO temp.wanted VALUES (?)",
                              ((a,) for a in missing))
        for address, first, last in self.conn.execute(
                "SELECT f.address, min(f.first_flagged), max(f.last_answering) "
                "FROM temp.wanted w JOIN findings f ON f.address = w.address "
                "JOIN audits a ON a.id = f.audit_id "
                "WHERE a.config = ? AND a.name = ? AND a.findings_recorded = 1 "
                "AND a.generated_at <= (SELECT generated_at FROM audits WHERE id = ?) "
                "GROUP BY f.address", (self.config, name, previous.id)):
            if first is not None or last is not None:
                out[address] = _Prior(None, first, 0, last)
        return out

    def flagged_records(self, audit_id: int) -> dict[str, list[_PastRecord]]:
        out: dict[str, list[_PastRecord]] = {}
        for address, source, name, owner in self.conn.execute(
                "SELECT r.address, r.source, r.name, r.owner FROM records r "
                "JOIN findings f ON f.audit_id = r.audit_id AND f.address = r.address "
                f"WHERE r.audit_id = ? AND f.verdict IN {_FLAGGED_SQL}", (audit_id,)):
            out.setdefault(address, []).append(_PastRecord(source, name, owner))
        return out

    def _verdict(self, text: object, audit_id: int, address: str) -> Verdict:
        try:
            return Verdict(str(text))
        except ValueError:
            raise HistoryError(f"damaged finding {address} of audit {audit_id}: verdict "
                               f"{text!r} is not one of {', '.join(VERDICT_ORDER)}",
                               path=self.path, field="verdict") from None

    # --- the listing ---

    def runs(self, name: str | None) -> list[dict[str, Any]]:
        query = ("SELECT id, name, generated_at, as_of, stale, conflict, unreachable, "
                 "unverified, active, stale_polled, ghost_flows, failed, report, "
                 "findings_recorded, imported_from FROM audits WHERE config = ?")
        args: tuple[str, ...] = (self.config,)
        if name is not None:
            query += " AND name = ?"
            args += (name,)
        rows = self.conn.execute(query + " ORDER BY generated_at, id", args).fetchall()
        notes = self._import_notes()
        runs: list[dict[str, Any]] = []
        seen: dict[str, list[tuple[str, int]]] = {}  # name -> (generated_at, id) with findings
        for row in rows:
            run = self._run(row)
            audit_id = row[0]
            if run["imported_from"] and notes:
                run["import_notes"], notes = notes, []
            if run["findings_recorded"]:
                earlier = [(g, i) for g, i in seen.get(run["name"], [])
                           if g < run["generated_at"]]
                previous = earlier[-1] if earlier else None
                run.update(self._run_changes(audit_id, previous))
                seen.setdefault(run["name"], []).append((run["generated_at"], audit_id))
            runs.append(run)
        return runs

    def _import_notes(self) -> list[str]:
        notes: list[str] = []
        for file, text in self.conn.execute(
                "SELECT file, notes FROM imports WHERE skipped > 0 ORDER BY file"):
            try:
                skipped = json.loads(text)
            except (TypeError, ValueError):
                skipped = []
            notes += [f"{file} {note} (skipped at import)" for note in skipped
                      if isinstance(note, str)]
        return notes

    def _run(self, row: Sequence[Any]) -> dict[str, Any]:
        (audit_id, name, generated, as_of, *counts, stale_polled, ghosts, failed, report,
         recorded, imported) = row
        for field, value in zip(("generated_at", "as_of"), (generated, as_of), strict=True):
            _check_date(value, self.path, audit_id, field)
        verdicts = {}
        for verdict, value in zip(_VERDICT_COLUMNS, counts, strict=True):
            verdicts[str(verdict)] = _count(value, self.path, audit_id, str(verdict))
        try:
            inputs = json.loads(failed)
        except (TypeError, ValueError):
            inputs = None
        if not isinstance(inputs, list) or not all(isinstance(n, str) for n in inputs):
            raise HistoryError(f"damaged audit {audit_id}: failed is {failed!r}, not a JSON "
                               "list of input names", path=self.path, field="failed")
        return {"name": str(name), "generated_at": generated, "as_of": as_of,
                "verdicts": {str(v): verdicts[str(v)] for v in VERDICT_ORDER},
                "stale_polled": _count(stale_polled, self.path, audit_id, "stale_polled"),
                "ghost_flows": _count(ghosts, self.path, audit_id, "ghost_flows"),
                "failed": inputs, "report": report, "findings_recorded": bool(recorded),
                "imported_from": imported, "compared_with": None, "new": [],
                "resolved": [], "not_checked": [], "still_open": 0}

    def _run_changes(self, audit_id: int,
                     previous: tuple[str, int] | None) -> dict[str, Any]:
        if previous is None:
            return {}
        generated, previous_id = previous
        new = [a for (a,) in self.conn.execute(
            f"SELECT address FROM findings WHERE audit_id = ? AND verdict IN {_FLAGGED_SQL} "
            "AND in_a_row = 1", (audit_id,))]
        still = self.conn.execute(
            f"SELECT count(*) FROM findings WHERE audit_id = ? AND verdict IN {_FLAGGED_SQL} "
            "AND in_a_row > 1", (audit_id,)).fetchone()[0]
        failed_text = self.conn.execute("SELECT failed FROM audits WHERE id = ?",
                                        (audit_id,)).fetchone()[0]
        failed = set(json.loads(failed_text))  # checked by `_run`
        resolved: list[str] = []
        unknown: list[str] = []
        for address, present, sources in self.conn.execute(
                "SELECT p.address, c.address IS NOT NULL, "
                "(SELECT group_concat(r.source, char(10)) FROM records r "
                " WHERE r.audit_id = p.audit_id AND r.address = p.address) "
                "FROM findings p LEFT JOIN findings c "
                "ON c.audit_id = ? AND c.address = p.address "
                f"WHERE p.audit_id = ? AND p.verdict IN {_FLAGGED_SQL} "
                f"AND (c.address IS NULL OR c.verdict NOT IN {_FLAGGED_SQL})",
                (audit_id, previous_id)):
            held_by = set((sources or "").split("\n"))
            gone_unchecked = not present and failed & held_by
            (unknown if gone_unchecked else resolved).append(address)

        def order(items: list[str]) -> list[str]:
            return sorted(items, key=address_sort_key)

        return {"compared_with": generated, "new": order(new), "resolved": order(resolved),
                "not_checked": order(unknown), "still_open": int(still)}


#: The count columns of `audits`, in table order.
_VERDICT_COLUMNS = (Verdict.STALE, Verdict.CONFLICT, Verdict.UNREACHABLE, Verdict.UNVERIFIED,
                    Verdict.ACTIVE)


def _finding_row(audit_id: int, f: Finding, track: _Track) -> tuple[Any, ...]:
    successes = [t.last_ok for t in f.records if t.last_ok is not None]
    return (audit_id, f.address, str(f.verdict), int(f.polled),
            " ".join(str(r) for r in f.reasons), iso(max(successes)) if successes else None,
            int(bool(f.traffic and f.traffic.answered)), track.first_flagged, track.in_a_row,
            track.last_answering)


def _translate(exc: sqlite3.Error, path: Path, doing: str) -> HistoryError:
    """One clear line for what SQLite says, by its error code."""
    code = getattr(exc, "sqlite_errorname", "") or ""
    text = str(exc)
    if code.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or "locked" in text:
        why = (f"the database is locked: another audit is writing to it (waited "
               f"{BUSY_TIMEOUT:g} s); try again when it is done")
    elif code == "SQLITE_NOTADB" or "not a database" in text:
        why = "not an SQLite database (file is not a database): move it aside, or point " \
              "[audit] history at another file"
    elif code.startswith("SQLITE_CORRUPT") or "malformed" in text:
        why = f"the database is damaged ({text}): move it aside to start a new history"
    elif code.startswith("SQLITE_READONLY"):
        why = "the file or its folder is read-only"
    elif code.startswith("SQLITE_CANTOPEN"):
        folder = path.parent
        why = f"cannot open the file (is {folder} writable?)" \
            if folder.is_dir() else f"its folder {folder} does not exist"
    elif code == "SQLITE_FULL":
        why = "the disk is full"
    else:
        why = text
    return HistoryError(f"cannot {doing}: {why}", path=path)


def _relative(path: Path, base: Path) -> str:
    """`path` relative to `base` (both resolved), or absolute when there is no such path."""
    try:
        return os.path.relpath(path.resolve(), base.resolve())
    except ValueError:  # another drive
        return str(path.resolve())


def _count(value: object, path: Path, audit_id: int, field: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    raise HistoryError(f"damaged audit {audit_id}: {field} is {value!r}, not a count",
                       path=path, field=field)


def _check_date(value: object, path: Path, audit_id: int, field: str) -> None:
    if not isinstance(value, str) or _parse_iso(value) is None:
        raise HistoryError(f"damaged audit {audit_id}: {field} is {value!r}, not a date",
                           path=path, field=field)


def _parse_iso(text: str) -> datetime | None:
    """`2026-11-24T10:00:00Z` (or without the Z) -> naive UTC; None when it is not that."""
    try:
        value = datetime.fromisoformat(text.removesuffix("Z"))
    except ValueError:
        return None
    if value.tzinfo is not None:
        return None
    return value


def _datetime(text: str | None) -> datetime | None:
    return _parse_iso(text) if text else None


def _legacy_runs(data: bytes, name: str) -> tuple[list[tuple[int, dict[str, Any]]], list[str]]:
    """The runs of a history.jsonl, and a note per damaged line (skipped, never guessed)."""
    runs: list[tuple[int, dict[str, Any]]] = []
    notes: list[str] = []
    for number, raw in enumerate(data.split(b"\n"), 1):
        if not raw.strip():
            continue
        try:
            entry = json.loads(raw.decode("utf-8"))
        except UnicodeDecodeError as exc:
            notes.append(f"line {number}: not UTF-8 text (byte {raw[exc.start]:#04x} at "
                         f"column {exc.start + 1})")
            continue
        except json.JSONDecodeError as exc:
            notes.append(f"line {number}: not JSON ({exc.msg})")
            continue
        if not isinstance(entry, dict):
            notes.append(f"line {number}: a JSON {type(entry).__name__}, not an object")
            continue
        run, problem = _legacy_run(entry, name)
        if run is None:
            notes.append(f"line {number}: {problem}")
        else:
            runs.append((number, run))
    return runs, notes


def _legacy_run(entry: dict[str, Any], name: str) -> tuple[dict[str, Any] | None, str]:
    stamp = entry.get("generated_at")
    generated = _parse_iso(stamp) if isinstance(stamp, str) else None
    if generated is None:
        return None, f"generated_at is {stamp!r}, not a date"
    as_of = _parse_iso(entry["as_of"]) if isinstance(entry.get("as_of"), str) else None
    verdicts = entry.get("verdicts", {})
    if not isinstance(verdicts, dict) or not all(
            isinstance(n, int) and not isinstance(n, bool) and n >= 0
            for n in verdicts.values()):
        return None, f"verdicts is {verdicts!r}, not an object of counts"
    counts = {}
    for key in ("stale_polled", "ghost_flows"):
        value = entry.get(key, 0)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            return None, f"{key} is {value!r}, not a count"
        counts[key] = value
    failed = entry.get("failed", [])
    if not isinstance(failed, list) or not all(isinstance(n, str) for n in failed):
        return None, f"failed is {failed!r}, not a list of input names"
    report = entry.get("report")
    audit_name = entry.get("name")
    return {"name": audit_name if isinstance(audit_name, str) and audit_name else name,
            "generated_at": iso(generated), "as_of": iso(as_of or generated),
            "verdicts": verdicts, **counts, "failed": failed,
            "report": report if isinstance(report, str) else None}, ""

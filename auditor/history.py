"""Past audits of one config: one JSON line per run, beside the config file."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from auditor.errors import HistoryError
from auditor.jsonable import iso
from auditor.model import VERDICT_ORDER, AuditResult, Verdict


def history_path(config_path: Path) -> Path:
    return config_path.resolve().parent / ".stale-audit" / "history.jsonl"


def record_run(config_path: Path, result: AuditResult, report: Path | None) -> str | None:
    """Append this run's counts; a history that can't be written never fails the audit.

    Returns None when the run was recorded, else a one-line warning naming the file.
    """
    counts = Counter(str(f.verdict) for f in result.findings)
    entry = {"generated_at": iso(result.generated_at), "as_of": iso(result.as_of),
             "name": result.name,
             "verdicts": {str(v): counts.get(str(v), 0) for v in VERDICT_ORDER},
             "stale_polled": sum(1 for f in result.findings
                                 if f.verdict is Verdict.STALE and f.polled),
             "ghost_flows": len(result.ghost_flows),
             "failed": [i.name for i in result.failed],
             "report": str(report) if report else None}
    path = history_path(config_path)
    try:
        read_history(config_path)
    except HistoryError as exc:
        damaged: str | None = str(exc)
    else:
        damaged = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a+b") as fh:
            # A run killed mid-append left half a line: never glue this entry onto it.
            lead = b""
            if fh.seek(0, 2) > 0:
                fh.seek(-1, 2)
                lead = b"" if fh.read(1) == b"\n" else b"\n"
            fh.write(lead + json.dumps(entry).encode("utf-8") + b"\n")
    except OSError as exc:
        return f"cannot record this run in {path}: {exc.strerror or exc}"
    if damaged:
        return f"run recorded, but the history is damaged ({damaged}); " \
            "`stale-audit history` fails until that line is fixed or removed"
    return None


def read_history(config_path: Path) -> list[dict[str, Any]]:
    """Every recorded run, oldest first; `HistoryError` names the file and the damaged line.

    Blank lines are skipped. A line that is not a JSON object (`[1]`, text, bytes that are
    not UTF-8) is damage: the history is not guessed around.
    """
    path = history_path(config_path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise HistoryError(f"cannot read the run history: {exc.strerror or exc}",
                           path=path) from exc
    runs = []
    for number, raw in enumerate(data.split(b"\n"), 1):
        if not raw.strip():
            continue
        try:
            run = json.loads(raw.decode("utf-8"))
        except UnicodeDecodeError as exc:
            raise HistoryError(f"damaged history entry: not UTF-8 text (byte "
                               f"{raw[exc.start]:#04x} at column {exc.start + 1})",
                               path=path, line=number) from exc
        except json.JSONDecodeError as exc:
            raise HistoryError(f"damaged history entry: not JSON ({exc.msg})", path=path,
                               line=number) from exc
        if not isinstance(run, dict):
            raise HistoryError(f"damaged history entry: a JSON {type(run).__name__}, not an "
                               "object", path=path, line=number)
        _check_entry(run, path, number)
        runs.append(run)
    return runs


def _check_entry(run: dict[str, Any], path: Path, number: int) -> None:
    """The fields `format_history` shows have the types `record_run` writes (when present)."""
    def bad(key: str, want: str) -> HistoryError:
        return HistoryError(f"damaged history entry: {key} is {run[key]!r}, not {want}",
                            path=path, line=number, field=key)

    for key in ("stale_polled", "ghost_flows"):
        if key in run and not _count(run[key]):
            raise bad(key, "a count")
    if "generated_at" in run and not isinstance(run["generated_at"], str):
        raise bad("generated_at", "a date string")
    verdicts = run.get("verdicts", {})
    if not isinstance(verdicts, dict) or not all(_count(n) for n in verdicts.values()):
        raise bad("verdicts", "an object of counts")
    failed = run.get("failed", [])
    if not isinstance(failed, list) or not all(isinstance(n, str) for n in failed):
        raise bad("failed", "a list of input names")


def _count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def format_history(runs: list[dict[str, Any]]) -> str:
    if not runs:
        return "no audits recorded yet for this config"
    head = f"{'generated_at':<21} {'stale':>6} {'polled':>6} {'confl':>6} {'unrch':>6} " \
           f"{'unver':>6} {'active':>6} {'ghosts':>6}  failed"
    lines = [head]
    for run in runs:
        v = run.get("verdicts", {})
        lines.append(f"{run.get('generated_at', '?'):<21} {v.get('stale', 0):>6} "
                     f"{run.get('stale_polled', 0):>6} {v.get('conflict', 0):>6} "
                     f"{v.get('unreachable', 0):>6} {v.get('unverified', 0):>6} "
                     f"{v.get('active', 0):>6} {run.get('ghost_flows', 0):>6}  "
                     f"{', '.join(run.get('failed', [])) or '-'}")
    return "\n".join(lines)

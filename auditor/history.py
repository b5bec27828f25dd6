"""Past audits of one config: one JSON line per run, beside the config file."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from auditor.errors import StaleAuditError
from auditor.jsonable import iso
from auditor.model import VERDICT_ORDER, AuditResult, Verdict


def history_path(config_path: Path) -> Path:
    return config_path.resolve().parent / ".stale-audit" / "history.jsonl"


def record_run(config_path: Path, result: AuditResult, report: Path | None) -> None:
    """Append this run's counts; a history that can't be written never fails the audit."""
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
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(entry) + "\n")
    except OSError:
        pass


def read_history(config_path: Path) -> list[dict[str, Any]]:
    path = history_path(config_path)
    if not path.exists():
        return []
    runs = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        try:
            runs.append(json.loads(line))
        except json.JSONDecodeError as exc:
            raise StaleAuditError(f"{path} line {number}: damaged history entry") from exc
    return runs


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

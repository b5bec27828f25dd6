"""The `stale-audit/1` JSON report: the stable shape other tools read (SPEC "JSON output")."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, BinaryIO

from auditor.jsonable import (
    SCHEMA,
    finding_record,
    ghost_record,
    input_record,
    iso,
    log_stats_record,
)
from auditor.model import AuditResult
from reports.atomic import atomic_write
from reports.base import Reporter


def audit_document(result: AuditResult) -> dict[str, Any]:
    """The whole report as plain data, keys in the order the SPEC shows them."""
    return {
        "schema": SCHEMA,
        "audit": {"name": result.name, "generated_at": iso(result.generated_at),
                  "as_of": iso(result.as_of)},
        # Every input, networks and logs included: a failed one must show wherever sources do.
        "sources": [input_record(i) for i in result.inputs],
        "findings": [finding_record(f) for f in result.findings],
        "ghost_flows": [ghost_record(g) for g in result.ghost_flows],
        "logs": log_stats_record(result.logs),
    }


def render_json(result: AuditResult) -> str:
    """The report text: UTF-8 as is, two-space indent, one trailing newline."""
    return json.dumps(audit_document(result), ensure_ascii=False, indent=2) + "\n"


class JsonReporter(Reporter):
    """Writes the `stale-audit/1` JSON document."""

    suffix = ".json"

    def write(self, result: AuditResult, path: Path) -> None:
        """Write `result` as JSON to `path`, whole or not at all.

        Streamed chunk by chunk (same bytes as `render_json`): a 40 MB report of a large
        audit no longer needs the whole text, then its bytes, in memory at once.
        """
        document = audit_document(result)

        def stream(fh: BinaryIO) -> None:
            encoder = json.JSONEncoder(ensure_ascii=False, indent=2)
            for chunk in encoder.iterencode(document):
                fh.write(chunk.encode("utf-8"))
            fh.write(b"\n")

        atomic_write(path, stream)

"""The `stale-audit/1` JSON report: the stable shape other tools read (SPEC "JSON output")."""

from __future__ import annotations

import gc
import json
from collections.abc import Callable, Iterator
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
from auditor.model import AuditResult, Finding, Target, Traffic
from reports.atomic import atomic_write
from reports.base import Reporter, probes_record

#: What `json.dumps(..., ensure_ascii=False)` writes for a string (the C encoder).
_quote: Callable[[str], str] = json.encoder.encode_basestring
#: Findings encoded per write: big enough to amortise the write, small enough to stay flat.
_BATCH = 2000


def audit_document(result: AuditResult) -> dict[str, Any]:
    """The whole report as plain data, keys in the order the SPEC shows them."""
    return {
        "schema": SCHEMA,
        "audit": _audit(result),
        # Every input, networks and logs included: a failed one must show wherever sources do.
        "sources": [input_record(i) for i in result.inputs],
        "findings": [finding_record(f) for f in result.findings],
        "ghost_flows": [ghost_record(g) for g in result.ghost_flows],
        "logs": log_stats_record(result.logs),
        # only when the opt-in probes ran: reports without them keep the SPEC's keys
        **({"probes": probes_record(result.probes)} if result.probes is not None else {}),
    }


def render_json(result: AuditResult) -> str:
    """The report text: UTF-8 as is, two-space indent, one trailing newline."""
    return "".join(iter_json(result))


def iter_json(result: AuditResult) -> Iterator[str]:
    """The report text in pieces, a batch of findings at a time.

    The very text `json.dumps(audit_document(result), ensure_ascii=False, indent=2)` gives,
    plus the newline, without the document: `json`'s indenting encoder is pure Python and
    walks every value of every record, and the document holds every record twice over.
    The small parts go through `json` (nested by re-indenting, which is all indent does at
    depth); findings, the bulk, through `_finding`, which writes the same text directly.
    `tests/test_reports.py` holds the two to the same bytes.
    """
    yield "{\n  \"schema\": " + _nested(SCHEMA)
    yield ",\n  \"audit\": " + _nested(_audit(result))
    yield ",\n  \"sources\": " + _nested([input_record(i) for i in result.inputs])
    if not result.findings:
        yield ",\n  \"findings\": []"
    else:
        cache: dict[tuple[str, str, str, str | None], tuple[str, ...]] = {}
        findings = result.findings
        for start in range(0, len(findings), _BATCH):
            head = ",\n  \"findings\": [\n    " if start == 0 else ",\n    "
            yield head + ",\n    ".join(
                [_finding(f, cache) for f in findings[start:start + _BATCH]])
        yield "\n  ]"
    yield ",\n  \"ghost_flows\": " + _nested([ghost_record(g) for g in result.ghost_flows])
    yield ",\n  \"logs\": " + _nested(log_stats_record(result.logs))
    if result.probes is not None:
        yield ",\n  \"probes\": " + _nested(probes_record(result.probes))
    yield "\n}\n"


class JsonReporter(Reporter):
    """Writes the `stale-audit/1` JSON document."""

    suffix = ".json"

    def write(self, result: AuditResult, path: Path) -> None:
        """Write `result` as JSON to `path`, whole or not at all.

        Streamed a batch of findings at a time (same bytes as `render_json`): a large
        audit's report is never in memory whole, as text or as a document.
        """
        def stream(fh: BinaryIO) -> None:
            for chunk in iter_json(result):
                fh.write(chunk.encode("utf-8"))

        # The text builds no cycles, and a collection now would walk the whole result
        # (millions of values at a million records) for nothing: paused while writing.
        collecting = gc.isenabled()
        gc.disable()
        try:
            atomic_write(path, stream)
        finally:
            if collecting:
                gc.enable()


def _audit(result: AuditResult) -> dict[str, Any]:
    return {"name": result.name, "generated_at": iso(result.generated_at),
            "as_of": iso(result.as_of)}


def _nested(value: object) -> str:
    """`value` as `json.dumps(indent=2)` writes it one level down (inside the document)."""
    return json.dumps(value, ensure_ascii=False, indent=2).replace("\n", "\n  ")


def _value(value: object) -> str:
    """One scalar as `json` writes it."""
    if value.__class__ is str:
        return _quote(value)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value.__class__ is int:
        return int.__repr__(value)
    return json.dumps(value, ensure_ascii=False)


def _finding(f: Finding, cache: dict[tuple[str, str, str, str | None], tuple[str, ...]]) -> str:
    """`finding_record(f)` as `json.dumps(indent=2)` writes it as an item of `findings`."""
    reasons = ("[\n        " + ",\n        ".join([_quote(str(r)) for r in f.reasons])
               + "\n      ]") if f.reasons else "[]"
    records = ("[\n        " + ",\n        ".join([_record(t, cache) for t in f.records])
               + "\n      ]") if f.records else "[]"
    q = _quote
    address, network, action = f.address, f.network, f.action
    return (f"{{\n      \"address\": "
            f"{q(address) if address.__class__ is str else _value(address)},\n"
            f"      \"verdict\": {q(str(f.verdict))},\n      \"polled\": "
            f"{'true' if f.polled is True else _value(f.polled)},\n      "
            f"\"reasons\": {reasons},\n      \"network\": "
            f"{'null' if network is None else _value(network)},\n      "
            f"\"records\": {records},\n      \"traffic\": {_traffic(f.traffic)},\n      "
            f"\"action\": {q(action) if action.__class__ is str else _value(action)}\n    }}")


def _record(t: Target, cache: dict[tuple[str, str, str, str | None], tuple[str, ...]]) -> str:
    """`target_record(t)` as an item of a finding's `records`."""
    key = (t.source, t.kind, t.owner, t.poller)
    shared = cache.get(key)  # the values a source's records share, encoded once
    if shared is None:
        shared = cache[key] = tuple(_value(v) for v in key)
    source, kind, owner, poller = shared
    q = _quote  # the text fields: a C call each, `_value` only for something else
    ident, name, location, last_ok = t.id, t.name, t.location, t.last_ok
    return (f"{{\n          \"source\": {source},\n          \"type\": {kind},\n"
            f"          \"id\": {q(ident) if ident.__class__ is str else _value(ident)},\n"
            f"          \"name\": {q(name) if name.__class__ is str else _value(name)},\n"
            f"          \"owner\": {owner},\n          \"polled\": "
            f"{'true' if t.polled is True else _value(t.polled)},\n"
            f"          \"state\": {q(str(t.state))},\n          \"last_ok\": "
            f"{'null' if last_ok is None else q(iso(last_ok) or '')},\n          \"poller\": "
            f"{poller},\n          \"location\": "
            f"{q(location) if location.__class__ is str else _value(location)}\n        }}")


def _traffic(t: Traffic | None) -> str:
    """`traffic_record(t)` as a finding's `traffic` (zeros when the logs never saw it)."""
    if t is None:
        return _NO_TRAFFIC
    if t.by_message:
        by_message = "{\n          " + ",\n          ".join(
            [f"{_quote(str(k))}: {_value(v)}" for k, v in sorted(t.by_message.items())]
        ) + "\n        }"
    else:
        by_message = "{}"
    first = "null" if t.first_seen is None else _quote(iso(t.first_seen))  # type: ignore[arg-type]
    last = "null" if t.last_seen is None else _quote(iso(t.last_seen))  # type: ignore[arg-type]
    return (f"{{\n        \"drops\": {_value(t.drops)},\n        \"answered\": "
            f"{_value(t.answered)},\n        \"first_seen\": {first},\n        \"last_seen\": "
            f"{last},\n        \"by_message\": {by_message}\n      }}")


#: Most addresses never appear in the logs: their `traffic` is always this text.
_NO_TRAFFIC = _traffic(Traffic())

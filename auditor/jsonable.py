"""Model values as the plain dicts of the `stale-audit/1` JSON schema.

One place decides how a record, an event or a finding looks in JSON, so the JSON report,
the `events` command and the fixture tests all agree.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from auditor.model import (
    Finding,
    GhostFlow,
    InputStatus,
    LogEvent,
    LogStats,
    Network,
    Target,
    Traffic,
)

SCHEMA = "stale-audit/1"


def iso(value: datetime | None) -> str | None:
    """Naive UTC datetime -> `2026-11-24T10:00:00Z`."""
    if value is None:
        return None
    # Same text as `value.replace(microsecond=0).isoformat()`, without a new datetime.
    return value.isoformat(timespec="seconds") + "Z"


def target_record(t: Target) -> dict[str, Any]:
    return {"source": t.source, "type": t.kind, "id": t.id, "name": t.name, "owner": t.owner,
            "polled": t.polled, "state": str(t.state), "last_ok": iso(t.last_ok),
            "poller": t.poller, "location": t.location}


def target_detail(t: Target) -> dict[str, Any]:
    """Everything a connector produced, for fixture comparison and debugging."""
    out = target_record(t)
    out.update(address=t.address, seen=iso(t.seen), fix=t.fix, protocol=t.protocol,
               port=t.port)
    return out


def network_record(n: Network) -> dict[str, Any]:
    return {"prefix": n.prefix, "source": n.source, "status": str(n.status),
            "location": n.location, "description": n.description}


def event_record(e: LogEvent) -> dict[str, Any]:
    out: dict[str, Any] = {"line": e.line, "time": iso(e.time), "device": e.device,
                           "message": e.message, "signal": str(e.signal),
                           "protocol": e.protocol, "src": e.src, "sport": e.sport,
                           "dst": e.dst, "dport": e.dport}
    if e.count != 1:
        out["count"] = e.count
    return out


def traffic_record(t: Traffic | None) -> dict[str, Any]:
    """Always an object, zeros when the logs never saw the address (as SPEC's example)."""
    if t is None:
        t = Traffic()
    return {"drops": t.drops, "answered": t.answered, "first_seen": iso(t.first_seen),
            "last_seen": iso(t.last_seen), "by_message": dict(sorted(t.by_message.items()))}


def finding_record(f: Finding) -> dict[str, Any]:
    return {"address": f.address, "verdict": str(f.verdict), "polled": f.polled,
            "reasons": [str(r) for r in f.reasons], "network": f.network,
            "records": [target_record(t) for t in f.records],
            "traffic": traffic_record(f.traffic), "action": f.action}


def ghost_record(g: GhostFlow) -> dict[str, Any]:
    return {"src": g.src, "dst": g.dst, "protocol": g.protocol, "port": g.port,
            "count": g.count, "first_seen": iso(g.first_seen), "last_seen": iso(g.last_seen),
            "reasons": [str(r) for r in g.reasons], "attribution": g.attribution}


def input_record(i: InputStatus) -> dict[str, Any]:
    record = {"name": i.name, "type": i.type, "status": str(i.status), "records": i.records,
              "error": i.error}
    if i.role == "log" and i.engine not in (None, "local"):
        # folded by a SIEM or Spark: by what, the query, the rows (no time: the JSON stays
        # reproducible; a local file's record keeps the SPEC's five keys)
        record.update(engine=i.engine, query=i.query, rows=i.rows)
    return record


def log_stats_record(s: LogStats) -> dict[str, Any]:
    return {"lines": s.lines, "parsed": s.parsed, "unparsed": s.unparsed,
            "by_message": dict(sorted(s.by_message.items()))}

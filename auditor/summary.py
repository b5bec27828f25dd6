"""The plain-text summary printed after an audit: what a person reads in the terminal."""

from __future__ import annotations

from collections import Counter

from auditor.model import (
    VERDICT_ORDER,
    AuditResult,
    Finding,
    InputStatus,
    Reason,
    SourceStatus,
    Verdict,
)
from auditor.rates import rises, series

TOP = 10


def format_summary(result: AuditResult) -> str:
    """Inputs, verdict counts, the stale targets still polled, top ghost flows."""
    lines = [f"{result.name}  (as of {result.as_of:%Y-%m-%d %H:%M} UTC, "
             f"stale after {result.stale_after_days} days)", ""]
    failed = result.failed
    if failed:
        lines.append(f"!! {len(failed)} input(s) FAILED -- findings may be incomplete:")
        lines += [f"   {i.name} ({i.type}): {i.error}" for i in failed]
        lines.append("")
    lines.append("Inputs:")
    for i in result.inputs:
        mark = "ok" if i.status is SourceStatus.OK else "FAILED"
        unit = "lines" if i.role == "log" else "records"
        skipped = f", {i.skipped} lines skipped" if i.skipped else ""
        lines.append(f"  {i.name:<20} {i.type:<16} {mark:<7} {i.records:>9} {unit}{skipped}")
        lines += _where_read(i)
        lines += [f"      skipped {note}" for note in i.notes]
    if result.logs.lines:
        lines.append(f"  logs: {result.logs.lines} lines, {result.logs.parsed} parsed, "
                     f"{result.logs.unparsed} unrecognised (skipped)")
    lines.append("")
    if result.findings:
        counts = Counter(f.verdict for f in result.findings)
        lines.append("Findings: " + ", ".join(f"{counts.get(v, 0)} {v}" for v in VERDICT_ORDER))
        if result.changes is not None:
            lines.append(result.changes.summary_line())
        stale = [f for f in result.findings if f.verdict is Verdict.STALE]
        urgent = [f for f in stale if f.polled]
        lines.append(f"\nStale and still polled ({len(urgent)}):")
        for f in urgent[:TOP * 3]:
            lines += _stale_lines(result, f)
            lines.append(f"      -> {f.action}")
        if len(urgent) > TOP * 3:
            lines.append(f"  ... and {len(urgent) - TOP * 3} more (see the report)")
        parked = [f for f in stale if not f.polled]
        if parked:   # every stale target accounted for: these only need cleaning up
            lines.append(f"\nStale, no longer polled ({len(parked)}): clean up when "
                         f"convenient")
            for f in parked[:TOP]:
                lines += _stale_lines(result, f)
            if len(parked) > TOP:
                lines.append(f"  ... and {len(parked) - TOP} more (see the report)")
    if result.ghost_flows:
        lines.append(f"\nGhost flows (no source holds the destination): "
                     f"{len(result.ghost_flows)}, top {min(TOP, len(result.ghost_flows))}:")
        for g in result.ghost_flows[:TOP]:
            port = f"/{g.port}" if g.port is not None else ""
            lines.append(f"  {g.src:<16} -> {g.dst:<16} {g.protocol}{port:<7} "
                         f"{g.count:>8}  {','.join(g.reasons)}")
            if g.attribution:
                lines.append(f"      ({g.attribution})")
    if result.ghosts_folded.flows:
        lines.append(f"  ... and {result.ghosts_folded.flows} more ghost flows "
                     f"({result.ghosts_folded.lines} lines), counted together")
    noise = result.inbound_noise
    if noise.lines:
        ports = ", ".join(f"{proto}/{port}" if port is not None else proto
                          for proto, port, _ in noise.top_ports[:5])
        lines.append(f"\nInbound noise (drops from outside every live network, not ghost "
                     f"flows): {noise.flows} flows, {noise.lines} lines; top ports {ports}")
    if result.unresolved_names:
        shown = ", ".join(result.unresolved_names[:5])
        more = f" and {len(result.unresolved_names) - 5} more" \
            if len(result.unresolved_names) > 5 else ""
        lines.append(f"\nHost names no record ties to an address "
                     f"({len(result.unresolved_names)}): {shown}{more}")
    lines += _rates(result)
    return "\n".join(lines)


#: Reasons as a person reads them at a glance (the report spells each out in full).
REASON_WORDS = {
    Reason.OUTSIDE_LIVE_NETWORKS: "outside every live network",
    Reason.DEPRECATED_NETWORK: "network retired",
    Reason.NO_ROUTE: "firewall has no route",
    Reason.ACL_DENY: "firewall denies it",
    Reason.SYN_RETRANSMIT: "repeated SYNs, no answer",
    Reason.SYN_TIMEOUT: "SYN timeout",
    Reason.TOOL_DOWN: "tool says down",
    Reason.TOOL_UP: "tool says up",
    Reason.TRAFFIC_ANSWERED: "traffic answered",
    Reason.PROBE_FAILED: "probe got no answer",
    Reason.PROBE_OK: "probe answered",
    Reason.DNS_UNRESOLVED: "name does not resolve",
}


def _stale_lines(result: AuditResult, f: Finding) -> list[str]:
    """A stale target in two lines: who holds it and when their tool last reached it, then
    why it is called stale, in words, apart from the drops counted."""
    owners = ", ".join(dict.fromkeys(result.owners.get(t.source, t.source)
                                     for t in f.records))
    last_ok = max((t.last_ok for t in f.records if t.last_ok is not None), default=None)
    when = (f"last OK {last_ok:%Y-%m-%d} ({(result.as_of - last_ok).days:,} days ago)"
            if last_ok is not None else "never reached by its tool")
    drops = f", {f.traffic.drops:,} drops logged" if f.traffic and f.traffic.drops else ""
    why = "; ".join(REASON_WORDS.get(r, str(r)) for r in f.reasons)
    return [f"  {f.address:<16} {owners}: {when}{drops}", f"      why: {why}"]


def _where_read(i: InputStatus) -> list[str]:
    """A log input folded elsewhere (a SIEM, Spark): by what, and the query it ran."""
    where = i.where_read()
    if where is None:
        return []
    return [f"      folded by {where}"] + ([f"      query: {i.query}"] if i.query else [])


def colour(text: str) -> str:
    """The summary for a terminal: FAILED and the failed-inputs banner in red, stale counts
    in bold (ANSI escapes; the caller uses it only when writing to a terminal)."""
    red, bold, plain = "\x1b[31;1m", "\x1b[1m", "\x1b[0m"
    out = []
    for line in text.split("\n"):
        if line.startswith("!!"):
            line = f"{red}{line}{plain}"
        elif " FAILED " in line:
            line = line.replace(" FAILED ", f" {red}FAILED{plain} ", 1)
        elif line.startswith(("Stale and still polled", "Findings:")):
            line = f"{bold}{line}{plain}"
        out.append(line)
    return "\n".join(out)


def _rates(result: AuditResult) -> list[str]:
    """Peak and average drop lines an hour, and the rises in words."""
    if not result.hourly:
        return []
    hours = series(result.hourly)
    peak_hour, peak = max(hours, key=lambda kv: kv[1])
    out = [f"\nDrop lines per hour: peak {peak:,} at {peak_hour:%Y-%m-%d %H:00}, average "
           f"{sum(n for _, n in hours) // len(hours):,} over {len(hours)} hours"]
    out += [f"  {rise.sentence()}" for rise in rises(result.hourly_messages)]
    out += [f"  flow {rise.sentence()}" for rise in rises(result.hourly_flows)]
    return out


def format_logs_summary(result: AuditResult) -> str:
    """For `stale-audit logs`: top unanswered destinations, senders, hourly rates."""
    lines = []
    for i in result.inputs:
        lines.append(f"{i.name}: read as {i.type}")
        lines += _where_read(i)
    lines.append(f"{result.logs.lines} lines, {result.logs.parsed} parsed, "
                 f"{result.logs.unparsed} unrecognised (skipped)")
    for i in result.failed:
        lines.append(f"!! {i.name}: FAILED: {i.error}")
    if result.logs.by_message:
        lines.append("Messages: " + ", ".join(
            f"{m}: {n}" for m, n in result.logs.by_message.most_common(TOP)))
    by_dst: Counter[str] = Counter()
    by_src: Counter[str] = Counter()
    for g in result.ghost_flows:
        port = f"/{g.port}" if g.port is not None else ""
        by_dst[f"{g.dst} {g.protocol}{port}"] += g.count
        by_src[g.src] += g.count
    lines.append("\nTop unanswered or dropped destinations:")
    lines += [f"  {d:<32} {n:>9}" for d, n in by_dst.most_common(TOP)] or ["  (none)"]
    lines.append("\nTop senders (pollers) of that traffic:")
    lines += [f"  {s:<32} {n:>9}" for s, n in by_src.most_common(TOP)] or ["  (none)"]
    lines += _rates(result)
    hours = series(result.hourly)
    if len(hours) > 48:  # a month is not 720 rows: a line a day
        days: dict[str, list[int]] = {}
        for hour, n in hours:
            days.setdefault(f"{hour:%Y-%m-%d}", []).append(n)
        lines.append("\nDrop lines per day (peak hour):")
        lines += [f"  {day}  {sum(ns):>9,}  ({max(ns):,}/h)" for day, ns in days.items()]
    elif hours:
        lines.append("\nDrop lines per hour:")
        lines += [f"  {hour:%Y-%m-%d %H:00}  {n:>9,}" for hour, n in hours]
    return "\n".join(lines)

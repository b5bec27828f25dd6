"""What every report writer shares: the `Reporter` shape, reason words, owners' views and
their covering text."""

from __future__ import annotations

import re
import unicodedata
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import ClassVar

from auditor.actions import NO_ACTION, finding_action, remediation_rows
from auditor.model import (
    VERDICT_ORDER,
    AuditResult,
    Change,
    GhostFlow,
    ProbeKind,
    ProbeResult,
    ProbeRun,
    Reason,
    Target,
    Verdict,
)

#: Each reason code in words, as every report spells it out (SPEC: "the report spells each
#: out in words").
REASON_TEXT: dict[Reason, str] = {
    Reason.OUTSIDE_LIVE_NETWORKS: "Address is outside every live network (IPAM and routing tables)",
    Reason.DEPRECATED_NETWORK: "Address is in a network marked deprecated or retired",
    Reason.NO_ROUTE: "Firewall logged no route / no egress interface to the address",
    Reason.ACL_DENY: "Firewall denied traffic to the address by access list",
    Reason.SYN_RETRANSMIT: "Firewall saw duplicate TCP SYNs: the sender retries, nobody answers",
    Reason.SYN_TIMEOUT: "TCP handshake to the address timed out (SYN Timeout)",
    Reason.TOOL_DOWN: "The tool has not reached the address within stale_after_days",
    Reason.TOOL_UP: "The tool reached the address recently",
    Reason.TRAFFIC_ANSWERED: "Firewall saw answered traffic to the address",
    Reason.PROBE_FAILED: "Active probe got no answer",
    Reason.PROBE_OK: "Active probe got an answer",
    Reason.DNS_UNRESOLVED: "Host name does not resolve",
}

#: Shown where a record's tool has no owner configured.

#: Each verdict's colour (RGB hex): the workbook's cell fills and the HTML page's bars.
VERDICT_COLOUR = {
    Verdict.STALE: "FFC7CE",        # red
    Verdict.CONFLICT: "F8CBAD",     # orange
    Verdict.UNREACHABLE: "FFEB9C",  # yellow
    Verdict.UNVERIFIED: "D9D9D9",   # grey
    Verdict.ACTIVE: "C6EFCE",       # green
}

NO_OWNER = "(no owner)"


class Reporter(ABC):
    """Writes one `AuditResult` to one file."""

    #: The file name suffix this format is written with.
    suffix: ClassVar[str]

    @abstractmethod
    def write(self, result: AuditResult, path: Path) -> None:
        """Write the report to `path` whole or not at all; raise `ReportError` if it cannot."""


def record_owner(result: AuditResult, target: Target) -> str:
    """Who fixes `target`: the record's owner, else its source's configured owner."""
    return target.owner or result.owners.get(target.source) or NO_OWNER


def owner_slug(owner: str) -> str:
    """A file-name-safe slug: `NOC - SolarWinds` -> `noc-solarwinds`."""
    ascii_text = unicodedata.normalize("NFKD", owner).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-") or "no-owner"


def owner_names(result: AuditResult) -> list[str]:
    """Every owner: those with records first (in finding order), then the configured rest."""
    names: list[str] = []
    for finding in result.findings:
        for target in finding.records:
            owner = record_owner(result, target)
            if owner not in names:
                names.append(owner)
    names += sorted(set(result.owners.values()) - set(names))
    return names


def owner_view(result: AuditResult, owner: str) -> AuditResult:
    """`result` cut down to one owner: their records, sources, findings and ghost flows.

    Each finding keeps only this owner's records; its `polled` flag and action are worked out
    again from those records, so the owner reads what their own tools do. A finding whose
    action is then "no action" (the address answers) is left out: the owner's list is their
    work. A ghost flow is theirs when its attribution names one of their sources (`sent by
    orion (NOC - SolarWinds)`) or its sender is the poller of one of their sources' records.
    The changes since the last audit and the probes are cut to their addresses too. Network,
    log and capture inputs stay: a failure there makes this owner's list incomplete too.
    """
    sources = owner_sources(result, owner)
    findings = []
    for finding in result.findings:
        own = tuple(t for t in finding.records if record_owner(result, t) == owner)
        if not own:
            continue
        action = finding_action(finding.verdict, own)
        if action != NO_ACTION:
            findings.append(replace(finding, records=own, polled=any(t.polled for t in own),
                                    action=action))
    inputs = tuple(i for i in result.inputs if i.role != "source" or i.name in sources)
    changes = result.changes
    if changes is not None:   # what changed for this owner's records only
        def theirs(group: tuple[Change, ...]) -> tuple[Change, ...]:
            return tuple(c for c in group if owner in c.owners)

        changes = replace(changes, new=theirs(changes.new), resolved=theirs(changes.resolved),
                          still_open=theirs(changes.still_open),
                          not_checked=theirs(changes.not_checked))
    probes = result.probes
    if probes is not None:   # the probes of their addresses (and of the names linked there)
        mine = {a for f in findings for a in (f.address, *f.names)}
        probes = replace(probes, results=tuple(r for r in probes.results if r.address in mine),
                         outside_allow=tuple(a for a in probes.outside_allow if a in mine))
    return replace(result, name=f"{result.name} - {owner}", inputs=inputs,
                   findings=tuple(findings), ghost_flows=owner_ghost_flows(result, owner),
                   owners={s: o for s, o in result.owners.items() if o == owner},
                   changes=changes, probes=probes)


def owner_sources(result: AuditResult, owner: str) -> set[str]:
    """The sources whose records `owner` fixes: configured with that owner, or holding a
    record of theirs."""
    sources = {s for s, o in result.owners.items() if o == owner}
    sources.update(t.source for f in result.findings for t in f.records
                   if record_owner(result, t) == owner)
    return sources


def owner_ghost_flows(result: AuditResult, owner: str) -> tuple[GhostFlow, ...]:
    """The ghost flows `owner`'s tools send: attributed to one of their sources (`sent by
    orion (NOC - SolarWinds)`), or from a poller address of their sources' records."""
    sources = owner_sources(result, owner)
    pollers = {t.poller for f in result.findings for t in f.records
               if t.poller and t.source in sources}
    return tuple(g for g in result.ghost_flows
                 if g.src in pollers or _sent_by(g.attribution, sources, owner))


def _sent_by(attribution: str | None, sources: set[str], owner: str) -> bool:
    """Whether an attribution says one of `sources` (or a tool of `owner`) sends the flow:
    its `sent by NAME` or `sent by NAME (OWNER)` part."""
    for part in (attribution or "").split("; "):
        if not part.startswith(SENT_BY):
            continue
        name, _, who = part[len(SENT_BY):].partition(" (")
        if name in sources or (who.endswith(")") and who[:-1] == owner):
            return True
    return False


#: How ghost-flow attribution names a known poller (`auditor.reconcile.attribute`).
SENT_BY = "sent by "
#: Remediation rows the covering text lists; the workbook has them all.
COVER_ACTIONS = 5


def owner_cover(result: AuditResult, owner: str, *, workbook: str,
                full_reports: Sequence[str] | None = None,
                view: AuditResult | None = None) -> str:
    """A short text to paste into a ticket for `owner`: how many stale targets their tools
    still poll, the top actions, the ghost flows they send, the audit's date, and where the
    full report and their workbook are.

    Args:
        result: the whole audit (not `owner_view` of it).
        owner: whose list it is.
        workbook: the name of the owner's workbook, as they receive it.
        full_reports: where the whole audit's reports were written (empty: nowhere);
            None leaves the line out.
        view: `owner_view(result, owner)`, when the caller has it already.
    """
    view = view if view is not None else owner_view(result, owner)
    rows = remediation_rows(view.findings)
    urgent = [f for f in view.findings if f.verdict is Verdict.STALE and f.polled]
    answered = sum(1 for f in result.findings for t in f.records
                   if record_owner(result, t) == owner and f.verdict is Verdict.ACTIVE)
    failed = sorted(i.name for i in result.failed
                    if i.role == "source" and (result.owners.get(i.name) or NO_OWNER) == owner)
    tools = ", ".join(sorted(owner_sources(result, owner))) or "none"
    lines = [f"Stale monitoring targets: {owner}",
             f"Audit \"{result.name}\" as of {result.as_of:%Y-%m-%d %H:%M} UTC; your tools "
             f"in it: {tools}.", ""]
    for name in failed:
        lines.append(f"!! Source {name} FAILED to load: its records are missing from this "
                     f"list; fix the export and run the audit again.")
    if failed:
        lines.append("")
    if urgent:
        lines.append(f"{_count(len(urgent), 'stale target')} still polled: your tools keep "
                     f"sending to {'an address' if len(urgent) == 1 else 'addresses'} whose "
                     f"network is gone.")
    else:
        lines.append("No stale target is still polled by your tools"
                     + (" (of the sources that loaded)." if failed else "."))
    verdicts = Counter(f.verdict for f, _, _ in rows)
    mix = ", ".join(f"{verdicts[v]} {v}" for v in VERDICT_ORDER if verdicts[v])
    act = f"{_count(len(rows), 'record')} to act on" + (f" ({mix})" if mix else "")
    if answered == 1:
        act += "; 1 record that answers needs nothing and is not listed"
    elif answered:
        act += f"; {answered:,} records that answer need nothing and are not listed"
    lines.append(act + ".")
    flows = view.ghost_flows
    if flows:
        busiest = flows[0]
        port = f"/{busiest.port}" if busiest.port is not None else ""
        lines.append(f"{_count(len(flows), 'ghost flow')} ({sum(g.count for g in flows):,} "
                     f"drop lines) from your tools to addresses no tool holds; the busiest: "
                     f"{busiest.src} -> {busiest.dst} {busiest.protocol}{port} "
                     f"({busiest.count:,} lines).")
    if rows:
        lines += ["", "Top actions:"]
        for n, (f, t, action) in enumerate(rows[:COVER_ACTIONS], 1):
            polled = "polled" if t.polled else "not polled"
            lines.append(f"{n}. {f.address} {t.name} ({t.source} {t.id}; {f.verdict}, "
                         f"{polled}): {action}")
        if len(rows) > COVER_ACTIONS:
            lines.append(f"... and {len(rows) - COVER_ACTIONS} more in the workbook.")
    else:
        lines += ["", "Nothing to fix in your tools" + (" that loaded." if failed else ".")]
    lines += ["", f"Your list: {workbook} (sheets Findings, Remediation and Ghost flows)."]
    if full_reports is not None:
        lines.append("Full report: " + (", ".join(full_reports) if full_reports else
                                        "none written in this run (only the owners' lists)."))
    return "\n".join(lines) + "\n"



def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def probe_record(r: ProbeResult) -> dict[str, object]:
    """One probe as the JSON report and the sheets show it; latency in milliseconds."""
    return {"address": r.address, "kind": str(r.kind), "port": r.port,
            "result": str(r.status),
            "latency_ms": round(r.latency * 1000, 3) if r.latency is not None else None,
            "error": r.error, "detail": r.detail or None, "attempts": r.attempts,
            "answers": list(r.answers)}


def probes_record(run: ProbeRun) -> dict[str, object]:
    """The `probes` object of the JSON report (present only when probes ran)."""
    return {"allow": list(run.allow), "rate": run.rate, "seconds": round(run.seconds, 3),
            "packets": run.packets, "dns_lookups": run.dns_lookups,
            "peak_sockets": run.peak_sockets, "outside_allow": list(run.outside_allow),
            "results": [probe_record(r) for r in run.results]}


def finding_probes(result: AuditResult) -> dict[str, list[ProbeResult]]:
    """Finding address -> the probes about it: its own, and the look-ups of the names
    linked to it (a name on its own is its own finding)."""
    if result.probes is None:
        return {}
    home = {name: f.address for f in result.findings for name in f.names}
    out: dict[str, list[ProbeResult]] = {}
    for r in result.probes.results:
        out.setdefault(home.get(r.address, r.address), []).append(r)
    return out


def probe_words(results: list[ProbeResult]) -> str:
    """`snmp/161 ok 1.2 ms; tcp/22 timeout` for one finding's cell."""
    parts = []
    for r in results:
        what = f"{r.kind}/{r.port}" if r.port is not None else str(r.kind)
        if r.kind is ProbeKind.DNS:
            what = f"dns {r.address}"
        took = f" {r.latency * 1000:.1f} ms" if r.latency is not None else ""
        parts.append(f"{what} {r.status}{took}")
    return "; ".join(parts)


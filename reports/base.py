"""What every report writer shares: the `Reporter` shape, reason words, owners' views."""

from __future__ import annotations

import re
import unicodedata
from abc import ABC, abstractmethod
from dataclasses import replace
from pathlib import Path
from typing import ClassVar

from auditor.actions import finding_action
from auditor.model import AuditResult, ProbeKind, ProbeResult, ProbeRun, Reason, Target

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
    """`result` cut down to one owner: their records, sources and findings, no ghost flows.

    Each finding keeps only this owner's records; its `polled` flag and action are worked out
    again from those records, so the owner reads what their own tools do. Network, log and
    capture inputs stay: a failure there makes this owner's list incomplete too.
    """
    sources = {s for s, o in result.owners.items() if o == owner}
    findings = []
    for finding in result.findings:
        own = tuple(t for t in finding.records if record_owner(result, t) == owner)
        if own:
            sources.update(t.source for t in own)
            findings.append(replace(finding, records=own, polled=any(t.polled for t in own),
                                    action=finding_action(finding.verdict, own)))
    inputs = tuple(i for i in result.inputs if i.role != "source" or i.name in sources)
    return replace(result, name=f"{result.name} - {owner}", inputs=inputs,
                   findings=tuple(findings), ghost_flows=(),
                   owners={s: o for s, o in result.owners.items() if o == owner})


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


"""The sentence a tool owner acts on, per record and per finding.

Connectors word the fix in their tool's own terms (`Target.fix`); this module only decides
how firmly to say it, from the verdict and whether the record still sends traffic.
"""

from __future__ import annotations

from auditor.model import Finding, Target, ToolState, Verdict

NO_ACTION = "No action: the target answers"


def record_action(target: Target, verdict: Verdict) -> str:
    """What the owner of `target`'s tool should do, given the address's verdict."""
    fix = target.fix or f"Remove the record {target.name} from {target.source}"
    if verdict is Verdict.ACTIVE:
        return NO_ACTION
    if not target.polled:
        why = "" if target.state is ToolState.UNKNOWN else f" ({target.state})"
        return f"Not polled{why}; clean up when convenient: {fix}"
    if verdict is Verdict.STALE:
        return fix
    if verdict is Verdict.CONFLICT:
        return ("Check the live-network list first (the tool still reaches this address); "
                f"if the network is really gone: {fix}")
    if verdict is Verdict.UNREACHABLE:
        return f"Confirm the device is retired, then: {fix}"
    return f"Verify the device still exists; if not: {fix}"


def finding_action(verdict: Verdict, records: tuple[Target, ...]) -> str:
    """One line for the whole finding: each distinct record action, polled records first."""
    if verdict is Verdict.ACTIVE:
        return NO_ACTION
    if len(records) == 1:   # most findings: one record, one action, nothing to order
        return record_action(records[0], verdict)
    ordered = sorted(records, key=lambda t: (not t.polled, t.source, t.id))
    actions: list[str] = []
    for target in ordered:
        action = record_action(target, verdict)
        if action not in actions:
            actions.append(action)
    return "; ".join(actions)


def remediation_rows(findings: tuple[Finding, ...]) -> list[tuple[Finding, Target, str]]:
    """Every (finding, record, action) that asks something of a tool owner, most urgent first.

    Active findings ask nothing. Order: stale + polled first, then by verdict, owner, source.
    """
    from auditor.model import VERDICT_ORDER

    rank = {v: i for i, v in enumerate(VERDICT_ORDER)}
    rows = [(f, t, record_action(t, f.verdict)) for f in findings
            if f.verdict is not Verdict.ACTIVE for t in f.records]
    rows.sort(key=lambda r: (not (r[0].verdict is Verdict.STALE and r[1].polled),
                             rank[r[0].verdict], not r[1].polled, r[1].owner, r[1].source,
                             r[0].address))
    return rows

"""Opt-in active probes: ask the target itself (SNMP, TCP) and the resolver (DNS).

Off unless `[probe] enabled = true`, and then never beyond `allow`: `plan` decides what is
probed and refuses everything outside `allow` before any socket exists; `snmp`, `tcp` and
`dns` each ask one kind of question through the one `limits.Limits` of a run (a packet rate
and a bound on open sockets); `run` orchestrates and counts what the run sent.

Kept light: `auditor.config` imports `settings` from here, and pysnmp loads only when SNMP
is asked for.
"""

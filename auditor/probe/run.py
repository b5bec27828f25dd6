"""A probe run: look up the names, plan, probe within the limits, count what was sent.

`run_probes` is the one entry: the engine calls it for an audit with `[probe] enabled`,
and for `stale-audit probe`. It reads the SNMP credentials from the environment first (a
missing variable stops the run before anything is sent), then, in one event loop:

1. looks up every host name a record holds (`dns`), each answer ordered so that an address
   some record already holds comes first (that is the finding the name joins);
2. plans the probes of every address (`plan`: nothing outside `allow`);
3. runs them, each holding one of `concurrency` slots and every packet a paced slot
   (`limits`), and returns one `ProbeRun`: every result and skip, the packets sent, the
   lookups asked, the wall time and the most sockets open at once.
"""

from __future__ import annotations

import asyncio
import functools
import os
import time
from collections.abc import Awaitable, Callable, Collection, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import netaddr

from auditor.addresses import canonical_ip
from auditor.model import (
    PROBE_ANSWERED,
    PROBE_SILENT,
    ProbeKind,
    ProbeResult,
    ProbeRun,
    ProbeStatus,
    Target,
)
from auditor.probe.dns import Resolver, probe_name, system_resolver
from auditor.probe.limits import Limits
from auditor.probe.plan import AllowList, Planned, plan_names, plan_probes
from auditor.probe.settings import ProbeSettings
from auditor.probe.snmp import SnmpCredentials, SnmpProber, check_privacy_support
from auditor.probe.tcp import probe_tcp
from auditor.progress import Progress

#: Resolver threads at most (each blocks in the C library for one lookup).
MAX_RESOLVER_THREADS = 32
_KIND_ORDER = {ProbeKind.DNS: 0, ProbeKind.SNMP: 1, ProbeKind.TCP: 2}


def run_probes(settings: ProbeSettings, targets: Sequence[Target], *,
               only: Collection[str] | None = None, resolver: Resolver | None = None,
               environ: Mapping[str, str] | None = None,
               progress: Progress | None = None) -> ProbeRun:
    """Probe what the records point at, inside `allow`, at `rate` at most.

    Args:
        settings: the `[probe]` table (enabled or not: the caller decides to run).
        targets: every record of the audit.
        only: addresses and names to restrict the run to (`probe --only`).
        resolver: looks names up (default: the system resolver, in threads of its own).
        environ: where the `*_env` variables are read (default: the process environment).
        progress: a bar on a terminal.

    Raises:
        ConfigError: a named credential variable is unset, or v3 privacy cannot be had.
    """
    creds = SnmpCredentials.from_env(settings, os.environ if environ is None else environ)
    check_privacy_support(creds)
    return asyncio.run(_run(settings, targets, creds, only=only, resolver=resolver,
                            progress=progress))


async def _run(settings: ProbeSettings, targets: Sequence[Target],
               creds: SnmpCredentials | None, *, only: Collection[str] | None,
               resolver: Resolver | None, progress: Progress | None) -> ProbeRun:
    started = time.monotonic()
    limits = Limits(settings.rate, settings.concurrency)
    allow = AllowList(settings.allow)
    executor = ThreadPoolExecutor(max_workers=min(MAX_RESOLVER_THREADS, settings.concurrency),
                                  thread_name_prefix="stale-audit-dns")
    snmp = SnmpProber(creds, limits=limits, allow=allow, timeout=settings.timeout,
                      retries=settings.retries) if creds is not None else None
    try:
        resolve = resolver or system_resolver(executor)
        names = plan_names(targets, only)
        held = {t.address for t in targets if canonical_ip(t.address) is not None}
        looked_up = await _all(
            [functools.partial(probe_name, name, resolver=resolve, limits=limits,
                               timeout=settings.timeout, retries=settings.retries)
             for name in names], limits, progress, "DNS look-ups")
        looked_up = [_held_first(r, held) for r in looked_up]
        resolved = {r.address: r.answers[0] for r in looked_up if r.answers}
        plan = plan_probes(settings, targets, resolved=resolved, only=only)
        probed = await _all([_job(p, settings, limits, allow, snmp) for p in plan.probes],
                            limits, progress, "probes")
    finally:
        if snmp is not None:
            snmp.close()
        executor.shutdown(wait=False, cancel_futures=True)
    results = sorted([*probed, *plan.skipped], key=_result_order)
    return ProbeRun(results=(*looked_up, *results), packets=limits.packets,
                    dns_lookups=limits.dns_lookups, seconds=time.monotonic() - started,
                    rate=settings.rate, peak_sockets=limits.peak_sockets,
                    allow=allow.prefixes, outside_allow=plan.outside)


def _job(planned: Planned, settings: ProbeSettings, limits: Limits, allow: AllowList,
         snmp: SnmpProber | None) -> Callable[[], Awaitable[ProbeResult]]:
    if planned.kind is ProbeKind.SNMP:
        assert snmp is not None  # the plan asks SNMP only with credentials
        return lambda: snmp.probe(planned.address, planned.port)
    return lambda: probe_tcp(planned.address, planned.port, limits=limits, allow=allow,
                             timeout=settings.timeout, retries=settings.retries)


async def _all(jobs: Sequence[Callable[[], Awaitable[ProbeResult]]], limits: Limits,
               progress: Progress | None, label: str) -> list[ProbeResult]:
    """Run every job, `concurrency` at a time, results in job order."""
    if not jobs:
        return []
    done = 0
    if progress is not None:
        progress.start(label, len(jobs))

    async def one(job: Callable[[], Awaitable[ProbeResult]]) -> ProbeResult:
        nonlocal done
        async with limits.slots:
            result = await job()
        done += 1
        if progress is not None:
            progress.update(done, done)
        return result

    try:
        return list(await asyncio.gather(*(one(job) for job in jobs)))
    finally:
        if progress is not None:
            progress.finish()


def _held_first(result: ProbeResult, held: Collection[str]) -> ProbeResult:
    """The answers with those some record holds first: the name joins that finding."""
    if len(result.answers) < 2:
        return result
    answers = tuple(sorted(result.answers, key=lambda a: a not in held))
    if answers == result.answers:
        return result
    return replace(result, answers=answers, detail=", ".join(answers))


def _result_order(result: ProbeResult) -> tuple[tuple[int, int], int, int]:
    return (_address_key(result.address), _KIND_ORDER[result.kind], result.port or 0)


def _address_key(address: str) -> tuple[int, int]:
    ip = netaddr.IPAddress(address)
    return (ip.version, ip.value)


def summary_counts(results: Iterable[ProbeResult]) -> dict[str, int]:
    """Targets by outcome. Addresses: `answered` (anything did), `silent` (nothing did, and
    something timed out or was unreachable), `errors` (only local failures), `skipped`.
    Names: `resolved`, `unresolved`, `lookup_errors` (the resolver failed)."""
    by_target: dict[tuple[bool, str], set[ProbeStatus]] = {}
    for r in results:
        by_target.setdefault((r.kind is ProbeKind.DNS, r.address), set()).add(r.status)
    counts = dict.fromkeys(("answered", "silent", "errors", "skipped", "resolved",
                            "unresolved", "lookup_errors"), 0)
    for (is_name, _), statuses in by_target.items():
        if is_name:
            key = ("resolved" if ProbeStatus.OK in statuses else
                   "unresolved" if ProbeStatus.UNRESOLVED in statuses else "lookup_errors")
        elif statuses & PROBE_ANSWERED:
            key = "answered"
        elif statuses & PROBE_SILENT:
            key = "silent"
        elif ProbeStatus.ERROR in statuses:
            key = "errors"
        else:
            key = "skipped"
        counts[key] += 1
    return counts

"""The XLSX workbook of a 100,000-finding audit: seconds and peak memory, beside baselines.

Builds (from `--seed`, in memory) a realistic `AuditResult` of `--findings` addresses: the
verdict mix of a large estate (about 16% stale, 2% conflict, 7% unreachable, 7% unverified,
the rest active), one to three records per address from six tools with their own ids, names,
owners, pollers and fixes, drops or answered traffic on a fifth of the addresses, deprecated
and live networks around them, 2,000 ghost flows, the Changes of a previous audit, and (with
`--probes`) a probe run over a tenth of the addresses. Then, each in a fresh child process
so each peak RSS (`ru_maxrss`) is its own, it writes:

1. the XLSX report (`XlsxReporter`: openpyxl's write-only mode, every sheet streamed);
2. the JSON report (`JsonReporter`), the streamed writer the estate benchmark measured;
3. baseline: the same rows of the big sheets (Findings, Remediation, Ghost flows, Changes,
   Probes) through openpyxl's normal mode (`Workbook()`, `ws.append`), no styles at all;
4. baseline: the same rows through Python's `csv` module, one file per sheet;
5. the result alone (building it, writing nothing), the floor under every row above.

and prints seconds (wall and CPU) and peak RSS per writer. Numbers only; nothing asserted.

    python benchmarks/bench_xlsx.py [--findings 100000] [--seed 20261201] [--probes]
                                    [--only xlsx,json,openpyxl,csv,result] [--keep DIR]
"""

from __future__ import annotations

import argparse
import csv
import json
import platform
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from auditor.actions import finding_action  # noqa: E402
from auditor.model import (  # noqa: E402
    VERDICT_ORDER,
    AuditResult,
    Change,
    Changes,
    Finding,
    GhostFlow,
    InboundNoise,
    InputStatus,
    LogStats,
    Network,
    NetworkStatus,
    ProbeKind,
    ProbeResult,
    ProbeRun,
    ProbeStatus,
    Reason,
    SourceStatus,
    Target,
    ToolState,
    Traffic,
    Verdict,
)

AS_OF = datetime(2026, 12, 1, 6, 0)
PREVIOUS = AS_OF - timedelta(days=7)

#: (source, type, owner, poller, share of records): the tools of the estate.
TOOLS = (
    ("orion", "solarwinds-npm", "NOC - SolarWinds", "10.30.1.10", 0.34),
    ("trackit", "trackit", "Service Desk - Track-It!", "10.30.1.20", 0.22),
    ("dcnm", "cisco-dcnm", "Data Center Network", "10.30.1.41", 0.08),
    ("prtg", "csv", "Monitoring - PRTG", "10.30.1.50", 0.16),
    ("zabbix", "zabbix", "Server team - Zabbix", "10.30.1.60", 0.14),
    ("snmp-hosts", "snmp-config", "Network team", None, 0.06),
)
#: Verdicts in the proportions of the estate benchmark's 723,419 findings.
VERDICT_SHARE = ((Verdict.STALE, 0.16), (Verdict.CONFLICT, 0.02), (Verdict.UNREACHABLE, 0.07),
                 (Verdict.UNVERIFIED, 0.07), (Verdict.ACTIVE, 0.68))
R = Reason
REASONS = {
    Verdict.STALE: ((R.DEPRECATED_NETWORK,), (R.DEPRECATED_NETWORK, R.SYN_RETRANSMIT),
                    (R.OUTSIDE_LIVE_NETWORKS, R.NO_ROUTE),
                    (R.DEPRECATED_NETWORK, R.SYN_RETRANSMIT, R.SYN_TIMEOUT, R.TOOL_DOWN)),
    Verdict.CONFLICT: ((R.DEPRECATED_NETWORK, R.TOOL_UP), (R.OUTSIDE_LIVE_NETWORKS, R.TOOL_UP)),
    Verdict.UNREACHABLE: ((R.TOOL_DOWN,), (R.ACL_DENY, R.TOOL_DOWN), (R.SYN_TIMEOUT,)),
    Verdict.UNVERIFIED: ((),),
    Verdict.ACTIVE: ((R.TOOL_UP,), (R.TOOL_UP, R.TRAFFIC_ANSWERED), (R.TRAFFIC_ANSWERED,)),
}
GONE = {Verdict.STALE, Verdict.CONFLICT}
NAME_PARTS = ("core", "dist", "acc", "ap", "ups", "pdu", "prn", "kiosk", "cam", "srv", "esx",
              "fw", "lb", "wlc", "sw")
SITES = ("hq", "bldg2", "bldg4", "dc1", "dc2", "lab", "whse", "br17", "br22")


def _pick(rng: random.Random, shares: tuple[tuple[Verdict, float], ...]) -> Verdict:
    x = rng.random()
    for value, share in shares:
        if x < share:
            return value
        x -= share
    return shares[-1][0]


def _record(rng: random.Random, tool: tuple[str, str, str, str | None, float], n: int,
            address: str, verdict: Verdict, line: int) -> Target:
    source, kind, owner, poller, _ = tool
    name = f"{rng.choice(SITES)}-{rng.choice(NAME_PARTS)}-{n % 997:03d}".upper()
    gone = verdict in GONE
    polled = rng.random() < (0.8 if gone else 0.95)
    if verdict is Verdict.ACTIVE:
        state, last_ok = ToolState.UP, AS_OF - timedelta(minutes=rng.randrange(1, 300))
    elif not polled:
        state = rng.choice((ToolState.UNMANAGED, ToolState.DISABLED, ToolState.RETIRED))
        last_ok = AS_OF - timedelta(days=rng.randrange(30, 2500))
    elif verdict is Verdict.CONFLICT:
        state, last_ok = ToolState.UP, AS_OF - timedelta(minutes=rng.randrange(1, 300))
    elif verdict is Verdict.UNVERIFIED:
        state, last_ok = ToolState.UNKNOWN, None
    else:
        state, last_ok = ToolState.DOWN, AS_OF - timedelta(days=rng.randrange(15, 2500))
    ident, location, fix = {
        "orion": (str(1000 + n), "exports/npm-nodes.json",
                  f"Delete node {name} (NodeID {1000 + n}) in SolarWinds, or unmanage it"),
        "trackit": (str(50000 + n), f"exports/trackit-assets.csv:{line}",
                    f"Turn off auditing for asset {name} (Asset ID {50000 + n}) in Track-It!, "
                    "or retire it"),
        "dcnm": (str(215000 + n), "exports/dcnm-switches.json",
                 f"Delete switch {name.lower()} (switchDbID {215000 + n}) from fabric DC1-LAN "
                 "in DCNM"),
        "prtg": (f"prtg-devices.csv:{line}", f"exports/prtg-devices.csv:{line}", ""),
        "zabbix": (str(10000 + n), "exports/zabbix-hosts.json",
                   f"Disable or delete host {name} (hostid {10000 + n}) in Zabbix"),
        "snmp-hosts": (f"configs/core-sw{n % 40}.txt:{line}", f"configs/core-sw{n % 40}.txt:"
                       f"{line}", f"Remove 'snmp-server host {address}' from core-sw{n % 40}"),
    }[source]
    return Target(address=address, source=source, kind=kind, id=ident, name=name,
                  polled=polled, state=state, last_ok=last_ok, poller=poller,
                  location=location, owner=owner, fix=fix,
                  protocol="udp" if source in ("dcnm", "snmp-hosts", "prtg") else "tcp",
                  port=161 if source in ("dcnm", "snmp-hosts", "prtg") else 17777)


def synthetic_result(findings: int = 100_000, seed: int = 20261201, *,
                     probes: bool = False) -> AuditResult:
    """An audit of `findings` addresses over six tools, as `run_audit` would return it
    (findings sorted most urgent first, stale + polled at the top)."""
    rng = random.Random(seed)
    tools = list(TOOLS)
    weights = [t[4] for t in TOOLS]
    # /24s: a third of them in Building-4-style deprecated /16s, the rest live.
    networks = [Network(prefix="10.0.0.0/8", source="ipam", status=NetworkStatus.CONTAINER,
                        location="networks/prefixes.csv:2", description="RFC 1918 aggregate")]
    blocks = max(1, findings // 150)
    live_blocks, dead_blocks = [], []
    for b in range(blocks):
        prefix = f"10.{20 + b // 250}.{b % 250}.0/24"
        dead = b % 3 == 0
        networks.append(Network(
            prefix=prefix, source="ipam",
            status=NetworkStatus.DEPRECATED if dead else NetworkStatus.ACTIVE,
            location=f"networks/prefixes.csv:{b + 3}",
            description=(f"{rng.choice(SITES).upper()} floor {b % 7} (retired {2018 + b % 7})"
                         if dead else f"{rng.choice(SITES).upper()} users/devices")))
        (dead_blocks if dead else live_blocks).append(prefix.rsplit(".", 1)[0])
    out: list[Finding] = []
    used: set[str] = set()
    for n in range(findings):
        verdict = _pick(rng, VERDICT_SHARE)
        outside = verdict in GONE and rng.random() < 0.3
        while True:
            if outside:
                address = (f"10.{250 + rng.randrange(5)}.{rng.randrange(256)}."
                           f"{rng.randrange(1, 255)}")
            else:
                block = rng.choice(dead_blocks if verdict in GONE else live_blocks)
                address = f"{block}.{rng.randrange(1, 255)}"
            if address not in used:
                used.add(address)
                break
        count = 1 if rng.random() < 0.75 else (2 if rng.random() < 0.8 else 3)
        chosen = rng.sample(range(len(tools)), count) if count > 1 else \
            [rng.choices(range(len(tools)), weights)[0]]
        records = tuple(_record(rng, tools[i], n, address, verdict, n + 2) for i in chosen)
        reasons = rng.choice(REASONS[verdict])
        if outside:
            reasons = tuple(r if r is not R.DEPRECATED_NETWORK else R.OUTSIDE_LIVE_NETWORKS
                            for r in reasons)
        traffic = None
        if rng.random() < 0.2 or any(r in (R.SYN_RETRANSMIT, R.NO_ROUTE, R.TRAFFIC_ANSWERED)
                                     for r in reasons):
            first = AS_OF - timedelta(hours=24, seconds=rng.randrange(3600))
            last = AS_OF - timedelta(seconds=rng.randrange(3600))
            if verdict is Verdict.ACTIVE:
                answered = rng.randrange(1, 5000)
                traffic = Traffic(answered=answered, first_seen=first, last_seen=last,
                                  by_message={"302014": answered},
                                  by_signal={"traffic-answered": answered})
            else:
                drops = rng.randrange(1, 20000)
                message = "110003" if R.NO_ROUTE in reasons else "419002"
                traffic = Traffic(drops=drops, first_seen=first, last_seen=last,
                                  by_message={message: drops - drops // 10, "302014": drops // 10},
                                  by_signal={"syn-retransmit": drops})
        network = None if verdict in GONE else address.rsplit(".", 1)[0] + ".0/24"
        out.append(Finding(address=address, verdict=verdict,
                           polled=any(t.polled for t in records), reasons=reasons,
                           network=network, records=records, traffic=traffic,
                           action=finding_action(verdict, records)))
    rank = {v: i for i, v in enumerate(VERDICT_ORDER)}
    out.sort(key=lambda f: (rank[f.verdict], not f.polled,
                            tuple(int(x) for x in f.address.split("."))))
    ghosts = []
    for g in range(2000):
        tool = rng.choice(tools[:5])
        src = tool[3] if g % 3 else f"10.20.{rng.randrange(250)}.{rng.randrange(1, 255)}"
        port = rng.choice((161, 10597, 17777, 445, 6711))
        ghosts.append(GhostFlow(
            src=str(src), dst=f"10.251.{g // 250}.{g % 250 + 1}", protocol="udp" if port == 161
            else "tcp", port=port, count=rng.randrange(1, 40000),
            first_seen=AS_OF - timedelta(hours=24), last_seen=AS_OF - timedelta(minutes=g % 60),
            reasons=(R.NO_ROUTE,) if port == 161 else (R.SYN_RETRANSMIT,),
            attribution=f"sent by {tool[0]} ({tool[2]})" if g % 3 else None))
    ghosts.sort(key=lambda g: -g.count)
    flagged = [f for f in out if f.verdict in (Verdict.STALE, Verdict.CONFLICT,
                                               Verdict.UNREACHABLE)]

    def change(f: Finding, then: Verdict | None, now: Verdict | None) -> Change:
        return Change(address=f.address, verdict_then=then, verdict_now=now, polled=f.polled,
                      owners=tuple(dict.fromkeys(t.owner for t in f.records)),
                      sources=tuple(dict.fromkeys(t.source for t in f.records)),
                      names=tuple(t.name for t in f.records),
                      first_flagged=PREVIOUS if then else None, in_a_row=2 if then else 1,
                      last_answering=None, last_ok=max((t.last_ok for t in f.records
                                                        if t.last_ok), default=None))

    new = tuple(change(f, None, f.verdict) for f in flagged[::10])
    still = tuple(change(f, f.verdict, f.verdict) for i, f in enumerate(flagged) if i % 10)
    resolved = tuple(change(f, Verdict.STALE, None) for f in out[-len(flagged) // 20:])
    changes = Changes(name="Estate hygiene audit", as_of=AS_OF, previous=PREVIOUS,
                      previous_report="reports/audit-2026-11-24.xlsx", new=new,
                      resolved=resolved, still_open=still)
    probe_run = None
    if probes:
        results = []
        for f in out[::10]:
            status = ProbeStatus.OK if f.verdict is Verdict.ACTIVE else ProbeStatus.TIMEOUT
            ok = status is ProbeStatus.OK
            results.append(ProbeResult(
                address=f.address, kind=ProbeKind.SNMP, status=status, port=161,
                latency=rng.random() / 100 if ok else None,
                error=None if ok else "no answer in 2.00 s (2 attempts)",
                detail=f"sysName {f.records[0].name.lower()}, up 12d 04:10:22" if ok else "",
                attempts=1 if ok else 2))
        probe_run = ProbeRun(results=tuple(results), packets=len(results) * 2, dns_lookups=0,
                             seconds=len(results) / 1000, rate=1000.0, peak_sockets=200,
                             allow=("10.0.0.0/8",))
    records = Counter(t.source for f in out for t in f.records)
    inputs = tuple(InputStatus(source, kind, "source", SourceStatus.OK, records[source])
                   for source, kind, *_ in TOOLS)
    drop_lines = sum(f.traffic.drops for f in out if f.traffic) + sum(g.count for g in ghosts)
    answered = sum(f.traffic.answered for f in out if f.traffic)
    logs = LogStats(lines=drop_lines + answered + 1000, parsed=drop_lines + answered,
                    unparsed=1000, by_message=Counter({"419002": drop_lines,
                                                       "302014": answered}))
    inputs += (InputStatus("ipam", "prefix-list", "network", SourceStatus.OK, len(networks)),
               InputStatus("fw-edge", "cisco-asa", "log", SourceStatus.OK, logs.parsed))
    hourly = {AS_OF - timedelta(hours=h): drop_lines // 24 for h in range(24, 0, -1)}
    return AuditResult(
        name="Estate hygiene audit", generated_at=AS_OF + timedelta(minutes=3), as_of=AS_OF,
        stale_after_days=14, inputs=inputs, findings=tuple(out), ghost_flows=tuple(ghosts),
        networks=tuple(networks), logs=logs, owners={t[0]: t[2] for t in TOOLS},
        hourly=hourly, hourly_messages={"419002": dict(hourly)},
        inbound_noise=InboundNoise(flows=120, lines=4000, top_ports=(("tcp", 445, 3000),),
                                   top_senders=(("203.0.113.7", 2500),)),
        changes=changes, probes=probe_run)


# -- the writers, each timed in a child process ------------------------------------------------

def _big_sheets(result: AuditResult) -> Iterable[tuple[str, tuple[str, ...],
                                                        Iterable[tuple[Any, ...]]]]:
    """The rows of the big sheets as the XLSX report holds them, values only."""
    from reports import xlsx_report as x

    headers = x.FINDING_HEADERS if result.probes is None else (*x.FINDING_HEADERS,
                                                                x.PROBE_FINDING_HEADER)
    yield "Findings", headers, x.finding_rows(result)
    yield "Remediation", x.REMEDIATION_HEADERS, (
        row for _, _, rows in x.remediation_blocks(result) for row in rows)
    yield "Ghost flows", x.GHOST_HEADERS, x.ghost_rows(result)
    if result.changes is not None:
        yield "Changes", x.CHANGES_HEADERS, x.change_rows(result)
    if result.probes is not None:
        yield "Probes", x.PROBE_HEADERS, x.probe_rows(result)


def _write_xlsx(result: AuditResult, out: Path) -> Path:
    from reports.xlsx_report import XlsxReporter

    path = out / "audit.xlsx"
    XlsxReporter().write(result, path)
    return path


def _write_json(result: AuditResult, out: Path) -> Path:
    from reports.json_report import JsonReporter

    path = out / "audit.json"
    JsonReporter().write(result, path)
    return path


def _write_openpyxl(result: AuditResult, out: Path) -> Path:
    """Baseline: openpyxl's normal mode, the big sheets' values appended, no styles."""
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    for title, headers, rows in _big_sheets(result):
        ws = wb.create_sheet(title)
        ws.append(headers)
        for row in rows:
            ws.append(["yes" if v is True else "no" if v is False else v for v in row])
    path = out / "baseline-openpyxl.xlsx"
    wb.save(path)
    return path


def _write_csv(result: AuditResult, out: Path) -> Path:
    """Baseline: the same rows through Python's `csv`, one file per sheet."""
    folder = out / "baseline-csv"
    folder.mkdir(exist_ok=True)
    for title, headers, rows in _big_sheets(result):
        with open(folder / f"{title}.csv", "w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(headers)
            writer.writerows(rows)
    return folder


WRITERS: dict[str, tuple[str, Callable[[AuditResult, Path], Path] | None]] = {
    "result": ("the result alone (no report)", None),
    "xlsx": ("XLSX report (XlsxReporter)", _write_xlsx),
    "json": ("JSON report (JsonReporter)", _write_json),
    "openpyxl": ("baseline: openpyxl normal mode, big sheets' values, no styles",
                 _write_openpyxl),
    "csv": ("baseline: csv module, big sheets' values", _write_csv),
}


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _size(path: Path) -> int:
    if path.is_dir():
        return sum(p.stat().st_size for p in path.iterdir())
    return path.stat().st_size


def child(writer: str, findings: int, seed: int, probes: bool, out: Path) -> dict[str, Any]:
    """Build the result, then write it with `writer`: what the parent prints."""
    if writer in ("xlsx", "openpyxl", "csv"):   # imported first: not the writer's memory
        import openpyxl  # noqa: F401

        import reports.xlsx_report  # noqa: F401
    elif writer == "json":
        import reports.json_report  # noqa: F401
    began = time.perf_counter()
    result = synthetic_result(findings, seed, probes=probes)
    built = time.perf_counter() - began
    rss_result = _peak_mb()
    write = WRITERS[writer][1]
    row: dict[str, Any] = {"writer": writer, "build_s": built, "rss_result_mb": rss_result,
                           "findings": len(result.findings)}
    if write is not None:
        wall, cpu = time.perf_counter(), time.process_time()
        path = write(result, out)
        row.update(write_s=time.perf_counter() - wall, cpu_s=time.process_time() - cpu,
                   bytes=_size(path))
    row["rss_peak_mb"] = _peak_mb()
    return row


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--findings", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=20261201)
    parser.add_argument("--probes", action="store_true",
                        help="add a probe run over a tenth of the addresses")
    parser.add_argument("--only", default=",".join(WRITERS),
                        help=f"writers to run, of {', '.join(WRITERS)}")
    parser.add_argument("--keep", type=Path, help="write the files here and keep them")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child, args.findings, args.seed, args.probes,
                               args.keep)))
        return 0
    chosen = [w.strip() for w in args.only.split(",") if w.strip()]
    unknown = [w for w in chosen if w not in WRITERS]
    if unknown:
        parser.error(f"unknown writer(s) {', '.join(unknown)}; valid: {', '.join(WRITERS)}")
    with tempfile.TemporaryDirectory(prefix="bench-xlsx-") as scratch:
        out = args.keep or Path(scratch)
        out.mkdir(parents=True, exist_ok=True)
        rows = []
        for writer in chosen:
            command = [sys.executable, __file__, "--child", writer, "--findings",
                       str(args.findings), "--seed", str(args.seed), "--keep", str(out)]
            if args.probes:
                command.append("--probes")
            done = subprocess.run(command, capture_output=True, text=True, check=True)
            rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
            print(f"  {writer}: {rows[-1].get('write_s', rows[-1]['build_s']):.1f} s",
                  file=sys.stderr, flush=True)
    print(f"XLSX at scale: {rows[0]['findings']:,} findings (seed {args.seed}"
          f"{', probes' if args.probes else ''}), Python {platform.python_version()}, "
          f"{platform.machine()}; each writer in its own process")
    print(f"command: python benchmarks/bench_xlsx.py --findings {args.findings} "
          f"--seed {args.seed}{' --probes' if args.probes else ''}")
    print()
    print(f"| {'writer':<62} | {'write s':>7} | {'cpu s':>6} | {'peak RSS MB':>11} | "
          f"{'over the result MB':>18} | {'file MB':>7} |")
    print(f"|{'-' * 64}|{'-' * 8}:|{'-' * 7}:|{'-' * 12}:|{'-' * 19}:|{'-' * 8}:|")
    for row in rows:
        if "write_s" in row:
            print(f"| {WRITERS[row['writer']][0]:<62} | {row['write_s']:>7.2f} | "
                  f"{row['cpu_s']:>6.2f} | {row['rss_peak_mb']:>11,.0f} | "
                  f"{row['rss_peak_mb'] - row['rss_result_mb']:>18,.0f} | "
                  f"{row['bytes'] / 1e6:>7.1f} |")
    for row in rows:
        if "write_s" not in row:
            print(f"\nthe result alone: built in {row['build_s']:.1f} s, peak RSS "
                  f"{row['rss_peak_mb']:,.0f} MB (the floor under every writer above)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""A whole audit at enterprise scale, stage by stage, against `grep -c` in the same run.

Generates (deterministically, from `--seed`, into a temporary folder) the network of
`benchmarks/enterprise_network.py` in the real export formats the connectors read: Orion
(20,000 nodes, 8 engines), Track-It! (10,000 assets), DCNM (2,000 switches), a NetBox prefix
CSV (5,000 rows), the edge ASA's `show route` (2,000 routes) and its syslog (2,000,000 lines
over six files, three gzipped), with drops to about 50,000 distinct destinations.

`--scale` multiplies every count (`--scale 0.05` is a quick run). Then it runs the audit
through the library (`load_config` + `run_audit`), timing each stage inside that one run
(load per source, networks, network index, log fold, reconcile, ghost flows), writes each
report through `reports.REPORTERS`, and prints:

1. the stages: seconds, items, rate, and the process's peak RSS after each;
2. baselines over the same log files: `wc -l`, `grep -c 'uplicate TCP SYN'` (through
   `zcat` for the `.gz` files), and, in a fresh process, Python reading the lines alone and
   the parser alone; and the log stage's ratio to grep;
3. memory of the log stage in fresh processes, over the logs once and twice (the same files
   read two times: twice the lines, the same flows): peak RSS, and with `--tracemalloc`
   the tracemalloc peak too (traced in separate runs: it slows the fold about six times).

The data is generated in a child process, so the audit's RSS column is the audit's own.
Numbers only; no timing is asserted anywhere. Full scale takes about two minutes on two
cores and about 250 MB of disk in the temporary folder.

    python benchmarks/bench_audit.py [--scale 1.0] [--seed N] [--keep EMPTY_DIR]
                                     [--no-memory] [--tracemalloc]
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import hashlib
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import auditor.engine as engine  # noqa: E402
from auditor.config import load_config  # noqa: E402
from auditor.model import LogStats  # noqa: E402
from auditor.traffic import TrafficIndex  # noqa: E402
from benchmarks.enterprise_network import AS_OF, ENGINES, GZ_FILES, Sizes, build  # noqa: E402
from connectors import lookup  # noqa: E402
from connectors.base import SourceSpec  # noqa: E402
from connectors.shared.files import open_text_tracked  # noqa: E402
from reports import REPORTERS  # noqa: E402

PATTERN = "uplicate TCP SYN"


# -- measuring --------------------------------------------------------------------------------

def rss_mb() -> float:
    """Peak resident set of this process so far, MB.

    Linux's `VmHWM` where there is one: `ru_maxrss` survives fork+exec, so a child started
    by a big parent would report the parent's peak.
    """
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@dataclasses.dataclass
class Row:
    stage: str
    secs: float
    items: int | None = None
    unit: str = ""
    rss: float | None = None
    note: str = ""


class StageTimer:
    """Wraps the engine's own stage functions, so one `run_audit` call is timed stage by stage."""

    def __init__(self) -> None:
        self.rows: list[Row] = []
        self.traffic: list[tuple[Row, TrafficIndex]] = []
        """Each log stage's row and index, to count its destinations after the timing."""

    @contextlib.contextmanager
    def installed(self) -> Iterator[None]:
        saved = {name: getattr(engine, name) for name in
                 ("load_source", "fold_logs", "NetworkIndex", "reconcile", "ghost_flows")}
        engine.load_source = self._load_source(saved["load_source"])  # type: ignore[assignment]
        engine.fold_logs = self._fold_logs(saved["fold_logs"])  # type: ignore[assignment]
        engine.NetworkIndex = self._simple(saved["NetworkIndex"], "network index",  # type: ignore[assignment]
                                           len, "prefixes")
        engine.reconcile = self._simple(saved["reconcile"], "reconcile", len,  # type: ignore[assignment]
                                        "findings")
        engine.ghost_flows = self._simple(  # type: ignore[assignment]
            saved["ghost_flows"], "ghost flows", lambda listed: len(listed[0]) + listed[1].flows,
            "ghost flows")
        try:
            yield
        finally:
            for name, value in saved.items():
                setattr(engine, name, value)

    def _load_source(self, real: Callable[..., Any]) -> Callable[..., Any]:
        def timed(spec: Any, table: str, inputs: list[Any], **kw: Any) -> Any:
            begin = time.perf_counter()
            records = real(spec, table, inputs, **kw)
            secs = time.perf_counter() - begin
            status = inputs[-1]
            note = "" if status.status == "ok" else f"FAILED: {status.error}"
            kind = "records" if table == "sources" else "networks"
            self.rows.append(Row(f"load {spec.name} ({spec.type})", secs, len(records), kind,
                                 rss_mb(), note))
            return records
        return timed

    def _fold_logs(self, real: Callable[..., Any]) -> Callable[..., Any]:
        def timed(spec: Any, traffic: TrafficIndex, stats: LogStats, **kw: Any) -> Any:
            before = stats.lines
            begin = time.perf_counter()
            status = real(spec, traffic, stats, **kw)
            secs = time.perf_counter() - begin
            self.rows.append(Row(
                f"fold logs {spec.name} ({spec.type})", secs, stats.lines - before, "lines",
                rss_mb(), f"{len(spec.paths)} files"))
            self.traffic.append((self.rows[-1], traffic))
            return status
        return timed

    def _simple(self, real: Callable[..., Any], stage: str, count: Callable[[Any], int],
                unit: str) -> Callable[..., Any]:
        def timed(*args: Any, **kw: Any) -> Any:
            begin = time.perf_counter()
            value = real(*args, **kw)
            self.rows.append(Row(stage, time.perf_counter() - begin, count(value), unit,
                                 rss_mb()))
            return value
        return timed


def destinations(traffic: TrafficIndex) -> int:
    """Distinct destinations with evidence (drops live in flows, the rest per destination)."""
    return len(set(traffic.by_dst) | {key[1] for key in traffic.flows})


def run(cmd: str) -> tuple[float, str]:
    begin = time.perf_counter()
    out = subprocess.run(cmd, shell=True, capture_output=True, text=True, check=False,
                         executable="/bin/bash").stdout
    return time.perf_counter() - begin, out


def quoted(paths: list[Path]) -> str:
    return " ".join(f"'{p}'" for p in paths)


def baselines(config_path: Path, paths: list[Path], log_secs: float, lines: int) -> list[Row]:
    """Shell and Python floors over the very files the log stage read (the Python ones in a
    fresh process, as the log stage ran: not beside a finished audit's heap)."""
    plain = [p for p in paths if p.suffix != ".gz"]
    packed = [p for p in paths if p.suffix == ".gz"]
    rows = []
    secs_wc, out = run(f"cat {quoted(plain)} | wc -l; zcat {quoted(packed)} | wc -l")
    rows.append(Row("wc -l (cat plain; zcat gz)", secs_wc, sum(int(x) for x in out.split()),
                    "lines"))
    plain_lines = sum(int(x) for x in run(f"cat {quoted(plain)} | wc -l")[1].split())
    secs_gp, out = run(f"grep -c '{PATTERN}' /dev/null {quoted(plain)}")
    hits_p = sum(int(x.rsplit(":", 1)[1]) for x in out.split())
    rows.append(Row(f"grep -c plain ({len(plain)} files)", secs_gp, plain_lines, "lines",
                    note=f"{hits_p:,} matches"))
    secs_gz, out = run(f"zcat {quoted(packed)} | grep -c '{PATTERN}'")
    hits_z = int(out.strip() or 0)
    rows.append(Row(f"zcat | grep -c ({len(packed)} .gz files)", secs_gz, lines - plain_lines,
                    "lines", note=f"{hits_z:,} matches"))
    grep = secs_gp + secs_gz
    rows.append(Row("grep total (plain + gz)", grep, lines, "lines",
                    note=f"{hits_p + hits_z:,} matches"))

    floor = child(config_path, "--parse-child")
    rows.append(Row("python: read lines only (open_text_tracked)", floor["read"], floor["lines"],
                    "lines", note=f"{floor['read'] / grep:.1f}x grep"))
    parse = floor["parse"]
    rows.append(Row("python: AsaLogParser alone, no fold", parse, lines, "lines",
                    note=f"{floor['events']:,} events, {parse / grep:.1f}x grep"))
    rows.append(Row("log stage (parse + fold, from the audit)", log_secs, lines, "lines",
                    note=f"{log_secs / grep:.1f}x grep; the fold adds "
                    f"{log_secs - parse:+.2f} s"))
    return rows


def parse_child(config_path: Path) -> dict[str, Any]:
    """Python's floors in this (fresh) process: reading the lines, then parsing them."""
    paths = load_config(config_path).logs[0].paths
    begin = time.perf_counter()
    count = 0
    for path in paths:
        with open_text_tracked(path) as (fh, _):
            for _ in fh:
                count += 1
    read = time.perf_counter() - begin
    parser = lookup("logs", "cisco-asa")(SourceSpec("fw-edge", "cisco-asa"), clock=AS_OF)
    begin = time.perf_counter()
    events = sum(1 for _ in engine.stream_events(parser, paths))
    return {"read": read, "lines": count, "parse": time.perf_counter() - begin,
            "events": events}


def child(config_path: Path, mode: str, *extra: str) -> dict[str, Any]:
    """Run this script in a fresh process in `mode`; its last output line is JSON."""
    cmd = [sys.executable, str(Path(__file__).resolve()), mode, str(config_path), *extra]
    done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def fold_child(config_path: Path, repeat: int, trace: bool) -> dict[str, Any]:
    """The log stage alone in this (fresh) process, over the files `repeat` times."""
    import gc
    import tracemalloc

    config = load_config(config_path)
    spec = config.logs[0]
    spec = dataclasses.replace(spec, paths=spec.paths * repeat)
    gc.collect()
    before = rss_mb()
    if trace:
        tracemalloc.start()
    traffic, stats = TrafficIndex(), LogStats()
    begin = time.perf_counter()
    engine.fold_logs(spec, traffic, stats, as_of=AS_OF)
    secs = time.perf_counter() - begin
    peak = tracemalloc.get_traced_memory()[1] / 2**20 if trace else None
    held = tracemalloc.get_traced_memory()[0] / 2**20 if trace else None
    return {"repeat": repeat, "lines": stats.lines, "dsts": destinations(traffic),
            "flows": len(traffic.flows), "hours": len(traffic.hourly), "secs": secs,
            "rss_before": before, "rss_peak": rss_mb(), "tm_peak": peak, "tm_held": held}


def memory_rows(config_path: Path, trace: bool) -> list[dict[str, Any]]:
    """1x and 2x the lines in fresh processes; traced runs apart (tracemalloc's own
    bookkeeping would inflate RSS, and it slows the fold about six times)."""
    out = []
    for repeat in (1, 2):
        row = child(config_path, "--fold-child", "--repeat", str(repeat))
        if trace:
            traced = child(config_path, "--fold-child", "--repeat", str(repeat), "--tracemalloc")
            row["tm_peak"], row["tm_held"] = traced["tm_peak"], traced["tm_held"]
        out.append(row)
    return out


# -- printing ---------------------------------------------------------------------------------

def table(title: str, rows: list[Row], *, rate: bool = True) -> None:
    print(f"\n{title}")
    print(f"  {'stage':<44} {'secs':>8} {'items':>20} {'per sec':>11} {'peak RSS':>9}  note")
    for r in rows:
        items = f"{r.items:,} {r.unit}" if r.items is not None else ""
        per = f"{r.items / r.secs:,.0f}" if rate and r.items and r.secs > 0 else ""
        rss = f"{r.rss:,.0f} MB" if r.rss is not None else ""
        print(f"  {r.stage:<44} {r.secs:8.2f} {items:>20} {per:>11} {rss:>9}  {r.note}")


def sizes_on_disk(paths: list[Path]) -> int:
    return sum(p.stat().st_size for p in paths)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=float, default=1.0, help="multiplies every count")
    ap.add_argument("--seed", type=int, default=20261125)
    ap.add_argument("--keep", type=Path, help="generate into this folder and keep it")
    ap.add_argument("--no-memory", action="store_true",
                    help="skip the 1x/2x log-stage memory runs in fresh processes")
    ap.add_argument("--tracemalloc", action="store_true",
                    help="also trace Python allocations in the memory runs (slower)")
    ap.add_argument("--generate-child", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--fold-child", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--parse-child", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--repeat", type=int, default=1, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.parse_child:
        print(json.dumps(parse_child(args.parse_child)))
        return
    if args.fold_child:
        print(json.dumps(fold_child(args.fold_child, args.repeat, args.tracemalloc)))
        return
    sizes = Sizes.at(args.scale)
    if args.generate_child:
        _, made = build(args.generate_child, sizes, args.seed)
        made["log_paths"] = [str(p) for p in made["log_paths"]]
        print(json.dumps(made))
        return

    folder = args.keep or Path(tempfile.mkdtemp(prefix="bench-audit-"))
    if args.keep:
        if args.keep.exists() and any(args.keep.iterdir()):
            ap.error(f"--keep {args.keep}: not empty; give a new or empty folder")
        folder.mkdir(parents=True, exist_ok=True)
    try:
        print(f"stale-audit end-to-end benchmark: scale {args.scale}, seed {args.seed}, "
              f"Python {platform.python_version()}, {os.cpu_count()} CPUs")
        # Generated in a child process, so this process's peak RSS is the audit's alone.
        begin = time.perf_counter()
        done = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--scale",
                               str(args.scale), "--seed", str(args.seed), "--generate-child",
                               str(folder)], capture_output=True, text=True, check=True)
        gen = time.perf_counter() - begin
        made = json.loads(done.stdout.strip().splitlines()[-1])
        config_path = folder / "audit.toml"
        logs = [Path(p) for p in made["log_paths"]]
        plain_bytes = sum(p.stat().st_size for p in logs if p.suffix != ".gz")
        print(f"generated in {gen:.1f} s into {folder}:")
        print(f"  orion {sizes.orion:,} nodes / {len(ENGINES)} engines, trackit "
              f"{sizes.trackit:,} assets, dcnm {sizes.dcnm:,} switches")
        print(f"  ipam {sizes.prefixes:,} prefix rows ({made['blocks']:,} /24 blocks), "
              f"show route {sizes.routes:,} routes")
        print(f"  logs {sizes.lines:,} lines in {len(logs)} files ({GZ_FILES} gz), "
              f"{sizes_on_disk(logs) / 1e6:,.0f} MB on disk ({plain_bytes / 1e6:,.0f} MB plain)")
        print(f"  drops to {made['drop_dsts']:,} destinations ({made['held_drops']:,} held by "
              f"records), {made['drop_flows']:,} drop flows planned; answered traffic to "
              f"{made['answered_dsts']:,} destinations")

        # -- the audit, through the library, one run with per-stage timers ----------------
        timer = StageTimer()
        rss0 = rss_mb()
        begin = time.perf_counter()
        config = load_config(config_path)
        t_config = time.perf_counter() - begin
        with timer.installed():
            begin = time.perf_counter()
            result = engine.run_audit(config, as_of=AS_OF, generated_at=AS_OF)
            t_audit = time.perf_counter() - begin
        rss_audit = rss_mb()
        for fold, traffic in timer.traffic:
            fold.note = (f"{destinations(traffic):,} dsts, {len(traffic.flows):,} drop flows, "
                         + fold.note)
        rows = [Row("load_config", t_config, None, "", rss0)] + timer.rows
        accounted = sum(r.secs for r in timer.rows)
        rows.append(Row("run_audit: the rest (sorts, pollers, result)", t_audit - accounted))
        rows.append(Row("run_audit total", t_audit, None, "", rss_audit))

        report_rows = []
        digest = ""
        for kind in ("json", "csv", "xlsx"):
            path = folder / "reports" / f"audit.{kind}"
            begin = time.perf_counter()
            REPORTERS[kind]().write(result, path)
            secs = time.perf_counter() - begin
            size = path.stat().st_size
            report_rows.append(Row(f"report {kind}", secs, len(result.findings) +
                                   len(result.ghost_flows), "rows", rss_mb(),
                                   f"{size / 1e6:,.1f} MB"))
            if kind == "json":
                digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
        table("audit stages (one run_audit call; peak RSS of this process after each stage)",
              rows)
        table("reports (reports.REPORTERS; rows = findings + ghost flows)", report_rows)

        verdicts: dict[str, int] = {}
        for f in result.findings:
            verdicts[f.verdict] = verdicts.get(f.verdict, 0) + 1
        print(f"\n  findings {len(result.findings):,}: " +
              ", ".join(f"{v} {n:,}" for v, n in sorted(verdicts.items())))
        print(f"  ghost flows {len(result.ghost_flows):,}; log lines {result.logs.lines:,}, "
              f"parsed {result.logs.parsed:,}, unparsed {result.logs.unparsed:,}")
        print("  by message: " + ", ".join(
            f"{m} {n:,}" for m, n in sorted(result.logs.by_message.items())))
        print(f"  failed inputs: {[i.name for i in result.failed] or 'none'}; "
              f"json report sha256 {digest} (same seed, scale and code: same digest)")

        # -- baselines over the same log files ----------------------------------------------
        fold_row = next(r for r in timer.rows if r.stage.startswith("fold logs"))
        lines = result.logs.lines
        del result  # the baselines and memory runs happen in fresh processes anyway
        table("log stage against baselines over the same files", baselines(
            config_path, logs, fold_row.secs, lines))

        # -- memory: lines vs flows ---------------------------------------------------------
        if not args.no_memory:
            mem = memory_rows(config_path, args.tracemalloc)
            print("\nlog stage memory, fresh process each (the files once, then the same files "
                  "twice: 2x lines, same flows)")
            print(f"  {'run':<10} {'lines':>12} {'dsts':>9} {'flows':>9} {'hours':>6} "
                  f"{'secs':>8} {'RSS before':>11} {'RSS peak':>9} {'growth':>8} "
                  f"{'tracemalloc peak / held':>24}")
            for m in mem:
                tm = (f"{m['tm_peak']:,.1f} / {m['tm_held']:,.1f} MB"
                      if m["tm_peak"] is not None else "(--tracemalloc)")
                print(f"  {str(m['repeat']) + 'x lines':<10} {m['lines']:>12,} {m['dsts']:>9,} "
                      f"{m['flows']:>9,} {m['hours']:>6} {m['secs']:>8.2f} "
                      f"{m['rss_before']:>8,.0f} MB {m['rss_peak']:>6,.0f} MB "
                      f"{m['rss_peak'] - m['rss_before']:>5,.0f} MB {tm:>24}")
            one = mem[0]
            growth = one["rss_peak"] - one["rss_before"]
            keys = one["dsts"] + one["flows"]
            print(f"  about {growth * 2**20 / max(1, keys):,.0f} bytes of RSS per folded key "
                  f"(destination or flow); 2x/1x RSS growth "
                  f"{(mem[1]['rss_peak'] - mem[1]['rss_before']) / max(growth, 0.1):.2f}")
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()

"""`engine = "spark"` beside the local fold, over the same rotated archives, and from what size
a cluster pays.

Generates (once, cached under the temp folder by size, files and seed) a realistic edge
firewall's day (`benchmarks/asa_traffic.py`) per size, rotated as logrotate leaves it:
`fw.log.N.gz` ... `fw.log.1.gz` and a plain `fw.log`. Then, in this one process:

- Spark's start-up alone (`SparkSession` on `local[*]`, this machine's cores), and the first
  job's extra (Python workers started, stale-audit imported in them), each apart;
- per size, warm: the Spark fold (`sparkfold.fold_input_spark`), split into its parallel part
  (the tasks: parse and fold each file) and its serial part (this process fetching and
  merging the partials), and the local fold (`logfold.fold_input`, every core); both folds
  checked equal;
- a straight line through each (seconds = fixed + per-line x lines), and from it the size
  from which K executors of this machine's per-core speed beat one machine's local fold:
  the tasks' share divides by K/cores, the merge's does not, and start-up is paid per run.

It prints numbers; it asserts only that the two folds are equal.

    python benchmarks/bench_spark.py [--lines 200000,400000,800000] [--files 4] [--seed N]
"""

from __future__ import annotations

import argparse
import gc
import gzip
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from auditor import sparkfold  # noqa: E402
from auditor.logfold import Merge, fold_input  # noqa: E402
from auditor.model import LogStats  # noqa: E402
from auditor.traffic import TrafficIndex  # noqa: E402
from benchmarks.asa_traffic import write_log  # noqa: E402
from connectors.base import SourceSpec  # noqa: E402

AS_OF = datetime(2026, 11, 25)
#: Executors (cores of this machine's speed) the extrapolation is printed for.
EXECUTORS = (4, 8, 16, 32, 64)


def rotated(lines: int, files: int, seed: int) -> list[Path]:
    """`files` rotated files holding `lines` lines in time order, oldest first."""
    folder = Path(tempfile.gettempdir()) / f"stale-audit-bench-spark-{lines}-{files}-{seed}"
    names = [f"fw.log.{n}.gz" for n in range(files - 1, 0, -1)] + ["fw.log"]
    paths = [folder / name for name in names]
    if all(p.exists() for p in paths):
        return paths
    folder.mkdir(parents=True, exist_ok=True)
    begin = time.perf_counter()
    whole = folder / "whole.txt"
    write_log(whole, lines, seed)
    text = whole.read_text()
    whole.unlink()
    start = 0
    for number, path in enumerate(paths, 1):
        stop = len(text) if number == files else text.index("\n", len(text) * number // files) + 1
        part = text[start:stop].encode()
        if path.name.endswith(".gz"):
            path.write_bytes(gzip.compress(part, 6))
        else:
            path.write_bytes(part)
        start = stop
    print(f"generated {lines:,} lines in {files} files in {time.perf_counter() - begin:.1f} s")
    return paths


def snapshot(traffic: TrafficIndex, stats: LogStats) -> tuple[object, ...]:
    """Everything the fold holds, to compare the two engines."""
    flows = {k: (t.count, t.first, t.last, dict(t.signals), dict(t.messages), list(t.sports),
                 dict(t.hours)) for k, t in traffic.drop_flows()}
    return (flows, *totals(traffic, stats))


def totals(traffic: TrafficIndex, stats: LogStats) -> tuple[object, ...]:
    """What a fold holds whatever the order its parts arrived in. Past the flow table's
    cap (100,000 flows: from about 900,000 of these lines) new flows fold together (`*`
    senders) as they arrive, so which folded flow a line lands in depends on that order;
    its counts do not."""
    answered = {d: (t.count, t.first, t.last, dict(t.signals)) for d, t in traffic.by_dst.items()}
    noise = traffic.noise
    return (sum(t.count for _, t in traffic.drop_flows()), traffic.folded, answered,
            dict(traffic.hourly), dict(traffic.hourly_messages), noise.lines,
            sorted(noise.keys), stats.lines, stats.parsed, dict(stats.by_message))


def spark_phases(context: Any, spec: SourceSpec) -> tuple[float, float, TrafficIndex, LogStats]:
    """The Spark fold as `fold_input_spark` makes it, timed in two: the job (every task, in
    parallel, until the first partial is here) and the fetch-and-merge that follows here."""
    traffic, stats = TrafficIndex(held=()), LogStats()
    merge = Merge(traffic, stats)
    begin = time.perf_counter()
    rdd, names = sparkfold._files_rdd(context, sparkfold.spark_files(spec))
    parts = sparkfold._job(context, spec, rdd, len(names), traffic, AS_OF)
    first = next(parts)
    job = time.perf_counter() - begin
    for part in [first, *parts]:
        assert part.error is None, part.error
        merge.adopt(part.traffic, part.stats, part.deferred, part.pairs)
    return job, time.perf_counter() - begin - job, traffic, stats


def fit(points: list[tuple[int, float]]) -> tuple[float, float]:
    """Least squares: seconds = fixed + per_line * lines."""
    n = len(points)
    mean_x = sum(x for x, _ in points) / n
    mean_y = sum(y for _, y in points) / n
    spread = sum((x - mean_x) ** 2 for x, _ in points)
    slope = sum((x - mean_x) * (y - mean_y) for x, y in points) / spread if spread else 0.0
    return mean_y - slope * mean_x, slope


@contextmanager
def collector_paused() -> Iterator[None]:
    """As `stale-audit audit` and `logs` fold (`engine._collector_paused`): the cyclic
    collector off. Left on, it walks every partial fold the driver unpickles, again and
    again: 3-5x the fetch-and-merge time (measured), which is the product's cost no more."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def best(runs: int, work: Callable[[], Any]) -> tuple[float, Any]:
    """The fastest of `runs` runs (the machine is shared: the least disturbed one) and
    the last run's result."""
    times, result = [], None
    for _ in range(runs):
        with collector_paused():
            begin = time.perf_counter()
            result = work()
            times.append(time.perf_counter() - begin)
    return min(times), result


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--lines", default="200000,400000,800000",
                      help="sizes, comma-separated (at least two, for the fit)")
    args.add_argument("--files", type=int, default=4, help="rotated files per size")
    args.add_argument("--runs", type=int, default=3, help="runs of each, the fastest kept")
    args.add_argument("--seed", type=int, default=20261129)
    opts = args.parse_args()
    sizes = sorted(int(n) for n in opts.lines.split(","))
    archives = {n: rotated(n, opts.files, opts.seed) for n in sizes}
    cores = len(os.sched_getaffinity(0))
    print(f"{cores} CPUs; Python {sys.version.split()[0]}; {opts.files} files per size; "
          f"fastest of {opts.runs} runs")

    begin = time.perf_counter()
    session = sparkfold.spark_session()
    startup = time.perf_counter() - begin
    context = session.sparkContext
    import pyspark

    print(f"PySpark {pyspark.__version__} on {context.master} "
          f"({context.defaultParallelism} task slots)")
    # The first job starts the Python workers, which import stale-audit: paid once per run.
    smallest = SourceSpec("warm-up", "cisco-asa", tuple(archives[sizes[0]]))

    def warm_up() -> object:
        return sparkfold.fold_input_spark(smallest, TrafficIndex(held=()), LogStats(),
                                          as_of=AS_OF)

    first_job = best(1, warm_up)[0] - best(1, warm_up)[0]

    rows = []
    for lines in sizes:
        paths = archives[lines]
        spec = SourceSpec("fw", "cisco-asa", tuple(paths))
        plain = sum(len(gzip.decompress(p.read_bytes())) if p.name.endswith(".gz")
                    else p.stat().st_size for p in paths)
        disk = sum(p.stat().st_size for p in paths)

        def spark(spec: SourceSpec = spec) -> tuple[TrafficIndex, LogStats]:
            traffic, stats = TrafficIndex(held=()), LogStats()
            status = sparkfold.fold_input_spark(spec, traffic, stats, as_of=AS_OF)
            assert status.error is None, status.error
            return traffic, stats

        def local(spec: SourceSpec = spec, workers: int | None = None
                  ) -> tuple[TrafficIndex, LogStats]:
            traffic, stats = TrafficIndex(held=()), LogStats()
            fold_input(spec, traffic, stats, as_of=AS_OF, workers=workers)
            return traffic, stats

        whole, (traffic, stats) = best(opts.runs, spark)
        phases = []
        for _ in range(opts.runs):
            with collector_paused():
                phases.append(spark_phases(context, spec))
        job, merged = min(p[0] for p in phases), min(p[1] for p in phases)
        local_time, (local_traffic, local_stats) = best(opts.runs, local)
        one_time, _ = best(opts.runs, lambda spec=spec: local(spec, 1))
        capped = len(local_traffic.flows) >= local_traffic.max_flows
        check = totals if capped else snapshot
        expected = check(local_traffic, local_stats)
        equal = check(traffic, stats) == expected == check(*phases[-1][2:])
        assert equal, f"{lines:,} lines: the Spark fold differs from the local fold"
        rows.append((stats.lines, plain, disk, whole, job, merged, local_time, one_time,
                     len(local_traffic.flows), "counts (capped)" if capped else "yes"))

    print(f"\n  Spark start-up alone: {startup:.2f} s; first job's extra (Python workers "
          f"start, import stale-audit): {first_job:.2f} s")
    print(f"\n  {'lines':>10}  {'plain MB':>8}  {'disk MB':>7}  {'flows':>7}  "
          f"{'spark s':>7}  {'(tasks':>6}  {'merge)':>6}  {'spark l/s':>10}  "
          f"{'local s':>7}  {'local l/s':>10}  {'1 proc s':>8}  same fold")
    for lines, plain, disk, whole, job, merged, local_time, one_time, flows, same in rows:
        print(f"  {lines:>10,}  {plain / 2**20:8.0f}  {disk / 2**20:7.1f}  {flows:>7,}  "
              f"{whole:7.2f}  {job:6.2f}  {merged:6.2f}  {lines / whole:10,.0f}  "
              f"{local_time:7.2f}  {lines / local_time:10,.0f}  {one_time:8.2f}  {same}")

    tasks_fixed, tasks_line = fit([(r[0], r[4]) for r in rows])
    merge_fixed, merge_line = fit([(r[0], r[5]) for r in rows])
    spark_fixed, spark_line = fit([(r[0], r[3]) for r in rows])
    # One machine's local fold: the faster of the engine's own choice of processes and one
    local_fixed, local_line = min(fit([(r[0], r[6]) for r in rows]),
                                  fit([(r[0], r[7]) for r in rows]), key=lambda f: f[1])
    bytes_per_line = sum(r[1] for r in rows) / sum(r[0] for r in rows)
    gz_per_line = sum(r[2] for r in rows) / sum(r[0] for r in rows)
    slots = context.defaultParallelism
    print("\n  Straight lines through those (seconds = fixed + us/line x lines):")
    for label, fixed, per in (("spark, whole fold", spark_fixed, spark_line),
                              ("  its tasks", tasks_fixed, tasks_line),
                              ("  its fetch+merge", merge_fixed, merge_line),
                              ("local fold (faster)", local_fixed, local_line)):
        print(f"    {label:<20} {fixed:6.2f} s + {per * 1e6:6.3f} us/line")
    per_core = tasks_line * slots   # one task slot's seconds per line
    flows_per_line = sum(r[8] for r in rows) / sum(r[0] for r in rows)
    print(f"\n  One task slot folds {1 / per_core:,.0f} lines/s; fetching and merging the "
          f"partials here takes {merge_line * 1e6:.3f} us a line\n  whatever the executors "
          f"(the partials carry the flows: {flows_per_line:.3f} new flows a line here, "
          f"{merge_line / flows_per_line * 1e6:.1f} us a flow);\n  a line is "
          f"{bytes_per_line:.0f} bytes plain ({gz_per_line:.0f} gzipped).")
    print(f"  With K executors of this machine's per-core speed (one file per task, so at "
          f"least K files),\n  Spark (tasks/K + merge) beats this machine's local fold "
          f"({1 / local_line:,.0f} lines/s on {cores} cores) from:")
    for executors in EXECUTORS:
        per = per_core / executors + merge_line
        gain = local_line - per
        if gain <= 0:
            print(f"    K = {executors:>3}: never (fetching and merging the partials here "
                  "alone is slower than the local fold)")
            continue
        warm = max(0.0, (tasks_fixed + merge_fixed - local_fixed) / gain)
        cold = max(0.0, (tasks_fixed + merge_fixed + startup + first_job - local_fixed) / gain)
        print(f"    K = {executors:>3}: {warm:>13,.0f} lines ({warm * bytes_per_line / 1e9:6.2f}"
              f" GB plain) with a warm session; {cold:>13,.0f} lines "
              f"({cold * bytes_per_line / 1e9:6.2f} GB) counting start-up; "
              f"then {1 / per:,.0f} lines/s")
    limit = 1 / merge_line if merge_line > 0 else float("inf")
    print(f"  The ceiling whatever K: the fetch and merge here, {limit:,.0f} lines/s.")


if __name__ == "__main__":
    main()

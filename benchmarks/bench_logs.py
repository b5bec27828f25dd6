"""`stale-audit logs` and `stale-audit audit` on realistic firewall traffic, beside baselines.

Generates (once, cached under the temp folder by size, seed and span) a realistic edge
firewall's day (`benchmarks/asa_traffic.py`: thousands of hosts, ephemeral ports, growing
connection ids, four header styles, each Teardown where its connection ends), or with
`--hours 2` the same lines from a busy firewall's two hours, plain and gzipped, then times in
one run, over the same files:

- `grep -c` / `zcat | grep -c` (the floor), a naive one-regex-per-line Python script and
  Polars doing the same per-flow aggregation (`benchmarks/baselines.py`; Polars when
  installed), the last two run as scripts (a process each, as a user runs them and as
  `stale-audit` is timed), their in-process time shown beside;
- `stale-audit logs` on the plain and the gz file, and `stale-audit audit` of a config whose
  one log input is the plain file (with a small inventory), each as a fresh process, with
  its wall time, lines/s and peak RSS;
- the same `stale-audit logs` with `STALE_AUDIT_WORKERS=1`, to show what the second core buys.

Every row is the best of `--runs` (3) runs, so one slow moment of a shared machine does not
decide a ratio. It prints numbers and ratios; it asserts nothing.

    python benchmarks/bench_logs.py [--lines 2000000] [--hours 24] [--seed N] [--keep]
"""

from __future__ import annotations

import argparse
import compileall
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.asa_traffic import write_log  # noqa: E402
from benchmarks.baselines import grep_count  # noqa: E402

CONFIG = """\
[audit]
name = "Log benchmark"

[[sources]]
name = "pollers"
type = "csv"
path = "inventory.csv"
owner = "NOC"

[[networks]]
name = "ipam"
type = "prefix-list"
path = "prefixes.txt"

[[logs]]
name = "fw-edge"
type = "cisco-asa"
paths = ["{log}"]
"""


def _timed(argv: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """(wall seconds, peak RSS MB) of one command run as a child process (its own rusage,
    the largest of its processes: workers are children of the child, counted by the OS)."""
    begin = time.perf_counter()
    child = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             env=dict(os.environ, **(env or {})), cwd=ROOT)
    _pid, _status, usage = os.wait4(child.pid, 0)
    child.returncode = 0
    return time.perf_counter() - begin, usage.ru_maxrss / 1024


def _best(runs: int, argv: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """The fastest of `runs` runs of a command, and the largest peak RSS among them."""
    times = [_timed(argv, env) for _ in range(runs)]
    return min(t for t, _ in times), max(rss for _, rss in times)


def _script(runs: int, kind: str, path: Path) -> tuple[float, float, int] | None:
    """A baseline run as a script: (best wall seconds as a process, best in-process
    seconds, lines it counted), or None when it cannot run (Polars absent)."""
    best: tuple[float, float, int] | None = None
    for _ in range(runs):
        begin = time.perf_counter()
        out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "baselines.py"), kind,
                              str(path)], capture_output=True, text=True, check=False, cwd=ROOT)
        wall = time.perf_counter() - begin
        if out.returncode != 0:
            return None
        inside, counted = out.stdout.split()
        if best is None or wall < best[0]:
            best = (wall, min(float(inside), best[1]) if best else float(inside), int(counted))
    return best


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--lines", type=int, default=2_000_000)
    args.add_argument("--runs", type=int, default=3, help="runs of each row; the best counts")
    args.add_argument("--hours", type=float, default=24,
                      help="the span the lines cover: 24, a day of a mid-size edge firewall; "
                           "2, the same lines from a busy one (Teardowns land blocks after "
                           "their Builts)")
    args.add_argument("--seed", type=int, default=20261129)
    args.add_argument("--keep", action="store_true", help="keep the generated folder")
    opts = args.parse_args()
    # Bytecode, as an installed package has it (pip compiles at install): where
    # PYTHONDONTWRITEBYTECODE is set, a checkout would compile every module on every run
    # (~0.05 s of each `stale-audit` process measured here).
    for package in ("auditor", "connectors", "reports"):
        compileall.compile_dir(str(ROOT / package), quiet=1)
    # v2: Teardowns written when their connections end (before, right after their Builts)
    folder = Path(tempfile.gettempdir()) / (f"stale-audit-bench-logs-v2-{opts.lines}-"
                                            f"{opts.seed}-{opts.hours:g}h")
    plain, packed = folder / "fw-edge.log", folder / "fw-edge.log.gz"
    if not packed.exists():
        folder.mkdir(parents=True, exist_ok=True)
        begin = time.perf_counter()
        write_log(plain, opts.lines, opts.seed, hours=opts.hours)
        subprocess.run(f"gzip -kf6 '{plain}'", shell=True, check=True)
        print(f"generated {opts.lines:,} lines in {time.perf_counter() - begin:.1f} s")
    (folder / "inventory.csv").write_text(
        "Name,IP Address\n" + "".join(f"target-{n},10.99.{n // 250}.{n % 250 + 1}\n"
                                      for n in range(2000)))
    (folder / "prefixes.txt").write_text("10.0.0.0/9\n172.16.0.0/12\n")
    (folder / "audit.toml").write_text(CONFIG.format(log=plain.name))
    mb = plain.stat().st_size / 2**20
    print(f"{opts.lines:,} lines over {opts.hours:g} h, {mb:.0f} MB plain, "
          f"{packed.stat().st_size / 2**20:.0f} MB gz; "
          f"{os.cpu_count()} CPUs; Python {sys.version.split()[0]}")
    rows: list[tuple[str, float, float | None]] = []
    # stale-audit first, while this process is small: a child's peak RSS (`ru_maxrss`)
    # starts from its parent's at fork, so after the baselines it would report theirs.
    exe = [sys.executable, "-m", "auditor"]
    runs = opts.runs
    ours_rows = [("stale-audit logs (plain)", *_best(runs, [*exe, "logs", str(plain)])),
                 ("stale-audit logs (plain, 1 worker)",
                  *_best(runs, [*exe, "logs", str(plain)], {"STALE_AUDIT_WORKERS": "1"})),
                 ("stale-audit logs (gz)", *_best(runs, [*exe, "logs", str(packed)]))]
    out = folder / "out"
    ours_rows.append(("stale-audit audit (plain log, small inventory)",
                      *_best(runs, [*exe, "audit", "-c", str(folder / "audit.toml"), "-o",
                                    str(out / "a.xlsx"), "--json", str(out / "a.json")])))
    secs = min(grep_count([plain])[0] for _ in range(runs))
    rows.append(("grep -c (plain)", secs, None))
    secs = min(grep_count([packed])[0] for _ in range(runs))
    rows.append(("zcat | grep -c (gz)", secs, None))
    naive = _script(runs, "naive", plain)
    assert naive is not None
    rows.append((f"naive one-regex script ({naive[2]:,} drop lines; {naive[1]:.2f} s "
                 "in-process)", naive[0], None))
    polars = _script(runs, "polars", plain)
    if polars is not None:
        rows.append((f"polars per-flow aggregation ({polars[2]:,} drop lines; {polars[1]:.2f} s "
                     "in-process)", polars[0], None))
    else:
        print("  (polars not installed: pip install polars to add that baseline)")
    rows += ours_rows
    width = max(len(r[0]) for r in rows)
    print(f"\n  {'what':<{width}}  {'secs':>7}  {'lines/s':>11}  {'peak RSS':>9}")
    for label, secs, peak in rows:
        rss = f"{peak:7.0f} MB" if peak is not None else ""
        print(f"  {label:<{width}}  {secs:7.2f}  {opts.lines / secs:11,.0f}  {rss:>9}")
    by = {label.split(" (")[0] + (" gz" if "(gz" in label else ""): secs
          for label, secs, _ in rows}
    ours = next(s for label, s, _ in rows if label == "stale-audit logs (plain)")
    gz = next(s for label, s, _ in rows if label == "stale-audit logs (gz)")
    print(f"\n  stale-audit logs vs naive script: {naive[0] / ours:.2f}x as scripts "
          f"(>1 is faster); {naive[1] / ours:.2f}x against its in-process time")
    if polars is not None:
        print(f"  stale-audit logs vs polars:       {polars[0] / ours:.2f}x as scripts; "
              f"{polars[1] / ours:.2f}x against its in-process time")
    print(f"  stale-audit logs gz vs zcat|grep: {gz / by['zcat | grep -c gz']:.2f}x its time "
          "(the bar: within 1.5x)")
    if not opts.keep:
        shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    main()

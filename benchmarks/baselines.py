"""The baselines a log fold is measured against, over the same files, in the same run.

- `grep -c` (and `zcat | grep -c`): the floor; counts lines, understands nothing.
- `naive`: the script an engineer writes in ten minutes: one regex per line that takes the
  message id and, for the drop messages (106023, 110003, 419002), the sender, destination
  and port, counted per flow in a dict. No initiator resolution, no header parsing, no
  other message.
- `polars`: Polars doing the same per-flow aggregation (lazy scan of the lines, regex
  extract, filter, group by flow), multithreaded in Rust. Skipped when Polars is absent
  (`pip install polars`; never a dependency of stale-audit).

Each returns (seconds, a number to check it did the work).
"""

from __future__ import annotations

import gzip
import re
import subprocess
import time
from collections import Counter
from pathlib import Path

#: The naive script's single regex: message id, then for 106023/110003/419002 the endpoints.
NAIVE = re.compile(
    r"%ASA-\d-(\d{6}):? (?:Deny \S+ src \S+?:([\d.]+)/\d+ dst \S+?:([\d.]+)/(\d+)"
    r"|Routing failed to locate next hop for \S+ from \S+?:([\d.]+)/\d+ to \S+?:([\d.]+)/(\d+)"
    r"|Received duplicate TCP SYN from \S+?:([\d.]+)/\d+ to \S+?:([\d.]+)/(\d+))?")


def grep_count(paths: list[Path], pattern: str = "%ASA-") -> tuple[float, int]:
    """`grep -c` over plain files, `zcat | grep -c` over .gz ones."""
    begin = time.perf_counter()
    total = 0
    for path in paths:
        if path.name.endswith(".gz"):
            cmd = f"zcat '{path}' | grep -c -- '{pattern}'"
        else:
            cmd = f"grep -c -- '{pattern}' '{path}'"
        out = subprocess.run(cmd, shell=True, capture_output=True, text=True, check=False)
        total += int(out.stdout.strip() or 0)
    return time.perf_counter() - begin, total


def naive(paths: list[Path]) -> tuple[float, int]:
    """One regex per line; flows of the three drop messages counted in a dict."""
    begin = time.perf_counter()
    flows: Counter[tuple[str, str, str]] = Counter()
    match = NAIVE.search
    for path in paths:
        opener = gzip.open if path.name.endswith(".gz") else open
        with opener(path, "rt", encoding="utf-8", errors="replace") as fh:  # type: ignore[operator]
            for line in fh:
                m = match(line)
                if m is None or m.group(2) is None and m.group(5) is None and m.group(8) is None:
                    continue
                g = m.groups()
                if g[1]:
                    flows[(g[1], g[2], g[3])] += 1
                elif g[4]:
                    flows[(g[4], g[5], g[6])] += 1
                else:
                    flows[(g[7], g[8], g[9])] += 1
    return time.perf_counter() - begin, sum(flows.values())


def polars_flows(paths: list[Path]) -> tuple[float, int] | None:
    """The same aggregation in Polars (lazy, multithreaded); None when not installed."""
    try:
        import polars as pl
    except ImportError:
        return None
    begin = time.perf_counter()
    frames = []
    for path in paths:
        frames.append(pl.scan_csv(path, has_header=False, separator="\x1f", quote_char=None,
                                  new_columns=["line"], infer_schema=False))
    lines = pl.concat(frames) if len(frames) > 1 else frames[0]
    pattern = (r"%ASA-\d-(?:106023:? Deny \S+ src \S+?:([\d.]+)/\d+ dst \S+?:([\d.]+)/(\d+)"
               r"|110003:? Routing failed to locate next hop for \S+ from \S+?:([\d.]+)/\d+ "
               r"to \S+?:([\d.]+)/(\d+)|419002:? Received duplicate TCP SYN from "
               r"\S+?:([\d.]+)/\d+ to \S+?:([\d.]+)/(\d+))")
    col = pl.col("line")
    extracted = lines.select(
        pl.coalesce(col.str.extract(pattern, 1), col.str.extract(pattern, 4),
                    col.str.extract(pattern, 7)).alias("src"),
        pl.coalesce(col.str.extract(pattern, 2), col.str.extract(pattern, 5),
                    col.str.extract(pattern, 8)).alias("dst"),
        pl.coalesce(col.str.extract(pattern, 3), col.str.extract(pattern, 6),
                    col.str.extract(pattern, 9)).alias("port"),
    ).filter(pl.col("src").is_not_null())
    result = extracted.group_by(["src", "dst", "port"]).len().collect()
    return time.perf_counter() - begin, int(result["len"].sum())


def main(argv: list[str]) -> None:
    """`python benchmarks/baselines.py naive|polars PATH...`: one baseline as the script a
    user runs (a process of its own, its start-up included, as `stale-audit` is timed);
    prints the in-process seconds and the lines it counted."""
    kind, paths = argv[0], [Path(p) for p in argv[1:]]
    result = naive(paths) if kind == "naive" else polars_flows(paths)
    if result is None:
        raise SystemExit("polars is not installed")
    print(f"{result[0]:.4f} {result[1]}")


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])

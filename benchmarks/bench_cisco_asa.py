"""Throughput of the Cisco ASA log parser against `grep -c` over the same file.

Generates (deterministically, into a temporary folder) a log of about a million lines in the
seed story's mix: duplicate-SYN storms, Built/Teardown pairs with SYN timeouts, ACL denies,
no-route drops and noise (other message ids, garbage). Then times:

  (a) `grep -c 'uplicate TCP SYN'` over the file, the floor any parser is measured against;
  (b) `AsaLogParser.parse_path`, counting the events it yields;

for the plain file and a `.gz` copy (`gzip -dc | grep -c` for the baseline), and prints lines
per second for both and their ratio. It prints numbers only; it asserts no timing.

    python benchmarks/bench_cisco_asa.py [--lines N]
"""

from __future__ import annotations

import argparse
import gzip
import random
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from connectors.base import SourceSpec  # noqa: E402
from connectors.logs.cisco_asa import AsaLogParser  # noqa: E402

HEADERS = ("{ts:%b %d %Y %H:%M:%S}: ", "{ts:%b %e %H:%M:%S} fw-edge : ",
           "<164>{ts:%b %d %Y %H:%M:%S} fw-edge : ", "")
NOISE = (
    "%ASA-7-609001: Built local-host inside:10.30.{a}.{b}",
    "%ASA-6-305011: Built dynamic TCP translation from inside:10.30.{a}.{b}/5{b:04d} to "
    "outside:198.51.100.1/{b}",
    "%ASA-5-111008: User 'admin' executed the 'write memory' command.",
    "%ASA-6-725001: Starting SSL handshake with client outside:203.0.113.{b}/443 for TLS session.",
    "garbage line {a} {b} without any tag",
)


def generate(path: Path, lines: int, seed: int = 20261124) -> int:
    """Write `lines` (about) log lines to `path`; return how many were written."""
    rng = random.Random(seed)
    start = datetime(2026, 11, 24, 0, 0, 0)
    written, conn = 0, 1_000_000
    with path.open("w", encoding="utf-8") as fh:
        while written < lines:
            ts = start + timedelta(seconds=written // 50)
            head = HEADERS[written % len(HEADERS)].format(ts=ts)
            a, b = rng.randrange(1, 255), rng.randrange(1, 255)
            pick = rng.random()
            if pick < 0.35:
                fh.write(f"{head}%ASA-4-419002: Received duplicate TCP SYN from inside:10.30.1.{a}/"
                         f"{50000 + b} to outside:10.251.9.{b}/6711 with different initial "
                         "sequence number.\n")
            elif pick < 0.60:
                conn += 1
                fh.write(f"{head}%ASA-6-302013: Built outbound TCP connection {conn} for "
                         f"outside:10.99.3.{b}/161 (10.99.3.{b}/161) to inside:10.30.1.{a}/"
                         f"{40000 + b} (10.30.1.{a}/{40000 + b})\n")
                fh.write(f"{head}%ASA-6-302014: Teardown TCP connection {conn} for "
                         f"outside:10.99.3.{b}/161 to inside:10.30.1.{a}/{40000 + b} duration "
                         "0:00:30 bytes 0 SYN Timeout\n")
                written += 1
            elif pick < 0.75:
                fh.write(f"{head}%ASA-4-106023: Deny udp src inside:10.30.1.{a}/{50000 + b} dst "
                         f"outside:10.20.{a}.{b}/161 by access-group \"inside_in\" "
                         "[0x51fd1c46, 0x0]\n")
            elif pick < 0.85:
                fh.write(f"{head}%ASA-6-110003: Routing failed to locate next hop for udp from "
                         f"inside:10.30.1.{a}/{50000 + b} to outside:10.251.{a}.{b}/161\n")
            else:
                noise = NOISE[rng.randrange(len(NOISE))].format(a=a, b=b)
                fh.write(f"{head}{noise}\n")
            written += 1
    return written


def time_grep(path: Path) -> tuple[float, int]:
    """Seconds and match count of `grep -c` (through `gzip -dc` for a .gz)."""
    pattern = "uplicate TCP SYN"
    begin = time.perf_counter()
    if path.suffix == ".gz":
        out = subprocess.run(f"gzip -dc '{path}' | grep -c '{pattern}'", shell=True,
                             capture_output=True, text=True, check=False).stdout
    else:
        out = subprocess.run(["grep", "-c", pattern, str(path)], capture_output=True,
                             text=True, check=False).stdout
    return time.perf_counter() - begin, int(out.strip() or 0)


def time_parser(path: Path) -> tuple[float, int, int]:
    """Seconds, events and lines counted by the parser."""
    parser = AsaLogParser(SourceSpec("bench", "cisco-asa"), clock=datetime(2026, 11, 25))
    begin = time.perf_counter()
    events = sum(1 for _ in parser.parse_path(path))
    return time.perf_counter() - begin, events, parser.stats.lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lines", type=int, default=1_000_000)
    args = ap.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-asa-"))
    try:
        plain = folder / "fw-edge.log"
        total = generate(plain, args.lines)
        packed = folder / "fw-edge.log.gz"
        with plain.open("rb") as src, gzip.open(packed, "wb", compresslevel=6) as dst:
            shutil.copyfileobj(src, dst)
        print(f"{total:,} lines, {plain.stat().st_size / 1e6:.1f} MB "
              f"({packed.stat().st_size / 1e6:.1f} MB gzipped)")
        for path in (plain, packed):
            g_secs, g_hits = time_grep(path)
            p_secs, events, lines = time_parser(path)
            g_rate, p_rate = total / g_secs, lines / p_secs
            print(f"{path.name}:")
            print(f"  grep -c     {g_secs:7.2f} s  {g_rate:13,.0f} lines/s  ({g_hits:,} matches)")
            print(f"  AsaLogParser{p_secs:7.2f} s  {p_rate:13,.0f} lines/s  ({events:,} events)")
            print(f"  parser is {p_secs / g_secs:,.1f}x slower than grep")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()

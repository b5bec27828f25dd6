"""TCP probes of 5,000 loopback targets: wall time, the rate held, peak open sockets.

The targets are a mix of three kinds, all inside a network namespace this script creates
(as root; `ip netns add`), so nothing leaves the machine:

- answering: 127.1.x.y on a port a listener of ours accepts on (SYN, ACK, reset);
- refusing: 127.2.x.y on a port nothing listens on (SYN, reset back);
- silent: 198.18.x.y (the benchmarking range), routed to a veth whose peer drops
  everything (a permanent neighbour entry: no ARP, no ICMP), so each times out for real.

Without root (or without `ip netns`) it runs answering and refusing targets on this host's
loopback only, and says so. It prints the wall time beside what the rate and the timeout
allow (`max(packets / rate, silent x timeout / concurrency) + timeout`) and beside probing
one at a time (`targets x timeout` for the silent ones alone); it asserts nothing.

    python benchmarks/bench_probe.py [--targets 5000] [--rate 2000] [--timeout 1.0]
        [--concurrency 1000] [--mix 40,30,30]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import socket
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from auditor.model import Target  # noqa: E402
from auditor.probe.run import run_probes  # noqa: E402
from auditor.probe.settings import ProbeSettings  # noqa: E402

OPEN_PORT, CLOSED_PORT = 18080, 18081
SILENT_NET, GATEWAY = "198.18.0.0/15", "192.0.2.2"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--targets", type=int, default=5000)
    parser.add_argument("--rate", type=float, default=2000.0, help="packets per second")
    parser.add_argument("--timeout", type=float, default=1.0)
    parser.add_argument("--concurrency", type=int, default=1000)
    parser.add_argument("--mix", default="40,30,30",
                        help="percent answering,refusing,silent (default 40,30,30)")
    parser.add_argument("--inside", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.inside:
        return bench(args, silent=True)
    if os.geteuid() == 0 and shutil.which("ip"):
        name = f"sa-bench-{os.getpid()}"
        if subprocess.run(["ip", "netns", "add", name], capture_output=True).returncode == 0:
            try:
                _lab(name)
                return subprocess.run(["ip", "netns", "exec", name, sys.executable, __file__,
                                       "--inside", *(argv if argv is not None
                                                     else sys.argv[1:])]).returncode
            finally:
                subprocess.run(["ip", "netns", "del", name], capture_output=True)
    print("not root, or no ip netns: answering and refusing targets on this host's "
          "loopback only, no silent ones")
    return bench(args, silent=False)


def _lab(name: str) -> None:
    def ip(*words: str) -> None:
        subprocess.run(["ip", "-n", name, *words], check=True, capture_output=True)

    ip("link", "set", "lo", "up")
    ip("link", "add", "sa-b0", "type", "veth", "peer", "name", "sa-b1")
    ip("addr", "add", "192.0.2.1/24", "dev", "sa-b0")
    ip("link", "set", "sa-b0", "up")
    ip("link", "set", "sa-b1", "up")
    ip("neigh", "add", GATEWAY, "lladdr", "02:00:5e:10:00:02", "dev", "sa-b0", "nud",
       "permanent")
    ip("route", "add", SILENT_NET, "via", GATEWAY)


def _listen() -> socket.socket:
    """A listener on every loopback address at OPEN_PORT, drained by a thread."""
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("0.0.0.0", OPEN_PORT))
    server.listen(4096)

    def drain() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            conn.close()

    threading.Thread(target=drain, daemon=True).start()
    return server


def _targets(count: int, mix: tuple[int, int, int], silent: bool) -> list[Target]:
    answering, refusing, quiet = mix
    if not silent:
        answering, refusing, quiet = answering + quiet // 2, refusing + quiet - quiet // 2, 0
    kinds = (["answering"] * answering + ["refusing"] * refusing + ["silent"] * quiet)
    out = []
    for i in range(count):
        kind = kinds[i % len(kinds)]
        x, y = divmod(i, 250)
        address, port = {"answering": (f"127.1.{x}.{y + 1}", OPEN_PORT),
                         "refusing": (f"127.2.{x}.{y + 1}", CLOSED_PORT),
                         "silent": (f"198.18.{x}.{y + 1}", OPEN_PORT)}[kind]
        out.append(Target(address=address, source="bench", kind="csv", id=str(i),
                          name=kind, polled=True, protocol="tcp", port=port))
    return out


def bench(args: argparse.Namespace, *, silent: bool) -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    mix = tuple(int(p) for p in args.mix.split(","))
    assert len(mix) == 3
    targets = _targets(args.targets, (mix[0], mix[1], mix[2]), silent)
    server = _listen()
    settings = ProbeSettings(enabled=True, allow=("127.0.0.0/8", SILENT_NET),
                             timeout=args.timeout, retries=0,
                             concurrency=args.concurrency, rate=args.rate)
    try:
        run = run_probes(settings, targets, environ={})
    finally:
        server.close()
    kinds = {t.address: t.name for t in targets}
    outcome = Counter((kinds[r.address], str(r.status)) for r in run.results)
    quiet = sum(1 for t in targets if t.name == "silent")
    bound = max(run.packets / args.rate, quiet * args.timeout / args.concurrency) + args.timeout
    held = run.packets / run.seconds if run.seconds else 0.0
    print(json.dumps({"targets": len(targets), "outcomes": {f"{k} {s}": n for (k, s), n
                                                            in sorted(outcome.items())}},
                     indent=None))
    print(f"targets        {len(targets):>10,}   ({quiet:,} silent)")
    print(f"wall time      {run.seconds:>10.2f} s")
    print(f"packets sent   {run.packets:>10,}   (SYNs with retransmissions, ACK + reset of "
          f"each answered handshake)")
    print(f"rate held      {held:>10.1f} packets/s   (limit {args.rate:g})")
    print(f"peak sockets   {run.peak_sockets:>10,}   (concurrency {args.concurrency:,}; "
          f"open files {hard:,}, was {soft:,})")
    print(f"rate/timeout   {bound:>10.2f} s   max(packets / rate, silent x timeout / "
          "concurrency) + timeout: what the limits allow")
    print(f"one at a time  {len(targets) * args.timeout:>10,.0f} s   targets x timeout "
          f"({quiet * args.timeout:,.0f} s for the silent ones alone)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

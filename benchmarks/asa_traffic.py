"""Realistic Cisco ASA syslog for benchmarks: a busy edge firewall's day, not a few addresses.

What a real edge firewall logs, in proportions measured off real syslog mixes: mostly
connection Built/Teardown pairs (TCP and UDP) between thousands of inside hosts and tens of
thousands of servers, from ephemeral ports, with connection ids that only grow; a few percent
of access-list denies (inbound internet scans, and inside pollers hitting retired networks),
no-route drops, duplicate SYNs (the seed story's flood), SYN timeouts, 106100 hit counts, NAT
translations and messages nobody parses. Four header styles (the ASA's own stamp with a year,
a relay's RFC 3164 stamp and host, PRI + stamp, RFC 5424 ISO), interfaces with names that
look like hex (`dc`, `fab`), and a day of timestamps (or `hours`). A Teardown is written when
its connection ends, seconds to ten minutes after its Built: on a busy firewall, thousands
of lines later. Every flow is a plausible one: the
cache-flattering repetition of a handful of addresses is what this generator exists to avoid.

    from benchmarks.asa_traffic import write_log
    write_log(Path("fw.log"), 2_000_000)          # or fw.log.gz
"""

from __future__ import annotations

import gzip
import heapq
import random
from datetime import datetime, timedelta
from pathlib import Path

START = datetime(2026, 11, 24, 0, 0, 0)
INSIDE_HOSTS = 6_000
SERVERS = 24_000
SCANNERS = 3_000
POLLERS = 40
GONE_TARGETS = 900

#: (share of lines, kind); the Built/Teardown kinds write two lines each.
MIX = (
    (0.300, "tcp-pair"), (0.110, "udp-pair"), (0.012, "syn-timeout"), (0.045, "deny-scan"),
    (0.020, "deny-poller"), (0.015, "no-route"), (0.030, "dup-syn"), (0.040, "acl-hitcnt"),
    (0.030, "nat"), (0.015, "noise"),
)


def _hosts(rng: random.Random, count: int, nets: tuple[str, ...]) -> list[str]:
    seen: set[str] = set()
    while len(seen) < count:
        net = rng.choice(nets)
        seen.add(f"{net}.{rng.randint(0, 255)}.{rng.randint(1, 254)}")
    return sorted(seen)


def _header(style: int, when: datetime) -> str:
    if style == 0:
        return f"{when:%b %d %Y %H:%M:%S}: "
    if style == 1:
        return f"{when:%b} {when.day:2d} {when:%H:%M:%S} fw-edge-01 : "
    if style == 2:
        return f"<166>{when:%b %d %Y %H:%M:%S} fw-edge-02 : "
    return f"<166>{when:%Y-%m-%dT%H:%M:%S}Z fw-core asa : "


def write_log(path: Path, lines: int, seed: int = 20261129,
              hours: float = 24) -> dict[str, int]:
    """Write about `lines` lines over `hours` to `path` (gzipped when it ends in `.gz`);
    return counts of what was written by kind (`lines`, and each kind's lines).

    A connection's Teardown is written when it ends (its Built's time plus the duration it
    prints), so on a busy firewall (many lines an hour) it lands blocks after its Built, as
    in a real log; the same device writes both."""
    rng = random.Random(seed)
    inside = _hosts(rng, INSIDE_HOSTS, ("10.20", "10.21", "10.40", "10.41", "10.42", "172.16"))
    servers = _hosts(rng, SERVERS, ("10.10", "10.11", "10.12", "172.20", "192.0", "198.51",
                                    "203.0", "100.64"))
    scanners = _hosts(rng, SCANNERS, ("185.220", "45.155", "89.248", "194.26", "80.82"))
    pollers = inside[:POLLERS]
    gone = _hosts(rng, GONE_TARGETS, ("10.99", "10.98", "10.251"))
    kinds = [k for _, k in MIX]
    weights = [w for w, _ in MIX]
    counts: dict[str, int] = dict.fromkeys(kinds, 0)
    seconds = int(hours * 3600)
    conn = 2_384_000_000
    written = 0
    ending: list[tuple[datetime, int, int, str]] = []   # (when, order, header style, text)
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "wt", encoding="utf-8") as fh:  # type: ignore[operator]
        out: list[str] = []
        while written < lines:
            kind = rng.choices(kinds, weights)[0]
            when = START + timedelta(seconds=written * seconds // lines)
            while ending and ending[0][0] <= when:   # connections that ended by now
                ended, _, style, text = heapq.heappop(ending)
                out.append(_header(style, ended) + text)
            style = rng.randrange(4)
            head = _header(style, when)
            sport = rng.randint(32768, 65535)
            if kind in ("tcp-pair", "udp-pair", "syn-timeout"):
                conn += rng.randint(1, 9)
                user = rng.choice(inside)
                server = rng.choice(servers)
                proto = "UDP" if kind == "udp-pair" else "TCP"
                dport = rng.choice((53, 123, 161, 514)) if proto == "UDP" else \
                    rng.choice((443, 443, 443, 80, 22, 3389, 1433, 8443))
                out_if, in_if = ("outside", "dc") if server[0] != "1" or \
                    server.startswith("100.") else ("fab", "dc")
                built = "302015" if proto == "UDP" else "302013"
                tear = "302016" if proto == "UDP" else "302014"
                out.append(f"{head}%ASA-6-{built}: Built outbound {proto} connection {conn} for "
                           f"{out_if}:{server}/{dport} ({server}/{dport}) to {in_if}:{user}/"
                           f"{sport} (198.51.100.7/{sport})\n")
                if kind == "syn-timeout":
                    lasted = 30
                    tail = "duration 0:00:30 bytes 0 SYN Timeout"
                elif proto == "TCP":
                    minutes, secs = rng.randint(0, 9), rng.randint(10, 59)
                    lasted = minutes * 60 + secs
                    tail = (f"duration 0:0{minutes}:{secs} bytes {rng.randint(200, 900000)} "
                            "TCP FINs")
                else:
                    lasted = 121
                    tail = f"duration 0:02:01 bytes {rng.randint(60, 600)}"
                heapq.heappush(ending, (when + timedelta(seconds=lasted), conn, style,
                                        f"%ASA-6-{tear}: Teardown {proto} connection {conn} "
                                        f"for {out_if}:{server}/{dport} to {in_if}:{user}/"
                                        f"{sport} {tail}\n"))
                written += 2
            elif kind == "deny-scan":
                src = rng.choice(scanners)
                dst = rng.choice(inside + servers[:2000])
                out.append(f"{head}%ASA-4-106023: Deny tcp src outside:{src}/{sport} dst dc:"
                           f"{dst}/{rng.choice((22, 23, 445, 3389, 1433, 5900, 8080))} by "
                           f'access-group "outside_in" [0x{rng.getrandbits(32):08x}, 0x0]\n')
                written += 1
            elif kind == "deny-poller":
                out.append(f"{head}%ASA-4-106023: Deny udp src dc:{rng.choice(pollers)}/{sport} "
                           f"dst fab:{rng.choice(gone)}/161 by access-group \"dc_out\" "
                           "[0x0, 0x0]\n")
                written += 1
            elif kind == "no-route":
                out.append(f"{head}%ASA-6-110003: Routing failed to locate next hop for UDP from "
                           f"dc:{rng.choice(pollers)}/{sport} to dc:{rng.choice(gone)}/161\n")
                written += 1
            elif kind == "dup-syn":
                out.append(f"{head}%ASA-4-419002: Received duplicate TCP SYN from dc:"
                           f"{rng.choice(pollers)}/{sport} to fab:{rng.choice(gone)}/"
                           f"{rng.choice((17777, 6711, 10597))} with different initial sequence "
                           "number.\n")
                written += 1
            elif kind == "acl-hitcnt":
                verdict = "denied" if rng.random() < 0.3 else "permitted"
                out.append(f"{head}%ASA-6-106100: access-list dc_out {verdict} tcp dc/"
                           f"{rng.choice(inside)}({sport}) -> outside/{rng.choice(servers)}(443) "
                           f"hit-cnt {rng.randint(1, 40)} 300-second interval "
                           f"[0x{rng.getrandbits(32):08x}, 0x0]\n")
                written += 1
            elif kind == "nat":
                out.append(f"{head}%ASA-6-305011: Built dynamic TCP translation from dc:"
                           f"{rng.choice(inside)}/{sport} to outside:198.51.100.7/{sport}\n")
                written += 1
            else:
                out.append(f"{head}%ASA-5-111008: User 'netops' executed the 'show conn' "
                           "command.\n")
                written += 1
            counts[kind] += 1
            if len(out) >= 20_000:
                fh.write("".join(out))
                out.clear()
        while ending:   # the connections still open at the end close after it
            ended, _, style, text = heapq.heappop(ending)
            out.append(_header(style, ended) + text)
        fh.write("".join(out))
    counts["lines"] = written
    return counts

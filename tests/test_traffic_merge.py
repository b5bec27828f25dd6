"""The traffic fold is a value built in parts: folded whole or in random splits, the same.

A second core, a second file or a SIEM's pre-aggregated rows each fold on their own and are
merged; the audit must not be able to tell. The events are a realistic mix (thousands of
senders and destinations, ephemeral ports, drops of every signal, answered traffic, internet
noise, several hours), and the split points are random.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import pytest

from auditor.model import LogEvent, Network, NetworkStatus, Signal
from auditor.netindex import NetworkIndex
from auditor.reconcile import ghost_flows, inbound_noise, noise_test
from auditor.traffic import TrafficIndex

START = datetime(2026, 11, 24, 4, 0, 0)
NETWORKS = [Network("10.0.0.0/9", "ipam", NetworkStatus.ACTIVE),
            Network("172.16.0.0/12", "ipam", NetworkStatus.ACTIVE)]
SIGNALS = [(Signal.ACL_DENY, "106023"), (Signal.NO_ROUTE, "110003"),
           (Signal.SYN_RETRANSMIT, "419002"), (Signal.SYN_TIMEOUT, "302014"),
           (Signal.TRAFFIC_ANSWERED, "302014"), (Signal.OTHER, "302013")]


def _events(seed: int, n: int = 30_000) -> list[LogEvent]:
    rng = random.Random(seed)
    inside = [f"10.{rng.randint(0, 127)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
              for _ in range(2_000)]
    outside = [f"203.0.113.{i}" for i in range(1, 200)] + \
        [f"198.51.100.{i}" for i in range(1, 60)]
    targets = [f"10.200.{rng.randint(0, 255)}.{rng.randint(1, 254)}" for _ in range(3_000)] + \
        [f"172.20.{rng.randint(0, 255)}.{rng.randint(1, 254)}" for _ in range(1_000)]
    events = []
    for line in range(1, n + 1):
        signal, message = rng.choice(SIGNALS)
        src = rng.choice(outside) if rng.random() < 0.2 else rng.choice(inside)
        when = START + timedelta(seconds=rng.randint(0, 6 * 3600)) \
            if rng.random() > 0.01 else None  # a few lines without a time
        events.append(LogEvent(
            line=line, time=when, device="fw", message=message, signal=signal,
            protocol=rng.choice(("tcp", "udp")), src=src, sport=rng.randint(1024, 65535),
            dst=rng.choice(targets), dport=rng.choice((161, 162, 22, 443, 445, 6711, 17777)),
            count=rng.choice((1, 1, 1, 3))))
    return events


def _snapshot(fold: TrafficIndex, held: set[str]) -> tuple[object, ...]:
    flows = {key: (t.count, t.first, t.last, dict(t.signals), dict(t.messages),
                   sorted(t.sports), dict(t.hours)) for key, t in fold.drop_flows()}
    answered = {d: (t.count, t.first, t.last, dict(t.signals)) for d, t in fold.by_dst.items()}
    summaries = {a: fold.summary(a) for a in sorted(held)}
    listed, unlisted = ghost_flows(fold, held, {})
    return (flows, answered, dict(fold.hourly), summaries, listed, unlisted,
            inbound_noise(fold), fold.noise.flows)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_fold_whole_equals_fold_in_random_parts_merged(seed: int) -> None:
    events = _events(seed)
    rng = random.Random(seed * 7)
    held = {e.dst for e in rng.sample(events, 400) if e.dst}
    index = NetworkIndex(NETWORKS)
    is_noise = noise_test(index, inside=set(), networks_known=True)

    def fold(part: list[LogEvent]) -> TrafficIndex:
        traffic = TrafficIndex(held, is_noise=is_noise)
        for event in part:
            traffic.add(event)
        return traffic

    whole = fold(events)
    cuts = sorted(rng.sample(range(1, len(events)), rng.randint(1, 12)))
    parts = [events[a:b] for a, b in zip([0, *cuts], [*cuts, len(events)], strict=True)]
    merged = fold(parts[0])
    for part in parts[1:]:
        merged.merge(fold(part))
    assert _snapshot(merged, held) == _snapshot(whole, held)
    # the fold saw everything: drops, answered traffic to held addresses, noise
    listed, _ = ghost_flows(whole, held, {})
    assert listed and whole.by_dst and whole.noise.lines
    assert sum(t.count for _, t in whole.drop_flows()) + whole.noise.lines == sum(
        e.count for e in events if e.signal not in (Signal.OTHER, Signal.TRAFFIC_ANSWERED))


def test_merging_many_parts_keeps_the_flow_cap() -> None:
    """Each part is under the cap; together they are not: the merge folds as `add` would."""
    events = _events(9, n=6_000)
    merged = TrafficIndex(max_flows=300)
    for start in range(0, len(events), 500):
        part = TrafficIndex(max_flows=300)
        for event in events[start:start + 500]:
            part.add(event)
        merged.merge(part)
    drops = sum(e.count for e in events if e.signal not in (Signal.OTHER,
                                                            Signal.TRAFFIC_ANSWERED))
    assert len(merged.flows) <= 2 * 300 + 8   # bounded: the tiers of `_folded_key`
    assert sum(t.count for _, t in merged.drop_flows()) == drops   # nothing lost
    assert merged.folded > 0

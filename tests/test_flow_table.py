"""The C drop-flow table (`auditor/_flows.c`) changes nothing but speed.

Random event streams, shaped like a firewall's (a few thousand hosts, ephemeral ports,
repeated flows, hour boundaries, times out of order, no time, no protocol, junk ports, held
and noise addresses, a small flow cap so every folding tier is reached), are folded by a
`TrafficIndex` with the table and by one without it (`native=False`, pure Python), and
everything a reader can see must be equal: the flows in order with every tally in order,
folded lines, hourly counts, noise, answered traffic. Recorded calls (a worker's
`Recording`, replayed), pickling and merging go through the same comparison.
"""

from __future__ import annotations

import pickle
import random
from datetime import datetime, timedelta
from typing import Any

import pytest

from auditor.model import Signal
from auditor.traffic import TrafficIndex

flows_c = pytest.importorskip("auditor._flows",
                              reason="the C flow table is not built (no C compiler at install)")

START = datetime(2026, 11, 24, 22, 30)
DROPS = [(Signal.ACL_DENY, "106023"), (Signal.NO_ROUTE, "110003"),
         (Signal.SYN_RETRANSMIT, "419002"), (Signal.SYN_TIMEOUT, "302014"),
         (Signal.ACL_DENY, "106100")]


def events(seed: int, n: int) -> list[tuple[Any, ...]]:
    """`add_fields` calls: mostly drops, some answered traffic and `other`, junk slots."""
    rng = random.Random(seed)
    hosts = [f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
             for _ in range(400)]
    dead = [f"10.250.{i // 250}.{i % 250 + 1}" for i in range(300)] + ["2001:db8::7"]
    outside = [f"203.0.113.{i}" for i in range(1, 40)]
    calls: list[tuple[Any, ...]] = []
    when = START
    for _ in range(n):
        roll = rng.random()
        step = rng.choice((0, 0, 0, 1, 7, 61, 900, -30, -4000))
        when = when + timedelta(seconds=step)
        time: datetime | None = None if rng.random() < 0.03 else when
        if roll < 0.08:   # answered traffic, per destination
            calls.append((time, "302014", Signal.TRAFFIC_ANSWERED, "tcp", rng.choice(hosts),
                          rng.randrange(1024, 65536), rng.choice(dead + hosts), 443, 1))
            continue
        if roll < 0.10:
            calls.append((time, "999999", Signal.OTHER, None, None, None, "10.1.1.1", None, 1))
            continue
        signal, message = rng.choice(DROPS)
        src = rng.choice(outside) if rng.random() < 0.15 else rng.choice(hosts[:120])
        if rng.random() < 0.01:
            src = None
        dst = rng.choice(dead)
        protocol = rng.choice(("tcp", "udp", "udp", None, "gre"))
        dport = rng.choice((161, 161, 162, 22, 443, 6711, None))
        sport = rng.choice((rng.randrange(1024, 65536), rng.randrange(1024, 65536), 161,
                            None, 70000, -1))
        count = rng.choice((1, 1, 1, 2, 37))
        if rng.random() < 0.03:   # a poller retrying one dead address from new ports
            src, dst, protocol, dport = hosts[0], dead[0], "udp", 161
        calls.append((time, message, signal, protocol, src, sport, dst, dport, count))
    return calls


def recorded(calls: list[tuple[Any, ...]]) -> Any:
    """The calls as a worker's `Recording` holds them (made in Python: kept whole)."""
    from connectors.base import Recording

    recording = Recording()
    for call in calls:
        recording.add_fields(*call)
    return recording


def view(traffic: TrafficIndex) -> Any:
    """Everything a reader of the fold can see, orders included."""
    flows = [(key, t.count, t.first, t.last, list(t.signals.items()),
              list(t.messages.items()), list(t.sports), list(t.hours.items()))
             for key, t in traffic.flows.items()]
    answered = [(dst, t.count, t.first, t.last, list(t.signals.items()),
                 list(t.messages.items())) for dst, t in traffic.by_dst.items()]
    noise = traffic.noise
    return (flows, traffic.folded, list(traffic.hourly.items()),
            list(traffic.hourly_messages.items()), answered,
            (noise.lines, sorted(noise.keys, key=repr), noise.flows_over, dict(noise.ports),
             dict(noise.senders)))


def is_noise(src: str) -> bool:
    return src.startswith("203.0.113.")


def pair(max_flows: int) -> tuple[TrafficIndex, TrafficIndex]:
    held = {f"10.250.0.{i}" for i in range(1, 60)} | {"2001:db8::7"}
    return (TrafficIndex(held, max_flows=max_flows, is_noise=is_noise),
            TrafficIndex(held, max_flows=max_flows, is_noise=is_noise, native=False))


@pytest.mark.parametrize("seed,max_flows", [(1, 100_000), (2, 300), (3, 40), (4, 7)])
def test_the_table_folds_exactly_as_python(seed: int, max_flows: int) -> None:
    table, python = pair(max_flows)
    assert table._table is not None and python._table is None
    for call in events(seed, 20_000):
        table.add_fields(*call)
        python.add_fields(*call)
    want = view(python)
    assert view(table) == want
    flows = want[0]
    # the stream reached what it is there for
    assert any(len(f[6]) == 32 for f in flows), "a flow with the most source ports kept"
    assert any(len(f[7]) > 3 for f in flows), "flows over several hours"
    if max_flows > 1000:
        assert any(f[2] is None for f in flows), "a flow none of whose lines had a time"
    if max_flows < 1000:
        assert want[1] > 0 and any(f[0][0] == "*" for f in flows)
        assert any(f[0][1] == "*" for f in flows), "the coarsest tiers reached"
    assert want[5][0] > 0, "noise was met"


@pytest.mark.parametrize("max_flows", [100_000, 50])
def test_recorded_calls_replay_as_the_calls_themselves(max_flows: int) -> None:
    table, python = pair(max_flows)
    calls = events(5, 8000)
    for start in range(0, len(calls), 1000):   # blocks of a worker's recording
        table.add_recording(recorded(calls[start:start + 1000]))
    for call in calls:
        python.add_fields(*call)
    assert view(table) == view(python)


def test_a_scanner_adding_after_a_read_fails_instead_of_losing_lines() -> None:
    table, python = pair(100_000)
    add = table.drop_adder()
    call = events(6, 50)[-1]
    if call[2] not in (s for s, _ in DROPS) or call[4] is None:
        call = (START, "419002", Signal.SYN_RETRANSMIT, "tcp", "10.9.9.9", 5000, "10.250.0.9",
                6711, 1)
    add(*call)
    assert len(table.flows) == 1   # the read moves the flows to Python, for good
    with pytest.raises(RuntimeError, match="drained"):
        add(*call)
    table.add_fields(*call)        # the index itself goes on, in Python
    python.add_fields(*call)
    python.add_fields(*call)
    assert view(table) == view(python)


def test_pickled_and_merged_parts_equal_one_python_pass() -> None:
    calls = events(7, 12_000)
    whole = pair(100_000)[1]
    for call in calls:
        whole.add_fields(*call)
    merged = pair(100_000)[0]
    for start in range(0, len(calls), 4000):
        part = pair(100_000)[0]
        part.add_recording(recorded(calls[start:start + 4000]))
        merged.merge(pickle.loads(pickle.dumps(part)))   # as a worker's part arrives
    got, want = view(merged), view(whole)
    # merged parts keep every count; first/last, hours and ports too, while under the cap
    assert got[0] == want[0] and got[2:5] == want[2:5]
    assert got[5][0] == want[5][0]


def test_bad_fields_raise_as_python_does() -> None:
    table, python = pair(100)
    bad = (START, "419002", Signal.SYN_RETRANSMIT, "tcp", "10.9.9.9", "x", "10.250.0.9", 6711,
           1)
    with pytest.raises(TypeError):
        table.add_fields(*bad)
    mixed = (START.replace(tzinfo=None), "419002", Signal.SYN_RETRANSMIT, "tcp", "10.9.9.9",
             5000, "10.250.0.9", 6711, 1)
    table.add_fields(*mixed)
    aware = (START.astimezone(), *mixed[1:])
    with pytest.raises(TypeError):
        table.add_fields(*aware)
    with pytest.raises(TypeError):
        python.add_fields(*mixed)
        python.add_fields(*aware)


def test_a_packed_recording_replays_as_the_fold_itself(tmp_path: Any) -> None:
    """A worker's recording (the ASA scanner packs its drops, Python lines stay whole) made
    by the C table, by Python (`Recording.replay`), and the block folded directly: equal."""
    from benchmarks.asa_traffic import write_log
    from connectors.base import Recording, SourceSpec
    from connectors.logs.cisco_asa import AsaLogParser

    log = tmp_path / "fw.log"
    write_log(log, 30_000)
    text = log.read_text()
    text += ("Nov 25 2026 10:00:00: %ASA-4-419002: Received duplicate TCP SYN from "
             "dc:2001:db8::5/40001 to fab:2001:db8:99::9/6711 with different initial "
             "sequence number.\n")   # IPv6: read in Python, recorded whole
    spec = SourceSpec("fw", "cisco-asa")
    held = {"10.20.9.9"}

    def parser() -> AsaLogParser:
        made = AsaLogParser(spec, clock=datetime(2026, 11, 26))
        made.evidence_only = True
        made.answered_for = held
        return made

    recording = Recording()
    parser().fold_block(text, recording)
    assert recording.calls and len(recording.blob) > 1000 * 36, "both kinds were recorded"
    # each time, message id, signal and protocol once, not per call (addresses mostly new)
    assert len(recording.objects) < 3 * len(recording.blob) // 36
    sent = pickle.loads(pickle.dumps(recording))
    direct = TrafficIndex(held, is_noise=is_noise, native=False)
    parser().fold_block(text, direct)
    by_c = TrafficIndex(held, is_noise=is_noise)
    by_c.add_recording(sent)
    by_python = TrafficIndex(held, is_noise=is_noise, native=False)
    by_python.add_recording(sent)
    assert view(by_c) == view(direct) == view(by_python)
    assert len(view(direct)[0]) > 100


def test_a_broken_recording_is_refused_not_misread() -> None:
    from connectors.base import PYTHON_CALL, RECORD, Recording

    table = pair(100)[0]
    packed = table._table.add_packed  # type: ignore[union-attr]
    with pytest.raises(ValueError, match="nine int32"):
        packed(b"\0" * 35, [], [], table.add_fields)
    with pytest.raises(ValueError, match="names no object"):
        packed(RECORD.pack(-1, 0, 0, 0, 0, 5, 7, 161, 1), ["419002"], [], table.add_fields)
    with pytest.raises(ValueError, match="marks more calls"):
        packed(PYTHON_CALL, [], [], table.add_fields)
    with pytest.raises(ValueError, match="does not mark"):
        packed(b"", [], [(None,) * 9], table.add_fields)
    recording = Recording()
    recording.add_fields(START, "419002", Signal.SYN_RETRANSMIT, "tcp", "10.1.1.1", 5,
                         "10.250.0.9", 6711, 1)
    table.add_recording(recording)
    assert [k for k in table.flows] == [("10.1.1.1", "10.250.0.9", "tcp", 6711)]


def test_choosing_the_busiest_reads_the_table_without_draining_it() -> None:
    """`flow_counts` and `flow` (what ghost flows need) read the C table as it stands; the
    fold goes on in C afterwards and still equals Python's."""
    table, python = pair(300)
    calls = events(8, 6000)
    for call in calls[:3000]:
        table.add_fields(*call)
        python.add_fields(*call)
    assert table.flow_counts() == [(k, t.count) for k, t in python.flows.items()]
    some = [k for k, _ in table.flow_counts()[::7]]
    for key in some:
        got, want = table.flow(key), python.flows[key]
        assert got is not None
        assert (got.count, got.first, got.last, got.signals, got.messages, list(got.sports),
                got.hours) == (want.count, want.first, want.last, want.signals, want.messages,
                               list(want.sports), want.hours)
    assert table.flow(("10.0.0.1", "10.0.0.2", "tcp", 1)) is None
    assert table._table is not None   # still folding in C
    for call in calls[3000:]:
        table.add_fields(*call)
        python.add_fields(*call)
    assert view(table) == view(python)


def test_each_sender_is_asked_once_whether_it_is_outside() -> None:
    """`is_noise` (a network look-up) is asked once per sender, not once per new flow: on
    the benchmark's traffic 217,732 new flows came from 8,996 senders."""
    asked: list[str] = []

    def counting(src: str) -> bool:
        asked.append(src)
        return is_noise(src)

    table = TrafficIndex(set(), is_noise=counting)
    python = TrafficIndex(set(), is_noise=is_noise, native=False)
    for call in events(9, 8000):
        table.add_fields(*call)
        python.add_fields(*call)
    assert view(table) == view(python)
    assert len(asked) == len(set(asked)) > 100

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
    # the brief a ghost flow shows, from C and from Python's tally alike
    for key in some:
        want = python.flows[key]
        assert table.flow_brief(key) == python.flow_brief(key) == (
            want.count, want.first, want.last, tuple(want.signals), tuple(want.sports))
    assert table.flow_brief(("10.0.0.1", "10.0.0.2", "tcp", 1)) is None
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


# Address texts of every kind the ghost-flow order tells apart: IPv4 and IPv6 (numeric),
# host names and the `*` of folded flows (by text, last), and the odd texts the C order hands
# to the Python reading (not ASCII, a NUL) or reads as names (leading zeros, a zone, spaces).
ODD_ADDRESSES = ["2001:db8::7", "::1", "::ffff:10.0.0.9", "2001:db8::10", "fe80::1%eth0",
                 "nms.example.net", "printer", "", "héllo.example", "a\x00b", "010.0.0.1",
                 "10.0.0.1 ", "1.2.3", "255.255.255.255", "0.0.0.0", "10.0.0.256"]


def ranking_calls(seed: int, n: int) -> list[tuple[Any, ...]]:
    """Drops whose flows tie a lot (counts of 1 to 3), to addresses of every kind."""
    rng = random.Random(seed)
    v4 = [f"10.{rng.randrange(3)}.{rng.randrange(4)}.{rng.randrange(1, 30)}" for _ in range(60)]
    senders = v4[:20] + ["2001:db8::1", "nms.example.net", "héllo.example", "010.0.0.1"]
    targets = v4 + ODD_ADDRESSES
    calls = []
    for _ in range(n):
        signal, message = rng.choice(DROPS)
        calls.append((START + timedelta(seconds=rng.randrange(7200)), message, signal,
                      rng.choice(("tcp", "udp", None)), rng.choice(senders),
                      rng.randrange(1024, 65536), rng.choice(targets),
                      rng.choice((161, 22, 0, None)), rng.choice((1, 1, 1, 2, 3))))
    return calls


@pytest.mark.parametrize("seed,max_flows", [(10, 100_000), (11, 400)])
def test_the_table_ranks_ghost_flows_as_python_sorts_them(seed: int, max_flows: int) -> None:
    """The C choice of the busiest flows (`ranked_flows`) equals the Python sort of every
    flow's count: ties at the cut-off, IPv6, names, folded `*` keys, held destinations."""
    from auditor.reconcile import _ranked_flows, address_sort_key

    table = TrafficIndex(set(), max_flows=max_flows)
    python = TrafficIndex(set(), max_flows=max_flows, native=False)
    for call in ranking_calls(seed, 3000):
        table.add_fields(*call)
        python.add_fields(*call)
    counts = python.flow_counts()
    held = {counts[0][0][1], counts[-1][0][1], "::1", "printer"}
    if max_flows < 1000:
        assert any(key[0] == "*" for key, _ in counts), "folded flows reached"
    for limit in (1, 7, 50, 333, len(counts) - 1, len(counts) + 5):
        got = table.ranked_flows(held, limit, address_sort_key)
        want = _ranked_flows(counts, held, limit)
        assert got is not None and got == want, limit
        listed, rest, lines = got
        assert len(listed) == min(limit, len(counts) - sum(k[1] in held for k, _ in counts))
        assert rest + len(listed) == sum(k[1] not in held for k, _ in counts)
        assert lines + sum(n for _, n in listed) == sum(n for k, n in counts if k[1] not in held)
    # the cut-off fell inside a tie, where only the address order decides
    ranked = sorted((n for k, n in counts if k[1] not in held), reverse=True)
    assert ranked[49] == ranked[50] and ranked[332] == ranked[333]
    listed_dsts = {key[1] for key, _ in table.ranked_flows(held, len(counts), address_sort_key)[0]}
    assert {"2001:db8::7", "héllo.example", "a\x00b", "", "*"} & listed_dsts
    assert table._table is not None, "ranking reads the table without draining it"


def test_keys_only_python_can_order_are_left_to_python() -> None:
    """A port that is no int (here a float a dict finds equal to the int) makes the table
    decline (None); the flows are the same ones either way."""
    from auditor.reconcile import address_sort_key

    table, python = pair(100_000)
    for index in (table, python):
        index.add_fields(START, "106023", Signal.ACL_DENY, "tcp", "10.0.0.1", 5, "10.250.9.9",
                         161, 1)
        index.add_fields(START, "106023", Signal.ACL_DENY, "tcp", "10.0.0.1", 6, "10.250.9.9",
                         161.0, 2)   # the same flow: 161.0 == 161, and hashes the same
        index.add_fields(START, "106023", Signal.ACL_DENY, "tcp", "10.0.0.2", 6, "10.250.9.9",
                         80.5, 1)
    assert table.ranked_flows(set(), 10, address_sort_key) is None
    assert view(table) == view(python)
    assert [t.count for t in table.flows.values()] == [3, 1]


def test_equal_key_parts_find_one_flow_as_a_dict_does() -> None:
    """The table hashes a key's parts, never the tuple: parts equal but not identical (texts
    of another recording, `True` for 1, a str subclass) are the same flow, as in a dict."""

    class Text(str):
        pass

    table, python = pair(100_000)
    src = "10.0.0.1"
    same_src = "".join(["10.0.0.", "1"])
    assert same_src is not src
    for index in (table, python):
        for sender, port in ((src, 1), (same_src, True), (Text(src), 1), (src, 1.0)):
            index.add_fields(START, "106023", Signal.ACL_DENY, "tcp", sender, 5, "10.250.9.9",
                             port, 1)
        index.add_fields(START, "106023", Signal.ACL_DENY, Text("tcp"), src, 5, "10.250.9.9",
                         2, 1)
    assert view(table) == view(python)
    assert [t.count for t in table.flows.values()] == [4, 1]


def test_recordings_of_many_blocks_replay_as_one_python_pass(tmp_path: Any) -> None:
    """Blocks recorded apart hold their own text objects: equal flows across blocks still
    meet (the packed path's lookups by value), past the cap too."""
    from benchmarks.asa_traffic import write_log
    from connectors.base import Recording, SourceSpec
    from connectors.logs.cisco_asa import AsaLogParser

    log = tmp_path / "fw.log"
    write_log(log, 40_000)
    lines = log.read_text().splitlines(keepends=True)
    spec = SourceSpec("fw", "cisco-asa")

    def parser() -> AsaLogParser:
        made = AsaLogParser(spec, clock=datetime(2026, 11, 26))
        made.evidence_only = True
        made.answered_for = set()
        return made

    by_c = TrafficIndex(set(), max_flows=3000)
    by_python = TrafficIndex(set(), max_flows=3000, native=False)
    for start in range(0, len(lines), 5000):
        recording = Recording()
        parser().fold_block("".join(lines[start:start + 5000]), recording)
        sent = pickle.loads(pickle.dumps(recording))
        by_c.add_recording(sent)
        by_python.add_recording(sent)
    want = view(by_python)
    assert view(by_c) == want
    assert want[1] > 0, "the cap was reached"
    assert any(f[1] > 1 and f[0][0] != "*" for f in want[0]), "flows met again"

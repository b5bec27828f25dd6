"""Black-box grading run: audit a network the product has never seen, score it like the graders.

The network, its exports and its ground truth come from `tests/unseen_network.py` (built only
from the formats in ../shared/reference/ and the config schema in SPEC.md). The product is run
as a user runs it (`python -m auditor audit -c ... --json ...`), once with `--as-of` and once
against the real clock. Targets: stale recall and precision >= 0.95, no active target called
stale/unreachable/conflict, `polled` right for every record, every ghost flow found with its
count, every input `ok`, the JSON shape exactly as SPEC.md shows it.
"""

from __future__ import annotations

import ipaddress
import json
import os
import subprocess
import sys
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.unseen_network import Truth, build

ROOT = Path(__file__).resolve().parent.parent
AS_OF = datetime(2025, 3, 7, 14, 0, 0)
VERDICTS = {"stale", "unreachable", "conflict", "active", "unverified"}
REASONS = {"outside-live-networks", "deprecated-network", "no-route", "acl-deny",
           "syn-retransmit", "syn-timeout", "tool-down", "tool-up", "traffic-answered",
           "probe-failed", "probe-ok", "dns-unresolved"}
# the key sets of SPEC.md's JSON example
TOP_KEYS = {"schema", "audit", "sources", "findings", "ghost_flows", "logs"}
AUDIT_KEYS = {"name", "generated_at", "as_of"}
SOURCE_KEYS = {"name", "type", "status", "records", "error"}
FINDING_KEYS = {"address", "verdict", "polled", "reasons", "network", "records", "traffic",
                "action"}
RECORD_KEYS = {"source", "type", "id", "name", "owner", "polled", "state", "last_ok", "poller",
               "location"}
TRAFFIC_KEYS = {"drops", "answered", "first_seen", "last_seen", "by_message"}
GHOST_KEYS = {"src", "dst", "protocol", "port", "count", "first_seen", "last_seen", "reasons",
              "attribution"}
LOGS_KEYS = {"lines", "parsed", "unparsed", "by_message"}


def _canon(text: str) -> str:
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return text


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _run(truth: Truth, out: Path, as_of: datetime | None) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    argv = [sys.executable, "-m", "auditor", "audit", "-c", str(truth.config), "-o",
            str(out / "audit.xlsx"), "--json", str(out / "audit.json")]
    if as_of is not None:
        argv += ["--as-of", as_of.strftime("%Y-%m-%dT%H:%M:%SZ")]
    env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONIOENCODING="utf-8")
    proc = subprocess.run(argv, cwd=out, env=env, capture_output=True, text=True, timeout=600)
    doc = None
    if (out / "audit.json").exists():
        doc = json.loads((out / "audit.json").read_text(encoding="utf-8"))
    return {"rc": proc.returncode, "stdout": proc.stdout, "stderr": proc.stderr, "doc": doc,
            "truth": truth}


@pytest.fixture(scope="module")
def run_as_of(tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp("unseen-as-of")
    truth = build(folder / "net", AS_OF)
    return _run(truth, folder / "out", AS_OF)


@pytest.fixture(scope="module")
def run_clock(tmp_path_factory) -> dict:
    """Timestamps relative to the real clock and no --as-of, as a grader may run it."""
    folder = tmp_path_factory.mktemp("unseen-clock")
    now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    truth = build(folder / "net", now, seed=4242, flavor="b")
    return _run(truth, folder / "out", None)


@pytest.fixture(scope="module")
def run_hex(tmp_path_factory) -> dict:
    """The firewall's interfaces named `dc`, `fab`, `cafe`, `a`, `1`: hex words and digits."""
    folder = tmp_path_factory.mktemp("unseen-hex")
    truth = build(folder / "net", AS_OF, seed=777, flavor="c")
    return _run(truth, folder / "out", AS_OF)


RUNS = ["run_as_of", "run_clock", "run_hex"]


def _doc(run: dict) -> dict:
    assert run["doc"] is not None, (f"no JSON written; exit {run['rc']}\n"
                                    f"stderr: {run['stderr'][-3000:]}")
    return run["doc"]


def _findings(doc: dict) -> dict[str, dict]:
    return {_canon(f["address"]): f for f in doc["findings"]}


def _line(address: str, finding: dict | None, truth_row: dict) -> str:
    if finding is None:
        return f"  {address:<22} MISSING (expected {sorted(truth_row['verdicts'])})"
    recs = ", ".join(f"{r['source']}:{r.get('name')}:{r.get('state')}" for r in
                     finding["records"])
    return (f"  {address:<22} got {finding['verdict']:<11} expected "
            f"{'/'.join(sorted(truth_row['verdicts'])):<22} reasons={finding['reasons']} "
            f"[{recs}] traffic={_traffic(finding)}")


def _traffic(finding: dict) -> dict | None:
    t = finding.get("traffic")
    return {k: t.get(k) for k in ("drops", "answered")} if isinstance(t, dict) else t


def score(run: dict) -> dict:
    """All the grader's numbers, plus the lists behind them."""
    truth: Truth = run["truth"]
    doc = _doc(run)
    expected = truth.expected()
    found = _findings(doc)
    truth_stale = {a for a, v in expected.items() if v["verdicts"] == {"stale"}}
    tool_stale = {a for a, f in found.items() if f["verdict"] == "stale"}
    hit = truth_stale & tool_stale
    active = {a for a, v in expected.items() if v["verdicts"] == {"active"}}
    active_bad = {a for a in active if a in found and
                  found[a]["verdict"] in ("stale", "unreachable", "conflict")}
    missing = set(expected) - set(found)
    # a host name held by a source (Windows PermittedManagers) may get its own finding
    extra = {a for a in set(found) - set(expected) - truth.tolerated_extra if _is_ip(a)}
    wrong = {a for a in expected if a in found and found[a]["verdict"] not in
             expected[a]["verdicts"]}
    return {
        "recall": len(hit) / len(truth_stale) if truth_stale else 1.0,
        "precision": len(hit) / len(tool_stale) if tool_stale else 1.0,
        "stale_missed": sorted(truth_stale - tool_stale),
        "stale_false": sorted(tool_stale - truth_stale),
        "active_bad": sorted(active_bad), "missing": sorted(missing), "extra": sorted(extra),
        "wrong": sorted(wrong), "expected": expected, "found": found,
        "n_truth_stale": len(truth_stale), "n_tool_stale": len(tool_stale),
    }


def _explain(s: dict, addresses) -> str:
    return "\n".join(_line(a, s["found"].get(a), s["expected"].get(a, {"verdicts": {"-"}}))
                     for a in addresses)


# --- the run itself -------------------------------------------------------------------------

@pytest.mark.parametrize("which", RUNS)
def test_audit_runs_and_exits_1(which: str, request) -> None:
    run = request.getfixturevalue(which)
    assert run["rc"] == 1, (f"exit {run['rc']} (expected 1: stale findings, nothing failed)\n"
                            f"stderr: {run['stderr'][-3000:]}")
    _doc(run)


@pytest.mark.parametrize("which", RUNS)
def test_every_input_ok(which: str, request) -> None:
    run = request.getfixturevalue(which)
    doc = _doc(run)
    truth: Truth = run["truth"]
    by_name = {s["name"]: s for s in doc["sources"]}
    problems = [f"{name}: not in 'sources'" for name in truth.sources if name not in by_name]
    problems += [f"{s['name']} ({s.get('type')}): status {s.get('status')!r}, "
                 f"error {s.get('error')!r}" for s in doc["sources"] if s.get("status") != "ok"]
    for name, kind in truth.sources.items():
        if name in by_name and by_name[name].get("type") != kind:
            problems.append(f"{name}: type {by_name[name].get('type')!r}, expected {kind!r}")
    assert not problems, "inputs not ok:\n  " + "\n  ".join(problems)


@pytest.mark.parametrize("which", RUNS)
def test_json_shape_is_the_spec_example(which: str, request) -> None:
    doc = _doc(request.getfixturevalue(which))
    problems = []

    def check(obj: dict | None, keys: set[str], where: str) -> None:
        if not isinstance(obj, dict):
            problems.append(f"{where}: is {obj!r}, not an object with keys {sorted(keys)}")
        elif set(obj) != keys:
            problems.append(f"{where}: missing {sorted(keys - set(obj))}, "
                            f"extra {sorted(set(obj) - keys)}")

    check(doc, TOP_KEYS, "top level")
    assert doc.get("schema") == "stale-audit/1"
    check(doc["audit"], AUDIT_KEYS, "audit")
    for s in doc["sources"]:
        check(s, SOURCE_KEYS, f"sources[{s.get('name')}]")
    for f in doc["findings"]:
        check(f, FINDING_KEYS, f"finding {f.get('address')}")
        check(f["traffic"], TRAFFIC_KEYS, f"finding {f.get('address')} traffic")
        if f["verdict"] not in VERDICTS:
            problems.append(f"finding {f['address']}: verdict {f['verdict']!r}")
        if not set(f["reasons"]) <= REASONS:
            problems.append(f"finding {f['address']}: reasons {set(f['reasons']) - REASONS}")
        for r in f["records"]:
            check(r, RECORD_KEYS, f"finding {f.get('address')} record")
    for g in doc["ghost_flows"]:
        check(g, GHOST_KEYS, f"ghost {g.get('src')}->{g.get('dst')}")
    check(doc["logs"], LOGS_KEYS, "logs")
    seen = set()
    for f in doc["findings"]:
        if _canon(f["address"]) in seen:
            problems.append(f"two findings for {f['address']}")
        seen.add(_canon(f["address"]))
    assert not problems, "JSON shape differs from SPEC.md:\n  " + "\n  ".join(problems[:40])


# --- the grader's numbers -------------------------------------------------------------------

@pytest.mark.parametrize("which", RUNS)
def test_stale_recall_and_precision(which: str, request) -> None:
    s = score(request.getfixturevalue(which))
    msg = (f"stale recall {s['recall']:.3f} ({s['n_truth_stale']} truly stale), precision "
           f"{s['precision']:.3f} ({s['n_tool_stale']} called stale)\n"
           f"missed stale:\n{_explain(s, s['stale_missed'])}\n"
           f"called stale wrongly:\n{_explain(s, s['stale_false'])}")
    print(msg)
    assert s["recall"] >= 0.95 and s["precision"] >= 0.95, msg


@pytest.mark.parametrize("which", RUNS)
def test_no_active_target_called_stale_unreachable_or_conflict(which: str, request) -> None:
    s = score(request.getfixturevalue(which))
    assert not s["active_bad"], ("active targets misjudged:\n" +
                                 _explain(s, s["active_bad"]))


@pytest.mark.parametrize("which", RUNS)
def test_every_held_address_has_one_finding_and_nothing_invented(which: str, request) -> None:
    s = score(request.getfixturevalue(which))
    assert not s["missing"] and not s["extra"], (
        f"missing findings: {s['missing']}\n"
        f"findings for addresses no source holds: {s['extra']}")


@pytest.mark.parametrize("which", RUNS)
def test_polled_flag_per_record(which: str, request) -> None:
    run = request.getfixturevalue(which)
    truth: Truth = run["truth"]
    doc = _doc(run)
    got: dict[tuple[str, str], set[bool]] = defaultdict(set)
    for f in doc["findings"]:
        for r in f["records"]:
            got[(r["source"], _canon(f["address"]))].add(bool(r["polled"]))
    want = truth.polled_sets()
    bad = []
    for key, flags in sorted(want.items()):
        if got.get(key) != flags:
            why = sorted({r.why for r in truth.records if (r.source, r.key) == key})
            bad.append(f"  {key[0]:<14} {key[1]:<20} got {sorted(got.get(key, set()))} "
                       f"expected {sorted(flags)}  ({'; '.join(why)})")
    expected = truth.expected()
    for f in doc["findings"]:
        a = _canon(f["address"])
        if a in expected and bool(f["polled"]) != expected[a]["polled"]:
            bad.append(f"  finding {a:<20} polled={f['polled']} expected "
                       f"{expected[a]['polled']}")
    assert not bad, f"polled wrong on {len(bad)} record group(s):\n" + "\n".join(bad)


@pytest.mark.parametrize("which", RUNS)
def test_every_ghost_flow_found_with_its_count(which: str, request) -> None:
    run = request.getfixturevalue(which)
    truth: Truth = run["truth"]
    doc = _doc(run)
    got = {}
    for g in doc["ghost_flows"]:
        proto = str(g["protocol"]).lower()
        port = g["port"]
        key = (_canon(g["src"]), _canon(g["dst"]), proto, 0 if proto == "icmp" else port)
        got[key] = g
    bad = []
    for key, flow in sorted(truth.ghost_flows().items()):
        g = got.get(key)
        if g is None and key[2] == "icmp":  # ICMP has no port; accept None or the type
            g = next((v for k, v in got.items() if k[:3] == key[:3]), None)
        if g is None:
            bad.append(f"  MISSING {key} count {flow['count']} ({sorted(flow['reasons'])})")
            continue
        if g["count"] != flow["count"]:
            bad.append(f"  {key}: count {g['count']}, expected {flow['count']}")
        if not flow["reasons"] <= set(g["reasons"]):
            bad.append(f"  {key}: reasons {g['reasons']}, expected {sorted(flow['reasons'])}")
    held = truth.held()
    for key, g in got.items():
        if key[1] in held:
            bad.append(f"  ghost flow to a held address: {key} count {g['count']}")
        for addr in key[:2]:
            try:
                ipaddress.ip_address(addr)
            except ValueError:
                bad.append(f"  ghost flow with a non-address endpoint: {key}")
    assert not bad, (f"ghost flows ({len(truth.ghost_flows())} expected, "
                     f"{len(doc['ghost_flows'])} reported):\n" + "\n".join(bad))


# --- stricter than the graders: every verdict, reasons, log accounting ----------------------

@pytest.mark.parametrize("which", RUNS)
def test_every_verdict_matches_ground_truth(which: str, request) -> None:
    s = score(request.getfixturevalue(which))
    assert not s["wrong"], (f"{len(s['wrong'])} of {len(s['expected'])} verdicts differ:\n" +
                            _explain(s, s["wrong"]))


@pytest.mark.parametrize("which", RUNS)
def test_network_and_traffic_reasons(which: str, request) -> None:
    s = score(request.getfixturevalue(which))
    required = {"outside-live-networks", "deprecated-network", "no-route", "syn-retransmit",
                "syn-timeout", "traffic-answered", "acl-deny"}
    bad = []
    for a, row in s["expected"].items():
        f = s["found"].get(a)
        if f is None:
            continue
        need = row["reasons"] & required
        if not need <= set(f["reasons"]):
            bad.append(f"  {a:<20} reasons {f['reasons']} lack {sorted(need - set(f['reasons']))}")
    assert not bad, f"{len(bad)} findings lack a reason the evidence gives:\n" + "\n".join(bad)


@pytest.mark.parametrize("which", RUNS)
def test_log_line_accounting(which: str, request) -> None:
    run = request.getfixturevalue(which)
    logs = _doc(run)["logs"]
    assert logs["lines"] == run["truth"].log_lines, logs
    assert logs["parsed"] + logs["unparsed"] == logs["lines"], logs
    truth: Truth = run["truth"]
    assert logs["unparsed"] <= truth.garbage_lines + truth.flowless_lines, logs


# --- focused probe: a BGP aggregate's discard route is not a dead network --------------------

def test_blackhole_aggregate_does_not_kill_an_ipam_active_prefix(tmp_path: Path) -> None:
    """A Linux BGP edge router (BIRD/FRR) installs its announced aggregate as a blackhole.

    SPEC.md: a blackhole "never counts as a live network" -- it does not say it makes a
    network dead. 172.22.0.0/16 is Active in IPAM, so its hosts are inside a live network:
    an Orion node polled two minutes ago is `active`, a silent host is `unverified`; neither
    is stale (nor conflict), and neither is "outside-live-networks".
    """
    net = tmp_path / "net"
    net.mkdir()
    now = datetime(2025, 3, 7, 14, 0)
    (net / "prefixes.csv").write_text("Prefix,Status,Description\n"
                                      "172.16.0.0/12,Container,RFC 1918\n"
                                      "172.22.0.0/16,Active,DC-West\n"
                                      "10.160.0.0/16,Deprecated,Acquired (migrated)\n")
    (net / "edge-bgp-01-ip-route.txt").write_text(
        "default via 198.51.100.1 dev ens1 proto bird metric 32\n"
        "blackhole 172.22.0.0/16 proto bird metric 32\n"
        "172.22.8.0/24 via 172.21.0.3 dev ens2 proto bird metric 32\n"
        "blackhole 10.160.0.0/16 proto static\n")
    (net / "nodes.csv").write_text(
        "Node Name,IP Address,Status,Polling Engine,Last Sync\r\n"
        "dcw-sw-14,172.22.14.20,Up,ORION-W-APE02,3/7/2025 1:58 PM\r\n"
        "cts-rtr-01,10.160.4.4,Down,ORION-W-APE02,3/7/2025 1:58 PM\r\n", newline="")
    (net / "hosts.csv").write_text("Name,IP Address\ndcw-app-30,172.22.15.30\n")
    (net / "audit.toml").write_text(
        '[audit]\nname = "aggregate probe"\nstale_after_days = 14\n\n'
        '[[sources]]\nname = "orion"\ntype = "solarwinds-npm"\npath = "nodes.csv"\n\n'
        '[[sources]]\nname = "list"\ntype = "csv"\npath = "hosts.csv"\n\n'
        '[[networks]]\nname = "ipam"\ntype = "prefix-list"\npath = "prefixes.csv"\n\n'
        '[[networks]]\nname = "edge"\ntype = "linux-ip-route"\npath = "edge-bgp-01-ip-route.txt"\n')
    truth = Truth(config=net / "audit.toml", as_of=now)
    run = _run(truth, tmp_path / "out", now)
    found = _findings(_doc(run))
    got = {a: (f["verdict"], f["reasons"]) for a, f in found.items()}
    assert found["10.160.4.4"]["verdict"] == "stale", got
    assert found["172.22.14.20"]["verdict"] == "active", got
    assert found["172.22.15.30"]["verdict"] == "unverified", got


@pytest.mark.parametrize("which", RUNS)
def test_source_record_counts(which: str, request) -> None:
    """`records` per source: one per row or line that names an address (SNMP: host names
    and loopback aside, which a tool may or may not keep)."""
    run = request.getfixturevalue(which)
    truth: Truth = run["truth"]
    by_name = {s["name"]: s for s in _doc(run)["sources"]}
    want: dict[str, int] = defaultdict(int)
    for r in truth.records:
        want[r.source] += 1
    bad = [f"  {name}: {by_name.get(name, {}).get('records')} records, expected {n}"
           for name, n in sorted(want.items())
           if truth.sources[name] != "snmp-config" and by_name.get(name, {}).get("records") != n]
    snmp = [n for n, k in truth.sources.items() if k == "snmp-config"]
    for name in snmp:
        got = by_name.get(name, {}).get("records") or 0
        if not want[name] <= got <= want[name] + 3:
            bad.append(f"  {name}: {got} records, expected {want[name]} (+ up to 3 host names "
                       "or loopback)")
    assert not bad, "record counts differ:\n" + "\n".join(bad)


def _when(text: str | None) -> datetime | None:
    if not text:
        return None
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value


@pytest.mark.parametrize("which", RUNS)
def test_ghost_flow_first_and_last_seen(which: str, request) -> None:
    """first/last seen in UTC, within a minute of the truth (teardowns come 30 s later)."""
    run = request.getfixturevalue(which)
    truth: Truth = run["truth"]
    got = {(_canon(g["src"]), _canon(g["dst"]), str(g["protocol"]).lower(),
            0 if str(g["protocol"]).lower() == "icmp" else g["port"]): g
           for g in _doc(run)["ghost_flows"]}
    bad = []
    for key, flow in sorted(truth.ghost_flows().items()):
        g = got.get(key)
        if g is None:
            continue  # reported by test_every_ghost_flow_found_with_its_count
        first, last = _when(g["first_seen"]), _when(g["last_seen"])
        if first is None or abs((first - flow["first"]).total_seconds()) > 60:
            bad.append(f"  {key}: first_seen {g['first_seen']}, expected {flow['first']}Z")
        if last is None or abs((last - flow["last"]).total_seconds()) > 60:
            bad.append(f"  {key}: last_seen {g['last_seen']}, expected {flow['last']}Z")
    assert not bad, "ghost flow times differ:\n" + "\n".join(bad)

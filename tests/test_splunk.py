"""`[[logs]] type = "splunk"`: the fold pushed down into Splunk equals the local fold.

The loopback server answers `POST /services/search/v2/jobs/export` as Splunk documents it
(form fields, one JSON document per line), computing its answer FROM a generated ASA log:
parsed with our own parser, grouped as the SPL it was sent asks (aggregate), or the filtered
lines (raw). So "Splunk's fold == the local fold of the same file" is checked exactly.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from html import escape as html_escape
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote

import pytest

from auditor.cli import main
from auditor.logfold import fold_input
from auditor.model import DROP_SIGNALS, LogStats, SourceStatus
from auditor.traffic import TrafficIndex
from benchmarks.asa_traffic import write_log
from connectors.base import SourceSpec
from connectors.logs.cisco_asa import AsaLogParser
from tests.replay_server import ReplayServer, Reply, Request, replies

AS_OF = datetime(2026, 11, 29)
TOKEN = "sPlUnK-t0ken-5ecret"
EXPORT = "/services/search/v2/jobs/export"


@pytest.fixture(scope="module")
def log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("splunk") / "fw.log"
    write_log(path, 6000)
    return path


def _epoch(when: datetime) -> str:
    return f"{when.replace(tzinfo=UTC).timestamp():.3f}"


def splunk_export(log: Path, *, extra: list[str] | None = None) -> Any:
    """A handler answering the export endpoint from `log`, as Splunk would."""

    def handle(request: Request) -> Reply:
        if request.header("Authorization") != f"Bearer {TOKEN}":
            return Reply.json({"messages": [{"type": "WARN", "text": "call not properly "
                                             "authenticated"}]}, status=401)
        form = {k: v[-1] for k, v in parse_qs(request.body.decode()).items()}
        assert form["output_mode"] == "json" and form["earliest_time"] == "-30d@d"
        search = form["search"]
        assert search.startswith('search index=firewall sourcetype IN ("cisco:asa")')
        ids = set(re.findall(r'"(\d{6})"', search.split("message_id IN", 1)[1]))
        events = [e for e in AsaLogParser(SourceSpec("fw", "cisco-asa"), clock=AS_OF)
                  .parse(log.open()) if e.message in ids]
        docs: list[str] = [json.dumps({"preview": True, "result": {"junk": "1"}})]
        if "stats count" in search:
            rows: dict[tuple[Any, ...], list[Any]] = {}
            for e in events:
                if e.signal not in DROP_SIGNALS or e.src is None or e.dst is None:
                    continue
                key = (e.time.replace(minute=0, second=0), e.device, e.message, e.src,
                       e.dst, e.protocol, e.dport)
                row = rows.setdefault(key, [0, e.time, e.time])
                row[0] += e.count
                row[1], row[2] = min(row[1], e.time), max(row[2], e.time)
            for (hour, dvc, msg, src, dst, proto, dport), (n, first, last) in rows.items():
                docs.append(json.dumps({"preview": False, "offset": len(docs), "result": {
                    "hour": _epoch(hour), "dvc": dvc, "message_id": msg, "src": src,
                    "dest": dst, "transport": proto, "dest_port": str(dport or ""),
                    "n": str(n), "first_seen": _epoch(first), "last_seen": _epoch(last)}}))
        else:
            wanted = {e.line for e in events}
            for number, line in enumerate(log.open(), 1):
                if number in wanted:
                    docs.append(json.dumps({"preview": False, "result":
                                            {"_raw": line.rstrip("\n")}}))
        docs += extra or []
        return Reply(200, {"Content-Type": "application/json"},
                     "\n".join(docs).encode() + b"\n")
    return handle


def _spec(server: ReplayServer, mode: str) -> SourceSpec:
    return SourceSpec("siem", "splunk", url=server.url, options={
        "token_env": "SPLUNK_TOKEN", "mode": mode, "earliest": "-30d@d",
        "search": 'index=firewall sourcetype IN ("cisco:asa")', "retries": 2})


def _audit_config(folder: Path, server: ReplayServer, more: str = "") -> Path:
    """An audit of one address list whose logs are the Splunk input `siem`, then `more`."""
    (folder / "targets.csv").write_text("address,name\n10.99.1.1,gone\n")
    config = folder / "audit.toml"
    config.write_text(f'''[[sources]]
name = "list"
type = "csv"
path = "targets.csv"

[[logs]]
name = "siem"
type = "splunk"
url = "{server.url}"
token_env = "SPLUNK_TOKEN"
search = 'index=firewall sourcetype IN ("cisco:asa")'
earliest = "-30d@d"
{more}''')
    return config


class Only:
    """A fold that passes on only some messages (what the aggregate search trusts)."""

    def __init__(self, traffic: TrafficIndex, messages: set[str]) -> None:
        self.traffic, self.messages = traffic, messages
        self.held = traffic.held

    def add(self, event: Any) -> None:
        if event.message in self.messages:
            self.traffic.add(event)

    def add_fields(self, *fields: Any) -> None:
        if fields[1] in self.messages:
            self.traffic.add_fields(*fields)

    def drop_adder(self) -> Any:
        return self.add_fields


def _flows(traffic: TrafficIndex, *, sports: bool) -> dict[Any, Any]:
    return {key: (t.count, t.first, t.last, dict(t.messages), dict(t.signals), dict(t.hours),
                  sorted(t.sports) if sports else None)
            for key, t in traffic.drop_flows()}


def test_aggregate_fold_equals_local_fold_of_the_trusted_messages(
        server: ReplayServer, log: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from connectors.logs.splunk import AGGREGATE_MESSAGES
    monkeypatch.setenv("SPLUNK_TOKEN", TOKEN)
    server.route("POST", EXPORT, splunk_export(log))
    got, stats = TrafficIndex(), LogStats()
    status = fold_input(_spec(server, "aggregate"), got, stats, as_of=AS_OF)
    assert status.status is SourceStatus.OK and status.skipped == 0

    want = TrafficIndex()
    parser = AsaLogParser(SourceSpec("fw", "cisco-asa"), clock=AS_OF)
    parser.fold_block(log.read_text(), Only(want, set(AGGREGATE_MESSAGES)))
    flows = _flows(want, sports=False)
    assert len(flows) > 50   # deny-poller, no-route and dup-SYN flows, scans
    assert _flows(got, sports=False) == flows
    assert got.hourly == want.hourly and got.hourly_messages == want.hourly_messages
    assert stats.by_message["419002"] == sum(
            n for (_, m), n in want.hourly_messages.items() if m == "419002")
    [request] = server.requests_to("POST", EXPORT)
    search = parse_qs(request.body.decode())["search"][0]
    assert "stats count AS n min(_time) AS first_seen max(_time) AS last_seen" in search
    assert "302013" not in search and "302014" not in search   # Built/Teardown: raw only


def test_raw_fold_equals_local_fold_of_the_file(
        server: ReplayServer, log: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPLUNK_TOKEN", TOKEN)
    server.route("POST", EXPORT, splunk_export(log))
    got = TrafficIndex()
    status = fold_input(_spec(server, "raw"), got, LogStats(), as_of=AS_OF)
    assert status.status is SourceStatus.OK
    want = TrafficIndex()
    fold_input(SourceSpec("fw", "cisco-asa", (log,)), want, LogStats(), as_of=AS_OF,
               workers=1)
    assert _flows(got, sports=True) == _flows(want, sports=True)
    assert len(_flows(want, sports=True)) > 50
    answered = {dst: (t.count, t.first, t.last, t.signals) for dst, t in want.by_dst.items()}
    assert {dst: (t.count, t.first, t.last, t.signals) for dst, t in got.by_dst.items()} \
        == answered
    assert got.hourly == want.hourly


def test_expired_token_fails_the_input_and_the_audit_exits_3(
        server: ReplayServer, log: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("SPLUNK_TOKEN", "expired-" + TOKEN)
    server.route("POST", EXPORT, splunk_export(log))
    status = fold_input(_spec(server, "aggregate"), TrafficIndex(), LogStats(), as_of=AS_OF)
    assert status.status is SourceStatus.FAILED
    assert "HTTP 401" in (status.error or "") and "SPLUNK_TOKEN" in (status.error or "")
    assert EXPORT in (status.error or "") and TOKEN not in (status.error or "")

    config = _audit_config(tmp_path, server, "retries = 0\n")
    report = tmp_path / "out.json"
    assert main(["audit", "-c", str(config), "--json", str(report)]) == 3
    body = report.read_text()
    written = json.loads(body)
    assert "siem" in body and "failed" in body
    assert written
    out = capsys.readouterr()
    assert TOKEN not in body + out.out + out.err


def test_503_then_success(server: ReplayServer, log: Path,
                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPLUNK_TOKEN", TOKEN)
    good = splunk_export(log)
    calls: list[int] = []

    def handle(request: Request) -> Reply:
        calls.append(1)
        if len(calls) == 1:
            return Reply(503, {"Retry-After": "0"}, b"")
        return good(request)

    server.route("POST", EXPORT, handle)
    got = TrafficIndex()
    status = fold_input(_spec(server, "aggregate"), got, LogStats(), as_of=AS_OF)
    assert status.status is SourceStatus.OK and len(calls) == 2
    assert len(list(got.drop_flows())) > 50


def test_malformed_rows_are_counted_and_skipped(server: ReplayServer, log: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPLUNK_TOKEN", TOKEN)
    bad = [json.dumps({"preview": False, "result": {
               "dvc": "fw", "message_id": "106023", "src": "10.0.0.300", "dest": "10.99.1.1",
               "transport": "udp", "dest_port": "161", "n": "3", "first_seen": "1",
               "last_seen": "2"}}),
           '{"preview": false, "result": {"dvc": "fw", "message_id": ']
    server.route("POST", EXPORT, splunk_export(log, extra=bad))
    got = TrafficIndex()
    status = fold_input(_spec(server, "aggregate"), got, LogStats(), as_of=AS_OF)
    assert status.status is SourceStatus.OK
    assert status.skipped == 2
    assert any("src is '10.0.0.300', not an address" in n for n in status.notes)
    assert any("not JSON" in n for n in status.notes)
    assert all(TOKEN not in n for n in status.notes)
    assert len(list(got.drop_flows())) > 50   # the good rows still folded


def test_splunk_fatal_message_fails_the_input(server: ReplayServer, log: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPLUNK_TOKEN", TOKEN)
    server.route("POST", EXPORT, replies(Reply.json({"messages": [
        {"type": "FATAL", "text": "Error in 'search' command: Unable to parse the search"}]})))
    status = fold_input(_spec(server, "aggregate"), TrafficIndex(), LogStats(), as_of=AS_OF)
    assert status.status is SourceStatus.FAILED
    assert "Unable to parse the search" in (status.error or "")


def test_reports_say_where_the_traffic_was_folded(
        server: ReplayServer, log: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """Each log input shows its engine, the query it ran (no secret), the rows it returned
    and the time it took: in the JSON (no time: reproducible), the Sources sheet, the HTML
    and the terminal; a file folded here keeps the SPEC's five JSON keys."""
    import openpyxl

    from tests.outputs import output_texts

    monkeypatch.setenv("SPLUNK_TOKEN", TOKEN)
    sent: list[dict[str, str]] = []
    answer = splunk_export(log)

    def handle(request: Request) -> Reply:
        sent.append({k: v[-1] for k, v in parse_qs(request.body.decode()).items()})
        return answer(request)

    server.route("POST", EXPORT, handle)
    out = tmp_path / "out"
    config = _audit_config(tmp_path, server,
                           f'\n[[logs]]\nname = "fw-file"\ntype = "cisco-asa"\npath = "{log}"\n')
    assert main(["audit", "-c", str(config), "--json", str(out / "a.json"),
                 "-o", str(out / "a.xlsx"), "--html", str(out / "a.html")]) in (0, 1)
    printed = capsys.readouterr()
    query = sent[0]["search"]
    body = answer(Request("POST", EXPORT, {"authorization": f"Bearer {TOKEN}"},
                          "&".join(f"{k}={quote(v)}" for k, v in sent[0].items()).encode(),
                          server.url))
    rows = sum(1 for line in body.body.decode().splitlines()
               if line.strip() and json.loads(line).get("preview") is False)
    assert rows > 50

    inputs = {i["name"]: i for i in json.loads((out / "a.json").read_text())["sources"]}
    assert inputs["siem"]["engine"] == "splunk"
    assert inputs["siem"]["query"] == query and inputs["siem"]["rows"] == rows
    assert set(inputs["fw-file"]) == {"name", "type", "status", "records", "error"}

    sheet = openpyxl.load_workbook(out / "a.xlsx")["Sources"]
    table = [[c.value for c in row] for row in sheet.iter_rows()]
    head = table[0]
    by_name = {row[0]: dict(zip(head, row, strict=False)) for row in table[1:]}
    siem, local = by_name["siem"], by_name["fw-file"]
    assert (siem["Engine"], siem["Rows"], siem["Query"]) == ("splunk", rows, query)
    assert isinstance(siem["Seconds"], float) and siem["Seconds"] >= 0
    assert (local["Engine"], local["Rows"], local["Query"]) == ("local", None, None)
    assert by_name["list"]["Engine"] is None

    html = (out / "a.html").read_text()
    assert f"folded by splunk, {rows:,} rows in " in html
    assert html_escape(query) in html
    assert f"folded by splunk, {rows:,} rows in " in printed.out
    assert f"query: {query}" in printed.out
    assert not any(TOKEN in text for text in output_texts(printed, out))

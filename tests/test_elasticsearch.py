"""`[[logs]] type = "elasticsearch"` / `"opensearch"`: the fold pushed down equals the local fold.

The loopback server answers `_search` (and the point-in-time calls) as Elasticsearch
documents them, FROM a generated ASA log: each line our parser reads is indexed as the ASA
integration would (ECS fields, `event.original`, `log.offset`), and every answer is computed
from the request's own body: its filters, its composite sources, sub-aggregations and
`after`, its sort, `search_after` and point in time. So "the SIEM's fold == the local fold of
the same file" is checked exactly, and what was asked is checked by what came back.
"""

from __future__ import annotations

import base64
import ipaddress
import json
import math
import re
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from auditor.cli import main
from auditor.config import load_config
from auditor.errors import ConfigError, SourceError
from auditor.logfold import fold_input
from auditor.model import InputStatus, LogStats, SourceStatus
from auditor.traffic import TrafficIndex
from benchmarks.asa_traffic import write_log
from connectors.base import SourceSpec
from connectors.logs.cisco_asa import AsaLogParser
from connectors.logs.elasticsearch import ElasticLogSource, OpenSearchLogSource
from connectors.logs.splunk import AGGREGATE_MESSAGES
from tests.replay_server import ReplayServer, Reply, Request, replies
from tests.test_splunk import EXPORT, Only, _flows, splunk_export
from tests.test_splunk import TOKEN as SPLUNK_TOKEN

AS_OF = datetime(2026, 11, 29)
INDEX = "logs-cisco_asa.log-*"
SEARCH = f"/{INDEX}/_search"
API_KEY = "VnVhQ2ZHY0JDZGJrUW0tZTVhT3g6dWkybHAyYXhUTm1zeWFrdzl0dk5udw=="
USER, PASSWORD = "audit-reader", "pA55-w0rd-5ecret"
SECRETS = (API_KEY, PASSWORD, SPLUNK_TOKEN,
           base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode())
_ASA_ID = re.compile(r"%ASA-\d-(\d{6})")


@pytest.fixture(scope="module")
def log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("elastic") / "fw.log"
    write_log(path, 6000)
    return path


# -- the cluster ---------------------------------------------------------------------------

def _millis(when: datetime) -> int:
    return round(when.replace(tzinfo=UTC).timestamp() * 1000)


def documents(log: Path, *, in_message: int = 0) -> list[dict[str, Any]]:
    """`log` as the ASA integration indexes it: a document per line our parser reads, its
    ECS fields from our parse, its place in the file as `log.offset`. With `in_message`,
    every n-th line is kept whole in `message` only (Filebeat's module) instead of
    `event.original`."""
    parsed = {e.line: e for e in AsaLogParser(SourceSpec("fw", "cisco-asa"), clock=AS_OF)
              .parse(log.open())}
    docs: list[dict[str, Any]] = []
    offset = 0
    with log.open("rb") as fh:
        for number, raw in enumerate(fh, 1):
            e = parsed.get(number)
            if e is not None and e.time is not None:
                line = raw.decode().rstrip("\n")
                doc = {"@timestamp": _millis(e.time),
                       "observer.hostname": None if e.device == "fw" else e.device,
                       "event.code": e.message, "cisco.asa.message_id": e.message,
                       "source.ip": e.src, "destination.ip": e.dst,
                       "network.transport": e.protocol, "destination.port": e.dport,
                       "log.offset": offset, "_id": f"{number:07d}x", "_shard_doc": len(docs)}
                if in_message and len(docs) % in_message == 0:
                    doc["message"] = line
                else:
                    doc["event.original"] = line
                docs.append(doc)
            offset += len(raw)
    return docs


def _security_exception(more: str) -> Reply:
    reason = ("unable to authenticate with provided credentials and anonymous access is not "
              "allowed for this request")
    cause = {"type": "security_exception", "reason": reason,
             "additional_unsuccessful_credentials": more,
             "header": {"WWW-Authenticate": ['Basic realm="security" charset="UTF-8"',
                                             "ApiKey"]}}
    return Reply.json({"error": {"root_cause": [cause], **cause}, "status": 401}, 401,
                      {"WWW-Authenticate": "ApiKey"})


def _envelope(**rest: Any) -> dict[str, Any]:
    return {"took": 4, "timed_out": False,
            "_shards": {"total": 3, "successful": 3, "skipped": 0, "failed": 0}, **rest}


class ElasticReplay:
    """Elasticsearch's `_search`, point in time included, over `docs`, on `server`."""

    def __init__(self, server: ReplayServer, docs: list[dict[str, Any]], *,
                 pit: bool = True, after_key_on_last: bool = True,
                 extra_buckets: tuple[Any, ...] = (), basic: bool = False) -> None:
        self.docs = docs
        self.after_key_on_last = after_key_on_last
        self.extra_buckets = list(extra_buckets)
        self.basic = basic
        self.bodies: list[dict[str, Any]] = []
        """Every `_search` body received, in order."""
        self.pits: set[str] = set()
        """Points in time open now."""
        self.issued = 0
        server.route("POST", SEARCH, self.search)
        server.route("POST", "/_search", self.search)
        if pit:
            server.route("POST", f"/{INDEX}/_pit", self.open_pit)
            server.route("DELETE", "/_pit", self.close_pit)
        else:   # what Elasticsearch before 7.10 and OpenSearch answer a path they lack
            server.route("POST", f"/{INDEX}/_pit", Reply.json({
                "error": f"no handler found for uri [/{INDEX}/_pit?keep_alive=1m] and method "
                         "[POST]"}, 400))

    def refused(self, request: Request) -> Reply | None:
        header = request.header("Authorization") or ""
        if self.basic:
            pair = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
            return None if header == f"Basic {pair}" else _security_exception(
                "password authentication failed")
        return None if header == f"ApiKey {API_KEY}" else _security_exception(
            "API key: api key is expired")

    def open_pit(self, request: Request) -> Reply:
        assert request.query == {"keep_alive": "1m"}
        return self.refused(request) or Reply.json({"id": self._new_pit()})

    def close_pit(self, request: Request) -> Reply:
        pit = request.json()["id"]
        self.pits.discard(pit)
        return Reply.json({"succeeded": True, "num_freed": 1})

    def _new_pit(self) -> str:
        self.issued += 1
        pit = f"46ToAwMDaWR5BXV1aWQy-{self.issued}"
        self.pits.add(pit)
        return pit

    def search(self, request: Request) -> Reply:
        refused = self.refused(request)
        if refused:
            return refused
        body = request.json()
        self.bodies.append(body)
        pit = body.get("pit")
        if request.path == "/_search":
            assert pit is not None and pit["id"] in self.pits and pit["keep_alive"] == "1m"
            self.pits.discard(pit["id"])    # the answer's pit_id supersedes it
            return Reply.json(self.hits(body, self.matching(body), pit=True) |
                              {"pit_id": self._new_pit()})
        assert pit is None   # a point in time names its indices itself
        docs = self.matching(body)
        if "aggs" in body:
            return Reply.json(self.composite(body, docs))
        return Reply.json(self.hits(body, docs, pit=False))

    def matching(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        filters = body["query"]["bool"]["filter"]
        [(field, ids)] = next(f["terms"] for f in filters if "terms" in f).items()
        span = next(f["range"] for f in filters if "range" in f)["@timestamp"]
        assert span == {"gte": "now-30d/d", "lte": "now"}   # the config's, as written
        return [d for d in self.docs if d.get(field) in set(ids)]

    def composite(self, body: dict[str, Any], docs: list[dict[str, Any]]) -> dict[str, Any]:
        assert body["size"] == 0
        flows = body["aggs"]["flows"]
        spec = flows["composite"]
        sources = [(name, kind, how) for source in spec["sources"]
                   for name, inner in source.items() for kind, how in inner.items()]
        groups: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
        for doc in docs:
            key: list[Any] = []
            for _name, kind, how in sources:
                value = doc.get(how["field"])
                if kind == "date_histogram" and value is not None:
                    value -= value % _interval(how["fixed_interval"])
                if value is None and not how.get("missing_bucket"):
                    break
                key.append(value)
            else:
                groups.setdefault(tuple(key), []).append(doc)

        def order(key: tuple[Any, ...]) -> tuple[Any, ...]:
            return tuple((value is not None, _sortable(how["field"], value))
                         for value, (_n, _k, how) in zip(key, sources, strict=True))

        keys = sorted(groups, key=order)
        if "after" in spec:
            at = order(tuple(spec["after"][name] for name, _k, _h in sources))
            keys = [k for k in keys if order(k) > at]
        page = keys[:spec["size"]]
        buckets: list[Any] = []
        for key in page:
            members = groups[key]
            bucket: dict[str, Any] = {"key": dict(zip([s[0] for s in sources], key,
                                                      strict=True)),
                                      "doc_count": len(members)}
            for sub, agg in flows["aggs"].items():
                [(how, field)] = [(k, v["field"]) for k, v in agg.items()]
                value = (min if how == "min" else max)(d[field] for d in members)
                bucket[sub] = {"value": float(value), "value_as_string": datetime.fromtimestamp(
                    value / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")}
            buckets.append(bucket)
        if "after" not in spec:
            buckets += self.extra_buckets
        answer: dict[str, Any] = {"buckets": buckets}
        if page and (self.after_key_on_last or len(keys) > len(page)):
            answer["after_key"] = buckets[len(page) - 1]["key"]
        return _envelope(hits={"total": {"value": len(docs), "relation": "eq"},
                               "max_score": None, "hits": []},
                         aggregations={"flows": answer})

    def hits(self, body: dict[str, Any], docs: list[dict[str, Any]], *,
             pit: bool) -> dict[str, Any]:
        assert body["_source"] == ["event.original", "message"]
        fields = [next(iter(s)) for s in body["sort"]]
        if pit and "_shard_doc" not in fields:
            fields.append("_shard_doc")   # the implicit tiebreaker of a point in time
        assert pit or "_id" in fields     # without one, paging needs a unique key

        def values(doc: dict[str, Any]) -> list[Any]:
            return [doc.get(f) if doc.get(f) is not None else 2**63 - 1 for f in fields]

        ordered = sorted(docs, key=values)
        if "search_after" in body:
            ordered = [d for d in ordered if values(d) > body["search_after"]]
        page = ordered[:body["size"]]
        hits = [{"_index": ".ds-logs-cisco_asa.log-default-2026.11.24-000001",
                 "_id": d["_id"], "_score": None, "sort": values(d),
                 "_source": ({"event": {"original": d["event.original"]}}
                             if "event.original" in d else {"message": d["message"]})}
                for d in page]
        return _envelope(hits={"total": {"value": len(docs), "relation": "eq"},
                               "max_score": None, "hits": hits})


def _interval(text: str) -> int:
    """A `fixed_interval` (`1h`, `30m`) in milliseconds."""
    number, unit = int(text[:-1]), text[-1]
    return number * {"s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000}[unit]


def _sortable(field: str, value: Any) -> Any:
    if value is None:
        return 0
    return int(ipaddress.ip_address(value)) if field.endswith(".ip") else value


def tampered(handler: Callable[[Request], Reply],
             change: Callable[[dict[str, Any]], None]) -> Callable[[Request], Reply]:
    """`handler`, its JSON answers changed by `change` (a partial answer, say)."""
    def handle(request: Request) -> Reply:
        reply = handler(request)
        body = json.loads(reply.body)
        change(body)
        return Reply.json(body, reply.status)
    return handle


# -- the input -----------------------------------------------------------------------------

def _spec(server: ReplayServer, mode: str = "aggregate", type_name: str = "elasticsearch",
          **options: Any) -> SourceSpec:
    auth = {"api_key_env": "ES_API_KEY"} if not options.get("username_env") else {}
    return SourceSpec("siem", type_name, url=server.url, options={
        **auth, "index": INDEX, "since": "now-30d/d", "mode": mode, "retries": 2, **options})


def _trusted_fold(log: Path) -> TrafficIndex:
    want = TrafficIndex()
    AsaLogParser(SourceSpec("fw", "cisco-asa"), clock=AS_OF).fold_block(
        log.read_text(), Only(want, set(AGGREGATE_MESSAGES)))
    return want


def _file_fold(log: Path) -> TrafficIndex:
    want = TrafficIndex()
    fold_input(SourceSpec("fw", "cisco-asa", (log,)), want, LogStats(), as_of=AS_OF,
               workers=1)
    return want


def _answered(traffic: TrafficIndex) -> dict[Any, Any]:
    return {dst: (t.count, t.first, t.last, t.signals) for dst, t in traffic.by_dst.items()}


def _buckets(docs: list[dict[str, Any]]) -> int:
    """How many (hour, device, message, src, dst, transport, port) flows the trusted
    messages make: the buckets a composite aggregation must return."""
    return len({(d["@timestamp"] // 3_600_000, d["observer.hostname"], d["event.code"],
                 d["source.ip"], d["destination.ip"], d["network.transport"],
                 d["destination.port"])
                for d in docs if d["event.code"] in AGGREGATE_MESSAGES})


def _no_secret(*texts: str) -> None:
    for text in texts:
        for secret in SECRETS:
            assert secret not in text


# -- aggregate -----------------------------------------------------------------------------

def test_aggregate_fold_equals_local_fold_of_the_trusted_messages(
        server: ReplayServer, log: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ES_API_KEY", API_KEY)
    docs = documents(log)
    replay = ElasticReplay(server, docs)
    got, stats = TrafficIndex(), LogStats()
    status = fold_input(_spec(server), got, stats, as_of=AS_OF)
    assert status.status is SourceStatus.OK and status.skipped == 0

    want = _trusted_fold(log)
    flows = _flows(want, sports=False)
    assert len(flows) > 50   # deny-poller, no-route and dup-SYN flows, scans
    assert _flows(got, sports=False) == flows
    assert got.hourly == want.hourly and got.hourly_messages == want.hourly_messages
    trusted = [d for d in docs if d["event.code"] in AGGREGATE_MESSAGES]
    assert stats.lines == stats.parsed == len(trusted)
    assert dict(stats.by_message) == {m: sum(d["event.code"] == m for d in trusted)
                                      for m in {d["event.code"] for d in trusted}}

    # where the traffic came from, as the report shows it
    assert status.engine == "elasticsearch" and status.rows == _buckets(docs)
    assert status.query is not None
    method, path, body = status.query.split(" ", 2)
    assert (method, path) == ("POST", SEARCH) and json.loads(body) == replay.bodies[0]
    ids = replay.bodies[0]["query"]["bool"]["filter"][0]["terms"]["event.code"]
    assert set(ids) == set(AGGREGATE_MESSAGES)
    assert "302013" not in ids and "302014" not in ids   # Built/Teardown: raw only


def test_paging_follows_after_key_until_no_bucket_comes(
        server: ReplayServer, log: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ES_API_KEY", API_KEY)
    docs = documents(log)
    replay = ElasticReplay(server, docs)
    got = TrafficIndex()
    size = 97
    status = fold_input(_spec(server, page_size=size, message_field="cisco.asa.message_id"),
                        got, LogStats(), as_of=AS_OF)
    assert status.status is SourceStatus.OK
    assert _flows(got, sports=False) == _flows(_trusted_fold(log), sports=False)
    total = _buckets(docs)
    pages = math.ceil(total / size)
    assert pages >= 4 and status.rows == total
    # every full page asks again with its after_key; the last, empty answer ends it
    assert len(replay.bodies) == pages + 1
    assert "after" not in replay.bodies[0]["aggs"]["flows"]["composite"]
    sent = [b["aggs"]["flows"]["composite"] for b in replay.bodies]
    assert all(c["size"] == size for c in sent)
    assert [list(c["after"]) for c in sent[1:]] == \
        [["hour", "device", "message", "src", "dst", "transport", "dport"]] * pages
    assert all("cisco.asa.message_id" in json.dumps(b["query"]) for b in replay.bodies)


def test_a_last_page_without_after_key_ends_paging(
        server: ReplayServer, log: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ES_API_KEY", API_KEY)
    docs = documents(log)
    replay = ElasticReplay(server, docs, after_key_on_last=False)
    got = TrafficIndex()
    size = 200
    status = fold_input(_spec(server, page_size=size), got, LogStats(), as_of=AS_OF)
    assert status.status is SourceStatus.OK
    assert len(replay.bodies) == math.ceil(_buckets(docs) / size)   # no empty page asked
    assert _flows(got, sports=False) == _flows(_trusted_fold(log), sports=False)


def test_503_then_success(server: ReplayServer, log: Path,
                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ES_API_KEY", API_KEY)
    replay = ElasticReplay(server, documents(log))
    calls: list[int] = []

    def handle(request: Request) -> Reply:
        calls.append(1)
        if len(calls) == 1:
            return Reply.json({"error": {"type": "unavailable_shards_exception",
                                         "reason": "primary shard is not active"},
                               "status": 503}, 503, {"Retry-After": "0"})
        return replay.search(request)

    server.route("POST", SEARCH, handle)
    got = TrafficIndex()
    status = fold_input(_spec(server), got, LogStats(), as_of=AS_OF)
    assert status.status is SourceStatus.OK and len(calls) == 3   # 503, the page, the end
    assert _flows(got, sports=False) == _flows(_trusted_fold(log), sports=False)


def test_malformed_buckets_are_counted_and_skipped(server: ReplayServer, log: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ES_API_KEY", API_KEY)
    good = {"device": "fw01", "message": "106023", "src": "10.40.1.20", "dst": "10.99.1.1",
            "transport": "udp", "dport": 161}
    seen = {"first_seen": {"value": 1.7644e12}, "last_seen": {"value": 1.7644e12}}
    bad = ({"key": {**good, "src": "10.0.0.300"}, "doc_count": 3, **seen},
           {"key": {**good, "message": "302013"}, "doc_count": 1, **seen},
           {"key": good, "doc_count": 2, "first_seen": {"value": None}, "last_seen": {}},
           "not a bucket")
    ElasticReplay(server, documents(log), extra_buckets=bad)
    got, stats = TrafficIndex(), LogStats()
    status = fold_input(_spec(server), got, stats, as_of=AS_OF)
    assert status.status is SourceStatus.OK
    assert status.skipped == len(bad) == stats.unparsed
    notes = "\n".join(status.notes)
    assert "src is '10.0.0.300', not an address" in notes
    assert "message '302013' is not one the search asks for" in notes
    assert "first_seen is None, not epoch milliseconds" in notes
    assert "the bucket has no key object" in notes
    assert f"{server.url}{SEARCH} page 1 bucket" in notes
    _no_secret(notes)
    assert _flows(got, sports=False) == _flows(_trusted_fold(log), sports=False)


def test_an_error_body_fails_the_input_quoting_its_reason(
        server: ReplayServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ES_API_KEY", API_KEY)
    cause = {"type": "illegal_argument_exception",
             "reason": "Field [event.code] of type [text] is not supported for aggregation "
                       "[composite]"}
    server.route("POST", SEARCH, Reply.json({"error": {
        "root_cause": [cause], "type": "search_phase_execution_exception",
        "reason": "all shards failed", "phase": "query", "caused_by": cause}, "status": 400},
        400))
    status = fold_input(_spec(server), TrafficIndex(), LogStats(), as_of=AS_OF)
    assert status.status is SourceStatus.FAILED
    error = status.error or ""
    assert "HTTP 400" in error and f"{server.url}{SEARCH}" in error
    assert "Elasticsearch says: illegal_argument_exception: Field [event.code] of type " \
           "[text] is not supported" in error
    assert "search_phase_execution_exception: all shards failed" in error
    assert len(server.requests_to("POST", SEARCH)) == 1   # a 400 is not retried


@pytest.mark.parametrize(("change", "words"), [
    (lambda b: b["_shards"].update(successful=2, failed=1, failures=[
        {"shard": 1, "index": ".ds-logs-cisco_asa.log-default-000002", "node": "n1",
         "reason": {"type": "node_not_connected_exception", "reason": "[n1] disconnected"}}]),
     "1 of 3 shards failed (node_not_connected_exception: [n1] disconnected)"),
    (lambda b: b.update(timed_out=True), "the search timed out"),
], ids=["shards-failed", "timed-out"])
def test_a_partial_answer_fails_the_input(server: ReplayServer, log: Path,
                                          monkeypatch: pytest.MonkeyPatch,
                                          change: Callable[[dict[str, Any]], None],
                                          words: str) -> None:
    monkeypatch.setenv("ES_API_KEY", API_KEY)
    replay = ElasticReplay(server, documents(log))
    server.route("POST", SEARCH, tampered(replay.search, change))
    status = fold_input(_spec(server), TrafficIndex(), LogStats(), as_of=AS_OF)
    assert status.status is SourceStatus.FAILED
    assert words in (status.error or "") and "siem" in (status.error or "")
    assert "partial answer" in (status.error or "")


# -- raw -----------------------------------------------------------------------------------

def test_raw_fold_equals_local_fold_of_the_file(server: ReplayServer, log: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ES_API_KEY", API_KEY)
    docs = documents(log, in_message=7)
    replay = ElasticReplay(server, docs)
    got = TrafficIndex()
    size = 700
    status = fold_input(_spec(server, "raw", page_size=size), got, LogStats(), as_of=AS_OF)
    assert status.status is SourceStatus.OK and status.skipped == 0
    want = _file_fold(log)
    assert len(_flows(want, sports=True)) > 50
    assert _flows(got, sports=True) == _flows(want, sports=True)
    assert _answered(got) == _answered(want) and got.hourly == want.hourly
    assert status.rows == len(docs)

    # a point in time: every page on /_search with the id the answer before renewed,
    # and closed at the end
    assert len(replay.bodies) == math.ceil(len(docs) / size)
    assert [b["pit"]["id"] for b in replay.bodies] == \
        [f"46ToAwMDaWR5BXV1aWQy-{n}" for n in range(1, len(replay.bodies) + 1)]
    assert server.requests_to("POST", SEARCH) == [] and replay.pits == set()
    assert [b["sort"] for b in replay.bodies][0] == \
        [{"@timestamp": "asc"}, {"log.offset": {"order": "asc", "unmapped_type": "long"}}]
    assert all(len(b["search_after"]) == 3 for b in replay.bodies[1:])
    shown = json.loads((status.query or "").split(" ", 2)[2])
    assert shown == {k: v for k, v in replay.bodies[0].items() if k != "pit"}
    assert "46ToAwMDaWR5BXV1aWQy" not in (status.query or "")
    assert set(replay.bodies[0]["query"]["bool"]["filter"][0]["terms"]["event.code"]) >= \
        {"302013", "302014", "106023", "419002"}


@pytest.mark.parametrize("type_name", ["elasticsearch", "opensearch"])
def test_raw_without_a_point_in_time_pages_on_the_index(
        server: ReplayServer, log: Path, monkeypatch: pytest.MonkeyPatch,
        type_name: str) -> None:
    monkeypatch.setenv("ES_API_KEY", API_KEY)
    docs = documents(log)
    replay = ElasticReplay(server, docs, pit=False)
    got = TrafficIndex()
    status = fold_input(_spec(server, "raw", type_name, page_size=1000), got, LogStats(),
                        as_of=AS_OF)
    assert status.status is SourceStatus.OK and status.engine == type_name
    assert _flows(got, sports=True) == _flows(_file_fold(log), sports=True)
    assert len(server.requests_to("POST", SEARCH)) == math.ceil(len(docs) / 1000)
    assert all(b["sort"][-1] == {"_id": "asc"} and "pit" not in b for b in replay.bodies)
    assert status.query == f"POST {SEARCH} " + json.dumps(replay.bodies[0],
                                                          separators=(",", ":"))
    # OpenSearch is not asked for an Elasticsearch point in time it does not have
    tried = len(server.requests_to("POST", f"/{INDEX}/_pit"))
    assert tried == (1 if type_name == "elasticsearch" else 0)


def test_saved_raw_answers_parse_as_the_log_does(server: ReplayServer, log: Path,
                                                 tmp_path: Path) -> None:
    """`_search` answers saved to a file (one a line) are read by the same `parse`."""
    replay = ElasticReplay(server, documents(log, in_message=5))
    pages = []
    after = None
    source = ElasticLogSource(SourceSpec("saved", "elasticsearch", options={
        "mode": "raw", "index": INDEX, "since": "now-30d/d", "page_size": 2000}))
    while True:
        body = source.raw_body(None, after)
        answer = replay.hits(body, replay.matching(body), pit=False)
        if not answer["hits"]["hits"]:
            break
        pages.append(json.dumps(answer, indent=1))   # `?pretty`: short lines
        after = answer["hits"]["hits"][-1]["sort"]
    saved = tmp_path / "answers.json"
    saved.write_text("\n".join(pages) + "\n")
    reader = ElasticLogSource(SourceSpec("fw", "elasticsearch", options={"mode": "raw"}),
                              clock=AS_OF)
    got = [(e.time, e.message, e.src, e.sport, e.dst, e.dport, e.signal)
           for e in reader.parse_path(saved)]
    direct = AsaLogParser(SourceSpec("fw", "cisco-asa"), clock=AS_OF)
    want = [(e.time, e.message, e.src, e.sport, e.dst, e.dport, e.signal)
            for e in direct.parse(log.open())]
    assert len(pages) > 1 and got == want
    assert reader.stats.by_message == direct.stats.by_message
    assert reader.rows == len(want)


# -- auth, errors and secrets ----------------------------------------------------------

def test_api_key_and_basic_auth_send_their_header(server: ReplayServer, log: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ES_API_KEY", API_KEY)
    monkeypatch.setenv("ES_USER", USER)
    monkeypatch.setenv("ES_PASS", PASSWORD)
    ElasticReplay(server, documents(log))
    assert fold_input(_spec(server), TrafficIndex(), LogStats(),
                      as_of=AS_OF).status is SourceStatus.OK
    sent = {r.header("Authorization") for r in server.requests_to("POST", SEARCH)}
    assert sent == {f"ApiKey {API_KEY}"}

    with ReplayServer() as other:
        ElasticReplay(other, documents(log), basic=True)
        spec = _spec(other, username_env="ES_USER", password_env="ES_PASS")
        assert "api_key_env" not in spec.options
        assert fold_input(spec, TrafficIndex(), LogStats(),
                          as_of=AS_OF).status is SourceStatus.OK
        pair = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
        assert {r.header("Authorization") for r in other.requests_to("POST", SEARCH)} == \
            {f"Basic {pair}"}


def test_refused_password_fails_the_input_without_the_secret(
        server: ReplayServer, log: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ES_USER", USER)
    monkeypatch.setenv("ES_PASS", PASSWORD + "-old")
    ElasticReplay(server, documents(log), basic=True)
    status = fold_input(_spec(server, "raw", username_env="ES_USER",
                              password_env="ES_PASS"), TrafficIndex(), LogStats(),
                        as_of=AS_OF)
    assert status.status is SourceStatus.FAILED
    error = status.error or ""
    assert "HTTP 401" in error and "ES_USER / ES_PASS" in error
    assert "security_exception" in error and "password authentication failed" in error
    assert f"{server.url}/{INDEX}/_pit" in error
    assert PASSWORD + "-old" not in error
    _no_secret(error)


def test_expired_api_key_fails_the_input_and_the_audit_exits_3(
        server: ReplayServer, log: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("ES_API_KEY", API_KEY + "-expired")
    ElasticReplay(server, documents(log))
    status = fold_input(_spec(server), TrafficIndex(), LogStats(), as_of=AS_OF)
    assert status.status is SourceStatus.FAILED
    error = status.error or ""
    assert "source 'siem'" in error and f"POST {server.url}{SEARCH}" in error
    assert "HTTP 401" in error and "ES_API_KEY" in error
    assert "API key: api key is expired" in error
    _no_secret(error)

    (tmp_path / "targets.csv").write_text("address,name\n10.99.1.1,gone\n")
    config = tmp_path / "audit.toml"
    config.write_text(f'''[[sources]]
name = "list"
type = "csv"
path = "targets.csv"

[[logs]]
name = "fw"
type = "cisco-asa"
path = "{log}"

[[logs]]
name = "siem"
type = "elasticsearch"
url = "{server.url}"
api_key_env = "ES_API_KEY"
index = "{INDEX}"
since = "now-30d/d"
retries = 0
''')
    report, book = tmp_path / "out.json", tmp_path / "out.xlsx"
    assert main(["audit", "-c", str(config), "--json", str(report), "-o", str(book),
                 "--as-of", "2026-11-29T00:00Z"]) == 3
    written = json.loads(report.read_text())
    inputs = {i["name"]: i for i in written["sources"]}
    assert inputs["siem"]["status"] == "failed" and inputs["fw"]["status"] == "ok"
    assert inputs["list"]["status"] == "ok" and written["logs"]["lines"] > 0
    out = capsys.readouterr()
    _no_secret(report.read_text(), out.out, out.err, _xlsx_text(book))


def _xlsx_text(path: Path) -> str:
    with zipfile.ZipFile(path) as book:
        return "".join(book.read(name).decode("utf-8", "replace") for name in book.namelist())


@pytest.mark.parametrize(("options", "words"), [
    ({}, "with url, give api_key_env (an API key) or username_env and password_env"),
    ({"api_key_env": "K", "username_env": "U", "password_env": "P"},
     "api_key_env and username_env and password_env are both set"),
    ({"username_env": "U"}, "username_env and password_env go together (basic auth); "
                            "missing: password_env"),
    ({"api_key_env": "K", "index": ""}, "index and since are required"),
    ({"api_key_env": "K", "page_size": 20000}, "page_size is 20000; Elasticsearch pages hold "
                                               "1 to 10000"),
    ({"api_key_env": "K", "mode": "stream"}, "mode is 'stream'; valid: aggregate, raw"),
])
def test_config_errors(options: dict[str, Any], words: str) -> None:
    spec = SourceSpec("siem", "elasticsearch", url="https://es.example.net:9200",
                      options={"index": INDEX, "since": "now-30d/d", **options})
    with pytest.raises(ConfigError) as info:
        ElasticLogSource(spec)
    assert words in str(info.value)


def test_config_file_takes_the_keys_and_checks_them(tmp_path: Path) -> None:
    table = '''[[logs]]
name = "siem"
type = "{type}"
url = "https://es.example.net:9200"
{auth}
index = "logs-cisco_asa.log-*"
since = "now-30d/d"
until = "now-1d/d"
mode = "raw"
message_field = "cisco.asa.message_id"
page_size = 2000
'''
    (tmp_path / "targets.csv").write_text("address,name\n10.99.1.1,gone\n")
    table = '[[sources]]\nname = "list"\ntype = "csv"\npath = "targets.csv"\n\n' + table
    config = tmp_path / "audit.toml"
    config.write_text(table.format(type="opensearch", auth='api_key_env = "OS_KEY"'))
    [spec] = load_config(config).logs
    assert spec.options["page_size"] == 2000 and spec.options["until"] == "now-1d/d"
    source = OpenSearchLogSource(spec)
    assert source.engine == "opensearch" and source.message_field == "cisco.asa.message_id"
    assert '"lte":"now-1d/d"' in source.query()

    config.write_text(table.format(type="elasticsearch", auth='api_key_env = "OS_KEY"\n'
                                   'username_env = "U"\npassword_env = "P"'))
    with pytest.raises(ConfigError) as info:
        load_config(config)
    assert "[[logs]] 'siem'" in str(info.value) and "are both set" in str(info.value)
    config.write_text(table.format(type="elasticsearch", auth='api_key_env = "ab:cd=="'))
    with pytest.raises(ConfigError) as info:   # a pasted key is refused, not echoed
        load_config(config)
    assert "must name an environment variable" in str(info.value)
    assert "ab:cd==" not in str(info.value)


def test_saved_error_answer_fails_the_file(tmp_path: Path) -> None:
    saved = tmp_path / "answer.json"
    saved.write_text(json.dumps({"error": {"type": "index_not_found_exception",
                                           "reason": "no such index [fw]"}, "status": 404}))
    reader = ElasticLogSource(SourceSpec("fw", "elasticsearch"))
    with pytest.raises(SourceError) as info:
        list(reader.parse_path(saved))
    assert "Elasticsearch says: index_not_found_exception: no such index [fw]" in \
        str(info.value)


# -- end to end ----------------------------------------------------------------------------

def _trusted_line(line: str) -> bool:
    found = _ASA_ID.search(line)
    return found is not None and found.group(1) in AGGREGATE_MESSAGES


def _halves(log: Path, folder: Path, keep: Callable[[str], bool]) -> tuple[Path, Path]:
    lines = log.read_text().splitlines(keepends=True)
    half = len(lines) // 2
    first, second = folder / "first.log", folder / "second.log"
    first.write_text("".join(line for line in lines[:half] if keep(line)))
    second.write_text("".join(line for line in lines[half:] if keep(line)))
    return first, second


def _audit(folder: Path, logs: str, targets: list[str],
           capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, Any], str]:
    folder.mkdir(exist_ok=True)
    (folder / "targets.csv").write_text("address,name\n" + "".join(
        f"{address},host{n}\n" for n, address in enumerate(targets)))
    (folder / "audit.toml").write_text('[[sources]]\nname = "list"\ntype = "csv"\n'
                                       'path = "targets.csv"\n\n' + logs)
    report, book = folder / "out.json", folder / "out.xlsx"
    code = main(["audit", "-c", str(folder / "audit.toml"), "--json", str(report), "-o",
                 str(book), "--as-of", "2026-11-29T00:00Z"])
    out = capsys.readouterr()
    assert code in (0, 1), out.err   # 1: stale findings (no-route drops), as it should
    return code, json.loads(report.read_text()), report.read_text() + out.out + out.err + \
        _xlsx_text(book)


@pytest.mark.parametrize("mode", ["aggregate", "raw"])
def test_audit_from_splunk_and_elasticsearch_equals_the_audit_of_the_files(
        replay_servers: Callable[[], ReplayServer], log: Path, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        mode: str) -> None:
    """One generated log cut in two: the first half in a Splunk, the second in an
    Elasticsearch, audited through their APIs, against the same halves as files (only the
    trusted messages' lines, for `aggregate`)."""
    monkeypatch.setenv("SPLUNK_TOKEN", SPLUNK_TOKEN)
    monkeypatch.setenv("ES_API_KEY", API_KEY)
    whole = _halves(log, tmp_path, lambda _line: True)
    first, second = whole
    if mode == "aggregate":
        (tmp_path / "files").mkdir()
        first, second = _halves(log, tmp_path / "files", _trusted_line)
    splunk, elastic = replay_servers(), replay_servers()
    splunk.route("POST", EXPORT, splunk_export(whole[0]))
    ElasticReplay(elastic, documents(whole[1]))

    # addresses the halves drop to and answer, so findings carry traffic both ways
    events = [e for path in whole for e in AsaLogParser(
        SourceSpec("fw", "cisco-asa"), clock=AS_OF).parse(path.open())]
    dropped = sorted({e.dst for e in events if e.message in AGGREGATE_MESSAGES and e.dst})
    answered = sorted({e.dst for e in events if e.message == "302014" and e.dst})
    targets = dropped[::7] + answered[::40] + ["10.99.1.1"]

    apis = f'''[[logs]]
name = "splunk-half"
type = "splunk"
url = "{splunk.url}"
token_env = "SPLUNK_TOKEN"
search = 'index=firewall sourcetype IN ("cisco:asa")'
earliest = "-30d@d"
mode = "{mode}"

[[logs]]
name = "elastic-half"
type = "elasticsearch"
url = "{elastic.url}"
api_key_env = "ES_API_KEY"
index = "{INDEX}"
since = "now-30d/d"
mode = "{mode}"
page_size = 300
'''
    files = f'''[[logs]]
name = "first-half"
type = "cisco-asa"
path = "{first}"

[[logs]]
name = "second-half"
type = "cisco-asa"
path = "{second}"
'''
    code, via_api, said = _audit(tmp_path / "api", apis, targets, capsys)
    assert (code, via_api["findings"]) != (0, [])
    assert _audit(tmp_path / "plain", files, targets, capsys)[0] == code
    via_files = json.loads((tmp_path / "plain" / "out.json").read_text())
    assert len(via_api["ghost_flows"]) > 20
    assert via_api["ghost_flows"] == via_files["ghost_flows"]
    findings = [{k: v for k, v in f.items() if k != "records"} for f in via_api["findings"]]
    assert findings == [{k: v for k, v in f.items() if k != "records"}
                        for f in via_files["findings"]]
    assert sum(f["traffic"]["drops"] > 0 for f in findings) > 5
    if mode == "raw":
        assert sum(f["traffic"]["answered"] > 0 for f in findings) > 5
    assert {i["name"]: i["status"] for i in via_api["sources"]} == {
        "list": "ok", "splunk-half": "ok", "elastic-half": "ok"}
    _no_secret(said)


def test_the_opensearch_type_reports_its_engine(server: ReplayServer, log: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ES_API_KEY", API_KEY)
    ElasticReplay(server, documents(log))
    got = TrafficIndex()
    status: InputStatus = fold_input(_spec(server, type_name="opensearch"), got, LogStats(),
                                     as_of=AS_OF)
    assert status.status is SourceStatus.OK and status.engine == "opensearch"
    assert status.type == "opensearch"
    assert _flows(got, sports=False) == _flows(_trusted_fold(log), sports=False)


def test_opensearch_error_names_opensearch(server: ReplayServer,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ES_API_KEY", API_KEY)
    server.route("POST", SEARCH, replies(Reply.json({"error": {
        "type": "index_not_found_exception", "reason": f"no such index [{INDEX}]"},
        "status": 404}, 404)))
    status = fold_input(_spec(server, type_name="opensearch"), TrafficIndex(), LogStats(),
                        as_of=AS_OF)
    assert status.status is SourceStatus.FAILED
    assert f"OpenSearch says: index_not_found_exception: no such index [{INDEX}]" in \
        (status.error or "")

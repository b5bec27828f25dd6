"""Elasticsearch and OpenSearch: the per-flow fold pushed down into the cluster that holds
the firewall logs (the Elastic Cisco ASA integration's ECS fields, or Filebeat's module).

`[[logs]] type = "elasticsearch"` (or `"opensearch"`: the same API; the engine name says
which, in the report and in errors) with `url` (`https://HOST:9200`), `api_key_env`
(`Authorization: ApiKey <base64 id:key>`) or `username_env` + `password_env` (basic), exactly
one of the two; `index` (a pattern: `logs-cisco_asa.log-*`), `since` (date math, `now-30d/d`)
and `until` (default `now`), both on `@timestamp`; `message_field` (the message id:
`event.code`, or `cisco.asa.message_id` on older Filebeat indices); `page_size` (default
5000, at most 10,000); and `mode`:

- `aggregate` (default): one `_search` with `size: 0` and a `composite` aggregation: a bucket
  per (hour of `@timestamp`, `observer.hostname`, message, `source.ip`, `destination.ip`,
  `network.transport`, `destination.port`) with its `doc_count` and min/max `@timestamp`,
  paged with `after` = the answer's `after_key` until there is none or no bucket comes. Only
  the messages in `splunk.AGGREGATE_MESSAGES` are asked for: each prints its sender first
  and is never a Built/Teardown, so no SIEM parser can swap initiator and target. A bucket
  becomes the events a Splunk row does (`splunk.flow_events`), so both fold alike.
- `raw`: the cluster only filters (`splunk.RAW_MESSAGES`) and returns each line's
  `event.original` (the integration keeps it with `preserve_original_event`), else
  `message` (whole on Filebeat's module; the integration's parsed `message` lacks the
  `%ASA-` tag and is counted unparsed), in `@timestamp` order, then `log.offset` (the
  line's place in its file, so a Built and its Teardown in the same millisecond stay in
  file order), then a unique tiebreaker; our ASA parser folds them (`splunk.fold_raw`),
  Built/Teardown pairing included, so the fold is exactly ours. Paging is `search_after`:
  inside a point in time (`POST /<index>/_pit`, Elasticsearch 7.10+, whose implicit
  `_shard_doc` is the tiebreaker; closed at the end) so pages are one consistent snapshot;
  where the server has no such endpoint (OpenSearch, whose own PIT has no `_shard_doc`
  before 3.3, or an older Elasticsearch), plain `search_after` on the index with `_id` as
  the tiebreaker. `type = "opensearch"` goes there directly.

An answer that `timed_out` or whose `_shards.failed` is not 0 fails the input: a partial
answer would pass for "nothing was dropped". An error body (`{"error": {"type", "reason"},
"status"}`) fails it quoting `reason`; a bucket or hit that is not what was asked for is
counted and skipped (`skipped`).

No vendor client: `elasticsearch-py` 8 refuses any server that does not send
`X-Elastic-Product: Elasticsearch` (OpenSearch, Elasticsearch before 7.14), and
`opensearch-py` is pinned to OpenSearch's side of the fork, so one type serving both would
need two clients, two transports and two sets of errors. Three JSON calls (`_search`, open
and close a point in time) gain nothing from them, and going through the one HTTP layer
(`connectors.shared.http`) keeps what every API source has: retries on 429/5xx with
`Retry-After`, credentials from `*_env` only and scrubbed from every error, no redirects.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from datetime import datetime, timedelta
from typing import Any, ClassVar
from urllib.parse import quote

from auditor.errors import ConfigError, SourceError
from auditor.model import LogEvent
from connectors.base import Fold, LogParser, SkippedLine, SourceSpec
from connectors.logs.splunk import (
    AGGREGATE_MESSAGES,
    MODES,
    RAW_MESSAGES,
    count_flow,
    field_address,
    flow_events,
    fold_raw,
    parse_raw,
)
from connectors.shared.http import Call, HttpClient, HttpError
from connectors.shared.inputs import Inputs

#: The message id field of the Elastic Cisco ASA integration (ECS).
MESSAGE_FIELD = "event.code"
DEFAULT_PAGE = 5000
#: The largest page: a search's `size` may not pass `index.max_result_window` (10,000 by
#: default), and composite pages stay as far below `search.max_buckets` (65,535).
MAX_PAGE = 10_000
#: How long the cluster keeps a point in time between two pages.
KEEP_ALIVE = "1m"
#: An error body quoted at most this long.
_QUOTE = 300
_EPOCH = datetime(1970, 1, 1)


class _ErrorBodies:
    """A `requests` response hook keeping the JSON body of the last error answer: the shared
    HTTP layer quotes an API's `message`, but Elasticsearch says why under `error.reason`,
    and whether an endpoint exists only in the shape of its error."""

    def __init__(self) -> None:
        self.last: Any = None

    def __call__(self, response: Any, *_args: Any, **_kwargs: Any) -> None:
        self.last = None
        if response.status_code >= 400:
            with suppress(ValueError):
                self.last = json.loads(response.content)


class ElasticLogSource(LogParser):
    """Firewall traffic folded by Elasticsearch (`aggregate`) or filtered by it (`raw`)."""

    type: ClassVar[str] = "elasticsearch"
    engine: ClassVar[str] = "elasticsearch"
    product: ClassVar[str] = "Elasticsearch"
    """The server's name in error texts."""
    api: ClassVar[bool] = True
    api_options: ClassVar[frozenset[str]] = frozenset(
        {"api_key_env", "username_env", "password_env", "index", "since", "until", "mode",
         "message_field", "page_size"})

    def __init__(self, spec: SourceSpec, *, clock: datetime | None = None,
                 io: Inputs | None = None) -> None:
        super().__init__(spec, clock=clock, io=io)
        options = spec.options
        where = f"logs {spec.name!r}"
        self.mode = str(options.get("mode", "aggregate"))
        if self.mode not in MODES:
            raise ConfigError(f"{where}: mode is {self.mode!r}; valid: {', '.join(MODES)}")
        self.page_size = int(options.get("page_size", DEFAULT_PAGE))
        if not 1 <= self.page_size <= MAX_PAGE:
            raise ConfigError(f"{where}: page_size is {self.page_size}; {self.product} "
                              f"pages hold 1 to {MAX_PAGE}")
        self.message_field = str(options.get("message_field") or MESSAGE_FIELD)
        self.index = str(options.get("index") or "")
        if spec.live:
            missing = [k for k in ("index", "since") if not options.get(k)]
            if missing:
                raise ConfigError(f"{where}: with url, index and since are required (the "
                                  "index pattern and how far back, e.g. since = "
                                  f'"now-30d/d"); missing: {", ".join(missing)}')
            self._check_auth(where)
        self.rows = 0
        """Buckets (aggregate) or hits (raw) the last fetch returned."""
        self._sent: dict[str, Any] | None = None
        """The first page's body the last fetch sent."""
        self._errors = _ErrorBodies()

    def _check_auth(self, where: str) -> None:
        """Exactly one credential: an API key, or a user and password (basic)."""
        options = self.spec.options
        key = bool(options.get("api_key_env"))
        basic = [k for k in ("username_env", "password_env") if options.get(k)]
        if key and basic:
            raise ConfigError(f"{where}: api_key_env and {' and '.join(basic)} are both set; "
                              "give either api_key_env (an API key) or username_env and "
                              "password_env (basic auth)")
        if len(basic) == 1:
            missing = "password_env" if basic == ["username_env"] else "username_env"
            raise ConfigError(f"{where}: username_env and password_env go together (basic "
                              f"auth); missing: {missing}")
        if not key and not basic:
            raise ConfigError(f"{where}: with url, give api_key_env (an API key) or "
                              "username_env and password_env (basic auth)")

    # -- the query ---------------------------------------------------------------------

    def query(self) -> str:
        """The first page's search, as the report shows it: the body sent, or before a fetch
        the one it will send (no secret lives in it; a point in time's id, made by the
        server and long, is left out)."""
        body = self._sent
        if body is None:
            # "": the point in time Elasticsearch will be asked for (its id not known yet)
            pit = "" if self.engine == "elasticsearch" else None
            body = self.raw_body(pit, None) if self.mode == "raw" else self.aggregate_body()
        shown = {k: v for k, v in body.items() if k != "pit"}
        return f"POST /{self.index}/_search {json.dumps(shown, separators=(',', ':'))}"

    def _filter(self, messages: Iterable[str]) -> dict[str, Any]:
        options = self.spec.options
        span = {"gte": str(options.get("since", "")), "lte": str(options.get("until", "now"))}
        return {"bool": {"filter": [{"terms": {self.message_field: list(messages)}},
                                    {"range": {"@timestamp": span}}]}}

    def aggregate_body(self, after: dict[str, Any] | None = None) -> dict[str, Any]:
        """One page of the composite aggregation; `after` is the last page's `after_key`."""
        composite: dict[str, Any] = {"size": self.page_size, "sources": [
            # the hour keeps hourly rates exact, as `bin _time span=1h` does in Splunk
            {"hour": {"date_histogram": {"field": "@timestamp", "fixed_interval": "1h"}}},
            {"device": {"terms": {"field": "observer.hostname", "missing_bucket": True}}},
            {"message": {"terms": {"field": self.message_field}}},
            {"src": {"terms": {"field": "source.ip"}}},
            {"dst": {"terms": {"field": "destination.ip"}}},
            {"transport": {"terms": {"field": "network.transport", "missing_bucket": True}}},
            {"dport": {"terms": {"field": "destination.port", "missing_bucket": True}}},
        ]}
        if after is not None:
            composite["after"] = after
        return {"size": 0, "track_total_hits": False,
                "query": self._filter(AGGREGATE_MESSAGES),
                "aggs": {"flows": {"composite": composite, "aggs": {
                    "first_seen": {"min": {"field": "@timestamp"}},
                    "last_seen": {"max": {"field": "@timestamp"}}}}}}

    def raw_body(self, pit: str | None, after: list[Any] | None) -> dict[str, Any]:
        """One page of raw lines in time order: inside point in time `pit` (whose implicit
        `_shard_doc` breaks ties), or on the index with `_id` breaking them."""
        sort: list[Any] = [{"@timestamp": "asc"},
                           {"log.offset": {"order": "asc", "unmapped_type": "long"}}]
        body: dict[str, Any] = {"size": self.page_size, "track_total_hits": False,
                                "query": self._filter(RAW_MESSAGES),
                                "_source": ["event.original", "message"], "sort": sort}
        if pit is None:
            sort.append({"_id": "asc"})
        else:
            body["pit"] = {"id": pit, "keep_alive": KEEP_ALIVE}
        if after is not None:
            body["search_after"] = after
        return body

    # -- fetching ----------------------------------------------------------------------

    def fold(self, traffic: Fold) -> None:
        """Run the search and fold what it returns into `traffic`, page by page.

        Raises:
            SourceError: the call failed (naming the source and URL, no secret), the
                cluster said why (quoted), or its answer was partial.
        """
        self.skipped = []
        self.rows = 0
        self._sent = None
        with self.io.http(self.spec) as client, self._quoting():
            if self.spec.options.get("api_key_env"):
                client.auth = client.header_auth(
                    "Authorization", f"ApiKey {client.secret('api_key_env')}")
            else:
                client.auth = client.basic_auth()
            client.session.hooks["response"].append(self._errors)
            if self.mode == "raw":
                self._fold_raw(client, traffic)
            else:
                for event in self._aggregate(client):
                    traffic.add(event)

    def _aggregate(self, client: HttpClient) -> Iterator[LogEvent]:
        url = client.url(f"/{_path(self.index)}/_search")

        def follow(body: Any, call: Call) -> Call | None:
            flows = body["aggregations"]["flows"]
            after = flows.get("after_key")
            if not flows["buckets"] or not isinstance(after, dict):
                return None
            return Call("POST", url, self.aggregate_body(after))

        first = Call("POST", url, self.aggregate_body())
        self._sent = first.body
        for page, (call, body) in enumerate(client.pages(first, follow), 1):
            yield from self._page_events(body, client.shown(call.url), page)

    def _fold_raw(self, client: HttpClient, traffic: Fold) -> None:
        pit: list[str | None] = [None]
        if self.engine == "elasticsearch":
            pit[0] = self._open_pit(client)
        try:
            fold_raw(self, self._paged_lines(client, pit), traffic)
        finally:
            if pit[0] is not None:
                self._close_pit(client, pit[0])

    def _paged_lines(self, client: HttpClient, pit: list[str | None]) -> Iterator[str]:
        """The raw lines of every page, in order; `pit` holds the point in time's id, as
        each answer renews it (the last one is the one to close)."""
        url = client.url("/_search" if pit[0] else f"/{_path(self.index)}/_search")

        def follow(body: Any, call: Call) -> Call | None:
            if pit[0] and isinstance(body.get("pit_id"), str):
                pit[0] = body["pit_id"]
            hits = body["hits"]["hits"]
            if len(hits) < self.page_size or not isinstance(hits[-1], dict) \
                    or not isinstance(hits[-1].get("sort"), list):
                return None   # a short page is the last; a hit without sort ends paging
            return Call("POST", url, self.raw_body(pit[0], hits[-1]["sort"]))

        first = Call("POST", url, self.raw_body(pit[0], None))
        self._sent = first.body
        for page, (call, body) in enumerate(client.pages(first, follow), 1):
            yield from self._page_lines(body, client.shown(call.url), page)

    def _open_pit(self, client: HttpClient) -> str | None:
        """A point in time on the index, or None when the server has no such endpoint."""
        url = client.url(f"/{_path(self.index)}/_pit?keep_alive={KEEP_ALIVE}")
        self._errors.last = None
        try:
            body = client.json(Call("POST", url))
        except HttpError as exc:
            said = self._errors.last
            routed = isinstance(said, dict) and isinstance(said.get("error"), dict)
            if exc.status in (400, 404, 405) and not routed:
                return None   # "no handler found for uri": no PIT here, page without one
            raise
        pit = body.get("id") if isinstance(body, dict) else None
        if not isinstance(pit, str) or not pit:
            raise SourceError(f"logs {self.spec.name!r}, {client.shown(url)}: the answer "
                              "has no point in time id")
        return pit

    def _close_pit(self, client: HttpClient, pit: str) -> None:
        """Free the point in time now rather than at `KEEP_ALIVE`; a failure here costs the
        cluster a minute of it, not the audit its input."""
        said = self._errors.last   # what a failed search said, if that is why we are here
        with suppress(SourceError):
            client.json(Call("DELETE", client.url("/_pit"), {"id": pit}), retries=0)
        self._errors.last = said

    @contextmanager
    def _quoting(self) -> Iterator[None]:
        """Add what the cluster said (`error.reason`) to a failed call's error."""
        self._errors.last = None
        try:
            yield
        except HttpError as exc:
            said = _said(self._errors.last) if exc.status is not None else ""
            if not said or said in str(exc):
                raise
            raise HttpError(f"{exc}; {self.product} says: {said}", status=exc.status,
                            reason=f"{exc.reason}; {self.product} says: {said}",
                            bad_body=exc.bad_body) from None

    # -- saved answers -----------------------------------------------------------------

    def parse(self, lines: Iterable[str], start: int = 1) -> Iterator[LogEvent]:
        """Events from saved `_search` answers (one a line, as the API writes them, or
        pretty-printed): two per bucket (first and last seen; its count between them), or
        the ASA parser's events of the raw lines."""
        origin = self.engine
        bodies = _documents(lines, f"logs {self.spec.name!r}, {origin}")
        if self.mode == "raw":
            raws = (raw for page, body in bodies
                    for raw in self._page_lines(body, origin, page))
            yield from parse_raw(self, raws, start)
            return
        for page, body in bodies:
            yield from self._page_events(body, origin, page)

    # -- answers -----------------------------------------------------------------------

    def _checked(self, body: Any, origin: str, part: str) -> list[Any]:
        """The list at `part` (`aggregations.flows.buckets`, `hits.hits`) of one answer.

        Raises:
            SourceError: an error body, a partial answer, or not a search answer at all.
        """
        where = f"logs {self.spec.name!r}, {origin}"
        if not isinstance(body, dict):
            raise SourceError(f"{where}: the answer is not a JSON object")
        if body.get("error"):
            raise SourceError(f"{where}: {self.product} says: {_said(body)}")
        if body.get("timed_out") is True:
            raise SourceError(f"{where}: the search timed out (timed_out: true); a partial "
                              "answer would pass for traffic that was not there")
        shards = body.get("_shards")
        if isinstance(shards, dict) and _count(shards.get("failed")) > 0:
            failures = shards.get("failures")
            why = _said({"error": failures[0].get("reason")}) \
                if isinstance(failures, list) and failures and isinstance(failures[0], dict) \
                else ""
            raise SourceError(f"{where}: {shards.get('failed')} of {shards.get('total')} "
                              f"shards failed{f' ({why})' if why else ''}; a partial answer "
                              "would pass for traffic that was not there")
        found: Any = body
        for key in part.split("."):
            found = found.get(key) if isinstance(found, dict) else None
        if not isinstance(found, list):
            raise SourceError(f"{where}: the answer has no {part}: not the {self.mode} "
                              "search this input sends")
        return found

    def _page_events(self, body: Any, origin: str, page: int) -> Iterator[LogEvent]:
        buckets = self._checked(body, origin, "aggregations.flows.buckets")
        before = self.rows or 0   # an event's line: its bucket's place in the whole answer
        self.rows = before + len(buckets)
        for number, bucket in enumerate(buckets, 1):
            try:
                events = self._bucket_events(before + number, bucket)
            except ValueError as exc:
                self._skip(f"{origin} page {page} bucket {number}", str(exc))
                continue
            count_flow(self.stats, events)
            yield from events

    def _bucket_events(self, number: int, bucket: Any) -> list[LogEvent]:
        key = bucket.get("key") if isinstance(bucket, dict) else None
        if not isinstance(key, dict):
            raise ValueError("the bucket has no key object")
        n = bucket.get("doc_count")
        if not isinstance(n, int) or isinstance(n, bool) or n < 1:
            raise ValueError(f"doc_count is {n!r}, not a count")
        transport = key.get("transport")
        return flow_events(number, _millis(bucket, "first_seen"), _millis(bucket, "last_seen"),
                           str(key.get("device") or self.device), str(key.get("message")),
                           str(transport).lower() if transport else None,
                           field_address(key, "src"), field_address(key, "dst"),
                           _port(key.get("dport")),
                           n)

    def _page_lines(self, body: Any, origin: str, page: int) -> Iterator[str]:
        hits = self._checked(body, origin, "hits.hits")
        self.rows = (self.rows or 0) + len(hits)
        for number, hit in enumerate(hits, 1):
            source = hit.get("_source") if isinstance(hit, dict) else None
            raw = _field(source, "event.original") or _field(source, "message")
            if not raw.strip():
                self._skip(f"{origin} page {page} hit {number}",
                           "no event.original or message")
                continue
            yield raw.rstrip("\r\n") + "\n"

    def _skip(self, location: str, reason: str) -> None:
        self.stats.lines += 1
        self.stats.unparsed += 1
        self.skipped.append(SkippedLine(location, reason))


class OpenSearchLogSource(ElasticLogSource):
    """The same, from OpenSearch: its `_search` takes the same bodies."""

    type: ClassVar[str] = "opensearch"
    engine: ClassVar[str] = "opensearch"
    product: ClassVar[str] = "OpenSearch"


def _path(index: str) -> str:
    """An index pattern as a URL path segment (`*` and `,` kept: they are its syntax)."""
    return quote(index, safe="*,-_.")


def _documents(lines: Iterable[str], where: str) -> Iterator[tuple[int, Any]]:
    """(page number, body) of saved answers: one JSON document a line, or one
    pretty-printed document (or several) over many lines."""
    rest: list[str] = []
    page = 0
    for line in lines:
        if not rest and line.strip():
            try:
                body = json.loads(line)
            except json.JSONDecodeError:
                rest.append(line)
                continue
            page += 1
            yield page, body
        elif rest:
            rest.append(line)
    text = "".join(rest).strip()
    decoder = json.JSONDecoder()
    at = 0
    while at < len(text):
        try:
            body, at = decoder.raw_decode(text, at)
        except json.JSONDecodeError as exc:
            raise SourceError(f"{where}: a saved answer is not JSON ({exc.msg} at character "
                              f"{exc.pos}); save the _search answers as the API writes "
                              "them, one a line") from None
        page += 1
        yield page, body
        while at < len(text) and text[at].isspace():
            at += 1


def _said(body: Any) -> str:
    """What an error body says, one line: `type: reason` of the error and its root cause."""
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, str):
        return _one_line(error)
    if not isinstance(error, dict):
        return ""
    parts: list[str] = []
    causes = error.get("root_cause")
    for cause in [*(causes if isinstance(causes, list) else []), error,
                  error.get("caused_by")]:
        if not isinstance(cause, dict) or not cause.get("reason"):
            continue
        text = f"{cause.get('type') or 'error'}: {cause['reason']}"
        more = cause.get("additional_unsuccessful_credentials")   # "API key: api key is expired"
        if more:
            text += f" ({more})"
        if text not in parts:
            parts.append(text)
    return _one_line("; ".join(parts))


def _one_line(text: str) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= _QUOTE else text[:_QUOTE - 3] + "..."


def _count(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _field(source: Any, name: str) -> str:
    """`name` (dotted) of a hit's `_source`: nested objects or a flat dotted key."""
    if not isinstance(source, dict):
        return ""
    value = source.get(name)
    if value is None:
        value = source
        for part in name.split("."):
            value = value.get(part) if isinstance(value, dict) else None
    if isinstance(value, list) and value:   # a keyword field may hold an array
        value = value[0]
    return value if isinstance(value, str) else ""


def _port(value: object) -> int | None:
    if value is None or value == "":
        return None
    text = str(value)
    if not text.isdigit() or int(text) > 65535:
        raise ValueError(f"dport is {value!r}, not a port")
    return int(text)


def _millis(bucket: dict[str, Any], name: str) -> datetime:
    """A min/max of `@timestamp` (epoch milliseconds) as the parsers' naive UTC stamp."""
    agg = bucket.get(name)
    value = agg.get("value") if isinstance(agg, dict) else None
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise ValueError(f"{name} is {value!r}, not epoch milliseconds")
    try:
        return _EPOCH + timedelta(milliseconds=value)
    except OverflowError:
        raise ValueError(f"{name} is {value!r}, not epoch milliseconds") from None

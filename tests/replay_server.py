"""A local HTTP server that replays vendors' API answers, for tests of live-API connectors.

It listens on loopback only (127.0.0.1, or ::1), on a port the system picks, in a thread.
A test scripts its routes: `server.route(method, path, handler)`, where a handler takes the
recorded `Request` and returns a `Reply` (status, headers, body; optionally a delay, or a
dropped connection). Every request is recorded, headers and body included, so a test can
assert what was sent: the Authorization header, the SWQL text, how many retries came.

    with ReplayServer() as server:
        server.route("GET", "/api/v0/devices", Reply.json({"status": "ok", "devices": []}))
        server.route("POST", "/login", replies(Reply(503, {"Retry-After": "0"}),
                                               Reply.json({"token": "t0k"})))
        spec = SourceSpec("nms", "librenms", url=server.url, options={...})
        ...
        [login, again] = server.requests_to("POST", "/login")
        assert again.json() == {"userName": ...}

Handlers:

- a `Reply` (the same answer every time) or any callable `Request -> Reply`; a plain
  `(status, headers, body)` tuple is accepted too;
- `replies(a, b, c)`: one answer per call, in order, the last one repeated;
- paged APIs compute their pages from the request: `swis_query` answers SolarWinds SWQL
  row windows (`WITH ROWS a TO b WITH TOTALROWS`) from a table of rows per entity;
  `netbox_pages` answers `?limit=&offset=` with `next` links back at this server (or at
  another base, to replay a reverse proxy's links). Replays of other vendors (Prometheus,
  Zabbix, LibreNMS, Splunk, Elasticsearch) belong here the same way: a function that
  returns a handler.

`ReplayServer(tls=context)` answers https:// with the context's certificate (tests make a
self-signed one with the `openssl` command).

A route that is not scripted answers 404 with a JSON `detail` naming it; a handler that
raises answers 500 with the exception's text and records it in `server.errors`.
"""

from __future__ import annotations

import json
import re
import socket
import ssl
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

#: The only addresses the server may listen on.
LOOPBACK = ("127.0.0.1", "::1")


@dataclass(frozen=True)
class Request:
    """One request as the server received it."""

    method: str
    target: str
    """The request target: path and query string, as sent."""
    headers: Mapping[str, str]
    """Header names in lower case."""
    body: bytes
    base: str
    """The server's own base URL (`http://127.0.0.1:40123`), for links in answers."""

    @property
    def path(self) -> str:
        return urlsplit(self.target).path

    @property
    def query(self) -> dict[str, str]:
        """Query parameters (the last value of each)."""
        return {k: v[-1] for k, v in parse_qs(urlsplit(self.target).query,
                                              keep_blank_values=True).items()}

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


@dataclass(frozen=True)
class Reply:
    """One answer: status, headers and body, sent after `delay` seconds."""

    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""
    delay: float = 0.0
    """Seconds to wait before answering: a slow server, for read timeouts."""
    drop: bool = False
    """Close the connection without answering (a reset, as far as the client can tell)."""

    @classmethod
    def json(cls, data: Any, status: int = 200, headers: Mapping[str, str] | None = None,
             delay: float = 0.0) -> Reply:
        """`data` as a JSON body with `Content-Type: application/json`."""
        return cls(status, {"Content-Type": "application/json", **(headers or {})},
                   json.dumps(data).encode(), delay)

    @classmethod
    def text(cls, text: str, status: int = 200,
             content_type: str = "text/plain; charset=utf-8",
             headers: Mapping[str, str] | None = None) -> Reply:
        return cls(status, {"Content-Type": content_type, **(headers or {})}, text.encode())


Handler = Callable[[Request], "Reply | tuple[int, Mapping[str, str], bytes]"]


def replies(*answers: Reply) -> Handler:
    """A handler that gives `answers` one per call, in order, then repeats the last."""
    queue = list(answers)
    lock = threading.Lock()

    def handle(_request: Request) -> Reply:
        with lock:
            return queue.pop(0) if len(queue) > 1 else queue[0]
    return handle


class ReplayServer:
    """The server: routes, recorded requests, and its base `url`. A context manager."""

    def __init__(self, host: str = "127.0.0.1", *,
                 tls: ssl.SSLContext | None = None) -> None:
        """`tls`: a server-side context (certificate loaded) to answer https:// instead."""
        if host not in LOOPBACK:
            raise ValueError(f"the replay server listens on loopback only, not {host!r}")
        self.host = host
        self.tls = tls
        self.routes: dict[tuple[str, str], Handler] = {}
        self.requests: list[Request] = []
        """Every request received, in order."""
        self.errors: list[str] = []
        """Exceptions raised by handlers (each also answered 500)."""
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def route(self, method: str, path: str, handler: Handler | Reply) -> None:
        """Answer `method path` (the path without its query) with `handler`."""
        if isinstance(handler, Reply):
            reply = handler
            self.routes[(method.upper(), path)] = lambda _request: reply
        else:
            self.routes[(method.upper(), path)] = handler

    @property
    def url(self) -> str:
        """`http://127.0.0.1:<port>` (no trailing slash)."""
        assert self._httpd is not None, "start the server first"
        port = self._httpd.server_address[1]
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{'https' if self.tls else 'http'}://{host}:{port}"

    def requests_to(self, method: str, path: str) -> list[Request]:
        """The recorded requests for one route, in order."""
        with self._lock:
            return [r for r in self.requests if r.method == method.upper() and r.path == path]

    def start(self) -> ReplayServer:
        server_class = _V6Server if ":" in self.host else ThreadingHTTPServer
        self._httpd = server_class((self.host, 0), _handler_for(self))
        self._httpd.daemon_threads = True
        self._httpd.block_on_close = False   # a handler still sleeping out a delay
        if self.tls is not None:
            # handshakes happen at accept; one a client refuses is dropped quietly
            self._httpd.socket = self.tls.wrap_socket(self._httpd.socket, server_side=True)
        self._thread = threading.Thread(target=self._httpd.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> ReplayServer:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    # -- used by the request handler -----------------------------------------------------

    def _answer(self, request: Request) -> Reply:
        with self._lock:
            self.requests.append(request)
            handler = self.routes.get((request.method, request.path))
        if handler is None:
            return Reply.json({"detail": f"no route for {request.method} {request.path} in "
                                         "this replay"}, 404)
        try:
            reply = handler(request)
        except Exception as exc:  # the test's own bug: make it loud, not a hang
            with self._lock:
                self.errors.append(f"{request.method} {request.target}: {exc!r}")
            return Reply.text(f"replay handler failed: {exc!r}", 500)
        if isinstance(reply, tuple):
            status, headers, body = reply
            reply = Reply(status, headers, body)
        return reply

    def _wait(self, seconds: float) -> bool:
        """Sleep out a delay; False when the server is stopping meanwhile."""
        return not self._stopping.wait(seconds)


class _V6Server(ThreadingHTTPServer):
    address_family = socket.AF_INET6


def _handler_for(replay: ReplayServer) -> type[BaseHTTPRequestHandler]:
    class _Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            request = Request(self.command, self.path,
                              {k.lower(): v for k, v in self.headers.items()}, body,
                              replay.url)
            reply = replay._answer(request)
            if reply.delay and not replay._wait(reply.delay):
                return
            if reply.drop:
                self.close_connection = True
                return
            try:
                self.send_response(reply.status)
                names = {k.lower() for k in reply.headers}
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                if "content-length" not in names:
                    self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(reply.body)
            except (BrokenPipeError, ConnectionResetError):   # the client gave up waiting
                self.close_connection = True

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _serve

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            """Quiet: tests read stderr (and nothing here should reach it)."""

    return _Handler


# -- vendor replays ----------------------------------------------------------------------

_SELECT = re.compile(r"\bSELECT\s+(?P<columns>.+?)\s+FROM\s+(?P<entity>[\w.]+)",
                     re.IGNORECASE | re.DOTALL)
_ORDER = re.compile(r"\bORDER\s+BY\s+(?P<key>\w+)", re.IGNORECASE)
_WINDOW = re.compile(r"\bWITH\s+ROWS\s+(?P<first>\d+)\s+TO\s+(?P<last>\d+)", re.IGNORECASE)
_TOTAL = re.compile(r"\bWITH\s+TOTALROWS\b", re.IGNORECASE)


def swis_query(tables: Mapping[str, Sequence[Mapping[str, Any]]]) -> Handler:
    """SolarWinds SWIS `Query` (`POST .../Json/Query {"query": SWQL}` or `GET ?query=`).

    Answers `{"results": [...]}` with the rows of the entity after FROM, sorted by the
    ORDER BY column, cut to the `WITH ROWS a TO b` window (1-based, inclusive), each row
    holding the SELECTed columns in that order (null where the row has none), and
    `"totalRows"` first when the query says `WITH TOTALROWS`. `SELECT *` and unknown
    entities are answered 400 with a `Message`, as SWIS does.
    """
    def handle(request: Request) -> Reply:
        if request.method == "GET":
            swql = request.query.get("query", "")
        else:
            swql = (request.json() or {}).get("query", "")
        select = _SELECT.search(swql)
        if select is None:
            return Reply.json({"Message": f"mismatched input at 1:0: {swql[:40]!r}"}, 400)
        columns = [c.strip() for c in select["columns"].split(",")]
        if "*" in columns:
            return Reply.json({"Message": "SELECT * is not supported in SWQL; list the "
                                          "columns"}, 400)
        entity = select["entity"]
        if entity not in tables:
            return Reply.json({"Message": f"Source entity [{entity}] not found in catalog"},
                              400)
        rows = list(tables[entity])
        order = _ORDER.search(swql)
        if order:
            rows.sort(key=lambda row: row.get(order["key"]) or 0)
        window = _WINDOW.search(swql)
        chosen = rows[int(window["first"]) - 1:int(window["last"])] if window else rows
        results = [{c: row.get(c) for c in columns} for row in chosen]
        if _TOTAL.search(swql):
            return Reply.json({"totalRows": len(rows), "results": results})
        return Reply.json({"results": results})
    return handle


def netbox_pages(results: Sequence[Mapping[str, Any]], *, path: str = "/api/ipam/prefixes/",
                 max_page_size: int = 1000, link_base: str | None = None) -> Handler:
    """A NetBox list endpoint: `?limit=N&offset=M` pages of `results`.

    Each page is `{"count", "next", "previous", "results"}`; `next`/`previous` are absolute
    URLs at this server, or at `link_base` when given (a proxy's own address); `limit` is
    capped at `max_page_size`, as NetBox's MAX_PAGE_SIZE does (default limit 50).
    """
    def link(base: str, limit: int, offset: int) -> str:
        query = f"limit={limit}" + (f"&offset={offset}" if offset else "")
        return f"{base}{path}?{query}"

    def handle(request: Request) -> Reply:
        query = request.query
        limit = min(int(query.get("limit") or 50), max_page_size)
        offset = int(query.get("offset") or 0)
        base = link_base or request.base
        after = offset + limit
        return Reply.json({
            "count": len(results),
            "next": link(base, limit, after) if after < len(results) else None,
            "previous": link(base, limit, max(0, offset - limit)) if offset else None,
            "results": list(results[offset:after])})
    return handle


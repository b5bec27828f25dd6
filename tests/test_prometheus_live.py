"""A real Prometheus server scrapes loopback targets; its targets API body is read back.

The test starts `prometheus` (Debian package `prometheus`) on a free loopback port with a
generated config, scrape interval 1 s:

* job `node` scrapes two loopback addresses directly: a tiny HTTP server that serves
  `/metrics`, and a closed port;
* job `snmp` is an snmp_exporter job: the same tiny server plays the exporter on loopback
  and, as snmp_exporter does, answers 200 for a device that answers and 500 for one that
  does not. The devices (192.0.2.10, 192.0.2.11) only travel as the `target` URL parameter
  to the loopback exporter: nothing is ever sent to them.

Once every target has been scraped, `GET /api/v1/targets` is saved to a file (plain
urllib, in the test only) and read through the connector's file path.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from auditor.model import ToolState
from connectors.base import SourceSpec
from connectors.sources.prometheus import PrometheusSource

PROMETHEUS = shutil.which("prometheus")
pytestmark = pytest.mark.skipif(
    PROMETHEUS is None, reason="the prometheus binary is absent (Debian package "
    "'prometheus': apt-get install --no-install-recommends prometheus)")

#: The device the fake exporter reports as answering; any other is down.
ANSWERING = "192.0.2.10"
METRICS = b"# HELP demo_up A demo gauge.\n# TYPE demo_up gauge\ndemo_up 1\n"


class _Exporter(BaseHTTPRequestHandler):
    """`/metrics` for the direct job; `/snmp?target=...` as snmp_exporter answers it."""

    def do_GET(self) -> None:  # noqa: N802 - the http.server hook's name
        parts = urlsplit(self.path)
        if parts.path == "/snmp":
            target = parse_qs(parts.query).get("target", [""])[0]
            if target != ANSWERING:
                body = f"error walking target {target}: request timeout (after 3 retries)\n"
                self._answer(500, body.encode())
                return
        self._answer(200, METRICS)

    def _answer(self, code: int, body: bytes) -> None:
        self.send_response(code)
        self.send_header("Content-Type", "text/plain; version=0.0.4")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - hook's name
        pass


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture()
def exporter() -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Exporter)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()


def _config(exporter: int, closed: int) -> str:
    return f"""\
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: node
    static_configs:
      - targets: ['127.0.0.1:{exporter}', '127.0.0.1:{closed}']
  - job_name: snmp
    metrics_path: /snmp
    params:
      module: [if_mib]
    static_configs:
      - targets: ['{ANSWERING}', 'tcp://192.0.2.11:1161']
    relabel_configs:
      - source_labels: [__address__]
        target_label: __param_target
      - source_labels: [__param_target]
        target_label: instance
      - target_label: __address__
        replacement: 127.0.0.1:{exporter}
"""


def _targets_when_scraped(port: int, proc: subprocess.Popen[bytes], log: Path) -> bytes:
    """The targets API body once all four targets have a health, within 30 s."""
    url = f"http://127.0.0.1:{port}/api/v1/targets"
    deadline = time.monotonic() + 30
    last = b""
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"prometheus exited with {proc.returncode}: "
                        f"{log.read_text(errors='replace')[-2000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                last = answer.read()
        except OSError:
            time.sleep(0.2)
            continue
        active = json.loads(last)["data"]["activeTargets"]
        if len(active) == 4 and all(t["health"] in ("up", "down") for t in active):
            return last
        time.sleep(0.2)
    pytest.fail(f"targets not all scraped within 30 s; last body: {last[:2000]!r}")


def test_real_prometheus_targets_api_body(tmp_path: Path, exporter: int) -> None:
    assert PROMETHEUS is not None
    closed = _free_port()
    port = _free_port()
    config = tmp_path / "prometheus.yml"
    config.write_text(_config(exporter, closed))
    log = tmp_path / "prometheus.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [PROMETHEUS, f"--config.file={config}", f"--storage.tsdb.path={tmp_path / 'tsdb'}",
             f"--web.listen-address=127.0.0.1:{port}"], stdout=out, stderr=subprocess.STDOUT)
        try:
            body = _targets_when_scraped(port, proc, log)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    saved = tmp_path / "targets.json"
    saved.write_bytes(body)

    source = PrometheusSource(SourceSpec(name="prom", type="prometheus", paths=(saved,),
                                         poller="10.30.1.10", options={"jobs": "all"},
                                         root=tmp_path))
    scraped = {f"{t.job}/{t.text}": t for t in source.job_targets()}
    assert sorted(scraped) == sorted([f"node/127.0.0.1:{exporter}", f"node/127.0.0.1:{closed}",
                                      f"snmp/{ANSWERING}", "snmp/tcp://192.0.2.11:1161"])
    answering, refused = scraped[f"node/127.0.0.1:{exporter}"], scraped[f"node/127.0.0.1:{closed}"]
    assert (answering.health, answering.last_error, answering.host) == ("up", "", "127.0.0.1")
    assert (refused.health, refused.host, refused.port) == ("down", "127.0.0.1", closed)
    assert f"dial tcp 127.0.0.1:{closed}: connect: connection refused" in refused.last_error
    snmp_down = scraped["snmp/tcp://192.0.2.11:1161"]
    assert (snmp_down.health, snmp_down.last_error) == (
        "down", "server returned HTTP status 500 Internal Server Error")
    assert (snmp_down.module, snmp_down.scrape_address) == ("if_mib", f"127.0.0.1:{exporter}")

    targets = sorted(source.fetch(), key=lambda t: t.address)
    # the devices behind the exporter, never the exporter's (loopback) address; the server
    # sends through its loopback exporter, so the option poller stands
    assert [(t.id, t.address, t.protocol, t.port, t.state, t.polled, t.poller, t.location)
            for t in targets] == [
        (f"snmp/{ANSWERING}", ANSWERING, "udp", 161, ToolState.UP, True, "10.30.1.10",
         "targets.json"),
        ("snmp/tcp://192.0.2.11:1161", "192.0.2.11", "tcp", 1161, ToolState.DOWN, True,
         "10.30.1.10", "targets.json"),
    ]
    assert targets[0].last_ok is not None and targets[0].last_ok == targets[0].seen
    assert targets[1].last_ok is None and targets[1].seen is not None
    # the direct scrapes of loopback reach no network: counted, not records
    assert sorted(s.reason for s in source.skipped) == sorted(
        f"job node: 127.0.0.1:{p} is the polling host itself; no packet crosses the network"
        for p in (exporter, closed))

"""Prometheus connector: prometheus.yml with file_sd files, and the targets API body.

The fixture cases under tests/fixtures/prometheus/ hold the whole records; here each value a
user cares about is spelt out, with the reference examples read in place, options and errors.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from auditor.errors import ConfigError, SourceError
from auditor.model import ToolState
from connectors import lookup
from connectors.base import SourceSpec
from connectors.shared.hosts import split_endpoint
from connectors.sources.prometheus import PrometheusSource
from tests.conftest import EXAMPLES, FIXTURES, need_shared

CASES = FIXTURES / "prometheus"
CONFIG = CASES / "config-exporters"
API = CASES / "targets-api"
UNKNOWN, UP, DOWN, DISABLED = (ToolState.UNKNOWN, ToolState.UP, ToolState.DOWN,
                               ToolState.DISABLED)


def _source(*paths: Path, root: Path | None = None, **options: object) -> PrometheusSource:
    return PrometheusSource(SourceSpec(name="prom", type="prometheus", paths=paths,
                                       owner="NOC", poller="10.30.1.10", options=options,
                                       root=root))


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_registered_with_its_api_flag() -> None:
    assert lookup("sources", "prometheus") is PrometheusSource
    assert PrometheusSource.api is True


def test_config_reads_exporter_jobs_static_and_file_sd() -> None:
    source = _source(CONFIG / "prometheus.yml", root=CONFIG)
    got = [(t.id, t.address, t.protocol, t.port, t.polled, t.state, t.poller, t.location)
           for t in source.fetch()]
    exporter, server = "10.30.1.50", "10.30.1.10"
    assert got == [
        ("snmp-core/10.10.0.2", "10.10.0.2", "udp", 161, True, UNKNOWN, exporter,
         "prometheus.yml:26"),
        ("snmp-core/10.99.4.20", "10.99.4.20", "udp", 161, True, UNKNOWN, exporter,
         "prometheus.yml:27"),
        ("snmp-core/tcp://10.30.0.11:1161", "10.30.0.11", "tcp", 1161, True, UNKNOWN, exporter,
         "prometheus.yml:28"),
        ("snmp-core/[2001:db8:10::1]:1161", "2001:db8:10::1", "udp", 1161, True, UNKNOWN,
         exporter, "prometheus.yml:29"),
        ("snmp-core/Core-Rtr-02.corp.example", "core-rtr-02.corp.example", "udp", 161, True,
         UNKNOWN, exporter, "prometheus.yml:30"),
        # file_sd JSON: lines found in the text; the junk target and group are skipped
        ("snmp-core/10.99.7.5", "10.99.7.5", "udp", 161, True, UNKNOWN, exporter,
         "targets/snmp-legacy.json:4"),
        ("snmp-core/10.99.7.6:1161", "10.99.7.6", "udp", 1161, True, UNKNOWN, exporter,
         "targets/snmp-legacy.json:6"),
        ("snmp-core/udp6://[2001:db8:99::7]:161", "2001:db8:99::7", "udp", 161, True, UNKNOWN,
         exporter, "targets/snmp-legacy.json:18"),
        # file_sd YAML
        ("snmp-core/172.16.40.11", "172.16.40.11", "udp", 161, True, UNKNOWN, exporter,
         "targets/snmp-ups.yml:3"),
        ("snmp-core/ups-3.corp.example:1161", "ups-3.corp.example", "udp", 1161, True, UNKNOWN,
         exporter, "targets/snmp-ups.yml:4"),
        # exporter on loopback: the server polls; a relabel `drop` rule parks 10.99.4.21
        ("snmp-wifi/10.20.4.2", "10.20.4.2", "udp", 161, True, UNKNOWN, server,
         "prometheus.yml:53"),
        ("snmp-wifi/10.99.4.21", "10.99.4.21", "udp", 161, False, DISABLED, server,
         "prometheus.yml:53"),
        ("blackbox-icmp/10.20.0.1", "10.20.0.1", "icmp", None, True, UNKNOWN, server,
         "prometheus.yml:71"),
        ("blackbox-icmp/10.99.3.4", "10.99.3.4", "icmp", None, True, UNKNOWN, server,
         "prometheus.yml:71"),
        # exporter named, not an IP: the server's address stands
        ("blackbox-http/https://intranet.corp.example", "intranet.corp.example", "tcp", 443,
         True, UNKNOWN, server, "prometheus.yml:86"),
        ("blackbox-http/http://10.20.0.80:8080/health", "10.20.0.80", "tcp", 8080, True,
         UNKNOWN, server, "prometheus.yml:87"),
    ]
    assert [(s.location, s.reason) for s in source.skipped] == [
        ("targets/snmp-legacy.json:5",
         "job snmp-core: target '10.99.7.300' is not a host, host:port or URL"),
        ("targets/snmp-legacy.json:21", "target group #3 is not an object with targets"),
        ("prometheus.yml:98", "job consul-snmp: consul_sd_configs discovers targets that no "
         "file lists; read a targets API body (GET /api/v1/targets) for them"),
    ]


def test_config_fix_names_job_module_auth_and_file() -> None:
    got = {t.id: t for t in _source(CONFIG / "prometheus.yml", root=CONFIG).fetch()}
    assert got["snmp-core/10.99.4.20"].fix == (
        "Remove target 10.99.4.20 from job snmp-core (snmp_exporter, module if_mib, auth "
        "public_v2) in prometheus.yml")
    # a file_sd group's __param_module label overrides the job's params
    assert got["snmp-core/172.16.40.11"].fix == (
        "Remove target 172.16.40.11 from job snmp-core (snmp_exporter, module apcups, auth "
        "public_v2) in targets/snmp-ups.yml")
    assert got["snmp-wifi/10.99.4.21"].fix == (
        "Remove target 10.99.4.21 from job snmp-wifi (snmp_exporter, module cisco_wlc, auth "
        "wifi_v3) in prometheus.yml (relabelling already drops it)")
    assert got["snmp-core/Core-Rtr-02.corp.example"].name == "Core-Rtr-02.corp.example"


def test_config_direct_jobs_only_when_asked() -> None:
    source = _source(CONFIG / "prometheus.yml", root=CONFIG, jobs="all")
    got = {t.id: t for t in source.fetch()}
    assert len(got) == 16 + 2
    direct = [(t.address, t.protocol, t.port, t.poller, t.location) for k, t in got.items()
              if k.startswith(("node/", "prometheus/"))]
    # the server scraping itself sends nothing across the network: counted, not a record
    assert (source.skipped[-1].location, source.skipped[-1].reason) == (
        "prometheus.yml:15", "job prometheus: localhost:9090 is the polling host itself; no "
        "packet crosses the network")
    assert direct == [
        ("10.20.0.15", "tcp", 9100, "10.30.1.10", "prometheus.yml:104"),
        ("10.99.3.15", "tcp", 9100, "10.30.1.10", "prometheus.yml:104"),
    ]


def test_targets_api_health_last_scrape_and_device_behind_exporter() -> None:
    source = _source(API / "targets.json", root=API)
    got = [(t.id, t.address, t.name, t.polled, t.state, t.last_ok, t.seen, t.poller)
           for t in source.fetch()]
    assert got == [
        ("snmp-core/10.10.0.2", "10.10.0.2", "10.10.0.2", True, UP,
         datetime(2026, 11, 24, 8, 59, 41, 123456), datetime(2026, 11, 24, 8, 59, 41, 123456),
         "10.30.1.50"),
        ("snmp-core/10.99.4.20", "10.99.4.20", "10.99.4.20", True, DOWN, None,
         datetime(2026, 11, 24, 8, 59, 12, 502137), "10.30.1.50"),
        # the exporter refused the scrape: nothing is known of the device
        ("snmp-core/tcp://10.30.0.11:1161", "10.30.0.11", "tcp://10.30.0.11:1161", True,
         UNKNOWN, None, datetime(2026, 11, 24, 8, 59, 30, 918), "10.30.1.50"),
        ("snmp-core/[2001:db8:10::1]:1161", "2001:db8:10::1", "[2001:db8:10::1]:1161", True,
         UP, datetime(2026, 11, 24, 8, 59, 44, 870000),
         datetime(2026, 11, 24, 8, 59, 44, 870000), "10.30.1.50"),
        # never scraped yet: 0001-01-01 is no date
        ("snmp-access/10.20.7.7", "10.20.7.7", "sw-access-7", True, UNKNOWN, None, None,
         "10.30.1.50"),
        # blackbox answers 200 whether or not the probe got a reply: state unknown
        ("blackbox-icmp/10.99.3.4", "10.99.3.4", "10.99.3.4", True, UNKNOWN, None,
         datetime(2026, 11, 24, 8, 59, 50, 1000), "10.30.1.10"),
        ("snmp-wifi/10.99.4.21", "10.99.4.21", "10.99.4.21", False, DISABLED, None, None,
         "10.30.1.10"),
    ]
    assert [(s.location, s.reason) for s in source.skipped] == [
        ("targets.json", "activeTargets[5]: target '10.99.7.300' is not a host, host:port "
         "or URL")]


def test_targets_api_keeps_health_and_last_error_without_query_strings() -> None:
    source = _source(API / "targets.json", root=API, jobs="all")
    got = {f"{t.job}/{t.text}": t for t in source.job_targets()}
    assert (got["snmp-core/10.99.4.20"].health, got["snmp-core/10.99.4.20"].last_error) == (
        "down", "server returned HTTP status 500 Internal Server Error")
    assert got["snmp-core/tcp://10.30.0.11:1161"].last_error == (
        'Get "http://10.30.1.50:9116/snmp?…": dial tcp 10.30.1.50:9116: connect: '
        "connection refused")
    assert (got["snmp-core/10.10.0.2"].module, got["snmp-core/10.10.0.2"].auth) == (
        "if_mib", "public_v2")
    node = got["node/10.99.3.15:9100"]
    assert (node.health, node.last_error, node.exporter) == (
        "down", 'Get "http://10.99.3.15:9100/metrics": context deadline exceeded', None)
    targets = {t.id: t for t in source.fetch()}
    assert (targets["node/10.99.3.15:9100"].address, targets["node/10.99.3.15:9100"].state,
            targets["node/10.99.3.15:9100"].port) == ("10.99.3.15", DOWN, 9100)
    assert targets["node/10.20.0.99:9100"].polled is False


def test_targets_api_body_parsed_from_a_url_origin() -> None:
    body = json.loads((API / "targets.json").read_text())
    source = _source()
    got = source.parse(body, "http://10.30.1.10:9090/api/v1/targets")
    assert [t.location for t in got] == ["http://10.30.1.10:9090/api/v1/targets"] * 7
    assert got[1].address == "10.99.4.20"


def test_reference_prometheus_yml_in_place() -> None:
    path = need_shared(EXAMPLES / "prometheus.yml")
    source = _source(path)
    got = [(t.id, t.address, t.protocol, t.port, t.poller, t.location, t.fix)
           for t in source.fetch()]
    where = path.as_posix()
    fix = "(snmp_exporter, module if_mib, auth public_v2) in " + where
    # the exporter's own address (127.0.0.1:9116) is no target; the self-scrape job is
    # no exporter job; the server (option poller) sends through the loopback exporter
    assert got == [
        ("snmp-network/10.10.0.2", "10.10.0.2", "udp", 161, "10.30.1.10", f"{where}:12",
         f"Remove target 10.10.0.2 from job snmp-network {fix}"),
        ("snmp-network/10.99.4.20", "10.99.4.20", "udp", 161, "10.30.1.10", f"{where}:13",
         f"Remove target 10.99.4.20 from job snmp-network {fix}"),
        ("snmp-network/tcp://10.30.0.11:1161", "10.30.0.11", "tcp", 1161, "10.30.1.10",
         f"{where}:14", f"Remove target tcp://10.30.0.11:1161 from job snmp-network {fix}"),
    ]
    [note] = source.skipped
    assert note.location == f"{where}:19"
    assert note.reason.startswith("files glob '/etc/prometheus/targets/snmp-*.json' matches "
                                  "no file here")
    assert note.reason.endswith("; set file_sd_root to where the server's files were copied")


def test_reference_file_sd_json_in_place() -> None:
    path = need_shared(EXAMPLES / "prometheus-file-sd-snmp-legacy.json")
    got = [(t.id, t.address, t.protocol, t.port, t.location) for t in _source(path).fetch()]
    where = path.as_posix()
    assert got == [
        ("10.99.7.5", "10.99.7.5", "udp", 161, f"{where}:4"),
        ("10.99.7.6", "10.99.7.6", "udp", 161, f"{where}:5"),
        ("172.16.40.11", "172.16.40.11", "udp", 161, f"{where}:14"),
    ]


def test_file_sd_root_reads_absolute_globs_beneath_it(tmp_path: Path) -> None:
    yml = _write(tmp_path, "prom/prometheus.yml", """\
scrape_configs:
  - job_name: snmp
    metrics_path: /snmp
    file_sd_configs:
      - files: [/etc/prometheus/targets/*.yaml]
    relabel_configs:
      - {source_labels: [__address__], target_label: __param_target}
      - {target_label: __address__, replacement: "[2001:db8:30::50]:9116"}
""")
    _write(tmp_path, "copied/etc/prometheus/targets/dc2.yaml",
           "- targets: ['10.20.8.1', 'sw-dc2-02']\n")
    got = _source(yml, root=tmp_path, file_sd_root="copied").fetch()
    assert [(t.address, t.poller, t.location) for t in got] == [
        ("10.20.8.1", "2001:db8:30::50", "copied/etc/prometheus/targets/dc2.yaml:1"),
        ("sw-dc2-02", "2001:db8:30::50", "copied/etc/prometheus/targets/dc2.yaml:1"),
    ]


def test_relabel_keep_hashmod_and_labelmap_decide_what_is_polled(tmp_path: Path) -> None:
    yml = _write(tmp_path, "prometheus.yml", """\
scrape_configs:
  - job_name: snmp-shard
    metrics_path: /snmp
    static_configs:
      - targets: [10.20.1.1, 10.20.1.2, 10.20.1.3, 10.20.1.4]
        labels: {site: dc1}
      - targets: [10.20.2.1]
        labels: {site: lab}
    relabel_configs:
      - {source_labels: [site], regex: 'dc[0-9]+', action: keep}
      - {source_labels: [__address__], modulus: 2, target_label: __tmp_shard, action: hashmod}
      - {source_labels: [__tmp_shard], regex: '0', action: keep}
      - {source_labels: [__address__], target_label: __param_target}
      - {source_labels: [__address__], regex: '10\\.20\\.(\\d+)\\.(\\d+)',
         target_label: instance, replacement: 'sw-$1-${2}x$2x'}
      - {target_label: __address__, replacement: 127.0.0.1:9116}
""")
    got = [(t.address, t.polled, t.name) for t in _source(yml).fetch()]
    # md5 shard of each address, as Prometheus computes it (last 8 bytes, mod 2)
    assert got == [
        ("10.20.1.1", True, "sw-1-1x"),
        ("10.20.1.2", True, "sw-1-2x"),
        ("10.20.1.3", False, "10.20.1.3"),
        ("10.20.1.4", False, "10.20.1.4"),
        ("10.20.2.1", False, "10.20.2.1"),
    ]


@pytest.mark.parametrize(("text", "parts"), [
    ("10.10.0.2", ("", "10.10.0.2", None)),
    ("10.10.0.2:1161", ("", "10.10.0.2", 1161)),
    ("tcp://10.30.0.11:1161", ("tcp", "10.30.0.11", 1161)),
    ("[2001:DB8::1]:161", ("", "2001:db8::1", 161)),
    ("2001:db8::1", ("", "2001:db8::1", None)),
    ("udp6://[fe80::1%eth0]:161", ("udp6", "fe80::1", 161)),
    ("HTTPS://user@Intranet.corp.example/path?x=1", ("https", "intranet.corp.example", None)),
])
def test_split_endpoint(text: str, parts: tuple[str, str, int | None]) -> None:
    assert split_endpoint(text) == parts


@pytest.mark.parametrize("text", ["10.99.7.300", "host:99999", "[2001:db8::1", "", "a b"])
def test_split_endpoint_refuses_junk(text: str) -> None:
    with pytest.raises(ValueError):
        split_endpoint(text)


def test_unknown_jobs_option_is_a_config_error() -> None:
    with pytest.raises(ConfigError) as info:
        _source(Path("absent.yml"), jobs="snmp")
    assert str(info.value) == "source 'prom': jobs: 'snmp' is not one of exporters, all"


def test_invalid_yaml_names_file_and_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "prometheus.yml", "scrape_configs:\n  - job_name: a\n   x: [\n")
    with pytest.raises(SourceError) as info:
        _source(path).fetch()
    assert (info.value.path, info.value.line) == (path, 3)
    assert str(info.value).startswith(f"{path} line 3: invalid YAML: ")


def test_config_without_exporter_jobs_is_an_error_not_an_empty_list(tmp_path: Path) -> None:
    path = _write(tmp_path, "prometheus.yml",
                  "scrape_configs:\n  - job_name: node\n    static_configs:\n"
                  "      - targets: ['10.20.0.15:9100']\n")
    with pytest.raises(SourceError) as info:
        _source(path).fetch()
    assert str(info.value) == (
        f"{path}: no target of a job scraping /snmp or /probe (snmp_exporter, "
        'blackbox_exporter) found; jobs = "all" also reads direct scrape jobs')


def test_json_that_is_no_prometheus_body_says_what_was_expected(tmp_path: Path) -> None:
    path = _write(tmp_path, "nodes.json", '{"results": []}')
    with pytest.raises(SourceError) as info:
        _source(path).fetch()
    assert str(info.value) == (
        f"{path}: not a Prometheus file: expected prometheus.yml (scrape_configs), a file_sd "
        "list of target groups, or a targets API body (status, data); got an object with "
        "keys results")


def test_api_body_without_active_targets_names_the_field(tmp_path: Path) -> None:
    path = _write(tmp_path, "targets.json", '{"status": "success", "data": {"resultType": 1}}')
    with pytest.raises(SourceError) as info:
        _source(path).fetch()
    assert info.value.field == "activeTargets"
    assert "expected a targets API body (GET /api/v1/targets)" in str(info.value)


def test_api_bad_last_scrape_names_target_and_field(tmp_path: Path) -> None:
    body = json.loads((API / "targets.json").read_text())
    body["data"]["activeTargets"][1]["lastScrape"] = "yesterday"
    path = _write(tmp_path, "targets.json", json.dumps(body))
    with pytest.raises(SourceError) as info:
        _source(path).fetch()
    assert str(info.value) == (f"{path}, field 'lastScrape': activeTargets[1] (job snmp-core, "
                               "10.99.4.20): not a date: 'yesterday'")


def test_broken_json_body_names_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "targets.json", '{"status": "success",\n "data": {"activeTargets": [')
    with pytest.raises(SourceError) as info:
        _source(path).fetch()
    assert (info.value.path, info.value.line) == (path, 2)


def test_credentials_in_scrape_urls_reach_no_record(tmp_path: Path) -> None:
    body = {"status": "success", "data": {"activeTargets": [{
        "discoveredLabels": {"__address__": "10.20.0.9", "__metrics_path__": "/snmp",
                             "job": "snmp"},
        "labels": {"instance": "10.20.0.9", "job": "snmp"},
        "scrapePool": "snmp",
        "scrapeUrl": "http://10.30.1.50:9116/snmp?community=S3cr3tComm&target=10.20.0.9",
        "lastError": 'Get "http://10.30.1.50:9116/snmp?community=S3cr3tComm&target=10.20.0.9":'
                     " context deadline exceeded",
        "lastScrape": "2026-11-24T09:00:00Z", "health": "down"}], "droppedTargets": []}}
    path = _write(tmp_path, "targets.json", json.dumps(body))
    source = _source(path)
    [target] = source.fetch()
    [job_target] = source.job_targets()
    assert target.address == "10.20.0.9"
    text = json.dumps([str(getattr(target, f)) for f in target.__slots__]) + repr(job_target)
    assert "S3cr3t" not in text

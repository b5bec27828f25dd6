"""`engine = "spark"`: archived logs folded by a real PySpark (local mode) equal the local fold.

The archive is the realistic generator's day (`benchmarks/asa_traffic.py`) rotated into four
files, `fw.log.3.gz` (oldest) to `fw.log` (plain, newest), cut so that connections open in one
file and close in the next: SYN Timeouts whose Built is in the file before, and one inbound
connection from a server port (203.0.113.5/161) whose Teardown alone would be ordered the
wrong way round by its ports. Each file is one Spark task; the driver merges the partial
folds, and must get what one local pass gets, to the last counter.

Spark tests skip, saying why, without PySpark or Java; the rest (no PySpark, config) always run.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from auditor.cli import main
from auditor.config import load_config
from auditor.engine import run_audit
from auditor.errors import ConfigError
from auditor.logfold import fold_input
from auditor.model import InputStatus, LogStats, Network, NetworkStatus, SourceStatus
from auditor.netindex import NetworkIndex
from auditor.reconcile import noise_test
from auditor.sparkfold import NO_PYSPARK, describe_job, fold_input_spark
from auditor.traffic import TrafficIndex
from benchmarks.asa_traffic import write_log
from connectors.base import SourceSpec

AS_OF = datetime(2026, 11, 25, 0, 0)
LINES = 40_000
ROTATED = ("fw.log.3.gz", "fw.log.2.gz", "fw.log.1.gz", "fw.log")
#: Built at the end of the oldest file, Teardown (SYN Timeout) at the start of the next: the
#: first endpoint opened it, from port 161; by ports alone the second would be taken for it.
BUILT = ("Nov 24 2026 23:59:58: %ASA-6-302013: Built inbound TCP connection 77 for "
         "outside:203.0.113.5/161 (203.0.113.5/161) to dc:10.20.9.9/50000 (10.20.9.9/50000)\n")
TEAR = ("Nov 24 2026 23:59:59: %ASA-6-302014: Teardown TCP connection 77 for "
        "outside:203.0.113.5/161 to dc:10.20.9.9/50000 duration 0:00:30 bytes 0 SYN Timeout\n")
NETWORKS = [Network("10.0.0.0/9", "ipam"), Network("172.16.0.0/12", "ipam"),
            Network("10.98.0.0/15", "ipam", NetworkStatus.DEPRECATED)]


def _why_no_spark() -> str | None:
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "PySpark is not installed (pip install 'stale-audit[spark]')"
    home = os.environ.get("JAVA_HOME")
    if not shutil.which("java") and not (home and (Path(home) / "bin" / "java").is_file()):
        return "no Java for PySpark (apt-get install default-jre-headless)"
    return None


NO_SPARK = _why_no_spark()
needs_spark = pytest.mark.skipif(NO_SPARK is not None, reason=NO_SPARK or "")


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    """One local[2] session for the module, on loopback only, its workers this Python."""
    from pyspark.sql import SparkSession

    saved = {k: os.environ.get(k) for k in ("SPARK_LOCAL_IP", "PYSPARK_PYTHON")}
    os.environ["SPARK_LOCAL_IP"] = "127.0.0.1"
    os.environ["PYSPARK_PYTHON"] = sys.executable
    session = (SparkSession.builder.master("local[2]").appName("stale-audit-tests")
               .config("spark.ui.enabled", "false")
               .config("spark.ui.showConsoleProgress", "false")
               .config("spark.driver.host", "127.0.0.1")
               .config("spark.driver.bindAddress", "127.0.0.1").getOrCreate())
    session.sparkContext.setLogLevel("FATAL")   # the failures tested are reported by us
    yield session
    session.stop()
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@dataclass(frozen=True)
class Archive:
    folder: Path
    files: list[Path]
    """In rotation order, oldest first: the order both folds read them."""
    straddling: list[int]
    """Per rotation, SYN Timeouts whose Built is in the file before (or earlier)."""
    held: set[str]


def _cut_after_built(lines: list[str], start: int) -> int:
    """The first place at or after `start` right after a Built whose SYN Timeout Teardown
    comes later (the generator writes a Teardown when its connection ends)."""
    timeouts = {_conn(line) for line in lines if "SYN Timeout" in line}
    for i in range(start, len(lines) - 1):
        if "Built outbound TCP" in lines[i] and _conn(lines[i]) in timeouts:
            return i + 1
    raise AssertionError("no Built/SYN Timeout pair to cut between")


def _conn(line: str) -> str | None:
    found = re.search(r"(?:Built \w+|Teardown) \w+ connection (\d+)", line)
    return found.group(1) if found else None


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Archive:
    folder = tmp_path_factory.mktemp("rotated")
    whole = folder / "whole.txt"
    write_log(whole, LINES, seed=11)
    lines = whole.read_text().splitlines(keepends=True)
    whole.unlink()
    cuts = [_cut_after_built(lines, len(lines) * q // 4) for q in (1, 2, 3)]
    pieces = [lines[:cuts[0]] + [BUILT], [TEAR] + lines[cuts[0]:cuts[1]],
              lines[cuts[1]:cuts[2]], lines[cuts[2]:]]
    files = []
    for name, piece in zip(ROTATED, pieces, strict=True):
        path = folder / name
        if name.endswith(".gz"):
            with gzip.open(path, "wt") as fh:
                fh.writelines(piece)
        else:
            path.write_text("".join(piece))
        files.append(path)
    built_in = {_conn(line): n for n, piece in enumerate(pieces) for line in piece
                if "Built" in line}
    straddling = [sum(1 for line in piece if "SYN Timeout" in line
                      and built_in.get(_conn(line), n) < n) for n, piece in enumerate(pieces)]
    held = {"10.20.9.9"}
    for line in lines[::40]:   # some servers, so answered traffic counts
        if "Teardown TCP" in line:
            held.add(line.split(" for ")[1].split(":")[1].split("/")[0])
    return Archive(folder, files, straddling, held)


def _traffic(held: set[str]) -> TrafficIndex:
    """The audit's fold: held addresses, and a sender test (a closure, as the engine's)."""
    return TrafficIndex(held, is_noise=noise_test(NetworkIndex(NETWORKS), held, True))


def _snapshot(traffic: TrafficIndex, stats: LogStats) -> dict[str, object]:
    """Every value the fold holds (a flow's source ports in the order they came)."""
    noise = traffic.noise
    return {
        "flows": {k: (t.count, t.first, t.last, dict(t.signals), dict(t.messages),
                      list(t.sports), dict(t.hours)) for k, t in traffic.drop_flows()},
        "by_dst": {d: (t.count, t.first, t.last, dict(t.signals), dict(t.messages))
                   for d, t in traffic.by_dst.items()},
        "hourly": dict(traffic.hourly), "hourly_messages": dict(traffic.hourly_messages),
        "noise": (noise.lines, sorted(noise.keys), noise.flows_over, dict(noise.ports),
                  dict(noise.senders)),
        "folded": traffic.folded,
        "stats": (stats.lines, stats.parsed, stats.unparsed, dict(stats.by_message)),
    }


def _fold(fold: Any, spec: SourceSpec, held: set[str], **kwargs: Any
          ) -> tuple[Any, TrafficIndex, LogStats]:
    traffic, stats = _traffic(held), LogStats()
    status = fold(spec, traffic, stats, as_of=AS_OF, **kwargs)
    return status, traffic, stats


# -- the fold ---------------------------------------------------------------------------------


def test_the_archive_has_connections_across_its_rotations(archive: Archive) -> None:
    """What the equality below is worth: Teardowns whose Built is in the file before."""
    assert [p.name for p in archive.files] == list(ROTATED)
    # every rotation cuts some connections in two (the first also BUILT/TEAR, from port 161)
    assert archive.straddling[0] == 0 and min(archive.straddling[1:]) >= 1


@needs_spark
def test_spark_fold_of_rotated_archives_equals_the_local_fold(spark: Any,
                                                              archive: Archive) -> None:
    spec = SourceSpec("fw", "cisco-asa", tuple(archive.files))
    local, local_traffic, local_stats = _fold(fold_input, spec, archive.held, workers=1)
    # the local fold on two processes in small blocks: the same (tests/test_logfold.py)
    _, blocks_traffic, blocks_stats = _fold(fold_input, spec, archive.held, workers=2,
                                            block_chars=20_000)
    status, traffic, stats = _fold(fold_input_spark, spec, archive.held)
    expected = _snapshot(local_traffic, local_stats)
    assert _snapshot(blocks_traffic, blocks_stats) == expected
    assert _snapshot(traffic, stats) == expected
    assert status.status is SourceStatus.OK and status.records == local.records == stats.lines
    assert (status.engine, status.query, status.rows) == (
        "spark", "mapPartitions over 4 files on local[2]", 4)
    assert status.seconds is not None and status.seconds > 0
    assert local.engine == "local"
    # what was checked is not empty: drops, answered traffic, noise, every message
    assert len(expected["flows"]) > 500 and len(expected["by_dst"]) > 50   # type: ignore[arg-type]
    assert traffic.noise.lines > 100 and stats.by_message["302014"] > 1000
    # the connection that crossed files is ordered by its Built, not by its ports
    flows = dict(traffic.drop_flows())
    assert flows[("203.0.113.5", "10.20.9.9", "tcp", 50000)].count == 1
    assert ("10.20.9.9", "203.0.113.5", "tcp", 161) not in flows


@needs_spark
def test_uris_are_read_by_spark_and_fold_the_same(spark: Any, archive: Archive,
                                                  tmp_path: Path) -> None:
    """`file://` URIs (a glob among them) stay as written in the config and are read by
    Spark's own file systems; the local path beside them by name. Same fold, same order."""
    folder = archive.folder.as_posix()
    uris = f'["file://{folder}/fw.log.3.gz", "file://{folder}/fw.log.[21].gz", "{folder}/fw.log"]'
    local = f'["{folder}/fw.log.3.gz", "{folder}/fw.log.[21].gz", "{folder}/fw.log"]'
    spark_spec = _config(tmp_path, logs=f'paths = {uris}\nengine = "spark"').logs[0]
    local_spec = _config(tmp_path, logs=f"paths = {local}").logs[0]
    assert spark_spec.options["files"] == (f"file://{folder}/fw.log.3.gz",
                                           f"file://{folder}/fw.log.[21].gz",
                                           f"{folder}/fw.log")
    assert spark_spec.paths == (archive.files[3],)
    # a glob of rotated logs is read oldest first, locally and through Spark alike
    assert [p.name for p in local_spec.paths] == ["fw.log.3.gz", "fw.log.2.gz", "fw.log.1.gz",
                                                  "fw.log"]
    local_status, local_traffic, local_stats = _fold(fold_input, local_spec, archive.held)
    status, traffic, stats = _fold(fold_input_spark, spark_spec, archive.held)
    assert status.status is SourceStatus.OK, status.error
    assert status.query == "mapPartitions over 4 files on local[2]" and status.rows == 4
    assert _snapshot(traffic, stats) == _snapshot(local_traffic, local_stats)


# -- through the CLI and an audit -------------------------------------------------------------


def _report(path: Path) -> dict[str, Any]:
    document = json.loads(path.read_text())
    document["audit"].pop("generated_at")
    for source in document["sources"]:   # where it was folded: the one difference allowed
        for key in ("engine", "query", "rows", "seconds"):
            source.pop(key, None)
    return document


@needs_spark
def test_logs_engine_spark_json_equals_local(spark: Any, archive: Archive, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """`logs --engine spark` folds the files of a kind in one Spark job (a task per file,
    pairs carried across the rotations): its JSON equals the local engine's fold of the
    same files as one input."""
    from auditor import engine

    folded: list[InputStatus] = []
    files = [str(p) for p in archive.files]
    monkeypatch.setattr(engine, "fold_input_spark", fold_input)   # the local engine, alike
    assert main(["logs", "--engine", "spark", *files, "--as-of", "2026-11-25", "--json",
                 str(tmp_path / "local.json")]) == 0

    def spark_fold(*args: Any, **kwargs: Any) -> InputStatus:
        folded.append(fold_input_spark(*args, **kwargs))
        return folded[-1]

    monkeypatch.setattr(engine, "fold_input_spark", spark_fold)
    assert main(["logs", "--engine", "spark", *files, "--as-of", "2026-11-25", "--json",
                 str(tmp_path / "spark.json")]) == 0
    local, spark_json = _report(tmp_path / "local.json"), _report(tmp_path / "spark.json")
    assert spark_json == local
    assert [s["name"] for s in spark_json["sources"]] == ["fw.log.3.gz .. fw.log"]
    assert [(s.engine, s.query, s.rows) for s in folded] == [
        ("spark", "mapPartitions over 4 files on local[2]", 4)]
    assert len(local["ghost_flows"]) > 100 and local["logs"]["lines"] > LINES


def test_engine_spark_reads_files_not_standard_input(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["logs", "--engine", "spark", "-"]) == 2
    assert "--engine spark folds files" in capsys.readouterr().err


AUDIT = """\
[audit]
name = "spark test"
history = false

[[sources]]
name = "noc"
type = "csv"
path = "inventory.csv"

[[networks]]
name = "ipam"
type = "prefix-list"
path = "prefixes.csv"

[[logs]]
name = "fw-edge"
type = "{log_type}"
{logs}
"""


def _config(folder: Path, logs: str, name: str = "audit.toml", held: set[str] | None = None,
            log_type: str = "cisco-asa") -> Any:
    (folder / "inventory.csv").write_text(
        "Name,IP Address\n" + "".join(f"host-{n},{address}\n"
                                      for n, address in enumerate(sorted(held or {"10.1.1.1"}))))
    (folder / "prefixes.csv").write_text("Prefix,Status\n10.0.0.0/9,Active\n"
                                         "172.16.0.0/12,Active\n10.98.0.0/15,Deprecated\n")
    (folder / name).write_text(AUDIT.format(logs=logs, log_type=log_type))
    return load_config(folder / name)


def _text(path: Path) -> str:
    return gzip.decompress(path.read_bytes()).decode() if path.name.endswith(".gz") else \
        path.read_text()


def _inventory(archive: Archive) -> set[str]:
    """Servers that answer, and targets of the pollers' denied and unrouted traffic."""
    text = "".join(map(_text, archive.files))
    gone = set(re.findall(r"(?:dst fab:|to dc:)(10\.(?:98|99|251)\.\d+\.\d+)/161", text))
    return set(sorted(archive.held)[:200]) | set(sorted(gone)[:200])


@needs_spark
def test_an_audit_with_engine_spark_finds_what_the_local_audit_finds(
        spark: Any, archive: Archive, tmp_path: Path) -> None:
    held = _inventory(archive)
    paths = "paths = [" + ", ".join(f'"{p}"' for p in archive.files) + "]"
    local = run_audit(_config(tmp_path, paths, "local.toml", held), as_of=AS_OF,
                      generated_at=AS_OF)
    config = _config(tmp_path, paths + '\nengine = "spark"\nspark_master = "local[2]"',
                     "spark.toml", held)
    assert config.logs[0].options["spark_master"] == "local[2]"
    result = run_audit(config, as_of=AS_OF, generated_at=AS_OF)
    assert result.findings == local.findings and result.ghost_flows == local.ghost_flows
    assert result.inbound_noise == local.inbound_noise and result.logs == local.logs
    assert result.hourly == local.hourly and result.hourly_flows == local.hourly_flows
    verdicts = {f.verdict for f in result.findings}
    assert {"stale", "active"} <= {str(v) for v in verdicts}
    log_input = result.inputs[-1]
    assert (log_input.engine, log_input.rows) == ("spark", 4)
    assert local.inputs[-1].engine == "local"


@needs_spark
def test_a_corrupt_gz_fails_its_input_naming_the_file_and_the_audit_goes_on(
        spark: Any, archive: Archive, tmp_path: Path) -> None:
    broken = tmp_path / "fw.log.2.gz"
    data = archive.files[1].read_bytes()
    broken.write_bytes(data[:len(data) // 2] + bytes(64) + data[len(data) // 2 + 64:])
    files = [archive.files[0], broken, archive.files[2], archive.files[3]]
    paths = "paths = [" + ", ".join(f'"{p}"' for p in files) + "]"
    logs = paths + '\nengine = "spark"\n\n[[logs]]\nname = "fw-core"\ntype = "cisco-asa"\n' \
        f'path = "{archive.files[3]}"\nengine = "spark"'
    config = _config(tmp_path, logs, held=_inventory(archive))
    assert main(["audit", "-c", str(config.path), "--json", str(tmp_path / "a.json"),
                 "--as-of", "2026-11-25"]) == 3
    report = json.loads((tmp_path / "a.json").read_text())
    status = {s["name"]: s for s in report["sources"]}
    assert status["fw-edge"]["status"] == "failed"
    assert str(broken) in status["fw-edge"]["error"] and "damaged" in status["fw-edge"]["error"]
    assert status["fw-core"]["status"] == "ok" and status["noc"]["status"] == "ok"
    assert report["findings"]
    # the same failure, word for word and count for count, as the local fold's
    local_config = _config(tmp_path, logs.replace('engine = "spark"', ""), "local.toml",
                           _inventory(archive))
    local = fold_input(local_config.logs[0], TrafficIndex(), LogStats(), as_of=AS_OF, workers=1)
    spark_status = fold_input_spark(config.logs[0], TrafficIndex(), LogStats(), as_of=AS_OF)
    assert (spark_status.status, spark_status.error, spark_status.records) == (
        local.status, local.error, local.records)
    assert spark_status.rows == 1   # the file before the broken one was merged


@needs_spark
def test_a_parser_failure_in_a_task_names_its_file(spark: Any, archive: Archive) -> None:
    """An exception in a task's parse fails the input as a bug, naming the file, as the
    local fold does; the fold's closures travel to the tasks (cloudpickle)."""
    def senders(path: Path) -> set[str]:
        return {line.split("src outside:")[1].split("/")[0]
                for line in _text(path).splitlines() if "src outside:" in line}

    sender = sorted(senders(archive.files[1]) - senders(archive.files[0]))[0]

    def is_noise(src: str) -> bool:
        if src == sender:
            raise RuntimeError(f"cannot place {src}")
        return False

    spec = SourceSpec("fw", "cisco-asa", tuple(archive.files))
    local = fold_input(spec, TrafficIndex(is_noise=is_noise), LogStats(), as_of=AS_OF,
                       workers=1)
    status = fold_input_spark(spec, TrafficIndex(is_noise=is_noise), LogStats(), as_of=AS_OF)
    assert status.internal and local.internal
    assert status.error == local.error
    error = status.error or ""
    assert str(archive.files[1]) in error and f"cannot place {sender}" in error


@needs_spark
def test_executors_without_stale_audit_fail_the_input_saying_so(
        spark: Any, archive: Archive, monkeypatch: pytest.MonkeyPatch) -> None:
    base = Path(sys.base_prefix) / "bin" / "python3"
    if not base.is_file() or subprocess.run(
            [base, "-c", "import auditor, rich, netaddr"], cwd="/", capture_output=True,
            env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"}).returncode == 0:
        pytest.skip(f"{base} (this venv's base Python) has stale-audit: no bare Python here")
    monkeypatch.setattr(spark.sparkContext, "pythonExec", str(base))
    spec = SourceSpec("fw", "cisco-asa", (archive.files[0],))
    status = fold_input_spark(spec, TrafficIndex(), LogStats(), as_of=AS_OF)
    assert status.status is SourceStatus.FAILED and not status.internal
    assert "executors' Python cannot import stale-audit" in (status.error or "")
    assert status.query == "mapPartitions over 1 file on local[2]" and status.rows == 0


# -- without PySpark, and the config ----------------------------------------------------------


def test_without_pyspark_the_input_fails_saying_what_to_install(
        archive: Archive, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setitem(sys.modules, "pyspark", None)
    monkeypatch.setitem(sys.modules, "pyspark.sql", None)
    spec = SourceSpec("fw", "cisco-asa", (archive.files[3],), options={"engine": "spark"})
    status = fold_input_spark(spec, TrafficIndex(), LogStats(), as_of=AS_OF)
    assert (status.status, status.error, status.engine) == (SourceStatus.FAILED, NO_PYSPARK,
                                                            "spark")
    assert NO_PYSPARK == "engine = spark needs PySpark: pip install 'stale-audit[spark]'"
    assert main(["logs", "--engine", "spark", str(archive.files[3])]) == 3
    assert NO_PYSPARK in capsys.readouterr().out
    config = _config(tmp_path, f'path = "{archive.files[3]}"\nengine = "spark"')
    assert main(["audit", "-c", str(config.path), "--json", str(tmp_path / "a.json")]) == 3
    report = json.loads((tmp_path / "a.json").read_text())
    assert [s["error"] for s in report["sources"] if s["status"] == "failed"] == [NO_PYSPARK]


def test_without_java_the_input_fails_saying_so(monkeypatch: pytest.MonkeyPatch) -> None:
    pyspark_sql = pytest.importorskip("pyspark.sql")
    from auditor import sparkfold

    monkeypatch.setattr(pyspark_sql.SparkSession, "getActiveSession",
                        classmethod(lambda cls: None))
    monkeypatch.setattr(sparkfold.shutil, "which", lambda name: None)
    monkeypatch.delenv("JAVA_HOME", raising=False)
    status = fold_input_spark(SourceSpec("fw", "cisco-asa", ()), TrafficIndex(), LogStats(),
                              as_of=AS_OF)
    assert status.status is SourceStatus.FAILED
    assert "engine = spark needs Java" in (status.error or "")
    assert "default-jre-headless" in (status.error or "")


@pytest.mark.parametrize(("logs", "key", "words"), [
    ('path = "fw.log"\nengine = "hadoop"', "engine", "must be one of local, spark, not 'hadoop'"),
    ('path = "fw.log"\nengine = 1', "engine", "must be one of local, spark, not 1"),
    ('path = "fw.log"\nspark_master = "local[2]"', "spark_master",
     'applies only with engine = "spark"'),
    ('path = "fw.log"\nengine = "spark"\nspark_master = ""', "spark_master",
     "must be a Spark master URL"),
    ('path = "hdfs://nn/fw/*.gz"', "path", 'only a [[logs]] table with engine = "spark" reads'),
])
def test_config_refuses_bad_engine_keys(tmp_path: Path, logs: str, key: str,
                                        words: str) -> None:
    (tmp_path / "fw.log").write_text(BUILT)
    with pytest.raises(ConfigError) as caught:
        _config(tmp_path, logs)
    message = str(caught.value)
    assert message.startswith(str(tmp_path / "audit.toml"))
    assert f"[[logs]] 'fw-edge', key {key!r}" in message and words in message


@pytest.mark.parametrize("logs", [
    'paths = ["s3a://AKIAEXAMPLE:hunter2secret@bucket/fw/*.gz"]\nengine = "spark"',
    'path = "fw.log"\nengine = "spark"\nspark_master = "spark://admin:hunter2secret@head:7077"',
])
def test_credentials_in_a_uri_are_refused_and_never_echoed(tmp_path: Path, logs: str) -> None:
    (tmp_path / "fw.log").write_text(BUILT)
    with pytest.raises(ConfigError) as caught:
        _config(tmp_path, logs)
    assert "holds credentials" in str(caught.value)
    assert "hunter2secret" not in str(caught.value) and "AKIAEXAMPLE" not in str(caught.value)
    # and a master that reached the report some other way is shown without them
    assert "hunter2secret" not in describe_job(2, "spark://admin:hunter2secret@head:7077")


def test_engine_spark_needs_files_not_a_siem_url(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        _config(tmp_path, 'url = "https://splunk.example.net:8089"\nengine = "spark"',
                log_type="splunk")
    assert "key 'engine'" in str(caught.value) and "folds files" in str(caught.value)

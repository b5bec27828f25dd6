"""`engine = "spark"`: one `[[logs]]` input's files folded by the user's Spark.

Each file is one Spark task (a `.gz` cannot be split). The task runs this project's own
parser over the file's blocks, as the local fold does (`logfold`), into a `TrafficIndex` of
its own, and hands back that partial fold with its line counts, the Teardowns it held back
and the Builts it left open. This process merges the partials in file order through the
local fold's `Merge`, so a connection whose Built and Teardown lie in two files is ordered
as in one pass, and the fold equals the local one (exactly, while the flow table is under
its cap, as any fold in parts).

Local paths travel as names: each task opens its own file, so the executors must see the
same paths (one machine, or a shared mount). URIs (`hdfs://`, `s3a://`, `file://`...) are
listed and read by Spark itself (`binaryFiles`, whole files) and inflated in the task by
name. Every partial is computed at once and kept on the executors, then fetched one file at
a time, in order: this process holds one partial besides the fold.

The session is the user's (`SparkSession.builder.getOrCreate()`: spark-defaults.conf,
`PYSPARK_SUBMIT_ARGS`), with the table's `spark_master` or `SPARK_MASTER` first, and
`local[*]` when nothing names a master. PySpark is an optional extra; without it, or without
Java, the input fails saying which to install.
"""

from __future__ import annotations

import functools
import os
import pickle
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Generator, Iterable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

from auditor.errors import SourceError
from auditor.logfold import Merge, fold_parser
from auditor.model import InputStatus, LogStats, SourceStatus
from auditor.progress import Progress
from auditor.traffic import TrafficIndex
from connectors.base import Deferred, OpenPairs, SourceSpec
from connectors.shared import files

#: What the input's error says when PySpark is not installed.
NO_PYSPARK = "engine = spark needs PySpark: pip install 'stale-audit[spark]'"
#: The master when the user's Spark configuration names none.
DEFAULT_MASTER = "local[*]"
#: Spark's own log level while it folds (its INFO chatter would drown the summary).
LOG_LEVEL = "ERROR"
#: A URI rather than a path: `scheme://...` (a Windows `C:\\` path has no `//`).
URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")


@dataclass(slots=True)
class FilePart:
    """What one task makes of one file: its fold, counts, held-back Teardowns and open
    pairs; or, when the file broke, the error and what was folded before it."""

    name: str
    """The file as the report names it (a URI without credentials, or a path)."""
    traffic: TrafficIndex
    stats: LogStats
    deferred: list[Deferred]
    pairs: dict[str, OpenPairs]
    error: str | None = None
    internal: bool = False
    """The error was a parser bug, not a broken file (the input fails as `internal`)."""


def fold_input_spark(spec: SourceSpec, traffic: TrafficIndex, stats: LogStats, *,
                     as_of: datetime, progress: Progress | None = None) -> InputStatus:
    """Fold every file of one `[[logs]]` input with Spark into `traffic`; count into `stats`.

    The same result and the same failures as `logfold.fold_input`: a broken file fails the
    input naming the file (what was folded before it stays folded), a parser bug fails it
    as `internal`. No PySpark or no Java, or a Spark job that fails (an executor lost, an
    executor without stale-audit), fail the input with what to do.
    """
    started = time.perf_counter()
    names = spark_files(spec)
    own = LogStats()

    def failed(error: str, *, internal: bool = False, query: str | None = None,
               rows: int | None = None) -> InputStatus:
        stats.merge(own)
        return InputStatus(spec.name, spec.type, "log", SourceStatus.FAILED,
                           0 if internal else own.lines, error, internal=internal,
                           seconds=time.perf_counter() - started, engine="spark",
                           query=query, rows=rows)

    try:
        session = spark_session(spec.options.get("spark_master"))
    except SourceError as exc:
        return failed(str(exc))
    context = session.sparkContext
    query = describe_job(len(names), str(context.master))
    merge = Merge(traffic, own)
    rows = 0
    try:
        rdd, names = _files_rdd(context, names)   # URIs listed: every file, in order
        query = describe_job(len(names), str(context.master))
        if progress is not None:
            progress.start(f"{spec.name} (spark)", len(names))
        with closing(_job(context, spec, rdd, len(names), traffic, as_of)) as parts:
            for part in parts:
                if part.error is not None:
                    if part.internal:
                        return failed(f"internal error reading {part.name} after line "
                                      f"{own.lines}: {part.error}", internal=True,
                                      query=query, rows=rows)
                    # the lines before the damage stay folded and counted, as locally
                    merge.adopt(part.traffic, part.stats, part.deferred, part.pairs)
                    return failed(part.error, query=query, rows=rows)
                merge.adopt(part.traffic, part.stats, part.deferred, part.pairs)
                rows += 1
                if progress is not None:
                    progress.update(rows, own.lines)
        if progress is not None:
            progress.finish()
    except SourceError as exc:
        return failed(str(exc), query=query, rows=rows)
    except Exception as exc:
        if not type(exc).__module__.startswith(("pyspark", "py4j")):   # a bug here
            return failed(f"internal error folding {spec.name} with Spark: "
                          f"{type(exc).__name__}: {exc}", internal=True, query=query,
                          rows=rows)
        # a Spark job that failed: which file, and why, in one line
        return failed(job_error(exc, names), query=query, rows=rows)
    stats.merge(own)
    return InputStatus(spec.name, spec.type, "log", SourceStatus.OK, own.lines,
                       seconds=time.perf_counter() - started, engine="spark", query=query,
                       rows=rows)


def spark_files(spec: SourceSpec) -> list[str]:
    """The input's files in fold order: local paths (globs expanded by the config) and URIs
    as written (`files`, kept by the config for engine = spark), else `spec.paths`."""
    return list(spec.options.get("files") or (str(path) for path in spec.paths))


def describe_job(files: int, master: str) -> str:
    """The job as the report shows it: `mapPartitions over 4 files on local[2]`."""
    return f"mapPartitions over {files} file{'' if files == 1 else 's'} on {shown(master)}"


def shown(text: str) -> str:
    """A URI or master as it may be printed: any `user:password@` removed."""
    return re.sub(r"//[^/@]*@", "//", text)


# -- the session ------------------------------------------------------------------------------


def spark_session(master: str | None = None) -> Any:
    """The user's Spark session (an active one as it is), started on `master`, else
    `SPARK_MASTER`, else what the user's Spark configuration names, else `local[*]`.

    Raises:
        SourceError: no PySpark, no Java, or Spark would not start.
    """
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise SourceError(NO_PYSPARK) from None
    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    if _java() is None:
        raise SourceError("engine = spark needs Java (a JRE; 17 or later for PySpark 4): "
                          "none in JAVA_HOME or on PATH; e.g. apt-get install "
                          "default-jre-headless")
    wanted = master or os.environ.get("SPARK_MASTER") or _default_master()
    builder = SparkSession.builder.appName("stale-audit").config(
        "spark.ui.showConsoleProgress", "false")
    local = wanted is not None and wanted.startswith("local")
    if wanted is not None:
        builder = builder.master(wanted)
    try:
        with _loopback(local):
            session = builder.getOrCreate()
    except Exception as exc:
        raise SourceError(f"Spark did not start on {shown(wanted or 'its configured master')}"
                          f": {_first_line(exc)}") from None
    context = session.sparkContext
    context.setLogLevel(LOG_LEVEL)
    if str(context.master).startswith("local") and "PYSPARK_PYTHON" not in os.environ:
        # Spark's own default is `python3` from PATH, which need not hold stale-audit; on
        # one machine the workers run this interpreter. A cluster names its own.
        context.pythonExec = sys.executable
    return session


@contextmanager
def _loopback(local: bool) -> Iterator[None]:
    """On one machine, Spark binds to loopback (it has nothing else to reach, and would
    otherwise pick the first interface and warn about it): for the JVM's start only."""
    if not local or "SPARK_LOCAL_IP" in os.environ:
        yield
        return
    os.environ["SPARK_LOCAL_IP"] = "127.0.0.1"
    try:
        yield
    finally:
        os.environ.pop("SPARK_LOCAL_IP", None)


def _java() -> str | None:
    home = os.environ.get("JAVA_HOME")
    if home and (Path(home) / "bin" / "java").is_file():
        return str(Path(home) / "bin" / "java")
    return shutil.which("java")


def _default_master() -> str | None:
    """`local[*]`, unless the user's Spark configuration names a master (then None: Spark
    reads it)."""
    if "--master" in os.environ.get("PYSPARK_SUBMIT_ARGS", ""):
        return None
    folders = [os.environ.get("SPARK_CONF_DIR")]
    if os.environ.get("SPARK_HOME"):
        folders.append(str(Path(os.environ["SPARK_HOME"]) / "conf"))
    for folder in filter(None, folders):
        try:
            text = (Path(folder) / "spark-defaults.conf").read_text(errors="replace")
        except OSError:
            continue
        if re.search(r"^\s*spark\.master[\s=:]", text, re.M):
            return None
    return DEFAULT_MASTER


# -- the job ----------------------------------------------------------------------------------


def _job(context: Any, spec: SourceSpec, rdd: Any, count: int, traffic: TrafficIndex,
         as_of: datetime) -> Generator[FilePart, None, None]:
    """Every file's partial fold, in file order (`rdd`: one file per partition). All are
    computed at once (kept on the executors), then fetched one by one."""
    from pyspark import StorageLevel, cloudpickle

    # The parser's and the fold's context, once per executor (`is_noise` is a closure:
    # cloudpickle carries it, as Spark's own pickling of broadcasts would not).
    shared = context.broadcast(cloudpickle.dumps(
        (spec, as_of, traffic.held, traffic.is_noise, traffic.max_flows)))
    context.setJobDescription(f"stale-audit: fold {spec.name} ({count} files)")
    parts = rdd.mapPartitions(functools.partial(fold_partition, shared=shared))
    parts.persist(StorageLevel.MEMORY_AND_DISK)
    try:
        parts.count()
        for blob in parts.toLocalIterator(prefetchPartitions=True):
            yield pickle.loads(blob)
    finally:
        parts.unpersist(blocking=False)
        shared.unpersist(blocking=False)
        context.setJobDescription(None)


def _files_rdd(context: Any, names: list[str]) -> tuple[Any, list[str]]:
    """One partition per file, in order: runs of local paths as names, each file a URI
    matches read whole by Spark. Returns the RDD and every file's name."""
    segments: list[Any] = []
    listed: list[str] = []
    local: list[str] = []

    def flush() -> None:
        if local:
            segments.append(context.parallelize(local, len(local)))
            listed.extend(local)
            local.clear()

    for name in names:
        if not URI.match(name):
            local.append(name)
            continue
        flush()
        for uri in list_uri(context, name):
            segments.append(context.binaryFiles(uri, 1))
            listed.append(uri)
    flush()
    return (segments[0] if len(segments) == 1 else context.union(segments)), listed


def list_uri(context: Any, uri: str) -> list[str]:
    """The files a URI (a glob, maybe) names, oldest rotation first, as a local glob.

    Raises:
        SourceError: nothing matches, a directory, or a file system Spark cannot reach.
    """
    jvm = context._jvm   # Hadoop's FileSystem: the schemes the user's Spark knows
    try:
        path = jvm.org.apache.hadoop.fs.Path(uri)
        system = path.getFileSystem(context._jsc.hadoopConfiguration())
        statuses = system.globStatus(path) or []
        found = [(str(s.getPath().toString()), bool(s.isDirectory())) for s in statuses]
    except Exception as exc:
        raise SourceError(f"Spark cannot list it: {_first_line(exc)}", path=shown(uri)) from None
    if any(directory for _, directory in found):
        raise SourceError("is a directory; give its files or a glob (.../*.gz)",
                          path=shown(uri))
    if not found:
        raise SourceError("matches no file", path=shown(uri))
    return sorted((name for name, _ in found),
                  key=lambda name: files.rotation_key(PurePosixPath(name)))


def fold_partition(items: Iterable[Any], shared: Any) -> Iterator[bytes]:
    """In a Spark task: fold each file given (one per partition), as one parser would.

    Each file's `FilePart` is pickled here, with `pickle`: Spark would pickle it with
    cloudpickle, whose per-object hook made fetching the partial folds cost ~20 us a flow
    on the driver (`benchmarks/bench_spark.py`); bytes go through it untouched."""
    spec, as_of, held, is_noise, max_flows = _shared(shared)
    for item in items:
        traffic = TrafficIndex(held, max_flows=max_flows, is_noise=is_noise)
        parser = fold_parser(spec, as_of, held)
        name = shown(item[0]) if isinstance(item, tuple) else item
        error, internal = None, False
        try:
            with _blocks(item) as blocks:
                for block in blocks:
                    parser.fold_block(block, traffic)
        except SourceError as exc:
            error = str(exc)
        except Exception as exc:  # a parser bug fails the input, never the job
            error, internal = f"{type(exc).__name__}: {exc}", True
        # What the driver's fold already has does not travel back with every file.
        traffic.held = None
        traffic.is_noise = None
        yield pickle.dumps(FilePart(name, traffic, parser.stats, parser.deferred,
                                    parser.open_pairs(), error, internal),
                           protocol=pickle.HIGHEST_PROTOCOL)


_LOADED: tuple[bytes, tuple[Any, ...]] | None = None


def _shared(shared: Any) -> tuple[Any, ...]:
    """The broadcast context, unpickled once per worker process (workers are reused)."""
    global _LOADED
    from pyspark import cloudpickle

    payload = shared.value
    if _LOADED is None or _LOADED[0] is not payload:
        _LOADED = (payload, cloudpickle.loads(payload))
    return _LOADED[1]


@contextmanager
def _blocks(item: str | tuple[str, bytes]) -> Iterator[Iterator[str]]:
    """A file's text blocks, as the local fold reads a file in one process: a local path
    opened here, or a URI's bytes (from Spark) read through the same reader, under the
    URI's file name (`.gz`/`.bz2` inflate by name)."""
    if isinstance(item, str):
        with files.open_text_blocks(Path(item)) as (blocks, _position):
            yield blocks
        return
    uri, data = item
    with tempfile.TemporaryDirectory(prefix="stale-audit-spark-") as folder:
        path = Path(folder) / (PurePosixPath(urlsplit(uri).path).name or "log")
        path.write_bytes(data)
        try:
            with files.open_text_blocks(path) as (blocks, _position):
                yield blocks
        except SourceError as exc:   # named by the URI, not the task's copy
            raise SourceError(str(exc).replace(str(path), shown(uri))) from None


def job_error(exc: BaseException, names: list[str]) -> str:
    """A failed Spark job in one line: the file of the task that failed, and why."""
    text = str(exc)
    task = re.search(r"Task (\d+) in stage", text)
    where = ""
    if task and int(task.group(1)) < len(names):
        where = f" on {shown(names[int(task.group(1))])}"
    missing = re.search(r"ModuleNotFoundError: (No module named '[\w.]+')", text)
    if missing:
        return (f"Spark job failed{where}: its executors' Python cannot import stale-audit "
                f"({missing.group(1)}); install it (the same version) where Spark runs "
                "Python, or set PYSPARK_PYTHON to an interpreter that has it")
    python = re.findall(r"^(\w+(?:Error|Exception)): (.+)$", text, re.M)
    reason = f"{python[-1][0]}: {python[-1][1]}" if python else _first_line(exc)
    return f"Spark job failed{where}: {shown(reason)}"


def _first_line(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return shown(lines[0][:300]) if lines else type(exc).__name__

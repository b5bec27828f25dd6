"""Report writers: one `AuditResult` in, one file out, written whole or not at all.

`REPORTERS` maps a format name to its writer class. Writer modules load on first use, so the
JSON path never pays for importing openpyxl.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import re
import sys
import tempfile
import unicodedata
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import BinaryIO, ClassVar

from auditor.actions import finding_action
from auditor.errors import ReportError, UsageError
from auditor.model import AuditResult, Reason, Target

#: Each reason code in words, as every report spells it out (SPEC: "the report spells each
#: out in words").
REASON_TEXT: dict[Reason, str] = {
    Reason.OUTSIDE_LIVE_NETWORKS: "Address is outside every live network (IPAM and routing tables)",
    Reason.DEPRECATED_NETWORK: "Address is in a network marked deprecated or retired",
    Reason.NO_ROUTE: "Firewall logged no route / no egress interface to the address",
    Reason.ACL_DENY: "Firewall denied traffic to the address by access list",
    Reason.SYN_RETRANSMIT: "Firewall saw duplicate TCP SYNs: the sender retries, nobody answers",
    Reason.SYN_TIMEOUT: "TCP handshake to the address timed out (SYN Timeout)",
    Reason.TOOL_DOWN: "The tool has not reached the address within stale_after_days",
    Reason.TOOL_UP: "The tool reached the address recently",
    Reason.TRAFFIC_ANSWERED: "Firewall saw answered traffic to the address",
    Reason.PROBE_FAILED: "Active probe got no answer",
    Reason.PROBE_OK: "Active probe got an answer",
    Reason.DNS_UNRESOLVED: "Host name does not resolve",
}

#: Shown where a record's tool has no owner configured.
NO_OWNER = "(no owner)"


class Reporter(ABC):
    """Writes one `AuditResult` to one file."""

    #: The file name suffix this format is written with.
    suffix: ClassVar[str]

    @abstractmethod
    def write(self, result: AuditResult, path: Path) -> None:
        """Write the report to `path` whole or not at all; raise `ReportError` if it cannot."""


class _LazyReporters(Mapping[str, type[Reporter]]):
    """Format name -> `Reporter` class, importing each module only when it is asked for."""

    def __init__(self, targets: dict[str, str]) -> None:
        self._targets = targets

    def __getitem__(self, name: str) -> type[Reporter]:
        module_name, _, class_name = self._targets[name].partition(":")
        cls: type[Reporter] = getattr(importlib.import_module(module_name), class_name)
        return cls

    def __iter__(self) -> Iterator[str]:
        return iter(self._targets)

    def __len__(self) -> int:
        return len(self._targets)


REPORTERS: Mapping[str, type[Reporter]] = _LazyReporters({
    "csv": "reports.csv_report:CsvReporter",
    "json": "reports.json_report:JsonReporter",
    "xlsx": "reports.xlsx_report:XlsxReporter",
})


def reporter_for(fmt: str) -> Reporter:
    """A writer for format `fmt` (`json`, `xlsx`, `csv`); `UsageError` lists the valid ones."""
    try:
        return REPORTERS[fmt]()
    except KeyError:
        valid = ", ".join(sorted(REPORTERS))
        raise UsageError(f"unknown report format {fmt!r}; valid: {valid}") from None


@dataclass(frozen=True, slots=True)
class Output:
    """One report a command was asked for: which option, which format, where to."""

    option: str
    kind: str
    path: Path | None
    """None: standard output."""


def write_outputs(result: AuditResult, outputs: Sequence[Output]) -> list[Path]:
    """Write each planned report; return the paths written (standard output not included)."""
    written = []
    for output in outputs:
        if output.path is None:
            sys.stdout.write(render_text(output.kind, result))
            sys.stdout.flush()
        else:
            reporter_for(output.kind).write(result, output.path)
            written.append(output.path)
    return written


def write_reports(result: AuditResult, *, xlsx: Path | None, json_path: Path | None,
                  csv_path: Path | None = None) -> list[Path]:
    """Write each requested report whole (temp file, then rename); return the paths."""
    return write_outputs(result, [Output(option, kind, path) for option, kind, path in (
        ("-o", "xlsx", xlsx), ("--json", "json", json_path), ("--csv", "csv", csv_path))
        if path is not None])


def render_text(fmt: str, result: AuditResult) -> str:
    """The whole report as text, for `--json -` / `--csv -` (standard output)."""
    if fmt == "json":
        from reports.json_report import render_json

        return render_json(result)
    if fmt == "csv":
        from reports.csv_report import render_csv

        return render_csv(result)
    raise UsageError(f"a {fmt} report cannot go to standard output; valid there: csv, json")


#: `.audit.xlsx.<pid>.<8 random>.tmp`: whose temp file it is, so a later write can tell a
#: killed writer's leftover from a live one's.
_TEMP_NAME = re.compile(r"\..+\.(?P<pid>[0-9]+)\.[a-z0-9_]{8}\.tmp")


def atomic_write(path: Path, writer: Callable[[BinaryIO], object]) -> None:
    """Run `writer` on a temp file beside `path`, fsync it, then rename it over `path`.

    Readers see the old file or the new one, never half of one. Any failure removes the temp
    file, leaves an existing report untouched and raises `ReportError` naming `path`.

    The temp file is `.<name>.<pid>.<random>.tmp`. A writer killed before it could clean up
    leaves one behind; the next write into the same folder removes every such file whose
    process is gone (never one whose process still runs).
    """
    path = Path(path)
    tmp: Path | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        remove_dead_temp_files(path.parent)
        mode = _mode_for(path)
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp",
                                    dir=path.parent)
        tmp = Path(name)
        with os.fdopen(fd, "wb") as fh:
            writer(fh)
            fh.flush()
            os.fsync(fh.fileno())
        # mkstemp creates 0600; a report should get the permissions a plain open() would give.
        os.chmod(tmp, mode)
        os.replace(tmp, path)
        tmp = None
        _fsync_dir(path.parent)
    except Exception as exc:
        detail = str(exc) or type(exc).__name__
        raise ReportError(f"cannot write report {path}: {detail}") from exc
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                tmp.unlink()


def remove_dead_temp_files(folder: Path) -> list[Path]:
    """Remove the temp files that killed writers left in `folder`; return what went.

    Only names `atomic_write` makes, only regular files, only where no process with that
    pid exists now. Where liveness cannot be checked (not POSIX) nothing is removed.
    """
    if os.name != "posix":
        return []
    removed = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return []
    for entry in entries:
        match = _TEMP_NAME.fullmatch(entry.name)
        if match is None or _pid_alive(int(match["pid"])):
            continue
        with contextlib.suppress(OSError):
            if entry.is_file(follow_symlinks=False):
                os.unlink(entry.path)
                removed.append(Path(entry.path))
    return removed


def _pid_alive(pid: int) -> bool:
    """True unless `pid` is certainly no running process (so unsure means leave it)."""
    if pid <= 0:
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, OSError):
        return True  # another user's process, or a pid we cannot ask about
    return True


def _mode_for(path: Path) -> int:
    """Keep an existing report's permissions; otherwise what the umask allows."""
    try:
        return path.stat().st_mode & 0o777
    except FileNotFoundError:
        umask = os.umask(0o022)
        os.umask(umask)
        return 0o666 & ~umask


def _fsync_dir(folder: Path) -> None:
    """Make the rename itself durable where the platform allows it (not on Windows)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)


def record_owner(result: AuditResult, target: Target) -> str:
    """Who fixes `target`: the record's owner, else its source's configured owner."""
    return target.owner or result.owners.get(target.source) or NO_OWNER


def owner_slug(owner: str) -> str:
    """A file-name-safe slug: `NOC - SolarWinds` -> `noc-solarwinds`."""
    ascii_text = unicodedata.normalize("NFKD", owner).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-") or "no-owner"


def owner_names(result: AuditResult) -> list[str]:
    """Every owner: those with records first (in finding order), then the configured rest."""
    names: list[str] = []
    for finding in result.findings:
        for target in finding.records:
            owner = record_owner(result, target)
            if owner not in names:
                names.append(owner)
    names += sorted(set(result.owners.values()) - set(names))
    return names


def owner_view(result: AuditResult, owner: str) -> AuditResult:
    """`result` cut down to one owner: their records, sources and findings, no ghost flows.

    Each finding keeps only this owner's records; its `polled` flag and action are worked out
    again from those records, so the owner reads what their own tools do. Network, log and
    capture inputs stay: a failure there makes this owner's list incomplete too.
    """
    sources = {s for s, o in result.owners.items() if o == owner}
    findings = []
    for finding in result.findings:
        own = tuple(t for t in finding.records if record_owner(result, t) == owner)
        if own:
            sources.update(t.source for t in own)
            findings.append(replace(finding, records=own, polled=any(t.polled for t in own),
                                    action=finding_action(finding.verdict, own)))
    inputs = tuple(i for i in result.inputs if i.role != "source" or i.name in sources)
    return replace(result, name=f"{result.name} - {owner}", inputs=inputs,
                   findings=tuple(findings), ghost_flows=(),
                   owners={s: o for s, o in result.owners.items() if o == owner})


def write_owner_reports(result: AuditResult, folder: Path) -> list[Path]:
    """One XLSX per owner in `folder` (`--split-by-owner`), each holding just their work."""
    reporter = REPORTERS["xlsx"]()
    paths: list[Path] = []
    used: set[str] = set()
    for owner in owner_names(result):
        slug = base = owner_slug(owner)
        n = 1
        while slug in used:  # two owners may slug alike ("NOC" and "noc")
            n += 1
            slug = f"{base}-{n}"
        used.add(slug)
        path = Path(folder) / f"{slug}.xlsx"
        reporter.write(owner_view(result, owner), path)
        paths.append(path)
    return paths

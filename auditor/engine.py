"""Run an audit: load every input (a failed one is recorded, never fatal), fold the logs,
reconcile, and hand back one `AuditResult`.

The only module that calls connectors; everything it calls after loading is pure.
"""

from __future__ import annotations

import functools
import gc
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

import netaddr

from auditor.addresses import canonical_host, canonical_ip, canonical_prefix
from auditor.config import AuditConfig
from auditor.errors import ConfigError, SourceError, StaleAuditError, UsageError
from auditor.logfold import FoldRun, fold_input, internal_failure, skipped_notes
from auditor.model import (
    AuditResult,
    GhostFlow,
    InputStatus,
    LogEvent,
    LogStats,
    Network,
    NetworkStatus,
    ProbeRun,
    ProcessKey,
    SourceStatus,
    Target,
)
from auditor.netindex import NetworkIndex, ip_key
from auditor.progress import Progress
from auditor.reconcile import (
    address_sort_key,
    ghost_flows,
    inbound_noise,
    link_names,
    link_resolved,
    noise_test,
    reconcile,
)
from auditor.sparkfold import fold_input_spark
from auditor.traffic import TrafficIndex
from connectors import LOG_PARSERS, SIEM_LOGS, lookup
from connectors.base import LogParser, SourceSpec
from connectors.shared.files import STDIN, head_lines

if TYPE_CHECKING:   # probing (asyncio, pysnmp) is imported only when it runs
    from auditor.probe.dns import Resolver

#: Config table -> the role its inputs have in reports.
_ROLES = {"sources": "source", "networks": "network", "captures": "capture"}
#: What a failed input of each table gives: nothing, of the right kind.
_EMPTY: dict[str, Any] = {"sources": [], "networks": [], "captures": {}}


_P = ParamSpec("_P")
_R = TypeVar("_R")


def _collector_paused(func: Callable[_P, _R]) -> Callable[_P, _R]:
    """Run `func` with Python's cyclic garbage collector paused (as it was, after).

    An audit builds millions of values that form no cycles (a record, a finding each per
    row and address); with the collector on, each new batch of survivors makes it walk the
    whole heap again: seconds per pass at a million records. Reference counting still
    frees everything as usual; cycles left meanwhile are found at the next collection.
    """
    @functools.wraps(func)
    def paused(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        collecting = gc.isenabled()
        gc.disable()
        try:
            return func(*args, **kwargs)
        finally:
            if collecting:
                gc.enable()
    return paused


@_collector_paused
def run_audit(config: AuditConfig, *, as_of: datetime, generated_at: datetime,
              progress: Progress | None = None,
              resolver: Resolver | None = None) -> AuditResult:
    """Load, fold, probe (when `[probe] enabled`), reconcile. Failed inputs are in
    `result.inputs` with their error; `resolver` replaces the system's for DNS probes.

    Raises:
        ConfigError: probing is enabled and a credential variable it names is unset.
    """
    inputs: list[InputStatus] = []
    targets: list[Target] = []
    for spec in config.sources:
        records = load_source(spec, "sources", inputs, clock=as_of)
        targets += records
    networks: list[Network] = []
    network_ok = False
    for spec in config.networks:
        loaded = load_source(spec, "networks", inputs, clock=as_of)
        networks += loaded
        network_ok = network_ok or inputs[-1].status is SourceStatus.OK
    index = NetworkIndex(networks)
    held = {t.address for t in targets}
    pollers = known_pollers(config.sources, targets)
    traffic = TrafficIndex(held, is_noise=noise_test(index, held | pollers.keys(),
                                                     network_ok))
    stats = LogStats()
    inputs += fold_all_logs(config.logs, traffic, stats, as_of=as_of, progress=progress)
    processes: dict[ProcessKey, str] = {}
    for spec in config.captures:
        for key, process in load_source(spec, "captures", inputs, clock=as_of).items():
            processes.setdefault(key, process)
    links, unresolved = link_names(targets)
    probed: ProbeRun | None = None
    if config.probe.enabled:
        probed = _probe(config, targets, resolver=resolver, progress=progress)
        links, unresolved = link_resolved(links, probed.results, unresolved)
    findings = reconcile(targets, index, traffic, as_of=as_of,
                         stale_after_days=config.stale_after_days, networks_known=network_ok,
                         links=links, probes=probed.results if probed else None)
    ghosts, folded = ghost_flows(traffic, held, pollers, processes)
    return AuditResult(
        name=config.name, generated_at=generated_at, as_of=as_of,
        stale_after_days=config.stale_after_days, inputs=tuple(inputs),
        findings=tuple(findings), ghost_flows=tuple(ghosts),
        networks=tuple(sorted(networks, key=_network_order)), logs=stats,
        owners=config.owners, hourly=dict(sorted(traffic.hourly.items())),
        hourly_messages=_by_message(traffic), hourly_flows=_top_flows(traffic, ghosts),
        inbound_noise=inbound_noise(traffic), ghosts_folded=folded,
        unresolved_names=unresolved, probes=probed)


def run_probes(config: AuditConfig, *, as_of: datetime, only: Sequence[str] = (),
               progress: Progress | None = None,
               resolver: Resolver | None = None) -> tuple[list[InputStatus], ProbeRun]:
    """The `probe` command: read the sources, probe what they point at (or `only` these
    addresses and names), nothing else.

    Raises:
        ConfigError: probing is not enabled, or a credential variable is unset.
        UsageError: an `only` value that is neither an address nor a host name.
    """
    if not config.probe.enabled:
        raise ConfigError(f"{config.path}: [probe], key 'enabled': probing is off; set "
                          "enabled = true, with allow = [prefixes] bounding what may be "
                          "probed")
    wanted = []
    for text in only:
        host = canonical_host(text)
        if host is None:
            raise UsageError(f"--only {text!r} is neither an IP address nor a host name")
        wanted.append(host)
    inputs: list[InputStatus] = []
    targets: list[Target] = []
    for spec in config.sources:
        targets += load_source(spec, "sources", inputs, clock=as_of)
    probed = _probe(config, targets, only=set(wanted) if wanted else None,
                    resolver=resolver, progress=progress)
    return inputs, probed


def _probe(config: AuditConfig, targets: Sequence[Target], *,
           only: set[str] | None = None, resolver: Resolver | None = None,
           progress: Progress | None = None) -> ProbeRun:
    """`auditor.probe.run.run_probes`, its config errors naming the config file."""
    try:
        from auditor.probe.run import run_probes as probe_targets

        return probe_targets(config.probe, targets, only=only, resolver=resolver,
                             progress=progress)
    except ConfigError as exc:
        raise ConfigError(f"{config.path}: {exc}") from None


def check_inputs(config: AuditConfig, *, as_of: datetime,
                 progress: Progress | None = None) -> list[InputStatus]:
    """Read every input once, as an audit would, keeping only whether it loaded and how
    much (`stale-audit sources`)."""
    inputs: list[InputStatus] = []
    for spec in config.sources:
        load_source(spec, "sources", inputs, clock=as_of)
    for spec in config.networks:
        load_source(spec, "networks", inputs, clock=as_of)
    for spec in config.logs:
        started = time.perf_counter()
        status = fold_logs(spec, TrafficIndex(held=()), LogStats(), as_of=as_of,
                           progress=progress)
        inputs.append(replace(status, seconds=time.perf_counter() - started))
    for spec in config.captures:
        load_source(spec, "captures", inputs, clock=as_of)
    return inputs


@_collector_paused
def logs_only(specs: Sequence[SourceSpec], *, as_of: datetime, generated_at: datetime,
              name: str = "Firewall log summary",
              progress: Progress | None = None) -> AuditResult:
    """The `logs` command: no inventory, so every drop flow is a ghost flow."""
    traffic = TrafficIndex(held=())  # no inventory: answered traffic is nobody's evidence
    stats = LogStats()
    inputs = fold_all_logs(specs, traffic, stats, as_of=as_of, progress=progress)
    ghosts, folded = ghost_flows(traffic, (), {})
    return AuditResult(name=name, generated_at=generated_at, as_of=as_of,
                       stale_after_days=0, inputs=tuple(inputs), findings=(),
                       ghost_flows=tuple(ghosts), networks=(), logs=stats,
                       hourly=dict(sorted(traffic.hourly.items())),
                       hourly_messages=_by_message(traffic),
                       hourly_flows=_top_flows(traffic, ghosts), ghosts_folded=folded)


def fold_all_logs(specs: Sequence[SourceSpec], traffic: TrafficIndex, stats: LogStats, *,
                  as_of: datetime, progress: Progress | None = None) -> list[InputStatus]:
    """Fold every `[[logs]]` input into `traffic`, in order, their files here sharing one set
    of workers (`logfold.FoldRun`: sized by all of them, so seven small rotated archives
    are parsed on every core as one big file would be)."""
    local = [spec for spec in specs if spec.options.get("engine") != "spark"]
    with FoldRun(local, traffic, as_of=as_of) as run:
        return [fold_logs(spec, traffic, stats, as_of=as_of, progress=progress, run=run)
                for spec in specs]


def fold_logs(spec: SourceSpec, traffic: TrafficIndex, stats: LogStats, *, as_of: datetime,
              progress: Progress | None = None, run: FoldRun | None = None) -> InputStatus:
    """Fold every file of one `[[logs]]` input into `traffic` (on every core where it pays,
    with `run`'s workers where given, or with the user's Spark: `engine = "spark"`); count
    into `stats`."""
    started = time.perf_counter()
    if spec.options.get("engine") == "spark":
        status = fold_input_spark(spec, traffic, stats, as_of=as_of, progress=progress)
    else:
        status = fold_input(spec, traffic, stats, as_of=as_of, progress=progress, run=run)
    return replace(status, seconds=time.perf_counter() - started)


def stream_events(parser: LogParser, paths: Iterable[Path],
                  progress: Progress | None = None) -> Iterator[LogEvent]:
    """Parse files one after another, line numbers per file, ticking `progress` by bytes
    (standard input, `-`, has no size: no bar)."""
    for path in paths:
        if progress is None or path == STDIN:
            yield from parser.parse_path(path)
            continue
        with parser.io.open_lines(path) as (fh, position):
            progress.start(str(path.name), path.stat().st_size)
            yield from parser.parse(_ticking(fh, position, progress))
            progress.finish()


def log_inputs(paths: Sequence[Path], type_name: str | None = None) -> list[SourceSpec]:
    """The inputs of `logs`/`events`: one per file, `-` for standard input (once).

    Without `type_name`, each input's format is told from its first lines
    (`detect_log_type`); its spec then carries `detected` in its options.

    Raises:
        UsageError: a missing file, a directory, `-` twice, a format nobody recognises.
        ConfigError: an unknown log type (the valid ones listed).
    """
    if type_name is not None:
        lookup("logs", type_name)
    if sum(Path(p) == STDIN for p in paths) > 1:
        raise UsageError("'-' (standard input) can be given once")
    specs = []
    for path in map(Path, paths):
        if path != STDIN:
            if path.is_dir():
                raise UsageError(f"{path}: is a directory; pass the log files in it, or a "
                                 f"glob such as {path / '*.log'}")
            if not path.is_file():
                raise UsageError(f"{path}: no such file")
        kind = type_name or detect_log_type(path)
        options = {} if type_name else {"detected": True}
        specs.append(SourceSpec(name="stdin" if path == STDIN else path.name, type=kind,
                                paths=(path,), options=options))
    return specs


def spark_inputs(specs: Sequence[SourceSpec]) -> list[SourceSpec]:
    """`logs --engine spark`: the files of each kind as one input, so one Spark job folds
    them (a task per file, pairs carried from file to file), named by its first and last."""
    groups: dict[str, list[SourceSpec]] = {}
    for spec in specs:
        groups.setdefault(spec.type, []).append(spec)
    return [replace(group[0], paths=tuple(path for spec in group for path in spec.paths),
                    name=group[0].name if len(group) == 1
                    else f"{group[0].name} .. {group[-1].name}",
                    options={**group[0].options, "engine": "spark"})
            for group in groups.values()]


def detect_log_type(path: Path, sample: int = 200) -> str:
    """The log kind that recognises most of the file's first `sample` lines.

    An empty or unreadable file reads as `cisco-asa` (nothing to tell; reading it will say
    what is wrong). A file whose lines no kind recognises is a usage error: guessing would
    report every line as junk.
    """
    try:
        lines = head_lines(path, sample)
    except SourceError:   # unreadable: the fold says so, naming the file and line
        return "cisco-asa"
    if not lines:
        return "cisco-asa"
    # Cisco wins ties, so where it recognises every line nothing can beat it: the other
    # parsers are not imported (their modules and regexes cost ~20 ms of every `logs` run).
    asa = lookup("logs", "cisco-asa").recognises
    if all(asa(line) for line in lines):
        return "cisco-asa"
    scores = {name: sum(1 for line in lines if lookup("logs", name).recognises(line))
              for name in sorted(LOG_PARSERS.keys() - SIEM_LOGS)}
    best = max(scores, key=lambda name: (scores[name], name == "cisco-asa"))
    if scores[best] == 0:
        raise UsageError(f"{path}: none of the first {len(lines)} lines is in a log format "
                         f"this version reads; pass --type (valid: "
                         f"{', '.join(sorted(LOG_PARSERS.keys() - SIEM_LOGS))})")
    return best


def events(specs: Iterable[SourceSpec], *,
           as_of: datetime) -> Iterator[tuple[SourceSpec, LogEvent]]:
    """Every event of every input, with the input it came from, in input order
    (`stale-audit events`).

    A parser bug is re-raised with a note naming the input and the line it had reached.
    """
    for spec in specs:
        parser: LogParser = lookup("logs", spec.type)(spec, clock=as_of)
        try:
            for event in stream_events(parser, spec.paths):
                yield spec, event
        except StaleAuditError:
            raise
        except Exception as exc:
            exc.add_note(f"reading {spec.name} near line {parser.stats.lines}")
            raise


def precheck(config: AuditConfig, retire: Sequence[str], *, as_of: datetime,
             generated_at: datetime, progress: Progress | None = None) -> AuditResult:
    """The audit cut down to what points into `retire` (`stale-audit precheck`): the
    findings whose address, and the ghost flows whose destination, is inside a prefix; the
    networks that overlap one.

    Findings keep the audit's order (most urgent first), as every report expects; the
    terminal lists them by address.

    Raises:
        UsageError: a prefix that is not one, or has host bits set (`retire_prefixes`).
    """
    prefixes = retire_prefixes(retire)   # before any input is read: a typo costs nothing
    ranges = _ranges(prefixes)
    full = run_audit(config, as_of=as_of, generated_at=generated_at, progress=progress)
    return replace(
        full, name=f"Pre-change check: retire {', '.join(prefixes)}",
        findings=tuple(f for f in full.findings if _inside(f.address, ranges)),
        ghost_flows=tuple(g for g in full.ghost_flows if _inside(g.dst, ranges)),
        networks=tuple(n for n in full.networks if _overlaps(n.prefix, ranges)))


def retire_prefixes(texts: Sequence[str]) -> list[str]:
    """The `--retire` values as canonical CIDR text, in the order given, each once.

    A bare address is its /32 (/128). `10.20.0.0/255.255.0.0` reads as `10.20.0.0/16`.

    Raises:
        UsageError: text that is not a prefix; a prefix with host bits set, such as
            `10.1.2.3/24` (a typo of `10.1.2.0/24`, or of one host's /32: which one is
            the user's to say, so nothing is guessed).
    """
    prefixes: list[str] = []
    for text in texts:
        prefix = canonical_prefix(text)
        if prefix is None:
            raise UsageError(f"--retire {text!r} is not a prefix (e.g. 10.20.0.0/16, "
                             "2001:db8:20::/48, or one address)")
        address = text.strip().partition("/")[0]
        if canonical_ip(address) != prefix.partition("/")[0]:
            one = canonical_prefix(address)
            raise UsageError(f"--retire {text!r} has host bits set; did you mean {prefix}? "
                             f"(for that one address, write {one})")
        if prefix not in prefixes:
            prefixes.append(prefix)
    return prefixes


#: A prefix as (IP version, first address, last address), integers.
_Range = tuple[int, int, int]


def retired_by(address: str, prefixes: Sequence[str]) -> str | None:
    """The first of `prefixes` (canonical CIDR) that holds `address`; None when none does."""
    for prefix, span in zip(prefixes, _ranges(prefixes), strict=True):
        if _inside(address, (span,)):
            return prefix
    return None


def _ranges(prefixes: Sequence[str]) -> list[_Range]:
    spans = []
    for prefix in prefixes:
        net = netaddr.IPNetwork(prefix)
        spans.append((net.version, net.first, net.last))
    return spans


def _inside(address: str, ranges: Sequence[_Range]) -> bool:
    key = ip_key(address)
    if key is None:   # a host name no record tied to an address: nowhere
        return False
    version, value = key
    return any(v == version and first <= value <= last for v, first, last in ranges)


def _overlaps(prefix: str, ranges: Sequence[_Range]) -> bool:
    """Whether network `prefix` and one of `ranges` share an address (either may hold the
    other)."""
    try:
        net = netaddr.IPNetwork(prefix)
    except (netaddr.AddrFormatError, ValueError):
        return False
    return any(v == net.version and first <= net.last and net.first <= last
               for v, first, last in ranges)


def _ticking(lines: Iterable[str], position: Callable[[], int],
             progress: Progress) -> Iterator[str]:
    number = 0
    for number, line in enumerate(lines, start=1):
        if number % 20000 == 0:
            progress.update(position(), number)
        yield line
    progress.update(position(), number)


def known_pollers(specs: Iterable[SourceSpec], targets: Iterable[Target]) -> dict[str, str]:
    """Sending address -> which tool sends from it, from config and from the records."""
    owner = {s.name: s.owner for s in specs}
    pollers: dict[str, str] = {}
    for spec in specs:
        if spec.poller:
            pollers[spec.poller] = _who(spec.name, owner.get(spec.name))
    for t in targets:
        if t.poller and t.poller not in pollers:
            pollers[t.poller] = _who(t.source, t.owner)
    return pollers


def _by_message(traffic: TrafficIndex) -> dict[str, dict[datetime, int]]:
    """message id -> hour -> drop lines, hours in order."""
    out: dict[str, dict[datetime, int]] = {}
    for (hour, message), n in sorted(traffic.hourly_messages.items()):
        out.setdefault(message, {})[hour] = n
    return out


#: Ghost flows whose hourly rate a report shows.
TOP_FLOW_RATES = 5


def _top_flows(traffic: TrafficIndex,
               ghosts: Sequence[GhostFlow]) -> dict[str, dict[datetime, int]]:
    """The busiest ghost flows' hourly lines, labelled `src -> dst proto/port`."""
    out: dict[str, dict[datetime, int]] = {}
    for g in ghosts[:TOP_FLOW_RATES]:
        tally = traffic.flow((g.src, g.dst, g.protocol, g.port))
        if tally is not None and tally.hours:
            port = f"/{g.port}" if g.port is not None else ""
            out[f"{g.src} -> {g.dst} {g.protocol}{port}"] = dict(sorted(tally.hours.items()))
    return out


def _network_order(net: Network) -> tuple[str, tuple[int, int, str], str]:
    address, _, length = net.prefix.partition("/")
    return (net.source, address_sort_key(address), length.zfill(3))


def _who(source: str, owner: str | None) -> str:
    return f"{source} ({owner})" if owner else source


def load_source(spec: SourceSpec, table: str, inputs: list[InputStatus], *,
                clock: datetime | None = None) -> Any:
    """Fetch one source, network or capture; on failure record it as failed, return nothing.

    Returns the connector's records (a list; a capture's attribution keys: a dict).
    """
    role = _ROLES[table]
    started = time.perf_counter()
    # an API source (spec.url) has no paths; its URL holds no credentials (config checks)
    where = spec.url or ", ".join(str(p) for p in spec.paths) or spec.name
    try:
        connector = lookup(table, spec.type)(spec, clock=clock)
        loaded = connector.fetch()
    except SourceError as exc:
        inputs.append(InputStatus(spec.name, spec.type, role, SourceStatus.FAILED, 0, str(exc),
                                  seconds=time.perf_counter() - started))
        return type(_EMPTY[table])()
    except Exception as exc:  # a connector bug must fail its input, not the audit
        inputs.append(replace(internal_failure(spec, role, where, exc),
                              seconds=time.perf_counter() - started))
        return type(_EMPTY[table])()
    seconds = time.perf_counter() - started
    if role == "network" and not any(n.status is not NetworkStatus.CONTAINER
                                      for n in loaded):
        # An empty list would make every target "outside every live network".
        inputs.append(InputStatus(
            spec.name, spec.type, role, SourceStatus.FAILED, len(loaded),
            f"{where}: no usable prefix (empty, header only, or only default routes or "
            "containers); an empty network list is not evidence that anything is gone",
            seconds=seconds))
        return []
    skipped = connector.skipped
    inputs.append(InputStatus(
        spec.name, spec.type, role, SourceStatus.OK, len(loaded), skipped=len(skipped),
        notes=skipped_notes(skipped), seconds=seconds))
    return loaded

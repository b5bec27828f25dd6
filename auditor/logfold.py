"""The log stage of an audit: every file of a `[[logs]]` input parsed and folded, on every core.

One parser reads a file in blocks of whole lines (`files.open_blocks`) and folds them into
one `TrafficIndex` (`LogParser.fold_block`: the ASA parser reads its bulk lines in C). A big
file is cut into as many parts as there are cores (`files.split_points`, at line
boundaries): this process folds the first part while forked workers fold the others, each
reading its own part of the file, and the parts merge in file order (`TrafficIndex.merge`).
Nothing but the folded parts crosses between processes.

A connection's Teardown may lie in a later part than its Built, which told who opened it.
The parser of the later part holds such events back (`LogParser.defer_unpaired`) instead of
guessing; the merge orders them by the Builts the earlier parts left open, so the fold
equals one pass over the file (exactly, while the flow table stays under its cap). Files
follow each other the same way.

`stale-audit events` does not come here: it keeps the line-by-line parser, every event.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, suppress
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from auditor.errors import SourceError
from auditor.model import InputStatus, LogStats, SourceStatus
from auditor.progress import Progress
from auditor.traffic import TrafficIndex
from connectors import lookup
from connectors.base import Deferred, LogParser, SourceSpec
from connectors.shared import files
from connectors.shared.files import BLOCK_CHARS

#: Below this much input (bytes on disk), one process folds it: forking costs more.
PARALLEL_BYTES = 24 << 20
#: Open pairs carried from part to part, as the one-pass parser keeps them (`PAIR_LIMIT`).
PAIR_LIMIT = 100_000
#: This process's share of a file cut in two. It also merges the worker's part, so it takes
#: a little less than half of a plain file; but more than half of a `.gz` one, whose worker
#: must inflate (and throw away) everything before its part. Measured on 2 cores
#: (`benchmarks/bench_logs.py`).
FIRST_SHARE = {"plain": 0.47, "gz": 0.57}


@dataclass(slots=True)
class Part:
    """What one part of a file folds into: sent back from a worker, merged in order."""

    traffic: TrafficIndex
    stats: LogStats
    deferred: list[Deferred]
    pairs: dict[str, dict[tuple[str, str], bool]]


@dataclass(slots=True)
class _Context:
    """What every part's fold needs; set before the workers fork, so they inherit it."""

    spec: SourceSpec
    clock: datetime
    traffic: TrafficIndex
    block_chars: int
    done: Any = None
    """Bytes the workers have read (a shared counter), for the progress bar."""
    keys: list[Any] | None = None
    """Per worker, the pipe this process sends it the merged flows' keys through."""


_CONTEXT: _Context | None = None

Opener = Callable[[], AbstractContextManager[tuple[Iterator[str], Callable[[], int]]]]


def fold_part(opened: Opener, tick: Callable[[int, int], None] | None = None) -> Part:
    """Parse and fold the blocks `opened()` gives, with one parser (here, or in a worker);
    `tick(bytes read, lines)` after each block."""
    context = _CONTEXT
    assert context is not None
    parser: LogParser = lookup("logs", context.spec.type)(context.spec, clock=context.clock)
    parser.defer_unpaired = True
    parser.evidence_only = True   # the fold ignores `other` events: do not build them
    parser.answered_for = context.traffic.held   # nor answered traffic nobody holds
    like = context.traffic
    traffic = TrafficIndex(like.held, max_flows=like.max_flows, is_noise=like.is_noise)
    with opened() as (blocks, position):
        for block in blocks:
            parser.fold_block(block, traffic)
            if tick is not None:
                tick(position(), parser.stats.lines)
    traffic.held = traffic.is_noise = None   # the parent has them; nothing to send back
    return Part(traffic, parser.stats, parser.deferred, parser.open_pairs())


def _worker_part(path: Path, start: int, stop: int | None, index: int) -> Part:
    """A worker's part of a file, folded, then made to fit the flows merged before it (whose
    keys this process sends once it has merged them); its reading counted into the shared
    progress."""
    context = _CONTEXT
    assert context is not None and context.keys is not None
    done = context.done
    last = 0

    def tick(position: int, _lines: int) -> None:
        nonlocal last
        if done is not None:
            with done.get_lock():
                done.value += position - last
        last = position

    part = fold_part(lambda: files.open_part_blocks(path, start, stop, context.block_chars),
                     tick)
    keys = context.keys[index][0].recv()
    part.traffic.fit(set(keys), context.traffic.held)
    return part


class Merge:
    """Parts in file order -> one fold, deferred events ordered by the open pairs."""

    def __init__(self, traffic: TrafficIndex, stats: LogStats) -> None:
        self.traffic = traffic
        self.stats = stats
        self.pairs: dict[str, OrderedDict[tuple[str, str], bool]] = {}

    def add(self, part: Part) -> None:
        # The part's flows first (a part folded in a worker was made to `fit` the flows
        # merged so far), then the Teardowns it held back, ordered by the Builts before it.
        self.traffic.merge(part.traffic)
        add = self.traffic.add
        for deferred in part.deferred:
            table = self.pairs.get(deferred.table)
            add(deferred.resolved(table.pop(deferred.key, None) if table else None))
        self.stats.merge(part.stats)
        for name, opened in part.pairs.items():
            table = self.pairs.setdefault(name, OrderedDict())
            table.update(opened)
            while len(table) > PAIR_LIMIT:
                table.popitem(last=False)


def fold_input(spec: SourceSpec, traffic: TrafficIndex, stats: LogStats, *,
               as_of: datetime, progress: Progress | None = None,
               workers: int | None = None, block_chars: int = BLOCK_CHARS) -> InputStatus:
    """Fold every file of one `[[logs]]` input into `traffic`; count into `stats`.

    A broken file fails the input (`failed`, with its file and line); a parser bug fails it
    as `internal`. Either way what was folded before stays folded.
    """
    global _CONTEXT
    own = LogStats()
    merge = Merge(traffic, own)
    cores = _workers(spec) if workers is None else workers
    _CONTEXT = _Context(spec, as_of, traffic, block_chars)
    reading: Path | None = None
    try:
        for path in spec.paths:
            reading = path
            for part in _parts(path, cores, progress,
                               0 if workers is not None else PARALLEL_BYTES):
                merge.add(part)
    except SourceError as exc:
        stats.merge(own)
        return InputStatus(spec.name, spec.type, "log", SourceStatus.FAILED, own.lines,
                           str(exc))
    except Exception as exc:  # a parser bug fails its input, never the audit
        stats.merge(own)
        where = f"{reading} after line {own.lines}" if reading else spec.name
        return internal_failure(spec, "log", where, exc)
    finally:
        _CONTEXT = None
    stats.merge(own)
    return InputStatus(spec.name, spec.type, "log", SourceStatus.OK, own.lines)


def _parts(path: Path, cores: int, progress: Progress | None,
           min_bytes: int) -> Iterator[Part]:
    """The folded parts of one file, in order: one, or one per core for a file of at least
    `min_bytes` (a `.gz` file in two: past that, each worker inflates more than it folds)."""
    context = _CONTEXT
    assert context is not None
    size = path.stat().st_size if path.is_file() else 0
    ticking = progress is not None and size > 0
    cuts = None
    if cores > 1 and size >= min_bytes:
        cuts = files.split_points(path, 2 if path.name.lower().endswith(".gz") else cores)
    mine = [0, 0]   # bytes this process has read, lines

    def tick(position: int, lines: int) -> None:
        mine[:] = position, lines
        if ticking:
            shared = context.done.value if context.done is not None else 0
            progress.update(position + shared, lines)   # type: ignore[union-attr]

    if ticking:
        progress.start(path.name, size)   # type: ignore[union-attr]
    if cuts is None:
        yield fold_part(lambda: files.open_blocks(path, context.block_chars), tick)
    else:
        cuts = _shared_out(path, cuts)
        fork = multiprocessing.get_context("fork")
        context.done = fork.Value("q", 0)
        context.keys = [fork.Pipe(duplex=False) for _ in cuts]
        pool = fork.Pool(len(cuts))
        try:
            pending = [pool.apply_async(_worker_part, (path, start, stop, index))
                       for index, (start, stop) in enumerate(zip(cuts, [*cuts[1:], None],
                                                                 strict=True))]
            pool.close()
            yield fold_part(lambda: files.open_part_blocks(path, 0, cuts[0],
                                                           context.block_chars), tick)
            for index, result in enumerate(pending):
                # merged so far (the caller merges each part before asking for the next)
                context.keys[index][1].send(list(context.traffic.flows))
                while not result.ready():
                    result.wait(0.2)
                    tick(*mine)
                yield result.get()
        finally:
            pool.terminate()
            pool.join()
            for ends in context.keys:
                for end in ends:
                    end.close()
            context.done = context.keys = None
    if ticking:
        progress.finish()   # type: ignore[union-attr]


def _shared_out(path: Path, cuts: list[int]) -> list[int]:
    """Move the first cut so that this process, which also merges, takes `FIRST_SHARE`."""
    parts = len(cuts) + 1
    total = cuts[-1] * parts // (parts - 1)
    share = FIRST_SHARE["gz" if path.name.lower().endswith(".gz") else "plain"]
    first = int(total * share) if parts == 2 else cuts[0]
    return [first, *cuts[1:]]


def internal_failure(spec: SourceSpec, role: str, where: object,
                     exc: Exception) -> InputStatus:
    """An unexpected exception while reading one input: that input failed, as a bug."""
    return InputStatus(spec.name, spec.type, role, SourceStatus.FAILED, 0,
                       f"internal error reading {where}: {type(exc).__name__}: {exc}",
                       internal=True)


def _workers(spec: SourceSpec) -> int:
    """How many processes fold this input: every core, when there is enough to share."""
    wanted = os.environ.get("STALE_AUDIT_WORKERS")
    if wanted and wanted.isdigit():
        return max(1, int(wanted))
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:   # not Linux
        cores = os.cpu_count() or 1
    total = 0
    for path in spec.paths:
        with suppress(OSError):
            total += path.stat().st_size
    if cores < 2 or total < PARALLEL_BYTES or "fork" not in \
            multiprocessing.get_all_start_methods():
        return 1
    return cores

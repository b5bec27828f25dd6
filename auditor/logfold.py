"""The log stage of an audit: every file of a `[[logs]]` input parsed and folded, on every core.

A file is read in blocks of whole lines (`files.open_blocks`). Each block is parsed by a
fresh parser and folded into its own `TrafficIndex`; the parts merge in file order
(`TrafficIndex.merge`). With more than one core and enough input, the blocks go to worker
processes (forked, so the held addresses and the network index are not copied per block),
while this process reads ahead, a few blocks at most, and merges.

A connection's Teardown may land in a later block than its Built, which told who opened it.
The parser of the later block holds such events back (`LogParser.defer_unpaired`) instead of
guessing; the merge orders them by the Builts the earlier blocks left open, so the fold
equals one pass over the file (exactly, while the flow table stays under its cap).

`stale-audit events` does not come here: it keeps the line-by-line parser, every event.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
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
from connectors.shared.files import BLOCK_CHARS
from connectors.shared.inputs import Inputs

#: Below this much input (bytes on disk), one process folds it: forking costs more.
PARALLEL_BYTES = 24 << 20
#: Blocks read ahead of the merge, per worker: enough to keep them busy, bounded memory.
AHEAD = 2
#: Open pairs carried from block to block, as the one-pass parser keeps them (`PAIR_LIMIT`).
PAIR_LIMIT = 100_000


@dataclass(slots=True)
class Part:
    """What one block folds into: sent back from a worker, merged in order."""

    traffic: TrafficIndex
    stats: LogStats
    deferred: list[Deferred]
    pairs: dict[str, dict[tuple[str, str], bool]]


@dataclass(slots=True)
class _Context:
    """What every block's fold needs; set before the workers fork, so they inherit it."""

    spec: SourceSpec
    clock: datetime
    traffic: TrafficIndex


_CONTEXT: _Context | None = None


def fold_block(block: str) -> Part:
    """Parse one block of whole lines and fold it (in a worker, or here)."""
    context = _CONTEXT
    assert context is not None
    parser: LogParser = lookup("logs", context.spec.type)(context.spec, clock=context.clock)
    parser.defer_unpaired = True
    parser.evidence_only = True   # the fold ignores `other` events: do not build them
    parser.answered_for = context.traffic.held   # nor answered traffic nobody holds
    like = context.traffic
    traffic = TrafficIndex(like.held, max_flows=like.max_flows, is_noise=like.is_noise)
    add = traffic.add
    for event in parser.parse(block.splitlines(keepends=True)):
        add(event)
    traffic.held = traffic.is_noise = None   # the parent has them; nothing to send back
    return Part(traffic, parser.stats, parser.deferred, parser.open_pairs())


class Merge:
    """Parts in file order -> one fold, deferred events ordered by the open pairs."""

    def __init__(self, traffic: TrafficIndex, stats: LogStats) -> None:
        self.traffic = traffic
        self.stats = stats
        self.pairs: dict[str, OrderedDict[tuple[str, str], bool]] = {}

    def add(self, part: Part) -> None:
        add = self.traffic.add
        for deferred in part.deferred:
            table = self.pairs.get(deferred.table)
            add(deferred.resolved(table.pop(deferred.key, None) if table else None))
        self.traffic.merge(part.traffic)
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
    io = Inputs()
    count = _workers(spec) if workers is None else workers
    _CONTEXT = _Context(spec, as_of, traffic)
    reading: Path | None = None
    try:
        with _runner(count) as run:
            for path in spec.paths:
                reading = path
                with io.open_blocks(path, block_chars) as (blocks, position):
                    size = path.stat().st_size if path.is_file() else 0
                    ticking = progress is not None and size > 0
                    if ticking:
                        progress.start(path.name, size)   # type: ignore[union-attr]
                    for part in run(blocks):
                        merge.add(part)
                        if ticking:
                            progress.update(position(), own.lines)   # type: ignore[union-attr]
                    if ticking:
                        progress.finish()   # type: ignore[union-attr]
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


@contextmanager
def _runner(workers: int) -> Iterator[Callable[[Iterator[str]], Iterator[Part]]]:
    """A function from blocks to their folded parts, in order: here, or on `workers`."""
    if workers <= 1:
        yield lambda blocks: map(fold_block, blocks)
        return
    pool = multiprocessing.get_context("fork").Pool(workers)
    try:
        yield lambda blocks: _ordered(pool, blocks, workers * AHEAD)
        pool.close()
    finally:
        pool.terminate()
        pool.join()


def _ordered(pool: Any, blocks: Iterator[str], ahead: int) -> Iterator[Part]:
    """Parts of `blocks` in order, at most `ahead` blocks in flight (bounded memory)."""
    pending: list[Any] = []
    for block in blocks:
        pending.append(pool.apply_async(fold_block, (block,)))
        if len(pending) >= ahead:
            yield pending.pop(0).get()
    while pending:
        yield pending.pop(0).get()

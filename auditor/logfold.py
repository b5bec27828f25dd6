"""The log stage of an audit: every file of a `[[logs]]` input parsed and folded, on every core.

A file is read in blocks of whole lines: a plain file as byte ranges each process reads
itself (`files.line_ranges`), a `.gz`/`.bz2` as bytes inflated in a thread of its own and
decoded by whoever parses them (`files.open_byte_blocks`), anything else as text
(`files.open_blocks`: standard input, UTF-16). On one core, one parser folds them all into the
audit's `TrafficIndex` (`LogParser.fold_block`; the ASA parser reads its bulk lines in C).

On several cores, one forked worker per core parses the blocks (forked once per run, for
all its inputs: `FoldRun`) while this process reads or hands them out and folds what they
send: on two cores and the 2M-line benchmark, this process also parsing one block in four
took 1.72 s against 1.42 s, and a gz's inflating thread fits beside. A worker does not fold: it
records the fold's calls (`Recording`: the drops packed, nine int32 each, in order) and
sends them back, and this process makes them on the one `TrafficIndex` (its flow table in
C), block after block in file order. Parsing is most of the work and spreads; the fold
stays one pass, whatever the flow table holds (a part folded apart and merged would cost
as much to send as to fold once the table is full).

A connection's Teardown may lie in a later block than its Built, which told who opened it.
Each block's parser holds such events back (`LogParser.defer_unpaired`) instead of guessing;
a worker marks their places among its recorded calls (`Recording.hold`), and this process
folds each there, ordered by the Builts the blocks before it left open (`Merge.pairs`), so
the order is one pass's even past the flow table's cap. Files follow each other the same
way (a file's held-back events, folded in one process, after the file).

`stale-audit events` does not come here: it keeps the line-by-line parser, every event.
"""

from __future__ import annotations

import ctypes
import functools
import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias, cast

from auditor.errors import SourceError
from auditor.model import InputStatus, LogStats, SourceStatus
from auditor.progress import Progress
from auditor.traffic import TrafficIndex
from connectors import lookup
from connectors.base import (
    Deferred,
    Held,
    LogParser,
    OpenPairs,
    Recording,
    SkippedLine,
    SourceSpec,
)
from connectors.shared import files
from connectors.shared.files import BLOCK_CHARS

if TYPE_CHECKING:
    from connectors.logs._asa_scan import PairTable

#: A block's pairs left open, as the merge keeps them: as the parser's own.
_PairTable: TypeAlias = "dict[tuple[str, str], bool] | PairTable"

#: Below this much input (bytes on disk), one process folds it: forking costs more.
PARALLEL_BYTES = 24 << 20
#: Open pairs carried from block to block, as the one-pass parser keeps them (`PAIR_LIMIT`).
PAIR_LIMIT = 100_000
#: Skipped rows an input's status quotes.
#: Skipped lines an input's status quotes (the count says how many there were).
NOTES = 5
#: Blocks read ahead of the fold, per worker: enough to keep them busy, bounded memory.
AHEAD = 3
#: A plain file's ranges are this many blocks long. A worker reads its range itself, so a
#: range costs this process no memory, and a longer one halves what each costs besides its
#: lines (a parser and scanner made, a recording pickled, sent and unpickled): 0.59-0.61 s
#: -> 0.56-0.57 s on the 2M-line benchmark. Blocks that pass through this process (gz
#: bytes, text) stay one block long: twice that cost ~40 MB more there and no time.
RANGE_BLOCKS = 2


@dataclass(slots=True)
class Part:
    """What a worker makes of one block: the fold calls to make, in order, and its counts,
    held-back Teardowns and open pairs."""

    calls: Recording
    """The fold's calls, the held-back Teardowns in their places (`Recording.hold`)."""
    stats: LogStats
    pairs: dict[str, OpenPairs]


def _held(deferred: list[Deferred]) -> list[Held]:
    return [d.held() for d in deferred]


def _turned(fields: tuple[Any, ...]) -> tuple[Any, ...]:
    """`add_fields` arguments with the endpoints the other way round: the event as the
    Built said it went."""
    time, message, signal, protocol, src, sport, dst, dport, count = fields
    return (time, message, signal, protocol, dst, dport, src, sport, count)


@dataclass(slots=True)
class _Context:
    """What every block's parser of a run needs besides its input's spec (which comes with
    each block): set before the workers fork, so they inherit it. `held` may be a million
    addresses: sent once this way, never per block."""

    clock: datetime
    held: Any


_CONTEXT: _Context | None = None


def fold_parser(spec: SourceSpec, clock: datetime, held: Any) -> LogParser:
    """A parser for one part of an input (a block, a file: a Spark task's), reading for
    the fold: Teardowns whose pair is elsewhere held back, only evidence built."""
    parser: LogParser = lookup("logs", spec.type)(spec, clock=clock)
    parser.defer_unpaired = True
    parser.evidence_only = True   # the fold ignores `other` events: do not build them
    parser.answered_for = held   # nor answered traffic nobody holds
    return parser


def _parser(spec: SourceSpec) -> LogParser:
    """`fold_parser` for `spec` in a worker, from the context it forked with."""
    context = _CONTEXT
    assert context is not None
    return fold_parser(spec, context.clock, context.held)


#: A block to parse: its text; or where it lies in a plain file (path, start, stop), which
#: the process that parses it reads itself; or the bytes of a compressed file's lines, which
#: it decodes itself (`files.open_byte_blocks`).
Block = str | tuple[Path, int, int] | bytes


def record_block(task: tuple[SourceSpec, Block]) -> Part:
    """Parse one block of an input's whole lines in a worker, recording the fold's calls.
    Bytes go to the parser undecoded (`fold_bytes`): one that reads bytes decodes only odd
    lines."""
    spec, block = task
    parser = _parser(spec)
    recording = Recording()
    parser.hold = recording.hold   # held-back Teardowns keep their places among the calls
    if isinstance(block, str):
        parser.fold_block(block, recording)
    elif isinstance(block, bytes):
        parser.fold_bytes(block, recording, first=False)
    else:
        path, start, stop = block
        parser.fold_bytes(files.read_range_bytes(path, start, stop), recording,
                          first=start == 0)
    return Part(recording, parser.stats, parser.open_pairs())


class Merge:
    """Blocks in file order -> one fold; held-back Teardowns ordered by the open pairs.

    The open pairs are kept as each block left them (`pairs`: per table, oldest block
    first), not merged into one table: a held-back Teardown looks its key up newest block
    first, and the pair goes from every block that holds it, which is what one table
    updated block by block answers. On a busy firewall a block leaves thousands of pairs
    and holds back a few dozen Teardowns: merging every pair into one big table cost more
    than the look-ups (a C table, `PairTable`, sets its pairs on the first look-up). Blocks
    are forgotten, oldest first, once the newer ones hold `PAIR_LIMIT` pairs: the one-pass
    parser forgets its oldest pairs past that many too (which ones exactly differs there,
    as Teardowns it saw close pairs the blocks after did not know)."""

    def __init__(self, traffic: TrafficIndex, stats: LogStats) -> None:
        self.traffic = traffic
        self.stats = stats
        self.pairs: dict[str, deque[tuple[int, _PairTable]]] = {}   # (its size, a block's)

    def fold(self, spec: SourceSpec, blocks: Iterator[str],
             tick: Callable[[], None] | None = None) -> None:
        """Parse and fold `blocks` of `spec`'s lines here, with one parser (one pass). Where
        the file breaks (a damaged archive), what was folded before is closed and counted,
        then the break raised."""
        parser = _parser(spec)
        try:
            for block in blocks:
                parser.fold_block(block, self.traffic)
                if tick is not None:
                    tick()
        except SourceError:
            self.close(parser.stats, _held(parser.deferred), parser.open_pairs())
            raise
        self.close(parser.stats, _held(parser.deferred), parser.open_pairs())

    def replay(self, part: Part) -> None:
        """Make the fold calls a worker recorded, each held-back Teardown in its place."""
        self.traffic.add_recording(part.calls, self._resolve)
        self.close(part.stats, [], part.pairs)

    def adopt(self, traffic: TrafficIndex, stats: LogStats, deferred: list[Deferred],
              pairs: dict[str, OpenPairs]) -> None:
        """Merge a file folded elsewhere (a Spark task, `sparkfold`), then close it."""
        self.traffic.merge(traffic)
        self.close(stats, _held(deferred), pairs)

    def close(self, stats: LogStats, held: list[Held],
              pairs: dict[str, OpenPairs]) -> None:
        """After a block (or file): its held-back Teardowns, each the other way round where
        the Builts before said so (`_resolve`), its counts and open pairs."""
        for event in held:
            self._resolve(event)
        self.stats.merge(stats)
        for name, opened in pairs.items():
            size = len(opened)
            if not size:
                continue
            blocks = self.pairs.setdefault(name, deque())
            # a dict, or the C table as it came (a worker's still packed: set on first use)
            blocks.append((size, cast("_PairTable", opened)))
            newer = sum(n for n, _ in blocks)
            while newer - blocks[0][0] >= PAIR_LIMIT:
                newer -= blocks.popleft()[0]

    def _resolve(self, held: Held) -> None:
        """Fold a held-back Teardown, the other way round where the Builts before said so."""
        name, key, guess, fields = held
        outbound = self._pop(name, key)
        self.traffic.add_fields(*(fields if outbound is None or outbound == guess
                                  else _turned(fields)))

    def _pop(self, name: str, key: tuple[str, str]) -> bool | None:
        """The direction the newest block that left `key` open says, the pair gone from
        every block (None: no block before knew it)."""
        found = None
        for _, table in reversed(self.pairs.get(name, ())):
            outbound = table.pop(key, None)
            if found is None:
                found = outbound
        return found


class FoldRun:
    """The worker processes of a run's log inputs, shared by them all: forked on the first
    block that needs them (a run big enough for several cores, `_workers`) and kept to the
    end. A week of rotated archives is a week of inputs, each too small to fork for; the run
    is not. Use it as a context manager: it sets what the workers inherit (`_Context`: the
    clock and the held addresses of the run's one `TrafficIndex`) and closes the pool."""

    def __init__(self, specs: Sequence[SourceSpec], traffic: TrafficIndex, *,
                 as_of: datetime, workers: int | None = None) -> None:
        self.context = _Context(as_of, traffic.held)
        cores = _workers([p for s in specs if not s.live for p in s.paths]) \
            if workers is None else workers
        self.pool = _Pool(cores if cores > 1 else 0)

    def __enter__(self) -> FoldRun:
        global _CONTEXT
        _keep_big_buffers()
        _CONTEXT = self.context
        return self

    def __exit__(self, *exc: object) -> None:
        global _CONTEXT
        self.pool.close()
        _CONTEXT = None


def fold_input(spec: SourceSpec, traffic: TrafficIndex, stats: LogStats, *,
               as_of: datetime, progress: Progress | None = None,
               workers: int | None = None, block_chars: int = BLOCK_CHARS,
               run: FoldRun | None = None) -> InputStatus:
    """Fold every file of one `[[logs]]` input into `traffic`; count into `stats`.

    `run`: the run's workers, shared with its other inputs (None: this input's own, as
    many as `workers`, or every core for an input big enough). A broken file fails the
    input (`failed`, with its file and line); a parser bug fails it as `internal`. Either
    way what was folded before stays folded.
    """
    if spec.live:   # a SIEM folds (or filters) the logs where they live: no files here
        return _fold_fetched(spec, traffic, stats, as_of=as_of)
    if run is None:
        with FoldRun([spec], traffic, as_of=as_of, workers=workers) as own:
            return _fold_local(spec, traffic, stats, own, progress, block_chars)
    if run.context.held is not traffic.held or run.context.clock != as_of:
        raise ValueError("a FoldRun folds into one TrafficIndex, as of one time")
    return _fold_local(spec, traffic, stats, run, progress, block_chars)


def _fold_local(spec: SourceSpec, traffic: TrafficIndex, stats: LogStats, run: FoldRun,
                progress: Progress | None, block_chars: int) -> InputStatus:
    own = LogStats()
    merge = Merge(traffic, own)
    reading: Path | None = None
    try:
        for path in spec.paths:
            reading = path
            _fold_file(spec, path, merge, run.pool, block_chars, progress)
    except SourceError as exc:
        stats.merge(own)
        return InputStatus(spec.name, spec.type, "log", SourceStatus.FAILED, own.lines,
                           str(exc))
    except Exception as exc:  # a parser bug fails its input, never the audit
        run.pool.close()   # blocks of this input may be in flight: the next input forks anew
        stats.merge(own)
        where = f"{reading} after line {own.lines}" if reading else spec.name
        return internal_failure(spec, "log", where, exc)
    stats.merge(own)
    return InputStatus(spec.name, spec.type, "log", SourceStatus.OK, own.lines, engine="local")


def _fold_fetched(spec: SourceSpec, traffic: TrafficIndex, stats: LogStats, *,
                  as_of: datetime) -> InputStatus:
    """Fold one `[[logs]]` input read from an API (`url`): its connector fetches and folds."""
    parser = lookup("logs", spec.type)(spec, clock=as_of)
    try:
        parser.fold(traffic)
    except SourceError as exc:
        stats.merge(parser.stats)
        return InputStatus(spec.name, spec.type, "log", SourceStatus.FAILED, parser.stats.lines,
                           str(exc), engine=parser.engine, query=parser.query(),
                           rows=parser.rows)
    except Exception as exc:  # a connector bug fails its input, never the audit
        stats.merge(parser.stats)
        return internal_failure(spec, "log", spec.url, exc)
    stats.merge(parser.stats)
    return InputStatus(spec.name, spec.type, "log", SourceStatus.OK, parser.stats.lines,
                       skipped=len(parser.skipped), notes=skipped_notes(parser.skipped),
                       engine=parser.engine, query=parser.query(), rows=parser.rows)


def skipped_notes(skipped: Sequence[SkippedLine]) -> tuple[str, ...]:
    """The first `NOTES` lines an input passed over, as its status shows them."""
    return tuple(f"{s.location}: {s.reason}" for s in skipped[:NOTES])


class _Pool:
    """The worker processes of a run (`FoldRun`): forked on the first block that needs them,
    and kept for every file of every input (rotated archives are many files; forking anew
    for each cost more than a worker saved on them). `workers` 0: this process parses
    everything."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._pool: ProcessPoolExecutor | None = None

    def submit(self, spec: SourceSpec, block: Block) -> Any:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(self.workers,
                                             mp_context=multiprocessing.get_context("fork"))
        return self._pool.submit(record_block, (spec, block))

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


def _fold_file(spec: SourceSpec, path: Path, merge: Merge, pool: _Pool, block_chars: int,
               progress: Progress | None) -> None:
    size = path.stat().st_size if path.is_file() else 0
    ticking = progress is not None and size > 0
    done = [0]   # bytes of a plain file whose lines are folded

    def tick(position: Callable[[], int] = lambda: done[0]) -> None:
        if ticking:
            progress.update(position(), merge.stats.lines)   # type: ignore[union-attr]

    if ticking:
        progress.start(path.name, size)   # type: ignore[union-attr]
    ranges = files.line_ranges(path, RANGE_BLOCKS * block_chars) if pool.workers else None
    if ranges is not None:   # each process reads its own blocks of a plain file
        def folded(block: Block) -> None:
            done[0] = block[2] if isinstance(block, tuple) else done[0]
            tick()

        _fold_shared(spec, ((path, start, stop) for start, stop in ranges), merge, pool,
                     folded)
    elif not pool.workers or not _fold_bytes(spec, path, merge, pool, block_chars, tick):
        with files.open_text_blocks(path, block_chars) as (blocks, position):
            if not pool.workers:
                merge.fold(spec, blocks, lambda: tick(position))
            else:
                _fold_shared(spec, blocks, merge, pool, lambda _block: tick(position))
    if ticking:
        progress.finish()   # type: ignore[union-attr]


def _fold_bytes(spec: SourceSpec, path: Path, merge: Merge, pool: _Pool, block_chars: int,
                tick: Callable[[Callable[[], int]], None]) -> bool:
    """Fold a `.gz`/`.bz2` file whose blocks the workers decode themselves: this process
    only inflates (in a thread) and cuts at line ends. False where it cannot be read so
    (not compressed, standard input, UTF-16): read it as text."""
    if not files.compressed(path):
        return False
    with files.open_byte_blocks(path, block_chars) as opened:
        if opened is None:
            return False
        blocks, position = opened
        _fold_shared(spec, blocks, merge, pool, lambda _block: tick(position))
    return True


def _fold_shared(spec: SourceSpec, blocks: Iterator[Block], merge: Merge, pool: _Pool,
                 folded: Callable[[Block], None]) -> None:
    """Fold `blocks` in order, each parsed by one of the pool's forked workers (see the
    module).

    A worker that dies (killed, out of memory) breaks the pool: the input fails with that,
    it never waits for ever."""
    waiting: deque[tuple[Block, Any]] = deque()   # (block, its future), in file order
    try:
        for block in blocks:
            waiting.append((block, pool.submit(spec, block)))
            # Fold from the front as far as it is ready; wait only past the read-ahead.
            while waiting and (len(waiting) > pool.workers * AHEAD or waiting[0][1].done()):
                _retire(waiting.popleft(), merge, folded)
    except SourceError:   # the file breaks here: what was read before it is folded first
        while waiting:
            _retire(waiting.popleft(), merge, folded)
        raise
    while waiting:
        _retire(waiting.popleft(), merge, folded)


def _retire(task: tuple[Block, Any], merge: Merge, folded: Callable[[Block], None]) -> None:
    """Fold the block at the front: a worker's recording (waited for)."""
    block, result = task
    merge.replay(result.result())
    folded(block)


def internal_failure(spec: SourceSpec, role: str, where: object,
                     exc: Exception) -> InputStatus:
    """An unexpected exception while reading one input: that input failed, as a bug."""
    return InputStatus(spec.name, spec.type, role, SourceStatus.FAILED, 0,
                       f"internal error reading {where}: {type(exc).__name__}: {exc}",
                       internal=True)


#: glibc's `mallopt` parameters: buffers up to this size come from the heap, and the heap
#: gives memory back to the kernel only past this much free at its top.
_MMAP_THRESHOLD, _TRIM_THRESHOLD = (-3, 64 << 20), (-1, 256 << 20)


@functools.cache
def _keep_big_buffers() -> None:
    """Let the C library reuse the megabyte buffers a fold reads and decodes, once per
    process (workers fork from it and keep it).

    glibc maps each buffer over its threshold fresh from the kernel and unmaps it when
    freed, so every block's read and decode faulted in new zeroed pages: 16% of a worker's
    time under perf. With the thresholds raised they stay in the heap and are reused (a
    worker's parse 0.61-0.64 s -> 0.53-0.54 s on 40 blocks). Elsewhere than glibc: nothing.
    """
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return
    for parameter, value in (_MMAP_THRESHOLD, _TRIM_THRESHOLD):
        mallopt(parameter, value)


def _workers(paths: Sequence[Path]) -> int:
    """How many processes parse these files: every core, when there is enough to share."""
    wanted = os.environ.get("STALE_AUDIT_WORKERS")
    if wanted and wanted.isdigit():
        return max(1, int(wanted))
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:   # not Linux
        cores = os.cpu_count() or 1
    total = 0
    for path in paths:
        with suppress(OSError):
            total += path.stat().st_size
    if cores < 2 or total < PARALLEL_BYTES or "fork" not in \
            multiprocessing.get_all_start_methods():
        return 1
    return cores

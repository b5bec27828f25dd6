"""Reports are written whole or not at all: a temp file beside the target, then a rename."""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from auditor.errors import ReportError

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

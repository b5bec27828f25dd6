"""One root error carrying its exit code; the CLI catches only this.

Third-party exceptions are translated where they happen and chained (`raise ... from exc`), so
every message that reaches a user names the file, line or key that caused it.

The exit codes of SPEC.md live here and nowhere else: the CLI and the error classes both use
these names.
"""

from __future__ import annotations

#: Done, nothing at or above `--fail-on`.
EXIT_OK = 0
#: Done, and findings at or above `--fail-on` (or precheck records in the prefixes).
EXIT_FINDINGS = 1
#: Usage or config error: the command line or audit.toml is wrong.
EXIT_USAGE = 2
#: An input (source, network, log, capture, or the run history) could not be read.
EXIT_SOURCE_FAILED = 3
#: A bug: an exception nobody translated. One line, never a traceback, never exit 1.
EXIT_INTERNAL = 4
#: Ctrl-C, as a shell reports a SIGINT death (128 + 2).
EXIT_INTERRUPTED = 130


class StaleAuditError(Exception):
    """Root of every error the CLI reports as one line."""

    exit_code = EXIT_USAGE

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class UsageError(StaleAuditError):
    """Bad command-line arguments."""

    exit_code = EXIT_USAGE


class ConfigError(StaleAuditError):
    """audit.toml is missing, malformed or names something that does not exist."""

    exit_code = EXIT_USAGE


class SourceError(StaleAuditError):
    """An input (export, route table, log, capture) could not be read.

    The engine catches it per input and reports that input as failed; it only ends a
    command on its own where a single input is all there is (`events`, `logs`).
    """

    exit_code = EXIT_SOURCE_FAILED

    def __init__(self, message: str, *, path: object = None, line: int | None = None,
                 field: str | None = None) -> None:
        where = ""
        if path is not None:
            where = str(path)
            if line is not None:
                where += f" line {line}"
            if field:
                where += f", field {field!r}"
            message = f"{where}: {message}"
        super().__init__(message)
        self.path = path
        self.line = line
        self.field = field


class HistoryError(SourceError):
    """The run history (`.stale-audit/history.jsonl`) is damaged or unreadable.

    `stale-audit history` ends with it (exit 3, like any input that cannot be read); an audit
    only warns, since a history failure must never cost the report.
    """


class ReportError(StaleAuditError):
    """A report could not be written."""

    exit_code = EXIT_USAGE


class InternalError(StaleAuditError):
    """An exception no layer translated: a bug. The CLI wraps anything that is not a
    `StaleAuditError` in one of these, naming the input it was reading where that is known."""

    exit_code = EXIT_INTERNAL

    @classmethod
    def wrap(cls, exc: BaseException) -> InternalError:
        """`<Type>: <message>`, plus where it happened when the exception says so."""
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        message = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
        where = [str(n) for n in getattr(exc, "__notes__", ()) or ()]
        filename = getattr(exc, "filename", None)
        if filename is not None and str(filename) not in text:
            where.insert(0, f"file {filename}")
        if where:
            message += f" ({'; '.join(where)})"
        return cls(message)

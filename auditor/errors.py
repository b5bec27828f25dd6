"""One root error carrying its exit code; the CLI catches only this.

Third-party exceptions are translated where they happen and chained (`raise ... from exc`), so
every message that reaches a user names the file, line or key that caused it.
"""

from __future__ import annotations


class StaleAuditError(Exception):
    """Root of every error the CLI reports as one line."""

    exit_code = 2

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class UsageError(StaleAuditError):
    """Bad command-line arguments."""

    exit_code = 2


class ConfigError(StaleAuditError):
    """audit.toml is missing, malformed or names something that does not exist."""

    exit_code = 2


class SourceError(StaleAuditError):
    """An input (export, route table, log, capture) could not be read.

    The engine catches it per input and reports that input as failed; it only ends a
    command on its own where a single input is all there is (`events`, `logs`).
    """

    exit_code = 3

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


class ReportError(StaleAuditError):
    """A report could not be written."""

    exit_code = 2

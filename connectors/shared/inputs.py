"""The I/O object every connector is built with: how it reaches its inputs.

Connectors read through `Inputs` rather than opening files themselves, so a test can hand
one in-memory files, and an API connector can hand the same `parse` a body fetched over
HTTP (`http`: the shared HTTP layer, built for one source). The default reads files,
decompressing `.gz`/`.bz2` and honouring BOMs (`files`), and reaches APIs with `requests`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from connectors.shared import files
from connectors.spec import SourceSpec

if TYPE_CHECKING:
    import requests

    from connectors.shared.http import HttpClient


class Inputs:
    """Reads files on this machine and calls APIs; subclass to serve inputs from elsewhere.

    The keyword arguments are for tests and embedders: `env` instead of `os.environ` for
    the `*_env` variables, a `session` factory (a `requests.Session` with a mounted
    adapter), `sleep` between retries, `warn` for the one-line warnings (stderr).
    """

    def __init__(self, *, env: Mapping[str, str] | None = None,
                 session: Callable[[], requests.Session] | None = None,
                 sleep: Callable[[float], None] | None = None,
                 warn: Callable[[str], None] | None = None) -> None:
        self.env = env
        self.session = session
        self.sleep = sleep
        self.warn = warn

    def http(self, spec: SourceSpec, *, api_roots: tuple[str, ...] = (),
             not_found_hint: str = "") -> HttpClient:
        """An HTTP client for the API at `spec.url` (its TLS, timeouts, retries and
        credentials as the spec says); no I/O until its first call.

        `api_roots` are path starts cut off a user's URL to find the server's base
        (`/SolarWinds/`); `not_found_hint` is added to a 404 error (`port 17774?`).
        """
        from connectors.shared.http import HttpClient

        # getattr: a subclass that keeps its own __init__ need not call this one
        factory = getattr(self, "session", None)
        return HttpClient(spec, api_roots=api_roots, not_found_hint=not_found_hint,
                          env=getattr(self, "env", None),
                          session=factory() if factory else None,
                          sleep=getattr(self, "sleep", None), warn=getattr(self, "warn", None))

    def read_text(self, path: Path, encoding: str | None = None) -> str:
        """The whole (small) file as text."""
        return files.read_text(path, encoding)

    def read_json(self, path: Path) -> Any:
        """The file's JSON document; a syntax error names the file, line and column."""
        return files.read_json(path)

    def open_text(self, path: Path) -> IO[str]:
        """The file as a text stream (the caller closes it)."""
        return files.open_text(path)

    def open_lines(self, path: Path) -> AbstractContextManager[
            tuple[Iterable[str], Callable[[], int]]]:
        """Bounded lines of a (large) file, with how many bytes of it have been read."""
        return files.open_text_tracked(path)

    def open_blocks(self, path: Path, size: int = files.BLOCK_CHARS
                    ) -> AbstractContextManager[tuple[Iterator[str], Callable[[], int]]]:
        """Blocks of whole lines (about `size` characters) of a large file, to fold in parts."""
        return files.open_blocks(path, size)

    def looks_like_json(self, path: Path) -> bool:
        """Whether the file is a JSON body rather than a table or text export."""
        return files.looks_like_json(path)

    def rows(self, path: Path, aliases: Mapping[str, Sequence[str]],
             **options: Any) -> Iterator[Any]:
        """The data rows of a CSV/XLSX export, headers matched by alias (`tables`)."""
        from connectors.shared.tables import read_rows

        return iter(read_rows(path, aliases, **options))

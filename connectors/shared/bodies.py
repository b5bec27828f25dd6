"""API bodies: the list of objects a JSON answer holds, or the API's own error, quoted.

SolarWinds SWIS wraps its rows in `{"results": [...]}`, DCNM 11 answers a bare list and
NDFC sometimes an object around it, NetBox pages hold `results`, Infoblox `result`, phpIPAM
`data`. A saved error response (expired token, wrong URL) is an object too: its message is
the most useful thing to show. One function reads them all, for saved files and live
answers alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from auditor.errors import SourceError


@dataclass(frozen=True, slots=True)
class BodyShape:
    """Where one API keeps its list, and its error message."""

    expected: str
    """What the body should be, for the error: `a SWIS Orion.Nodes query body`."""
    list_keys: tuple[str, ...]
    """Keys an object may hold the list under, first match wins."""
    error_keys: tuple[str, ...]
    """Keys an error response keeps its message under."""
    item: str = "result"
    """What one element is called in errors: `result #3`, `switch #2`."""
    field: str | None = None
    """The field errors name (`results`), if any."""


def body_items(body: Any, shape: BodyShape, origin: object) -> list[dict[str, Any]]:
    """The objects of `body` (a bare list, or the list under one of `shape.list_keys`).

    Raises:
        SourceError: naming `origin`: an object without the list (quoting an error message
            it holds), a list under the key that is not a list, or an element that is not
            an object.
    """
    if isinstance(body, dict):
        key = next((k for k in shape.list_keys if k in body), None)
        if key is None:
            keys = ", ".join(sorted(body)) or "none"
            said = next((body[k] for k in shape.error_keys
                         if isinstance(body.get(k), str) and body[k]), None)
            hint = f"; it says: {said}" if said else ""
            raise SourceError(f"expected {shape.expected}, got an object without "
                              f"{_either(shape.list_keys)} (keys: {keys}){hint}",
                              path=origin, field=shape.field)
        body = body[key]
        if not isinstance(body, list):
            raise SourceError(f"'{key}' is a {type(body).__name__}, not a list",
                              path=origin, field=shape.field)
    if not isinstance(body, list):
        raise SourceError(f"expected {shape.expected}, got {type(body).__name__}",
                          path=origin, field=shape.field)
    for index, item in enumerate(body, start=1):
        if not isinstance(item, dict):
            raise SourceError(f"{shape.item} #{index} is a {type(item).__name__}, "
                              "not an object", path=origin, field=shape.field)
    return body


def _either(keys: Sequence[str]) -> str:
    quoted = [f"'{k}'" for k in keys]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]

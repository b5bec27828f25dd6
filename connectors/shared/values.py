"""Cell values as tools write them: dates in many shapes, yes/no in many words."""

from __future__ import annotations

import functools
from datetime import UTC, datetime

from auditor.model import MAX_YEAR, MIN_YEAR

#: Tried in order after ISO 8601. US month-first, as Track-It! and Orion web reports write.
US_DATE_FORMATS = (
    "%m/%d/%Y %I:%M %p",
    "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y",
    "%m/%d/%y %I:%M %p",
    "%m/%d/%y %H:%M",
    "%m/%d/%y",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%Y-%m-%d",
)



#: "Never" as Windows tools write it: .NET `DateTime.MinValue`, the OLE Automation zero day
#: (Orion's `1899-12-30`). They mean no date, so they read as an empty cell.
NEVER = frozenset({datetime(1, 1, 1), datetime(1899, 12, 30)})


class DateRangeError(ValueError):
    """A well-formed date outside `MIN_YEAR`..`MAX_YEAR`: a placeholder or junk, not a time."""


_TRUE = {"yes", "y", "true", "t", "1", "on", "enabled", "enable", "x", "checked", "-1"}
_FALSE = {"no", "n", "false", "f", "0", "off", "disabled", "disable", "", "unchecked"}


def parse_datetime(value: object, date_format: str | None = None) -> datetime | None:
    """Return a naive UTC datetime, or None for an empty cell or a "never" placeholder.

    Accepts datetime objects (XLSX cells), ISO 8601 with or without fraction, `Z` or offset,
    and US dates. `date_format` (strptime) is tried first when given. Raises ValueError
    on text that is none of these, and on a date outside `MIN_YEAR`..`MAX_YEAR`.
    """
    if value is None:
        return None
    if isinstance(value, datetime):
        return _in_range(_naive_utc(value), value)
    text = str(value).strip()
    if not text:
        return None
    return _parse_cached(text, date_format)


@functools.lru_cache(maxsize=1 << 16)
def _parse_cached(text: str, date_format: str | None) -> datetime | None:
    """`parse_datetime` of stripped text, remembered: an export repeats its dates (a day,
    a poll cycle) thousands of times, and `strptime` is slow. Errors are not remembered
    (raised again each time); a datetime is immutable, so sharing one is safe."""
    return _in_range(_parse_text(text, date_format), text)


def _parse_text(text: str, date_format: str | None) -> datetime:
    if date_format:
        try:
            return _naive_utc(datetime.strptime(text, date_format))
        except ValueError:
            pass
    iso = text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text
    try:
        return _naive_utc(datetime.fromisoformat(iso))
    except ValueError:
        pass
    except OverflowError:  # `9999-12-31T23:00-05:00` is past datetime.max in UTC
        raise DateRangeError(_outside(text)) from None
    for fmt in US_DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    raise ValueError(f"not a date: {text!r}")


def _in_range(value: datetime, raw: object) -> datetime | None:
    if value.replace(hour=0, minute=0, second=0, microsecond=0) in NEVER:
        return None
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise DateRangeError(_outside(raw if isinstance(raw, str) else
                                      value.isoformat(sep=" ")))
    return value


def _outside(shown: str) -> str:
    return f"not a date: {shown!r} is outside years {MIN_YEAR}..{MAX_YEAR} (a placeholder?)"


def cell_text(value: object) -> str:
    """A JSON or spreadsheet value as stripped text; `187.0` -> `187`, None -> ''."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def parse_bool(value: object, default: bool | None = None) -> bool | None:
    """Read yes/no, true/false, 1/0, on/off, checkbox marks. None when unrecognised."""
    if isinstance(value, bool):
        return value
    if value is None:
        return default
    if isinstance(value, int | float):
        return bool(value)
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return default if text == "" else False
    return None


def epoch_ms(value: object) -> datetime | None:
    """DCNM-style epoch milliseconds (0 means never) to naive UTC."""
    if value in (None, "", 0, "0"):
        return None
    ms = value if isinstance(value, int | float) else float(str(value))
    when = datetime.fromtimestamp(ms / 1000, tz=UTC).replace(tzinfo=None)
    return _in_range(when, value)


def _naive_utc(value: datetime) -> datetime:
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value

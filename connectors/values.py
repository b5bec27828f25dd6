"""Cell values as tools write them: dates in many shapes, yes/no in many words."""

from __future__ import annotations

from datetime import UTC, datetime

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

_TRUE = {"yes", "y", "true", "t", "1", "on", "enabled", "enable", "x", "checked", "-1"}
_FALSE = {"no", "n", "false", "f", "0", "off", "disabled", "disable", "", "unchecked"}


def parse_datetime(value: object, date_format: str | None = None) -> datetime | None:
    """Return a naive UTC datetime, or None for an empty cell.

    Accepts datetime objects (XLSX cells), ISO 8601 with or without fraction, `Z` or offset,
    and US dates. `date_format` (strptime) is tried first when given. Raises ValueError
    on text that is none of these.
    """
    if value is None:
        return None
    if isinstance(value, datetime):
        return _naive_utc(value)
    text = str(value).strip()
    if not text:
        return None
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
    for fmt in US_DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    raise ValueError(f"not a date: {text!r}")


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
    return datetime.fromtimestamp(int(value) / 1000, tz=UTC).replace(tzinfo=None)  # type: ignore[arg-type]


def _naive_utc(value: datetime) -> datetime:
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value

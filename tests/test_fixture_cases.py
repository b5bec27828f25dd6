"""Every fixture case under tests/fixtures/, found and checked by one parametrized test each.

Connectors: `tests/fixtures/<type>/<case>/` holds the raw export(s), an optional `spec.json`
(`{"paths": [...], "owner": ..., "poller": ..., "options": {...}}`) and `expected.json`:
`{"targets": [...]}` / `{"networks": [...]}` as `auditor.jsonable` writes them, or
`{"error": "text the error must contain"}`.

Log parsers: `tests/fixtures/<type>/<case>.log` (or `.log.gz`) beside `<case>.json`:
`{"events": [...], "stats": {"lines": n, "parsed": n, "unparsed": n, "by_message": {...}}}`.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from auditor.errors import SourceError
from auditor.jsonable import event_record, log_stats_record, network_record, target_detail
from connectors import CAPTURES, LOG_PARSERS, NETWORK_SOURCES, REGISTRIES, TARGET_SOURCES, lookup
from connectors.base import SourceSpec
from tests.conftest import FIXTURES

#: Fixed clock for parsers of year-less syslog timestamps.
PARSE_NOW = datetime(2026, 11, 24, 12, 0, 0)
SPECIAL = {"expected.json", "spec.json"}


def _connector_cases(registry: dict[str, str]) -> list[tuple[str, Path]]:
    cases = []
    for type_name in sorted(registry):
        folder = FIXTURES / type_name
        if folder.is_dir():
            cases += [(type_name, d) for d in sorted(folder.iterdir()) if d.is_dir()]
    return cases


def _spec(type_name: str, case: Path) -> SourceSpec:
    raw = json.loads((case / "spec.json").read_text()) if (case / "spec.json").exists() else {}
    names = raw.get("paths") or sorted(p.name for p in case.iterdir()
                                        if p.name not in SPECIAL)
    options = dict(raw.get("options", {}))
    for key, value in list(options.items()):
        if key.endswith("_path"):
            options[key] = case / value
    return SourceSpec(name=raw.get("name", "src"), type=type_name,
                      paths=tuple(case / n for n in names), owner=raw.get("owner", ""),
                      poller=raw.get("poller"), options=options, root=case)


def _run_case(table: str, type_name: str, case: Path, to_dict, key: str) -> None:
    expected = json.loads((case / "expected.json").read_text())
    source = lookup(table, type_name)(_spec(type_name, case))
    if "error" in expected:
        with pytest.raises(SourceError) as info:
            source.fetch()
        assert expected["error"] in str(info.value)
        return
    fetched = source.fetch()
    if isinstance(fetched, dict):  # a capture: attribution key -> who
        got = [[*k, v] for k, v in sorted(fetched.items(), key=lambda kv: str(kv[0]))]
    else:
        got = [to_dict(x) for x in fetched]
    assert got == expected[key]


@pytest.mark.parametrize(("type_name", "case"), _connector_cases(TARGET_SOURCES),
                         ids=lambda v: v.name if isinstance(v, Path) else v)
def test_target_source_case(type_name: str, case: Path) -> None:
    _run_case("sources", type_name, case, target_detail, "targets")


@pytest.mark.parametrize(("type_name", "case"), _connector_cases(NETWORK_SOURCES),
                         ids=lambda v: v.name if isinstance(v, Path) else v)
def test_network_source_case(type_name: str, case: Path) -> None:
    _run_case("networks", type_name, case, network_record, "networks")


@pytest.mark.parametrize(("type_name", "case"), _connector_cases(CAPTURES),
                         ids=lambda v: v.name if isinstance(v, Path) else v)
def test_capture_case(type_name: str, case: Path) -> None:
    _run_case("captures", type_name, case, None, "keys")


def _log_cases() -> list[tuple[str, Path]]:
    cases = []
    for type_name in sorted(LOG_PARSERS):
        folder = FIXTURES / type_name
        if folder.is_dir():
            cases += [(type_name, p) for p in sorted(folder.glob("*.json"))]
    return cases


@pytest.mark.parametrize(("type_name", "expected_path"), _log_cases(),
                         ids=lambda v: v.name if isinstance(v, Path) else v)
def test_log_parser_case(type_name: str, expected_path: Path) -> None:
    stem = expected_path.with_suffix("")
    log = next(p for p in stem.parent.glob(stem.name + ".log*"))
    expected = json.loads(expected_path.read_text())
    parser = lookup("logs", type_name)(SourceSpec("fw", type_name), clock=PARSE_NOW)
    got = [event_record(e) for e in parser.parse_path(log)]
    assert got == expected["events"]
    assert log_stats_record(parser.stats) == expected["stats"]


@pytest.mark.parametrize("table", sorted(REGISTRIES))
def test_every_registered_type_has_fixtures(table: str) -> None:
    missing = [t for t in REGISTRIES[table] if not (FIXTURES / t).is_dir()]
    assert missing == []


@pytest.mark.parametrize("table", sorted(REGISTRIES))
def test_registry_names_match_class_types(table: str) -> None:
    """The config `type`, the registry key and the class's `type` are one word."""
    assert {name: lookup(table, name).type for name in REGISTRIES[table]} == \
        {name: name for name in REGISTRIES[table]}

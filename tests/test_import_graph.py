"""Data moves one way, and so do imports: no cycles, nothing reaches up but the CLI.

Layers, bottom up: the vocabulary (`auditor.model`, `errors`, `addresses`); connectors
(read inputs into that vocabulary); the pure core (indexes, reconcile, actions, summaries);
report writers; the engine (the only caller of connectors); the command line and the demo.
Every `import` in the package is read (function-level ones too) and checked against them.
"""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import ROOT

PACKAGES = ("auditor", "connectors", "reports")
VOCABULARY = {"auditor.model", "auditor.errors", "auditor.addresses"}
#: The pure core: values in, values out; no connectors, no reports, no engine.
CORE = {"auditor.netindex", "auditor.traffic", "auditor.reconcile", "auditor.actions",
        "auditor.summary", "auditor.jsonable", "auditor.history", "auditor.progress",
        "auditor.rates"}
#: Who may import the engine, the config loader and the CLI: the applications on top.
APPLICATIONS = {"auditor.cli", "auditor.__main__", "auditor.demo"}


def _modules() -> dict[str, set[str]]:
    names = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            names[name.removesuffix(".__init__")] = path
    graph: dict[str, set[str]] = {}
    for name, path in names.items():
        deps = set()
        for node in ast.walk(ast.parse(Path(path).read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                for alias in node.names:
                    full = f"{node.module}.{alias.name}"
                    deps.add(full if full in names else node.module)
            elif isinstance(node, ast.Import):
                deps.update(alias.name for alias in node.names)
        graph[name] = {d for d in deps if d in names and d != name}
    return graph


GRAPH = _modules()


def test_no_import_cycles() -> None:
    cycles = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for dep in sorted(GRAPH[node]):
            if state.get(dep) == 1:
                cycles.append(" -> ".join([*stack[stack.index(dep):], dep]))
            elif dep not in state:
                visit(dep)
        stack.pop()
        state[node] = 2

    for node in sorted(GRAPH):
        if node not in state:
            visit(node)
    assert cycles == []


def _offenders(modules: set[str], allowed: set[str], own_prefix: str = "") -> list[str]:
    return sorted(f"{m} -> {d}" for m in modules for d in GRAPH[m]
                  if d not in allowed and not (own_prefix and d.startswith(own_prefix)))


def test_vocabulary_imports_nothing_of_ours() -> None:
    assert _offenders(VOCABULARY, set()) == []


def test_connectors_see_only_the_vocabulary() -> None:
    connectors = {m for m in GRAPH if m.startswith("connectors")}
    assert _offenders(connectors, VOCABULARY, "connectors") == []


def test_core_is_pure() -> None:
    assert _offenders(CORE, VOCABULARY | CORE) == []


def test_reports_read_results_only() -> None:
    reports = {m for m in GRAPH if m.startswith("reports")}
    assert _offenders(reports, VOCABULARY | CORE, "reports") == []


def test_only_applications_reach_the_engine_and_the_cli() -> None:
    users = {m for m in GRAPH for d in GRAPH[m]
             if d in {"auditor.engine", "auditor.cli", "auditor.demo"}}
    assert users <= APPLICATIONS
    assert {m for m in GRAPH if "auditor.logfold" in GRAPH[m]} == {"auditor.engine",
                                                                  "auditor.sparkfold"}


def test_the_engine_is_the_only_caller_of_connectors_in_the_auditor() -> None:
    callers = {m for m in GRAPH if m.startswith("auditor")
               for d in GRAPH[m] if d.startswith("connectors")}
    # the config checks types and options against the registry; the engine's log stage
    # (`logfold`) parses on every core, or in Spark tasks (`sparkfold`); nothing else reads
    # inputs
    assert callers <= {"auditor.engine", "auditor.logfold", "auditor.sparkfold",
                       "auditor.config"}

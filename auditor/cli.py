"""Command line: `main(argv) -> int`, one catch at the top. The work lives in the library."""

from __future__ import annotations

import argparse
import json
import os
import sys
import traceback
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from auditor import __version__
from auditor.config import load_config, valid_types
from auditor.engine import (
    check_inputs,
    events,
    log_inputs,
    logs_only,
    precheck,
    run_audit,
    run_probes,
)
from auditor.errors import (
    EXIT_FINDINGS,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_SOURCE_FAILED,
    EXIT_USAGE,
    HistoryError,
    InternalError,
    StaleAuditError,
    UsageError,
)
from auditor.history import changes, format_history, read_history, record_run
from auditor.jsonable import event_record
from auditor.model import (
    MAX_YEAR,
    MIN_YEAR,
    VERDICT_ORDER,
    AuditResult,
    InputStatus,
    ProbeRun,
    ProbeStatus,
    SourceStatus,
    Verdict,
)
from auditor.progress import Progress
from auditor.summary import colour, format_logs_summary, format_summary
from reports import Output, write_outputs

#: `-o` picks its writer by extension; these are the ones there is a writer for.
REPORT_SUFFIXES = {".csv": "csv", ".html": "html", ".json": "json", ".xlsx": "xlsx"}
#: Extensions a later version will write: refused with a word, not as unknown.
LATER_SUFFIXES: dict[str, str] = {}
#: As a report or log path: standard output / standard input.
STDIO = "-"
#: Set to 1 to get the traceback of an internal error (for a bug report).
DEBUG_ENV = "STALE_AUDIT_DEBUG"


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; return its exit code (see SPEC.md)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse has printed the usage error
        return int(exc.code or 0) and EXIT_USAGE
    try:
        return int(args.run(args))
    except StaleAuditError as exc:
        print(f"stale-audit: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except BrokenPipeError:  # `stale-audit events ... | head`
        sys.stderr.close()
        return EXIT_OK
    except KeyboardInterrupt:
        print("stale-audit: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:  # a bug: one line and exit 4, never a traceback and exit 1
        if os.environ.get(DEBUG_ENV):
            traceback.print_exc()
        error = InternalError.wrap(exc)
        print(f"stale-audit: internal error: {error} (a bug; set {DEBUG_ENV}=1 for the "
              "traceback)", file=sys.stderr)
        return error.exit_code


def build_parser() -> argparse.ArgumentParser:
    types = valid_types()
    parser = argparse.ArgumentParser(
        prog="stale-audit",
        description="Find stale targets that monitoring and asset tools still poll.",
        epilog="exit codes: 0 done, nothing to fix; 1 findings at or above --fail-on; "
        "2 usage or config error; 3 an input (or the run history) could not be read; "
        "4 internal error (a bug)")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    audit = sub.add_parser("audit", help="full audit from an audit.toml",
                           description="Read every source, network and log in the config, "
                           "classify every address, write the reports.")
    _config_arg(audit)
    _report_args(audit, default_xlsx="reports/audit.xlsx")
    audit.add_argument("--csv", type=Path, metavar="F",
                       help="also write a CSV of findings ('-': standard output)")
    audit.add_argument("--html", type=Path, metavar="F",
                       help="also write the report as one self-contained HTML page (summary, "
                       "charts, sortable findings) for a ticket or an e-mail")
    _as_of_arg(audit)
    audit.add_argument("--split-by-owner", type=Path, metavar="DIR",
                       help="also write one remediation workbook per tool owner into DIR")
    audit.add_argument("--fail-on", choices=[str(v) for v in VERDICT_ORDER], default="stale",
                       help="exit 1 when any finding is at or above this verdict "
                       "(order: stale, conflict, unreachable, unverified, active; "
                       "default: stale)")
    audit.set_defaults(run=cmd_audit)

    precheck = sub.add_parser("precheck", help="which records point into prefixes you "
                              "plan to retire (exit 1 when any does)")
    _config_arg(precheck)
    precheck.add_argument("--retire", action="append", required=True, metavar="PREFIX",
                          help="a prefix to retire, e.g. 10.20.0.0/16 (repeatable)")
    _report_args(precheck, default_xlsx=None)
    _as_of_arg(precheck)
    precheck.set_defaults(run=cmd_precheck)

    logs = sub.add_parser("logs", help="drop-flow summary of firewall logs alone",
                          description="Top unanswered destinations, senders and hourly "
                          "rates from firewall logs; no config needed.")
    _log_args(logs, types["logs"])
    _report_args(logs, default_xlsx=None)
    _as_of_arg(logs)
    logs.set_defaults(run=cmd_logs)

    events = sub.add_parser("events", help="one JSON object per parsed log line (debugging)")
    _log_args(events, types["logs"])
    _as_of_arg(events)
    events.set_defaults(run=cmd_events)

    sources = sub.add_parser("sources", help="read each input once; counts or the error")
    _config_arg(sources)
    _as_of_arg(sources)
    sources.set_defaults(run=cmd_sources)

    probe = sub.add_parser("probe", help="run the opt-in probes alone and print what "
                           "answered",
                           description="Read the sources, look up the host names they hold "
                           "and probe (SNMP, TCP) every address they point at inside [probe] "
                           "allow, at [probe] rate at most; print one row per probe. Exit 0 "
                           "when everything probed answered, 1 when a target stayed silent "
                           "or a name does not resolve, 2 when probing is not enabled, 3 "
                           "when a source could not be read.")
    _config_arg(probe)
    probe.add_argument("--only", nargs="+", metavar="ADDRESS", default=[],
                       help="probe only these addresses or host names (still only inside "
                       "allow; one no record holds is probed too)")
    _as_of_arg(probe)
    probe.set_defaults(run=cmd_probe)

    history = sub.add_parser("history", help="past audits of this config and their counts",
                             description="List the audits recorded for this config (in "
                             ".stale-audit/history.sqlite beside it). Exit 3 when that file "
                             "is damaged or unreadable; the error names the file and line.")
    _config_arg(history)
    history.set_defaults(run=cmd_history)

    demo = sub.add_parser("demo", help="audit a bundled sample network (the seed story)",
                          description="Build the sample network in a temp folder, audit "
                          "it, write reports/demo-audit.xlsx and .json, print the summary.")
    demo.add_argument("-o", "--output", type=Path, default=Path("reports/demo-audit.xlsx"),
                      help="workbook to write (default: reports/demo-audit.xlsx; the JSON "
                      "goes beside it)")
    demo.set_defaults(run=cmd_demo)
    return parser


def _config_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("-c", "--config", type=Path, required=True, help="path to audit.toml")


def _report_args(p: argparse.ArgumentParser, default_xlsx: str | None) -> None:
    p.add_argument("-o", "--output", type=Path, metavar="F.xlsx",
                   default=Path(default_xlsx) if default_xlsx else None,
                   help="report to write, its format from the extension: .xlsx, .json, "
                   f".csv or .html (default: {default_xlsx or 'none'})")
    p.add_argument("--json", type=Path, metavar="F",
                   help="also write the JSON report ('-': standard output, and the summary "
                   "goes to standard error)")


def _as_of_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--as-of", type=_parse_as_of, metavar="ISO",
                   help="judge ages against this time instead of now (e.g. 2026-11-24T10:00Z)")


def _log_args(p: argparse.ArgumentParser, log_types: list[str]) -> None:
    p.add_argument("paths", nargs="+", type=Path, metavar="PATH",
                   help="log files (.gz and .bz2 are read transparently); '-' reads "
                   "standard input")
    p.add_argument("--type", default=None, choices=log_types,
                   help="log format (default: told from each file's first lines; cisco-asa "
                   "also reads FTD and PIX)")


def _parse_as_of(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"not an ISO date/time: {text!r} (e.g. 2026-11-24 or 2026-11-24T10:00Z)") from None
    except OverflowError:  # 9999-12-31T23:00-05:00 is past datetime.max in UTC
        value = datetime.max
    # Ages and log years are worked out around as_of: keep a margin from datetime's ends.
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise argparse.ArgumentTypeError(
            f"{text!r} is out of range: give a date between {MIN_YEAR}-01-01 and "
            f"{MAX_YEAR}-12-31")
    return value


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


# --- commands ---------------------------------------------------------------------------

def cmd_audit(args: argparse.Namespace) -> int:
    outputs = plan_outputs(args)
    config = load_config(args.config)
    now = _now()
    with Progress() as progress:
        result = run_audit(config, as_of=args.as_of or now, generated_at=now,
                           progress=progress)
    compare_failed = None
    if config.keep_history:   # what changed since the last audit: in the report and here
        try:
            result = replace(result, changes=changes(config.path, result,
                                                     history=config.history))
        except HistoryError as exc:   # its text says it could not compare
            compare_failed = str(exc)
    written = write_outputs(result, outputs)
    if args.split_by_owner:
        from reports import write_owner_reports

        written += write_owner_reports(result, args.split_by_owner)
    if config.keep_history:
        # A history that cannot be read cannot be written either: one warning, the one that
        # says the run is not recorded (and why).
        warning = record_run(config.path, result, args.output,
                             history=config.history) or compare_failed
        if warning:
            print(f"stale-audit: warning: {warning}", file=sys.stderr)
    out = _human(outputs)
    summary = format_summary(result)
    print(colour(summary) if _coloured(out) else summary, file=out)
    if result.probes is not None:
        print("\n" + "\n".join(probe_summary(result.probes)), file=out)
    _print_written(written, out)
    return exit_code(result, Verdict(args.fail_on))


def cmd_precheck(args: argparse.Namespace) -> int:
    outputs = plan_outputs(args)
    config = load_config(args.config)
    now = _now()
    with Progress() as progress:
        result = precheck(config, args.retire, as_of=args.as_of or now, generated_at=now,
                          progress=progress)
    written = write_outputs(result, outputs)
    out = _human(outputs)
    records = [(f, t) for f in result.findings for t in f.records]
    print(f"{len(records)} record(s) in {len({t.source for _, t in records})} source(s) "
          f"point into {', '.join(args.retire)}:", file=out)
    for finding, t in records:
        flag = "polled" if t.polled else "not polled"
        print(f"  {finding.address:<16} {t.source:<14} {t.id:<20} {t.name} ({flag}, "
              f"owner {t.owner or '-'})", file=out)
    for i in result.failed:
        print(f"!! {i.name} FAILED: {i.error}", file=out)
    _print_written(written, out)
    return failure_code(result.inputs) or (EXIT_FINDINGS if records else EXIT_OK)


def cmd_logs(args: argparse.Namespace) -> int:
    outputs = plan_outputs(args)
    specs = log_inputs(args.paths, args.type)
    now = _now()
    with Progress() as progress:
        result = logs_only(specs, as_of=args.as_of or now, generated_at=now,
                           progress=progress)
    written = write_outputs(result, outputs)
    out = _human(outputs)
    print(format_logs_summary(result), file=out)
    _print_written(written, out)
    return failure_code(result.inputs)


def cmd_events(args: argparse.Namespace) -> int:
    out = sys.stdout
    specs = log_inputs(args.paths, args.type)
    several = len(specs) > 1   # SPEC: with more than one file, each event says which
    for spec, event in events(specs, as_of=args.as_of or _now()):
        record = event_record(event)
        if several:
            record["file"] = str(spec.path)
        out.write(json.dumps(record) + "\n")
    out.flush()
    return EXIT_OK


def cmd_sources(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    with Progress() as progress:
        inputs = check_inputs(config, as_of=args.as_of or _now(), progress=progress)
    for i in inputs:
        unit = "lines" if i.role == "log" else "records"
        took = f"{i.seconds:8.2f} s" if i.seconds is not None else ""
        if i.status is SourceStatus.OK:
            print(f"{i.name:<20} {i.type:<16} ok      {i.records:>9} {unit:<7} {took}")
        else:
            print(f"{i.name:<20} {i.type:<16} FAILED  {took}  {i.error}")
    return failure_code(inputs)


def cmd_probe(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    with Progress() as progress:
        inputs, probed = run_probes(config, as_of=args.as_of or _now(), only=args.only,
                                    progress=progress)
    for i in inputs:
        if i.status is SourceStatus.FAILED:
            print(f"!! {i.name} FAILED: {i.error}")
    print(format_probe_table(probed))
    print("\n" + "\n".join(probe_summary(probed)))
    failed = failure_code(inputs)
    if failed:
        return failed
    from auditor.probe.run import summary_counts

    counts = summary_counts(probed.results)
    return EXIT_FINDINGS if counts["silent"] or counts["unresolved"] else EXIT_OK


def format_probe_table(probed: ProbeRun) -> str:
    """One row per probe and skip: address, kind, port, result, latency, error or detail."""
    rows = [("ADDRESS", "KIND", "PORT", "RESULT", "LATENCY MS", "ERROR / ANSWER")]
    for r in probed.results:
        latency = f"{r.latency * 1000:.1f}" if r.latency is not None else "-"
        rows.append((r.address, str(r.kind) if r.status is not ProbeStatus.SKIPPED or r.port
                     else "-", str(r.port) if r.port is not None else "-", str(r.status),
                     latency, r.error or r.detail or ""))
    if len(rows) == 1:
        return "(nothing to probe: no record holds an address or a host name)"
    width = [max(len(row[i]) for row in rows) for i in range(5)]
    return "\n".join(f"{row[0]:<{width[0]}}  {row[1]:<{width[1]}}  {row[2]:>{width[2]}}  "
                     f"{row[3]:<{width[3]}}  {row[4]:>{width[4]}}  {row[5]}".rstrip()
                     for row in rows)


def probe_summary(probed: ProbeRun) -> list[str]:
    """The probes in a few lines: who answered, who was left alone, what the audit sent."""
    from auditor.probe.run import summary_counts

    counts = summary_counts(probed.results)
    addresses = counts["answered"] + counts["silent"] + counts["errors"] + counts["skipped"]
    names = counts["resolved"] + counts["unresolved"] + counts["lookup_errors"]
    lines = [f"Probes: {addresses} address(es): {counts['answered']} answered, "
             f"{counts['silent']} silent, {counts['errors']} probe error(s), "
             f"{counts['skipped']} skipped ({len(probed.outside_allow)} outside allow "
             f"{', '.join(probed.allow)})"]
    if names:
        lines.append(f"  host names: {counts['resolved']} resolved, {counts['unresolved']} "
                     f"do not resolve, {counts['lookup_errors']} resolver failure(s)")
    rate = probed.packets / probed.seconds if probed.seconds > 0 else 0.0
    lines.append(f"  sent {probed.packets} packet(s) and {probed.dns_lookups} DNS look-up(s) "
                 f"in {probed.seconds:.2f} s ({rate:.1f}/s held, limit {probed.rate:g}/s; "
                 f"at most {probed.peak_sockets} socket(s) open)")
    return lines


def cmd_history(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    print(format_history(read_history(args.config, history=config.history)))
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    from auditor.demo import run_demo

    result, written = run_demo(args.output)
    print(format_summary(result))
    _print_written(written)
    return EXIT_OK


# --- helpers ----------------------------------------------------------------------------

def plan_outputs(args: argparse.Namespace) -> list[Output]:
    """The reports `-o`, `--json` and `--csv` ask for, checked before any work is done.

    `-o` takes its format from the extension. `-` means standard output, for JSON or CSV
    only, and for one report at most. Two options naming one file (`x` and `./x`, or a
    symlink to it) would overwrite each other: refused.
    """
    outputs = []
    if getattr(args, "output", None) is not None:
        outputs.append(Output("-o", _format_of(args.output), _stdio_or(args.output)))
    for option, kind in (("--json", "json"), ("--csv", "csv"), ("--html", "html")):
        path = getattr(args, option[2:], None)
        if path is not None:
            outputs.append(Output(option, kind, _stdio_or(path)))
    on_stdout = [o.option for o in outputs if o.path is None]
    if len(on_stdout) > 1:
        raise UsageError(f"{' and '.join(on_stdout)} both name standard output ('-'); "
                         "at most one report can go there")
    seen: dict[Path, Output] = {}
    for output in outputs:
        if output.path is None:
            continue
        key = output.path.expanduser().resolve()
        if key in seen:
            first = seen[key]
            raise UsageError(f"{first.option} {first.path} and {output.option} {output.path} "
                             f"name the same file ({key}); give each report its own file")
        seen[key] = output
    return outputs


def _format_of(path: Path) -> str:
    valid = ", ".join(REPORT_SUFFIXES)
    if str(path) == STDIO:
        raise UsageError("-o -: a report on standard output must say its format: use "
                         "--json - or --csv -")
    suffix = path.suffix.lower()
    if suffix in REPORT_SUFFIXES:
        return REPORT_SUFFIXES[suffix]
    if suffix in LATER_SUFFIXES:
        raise UsageError(f"-o {path}: {LATER_SUFFIXES[suffix]}; valid extensions: {valid}")
    if not suffix:
        raise UsageError(f"-o {path}: no extension to choose the report format by; "
                         f"valid extensions: {valid}")
    raise UsageError(f"-o {path}: unknown report extension {suffix!r}; valid extensions: "
                     f"{valid}")


def _stdio_or(path: Path) -> Path | None:
    return None if str(path) == STDIO else path


def _coloured(out: TextIO) -> bool:
    """Colour for a person at a terminal; never in a pipe or a file, nor with NO_COLOR."""
    return out.isatty() and not os.environ.get("NO_COLOR") and \
        os.environ.get("TERM") != "dumb"


def _human(outputs: Sequence[Output]) -> TextIO:
    """Where the summary goes: stderr when a report is on stdout, so stdout stays parseable."""
    return sys.stderr if any(o.path is None for o in outputs) else sys.stdout


def failure_code(inputs: Sequence[InputStatus]) -> int:
    """4 when an input failed through a bug, 3 when one failed otherwise, else 0."""
    failed = [i for i in inputs if i.status is SourceStatus.FAILED]
    if any(i.internal for i in failed):
        return EXIT_INTERNAL
    return EXIT_SOURCE_FAILED if failed else EXIT_OK


def exit_code(result: AuditResult, fail_on: Verdict) -> int:
    """4 or 3 when an input failed (`failure_code`); else 1 when a finding is at or above
    `fail_on`; else 0."""
    if result.failed:
        return failure_code(result.inputs)
    rank = {v: i for i, v in enumerate(VERDICT_ORDER)}
    if any(rank[f.verdict] <= rank[fail_on] for f in result.findings):
        return EXIT_FINDINGS
    return EXIT_OK


def _print_written(paths: list[Path], out: TextIO | None = None) -> None:
    for path in paths:
        print(f"wrote {path}", file=out or sys.stdout)


if __name__ == "__main__":
    sys.exit(main())

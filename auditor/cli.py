"""Command line: `main(argv) -> int`, one catch at the top. The work lives in the library."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import netaddr

from auditor import __version__
from auditor.config import load_config, valid_types
from auditor.engine import check_inputs, logs_only, run_audit, stream_events
from auditor.errors import StaleAuditError, UsageError
from auditor.history import format_history, read_history, record_run
from auditor.jsonable import event_record
from auditor.model import VERDICT_ORDER, AuditResult, SourceStatus, Verdict
from auditor.progress import Progress
from auditor.summary import format_logs_summary, format_summary
from connectors import LOG_PARSERS, lookup
from connectors.base import SourceSpec

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_SOURCE_FAILED = 0, 1, 2, 3


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
        return 130


def build_parser() -> argparse.ArgumentParser:
    types = valid_types()
    parser = argparse.ArgumentParser(
        prog="stale-audit",
        description="Find stale targets that monitoring and asset tools still poll.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    audit = sub.add_parser("audit", help="full audit from an audit.toml",
                           description="Read every source, network and log in the config, "
                           "classify every address, write the reports.")
    _config_arg(audit)
    _report_args(audit, default_xlsx="reports/audit.xlsx")
    audit.add_argument("--csv", type=Path, metavar="F", help="also write a CSV of findings")
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

    history = sub.add_parser("history", help="past audits of this config and their counts")
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
                   help=f"XLSX report to write (default: {default_xlsx or 'none'})")
    p.add_argument("--json", type=Path, metavar="F", help="also write the JSON report")


def _as_of_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--as-of", type=_parse_as_of, metavar="ISO",
                   help="judge ages against this time instead of now (e.g. 2026-11-24T10:00Z)")


def _log_args(p: argparse.ArgumentParser, log_types: list[str]) -> None:
    p.add_argument("paths", nargs="+", type=Path, metavar="PATH",
                   help="log files (.gz and .bz2 are read transparently)")
    p.add_argument("--type", default="cisco-asa", choices=log_types,
                   help="log format (default: cisco-asa, which also reads FTD and PIX)")


def _parse_as_of(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"not an ISO date/time: {text!r} (e.g. 2026-11-24 or 2026-11-24T10:00Z)") from None
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


# --- commands ---------------------------------------------------------------------------

def cmd_audit(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    now = _now()
    result = run_audit(config, as_of=args.as_of or now, generated_at=now,
                       progress=Progress())
    written = write_reports(result, xlsx=args.output, json_path=args.json, csv_path=args.csv)
    if args.split_by_owner:
        from reports import write_owner_reports

        written += write_owner_reports(result, args.split_by_owner)
    record_run(config.path, result, args.output)
    print(format_summary(result))
    _print_written(written)
    return exit_code(result, Verdict(args.fail_on))


def cmd_precheck(args: argparse.Namespace) -> int:
    retire = []
    for text in args.retire:
        try:
            retire.append(netaddr.IPNetwork(text))
        except (netaddr.AddrFormatError, ValueError):
            raise UsageError(f"--retire {text!r} is not a prefix (e.g. 10.20.0.0/16)") from None
    config = load_config(args.config)
    now = _now()
    full = run_audit(config, as_of=args.as_of or now, generated_at=now, progress=Progress())
    hits = tuple(f for f in full.findings if _inside(f.address, retire))
    result = AuditResult(name=f"Pre-change check: retire {', '.join(args.retire)}",
                         generated_at=full.generated_at, as_of=full.as_of,
                         stale_after_days=full.stale_after_days, inputs=full.inputs,
                         findings=hits, ghost_flows=tuple(
                             g for g in full.ghost_flows if _inside(g.dst, retire)),
                         networks=full.networks, logs=full.logs, owners=full.owners,
                         hourly=full.hourly)
    written = write_reports(result, xlsx=args.output, json_path=args.json)
    records = [(f, t) for f in hits for t in f.records]
    print(f"{len(records)} record(s) in {len({t.source for _, t in records})} source(s) "
          f"point into {', '.join(args.retire)}:")
    for finding, t in records:
        flag = "polled" if t.polled else "not polled"
        print(f"  {finding.address:<16} {t.source:<14} {t.id:<20} {t.name} ({flag}, "
              f"owner {t.owner or '-'})")
    for i in result.failed:
        print(f"!! {i.name} FAILED: {i.error}")
    _print_written(written)
    if result.failed:
        return EXIT_SOURCE_FAILED
    return EXIT_FINDINGS if records else EXIT_OK


def cmd_logs(args: argparse.Namespace) -> int:
    now = _now()
    result = logs_only(_log_specs(args), as_of=args.as_of or now, generated_at=now,
                       progress=Progress())
    written = write_reports(result, xlsx=args.output, json_path=args.json)
    print(format_logs_summary(result))
    _print_written(written)
    return EXIT_SOURCE_FAILED if result.failed else EXIT_OK


def cmd_events(args: argparse.Namespace) -> int:
    out = sys.stdout
    for spec in _log_specs(args):
        parser = lookup("logs", spec.type)(device=spec.name, now=args.as_of or _now())
        for event in stream_events(parser, spec.paths):
            out.write(json.dumps(event_record(event)) + "\n")
    out.flush()
    return EXIT_OK


def cmd_sources(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    inputs = check_inputs(config, as_of=args.as_of or _now(), progress=Progress())
    for i in inputs:
        unit = "lines" if i.role == "log" else "records"
        if i.status is SourceStatus.OK:
            print(f"{i.name:<20} {i.type:<16} ok      {i.records:>9} {unit}")
        else:
            print(f"{i.name:<20} {i.type:<16} FAILED  {i.error}")
    return EXIT_SOURCE_FAILED if any(i.status is SourceStatus.FAILED for i in inputs) \
        else EXIT_OK


def cmd_history(args: argparse.Namespace) -> int:
    load_config(args.config)
    print(format_history(read_history(args.config)))
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    from auditor.demo import run_demo

    result, written = run_demo(args.output)
    print(format_summary(result))
    _print_written(written)
    return EXIT_OK


# --- helpers ----------------------------------------------------------------------------

def write_reports(result: AuditResult, *, xlsx: Path | None, json_path: Path | None,
                  csv_path: Path | None = None) -> list[Path]:
    """Write each requested report whole (temp file, then rename); return the paths."""
    from reports import reporter_for

    written = []
    for kind, path in (("xlsx", xlsx), ("json", json_path), ("csv", csv_path)):
        if path is not None:
            reporter_for(kind).write(result, path)
            written.append(path)
    return written


def exit_code(result: AuditResult, fail_on: Verdict) -> int:
    """3 when an input failed; else 1 when a finding is at or above `fail_on`; else 0."""
    if result.failed:
        return EXIT_SOURCE_FAILED
    rank = {v: i for i, v in enumerate(VERDICT_ORDER)}
    if any(rank[f.verdict] <= rank[fail_on] for f in result.findings):
        return EXIT_FINDINGS
    return EXIT_OK


def _log_specs(args: argparse.Namespace) -> list[SourceSpec]:
    if args.type not in LOG_PARSERS:
        raise UsageError(f"unknown log type {args.type!r}; valid: {', '.join(LOG_PARSERS)}")
    specs = []
    for path in args.paths:
        if not path.is_file():
            raise UsageError(f"{path}: no such file")
        specs.append(SourceSpec(name=path.name, type=args.type, paths=(path,)))
    return specs


def _inside(address: str, prefixes: list[netaddr.IPNetwork]) -> bool:
    try:
        ip = netaddr.IPAddress(address)
    except (netaddr.AddrFormatError, ValueError):
        return False
    return any(ip in p for p in prefixes)


def _print_written(paths: list[Path]) -> None:
    for path in paths:
        print(f"wrote {path}")


if __name__ == "__main__":
    sys.exit(main())

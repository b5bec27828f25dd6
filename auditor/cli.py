"""Command line: `main(argv) -> int`, one catch at the top. The work lives in the library."""

from __future__ import annotations

import argparse
import json
import os
import sys
import textwrap
import traceback
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from auditor import __version__
from auditor.config import api_types, file_log_types, load_config, valid_types
from auditor.engine import (
    check_inputs,
    events,
    log_inputs,
    logs_only,
    precheck,
    retire_prefixes,
    retired_by,
    run_audit,
    run_probes,
    spark_inputs,
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
from auditor.jsonable import event_record
from auditor.model import (
    MAX_YEAR,
    MIN_YEAR,
    VERDICT_ORDER,
    AuditResult,
    InputStatus,
    NetworkStatus,
    ProbeRun,
    ProbeStatus,
    SourceStatus,
    Verdict,
)
from auditor.progress import Progress
from auditor.reconcile import address_sort_key
from auditor.starter import DEFAULT_NAME, starter_config
from auditor.summary import colour, format_logs_summary, format_summary
from reports import Output, write_outputs

#: `-o` picks its writer by extension; these are the ones there is a writer for.
REPORT_SUFFIXES = {".csv": "csv", ".html": "html", ".json": "json", ".xlsx": "xlsx"}
#: Extensions a later version will write: refused with a word, not as unknown.
LATER_SUFFIXES: dict[str, str] = {}
#: As a report or log path: standard output / standard input.
STDIO = "-"
#: Width of the help texts written here (descriptions, examples, exit codes).
HELP_WIDTH = 79
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


#: The exit codes most commands share (SPEC.md), for their `--help`.
_EXIT_USAGE = (EXIT_USAGE, "usage or config error: the message names the file, table and key")
_EXIT_BUG = (EXIT_INTERNAL, f"internal error, a bug: one line naming the input ({DEBUG_ENV}=1 "
             "shows the traceback)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="stale-audit", formatter_class=argparse.RawDescriptionHelpFormatter,
        description=_wrap(
            "Find the targets that monitoring and asset tools (SolarWinds, Track-It!, DCNM, "
            "Zabbix, SNMP configs...) keep polling although their network is gone: reads "
            "the tools' exports or APIs, the live networks (IPAM, routing tables) and the "
            "firewall logs, and writes one list per tool owner."),
        epilog=_epilog(
            [("stale-audit demo", "a complete audit of a bundled sample network"),
             ("stale-audit init", "write a commented starter audit.toml"),
             ("stale-audit sources -c audit.toml", "does every input load?"),
             ("stale-audit audit -c audit.toml -o report.xlsx", "the audit"),
             ("stale-audit precheck -c audit.toml --retire 10.20.0.0/16",
              "before a change: whose records point there?"),
             ("stale-audit logs fw-edge-*.log.gz", "firewall logs alone, no config")],
            [(EXIT_OK, "done, nothing to fix"),
             (EXIT_FINDINGS, "done, and findings to fix (each command's --help says which)"),
             _EXIT_USAGE,
             (EXIT_SOURCE_FAILED, "an input (or the run history) could not be read"),
             _EXIT_BUG,
             (EXIT_INTERRUPTED, "interrupted (Ctrl-C)")])
        + "\n\n'stale-audit COMMAND --help' shows a command's options, examples and exit codes.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(title="commands", dest="command", required=True,
                                metavar="COMMAND")

    demo = _command(
        sub, "demo", "audit a bundled sample network (the seed story)",
        "Build a sample network (SolarWinds, Track-It! and DCNM exports, an IPAM list, an "
        "ASA route table and syslog, a netstat capture) in a temp folder, audit it, write "
        "reports/demo-audit.xlsx and .json and print the summary. Nothing is sent or read "
        "over the network.\n\n"
        "With --keep DIR the network stays in DIR to edit and audit again.",
        [("stale-audit demo", ""),
         ("stale-audit demo --keep demo-net",
          "then edit demo-net/ and run: stale-audit audit -c demo-net/audit.toml"),
         ("stale-audit demo -o /tmp/demo.xlsx", "the workbook (and /tmp/demo.json) elsewhere")],
        [(EXIT_OK, "the demo ran (its findings do not change the exit code)"),
         (EXIT_USAGE, "--keep names a file or a folder that is not empty"), _EXIT_BUG])
    demo.add_argument("-o", "--output", type=Path, default=Path("reports/demo-audit.xlsx"),
                      metavar="F.xlsx",
                      help="workbook to write (default: reports/demo-audit.xlsx; the JSON "
                      "goes beside it)")
    demo.add_argument("--keep", type=Path, metavar="DIR",
                      help="build the network in DIR (new or empty) and leave it there: "
                      "audit.toml, exports, route tables, logs, capture and a README.txt")
    demo.set_defaults(run=cmd_demo)

    init = _command(
        sub, "init", "write a commented starter audit.toml",
        "Write a starter config: [audit] and one each of [[sources]], [[networks]] and "
        "[[logs]] ready to edit, the other tables ([[captures]], [probe], a live API "
        "source, a route table) commented out, and every valid type listed. It loads as "
        "soon as the files it names exist. An existing file is never overwritten unless "
        "--force is given.",
        [("stale-audit init", "writes ./audit.toml"),
         ("stale-audit init sites/dc1", "writes sites/dc1/audit.toml (folders are created)"),
         ("stale-audit init nightly.toml --force", "replaces nightly.toml")],
        [(EXIT_OK, "written"),
         (EXIT_USAGE, "the file exists (pass --force) or cannot be written"), _EXIT_BUG])
    init.add_argument("path", nargs="?", default=DEFAULT_NAME, metavar="PATH",
                      help=f"file to write (default: {DEFAULT_NAME}; a folder, or a name "
                      f"without an extension: {DEFAULT_NAME} in that folder)")
    init.add_argument("--force", action="store_true", help="overwrite PATH if it exists")
    init.set_defaults(run=cmd_init)

    sources = _command(
        sub, "sources", "read each input once; record counts or the error",
        "Read every source, network, log and capture of the config once, as an audit "
        "would, and print one line each: ok with its record (or line) count and the time "
        "it took, or FAILED with the error naming the file, line and field. Run it after "
        "editing audit.toml.",
        [("stale-audit sources -c audit.toml", "")],
        [(EXIT_OK, "every input loaded"), _EXIT_USAGE,
         (EXIT_SOURCE_FAILED, "an input could not be read (its line says why)"),
         (EXIT_INTERNAL, "an input failed through a bug in its reader")])
    _config_arg(sources)
    _as_of_arg(sources)
    sources.set_defaults(run=cmd_sources)

    audit = _command(
        sub, "audit", "full audit from an audit.toml",
        "Read every source, network and log in the config, classify every address a tool "
        "holds (stale, conflict, unreachable, unverified, active), find the ghost flows "
        "(drops to addresses no tool holds), write the reports and print a summary. Each "
        "audit is recorded in the run history beside the config and compared with the one "
        "before it.",
        [("stale-audit audit -c audit.toml", "writes reports/audit.xlsx"),
         ("stale-audit audit -c audit.toml -o report.xlsx --json report.json "
          "--split-by-owner owners/", "plus one workbook per tool owner"),
         ("stale-audit audit -c audit.toml --json - | jq '.findings[0]'",
          "JSON on standard output, the summary on standard error"),
         ("stale-audit audit -c audit.toml --fail-on unreachable --max-findings 5",
          "a scheduled job: exit 1 only past 5 findings at unreachable or worse")],
        [(EXIT_OK, "done; no finding at or above --fail-on (or at most --max-findings)"),
         (EXIT_FINDINGS, "done; findings at or above --fail-on (more than --max-findings, "
          "when given)"), _EXIT_USAGE,
         (EXIT_SOURCE_FAILED, "an input could not be read: the reports are still written "
          "and say so"), _EXIT_BUG])
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
    audit.add_argument("--max-findings", type=_count, default=0, metavar="N",
                       help="exit 1 only when more than N findings are at or above "
                       "--fail-on (default: 0), for scheduled jobs that tolerate a known few")
    audit.set_defaults(run=cmd_audit)

    precheck = _command(
        sub, "precheck", "before a change: which records point into prefixes to retire",
        "Audit the config, then list every record, in every source, whose address is "
        "inside the prefixes: sorted by address, with today's verdict. A record whose "
        "address answers today (verdict active or conflict) is the one the change will "
        "break. Ghost flows into the prefixes and the networks the network sources hold "
        "there are listed too. A prefix with host bits set (10.1.2.3/24) is refused.",
        [("stale-audit precheck -c audit.toml --retire 10.20.0.0/16", ""),
         ("stale-audit precheck -c audit.toml --retire 10.99.0.0/16 --retire "
          "2001:db8:99::/48 -o precheck.xlsx", "several prefixes, and a workbook")],
        [(EXIT_OK, "no record points into the prefixes"),
         (EXIT_FINDINGS, "at least one record does"),
         (EXIT_USAGE, "usage or config error, e.g. a prefix that is not one or has host "
          "bits set"),
         (EXIT_SOURCE_FAILED, "an input could not be read: the list may be incomplete"),
         _EXIT_BUG])
    _config_arg(precheck)
    precheck.add_argument("--retire", action="append", required=True, metavar="PREFIX",
                          help="a prefix to retire, e.g. 10.20.0.0/16 or 2001:db8:20::/48 "
                          "(repeatable)")
    _report_args(precheck, default_xlsx=None)
    _as_of_arg(precheck)
    precheck.set_defaults(run=cmd_precheck)

    history = _command(
        sub, "history", "past audits of this config and their counts",
        "List the audits recorded for this config (in .stale-audit/history.sqlite beside "
        "it, or [audit] history), oldest first, with their counts and what changed.",
        [("stale-audit history -c audit.toml", "")],
        [(EXIT_OK, "listed"), _EXIT_USAGE,
         (EXIT_SOURCE_FAILED, "the history file is damaged or unreadable (the error names "
          "it)"), _EXIT_BUG])
    _config_arg(history)
    history.set_defaults(run=cmd_history)

    probe = _command(
        sub, "probe", "run the opt-in probes alone and print what answered",
        "Read the sources, look up the host names they hold and probe (SNMP, TCP) every "
        "address they point at inside [probe] allow, at [probe] rate at most; print one "
        "row per probe. Nothing outside allow is ever probed.",
        [("stale-audit probe -c audit.toml", ""),
         ("stale-audit probe -c audit.toml --only 10.99.4.31 core-sw-01",
          "two targets only (still inside allow)")],
        [(EXIT_OK, "everything probed answered"),
         (EXIT_FINDINGS, "a target stayed silent or a host name does not resolve"),
         (EXIT_USAGE, "probing is not enabled ([probe] enabled = true, allow = [...]), or "
          "another usage or config error"),
         (EXIT_SOURCE_FAILED, "a source could not be read"), _EXIT_BUG])
    _config_arg(probe)
    probe.add_argument("--only", nargs="+", metavar="ADDRESS", default=[],
                       help="probe only these addresses or host names (still only inside "
                       "allow; one no record holds is probed too)")
    _as_of_arg(probe)
    probe.set_defaults(run=cmd_probe)

    logs = _command(
        sub, "logs", "drop-flow summary of firewall logs alone, no config",
        "Top unanswered destinations, senders, hourly rates and spikes from firewall "
        "logs; no config needed. With no inventory behind it, every drop flow is a ghost "
        "flow. The format is told from each file's first lines unless --type is given.",
        [("stale-audit logs fw-edge-*.log.gz -o drops.xlsx", ""),
         ("zcat fw-*.gz | stale-audit logs -", "'-' reads standard input"),
         ("stale-audit logs pa-traffic.log --type paloalto --json drops.json", ""),
         ("stale-audit logs fw.log.*.gz --engine spark", "folded by your Spark "
          "(pip install 'stale-audit[spark]')")],
        [(EXIT_OK, "read"),
         (EXIT_USAGE, "a missing file, or lines in no format this version reads"),
         (EXIT_SOURCE_FAILED, "a log could not be read (e.g. a damaged .gz)"), _EXIT_BUG])
    _log_args(logs, file_log_types())
    logs.add_argument("--engine", choices=("local", "spark"), default="local",
                      help="where the files are folded: here (default), or by your Spark "
                      "(its spark-defaults, SPARK_MASTER; local[*] when none is set)")
    _report_args(logs, default_xlsx=None)
    _as_of_arg(logs)
    logs.set_defaults(run=cmd_logs)

    events = _command(
        sub, "events", "one JSON object per parsed log line (debugging)",
        "Print one JSON object per log line the parser recognised, in input order: line, "
        "time, device, message, signal, protocol, src, sport, dst, dport (and file, with "
        "several files). For checking what a parser makes of your firewall's lines.",
        [("stale-audit events fw.log | head", ""),
         ("stale-audit events fw.log | jq 'select(.signal == \"no-route\")'",
          "only the no-route lines")],
        [(EXIT_OK, "read"),
         (EXIT_USAGE, "a missing file, or lines in no format this version reads"),
         (EXIT_SOURCE_FAILED, "a log could not be read"), _EXIT_BUG])
    _log_args(events, file_log_types())
    _as_of_arg(events)
    events.set_defaults(run=cmd_events)
    return parser


def _command(sub: argparse._SubParsersAction[argparse.ArgumentParser], name: str,
             summary: str, description: str, examples: Sequence[tuple[str, str]],
             exits: Sequence[tuple[int, str]]) -> argparse.ArgumentParser:
    """One subcommand: its one-line summary, what it is for, examples and exit codes."""
    return sub.add_parser(name, help=summary, description=_wrap(description),
                          epilog=_epilog(examples, exits),
                          formatter_class=argparse.RawDescriptionHelpFormatter)


def _wrap(text: str) -> str:
    return "\n\n".join(textwrap.fill(part, width=HELP_WIDTH) for part in text.split("\n\n"))


def _epilog(examples: Sequence[tuple[str, str]], exits: Sequence[tuple[int, str]]) -> str:
    lines = ["examples:"]
    for command, comment in examples:
        lines.append(f"  {command}")
        if comment:
            lines.append(textwrap.fill(comment, width=HELP_WIDTH, initial_indent=" " * 6,
                                       subsequent_indent=" " * 6))
    lines += ["", "exit codes:"]
    for code, meaning in exits:
        lines.append(textwrap.fill(meaning, width=HELP_WIDTH, initial_indent=f"  {code:<3} ",
                                   subsequent_indent=" " * 6))
    return "\n".join(lines)


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, not {value}")
    return value


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
    # imported here: `logs` and the rest never touch the history (SQLite), ~3 ms of imports
    from auditor.history import changes, record_run

    if config.keep_history:   # what changed since the last audit: in the report and here
        try:
            result = replace(result, changes=changes(config.path, result,
                                                     history=config.history))
        except HistoryError as exc:   # its text says it could not compare
            compare_failed = str(exc)
    written = write_outputs(result, outputs)
    if args.split_by_owner:
        from reports import write_owner_reports

        written += write_owner_reports(result, args.split_by_owner, full_reports=written)
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
    return exit_code(result, Verdict(args.fail_on), args.max_findings)


def cmd_precheck(args: argparse.Namespace) -> int:
    prefixes = retire_prefixes(args.retire)   # a typo is refused before anything is read
    outputs = plan_outputs(args)
    config = load_config(args.config)
    now = _now()
    with Progress() as progress:
        result = precheck(config, prefixes, as_of=args.as_of or now, generated_at=now,
                          progress=progress)
    written = write_outputs(result, outputs)
    out = _human(outputs)
    print(format_precheck(result, prefixes), file=out)
    _print_written(written, out)
    held = any(f.records for f in result.findings)
    return failure_code(result.inputs) or (EXIT_FINDINGS if held else EXIT_OK)


#: Names of records that will break, listed in the precheck's headline; the table has all.
SHOWN_NAMES = 10
#: What retiring the prefix does to a record, by its address's verdict today.
_IF_RETIRED = {
    Verdict.ACTIVE: "WILL BREAK: answers today",
    Verdict.CONFLICT: "WILL BREAK: answers today (the network lists say gone)",
    Verdict.UNREACHABLE: "does not answer today",
    Verdict.UNVERIFIED: "no evidence either way: check it",
}


def format_precheck(result: AuditResult, prefixes: Sequence[str]) -> str:
    """The precheck for a terminal: every record in the prefixes, by address, with today's
    verdict and what the change does to it; ghost flows and networks there; failed inputs
    first."""
    lines = [f"{result.name}  (as of {result.as_of:%Y-%m-%d %H:%M} UTC)", ""]
    failed = result.failed
    if failed:
        lines.append(f"!! {_plural(len(failed), 'input')} FAILED -- the list below may be "
                     "incomplete:")
        lines += [f"!! {i.name} FAILED: {i.error}" for i in failed]
        lines.append("")
    where = ", ".join(prefixes)
    rows = sorted(((f, t) for f in result.findings for t in f.records),
                  key=lambda pair: (address_sort_key(pair[0].address), pair[1].source,
                                    pair[1].id))
    sources = sum(1 for i in result.inputs if i.role == "source")
    if not rows:
        lines.append(f"No record in {_plural(sources, 'source')} points into {where}.")
    else:
        breaking = [t for f, t in rows if f.verdict in (Verdict.ACTIVE, Verdict.CONFLICT)]
        stale = [t for f, t in rows if f.verdict is Verdict.STALE and t.polled]
        held_in = len({t.source for _, t in rows})
        lines.append(f"{_plural(len(rows), 'record')} in {held_in} of "
                     f"{_plural(sources, 'source')} {_verb(len(rows), 'point')} into "
                     f"{where}.")
        if breaking:
            shown = list(dict.fromkeys(t.name or t.address for t in breaking))
            names = ", ".join(shown[:SHOWN_NAMES]) + (
                f" and {len(shown) - SHOWN_NAMES} more" if len(shown) > SHOWN_NAMES else "")
            lines.append(f"  {len(breaking)} {_verb(len(breaking), 'point')} at addresses "
                         f"that answer today and will break: {names}")
        if stale:
            lines.append(f"  {len(stale)} gone already and still polled: remove "
                         f"{'it from its tool' if len(stale) == 1 else 'them from their tools'}")
        several = len(prefixes) > 1
        header = ["ADDRESS", *(["PREFIX"] if several else []), "VERDICT TODAY", "POLLED",
                  "SOURCE", "RECORD ID", "NAME", "OWNER", "LAST OK", "IF RETIRED"]
        table = []
        for f, t in rows:
            table.append([f.address,
                          *([retired_by(f.address, prefixes) or "-"] if several else []),
                          str(f.verdict), "yes" if t.polled else "no", t.source, t.id,
                          t.name or "-", t.owner or "-",
                          f"{t.last_ok:%Y-%m-%d}" if t.last_ok else "-",
                          _if_retired(f.verdict, t.polled)])
        lines.append("")
        lines += _columns(header, table)
    if result.ghost_flows:
        lines += ["", f"Traffic into {where} that no record holds (ghost flows): "
                  f"{len(result.ghost_flows)}"]
        table = [[g.src, g.dst, f"{g.protocol}/{g.port}" if g.port is not None else g.protocol,
                  str(g.count), f"{g.last_seen:%Y-%m-%d %H:%M}" if g.last_seen else "-",
                  g.attribution or "-"] for g in result.ghost_flows]
        lines += _columns(["SENDER", "DESTINATION", "SERVICE", "LINES", "LAST SEEN",
                           "SENT BY"], table)
    networks = [n for n in result.networks if n.status is not NetworkStatus.CONTAINER]
    if networks:
        lines += ["", f"What the network sources hold in {where}:"]
        lines += _columns(["NETWORK SOURCE", "PREFIX", "STATUS", "DESCRIPTION"],
                          [[n.source, n.prefix, str(n.status), n.description or "-"]
                           for n in networks])
    elif any(i.role == "network" and i.status is SourceStatus.OK for i in result.inputs):
        lines += ["", f"No network source lists a network in {where} (a typo, or gone "
                  "already?)"]
    return "\n".join(lines)


def _if_retired(verdict: Verdict, polled: bool) -> str:
    if verdict is Verdict.STALE:
        return ("gone already; still polled: remove it" if polled else
                "gone already; not polled")
    return _IF_RETIRED[verdict]


def _columns(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """A table in aligned columns under `header`; counts right-aligned, the rest left."""
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header))]
    right = {i for i, name in enumerate(header) if name in ("LINES",)}
    return [
        "  ".join(cell.rjust(widths[i]) if i in right else cell.ljust(widths[i])
                  for i, cell in enumerate(row)).rstrip()
        for row in (header, *rows)]


def _verb(n: int, verb: str) -> str:
    """`verb` agreeing with a count: 1 points, 2 point."""
    return f"{verb}s" if n == 1 else verb


def _plural(n: int, word: str) -> str:
    return f"{n} {word if n == 1 else word + 's'}"


def cmd_logs(args: argparse.Namespace) -> int:
    outputs = plan_outputs(args)
    if args.engine == "spark" and Path("-") in args.paths:
        raise UsageError("--engine spark folds files; '-' (standard input) is read here: "
                         "leave --engine out")
    specs = log_inputs(args.paths, args.type)
    if args.engine == "spark":
        specs = spark_inputs(specs)
    now = _now()
    with Progress() as progress:
        result = logs_only(specs, as_of=args.as_of or now, generated_at=now,
                           progress=progress)
    # The workbook is shaped for logs alone (top destinations, senders, rates), not an
    # audit's with no findings; JSON and CSV keep the audit's schema.
    books = [o.path for o in outputs if o.kind == "xlsx" and o.path is not None]
    written = write_outputs(result, [o for o in outputs if o.kind != "xlsx"])
    if books:
        from reports.xlsx_report import LogsXlsxReporter

        for path in books:
            LogsXlsxReporter().write(result, path)
            written.append(path)
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
    from auditor.history import format_history, read_history

    config = load_config(args.config)
    print(format_history(read_history(args.config, history=config.history)))
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    from auditor.demo import run_demo

    demo = run_demo(args.output, keep=args.keep)
    print(format_summary(demo.result))
    _print_written(demo.written)
    if demo.kept is not None:
        config = demo.kept / DEFAULT_NAME
        print(f"\nThe demo network is kept in {demo.kept.resolve()} (audit.toml, exports/, "
              f"networks/, logs/, captures/; README.txt says what each is). Edit it and "
              f"audit it again:\n  stale-audit audit -c {config}")
        if demo.warning:
            print(f"stale-audit: warning: {demo.warning}", file=sys.stderr)
    return EXIT_OK


def cmd_init(args: argparse.Namespace) -> int:
    path = Path(args.path)
    if path.is_dir() or args.path.endswith(("/", os.sep)) or not path.suffix:
        path = path / DEFAULT_NAME
    text = starter_config(valid_types(), api_types("sources"), config_name=str(path))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w" if args.force else "x", encoding="utf-8") as fh:
            fh.write(text)
    except FileExistsError:
        raise UsageError(f"{path} already exists; pass --force to overwrite it, or name "
                         "another file") from None
    except OSError as exc:
        raise UsageError(f"{path}: cannot write: {exc.strerror or exc}") from None
    print(f"wrote {path}: a starter config, every table in it (most commented out)\n"
          "next:\n"
          "  1. point its paths at your exports, route tables and logs\n"
          f"  2. stale-audit sources -c {path}     # does every input load?\n"
          f"  3. stale-audit audit -c {path}")
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


def exit_code(result: AuditResult, fail_on: Verdict, max_findings: int = 0) -> int:
    """4 or 3 when an input failed (`failure_code`); else 1 when more than `max_findings`
    findings are at or above `fail_on`; else 0."""
    if result.failed:
        return failure_code(result.inputs)
    rank = {v: i for i, v in enumerate(VERDICT_ORDER)}
    over = sum(1 for f in result.findings if rank[f.verdict] <= rank[fail_on])
    return EXIT_FINDINGS if over > max_findings else EXIT_OK


def _print_written(paths: list[Path], out: TextIO | None = None) -> None:
    for path in paths:
        print(f"wrote {path}", file=out or sys.stdout)


if __name__ == "__main__":
    sys.exit(main())

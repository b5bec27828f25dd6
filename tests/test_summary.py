"""The terminal summary a person reads after an audit: every stale target with its owner, its
tool's last success and why, in words; colour only at a terminal."""

from __future__ import annotations

import io
from datetime import datetime

import pytest

from auditor.cli import _coloured
from auditor.config import load_config
from auditor.demo import build_network
from auditor.engine import run_audit
from auditor.model import AuditResult, Reason
from auditor.summary import REASON_WORDS, colour, format_summary

NOW = datetime(2026, 11, 24, 10, 0)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> AuditResult:
    config = build_network(tmp_path_factory.mktemp("net"), NOW)
    return run_audit(load_config(config), as_of=NOW, generated_at=NOW)


def test_every_stale_target_has_its_owner_last_ok_and_why(demo: AuditResult) -> None:
    text = format_summary(demo)
    lines = text.splitlines()
    kiosk = lines.index(next(x for x in lines if x.startswith("  10.99.4.31 ")))
    assert lines[kiosk].split(None, 1)[1] == (
        "Service Desk - Track-It!: last OK 2019-02-27 (2,826 days ago), 24,000 drops logged")
    assert lines[kiosk + 1] == ("      why: network retired; repeated SYNs, no answer; "
                                "tool says down")
    assert lines[kiosk + 2].startswith("      -> Turn auditing off for asset BLDG4-KIOSK-01")
    # the stale target nobody polls any more is listed too, apart
    assert "Stale, no longer polled (1): clean up when convenient" in text
    parked = lines.index(next(x for x in lines if x.startswith("  10.99.7.12 ")))
    assert "last OK 2018-11-04" in lines[parked] and lines[parked + 1] == \
        "      why: network retired"
    stale = sum(1 for f in demo.findings if str(f.verdict) == "stale")
    listed = sum(1 for x in lines if x.startswith("      why:"))
    assert listed == stale == 5


def test_every_reason_has_words() -> None:
    assert set(REASON_WORDS) == set(Reason)


def test_colour_only_at_a_terminal(demo: AuditResult, monkeypatch: pytest.MonkeyPatch) -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    assert _coloured(Tty()) and not _coloured(io.StringIO())
    monkeypatch.setenv("NO_COLOR", "1")
    assert not _coloured(Tty())
    painted = colour("!! 1 input(s) FAILED -- findings may be incomplete:\n"
                     "  dcnm                 cisco-dcnm       FAILED  boom\nplain")
    banner, row, plain = painted.split("\n")
    assert banner.startswith("\x1b[31;1m!!") and banner.endswith("\x1b[0m")
    assert " \x1b[31;1mFAILED\x1b[0m " in row and plain == "plain"
    assert "\x1b[" not in format_summary(demo)

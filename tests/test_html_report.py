"""The HTML report: one self-contained page, read as a browser reads it.

Pure-Python checks parse the written page (`html.parser`); the rest open it in a real headless
Chromium (Debian's `chromium`), dump the DOM after the page's script ran and read the counts,
the charts and the sort/filter state off it. Chromium runs with no proxy and every host name
unresolvable, so an external asset could not load; the page must have everything anyway.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import shutil
import struct
import subprocess
import zlib
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest

from auditor.actions import finding_action
from auditor.model import (
    VERDICT_ORDER,
    AuditResult,
    Finding,
    LogStats,
    Reason,
    Target,
    ToolState,
    Verdict,
)
from reports import REASON_TEXT, REPORTERS, reporter_for
from reports.html_report import CSP, VERDICT_COLOUR, HtmlReporter, render_html
from reports.json_report import JsonReporter
from tests.report_sample import HOURLY, SNMP_ERROR, sample_result
from tests.test_probe_reports import probed

# --- a small DOM, from html.parser ------------------------------------------------------------

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}


@dataclass
class Node:
    tag: str
    attrs: dict[str, str | None]
    parent: Node | None = None
    children: list[Node | str] = field(default_factory=list)

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def iter(self) -> list[Node]:
        out = [self]
        for c in self.children:
            if isinstance(c, Node):
                out += c.iter()
        return out

    def find_all(self, tag: str | None = None, **attrs: str) -> list[Node]:
        """Descendants with `tag` whose attributes hold `attrs` (`class_` matches one class;
        a value of "*" only asks that the attribute be there)."""
        found = []
        for n in self.iter()[1:]:
            if tag is not None and n.tag != tag:
                continue
            ok = True
            for name, want in attrs.items():
                if name == "class_":
                    ok = want in (n.attrs.get("class") or "").split()
                elif want == "*":
                    ok = name.replace("_", "-") in n.attrs
                else:
                    ok = n.attrs.get(name.replace("_", "-")) == want
                if not ok:
                    break
            if ok:
                found.append(n)
        return found

    def by_id(self, ident: str) -> Node:
        found = self.find_all(id=ident)
        assert len(found) == 1, f"{len(found)} elements with id {ident!r}"
        return found[0]

    @property
    def hidden(self) -> bool:
        return "hidden" in self.attrs


class _Builder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = self.node = Node("#document", {})

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, dict(attrs), self.node)
        self.node.children.append(node)
        if tag not in VOID:
            self.node = node

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.node.children.append(Node(tag, dict(attrs), self.node))

    def handle_endtag(self, tag: str) -> None:
        node: Node | None = self.node
        while node is not None and node.tag != tag:
            node = node.parent
        if node is not None and node.parent is not None:
            self.node = node.parent

    def handle_data(self, data: str) -> None:
        self.node.children.append(data)


def parse(text: str) -> Node:
    builder = _Builder()
    builder.feed(text)
    builder.close()
    return builder.root


def count_of(dom: Node, ident: str) -> int:
    """A count hook: its `data-count` and its text (thousands separated) must agree."""
    node = dom.by_id(ident)
    assert node.text().replace(",", "") == node.attrs["data-count"]
    return int(node.attrs["data-count"] or 0)


def finding_rows(dom: Node) -> list[Node]:
    body = dom.by_id("findings-table").find_all("tbody")[0]
    return body.find_all("tr", data_verdict="*")


def addresses(rows: list[Node]) -> list[str]:
    return [r.find_all("td")[0].text() for r in rows]


def json_counts(doc: dict) -> dict[str, int]:
    """What a reader of the JSON report counts: per verdict, stale + polled, failed, ghosts."""
    verdicts = Counter(f["verdict"] for f in doc["findings"])
    out = {f"count-{v}": verdicts[str(v)] for v in VERDICT_ORDER}
    out["count-findings"] = len(doc["findings"])
    out["count-stale-polled"] = sum(1 for f in doc["findings"]
                                    if f["verdict"] == "stale" and f["polled"])
    out["count-stale-not-polled"] = verdicts["stale"] - out["count-stale-polled"]
    out["count-ghost-flows"] = len(doc["ghost_flows"])
    return out


def write_page(tmp_path: Path, result: AuditResult | None = None, name: str = "audit.html",
               **kw: int) -> Path:
    path = tmp_path / name
    HtmlReporter(**kw).write(result or sample_result(), path)
    return path


# --- pure Python ------------------------------------------------------------------------------


def test_registry_writes_html_by_name(tmp_path: Path) -> None:
    assert REPORTERS["html"] is HtmlReporter
    path = tmp_path / "r.html"
    reporter_for("html").write(sample_result(), path)
    assert HtmlReporter.suffix == ".html"
    assert path.read_bytes().startswith(b"<!DOCTYPE html>\n<html lang=\"en\"")
    assert path.read_text("utf-8") == render_html(sample_result())


def test_page_is_self_contained_and_its_policy_allows_only_its_own_code(tmp_path: Path) -> None:
    text = write_page(tmp_path).read_text("utf-8")
    for external in ("http://", "https://", "<link", "@import", "url(", "//cdn", "<img",
                     "<iframe", "<object", "<embed", "font-face"):
        assert external not in text, external
    # the only src= or href= would be a data: URI or an anchor in the page
    assert re.findall(r"\bsrc\s*=\s*[\"']?(?!data:)", text) == []
    assert set(re.findall(r"\bhref=\"(.)", text)) == {"#"}
    dom = parse(text)
    (style,) = dom.find_all("style")
    (script,) = dom.find_all("script")
    assert "src" not in script.attrs
    (meta,) = dom.find_all("meta", http_equiv="Content-Security-Policy")
    assert meta.attrs["content"] == CSP

    def digest(code: str) -> str:
        return "sha256-" + base64.b64encode(hashlib.sha256(code.encode()).digest()).decode()

    # the page's policy names exactly its own style and script, and nothing else
    policy = meta.attrs["content"]
    assert policy == (f"default-src 'none'; style-src '{digest(style.text())}'; "
                      f"script-src '{digest(script.text())}'; base-uri 'none'; "
                      "form-action 'none'")
    assert dom.find_all("meta", charset="utf-8")


def test_summary_hooks_hold_the_results_counts(tmp_path: Path) -> None:
    result = sample_result()
    dom = parse(write_page(tmp_path, result).read_text("utf-8"))
    assert dom.by_id("title").text() == "Stale-target audit: Nightly hygiene audit"
    assert dom.by_id("generated-at").attrs["datetime"] == "2026-11-24T10:00:07Z"
    assert dom.by_id("as-of").text() == "2026-11-24 10:00"
    verdicts = Counter(f.verdict for f in result.findings)
    assert {v: count_of(dom, f"count-{v}") for v in VERDICT_ORDER} == {
        Verdict.STALE: 4, Verdict.CONFLICT: 1, Verdict.UNREACHABLE: 1, Verdict.UNVERIFIED: 1,
        Verdict.ACTIVE: 1} == {v: verdicts[v] for v in VERDICT_ORDER}
    assert count_of(dom, "count-findings") == 8
    assert count_of(dom, "count-stale-polled") == 3    # 10.99.4.20, 10.99.4.31, 10.251.3.7
    assert count_of(dom, "count-stale-not-polled") == 1  # 10.99.7.12, retired in Track-It!
    assert count_of(dom, "count-ghost-flows") == 3
    # the failed input, in red, with its error text whole
    banner = dom.by_id("failed-inputs")
    assert "banner" in (banner.attrs["class"] or "")
    assert banner.attrs["data-count"] == "1"
    (item,) = banner.find_all("li")
    assert item.attrs["data-input"] == "snmp-hosts"
    assert item.text() == f"snmp-hosts (snmp-config): {SNMP_ERROR}"
    (failed_row,) = dom.by_id("sources-table").find_all("tr", class_="failed")
    assert [td.text() for td in failed_row.find_all("td")][:5] == [
        "snmp-hosts", "snmp-config", "source", "FAILED", "0 records"]
    noise = dom.by_id("inbound-noise")
    assert (noise.attrs["data-flows"], noise.attrs["data-lines"]) == ("3", "120")
    assert noise.text() == (
        "Inbound noise (drops from outside every live network, not ghost flows): 3 flows, "
        "120 lines; top ports tcp/445, udp/1900; top senders 203.0.113.7 (80), "
        "203.0.113.45 (40).")
    logs = dom.by_id("log-lines")
    assert logs.attrs["data-count"] == "58256"
    assert logs.text().startswith("Logs: 58,256 lines read, 58,232 parsed, 24 unrecognised")
    assert "nms-retired.corp.example.net" in dom.by_id("unresolved-names").text()


def test_findings_table_carries_each_finding_in_words(tmp_path: Path) -> None:
    result = sample_result()
    dom = parse(write_page(tmp_path, result).read_text("utf-8"))
    heads = [th.text() for th in dom.by_id("findings-table").find_all("th")]
    assert heads == ["Address", "Verdict", "Polled", "Reasons", "Network",
                     "Records (tool: name, ID)", "Owners", "Last OK (UTC)", "Days since",
                     "Drops", "Action"]
    rows = finding_rows(dom)
    assert addresses(rows) == [f.address for f in result.findings]
    verdict_cells = dom.find_all("td", data_verdict="*")
    table_cells = [td for r in rows for td in r.find_all("td", data_verdict="*")]
    assert Counter(td.attrs["data-verdict"] for td in table_cells) == Counter(
        str(f.verdict) for f in result.findings)
    assert len(verdict_cells) > len(table_cells)  # the remediation lists carry verdicts too
    cells = {addresses([r])[0]: [td.text() for td in r.find_all("td")] for r in rows}
    assert cells["10.99.4.20"] == [
        "10.99.4.20", "stale", "yes",
        REASON_TEXT[Reason.DEPRECATED_NETWORK] + REASON_TEXT[Reason.SYN_RETRANSMIT], "",
        "orion: OLD-BLDG4-AP-CTRL (187)trackit: OLD-BLDG4-AP-CTRL (1190) (not polled: "
        "disabled)", "NOC - SolarWindsService Desk - Track-It!", "2019-03-02", "2823", "1,820",
        result.findings[0].action]
    # 2026-11-24 10:00 - 2019-03-02 17:45 = 2823 days and some hours
    assert (datetime(2026, 11, 24, 10) - datetime(2019, 3, 2, 17, 45, 10)).days == 2823
    assert cells["10.30.0.13"][4] == "10.30.0.0/16"
    assert cells["10.20.1.5"][9] == "0"        # seen in the logs: answered, no drops
    assert cells["10.99.7.12"][9] == ""        # never in the logs: blank, not a zero
    reasons = rows[0].find_all("span", class_="reason")
    assert [s.attrs["data-reason"] for s in reasons] == ["deprecated-network", "syn-retransmit"]


def test_charts_are_inline_svg_with_one_bar_per_verdict_and_per_hour(tmp_path: Path) -> None:
    dom = parse(write_page(tmp_path).read_text("utf-8"))
    chart = dom.by_id("chart-verdicts")
    assert chart.tag == "svg"
    bars = chart.find_all("rect", class_="bar")
    assert [(b.attrs["data-verdict"], b.attrs["data-count"]) for b in bars] == [
        ("stale", "4"), ("conflict", "1"), ("unreachable", "1"), ("unverified", "1"),
        ("active", "1")]
    assert [b.attrs["fill"] for b in bars] == [f"#{VERDICT_COLOUR[v]}" for v in VERDICT_ORDER]
    # integer axis from 0, the tallest bar reaching its top tick
    assert [t.attrs["data-value"] for t in chart.find_all("text", class_="tick")] == [
        "0", "1", "2", "3", "4"]
    heights = [float(b.attrs["height"] or 0) for b in bars]
    assert heights[1] == heights[2] == heights[3] == heights[4] == pytest.approx(heights[0] / 4)
    rate = dom.by_id("chart-hourly")
    hours = rate.find_all("rect", class_="bar")
    assert [(b.attrs["data-hour"], int(b.attrs["data-count"] or 0)) for b in hours] == [
        (f"{h:%Y-%m-%dT%H:%M:%S}Z", n) for h, n in HOURLY.items()]
    assert [t.text() for t in rate.find_all("text", class_="tick")] == [
        "0", "5,000", "10,000", "15,000"]
    labels = rate.find_all("text", class_="hour-label")
    assert [t.text() for t in labels] == ["06:00Nov 24", "07:00", "08:00", "09:00"]


def test_verdict_colours_are_the_workbooks() -> None:
    from reports.xlsx_report import VERDICT_FILL

    assert VERDICT_COLOUR == VERDICT_FILL


def test_record_text_is_escaped_and_renders_as_text(tmp_path: Path) -> None:
    hostile = "<script>document.documentElement.dataset.pwned='1'</script>"
    attr = "\"><img src=x onerror=\"document.documentElement.dataset.pwned='2'\">"
    result = sample_result()
    first = result.findings[0]
    orion = replace(first.records[0], name=hostile, owner=attr)
    findings = (replace(first, records=(orion, *first.records[1:]), action=attr),
                *result.findings[1:])
    ghosts = (replace(result.ghost_flows[0], attribution=hostile), *result.ghost_flows[1:])
    inputs = (*result.inputs[:4], replace(result.inputs[4], error="</style>" + hostile),
              *result.inputs[5:])
    poisoned = replace(result, name="Audit </title><b>bold</b>", findings=findings,
                       ghost_flows=ghosts, inputs=inputs)
    text = write_page(tmp_path, poisoned).read_text("utf-8")
    assert hostile not in text and attr not in text and "<b>bold</b>" not in text
    assert "&lt;script&gt;document.documentElement.dataset.pwned=&#x27;1&#x27;&lt;/script&gt;" \
        in text
    dom = parse(text)
    assert len(dom.find_all("script")) == 1 and dom.find_all("img") == []
    assert dom.find_all("title")[0].text() == "Stale-target audit: Audit </title><b>bold</b>"
    row = finding_rows(dom)[0]
    tds = row.find_all("td")
    assert tds[5].find_all("div")[0].text() == f"orion: {hostile} (187)"
    assert tds[6].text().startswith(attr)
    assert tds[10].text() == attr
    assert dom.by_id("failed-inputs").find_all("li")[0].text() == (
        f"snmp-hosts (snmp-config): </style>{hostile}")
    assert dom.by_id("ghost-table").find_all("td")[7].text() == hostile


def test_text_that_is_not_valid_unicode_still_writes(tmp_path: Path) -> None:
    result = sample_result()
    first = result.findings[0]
    odd = replace(first.records[0], name="AP-\udcff-CTRL")  # undecodable byte kept by a reader
    result = replace(result, findings=(replace(first, records=(odd,)), *result.findings[1:]))
    text = write_page(tmp_path, result).read_bytes().decode("utf-8")
    assert "orion: AP-?-CTRL (187)" in parse(text).by_id("findings-table").text()


def _many(stale: int, active: int) -> AuditResult:
    """`stale` stale + polled records in one tool and `active` answering ones."""
    def target(i: int) -> Target:
        return Target(address=f"10.99.{i // 250}.{i % 250 + 1}", source="orion",
                      kind="solarwinds-npm", id=str(i), name=f"NODE-{i}", polled=True,
                      state=ToolState.DOWN, owner="NOC", fix=f"Delete node NODE-{i}")

    findings = []
    for i in range(stale + active):
        t = replace(target(i), address=f"10.20.0.{i}") if i >= stale else target(i)
        verdict = Verdict.ACTIVE if i >= stale else Verdict.STALE
        findings.append(Finding(t.address, verdict, True, (Reason.DEPRECATED_NETWORK,), None,
                                (t,), None, finding_action(verdict, (t,))))
    return replace(sample_result(), findings=tuple(findings))


def test_a_large_audit_lists_the_first_rows_of_each_verdict_and_counts_all(
        tmp_path: Path) -> None:
    result = _many(stale=25, active=3)
    dom = parse(write_page(tmp_path, result, rows_per_verdict=10, rows_per_owner=5)
                .read_text("utf-8"))
    assert count_of(dom, "count-stale") == 25 and count_of(dom, "count-active") == 3
    assert count_of(dom, "count-stale-polled") == 25
    rows = finding_rows(dom)
    assert addresses(rows) == [f.address for f in result.findings[:10]] + [
        "10.20.0.25", "10.20.0.26", "10.20.0.27"]
    assert (count_of(dom, "page-stale"), count_of(dom, "page-active")) == (10, 3)
    table = dom.by_id("findings-table")
    assert (table.attrs["data-rows"], table.attrs["data-total"]) == ("13", "28")
    assert dom.by_id("rows-note").text() == (
        "This page lists the first 10 of 25 stale findings (polled first, then by address); "
        "the JSON and XLSX reports hold all 28.")
    (noc,) = dom.find_all("section", data_owner="NOC")
    assert (noc.attrs["data-rows"], noc.attrs["data-stale-polled"]) == ("25", "25")
    assert len(noc.find_all("tbody")[0].find_all("tr")) == 5
    assert "The first 5 of 25 are listed here" in noc.text()
    # the verdict chart counts every finding, not the rows listed
    bars = {b.attrs["data-verdict"]: b.attrs["data-count"]
            for b in dom.by_id("chart-verdicts").find_all("rect", class_="bar")}
    assert (bars["stale"], bars["active"]) == ("25", "3")


def test_without_logs_there_is_no_rate_chart_and_it_says_so(tmp_path: Path) -> None:
    result = replace(sample_result(), hourly={}, logs=LogStats())
    dom = parse(write_page(tmp_path, result).read_text("utf-8"))
    assert dom.find_all("svg", id="chart-hourly") == []
    assert "No drop lines with a time were read" in dom.by_id("chart-hourly-none").text()
    assert dom.by_id("log-lines").text() == "No firewall log lines were read."
    assert dom.by_id("log-lines").attrs["data-count"] == "0"


def test_an_audit_with_no_findings_still_reads(tmp_path: Path) -> None:
    result = replace(sample_result(), findings=(), ghost_flows=())
    dom = parse(write_page(tmp_path, result).read_text("utf-8"))
    assert {v: count_of(dom, f"count-{v}") for v in VERDICT_ORDER} == dict.fromkeys(
        VERDICT_ORDER, 0)
    assert finding_rows(dom) == []
    assert "No findings" in dom.by_id("findings-table").text()
    chart = dom.by_id("chart-verdicts")
    assert [t.attrs["data-value"] for t in chart.find_all("text", class_="tick")] == ["0", "1"]
    assert {b.attrs["height"] for b in chart.find_all("rect", class_="bar")} == {"0.0"}
    assert "None." in dom.by_id("ghost-flows").text()


def test_probes_add_a_column_and_a_summary_line(tmp_path: Path) -> None:
    dom = parse(write_page(tmp_path, probed()).read_text("utf-8"))
    heads = [th.text() for th in dom.by_id("findings-table").find_all("th")]
    assert heads[-1] == "Probes"
    cells = {addresses([r])[0]: r.find_all("td")[-1].text() for r in finding_rows(dom)}
    assert cells["10.20.1.5"] == "dns ops-nms.corp.example ok 4.2 ms; snmp/161 ok 1.9 ms"
    assert cells["10.20.8.40"] == "tcp/22 timeout"
    assert dom.by_id("probes").text() == (
        "Probes: 5 packets sent at most 100/s in 2.3 s, 1 DNS look-up, 1 target outside "
        "allow left alone.")


# --- a real headless Chromium -----------------------------------------------------------------

CHROMIUM = next((found for name in ("chromium", "chromium-browser", "google-chrome")
                 if (found := shutil.which(name))), None)
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="no chromium, chromium-browser or google-chrome on PATH "
    "(Debian: apt-get install --no-install-recommends chromium)")

#: No proxy, every host name unresolvable (an external asset could not load), no background
#: traffic of the browser's own; as root in a container: no sandbox, no /dev/shm reliance.
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                  "--no-proxy-server", "--host-resolver-rules=MAP * ~NOTFOUND",
                  "--disable-background-networking", "--disable-extensions",
                  "--no-first-run", "--force-color-profile=srgb", "--hide-scrollbars")


def chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    profile = tmp_path / "chromium-profile"
    run = subprocess.run([CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
                         capture_output=True, text=True, timeout=180, check=False)
    assert run.returncode == 0, run.stderr[-2000:]
    return run


def dump_dom(tmp_path: Path, page: Path, fragment: str = "") -> Node:
    """The DOM after the page's script ran, as Chromium serialises it."""
    out = chromium(tmp_path, "--dump-dom", page.as_uri() + fragment).stdout
    assert out.lstrip().startswith("<!DOCTYPE html>"), out[:300]
    return parse(out)


@pytest.fixture(scope="module")
def sample_pages(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """The sample audit as HTML and as JSON, written side by side."""
    folder = tmp_path_factory.mktemp("html")
    result = sample_result()
    HtmlReporter().write(result, folder / "audit.html")
    JsonReporter().write(result, folder / "audit.json")
    return folder / "audit.html", json.loads((folder / "audit.json").read_text("utf-8"))


@needs_chromium
def test_chromium_shows_the_jsons_counts_and_both_charts(
        tmp_path: Path, sample_pages: tuple[Path, dict]) -> None:
    page, doc = sample_pages
    dom = dump_dom(tmp_path, page)
    (root,) = dom.find_all("html")
    assert root.attrs["data-ready"] == "1"  # the script ran: the policy let it
    expected = json_counts(doc)
    assert {hook: count_of(dom, hook) for hook in expected} == expected
    rows = finding_rows(dom)
    assert Counter(r.find_all("td", data_verdict="*")[0].attrs["data-verdict"]
                   for r in rows) == Counter(f["verdict"] for f in doc["findings"])
    assert sum(r.find_all("td", data_polled="*")[0].attrs["data-polled"] == "1"
               for r in rows) == sum(f["polled"] for f in doc["findings"])
    # failed inputs, as the JSON lists them
    assert [li.attrs["data-input"] for li in dom.by_id("failed-inputs").find_all("li")] == [
        s["name"] for s in doc["sources"] if s["status"] == "failed"]
    # the charts are there, one bar per verdict with the JSON's count, one per hour
    bars = dom.by_id("chart-verdicts").find_all("rect", class_="bar")
    assert {b.attrs["data-verdict"]: int(b.attrs["data-count"] or 0) for b in bars} == {
        str(v): expected[f"count-{v}"] for v in VERDICT_ORDER}
    hours = dom.by_id("chart-hourly").find_all("rect", class_="bar")
    assert [int(b.attrs["data-count"] or 0) for b in hours] == list(HOURLY.values())
    assert dom.by_id("chart-hourly").find_all("text", class_="tick")[0].text() == "0"
    # the script's start state: controls shown, most urgent first, every row visible
    assert not dom.by_id("findings-controls").hidden
    table = dom.by_id("findings-table")
    assert table.attrs["data-sort"] == "verdict" and table.attrs["data-shown"] == "8"
    (sorted_by,) = table.find_all("th", aria_sort="*")
    assert (sorted_by.text(), sorted_by.attrs["aria-sort"]) == ("Verdict", "ascending")
    assert all(th.attrs.get("tabindex") == "0" for th in table.find_all("th"))
    assert addresses(rows) == [f["address"] for f in doc["findings"]]
    assert not any(r.hidden for r in rows)
    assert dom.by_id("shown-rows").text() == "8"


@needs_chromium
def test_chromium_sorts_numerically_and_filters_from_the_address(
        tmp_path: Path, sample_pages: tuple[Path, dict]) -> None:
    page, doc = sample_pages
    by_address = dump_dom(tmp_path, page, "#sort=address")
    # numeric order: 10.99 before 10.251 (text order would put 10.251 first)
    assert addresses(finding_rows(by_address)) == [
        "10.20.1.5", "10.20.8.40", "10.30.0.13", "10.99.4.20", "10.99.4.31", "10.99.5.2",
        "10.99.7.12", "10.251.3.7"]
    assert by_address.by_id("findings-table").find_all("th", aria_sort="ascending")[0] \
        .attrs["data-key"] == "address"

    by_drops = dump_dom(tmp_path, page, "#sort=drops&dir=descending")
    # most drops first; seen-but-no-drops (0) next; never seen (blank) last, in page order
    assert addresses(finding_rows(by_drops)) == [
        "10.99.4.20", "10.251.3.7", "10.99.4.31", "10.20.1.5", "10.99.7.12", "10.99.5.2",
        "10.30.0.13", "10.20.8.40"]

    filtered = dump_dom(tmp_path, page, "#q=BLDG4&verdicts=stale,conflict")
    rows = finding_rows(filtered)
    assert [a for r, a in zip(rows, addresses(rows), strict=True) if not r.hidden] == [
        "10.99.4.20", "10.99.4.31", "10.99.5.2"]
    assert filtered.by_id("shown-rows").text() == "3"
    # what the script applied (the boxes' and the box's state are properties, not markup)
    table = filtered.by_id("findings-table")
    assert (table.attrs["data-filter"], table.attrs["data-verdicts"],
            table.attrs["data-polled-only"]) == ("bldg4", "stale,conflict", "0")

    polled = dump_dom(tmp_path, page, "#polled=1&verdicts=stale")
    rows = finding_rows(polled)
    assert [a for r, a in zip(rows, addresses(rows), strict=True) if not r.hidden] == [
        f["address"] for f in doc["findings"] if f["verdict"] == "stale" and f["polled"]]


@needs_chromium
def test_chromium_renders_record_text_as_text(tmp_path: Path) -> None:
    hostile = "<img src=x onerror=\"document.documentElement.dataset.pwned='1'\">"
    result = sample_result()
    first = result.findings[0]
    orion = replace(first.records[0], name=hostile)
    result = replace(result, findings=(replace(first, records=(orion, *first.records[1:])),
                                       *result.findings[1:]))
    dom = dump_dom(tmp_path, write_page(tmp_path, result))
    (root,) = dom.find_all("html")
    assert root.attrs["data-ready"] == "1" and "data-pwned" not in root.attrs
    assert dom.find_all("img") == []
    cell = finding_rows(dom)[0].find_all("td")[5]
    assert cell.find_all("div")[0].text() == f"orion: {hostile} (187)"


def _png_pixels(data: bytes) -> Counter[tuple[int, int, int]]:
    """Pixel colours of an 8-bit RGB or RGBA, non-interlaced PNG (what Chromium writes)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, header = 8, b"", b""
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = chunk
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", header)
    assert depth == 8 and colour in (2, 6) and interlace == 0
    size = 4 if colour == 6 else 3
    raw, stride = zlib.decompress(idat), width * size
    prev, pixels = bytearray(stride), Counter[tuple[int, int, int]]()
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        for x in range(stride):
            a = line[x - size] if x >= size else 0
            b = prev[x]
            c = prev[x - size] if x >= size else 0
            if kind == 1:
                line[x] = (line[x] + a) & 255
            elif kind == 2:
                line[x] = (line[x] + b) & 255
            elif kind == 3:
                line[x] = (line[x] + (a + b) // 2) & 255
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                near = a if pa <= pb and pa <= pc else b if pb <= pc else c
                line[x] = (line[x] + near) & 255
        pixels.update(zip(line[0::size], line[1::size], line[2::size], strict=True))
        prev = line
    return pixels


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    value = int(hex_colour, 16)
    return (value >> 16, value >> 8 & 255, value & 255)


@needs_chromium
def test_chromium_paints_the_banner_tiles_and_bars(
        tmp_path: Path, sample_pages: tuple[Path, dict]) -> None:
    page, _ = sample_pages
    shot = tmp_path / "page.png"
    chromium(tmp_path, "--window-size=1280,1100", f"--screenshot={shot}", page.as_uri())
    pixels = _png_pixels(shot.read_bytes())
    width_by_height = 1280 * 1100
    assert sum(pixels.values()) == width_by_height
    # not blank: the failed-input banner (CSS), each verdict's fill (tiles and bars) and
    # the hourly bars are painted, each over a good area
    assert pixels[_rgb("C00000")] > 20_000, "failed-input banner not painted"
    for verdict, fill in VERDICT_COLOUR.items():
        assert pixels[_rgb(fill)] > 2_000, f"{verdict} fill not painted"
    assert pixels[_rgb("4472C4")] > 20_000, "hourly bars not painted"
    assert pixels[(255, 255, 255)] < width_by_height * 0.9


def test_hour_labels_thin_out_over_a_month(tmp_path: Path) -> None:
    start = datetime(2026, 10, 25)
    hourly = {start + timedelta(hours=h): 100 + h % 24 for h in range(24 * 30)}
    dom = parse(write_page(tmp_path, replace(sample_result(), hourly=hourly))
                .read_text("utf-8"))
    chart = dom.by_id("chart-hourly")
    assert len(chart.find_all("rect", class_="bar")) == 720
    labels = chart.find_all("text", class_="hour-label")
    assert len(labels) == 10   # every 72 hours
    assert [t.text() for t in labels[:2]] == ["00:00Oct 25", "00:00Oct 28"]


def test_audit_writes_the_page_with_html(tmp_path: Path, capsys) -> None:
    """`stale-audit audit --html F` writes the page beside the other reports, with the
    same counts as the JSON report of the same run."""
    from auditor.cli import main
    from auditor.demo import build_network

    network = build_network(tmp_path / "net", datetime(2026, 11, 24, 10, 0))
    page, doc = tmp_path / "out" / "audit.html", tmp_path / "out" / "audit.json"
    assert main(["audit", "-c", str(network), "-o", str(tmp_path / "out" / "a.xlsx"),
                 "--json", str(doc), "--html", str(page), "--as-of", "2026-11-24T10:00"]) == 1
    assert f"wrote {page}" in capsys.readouterr().out
    dom = parse(page.read_text(encoding="utf-8"))
    counts = json_counts(json.loads(doc.read_text()))
    assert counts["count-stale"] == 5 and counts["count-findings"] == 13
    assert {key: count_of(dom, key) for key in counts} == counts

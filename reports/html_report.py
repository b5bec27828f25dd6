"""The HTML report: one self-contained page for a ticket or an e-mail (SPEC "Report (HTML)").

Everything is inline: the CSS in one `<style>`, the charts as SVG drawn here, a small script
that only sorts and filters rows already in the page. With scripts off (most mail readers)
the page reads the same: every row is there, the sort and filter controls stay hidden. A
Content-Security-Policy allows exactly that style and that script (by hash) and nothing else:
no fetch, no image, no font, no form, so a page opened from a mail attachment calls nowhere.

Every text that came from an input (record names, log text, errors) goes through `_e`
(`html.escape`): a record named `<script>` shows as those characters.

Large audits: the summary, the charts and every count cover all findings; the findings
table holds the first `ROWS_PER_VERDICT` findings of each verdict (the engine's order:
polled first, then by address) and says how many it leaves to the JSON and XLSX reports.
A page of a few thousand rows still opens, sorts and filters at once in a browser and fits
in a mail; a hundred thousand rows (60 MB) would do neither. The remediation list of each
owner is cut the same way (`ROWS_PER_OWNER`). The page is written a section, and a batch of
rows, at a time; nothing is concatenated row by row.
"""

from __future__ import annotations

import base64
import hashlib
import html
import math
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from auditor.actions import remediation_rows
from auditor.jsonable import iso
from auditor.model import (
    VERDICT_ORDER,
    AuditResult,
    Finding,
    GhostFlow,
    InputStatus,
    NetworkStatus,
    ProbeResult,
    Reason,
    SourceStatus,
    Target,
    Verdict,
)
from auditor.rates import rises, series
from auditor.reconcile import address_sort_key
from reports.atomic import atomic_write
from reports.base import (
    NO_OWNER,
    REASON_TEXT,
    VERDICT_COLOUR,
    Reporter,
    finding_probes,
    owner_names,
    probe_words,
    record_owner,
)

#: Findings of each verdict the table holds; the rest are counted, and in the JSON and XLSX.
ROWS_PER_VERDICT = 1000
#: Remediation rows shown per owner.
ROWS_PER_OWNER = 200
#: Ghost flows listed (the busiest first, as the engine orders them).
GHOST_ROWS = 50
#: Networks listed (gone ones first).
NETWORK_ROWS = 200
#: Host names not tied to an address, named in the summary.
NAMES_SHOWN = 10
#: Table rows joined into one piece of text before it is written.
_BATCH = 500

#: Text and outline on each fill: the dark tones spreadsheets pair with those fills.
VERDICT_INK = {
    Verdict.STALE: "9C0006",
    Verdict.CONFLICT: "843C0C",
    Verdict.UNREACHABLE: "9C5700",
    Verdict.UNVERIFIED: "404040",
    Verdict.ACTIVE: "006100",
}
#: A failed input: the workbook's banner red.
FAILED_COLOUR = "C00000"
#: Bars of the hourly rate chart.
RATE_COLOUR = "4472C4"

_NUM_TYPE, _NUM_CLASS, _FAILED_CLASS = ' data-type="num"', ' class="num"', ' class="failed"'
_RANK = {v: i for i, v in enumerate(VERDICT_ORDER)}
_GONE_FIRST = {NetworkStatus.DEPRECATED: 0, NetworkStatus.BLACKHOLE: 1,
               NetworkStatus.ACTIVE: 2, NetworkStatus.CONTAINER: 3}


def _e(value: object) -> str:
    """Any value as HTML text (and attribute value): `<`, `>`, `&`, quotes escaped."""
    return html.escape(str(value), quote=True)


def _n(value: int) -> str:
    return f"{value:,}"


def _when(value: datetime | None) -> str:
    return "" if value is None else f"{value:%Y-%m-%d %H:%M}"


def _plural(n: int, word: str, words: str | None = None) -> str:
    return f"{_n(n)} {word if n == 1 else (words or word + 's')}"


_CSS = """
:root { color-scheme: light; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif;
  color: #1f1f1f; background: #fff; margin: 0 auto; padding: 0 1.5em 3em; max-width: 1600px; }
h1 { font-size: 1.6em; margin: .8em 0 .2em; }
h2 { font-size: 1.25em; margin: 1.6em 0 .5em; border-bottom: 2px solid #ddebf7;
  padding-bottom: .15em; }
h3 { font-size: 1.05em; margin: 1.2em 0 .3em; }
nav a { margin-right: 1em; color: #1f4e79; }
.facts { color: #444; margin: 0 0 .6em; }
.banner { background: #C00000; color: #fff; padding: .6em 1em; font-weight: 600;
  border-radius: 4px; margin: .8em 0; }
.banner ul { margin: .3em 0 0; padding-left: 1.2em; font-weight: 400; }
.failed, .failed td { background: #FFC7CE; color: #9C0006; font-weight: 600; }
.tiles { display: flex; flex-wrap: wrap; gap: .6em; margin: .5em 0 .8em; }
.tile { border: 1px solid #bbb; border-radius: 4px; padding: .35em .8em; min-width: 6.5em; }
.tile .n { display: block; font-size: 1.7em; font-weight: 700; line-height: 1.1; }
.urgent { font-size: 1.1em; }
.muted { color: #666; }
.note { color: #555; font-style: italic; }
.charts { display: flex; flex-wrap: wrap; gap: 1.5em; align-items: flex-start; }
figure { margin: 0; flex: 1 1 380px; max-width: 760px; }
figure.rate { flex-basis: 560px; }
figcaption { font-weight: 600; margin-bottom: .2em; }
svg { width: 100%; height: auto; font-size: 11px; }
svg text { fill: #333; }
svg .grid { stroke: #e3e3e3; }
svg .axis { stroke: #555; }
.controls { margin: .4em 0 .6em; display: flex; flex-wrap: wrap; gap: .4em 1.2em;
  align-items: center; }
.controls input[type=search] { font: inherit; padding: .2em .4em; min-width: 18em; }
.controls label { white-space: nowrap; }
table { border-collapse: collapse; width: 100%; margin: .3em 0 .6em; font-size: .95em; }
th, td { border: 1px solid #d0d0d0; padding: .25em .45em; text-align: left;
  vertical-align: top; overflow-wrap: break-word; }
th { background: #DDEBF7; position: sticky; top: 0; z-index: 1; }
td.nowrap { white-space: nowrap; }
td.wrap { overflow-wrap: anywhere; }
td.reasons { min-width: 12em; }
th[tabindex] { cursor: pointer; user-select: none; }
th[aria-sort=ascending]::after { content: " \\25B2"; font-size: .8em; }
th[aria-sort=descending]::after { content: " \\25BC"; font-size: .8em; }
td.num { text-align: right; white-space: nowrap; }
th.num { text-align: right; }
td.addr { white-space: nowrap; font-family: ui-monospace, Consolas, monospace; }
td.action { min-width: 14em; }
.reason { display: block; }
footer { margin-top: 2.5em; color: #666; font-size: .9em; }
@media print {
  body { max-width: none; padding: 0; font-size: 11px; }
  nav, .controls { display: none !important; }
  th { position: static; }
  tr { break-inside: avoid; }
  figure { break-inside: avoid; }
}
""" + "".join(
    f"td.v-{v}, .tile.v-{v} {{ background: #{fill}; "
    f"color: #{VERDICT_INK[v]}; font-weight: 600; white-space: nowrap; }}\n"
    for v, fill in VERDICT_COLOUR.items())

#: Sorting and filtering of the findings table, and nothing else; the page is whole without it.
#: State can come in the address's fragment: `#sort=drops&dir=descending&q=bldg4
#: &verdicts=stale,conflict&polled=1`.
_JS = """
(() => {
  "use strict";
  const table = document.getElementById("findings-table");
  const controls = document.getElementById("findings-controls");
  if (table && controls) {
    const body = table.tBodies[0];
    const rows = Array.from(body.rows).filter((r) => r.dataset.verdict);
    const heads = Array.from(table.tHead.rows[0].cells);
    const order = new Map(rows.map((r, i) => [r, i]));
    const texts = new Map();
    const filter = document.getElementById("filter");
    const boxes = Array.from(controls.querySelectorAll("input[data-verdict]"));
    const polledOnly = document.getElementById("polled-only");
    const shown = document.getElementById("shown-rows");
    const text = (r) => {
      let t = texts.get(r);
      if (t === undefined) { t = r.textContent.toLowerCase(); texts.set(r, t); }
      return t;
    };
    const apply = () => {
      const q = filter.value.trim().toLowerCase();
      const on = new Set(boxes.filter((b) => b.checked).map((b) => b.dataset.verdict));
      let n = 0;
      for (const r of rows) {
        const ok = on.has(r.dataset.verdict) && (!polledOnly.checked || r.dataset.polled === "1")
          && (!q || text(r).includes(q));
        r.hidden = !ok;
        if (ok) n += 1;
      }
      shown.textContent = n.toLocaleString("en-US");
      table.dataset.shown = String(n);   // the state applied, readable off the page
      table.dataset.filter = q;
      table.dataset.verdicts = boxes.filter((b) => b.checked).map((b) => b.dataset.verdict)
        .join(",");
      table.dataset.polledOnly = polledOnly.checked ? "1" : "0";
    };
    const key = (r, col, num) => {
      const cell = r.cells[col];
      const k = cell.dataset.sort !== undefined ? cell.dataset.sort : cell.textContent.trim();
      if (k === "") return null;
      return num ? Number(k) : k.toLowerCase();
    };
    const mark = (th, dir) => {
      for (const h of heads) h.removeAttribute("aria-sort");
      th.setAttribute("aria-sort", dir);
      table.dataset.sort = th.dataset.key;
    };
    const sortBy = (col, dir) => {
      const th = heads[col];
      const num = th.dataset.type === "num";
      const sign = dir === "descending" ? -1 : 1;
      const keyed = rows.map((r) => [key(r, col, num), order.get(r), r]);
      keyed.sort((a, b) => {
        if (a[0] === b[0]) return a[1] - b[1];
        if (a[0] === null) return 1;   // empty cells last, either way
        if (b[0] === null) return -1;
        return sign * (num ? a[0] - b[0] : (a[0] < b[0] ? -1 : 1));
      });
      const next = body.nextSibling;
      table.removeChild(body);   // reordered off the page: one style pass, not one per row
      for (const k of keyed) body.appendChild(k[2]);
      table.insertBefore(body, next);
      mark(th, dir);
    };
    heads.forEach((th, col) => {
      if (!th.dataset.key) return;
      th.tabIndex = 0;
      th.title = "Sort by this column (again: reverse)";
      th.addEventListener("click", () => sortBy(col,
        th.getAttribute("aria-sort") === "ascending" ? "descending" : "ascending"));
      th.addEventListener("keydown", (e) => {
        if (e.key === "Enter" || e.key === " ") { e.preventDefault(); th.click(); }
      });
    });
    filter.addEventListener("input", apply);
    polledOnly.addEventListener("change", apply);
    for (const b of boxes) b.addEventListener("change", apply);
    const want = new URLSearchParams(location.hash.slice(1));
    if (want.has("q")) filter.value = want.get("q");
    if (want.has("verdicts")) {
      const on = new Set(want.get("verdicts").split(","));
      for (const b of boxes) b.checked = on.has(b.dataset.verdict);
    }
    if (want.get("polled") === "1") polledOnly.checked = true;
    const col = heads.findIndex((h) => h.dataset.key && h.dataset.key === want.get("sort"));
    if (col >= 0) {
      sortBy(col, want.get("dir") === "descending" ? "descending" : "ascending");
    } else {   // the page's own order: by verdict, most urgent first
      mark(heads.find((h) => h.dataset.key === "verdict"), "ascending");
    }
    apply();
    controls.hidden = false;
  }
  document.documentElement.dataset.ready = "1";
})();
"""


def _sha256(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode()


#: Nothing may load or run but the page's own style and script.
CSP = (f"default-src 'none'; style-src '{_sha256(_CSS)}'; script-src '{_sha256(_JS)}'; "
       "base-uri 'none'; form-action 'none'")


class HtmlReporter(Reporter):
    """Writes the self-contained HTML page described in SPEC "Report (HTML)"."""

    suffix = ".html"

    def __init__(self, *, rows_per_verdict: int = ROWS_PER_VERDICT,
                 rows_per_owner: int = ROWS_PER_OWNER) -> None:
        self.rows_per_verdict = rows_per_verdict
        self.rows_per_owner = rows_per_owner

    def write(self, result: AuditResult, path: Path) -> None:
        """Write the page to `path` (UTF-8), whole or not at all, a section at a time."""
        def stream(fh: BinaryIO) -> None:
            for chunk in iter_html(result, rows_per_verdict=self.rows_per_verdict,
                                   rows_per_owner=self.rows_per_owner):
                # A lone surrogate (undecodable bytes kept by an export) must not cost the page.
                fh.write(chunk.encode("utf-8", "replace"))

        atomic_write(path, stream)


def render_html(result: AuditResult, *, rows_per_verdict: int = ROWS_PER_VERDICT,
                rows_per_owner: int = ROWS_PER_OWNER) -> str:
    """The whole page as one string (the file `HtmlReporter` writes, before encoding)."""
    return "".join(iter_html(result, rows_per_verdict=rows_per_verdict,
                             rows_per_owner=rows_per_owner))


def iter_html(result: AuditResult, *, rows_per_verdict: int = ROWS_PER_VERDICT,
              rows_per_owner: int = ROWS_PER_OWNER) -> Iterator[str]:
    """The page in pieces: a section, or a batch of table rows, at a time."""
    counts = Counter(f.verdict for f in result.findings)
    title = f"Stale-target audit: {result.name}"
    yield ("<!DOCTYPE html>\n<html lang=\"en\" data-ready=\"0\">\n<head>\n"
           "<meta charset=\"utf-8\">\n"
           f"<meta http-equiv=\"Content-Security-Policy\" content=\"{_e(CSP)}\">\n"
           "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
           "<meta name=\"generator\" content=\"stale-audit\">\n"
           f"<title>{_e(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
           f"<header>\n<h1 id=\"title\">{_e(title)}</h1>\n"
           f"<p class=\"facts\">Generated <time id=\"generated-at\" "
           f"datetime=\"{iso(result.generated_at)}\">{_when(result.generated_at)}</time> UTC"
           f" &middot; as of <time id=\"as-of\" datetime=\"{iso(result.as_of)}\">"
           f"{_when(result.as_of)}</time> UTC &middot; stale after "
           f"{_plural(result.stale_after_days, 'day')}</p>\n"
           "<nav><a href=\"#summary\">Summary</a><a href=\"#findings\">Findings</a>"
           "<a href=\"#remediation\">Remediation</a><a href=\"#ghost-flows\">Ghost flows</a>"
           "<a href=\"#sources\">Sources</a><a href=\"#networks\">Networks</a></nav>\n"
           "</header>\n")
    yield _failed_banner(result)
    yield _summary(result, counts)
    yield _charts(result, counts)
    yield from _findings(result, counts, rows_per_verdict)
    yield from _remediation(result, rows_per_owner)
    yield _ghost_flows(result)
    yield _sources(result)
    yield _networks(result)
    yield (f"<footer>Written by stale-audit. The JSON and XLSX reports of this audit hold "
           f"every row.</footer>\n<script>{_JS}</script>\n</body>\n</html>\n")


# --- summary ----------------------------------------------------------------------------------


def _failed_banner(result: AuditResult) -> str:
    failed = result.failed
    if not failed:
        return ""
    items = "".join(f"<li data-input=\"{_e(i.name)}\"><strong>{_e(i.name)}</strong> "
                    f"({_e(i.type)}): {_e(i.error or 'failed')}</li>" for i in failed)
    return (f"<div id=\"failed-inputs\" class=\"banner\" role=\"alert\" "
            f"data-count=\"{len(failed)}\">{_plural(len(failed), 'input')} FAILED: findings "
            f"may be incomplete<ul>{items}</ul></div>\n")


def _count(hook: str, n: int) -> str:
    return f"<span id=\"{hook}\" data-count=\"{n}\">{_n(n)}</span>"


def _summary(result: AuditResult, counts: Counter[Verdict]) -> str:
    out = ["<section id=\"summary\">\n<h2>Summary</h2>\n<div class=\"tiles\">",
           f"<div class=\"tile\"><span class=\"n\">{_count('count-findings', len(result.findings))}"
           "</span>findings</div>"]
    for v in VERDICT_ORDER:
        out.append(f"<div class=\"tile v-{v}\" data-verdict=\"{v}\"><span class=\"n\">"
                   f"{_count(f'count-{v}', counts[v])}</span>{v}</div>")
    out.append("</div>\n")
    polled = sum(1 for f in result.findings if f.verdict is Verdict.STALE and f.polled)
    out.append(f"<p class=\"urgent\"><strong>{_count('count-stale-polled', polled)} stale "
               f"{'target is' if polled == 1 else 'targets are'} still polled</strong> (fix "
               f"these first); {_count('count-stale-not-polled', counts[Verdict.STALE] - polled)}"
               " stale but no longer polled (clean up when convenient).</p>\n<ul id=\"facts\">")
    ghosts = len(result.ghost_flows)
    folded = result.ghosts_folded
    more = (f", and {_n(folded.flows)} more ({_n(folded.lines)} lines) counted together"
            if folded.flows else "")
    out.append(f"<li>{_count('count-ghost-flows', ghosts)} ghost "
               f"{'flow' if ghosts == 1 else 'flows'} (traffic to destinations no source "
               f"holds){more}.</li>")
    out.append(f"<li id=\"inbound-noise\" data-flows=\"{result.inbound_noise.flows}\" "
               f"data-lines=\"{result.inbound_noise.lines}\">{_e(_noise_line(result))}</li>")
    logs = result.logs
    if logs.lines:
        top = ", ".join(f"{m}: {_n(n)}" for m, n in logs.by_message.most_common(5))
        out.append(f"<li id=\"log-lines\" data-count=\"{logs.lines}\">Logs: "
                   f"{_plural(logs.lines, 'line')} read, {_n(logs.parsed)} parsed, "
                   f"{_n(logs.unparsed)} unrecognised (skipped)"
                   f"{'; top messages ' + _e(top) if top else ''}.</li>")
    else:
        out.append("<li id=\"log-lines\" data-count=\"0\">No firewall log lines were read.</li>")
    if result.unresolved_names:
        names = result.unresolved_names
        shown = ", ".join(names[:NAMES_SHOWN])
        rest = f" and {_n(len(names) - NAMES_SHOWN)} more" if len(names) > NAMES_SHOWN else ""
        out.append(f"<li id=\"unresolved-names\" data-count=\"{len(names)}\">Host names no "
                   f"record ties to an address ({_n(len(names))}): {_e(shown)}{rest}.</li>")
    if result.probes is not None:
        p = result.probes
        out.append(f"<li id=\"probes\">Probes: {_plural(p.packets, 'packet')} sent at most "
                   f"{p.rate:g}/s in {p.seconds:.1f} s, {_plural(p.dns_lookups, 'DNS look-up')}"
                   f", {_plural(len(p.outside_allow), 'target')} outside allow left alone."
                   "</li>")
    out.append("</ul>\n</section>\n")
    return "".join(out)


def _noise_line(result: AuditResult) -> str:
    """Inbound noise in one line, worded as the terminal summary words it."""
    noise = result.inbound_noise
    if not noise.lines:
        return "Inbound noise (drops from outside every live network): none."
    ports = ", ".join(f"{proto}/{port}" if port is not None else proto
                      for proto, port, _ in noise.top_ports[:5])
    senders = ", ".join(f"{src} ({_n(n)})" for src, n in noise.top_senders[:3])
    return (f"Inbound noise (drops from outside every live network, not ghost flows): "
            f"{_plural(noise.flows, 'flow')}, {_plural(noise.lines, 'line')}"
            f"{'; top ports ' + ports if ports else ''}"
            f"{'; top senders ' + senders if senders else ''}.")


# --- charts -----------------------------------------------------------------------------------


def _axis(top: int, ticks: int = 5) -> tuple[int, int]:
    """(step, axis maximum): integer ticks 1, 2 or 5 x 10^k, from 0 to at least `top`."""
    if top <= 0:
        return 1, 1
    if top <= ticks:
        return 1, top
    raw = top / ticks
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    return step, math.ceil(top / step) * step


def _y_axis(left: float, right: float, top: float, bottom: float, highest: int) -> tuple[
        str, float]:
    """Grid lines and labels of an integer y axis from 0; returns them and pixels per unit."""
    step, axis_max = _axis(highest)
    scale = (bottom - top) / axis_max
    out = ["<g class=\"y-axis\">"]
    for value in range(0, axis_max + 1, step):
        y = bottom - value * scale
        out.append(f"<line class=\"grid\" x1=\"{left}\" x2=\"{right}\" y1=\"{y:.1f}\" "
                   f"y2=\"{y:.1f}\"/><text class=\"tick\" data-value=\"{value}\" "
                   f"x=\"{left - 6}\" y=\"{y + 4:.1f}\" text-anchor=\"end\">{_n(value)}</text>")
    out.append(f"<line class=\"axis\" x1=\"{left}\" x2=\"{left}\" y1=\"{top}\" "
               f"y2=\"{bottom}\"/><line class=\"axis\" x1=\"{left}\" x2=\"{right}\" "
               f"y1=\"{bottom}\" y2=\"{bottom}\"/></g>")
    return "".join(out), scale


def _charts(result: AuditResult, counts: Counter[Verdict]) -> str:
    return ("<section id=\"charts\" class=\"charts\">\n" + _verdict_chart(counts)
            + _rate_chart(result) + "</section>\n")


def _verdict_chart(counts: Counter[Verdict]) -> str:
    """Findings per verdict: one bar each, in the workbook's verdict colours."""
    width, height, left, right, top, bottom = 480, 260, 52, 470, 16, 224
    axis, scale = _y_axis(left, right, top, bottom, max(counts.values(), default=0))
    slot = (right - left) / len(VERDICT_ORDER)
    bars = []
    for i, v in enumerate(VERDICT_ORDER):
        n = counts[v]
        x, h = left + i * slot + slot * 0.15, n * scale
        centre = left + (i + 0.5) * slot
        bars.append(
            f"<rect class=\"bar\" data-verdict=\"{v}\" data-count=\"{n}\" x=\"{x:.1f}\" "
            f"y=\"{bottom - h:.1f}\" width=\"{slot * 0.7:.1f}\" height=\"{h:.1f}\" "
            f"fill=\"#{VERDICT_COLOUR[v]}\" stroke=\"#{VERDICT_INK[v]}\"><title>{_n(n)} {v}"
            f"</title></rect><text class=\"value\" x=\"{centre:.1f}\" y=\"{bottom - h - 4:.1f}\""
            f" text-anchor=\"middle\">{_n(n)}</text><text class=\"label\" x=\"{centre:.1f}\" "
            f"y=\"{bottom + 16}\" text-anchor=\"middle\">{v}</text>")
    return (f"<figure class=\"verdicts\"><figcaption>Findings by verdict</figcaption>"
            f"<svg id=\"chart-verdicts\" "
            f"viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"Findings by verdict: "
            + ", ".join(f"{counts[v]} {v}" for v in VERDICT_ORDER) + "\">"
            f"{axis}{''.join(bars)}<text x=\"12\" y=\"{(top + bottom) / 2:.0f}\" "
            f"transform=\"rotate(-90 12 {(top + bottom) / 2:.0f})\" text-anchor=\"middle\">"
            f"findings</text></svg></figure>\n")


def _hour_step(hours: int, labels: int = 12) -> int:
    """Hours between two x labels: at most `labels` of them, on round hours."""
    return next((s for s in (1, 2, 3, 6, 12, 24, 48, 72, 168) if hours / s <= labels),
                math.ceil(hours / labels / 168) * 168)


def _rate_chart(result: AuditResult) -> str:
    """Drop lines per hour (every hour, none skipped), axis from 0, when logs were read."""
    hours = series(result.hourly)
    if not hours:
        return ("<figure class=\"rate\"><figcaption>Drop lines per hour</figcaption>"
                "<p id=\"chart-hourly-none\" class=\"note\">No drop lines with a time were "
                "read: no rate to draw.</p></figure>\n")
    width, height, left, right, top, bottom = 760, 260, 64, 750, 16, 212
    axis, scale = _y_axis(left, right, top, bottom, max(n for _, n in hours))
    slot = (right - left) / len(hours)
    gap = slot * 0.15 if slot >= 4 else 0.0
    step = _hour_step(len(hours))
    bars, labels = [], []
    last_day = ""
    for i, (hour, n) in enumerate(hours):
        h = n * scale
        bars.append(f"<rect class=\"bar\" data-hour=\"{iso(hour)}\" data-count=\"{n}\" "
                    f"x=\"{left + i * slot + gap / 2:.2f}\" y=\"{bottom - h:.1f}\" "
                    f"width=\"{max(slot - gap, 0.5):.2f}\" height=\"{h:.1f}\">"
                    f"<title>{hour:%Y-%m-%d %H:00}: {_n(n)} lines</title></rect>")
        if i % step == 0:
            x = left + (i + 0.5) * slot
            day = f"{hour:%b} {hour.day}"
            date = f"<tspan x=\"{x:.1f}\" dy=\"13\">{day}</tspan>" if day != last_day else ""
            last_day = day
            labels.append(f"<text class=\"hour-label\" data-hour=\"{iso(hour)}\" "
                          f"x=\"{x:.1f}\" y=\"{bottom + 14}\" text-anchor=\"middle\">"
                          f"{hour:%H:00}{date}</text>")
    peak_hour, peak = max(hours, key=lambda kv: kv[1])
    found = rises(result.hourly_messages) + rises(result.hourly_flows)
    rise_list = ("<ul id=\"rises\">" + "".join(f"<li>{_e(r.sentence())}</li>" for r in found)
                 + "</ul>") if found else ""
    return (f"<figure class=\"rate\"><figcaption>Drop lines per hour (UTC)</figcaption>"
            f"<svg id=\"chart-hourly\" "
            f"viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"Drop lines per hour, "
            f"peak {peak} at {peak_hour:%Y-%m-%d %H:00}\">{axis}"
            f"<g fill=\"#{RATE_COLOUR}\">{''.join(bars)}</g>{''.join(labels)}"
            f"<text x=\"12\" y=\"{(top + bottom) / 2:.0f}\" transform=\"rotate(-90 12 "
            f"{(top + bottom) / 2:.0f})\" text-anchor=\"middle\">lines per hour</text></svg>"
            f"<p class=\"muted\">Peak {_n(peak)} at {peak_hour:%Y-%m-%d %H:00}; average "
            f"{_n(sum(n for _, n in hours) // len(hours))} over "
            f"{_plural(len(hours), 'hour')}.</p>{rise_list}</figure>\n")


# --- findings ---------------------------------------------------------------------------------

#: (key for the script, header, numeric?, CSS class)
_FINDING_COLUMNS = (
    ("address", "Address", True, "addr"), ("verdict", "Verdict", True, ""),
    ("polled", "Polled", False, ""), ("reasons", "Reasons", False, ""),
    ("network", "Network", False, ""), ("records", "Records (tool: name, ID)", False, ""),
    ("owners", "Owners", False, ""), ("last-ok", "Last OK (UTC)", False, ""),
    ("days", "Days since", True, "num"), ("drops", "Drops", True, "num"),
    ("action", "Action", False, "action"),
)


def _shown_findings(findings: Sequence[Finding], per_verdict: int) -> list[Finding]:
    """The first `per_verdict` findings of each verdict, in the result's order."""
    if len(findings) <= per_verdict:
        return list(findings)
    taken: Counter[Verdict] = Counter()
    shown = []
    for f in findings:
        if taken[f.verdict] < per_verdict:
            taken[f.verdict] += 1
            shown.append(f)
    return shown


def _findings(result: AuditResult, counts: Counter[Verdict],
              per_verdict: int) -> Iterator[str]:
    shown = _shown_findings(result.findings, per_verdict)
    on_page = Counter(f.verdict for f in shown)
    probed = finding_probes(result) if result.probes is not None else None
    columns = _FINDING_COLUMNS + ((("probes", "Probes", False, ""),) if probed is not None
                                  else ())
    boxes = "".join(
        f"<label><input type=\"checkbox\" data-verdict=\"{v}\" checked> {v} "
        f"(<span id=\"page-{v}\" data-count=\"{on_page[v]}\">{_n(on_page[v])}</span>)</label>"
        for v in VERDICT_ORDER)
    cut = [v for v in VERDICT_ORDER if on_page[v] < counts[v]]
    note = ""
    if cut:
        parts = "; ".join(f"the first {_n(on_page[v])} of {_n(counts[v])} {v}" for v in cut)
        note = (f"<p id=\"rows-note\" class=\"note\">This page lists {parts} findings (polled "
                f"first, then by address); the JSON and XLSX reports hold all "
                f"{_n(len(result.findings))}.</p>\n")
    heads = "".join(
        f"<th data-key=\"{key}\"{_NUM_TYPE if num else ''}{_NUM_CLASS if css == 'num' else ''}"
        f" scope=\"col\">{_e(label)}</th>" for key, label, num, css in columns)
    yield ("<section id=\"findings\">\n<h2>Findings</h2>\n"
           f"<p>One row per address a tool holds. Click a column header to sort; with "
           f"scripts off the table is listed most urgent first.</p>\n{note}"
           f"<div id=\"findings-controls\" class=\"controls\" hidden><input type=\"search\" "
           f"id=\"filter\" placeholder=\"Filter: address, name, owner, reason...\" "
           f"aria-label=\"Filter findings\">{boxes}<label><input type=\"checkbox\" "
           f"id=\"polled-only\"> polled only</label><span>Showing <span id=\"shown-rows\">"
           f"{_n(len(shown))}</span> of <span id=\"page-rows\" data-count=\"{len(shown)}\">"
           f"{_n(len(shown))}</span></span></div>\n"
           f"<table id=\"findings-table\" data-rows=\"{len(shown)}\" "
           f"data-total=\"{len(result.findings)}\">\n<thead><tr>{heads}</tr></thead>\n"
           "<tbody>\n")
    if not shown:
        yield (f"<tr><td colspan=\"{len(columns)}\" class=\"note\">No findings: no source "
               "held any target.</td></tr>\n")
    # Address order for the whole page, once: numeric (10.99 before 10.251), v4 before v6.
    by_address = sorted(range(len(shown)), key=lambda i: address_sort_key(shown[i].address))
    place = [0] * len(shown)
    for n, i in enumerate(by_address):
        place[i] = n
    for start in range(0, len(shown), _BATCH):
        yield "".join([_finding_row(result, f, place[i], probed)
                       for i, f in enumerate(shown[start:start + _BATCH], start)])
    yield "</tbody>\n</table>\n</section>\n"


def _last_ok(records: Iterable[Target]) -> datetime | None:
    return max((t.last_ok for t in records if t.last_ok is not None), default=None)


def _record_line(t: Target) -> str:
    muted = "" if t.polled else f" <span class=\"muted\">(not polled: {_e(t.state)})</span>"
    return f"<div>{_e(t.source)}: {_e(t.name)} ({_e(t.id)}){muted}</div>"


def _finding_row(result: AuditResult, f: Finding, place: int,
                 probed: dict[str, list[ProbeResult]] | None) -> str:
    v = f.verdict
    reasons = "".join(f"<span class=\"reason\" data-reason=\"{r}\">{_e(_reason(r))}</span>"
                      for r in f.reasons)
    owners = "<br>".join(_e(o) for o in dict.fromkeys(record_owner(result, t)
                                                       for t in f.records))
    records = "".join(_record_line(t) for t in f.records)
    if f.names:
        records += f"<div class=\"muted\">also named {_e(', '.join(f.names))}</div>"
    last_ok = _last_ok(f.records)
    days = "" if last_ok is None else str((result.as_of - last_ok).days)
    drops = "" if f.traffic is None else str(f.traffic.drops)
    probes = ""
    if probed is not None:
        probes = f"<td class=\"wrap\">{_e(probe_words(probed.get(f.address, [])))}</td>"
    return (f"<tr data-verdict=\"{v}\" data-polled=\"{int(f.polled)}\">"
            f"<td class=\"addr\" data-sort=\"{place}\">{_e(f.address)}</td>"
            f"<td class=\"v-{v}\" data-verdict=\"{v}\" data-sort=\"{_RANK[v]}\">{v}</td>"
            f"<td data-polled=\"{int(f.polled)}\">{'yes' if f.polled else 'no'}</td>"
            f"<td class=\"reasons\">{reasons}</td><td class=\"nowrap\">{_e(f.network or '')}"
            f"</td><td class=\"wrap\">{records}</td><td class=\"wrap\">{owners}</td>"
            f"<td class=\"nowrap\" data-sort=\"{iso(last_ok) or ''}\" title=\"{_when(last_ok)}\">"
            f"{'' if last_ok is None else f'{last_ok:%Y-%m-%d}'}</td>"
            f"<td class=\"num\">{days}</td><td class=\"num\" data-sort=\"{drops}\">"
            f"{_n(f.traffic.drops) if f.traffic is not None else ''}</td>"
            f"<td class=\"action\">{_e(f.action)}</td>{probes}</tr>\n")


def _reason(r: Reason) -> str:
    return REASON_TEXT.get(r, str(r))


# --- remediation ------------------------------------------------------------------------------


def _remediation(result: AuditResult, per_owner: int) -> Iterator[str]:
    """Per owner: counts, then their records most urgent first, each with the exact action."""
    rows: dict[str, list[tuple[Finding, Target, str]]] = {}
    for f, t, action in remediation_rows(result.findings):
        rows.setdefault(record_owner(result, t), []).append((f, t, action))
    failed: dict[str, list[str]] = {}
    for i in result.failed:
        if i.role == "source":
            failed.setdefault(result.owners.get(i.name) or NO_OWNER, []).append(i.name)
    owners = list(rows) + [o for o in owner_names(result) if o not in rows]
    owners += [o for o in failed if o not in owners]
    yield ("<section id=\"remediation\">\n<h2>Remediation by owner</h2>\n"
           "<p>Each owner's records that ask for work, stale and still polled first. Records of "
           "active targets ask for nothing and are left out.</p>\n")
    for n, owner in enumerate(owners, start=1):
        mine = rows.get(owner, [])
        urgent = sum(1 for f, t, _ in mine if f.verdict is Verdict.STALE and t.polled)
        parts = [f"<section class=\"owner\" id=\"owner-{n}\" data-owner=\"{_e(owner)}\" "
                 f"data-rows=\"{len(mine)}\" data-stale-polled=\"{urgent}\">\n"
                 f"<h3>{_e(owner)}</h3>\n"]
        parts += [f"<p class=\"failed\">Source {_e(s)} FAILED to load: its records are missing "
                  "from this list.</p>\n" for s in failed.get(owner, ())]
        if not mine:
            parts.append("<p class=\"muted\">Nothing to fix.</p>\n</section>\n")
            yield "".join(parts)
            continue
        parts.append(f"<p>{_plural(len(mine), 'record')} to act on, {_n(urgent)} stale and "
                     "still polled.</p>\n<table class=\"remediation\"><thead><tr><th>Verdict"
                     "</th><th>Polled</th><th>Address</th><th>Tool</th><th>Record ID</th>"
                     "<th>Record name</th><th>Location</th><th>Action</th></tr></thead>"
                     "<tbody>\n")
        yield "".join(parts)
        for start in range(0, min(len(mine), per_owner), _BATCH):
            yield "".join([
                f"<tr><td class=\"v-{f.verdict}\" data-verdict=\"{f.verdict}\">{f.verdict}"
                f"</td><td>{'yes' if t.polled else 'no'}</td><td class=\"addr\">"
                f"{_e(f.address)}</td><td>{_e(t.source)}</td><td>{_e(t.id)}</td>"
                f"<td>{_e(t.name)}</td><td>{_e(t.location)}</td><td class=\"action\">"
                f"{_e(action)}</td></tr>\n"
                for f, t, action in mine[start:min(start + _BATCH, per_owner)]])
        more = ""
        if len(mine) > per_owner:
            more = (f"<p class=\"note\">The first {_n(per_owner)} of {_n(len(mine))} are "
                    "listed here; the XLSX report (or --split-by-owner) holds them all.</p>\n")
        yield f"</tbody></table>\n{more}</section>\n"
    yield "</section>\n"


# --- ghost flows, inputs, networks ------------------------------------------------------------


def _ghost_row(g: GhostFlow) -> str:
    what = f"{g.protocol}/{g.port}" if g.port is not None else g.protocol
    reasons = "; ".join(_reason(r) for r in g.reasons)
    return (f"<tr><td class=\"addr\">{_e(g.src)}</td><td class=\"addr\">{_e(g.dst)}</td>"
            f"<td>{_e(what)}</td><td class=\"num\" data-count=\"{g.count}\">{_n(g.count)}</td>"
            f"<td>{_when(g.first_seen)}</td><td>{_when(g.last_seen)}</td><td>{_e(reasons)}"
            f"</td><td>{_e(g.attribution or '')}</td></tr>\n")


def _ghost_flows(result: AuditResult) -> str:
    flows = result.ghost_flows
    out = ["<section id=\"ghost-flows\">\n<h2>Ghost flows</h2>\n<p>Dropped or unanswered "
           "traffic, sent from inside, to destinations that no source holds: some tool or "
           "script nobody listed still sends it.</p>\n"]
    if not flows:
        out.append("<p class=\"muted\">None.</p>\n")
    else:
        out.append("<table id=\"ghost-table\"><thead><tr><th>Source</th><th>Destination</th>"
                   "<th>Protocol/port</th><th class=\"num\">Lines</th><th>First seen</th>"
                   "<th>Last seen</th><th>Reasons</th><th>Attribution</th></tr></thead>"
                   "<tbody>\n")
        out += [_ghost_row(g) for g in flows[:GHOST_ROWS]]
        out.append("</tbody></table>\n")
        if len(flows) > GHOST_ROWS:
            out.append(f"<p class=\"note\">The {GHOST_ROWS} busiest of {_n(len(flows))} flows "
                       "are listed; the JSON and XLSX reports hold them all.</p>\n")
    folded = result.ghosts_folded
    if folded.flows:
        out.append(f"<p class=\"note\">{_n(folded.flows)} more flows ({_n(folded.lines)} "
                   "lines), the least busy, are counted together and not listed.</p>\n")
    out.append("</section>\n")
    return "".join(out)


def _input_row(i: InputStatus) -> str:
    failed = i.status is SourceStatus.FAILED
    notes = "".join(f"<li>skipped {_e(note)}</li>" for note in i.notes)
    detail = _e(i.error or "") + (f"<ul class=\"notes\">{notes}</ul>" if notes else "")
    where = i.where_read()
    if where is not None:   # folded by a SIEM or Spark: by what, and the query it ran
        query = f"<br><code>{_e(i.query)}</code>" if i.query else ""
        detail = f"<p class=\"where\">folded by {_e(where)}{query}</p>" + detail
    unit = "lines" if i.role == "log" else "records"
    return (f"<tr data-input=\"{_e(i.name)}\" data-status=\"{i.status}\""
            f"{_FAILED_CLASS if failed else ''}><td>{_e(i.name)}</td><td>{_e(i.type)}"
            f"</td><td>{_e(i.role)}</td><td>{'FAILED' if failed else _e(i.status)}</td>"
            f"<td class=\"num\">{_n(i.records)} {unit}</td><td class=\"num\">"
            f"{_n(i.skipped) if i.skipped else ''}</td><td>{detail}</td></tr>\n")


def _sources(result: AuditResult) -> str:
    return ("<section id=\"sources\">\n<h2>Inputs</h2>\n<table id=\"sources-table\"><thead>"
            "<tr><th>Name</th><th>Type</th><th>Role</th><th>Status</th><th class=\"num\">Read"
            "</th><th class=\"num\">Skipped lines</th><th>Error or skipped lines</th></tr>"
            "</thead><tbody>\n" + "".join(_input_row(i) for i in result.inputs)
            + "</tbody></table>\n</section>\n")


def _networks(result: AuditResult) -> str:
    nets = sorted(result.networks, key=lambda n: _GONE_FIRST.get(n.status, 9))
    status = Counter(n.status for n in result.networks)
    prefixes = _plural(len(nets), "prefix", "prefixes")
    out = [f"<section id=\"networks\">\n<h2>Networks</h2>\n<p>{prefixes}: "
           + ", ".join(f"{_n(status[s])} {s}" for s in _GONE_FIRST if status[s]) + ".</p>\n"]
    if nets:
        out.append("<table id=\"networks-table\"><thead><tr><th>Prefix</th><th>Status</th>"
                   "<th>Source</th><th>Description</th><th>Location</th></tr></thead><tbody>\n")
        out += [f"<tr data-status=\"{n.status}\"><td class=\"addr\">{_e(n.prefix)}</td><td>"
                f"{_e(n.status)}</td><td>{_e(n.source)}</td><td>{_e(n.description)}</td><td>"
                f"{_e(n.location)}</td></tr>\n" for n in nets[:NETWORK_ROWS]]
        out.append("</tbody></table>\n")
        if len(nets) > NETWORK_ROWS:
            out.append(f"<p class=\"note\">{_n(NETWORK_ROWS)} of {_n(len(nets))} listed, gone "
                       "ones first; the XLSX report holds them all.</p>\n")
    out.append("</section>\n")
    return "".join(out)

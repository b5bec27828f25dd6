"""Prometheus: the devices that snmp_exporter and blackbox_exporter jobs make it poll.

Two file forms reach this module, told apart by content:

* `prometheus.yml` (YAML): each job's `static_configs[].targets` and the target groups of its
  `file_sd_configs[].files` (globs relative to the yml's folder; JSON or YAML files of
  `[{"targets": [...], "labels": {...}}]`; absolute globs are read beneath the option
  `file_sd_root` when the files were copied from the server). A file_sd file may also be
  given on its own as a path. The job's `relabel_configs` are applied as Prometheus applies
  them, so the device is the final `__param_target`, the exporter the final `__address__`
  (`replacement: 127.0.0.1:9116`, never a target), and a target that a `keep`/`drop` rule
  removes is a record that is not polled. Prometheus keeps no state on disk: state unknown.
* the JSON body of the targets API (`GET /api/v1/targets`, `{"status": "success", "data":
  {"activeTargets": [...], "droppedTargets": [...]}}`), saved to a file or fetched live:
  `health`, `lastScrape` (RFC 3339, nanoseconds, the server's offset) and `lastError`. The
  device behind an exporter job is its `target` parameter (the scrape URL's query, or a
  `__param_target` label), never the scrape URL's host, which is the exporter.

Live: `url = "https://prometheus.example:9090"` (with its `--web.route-prefix`, if any)
sends `GET /api/v1/targets` and hands the answer to the same `parse`. Prometheus itself
asks for no credentials; where its `web.yml` or a proxy in front of it does, give
`username_env` + `password_env` (HTTP Basic) or `token_env` (`Authorization: Bearer`).
`state = "active"` asks only for the targets being scraped (`?state=active`): on a server
whose service discovery drops thousands of targets the answer is far smaller, but the
records of dropped targets (not polled) are then missing.

Only exporter jobs are read by default (`metrics_path` `/snmp` or `/probe`): their targets
are the network devices. `jobs = "all"` also reads direct scrape jobs (`/metrics` on
`host:port`, polled over TCP by the server itself).

What the tool's state means here:

* snmp_exporter answers HTTP 500 when the device does not answer, so `health: down` is the
  tool's own negative evidence (state down; Prometheus keeps no last success, so nothing
  softens it), and `up` is a successful poll at `lastScrape`. When the scrape never reached
  the exporter (`dial tcp <exporter>`) the device's state is unknown.
* blackbox_exporter answers 200 whether the probe succeeded or not (the result is the
  `probe_success` metric, not in this body), so a `/probe` target's state is unknown.
* `droppedTargets` (removed by relabelling) are not polled.

Poller: the exporter's address when it is an IP that is not loopback (it sends the SNMP
or the probe), else the option `poller` (the Prometheus server; the exporter beside it).
The job's module and auth names (never a community: those live in snmp.yml) are detail in
the fix text and in `JobTarget`, which also keeps `health` and `lastError`.
"""

from __future__ import annotations

import glob
import hashlib
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

import netaddr
import yaml

from auditor.addresses import canonical_ip
from auditor.errors import ConfigError, SourceError
from auditor.model import Target, ToolState
from connectors.base import SkippedLine, SourceSpec, TargetSource
from connectors.shared.hosts import split_endpoint
from connectors.shared.inputs import Inputs
from connectors.shared.values import cell_text, parse_datetime
from connectors.sources.snmp.common import is_remote

#: Scrape paths of the exporters whose targets are devices.
EXPORTERS: dict[str, str] = {"/snmp": "snmp_exporter", "/probe": "blackbox_exporter"}

#: Values of the `jobs` option.
JOB_CHOICES = ("exporters", "all")
#: Values of the `state` option (live API): every target, or only the scraped ones.
STATE_CHOICES = ("any", "active")
#: The targets API, below the server's base URL (and route prefix).
TARGETS_API = "/api/v1/targets"
_NOT_FOUND = "Prometheus answers on port 9090 by default; add its --web.route-prefix, if " \
    "any: https://prometheus:9090/prometheus"

#: Transports snmp_exporter (and Telegraf) accept before `://`, as protocol names.
_TRANSPORTS = {"udp": "udp", "udp4": "udp", "udp6": "udp",
               "tcp": "tcp", "tcp4": "tcp", "tcp6": "tcp"}

#: blackbox_exporter module names -> what the probe sends. The prober type is in
#: blackbox.yml, which is not read; module names follow the example config's words.
_PROBE_WORDS: tuple[tuple[tuple[str, ...], str | None, int | None], ...] = (
    (("icmp", "ping"), "icmp", None),
    (("https",), "tcp", 443),
    (("http",), "tcp", 80),
    (("dns",), "udp", 53),
    (("tcp", "ssh", "tls", "ssl", "smtp", "imap", "pop3", "irc", "grpc"), "tcp", None),
)

#: Service discovery other than static and file: the targets live elsewhere.
_OTHER_SD = re.compile(r"^[a-z0-9_]+_sd_configs$")


@dataclass(frozen=True, slots=True)
class JobTarget:
    """One target of one job, before it becomes a `Target`: what Prometheus says of it."""

    job: str
    text: str
    """The device as written (`tcp://10.30.0.11:1161`, `10.10.0.2`, `https://intranet`)."""
    host: str
    """Canonical IP, or the lower-case host name."""
    protocol: str | None
    port: int | None
    exporter: str | None
    """`snmp_exporter`, `blackbox_exporter`, or None for a direct scrape."""
    scrape_address: str
    """Where Prometheus sends the scrape (the exporter's `host:port` for exporter jobs)."""
    module: str = ""
    auth: str = ""
    polled: bool = True
    """False for a target that relabelling drops (Prometheus never scrapes it)."""
    health: str = ""
    """`up`, `down`, `unknown` (targets API); empty when read from a config file."""
    last_scrape: datetime | None = None
    last_error: str = ""
    """The scrape's error, with URL query strings cut (parameters may carry secrets)."""
    name: str = ""
    location: str = ""
    origin: str = ""
    """Where the owner edits it: `prometheus.yml`, `targets/snmp.json (file_sd)`, or
    `the Prometheus configuration` for a targets API body."""


class PrometheusSource(TargetSource):
    """Device targets from `prometheus.yml` (+ file_sd files) or a targets API body, saved
    or fetched live."""

    type = "prometheus"
    options = frozenset({"jobs", "file_sd_root"})
    api: ClassVar[bool] = True
    """The targets API gives the same body `parse` reads (`GET /api/v1/targets`)."""
    api_options = frozenset({"username_env", "password_env", "token_env", "state"})

    def __init__(self, spec: SourceSpec, *, clock: datetime | None = None,
                 io: Inputs | None = None) -> None:
        super().__init__(spec, clock=clock, io=io)
        options = spec.options
        if spec.live:
            if "token_env" in options and ("username_env" in options
                                           or "password_env" in options):
                raise ConfigError("give token_env (a bearer token) or username_env and "
                                  "password_env (HTTP Basic), not both")
            if "username_env" in options or "password_env" in options:
                self.require_api_keys("username_env", "password_env",
                                      why="the account web.yml (or a proxy) asks for, and "
                                      "its password")
        state = options.get("state", "any")
        if state not in STATE_CHOICES:
            raise ConfigError(f"state must be one of {', '.join(STATE_CHOICES)}, not "
                              f"{state!r}")
        self.state = state
        jobs = spec.options.get("jobs", "exporters")
        if jobs not in JOB_CHOICES:
            raise ConfigError(f"source {spec.name!r}: jobs: {jobs!r} is not one of "
                              f"{', '.join(JOB_CHOICES)}")
        self.all_jobs = jobs == "all"
        root = spec.options.get("file_sd_root")
        if root is not None and (not isinstance(root, str) or not root.strip()):
            raise ConfigError(f"source {spec.name!r}: file_sd_root: must be a folder path")
        self.file_sd_root: Path | None = None
        if isinstance(root, str):
            folder = Path(root).expanduser()
            if not folder.is_absolute() and spec.root is not None:
                folder = spec.root / folder
            self.file_sd_root = folder

    # -- reading ------------------------------------------------------------------------

    def fetch(self) -> list[Target]:
        return self._targets(self.job_targets())

    def job_targets(self) -> list[JobTarget]:
        """Every target of every configured file (or of the live targets API), with what
        Prometheus says of it."""
        self.skipped = []
        if self.spec.live:
            return self._api_targets()
        found: list[JobTarget] = []
        for path in self.spec.paths:
            found += self._read(self.io.read_text(path), path)
        self._check_found(found, ", ".join(str(p) for p in self.spec.paths))
        return found

    def parse(self, body: Any, origin: Path | str) -> list[Target]:
        """Targets from one body: a targets API answer (parsed JSON), or a file's text."""
        self.skipped = []
        found = self._read(body, origin) if isinstance(body, str) else \
            self._decoded(body, origin, None)
        self._check_found(found, str(origin))
        return self._targets(found)

    def _api_targets(self) -> list[JobTarget]:
        """The targets of the live API: one `GET /api/v1/targets` (it does not page)."""
        with self.io.http(self.spec, api_roots=("/api/",),
                          not_found_hint=_NOT_FOUND) as client:
            options = self.spec.options
            if "token_env" in options:
                client.auth = client.header_auth(
                    "Authorization", f"Bearer {client.secret('token_env')}")
            elif "username_env" in options:
                client.auth = client.basic_auth("username_env", "password_env")
            url = client.url(TARGETS_API) + ("?state=active" if self.state == "active" else "")
            body = client.get_json(url)
            origin = client.shown(url)
            if not isinstance(body, dict):
                raise SourceError("expected a targets API body (GET /api/v1/targets): "
                                  '{"status": "success", "data": {"activeTargets": [...]}}, '
                                  f"got a {type(body).__name__}", path=origin)
            found = self._api(body, origin)
            self._check_found(found, origin)
            return found

    def _targets(self, found: list[JobTarget]) -> list[Target]:
        """Records of the targets that reach the network (a loopback target is counted)."""
        out = []
        for t in found:
            if is_remote(t.host):
                out.append(self._target(t))
            else:
                job = f"job {t.job}: " if t.job else ""
                self.skipped.append(SkippedLine(t.location, f"{job}{t.text} is the polling "
                                                "host itself; no packet crosses the network"))
        return out

    def _check_found(self, found: list[JobTarget], where: str) -> None:
        if found or self.skipped:
            return
        what = "target" if self.all_jobs else \
            "target of a job scraping /snmp or /probe (snmp_exporter, blackbox_exporter)"
        hint = "" if self.all_jobs else '; jobs = "all" also reads direct scrape jobs'
        raise SourceError(f"no {what} found{hint}", path=where)

    def _read(self, text: str, origin: Path | str) -> list[JobTarget]:
        """A file's text: JSON (API body, file_sd list) or YAML (prometheus.yml, file_sd)."""
        head = text.lstrip("\ufeff \t\r\n")[:1]
        if head in ("{", "["):
            try:
                value = json.loads(text.lstrip("\ufeff"))
            except json.JSONDecodeError as exc:
                if str(origin).lower().endswith((".json", ".json.gz", ".json.bz2")):
                    raise SourceError(f"invalid JSON at column {exc.colno}: "
                                      f"{exc.msg.removesuffix(' at')}", path=origin,
                                      line=exc.lineno) from exc
            else:
                return self._decoded(value, origin, text)
        return self._decoded(_load_yaml(text, origin), origin, text)

    def _decoded(self, value: Any, origin: Path | str, text: str | None) -> list[JobTarget]:
        if isinstance(value, dict) and ("scrape_configs" in value or "global" in value
                                        or "scrape_config_files" in value):
            return self._config(value, origin)
        if isinstance(value, dict) and ("data" in value or "status" in value):
            return self._api(value, origin)
        if isinstance(value, list):
            return self._groups(value, origin, text, _Job.standalone(self.spec.where(origin)))
        kind = type(value).__name__ if not isinstance(value, dict) else \
            f"an object with keys {', '.join(sorted(map(str, value))) or 'none'}"
        raise SourceError(
            f"not a Prometheus file: expected prometheus.yml (scrape_configs), a file_sd "
            f"list of target groups, or a targets API body (status, data); got {kind}",
            path=origin)

    # -- prometheus.yml -------------------------------------------------------------------

    def _config(self, doc: dict[Any, Any], origin: Path | str) -> list[JobTarget]:
        folder = origin.parent if isinstance(origin, Path) else None
        jobs: list[Any] = []
        configs = doc.get("scrape_configs") or []
        if not isinstance(configs, list):
            raise SourceError("scrape_configs is not a list", path=origin,
                              field="scrape_configs")
        jobs += [(job, origin) for job in configs]
        for pattern in doc.get("scrape_config_files") or []:
            for path in self._glob(pattern, folder, origin, "scrape_config_files"):
                extra = _load_yaml(self.io.read_text(path), path)
                more = extra.get("scrape_configs") if isinstance(extra, dict) else None
                if not isinstance(more, list):
                    raise SourceError("expected a file with scrape_configs", path=path,
                                      field="scrape_configs")
                jobs += [(job, path) for job in more]
        found: list[JobTarget] = []
        for job_doc, where in jobs:
            found += self._job(job_doc, where)
        return found

    def _job(self, doc: Any, origin: Path | str) -> list[JobTarget]:
        if not isinstance(doc, dict) or not cell_text(doc.get("job_name")):
            self._skip(origin, _line(doc), "a scrape config without job_name")
            return []
        job = _Job.from_config(doc, origin, self.spec.where(origin))
        found: list[JobTarget] = []
        statics = doc.get("static_configs") or []
        for group in statics if isinstance(statics, list) else [statics]:
            found += self._group(group, origin, None, job, None)
        folder = origin.parent if isinstance(origin, Path) else None
        for sd in doc.get("file_sd_configs") or []:
            files = sd.get("files") if isinstance(sd, dict) else None
            for pattern in files or []:
                for path in self._glob(pattern, folder, origin, "files"):
                    if not path.name.lower().endswith((".json", ".yml", ".yaml")):
                        self._skip(origin, _line(pattern), f"file_sd file {path.name}: "
                                   "Prometheus reads only .json, .yml and .yaml files")
                        continue
                    text = self.io.read_text(path)
                    groups = _load_json(text, path) if path.name.lower().endswith(".json") \
                        else _load_yaml(text, path)
                    if groups is None:
                        groups = []
                    if not isinstance(groups, list):
                        raise SourceError("a file_sd file holds a list of target groups, "
                                          f"not a {type(groups).__name__}", path=path)
                    found += self._groups(groups, path, text, job.of_file(self.spec.where(path)))
        if job.exporter is not None or self.all_jobs:
            for key in sorted(k for k in doc if _OTHER_SD.match(str(k))
                              and k != "file_sd_configs"):
                self._skip(origin, _line(key), f"job {job.name}: {key} discovers targets "
                           "that no file lists; read a targets API body (GET "
                           "/api/v1/targets) for them")
        return found

    def _glob(self, pattern: Any, folder: Path | None, origin: Path | str,
              key: str) -> list[Path]:
        text = cell_text(pattern)
        full = Path(text).expanduser()
        if full.is_absolute() and self.file_sd_root is not None:
            full = self.file_sd_root / full.relative_to(full.anchor)
        elif not full.is_absolute() and folder is not None:
            full = folder / full
        matches = sorted(Path(p) for p in glob.glob(str(full)) if Path(p).is_file())
        if not matches:
            hint = "" if self.file_sd_root is not None or not Path(text).is_absolute() else \
                "; set file_sd_root to where the server's files were copied"
            self._skip(origin, _line(pattern), f"{key} glob {text!r} matches no file here "
                       f"(looked in {full.parent}){hint}")
        return matches

    def _groups(self, groups: list[Any], origin: Path | str, text: str | None,
                job: _Job) -> list[JobTarget]:
        found: list[JobTarget] = []
        # YAML values carry their lines; JSON's are looked up in the text, in order.
        cursor = None if text is None or isinstance(groups, _Sequence) else _Cursor(text)
        for number, group in enumerate(groups, 1):
            found += self._group(group, origin, number, job, cursor)
        return found

    def _group(self, group: Any, origin: Path | str, number: int | None, job: _Job,
               cursor: _Cursor | None) -> list[JobTarget]:
        label = f"target group #{number}" if number else "a static_configs entry"
        if not isinstance(group, dict):
            line = _line(group) or (cursor.find(json.dumps(group)) if cursor else None)
            self._skip(origin, line, f"{label} is not an object with targets")
            return []
        targets = group.get("targets") or []
        labels = group.get("labels") or {}
        if not isinstance(targets, list) or not isinstance(labels, dict):
            self._skip(origin, _line(group), f"{label}: targets must be a list and labels "
                       "an object")
            return []
        if cursor is not None:
            cursor.find('"targets"')
        found = []
        for raw in targets:
            line = _line(raw) or (cursor.find(json.dumps(raw)) if cursor else None)
            made = self._static(job, raw, {str(k): cell_text(v) for k, v in labels.items()},
                                origin, line)
            if made is not None:
                found.append(made)
        return found

    def _static(self, job: _Job, raw: Any, labels: dict[str, str], origin: Path | str,
                line: int | None) -> JobTarget | None:
        where = self.spec.where(origin, line)
        if not isinstance(raw, str) or not raw.strip():
            self._skip(origin, line, f"job {job.name}: target {raw!r} is not a host or "
                       "host:port")
            return None
        final, kept = job.relabel(job.labels(raw.strip(), labels))
        exporter = EXPORTERS.get(final.get("__metrics_path__", ""))
        if exporter is None and not self.all_jobs:
            return None
        text = final.get("__param_target", "") if exporter else final.get("__address__", "")
        if not kept and not text:  # dropped before the target was copied to its parameter
            text = raw.strip()
        if not text:
            self._skip(origin, line, f"job {job.name}: no target parameter for "
                       f"{raw.strip()!r} (the exporter is asked for nothing)")
            return None
        try:
            host, protocol, port = _device(text, exporter, final.get("__param_module", ""),
                                           final.get("__scheme__", "http"))
        except ValueError:
            self._skip(origin, line, f"job {job.name}: target {text!r} is not a host, "
                       "host:port or URL")
            return None
        return JobTarget(
            job=job.name, text=text, host=host, protocol=protocol, port=port,
            exporter=exporter, scrape_address=final.get("__address__", "") if kept else "",
            module=final.get("__param_module", ""), auth=final.get("__param_auth", ""),
            polled=kept, name=final.get("instance") or text, location=where,
            origin=job.origin)

    # -- targets API ----------------------------------------------------------------------

    def _api(self, body: dict[str, Any], origin: Path | str) -> list[JobTarget]:
        if body.get("status") == "error":
            said = cell_text(body.get("error")) or "no message"
            kind = cell_text(body.get("errorType"))
            raise SourceError(f"the Prometheus API answered an error"
                              f"{f' ({kind})' if kind else ''}: {said}", path=origin,
                              field="error")
        data = body.get("data")
        active = data.get("activeTargets") if isinstance(data, dict) else None
        if not isinstance(data, dict) or not isinstance(active, list):
            raise SourceError("expected a targets API body (GET /api/v1/targets): "
                              '{"status": "success", "data": {"activeTargets": [...]}}',
                              path=origin, field="activeTargets")
        dropped = data.get("droppedTargets") or []
        found: list[JobTarget] = []
        for key, items in (("activeTargets", active), ("droppedTargets", dropped)):
            for number, item in enumerate(items if isinstance(items, list) else [], 1):
                where = f"{key}[{number - 1}]"
                if not isinstance(item, dict):
                    self._skip(origin, None, f"{where} is not an object")
                    continue
                try:
                    made = self._active(item, origin, where) if key == "activeTargets" \
                        else self._dropped(item, origin, where)
                except ValueError as exc:
                    self._skip(origin, None, f"{where}: {exc}")
                    continue
                if made is not None:
                    found.append(made)
        return found

    def _active(self, item: dict[str, Any], origin: Path | str, where: str
                ) -> JobTarget | None:
        labels = _labels(item.get("labels"))
        discovered = _labels(item.get("discoveredLabels"))
        url = cell_text(item.get("scrapeUrl"))
        parts = urlsplit(url)
        query = {k: v[0] for k, v in parse_qs(parts.query).items() if v}
        exporter = EXPORTERS.get(parts.path) or EXPORTERS.get(
            discovered.get("__metrics_path__", ""))
        if exporter is None and not self.all_jobs:
            return None
        job = labels.get("job") or cell_text(item.get("scrapePool")) or \
            discovered.get("job", "")
        if exporter:
            text = (labels.get("__param_target") or query.get("target")
                    or discovered.get("__param_target") or labels.get("instance", ""))
        else:
            text = parts.netloc.rsplit("@", 1)[-1] or labels.get("instance", "")
        if not text:
            raise ValueError("neither a target parameter nor an instance label")
        module = query.get("module") or discovered.get("__param_module", "")
        try:
            host, protocol, port = _device(text, exporter, module, parts.scheme or "http")
        except ValueError:
            raise ValueError(f"target {text!r} is not a host, host:port or URL") from None
        try:
            last = parse_datetime(item.get("lastScrape"))
        except ValueError as exc:
            raise SourceError(f"{where} (job {job}, {text}): {exc}", path=origin,
                              field="lastScrape") from exc
        return JobTarget(
            job=job, text=text, host=host, protocol=protocol, port=port, exporter=exporter,
            scrape_address=parts.netloc.rsplit("@", 1)[-1], module=module,
            auth=query.get("auth") or discovered.get("__param_auth", ""),
            health=cell_text(item.get("health")).lower() or "unknown", last_scrape=last,
            last_error=_without_queries(cell_text(item.get("lastError"))),
            name=labels.get("instance") or text, location=self.spec.where(origin),
            origin=_edited_in(discovered))

    def _dropped(self, item: dict[str, Any], origin: Path | str, where: str
                 ) -> JobTarget | None:
        discovered = _labels(item.get("discoveredLabels"))
        exporter = EXPORTERS.get(discovered.get("__metrics_path__", ""))
        if exporter is None and not self.all_jobs:
            return None
        text = (discovered.get("__param_target") if exporter else None) or \
            discovered.get("__address__", "")
        if not text:
            raise ValueError("no __address__ among its discoveredLabels")
        module = discovered.get("__param_module", "")
        try:
            host, protocol, port = _device(text, exporter, module,
                                           discovered.get("__scheme__", "http"))
        except ValueError:
            raise ValueError(f"target {text!r} is not a host, host:port or URL") from None
        return JobTarget(
            job=discovered.get("job", ""), text=text, host=host, protocol=protocol, port=port,
            exporter=exporter, scrape_address="", module=module,
            auth=discovered.get("__param_auth", ""), polled=False,
            health="dropped", name=text, location=self.spec.where(origin),
            origin=_edited_in(discovered))

    # -- records --------------------------------------------------------------------------

    def _target(self, t: JobTarget) -> Target:
        state = _state(t)
        last_ok = t.last_scrape if state is ToolState.UP else None
        return Target(
            address=t.host, source=self.spec.name, kind=self.type,
            id=f"{t.job}/{t.text}" if t.job else t.text,
            name=t.name, polled=t.polled, state=state, last_ok=last_ok, seen=t.last_scrape,
            poller=self._poller(t), location=t.location, owner=self.spec.owner,
            fix=_fix(t), protocol=t.protocol, port=t.port)

    def _poller(self, t: JobTarget) -> str | None:
        if t.exporter is not None and t.scrape_address:
            try:
                ip = canonical_ip(split_endpoint(t.scrape_address)[1])
            except ValueError:
                ip = None
            if ip is not None and not netaddr.IPAddress(ip).is_loopback():
                return ip
        return self.spec.poller

    def _skip(self, origin: Path | str, line: int | None, reason: str) -> None:
        self.skipped.append(SkippedLine(self.spec.where(origin, line), reason))


# -- jobs and relabelling --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Rule:
    """One `relabel_configs` entry, compiled."""

    action: str
    source_labels: tuple[str, ...]
    separator: str
    regex: re.Pattern[str]
    target_label: str
    replacement: str
    modulus: int


@dataclass(frozen=True, slots=True)
class _Job:
    """What a scrape config says about all of its targets."""

    name: str
    metrics_path: str
    scheme: str
    params: Mapping[str, str]
    rules: tuple[_Rule, ...]
    origin: str

    @classmethod
    def standalone(cls, shown: str) -> _Job:
        """A file_sd file given on its own: its job is unknown; its targets are read as
        snmp_exporter's (the usual reason to keep device lists in file_sd files)."""
        return cls("", "/snmp", "http", {}, (_Rule(
            "replace", ("__address__",), ";", re.compile("(.*)"), "__param_target", "$1", 0),),
            origin=shown)

    @classmethod
    def from_config(cls, doc: dict[Any, Any], origin: Path | str, shown: str) -> _Job:
        name = cell_text(doc.get("job_name"))
        params: dict[str, str] = {}
        for key, values in (doc.get("params") or {}).items():
            first = values[0] if isinstance(values, list) and values else values
            params[str(key)] = cell_text(first)
        rules = []
        for number, raw in enumerate(doc.get("relabel_configs") or [], 1):
            try:
                rules.append(_rule(raw))
            except (ValueError, re.error, TypeError) as exc:
                raise SourceError(f"job {name}: relabel_configs #{number}: {exc}",
                                  path=origin, line=_line(raw), field="relabel_configs"
                                  ) from exc
        path = cell_text(doc.get("metrics_path")) or "/metrics"
        return cls(name, path, cell_text(doc.get("scheme")) or "http", params, tuple(rules),
                   origin=shown)

    def of_file(self, shown: str) -> _Job:
        """The same job, for the targets of one of its file_sd files."""
        return replace(self, origin=shown)

    @property
    def exporter(self) -> str | None:
        return EXPORTERS.get(self.metrics_path)

    def labels(self, address: str, group: Mapping[str, str]) -> dict[str, str]:
        """A target's labels before relabelling: the job's defaults, which its group's
        labels override (as Prometheus populates them), and its address."""
        labels = {"job": self.name, "__metrics_path__": self.metrics_path,
                  "__scheme__": self.scheme}
        labels.update({f"__param_{k}": v for k, v in self.params.items()})
        labels.update(group)
        labels["__address__"] = address
        return labels

    def relabel(self, labels: dict[str, str]) -> tuple[dict[str, str], bool]:
        """The labels after `relabel_configs`, as Prometheus computes them, and whether the
        target is kept (when a rule drops it: the labels as that rule saw them)."""
        out = dict(labels)
        for rule in self.rules:
            value = rule.separator.join(out.get(k, "") for k in rule.source_labels)
            action = rule.action
            if action == "keep":
                if not rule.regex.fullmatch(value):
                    return out, False
            elif action == "drop":
                if rule.regex.fullmatch(value):
                    return out, False
            elif action in ("keepequal", "dropequal"):
                same = value == out.get(rule.target_label, "")
                if same != (action == "keepequal"):
                    return out, False
            elif action == "replace":
                match = rule.regex.fullmatch(value)
                if match is None:
                    continue
                target = _expand(rule.target_label, match)
                result = _expand(rule.replacement, match)
                if not target:
                    continue
                if result:
                    out[target] = result
                else:
                    out.pop(target, None)
            elif action in ("lowercase", "uppercase"):
                out[rule.target_label] = value.lower() if action == "lowercase" \
                    else value.upper()
            elif action == "hashmod":
                digest = hashlib.md5(value.encode(), usedforsecurity=False).digest()
                out[rule.target_label] = str(int.from_bytes(digest[8:], "big")
                                             % max(rule.modulus, 1))
            elif action == "labelmap":
                for key, val in list(out.items()):
                    match = rule.regex.fullmatch(key)
                    if match:
                        out[_expand(rule.replacement, match)] = val
            elif action in ("labeldrop", "labelkeep"):
                out = {k: v for k, v in out.items()
                       if bool(rule.regex.fullmatch(k)) == (action == "labelkeep")}
        return out, True


_ACTIONS = frozenset({"replace", "keep", "drop", "keepequal", "dropequal", "hashmod",
                      "labelmap", "labeldrop", "labelkeep", "lowercase", "uppercase"})


def _rule(raw: Any) -> _Rule:
    if not isinstance(raw, dict):
        raise ValueError("not a mapping")
    action = cell_text(raw.get("action") or "replace").lower()
    if action not in _ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    sources = raw.get("source_labels") or []
    if isinstance(sources, str):
        sources = [sources]
    regex = raw.get("regex")
    pattern = "(.*)" if regex is None else str(regex)
    modulus = raw.get("modulus") or 0
    return _Rule(action=action, source_labels=tuple(str(s) for s in sources),
                 separator=str(raw.get("separator", ";")),
                 regex=re.compile(_re2_to_python(pattern)),
                 target_label=cell_text(raw.get("target_label")),
                 replacement=str(raw.get("replacement", "$1")),
                 modulus=int(modulus))


def _re2_to_python(pattern: str) -> str:
    """RE2 spells named groups `(?P<n>...)` (Python too) and also `(?<n>...)` (Go 1.22)."""
    return re.sub(r"\(\?<(?=[A-Za-z_])", "(?P<", pattern)


_TEMPLATE = re.compile(r"\$(?:\$|\{([A-Za-z0-9_]+)\}|([A-Za-z0-9_]+))")


def _expand(template: str, match: re.Match[str]) -> str:
    """Go's `Regexp.ExpandString`: `$1`, `${1}`, `$name`; `$1x` is group `1x` (empty)."""
    def one(m: re.Match[str]) -> str:
        if m.group(0) == "$$":
            return "$"
        name = m.group(1) or m.group(2)
        try:
            value = match.group(int(name)) if name.isdigit() else match.group(name)
        except IndexError:  # no such group: Go expands it to nothing
            return ""
        return value or ""
    return _TEMPLATE.sub(one, template)


# -- values ----------------------------------------------------------------------------------


def _device(text: str, exporter: str | None, module: str, scheme: str
            ) -> tuple[str, str | None, int | None]:
    """(host, protocol, port) of what reaches the device for one target."""
    given, host, port = split_endpoint(text)
    if exporter == "snmp_exporter":
        return host, _TRANSPORTS.get(given, "udp"), port or 161
    if exporter == "blackbox_exporter":
        if given in ("http", "https"):
            return host, "tcp", port or (443 if given == "https" else 80)
        words = module.lower()
        for keys, protocol, default in _PROBE_WORDS:
            if any(k in words for k in keys):
                return host, protocol, None if protocol == "icmp" else port or default
        return host, None, port
    # A direct scrape: Prometheus itself connects, on the job's scheme's port by default.
    return host, "tcp", port or (443 if scheme.lower() == "https" else 80)


def _state(t: JobTarget) -> ToolState:
    if not t.polled:
        return ToolState.DISABLED
    if t.exporter == "blackbox_exporter":
        return ToolState.UNKNOWN  # health is the exporter's; the probe's result is a metric
    if t.health == "up":
        return ToolState.UP
    if t.health == "down":
        if t.exporter and t.scrape_address and f"dial tcp {t.scrape_address}" in t.last_error:
            return ToolState.UNKNOWN  # the exporter did not answer: nothing about the device
        return ToolState.DOWN
    return ToolState.UNKNOWN


def _fix(t: JobTarget) -> str:
    detail = []
    if t.exporter:
        detail.append(t.exporter)
    if t.module:
        detail.append(f"module {t.module}")
    if t.auth:
        detail.append(f"auth {t.auth}")
    how = f" ({', '.join(detail)})" if detail else ""
    job = f" from job {t.job}" if t.job else ""
    text = f"Remove target {t.text}{job}{how} in {t.origin}"
    if not t.polled:
        return f"{text} (relabelling already drops it)"
    return text


def _edited_in(discovered: Mapping[str, str]) -> str:
    """Where a target of the API body is listed: its file_sd file, when it came from one."""
    path = discovered.get("__meta_filepath")
    return f"{path} (file_sd)" if path else "the Prometheus configuration"


def _labels(value: Any) -> dict[str, str]:
    return {str(k): cell_text(v) for k, v in value.items()} if isinstance(value, dict) else {}


def _without_queries(text: str) -> str:
    """Error text with every URL's query string cut: parameters may carry credentials."""
    return re.sub(r"\?[^\s\"']*", "?…", text)


# -- files with lines ------------------------------------------------------------------------


class _Located(str):
    """A YAML string that remembers the line it was written on."""

    line: int = 0


class _Mapping(dict[Any, Any]):
    line: int = 0


class _Sequence(list[Any]):
    line: int = 0


class _LineLoader(yaml.SafeLoader):
    """PyYAML's safe loader, with the line of every string, mapping and list kept."""


def _construct_str(loader: yaml.SafeLoader, node: yaml.Node) -> _Located:
    value = _Located(loader.construct_scalar(node))  # type: ignore[arg-type]
    value.line = node.start_mark.line + 1
    return value


def _construct_map(loader: yaml.SafeLoader, node: yaml.Node) -> Iterator[_Mapping]:
    value = _Mapping()
    value.line = node.start_mark.line + 1
    yield value
    value.update(loader.construct_mapping(node))  # type: ignore[arg-type]


def _construct_seq(loader: yaml.SafeLoader, node: yaml.Node) -> Iterator[_Sequence]:
    value = _Sequence()
    value.line = node.start_mark.line + 1
    yield value
    value.extend(loader.construct_sequence(node))  # type: ignore[arg-type]


_LineLoader.add_constructor("tag:yaml.org,2002:str", _construct_str)
_LineLoader.add_constructor("tag:yaml.org,2002:map", _construct_map)
_LineLoader.add_constructor("tag:yaml.org,2002:seq", _construct_seq)


def _line(value: Any) -> int | None:
    return getattr(value, "line", None) or None


def _load_yaml(text: str, origin: Path | str) -> Any:
    try:
        return yaml.load(text.lstrip("\ufeff"), Loader=_LineLoader)  # a SafeLoader
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        raise SourceError(f"invalid YAML: {exc.problem or exc.context}", path=origin,
                          line=line) from exc
    except yaml.YAMLError as exc:
        raise SourceError(f"invalid YAML: {exc}", path=origin) from exc


def _load_json(text: str, origin: Path) -> Any:
    try:
        return json.loads(text.lstrip("\ufeff"))
    except json.JSONDecodeError as exc:
        raise SourceError(f"invalid JSON at column {exc.colno}: {exc.msg.removesuffix(' at')}",
                          path=origin, line=exc.lineno) from exc


class _Cursor:
    """Lines of JSON values, found in document order (json.loads keeps none)."""

    def __init__(self, text: str | None) -> None:
        self.text = text
        self.at = 0

    def find(self, needle: str) -> int | None:
        if self.text is None:
            return None
        found = self.text.find(needle, self.at)
        if found < 0:
            return None
        self.at = found + len(needle)
        return self.text.count("\n", 0, found) + 1


__all__ = ["EXPORTERS", "TARGETS_API", "JobTarget", "PrometheusSource"]

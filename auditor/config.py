"""`audit.toml`: read, validate, resolve paths. Every mistake is a `ConfigError` that names
the file, the table and the key, and lists the valid choices.
"""

from __future__ import annotations

import difflib
import glob
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from auditor.addresses import canonical_ip, canonical_prefix
from auditor.errors import ConfigError
from auditor.probe.settings import AUTH_PROTOCOLS, PRIV_PROTOCOLS, ProbeSettings
from connectors import REGISTRIES, SIEM_LOGS, lookup
from connectors.base import SourceSpec
from connectors.shared.files import rotation_order

#: Keys every table of a kind accepts; connector classes add their own (`options`).
COMMON_KEYS: dict[str, frozenset[str]] = {
    "sources": frozenset({"name", "type", "path", "paths", "owner", "poller"}),
    "networks": frozenset({"name", "type", "path", "paths"}),
    "logs": frozenset({"name", "type", "path", "paths", "engine", "spark_master"}),
    "captures": frozenset({"name", "type", "path", "paths"}),
}
#: Keys every type that reads a live API takes with `url` (`connectors.shared.http`).
HTTP_KEYS = frozenset({"url", "verify", "timeout", "retries"})
#: Keys of live APIs, known everywhere: a file-only type given one is told it reads no API
#: (listing the types that do), not that the key is unknown.
API_KEYS = HTTP_KEYS | {"username_env", "password_env", "token_env", "api_key_env"}
#: API numbers: key -> (smallest, largest, whole numbers only).
HTTP_NUMBERS: dict[str, tuple[float, float, bool]] = {
    "timeout": (0.001, 3600, False),
    "retries": (0, 10, True),
    "page_size": (1, 100000, True),
}
#: Where a `[[logs]]` table's files are folded: here, or by the user's Spark.
ENGINES = ("local", "spark")
#: A URI rather than a path (`hdfs://`, `s3a://`, `file://`): read by Spark, engine = spark.
_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")
#: What an `*_env` value must look like: a variable's name (a pasted secret is refused
#: without being echoed).
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
AUDIT_KEYS = frozenset({"name", "stale_after_days", "history"})
PROBE_KEYS = frozenset({"enabled", "allow", "snmp_community_env", "snmp_user_env",
                        "snmp_auth_env", "snmp_priv_env", "snmp_port", "tcp_ports", "timeout",
                        "retries", "concurrency", "rate", "snmp_auth_protocol",
                        "snmp_priv_protocol"})
TOP_KEYS = ("audit", "sources", "networks", "logs", "probe", "captures")
DEFAULT_STALE_AFTER_DAYS = 14
#: 100 years: beyond it "older than N days" means nothing, and date arithmetic overflows.
STALE_AFTER_DAYS_RANGE = (0, 36500)
#: [probe] numbers: key -> (smallest, largest, whole numbers only).
PROBE_NUMBERS: dict[str, tuple[float, float, bool]] = {
    "snmp_port": (1, 65535, True),
    "timeout": (0.001, 300, False),
    "retries": (0, 10, True),
    "concurrency": (1, 10000, True),
    "rate": (0.001, 100000, False),
}


@dataclass(frozen=True, slots=True)
class AuditConfig:
    """A validated audit.toml, paths resolved and globs expanded."""

    path: Path
    name: str
    stale_after_days: int
    sources: tuple[SourceSpec, ...]
    networks: tuple[SourceSpec, ...]
    logs: tuple[SourceSpec, ...]
    captures: tuple[SourceSpec, ...] = ()
    probe: ProbeSettings = ProbeSettings()
    """The `[probe]` table; off unless `enabled`."""
    history: str | None = None
    """`[audit] history`: the history database's path (relative to the config's folder);
    None: `.stale-audit/history.sqlite` beside the config."""
    keep_history: bool = True
    """False with `[audit] history = false`: no run is recorded or compared."""

    @property
    def owners(self) -> dict[str, str]:
        return {s.name: s.owner or s.name for s in self.sources}


def load_config(path: str | Path) -> AuditConfig:
    """Read and validate `path`; raise `ConfigError` on the first problem found."""
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: config is not UTF-8 text ({exc.reason})") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from exc
    return parse_config(raw, path)


def parse_config(raw: Mapping[str, Any], path: Path) -> AuditConfig:
    """Validate an already-parsed TOML document that was read from `path`."""
    checker = _Checker(path)
    checker.keys(raw, frozenset(TOP_KEYS), "top level")
    audit = raw.get("audit", {})
    checker.table(audit, "[audit]")
    checker.keys(audit, AUDIT_KEYS, "[audit]")
    name = checker.string(audit, "name", "[audit]", default=path.stem)
    days = checker.number(audit, "stale_after_days", "[audit]", STALE_AFTER_DAYS_RANGE,
                          default=DEFAULT_STALE_AFTER_DAYS, unit="days")
    probe = _check_probe(checker, raw["probe"]) if "probe" in raw else ProbeSettings()
    history = audit.get("history")
    if history is not None and history is not False and (
            not isinstance(history, str) or not history.strip()):
        raise checker.error("[audit]", "history", "must be a file path (the history "
                            "database) or false (keep no history)")
    tables = {kind: tuple(checker.specs(raw, kind)) for kind in
              ("sources", "networks", "logs", "captures")}
    if not tables["sources"]:
        raise ConfigError(f"{path}: no [[sources]] table: nothing to audit "
                          "(add at least one tool export)")
    seen: dict[str, str] = {}
    for kind, specs in tables.items():
        for spec in specs:
            if spec.name in seen:
                raise checker.error(f"[[{kind}]] {spec.name!r}", "name",
                                    f"duplicate name (also used in [[{seen[spec.name]}]]); "
                                    "names must be unique")
            seen[spec.name] = kind
    return AuditConfig(path=path, name=name, stale_after_days=days, sources=tables["sources"],
                       networks=tables["networks"], logs=tables["logs"],
                       captures=tables["captures"], probe=probe,
                       history=history if isinstance(history, str) else None,
                       keep_history=history is not False)


class _Checker:
    """Builds error messages that always say file, table and key."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.root = path.resolve().parent

    def error(self, table: str, key: str | None, message: str) -> ConfigError:
        where = f"{table}, key {key!r}" if key else table
        return ConfigError(f"{self.path}: {where}: {message}")

    def table(self, value: object, where: str) -> None:
        if not isinstance(value, dict):
            raise self.error(where, None, f"must be a table, not {type(value).__name__}")

    def keys(self, table: Mapping[str, Any], valid: frozenset[str], where: str) -> None:
        for key in table:
            if key not in valid:
                hint = difflib.get_close_matches(key, valid, n=1)
                also = f"did you mean {hint[0]!r}? " if hint else ""
                raise self.error(where, key,
                                 f"unknown key; {also}valid: {', '.join(sorted(valid))}")

    def string(self, table: Mapping[str, Any], key: str, where: str, *,
               default: str | None = None) -> str:
        value = table.get(key, default)
        if value is None:
            raise self.error(where, key, "is required")
        if not isinstance(value, str):
            raise self.error(where, key, f"must be a string, not {type(value).__name__}")
        return value

    def number(self, table: Mapping[str, Any], key: str, where: str,
               valid: tuple[float, float], *, default: int | float,
               whole: bool = True, unit: str = "") -> Any:
        """An int (or, unless `whole`, a float) within `valid`, both ends included.

        TOML booleans are ints to Python, and `"14"` is a string: both are refused by name.
        """
        value = table.get(key, default)
        low, high = valid
        kind = "a whole number" if whole else "a number"
        shown = f"{_plain(low)}..{_plain(high)}" + (f" {unit}" if unit else "")
        if isinstance(value, bool) or not isinstance(value, int | float) or \
                (whole and not isinstance(value, int)):
            raise self.error(where, key, f"must be {kind} in {shown}, not "
                             f"{type(value).__name__} {value!r}")
        if not low <= value <= high:  # NaN fails this too
            raise self.error(where, key, f"must be {kind} in {shown}, not {value!r}")
        return value

    def specs(self, raw: Mapping[str, Any], kind: str) -> list[SourceSpec]:
        tables = raw.get(kind, [])
        if isinstance(tables, dict):
            raise self.error(f"[{kind}]", None, f"write it as [[{kind}]] (an array of tables)")
        if not isinstance(tables, list):
            raise self.error(kind, None, f"must be an array of tables [[{kind}]]")
        return [self.spec(kind, number, table) for number, table in enumerate(tables, 1)]

    def spec(self, kind: str, number: int, table: object) -> SourceSpec:
        where = f"[[{kind}]] #{number}"
        self.table(table, where)
        assert isinstance(table, dict)
        name = self.string(table, "name", where)
        where = f"[[{kind}]] {name!r}"
        type_name = self.string(table, "type", where)
        cls = self._type(kind, type_name, where)
        extra = frozenset(getattr(cls, "options", frozenset())) if cls else frozenset()
        live_keys = HTTP_KEYS | frozenset(getattr(cls, "api_options", frozenset())) \
            if getattr(cls, "api", False) else frozenset()
        self.keys(table, COMMON_KEYS[kind] | extra | API_KEYS | live_keys, where)
        options: dict[str, Any] = {}
        url = self._url(kind, type_name, table, where, live_keys)
        # engine = "spark": URIs kept as written, and every file's place in `files`
        spark = kind == "logs" and self._engine(table, where, options, live=url is not None)
        files: list[str] | None = [] if spark else None
        if url is None:
            paths = self._paths(table, where, api=bool(live_keys), files=files)
            if files is not None:
                options["files"] = tuple(dict.fromkeys(files))
        else:
            paths = ()
            for key in sorted(live_keys & table.keys() - {"url"}):
                options[key] = self._api_option(table[key], key, where)
        for key in sorted(extra & table.keys() - {"host"}):
            options[key] = self._option(table[key], key, where)
        poller = table.get("poller")
        if poller is not None and canonical_ip(self.string(table, "poller", where)) is None:
            raise self.error(where, "poller", f"{poller!r} is not an IP address")
        host = table.get("host")
        if host is not None and canonical_ip(self.string(table, "host", where)) is None:
            raise self.error(where, "host", f"{host!r} is not an IP address")
        if host is not None:
            options["host"] = canonical_ip(host)
        spec = SourceSpec(name=name, type=type_name, paths=paths,
                          owner=self.string(table, "owner", where, default=""),
                          poller=canonical_ip(poller) if poller else None,
                          options=options, root=self.root, url=url)
        if cls is not None:
            try:
                cls(spec)  # constructors validate their options and do no I/O
            except ConfigError as exc:
                raise ConfigError(f"{self.path}: {where}: {exc}") from None
        return spec

    def _type(self, kind: str, type_name: str, where: str) -> Any:
        try:
            return lookup(kind, type_name)
        except ConfigError as exc:
            raise self.error(where, "type", str(exc)) from None
        except ImportError as exc:  # a registered connector whose module is broken
            raise self.error(where, "type", f"connector for {type_name!r} failed to load: "
                             f"{exc}") from exc

    def _url(self, kind: str, type_name: str, table: Mapping[str, Any], where: str,
             live_keys: frozenset[str]) -> str | None:
        """The table's `url`, checked; None for a file source (whose API keys are refused)."""
        given = sorted((API_KEYS | live_keys) & table.keys())
        if not live_keys and given:
            readers = api_types(kind)
            which = (f"types that do: {', '.join(readers)}" if readers else
                     f"no [[{kind}]] type reads a live API in this version")
            raise self.error(where, given[0], f"type {type_name!r} reads files only, not a "
                             f"live API ({which}); export to a file and set path")
        stray = sorted((API_KEYS - live_keys) & table.keys())
        if stray:
            raise self.error(where, stray[0], f"type {type_name!r} does not take it; its API "
                             f"keys: {', '.join(sorted(live_keys))}")
        if "url" not in table:
            if given:
                raise self.error(where, given[0], "applies only with url = ... (reading the "
                                 "tool's live API); a file source takes path")
            return None
        if "path" in table or "paths" in table:
            key = "path" if "path" in table else "paths"
            raise self.error(where, key, f"give either {key} (a file export) or url (the "
                             "live API), not both")
        url = self.string(table, "url", where)
        try:
            parts = urlsplit(url)
            parts.port  # noqa: B018 -- raises on a port that is not one
        except ValueError:
            raise self.error(where, "url", "is not a valid URL (e.g. "
                             "https://orion.example.net:17774)") from None
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise self.error(where, "url", "must be an http:// or https:// URL with a host "
                             "(e.g. https://orion.example.net:17774)")
        if parts.username is not None or parts.password is not None:
            raise self.error(where, "url", "holds credentials; secrets never sit in the "
                             "file: name environment variables with username_env and "
                             "password_env (or token_env)")
        if parts.query or parts.fragment:
            raise self.error(where, "url", "must be the server's base URL, without "
                             "?query or #fragment")
        return url

    def _engine(self, table: Mapping[str, Any], where: str, options: dict[str, Any], *,
                live: bool) -> bool:
        """A `[[logs]]` table's `engine` and `spark_master`, into `options`; whether the
        user's Spark folds it."""
        engine = table.get("engine", "local")
        if engine not in ENGINES:
            raise self.error(where, "engine", f"must be one of {', '.join(ENGINES)}, not "
                             f"{engine!r}")
        if "engine" in table:
            options["engine"] = engine
        if "spark_master" in table:
            master = table["spark_master"]
            if engine != "spark":
                raise self.error(where, "spark_master", 'applies only with engine = "spark"')
            if not isinstance(master, str) or not master.strip():
                raise self.error(where, "spark_master", "must be a Spark master URL, e.g. "
                                 '"local[4]", "yarn" or "spark://head.example.net:7077"')
            if re.search(r"//[^/@]*@", master):
                # never echo it: a secret pasted here must not reach a terminal or a log
                raise self.error(where, "spark_master", "holds credentials; secrets never "
                                 "sit in this file: configure them in Spark itself")
            options["spark_master"] = master.strip()
        if engine == "spark" and live:
            raise self.error(where, "engine", '"spark" folds files (path or paths); an '
                             "input read with url is folded by its SIEM")
        return engine == "spark"

    def _api_option(self, value: object, key: str, where: str) -> Any:
        """One key of an API source: numbers in range, `verify`, `*_env` names, words."""
        if key in HTTP_NUMBERS:
            low, high, whole = HTTP_NUMBERS[key]
            unit = "seconds" if key == "timeout" else ""
            return self.number({key: value}, key, where, (low, high), default=0, whole=whole,
                               unit=unit)
        if key == "verify":
            if isinstance(value, bool):
                return value
            if not isinstance(value, str) or not value.strip():
                raise self.error(where, key, "must be true, false or the path of a CA "
                                 'bundle (PEM), e.g. "ca.pem"')
            return self._expand(value, key, where)[0]
        if key.endswith("_env"):
            if not isinstance(value, str) or not _ENV_NAME.fullmatch(value):
                # never echo it: a secret pasted here must not reach a terminal or a log
                raise self.error(where, key, "must name an environment variable (letters, "
                                 "digits, _), e.g. NPM_PASS; the secret itself goes in "
                                 "that variable, never in this file")
            return value
        if not isinstance(value, str):
            raise self.error(where, key, f"must be a string, not {type(value).__name__}")
        return value

    def _paths(self, table: Mapping[str, Any], where: str, *, api: bool = False,
               files: list[str] | None = None) -> tuple[Path, ...]:
        """The local files the table names, globs expanded. With `files` (engine = spark),
        URIs are allowed and kept as written, and `files` gets every file in order."""
        if "path" in table and "paths" in table:
            raise self.error(where, "paths", "give either path or paths, not both")
        if "path" not in table and "paths" not in table:
            also = ", or url = ... for the live API" if api else ""
            raise self.error(where, "path", f"is required (a file, or paths = [globs]{also})")
        key = "path" if "path" in table else "paths"
        value = table[key]
        patterns = [value] if isinstance(value, str) else value
        if not isinstance(patterns, list) or not patterns or \
                not all(isinstance(p, str) and p.strip() for p in patterns):
            raise self.error(where, key, "must be a path or a non-empty list of paths/globs")
        found: list[Path] = []
        for pattern in patterns:
            if _URI.match(pattern):
                if files is None:
                    raise self.error(where, key, f"{pattern.split('://')[0]}:// is a URI; "
                                     'only a [[logs]] table with engine = "spark" reads URIs '
                                     "(through Spark); give a local path")
                files.append(self._uri(pattern, key, where))
                continue
            expanded = self._expand(pattern, key, where)
            found += expanded
            if files is not None:
                files += map(str, expanded)
        return tuple(dict.fromkeys(found))

    def _uri(self, pattern: str, key: str, where: str) -> str:
        """A URI the user's Spark reads (engine = spark), refused when it holds
        credentials."""
        if re.search(r"^[^/]*//[^/@]*@", pattern):
            # never echo it: a secret pasted here must not reach a terminal or a log
            raise self.error(where, key, "a URI holds credentials; secrets never sit in "
                             "this file: configure them in Spark (spark-defaults.conf, "
                             "Hadoop's credential providers)")
        return pattern

    def _expand(self, pattern: str, key: str, where: str) -> list[Path]:
        full = Path(pattern).expanduser()
        if not full.is_absolute():
            full = self.root / full
        if glob.has_magic(pattern):
            matches = rotation_order(Path(p) for p in glob.glob(str(full), recursive=True)
                                     if Path(p).is_file())
            if not matches:
                raise self.error(where, key, f"glob {pattern!r} matches no file "
                                 f"(looked in {full.parent})")
            return matches
        if not full.is_file():
            raise self.error(where, key, f"file not found: {full}")
        return [full]

    def _option(self, value: object, key: str, where: str) -> Any:
        if key.endswith("_path"):
            if not isinstance(value, str):
                raise self.error(where, key, "must be a path string")
            return self._expand(value, key, where)[0]
        if key == "columns":
            if not isinstance(value, dict) or not all(
                    isinstance(v, str) for v in value.values()):
                raise self.error(where, key, 'must be a table of strings, e.g. '
                                 '{ address = "Workstation IP" }')
            return dict(value)
        if isinstance(value, list):   # a list of words (iptables `drop_prefixes`)
            if not all(isinstance(v, str) for v in value):
                raise self.error(where, key, "must be a list of strings")
            return tuple(value)   # the connector checks the words themselves
        if not isinstance(value, str | int | float | bool):
            raise self.error(where, key, f"must be a string, not {type(value).__name__}")
        return value


def _check_probe(checker: _Checker, probe: object) -> ProbeSettings:
    """The `[probe]` table as `ProbeSettings`: probing stays off unless `enabled`, and then
    `allow` must bound it."""
    checker.table(probe, "[probe]")
    assert isinstance(probe, dict)
    checker.keys(probe, PROBE_KEYS, "[probe]")
    enabled = probe.get("enabled", False)
    if not isinstance(enabled, bool):
        raise checker.error("[probe]", "enabled", f"must be true or false, not {enabled!r}")
    numbers: dict[str, Any] = {}
    for key, (low, high, whole) in PROBE_NUMBERS.items():
        if key in probe:
            numbers[key] = checker.number(probe, key, "[probe]", (low, high), default=0,
                                          whole=whole)
    envs: dict[str, str] = {}
    for key in sorted(k for k in probe if k.endswith("_env")):
        value = checker.string(probe, key, "[probe]")
        if not _ENV_NAME.fullmatch(value):
            # never echo it: a secret pasted here must not reach a terminal or a log
            raise checker.error("[probe]", key, "must name an environment variable "
                                "(letters, digits, _), e.g. SNMP_COMMUNITY; the secret itself "
                                "goes in that variable, never in this file")
        envs[key] = value
    allow = probe.get("allow", [])
    if not isinstance(allow, list) or not all(isinstance(p, str) for p in allow):
        raise checker.error("[probe]", "allow", 'must be a list of prefixes, e.g. '
                            '["10.0.0.0/8"]')
    prefixes = []
    for text in allow:
        prefix = canonical_prefix(text)
        if prefix is None:
            raise checker.error("[probe]", "allow", f"{text!r} is not a prefix (e.g. "
                                '"10.20.0.0/16" or one address)')
        if "/" in text and canonical_ip(text.split("/")[0]) != prefix.partition("/")[0]:
            raise checker.error("[probe]", "allow", f"{text!r} has host bits set; did you "
                                f"mean {prefix!r}?")
        prefixes.append(prefix)
    ports = probe.get("tcp_ports", "polled")
    if ports != "polled" and not (isinstance(ports, list) and all(
            isinstance(p, int) and not isinstance(p, bool) and 1 <= p <= 65535
            for p in ports)):
        raise checker.error("[probe]", "tcp_ports", 'must be "polled" or a list of ports '
                            f"in 1..65535, not {ports!r}")
    protocols: dict[str, str] = {}
    for key, valid in (("snmp_auth_protocol", AUTH_PROTOCOLS),
                       ("snmp_priv_protocol", PRIV_PROTOCOLS)):
        if key in probe:
            word = probe[key]
            if not isinstance(word, str) or word.lower() not in valid:
                raise checker.error("[probe]", key, f"must be one of {', '.join(valid)}, not "
                                    f"{word!r}")
            protocols[key] = word.lower()
    if "snmp_priv_env" in envs and "snmp_auth_env" not in envs:
        raise checker.error("[probe]", "snmp_priv_env", "SNMPv3 privacy needs "
                            "authentication too: name snmp_auth_env as well")
    for key in ("snmp_auth_env", "snmp_priv_env"):
        if key in envs and "snmp_user_env" not in envs:
            raise checker.error("[probe]", key, "is an SNMPv3 key: name the user with "
                                "snmp_user_env as well")
    if enabled and not prefixes:
        raise checker.error("[probe]", "allow", "is required when enabled = true: list the "
                            'prefixes probing may reach, e.g. allow = ["10.0.0.0/8"]; '
                            "nothing outside them is ever probed")
    return ProbeSettings(
        enabled=enabled, allow=tuple(prefixes),
        snmp_community_env=envs.get("snmp_community_env"),
        snmp_user_env=envs.get("snmp_user_env"), snmp_auth_env=envs.get("snmp_auth_env"),
        snmp_priv_env=envs.get("snmp_priv_env"),
        tcp_ports=None if ports == "polled" else tuple(dict.fromkeys(ports)),
        snmp_auth_protocol=protocols.get("snmp_auth_protocol", "sha"),
        snmp_priv_protocol=protocols.get("snmp_priv_protocol", "aes"), **numbers)


def _plain(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else str(number)


def api_types(kind: str) -> list[str]:
    """The types of config table `kind` that read a live API (`url = ...`)."""
    readers = []
    for name in sorted(REGISTRIES[kind]):
        try:
            cls = lookup(kind, name)
        except ImportError:  # a broken connector: its own sources say so
            continue
        if getattr(cls, "api", False):
            readers.append(name)
    return readers


def valid_types() -> dict[str, list[str]]:
    """Every config table and the types it accepts (for `--help` and error hints)."""
    return {kind: sorted(reg) for kind, reg in REGISTRIES.items()}


def file_log_types() -> list[str]:
    """The log types read from files (`logs` and `events --type`): not the SIEMs'."""
    return sorted(REGISTRIES["logs"].keys() - SIEM_LOGS)

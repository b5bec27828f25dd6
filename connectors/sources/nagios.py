"""Nagios Core: hosts from object configuration files, last checks from `status.dat`.

Object files (`define host {...}`, `define service {...}`, `define hostgroup {...}`; or
`objects.cache`, which Nagios writes with every template already applied) are read as
Nagios reads them: `#` and `;` comment lines, `;` comments after a value (`\\;` is a
semicolon), lines continued with a trailing backslash, `use a,b` template inheritance
(the first template wins, recursively; `register` and `name` are not inherited; `null`
unsets), `register 0` for templates. Give every file the hosts and their templates live in:
templates are looked up across all of them. A template that none of them defines is
counted among the skipped lines (Nagios itself would refuse to start), and its host read
with Nagios's defaults.

One record per host, at the address it is checked on (`address`, else its `host_name`,
as Nagios does: a name-only record). It is polled when Nagios sends it anything: its host
check (active checks on and a `check_command`) or any active service check on it (by
`host_name`, `*` and `!host` included, or `hostgroup_name`). The protocol is the first
such check's, told from the command's name (`check_snmp` UDP/161, `check-host-alive` and
`check_ping` ICMP, `check_tcp!port`...); command arguments, where communities live, are
never read.

`status_path` (optional) points at `status.dat`: `hoststatus` gives `current_state` (0 up,
1 down, 2 unreachable), `last_time_up` (last success), `last_check`, and the runtime
`active_checks_enabled`, which overrides the files (a check disabled from the web UI).
When the host check is off, the host's state is stale: the state is unknown, and the last
success is the newest `last_time_ok` of its active services (an OK service check got an
answer). Poller: the option `poller` (the Nagios server).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from auditor.addresses import canonical_host
from auditor.errors import SourceError
from auditor.model import Target, ToolState
from connectors.base import SkippedLine, TargetSource
from connectors.shared.values import epoch_ms
from connectors.sources.snmp.common import is_remote

_DEFINE = re.compile(r"^define\s+([A-Za-z_]+)\s*\{\s*(.*)$")
_DIRECTIVE = re.compile(r"^(\S+)\s*(.*)$")
_STATUS_BLOCK = re.compile(r"^([a-z]+)\s*\{\s*$")

#: Directives an object never takes from its templates.
_NOT_INHERITED = frozenset({"register", "name", "use"})

#: Check command names (before the first `!`) -> what reaches the host. Prefix matches.
_COMMANDS: tuple[tuple[str, str | None, int | None], ...] = (
    ("check_snmp", "udp", 161), ("check-snmp", "udp", 161), ("snmp", "udp", 161),
    ("check-host-alive", "icmp", None), ("check_host", "icmp", None),
    ("check_ping", "icmp", None), ("check-ping", "icmp", None), ("check_icmp", "icmp", None),
    ("check_fping", "icmp", None), ("check_ssh", "tcp", 22), ("check_https", "tcp", 443),
    ("check_http", "tcp", 80), ("check_ftp", "tcp", 21), ("check_smtp", "tcp", 25),
    ("check_ldap", "tcp", 389), ("check_dns", "udp", 53), ("check_ntp", "udp", 123),
    ("check_nrpe", "tcp", 5666), ("check_nt", "tcp", 12489), ("check_tcp", "tcp", None),
    ("check_udp", "udp", None),
)

_STATES = {"0": ToolState.UP, "1": ToolState.DOWN, "2": ToolState.DOWN}


@dataclass(slots=True)
class _Object:
    """One `define` block: its directives (value, line) and where it starts."""

    kind: str
    path: Path | str
    line: int
    values: dict[str, tuple[str, int]] = field(default_factory=dict)

    def get(self, key: str) -> str:
        return self.values.get(key, ("", 0))[0]


@dataclass(frozen=True, slots=True)
class _Check:
    """An active check that reaches a host: a host check or a service."""

    what: str
    """`host check` or `service 'SNMP uptime'`."""
    command: str


class NagiosSource(TargetSource):
    """Hosts of Nagios Core object files, with status.dat's last checks when given."""

    type = "nagios"
    options = frozenset({"status_path"})

    def fetch(self) -> list[Target]:
        self.skipped = []
        objects: list[_Object] = []
        for path in self.spec.paths:
            objects += self.objects(self.io.read_text(path), path)
        raw = self.spec.options.get("status_path")
        status = _Status()
        if raw is not None:
            path = Path(raw)
            status = _Status.parse(self.io.read_text(path), path)
        targets = self.targets(objects, status)
        if not targets and not self.skipped:
            raise SourceError("no `define host` that is a host (register 0 marks templates) "
                              "in any of the files",
                              path=", ".join(str(p) for p in self.spec.paths))
        return targets

    # -- object files -----------------------------------------------------------------------

    def objects(self, text: str, origin: Path | str) -> list[_Object]:
        """Every `define` block of one object file, directives with their lines."""
        found: list[_Object] = []
        current: _Object | None = None
        for number, line in _logical_lines(text):
            if not line:
                continue
            if current is None:
                match = _DEFINE.match(line)
                if match is None:
                    if line.startswith("define"):
                        raise SourceError("a define without `{` on its line", path=origin,
                                          line=number)
                    continue  # nagios.cfg-style or stray text outside any define
                current = _Object(match.group(1).lower(), origin, number)
                line = match.group(2)
                if not line:
                    continue
            closing = line.endswith("}")
            body = line[:-1].strip() if closing else line
            if body:
                directive = _DIRECTIVE.match(body)
                assert directive is not None  # `body` is not blank
                key = directive.group(1).lower()
                current.values[key] = (directive.group(2).strip(), number)  # last one wins
            if closing:
                found.append(current)
                current = None
        if current is not None:
            raise SourceError(f"define {current.kind} is never closed with `}}`", path=origin,
                              line=current.line)
        return found

    def targets(self, objects: list[_Object], status: _Status) -> list[Target]:
        """One record per host, with what checks it."""
        resolver = _Resolver(objects, self)
        hosts: dict[str, _Object] = {}
        records: list[tuple[_Object, dict[str, str]]] = []
        for obj in objects:
            if obj.kind != "host" or obj.get("register") == "0":
                continue
            values = resolver.resolve(obj)
            name = values.get("host_name", "")
            if not name:
                self._skip(obj, obj.line, "a host definition without host_name (only a "
                           "template, with register 0, may go without one)")
                continue
            if name in hosts:
                first = hosts[name]
                self._skip(obj, obj.line, f"host {name} is defined again (first at "
                           f"{self.spec.where(first.path, first.line)}); Nagios refuses "
                           "duplicates")
                continue
            hosts[name] = obj
            records.append((obj, values))
        services = _services(objects, resolver, set(hosts), records)
        targets = []
        for obj, values in records:
            made = self._target(obj, values, services.get(values["host_name"], []), status,
                                resolver.incomplete(obj))
            if made is not None:
                targets.append(made)
        return targets

    def _target(self, obj: _Object, values: dict[str, str], services: list[_Check],
                status: _Status, incomplete: bool) -> Target | None:
        name = values["host_name"]
        text = values.get("address") or name
        where = self.spec.where(obj.path, obj.line)
        address = canonical_host(text)
        if address is None:
            self._skip(obj, obj.values.get("address", ("", obj.line))[1],
                       f"host {name}: address {text!r} is neither an IP address nor a host "
                       "name")
            return None
        if not is_remote(address):
            self._skip(obj, obj.line, f"host {name}: address {text} is the polling host "
                       "itself; no packet crosses the network")
            return None
        host_status = status.hosts.get(name, {})
        active = (host_status.get("active_checks_enabled")
                  or values.get("active_checks_enabled", "1")) != "0"
        command = values.get("check_command", "")
        # A template nobody gave may hold the check_command: assume Nagios's usual.
        host_check = active and bool(command or incomplete)
        live = [s for s in services
                if status.services.get((name, s.what), {}).get("active_checks_enabled", "1")
                != "0"]
        checks = ([_Check("host check", command)] if host_check else []) + live
        polled = bool(checks)
        looks = [status.time(host_status, "last_check")] + [
            status.time(status.services.get((name, s.what), {}), "last_check") for s in live]
        seen = max((t for t in looks if t is not None), default=None)
        if not polled:
            state, last_ok = ToolState.DISABLED, None
        elif host_check:
            checked = host_status.get("has_been_checked") == "1"
            state = _STATES.get(host_status.get("current_state", ""), ToolState.UNKNOWN) \
                if checked else ToolState.UNKNOWN
            last_ok = status.time(host_status, "last_time_up")
        else:  # only services reach it; the host's own state is not refreshed
            state = ToolState.UNKNOWN
            oks = [status.time(status.services.get((name, s.what), {}), "last_time_ok")
                   for s in live]
            last_ok = max((t for t in oks if t is not None), default=None)
        first = checks[0].command if checks else command
        protocol, port = _protocol(first)
        return Target(
            address=address, source=self.spec.name, kind=self.type, id=name, name=name,
            polled=polled, state=state, last_ok=last_ok, seen=seen, poller=self.spec.poller,
            location=where, owner=self.spec.owner,
            fix=_fix(name, where, host_check, live), protocol=protocol, port=port,
            aliases=tuple(a for a in (canonical_host(name),) if a and a != address))

    def _skip(self, obj: _Object, line: int, reason: str) -> None:
        self.skipped.append(SkippedLine(self.spec.where(obj.path, line or obj.line), reason))


class _Resolver:
    """Template inheritance over every file read (`use a,b`: the first template wins)."""

    def __init__(self, objects: list[_Object], source: NagiosSource) -> None:
        self.templates: dict[tuple[str, str], _Object] = {}
        for obj in objects:
            name = obj.get("name")
            if name:
                self.templates.setdefault((obj.kind, name), obj)
        self.source = source
        self.missing: set[tuple[str, str]] = set()
        self._cache: dict[int, dict[str, str]] = {}
        self._incomplete: set[int] = set()

    def resolve(self, obj: _Object, seen: frozenset[int] = frozenset()) -> dict[str, str]:
        """The object's directives with what its templates give, `null` values unset."""
        cached = self._cache.get(id(obj))
        if cached is not None:
            return cached
        values = {k: v for k, (v, _line) in obj.values.items()}
        use, line = obj.values.get("use", ("", obj.line))
        for name in _names(use):
            template = self.templates.get((obj.kind, name))
            if template is None:
                self._incomplete.add(id(obj))
                if (obj.kind, name) not in self.missing:
                    self.missing.add((obj.kind, name))
                    self.source._skip(obj, line, f"{obj.kind} template {name!r} is not in "
                                      "the files read: what it sets (check_command, "
                                      "active_checks_enabled...) is unknown; add its file "
                                      "(or objects.cache) to paths")
                continue
            if id(template) in seen or template is obj:
                continue  # a loop of templates: Nagios refuses it; stop here
            inherited = self.resolve(template, seen | {id(obj)})
            if id(template) in self._incomplete:
                self._incomplete.add(id(obj))
            for key, value in inherited.items():
                if key not in _NOT_INHERITED:
                    values.setdefault(key, value)
        resolved = {k: v for k, v in values.items() if v != "null"}
        self._cache[id(obj)] = resolved
        return resolved

    def incomplete(self, obj: _Object) -> bool:
        """Whether a template the object inherits from was missing."""
        return id(obj) in self._incomplete


def _services(objects: list[_Object], resolver: _Resolver, hosts: set[str],
              records: list[tuple[_Object, dict[str, str]]]) -> dict[str, list[_Check]]:
    """Host name -> the active service checks that reach it."""
    groups: dict[str, set[str]] = {}
    nested: dict[str, list[str]] = {}
    for obj in objects:
        if obj.kind == "hostgroup" and obj.get("register") != "0":
            values = resolver.resolve(obj)
            group = values.get("hostgroup_name", "")
            groups.setdefault(group, set()).update(_names(values.get("members", "")))
            nested[group] = _names(values.get("hostgroup_members", ""))
    for _obj, values in records:
        for group in _names(values.get("hostgroups", "").lstrip("+")):
            groups.setdefault(group, set()).add(values["host_name"])
    out: dict[str, list[_Check]] = {}
    for obj in objects:
        if obj.kind != "service" or obj.get("register") == "0":
            continue
        values = resolver.resolve(obj)
        if values.get("active_checks_enabled", "1") == "0":
            continue
        command = values.get("check_command", "")
        if not command and not resolver.incomplete(obj):
            continue  # Nagios refuses a service without one; nothing is sent
        targets = _members(values.get("host_name", ""), hosts)
        for group in _names(values.get("hostgroup_name", "")):
            if group.startswith("!"):
                targets -= _group_hosts(group[1:], groups, nested)
            else:
                targets |= _group_hosts(group, groups, nested)
        check = _Check(f"service {values.get('service_description', '?')!r}", command)
        for host in sorted(targets):
            out.setdefault(host, []).append(check)
    return out


def _members(text: str, hosts: set[str]) -> set[str]:
    names = _names(text)
    chosen = set(hosts) if "*" in names else {n for n in names if not n.startswith("!")}
    return (chosen - {n[1:] for n in names if n.startswith("!")}) & hosts


def _group_hosts(group: str, groups: dict[str, set[str]], nested: dict[str, list[str]],
                 seen: frozenset[str] = frozenset()) -> set[str]:
    members = set(groups.get(group, set()))
    for child in nested.get(group, []):
        if child not in seen:
            members |= _group_hosts(child, groups, nested, seen | {group})
    return members


def _names(text: str) -> list[str]:
    return [n.strip() for n in text.split(",") if n.strip()]


def _logical_lines(text: str) -> Iterable[tuple[int, str]]:
    """(first line number, text) of each line as Nagios reads it: continuations joined,
    comment lines blank, `;` comments cut (`\\;` kept as `;`), spaces trimmed."""
    pending = ""
    start = 0
    for number, raw in enumerate(text.lstrip("\ufeff").splitlines(), 1):
        if not pending:
            start = number
        line = raw.rstrip()
        if line.endswith("\\") and not line.endswith("\\\\"):
            pending += line[:-1]
            continue
        line = (pending + line).strip()
        pending = ""
        if line.startswith(("#", ";")):
            yield start, ""
            continue
        cut = re.search(r"(?<!\\);", line)
        if cut is not None:
            line = line[:cut.start()].rstrip()
        yield start, line.replace("\\;", ";")
    if pending:
        yield start, pending.strip()


def _protocol(command: str) -> tuple[str | None, int | None]:
    name, _, args = command.partition("!")
    name = name.strip().lower()
    for prefix, protocol, port in _COMMANDS:
        if name.startswith(prefix):
            if port is None and protocol in ("tcp", "udp"):
                first = args.split("!", 1)[0].strip()
                port = int(first) if first.isdigit() and 0 < int(first) < 65536 else None
            return protocol, port
    return None, None


def _fix(name: str, where: str, host_check: bool, services: list[_Check]) -> str:
    what = f"Delete host {name} and its services ({where}) in Nagios"
    if host_check:
        return what
    if services:
        return f"{what}: its host check is off, but {services[0].what} still checks it"
    return f"Delete host {name} ({where}) in Nagios (nothing checks it actively)"


@dataclass(frozen=True, slots=True)
class _Status:
    """status.dat: each host's and service's last known state."""

    hosts: dict[str, dict[str, str]] = field(default_factory=dict)
    services: dict[tuple[str, str], dict[str, str]] = field(default_factory=dict)
    path: Path | None = None

    @classmethod
    def parse(cls, text: str, path: Path) -> _Status:
        hosts: dict[str, dict[str, str]] = {}
        services: dict[tuple[str, str], dict[str, str]] = {}
        kind: str | None = None
        block: dict[str, str] = {}
        start = 0
        for number, raw in enumerate(text.splitlines(), 1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            if kind is None:
                match = _STATUS_BLOCK.match(line)
                if match is None:
                    raise SourceError(f"expected a status block (`hoststatus {{`), got "
                                      f"{line[:40]!r}", path=path, line=number)
                kind, block, start = match.group(1), {}, number
            elif line == "}":
                if kind == "hoststatus" and block.get("host_name"):
                    hosts[block["host_name"]] = block
                elif kind == "servicestatus" and block.get("host_name"):
                    what = f"service {block.get('service_description', '?')!r}"
                    services[(block["host_name"], what)] = block
                kind = None
            else:
                key, sep, value = line.partition("=")
                if not sep:
                    raise SourceError(f"{kind}: expected key=value, got {line[:40]!r}",
                                      path=path, line=number)
                block[key] = value
        if kind is not None:
            raise SourceError(f"{kind} block is never closed", path=path, line=start)
        if not hosts and "info" not in text:
            raise SourceError("not a Nagios status.dat (no hoststatus block)", path=path)
        return cls(hosts, services, path)

    def time(self, block: dict[str, str], key: str) -> datetime | None:
        """An epoch field of a status block (0: never) as naive UTC."""
        text = block.get(key, "")
        if not text or text == "0":
            return None
        if not text.isdigit():
            raise SourceError(f"{block.get('host_name', '?')}: {key}={text!r} is not epoch "
                              "seconds", path=self.path, field=key)
        return epoch_ms(int(text) * 1000)


__all__ = ["NagiosSource"]

"""The values every stage passes along: targets, networks, log events, findings.

Connectors produce `Target`, `Network` and `LogEvent`; the engine folds them into
`Finding` and `GhostFlow`; reporters read one `AuditResult`. Nothing here does I/O.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class Verdict(StrEnum):
    """What the audit concludes about one address."""

    STALE = "stale"
    """The network is gone (outside every live network, deprecated, no route); nothing answers."""
    UNREACHABLE = "unreachable"
    """Inside a live network, but the only evidence is negative (drops, timeouts, tool down)."""
    CONFLICT = "conflict"
    """Positive and strong negative evidence at once: one of the inputs is probably incomplete."""
    ACTIVE = "active"
    """Positive evidence: a recent successful poll, answered traffic, a probe that answered."""
    UNVERIFIED = "unverified"
    """No evidence either way."""


#: The years a date in an export may fall in, both included. Outside them a cell holds a
#: placeholder or junk, not a time: year 9999 plus a day overflows `datetime`, and a
#: last-success in year 1 makes every age absurd.
MIN_YEAR, MAX_YEAR = 1900, 9000

#: Report order: most urgent first.
VERDICT_ORDER = (Verdict.STALE, Verdict.CONFLICT, Verdict.UNREACHABLE, Verdict.UNVERIFIED,
                 Verdict.ACTIVE)


class Reason(StrEnum):
    """Why a verdict was reached (closed list; the report spells each out)."""

    OUTSIDE_LIVE_NETWORKS = "outside-live-networks"
    """The address is in no live network that any network source lists."""
    DEPRECATED_NETWORK = "deprecated-network"
    """The most specific network holding the address is marked deprecated or retired."""
    NO_ROUTE = "no-route"
    """The firewall logged that it had no route or egress interface for the address."""
    ACL_DENY = "acl-deny"
    """The firewall denied traffic to the address by access list."""
    SYN_RETRANSMIT = "syn-retransmit"
    """The firewall saw the same TCP SYN again with a new sequence number: nobody answers."""
    SYN_TIMEOUT = "syn-timeout"
    """A TCP connection to the address was torn down by SYN Timeout: no handshake."""
    TOOL_DOWN = "tool-down"
    """The tool itself has not reached the address for longer than `stale_after_days`."""
    TOOL_UP = "tool-up"
    """The tool reached the address recently."""
    TRAFFIC_ANSWERED = "traffic-answered"
    """The firewall saw a connection to the address that carried data."""
    PROBE_FAILED = "probe-failed"
    """An active probe got no answer."""
    PROBE_OK = "probe-ok"
    """An active probe got an answer."""
    DNS_UNRESOLVED = "dns-unresolved"
    """The record names a host that does not resolve to an address."""



class Signal(StrEnum):
    """What one firewall log line says about its destination."""

    NO_ROUTE = "no-route"
    """No route or egress interface for the destination (110002, 110003)."""
    ACL_DENY = "acl-deny"
    """Denied by an access list or an inbound-deny rule (106001, 106006, 106023, 106100...)."""
    SYN_RETRANSMIT = "syn-retransmit"
    """Duplicate TCP SYN with a new ISN (419002)."""
    SYN_TIMEOUT = "syn-timeout"
    """TCP teardown with reason SYN Timeout (302014)."""
    TRAFFIC_ANSWERED = "traffic-answered"
    """A TCP connection torn down after carrying data (302014 with bytes > 0)."""
    OTHER = "other"
    """Recognised, carries no evidence either way (builds, translations, permits)."""


#: Signals that count as dropped or unanswered traffic.
DROP_SIGNALS = frozenset({Signal.NO_ROUTE, Signal.ACL_DENY, Signal.SYN_RETRANSMIT,
                          Signal.SYN_TIMEOUT})


class ToolState(StrEnum):
    """A record's state in its own tool, normalised."""

    UP = "up"
    """The tool says the target answers."""
    DOWN = "down"
    """The tool says the target does not answer (down, unreachable, could not poll)."""
    UNKNOWN = "unknown"
    """The tool keeps no state, or it is not one of the above."""
    UNMANAGED = "unmanaged"
    """Parked: the tool keeps the record but does not poll it."""
    DISABLED = "disabled"
    """Polling, auditing or notification is switched off for the record."""
    RETIRED = "retired"
    """The record is marked retired or disposed."""


class NetworkStatus(StrEnum):
    """What a network source says about a prefix."""

    ACTIVE = "active"
    """Exists: routed, connected, or active/reserved in IPAM."""
    DEPRECATED = "deprecated"
    """Gone: IPAM marks it deprecated or retired."""
    CONTAINER = "container"
    """Only an aggregate: proves nothing about what lives inside."""
    BLACKHOLE = "blackhole"
    """A blackhole, unreachable or prohibit route: where traffic goes to die."""


class SourceStatus(StrEnum):
    """Whether an input could be read."""

    OK = "ok"
    FAILED = "failed"


#: What a capture attributes: ("dst", address, port) for a connection a process opened,
#: ("src", host, local port) for a socket it held -> "process on host (capture, file:line)".
ProcessKey = tuple[str, str, int | None]


@dataclass(frozen=True, slots=True)
class Target:
    """One record in one tool that makes the tool send to `address`.

    Identity is (source, id, address); everything else describes the record.
    """

    address: str
    """Canonical IP text (netaddr form), or the host name when the record holds no address."""
    source: str
    """The config name of the source that holds the record."""
    kind: str
    """The source type (`solarwinds-npm`, `trackit`, ...)."""
    id: str
    """The record's key in its tool (NodeID, Asset ID, switchDbID, file:line)."""
    name: str
    """The record's display name in its tool."""
    polled: bool
    """Whether the tool still sends traffic to the address because of this record."""
    state: ToolState = ToolState.UNKNOWN
    last_ok: datetime | None = None
    """Last time the tool reached the address successfully (UTC, naive)."""
    seen: datetime | None = None
    """Last time the tool looked at the record at all (LastSync, lastScanTime), for its clock."""
    poller: str | None = None
    """The address the tool sends from, when known."""
    location: str = ""
    """Where the record was read: `file` or `file:line`."""
    owner: str = ""
    fix: str = ""
    """What the tool owner does to stop the traffic, in the tool's own words."""
    protocol: str | None = None
    """`tcp`/`udp`/`icmp`: what the tool sends to the target, when known."""
    port: int | None = None
    aliases: tuple[str, ...] = ()
    """Other names the tool knows the device by (DNS name, sysName), lower case; with
    `name`, what links a record that holds only a host name to this record's address."""

    def key(self) -> tuple[str, str, str]:
        return (self.source, self.id, self.address)


@dataclass(frozen=True, slots=True)
class Network:
    """One prefix from a network source."""

    prefix: str
    """Canonical CIDR text, e.g. `10.10.0.0/16`."""
    source: str
    status: NetworkStatus = NetworkStatus.ACTIVE
    location: str = ""
    description: str = ""

    def key(self) -> tuple[str, str]:
        return (self.source, self.prefix)


@dataclass(frozen=True, slots=True)
class LogEvent:
    """One recognised firewall log line, endpoints in initiator -> target order."""

    line: int
    time: datetime | None
    device: str
    message: str
    """The vendor's message id, e.g. `419002`."""
    signal: Signal
    protocol: str | None = None
    src: str | None = None
    sport: int | None = None
    dst: str | None = None
    dport: int | None = None
    count: int = 1
    """How many packets or hits the line stands for (106100 hit-cnt); 1 otherwise."""


@dataclass(slots=True)
class LogStats:
    """Counts over every log line read."""

    lines: int = 0
    parsed: int = 0
    unparsed: int = 0
    by_message: Counter[str] = field(default_factory=Counter)

    def merge(self, other: LogStats) -> None:
        self.lines += other.lines
        self.parsed += other.parsed
        self.unparsed += other.unparsed
        self.by_message.update(other.by_message)


@dataclass(frozen=True, slots=True)
class Traffic:
    """What the firewall logs say about one destination address."""

    drops: int = 0
    answered: int = 0
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    by_message: dict[str, int] = field(default_factory=dict)
    by_signal: dict[str, int] = field(default_factory=dict)


class ProbeKind(StrEnum):
    """What an active probe asks the target (opt-in, `[probe]`)."""

    SNMP = "snmp"
    """An SNMP GET of sysUpTime.0 and sysName.0, v2c or v3."""
    TCP = "tcp"
    """A TCP connect to the port a record's tool polls, or to a listed port."""
    DNS = "dns"
    """A look-up, through the system resolver, of a host name that a record holds."""


class ProbeStatus(StrEnum):
    """What came back from one probe."""

    OK = "ok"
    """The target answered as asked: SNMP values, an accepted connection, an address."""
    REFUSED = "refused"
    """The host answered with a refusal (a TCP reset): it is there, the port is closed."""
    DENIED = "denied"
    """The SNMP agent answered but refused the credentials (unknown user, wrong digest)."""
    TIMEOUT = "timeout"
    """No answer within the timeout, on every attempt."""
    UNREACHABLE = "unreachable"
    """The network said the host cannot be reached (ICMP unreachable, no route)."""
    UNRESOLVED = "unresolved"
    """The resolver says the name does not exist or has no address."""
    ERROR = "error"
    """The probe could not be made or read (a local error, a resolver failure): no
    evidence either way."""
    SKIPPED = "skipped"
    """Not probed: outside `allow`, or nothing to ask; the error says why."""


#: Statuses that prove something is there: the host or its agent answered.
PROBE_ANSWERED = frozenset({ProbeStatus.OK, ProbeStatus.REFUSED, ProbeStatus.DENIED})
#: Statuses that say nothing answered.
PROBE_SILENT = frozenset({ProbeStatus.TIMEOUT, ProbeStatus.UNREACHABLE})


@dataclass(frozen=True, slots=True)
class ProbeResult:
    """One probe of one target (or one look-up of one name), and what came back."""

    address: str
    """The address probed; for a DNS look-up, the host name."""
    kind: ProbeKind
    status: ProbeStatus
    port: int | None = None
    latency: float | None = None
    """Seconds from the request to the answer (the last attempt's); None when nothing
    answered."""
    error: str | None = None
    """What went wrong, or why it was skipped, in words; None when it answered as asked."""
    detail: str = ""
    """What answered: the agent's sysName and uptime, the addresses a name resolves to."""
    attempts: int = 0
    """Requests made, retries included; 0 when skipped."""
    answers: tuple[str, ...] = ()
    """DNS: the addresses the name resolves to, the one its records are linked to first."""


@dataclass(frozen=True, slots=True)
class ProbeRun:
    """Every probe of one run, and what the run itself sent."""

    results: tuple[ProbeResult, ...]
    """Every probe and every skip, addresses in order, DNS look-ups first."""
    packets: int
    """Packets the audit itself sent to targets: each TCP SYN (kernel retransmissions
    included), the ACK and reset that close an answered handshake, each SNMP request."""
    dns_lookups: int
    """Look-ups asked of the system resolver (the packets it sends depend on its own
    configuration: search domains, A and AAAA, its retries)."""
    seconds: float
    """Wall time of the run."""
    rate: float
    """The `rate` it held to, packets per second at most."""
    peak_sockets: int = 0
    """The most sockets the probes held open at once."""
    allow: tuple[str, ...] = ()
    """The prefixes probing was limited to."""
    outside_allow: tuple[str, ...] = ()
    """Addresses that records point at but lie outside `allow`: never probed."""


@dataclass(slots=True, unsafe_hash=True)
class Finding:
    """The audit's conclusion about one address, with the records behind it.

    Treated as immutable like the other values here, but not `frozen`: an audit builds one
    per address, a million at a time, and a frozen dataclass costs five times as much to
    build (it sets each field through `object.__setattr__`). Hashed and compared by value.
    """

    address: str
    verdict: Verdict
    polled: bool
    reasons: tuple[Reason, ...]
    network: str | None
    """The most specific live network holding the address, if any."""
    records: tuple[Target, ...]
    traffic: Traffic | None
    action: str
    names: tuple[str, ...] = ()
    """Host names that records hold instead of an address and that another record of the
    audit, or the DNS answer of an opt-in probe, ties to this address."""


@dataclass(frozen=True, slots=True)
class GhostFlow:
    """Dropped or unanswered traffic to a destination that no source holds."""

    src: str
    dst: str
    protocol: str
    port: int | None
    count: int
    first_seen: datetime | None
    last_seen: datetime | None
    reasons: tuple[Reason, ...]
    attribution: str | None


@dataclass(frozen=True, slots=True)
class FoldedFlows:
    """Flows counted together instead of listed: how many, and how many log lines."""

    flows: int = 0
    lines: int = 0


@dataclass(frozen=True, slots=True)
class InboundNoise:
    """Drops whose sender is in no live network and is no known poller: the internet
    knocking. A count for the summary, never a ghost flow."""

    flows: int = 0
    lines: int = 0
    top_ports: tuple[tuple[str, int | None, int], ...] = ()
    """(protocol, destination port, lines), most lines first."""
    top_senders: tuple[tuple[str, int], ...] = ()
    """(sender, lines), most lines first."""


@dataclass(frozen=True, slots=True)
class InputStatus:
    """How one configured input (source, network, log, capture) loaded."""

    name: str
    type: str
    role: str
    """`source`, `network`, `log` or `capture`: the config table it came from."""
    status: SourceStatus
    records: int
    error: str | None = None
    internal: bool = False
    """The failure was a bug (an unexpected exception), not a broken input: exit 4."""
    skipped: int = 0
    """Lines of the input that gave no record (each counted, with its reason, in `notes`)."""
    notes: tuple[str, ...] = ()
    """The first few skipped lines, `location: reason`."""
    seconds: float | None = None
    """How long reading it took (`stale-audit sources` shows it; not in the JSON report)."""
    engine: str | None = None
    """Logs only: where the lines were folded (`local`, `spark`, `splunk`, ...)."""
    query: str | None = None
    """Logs only: the query a SIEM ran, or the job an engine ran, secrets removed."""
    rows: int | None = None
    """Logs only: rows a SIEM (or an engine's partial folds) returned."""

    def where_read(self) -> str | None:
        """Where a log input was folded, when not here: `splunk: 1,234 rows in 2.1 s`
        (the query is shown apart: it is long). None for files folded locally."""
        if self.role != "log" or self.engine in (None, "local"):
            return None
        rows = f", {self.rows:,} rows" if self.rows is not None else ""
        took = f" in {self.seconds:.1f} s" if self.seconds is not None else ""
        return f"{self.engine}{rows}{took}"


@dataclass(frozen=True, slots=True)
class Change:
    """One flagged address compared with the previous audit of the same name."""

    address: str
    verdict_then: Verdict | None
    """Its verdict in the previous audit; None when no record held it then."""
    verdict_now: Verdict | None
    """Its verdict now; None when no record holds it any more."""
    polled: bool
    """Whether a tool still sends to it (now; for an address gone, as it was then)."""
    owners: tuple[str, ...]
    """Who holds its records (now; for an address gone, then)."""
    sources: tuple[str, ...]
    names: tuple[str, ...]
    """The records' names in their tools."""
    first_flagged: datetime | None
    """The first audit (`as_of`) in which it was stale, conflict or unreachable."""
    in_a_row: int
    """Audits in a row it has been flagged, this one included; for a resolved address,
    the run that just ended."""
    last_answering: datetime | None
    """The last audit in which it was active or something answered (tool up, answered
    traffic, a probe); None when never seen answering."""
    last_ok: datetime | None
    """The newest success any of its tools reports for it (the tools' own "last OK")."""


@dataclass(frozen=True, slots=True)
class Changes:
    """The current audit against the previous one of the same name and config."""

    name: str
    as_of: datetime
    previous: datetime | None
    """`as_of` of the previous audit; None when this is the first one recorded."""
    previous_report: str | None = None
    new: tuple[Change, ...] = ()
    """Flagged now, not in the previous audit."""
    resolved: tuple[Change, ...] = ()
    """Flagged then, not now (or no record holds the address any more)."""
    still_open: tuple[Change, ...] = ()
    """Flagged then and now (the verdict may have changed between the two)."""
    not_checked: tuple[Change, ...] = ()
    """Flagged then, absent now because a source that held it failed to load: not
    resolved, only unknown."""

    def by_address(self) -> dict[str, Change]:
        """Every change by address (new, still open, resolved, not checked): first flagged,
        audits in a row and last answering for the rows of a Findings sheet."""
        return {c.address: c
                for c in (*self.new, *self.still_open, *self.resolved, *self.not_checked)}

    def summary_line(self) -> str:
        """One line for the terminal summary and the report's Changes sheet."""
        if self.previous is None:
            return "First audit recorded for this config: nothing to compare yet"
        when = f"{self.previous:%Y-%m-%d}"
        if self.previous.date() == self.as_of.date():
            when = f"{self.previous:%Y-%m-%d %H:%M}"
        text = (f"Since the last audit ({when}): {len(self.new)} new, "
                f"{len(self.resolved)} resolved, {len(self.still_open)} still open")
        if self.not_checked:
            text += f", {len(self.not_checked)} not checked (their source failed)"
        return text


@dataclass(frozen=True, slots=True)
class AuditResult:
    """Everything a reporter needs; built once by the engine."""

    name: str
    generated_at: datetime
    as_of: datetime
    stale_after_days: int
    inputs: tuple[InputStatus, ...]
    findings: tuple[Finding, ...]
    ghost_flows: tuple[GhostFlow, ...]
    networks: tuple[Network, ...]
    logs: LogStats
    owners: dict[str, str] = field(default_factory=dict)
    """Source name -> owner, so per-owner lists include sources with nothing to fix."""
    hourly: dict[datetime, int] = field(default_factory=dict)
    """Drop-signal log lines per hour (hour start -> count), for rate charts."""
    hourly_messages: dict[str, dict[datetime, int]] = field(default_factory=dict)
    """The same per message id (message -> hour start -> count), for rises in words."""
    hourly_flows: dict[str, dict[datetime, int]] = field(default_factory=dict)
    """The same for the busiest ghost flows (`src -> dst proto/port` -> hour -> count)."""
    inbound_noise: InboundNoise = field(default_factory=lambda: InboundNoise())
    """Drops from outside (internet scans): counted, never listed as ghost flows."""
    ghosts_folded: FoldedFlows = field(default_factory=lambda: FoldedFlows())
    """Ghost flows past the report's limit: counted together, not listed one by one."""
    unresolved_names: tuple[str, ...] = ()
    """Host names that records hold and no other record (nor DNS, when probing) ties to an
    address."""
    probes: ProbeRun | None = None
    """The opt-in probes (`[probe] enabled = true`): None when they did not run."""
    changes: Changes | None = None
    """What changed since the previous audit of this config (`auditor.history.changes`);
    None when no history was read."""

    @property
    def failed(self) -> tuple[InputStatus, ...]:
        return tuple(i for i in self.inputs if i.status is SourceStatus.FAILED)

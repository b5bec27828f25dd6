"""Every connect and sendto the probe code makes, recorded at the socket layer: all inside
`allow`. Runs on this host's loopback (no namespace needed), with real sockets: a TCP
listener that answers, closed TCP and UDP ports that refuse, and names answered by a
resolver function the test injects (`dns.Resolver`), since no DNS server is asked here.
`tests/test_probe_live.py` does the same through the system resolver and `strace`.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import netaddr
import pytest

from auditor.cli import main
from auditor.config import load_config
from auditor.engine import run_audit
from auditor.model import ProbeKind, ProbeStatus, Reason, Verdict
from auditor.probe.limits import Limits
from auditor.probe.plan import AllowList, OutsideAllow
from auditor.probe.snmp import SnmpCredentials, SnmpProber
from auditor.probe.tcp import probe_tcp

AS_OF = datetime(2026, 11, 24, 10, 0, 0)
ALLOW = ["127.0.0.0/8"]
COMMUNITY = "guard-c0mmunity"


@pytest.fixture()
def sent(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str, int]]:
    """(call, address, port) of every INET connect/sendto/sendmsg made in this process."""
    calls: list[tuple[str, str, int]] = []
    real = {name: getattr(socket.socket, name) for name in
            ("connect", "connect_ex", "sendto", "sendmsg")}

    def spy(name: str):  # type: ignore[no-untyped-def]
        def call(self: socket.socket, *args):  # type: ignore[no-untyped-def]
            address = args[0] if name.startswith("connect") else args[-1] \
                if name == "sendto" else (args[3] if len(args) > 3 else None)
            if self.family in (socket.AF_INET, socket.AF_INET6) and isinstance(address, tuple):
                calls.append((name, str(address[0]), int(address[1])))
            return real[name](self, *args)
        return call

    for name in real:
        monkeypatch.setattr(socket.socket, name, spy(name))
    return calls


@pytest.fixture()
def listener() -> Iterator[int]:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(16)
        yield server.getsockname()[1]


def free_port(kind: int) -> int:
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def fake_resolver(name: str) -> list[str]:
    """The test's resolver: the answers a DNS server under test would give."""
    answers = {"kiosk-d.probe.test": ["127.0.0.1"], "far.probe.test": ["203.0.113.50"]}
    if name not in answers:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    return answers[name]


def write_audit(tmp_path: Path, listen: int, closed: int, udp_closed: int) -> Path:
    (tmp_path / "inventory.csv").write_text(
        "Address,Name\n127.0.0.1,lab-agent\n127.0.0.2,kiosk-b\n10.99.3.4,OLD-AP-CTRL\n"
        "kiosk-d.probe.test,kiosk-d\nfar.probe.test,kiosk-e\nretired.probe.test,kiosk-c\n")
    (tmp_path / "prefixes.csv").write_text("Prefix,Status\n127.0.0.0/8,Active\n")
    path = tmp_path / "audit.toml"
    path.write_text(f"""\
[audit]
name = "guard"

[[sources]]
name = "inventory"
type = "csv"
path = "inventory.csv"

[[networks]]
name = "ipam"
type = "prefix-list"
path = "prefixes.csv"

[probe]
enabled = true
allow = {ALLOW!r}
snmp_community_env = "GUARD_COMMUNITY"
snmp_port = {udp_closed}
tcp_ports = [{listen}, {closed}]
timeout = 0.3
retries = 0
rate = 500
""".replace("'", '"'))
    return path


def test_audit_with_probes_sends_only_inside_allow(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                   sent: list[tuple[str, str, int]],
                                                   listener: int) -> None:
    closed, udp_closed = free_port(socket.SOCK_STREAM), free_port(socket.SOCK_DGRAM)
    monkeypatch.setenv("GUARD_COMMUNITY", COMMUNITY)
    config = load_config(write_audit(tmp_path, listener, closed, udp_closed))
    result = run_audit(config, as_of=AS_OF, generated_at=AS_OF, resolver=fake_resolver)

    allow = netaddr.IPSet(ALLOW)
    assert sent, "the probes sent nothing: the recorder saw no call"
    assert [s for s in sent if netaddr.IPAddress(s[1]) not in allow] == []
    assert sorted(set(sent)) == sorted({
        ("connect", "127.0.0.1", listener), ("connect", "127.0.0.1", closed),
        ("connect", "127.0.0.2", listener), ("connect", "127.0.0.2", closed),
        ("sendto", "127.0.0.1", udp_closed), ("sendto", "127.0.0.2", udp_closed)})

    probes = result.probes
    assert probes is not None
    by = {(r.address, r.kind, r.port): r for r in probes.results}
    assert by[("127.0.0.1", ProbeKind.TCP, listener)].status is ProbeStatus.OK
    assert by[("127.0.0.1", ProbeKind.TCP, closed)].status is ProbeStatus.REFUSED
    assert by[("127.0.0.2", ProbeKind.TCP, listener)].status is ProbeStatus.REFUSED
    assert by[("127.0.0.1", ProbeKind.SNMP, udp_closed)].status is ProbeStatus.TIMEOUT
    for outside in ("10.99.3.4", "203.0.113.50"):
        skips = [r for r in probes.results if r.address == outside]
        assert [r.status for r in skips] == [ProbeStatus.SKIPPED] * 3
        assert all(r.error == "outside [probe] allow (127.0.0.0/8): never probed"
                   for r in skips)
    assert probes.outside_allow == ("10.99.3.4", "203.0.113.50")
    # 127.0.0.1: SYN, ACK, RST to the listener, a SYN refused; 127.0.0.2: two SYNs refused;
    # one SNMP request each
    assert probes.packets == 3 + 1 + 1 + 1 + 2
    assert probes.dns_lookups == 3

    findings = {f.address: f for f in result.findings}
    assert findings["127.0.0.1"].verdict is Verdict.ACTIVE
    assert findings["127.0.0.1"].reasons == (Reason.PROBE_OK,)
    assert findings["127.0.0.1"].names == ("kiosk-d.probe.test",)
    assert findings["203.0.113.50"].names == ("far.probe.test",)
    assert findings["203.0.113.50"].verdict is Verdict.STALE
    assert findings["retired.probe.test"].reasons == (Reason.DNS_UNRESOLVED,)
    assert findings["retired.probe.test"].verdict is Verdict.STALE
    assert result.unresolved_names == ("retired.probe.test",)
    assert COMMUNITY not in repr(result)


def test_probers_refuse_an_address_outside_allow_before_any_socket(
        monkeypatch: pytest.MonkeyPatch, sent: list[tuple[str, str, int]]) -> None:
    opened: list[int] = []
    real_init = socket.socket.__init__

    def counting_init(self: socket.socket, *args, **kwargs):  # type: ignore[no-untyped-def]
        opened.append(1)
        real_init(self, *args, **kwargs)

    allow = AllowList(ALLOW)

    async def run() -> list[str]:
        limits = Limits(1000, 10)
        monkeypatch.setattr(socket.socket, "__init__", counting_init)
        errors = []
        try:
            await probe_tcp("10.99.3.4", 22, limits=limits, allow=allow, timeout=0.2,
                            retries=0)
        except OutsideAllow as exc:
            errors.append(str(exc))
        prober = SnmpProber(SnmpCredentials(community=COMMUNITY), limits=limits, allow=allow,
                            timeout=0.2, retries=0)
        try:
            await prober.probe("192.0.2.1", 161)
        except OutsideAllow as exc:
            errors.append(str(exc))
        finally:
            prober.close()
        # the datagram gate itself: a destination outside allow never reaches the kernel
        try:
            prober._send("10.1.2.3", 161)
        except OutsideAllow as exc:
            errors.append(str(exc))
        return errors

    assert asyncio.run(run()) == [
        "refused to probe 10.99.3.4: outside [probe] allow (127.0.0.0/8)",
        "refused to probe 192.0.2.1: outside [probe] allow (127.0.0.0/8)",
        "refused to probe 10.1.2.3: outside [probe] allow (127.0.0.0/8)"]
    assert opened == []
    assert sent == []



def test_probe_command_refuses_when_probing_is_off_or_a_secret_is_missing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        sent: list[tuple[str, str, int]]) -> None:
    path = write_audit(tmp_path, 1, 2, 3)
    monkeypatch.delenv("GUARD_COMMUNITY", raising=False)
    assert main(["probe", "-c", str(path)]) == 2
    assert capsys.readouterr().err == (
        f"stale-audit: error: {path}: [probe] snmp_community_env: environment variable "
        "GUARD_COMMUNITY is not set (or empty); export it before probing\n")
    assert main(["audit", "-c", str(path), "-o", str(tmp_path / "r.json")]) == 2
    assert "GUARD_COMMUNITY is not set" in capsys.readouterr().err
    assert not (tmp_path / "r.json").exists()
    path.write_text(path.read_text().replace("enabled = true", "enabled = false"))
    assert main(["probe", "-c", str(path)]) == 2
    assert capsys.readouterr().err == (
        f"stale-audit: error: {path}: [probe], key 'enabled': probing is off; set "
        "enabled = true, with allow = [prefixes] bounding what may be probed\n")
    path.write_text(path.read_text().replace("enabled = false", "enabled = true"))
    monkeypatch.setenv("GUARD_COMMUNITY", COMMUNITY)
    assert main(["probe", "-c", str(path), "--only", "not a host!"]) == 2
    assert capsys.readouterr().err == ("stale-audit: error: --only 'not a host!' is neither "
                                       "an IP address nor a host name\n")
    assert sent == []


def test_probe_command_on_loopback_prints_every_probe(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        listener: int) -> None:
    closed, udp_closed = free_port(socket.SOCK_STREAM), free_port(socket.SOCK_DGRAM)
    monkeypatch.setenv("GUARD_COMMUNITY", COMMUNITY)
    path = write_audit(tmp_path, listener, closed, udp_closed)
    code = main(["probe", "-c", str(path), "--only", "127.0.0.1", "10.99.3.4"])
    out = capsys.readouterr().out
    # SNMP gets no answer from the closed UDP port, but TCP does: the address answered
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["ADDRESS", "KIND", "PORT", "RESULT", "LATENCY", "MS",
                                "ERROR", "/", "ANSWER"]
    rows = [line.split()[:4] for line in lines[1:7]]
    tcp = sorted((listener, closed))
    assert rows == [
        ["10.99.3.4", "snmp", str(udp_closed), "skipped"],
        ["10.99.3.4", "tcp", str(tcp[0]), "skipped"],
        ["10.99.3.4", "tcp", str(tcp[1]), "skipped"],
        ["127.0.0.1", "snmp", str(udp_closed), "timeout"],
        *sorted([["127.0.0.1", "tcp", str(listener), "ok"],
                 ["127.0.0.1", "tcp", str(closed), "refused"]], key=lambda r: int(r[2])),
    ]
    assert lines[1].endswith("outside [probe] allow (127.0.0.0/8): never probed")
    assert "Probes: 2 address(es): 1 answered, 0 silent, 0 probe error(s), 1 skipped (1 " \
        "outside allow 127.0.0.0/8)" in out
    assert "sent 5 packet(s) and 0 DNS look-up(s)" in out
    assert COMMUNITY not in out

"""netstat -abn and ss -tunap captures: which process opened which connection."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.errors import SourceError
from connectors.base import SourceSpec
from connectors.captures.netstat import LinuxSsCapture, WindowsNetstatCapture
from tests.conftest import EXAMPLES, need_shared

NETSTAT = (
    "\r\nActive Connections\r\n\r\n"
    "  Proto  Local Address          Foreign Address        State\r\n"
    "  TCP    0.0.0.0:135            0.0.0.0:0              LISTENING\r\n"
    "  RpcSs\r\n"
    " [svchost.exe]\r\n"
    "  TCP    10.30.1.20:49811       10.99.4.31:6711        SYN_SENT\r\n"
    " [TrackItServer.exe]\r\n"
    "  UDP    0.0.0.0:51544          *:*                    \r\n"
    " [jboss.exe]\r\n"
    "  UDP    10.30.1.20:137         *:*                    \r\n"
    " Can not obtain ownership information\r\n"
)


def test_netstat_connections_and_processes(tmp_path: Path) -> None:
    path = tmp_path / "netstat.txt"
    path.write_bytes(NETSTAT.encode("ascii"))
    spec = SourceSpec("ti-netstat", "windows-netstat", (path,),
                      options={"host": "10.30.1.20"}, root=tmp_path)
    capture = WindowsNetstatCapture(spec)
    conns = capture.parse(path.read_text(), path)
    assert [(c.protocol, c.local, c.lport, c.remote, c.rport, c.state, c.process)
            for c in conns] == [
        ("tcp", "0.0.0.0", 135, "0.0.0.0", 0, "LISTENING", "svchost.exe"),
        ("tcp", "10.30.1.20", 49811, "10.99.4.31", 6711, "SYN_SENT", "TrackItServer.exe"),
        ("udp", "0.0.0.0", 51544, None, None, "", "jboss.exe"),
        ("udp", "10.30.1.20", 137, None, None, "", "unknown process"),
    ]
    keys = capture.fetch()
    assert keys[("dst", "10.99.4.31", 6711)] == \
        "TrackItServer.exe on 10.30.1.20 (ti-netstat, netstat.txt:8)"
    assert keys[("src", "10.30.1.20", 51544)].startswith("jboss.exe on 10.30.1.20")


def test_netstat_without_header_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "x.txt"
    path.write_text("The requested operation requires elevation.\n")
    with pytest.raises(SourceError, match="x.txt: not a netstat -abn capture"):
        WindowsNetstatCapture(SourceSpec("n", "windows-netstat", (path,))).fetch()


def test_reference_captures_in_place() -> None:
    path = need_shared(EXAMPLES / "netstat-abn.txt")
    netstat = WindowsNetstatCapture(SourceSpec("n", "windows-netstat")).parse(
        path.read_text(), path)
    syn = [(c.remote, c.rport, c.process) for c in netstat if c.state == "SYN_SENT"]
    assert syn == [("10.99.4.31", 10597, "TrackItServer.exe")] * 2
    path = need_shared(EXAMPLES / "ss-tunap.txt")
    ss = LinuxSsCapture(SourceSpec("s", "linux-ss")).parse(path.read_text(), path)
    assert [(c.protocol, c.state, c.remote, c.rport, c.process) for c in ss
            if c.state in ("ESTAB", "SYN-SENT") and c.protocol == "udp" or
            c.state == "SYN-SENT"] == [
        ("udp", "ESTAB", "10.99.4.20", 161, "python3 (pid 2211)"),
        ("tcp", "SYN-SENT", "10.99.7.5", 22, "ansible (pid 3300)"),
    ]

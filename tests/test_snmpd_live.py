"""The snmpd fixture is a file the real net-snmp agent accepts, and reads as snmpd reads it.

snmpd sends a coldStart trap to every sink as it starts, and the fixture's sinks are
10.x and fd00:: addresses. So the agent runs inside a private network namespace that this
test creates (`unshare --net`): only its own loopback exists there, every send to a sink
fails with "Network is unreachable", and no packet can leave the machine. The test skips,
saying why, when snmpd, `unshare` or `ip` is missing or namespaces are not allowed.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys

import pytest

from connectors.base import SourceSpec
from connectors.sources.snmp import SnmpConfigSource
from tests.conftest import FIXTURES, ROOT

CASE = FIXTURES / "snmp-config" / "snmpd"
PORT = 16161  # the namespace is new and empty: no other process can hold the port
#: The fixture lets localhost poll with this community (its `rocommunity ... localhost`).
LOCAL_COMMUNITY = "L0cal-Only"
SYS_LOCATION = "DC2 Hall B Rack 12 (build 4.18.0.513)"

#: Runs inside the namespace: start snmpd, ask it for sysLocation over loopback, stop it.
AGENT_RUN = r"""
import asyncio, json, subprocess, sys, time
snmpd, conf, state, port, community = sys.argv[1:6]
subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
agent = subprocess.Popen(
    [snmpd, "-f", "-Lo", "-C", "-c", conf, "-p", state + "/snmpd.pid",
     "udp:127.0.0.1:" + port],
    stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "SNMP_PERSISTENT_DIR": state, "MIBS": ""})

async def get_location():
    from pysnmp.hlapi.v3arch.asyncio import (CommunityData, ContextData, ObjectIdentity,
        ObjectType, SnmpEngine, UdpTransportTarget, get_cmd)
    target = await UdpTransportTarget.create(("127.0.0.1", int(port)), timeout=1, retries=2)
    error, status, _, binds = await get_cmd(
        SnmpEngine(), CommunityData(community, mpModel=1), target, ContextData(),
        ObjectType(ObjectIdentity("1.3.6.1.2.1.1.6.0")))
    if error or status:
        return "error: %s %s" % (error, status)
    return str(binds[0][1])

try:
    time.sleep(1.5)
    answer = asyncio.run(get_location())
    alive = agent.poll() is None
finally:
    agent.terminate()
    try:
        output, _ = agent.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        agent.kill()
        output, _ = agent.communicate()
print(json.dumps({"alive": alive, "answer": answer, "output": output}))
"""


def _snmpd() -> str:
    found = shutil.which("snmpd") or shutil.which("snmpd", path="/usr/sbin:/usr/local/sbin")
    if found is None:
        pytest.skip("snmpd is not installed (Debian: apt-get install snmpd)")
    if shutil.which("unshare") is None or shutil.which("ip", path="/usr/sbin:/sbin:/usr/bin") \
            is None:
        pytest.skip("needs unshare and ip (util-linux, iproute2) to run snmpd in a private "
                    "network namespace")
    probe = subprocess.run(["unshare", "--net", "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip("cannot create a network namespace here (needs root or user "
                    f"namespaces): {probe.stderr.decode(errors='replace').strip()}")
    return found


@pytest.fixture(scope="module")
def agent_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    snmpd = _snmpd()
    work = tmp_path_factory.mktemp("snmpd")
    conf = work / "snmpd.conf"
    conf.write_text((CASE / "snmpd.conf").read_text())
    state = work / "state"
    state.mkdir()
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    done = subprocess.run(
        ["unshare", "--net", sys.executable, "-c", AGENT_RUN, snmpd, str(conf), str(state),
         str(PORT), LOCAL_COMMUNITY],
        capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["conf"] = str(conf)
    return result


def test_snmpd_accepts_the_fixture_and_answers(agent_run: dict[str, object]) -> None:
    assert agent_run["alive"] is True, agent_run["output"]
    assert agent_run["answer"] == SYS_LOCATION


def test_snmpd_reports_no_config_problem_but_the_tcp_sink(agent_run: dict[str, object]) -> None:
    """Every `conf: line N: Warning|Error` snmpd printed, except the TCP sink's connect.

    A TCP sink connects as snmpd starts; in the empty namespace nothing can answer, so
    "cannot create sink" for it is expected and proves it was parsed as a TCP sink.
    """
    conf = re.escape(str(agent_run["conf"]))
    problems = re.findall(rf"^{conf}: line (\d+): (.*)$", str(agent_run["output"]), re.M)
    assert problems == [("41", "Error: cannot create sink: tcp:10.30.1.11:10162")]


def test_snmpd_tried_every_udp_sink_the_connector_reports(
        agent_run: dict[str, object]) -> None:
    """snmpd sends a coldStart to each sink it built: one failed send per remote UDP sink.

    The v3 session fails earlier (USM: no local user) but still counts as one attempt; the
    localhost sink, which the connector skips, is reachable and succeeds silently.
    """
    output = str(agent_run["output"])
    startup = output.split("NET-SNMP version", 1)[0]
    attempts = len(re.findall(r"send_trap: (Failure in sendto|USM unknown security name)",
                              startup))
    spec = SourceSpec(name="bastion", type="snmp-config", paths=(CASE / "snmpd.conf",),
                      root=CASE)
    udp_sinks = [t for t in SnmpConfigSource(spec).fetch()
                 if t.polled and t.protocol == "udp"]
    assert attempts == len(udp_sinks) == 5

"""No community or SNMP key reaches any output, even from a misordered line.

An audit whose SNMP configs hold communities, v3 users and keys, some of them written in the
wrong slot, is run through the command line; every file it writes and everything it prints
is searched for each secret. The lines that would have leaked are counted and named by place.
"""

from __future__ import annotations

import json
from pathlib import Path

from auditor.cli import main
from tests.outputs import output_texts

SECRETS = ("S3cr3tComm", "n0cR3ad", "wr1teC0m", "trapUs3r", "AuthPassw0rd", "PrivPassw0rd")

SNMPD = """\
# net-snmp agent on the AAA server
rocommunity S3cr3tComm 10.10.5.0/24
createUser trapUs3r SHA AuthPassw0rd AES PrivPassw0rd
trap2sink 10.99.3.41 S3cr3tComm
informsink S3cr3tComm 10.250.9.4
trap2sink S3cr3tComm
trapsess -v 2c 10.250.9.5 S3cr3tComm
trapsess -v 3 -u trapUs3r -a SHA -A AuthPassw0rd -l authNoPriv 10.99.3.42
"""

IOS = """\
hostname fab-leaf-07
snmp-server community n0cR3ad RO 90
snmp-server community wr1teC0m RW 91
snmp-server host 10.99.3.40 version 2c n0cR3ad
snmp-server host n0cR3ad 10.99.3.43
"""

CONFIG = """\
[audit]
name = "Secrets stay home"

[[sources]]
name = "snmp"
type = "snmp-config"
paths = ["configs/*.conf", "configs/*.cfg"]
owner = "Network"

[[networks]]
name = "ipam"
type = "prefix-list"
path = "prefixes.txt"
"""


def test_no_secret_in_any_output_and_withheld_lines_are_counted(tmp_path: Path,
                                                                 capsys) -> None:
    net = tmp_path / "net"
    (net / "configs").mkdir(parents=True)
    (net / "configs/aaa-east-01.conf").write_text(SNMPD)
    (net / "configs/fab-leaf-07.cfg").write_text(IOS)
    (net / "prefixes.txt").write_text("10.10.0.0/16\n")
    (net / "audit.toml").write_text(CONFIG)
    out = tmp_path / "out"
    code = main(["audit", "-c", str(net / "audit.toml"), "-o", str(out / "a.xlsx"),
                 "--json", str(out / "a.json"), "--csv", str(out / "a.csv"),
                 "--split-by-owner", str(out / "owners"), "--as-of", "2026-11-24T10:00Z"])
    printed = capsys.readouterr()
    assert code == 1
    doc = json.loads((out / "a.json").read_text())
    addresses = {f["address"] for f in doc["findings"]}
    # the well-formed sinks are records; the misordered ones gave none
    assert {"10.99.3.41", "10.99.3.42", "10.99.3.40"} <= addresses
    assert not {"10.250.9.4", "10.250.9.5", "10.99.3.43"} & addresses
    status = next(s for s in doc["sources"] if s["name"] == "snmp")
    assert status["status"] == "ok"
    assert "lines skipped" in printed.out
    assert "aaa-east-01.conf:5" in printed.out  # the withheld line is named by its place
    texts = output_texts(printed, out)
    for secret in SECRETS:
        for text in texts:
            assert secret not in text

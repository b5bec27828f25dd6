"""The synthetic-network writers: each format laid out as the reference examples show it."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from auditor.synthetic import asa_messages as asa
from auditor.synthetic import formats
from auditor.synthetic.model import Endpoint, LinuxRoute, Route, WindowsSnmpAgent


def test_asa_route_prints_network_and_mask_and_wraps(tmp_path: Path) -> None:
    path = tmp_path / "show-route.txt"
    formats.write_asa_show_route(path, [
        Route("S*", "0.0.0.0/0", "outside", via="198.51.100.1"),
        Route("C", "10.10.0.0/16", "inside"),
        Route("O E2", "10.142.0.0/20", "campus", via="10.0.0.2", metric="[110/20]",
              age="1d04h", wrapped=True)], prompt="fw#", gateway="198.51.100.1")
    lines = path.read_text().splitlines()
    assert lines[0] == "fw# show route"
    assert "S*       0.0.0.0 0.0.0.0 [1/0] via 198.51.100.1, outside" in lines
    assert "C        10.10.0.0 255.255.0.0 is directly connected, inside" in lines
    assert lines[-2:] == ["O E2     10.142.0.0 255.255.240.0",
                          "           [110/20] via 10.0.0.2, 1d04h, campus"]


def test_linux_routes_as_text_and_json_say_the_same(tmp_path: Path) -> None:
    routes = [LinuxRoute("default", gateway="10.0.0.1", device="eth0", metric=100),
              LinuxRoute("10.160.0.0/16", "blackhole", protocol="static")]
    formats.write_ip_route(tmp_path / "r.txt", routes)
    formats.write_ip_route_json(tmp_path / "r.json", routes)
    assert (tmp_path / "r.txt").read_text() == ("default via 10.0.0.1 dev eth0 metric 100\n"
                                                "blackhole 10.160.0.0/16 proto static\n")
    assert json.loads((tmp_path / "r.json").read_text()) == [
        {"dst": "default", "gateway": "10.0.0.1", "dev": "eth0", "metric": 100, "flags": []},
        {"type": "blackhole", "dst": "10.160.0.0/16", "protocol": "static", "flags": []}]


def test_windows_reg_is_utf16_with_a_bom_and_crlf(tmp_path: Path) -> None:
    path = tmp_path / "snmp.reg"
    formats.write_windows_snmp_reg(path, WindowsSnmpAgent(
        ("localhost", "10.0.0.5"), (("public", ("10.0.0.6",)),), ("public",), "NOC",
        "Hall\\B"))
    raw = path.read_bytes()
    assert raw.startswith(b"\xff\xfe")
    text = raw[2:].decode("utf-16-le")
    assert "\r\n\"2\"=\"10.0.0.5\"\r\n" in text
    assert '"sysLocation"="Hall\\\\B"' in text


def test_syslog_header_styles_and_gzip_is_reproducible(tmp_path: Path) -> None:
    when = datetime(2025, 3, 7, 9, 2, 11)
    text = asa.format_duplicate_syn(Endpoint("inside", "10.0.0.5", 51000),
                                    Endpoint("outside", "10.99.0.1", 6711), received=False)
    assert asa.format_line("rfc3164", when, "fw", 4, "419002", text) == (
        "Mar  7 09:02:11 fw : %ASA-4-419002: Duplicate TCP SYN from inside:10.0.0.5/51000 to "
        "outside:10.99.0.1/6711 with different initial sequence number")
    assert asa.format_line("nocolon", when, "fw", 4, "419002", "x") == \
        "Mar 07 2025 09:02:11 : %ASA-4-419002 x"
    assert asa.format_line("asa-year-est", when, "fw", 4, "419002", "x").startswith(
        "Mar 07 2025 04:02:11 EST: ")
    formats.write_log_file(tmp_path / "a.log.gz", ["one", "two"])
    first = (tmp_path / "a.log.gz").read_bytes()
    formats.write_log_file(tmp_path / "a.log.gz", ["one", "two"])
    assert (tmp_path / "a.log.gz").read_bytes() == first

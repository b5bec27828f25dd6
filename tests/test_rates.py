"""Rates and rises: the seed story's jump, said in words, and no alarm for steady traffic."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import openpyxl

from auditor.cli import main
from auditor.rates import about, rises, series

START = datetime(2026, 11, 21, 14, 0)
AS_OF_ARG = ["--as-of", "2026-11-23T00:00Z"]


def _hours(rates: list[int]) -> dict[datetime, int]:
    return {START + timedelta(hours=i): n for i, n in enumerate(rates) if n}


def test_the_seed_story_rise_in_words() -> None:
    flood = _hours([2_000 + (i % 5) * 37 for i in range(24)] + [19_100 + i * 11 for i in range(6)])
    quiet = _hours([3, 0, 5, 2] * 6 + [40] * 6)   # from ~3 to 40 a hour: no alarm
    steady = _hours([900] * 30)
    found = rises({"419002": flood, "110003": quiet, "106023": steady})
    assert [r.sentence() for r in found] == [
        "419002 rose from ~2,100/h to ~19,000/h on Nov 22 from 14:00"]


def test_series_fills_silent_hours_and_about_rounds_like_a_person() -> None:
    points = series({START: 5, START + timedelta(hours=3): 7})
    assert [n for _, n in points] == [5, 0, 0, 7]
    assert [about(n) for n in (19_140, 2_074, 87, 125_678)] == ["19,000", "2,100", "87",
                                                                 "130,000"]


def test_logs_command_says_the_rise_and_charts_from_zero(tmp_path: Path, capsys) -> None:
    log = tmp_path / "fw.log"
    lines = []
    for hour in range(30):
        per_hour = 300 if hour < 24 else 3_000
        when = START + timedelta(hours=hour)
        for n in range(per_hour):
            t = when + timedelta(seconds=n * 3600 // per_hour)
            lines.append(f"{t:%b %d %Y %H:%M:%S}: %ASA-4-419002: Received duplicate TCP SYN "
                         f"from dc:10.30.1.{n % 50 + 1}/{40000 + n % 20000} to fab:10.251.9.14"
                         "/6711 with different initial sequence number.\n")
    log.write_text("".join(lines))
    assert main(["logs", str(log), "-o", str(tmp_path / "logs.xlsx"), "--json",
                 str(tmp_path / "logs.json"), "--as-of", "2026-11-23T00:00Z"]) == 0
    out = capsys.readouterr().out
    assert "419002 rose from ~300/h to ~3,000/h on Nov 22 from 14:00" in out
    assert "Drop lines per hour: peak 3,000" in out
    doc = json.loads((tmp_path / "logs.json").read_text())
    assert doc["logs"]["by_message"] == {"419002": 24 * 300 + 6 * 3_000}
    sheet = openpyxl.load_workbook(tmp_path / "logs.xlsx")["Log rates"]
    assert sheet.cell(row=2, column=14).value == \
        "419002 rose from ~300/h to ~3,000/h on Nov 22 from 14:00"
    assert sheet._charts[0].y_axis.scaling.min == 0


def test_the_busiest_flows_have_their_own_rate(tmp_path: Path, capsys) -> None:
    log = tmp_path / "fw.log"
    lines = []
    for hour in range(28):
        per_hour = 250 if hour < 24 else 2_500
        when = START + timedelta(hours=hour)
        for n in range(per_hour):
            t = when + timedelta(seconds=n * 3600 // per_hour)
            lines.append(f"{t:%b %d %Y %H:%M:%S}: %ASA-4-419002: Received duplicate TCP SYN "
                         f"from dc:10.30.1.41/{40000 + n % 20000} to fab:10.251.9.14/6711 with "
                         "different initial sequence number.\n")
        lines.append(f"{when:%b %d %Y %H:%M:%S}: %ASA-6-110003: Routing failed to locate next "
                     "hop for UDP from dc:10.30.1.50/50000 to dc:10.98.4.2/161\n")
    log.write_text("".join(lines))
    assert main(["logs", str(log), "-o", str(tmp_path / "logs.xlsx"), *AS_OF_ARG]) == 0
    out = capsys.readouterr().out
    assert ("flow 10.30.1.41 -> 10.251.9.14 tcp/6711 rose from ~250/h to ~2,500/h on Nov 22 "
            "from 14:00") in out
    sheet = openpyxl.load_workbook(tmp_path / "logs.xlsx")["Log rates"]
    header = [c.value for c in sheet[1]][:4]
    assert header == ["Hour (UTC)", "Drop lines", "10.30.1.41 -> 10.251.9.14 tcp/6711",
                      "10.30.1.50 -> 10.98.4.2 udp/161"]
    assert [c.value for c in sheet[2]][1:4] == [251, 250, 1]
    assert [c.value for c in sheet[26]][1:4] == [2_501, 2_500, 1]

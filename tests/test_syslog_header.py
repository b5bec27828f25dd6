"""The shared syslog header reader: every header form of firewall-logs.md §1.3, the pfSense and
iptables framings (§4, §5), year-less dates against a clock, zones, offsets and overflow."""

from __future__ import annotations

from datetime import datetime

import pytest

from connectors.logs.syslog_header import CLOCK_SKEW, SyslogHeader

NOW = datetime(2026, 11, 24, 12, 0, 0)


def _read(text: str, clock: datetime | None = NOW,
          device: str | None = None) -> tuple[datetime | None, str | None]:
    return SyslogHeader(clock, device).read(text)


# (text before the payload, time, device); the device None when the header names none.
HEADERS = [
    ("", None, None),                                                         # no header
    ("Apr 29 2013 12:59:50: ", datetime(2013, 4, 29, 12, 59, 50), None),    # ASA's own stamp
    ("Apr 15 2014 09:34:34 EDT: ", datetime(2014, 4, 15, 13, 34, 34), None),  # + zone
    ("Apr 24 2013 16:00:28 INT-FW01 : ", datetime(2013, 4, 24, 16, 0, 28), "INT-FW01"),
    ("May  5 17:51:17 dev01: ", datetime(2026, 5, 5, 17, 51, 17), "dev01"),  # RFC 3164 relay
    ("Jul 15 13:38:14 216.160.83.56 : ", datetime(2026, 7, 15, 13, 38, 14), "216.160.83.56"),
    ("Jul 15 13:38:08 81.2.69.142 ", datetime(2026, 7, 15, 13, 38, 8), "81.2.69.142"),
    ("Oct 10 2018 12:34:56 localhost CiscoASA[999]: ", datetime(2018, 10, 10, 12, 34, 56),
     "localhost"),                                                            # program[pid]
    ("<165>Oct 04 2019 15:27:55: ", datetime(2019, 10, 4, 15, 27, 55), None),   # PRI
    ("<191>Aug  1 14:01:20 abc-asa1: ", datetime(2026, 8, 1, 14, 1, 20), "abc-asa1"),
    ("Aug 15 2012 23:30:09 : ", datetime(2012, 8, 15, 23, 30, 9), None),
    ("<166>2018-06-27T12:17:46Z asa : ", datetime(2018, 6, 27, 12, 17, 46), "asa"),  # 5424
    ("<166>1 2026-11-24T10:00:00Z fw-x - - - ", datetime(2026, 11, 24, 10, 0), "fw-x"),
    ("Aug  6 2020 11:01:37: ", datetime(2020, 8, 6, 11, 1, 37), None),      # padded day
    ("Jan  1 01:00:27 beats asa[1234]: ", datetime(2026, 1, 1, 1, 0, 27), "beats"),
    ("2026-11-24 10:00:01\tLocal4.Warning\t10.1.1.1\t", datetime(2026, 11, 24, 10, 0, 1),
     "10.1.1.1"),                                                             # Kiwi facility
    ("Nov 24 10:00:01 10.0.0.1 Nov 24 2026 09:59:59: ",                       # relay in front
     datetime(2026, 11, 24, 9, 59, 59), "10.0.0.1"),
    ("Nov 24 10:00:01 10.0.0.1 Nov 24 2026 09:59:59 edge-fw : ",
     datetime(2026, 11, 24, 9, 59, 59), "edge-fw"),
    ("Nov 24 2026 09:59:59.250 fw ", datetime(2026, 11, 24, 9, 59, 59, 250000), "fw"),
    ("Feb 30 01:00:00 fw3: ", None, "fw3"),                                   # impossible date
    # pfSense filterlog and iptables (§5, §4): the program tag is no device
    ("<134>Jul  3 19:10:30 filterlog[72237]: ", datetime(2026, 7, 3, 19, 10, 30), None),
    ("Jan  8 03:37:09 example-host kernel: ", datetime(2026, 1, 8, 3, 37, 9), "example-host"),
]


@pytest.mark.parametrize(("text", "time", "device"), HEADERS,
                         ids=[h[0].strip() or "none" for h in HEADERS])
def test_header_forms(text: str, time: datetime | None, device: str | None) -> None:
    assert _read(text) == (time, device)


def test_default_device_fills_a_header_without_host() -> None:
    assert _read("Apr 29 2013 12:59:50: ", device="fw") == (datetime(2013, 4, 29, 12, 59, 50),
                                                             "fw")
    assert _read("", device="fw") == (None, "fw")
    assert _read("May  5 17:51:17 dev01: ", device="fw")[1] == "dev01"


def test_read_remembers_headers_and_forgets_past_its_limit() -> None:
    reader = SyslogHeader(NOW, limit=2)
    first = reader.read("May  5 17:51:17 dev01: ")
    assert reader.read("May  5 17:51:17 dev01: ") is first
    reader.read("May  5 17:51:18 dev01: ")
    reader.read("May  5 17:51:19 dev01: ")          # over the limit: memory dropped, refilled
    assert reader.read("May  5 17:51:17 dev01: ") == first


@pytest.mark.parametrize(("clock", "text", "time"), [
    # Around New Year: December read in early January is last year's, January is this year's.
    (datetime(2026, 1, 5, 8, 0), "Dec 31 23:59:58 fw: ", datetime(2025, 12, 31, 23, 59, 58)),
    (datetime(2026, 1, 5, 8, 0), "Jan  4 23:59:58 fw: ", datetime(2026, 1, 4, 23, 59, 58)),
    (datetime(2026, 1, 1, 0, 30), "Jan  1 00:10:00 fw: ", datetime(2026, 1, 1, 0, 10)),
    # a relay a few hours ahead on New Year's Eve: within CLOCK_SKEW, still next year's date
    (datetime(2025, 12, 31, 22, 0), "Jan  1 03:00:00 fw: ", datetime(2026, 1, 1, 3, 0)),
    (datetime(2025, 12, 31, 22, 0), "Jan  2 03:00:00 fw: ", datetime(2025, 1, 2, 3, 0)),
    # CLOCK_SKEW: a day ahead is this year, more is last year
    (NOW, "Nov 25 01:00:00 fw: ", datetime(2026, 11, 25, 1, 0)),
    (NOW, "Nov 26 01:00:00 fw: ", datetime(2025, 11, 26, 1, 0)),
    # Feb 29 looks back for its leap year
    (NOW, "Feb 29 01:00:00 fw: ", datetime(2024, 2, 29, 1, 0)),
    (datetime(2028, 3, 1), "Feb 29 01:00:00 fw: ", datetime(2028, 2, 29, 1, 0)),
    (datetime(2028, 2, 28, 12), "Feb 29 01:00:00 fw: ", datetime(2028, 2, 29, 1, 0)),  # skew
    (datetime(2028, 2, 27), "Feb 29 01:00:00 fw: ", datetime(2024, 2, 29, 1, 0)),
])
def test_yearless_dates_take_their_year_from_the_clock(clock: datetime, text: str,
                                                        time: datetime) -> None:
    assert _read(text, clock)[0] == time


def test_clock_skew_is_a_day() -> None:
    assert CLOCK_SKEW.total_seconds() == 86400


def test_yearless_date_without_clock_uses_the_machines() -> None:
    time, _ = _read("Jan  1 00:00:00 fw: ", None)
    assert time is not None and time <= datetime.now() + CLOCK_SKEW
    assert time.year >= datetime.now().year - 1


@pytest.mark.parametrize(("text", "time"), [
    ("Apr 15 2014 09:34:34 EDT ", datetime(2014, 4, 15, 13, 34, 34)),     # UTC-4
    ("Apr 15 2014 09:34:34 CEST: ", datetime(2014, 4, 15, 7, 34, 34)),    # UTC+2
    ("Apr 15 2014 09:34:34 IST ", datetime(2014, 4, 15, 4, 4, 34)),       # UTC+5:30
    ("Apr 15 2014 09:34:34 NST ", datetime(2014, 4, 15, 13, 4, 34)),      # UTC-3:30
    ("Apr 15 2014 09:34:34 utc ", datetime(2014, 4, 15, 9, 34, 34)),      # any case
    ("Apr 15 2014 09:34:34 fw EDT ", datetime(2014, 4, 15, 9, 34, 34)),   # not after a stamp
])
def test_zone_words_after_a_stamp_are_applied(text: str, time: datetime) -> None:
    assert _read(text)[0] == time


def test_a_zone_word_is_no_device() -> None:
    assert _read("Apr 15 2014 09:34:34 EDT fw-a : ") == (datetime(2014, 4, 15, 13, 34, 34),
                                                          "fw-a")


@pytest.mark.parametrize(("text", "time"), [
    ("<166>2018-06-27T14:17:46+02:00 asa : ", datetime(2018, 6, 27, 12, 17, 46)),
    ("<166>2018-06-27T14:17:46+0200 asa : ", datetime(2018, 6, 27, 12, 17, 46)),
    ("<166>2018-06-27T07:47:46-04:30 asa : ", datetime(2018, 6, 27, 12, 17, 46)),
    ("<166>2018-06-27T12:17:46.123456789Z asa : ", datetime(2018, 6, 27, 12, 17, 46, 123456)),
    ("<166>2018-06-27t12:17:46z asa : ", datetime(2018, 6, 27, 12, 17, 46)),
    ("<166>2018-06-27T12:17:46 asa : ", datetime(2018, 6, 27, 12, 17, 46)),   # no offset
    ("2018-12-31T23:30:00-01:00 asa ", datetime(2019, 1, 1, 0, 30)),           # across a year
])
def test_iso_offsets_become_utc(text: str, time: datetime) -> None:
    assert _read(text) == (time, "asa")


@pytest.mark.parametrize(("text", "clock", "time"), [
    ("Dec 31 9999 23:59:59 EDT: ", NOW, None),           # + 4 h passes year 9999
    ("Jan  1 0001 00:00:00 CET: ", NOW, None),           # - 1 h before year 1
    ("<166>9999-12-31T23:59:59-05:00 asa : ", NOW, None),
    ("<166>0001-01-01T00:00:00+01:00 asa : ", NOW, None),
    ("Dec 31 9999 23:59:59 UTC: ", NOW, datetime(9999, 12, 31, 23, 59, 59)),  # no shift: kept
    # a clock at the end of time: clock + CLOCK_SKEW overflows, the date itself does not
    ("Dec 31 23:30:00 fw: ", datetime(9999, 12, 31, 23, 0), datetime(9999, 12, 31, 23, 30)),
    ("Jan  1 00:30:00 fw: ", datetime(1, 1, 1, 0, 0), datetime(1, 1, 1, 0, 30)),
    ("Feb  2 00:30:00 fw: ", datetime(1, 1, 1, 0, 0), None),   # no earlier year to take
])
def test_overflow_gives_no_time(text: str, clock: datetime, time: datetime | None) -> None:
    assert _read(text, clock)[0] == time


def test_last_timestamp_wins_and_its_host() -> None:
    # The relay's stamp first, then the device's own: the device's time and name.
    assert _read("<134>Nov 24 10:00:01 relay-1 Nov 24 2026 09:59:59 EST fw-edge : ") == (
        datetime(2026, 11, 24, 14, 59, 59), "fw-edge")
    # An unreadable second stamp keeps the first.
    assert _read("Nov 24 10:00:01 relay-1 Feb 30 2026 09:59:59 fw-edge : ") == (
        datetime(2026, 11, 24, 10, 0, 1), "fw-edge")


@pytest.mark.parametrize("text", ["***", "(with) (stuff)", "host/with/slashes",
                                  "\x00\x01\x02", "a" * 300, "- - -"])
def test_junk_names_no_device(text: str) -> None:
    assert _read(text) == (None, None)


# -- split: a payload without a tag ------------------------------------------------------------

PFSENSE = ("<134>Jul  3 19:10:30 filterlog[72237]: 146,,,1535324496,igb1.12,match,block,in,4,"
           "0x0,,63,12617,0,DF,6,tcp,60,10.170.12.50,1.1.1.1,49724,853,0,S,1891286705,,64240,,"
           "mss;sackOK;TS;nop;wscale")
IPTABLES = ("Jan  8 03:37:09 example-host kernel: iptables DROP_INPUT: IN=eth0 OUT= "
            "SRC=203.0.113.36 DST=172.16.54.114 LEN=52 PROTO=TCP SPT=17805 DPT=445 ")
PANOS = ("<14>Jul 15 11:58:58 PA-VM 0,2021/07/15 11:58:58,1321564321,TRAFFIC,N/A,0,"
         "2021/07/15 11:59:02,10.210.0.84,51.11.168.232,,,DENY-ALL")


@pytest.mark.parametrize(("line", "time", "device", "payload"), [
    (PFSENSE, datetime(2026, 7, 3, 19, 10, 30), None, "146,,,1535324496,"),
    (IPTABLES, datetime(2026, 1, 8, 3, 37, 9), "example-host", "iptables DROP_INPUT: IN="),
    # iptables without `kernel:` (§4): the second plain word starts the payload
    ("Jan  8 03:37:09 example-host iptables DROP_INPUT: IN=eth0",
     datetime(2026, 1, 8, 3, 37, 9), "example-host", "iptables DROP_INPUT: IN="),
    (PANOS, datetime(2026, 7, 15, 11, 58, 58), "PA-VM", "0,2021/07/15 11:58:58,"),
    # a PAN-OS payload's own `2021/07/15 11:58:58` is no header
    ("0,2021/07/15 11:58:58,1321564321,TRAFFIC", None, None, "0,2021/07/15 11:58:58,"),
    ("146,,,1535324496,igb1.12,match,block", None, None, "146,,,"),   # bare pf CSV
    ("IN=eth0 OUT= SRC=1.2.3.4", None, None, "IN=eth0 OUT="),
    ("Apr 24 2013 16:00:28 INT-FW01 : %ASA-6-106100: x", datetime(2013, 4, 24, 16, 0, 28),
     "INT-FW01", "%ASA-6-106100: x"),
    ("Apr 15 2014 09:34:34 EDT: %ASA-6-106100: x", datetime(2014, 4, 15, 13, 34, 34), None,
     "%ASA-6-106100: x"),
    # after `stamp:` the payload starts, even when its first word looks like a host
    ("Apr 29 2013 12:59:50: foo-bar baz", datetime(2013, 4, 29, 12, 59, 50), None,
     "foo-bar baz"),
    ("2026-11-24 10:00:01\tLocal4.Warning\t10.1.1.1\t1,2026/11/24", datetime(2026, 11, 24, 10,
                                                                             0, 1),
     "10.1.1.1", "1,2026/11/24"),
    ("<166>1 2026-11-24T10:00:00Z fw-x - - - 146,,,", datetime(2026, 11, 24, 10, 0), "fw-x",
     "146,,,"),
    ('<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473'
     ' iut="3" eventSource="App\\]"][other@1 a="b"] the message',
     datetime(2003, 10, 11, 22, 14, 15, 3000), "mymachine.example.com", "the message"),
    ("<165>1 - - - - - - the message", None, None, "the message"),
    ("<134>Jul  3 19:10:30 filterlog[72237]:", datetime(2026, 7, 3, 19, 10, 30), None, ""),
])
def test_split_finds_where_the_payload_starts(line: str, time: datetime | None,
                                               device: str | None, payload: str) -> None:
    got_time, got_device, start = SyslogHeader(NOW).split(line)
    assert (got_time, got_device) == (time, device)
    assert line[start:].startswith(payload) and (payload or start == len(line))


def test_split_from_a_position_and_default_device() -> None:
    line = "xx|" + PFSENSE
    time, device, start = SyslogHeader(NOW, "pf").split(line, 3)
    assert (time, device, line[start:start + 4]) == (datetime(2026, 7, 3, 19, 10, 30), "pf",
                                                     "146,")


def test_split_agrees_with_read_on_the_header() -> None:
    reader = SyslogHeader(NOW, "fw")
    for line in (PFSENSE, IPTABLES, PANOS):
        time, device, start = reader.split(line)
        assert reader.read(line[:start]) == (time, device)


def test_common_header_fast_path_reads_as_the_general_walk() -> None:
    """The one-match reading of the commonest headers gives what the general walk gives."""
    import random

    rng = random.Random(5)
    months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
              "Dec"]
    hosts = ["fw-edge-01", "10.1.2.3", "asa", "EDT", "dev01:", "fw_core", "a.b.example.net"]
    for _ in range(3000):
        day = rng.choice([1, 6, 9, 15, 29, 30, 31, 0, 32])
        stamp = f"{rng.choice(months)} {day:2d}" if rng.random() < 0.5 else \
            f"{rng.choice(months)} {day:02d}"
        if rng.random() < 0.6:
            stamp += f" {rng.choice([2019, 2024, 2026, 2027, 9999, 1])}"
        stamp += f" {rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 60):02d}"
        tail = rng.choice(["", ":", f" {rng.choice(hosts)} :", f" {rng.choice(hosts)}:",
                           f" {rng.choice(hosts)}"])
        text = rng.choice(["", "<166>", "<13>"]) + stamp + tail + rng.choice(["", " "])
        clock = rng.choice([datetime(2026, 11, 24, 12), datetime(2027, 1, 1, 0, 30),
                            datetime(9999, 12, 31, 23)])
        fast = SyslogHeader(clock, "dflt")
        walk = SyslogHeader(clock, "dflt")
        assert fast.read(text) == walk._walk(text, 0, False)[:2], text

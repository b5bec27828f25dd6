"""`connectors.shared.hosts`: the other names a record goes by, as every tool reads them
(`split_endpoint` is tested with the Prometheus and Telegraf targets it reads)."""

from __future__ import annotations

from connectors.shared.hosts import host_names


def test_host_names_lower_case_in_order_without_addresses_or_repeats() -> None:
    assert host_names("Core-SW-01.corp.example.", None, "10.10.0.2", "", "core-sw-01",
                      "CORE-SW-01.corp.example", "2001:db8::1") == \
        ("core-sw-01.corp.example", "core-sw-01")


def test_host_names_leave_out_the_records_own_address() -> None:
    # a name-only record (Zabbix useip 0, LibreNMS without a resolved IP) is not its own alias
    assert host_names("ups-2.corp.example", "UPS-2", besides="ups-2.corp.example") == ("ups-2",)


def test_numbers_in_name_cells_are_no_host_names() -> None:
    assert host_names(187.0, 42, "0") == ()

"""Connector registry: config `type` -> the class that reads it.

Adding a source is one module here and one fixture folder under `tests/fixtures/<type>/`;
the registry line below is the only other place that names it. Modules load lazily, so a
broken connector fails only the sources that use it.
"""

from __future__ import annotations

import importlib
from typing import Any

from auditor.errors import ConfigError

#: `[[sources]]`: who polls what.
TARGET_SOURCES: dict[str, str] = {
    "cisco-dcnm": "connectors.sources.dcnm:DcnmSource",
    "csv": "connectors.sources.address_list:AddressListSource",
    "librenms": "connectors.sources.librenms:LibreNmsSource",
    "nagios": "connectors.sources.nagios:NagiosSource",
    "prometheus": "connectors.sources.prometheus:PrometheusSource",
    "snmp-config": "connectors.sources.snmp:SnmpConfigSource",
    "solarwinds-npm": "connectors.sources.solarwinds:SolarWindsSource",
    "telegraf": "connectors.sources.telegraf:TelegrafSource",
    "trackit": "connectors.sources.trackit:TrackItSource",
    "zabbix": "connectors.sources.zabbix:ZabbixSource",
}

#: `[[networks]]`: what exists.
NETWORK_SOURCES: dict[str, str] = {
    "cisco-asa-route": "connectors.networks.cisco_routes:AsaRouteSource",
    "cisco-ios-route": "connectors.networks.cisco_routes:IosRouteSource",
    "linux-ip-route": "connectors.networks.linux_routes:LinuxRouteSource",
    "netbox": "connectors.networks.netbox:NetboxSource",
    "prefix-list": "connectors.networks.prefix_list:PrefixListSource",
}

#: `[[logs]]`: what the firewalls saw.
LOG_PARSERS: dict[str, str] = {
    "cisco-asa": "connectors.logs.cisco_asa:AsaLogParser",
    "elasticsearch": "connectors.logs.elasticsearch:ElasticLogSource",
    "fortigate": "connectors.logs.fortigate:FortiGateLogParser",
    "iptables": "connectors.logs.iptables:IptablesLogParser",
    "opensearch": "connectors.logs.elasticsearch:OpenSearchLogSource",
    "paloalto": "connectors.logs.paloalto:PanOsLogParser",
    "pfsense": "connectors.logs.pfsense:PfSenseLogParser",
    "splunk": "connectors.logs.splunk:SplunkLogSource",
}

#: Log types a SIEM answers (`url`, no files): never guessed from a file's content, and not
#: a `--type` for files.
SIEM_LOGS = frozenset({"elasticsearch", "opensearch", "splunk"})

#: `[[captures]]`: who sent it (connection tables taken on a polling server).
CAPTURES: dict[str, str] = {
    "linux-ss": "connectors.captures.netstat:LinuxSsCapture",
    "windows-netstat": "connectors.captures.netstat:WindowsNetstatCapture",
}

#: Config table -> its registry; the one place a type name meets its class.
REGISTRIES: dict[str, dict[str, str]] = {
    "sources": TARGET_SOURCES,
    "networks": NETWORK_SOURCES,
    "logs": LOG_PARSERS,
    "captures": CAPTURES,
}


def lookup(table: str, type_name: str, *, where: str = "") -> Any:
    """Return the connector class registered for `type_name` in config table `table`.

    Raises `ConfigError` listing the valid types when the name is unknown.
    """
    registry = REGISTRIES[table]
    try:
        target = registry[type_name]
    except KeyError:
        valid = ", ".join(sorted(registry))
        prefix = f"{where}: " if where else ""
        raise ConfigError(
            f"{prefix}unknown {table} type {type_name!r}; valid: {valid}") from None
    module_name, _, class_name = target.partition(":")
    module = importlib.import_module(module_name)
    return getattr(module, class_name)

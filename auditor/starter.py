"""`stale-audit init`: a commented starter `audit.toml` with every table of the contract.

What a first audit needs is live: `[audit]` and one table each of `[[sources]]`,
`[[networks]]` and `[[logs]]`. The rest (more sources, a live API, a route table, captures,
probes) is there commented out. A line that starts with `#` and then a letter or `[` is a
setting to uncomment; one that starts with `# ` explains. The file loads as written once the
paths it names exist, and again with every setting uncommented (`tests/test_cli.py` does both).
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence

#: The file `stale-audit init` writes when given no path, or a folder.
DEFAULT_NAME = "audit.toml"

_TEMPLATE = """\
# stale-audit configuration: which tools to audit, what networks exist, what the firewalls
# saw. Written by `stale-audit init`. Next:
#   stale-audit sources -c {config}     # does every input load? counts or the error
#   stale-audit audit -c {config}       # the audit: reports/audit.xlsx and a summary
#
# Relative paths are relative to this file's folder; `paths` takes globs; .gz and .bz2
# files are read as they are. Secrets never go in this file: keys ending in _env name the
# environment variables that hold them. A line starting with "#" and no space is a setting
# to uncomment; "# " starts an explanation.

[audit]
name = "Nightly hygiene audit"    # reports and the run history go by this name: one per config
stale_after_days = 14             # a tool's "down", or last success, older than this counts
                                  # against the target
#history = ".stale-audit/history.sqlite"   # the default (beside this file); false: keep none

# --- Inventories: who polls, scans or sends to what. One [[sources]] table per tool. ---
{source_types}
[[sources]]
name = "orion"                    # unique label used in reports
type = "solarwinds-npm"
path = "exports/npm-nodes.json"   # SWIS query on Orion.Nodes (JSON), or a node report CSV/XLSX
owner = "NOC - SolarWinds"        # who gets this source's remediation list
#engines_path = "exports/npm-engines.json"   # Orion.Engines: each node's poller address

#[[sources]]
#name = "trackit"
#type = "trackit"
#path = "exports/trackit-assets.csv"    # the asset grid exported as CSV or XLSX
#owner = "Service Desk - Track-It!"
#poller = "10.30.1.20"                  # the address this tool sends from, where the data has none
#columns = {{ address = "Workstation IP" }}   # only where a header is not recognised

# A tool with an API can be read live instead: url replaces path, and *_env keys name the
# variables that hold the credentials.
{api_types}
#[[sources]]
#name = "zabbix"
#type = "zabbix"
#url = "https://zabbix.example.net/zabbix"
#token_env = "ZABBIX_TOKEN"             # or username_env + password_env
#owner = "Monitoring"
#verify = true                          # or false, or a CA bundle such as "certs/ca.pem"

# --- What exists now: IPAM exports and routing tables. Without one, nothing is "gone". ---
{network_types}
[[networks]]
name = "ipam"
type = "prefix-list"
path = "networks/prefixes.csv"    # a prefix column (status Deprecated/Retired: gone), or
                                  # plain text, one prefix a line

#[[networks]]
#name = "fw-edge-routes"
#type = "cisco-asa-route"
#path = "networks/fw-edge-show-route.txt"   # saved `show route` output

# --- What the firewalls saw: drops, no-route, duplicate SYNs, timeouts. ---
{log_types}
[[logs]]
name = "fw-edge"
type = "cisco-asa"                # ASA, FTD and PIX
paths = ["logs/fw-edge-*.log*"]   # globs: rotated .gz/.bz2 files too, read oldest first
#engine = "spark"                 # archives folded by your Spark (pip install 'stale-audit[spark]')

# Logs already in a SIEM: it counts the flows (mode = "raw": it filters, this folds).
#[[logs]]
#name = "siem"
#type = "splunk"                  # or "elasticsearch" / "opensearch": index, since, api_key_env
#url = "https://splunk.example.net:8089"
#token_env = "SPLUNK_TOKEN"
#search = 'index=firewall sourcetype IN ("cisco:asa", "cisco:ftd")'
#earliest = "-30d@d"
#mode = "aggregate"

# --- Who sent it: connection tables taken on a polling server (optional). ---
{capture_types}
#[[captures]]
#name = "orion-netstat"
#type = "windows-netstat"               # repeated `netstat -abn 5` output
#path = "captures/orion-netstat.txt"
#host = "10.30.1.10"                    # the address of the server it was taken on

# --- Active checks: off unless enabled; never sends anything outside allow. ---
#[probe]
#enabled = true
#allow = ["10.0.0.0/8"]                 # prefixes probes may reach: nothing else, ever
#snmp_community_env = "SNMP_COMMUNITY"  # v2c; for v3: snmp_user_env, snmp_auth_env, snmp_priv_env
#snmp_port = 161
#tcp_ports = "polled"                   # the port each record's tool polls, or e.g. [22, 443]
#timeout = 2.0                          # seconds
#retries = 1
#concurrency = 200
#rate = 100                             # packets per second, at most
"""


def starter_config(types: Mapping[str, Sequence[str]], api: Sequence[str],
                   config_name: str = DEFAULT_NAME) -> str:
    """The starter file's text.

    Args:
        types: config table -> its valid types (`auditor.config.valid_types()`), listed
            above each table so the file names every choice this version has.
        api: the `[[sources]]` types that read a live API.
        config_name: how the next-step commands at the top name the file.
    """
    def listed(label: str, names: Sequence[str]) -> str:
        text = f"{label}: {', '.join(names)}"
        return "\n".join(textwrap.wrap(text, width=92, initial_indent="# ",
                                       subsequent_indent="#   "))

    return _TEMPLATE.format(
        config=config_name,
        source_types=listed("type, one of", types["sources"]),
        api_types=listed("types that read an API", api),
        network_types=listed("type, one of", types["networks"]),
        log_types=listed("type, one of", types["logs"]),
        capture_types=listed("type, one of", types["captures"]))

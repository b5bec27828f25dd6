"""SNMP configurations: who a device sends traps to, and who may poll it.

One source (`SnmpConfigSource`) takes any mix of files, each read for what it is (from its
content, not its name): net-snmp `snmpd.conf` / `snmptrapd.conf` (`netsnmp`), Cisco
IOS/IOS-XE, NX-OS and ASA `snmp-server` configs (`cisco`), and Windows SNMP service
`reg export` files (`windows_registry`).

Two kinds of record come out. Notification destinations (trap sinks, inform targets,
forwarders) are `polled`: the device keeps sending to them, so a dead one is live traffic
into a dead network. Permitted pollers (community source restrictions, SNMP ACL permits,
Windows permitted managers, ASA `poll` hosts) receive nothing and are `polled=False`:
harmless but worth cleaning. Communities, v3 user names and keys never leave this package:
names and fixes are rebuilt from the host, interface, VRF and keywords only, and a line
whose words may put a secret where a host belongs is skipped (`withholding`).
"""

from connectors.sources.snmp.source import SnmpConfigSource

__all__ = ["SnmpConfigSource"]

"""The `[probe]` table, validated (by `auditor.config`) into one value."""

from __future__ import annotations

from dataclasses import dataclass

#: `snmp_auth_protocol` words -> what they mean (pysnmp's names are looked up in `snmp`).
AUTH_PROTOCOLS = ("md5", "sha", "sha224", "sha256", "sha384", "sha512")
#: `snmp_priv_protocol` words.
PRIV_PROTOCOLS = ("des", "3des", "aes", "aes192", "aes256")


@dataclass(frozen=True, slots=True)
class ProbeSettings:
    """What may be probed, how, and how fast. Secrets are not here: only the names of the
    environment variables that hold them (`*_env`), read when the probes start."""

    enabled: bool = False
    allow: tuple[str, ...] = ()
    """Canonical prefixes; nothing outside them is ever probed."""
    snmp_community_env: str | None = None
    snmp_user_env: str | None = None
    snmp_auth_env: str | None = None
    snmp_priv_env: str | None = None
    snmp_auth_protocol: str = "sha"
    snmp_priv_protocol: str = "aes"
    snmp_port: int = 161
    tcp_ports: tuple[int, ...] | None = None
    """None: the port each record's tool polls (`tcp_ports = "polled"`)."""
    timeout: float = 2.0
    """Seconds to wait for each attempt's answer."""
    retries: int = 1
    """Attempts after the first, when nothing answered."""
    concurrency: int = 200
    """Probes in flight (and so sockets open) at once, at most."""
    rate: float = 100.0
    """Packets per second, at most."""

    @property
    def snmp(self) -> bool:
        """Whether SNMP credentials are configured (v3 when a user is named, else v2c)."""
        return bool(self.snmp_user_env or self.snmp_community_env)

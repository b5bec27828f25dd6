"""SNMP probe: GET sysUpTime.0 and sysName.0 with pysnmp's asyncio API, v2c or v3.

Credentials come from the environment variables the `[probe]` table names, read when the
run starts; they never reach a result, an error or a log line.

pysnmp retries nothing here (`retries=0`): the run's own retries go through the pacer like
the first attempt. Every datagram pysnmp hands to the kernel passes `_GuardedDispatcher`,
which refuses any destination outside `allow` and any send that holds no paced slot (an
SNMPv3 first contact takes two: the engine-ID discovery, then the request), and counts the
rest.

What comes back: values (`ok`); a report that refuses the credentials: unknown user, wrong
digest, not in time window (`denied`: the agent is there and answered); nothing (`timeout`:
no agent, a filter, or a wrong v2c community, which an agent ignores without a word).
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from auditor.addresses import canonical_ip
from auditor.errors import ConfigError
from auditor.model import ProbeKind, ProbeResult, ProbeStatus
from auditor.probe.limits import Limits
from auditor.probe.plan import AllowList, OutsideAllow
from auditor.probe.settings import ProbeSettings

#: sysUpTime.0, sysName.0
SYS_UPTIME, SYS_NAME = "1.3.6.1.2.1.1.3.0", "1.3.6.1.2.1.1.5.0"
#: pysnmp error indications that are an agent's answer refusing the credentials.
_DENIALS = frozenset({"UnknownUserName", "WrongDigest", "UnknownSecurityName",
                      "NotInTimeWindow", "UnsupportedSecurityLevel", "DecryptionError",
                      "AuthenticationFailure", "ReportPduReceived", "UnknownEngineID",
                      "UnknownCommunityName", "EngineIDMismatch", "NoSuchView",
                      "NoAccessEntry", "NoGroupName", "NotInView"})
#: PDU error-status values that refuse access (noAccess, authorizationError).
_ACCESS_ERRORS = frozenset({6, 16})


@dataclass(frozen=True)
class SnmpCredentials:
    """v2c community, or v3 user with optional auth and privacy keys. Secrets stay out of
    `repr` and every message."""

    community: str | None = field(default=None, repr=False)
    user: str | None = None
    auth_key: str | None = field(default=None, repr=False)
    priv_key: str | None = field(default=None, repr=False)
    auth_protocol: str = "sha"
    priv_protocol: str = "aes"

    @property
    def version(self) -> str:
        return "v3" if self.user else "v2c"

    @classmethod
    def from_env(cls, settings: ProbeSettings,
                 environ: Mapping[str, str]) -> SnmpCredentials | None:
        """The credentials the `*_env` keys name; None when none is configured.

        Raises:
            ConfigError: a named variable is unset or empty (its name said, never a value).
        """
        def read(key: str, name: str | None) -> str | None:
            if name is None:
                return None
            value = environ.get(name)
            if not value:
                raise ConfigError(f"[probe] {key}: environment variable {name} is not set "
                                  "(or empty); export it before probing")
            return value

        if settings.snmp_user_env:
            return cls(user=read("snmp_user_env", settings.snmp_user_env),
                       auth_key=read("snmp_auth_env", settings.snmp_auth_env),
                       priv_key=read("snmp_priv_env", settings.snmp_priv_env),
                       auth_protocol=settings.snmp_auth_protocol,
                       priv_protocol=settings.snmp_priv_protocol)
        if settings.snmp_community_env:
            return cls(community=read("snmp_community_env", settings.snmp_community_env))
        return None


def _auth_data(creds: SnmpCredentials) -> Any:
    from pysnmp.hlapi.v3arch import asyncio as hl

    if creds.user is None:
        return hl.CommunityData(creds.community, mpModel=1)
    auth = {"md5": hl.usmHMACMD5AuthProtocol, "sha": hl.usmHMACSHAAuthProtocol,
            "sha224": hl.usmHMAC128SHA224AuthProtocol,
            "sha256": hl.usmHMAC192SHA256AuthProtocol,
            "sha384": hl.usmHMAC256SHA384AuthProtocol,
            "sha512": hl.usmHMAC384SHA512AuthProtocol}
    priv = {"des": hl.usmDESPrivProtocol, "3des": hl.usm3DESEDEPrivProtocol,
            "aes": hl.usmAesCfb128Protocol, "aes192": hl.usmAesCfb192Protocol,
            "aes256": hl.usmAesCfb256Protocol}
    kwargs: dict[str, Any] = {}
    if creds.auth_key is not None:
        kwargs.update(authKey=creds.auth_key, authProtocol=auth[creds.auth_protocol])
    if creds.priv_key is not None:
        kwargs.update(privKey=creds.priv_key, privProtocol=priv[creds.priv_protocol])
    return hl.UsmUserData(creds.user, **kwargs)


def check_privacy_support(creds: SnmpCredentials | None) -> None:
    """Raise `ConfigError` when v3 privacy is asked for and pysnmp cannot cipher (it needs
    the `cryptography` package), before anything is sent."""
    if creds is None or creds.priv_key is None:
        return
    try:
        import cryptography  # noqa: F401
    except ImportError:
        raise ConfigError("[probe] snmp_priv_env: SNMPv3 privacy needs the Python package "
                          "'cryptography' (pip install cryptography)") from None


class SnmpProber:
    """One pysnmp engine for the whole run; `await probe(address, port)` per target."""

    def __init__(self, creds: SnmpCredentials, *, limits: Limits, allow: AllowList,
                 timeout: float, retries: int) -> None:
        self.creds = creds
        self.limits = limits
        self.allow = allow
        self.timeout = timeout
        self.retries = retries
        self._credit: dict[tuple[str, int], int] = {}
        self._known: set[tuple[str, int]] = set()
        self._engine: Any = None
        self._auth: Any = None
        self._families: set[int] = set()
        self.withheld = 0
        """Datagrams pysnmp wanted to send without a paced slot: never sent."""

    def _start(self) -> None:
        if self._engine is not None:
            return
        from pysnmp.hlapi.v3arch.asyncio import SnmpEngine

        self._engine = SnmpEngine()
        self._engine.register_transport_dispatcher(_guarded_dispatcher(self))
        self._auth = _auth_data(self.creds)

    async def probe(self, address: str, port: int) -> ProbeResult:
        """GET sysUpTime.0 and sysName.0 from `address`:`port`."""
        from pysnmp.error import PySnmpError
        from pysnmp.hlapi.v3arch.asyncio import (
            ContextData,
            ObjectIdentity,
            ObjectType,
            Udp6TransportTarget,
            UdpTransportTarget,
            get_cmd,
        )

        self.allow.check(address)
        self._start()
        key = (address, port)
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        attempts = 0
        status, detail = ProbeStatus.ERROR, ""
        latency: float | None = None
        error: str | None = "not attempted"
        for _ in range(self.retries + 1):
            attempts += 1
            packets = 2 if self.creds.user and key not in self._known else 1
            await self.limits.pacer.acquire(packets)
            self.allow.check(address)
            if family not in self._families:  # pysnmp opens one socket per family
                self._families.add(family)
                self.limits.opened()
            self._credit[key] = packets
            started = self.limits.clock()
            try:
                kind = Udp6TransportTarget if family == socket.AF_INET6 else UdpTransportTarget
                target = await kind.create(key, timeout=self.timeout, retries=0)
                answer = await asyncio.wait_for(get_cmd(
                    self._engine, self._auth, target, ContextData(),
                    ObjectType(ObjectIdentity(SYS_UPTIME)), ObjectType(ObjectIdentity(SYS_NAME)),
                    lookupMib=False), self.timeout * 2 + 0.5)
            except OutsideAllow:
                raise
            except TimeoutError:
                answer = ("timeout", 0, 0, [])
            except PySnmpError as exc:
                status, latency, error = ProbeStatus.ERROR, None, f"pysnmp: {exc}"
                break
            finally:
                self._credit.pop(key, None)
            elapsed = self.limits.clock() - started
            status, error, detail = _read(answer, self.creds.version)
            latency = elapsed if status is not ProbeStatus.TIMEOUT else None
            if status is not ProbeStatus.TIMEOUT:
                self._known.add(key)
                break
            error = f"no answer in {elapsed:.2f} s ({_silence(self.creds)})"
        if status is ProbeStatus.TIMEOUT and attempts > 1:
            error = f"{error}, {attempts} attempts"
        return ProbeResult(address=address, kind=ProbeKind.SNMP, status=status, port=port,
                           latency=latency, error=error, detail=detail, attempts=attempts)

    def close(self) -> None:
        """Close pysnmp's sockets."""
        if self._engine is not None:
            self._engine.close_dispatcher()
            for _ in self._families:
                self.limits.closed()
            self._families.clear()
            self._engine = None

    def _send(self, host: str, port: int) -> bool:
        """Whether a datagram to `host`:`port` may leave now (and count it)."""
        self.allow.check(host)
        key = (canonical_ip(host) or host, int(port))
        if self._credit.get(key, 0) <= 0:
            self.withheld += 1
            return False
        self._credit[key] -= 1
        self.limits.sent()
        return True


def _guarded_dispatcher(prober: SnmpProber) -> Any:
    """pysnmp's asyncio dispatcher, every send checked by `prober._send` first."""
    from pysnmp.carrier.asyncio.dispatch import AsyncioDispatcher

    class GuardedDispatcher(AsyncioDispatcher):
        def send_message(self, message: Any, domain: Any, address: Any) -> None:
            if prober._send(str(address[0]), int(address[1])):
                super().send_message(message, domain, address)

    return GuardedDispatcher()


def _read(answer: Any, version: str) -> tuple[ProbeStatus, str | None, str]:
    """(status, error, detail) from pysnmp's (errorIndication, errorStatus, index, binds)."""
    indication, error_status, _, binds = answer
    if indication == "timeout":
        return ProbeStatus.TIMEOUT, None, ""
    if indication is not None:
        name = type(indication).__name__
        if name == "RequestTimedOut":
            return ProbeStatus.TIMEOUT, None, ""
        if name in _DENIALS:
            return ProbeStatus.DENIED, f"the agent refused the {version} credentials: " \
                f"{indication}", ""
        return ProbeStatus.ERROR, f"{indication}", ""
    if error_status and int(error_status):
        word = error_status.prettyPrint()
        if int(error_status) in _ACCESS_ERRORS:
            return ProbeStatus.DENIED, f"the agent refused the request: {word}", ""
        return ProbeStatus.OK, None, f"answered with error {word}"
    values: dict[str, Any] = {str(oid): value for oid, value in binds}
    parts = []
    sys_name = values.get(SYS_NAME)
    if sys_name is not None and not _absent(sys_name):
        parts.append(f"sysName {sys_name.prettyPrint()}")
    uptime = values.get(SYS_UPTIME)
    if uptime is not None and not _absent(uptime):
        parts.append(f"up {_uptime(int(uptime))}")
    return ProbeStatus.OK, None, ", ".join(parts)


def _absent(value: Any) -> bool:
    return type(value).__name__ in ("NoSuchObject", "NoSuchInstance", "EndOfMibView")


def _uptime(ticks: int) -> str:
    seconds = ticks // 100
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    return (f"{days}d " if days else "") + f"{hours:02d}:{minutes:02d}:{secs:02d}"


def _silence(creds: SnmpCredentials) -> str:
    if creds.user is None:
        return "no agent, a filter, or a wrong community: agents ignore those silently"
    if creds.priv_key is not None:
        return ("no agent, a filter, or a wrong privacy key: an agent that cannot decrypt "
                "the request says nothing")
    return "no agent, or a filter"

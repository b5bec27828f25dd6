"""Windows SNMP service `reg export` files (UTF-16): trap destinations, permitted managers.

`TrapConfiguration\\<community>` values are trap destinations; `PermittedManagers` values
may poll and receive nothing. Group Policy keys are read too, and their fixes say so.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from auditor.addresses import canonical_host
from connectors.sources.snmp.common import TRAP_PORT, ConfigFile, Hit, Withheld, is_remote

#: The first line of a `reg export` file (regedit 5 writes UTF-16, REGEDIT4 ANSI).
REG_HEADERS = ("Windows Registry Editor Version 5.00", "REGEDIT4")

_REG_STRING = re.compile(r'"((?:[^"\\]|\\.)*)"\s*=\s*"((?:[^"\\]|\\.)*)"')
_REG_NAME = re.compile(r'"((?:[^"\\]|\\.)*)"\s*=')
#: `[\\SRV01\HKEY_LOCAL_MACHINE\...]`: regedit's export of a remote (network) registry.
_REG_REMOTE_KEY = re.compile(r"^\[-?\\\\([^\\\]]+)\\", re.IGNORECASE)
#: `; Computer: SRV01`, `; ComputerName=SRV01`, `; Exported from SRV01`: what people note.
_REG_NAME_COMMENT = re.compile(
    r"^;+\s*(?:(?:computer|machine|host|server)\s*(?:name)?\s*[:=]|exported\s+from"
    r"(?:\s+(?:computer|host|machine|server))?\s*:?)\s*\\*([A-Za-z0-9][A-Za-z0-9._-]*)",
    re.IGNORECASE)
_COMPRESSED = (".gz", ".bz2")


def _registry_host(file: ConfigFile) -> str:
    """The machine a `reg export` came from: named in the file, else the file name's stem.

    A remote export writes its key paths as `\\\\HOST\\HKEY_...`; some exports carry the
    computer name in a comment. Otherwise the file name is the best name there is
    (`aaa-srv01.reg` -> `aaa-srv01`).
    """
    for raw in file.lines:
        text = raw.strip().lstrip("\ufeff")
        found = _REG_REMOTE_KEY.match(text) or _REG_NAME_COMMENT.match(text)
        if found:
            return found.group(1)
    name = Path(file.path.name)
    if name.suffix.lower() in _COMPRESSED:
        name = Path(name.stem)
    return name.stem


def _registry_secrets(lines: list[str]) -> frozenset[str]:
    """Community names: `TrapConfiguration\\<community>` keys, `ValidCommunities` values."""
    found: set[str] = set()
    key: list[str] = []
    for raw in lines:
        text = raw.strip()
        if text.startswith("[") and text.endswith("]"):
            key = text[1:-1].lstrip("-").lower().split("\\")
            if len(key) > 1 and key[-2] == "trapconfiguration":
                found.add(key[-1])
            continue
        match = _REG_NAME.match(text)
        if match is not None and key and key[-1] == "validcommunities":
            found.add(re.sub(r"\\(.)", r"\1", match.group(1)).lower())
    return frozenset(found - {""})


def read_registry(file: ConfigFile) -> list[Hit]:
    """Trap destinations and permitted managers of one `reg export` file."""
    file = replace(file, secrets=_registry_secrets(file.lines))
    machine = _registry_host(file)
    hits: list[Hit] = []
    key: list[str] = []
    for number, raw in enumerate(file.lines, 1):
        text = raw.strip()
        if not text or text.startswith(";"):
            continue
        if text.startswith("[") and text.endswith("]"):
            # `[-KEY]` deletes a key: nothing under it is configured.
            key = [] if text.startswith("[-") else text[1:-1].lower().split("\\")
            continue
        match = _REG_STRING.match(text)
        if match is None or not key:
            continue
        data = re.sub(r"\\(.)", r"\1", match.group(2)).strip()
        try:
            hit = _registry_value(file, number, key, match.group(1), data, machine)
        except Withheld as withheld:
            file.skipped.append((number, str(withheld)))
            continue
        if hit is not None and is_remote(hit.host):
            hits.append(hit)
    return hits


def _registry_value(file: ConfigFile, number: int, key: list[str], value: str,
                    data: str, machine: str) -> Hit | None:
    """A `PermittedManagers` or `TrapConfiguration\\<community>` value, else None.

    `machine` is the host the export came from: the fix says where to make the change.
    """
    managers = key[-1] == "permittedmanagers"
    traps = len(key) > 1 and key[-2] == "trapconfiguration"
    if not (managers or traps) or not data:
        return None
    file.guard("PermittedManagers" if managers else "TrapConfiguration", data)
    host = canonical_host(data)
    if host is None:
        raise file.error("not an address or host name", number, value)
    # Group Policy keys override the local ones and are changed in the GPO, not the GUI.
    policy = "policies" in key
    if managers:
        where = (f"in the Group Policy that sets SNMP permitted managers on {machine}"
                 if policy else "(SNMP Service properties, Security tab: Accept SNMP packets "
                 f"from these hosts) on {machine}")
        return Hit(number, host, False, f"PermittedManagers {data}",
                   f"Remove {data} from the permitted managers {where}")
    where = (f"the Group Policy that sets SNMP trap destinations (TrapConfiguration) on "
             f"{machine}" if policy
             else f"the SNMP Service's Traps tab (TrapConfiguration) on {machine}")
    return Hit(number, host, True, f"TrapConfiguration trap destination {data}",
               f"Delete trap destination {data} from {where}", "udp", TRAP_PORT)

"""IPAM status words: what each says about a prefix, one table for every IPAM source.

NetBox's prefix statuses (`Active`, `Reserved`, `Deprecated`, `Container`), as its API
(`status.value`) and its CSV export write them, plus the words people type by hand for a
dead network (`Retired`, `Decommissioned`). A word outside the table is an error that lists
the valid ones, never a guess: `Planned` space, say, is neither live nor gone.
"""

from __future__ import annotations

from auditor.model import NetworkStatus

#: Status word (lower case) -> what it says about the network.
STATUS_WORDS: dict[str, NetworkStatus] = {
    "active": NetworkStatus.ACTIVE,
    # Reserved space is held for something that exists or is being built: not gone.
    "reserved": NetworkStatus.ACTIVE,
    "deprecated": NetworkStatus.DEPRECATED,
    "retired": NetworkStatus.DEPRECATED,
    "decommissioned": NetworkStatus.DEPRECATED,
    # On its way out: records pointing into it are what the audit should name now.
    "decommissioning": NetworkStatus.DEPRECATED,
    # Only an aggregate: proves nothing about what lives inside.
    "container": NetworkStatus.CONTAINER,
}

#: The words as a user writes them, for errors.
VALID = ", ".join(word.capitalize() for word in STATUS_WORDS)


def network_status(word: str) -> NetworkStatus:
    """The status `word` names, in any case; empty means active (no status column value).

    Raises:
        ValueError: `unknown status 'Gone-ish'; valid: Active, Reserved, ...`.
    """
    key = word.lower()
    if not key:
        return NetworkStatus.ACTIVE
    try:
        return STATUS_WORDS[key]
    except KeyError:
        raise ValueError(f"unknown status {word!r}; valid: {VALID}") from None

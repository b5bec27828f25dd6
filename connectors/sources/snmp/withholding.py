"""Keeping communities, v3 users and keys out of every record.

A line whose words are out of order can put a secret where the host belongs
(`informsink S3cr3t 10.250.9.4`, `snmp-server host S3cr3t 10.1.1.1`). So each file is read
twice: first for every word it uses as a community, user or key (`harvest`), then for hosts.
A host, interface or VRF slot holding one of those words (`ConfigFile.guard`), or holding a
bare word while the community slot holds an address (`unswapped`), gives no record: the line
is skipped and listed in `SnmpConfigSource.skipped` with a reason that quotes none of its
words.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from auditor.addresses import canonical_ip
from connectors.sources.snmp.common import ConfigFile, Hit


def is_bare(host: str) -> bool:
    """A host name without a dot: as likely a community as a host, on its own."""
    return "." not in host and canonical_ip(host) is None


def plausible(host: str) -> bool:
    """An address or a dotted name: a host, whatever slot it was written in."""
    return not is_bare(host)


def alt_host(host: str, other: str | None, read: Callable[[str], str | None]) -> str | None:
    """`Hit.alt`: the other slot's word as a host, when `host` is a bare word."""
    if other is None or not is_bare(host):
        return None
    return read(other)


def unswapped(file: ConfigFile, hits: list[Hit]) -> list[Hit]:
    """Drop hits whose bare host word may be a community written where the host belongs.

    `informsink S3cr3t 10.250.9.4`: the host slot holds a bare word that no other line names
    as a host, while the community slot holds an address, a dotted name, or a name another
    line uses as a host. The words are swapped; the bare word is likely the community.
    """
    lines: dict[str, set[int]] = {}
    for hit in hits:
        lines.setdefault(hit.host, set()).add(hit.line)

    def elsewhere(host: str, line: int) -> bool:
        return bool(lines.get(host, set()) - {line})

    kept = []
    for hit in hits:
        if hit.alt is not None and not elsewhere(hit.host, hit.line) and (
                plausible(hit.alt) or elsewhere(hit.alt, hit.line)):
            file.skipped.append((hit.line, f"{hit.directive}: the host slot holds a bare word "
                                 "and the community slot holds a host (words out of order?); "
                                 "the line is skipped so a community never becomes a host"))
            continue
        kept.append(hit)
    return kept


def sure_host(word: str, read: Callable[[str], str | None]) -> bool:
    """True when `word` in a host slot is an address or dotted name: the line is in order.

    A notification line's community slot counts as a secret only then; when the host slot
    holds a bare word, the community slot may hold the real host (`informsink S3cr3t nms02`).
    """
    host = read(word) if word else None
    return host is not None and plausible(host)


def harvest(words: Iterable[str | None], read: Callable[[str], str | None]) -> set[str]:
    """The lower-cased words that are secrets: not empty, and not a plausible host.

    An address or dotted name in a community slot is a swapped line's host, not a secret.
    """
    found = set()
    for word in words:
        if not word:
            continue
        host = read(word)
        if host is None or is_bare(host):
            found.add(word.lower())
    return found

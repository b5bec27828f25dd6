"""Cisco ASA / FTD syslog text: the messages an audit reads and the headers relays put on them.

Message texts follow Cisco's templates with the variants of `firewall-logs.md` section 1.3
(419002 with and without "Received", identity suffixes, 106023's ICMP type and missing hash
pair, 302014's `from <ifc>`); header styles are the ones seen in real exports, by name:

========================  ===================================================================
`rfc3164`                 `Mar  7 13:02:11 fw-core : %ASA-4-419002: ...`
`asa-year`                `Mar 07 2025 13:02:11 fw-core : %ASA-4-419002: ...`
`rfc5424`                 `<164>2025-03-07T13:02:11Z fw-core : %ASA-4-419002: ...`
`relay-ip`                `Mar  7 13:02:11 10.255.0.2 %ASA-4-419002: ...`
`relay-ip-colon`          `Mar  7 13:02:11 10.255.0.2 : %ASA-4-419002: ...`
`pri-asa`                 `<164>Mar 07 2025 13:02:11: %ASA-4-419002: ...`
`pri-rfc3164`             `<164>Mar  7 13:02:11 fw-core: %ASA-4-419002: ...`
`program-pid`             `Mar 07 2025 13:02:11 fw-core CiscoASA[2211]: %ASA-4-419002: ...`
`asa-year-est`            the ASA clock on US Eastern: `Mar 07 2025 08:02:11 EST: %ASA-...`
`nocolon`                 `Mar 07 2025 13:02:11 : %ASA-4-419002 ...` (no colon after the ID)
========================  ===================================================================
"""

from __future__ import annotations

from datetime import datetime, timedelta

from auditor.synthetic.model import Endpoint

#: Every header style `format_line` knows.
HEADER_STYLES = ("rfc3164", "asa-year", "rfc5424", "relay-ip", "relay-ip-colon", "pri-asa",
                 "pri-rfc3164", "program-pid", "asa-year-est", "nocolon")
#: Syslog facility local4, the ASA's default (`logging facility 20`).
FACILITY = 20


def format_rfc3164_header(when: datetime, host: str) -> str:
    """`Mar  7 13:02:11 host : `, the header an ASA's `logging host` gets by default."""
    return f"{when:%b} {when.day:2d} {when:%H:%M:%S} {host} : "


def format_tag(product: str, severity: int, message_id: str, *, session: bool = False) -> str:
    """`%ASA-4-419002:`; `session` gives FTD's `%ASA-session-5-106100:` form."""
    middle = f"session-{severity}" if session else str(severity)
    return f"%{product}-{middle}-{message_id}:"


def format_line(style: str, when: datetime, host: str, severity: int, message_id: str,
                text: str, *, product: str = "ASA", session: bool = False) -> str:
    """One whole syslog line: the header in `style`, the message tag, the text."""
    head = format_tag(product, severity, message_id, session=session)
    pri = FACILITY * 8 + severity
    if style == "rfc3164":
        return f"{format_rfc3164_header(when, host)}{head} {text}"
    if style == "asa-year":
        return f"{when:%b %d %Y %H:%M:%S} {host} : {head} {text}"
    if style == "rfc5424":
        return f"<{pri}>{when:%Y-%m-%dT%H:%M:%S}Z {host} : {head} {text}"
    if style == "relay-ip":
        return f"{when:%b} {when.day:2d} {when:%H:%M:%S} {host} {head} {text}"
    if style == "relay-ip-colon":
        return f"{when:%b} {when.day:2d} {when:%H:%M:%S} {host} : {head} {text}"
    if style == "pri-asa":
        return f"<{pri}>{when:%b %d %Y %H:%M:%S}: {head} {text}"
    if style == "pri-rfc3164":
        return f"<{pri}>{when:%b} {when.day:2d} {when:%H:%M:%S} {host}: {head} {text}"
    if style == "program-pid":
        return f"{when:%b %d %Y %H:%M:%S} {host} CiscoASA[2211]: {head} {text}"
    if style == "asa-year-est":
        local = when - timedelta(hours=5)
        return f"{local:%b %d %Y %H:%M:%S} EST: {head} {text}"
    if style == "nocolon":
        return f"{when:%b %d %Y %H:%M:%S} : {head[:-1]} {text}"
    raise ValueError(f"unknown syslog header style {style!r}; valid: {', '.join(HEADER_STYLES)}")


def _end(point: Endpoint) -> str:
    return f"{point.interface}:{point.address}/{point.port}{point.user}"


def format_duplicate_syn(src: Endpoint, dst: Endpoint, *, received: bool = True) -> str:
    """419002; `received=False` is the wording real devices print (no "Received", no period)."""
    if received:
        return (f"Received duplicate TCP SYN from {_end(src)} to {_end(dst)} with different "
                "initial sequence number.")
    return f"Duplicate TCP SYN from {_end(src)} to {_end(dst)} with different initial " \
           "sequence number"


def format_no_route(protocol: str, src: Endpoint, dst: Endpoint) -> str:
    """110003: no next hop towards the destination."""
    return f"Routing failed to locate next hop for {protocol} from {_end(src)} to {_end(dst)}"


def format_no_egress(protocol: str, src: Endpoint, dst_address: str, dst_port: int) -> str:
    """110002: no egress interface (the destination carries no interface name)."""
    return (f"Failed to locate egress interface for {protocol.upper()} from {_end(src)} to "
            f"{dst_address}/{dst_port}")


def format_acl_deny(protocol: str, src: Endpoint, dst: Endpoint, acl: str, *,
                    icmp: str = "", hashes: str = " [0x0, 0x0]") -> str:
    """106023: denied by an access group; `icmp` is `type 3, code 0, ` where printed."""
    return (f"Deny {protocol} src {_end(src)} dst {_end(dst)} {icmp}by access-group "
            f"\"{acl}\"{hashes}")


def format_acl_hit(acl: str, permitted: bool, protocol: str, src: Endpoint, dst: Endpoint,
                   hits: int, hash_text: str) -> str:
    """106100: an access-list entry's hit, `hits` times in the interval."""
    verb = "permitted" if permitted else "denied"
    interval = "first hit" if hits == 1 else "300-second interval"
    return (f"access-list {acl} {verb} {protocol} {src.interface}/{src.address}({src.port}) -> "
            f"{dst.interface}/{dst.address}({dst.port}) hit-cnt {hits} {interval} "
            f"[{hash_text}, 0x0]")


def format_built(direction: str, protocol: str, connection: int | str, first: Endpoint,
                 second: Endpoint) -> str:
    """302013 / 302015: the higher-security end is printed second, whoever initiated."""
    def end(point: Endpoint) -> str:
        mapped = point.mapped or f"{point.address}/{point.port}"
        return f"{point.interface}:{point.address}/{point.port} ({mapped})"
    return (f"Built {direction} {protocol.upper()} connection {connection} for {end(first)} to "
            f"{end(second)}")


def format_teardown(protocol: str, connection: int | str, first: Endpoint, second: Endpoint,
                    duration: str, size: int, reason: str = "") -> str:
    """302014 / 302016: same endpoint order as the Built; `reason` such as `TCP FINs`."""
    tail = f" {reason}" if reason else ""
    return (f"Teardown {protocol.upper()} connection {connection} for {_end(first)} to "
            f"{_end(second)} duration {duration} bytes {size}{tail}")

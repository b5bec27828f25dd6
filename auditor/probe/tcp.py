"""TCP probe: connect to the port a tool polls, see whether anything answers.

A non-blocking `connect` sends the SYN; the event loop waits for the socket to become
writable, then `SO_ERROR` says how it ended: accepted (`ok`), reset (`refused`: the host is
there, the port closed), ICMP unreachable (`unreachable`), or nothing (`timeout`).

The kernel resends an unanswered SYN on its own, one RTO after the last (`TCP_INFO` says
how long: 1 s, then 1 s again or doubling, as the kernel's settings say). Those are packets
too, sent at a time the kernel picks: the slot of each is reserved from the run's pacer
just before it is due, and when the pacer has no room the connect is abandoned (closing a
socket that is still connecting sends nothing), so the rate holds whatever the timeout.
Each retransmission is watched for as it leaves (the count in `TCP_INFO`), so the next is
timed from it, not from a schedule the kernel may not follow. An accepted connection is
closed at once with a reset (`SO_LINGER` 0): no data, no FIN handshake; its ACK and reset
are charged to the pacer. `TCP_INFO` also tells how many SYNs really left.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import socket
import struct
from dataclasses import dataclass

from auditor.model import ProbeKind, ProbeResult, ProbeStatus
from auditor.probe.limits import Limits
from auditor.probe.plan import AllowList

#: How long before a retransmission is due its slot is reserved (or the connect dropped).
MARGIN = 0.05
#: While a retransmission is due: how often to look whether it left, and for how long.
WATCH_STEP, WATCH_LATE = 0.01, 0.25
#: The initial RTO when `TCP_INFO` cannot tell (Linux's TCP_TIMEOUT_INIT).
INITIAL_RTO = 1.0
#: `struct tcp_info`: 8 bytes of flags, then u32 fields: `tcpi_rto` (microseconds) is the
#: first, `tcpi_total_retrans` the 24th.
_U32 = struct.Struct("=I")
_RTO_OFFSET = 8
_TOTAL_RETRANS_OFFSET = 8 + 23 * 4
_TCP_INFO_SIZE = 104
_LINGER_RESET = struct.pack("ii", 1, 0)
_UNREACHABLE = {errno.EHOSTUNREACH, errno.ENETUNREACH, errno.EHOSTDOWN, errno.ENETDOWN}


@dataclass(frozen=True, slots=True)
class Attempt:
    """How one connect ended."""

    status: ProbeStatus
    latency: float | None
    error: str | None
    packets: int


async def probe_tcp(address: str, port: int, *, limits: Limits, allow: AllowList,
                    timeout: float, retries: int) -> ProbeResult:
    """Connect to `address`:`port` (retrying only when nothing answered)."""
    allow.check(address)
    attempt = Attempt(ProbeStatus.ERROR, None, "not attempted", 0)
    attempts = 0
    for _ in range(retries + 1):
        attempts += 1
        attempt = await connect_once(address, port, limits=limits, allow=allow,
                                     timeout=timeout)
        if attempt.status is not ProbeStatus.TIMEOUT:
            break
    error = attempt.error
    if attempt.status is ProbeStatus.TIMEOUT and attempts > 1:
        error = f"{error} ({attempts} attempts)"
    return ProbeResult(address=address, kind=ProbeKind.TCP, status=attempt.status, port=port,
                       latency=attempt.latency, error=error, attempts=attempts)


async def connect_once(address: str, port: int, *, limits: Limits, allow: AllowList,
                       timeout: float) -> Attempt:
    """One connect: its SYN paced, its retransmissions reserved, the socket always closed."""
    loop = asyncio.get_running_loop()
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    await limits.pacer.acquire()
    allow.check(address)  # again, right before the socket exists
    try:
        sock = socket.socket(family, socket.SOCK_STREAM)
    except OSError as exc:
        return Attempt(ProbeStatus.ERROR, None, f"could not open a socket: "
                       f"{exc.strerror or exc}", 0)
    limits.opened()
    connected = False
    try:
        sock.setblocking(False)
        start = limits.clock()
        code: int | None
        try:
            sock.connect((address, port))  # the SYN leaves here
            code = 0
        except BlockingIOError:
            code = None
        except OSError as exc:
            code = exc.errno or errno.EIO
            if code != errno.ECONNREFUSED:  # failed here (no route...): no SYN left
                return _ended(code, None, 0)
        abandoned = False
        if code is None:
            code, abandoned = await _wait(loop, sock, limits, start, start + timeout)
        elapsed = limits.clock() - start
        packets = 1 + _retransmits(sock)
        if code == 0:
            connected = True
            packets += 2  # the ACK that completed the handshake, the reset that ends it
            limits.pacer.charge(2)
        limits.sent(packets)
        if code is None:
            note = (" (stopped before the kernel's SYN retransmission: the rate had no room "
                    "for it)") if abandoned else ""
            return Attempt(ProbeStatus.TIMEOUT, None, f"no answer in {elapsed:.2f} s{note}",
                           packets)
        return _ended(code, elapsed, packets)
    finally:
        if connected:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER_RESET)
        sock.close()
        limits.closed()


async def _wait(loop: asyncio.AbstractEventLoop, sock: socket.socket, limits: Limits,
                start: float, deadline: float) -> tuple[int | None, bool]:
    """Wait until the connect ends or `deadline`: (SO_ERROR or None, abandoned early)."""
    last_sent, seen = start, 0
    while True:
        due = last_sent + (_info(sock, _RTO_OFFSET) / 1e6 or INITIAL_RTO)
        # the next retransmission, if it would leave before we close, needs its slot first
        check = due - MARGIN if due < deadline + MARGIN else deadline
        if await _writable(loop, sock, check - limits.clock()):
            return _so_error(sock), False
        if check >= deadline:
            return None, False
        if not limits.pacer.try_acquire(within=MARGIN):
            return None, True
        while True:  # watch it leave, to time the next one from it
            now = limits.clock()
            if await _writable(loop, sock, min(deadline, now + WATCH_STEP) - now):
                return _so_error(sock), False
            now = limits.clock()
            if now >= deadline:
                return None, False
            if _retransmits(sock) > seen or now > due + WATCH_LATE:
                break
        last_sent, seen = now, _retransmits(sock)


def _so_error(sock: socket.socket) -> int:
    return sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)


async def _writable(loop: asyncio.AbstractEventLoop, sock: socket.socket,
                    seconds: float) -> bool:
    """Whether `sock` becomes writable (its connect ended) within `seconds`."""
    done: asyncio.Future[None] = loop.create_future()

    def ready() -> None:
        if not done.done():
            done.set_result(None)

    fd = sock.fileno()
    loop.add_writer(fd, ready)
    try:
        await asyncio.wait_for(done, max(seconds, 0.0))
        return True
    except TimeoutError:
        return False
    finally:
        loop.remove_writer(fd)


def _retransmits(sock: socket.socket) -> int:
    """SYN retransmissions the kernel made for this socket (0 where TCP_INFO is missing)."""
    return _info(sock, _TOTAL_RETRANS_OFFSET)


def _info(sock: socket.socket, offset: int) -> int:
    """One u32 field of the socket's `struct tcp_info`; 0 where the system has none."""
    option = getattr(socket, "TCP_INFO", None)
    if option is None:
        return 0
    try:
        info = sock.getsockopt(socket.IPPROTO_TCP, option, _TCP_INFO_SIZE)
    except OSError:
        return 0
    if len(info) < offset + 4:
        return 0
    return int(_U32.unpack_from(info, offset)[0])


def _ended(code: int, latency: float | None, packets: int) -> Attempt:
    if code == 0:
        return Attempt(ProbeStatus.OK, latency, None, packets)
    if code == errno.ECONNREFUSED:
        return Attempt(ProbeStatus.REFUSED, latency, "connection refused (TCP reset): the "
                       "host answered, nothing listens on the port", packets)
    if code == errno.ETIMEDOUT:
        return Attempt(ProbeStatus.TIMEOUT, None, f"no answer in {latency or 0:.2f} s (the "
                       "kernel gave up after its SYN retransmission)", packets)
    reason = f"{os.strerror(code)} ({errno.errorcode.get(code, code)})"
    if code in _UNREACHABLE:
        return Attempt(ProbeStatus.UNREACHABLE, latency, reason, packets)
    return Attempt(ProbeStatus.ERROR, None, reason, packets)


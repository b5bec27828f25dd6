"""How fast and how wide a probe run may go: a packet pacer and a bound on open sockets.

`RateLimiter` paces packets: it hands out send slots `1 / rate` seconds apart (a token
bucket that holds one token), so no second holds more than `rate` packets plus the one at
its edge. Each probe takes its slot before its packet leaves. A packet the kernel sends on
its own (the ACK that completes a TCP handshake, the reset that closes it) is `charge`d as
it goes; a SYN retransmission is reserved with `try_acquire` just before it is due, and the
connect is abandoned when there is no room (see `tcp`).

`Limits` bundles the pacer with the semaphore that bounds probes in flight, the count of
sockets open now and at most, and the packet count the report shows.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable


class RateLimiter:
    """Send slots `1 / rate` seconds apart, handed out in the order they are asked for."""

    def __init__(self, rate: float, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        if not rate > 0:
            raise ValueError(f"rate must be positive, not {rate!r}")
        self.rate = rate
        self.interval = 1.0 / rate
        self._clock = clock
        self._sleep = sleep
        self._next = 0.0
        self.granted = 0
        """Packets given a slot so far (acquired, reserved or charged)."""

    async def acquire(self, packets: int = 1) -> None:
        """Wait for the slot of the next `packets` packets (back to back at the rate)."""
        now = self._clock()
        slot = max(now, self._next)
        self._next = slot + packets * self.interval
        self.granted += packets
        if slot > now:
            await self._sleep(slot - now)

    def try_acquire(self, packets: int = 1, *, within: float = 0.0) -> bool:
        """Take the next slot if it starts within `within` seconds from now; never waits.

        For a packet that will leave at a time the caller does not choose (the kernel's SYN
        retransmission): reserved just before it is due, or not sent at all.
        """
        now = self._clock()
        if self._next > now + within:
            return False
        self._next = max(now, self._next) + packets * self.interval
        self.granted += packets
        return True

    def charge(self, packets: int = 1) -> None:
        """Account for packets that leave now without waiting (a handshake's ACK and reset):
        the slots after them move on by as much."""
        self._next = max(self._clock(), self._next) + packets * self.interval
        self.granted += packets


class Limits:
    """One probe run's limits and counters, shared by every prober of the run."""

    def __init__(self, rate: float, concurrency: int, *,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.pacer = RateLimiter(rate, clock=clock)
        self.concurrency = concurrency
        self.slots = asyncio.Semaphore(concurrency)
        """Held by each probe while it runs: at most `concurrency` in flight."""
        self.clock = clock
        self.open_sockets = 0
        self.peak_sockets = 0
        self.packets = 0
        """Packets sent to targets (what `ProbeRun.packets` reports)."""
        self.dns_lookups = 0

    def opened(self) -> None:
        """A socket was opened."""
        self.open_sockets += 1
        self.peak_sockets = max(self.peak_sockets, self.open_sockets)

    def closed(self) -> None:
        """A socket was closed."""
        self.open_sockets -= 1

    def sent(self, packets: int = 1) -> None:
        """Packets went to a target."""
        self.packets += packets

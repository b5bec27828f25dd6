"""DNS probe: look up a host name a record holds, through the system resolver.

`system_resolver` runs `getaddrinfo` (the C library's resolver: /etc/hosts, then the
servers in /etc/resolv.conf, as every tool on the host resolves) in a thread of the run's
own executor, under `timeout`. A `Resolver` is any coroutine function name -> addresses;
`probe_name` takes one, so a caller (a test) can put its own in front of a server it runs.

What comes back: addresses (`ok`); the resolver's "no such name" or "no address"
(`unresolved`: the evidence `dns-unresolved` stands on); no answer in time or a resolver
failure (`timeout`, `error`: no evidence, the resolver is what failed). The lookups go to
the system's resolver, never to a target; `[probe] allow` then decides which answers are
probed.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable
from concurrent.futures import Executor

from auditor.addresses import canonical_ip
from auditor.model import ProbeKind, ProbeResult, ProbeStatus
from auditor.probe.limits import Limits

#: A name in, its addresses out (in the resolver's order); raises `socket.gaierror`.
Resolver = Callable[[str], Awaitable[list[str]]]

#: getaddrinfo errors that are the resolver's definite "this name has no address".
_NO_SUCH_NAME = {getattr(socket, n) for n in ("EAI_NONAME", "EAI_NODATA", "EAI_ADDRFAMILY")
                 if hasattr(socket, n)}


def system_resolver(executor: Executor | None = None) -> Resolver:
    """The C library's resolver, called off the event loop (in `executor`)."""
    async def resolve(name: str) -> list[str]:
        loop = asyncio.get_running_loop()
        infos = await loop.run_in_executor(executor, socket.getaddrinfo, name, None, 0,
                                           socket.SOCK_STREAM)
        return [str(info[4][0]) for info in infos]

    return resolve


async def probe_name(name: str, *, resolver: Resolver, limits: Limits, timeout: float,
                     retries: int) -> ProbeResult:
    """Look `name` up, retrying when the resolver did not answer."""
    status, error = ProbeStatus.ERROR, "not attempted"
    attempts = 0
    for _ in range(retries + 1):
        attempts += 1
        await limits.pacer.acquire()
        limits.dns_lookups += 1
        started = limits.clock()
        try:
            found = await asyncio.wait_for(resolver(name.rstrip(".")), timeout)
        except TimeoutError:
            status, error = ProbeStatus.TIMEOUT, f"the resolver gave no answer in " \
                f"{timeout:g} s"
            continue
        except socket.gaierror as exc:
            if exc.errno in _NO_SUCH_NAME:
                return ProbeResult(address=name, kind=ProbeKind.DNS,
                                   status=ProbeStatus.UNRESOLVED,
                                   latency=limits.clock() - started,
                                   error=f"the resolver says: {exc.strerror}",
                                   attempts=attempts)
            status, error = ProbeStatus.ERROR, f"resolver failure: {exc.strerror or exc}"
            continue
        except OSError as exc:
            status, error = ProbeStatus.ERROR, f"resolver failure: {exc.strerror or exc}"
            continue
        latency = limits.clock() - started
        answers: tuple[str, ...] = tuple(dict.fromkeys(a for a in map(canonical_ip, found) if a))
        if not answers:
            return ProbeResult(address=name, kind=ProbeKind.DNS,
                               status=ProbeStatus.UNRESOLVED, latency=latency,
                               error="the resolver gave no address", attempts=attempts)
        return ProbeResult(address=name, kind=ProbeKind.DNS, status=ProbeStatus.OK,
                           latency=latency, detail=", ".join(answers), attempts=attempts,
                           answers=answers)
    if attempts > 1:
        error = f"{error} ({attempts} attempts)"
    return ProbeResult(address=name, kind=ProbeKind.DNS, status=status, error=error,
                       attempts=attempts)

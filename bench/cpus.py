"""CPU placement for the cached lookup: the server alone on one CPU, wrk on the others.

The cached lookup keeps one server process busy on one core. Left to the
scheduler, wrk's threads and the server share cores and swap places, and the
rps of two identical runs moved by 10% on a 2-core VM. Pinned, each side has
its own cores; the service and its ceiling are placed alike. To compare them
under the same VM speed, they can also take turns on their CPU (``take_turns``).
"""

import asyncio
import contextlib
import itertools
import os
import signal
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Placement:
    server: frozenset[int] | None = None  # None: wherever the scheduler likes
    load: frozenset[int] | None = None

    def describe(self) -> str:
        if self.server is None:
            return "not pinned (fewer than 2 CPUs)"
        return f"server on CPU {_cpu_list(self.server)}, wrk on CPU {_cpu_list(self.load)}"


def split_placement() -> Placement:
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        return Placement()
    return Placement(server=frozenset(cpus[-1:]), load=frozenset(cpus[:-1]))


def pin_to(cpus: frozenset[int] | None) -> Callable[[], None] | None:
    """A ``preexec_fn`` that keeps a child (and any thread it starts) on ``cpus``."""
    if cpus is None:
        return None
    return lambda: os.sched_setaffinity(0, cpus)


TURN_SECONDS = 0.1  # how long one process runs before the next, when they take turns


async def take_turns(*pids: int) -> None:
    """Until cancelled, let one of ``pids`` run at a time (SIGSTOP / SIGCONT), each for TURN_SECONDS;
    all of them run again afterwards."""
    try:
        for n in itertools.count():
            for k, pid in enumerate(pids):
                os.kill(pid, signal.SIGCONT if k == n % len(pids) else signal.SIGSTOP)
            await asyncio.sleep(TURN_SECONDS)
    finally:
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):  # one that died must not leave another stopped
                os.kill(pid, signal.SIGCONT)


def _cpu_list(cpus: frozenset[int] | None) -> str:
    return ",".join(str(c) for c in sorted(cpus or ()))

"""What the partition tests watch on a running service: readiness, a cached lookup, the stored orders."""

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import aiohttp
import asyncpg

from app.entrypoints.settings import Settings
from tests.e2e.fault_workload import stored_now
from tests.e2e.service_process import ServiceProcess

ANSWER_WITHIN = 15.0  # seconds a single HTTP request may take before the watch calls it hung


async def failing_checks(service: ServiceProcess) -> list[str] | None:
    """The checks ``/readyz`` names as failing ([] when ready), None when it did not answer."""
    try:
        status, body = await asyncio.wait_for(service.get("/readyz"), ANSWER_WITHIN)
    except (aiohttp.ClientError, TimeoutError):
        return None
    if status == 200:
        return []
    assert status == 503 and isinstance(body, dict), (status, body)
    return sorted(name for name, ok in body["checks"].items() if not ok)


async def seconds_until(check: Callable[[], Awaitable[bool]], timeout: float, what: str) -> float:
    """How long it took until ``check()`` held; fails after ``timeout``."""
    started = time.monotonic()
    while not await check():
        assert time.monotonic() - started < timeout, f"{what} did not hold within {timeout:.0f} s"
        await asyncio.sleep(0.2)
    return time.monotonic() - started


async def mid_ingest(settings: Settings, total: int, timeout: float = 30.0) -> None:
    """Return once some orders are stored but not all: a cut now hits ingest at work."""
    deadline = time.monotonic() + timeout
    while not 0 < await stored_now(settings) < total:
        assert time.monotonic() < deadline, "ingest did not get under way"
        await asyncio.sleep(0.01)


async def a_stored_uid(settings: Settings) -> str:
    conn = await asyncpg.connect(settings.database_url)
    try:
        uid: str = await conn.fetchval("SELECT order_uid FROM orders ORDER BY id LIMIT 1")
    finally:
        await conn.close()
    return uid


@dataclass
class CachedLookups:
    """Asks for one cached order twice a second while running; keeps every answer that was not
    a 200 within a second (what "cached lookups keep answering" rules out)."""

    service: ServiceProcess
    order_uid: str
    asked: int = 0
    bad: list[str] = field(default_factory=list)
    _task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._ask_forever())

    async def stop(self) -> None:
        assert self._task is not None
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)

    async def _ask_forever(self) -> None:
        while True:
            started = time.monotonic()
            try:
                status, _ = await asyncio.wait_for(self.service.get(f"/api/orders/{self.order_uid}"), ANSWER_WITHIN)
            except (aiohttp.ClientError, TimeoutError) as error:
                self.bad.append(f"{type(error).__name__}")
            else:
                took = time.monotonic() - started
                if status != 200 or took > 1.0:
                    self.bad.append(f"{status} in {took:.1f} s")
            self.asked += 1
            await asyncio.sleep(0.5)

"""``orders serve --workers 2``: two full instances on one port, under gunicorn."""

import os
import re
import signal
import time
from pathlib import Path

import aiohttp
import psutil

from app.domain.order_factory import OrderFactory
from app.entrypoints.workers import GRACEFUL_SECONDS
from tests.e2e.helpers import eventually, publish_orders
from tests.e2e.service_process import ServiceProcess

INSTANCE = re.compile(r'^orders_instance_info\{instance="([^"]+)",pid="(\d+)"\} 1\.0$', re.MULTILINE)


async def answering_pids(service: ServiceProcess, wanted: int, timeout: float = 20) -> set[int]:
    """The pids of the workers that answer /metrics, each request on a new connection, until
    ``wanted`` of them have answered."""
    seen: set[int] = set()
    deadline = time.monotonic() + timeout
    while len(seen) < wanted:
        assert time.monotonic() < deadline, f"only workers {seen} answered in {timeout}s"
        async with (
            aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True)) as http,
            http.get(service.base_url + "/metrics") as response,
        ):
            found = INSTANCE.search(await response.text())
        assert found, "every worker says who it is"
        seen.add(int(found.group(2)))
    return seen


def workers_of(arbiter: psutil.Process) -> set[int]:
    return {child.pid for child in arbiter.children() if child.status() != psutil.STATUS_ZOMBIE}


async def all_served(service: ServiceProcess, orders: list[dict]) -> bool:
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True)) as http:
        for order in orders:
            async with http.get(f"{service.base_url}/api/orders/{order['order_uid']}") as response:
                if response.status != 200 or await response.json() != order:
                    return False
    return True


async def test_two_workers_share_a_port_a_killed_one_is_replaced_and_sigterm_stops_both(
    settings, nc, tmp_path: Path
) -> None:
    service = ServiceProcess(settings, tmp_path / "workers.log", args=["--workers", "2"])
    service.start()
    try:
        await service.wait_ready()
        assert service.process is not None
        arbiter = psutil.Process(service.process.pid)
        workers = workers_of(arbiter)
        assert len(workers) == 2
        assert await answering_pids(service, 2) == workers, "both workers take requests on the one port"

        factory = OrderFactory(seed=22)
        orders = [factory.order() for _ in range(30)]
        await publish_orders(nc, settings, orders)
        await eventually(lambda: all_served(service, orders), 30, "every order served by whichever worker")

        victim = min(workers)
        os.kill(victim, signal.SIGKILL)
        await eventually(lambda: replaced(arbiter, victim), 30, "a replacement worker")
        replacement = (workers_of(arbiter) - workers).pop()
        assert replacement in await answering_pids(service, 2), "the replacement takes requests"

        stopping = time.monotonic()
        assert service.terminate(timeout=GRACEFUL_SECONDS + 10) == 0
        assert time.monotonic() - stopping < GRACEFUL_SECONDS
        assert not any(psutil.pid_exists(pid) for pid in (workers - {victim}) | {replacement})
        log = service.log_path.read_text()
        assert "Booting worker" in log and "Shutting down: Master" in log, log[-2000:]
    finally:
        service.kill()


async def replaced(arbiter: psutil.Process, victim: int) -> bool:
    return len(workers_of(arbiter) - {victim}) == 2

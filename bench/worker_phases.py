"""Cached lookups with ``--workers`` equal to the cores against one worker, in the same run.

Each round starts ``orders serve`` with one worker and with as many workers as
the bench may use CPUs, one after the other (which goes first alternating), on
the same port settings and cache, and runs the same wrk against each once all
its workers are warm. Nothing is pinned: the workers and wrk share the cores,
as a one-worker service and its load do too. The figure is the ratio of the
medians of the rounds' rps.
"""

import asyncio
import os
import re
import time

import aiohttp

from bench.report import Row
from bench.run import Run
from bench.seed import lookup_set, publish_orders, wait_ingested
from bench.service_proc import ServiceProcess
from bench.wrk import WrkResult, median, wrk

TARGET_PER_CORE = 0.85  # 1.7x on 2 cores; a bare aiohttp app in two processes measured 2.0x one
_INSTANCE = re.compile(r'^orders_instance_info\{instance="[^"]+",pid="(\d+)"\} 1\.0$', re.MULTILINE)
_CACHED = re.compile(r"^orders_cache_entries (\S+)$", re.MULTILINE)


async def workers(run: Run) -> Row:
    if run.uids_file is None:
        await _seed(run)
    cores = len(os.sched_getaffinity(0))
    if cores < 2:
        run.note("cached lookup with workers: skipped, one CPU")
        return Row("7. Cached lookup, workers = cores", "n/a (one CPU)")
    results: dict[int, list[WrkResult]] = {1: [], cores: []}
    for n in range(run.worker_rounds):
        for count in (1, cores) if n % 2 == 0 else (cores, 1):
            results[count].append(await _measure(run, count, n))
    one, many = median(results[1]), median(results[cores])
    ratio = many.rps / one.rps
    by_round = [m.rps / o.rps for m, o in zip(results[cores], results[1], strict=True)]
    run.note(
        f"cached lookup, {cores} workers against 1 (rounds in turns, not pinned): {cores} workers {many};"
        f" 1 worker {one}; ratio by round {' / '.join(f'{r:.2f}' for r in by_round)}"
    )
    target = TARGET_PER_CORE * cores
    return Row(
        f"7. Cached lookup, {cores} workers",
        f"{many.rps:,.0f} rps",
        f"{one.rps:,.0f} rps (1 worker)",
        f"{ratio:.2f}",
        f"≥ {target:.1f}",
        ratio >= target and not many.errors and not one.errors,
    )


async def _measure(run: Run, count: int, n: int) -> WrkResult:
    service = run.service(f"workers-{count}-{n}", cache_max_orders=run.lookups, http_workers=count)
    service.start()
    try:
        await service.wait_ready()
        await _all_warm(service, count, run.lookups)
        result = await wrk(service.base, run.lookup_files[0], seconds=run.wrk_seconds, warm_seconds=run.warm_seconds)
    finally:
        service.stop()
    run.note(f"cached lookup, {count} worker(s), round {n + 1}: {result}")
    return result


async def _all_warm(service: ServiceProcess, count: int, cached: int, timeout: float = 300) -> None:
    """Until ``count`` distinct workers have answered that their caches hold ``cached`` orders
    (each request on a new connection, so the kernel hands it to any worker)."""
    warm: set[str] = set()
    deadline = time.monotonic() + timeout
    connector = aiohttp.TCPConnector(force_close=True)
    async with aiohttp.ClientSession(connector=connector) as http:
        while len(warm) < count:
            if time.monotonic() > deadline:
                raise RuntimeError(f"only {len(warm)} of {count} workers warmed in {timeout}s:\n{service.log_tail()}")
            async with http.get(service.base + "/metrics") as response:
                text = await response.text()
            pid, entries = _INSTANCE.search(text), _CACHED.search(text)
            if pid and entries and float(entries.group(1)) >= cached:
                warm.add(pid.group(1))
            else:
                await asyncio.sleep(0.05)


async def _seed(run: Run) -> None:
    """For ``--only workers``: the orders published and ingested by one service, and the lookup set."""
    await publish_orders(run.settings, run.orders)
    service = run.service("workers-seed")
    service.start()
    try:
        await service.wait_ready()
        await wait_ingested(run.settings, run.orders)
    finally:
        service.stop()
    run.uids_file, run.bodies_file, run.bodies = await lookup_set(run.database_url, run.lookups, run.work_dir)
    run.note(f"cached lookup with workers: {run.orders:,} orders ingested first, {len(run.bodies):,} looked up")

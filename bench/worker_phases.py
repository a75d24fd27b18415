"""Cached lookups with ``--workers`` equal to the cores against one worker, in the same run.

Each round starts ``orders serve`` with one worker and with as many workers as
the bench may use CPUs, one after the other (which goes first alternating), on
the same port settings and cache, and runs the same wrk against each once all
its workers are warm; then the same for the bare aiohttp app of the cached
lookup's ceiling in one process and in as many (``SO_REUSEPORT``, as the
workers). Nothing is pinned: the servers and wrk share the cores, as a
one-worker service and its load do too. The service's figure is the ratio of
the medians of the rounds' rps; it is judged against the bare app's own ratio
in the same rounds, since wrk's share of the same cores bounds both.
"""

import asyncio
import json
import os
import re
import time
from pathlib import Path

import aiohttp

from bench.answers import answers, sample_uids, shared_headers
from bench.ceilings import bare_apps
from bench.report import Row
from bench.run import Run
from bench.seed import lookup_set, publish_orders, wait_ingested
from bench.service_proc import ServiceProcess
from bench.wrk import WrkResult, median, wrk

TARGET = 0.85  # of the bare app's scaling: the 1.7x against a bare app's 2.0x
_INSTANCE = re.compile(r'^orders_instance_info\{instance="[^"]+",pid="(\d+)"\} 1\.0$', re.MULTILINE)
_CACHED = re.compile(r"^orders_cache_entries (\S+)$", re.MULTILINE)


async def workers(run: Run) -> Row:
    if run.uids_file is None:
        await _seed(run)
    cores = len(os.sched_getaffinity(0))
    if cores < 2:
        run.note("cached lookup with workers: skipped, one CPU")
        return Row("7. Cached lookup, workers = cores", "n/a (one CPU)")
    headers_file = await _service_headers(run)
    results: dict[tuple[str, int], list[WrkResult]] = {}
    for n in range(run.worker_rounds):
        for count in (1, cores) if n % 2 == 0 else (cores, 1):
            results.setdefault(("service", count), []).append(await _measure(run, count, n))
            results.setdefault(("bare", count), []).append(await _measure_bare(run, headers_file, count, n))
    ratio, bare_ratio = (_scaling(run, results, side, cores) for side in ("service", "bare"))
    errors = any(r.errors for rounds in results.values() for r in rounds)
    return Row(
        f"7. Cached lookup, {cores} workers",
        f"{ratio:.2f}× one worker",
        f"{bare_ratio:.2f}× (bare aiohttp, {cores} processes against 1)",
        f"{ratio / bare_ratio:.2f}",
        f"≥ {TARGET} (1.7 of 2.0)",
        ratio >= TARGET * bare_ratio and not errors,
    )


def _scaling(run: Run, results: dict[tuple[str, int], list[WrkResult]], side: str, cores: int) -> float:
    one, many = median(results[(side, 1)]), median(results[(side, cores)])
    by_round = [m.rps / o.rps for m, o in zip(results[(side, cores)], results[(side, 1)], strict=True)]
    run.note(
        f"cached lookup, {side}, {cores} processes against 1 (rounds in turns, not pinned): {cores}: {many};"
        f" 1: {one}; ratio by round {' / '.join(f'{r:.2f}' for r in by_round)}"
    )
    return many.rps / one.rps


async def _service_headers(run: Run) -> Path:
    """The headers of the service's answers, for the bare app to send the same (``bench/answers.py``)."""
    service = run.service("workers-headers", cache_max_orders=run.lookups)
    service.start()
    try:
        await service.wait_ready()
        uids = sample_uids(run.bodies, 1)
        headers_file = run.work_dir / "workers_response_headers.json"
        headers_file.write_text(json.dumps(shared_headers(await answers(service.base, uids), uids)))
    finally:
        service.stop()
    return headers_file


async def _measure_bare(run: Run, headers_file: Path, count: int, n: int) -> WrkResult:
    async with bare_apps(run.lookup_files[1], headers_file, count) as (base, _):
        result = await wrk(base, run.lookup_files[0], seconds=run.wrk_seconds, warm_seconds=run.warm_seconds)
    run.note(f"cached lookup, bare aiohttp, {count} process(es), round {n + 1}: {result}")
    return result


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

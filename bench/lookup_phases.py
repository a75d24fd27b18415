"""Lookups: cached against a bare aiohttp app, uncached against raw asyncpg reads; memory; the page."""

import asyncio
import random

import aiohttp

from bench.ceilings import bare_app, raw_point_reads
from bench.cpus import split_placement
from bench.report import Row
from bench.run import CACHED_ROUNDS, ROUNDS, Run
from bench.wrk import best, wrk

P99_TARGET_MS = 5.0
MEMORY_TARGET = 4096  # bytes of RSS per cached order


async def uncached(run: Run) -> tuple[Row, Row]:
    service = run.service("uncached", cache_max_orders=1)
    pool = run.settings.db_pool_size
    results, ceilings = [], []
    service.start()
    try:
        await service.wait_ready()
        await asyncio.sleep(1)
        rss_empty = service.rss_bytes()
        for n in range(ROUNDS):
            with run.profiler.phase(f"uncached-{n}", service.pid):
                results.append(await wrk(service.base, run.uids_file, pid=service.pid))
            ceilings.append(await raw_point_reads(run.settings.database_url, list(run.bodies), pool))
    finally:
        service.stop()
    result, (ceiling, ceiling_cpu) = best(results), max(ceilings)
    run.note(f"uncached lookup (CACHE_MAX_ORDERS=1): {result}; raw asyncpg SELECT_ONE, 64 tasks on a pool of"
             f" {pool}: {ceiling:,.0f} reads/s, {ceiling_cpu:.0f} µs CPU/read")
    per_order = (run.rss_full - rss_empty) / max(run.warmed, 1)
    run.note(f"memory: VmRSS {run.rss_full / 2**20:.0f} MiB after warming {run.warmed:,} orders,"
             f" {rss_empty / 2**20:.0f} MiB with a cache of 1")
    ratio = result.rps / ceiling
    return (
        Row("2. Uncached lookup", f"{result.rps:,.0f} rps (p99 {result.p99_ms:.0f} ms)", f"{ceiling:,.0f} reads/s",
            f"{ratio:.2f}", "≥ 0.5", ratio >= 0.5 and not result.errors),
        Row("5. Memory per cached order", f"{per_order:,.0f} B", "—", "—", f"≤ {MEMORY_TARGET:,} B",
            0 < per_order <= MEMORY_TARGET and run.warmed == run.orders),
    )


async def cached(run: Run) -> list[Row]:
    """In turns: a new service process, then a new bare app, each round; the best of each.

    A process's speed varies from one start to the next (up to ~10% here, as two starts of the same
    code show), so each round starts both afresh instead of measuring one start of each again.
    Each server gets a CPU of its own and wrk the others (``bench/cpus.py``)."""
    results, ceilings = [], []
    place = split_placement()
    run.note(f"cached lookup and page: {place.describe()}")
    for n in range(CACHED_ROUNDS):
        service = run.service(f"cached-{n}", cache_max_orders=run.lookups)
        service.start(place.server)
        try:
            await service.wait_ready()
            if service.warmed_orders() != run.lookups:
                raise RuntimeError(f"the cache warmed with {service.warmed_orders()}, not {run.lookups}")
            await _same_bytes(service.base, run.bodies)
            with run.profiler.phase(f"cached-{n}", service.pid):
                results.append(await wrk(service.base, run.uids_file, pid=service.pid, cpus=place.load))
            if n == CACHED_ROUNDS - 1:
                page = await _page(service.base, service.pid, run, place.load)
        finally:
            service.stop()
        async with bare_app(run.bodies_file, place.server) as (bare_base, bare_pid):
            with run.profiler.phase(f"bare-app-{n}", bare_pid):
                ceilings.append(await wrk(bare_base, run.uids_file, pid=bare_pid, cpus=place.load))
    result, bare = best(results), best(ceilings)
    run.note(f"cached lookup over {run.lookups:,} random uids: service {result}; bare aiohttp {bare};"
             f" rps by round: service {' / '.join(f'{r.rps:,.0f}' for r in results)},"
             f" bare {' / '.join(f'{r.rps:,.0f}' for r in ceilings)}")
    ratio = result.rps / bare.rps
    return [
        Row("1. Cached lookup", f"{result.rps:,.0f} rps", f"{bare.rps:,.0f} rps", f"{ratio:.2f}", "≥ 0.9",
            ratio >= 0.9 and not result.errors),
        Row("1. Cached lookup p99", f"{result.p99_ms:.2f} ms", f"{bare.p99_ms:.2f} ms", "—",
            f"≤ {P99_TARGET_MS:.0f} ms", result.p99_ms <= P99_TARGET_MS),
        page,
    ]


async def _same_bytes(base: str, bodies: dict[str, bytes], sample: int = 50) -> None:
    """The service must answer with the very bytes the bare app serves."""
    async with aiohttp.ClientSession() as http:
        for uid in random.sample(list(bodies), min(sample, len(bodies))):
            async with http.get(f"{base}/api/orders/{uid}") as response:
                if response.status != 200 or await response.read() != bodies[uid]:
                    raise RuntimeError(f"the service's answer for {uid} differs from the stored bytes")


async def _page(base: str, pid: int, run: Run, cpus: frozenset[int] | None) -> Row:
    uid = next(iter(run.bodies))
    async with aiohttp.ClientSession() as http, http.get(f"{base}/orders/{uid}") as response:
        html = response.status == 200 and response.content_type == "text/html"
    if not html:
        return Row("6. Order page", "n/a (page not built yet)")
    with run.profiler.phase("page", pid):
        result = await wrk(base, run.uids_file, prefix="/orders/", pid=pid, cpus=cpus)
    run.note(f"order page GET /orders/{{uid}} (cached orders): {result}")
    return Row("6. Order page", f"{result.rps:,.0f} rps (p99 {result.p99_ms:.1f} ms)", ok=False if result.errors else None)

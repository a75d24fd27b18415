"""Lookups: cached against a bare aiohttp app, uncached against raw asyncpg reads; memory; the page."""

import asyncio
import contextlib
import json
import statistics
import time

import aiohttp

from bench.answers import answers, check_bodies, sample_uids, shared_headers
from bench.ceilings import bare_app, raw_point_reads
from bench.cpus import TURN_SECONDS, Placement, split_placement, take_turns
from bench.report import Row
from bench.run import CACHED_ROUNDS, ROUNDS, Run
from bench.wrk import WARM_SECONDS, WrkResult, best, cpu_seconds, median, wrk

P99_RATIO_TARGET = 1.25  # the cached lookup's p99 over the bare app's p99 in the same run
MEMORY_TARGET = 4096  # bytes of RSS per cached order
SLICE_PAIRS, INTERLEAVED_SLICES, SLICE_SECONDS = 3, 4, 3  # per round of the cached lookup


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
                results.append(await wrk(service.base, run.lookup_files[0], pid=service.pid))
            ceilings.append(await raw_point_reads(run.database_url, list(run.bodies), pool))
    finally:
        service.stop()
    result, (ceiling, ceiling_cpu) = best(results), max(ceilings)
    run.note(
        f"uncached lookup (CACHE_MAX_ORDERS=1): {result}; raw asyncpg SELECT_ONE, 64 tasks on a pool of"
        f" {pool}: {ceiling:,.0f} reads/s, {ceiling_cpu:.0f} µs CPU/read"
    )
    per_order = (run.rss_full - rss_empty) / max(run.warmed, 1)
    run.note(
        f"memory: VmRSS {run.rss_full / 2**20:.0f} MiB after warming {run.warmed:,} orders,"
        f" {rss_empty / 2**20:.0f} MiB with a cache of 1"
    )
    ratio = result.rps / ceiling
    return (
        Row(
            "2. Uncached lookup",
            f"{result.rps:,.0f} rps (p99 {result.p99_ms:.0f} ms)",
            f"{ceiling:,.0f} reads/s",
            f"{ratio:.2f}",
            "≥ 0.5",
            ratio >= 0.5 and not result.errors,
        ),
        Row(
            "5. Memory per cached order",
            f"{per_order:,.0f} B",
            "—",
            "—",
            f"≤ {MEMORY_TARGET:,} B",
            0 < per_order <= MEMORY_TARGET and run.warmed == run.orders,
        ),
    )


async def cached(run: Run) -> list[Row]:
    """Each round starts a new service process and a new bare app on the same CPU and keeps both up.

    Their rps and p99 come from wrk slices against each alone, in turns; their ratio from slices
    that load both at once while they take turns on the CPU ten times a second
    (``_interleaved_slices``). The VM's speed drifts by up to 30% from one second to the next
    here: slices seconds apart never see the same speed, turns a tenth of a second apart do.
    wrk runs on the other CPUs (``bench/cpus.py``)."""
    pairs: list[tuple[WrkResult, WrkResult]] = []
    interleaved: list[float] = []
    place = split_placement()
    run.note(f"cached lookup and page: {place.describe()}")
    for n in range(CACHED_ROUNDS):
        service = run.service(f"cached-{n}", cache_max_orders=run.lookups, page_cache_max_pages=run.lookups)
        service.start(place.server)
        try:
            await service.wait_ready()
            if service.warmed_orders() != run.lookups:
                raise RuntimeError(f"the cache warmed with {service.warmed_orders()}, not {run.lookups}")
            uids = sample_uids(run.bodies)
            service_answers = await answers(service.base, uids)
            check_bodies(service_answers, uids, run.bodies)
            headers_file = run.work_dir / "response_headers.json"
            headers_file.write_text(json.dumps(shared_headers(service_answers, uids)))
            async with bare_app(run.lookup_files[1], headers_file, place.server) as (bare_base, bare_pid):
                if await answers(bare_base, uids) != service_answers:
                    raise RuntimeError("the bare app's answers differ from the service's (Date aside)")
                sides = (service.base, service.pid), (bare_base, bare_pid)
                with run.profiler.phase(f"cached-{n}", service.pid):
                    pairs += await _slice_pairs(run, *sides, place)
                    interleaved += await _interleaved_slices(run, *sides, place)
            if n == CACHED_ROUNDS - 1:
                page = await _page(service.base, service.pid, run, place.load)
        finally:
            service.stop()
    result, bare = median([s for s, _ in pairs]), median([b for _, b in pairs])
    pair_ratios = [s.rps / b.rps for s, b in pairs]
    alone = statistics.median(pair_ratios)
    ratio = statistics.median(interleaved)
    by_round = [
        statistics.median(interleaved[i : i + INTERLEAVED_SLICES])
        for i in range(0, len(interleaved), INTERLEAVED_SLICES)
    ]
    run.note(
        f"cached lookup over {run.lookups:,} random uids, alone in turns, medians of {len(pairs)} slice"
        f" pairs ({SLICE_SECONDS} s each): service {result}; bare aiohttp {bare}; their ratio {alone:.2f}"
        f" (by pair {min(pair_ratios):.2f}-{max(pair_ratios):.2f});"
        f" service p99 by slice {min(s.p99_ms for s, _ in pairs):.2f}-{max(s.p99_ms for s, _ in pairs):.2f} ms"
    )
    run.note(
        f"cached lookup interleaved (turns of {TURN_SECONDS} s), {len(interleaved)} slices ({SLICE_SECONDS} s"
        f" each): requests per CPU-second, service over bare, median {ratio:.2f} (by slice"
        f" {min(interleaved):.2f}-{max(interleaved):.2f},"
        f" by round {' / '.join(f'{r:.2f}' for r in by_round)})"
    )
    p99_ratio = result.p99_ms / bare.p99_ms
    return [
        Row(
            "1. Cached lookup",
            f"{result.rps:,.0f} rps",
            f"{bare.rps:,.0f} rps",
            f"{ratio:.2f} interleaved ({alone:.2f} in turns of 3 s)",
            "≥ 0.9",
            ratio >= 0.9 and not result.errors,
        ),
        Row(
            "1. Cached lookup p99",
            f"{result.p99_ms:.2f} ms",
            f"{bare.p99_ms:.2f} ms",
            f"{p99_ratio:.2f}×",
            f"≤ {P99_RATIO_TARGET}×",
            p99_ratio <= P99_RATIO_TARGET,
        ),
        page,
    ]


async def _slice_pairs(
    run: Run, service: tuple[str, int], bare: tuple[str, int], place: Placement
) -> list[tuple[WrkResult, WrkResult]]:
    """Warm both, then SLICE_PAIRS pairs of wrk slices against each alone, which side goes first alternating."""
    for base, _ in (service, bare):
        await wrk(base, run.lookup_files[0], seconds=WARM_SECONDS, warm_seconds=0, cpus=place.load)
    pairs = []
    for k in range(SLICE_PAIRS):
        got = {}
        for base, pid in (service, bare) if k % 2 == 0 else (bare, service):
            got[pid] = await wrk(
                base, run.lookup_files[0], pid=pid, seconds=SLICE_SECONDS, warm_seconds=0, cpus=place.load
            )
        pairs.append((got[service[1]], got[bare[1]]))
    return pairs


async def _interleaved_slices(
    run: Run, service: tuple[str, int], bare: tuple[str, int], place: Placement
) -> list[float]:
    """INTERLEAVED_SLICES slices of one wrk against each server at once, while the bench lets one
    server run at a time, switching every TURN_SECONDS (SIGSTOP / SIGCONT). Each slice's figure is
    requests per CPU-second of the service over the bare app's: both ran alone, with warm caches,
    yet never more than a tenth of a second apart."""
    ratios = []
    for _ in range(INTERLEAVED_SLICES):
        turns = asyncio.create_task(take_turns(service[1], bare[1]))
        try:
            ours, theirs = await asyncio.gather(
                *(
                    wrk(
                        base,
                        run.lookup_files[0],
                        pid=pid,
                        seconds=SLICE_SECONDS,
                        warm_seconds=0,
                        cpus=place.load,
                    )
                    for base, pid in (service, bare)
                )
            )
        finally:
            turns.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await turns
        if ours.errors or theirs.errors or ours.cpu_us is None or theirs.cpu_us is None:
            raise RuntimeError(f"errors (or no CPU time) while taking turns: service {ours}; bare {theirs}")
        ratios.append(theirs.cpu_us / ours.cpu_us)
    return ratios


async def _page(base: str, pid: int, run: Run, cpus: frozenset[int] | None) -> Row:
    """The order page against the cached JSON lookup of the same service, measured alike right after
    it: a page is rendered once, then served from the cache of rendered pages."""
    await _render_every_page(base, pid, run)
    lookup = await wrk(base, run.lookup_files[0], pid=pid, cpus=cpus)
    with run.profiler.phase("page", pid):
        result = await wrk(base, run.lookup_files[0], prefix="/orders/", pid=pid, cpus=cpus)
    ratio = result.rps / lookup.rps
    run.note(f"order page GET /orders/{{uid}} (kept pages): {result}; the cached JSON lookup just before: {lookup}")
    return Row(
        "6. Order page",
        f"{result.rps:,.0f} rps (p99 {result.p99_ms:.1f} ms)",
        f"{lookup.rps:,.0f} rps (cached JSON lookup)",
        f"{ratio:.2f}",
        "≥ 0.7",
        ratio >= 0.7 and not result.errors,
    )


async def _render_every_page(base: str, pid: int, run: Run) -> None:
    """Ask for every page wrk will ask for once, so that wrk measures kept pages, as the row says:
    10,000 first renders do not fit in wrk's 2-s warm-up, and spilled into the figure."""
    uids = list(run.bodies)
    started, cpu = time.monotonic(), cpu_seconds(pid)
    async with aiohttp.ClientSession() as http:
        gate = asyncio.Semaphore(16)

        async def fetch(uid: str) -> None:
            async with gate, http.get(f"{base}/orders/{uid}") as response:
                if response.status != 200 or response.content_type != "text/html":
                    raise RuntimeError(f"GET /orders/{uid}: {response.status} {response.content_type}")
                await response.read()

        await asyncio.gather(*(fetch(uid) for uid in uids))
    cpu_us = (cpu_seconds(pid) - cpu) / len(uids) * 1e6
    run.note(f"order page: {len(uids):,} first renders in {time.monotonic() - started:.1f} s, {cpu_us:.0f} µs CPU each")

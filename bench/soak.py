"""The soak: the service under steady publishing and mixed HTTP traffic for a long while (10 minutes).

Not a ceiling comparison: it asks whether the service stays the same over time.
Orders arrive at ``ORDER_RATE`` a second (one in a hundred invalid) while
``HTTP_RATE`` requests a second mix cached and missing lookups, the listing, the
pages and posted orders (``soak_traffic.py``). The cache holds a third of the
run's orders, so it is full from a third of the way on (the cache of rendered
pages, at its default size, sooner). Reported: errors (target 0), the p99 of
GETs in the first and the last third (drift, target at most 1.5x), the
service's RSS over the last third, with both caches full (target: at most 5%
more; the RSS by minute is noted, and in the minutes after the caches fill it
still climbs while evictions and new orders settle into the allocator's free
lists), and whether every order was stored and every bad message dead-lettered.
"""

import asyncio
import re
import statistics
import time

import aiohttp
import asyncpg
import nats

from bench.report import Row
from bench.run import Run, required
from bench.service_proc import ServiceProcess
from bench.soak_traffic import MIX, Traffic, publish_steadily, request_steadily

ORDER_RATE = 300.0
HTTP_RATE = 200.0
SAMPLE_EVERY = 2.0
_ENTRIES = re.compile(r"^orders_cache_entries (\S+)$", re.MULTILINE)
_PAGES = re.compile(r"^orders_page_cache_entries (\S+)$", re.MULTILINE)
_PAGE_CAPACITY = re.compile(r"^orders_page_cache_capacity (\S+)$", re.MULTILINE)


async def soak(run: Run, seconds: float) -> list[Row]:
    capacity = max(1000, int(ORDER_RATE * seconds / 3))
    service = run.service("soak", cache_max_orders=capacity)
    service.start()
    traffic, samples = Traffic(), list[tuple[float, int, int]]()
    try:
        await service.wait_ready()
        stored_before = await _stored(run)  # what earlier phases stored
        maintenance_before = await _maintenance(run)  # checkpoints and autovacuums so far
        started = time.monotonic()
        until = started + seconds
        await asyncio.gather(
            publish_steadily(run.settings, traffic, ORDER_RATE, until),
            request_steadily(service.base, run.env["API_TOKENS"], traffic, HTTP_RATE, until),
            _sample(service, samples, until),
        )
        stored, dead = await _settled_counts(run, traffic)
        stored -= stored_before
        checkpoints, vacuums = (n - m for n, m in zip(await _maintenance(run), maintenance_before, strict=True))
    finally:
        service.stop()
    early, late = _thirds(traffic, started, seconds)
    full = next(((at, rss) for at, rss, entries in samples if entries >= capacity), None)
    run.note(
        f"soak {seconds:.0f} s: {traffic.requests:,} requests, {traffic.published:,} orders and {traffic.bad}"
        f" bad messages; p99 by tenth {' / '.join(f'{p * 1000:.1f}' for p in _tenths(traffic, started, seconds))} ms"
    )
    run.note(f"soak: GET p99 by kind, first → last third: {_thirds_by_kind(traffic, started, seconds)}")
    run.note(f"soak: PostgreSQL ran {checkpoints} checkpoints and {vacuums} autovacuums or autoanalyzes meanwhile")
    by_minute = [rss for at, rss, _ in samples if int(at - started) % 60 < SAMPLE_EVERY]
    run.note(f"soak: RSS by minute {' / '.join(f'{rss / 2**20:.0f}' for rss in by_minute)} MiB")
    for error in traffic.errors[:10]:
        run.note(f"soak error: {error}")
    rows = [
        Row(
            f"Soak {seconds:.0f} s: errors",
            f"{len(traffic.errors)} of {traffic.requests:,} requests",
            target="0",
            ok=not traffic.errors,
        ),
        Row(
            "Soak: GET p99, first → last third",
            f"{early * 1000:.1f} → {late * 1000:.1f} ms ({late / early:.2f}x)",
            target="≤ 1.5x",
            ok=late <= 1.5 * early,
        ),
        Row(
            "Soak: orders stored, bad dead-lettered",
            f"{stored:,} of {traffic.published:,}, {dead} of {traffic.bad}",
            target="all",
            ok=(stored, dead) == (traffic.published, traffic.bad),
        ),
    ]
    if full is None:
        rows.append(
            Row("Soak: RSS in the last third, caches full", "the caches never filled", target="≤ +5%", ok=False)
        )
    else:
        at, rss_full = full
        rss_end = samples[-1][1]
        last_third = started + seconds * 2 / 3
        rss_late = next((rss for when, rss, _ in samples if when >= max(last_third, at)), rss_end)
        growth = rss_end / rss_late - 1
        run.note(
            f"soak: RSS {rss_full / 2**20:.0f} MiB once the caches were full ({at - started:.0f} s in),"
            f" {rss_late / 2**20:.0f} MiB at the last third, {rss_end / 2**20:.0f} MiB at the end"
        )
        rows.append(
            Row(
                "Soak: RSS in the last third, caches full",
                f"{rss_late / 2**20:.0f} → {rss_end / 2**20:.0f} MiB ({growth:+.1%})",
                target="≤ +5%",
                ok=growth <= 0.05,
            )
        )
    return rows


async def _sample(service: ServiceProcess, samples: list[tuple[float, int, int]], until: float) -> None:
    """(time, RSS, cache entries) every SAMPLE_EVERY seconds; the entries count as 0 until the
    cache of rendered pages is full too (it takes memory as the order cache does)."""
    async with aiohttp.ClientSession(service.base) as http:
        while time.monotonic() < until:
            async with http.get("/metrics") as response:
                text = await response.text()
            entries, pages, page_capacity = (_number(pattern, text) for pattern in (_ENTRIES, _PAGES, _PAGE_CAPACITY))
            samples.append((time.monotonic(), service.rss_bytes(), entries if pages >= page_capacity else 0))
            await asyncio.sleep(SAMPLE_EVERY)


def _number(pattern: re.Pattern[str], text: str) -> int:
    found = pattern.search(text)
    return int(float(found[1])) if found else 0


async def _settled_counts(run: Run, traffic: Traffic, timeout: float = 60.0) -> tuple[int, int]:
    """Orders stored and messages dead-lettered, once the consumer has nothing left to settle."""
    s = run.settings
    nc = await nats.connect(required(s.nats_url), name="soak-watch")
    try:
        js, deadline = nc.jetstream(), time.monotonic() + timeout
        while time.monotonic() < deadline:
            info = await js.consumer_info(s.orders_stream, s.orders_consumer)
            if not info.num_pending and not info.num_ack_pending:
                break
            await asyncio.sleep(0.2)
        dead = (await js.stream_info(s.dlq_stream)).state.messages
    finally:
        await nc.close()
    return await _stored(run), dead


async def _stored(run: Run) -> int:
    conn = await asyncpg.connect(required(run.settings.database_url))
    try:
        stored: int = await conn.fetchval("SELECT count(*) FROM orders")
    finally:
        await conn.close()
    return stored


async def _maintenance(run: Run) -> tuple[int, int]:
    """PostgreSQL's checkpoints and autovacuum or autoanalyze runs so far: background work that slows
    its answers. (PostgreSQL 17 moved the checkpoint counts to their own view.)"""
    conn = await asyncpg.connect(required(run.settings.database_url))
    try:
        if conn.get_server_version().major >= 17:
            checkpoints_query = "SELECT num_timed + num_requested FROM pg_stat_checkpointer"
        else:
            checkpoints_query = "SELECT checkpoints_timed + checkpoints_req FROM pg_stat_bgwriter"
        checkpoints = await conn.fetchval(checkpoints_query)
        vacuums = await conn.fetchval("SELECT sum(autovacuum_count + autoanalyze_count) FROM pg_stat_user_tables")
    finally:
        await conn.close()
    return int(checkpoints), int(vacuums or 0)


def _p99(latencies: list[float]) -> float:
    return statistics.quantiles(latencies, n=100)[98] if len(latencies) >= 2 else float("nan")


def _p99_between(traffic: Traffic, since: float, until: float, kind: str | None = None) -> float:
    """The p99 of the GETs sent in [since, until), of every kind or of one."""
    return _p99([s for at, s, k in traffic.latencies if since <= at < until and kind in (None, k)])


def _thirds(traffic: Traffic, started: float, seconds: float, kind: str | None = None) -> tuple[float, float]:
    """The p99 of the first third (its first tenth left out: the start) and of the last third."""
    early = _p99_between(traffic, started + seconds / 10, started + seconds / 3, kind)
    return early, _p99_between(traffic, started + 2 * seconds / 3, started + seconds, kind)


def _thirds_by_kind(traffic: Traffic, started: float, seconds: float) -> str:
    described = []
    for kind, _, _ in MIX:
        early, late = _thirds(traffic, started, seconds, kind)
        described.append(f"{kind} {early * 1000:.1f} → {late * 1000:.1f} ms")
    return "; ".join(described)


def _tenths(traffic: Traffic, started: float, seconds: float) -> list[float]:
    tenth = seconds / 10
    return [_p99_between(traffic, started + n * tenth, started + (n + 1) * tenth) for n in range(10)]

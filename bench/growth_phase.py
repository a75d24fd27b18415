"""Growth: the warm-up with 1,000,000 stored orders against the same with 100,000, same cache.

Two databases on the same server, seeded in SQL (``bench.bulk_orders``: the fastest honest
way; publishing a million orders through the stream takes many minutes here), one with
100,000 orders and one with 1,000,000. A service with ``CACHE_MAX_ORDERS=100000`` is
started on each in turns, which goes first alternating; each side keeps its best of the
rounds, and the figure is the larger's time to ready over the smaller's. Its streams are
its own and empty, so only the warm-up differs.
"""

import contextlib
import time

import asyncpg
import nats
from nats.js.errors import NotFoundError

from app.adapters.yoyo_migrator import YoyoMigrator
from app.entrypoints.connections import server_list
from bench.bulk_orders import seed_orders
from bench.infra import fresh_database, new_tag
from bench.report import Row
from bench.run import ROUNDS, Run

SMALL, LARGE = 100_000, 1_000_000
CACHED = 100_000
TARGET = 1.25
STREAM_BYTES = 2**20


async def growth(run: Run) -> Row:
    server_url = run.database_url  # the run's database: its server makes two more
    async with contextlib.AsyncExitStack() as stack:
        urls = {}
        for size in (SMALL, LARGE):
            urls[size] = url = await stack.enter_async_context(fresh_database(server_url))
            started = time.perf_counter()
            await _seeded(url, size)
            run.note(f"growth: {size:,} orders seeded in SQL in {time.perf_counter() - started:.0f} s")
        times: dict[int, list[float]] = {SMALL: [], LARGE: []}
        for n in range(ROUNDS):
            for size in (SMALL, LARGE) if n % 2 == 0 else (LARGE, SMALL):
                times[size].append(await _time_to_ready(run, urls[size], f"growth-{size}-{n}"))
    small, large = min(times[SMALL]), min(times[LARGE])
    ratio = large / small
    run.note(
        "growth: process start to /readyz 200 with 100,000 cached:"
        f" {' / '.join(f'{t:.2f}' for t in times[SMALL])} s at {SMALL:,} stored,"
        f" {' / '.join(f'{t:.2f}' for t in times[LARGE])} s at {LARGE:,} (turns, best kept)"
    )
    return Row(
        f"4b. Warm-up at {LARGE:,} stored ({CACHED:,} cached)",
        f"{large:.2f} s",
        f"{small:.2f} s at {SMALL:,}",
        f"{ratio:.2f}×",
        f"≤ {TARGET}×",
        ratio <= TARGET,
    )


async def _seeded(url: str, count: int) -> None:
    YoyoMigrator(url).apply()
    conn = await asyncpg.connect(url)
    try:
        await seed_orders(conn, count)
        with contextlib.suppress(asyncpg.InsufficientPrivilegeError):
            await conn.execute("CHECKPOINT")
    finally:
        await conn.close()


async def _time_to_ready(run: Run, database_url: str, name: str) -> float:
    """Seconds from process start to /readyz 200, with every cached order warmed."""
    tag = new_tag()
    service = run.service(
        name,
        database_url=database_url,
        cache_max_orders=CACHED,
        orders_stream=f"GROWTH_{tag}",
        orders_subject=f"growth_{tag}.new",
        orders_consumer=f"growth-{tag}",
        dlq_stream=f"GROWTH_DLQ_{tag}",
        dlq_subject=f"growth_{tag}.dlq",
        orders_stream_max_bytes=STREAM_BYTES,  # JetStream reserves it: these streams stay empty
        dlq_stream_max_bytes=STREAM_BYTES,
    )
    service.start()
    try:
        seconds = await service.wait_ready() - service.started_at
        if service.warmed_orders() != CACHED:
            raise RuntimeError(f"{name}: warmed {service.warmed_orders()} orders, not {CACHED}")
    finally:
        service.stop()
        await _drop_streams(run.nats_url, (f"GROWTH_{tag}", f"GROWTH_DLQ_{tag}"))
    return seconds


async def _drop_streams(nats_url: str, streams: tuple[str, ...]) -> None:
    nc = await nats.connect(server_list(nats_url), name="bench-growth-cleanup")
    try:
        for stream in streams:
            with contextlib.suppress(NotFoundError):
                await nc.jetstream().delete_stream(stream)
    finally:
        await nc.close()

"""The data: orders published to the stream, ingest completion, the lookup uids and their bytes."""

import asyncio
import io
import pickle
import time
from pathlib import Path

import asyncpg
import nats

from app.adapters.jetstream_order_publisher import JetStreamOrderPublisher
from app.adapters.jetstream_topology import ensure_topology
from app.adapters.pg_order_repository import PgOrderRepository
from app.entrypoints.connections import server_list
from app.entrypoints.container import Container
from app.entrypoints.producer import produce
from app.entrypoints.producer_messages import generated_messages
from app.entrypoints.settings import Settings
from bench.run import required


async def publish_orders(settings: Settings, count: int, seed: int = 2024) -> float:
    """Create the service's streams and consumer, publish ``count`` valid orders; seconds taken."""
    nc = await nats.connect(server_list(required(settings.nats_url)), name="bench-producer")
    try:
        js = nc.jetstream()
        await ensure_topology(js, Container(settings=settings).names())
        publisher = JetStreamOrderPublisher(nc, subject=settings.orders_subject, timeout=30)
        started = time.perf_counter()
        report = await produce(publisher, generated_messages(count, seed=seed), concurrency=2048, out=io.StringIO())
        elapsed = time.perf_counter() - started
    finally:
        await nc.drain()
    if report.published != count:
        raise RuntimeError(f"published {report.published} of {count} ({report})")
    return elapsed


async def wait_ingested(settings: Settings, expected: int, timeout: float = 600.0) -> float:
    """perf_counter() once the consumer has nothing pending or unacked and the table holds ``expected``."""
    nc = await nats.connect(server_list(required(settings.nats_url)), name="bench-watch")
    conn = await asyncpg.connect(required(settings.database_url))
    deadline = time.perf_counter() + timeout
    try:
        js = nc.jetstream()
        while time.perf_counter() < deadline:
            now = time.perf_counter()
            info = await js.consumer_info(settings.orders_stream, settings.orders_consumer)
            if not info.num_pending and not info.num_ack_pending:
                stored = await conn.fetchval("SELECT count(*) FROM orders")
                if stored == expected:
                    return now
            await asyncio.sleep(0.02)
        raise RuntimeError(f"ingest not done in {timeout}s")
    finally:
        await conn.close()
        await nc.close()


async def lookup_set(database_url: str, count: int, work_dir: Path) -> tuple[Path, Path, dict[str, bytes]]:
    """The ``count`` most recent orders (those a cache of ``count`` warms with) as the repository
    renders them: a uid file for wrk and a pickle of uid -> bytes for the bare app."""
    pool = await asyncpg.create_pool(database_url, min_size=1, max_size=1)
    try:
        bodies = {uid: body async for uid, body in PgOrderRepository(pool).recent_json(count)}
    finally:
        await pool.close()
    uids_file, bodies_file = work_dir / "uids.txt", work_dir / "bodies.pickle"
    uids_file.write_text("\n".join(bodies) + "\n")
    bodies_file.write_bytes(pickle.dumps(bodies))
    return uids_file, bodies_file, bodies

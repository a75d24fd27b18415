"""The ceilings: what the raw pieces under each figure do on this machine, in this run."""

import asyncio
import contextlib
import random
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import asyncpg
import nats
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from app.adapters.pg_order_repository import NO_JIT, RECENT_BOUND, SELECT_ONE, SELECT_RECENT
from app.embedded.free_port import free_tcp_port
from app.entrypoints.connections import server_list
from bench.cpus import pin_to


@contextlib.asynccontextmanager
async def bare_app(
    bodies_file: Path, headers_file: Path, cpus: frozenset[int] | None = None
) -> AsyncIterator[tuple[str, int]]:
    """bench/bare_app.py in its own process (on ``cpus`` if given); yields its base URL and pid."""
    async with bare_apps(bodies_file, headers_file, 1, cpus) as (base, pids):
        yield base, pids[0]


@contextlib.asynccontextmanager
async def bare_apps(
    bodies_file: Path, headers_file: Path, processes: int, cpus: frozenset[int] | None = None
) -> AsyncIterator[tuple[str, list[int]]]:
    """``processes`` bare apps on one port (SO_REUSEPORT, as the service's workers); yields the
    base URL and their pids once each has answered."""
    port = free_tcp_port()
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "bench.bare_app", str(port), str(bodies_file), str(headers_file)],
            cwd=Path(__file__).resolve().parents[1],
            preexec_fn=pin_to(cpus),
        )
        for _ in range(processes)
    ]
    base = f"http://127.0.0.1:{port}"
    try:
        answered: set[int] = set()
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True)) as http:
            for _ in range(1000):
                if any(proc.poll() is not None for proc in procs):
                    raise RuntimeError("a bare app exited")
                with contextlib.suppress(aiohttp.ClientError):
                    async with http.get(base + "/readyz") as response:
                        if response.status == 200:
                            answered.add(int(await response.text()))
                if len(answered) == processes:
                    break
                await asyncio.sleep(0.02)
        yield base, [proc.pid for proc in procs]
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=10)


async def raw_point_reads(
    database_url: str, uids: list[str], pool_size: int, tasks: int = 64, seconds: float = 10.0
) -> tuple[float, float]:
    """Reads/s of SELECT_ONE by random uid (``tasks`` concurrent readers on a pool of ``pool_size``,
    after 2 s of warm-up), and this process's CPU µs per read."""
    pool = await asyncpg.create_pool(database_url, min_size=pool_size, max_size=pool_size)
    done = 0
    try:

        async def reader(until: float) -> None:
            nonlocal done
            while time.perf_counter() < until:
                async with pool.acquire() as conn:
                    await conn.fetchrow(SELECT_ONE, random.choice(uids))
                done += 1

        await asyncio.gather(*(reader(time.perf_counter() + 2) for _ in range(tasks)))
        done, started, cpu = 0, time.perf_counter(), time.process_time()
        await asyncio.gather(*(reader(started + seconds) for _ in range(tasks)))
        return done / (time.perf_counter() - started), (time.process_time() - cpu) / max(done, 1) * 1e6
    finally:
        await pool.close()


async def raw_fetch_ack(nats_url: str, stream: str, expected: int, batch_size: int) -> float:
    """Seconds for a second durable pull consumer to fetch and ack ``expected`` messages."""
    nc = await nats.connect(server_list(nats_url), name="bench-ceiling")
    try:
        js = nc.jetstream()
        durable = "bench-raw-fetch-ack"
        await js.add_consumer(
            stream,
            ConsumerConfig(
                durable_name=durable,
                ack_policy=AckPolicy.EXPLICIT,
                deliver_policy=DeliverPolicy.ALL,
                ack_wait=30,
                max_ack_pending=20_000,
            ),
        )
        sub = await js.pull_subscribe_bind(durable=durable, stream=stream)
        started, acked = time.perf_counter(), 0
        while acked < expected:
            try:
                msgs = await sub.fetch(batch_size, timeout=1.0)
            except nats.errors.TimeoutError:
                continue
            for msg in msgs:
                await msg.ack()
            acked += len(msgs)
        await nc.flush()
        while True:
            info = await js.consumer_info(stream, durable)
            if not info.num_ack_pending and not info.num_pending:
                elapsed = time.perf_counter() - started
                break
            await asyncio.sleep(0.01)
        await js.delete_consumer(stream, durable)
        return elapsed
    finally:
        await nc.close()


async def raw_recent_select(database_url: str, limit: int, reps: int = 2) -> tuple[float, int]:
    """Best seconds (and rows) for the warm-up's two statements, SELECT_RECENT streamed through a cursor, no JSON."""
    conn = await asyncpg.connect(database_url)
    try:
        best = float("inf")
        for _ in range(reps):  # the first also warms PostgreSQL's buffers for the service after it
            started, rows = time.perf_counter(), 0
            async with conn.transaction(isolation="repeatable_read", readonly=True):
                await conn.execute(NO_JIT)
                bound = await conn.fetchval(RECENT_BOUND, limit)
                async for _ in conn.cursor(SELECT_RECENT, bound, prefetch=2000):
                    rows += 1
            best = min(best, time.perf_counter() - started)
        return best, rows
    finally:
        await conn.close()

"""Ingest and warm-up: the service against raw NATS and raw PostgreSQL."""

import asyncio
import contextlib
import itertools
import os
import statistics

import asyncpg
import nats

from app.adapters.pg_order_rows import TABLE_COLUMNS
from app.entrypoints.connections import server_list
from app.entrypoints.settings import Settings
from bench.ceilings import raw_fetch_ack, raw_recent_select
from bench.report import Row, busy_seconds
from bench.run import INGEST_ROUNDS, ROUNDS, Run, required
from bench.seed import lookup_set, publish_orders, wait_ingested
from bench.wrk import cpu_seconds, sched_seconds

ORDER_TABLES = ", ".join(TABLE_COLUMNS)  # the four tables an order is stored in


async def ingest(run: Run) -> Row:
    """In turns, as the lookups: the raw fetch+ack, then the service from an empty database and a new
    consumer. A last raw run follows, so each service round sits between two ceilings; the ratio is
    the median over rounds of (the mean of those two ceilings) / (the round), as the VM drifts."""
    s = run.settings
    published = await publish_orders(s, run.orders)
    run.note(f"published {run.orders:,} orders in {published:.1f} s, before the service started")
    ceilings, rounds = [], []
    for n in range(INGEST_ROUNDS):
        machine_cpu = busy_seconds()[0]
        ceilings.append(await raw_fetch_ack(required(s.nats_url), s.orders_stream, run.orders, s.ingest_batch_size))
        ceiling_cpu = busy_seconds()[0] - machine_cpu
        if n:  # each round starts as the first: empty tables, nothing left for autovacuum or a checkpoint
            await _forget_ingest(s)
            await _settle_database(s)
        rounds.append(await _service_ingest(run, n, ceiling_cpu))
    ceilings.append(await raw_fetch_ack(required(s.nats_url), s.orders_stream, run.orders, s.ingest_batch_size))
    around = [(before + after) / 2 for before, after in itertools.pairwise(ceilings)]
    ratios = [raw / service for raw, service in zip(around, rounds, strict=True)]
    ratio = statistics.median(ratios)
    seconds, ceiling_s = statistics.median(rounds), statistics.median(around)
    run.note(
        f"ingest: {' / '.join(f'{r:.1f}' for r in rounds)} s; raw fetch+ack"
        f" {' / '.join(f'{c:.1f}' for c in ceilings)} s; ratio by round (raw around it / service)"
        f" {' / '.join(f'{r:.2f}' for r in ratios)}; best against best {min(ceilings) / min(rounds):.2f}"
    )
    await _settle_database(s)
    run.uids_file, run.bodies_file, run.bodies = await lookup_set(required(s.database_url), run.lookups, run.work_dir)
    return Row(
        f"3. Ingest {run.orders:,} orders",
        f"{run.orders / seconds:,.0f} orders/s",
        f"{run.orders / ceiling_s:,.0f} msgs/s",
        f"{ratio:.2f}",
        "≥ 0.5",
        ratio >= 0.5,
    )


async def _service_ingest(run: Run, n: int, ceiling_cpu: float) -> float:
    """One round: seconds from /readyz 200 until all are committed and acked; notes its CPU figures."""
    s = run.settings
    service = run.service(f"ingest-{n}")
    service.start()
    try:
        ready = await service.wait_ready()
        cpu, machine_cpu, sched = cpu_seconds(service.pid), busy_seconds()[0], sched_seconds(service.pid)
        with run.profiler.phase(f"ingest-{n}", service.pid):
            done = await wait_ingested(s, run.orders)
        cpu, machine_cpu = cpu_seconds(service.pid) - cpu, busy_seconds()[0] - machine_cpu
        ran, waited = (after - before for after, before in zip(sched_seconds(service.pid), sched, strict=True))
        batches = await service.histogram("orders_ingest_batch_seconds")
    finally:
        service.stop()
    seconds = done - ready
    run.note(
        f"ingest {n + 1}: {seconds:.1f} s from /readyz 200 to all committed and acked (batches of"
        f" {s.ingest_batch_size}), service CPU {cpu / run.orders * 1e6:.0f} µs/order"
        f" ({cpu / seconds:.0%} of one core)"
    )
    if ran:  # the kernel keeps schedstats
        run.note(
            f"ingest {n + 1}: the service ran {ran / seconds:.0%} of the time, waited for a CPU"
            f" {waited / seconds:.0%} and slept {max(seconds - ran - waited, 0) / seconds:.0%} (schedstat)"
        )
    cores = os.cpu_count() or 1
    run.note(
        f"ingest {n + 1} CPU, whole machine: {machine_cpu:.1f} CPU-s ({machine_cpu / run.orders * 1e6:.0f}"
        f" µs/order; service {cpu:.1f}, PostgreSQL + NATS + the bench's watcher {machine_cpu - cpu:.1f})"
        f" against {ceiling_cpu:.1f} CPU-s for the raw fetch+ack before it; the {cores} cores offered"
        f" {seconds * cores:.1f} CPU-s"
    )
    if batches and batches[0]:
        run.note(
            f"ingest {n + 1}: {batches[0]:.0f} batches, storing one took {batches[1] / batches[0] * 1000:.0f} ms"
            f" on average (together {batches[1] / seconds:.0%} of the ingest time: writes overlap)"
        )
    return seconds


async def _settle_database(settings: Settings) -> None:
    """What autovacuum and the checkpointer would do minutes after a bulk load, done now, so that
    they do not run during (and skew) the read phases that follow."""
    conn = await asyncpg.connect(required(settings.database_url))
    try:
        await conn.execute(f"VACUUM (ANALYZE) {ORDER_TABLES}")
        # An external server's non-superuser may not: its own checkpoints follow.
        with contextlib.suppress(asyncpg.InsufficientPrivilegeError):
            await conn.execute("CHECKPOINT")
    finally:
        await conn.close()


async def _forget_ingest(settings: Settings) -> None:
    """Empty the order tables and drop the service's consumer (it makes a new one, from the stream's start)."""
    conn = await asyncpg.connect(required(settings.database_url))
    try:
        await conn.execute(f"TRUNCATE {ORDER_TABLES} RESTART IDENTITY")
    finally:
        await conn.close()
    nc = await nats.connect(server_list(required(settings.nats_url)), name="bench-reset")
    try:
        await nc.jetstream().delete_consumer(settings.orders_stream, settings.orders_consumer)
    finally:
        await nc.close()


async def warm_up(run: Run) -> Row:
    """Start to /readyz with every stored order cached, in turns with the raw SELECT; VmRSS after."""
    ceilings, times = [], []
    for n in range(ROUNDS):
        ceilings.append((await raw_recent_select(run.database_url, run.orders, reps=2 - min(n, 1)))[0])
        service = run.service(f"warm-up-{n}", cache_max_orders=run.orders)
        service.start()
        try:
            with run.profiler.phase(f"warm-up-{n}", service.pid):
                times.append(await service.wait_ready() - service.started_at)
            cpu = cpu_seconds(service.pid)
            run.warmed = service.warmed_orders()
            steps = ", ".join(
                f"{what} {service.log_seconds(line):.2f} s"
                for what, line in (
                    ("listening", "listening on"),
                    ("migrated", "migrations applied"),
                    ("cache warmed", "cache warmed with"),
                )
            )
            run.note(
                f"warm-up {n + 1}: {run.warmed:,} orders; from process start: {steps}; /readyz 200 at"
                f" {times[-1]:.2f} s using {cpu:.2f} CPU-s; raw SELECT {ceilings[-1]:.2f} s"
            )
            if n == 0:
                await asyncio.sleep(1)
                run.rss_full = service.rss_bytes()
        finally:
            service.stop()
    seconds, ceiling_s = min(times), min(ceilings)
    ratio = seconds / ceiling_s
    return Row(
        f"4. Warm-up {run.warmed:,} cached",
        f"{seconds:.2f} s",
        f"{ceiling_s:.2f} s",
        f"{ratio:.2f}×",
        "≤ 2×",
        ratio <= 2 and run.warmed == run.orders,
    )

"""Ingest and warm-up: the service against raw NATS and raw PostgreSQL."""

import asyncio
import os

from bench.ceilings import raw_fetch_ack, raw_recent_select
from bench.report import Row, busy_seconds
from bench.run import ROUNDS, Run
from bench.seed import lookup_set, publish_orders, wait_ingested
from bench.wrk import cpu_seconds


async def ingest(run: Run) -> Row:
    s = run.settings
    published = await publish_orders(s, run.orders)
    run.note(f"published {run.orders:,} orders in {published:.1f} s, before the service started")
    machine_cpu = busy_seconds()[0]
    ceilings = [await raw_fetch_ack(s.nats_url, s.orders_stream, run.orders, s.ingest_batch_size)]
    ceiling_cpu = busy_seconds()[0] - machine_cpu
    service = run.service("ingest")
    service.start()
    try:
        ready = await service.wait_ready()
        cpu, machine_cpu = cpu_seconds(service.pid), busy_seconds()[0]
        with run.profiler.phase("ingest", service.pid):
            done = await wait_ingested(s, run.orders)
        cpu, machine_cpu = cpu_seconds(service.pid) - cpu, busy_seconds()[0] - machine_cpu
        batches = await service.histogram("orders_ingest_batch_seconds")
    finally:
        service.stop()
    ceilings.append(await raw_fetch_ack(s.nats_url, s.orders_stream, run.orders, s.ingest_batch_size))
    seconds, ceiling_s = done - ready, min(ceilings)
    rate, ceiling = run.orders / seconds, run.orders / ceiling_s
    run.note(f"ingest: {seconds:.1f} s from /readyz 200 to all committed and acked (batches of"
             f" {s.ingest_batch_size}), service CPU {cpu / run.orders * 1e6:.0f} µs/order"
             f" ({cpu / seconds:.0%} of one core); raw fetch+ack {' / '.join(f'{c:.1f}' for c in ceilings)} s")
    cores = os.cpu_count() or 1
    run.note(f"ingest CPU, whole machine: {machine_cpu:.1f} CPU-s ({machine_cpu / run.orders * 1e6:.0f} µs/order;"
             f" service {cpu:.1f}, PostgreSQL + NATS + the bench's watcher {machine_cpu - cpu:.1f}) against"
             f" {ceiling_cpu:.1f} CPU-s for the first raw fetch+ack; at the target (half the ceiling's rate)"
             f" the {cores} cores would offer {2 * ceiling_s * cores:.1f} CPU-s")
    if batches and batches[0]:
        run.note(f"ingest: {batches[0]:.0f} batches, storing one took {batches[1] / batches[0] * 1000:.0f} ms on"
                 f" average (together {batches[1] / seconds:.0%} of the ingest time: writes overlap), per the service's /metrics")
    run.uids_file, run.bodies_file, run.bodies = await lookup_set(s.database_url, run.lookups, run.work_dir)
    return Row(f"3. Ingest {run.orders:,} orders", f"{rate:,.0f} orders/s", f"{ceiling:,.0f} msgs/s",
               f"{rate / ceiling:.2f}", "≥ 0.5", rate / ceiling >= 0.5)


async def warm_up(run: Run) -> Row:
    """Start to /readyz with every stored order cached, in turns with the raw SELECT; VmRSS after."""
    ceilings, times = [], []
    for n in range(ROUNDS):
        ceilings.append((await raw_recent_select(run.settings.database_url, run.orders, reps=2 - min(n, 1)))[0])
        service = run.service(f"warm-up-{n}", cache_max_orders=run.orders)
        service.start()
        try:
            with run.profiler.phase(f"warm-up-{n}", service.pid):
                times.append(await service.wait_ready() - service.started_at)
            cpu = cpu_seconds(service.pid)
            run.warmed = service.warmed_orders()
            steps = ", ".join(f"{what} {service.log_seconds(line):.2f} s" for what, line in (
                ("listening", "listening on"), ("migrated", "migrations applied"),
                ("cache warmed", "cache warmed with")))
            run.note(f"warm-up {n + 1}: {run.warmed:,} orders; from process start: {steps}; /readyz 200 at"
                     f" {times[-1]:.2f} s using {cpu:.2f} CPU-s; raw SELECT {ceilings[-1]:.2f} s")
            if n == 0:
                await asyncio.sleep(1)
                run.rss_full = service.rss_bytes()
        finally:
            service.stop()
    seconds, ceiling_s = min(times), min(ceilings)
    ratio = seconds / ceiling_s
    return Row(f"4. Warm-up {run.warmed:,} cached", f"{seconds:.2f} s", f"{ceiling_s:.2f} s", f"{ratio:.2f}×",
               "≤ 2×", ratio <= 2 and run.warmed == run.orders)

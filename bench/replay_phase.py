"""Dead-letter replay: letters/s of ``DeadLetterTools.replay`` against reading them (``list``) and
against raw JetStream publishing, in the same run.

Each round fills a dead-letter stream of its own with ``LETTERS`` letters (generated orders'
bytes, with the headers the service's sink writes), then, in turns: the listing reads them
all (headers only, one pass: ``orders dlq list``), the replay sends each back to the ingest
subject and removes it (``orders dlq replay --all``), and a raw publisher sends the same
bodies to a stream with ``REPLAY_WINDOW`` acknowledgements in flight, nothing else. Best
round of each side.
"""

import asyncio
import time

import nats
from nats.js import JetStreamContext

from app.adapters.jetstream_dead_letter_archive import JetStreamDeadLetterArchive
from app.adapters.jetstream_dead_letter_sink import ERROR_HEADER, KIND_HEADER
from app.adapters.jetstream_topology import JetStreamNames, StreamLimits, ensure_topology
from app.entrypoints.connections import server_list
from app.entrypoints.producer_messages import generated_messages
from app.service_layer.dead_letter_tools import REPLAY_WINDOW, DeadLetterTools, Selection
from bench.infra import new_tag
from bench.report import Row
from bench.run import ROUNDS, Run

LETTERS = 20_000
TARGET = 0.1  # of the listing's letters/s: the 2,000/s against its 25,000/s read


async def replay(run: Run) -> Row:
    bodies = [body for body, _ in generated_messages(LETTERS, seed=7)]
    tag = new_tag()
    limits = StreamLimits(max_age=3600, max_bytes=2**30)
    names = JetStreamNames(
        stream=f"REPLAY_{tag}",
        subject=f"replay_{tag}.new",
        consumer=f"replay-{tag}",
        dlq_stream=f"REPLAY_DLQ_{tag}",
        dlq_subject=f"replay_{tag}.dlq",
        limits=limits,
        dlq_limits=limits,
    )
    nc = await nats.connect(server_list(run.nats_url), name="bench-replay")
    listed, replayed, raw = [], [], []
    try:
        js = nc.jetstream()
        await ensure_topology(js, names)
        tools = DeadLetterTools(JetStreamDeadLetterArchive(js, names.dlq_stream, names.subject, timeout=30, nc=nc))
        for _ in range(ROUNDS):
            await _publish_all(js, names.dlq_subject, bodies, {KIND_HEADER: "invalid", ERROR_HEADER: "bench"})
            started = time.perf_counter()
            listing = await tools.listing(Selection())
            listed.append(time.perf_counter() - started)
            started = time.perf_counter()
            settled = await tools.replay(Selection(kind="invalid"))
            replayed.append(time.perf_counter() - started)
            if len(listing.letters) != LETTERS or len(settled.done) != LETTERS:
                why = list(settled.failed.values())[:3] + settled.missing[:3]
                raise RuntimeError(f"listed {len(listing.letters)}, replayed {len(settled.done)} of {LETTERS}: {why}")
            started = time.perf_counter()
            await _publish_all(js, names.subject, bodies, {})
            raw.append(time.perf_counter() - started)
        for stream in (names.stream, names.dlq_stream):
            await js.delete_stream(stream)
    finally:
        await nc.close()
    list_rate, replay_rate, raw_rate = (LETTERS / min(seconds) for seconds in (listed, replayed, raw))
    run.note(
        f"replay of {LETTERS:,} letters: {' / '.join(f'{s:.2f}' for s in replayed)} s; list"
        f" {' / '.join(f'{s:.2f}' for s in listed)} s; raw publish ({REPLAY_WINDOW} acks in flight)"
        f" {' / '.join(f'{s:.2f}' for s in raw)} s: {replay_rate:,.0f} letters/s replayed,"
        f" {list_rate:,.0f}/s listed, {raw_rate:,.0f}/s raw publish (replay/raw {replay_rate / raw_rate:.2f})"
    )
    ratio = replay_rate / list_rate
    return Row(
        f"9. Dead-letter replay, {LETTERS:,} letters",
        f"{replay_rate:,.0f} letters/s",
        f"{list_rate:,.0f} listed/s",
        f"{ratio:.2f}",
        f"≥ {TARGET}",
        ratio >= TARGET,
    )


async def _publish_all(js: JetStreamContext, subject: str, bodies: list[bytes], headers: dict[str, str]) -> None:
    """Publish every body, ``REPLAY_WINDOW`` acknowledgements in flight."""
    remaining = iter(bodies)

    async def turns() -> None:
        for body in remaining:
            await js.publish(subject, body, headers=headers or None, timeout=30)

    await asyncio.gather(*(turns() for _ in range(REPLAY_WINDOW)))

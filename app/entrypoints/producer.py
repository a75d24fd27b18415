"""The ``orders produce`` command: publish generated or file-given orders to the stream.

Publishes run concurrently (up to ``concurrency`` in flight), optionally paced
to ``rate`` messages per second. Each acknowledged order_uid is printed to
``out``; a ProduceReport sums up what the stream said.
"""

import asyncio
import logging
import sys
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Sized
from dataclasses import dataclass
from typing import Never, TextIO

from tqdm import tqdm

from app.entrypoints.producer_messages import Message
from app.ports.order_publisher import OrderPublisher, PublishFailed

logger = logging.getLogger(__name__)

TRIES = 3
BACKOFF = 0.2  # seconds before the 2nd try, doubled before the 3rd
PROGRESS_AFTER = 100  # runs of at most this many messages get no progress bar


@dataclass
class ProduceReport:
    """How many messages the stream stored, dropped as duplicates, or never acknowledged."""

    published: int = 0
    duplicates: int = 0
    failed: int = 0


async def produce(
    publisher: OrderPublisher,
    messages: Iterable[Message] | AsyncIterable[Message],
    *,
    rate: float | None = None,
    concurrency: int = 256,
    progress: bool = False,
    out: TextIO = sys.stdout,
    total: int | None = None,
) -> ProduceReport:
    """Publish every message, at most ``concurrency`` at a time and ``rate`` per second.

    ``total`` (default: ``len(messages)`` if it has one) sizes the progress bar.
    """
    if concurrency < 1 or (rate is not None and rate <= 0):
        raise ValueError("concurrency must be at least 1 and rate positive")
    report, slots = ProduceReport(), asyncio.Semaphore(concurrency)
    if total is None and isinstance(messages, Sized):
        total = len(messages)
    bar = _Progress(progress, total)
    loop = asyncio.get_running_loop()

    async def send(body: bytes, msg_id: str | None) -> None:
        try:
            stored = await _publish_with_retries(publisher, body, msg_id)
        except Exception as error:  # PublishFailed after TRIES, or a message nats cannot send
            report.failed += 1
            logger.warning("gave up on %s: %r", msg_id or "a message without id", error)
        else:
            if stored:
                report.published += 1
            else:
                report.duplicates += 1
            if msg_id:
                out.write(msg_id + "\n")
                out.flush()
        finally:
            slots.release()
            bar.update()

    in_flight: set[asyncio.Task[None]] = set()
    next_at = loop.time()
    try:
        async for body, msg_id in _as_async(messages):
            await slots.acquire()
            if rate:  # smooth pacing; no catch-up burst after a stall
                now = loop.time()
                if next_at > now:
                    await asyncio.sleep(next_at - now)
                next_at = max(next_at, now) + 1 / rate
            task = asyncio.create_task(send(body, msg_id))
            in_flight.add(task)
            task.add_done_callback(in_flight.discard)
    finally:  # also when the source fails: let what was sent be acknowledged and counted
        await asyncio.gather(*in_flight)
        bar.close()
    return report


async def _publish_with_retries(publisher: OrderPublisher, body: bytes, msg_id: str | None) -> bool:
    for attempt in range(1, TRIES):
        try:
            return await publisher.publish(body, msg_id)
        except PublishFailed:
            await asyncio.sleep(BACKOFF * 2 ** (attempt - 1))
    return await publisher.publish(body, msg_id)


async def _as_async(messages: Iterable[Message] | AsyncIterable[Message]) -> AsyncIterator[Message]:
    if isinstance(messages, AsyncIterable):
        async for message in messages:
            yield message
    else:
        for message in messages:
            yield message


class _Progress:
    """A tqdm bar on stderr, shown only once a run is known to exceed PROGRESS_AFTER messages."""

    def __init__(self, enabled: bool, total: int | None) -> None:
        self._enabled, self._total, self._done = enabled, total, 0
        self._bar: tqdm[Never] | None = None

    def update(self) -> None:
        self._done += 1
        if self._bar is not None:
            self._bar.update()
        elif self._enabled and (self._total or self._done) > PROGRESS_AFTER:
            self._bar = tqdm(total=self._total, initial=self._done, unit="msg", file=sys.stderr)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()

"""The ``orders produce`` command: publish generated or file-given orders to the stream.

Publishes run concurrently (up to ``concurrency`` in flight), optionally paced
to ``rate`` messages per second. Each acknowledged order_uid is printed to
``out``; a ProduceReport sums up what the stream said.
"""

import asyncio
import logging
import random
import sys
from collections import deque
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator
from dataclasses import dataclass
from typing import TextIO

import orjson
from tqdm import tqdm

from app.domain.order_factory import OrderFactory
from app.ports.order_publisher import OrderPublisher, PublishFailed

logger = logging.getLogger(__name__)

Message = tuple[bytes, str | None]  # (body, Nats-Msg-Id or None)
TRIES = 3
BACKOFF = 0.2  # seconds before the 2nd try, doubled before the 3rd
PROGRESS_AFTER = 100  # runs of at most this many messages get no progress bar
_RECENT = 1000  # duplicates re-send one of the latest valid orders (the stream's dedupe window is short)


@dataclass
class ProduceReport:
    """How many messages the stream stored, dropped as duplicates, or never acknowledged."""

    published: int = 0
    duplicates: int = 0
    failed: int = 0


def generated_messages(
    count: int, invalid_ratio: float = 0.0, duplicate_ratio: float = 0.0, seed: int | None = None,
) -> Iterator[Message]:
    """``count`` messages: fresh valid orders, invalid ones, and exact re-sends of recent valid ones."""
    rng = random.Random(seed)
    factory = OrderFactory(None if seed is None else rng.randrange(2**32))
    recent: deque[Message] = deque(maxlen=_RECENT)
    for _ in range(count):
        roll = rng.random()
        if roll < invalid_ratio:
            body = factory.invalid_message()
            yield body, read_msg_id(body)
        elif roll < invalid_ratio + duplicate_ratio and recent:
            yield rng.choice(recent)
        else:
            order = factory.order()
            recent.append((orjson.dumps(order), order["order_uid"]))
            yield recent[-1]


def file_messages(paths: list[str]) -> Iterator[Message]:
    """Messages from files ('-' = stdin): one JSON object, a JSON array of them, or JSON Lines.

    An object or a line is published byte for byte, array elements re-serialized.
    Anything else is published whole, as it is: the service dead-letters it.
    """
    for path in paths:
        if path == "-":
            data = sys.stdin.buffer.read()
        else:
            with open(path, "rb") as file:
                data = file.read()
        yield from _split(data)


def _split(data: bytes) -> Iterator[Message]:
    value = _loads(data)
    if isinstance(value, list):
        yield from ((orjson.dumps(element), _uid_of(element)) for element in value)
    elif value is not _NOT_JSON:
        yield data, _uid_of(value)
    elif lines := [line.strip() for line in data.splitlines() if line.strip()]:
        if len(lines) > 1 and _loads(lines[0]) is not _NOT_JSON:  # JSON Lines
            yield from ((line, read_msg_id(line)) for line in lines)
        else:
            yield data, None


_NOT_JSON = object()


def _loads(raw: bytes) -> object:
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return _NOT_JSON


def read_msg_id(body: bytes) -> str | None:
    """The order_uid of a JSON object message, if it has one usable as a message id."""
    return _uid_of(_loads(body))


def _uid_of(value: object) -> str | None:
    uid = value.get("order_uid") if isinstance(value, dict) else None
    # A header value cannot be empty or carry line breaks and other control characters.
    return uid if isinstance(uid, str) and uid and uid.isprintable() else None


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
    if total is None and hasattr(messages, "__len__"):
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
        self._bar: tqdm | None = None

    def update(self) -> None:
        self._done += 1
        if self._bar is not None:
            self._bar.update()
        elif self._enabled and (self._total or self._done) > PROGRESS_AFTER:
            self._bar = tqdm(total=self._total, initial=self._done, unit="msg", file=sys.stderr)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()

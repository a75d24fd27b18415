"""A workload for the fault tests: a few thousand orders and some bad messages, published while a
server is hurt, then the proof that nothing was lost, doubled or stored half.

The publisher sends each message under its own message id and keeps trying
until the stream acknowledges it (the stream's duplicate window drops a resend
whose first ack was lost), so every message ends acknowledged. ``verify`` then
waits for the consumer to settle and checks the database and the dead-letter
stream against what was acknowledged.
"""

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import nats
import nats.errors
import orjson
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from app.adapters.pg_order_columns import json_from_row, select_documents
from app.domain.order_factory import OrderFactory
from app.entrypoints.settings import Settings


@dataclass
class Workload:
    """``count`` valid orders with a bad message after every ``bad_every``-th, in publishing order."""

    count: int
    seed: int = 0
    bad_every: int = 40
    messages: list[tuple[str, bytes]] = field(default_factory=list)  # (message id, bytes)
    orders: dict[str, dict[str, Any]] = field(default_factory=dict)  # uid -> the order
    bad: set[str] = field(default_factory=set)  # message ids of the bad ones
    acked: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        factory = OrderFactory(seed=self.seed)
        for n in range(self.count):
            order = factory.order()
            self.orders[order["order_uid"]] = order
            self.messages.append((order["order_uid"], orjson.dumps(order)))
            if n % self.bad_every == self.bad_every - 1:
                self.messages.append((f"bad-{self.seed}-{n}", factory.invalid_message()))
                self.bad.add(self.messages[-1][0])

    @property
    def acked_orders(self) -> set[str]:
        return self.acked - self.bad

    async def publish(
        self, settings: Settings, rate: float = 1000.0, concurrency: int = 64, **connect_options: Any
    ) -> None:
        """Every message at ``rate`` a second, each retried until the stream acknowledges it.

        ``connect_options``: more of nats-py's ``connect`` arguments (pings, for the partition tests)."""
        options = {"max_reconnect_attempts": -1, "reconnect_time_wait": 0.2, **connect_options}
        nc = await nats.connect(settings.nats_url or "", **options)
        js, slots, started = nc.jetstream(), asyncio.Semaphore(concurrency), time.monotonic()

        async def send(msg_id: str, body: bytes) -> None:
            async with slots:
                while True:
                    try:
                        await js.publish(settings.orders_subject, body, timeout=2, headers={"Nats-Msg-Id": msg_id})
                    except (nats.errors.Error, TimeoutError):
                        await asyncio.sleep(0.2)  # the server is away: again, under the same id
                        continue
                    self.acked.add(msg_id)
                    return

        try:
            sending = []
            for n, (msg_id, body) in enumerate(self.messages):
                await asyncio.sleep(max(0.0, started + n / rate - time.monotonic()))
                sending.append(asyncio.create_task(send(msg_id, body)))
            await asyncio.gather(*sending)
        finally:
            await nc.close()


@dataclass
class Outcome:
    """What the stores hold once the consumer settled, against what was acknowledged."""

    published: int
    stored: int
    dead_lettered: int
    lost: int
    duplicated: int
    wrong: list[str]  # uids stored differently from what was published, or with children missing

    redelivered: int  # deliveries beyond the first of each message

    def line(self, fault: str) -> str:
        return (
            f"{fault}: published {self.published}, stored {self.stored}, dead-lettered {self.dead_lettered},"
            f" lost {self.lost}, duplicated {self.duplicated}, redelivered {self.redelivered}"
        )


async def verify(settings: Settings, workload: Workload, timeout: float = 90.0) -> Outcome:
    """Wait until the consumer settled every message, then compare the stores with the workload."""
    nc = await nats.connect(settings.nats_url or "")
    try:
        js = nc.jetstream()
        deadline = time.monotonic() + timeout
        while True:
            info = await js.consumer_info(settings.orders_stream, settings.orders_consumer)
            if info.num_pending == 0 and info.num_ack_pending == 0:
                break
            assert time.monotonic() < deadline, f"the consumer did not settle: {info}"
            await asyncio.sleep(0.2)
        letters = await _dead_letter_ids(js, settings)
    finally:
        await nc.close()
    conn = await asyncpg.connect(settings.database_url)
    try:
        rows = await conn.fetch(select_documents("true", "o.id"))
        children = await conn.fetch(
            "SELECT o.order_uid,"
            " (SELECT count(*) FROM deliveries d WHERE d.order_id = o.id),"
            " (SELECT count(*) FROM payments p WHERE p.order_id = o.id),"
            " (SELECT count(*) FROM items i WHERE i.order_id = o.id) FROM orders o"
        )
        orphans = await conn.fetchval(
            "SELECT (SELECT count(*) FROM deliveries WHERE order_id NOT IN (SELECT id FROM orders))"
            " + (SELECT count(*) FROM payments WHERE order_id NOT IN (SELECT id FROM orders))"
            " + (SELECT count(*) FROM items WHERE order_id NOT IN (SELECT id FROM orders))"
        )
    finally:
        await conn.close()
    stored = {row[0]: orjson.loads(json_from_row(row)) for row in rows}
    wrong = [uid for uid, doc in stored.items() if workload.orders.get(uid) != doc]
    wrong += [row[0] for row in children if (row[1], row[2], row[3]) != (1, 1, len(workload.orders[row[0]]["items"]))]
    wrong += [f"{orphans} child rows without their order"] if orphans else []
    stored_ids = set(stored) | set(letters)
    return Outcome(
        published=len(workload.messages),
        stored=len(stored),
        dead_lettered=len(letters),
        lost=len(workload.acked - stored_ids),
        duplicated=len(rows) - len(stored) + len(letters) - len(set(letters)),
        wrong=wrong + sorted(stored_ids - workload.acked) + sorted(set(letters) - workload.bad),
        redelivered=info.delivered.consumer_seq - info.delivered.stream_seq,
    )


async def stored_now(settings: Settings) -> int:
    """How many orders the database holds at this moment."""
    conn = await asyncpg.connect(settings.database_url)
    try:
        count: int = await conn.fetchval("SELECT count(*) FROM orders")
    finally:
        await conn.close()
    return count


async def _dead_letter_ids(js: Any, settings: Settings) -> list[str]:
    """The original message id of every dead letter, repeats included."""
    total = (await js.stream_info(settings.dlq_stream)).state.messages
    if not total:
        return []
    config = ConsumerConfig(ack_policy=AckPolicy.NONE, deliver_policy=DeliverPolicy.ALL, headers_only=True)
    consumer = await js.add_consumer(settings.dlq_stream, config)
    reader = await js.pull_subscribe_bind(consumer=consumer.name, stream=settings.dlq_stream)
    ids: list[str] = []
    while len(ids) < total:
        ids += [(letter.headers or {})["Orders-Original-Msg-Id"] for letter in await reader.fetch(total - len(ids))]
    await reader.unsubscribe()
    return ids

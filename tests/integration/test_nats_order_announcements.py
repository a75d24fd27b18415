"""The announcements over a real nats-server: what one instance stores, the others hear."""

import asyncio
import uuid

import nats
from nats.aio.msg import Msg

from app.adapters.nats_order_announcements import (
    MAX_BODY,
    ORIGIN_HEADER,
    NatsOrderAnnouncements,
    NatsOrderAnnouncer,
)
from app.domain.document import SerializedOrder
from tests.serialized_orders import generated, ser

ORDERS = [ser(document) for document in generated(1000, seed=9)]


async def test_another_instance_hears_every_order_byte_for_byte_and_the_announcer_skips_its_own(
    nats_url: str,
) -> None:
    subject = f"orders_{uuid.uuid4().hex[:8]}.stored"
    a, b = await nats.connect(nats_url), await nats.connect(nats_url)  # echo on: A's own come back to A
    try:
        heard: dict[str, list[SerializedOrder]] = {"a": [], "b": []}
        sizes: list[int] = []

        async def raw(msg: Msg) -> None:
            assert (msg.headers or {})[ORIGIN_HEADER] == "instance-a"
            sizes.append(len(msg.data))

        await b.subscribe(subject, cb=raw)
        for name, nc in (("a", a), ("b", b)):
            await NatsOrderAnnouncements(nc, subject, origin=f"instance-{name}").subscribe(heard[name].extend)
        await asyncio.gather(a.flush(), b.flush())

        announcer = NatsOrderAnnouncer(a, subject, origin="instance-a")
        announcer.announce(ORDERS[:600])
        announcer.announce(ORDERS[600:])
        await announcer.flush()
        await a.flush()
        for _ in range(200):
            if len(heard["b"]) == len(ORDERS):
                break
            await asyncio.sleep(0.02)

        assert [o.json for o in heard["b"]] == [o.json for o in ORDERS], "in order, as the API serves them"
        assert [o.uid for o in heard["b"]] == [o.uid for o in ORDERS]
        assert heard["a"] == [], "an instance skips its own announcements"
        assert len(sizes) > 2 and max(sizes) <= MAX_BODY
    finally:
        await a.close()
        await b.close()

"""The announcements over a real nats-server: what one instance stores, the others hear."""

import asyncio
import uuid

import nats
from nats.aio.msg import Msg

from app.adapters.nats_order_announcements import (
    MAX_BODY,
    ORIGIN_HEADER,
    PRESENCE,
    NatsOrderAnnouncements,
    NatsOrderAnnouncer,
    Peers,
    announced_orders,
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
            if (msg.headers or {})[ORIGIN_HEADER] == "instance-a" and msg.data != PRESENCE:
                sizes.append(len(msg.data))

        await b.subscribe(subject, cb=raw)
        peers = {"a": Peers(), "b": Peers()}
        for name, nc in (("a", a), ("b", b)):
            listener = NatsOrderAnnouncements(nc, subject, origin=f"instance-{name}", peers=peers[name])
            await listener.subscribe(heard[name].extend)
        for _ in range(100):  # each says it listens as it subscribes
            if peers["a"].listening():
                break
            await asyncio.sleep(0.02)

        announcer = NatsOrderAnnouncer(a, subject, origin="instance-a", peers=peers["a"])
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


async def test_a_lone_instance_announces_nothing_until_another_one_listens(nats_url: str) -> None:
    subject = f"orders_{uuid.uuid4().hex[:8]}.stored"
    a, b, observer = await nats.connect(nats_url), await nats.connect(nats_url), await nats.connect(nats_url)
    try:
        bodies: list[bytes] = []

        async def seen(msg: Msg) -> None:
            if (msg.headers or {}).get(ORIGIN_HEADER) == "instance-a" and msg.data != PRESENCE:
                bodies.append(msg.data)

        await observer.subscribe(subject, cb=seen)
        await observer.flush()
        peers = Peers()
        await NatsOrderAnnouncements(a, subject, origin="instance-a", peers=peers).subscribe(lambda orders: None)
        announcer = NatsOrderAnnouncer(a, subject, origin="instance-a", peers=peers)
        announcer.announce(ORDERS[:10])
        await announcer.flush()
        await a.flush()
        await asyncio.sleep(0.1)
        assert bodies == [] and not peers.listening(), "nobody else listens: nothing is published"

        await NatsOrderAnnouncements(b, subject, origin="instance-b", peers=Peers()).subscribe(lambda orders: None)
        for _ in range(100):
            if peers.listening():
                break
            await asyncio.sleep(0.02)
        announcer.announce(ORDERS[:10])
        await announcer.flush()
        await a.flush()
        for _ in range(100):
            if bodies:
                break
            await asyncio.sleep(0.02)
        assert [o.uid for body in bodies for o in announced_orders(body)] == [o.uid for o in ORDERS[:10]]
    finally:
        for nc in (a, b, observer):
            await nc.close()

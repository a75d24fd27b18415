"""The announcements over a real nats-server: the uids one instance stores, the others hear."""

import asyncio
import uuid

import nats
import orjson
from nats.aio.msg import Msg

from app.adapters.nats_order_announcements import (
    ORIGIN_HEADER,
    PRESENCE,
    NatsOrderAnnouncements,
    NatsOrderAnnouncer,
    Peers,
)
from app.domain.announced_uids import MAX_BODY, MAX_UIDS
from tests.serialized_orders import generated, ser

ORDERS = [ser(document) for document in generated(2500, seed=9)]


async def eventually(condition, tries: int = 200) -> None:
    for _ in range(tries):
        if condition():
            return
        await asyncio.sleep(0.02)


async def test_another_instance_hears_every_uid_in_order_and_the_announcer_skips_its_own(nats_url: str) -> None:
    subject = f"orders_{uuid.uuid4().hex[:8]}.stored"
    a, b = await nats.connect(nats_url), await nats.connect(nats_url)  # echo on: A's own come back to A
    try:
        heard: dict[str, list[bytes]] = {"a": [], "b": []}
        sizes: list[int] = []

        async def raw(msg: Msg) -> None:
            if (msg.headers or {})[ORIGIN_HEADER] == "instance-a" and msg.data != PRESENCE:
                sizes.append(len(msg.data))

        await b.subscribe(subject, cb=raw)
        peers = {"a": Peers(), "b": Peers()}
        for name, nc in (("a", a), ("b", b)):
            listener = NatsOrderAnnouncements(nc, subject, origin=f"instance-{name}", peers=peers[name])
            await listener.subscribe(heard[name].append)
        await eventually(peers["a"].listening)  # each says it listens as it subscribes

        announcer = NatsOrderAnnouncer(a, subject, origin="instance-a", peers=peers["a"])
        announcer.announce(ORDERS[:600])
        announcer.announce(ORDERS[600:])
        await announcer.flush()
        await a.flush()
        await eventually(lambda: sum(len(orjson.loads(body)) for body in heard["b"]) == len(ORDERS))

        assert [uid for body in heard["b"] for uid in orjson.loads(body)] == [o.uid for o in ORDERS], "in order"
        assert heard["a"] == [], "an instance skips its own announcements"
        assert len(sizes) == 3 and max(sizes) <= MAX_BODY, "600, then 1000 and 900: at most MAX_UIDS a body"
        assert max(len(orjson.loads(body)) for body in heard["b"]) == MAX_UIDS
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
        await NatsOrderAnnouncements(a, subject, origin="instance-a", peers=peers).subscribe(lambda body: None)
        announcer = NatsOrderAnnouncer(a, subject, origin="instance-a", peers=peers)
        announcer.announce(ORDERS[:10])
        await announcer.flush()
        await a.flush()
        await asyncio.sleep(0.1)
        assert bodies == [] and not peers.listening(), "nobody else listens: nothing is published"

        await NatsOrderAnnouncements(b, subject, origin="instance-b", peers=Peers()).subscribe(lambda body: None)
        await eventually(peers.listening)
        announcer.announce(ORDERS[:10])
        await announcer.flush()
        await a.flush()
        await eventually(lambda: bool(bodies))
        assert [uid for body in bodies for uid in orjson.loads(body)] == [o.uid for o in ORDERS[:10]]
    finally:
        for nc in (a, b, observer):
            await nc.close()


async def test_a_flood_of_made_up_instances_gets_one_presence_in_reply_not_one_each(nats_url: str) -> None:
    subject = f"orders_{uuid.uuid4().hex[:8]}.stored"
    a, forger = await nats.connect(nats_url), await nats.connect(nats_url)
    try:
        presences: list[bytes] = []

        async def seen(msg: Msg) -> None:
            if (msg.headers or {}).get(ORIGIN_HEADER) == "instance-a":
                presences.append(msg.data)

        await forger.subscribe(subject, cb=seen)
        await forger.flush()
        heard: list[bytes] = []
        await NatsOrderAnnouncements(a, subject, origin="instance-a", peers=Peers()).subscribe(heard.append)
        await eventually(lambda: len(presences) == 1)  # said as it subscribed
        for n in range(500):
            await forger.publish(subject, PRESENCE, headers={ORIGIN_HEADER: f"made-up-{n}"})
        await forger.publish(subject, b'["x"]', headers={ORIGIN_HEADER: "x" * 100_000})
        await forger.flush()
        await eventually(lambda: heard == [b'["x"]'])
        assert heard == [b'["x"]'], "presences are not handed on; the rest is, unchecked"
        await a.flush()  # the reply may still sit in a's write buffer, or be on its way to forger
        await eventually(lambda: len(presences) >= 2)
        await forger.flush()
        assert 2 <= len(presences) <= 3, f"one reply to the flood, not 500: {len(presences)}"
    finally:
        for nc in (a, forger):
            await nc.close()

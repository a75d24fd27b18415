"""OrderAnnouncer and OrderAnnouncements on core NATS (not JetStream: nothing is stored).

After a commit the instance publishes the stored orders to ``orders.stored``:
the body is a JSON array of their documents, byte for byte as the API serves
them, split so that no body exceeds ``MAX_BODY`` (an order larger than that
alone is not announced; others read it from the database when asked). The
``Orders-Origin`` header names the publishing instance, so that an instance
skips its own announcements, which it has applied already.

An instance that listens says so: it announces nothing (``[]``) when it
subscribes, every ``PRESENCE_EVERY`` seconds, and at once when it hears an
instance it did not know (so that one learns of it too, without waiting). The announcer publishes
orders only while another instance has been heard within ``PEER_TTL``, so a
lone instance spends nothing on announcements (``docs/performance.md``).
"""

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Iterator, Sequence

import msgspec
import nats.errors
from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription

from app.adapters.nats_message_size import header_size
from app.domain.document import SerializedOrder
from app.domain.order_codec import NotDecodable, decode
from app.ports.order_announcements import OnAnnounced

ORIGIN_HEADER = "Orders-Origin"
MAX_BODY = 512 * 1024
PRESENCE_EVERY = 10.0  # seconds between a listening instance's empty announcements
PEER_TTL = 3 * PRESENCE_EVERY  # how long an instance heard from counts as listening
PRESENCE = b"[]"
_DOCUMENTS = msgspec.json.Decoder(list[msgspec.Raw])

log = logging.getLogger(__name__)


def announcement_bodies(orders: Sequence[SerializedOrder], limit: int = MAX_BODY) -> Iterator[bytes]:
    """``[doc,doc,...]`` bodies of at most ``limit`` bytes, the orders in their order."""
    chunk: list[bytes] = []
    size = 2  # the brackets
    for order in orders:
        grows = len(order.json) + (1 if chunk else 0)  # and its comma
        if len(order.json) + 2 > limit:
            log.warning("order %s is too large to announce (%d bytes)", order.uid, len(order.json))
            continue
        if size + grows > limit:
            yield b"[" + b",".join(chunk) + b"]"
            chunk, size, grows = [], 2, len(order.json)
        chunk.append(order.json)
        size += grows
    if chunk:
        yield b"[" + b",".join(chunk) + b"]"


def announced_orders(body: bytes) -> list[SerializedOrder]:
    """The orders of one announcement; a document that is not an order is logged and left out."""
    orders = []
    for raw in _DOCUMENTS.decode(body):
        document = bytes(raw)
        try:
            order = decode(document)
        except NotDecodable as error:
            log.warning("an announced order could not be read (%s)", error)
            continue
        orders.append(SerializedOrder(order, document, order.order_uid))
    return orders


class Peers:
    """The other instances heard from lately: they listen to the announcements."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._heard: dict[str, float] = {}  # origin → when last heard

    def heard(self, origin: str) -> bool:
        """Note ``origin`` as listening; whether it is new (not heard within ``PEER_TTL``)."""
        now = self._clock()
        new = self._heard.get(origin, now - PEER_TTL - 1) < now - PEER_TTL
        self._heard[origin] = now
        return new

    def listening(self) -> bool:
        """Whether another instance was heard within ``PEER_TTL``."""
        if not self._heard:
            return False
        since = self._clock() - PEER_TTL
        self._heard = {origin: at for origin, at in self._heard.items() if at >= since}
        return bool(self._heard)


class NatsOrderAnnouncer:
    """Publishes announcements in the background, in the order they were made, while another
    instance listens; none while the connection is down, so that they never crowd the acks out
    of nats-py's reconnect buffer."""

    def __init__(self, nc: NATS, subject: str, origin: str, peers: Peers) -> None:
        self._nc = nc
        self._subject = subject
        self._headers = {ORIGIN_HEADER: origin}
        self._peers = peers
        self._sending: asyncio.Task[None] | None = None

    def announce(self, orders: Sequence[SerializedOrder]) -> None:
        if not self._peers.listening():
            return
        limit = min(MAX_BODY, self._nc.max_payload - header_size(self._headers))  # else the server closes the link
        bodies = list(announcement_bodies(orders, limit))
        if bodies:
            self._sending = asyncio.create_task(self._send(self._sending, bodies))

    async def flush(self) -> None:
        if self._sending is not None:
            await asyncio.wait([self._sending])

    async def _send(self, before: asyncio.Task[None] | None, bodies: list[bytes]) -> None:
        if before is not None:
            await asyncio.wait([before])
        try:
            for body in bodies:
                if not self._nc.is_connected:
                    # Reconnecting: the client's buffer is for the acks; these orders cost misses.
                    log.warning("announcement of stored orders not sent: NATS is disconnected")
                    return
                await self._nc.publish(self._subject, body, headers=self._headers)
        except nats.errors.Error as error:  # closing, or the buffer full: those orders cost misses
            log.warning("announcement not sent: %s", str(error) or type(error).__name__)


class NatsOrderAnnouncements:
    """Subscribes to the announcements and hands on the orders of every instance but ``origin``;
    says it listens, and notes who else does (``peers``)."""

    def __init__(self, nc: NATS, subject: str, origin: str, peers: Peers) -> None:
        self._nc = nc
        self._subject = subject
        self._origin = origin
        self._peers = peers
        self._subscription: Subscription | None = None
        self._presence: asyncio.Task[None] | None = None

    async def subscribe(self, on_orders: OnAnnounced) -> None:
        async def received(msg: Msg) -> None:
            origin = (msg.headers or {}).get(ORIGIN_HEADER)
            if origin == self._origin:
                return
            if origin is not None and self._peers.heard(origin):
                await self._publish_presence()
            try:
                orders = announced_orders(msg.data)
            except msgspec.DecodeError as error:
                log.warning("an announcement is not a JSON array (%s)", error)
                return
            if orders:
                on_orders(orders)

        self._subscription = await self._nc.subscribe(self._subject, cb=received)
        self._presence = asyncio.create_task(self._say_present(), name="announcements-presence")

    async def _say_present(self) -> None:
        while True:
            await self._publish_presence()
            await asyncio.sleep(PRESENCE_EVERY)

    async def _publish_presence(self) -> None:
        with contextlib.suppress(nats.errors.Error):  # not now: the next one will do
            await self._nc.publish(self._subject, PRESENCE, headers={ORIGIN_HEADER: self._origin})

    async def unsubscribe(self) -> None:
        if self._presence is not None:
            self._presence.cancel()
            self._presence = None
        if self._subscription is not None:
            subscription, self._subscription = self._subscription, None
            await subscription.unsubscribe()

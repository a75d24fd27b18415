"""OrderAnnouncer and OrderAnnouncements on core NATS (not JetStream: nothing is stored).

After a commit the instance publishes the uids of the stored orders to
``orders.stored`` (``app.domain.announced_uids``: a JSON array of at most
``MAX_UIDS``); the receiver reads those orders from its own database. The
``Orders-Origin`` header names the publishing instance, so that an instance skips its
own announcements, which it has applied already.

An instance that listens says so: it announces nothing (``[]``) when it
subscribes, every ``PRESENCE_EVERY`` seconds, and when it hears an instance it did
not know (so that one learns of it too, without waiting; at most once a
``REPLY_GAP``). The announcer publishes only while another instance has been heard
within ``PEER_TTL``, so a lone instance spends nothing on announcements
(``docs/performance.md``). Anyone who can publish on the subject could fake a peer:
that costs announcements, never a wrong answer; ``MAX_PEERS`` bounds what is kept.
"""

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Sequence

import nats.errors
from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription

from app.adapters.nats_message_size import header_size
from app.domain.announced_uids import MAX_BODY, announcement_bodies
from app.domain.document import SerializedOrder
from app.ports.order_announcements import OnAnnounced

ORIGIN_HEADER = "Orders-Origin"
MAX_ORIGIN = 128  # characters of an origin worth noting (ours: host, pid and a random part)
MAX_PEERS = 256  # origins kept at once
PRESENCE_EVERY = 10.0  # seconds between a listening instance's empty announcements
PEER_TTL = 3 * PRESENCE_EVERY  # how long an instance heard from counts as listening
REPLY_GAP = 1.0  # seconds at least between two presences said in reply to a new instance
PRESENCE = b"[]"
# What the subscription may hold while its callback runs: beyond this, nats-py drops messages
# (a slow consumer) rather than grow without limit under a flood.
PENDING_MESSAGES = 10_000
PENDING_BYTES = 16 * MAX_BODY

log = logging.getLogger(__name__)


class Peers:
    """The other instances heard from lately: they listen to the announcements."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._heard: dict[str, float] = {}  # origin → when last heard

    def heard(self, origin: str) -> bool:
        """Note ``origin`` as listening; whether it is new (not heard within ``PEER_TTL``).

        With ``MAX_PEERS`` heard lately, a new one is not noted (nor new): it will hear us anyway."""
        now = self._clock()
        new = self._heard.get(origin, now - PEER_TTL - 1) < now - PEER_TTL
        if new and len(self._heard) >= MAX_PEERS:
            self.listening()  # forgets those silent too long
            if len(self._heard) >= MAX_PEERS:
                return False
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
        bodies = list(announcement_bodies([order.uid for order in orders], limit))
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
    """Subscribes to the announcements and hands on those of every instance but ``origin``,
    unchecked (the receiver reads nothing of them but order_uids); says it listens, and notes
    who else does (``peers``)."""

    def __init__(
        self, nc: NATS, subject: str, origin: str, peers: Peers, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._nc = nc
        self._subject = subject
        self._origin = origin
        self._peers = peers
        self._clock = clock
        self._replied_at = -REPLY_GAP
        self._subscription: Subscription | None = None
        self._presence: asyncio.Task[None] | None = None

    async def subscribe(self, on_announced: OnAnnounced) -> None:
        async def received(msg: Msg) -> None:
            origin = (msg.headers or {}).get(ORIGIN_HEADER)
            if origin == self._origin:
                return
            if origin is not None and len(origin) <= MAX_ORIGIN and self._peers.heard(origin):
                await self._reply_presence()
            if msg.data != PRESENCE:
                on_announced(msg.data)

        self._subscription = await self._nc.subscribe(
            self._subject, cb=received, pending_msgs_limit=PENDING_MESSAGES, pending_bytes_limit=PENDING_BYTES
        )
        self._presence = asyncio.create_task(self._say_present(), name="announcements-presence")

    async def _reply_presence(self) -> None:
        """Say we listen to a new instance at once, unless we just did (a flood of new origins)."""
        now = self._clock()
        if now - self._replied_at >= REPLY_GAP:
            self._replied_at = now
            await self._publish_presence()

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

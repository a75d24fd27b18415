"""The soak's load: orders published at a steady rate, and a steady mix of HTTP requests.

The mix, by weight: cached lookups of orders published a while ago (200), lookups
of orders that do not exist (404), the listing, an order's page, the home page,
and new orders posted over HTTP (202). Every answer that is not the one its kind
of request must get, and every request that fails outright, is an error.
"""

import asyncio
import random
import time
from collections import deque
from dataclasses import dataclass, field

import aiohttp
import nats
import orjson

from app.domain.order_factory import OrderFactory
from app.entrypoints.settings import Settings
from bench.run import required

SETTLED = 5.0  # seconds after its publish an order is looked up as stored
MIX = (("lookup", 60, 200), ("missing", 10, 404), ("listing", 10, 200), ("page", 8, 200), ("home", 5, 200))
POST = ("post", 7, 202)


@dataclass
class Traffic:
    """What was sent and what came back, for the soak's report."""

    published: int = 0  # valid orders, over NATS and HTTP
    bad: int = 0  # invalid messages published
    # (monotonic time, seconds, kind) of each GET
    latencies: list[tuple[float, float, str]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    requests: int = 0
    recent: deque[tuple[float, str]] = field(default_factory=lambda: deque(maxlen=2000))  # (when, uid)

    def published_order(self, uid: str) -> None:
        self.published += 1
        self.recent.append((time.monotonic(), uid))

    def settled_uid(self, rng: random.Random) -> str | None:
        """One of the latest uids published at least SETTLED seconds ago."""
        now = time.monotonic()
        ready = [uid for at, uid in self.recent if now - at >= SETTLED]
        return rng.choice(ready) if ready else None


async def publish_steadily(
    settings: Settings, traffic: Traffic, rate: float, until: float, bad_every: int = 100
) -> None:
    """Orders (and a bad message every ``bad_every``) at ``rate`` a second until ``until``."""
    nc = await nats.connect(required(settings.nats_url), name="soak-producer")
    js, factory, started, n = nc.jetstream(), OrderFactory(seed=23), time.monotonic(), 0
    try:
        while time.monotonic() < until:
            await asyncio.sleep(max(0.0, started + n / rate - time.monotonic()))
            n += 1
            if n % bad_every == 0:
                body, msg_id = factory.invalid_message(), f"soak-bad-{n}"
            else:
                order = factory.order()
                body, msg_id = orjson.dumps(order), order["order_uid"]
            try:
                await js.publish(settings.orders_subject, body, headers={"Nats-Msg-Id": msg_id}, timeout=5)
            except (nats.errors.Error, TimeoutError) as error:
                traffic.errors.append(f"publish: {type(error).__name__}: {error}")
                continue
            if n % bad_every == 0:
                traffic.bad += 1
            else:
                traffic.published_order(msg_id)
    finally:
        await nc.drain()


async def request_steadily(
    base: str, token: str, traffic: Traffic, rate: float, until: float, workers: int = 8
) -> None:
    """The HTTP mix at ``rate`` requests a second, from ``workers`` clients, until ``until``;
    ``token`` is the API token the posts need."""
    kinds = [*MIX, POST]
    weights = [weight for _, weight, _ in kinds]
    factory = OrderFactory(seed=2323)

    async def worker(number: int, http: aiohttp.ClientSession) -> None:
        rng, started, n = random.Random(number), time.monotonic(), 0
        while time.monotonic() < until:
            await asyncio.sleep(max(0.0, started + n * workers / rate - time.monotonic()))
            n += 1
            kind, _, expected = rng.choices(kinds, weights)[0]
            await _one(http, traffic, kind, expected, rng, factory)

    authorized = {"Authorization": f"Bearer {token}"}
    async with aiohttp.ClientSession(base, timeout=aiohttp.ClientTimeout(total=10), headers=authorized) as http:
        await asyncio.gather(*(worker(n, http) for n in range(workers)))


async def _one(
    http: aiohttp.ClientSession, traffic: Traffic, kind: str, expected: int, rng: random.Random, factory: OrderFactory
) -> None:
    uid = traffic.settled_uid(rng)
    if kind in ("lookup", "page") and uid is None:
        return  # nothing stored long enough yet
    if kind == "post":
        order = factory.order()
        method, path, body = "POST", "/api/orders", orjson.dumps(order)
    else:
        paths = {
            "lookup": f"/api/orders/{uid}",
            "missing": f"/api/orders/missing-{rng.randrange(10**9)}",
            "listing": "/api/orders?limit=20",
            "page": f"/orders/{uid}",
            "home": "/",
        }
        method, path, body = "GET", paths[kind], None
    started = time.monotonic()
    traffic.requests += 1
    try:
        headers = {"Content-Type": "application/json"} if body else None
        async with http.request(method, path, data=body, headers=headers) as response:
            await response.read()
            status = response.status
    except (aiohttp.ClientError, TimeoutError) as error:
        traffic.errors.append(f"{method} {path}: {type(error).__name__}: {error}")
        return
    if method == "GET":
        traffic.latencies.append((started, time.monotonic() - started, kind))
    if status != expected:
        traffic.errors.append(f"{method} {path}: {status}, not {expected}")
    elif kind == "post":
        traffic.published_order(order["order_uid"])

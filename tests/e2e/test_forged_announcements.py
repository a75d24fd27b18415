"""Two ``orders serve`` processes, and a plain NATS client forging announcements on their subject.

Whatever it publishes on ``ORDERS_STORED_SUBJECT`` (an altered copy of a stored
order, an order never stored, its uid, garbage, a body near ``max_payload``),
both instances go on serving what PostgreSQL holds, under the same ETag, and a
uid never stored is a 404 on the API and the page; meanwhile a genuine
announcement still warms the other instance's cache and answers its ``?wait``.
"""

import asyncio
import copy
import re
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
import nats
import orjson
import pytest
from nats.aio.client import Client as NATS

from app.adapters.pg_order_repository import PgOrderRepository
from app.domain.order_factory import OrderFactory
from app.entrypoints.connections import asyncpg_pool, opened_pool
from app.entrypoints.settings import Settings
from tests.e2e.helpers import eventually, publish
from tests.e2e.service_process import ServiceProcess
from tests.serialized_orders import ser
from tests.servers import AUTHORIZED, isolated_settings

pytestmark = pytest.mark.timeout(180)
FORGER = {"Orders-Origin": "forger"}


@pytest.fixture
def settings(nats_url: str, database_url: str) -> Settings:
    return isolated_settings(nats_url, database_url)


@pytest.fixture
async def instances(settings: Settings, tmp_path: Path) -> AsyncIterator[list[ServiceProcess]]:
    both = [ServiceProcess(settings, tmp_path / f"{name}.log") for name in "ab"]
    for service in both:
        service.start()
    try:
        await asyncio.gather(*(service.wait_ready(60) for service in both))
        yield both
    finally:
        for service in both:
            service.kill()


async def served(service: ServiceProcess, path: str) -> tuple[int, bytes, str | None]:
    async with aiohttp.ClientSession() as http, http.get(service.base_url + path) as response:
        return response.status, await response.read(), response.headers.get("ETag")


async def metric(service: ServiceProcess, name: str, labels: str = "") -> float:
    async with aiohttp.ClientSession() as http, http.get(service.base_url + "/metrics") as response:
        found = re.search(rf"^{re.escape(name + labels)} (\S+)$", await response.text(), re.MULTILINE)
    return float(found.group(1)) if found else 0.0


def altered(order: dict) -> dict:
    """The same order_uid, another customer and a tenth of the price: the money no longer adds up."""
    forged = copy.deepcopy(order)
    forged["customer_id"] = "forger"
    forged["payment"]["amount"] //= 10
    forged["delivery"]["name"] = "Forged Name"
    return forged


async def store_directly(settings: Settings, orders: list[dict]) -> None:
    """Into PostgreSQL, as another instance would, announcing nothing: no instance has them cached."""
    assert settings.database_url is not None
    pool = asyncpg_pool(settings.database_url, max_size=1, command_timeout=10)
    async with asynccontextmanager(opened_pool)(pool):
        await PgOrderRepository(pool).save([ser(order) for order in orders])


async def test_a_forged_announcement_changes_nothing_served_and_a_genuine_one_still_works(
    instances: list[ServiceProcess], settings: Settings, nats_url: str
) -> None:
    a, b = instances
    factory = OrderFactory(seed=3030)
    ingested, direct, never = factory.order(), factory.order(), factory.order()
    forger = await nats.connect(nats_url)
    try:
        await publish(forger, settings, orjson.dumps(ingested), ingested["order_uid"])
        await store_directly(settings, [direct])
        uids = {"ingested": ingested["order_uid"], "direct": direct["order_uid"], "never": never["order_uid"]}
        await eventually(lambda: _all_200(instances, uids["ingested"]), 30, "the ingested order served by both")
        before = {s.base_url: await served(s, f"/api/orders/{uids['ingested']}") for s in instances}
        pages_before = {s.base_url: await served(s, f"/orders/{uids['ingested']}") for s in instances}

        await _forge(forger, settings, [altered(ingested), altered(direct), never], list(uids.values()))
        await eventually(lambda: _all_ignored(instances), 20, "every forged announcement ignored")

        for service in instances:
            assert await served(service, f"/api/orders/{uids['ingested']}") == before[service.base_url]
            assert await served(service, f"/orders/{uids['ingested']}") == pages_before[service.base_url]
            status, body, _ = await served(service, f"/api/orders/{uids['direct']}")
            assert status == 200 and orjson.loads(body) == direct, "as stored, not as forged"
            status, page, _ = await served(service, f"/orders/{uids['direct']}")
            assert status == 200 and b"Forged Name" not in page and direct["delivery"]["name"].encode() in page
            assert (await served(service, f"/api/orders/{uids['never']}"))[0] == 404
            assert (await served(service, f"/orders/{uids['never']}"))[0] == 404
        assert orjson.loads(before[a.base_url][1]) == ingested and before[a.base_url][2] is not None

        await _a_genuine_announcement_warms_and_answers_the_other(a, b)
        for service in instances:
            log = service.log_path.read_text()
            assert "Traceback" not in log and "forger" not in log, log[-3000:]
            assert log.count("announced orders ignored") == 1, "one warning, not one per forgery"
    finally:
        await forger.close()


async def _forge(nc: NATS, settings: Settings, documents: list[dict], uids: list[str]) -> None:
    subject = settings.orders_stored_subject
    await nc.publish(subject, b"[" + b",".join(orjson.dumps(d) for d in documents) + b"]", headers=FORGER)
    await nc.publish(subject, orjson.dumps(uids), headers=FORGER)  # one is stored, one never was
    await nc.publish(subject, b"\x00garbage{", headers=FORGER)
    await nc.publish(subject, orjson.dumps([f"u{n}" for n in range(100_000)]))  # near max_payload, no origin
    await nc.flush()


async def _all_200(instances: list[ServiceProcess], uid: str) -> bool:
    statuses = [(await served(service, f"/api/orders/{uid}"))[0] for service in instances]
    return statuses == [200] * len(instances)


async def _all_ignored(instances: list[ServiceProcess]) -> bool:
    name = "orders_announced_ignored_total"
    for service in instances:
        if (
            await metric(service, name, '{reason="malformed"}') < 3
            or await metric(service, name, '{reason="unknown"}') < 1
        ):
            return False
    return True


async def _a_genuine_announcement_warms_and_answers_the_other(a: ServiceProcess, b: ServiceProcess) -> None:
    """``POST ?wait=5`` to A, ten orders at a time, until B ingested some: each is answered at once
    (B's announcement woke A), and A serves them all from its cache."""
    factory = OrderFactory(seed=3031)
    learned, ingested_by_b = await metric(a, "orders_learned_total"), await metric(b, "orders_ingested_total")
    for _ in range(20):
        before = await metric(b, "orders_ingested_total")
        batch = [factory.order() for _ in range(10)]
        answers = await asyncio.gather(*(_post_and_time(a, order) for order in batch))
        assert [status for status, _ in answers] == [201] * 10
        assert max(seconds for _, seconds in answers) < 1.0, answers
        if await metric(b, "orders_ingested_total") > before:
            break
    else:
        raise AssertionError("B never ingested an order posted to A")
    stored_by_b = await metric(b, "orders_ingested_total") - ingested_by_b
    assert await metric(a, "orders_learned_total") - learned == stored_by_b, "A read each order B announced"
    misses = await metric(a, "orders_cache_misses_total")
    for order in batch:
        status, body, _ = await served(a, f"/api/orders/{order['order_uid']}")
        assert status == 200 and orjson.loads(body) == order
    assert await metric(a, "orders_cache_misses_total") == misses, "every one a cache hit"


async def _post_and_time(service: ServiceProcess, order: dict) -> tuple[int, float]:
    started = time.perf_counter()
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            f"{service.base_url}/api/orders?wait=5",
            data=orjson.dumps(order),
            headers={"Content-Type": "application/json", **AUTHORIZED},
        ) as response,
    ):
        return response.status, time.perf_counter() - started


async def test_a_flood_of_announcements_costs_bounded_memory_and_one_warning_a_minute(
    settings: Settings, nats_url: str, tmp_path: Path
) -> None:
    """3,000 announcements of 1,000 well-formed uids never stored (69 MB), as fast as a client can
    publish: the instance stays ready, its memory does not follow the flood, it logs one warning,
    and afterwards a genuine announcement is read and served as before."""
    service = ServiceProcess(settings, tmp_path / "flooded.log")
    service.start()
    forger = await nats.connect(nats_url)
    try:
        await service.wait_ready(60)
        rss_before = _rss_kib(service)
        flood = [orjson.dumps([f"flood-{n:06d}-{i:04d}-xxxxxxxx" for i in range(1000)]) for n in range(3000)]
        for body in flood:
            await forger.publish(settings.orders_stored_subject, body, headers=FORGER)
        await forger.flush()
        del flood
        assert (await service.get("/readyz"))[0] == 200
        name = "orders_announced_ignored_total"
        await eventually(lambda: _settled(service), 60, "the flood read or dropped")
        ignored = await metric(service, name, '{reason="unknown"}') + await metric(service, name, '{reason="backlog"}')
        assert 0 < ignored <= 3_000_000
        assert _rss_kib(service) - rss_before < 100 * 1024, "memory grew with the flood"

        order = OrderFactory(seed=3032).order()
        await store_directly(settings, [order])
        await forger.publish(
            settings.orders_stored_subject, orjson.dumps([order["order_uid"]]), headers={"Orders-Origin": "peer"}
        )
        await eventually(lambda: _learned_one(service), 20, "the genuine announcement read")
        misses = await metric(service, "orders_cache_misses_total")
        status, body, _ = await served(service, f"/api/orders/{order['order_uid']}")
        assert status == 200 and orjson.loads(body) == order
        assert await metric(service, "orders_cache_misses_total") == misses, "warmed by the announcement"
        log = service.log_path.read_text()
        assert "Traceback" not in log and log.count("announced orders ignored") == 1, log[-3000:]
    finally:
        await forger.close()
        service.kill()


def _rss_kib(service: ServiceProcess) -> int:
    assert service.process is not None
    status = Path(f"/proc/{service.process.pid}/status").read_text()
    found = re.search(r"^VmRSS:\s+(\d+) kB$", status, re.MULTILINE)
    assert found, status
    return int(found.group(1))


async def _settled(service: ServiceProcess) -> bool:
    """Nothing more ignored over half a second: the backlog is read."""
    name = "orders_announced_ignored_total"
    first = await metric(service, name, '{reason="unknown"}')
    await asyncio.sleep(0.5)
    return await metric(service, name, '{reason="unknown"}') == first > 0


async def _learned_one(service: ServiceProcess) -> bool:
    return await metric(service, "orders_learned_total") == 1

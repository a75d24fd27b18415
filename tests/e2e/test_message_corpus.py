"""The corpus of malformed and hostile messages through a real ``orders serve`` on real NATS and PostgreSQL.

One service for the module: every case is published once, in order, with a
message id of its own; once the consumer has settled them all, each case's
outcome is checked: stored and served exactly, or dead-lettered with its
original bytes, its kind of reason, a reason naming the field or the failure,
and the uid it had when it had a readable one. Nothing else is stored or
dead-lettered, and the service is still ready.
"""

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import nats
import orjson
import pytest
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from app.entrypoints.settings import Settings
from tests.e2e.message_corpus import CASES
from tests.e2e.service_process import ServiceProcess
from tests.servers import create_database, drop_database, isolated_settings

BY_NAME = {case.name: case for case in CASES}
assert len(BY_NAME) == len(CASES), "case names are unique"


@dataclass
class Run:
    """What the service made of the corpus."""

    letters: dict[str, Any]  # message id -> its dead letter
    served: dict[str, tuple[int, Any]]  # uid -> (status, body) of GET /api/orders/{uid}
    stored_count: int
    orphans: int  # child rows without their order
    ready: bool


def message_id(index: int) -> str:
    return f"corpus-{index}"


async def _publish_and_settle(settings: Settings) -> dict[str, Any]:
    nc = await nats.connect(settings.nats_url or "")
    try:
        js = nc.jetstream()
        for index, case in enumerate(CASES):
            await js.publish(settings.orders_subject, case.body, headers={"Nats-Msg-Id": message_id(index)})
        deadline = asyncio.get_running_loop().time() + 60
        while True:
            info = await js.consumer_info(settings.orders_stream, settings.orders_consumer)
            if info.num_pending == 0 and info.num_ack_pending == 0 and info.delivered.stream_seq >= len(CASES):
                break
            assert asyncio.get_running_loop().time() < deadline, f"not settled: {info}"
            await asyncio.sleep(0.1)
        reader = await js.pull_subscribe_bind(
            stream=settings.dlq_stream,
            consumer=(
                await js.add_consumer(
                    settings.dlq_stream,
                    ConsumerConfig(ack_policy=AckPolicy.NONE, deliver_policy=DeliverPolicy.ALL, mem_storage=True),
                )
            ).name,
        )
        total = (await js.stream_info(settings.dlq_stream)).state.messages
        letters: dict[str, Any] = {}
        while len(letters) < total:
            for letter in await reader.fetch(total - len(letters), timeout=5):
                letters[(letter.headers or {})["Orders-Original-Msg-Id"]] = letter
        return letters
    finally:
        await nc.close()


async def _observe(service: ServiceProcess, settings: Settings) -> Run:
    letters = await _publish_and_settle(settings)
    uids = {case.served["order_uid"] for case in CASES if case.served} | {case.uid for case in CASES if case.uid}
    served = {}
    async with aiohttp.ClientSession(service.base_url) as http:
        for uid in uids:
            async with http.get(f"/api/orders/{uid}") as response:
                served[uid] = (response.status, await response.read())
        async with http.get("/readyz") as response:
            ready = response.status == 200
    conn = await asyncpg.connect(settings.database_url)
    try:
        stored_count = await conn.fetchval("SELECT count(*) FROM orders")
        orphans = await conn.fetchval(
            "SELECT (SELECT count(*) FROM items WHERE order_id NOT IN (SELECT id FROM orders))"
            " + (SELECT count(*) FROM deliveries WHERE order_id NOT IN (SELECT id FROM orders))"
            " + (SELECT count(*) FROM payments WHERE order_id NOT IN (SELECT id FROM orders))"
        )
    finally:
        await conn.close()
    return Run(letters, served, stored_count, orphans, ready)


@pytest.fixture(scope="module")
def run(postgres_server_url, template_database, nats_url, tmp_path_factory) -> Iterator[Run]:
    database_url = asyncio.run(create_database(postgres_server_url, template=template_database))
    settings = isolated_settings(nats_url, database_url)
    service = ServiceProcess(settings, Path(tmp_path_factory.mktemp("corpus")) / "service.log")
    service.start()
    try:
        asyncio.run(service.wait_ready())
        yield asyncio.run(_observe(service, settings))
    finally:
        service.terminate()
        asyncio.run(drop_database(postgres_server_url, database_url))


@pytest.mark.parametrize("name", list(BY_NAME))
def test_each_message_gets_its_one_outcome(run: Run, name: str) -> None:
    index, case = CASES.index(BY_NAME[name]), BY_NAME[name]
    letter = run.letters.get(message_id(index))
    if case.stored:
        assert letter is None, letter and letter.headers["Orders-Error"]
        assert case.served is not None
        status, body = run.served[case.served["order_uid"]]
        assert status == 200 and orjson.loads(body) == case.served
        return
    assert letter is not None, f"{name} was not dead-lettered"
    assert letter.data == case.body, "the dead letter keeps the original bytes"
    assert letter.headers["Orders-Error-Kind"] == case.kind
    assert case.reason is not None and case.reason in letter.headers["Orders-Error"]
    assert letter.headers.get("Orders-Order-Uid") == case.uid
    assert letter.headers["Orders-Deliveries"] == "1"
    if case.kind == "invalid" and case.uid is not None and _valid_uid(case.uid):
        assert run.served[case.uid][0] == 404, "an invalid message stores nothing"


def _valid_uid(uid: str) -> bool:
    return 0 < len(uid) <= 64 and all(c.isascii() and (c.isalnum() or c in "_-") for c in uid)


def test_nothing_else_is_stored_or_dead_lettered_and_the_service_is_ready(run: Run) -> None:
    refused = [case for case in CASES if not case.stored]
    distinct_stored = {case.served["order_uid"] for case in CASES if case.served}
    assert len(CASES) >= 60 and len(refused) >= 40
    assert len(run.letters) == len(refused)
    assert run.stored_count == len(distinct_stored)
    assert run.orphans == 0
    assert run.ready


def test_the_corpus_covers_every_class() -> None:
    classes = {case.name.split(":")[0] for case in CASES}
    assert {"json", "encoding", "nesting", "size", "number", "type", "date", "money", "uid", "conflict"} <= classes

"""URLs of several hosts and read replicas, against a primary and its synchronous standby.

The standby is named first in the write URLs, so that taking the first host that
answers would mean writing to the standby.
"""

import os
import re
import subprocess
import sys
from collections.abc import AsyncIterator, Awaitable, Iterator
from contextlib import asynccontextmanager

import asyncpg
import pytest

from app.adapters.pg_hosts import PREFER_STANDBY, READ_WRITE, with_session_attrs
from app.adapters.pg_order_repository import PgOrderRepository
from app.adapters.yoyo_migrator import YoyoMigrator
from app.entrypoints.connections import asyncpg_pool, opened_pool
from app.ports.order_repository import SaveOutcome, StorageUnavailable
from app.service_layer.replica_reads import ReplicaFirstReads
from tests.e2e.helpers import eventually
from tests.replicated_postgres import ReplicatedPostgres, pause_replay, replicated_pair
from tests.serialized_orders import generated, ser

CLI = [sys.executable, "-m", "app.entrypoints.cli"]


@pytest.fixture(scope="module")
def pair() -> Iterator[ReplicatedPostgres]:
    with replicated_pair() as servers:
        yield servers


async def refused(call: Awaitable[object], reason: str) -> bool:
    """Whether ``call`` raised StorageUnavailable (an outage) for ``reason``."""
    try:
        await call
    except StorageUnavailable as error:
        return re.search(reason, str(error)) is not None
    return False


@asynccontextmanager
async def repository_on(url: str) -> AsyncIterator[PgOrderRepository]:
    """A repository on the service's own kind of pool."""
    async with asynccontextmanager(opened_pool)(asyncpg_pool(url, max_size=2, command_timeout=5)) as pool:
        yield PgOrderRepository(pool)


def test_orders_migrate_with_the_standby_named_first_migrates_the_primary(pair: ReplicatedPostgres) -> None:
    url = pair.url(pair.standby, pair.primary)  # no target_session_attrs: read-write is implied
    done = subprocess.run([*CLI, "migrate"], env={**os.environ, "DATABASE_URL": url}, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("applied: 0001_create_order_tables")
    assert YoyoMigrator(pair.url(pair.primary)).pending() == []


async def test_the_pool_writes_to_the_primary_and_a_standby_alone_is_not_ready(pair: ReplicatedPostgres) -> None:
    YoyoMigrator(pair.url(pair.primary)).apply()
    order = ser(generated(1, seed=31)[0])
    async with repository_on(with_session_attrs(pair.url(pair.standby, pair.primary), READ_WRITE)) as repository:
        assert await repository.save([order]) == {order.uid: SaveOutcome.STORED}
        await repository.ping()
    async with repository_on(pair.url(pair.standby)) as standby_only:
        assert await standby_only.get_json(order.uid) == order.json  # it answers reads
        with pytest.raises(StorageUnavailable, match="takes no writes"):
            await standby_only.ping()  # but the service could not store a thing there


async def test_an_order_the_lagging_replica_lacks_is_read_from_the_primary(pair: ReplicatedPostgres) -> None:
    YoyoMigrator(pair.url(pair.primary)).apply()
    first, second = (ser(document) for document in generated(2, seed=32))
    replica_url = with_session_attrs(pair.url(pair.standby, pair.primary), PREFER_STANDBY)
    async with repository_on(pair.url(pair.primary)) as primary, repository_on(replica_url) as replica:
        reads = ReplicaFirstReads(primary, replica)
        await primary.save([first])
        await pause_replay(pair.standby, paused=True)
        try:
            await primary.save([second])  # committed: the standby flushed it, but does not apply it
            assert await replica.get_json(second.uid) is None, "the replica lags"
            assert await replica.get_json(first.uid) == first.json
            assert await reads.get_json(second.uid) == second.json
            assert await reads.get_json(first.uid) == first.json
            assert await reads.get_json("not-stored-anywhere") is None
            listed = [body for _, body in await reads.list_json(10)]
            assert first.json in listed and second.json not in listed, "a listing shows the replica's view"
        finally:
            await pause_replay(pair.standby, paused=False)


async def test_replica_reads_fall_back_to_the_primary_when_no_replica_answers(pair: ReplicatedPostgres) -> None:
    YoyoMigrator(pair.url(pair.primary)).apply()
    order = ser(generated(1, seed=33)[0])
    nobody = "postgresql://postgres@127.0.0.1:9/orders"  # the discard port: refused at once
    async with repository_on(pair.url(pair.primary)) as primary, repository_on(nobody) as replica:
        reads = ReplicaFirstReads(primary, replica)
        await primary.save([order])
        assert await reads.get_json(order.uid) == order.json
        assert [body for _, body in await reads.list_json(100) if body == order.json] == [order.json]
        assert order.json in [body async for _, body in reads.recent_json(100) if body == order.json]
        with pytest.raises(StorageUnavailable):
            await replica.get_json(order.uid)


async def test_a_primary_turned_read_only_is_an_outage_not_a_bad_order(pair: ReplicatedPostgres) -> None:
    """``cannot execute INSERT in a read-only transaction`` (a fenced or demoted primary) says the
    server is not the one to write to: StorageUnavailable, which ingest never holds against an order."""
    YoyoMigrator(pair.url(pair.primary)).apply()
    orders = [ser(document) for document in generated(2, seed=34)]
    admin = await asyncpg.connect(pair.url(pair.primary, database="postgres"))
    try:
        async with repository_on(pair.url(pair.primary)) as repository:
            await repository.save(orders[:1])
            await admin.execute("ALTER SYSTEM SET default_transaction_read_only = on")
            await admin.execute("SELECT pg_reload_conf()")
            await eventually(lambda: refused(repository.ping(), "takes no writes"), 5, "the reload to take effect")
            assert await refused(repository.save(orders[1:]), "cannot execute .* in a read-only transaction")
            await admin.execute("ALTER SYSTEM RESET default_transaction_read_only")
            await admin.execute("SELECT pg_reload_conf()")
            assert await repository.save(orders[1:]) == {orders[1].uid: SaveOutcome.STORED}
    finally:
        await admin.close()

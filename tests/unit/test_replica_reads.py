"""ReplicaFirstReads: reads from the replica first, the primary whenever the replica cannot say."""

from collections.abc import AsyncIterator

import pytest

from app.ports.order_repository import SaveOutcome, StorageUnavailable
from app.service_layer.replica_reads import ReplicaFirstReads
from tests.unit.fakes import FakeOrderRepository
from tests.unit.sample import order_doc, serialized

FIRST, SECOND = serialized(order_doc("replica-first")), serialized(order_doc("replica-second"))


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def primary() -> FakeOrderRepository:
    repository = FakeOrderRepository()
    repository.preload(FIRST, SECOND)
    return repository


@pytest.fixture
def replica() -> FakeOrderRepository:
    """Lags: it has the first order only."""
    repository = FakeOrderRepository()
    repository.preload(FIRST)
    return repository


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def reads(primary: FakeOrderRepository, replica: FakeOrderRepository, clock: Clock) -> ReplicaFirstReads:
    return ReplicaFirstReads(primary, replica, pause=5.0, clock=clock)


async def test_a_lookup_the_replica_answers_never_reaches_the_primary(reads, primary, replica) -> None:
    assert await reads.get_json(FIRST.uid) == FIRST.json
    assert (replica.calls["get_json"], primary.calls["get_json"]) == (1, 0)


async def test_an_order_the_lagging_replica_misses_is_read_from_the_primary(reads, primary, replica) -> None:
    assert await reads.get_json(SECOND.uid) == SECOND.json
    assert await reads.get_json("stored-nowhere") is None
    assert (replica.calls["get_json"], primary.calls["get_json"]) == (2, 2)


async def test_listings_and_the_warm_up_show_the_replicas_view(reads, primary) -> None:
    assert await reads.list_json(10) == [(1, FIRST.json)]
    assert [uid async for uid, _ in reads.recent_json(10)] == [FIRST.uid]
    assert primary.calls["list_json"] == primary.calls["recent_json"] == 0


async def test_while_the_replica_is_down_reads_go_to_the_primary_and_it_is_tried_again_later(
    reads, primary, replica, clock
) -> None:
    replica.down = True
    assert await reads.get_json(FIRST.uid) == FIRST.json
    assert await reads.list_json(10) == [(2, SECOND.json), (1, FIRST.json)]
    assert [uid async for uid, _ in reads.recent_json(10)] == [FIRST.uid, SECOND.uid]
    assert replica.calls["get_json"] == 1, "after one failure the replica is left alone for a while"
    assert replica.calls["list_json"] == replica.calls["recent_json"] == 0

    clock.now += 5.0
    replica.down = False
    assert await reads.list_json(10) == [(1, FIRST.json)]
    assert replica.calls["list_json"] == 1


async def test_a_warm_up_the_replica_fails_first_comes_from_the_primary(reads, primary, replica) -> None:
    replica.down = True
    assert [uid async for uid, _ in reads.recent_json(10)] == [FIRST.uid, SECOND.uid]
    assert (replica.calls["recent_json"], primary.calls["recent_json"]) == (1, 1)


class ReplicaLostMidway(FakeOrderRepository):
    """A replica that hands out its first order, then goes away."""

    async def recent_json(self, limit: int) -> AsyncIterator[tuple[str, bytes]]:
        async for pair in super().recent_json(limit):
            yield pair
            raise StorageUnavailable("the replica went away")


async def test_a_warm_up_the_replica_fails_midway_fails_and_its_retry_reads_the_primary(primary, clock) -> None:
    replica = ReplicaLostMidway()
    replica.preload(FIRST, SECOND)
    reads = ReplicaFirstReads(primary, replica, pause=5.0, clock=clock)
    with pytest.raises(StorageUnavailable):
        _ = [pair async for pair in reads.recent_json(10)]
    assert [uid async for uid, _ in reads.recent_json(10)] == [FIRST.uid, SECOND.uid]
    assert (replica.calls["recent_json"], primary.calls["recent_json"]) == (1, 1)


async def test_when_both_are_down_the_read_fails_as_an_outage(reads, primary, replica) -> None:
    primary.down = replica.down = True
    with pytest.raises(StorageUnavailable):
        await reads.get_json(FIRST.uid)
    with pytest.raises(StorageUnavailable):
        await reads.list_json(10)
    with pytest.raises(StorageUnavailable):
        _ = [pair async for pair in reads.recent_json(10)]


async def test_writes_counts_and_pings_are_the_primarys(reads, primary, replica) -> None:
    third = serialized(order_doc("replica-third"))
    assert await reads.save([third]) == {third.uid: SaveOutcome.STORED}
    assert await reads.count() == 3
    await reads.ping()
    assert third.uid in primary.orders and third.uid not in replica.orders
    replica.down = True
    await reads.ping()  # the service is ready without its replica: reads fall back
    primary.down = True
    with pytest.raises(StorageUnavailable):
        await reads.ping()


async def test_announced_orders_are_read_from_the_primary_which_the_replica_may_lag(reads, primary, replica) -> None:
    assert [order.uid for order in await reads.get_many([FIRST.uid, SECOND.uid])] == [FIRST.uid, SECOND.uid]
    assert replica.calls["get_many"] == 0

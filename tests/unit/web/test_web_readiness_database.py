"""``/readyz`` over a database link gone silent: the ping hangs, and readiness does not.

Over a link that drops packets a ping neither fails nor answers. Readiness waits a moment
for it, answers "database" failing, and leaves the ping running rather than cancelling it
(cancelling an asyncpg query waits for a cancel request over a new connection, as long as
the connect timeout): the checks made meanwhile share that one ping.
"""

import asyncio

import pytest

from tests.unit.fake_container import Fakes
from tests.unit.fakes import FakeOrderRepository
from tests.unit.web.conftest import Client


class SilentLinkRepository(FakeOrderRepository):
    """Pings hang while ``link_up`` is clear, as over a link that drops packets."""

    def __init__(self) -> None:
        super().__init__()
        self.link_up = asyncio.Event()
        self.link_up.set()
        self.pings_started = 0
        self.pings_cancelled = 0

    async def ping(self) -> None:
        self.pings_started += 1
        try:
            await self.link_up.wait()
        except asyncio.CancelledError:
            self.pings_cancelled += 1
            raise
        await super().ping()


@pytest.fixture
def fakes() -> Fakes:
    fakes = Fakes(repository=SilentLinkRepository())
    fakes.source.idle_wait = 0.01
    return fakes


async def test_readyz_names_the_database_while_its_ping_hangs_and_recovers_with_it(
    client: Client, fakes: Fakes
) -> None:
    repository = fakes.repository
    assert isinstance(repository, SilentLinkRepository)
    assert (await client.get("/readyz")).status == 200

    repository.link_up.clear()
    started = repository.pings_started
    for _ in range(3):
        response = await asyncio.wait_for(client.get("/readyz"), timeout=10)
        body = await response.json(content_type=None)
        assert response.status == 503 and body["detail"] == "failing: database"
    assert repository.pings_started == started + 1, "the checks share the ping in flight"
    assert repository.pings_cancelled == 0, "the hung ping is left to finish"

    repository.link_up.set()
    await asyncio.sleep(0)
    assert (await client.get("/readyz")).status == 200

"""``/readyz`` says "consumer" is failing while fetches fail, and ready again once one succeeds."""

from collections.abc import Sequence

import pytest

from tests.unit.fake_container import Fakes
from tests.unit.fakes import FakeMessage, FakeMessageSource, wait_until
from tests.unit.web.conftest import Client


class FlakySource(FakeMessageSource):
    """Every fetch raises while ``failing`` is set, as when the consumer cannot be reached."""

    failing = False

    async def fetch(self, max_messages: int, timeout: float) -> Sequence[FakeMessage]:
        if self.failing:
            self.fetch_calls += 1
            raise ConnectionError("no responders for the consumer")
        return await super().fetch(max_messages, timeout)


@pytest.fixture
def fakes() -> Fakes:
    fakes = Fakes(source=FlakySource())
    fakes.source.idle_wait = 0.01
    return fakes


async def readiness(client: Client) -> tuple[int, dict]:
    response = await client.get("/readyz")
    return response.status, await response.json(content_type=None)


async def test_readyz_reports_the_consumer_while_fetches_fail(client: Client, fakes: Fakes) -> None:
    source = fakes.source
    assert isinstance(source, FlakySource)
    await wait_until(lambda: source.empty_fetches > 0)  # the loop runs
    status, body = await readiness(client)
    assert status == 200, body

    source.failing = True
    calls = source.fetch_calls
    await wait_until(lambda: source.fetch_calls > calls + 1, timeout=3)
    status, body = await readiness(client)

    assert status == 503 and body["checks"]["consumer"] is False and body["checks"]["nats"] is True
    assert body["detail"] == "failing: consumer"
    source.failing = False
    calls = source.empty_fetches
    await wait_until(lambda: source.empty_fetches > calls + 1, timeout=3)  # one fetch came back empty
    status, body = await readiness(client)
    assert status == 200, body

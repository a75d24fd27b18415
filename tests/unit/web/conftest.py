"""The web app built by the real container over fakes, served in-process by pytest-aiohttp."""

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from app.entrypoints.bootstrap import create_app
from app.entrypoints.container import Container
from tests.unit.fake_container import AUTHORIZED, Fakes, fake_container
from tests.unit.fakes import wait_until

Client = TestClient[web.Request, web.Application]


@pytest.fixture
def fakes() -> Fakes:
    fakes = Fakes()
    fakes.source.idle_wait = 0.01  # an idle fetch returns soon, so the app stops soon
    fakes.publisher.deliver_to = fakes.source  # what is published is ingested
    return fakes


@pytest.fixture
def container(fakes: Fakes) -> Container:
    return fake_container(fakes, ingest_fetch_seconds=0.01)


@pytest.fixture
async def starting_client(aiohttp_client: Any, container: Container) -> AsyncIterator[Client]:
    """A client of the app as it starts (the service may not be ready yet), sending the API token."""
    client: Client = await aiohttp_client(await create_app(container), headers=AUTHORIZED)
    yield client


@pytest.fixture
async def client(starting_client: Client, container: Container) -> Client:
    """A client of the app once the service is ready."""
    await wait_until(container.service().is_ready)
    return starting_client

"""The composition root with every port that does I/O overridden by a hand-written fake.

As in dependency-injector's aiohttp example: the real ``Container``, its
providers overridden with ``providers.Object(fake)``, so the use cases and the
web app are wired exactly as in production.
"""

from dataclasses import dataclass, field
from typing import Any

from dependency_injector import providers

from app.entrypoints.container import Container
from app.entrypoints.settings import Settings
from tests.unit.fakes import (
    FakeAnnouncements,
    FakeAnnouncer,
    FakeCache,
    FakeDeadLetterArchive,
    FakeDeadLetterSink,
    FakeFeed,
    FakeMessageSource,
    FakeMetrics,
    FakeMigrator,
    FakeOrderRepository,
    FakePublisher,
    FakeTopology,
)


@dataclass
class Fakes:
    """The fakes to wire; cache, feed and metrics stay the real in-memory adapters when None."""

    repository: FakeOrderRepository = field(default_factory=FakeOrderRepository)
    source: FakeMessageSource = field(default_factory=FakeMessageSource)
    dead_letters: FakeDeadLetterSink = field(default_factory=FakeDeadLetterSink)
    dead_letter_archive: FakeDeadLetterArchive = field(default_factory=FakeDeadLetterArchive)
    publisher: FakePublisher = field(default_factory=FakePublisher)
    migrator: FakeMigrator = field(default_factory=FakeMigrator)
    topology: FakeTopology = field(default_factory=FakeTopology)
    announcer: FakeAnnouncer = field(default_factory=FakeAnnouncer)
    announcements: FakeAnnouncements = field(default_factory=FakeAnnouncements)
    cache: FakeCache | None = None
    feed: FakeFeed | None = None
    metrics: FakeMetrics | None = None


API_TOKEN = "unit-test-token"
AUTHORIZED = {"Authorization": f"Bearer {API_TOKEN}"}  # what the web tests' clients send by default


def fake_settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "nats_url": "nats://fake:4222",
        "database_url": "postgresql://fake@fake/fake",
        "api_tokens": API_TOKEN,
    }
    return Settings(_env_file=None, **{**values, **overrides})


def fake_container(fakes: Fakes, **settings: Any) -> Container:
    container = Container(settings=fake_settings(**settings))
    container.opened_pool.override(providers.Object(None))  # no connections to open
    container.connected_nats.override(providers.Object(None))
    for name in (
        "repository",
        "source",
        "dead_letters",
        "dead_letter_archive",
        "publisher",
        "migrator",
        "topology",
        "announcer",
        "announcements",
        "cache",
        "feed",
        "metrics",
    ):
        fake = getattr(fakes, name)
        if fake is not None:
            getattr(container, name).override(providers.Object(fake))
    return container

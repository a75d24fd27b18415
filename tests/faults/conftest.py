"""NATS and PostgreSQL each in a network namespace of its own, behind a link the test can cut.

The fixtures skip, saying why, where this machine cannot make a namespace (not root, no ``ip``);
under CI (``CI=true``) that is a failure instead: CI must never pass without the real check.
Inside its namespace each server listens on a port of its own, not on NATS's or PostgreSQL's usual one.
"""

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from app.adapters.yoyo_migrator import YoyoMigrator
from app.embedded.nats_server_process import NatsServerProcess
from app.embedded.pgserver_postgres import PgserverPostgres
from app.entrypoints.settings import Settings
from tests.e2e.service_process import ServiceProcess
from tests.faults.network import Link, namespaces_unavailable
from tests.servers import FAST_PG, postgres_data_dir

NATS_PORT = 14222  # inside the server's own namespace
POSTGRES_PORT = 15432


@dataclass
class Behind:
    """A server and the link that leads to it."""

    url: str
    link: Link


@pytest.fixture(scope="session")
def namespaces() -> None:
    reason = namespaces_unavailable()
    if reason is not None and os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"partition tests cannot run under CI: {reason}")
    if reason is not None:
        pytest.skip(f"partition tests skipped: {reason}")


@pytest.fixture
def link_to(namespaces: None) -> Iterator[type[Link]]:
    """Makes links; every one is healed and deleted at the end, whatever happened."""
    made: list[Link] = []

    class Tracked(Link):
        def __init__(self, role: str) -> None:
            super().__init__(role)
            made.append(self)

    yield Tracked
    for link in made:
        link.close()


@pytest.fixture
def nats_behind_link(link_to: type[Link], tmp_path: Path) -> Iterator[Behind]:
    link = link_to("nats")
    server = NatsServerProcess(
        tmp_path / "nats", host=link.server_address, port=NATS_PORT, monitor_port=18222, netns=link.netns
    )
    server.start()
    try:
        yield Behind(server.url, link)
    finally:
        link.heal()
        server.kill()


@pytest.fixture
def postgres_behind_link(link_to: type[Link]) -> Iterator[Behind]:
    """A migrated database; the server trusts the root end of its link (pg_hba.conf)."""
    link = link_to("pg")
    with postgres_data_dir() as data_dir:
        setup = PgserverPostgres(data_dir, options=FAST_PG)  # on loopback: initdb and the migrations
        setup.start()
        YoyoMigrator(setup.url).apply()
        setup.stop()
        with (data_dir / "pg_hba.conf").open("a") as hba:
            hba.write(f"host all all {link.root_address}/32 trust\n")
        server = PgserverPostgres(
            data_dir, port=POSTGRES_PORT, options=FAST_PG, host=link.server_address, netns=link.netns
        )
        server.start()
        try:
            yield Behind(server.url, link)
        finally:
            link.heal()
            server.kill()


@pytest.fixture
def service_factory(tmp_path: Path) -> Iterator[Callable[[Settings], ServiceProcess]]:
    """Starts ``orders serve`` processes (on the root side of every link); kills them at the end."""
    started: list[ServiceProcess] = []

    def make(settings: Settings) -> ServiceProcess:
        service = ServiceProcess(settings, tmp_path / f"service-{len(started)}.log")
        started.append(service)
        service.start()
        return service

    yield make
    for service in started:
        service.kill()

"""The built image run as compose runs it, against the suite's NATS and PostgreSQL, on a read-only
root with no tmpfs: ``orders migrate``, then ``orders serve`` with two workers, ready and healthy by
the image's own HEALTHCHECK; ``orders produce`` publishes the sample file and the order is served
exactly, as JSON and as its page; SIGTERM stops it cleanly."""

import asyncio
import json
import re
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from subprocess import CompletedProcess

import pytest

from app.domain.document import serialize
from app.domain.validation import parse_order
from app.embedded.free_port import free_tcp_port
from app.entrypoints.workers import GRACEFUL_SECONDS
from tests.e2e.service_process import settings_env
from tests.image.container import Container, run_once
from tests.image.engine import Engine
from tests.sample_order import SAMPLE_PATH, SHARED_SAMPLE_PATH
from tests.servers import create_database, drop_database, isolated_settings

pytestmark = [pytest.mark.image, pytest.mark.timeout(900)]  # the first to run waits for the build

# The canonical sample; the packaged copy where ../shared is not beside the checkout (the same order:
# tests/unit/test_sample_copy.py).
SAMPLE = SHARED_SAMPLE_PATH if SHARED_SAMPLE_PATH.exists() else SAMPLE_PATH
# Run in the container: the owners of its processes (the arbiter, the workers, this one).
OWNERS = "import os; print(sorted({os.stat(f'/proc/{p}').st_uid for p in os.listdir('/proc') if p.isdigit()}))"
INSTANCE = re.compile(r'^orders_instance_info\{instance="[^"]+",pid="(\d+)"\} 1\.0$', re.MULTILINE)


def get(url: str) -> tuple[int, str, bytes]:
    """Status, content type and body, on a new connection each time."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.headers.get_content_type(), response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get_content_type(), error.read()


@pytest.fixture(scope="module")
def environment(nats_url: str, postgres_server_url: str) -> Iterator[dict[str, str]]:
    """A new empty database and streams of its own; two workers on a free port."""
    database_url = asyncio.run(create_database(postgres_server_url))
    settings = isolated_settings(nats_url, database_url)
    yield {**settings_env(settings), "HTTP_HOST": "127.0.0.1", "HTTP_PORT": str(free_tcp_port()), "HTTP_WORKERS": "2"}
    asyncio.run(drop_database(postgres_server_url, database_url))


@pytest.fixture(scope="module")
def migrated(engine: Engine, image: str, environment: dict[str, str]) -> CompletedProcess[str]:
    return run_once(engine, image, environment, "orders", "migrate")


@pytest.fixture(scope="module")
def service(
    engine: Engine, image: str, environment: dict[str, str], migrated: CompletedProcess[str]
) -> Iterator[Container]:
    assert migrated.returncode == 0, migrated.stderr
    container = Container(engine, image, environment)
    container.start()
    try:
        container.wait_ready(base_url(environment))
        yield container
    finally:
        container.remove()


def base_url(environment: dict[str, str]) -> str:
    return f"http://127.0.0.1:{environment['HTTP_PORT']}"


@pytest.fixture(scope="module")
def produced(engine: Engine, image: str, environment: dict[str, str], service: Container) -> str:
    """The sample file published by ``orders produce`` in the image; the order's uid, once it is served."""
    published = run_once(
        engine, image, environment, "orders", "produce", "/orders/sample.json", mounts={SAMPLE: "/orders/sample.json"}
    )
    assert published.returncode == 0, published.stderr
    assert "published 1, duplicates 0, failed 0" in published.stderr
    uid = json.loads(SAMPLE.read_bytes())["order_uid"]
    for _ in range(200):
        if get(f"{base_url(environment)}/api/orders/{uid}")[0] == 200:
            return uid
        time.sleep(0.1)
    raise AssertionError(f"{uid} never served:\n{service.logs()[-3000:]}")


def test_migrate_applies_every_migration(migrated: CompletedProcess[str]) -> None:
    assert migrated.returncode == 0, migrated.stderr
    assert migrated.stdout.startswith("applied: 0001"), migrated.stdout


def test_ready_and_healthy_by_the_images_own_healthcheck(
    engine: Engine, service: Container, environment: dict[str, str]
) -> None:
    status, content_type, body = get(base_url(environment) + "/readyz")
    assert (status, content_type) == (200, "application/json"), body
    if engine.is_podman:  # podman runs health checks from systemd timers; none here: run it now
        checked = engine("healthcheck", "run", service.name, check=False)
        assert checked.returncode == 0, checked.stdout + checked.stderr
    for _ in range(60):  # Docker runs it every 10 s
        if service.inspect("{{.State.Health.Status}}") == "healthy":
            return
        time.sleep(1)
    raise AssertionError(f"never healthy: {service.inspect('{{json .State.Health}}')}")


def test_the_produced_file_is_served_exactly_as_json_and_as_its_page(
    produced: str, environment: dict[str, str]
) -> None:
    status, content_type, body = get(f"{base_url(environment)}/api/orders/{produced}")
    assert (status, content_type) == (200, "application/json")
    assert json.loads(body) == json.loads(SAMPLE.read_bytes())
    assert list(json.loads(body)) == list(json.loads(SAMPLE.read_bytes())), "the fields in the file's order"
    assert body == serialize(parse_order(SAMPLE.read_bytes())).json, "the bytes this checkout's code serves"
    status, content_type, page = get(f"{base_url(environment)}/orders/{produced}")
    assert (status, content_type) == (200, "text/html")
    assert produced in page.decode() and "Mascaras" in page.decode()


def test_two_workers_answer_on_a_read_only_root_with_no_tmpfs(
    engine: Engine, service: Container, environment: dict[str, str]
) -> None:
    pids: set[str] = set()
    for _ in range(200):
        found = INSTANCE.search(get(base_url(environment) + "/metrics")[2].decode())
        assert found, "every worker says who it is"
        pids.add(found.group(1))
        if len(pids) == 2:
            break
    assert len(pids) == 2, f"only workers {pids} answered"
    assert service.inspect("{{.HostConfig.ReadonlyRootfs}}") == "true"
    assert service.inspect("{{json .Mounts}}") in ("[]", "null")
    for directory in ("/tmp", "/var/tmp", "/srv/orders"):
        written = service.exec("python", "-c", f"open('{directory}/probe', 'w')")
        assert written.returncode != 0 and "Read-only file system" in written.stderr, (directory, written.stderr)


def test_every_process_runs_as_uid_10001(service: Container) -> None:
    owners = service.exec("python", "-c", OWNERS)
    assert owners.returncode == 0 and owners.stdout.strip() == "[10001]", owners.stdout + owners.stderr


def test_sigterm_stops_every_worker_within_the_drain_time(
    engine: Engine, image: str, environment: dict[str, str], migrated: CompletedProcess[str]
) -> None:
    """On a container of its own, beside the one the other tests ask."""
    assert migrated.returncode == 0, migrated.stderr
    stopping = Container(engine, image, {**environment, "HTTP_PORT": str(free_tcp_port())})
    stopping.start()
    try:
        stopping.wait_ready(base_url(stopping.environment))
        assert stopping.stop(GRACEFUL_SECONDS) == 0, "0: it stopped on SIGTERM; 137: it was killed"
        log = stopping.logs()
        assert log.count("Worker exiting") == 2 and "Shutting down: Master" in log, log[-3000:]
    finally:
        stopping.remove()

"""``orders dev`` (what ``make run`` starts): the whole thing on one machine.

Servers not named by ``NATS_URL``/``DATABASE_URL`` are started embedded, with
their data under ``.data/`` so it survives restarts; once the service is ready
the sample order and a few hundred generated ones are published.
"""

import contextlib
import io
import sys
from importlib import resources
from pathlib import Path

import orjson

from app.embedded.nats_server_process import NatsServerProcess
from app.embedded.pgserver_postgres import PgserverPostgres
from app.entrypoints.container import Container
from app.entrypoints.event_loop import run_async
from app.entrypoints.producer import produce
from app.entrypoints.producer_messages import generated_messages
from app.entrypoints.runner import run_service
from app.entrypoints.settings import Settings


def sample_order() -> bytes:
    """The canonical sample order (a copy of the shared fixture, shipped with the package)."""
    return (resources.files(__package__) / "order-sample.json").read_bytes()


async def publish_samples(container: Container, count: int = 300) -> None:
    settings = container.settings()
    publisher = container.publisher()
    sample = sample_order()
    uid = orjson.loads(sample)["order_uid"]
    await publisher.publish(sample, uid)
    messages = generated_messages(count, 0.0, 0.0, None)
    await produce(publisher, messages, rate=None, progress=False, out=io.StringIO())  # uids unprinted
    base = f"http://127.0.0.1:{settings.http_port}"
    print(
        f"\n  Order service is up: {base}/\n"
        f"  Sample order (JSON): {base}/api/orders/{uid}\n"
        f"  Readiness:           {base}/readyz\n"
        f"  NATS:                {settings.nats_url}  (publish to {settings.orders_subject})\n"
        f"  PostgreSQL:          {settings.database_url}\n"
        f"  Published the sample and {count} generated orders. Ctrl-C stops everything.\n",
        file=sys.stderr,
        flush=True,
    )


def run_dev(settings: Settings, data_dir: Path = Path(".data")) -> None:
    with contextlib.ExitStack() as servers:
        if not settings.nats_url:
            nats = servers.enter_context(NatsServerProcess(data_dir / "nats"))
            settings.nats_url = nats.url
        if not settings.database_url:
            postgres = servers.enter_context(PgserverPostgres(data_dir / "postgres"))
            settings.database_url = postgres.url
        run_async(run_service(settings, on_ready=publish_samples))

"""``orders dev`` (what ``make run`` starts): the whole thing on one machine.

Servers not named by ``NATS_URL``/``DATABASE_URL`` are started embedded, with
their data under ``.data/`` so it survives restarts; once the service is ready
the sample order and a few hundred generated ones are published.
"""

import contextlib
import sys
from pathlib import Path

import orjson

from app.adapters.jetstream_order_publisher import JetStreamOrderPublisher
from app.embedded.nats_server_process import NatsServerProcess
from app.embedded.pgserver_postgres import PgserverPostgres
from app.entrypoints.producer import produce
from app.entrypoints.producer_messages import generated_messages
from app.entrypoints.runner import run_service
from app.entrypoints.service import OrderService, resolve
from app.entrypoints.settings import Settings

SAMPLE_PATH = Path(__file__).parent / "order-sample.json"  # a copy of the shared canonical sample


def sample_order() -> bytes:
    return SAMPLE_PATH.read_bytes()


async def publish_samples(service: OrderService, count: int = 300) -> None:
    settings = service.settings
    js = await resolve(service.container.jetstream)
    publisher = JetStreamOrderPublisher(js, subject=settings.orders_subject)
    sample = sample_order()
    uid = orjson.loads(sample)["order_uid"]
    await publisher.publish(sample, uid)
    with open("/dev/null", "w") as quiet:
        await produce(publisher, generated_messages(count, 0.0, 0.0, None), rate=None, progress=False, out=quiet)
    base = f"http://127.0.0.1:{settings.http_port}"
    print(
        f"\n  Order service is up: {base}/\n"
        f"  Sample order (JSON): {base}/api/orders/{uid}\n"
        f"  Readiness:           {base}/readyz\n"
        f"  NATS:                {settings.nats_url}  (publish to {settings.orders_subject})\n"
        f"  PostgreSQL:          {settings.database_url}\n"
        f"  Published the sample and {count} generated orders. Ctrl-C stops everything.\n",
        file=sys.stderr, flush=True,
    )


def run_dev(settings: Settings, data_dir: Path = Path(".data")) -> None:
    from app.entrypoints.cli import run_async

    with contextlib.ExitStack() as servers:
        if not settings.nats_url:
            nats = servers.enter_context(NatsServerProcess(data_dir / "nats"))
            settings.nats_url = nats.url
        if not settings.database_url:
            postgres = servers.enter_context(PgserverPostgres(data_dir / "postgres"))
            settings.database_url = postgres.url
        run_async(run_service(settings, on_ready=publish_samples))

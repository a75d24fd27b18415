"""``orders dev`` (what ``make run`` starts): the whole thing on one machine.

Servers not named by ``NATS_URL``/``DATABASE_URL`` are started embedded, with
their data under ``.data/`` so it survives restarts; once the service is ready
the sample order and a few hundred generated ones are published. Without
``API_TOKENS`` a token is made for this run and printed beside a ``curl`` that
submits a new order with it.
"""

import contextlib
import io
import secrets
import shlex
import sys
from importlib import resources
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import orjson
from pydantic import SecretStr

from app.domain.order_factory import OrderFactory
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


def without_password(urls: str | None) -> str:
    """Server URLs (comma-separated) as they may be printed: a password in one is masked."""
    shown = []
    for url in (urls or "").split(","):
        parts = urlsplit(url.strip())
        if parts.password is not None:
            url = urlunsplit(parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@", 1)))
        shown.append(url.strip())
    return ",".join(shown)


def curl_example(base: str, token: str, order_file: Path) -> str:
    """A ready-to-paste command that submits the order in ``order_file`` and waits until it is stored."""
    return (
        f"curl -i -H {shlex.quote('Authorization: Bearer ' + token)} -H 'Content-Type: application/json'"
        f" --data-binary @{shlex.quote(str(order_file))} '{base}/api/orders?wait=5'"
    )


def write_new_order(data_dir: Path) -> Path:
    """A generated order, not published, for the printed ``curl`` to submit."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = (data_dir / "new-order.json").resolve()
    path.write_bytes(orjson.dumps(OrderFactory().order(), option=orjson.OPT_INDENT_2))
    return path


async def publish_samples(
    container: Container, count: int = 300, token: str | None = None, new_order: Path | None = None
) -> None:
    settings = container.settings()
    publisher = container.publisher()
    sample = sample_order()
    uid = orjson.loads(sample)["order_uid"]
    await publisher.publish(sample, uid)
    messages = generated_messages(count, 0.0, 0.0, None)
    await produce(publisher, messages, rate=None, progress=False, out=io.StringIO())  # uids unprinted
    base = f"http://127.0.0.1:{settings.http_port}"
    shown = token or "$API_TOKEN"  # a token of the user's own (API_TOKENS) is not printed
    print(
        f"\n  Order service is up: {base}/\n"
        f"  Sample order (JSON): {base}/api/orders/{uid}\n"
        f"  API docs:            {base}/api/docs\n"
        f"  Readiness:           {base}/readyz\n"
        f"  NATS:                {without_password(settings.nats_url)}  (publish to {settings.orders_subject})\n"
        f"  PostgreSQL:          {without_password(settings.database_url)}\n"
        f"  API token:           {token or '(yours, from API_TOKENS)'}\n"
        f"  Submit an order:\n    {curl_example(base, shown, new_order or Path('order.json'))}\n"
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
        token = None
        if not (settings.api_tokens or settings.api_tokens_file):
            token = secrets.token_urlsafe(24)  # for this run only
            settings.api_tokens = SecretStr(token)
        new_order = write_new_order(data_dir)
        run_async(run_service(settings, on_ready=lambda c: publish_samples(c, token=token, new_order=new_order)))

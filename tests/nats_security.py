"""NATS servers with users, permissions and TLS, for the tests of the service's credentials.

Each server is a ``nats-server`` from the wheel with a configuration file written
for the test's own subjects: the service's user may use its streams' subjects and
the JetStream API, the producer's user may only publish to the ingest subject.
"""

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from app.embedded.nats_server_process import NatsServerProcess
from app.entrypoints.settings import Settings

SERVICE_USER, SERVICE_PASSWORD = "order-service", "service-password"
PRODUCER_USER, PRODUCER_PASSWORD = "producer", "producer-password"


def _quoted(values: list[str]) -> str:
    return json.dumps(values)  # a JSON list is a list in nats-server's configuration syntax


def service_subjects(settings: Settings) -> tuple[list[str], list[str]]:
    """What ``orders serve`` may publish and subscribe to: orders (POST) and dead letters, the
    JetStream API and acks of its own stream, the announcements (its user alone); its replies
    come back on inboxes."""
    publish = [
        settings.orders_subject,
        settings.dlq_subject,
        "$JS.API.>",
        f"$JS.ACK.{settings.orders_stream}.>",
        settings.orders_stored_subject,
    ]
    return publish, ["_INBOX.>", settings.orders_stored_subject]


def service_permissions(settings: Settings) -> str:
    publish, subscribe = service_subjects(settings)
    return f"publish: {{allow: {_quoted(publish)}}}, subscribe: {{allow: {_quoted(subscribe)}}}"


def producer_permissions(settings: Settings) -> str:
    publish = [settings.orders_subject]
    return f"publish: {{allow: {_quoted(publish)}}}, subscribe: {{allow: {_quoted(['_INBOX.>'])}}}"


def users_config(settings: Settings) -> str:
    return f"""
authorization {{
  users: [
    {{user: {SERVICE_USER}, password: {SERVICE_PASSWORD}, permissions: {{{service_permissions(settings)}}}}}
    {{user: {PRODUCER_USER}, password: {PRODUCER_PASSWORD}, permissions: {{{producer_permissions(settings)}}}}}
  ]
}}
"""


def tls_config(cert: Path, key: Path, ca: Path) -> str:
    """TLS required, and a client certificate signed by ``ca`` too."""
    return f"""
tls {{
  cert_file: "{cert}"
  key_file: "{key}"
  ca_file: "{ca}"
  verify: true
  timeout: 2
}}
"""


@contextmanager
def configured_nats(directory: Path, config: str, scheme: str = "nats") -> Iterator[NatsServerProcess]:
    """A JetStream server on a free port, started with ``config``."""
    path = directory / "nats.conf"
    path.write_text(config)
    server = NatsServerProcess(directory / "store", config=path, scheme=scheme)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def with_user(url: str, user: str, password: str) -> str:
    scheme, _, address = url.partition("://")
    return f"{scheme}://{user}:{password}@{address}"

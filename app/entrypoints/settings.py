"""Configuration from the environment (and an optional ``.env`` file)."""

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

DAY = 86_400.0
GIB = 2**30


class Settings(BaseSettings):
    """Every knob of the service; names are the environment variables, upper-cased.

    ``docs/deployment.md`` lists them all with their defaults and what to choose in production.
    """

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    nats_url: str | None = None  # one server URL, or a comma-separated list of a cluster's servers
    database_url: str | None = None
    # Read replicas (standbys' hosts) for lookups that miss the cache, listings and the warm-up.
    database_read_url: str | None = None
    http_host: str = "0.0.0.0"
    http_port: int = Field(8080, ge=0, le=65535)
    http_workers: int = Field(1, ge=1, le=64)  # processes serving one port (`orders serve --workers N`)
    cache_max_orders: int = Field(100_000, ge=1)

    orders_stream: str = "ORDERS"
    orders_subject: str = "orders.new"
    orders_consumer: str = "order-service"
    dlq_stream: str = "ORDERS_DLQ"
    dlq_subject: str = "orders.dlq"
    duplicate_window_seconds: float = Field(120.0, gt=0)
    # Streams created by the service get these; an existing stream is never lowered (README).
    # A size limit reserves that much JetStream storage on every replica at once.
    stream_replicas: int = Field(1, ge=1, le=5)
    orders_stream_max_age_seconds: float = Field(7 * DAY, ge=0)  # 0: no age limit
    orders_stream_max_bytes: int = Field(4 * GIB, ge=-1)  # -1: no size limit
    dlq_stream_max_age_seconds: float = Field(90 * DAY, ge=0)
    dlq_stream_max_bytes: int = Field(1 * GIB, ge=-1)
    # Core NATS subject on which each instance announces the orders it stored to the others.
    orders_stored_subject: str = "orders.stored"

    ingest_batch_size: int = Field(1000, ge=1, le=10_000)
    ingest_fetch_seconds: float = Field(1.0, gt=0, le=30)  # how long one fetch waits for messages
    # Batches in flight to PostgreSQL at once: one commits while the next is inserted. The
    # repository keeps inserts and commits in arrival order, so ids and listings still follow it.
    ingest_concurrent_writes: int = Field(2, ge=1, le=16)
    # A message whose handling fails for an unexpected reason is dead-lettered at this failure
    # (outages do not count: docs/reliability.md).
    ingest_max_deliveries: int = Field(5, ge=1, le=1000)
    # How long JetStream waits for an ack before it redelivers a message (the consumer's ack_wait).
    ingest_ack_wait_seconds: float = Field(30.0, ge=1, le=3600)
    db_pool_size: int = Field(10, ge=1)
    db_command_timeout: float = Field(10.0, gt=0)
    # How long a command (orders dlq, produce, migrate) waits for NATS or PostgreSQL to answer.
    command_connect_timeout: float = Field(10.0, ge=1, le=600)
    # A silent link (packets dropped, no reset) must not hang the service (docs/reliability.md, partitions):
    db_connect_timeout: float = Field(5.0, gt=0, le=300)  # a new connection's handshake
    # The server drops a session whose client went silent this long (TCP keepalives and
    # tcp_user_timeout, sent as the session's settings): no session cut mid-transaction keeps its locks.
    db_dead_client_seconds: float = Field(10.0, ge=0, le=3600)  # 0: the server's own defaults
    db_idle_in_transaction_timeout: float = Field(30.0, ge=0, le=86_400)  # 0: no limit
    log_level: str = "INFO"
    log_format: str = Field("text", pattern="^(text|json)$")  # json: one object per line

    # Who may write (POST /api/orders): bearer tokens, comma-separated and/or one per line in a file.
    api_tokens: SecretStr | None = None
    api_tokens_file: str | None = None
    api_protect_reads: bool = False  # the JSON read API and the order pages need a token too

    # NATS: user/password go in NATS_URL (nats://user:pass@host:4222); tls:// URLs use TLS.
    nats_creds: str | None = None  # a credentials file (user JWT and nkey seed)
    nats_nkey_seed: str | None = None  # a file holding a user nkey seed
    nats_tls_ca: str | None = None  # CA certificate (PEM) that signed the servers' certificates
    nats_tls_cert: str | None = None  # client certificate (PEM), for servers that verify clients
    nats_tls_key: str | None = None  # its private key (PEM)
    # The client pings the server this often and reconnects when this many pings go unanswered:
    # a silent link is noticed (and /readyz says "nats") within interval × (pings + 1).
    nats_ping_interval_seconds: float = Field(3.0, gt=0, le=600)
    nats_max_outstanding_pings: int = Field(2, ge=1, le=100)

    # OpenTelemetry traces: the SDK reads every OTEL_* variable itself; these say whether to trace.
    otel_sdk_disabled: bool = False
    otel_traces_exporter: str = "otlp"
    otel_exporter_otlp_endpoint: str | None = None
    otel_exporter_otlp_traces_endpoint: str | None = None

    page_cache_max_pages: int = Field(2000, ge=1)  # rendered /orders/{uid} pages kept in memory

    @property
    def tracing(self) -> bool:
        """Traces are exported when an OTLP endpoint is set and tracing is not turned off."""
        endpoint = self.otel_exporter_otlp_traces_endpoint or self.otel_exporter_otlp_endpoint
        exporters = [name.strip() for name in self.otel_traces_exporter.split(",")]
        return bool(endpoint) and not self.otel_sdk_disabled and "otlp" in exporters

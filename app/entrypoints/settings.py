"""Configuration from the environment (and an optional ``.env`` file)."""

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DAY = 86_400.0


class Settings(BaseSettings):
    """Every knob of the service; names are the environment variables, upper-cased.

    ``docs/deployment.md`` lists them all with their defaults and what to choose in production.
    """

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    nats_url: str | None = None  # one server URL, or a comma-separated list of a cluster's servers
    database_url: str | None = None
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
    # A size limit reserves that much JetStream storage on every replica at once: none by default.
    stream_replicas: int = Field(1, ge=1, le=5)
    orders_stream_max_age_seconds: float = Field(7 * DAY, ge=0)  # 0: no age limit
    orders_stream_max_bytes: int = Field(-1, ge=-1)  # -1: no size limit
    dlq_stream_max_age_seconds: float = Field(90 * DAY, ge=0)
    dlq_stream_max_bytes: int = Field(-1, ge=-1)
    # Core NATS subject on which each instance announces the orders it stored to the others.
    orders_stored_subject: str = "orders.stored"

    ingest_batch_size: int = Field(1000, ge=1, le=10_000)
    ingest_fetch_seconds: float = Field(1.0, gt=0, le=30)  # how long one fetch waits for messages
    # Batches in flight to PostgreSQL at once: one commits while the next is inserted. The
    # repository keeps inserts and commits in arrival order, so ids and listings still follow it.
    ingest_concurrent_writes: int = Field(2, ge=1, le=16)
    # How long the stream waits for a delivered message's ack before delivering it again.
    ingest_ack_wait_seconds: float = Field(30.0, ge=1)
    db_pool_size: int = Field(10, ge=1)
    db_command_timeout: float = Field(10.0, gt=0)
    log_level: str = "INFO"

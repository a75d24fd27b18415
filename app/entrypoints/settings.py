"""Configuration from the environment (and an optional ``.env`` file)."""

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Every knob of the service; names are the environment variables, upper-cased."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    nats_url: str | None = None
    database_url: str | None = None
    http_host: str = "0.0.0.0"
    http_port: int = Field(8080, ge=0, le=65535)
    cache_max_orders: int = Field(100_000, ge=1)

    orders_stream: str = "ORDERS"
    orders_subject: str = "orders.new"
    orders_consumer: str = "order-service"
    dlq_stream: str = "ORDERS_DLQ"
    dlq_subject: str = "orders.dlq"
    duplicate_window_seconds: float = Field(120.0, gt=0)

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
    log_level: str = "INFO"

"""The optional read replica (``DATABASE_READ_URL``): its pool, and the repository reads go through.

Without the setting there is no second pool, and reads go to ``DATABASE_URL`` as writes do.
"""

import contextlib
from collections.abc import AsyncIterator, Mapping
from typing import Any

import asyncpg

from app.adapters.pg_hosts import PREFER_STANDBY, with_session_attrs
from app.adapters.pg_order_repository import PgOrderRepository
from app.entrypoints import connections
from app.ports.order_repository import OrderRepository
from app.service_layer.replica_reads import ReplicaFirstReads


def replica_pool(
    dsn: str | None, max_size: int, command_timeout: float, connect_options: Mapping[str, Any] | None = None
) -> asyncpg.Pool | None:
    """An unopened pool to the replicas (a standby where one answers), or None without a URL;
    connected like the primary's (``connect_options``: time-outs and session settings)."""
    if not dsn:
        return None
    return connections.asyncpg_pool(with_session_attrs(dsn, PREFER_STANDBY), max_size, command_timeout, connect_options)


async def opened_replica_pool(pool: asyncpg.Pool | None) -> AsyncIterator[asyncpg.Pool | None]:
    """The container's resource: open the replicas' pool, if there is one, and close it at the end."""
    if pool is None:
        yield None
        return
    async with contextlib.asynccontextmanager(connections.opened_pool)(pool) as opened:
        yield opened


def reading_repository(
    primary: OrderRepository, pool: asyncpg.Pool | None, lookup_timeout: float | None = None
) -> OrderRepository:
    """What lookups, listings and the warm-up read: the replicas first, when there are any."""
    return primary if pool is None else ReplicaFirstReads(primary, PgOrderRepository(pool, lookup_timeout))

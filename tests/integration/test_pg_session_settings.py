"""The pool's sessions carry the settings that let the server drop a client gone silent."""

import asyncpg

from app.entrypoints.connections import asyncpg_pool
from app.entrypoints.pg_session import pg_connect_options
from tests.servers import isolated_settings


async def test_every_pooled_session_has_the_dead_client_and_idle_transaction_limits(database_url, nats_url) -> None:
    settings = isolated_settings(
        nats_url, database_url, db_dead_client_seconds=12, db_idle_in_transaction_timeout=45, db_connect_timeout=3
    )
    pool = asyncpg_pool(database_url, 2, 5.0, connect_options=pg_connect_options(settings))
    await pool
    try:
        async with pool.acquire() as conn:
            shown = {
                name: await conn.fetchval(f"SHOW {name}")
                for name in (
                    "tcp_keepalives_idle",
                    "tcp_keepalives_interval",
                    "tcp_keepalives_count",
                    "tcp_user_timeout",
                    "idle_in_transaction_session_timeout",
                )
            }
    finally:
        await pool.close()
    assert shown == {  # the socket's own values, as the server reads them back (seconds; milliseconds)
        "tcp_keepalives_idle": "6",
        "tcp_keepalives_interval": "2",
        "tcp_keepalives_count": "3",
        "tcp_user_timeout": "12000",
        "idle_in_transaction_session_timeout": "45s",
    }


async def test_zero_leaves_the_servers_own_settings(database_url, nats_url) -> None:
    settings = isolated_settings(nats_url, database_url, db_dead_client_seconds=0, db_idle_in_transaction_timeout=0)
    options = pg_connect_options(settings)
    assert options["server_settings"] == {}
    conn = await asyncpg.connect(database_url, **options)
    try:
        assert await conn.fetchval("SHOW idle_in_transaction_session_timeout") == "0"
    finally:
        await conn.close()

"""``sslmode`` and friends in ``DATABASE_URL`` reach both drivers: asyncpg (the pool) and psycopg (yoyo).

The embedded PostgreSQL (pgserver) is built without OpenSSL, so it refuses TLS:
a URL that does not need TLS (``disable``, ``prefer``) connects through both, and
one that requires it (``require``, ``verify-full`` with a root certificate) is
refused by both, saying so. That the refusal comes from each driver shows it read
the parameters from the URL instead of dropping them.
"""

import asyncpg
import pytest

from app.adapters.pg_order_repository import PgOrderRepository
from app.adapters.yoyo_migrator import YoyoMigrator
from app.entrypoints import connections


def _with(url: str, query: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}{query}"


@pytest.mark.parametrize("query", ["sslmode=disable", "sslmode=prefer&application_name=orders"])
async def test_a_url_that_allows_plain_connections_works_for_the_pool_and_the_migrations(
    database_url: str, query: str
) -> None:
    url = _with(database_url, query)
    assert YoyoMigrator(url).pending() == []
    pool = connections.asyncpg_pool(url, max_size=2, command_timeout=5)
    await pool
    try:
        assert await PgOrderRepository(pool).count() == 0
    finally:
        await pool.close()


@pytest.mark.parametrize("query", ["sslmode=require", "sslmode=verify-full&sslrootcert=/nonexistent/ca.pem"])
async def test_a_url_that_requires_tls_is_refused_by_both_drivers(database_url: str, query: str) -> None:
    url = _with(database_url, query)
    with pytest.raises(Exception, match=r"(?i)ssl"):
        YoyoMigrator(url).pending()
    with pytest.raises((ConnectionError, OSError, asyncpg.PostgresError)):
        await asyncpg.connect(url)

"""The service's timestamptz codec against a real PostgreSQL: the same instants as asyncpg's own."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone

import asyncpg
import pytest

from app.adapters.pg_timestamptz_codec import use_fast_timestamptz

MOSCOW = timezone(timedelta(hours=3))
INSTANTS = [
    datetime(2021, 11, 26, 6, 22, 19, tzinfo=UTC),
    datetime(2021, 11, 26, 9, 22, 19, 123456, tzinfo=MOSCOW),
    datetime(2000, 1, 1, tzinfo=UTC),
    datetime(1999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    datetime(1970, 1, 1, tzinfo=UTC),
    datetime(1, 1, 1, 3, 0, tzinfo=MOSCOW),
    datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
]


@pytest.fixture
async def connections(database_url: str) -> AsyncIterator[tuple[asyncpg.Connection, asyncpg.Connection]]:
    """One connection with the codec, one with asyncpg's own."""
    fast, plain = await asyncpg.connect(database_url), await asyncpg.connect(database_url)
    await use_fast_timestamptz(fast)
    yield fast, plain
    await fast.close()
    await plain.close()


async def test_every_instant_is_written_and_read_back_exactly(connections) -> None:
    fast, _ = connections
    await fast.execute("CREATE TEMP TABLE t (n int, at timestamptz)")
    await fast.copy_records_to_table("t", records=list(enumerate(INSTANTS)))
    await fast.executemany("INSERT INTO t VALUES ($1, $2)", [(n + 100, at) for n, at in enumerate(INSTANTS)])

    text = [
        r[0]
        for r in await fast.fetch("SELECT to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') FROM t ORDER BY n")
    ]
    read = [r[0] for r in await fast.fetch("SELECT at FROM t ORDER BY n")]

    assert text == 2 * [at.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds") for at in INSTANTS]
    assert read == 2 * INSTANTS
    assert all(at.tzinfo is UTC for at in read)  # serialized with "Z", as the API shows it


async def test_what_asyncpgs_own_codec_wrote_reads_back_the_same(connections) -> None:
    fast, plain = connections
    ordinary = INSTANTS[:5]  # asyncpg's own codec writes the first and last instants as -infinity and infinity
    await plain.execute("CREATE TABLE t (n int, at timestamptz)")
    try:
        await plain.copy_records_to_table("t", records=list(enumerate(ordinary)))
        assert [r[0] for r in await fast.fetch("SELECT at FROM t ORDER BY n")] == ordinary
    finally:
        await plain.execute("DROP TABLE t")


async def test_infinities_read_as_asyncpg_reads_them(connections) -> None:
    fast, plain = connections
    query = "SELECT 'infinity'::timestamptz, '-infinity'::timestamptz"
    assert tuple(await fast.fetchrow(query)) == tuple(await plain.fetchrow(query))


async def test_a_naive_datetime_is_refused(connections) -> None:
    fast, _ = connections
    with pytest.raises(asyncpg.DataError, match="offset-naive"):
        await fast.fetchval("SELECT $1::timestamptz", datetime(2021, 11, 26, 6, 22, 19))

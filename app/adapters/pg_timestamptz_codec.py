"""A ``timestamptz`` codec for asyncpg: microseconds since 2000-01-01 UTC.

asyncpg's own encoder compares every value with its infinity sentinels and
converts it to UTC before subtracting PostgreSQL's epoch; this one subtracts
the epoch from the aware datetime and hands asyncpg the microseconds in its
"tuple" form, which it writes in C (a third of the cost: ``docs/performance.md``).
It is also exact at the ends: asyncpg's encoder writes the first and last
instants a datetime can hold (0001-01-01 and 9999-12-31 23:59:59.999999 UTC,
both valid ``date_created`` values) as -infinity and infinity, which read back
as naive datetimes.

Values must be aware datetimes (the service stores nothing else); a naive one
is refused (a TypeError, which asyncpg reports as a DataError), where asyncpg's
codec would have assumed local time. PostgreSQL's infinities read back as
asyncpg reads them.
"""

from datetime import UTC, datetime, timedelta

import asyncpg

_PG_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_INFINITY, _NEGATIVE_INFINITY = 2**63 - 1, -(2**63)
# What asyncpg's own decoder returns for the infinities.
_INFINITY_DATETIME = datetime(9999, 12, 31, 23, 59, 59, 999999)
_NEGATIVE_INFINITY_DATETIME = datetime(1, 1, 1)


def _encode(value: datetime) -> tuple[int]:
    return ((value - _PG_EPOCH) // _MICROSECOND,)


def _decode(value: tuple[int]) -> datetime:
    microseconds = value[0]
    if microseconds == _INFINITY:
        return _INFINITY_DATETIME
    if microseconds == _NEGATIVE_INFINITY:
        return _NEGATIVE_INFINITY_DATETIME
    return _PG_EPOCH + timedelta(microseconds=microseconds)


async def use_fast_timestamptz(conn: asyncpg.Connection) -> None:
    """Install the codec on one connection (the pool's ``init``)."""
    await conn.set_type_codec("timestamptz", schema="pg_catalog", encoder=_encode, decoder=_decode, format="tuple")
